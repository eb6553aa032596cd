"""Idempotency-Key: a retried POST gets the first answer, with nothing done twice."""
