"""The reception counter: register a dossier for a procedure of the catalogue and print Mẫu 01."""

from __future__ import annotations

from . import bp  # noqa: F401
