"""Webhooks: the outbox's events, signed and delivered to the URLs systems subscribed."""
