"""The import contracts of pyproject.toml bite: `lint-imports` on a copy of the service with one
forbidden import of each kind fails, naming each import; on the copy as it is, it passes."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")

# (file of the copy, line appended to it, text lint-imports must print)
VIOLATIONS = [
    # SpiffWorkflow, lxml and RestrictedPython belong to the engine: in any module, present or future.
    ("service/dossiers/codes.py", "import SpiffWorkflow", "service.dossiers.codes -> SpiffWorkflow"),
    ("service/newdomain/__init__.py", "from lxml import etree", "service.newdomain -> lxml"),
    # The engine does no I/O and imports nothing else of the service.
    ("service/engine/clock.py", "import requests", "service.engine.clock -> requests"),
    ("service/engine/sizes.py", "import socket", "service.engine.sizes -> socket"),
    ("service/engine/limits.py", "from .. import metrics", "service.engine.limits -> service.metrics"),
    # No circles: between the service's packages, and inside one.
    (
        "service/definitions/operations.py",
        "from ..instances import operations as _",
        ".definitions -> .instances",
    ),
    ("service/jobs/dispatch.py", "from . import worker as _", "No cycles are allowed in service.jobs."),
    # The pages read through the domains' queries and operations: no model, session or SQL.
    (
        "service/ui/display.py",
        "from service.tasks.models import Task",
        "service.ui.display -> service.tasks.models",
    ),
    (
        "service/ui/admin/common.py",
        "from ...extensions import db",
        "service.ui.admin.common -> service.extensions",
    ),
    ("service/ui/history.py", "import sqlalchemy", "service.ui.history -> sqlalchemy"),
]


def _left_out(path: Path) -> bool:
    return path.name in {"assets", "__pycache__"} or (path.is_file() and path.suffix != ".py")


def _copy(tmp_path: Path) -> Path:
    """The service's Python files and pyproject.toml, in a folder of their own."""
    shutil.copytree(
        ROOT / "service",
        tmp_path / "service",
        ignore=lambda folder, names: [n for n in names if _left_out(Path(folder, n))],
    )
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    return tmp_path


def _lint_imports(folder: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(folder)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"], cwd=folder, env=env, capture_output=True, text=True, timeout=120
    )


@pytest.fixture
def copy(tmp_path):
    return _copy(tmp_path)


def test_the_service_as_it_is_keeps_every_contract(copy):
    result = _lint_imports(copy)
    assert result.returncode == 0, result.stdout + result.stderr
    assert " broken." in result.stdout and "0 broken" in result.stdout


def test_a_forbidden_import_of_each_kind_breaks_its_contract(copy):
    for path, line, _ in VIOLATIONS:
        target = copy / path
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("a", encoding="utf-8") as file:
            file.write(f"\n{line}  # noqa\n")
    result = _lint_imports(copy)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "0 kept, 5 broken" in result.stdout
    for _, line, reported in VIOLATIONS:
        assert reported in result.stdout, f"{line!r} was not reported:\n{result.stdout}"


def test_a_page_importing_a_model_alone_fails_lint(copy):
    """The pages' contract on its own: one model import in one page module breaks it, and only it."""
    with (copy / "service/ui/worklist.py").open("a", encoding="utf-8") as file:
        file.write("\nfrom service.tasks.models import Task  # noqa\n")
    result = _lint_imports(copy)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "4 kept, 1 broken" in result.stdout
    assert "service.ui.worklist -> service.tasks.models" in result.stdout
