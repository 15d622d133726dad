"""The family's side: plan links by text, the family page, family updates and replies."""
