"""The dossiers: the list and one dossier's page (status, due date, Mẫu 05 steps, documents, diagram)."""

from __future__ import annotations

from . import bp  # noqa: F401
