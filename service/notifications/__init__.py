"""Notifications to applicants and officers by SMS or Zalo (ZNS), sent after the commit from the
outbox's events, once per (event, recipient, channel). See operations.py and sending.py."""
