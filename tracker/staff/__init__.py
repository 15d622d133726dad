"""Staff web app: sign-in, server-side sessions, role guards, admin, personal calendar feed."""
