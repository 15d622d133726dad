"""Shared test support: factories through the real services, browser and axe helpers, staff sign-in helpers."""
