"""Administration: instances, incidents, users, groups, units, tokens, calendar and catalogue."""

from __future__ import annotations

from . import bp  # noqa: F401
