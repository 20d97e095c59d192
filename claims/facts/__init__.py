"""Structured facts: models, querysets, services, the conflict detector, wage parsing and
conversion, the entity graph and timeline, and their admin. Part of the `claims` app."""
