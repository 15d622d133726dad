"""People and their credentials: professionals (StaffUser), API tokens, and the Caller value."""
