"""Small helpers the tests import (fixtures live in conftest.py)."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BPMN = ROOT / "bpmn"
DATA = Path(__file__).resolve().parent / "data"


def bpmn_path(name: str) -> Path:
    """A BPMN file of the shipped library (bpmn/) or of the test data (tests/data/)."""
    for folder in (BPMN, DATA):
        if (folder / name).is_file():
            return folder / name
    raise FileNotFoundError(name)
