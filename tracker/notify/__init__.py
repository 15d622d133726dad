"""Nudges: a durable outbox of SMS and email messages, the rules that fill it, and its dispatcher."""
