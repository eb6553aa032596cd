"""Fixtures for the slip tests: fresh sample contexts for every test."""

from __future__ import annotations

import pytest

from tests.documents.samples import make_dossier, make_register


@pytest.fixture
def dossier() -> dict:
    """A complete Mẫu 01-05 dossier context."""
    return make_dossier()


@pytest.fixture
def register(dossier: dict) -> dict:
    """A Mẫu 06 context of three November 2025 dossiers."""
    return make_register(dossier)


@pytest.fixture
def context_for(dossier: dict, register: dict):
    """The sample context for a form id."""
    return lambda form_id: register if form_id == "mau-06" else dossier
