"""Cross-cutting protections shared by every instance: rate limits kept in the database."""
