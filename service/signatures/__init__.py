"""Signed results: PAdES signatures made with a unit's key and checked on every signed PDF."""
