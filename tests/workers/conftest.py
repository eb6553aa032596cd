"""Fixtures of the worker tests: `stack` builds a Stack (see stack.py) and removes it afterwards.

When a test fails, the end of every log of its processes (API, workers, beat, simulator) is added
to the failure report as a section "process logs".
"""

from __future__ import annotations

import pytest

from tests.workers.stack import Stack


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    stacks = [s for s in getattr(item, "_motcua_stacks", []) if s.processes or s.simulator]
    if report.failed and stacks:
        report.sections.append(("process logs", "\n".join(s.tail() for s in stacks)))


@pytest.fixture
def make_stack(request, tmp_path):
    """make_stack(broker="redis"|"amqp", lease_seconds=..., tick_seconds=...) -> an opened Stack."""
    stacks: list[Stack] = []
    request.node._motcua_stacks = stacks

    def make(**options) -> Stack:
        stack = Stack(tmp_path / f"stack{len(stacks)}", **options)
        stack.tmp_path.mkdir()
        stacks.append(stack)
        stack.open()
        return stack

    yield make
    errors = []
    for stack in stacks:
        try:
            stack.close()
        except Exception as exc:
            errors.append(str(exc))
    if errors:
        pytest.fail("; ".join(errors), pytrace=False)
