"""Every page of the web application passes axe-core (installed from npm into service/assets) in
Chromium with no violation of impact serious or critical: the officers' pages, the administration,
the designer, the reports, the public lookup, the login and the error pages, in Vietnamese and in
English.

axe.min.js is evaluated in the page through the DevTools protocol (not a <script> tag, which the
pages' Content-Security-Policy would refuse, rightly)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.browser.conftest import IN_CI, log_in
from tests.browser.every_page import TOURS, report, walk

try:
    from playwright.sync_api import expect
except ImportError:
    if IN_CI:
        raise  # CI=true: the browser tests must run
    pytest.skip("The playwright package is not installed.", allow_module_level=True)

AXE = Path(__file__).resolve().parents[2] / "service" / "assets" / "node_modules" / "axe-core" / "axe.min.js"
# Third-party drawings that axe cannot judge, left out of the check (not the rest of their page):
# bpmn-js's canvas is an SVG drawn and re-drawn by the library (its shapes are not controls of
# ours; the diagram's own buttons and its text alternative around it are checked), and its
# bpmn.io watermark link, whose look the library's licence asks to keep unchanged.
EXCLUDED = [[".djs-container"], [".bjs-powered-by"]]
SERIOUS = {"serious", "critical"}


def axe_source() -> str:
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `make setup` (npm ci in service/assets)", pytrace=False)
    return AXE.read_text(encoding="utf-8")


def violations(page) -> list[str]:
    """axe-core's serious and critical violations of the page as shown, one line per element."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(axe_source() + "\n;undefined")
    found = page.evaluate(
        """async (exclude) => {
            const result = await axe.run({exclude: exclude}, {resultTypes: ['violations']});
            return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map(n => n.target.join(' ') + ' ' + n.failureSummary.replace(/\\s+/g, ' '))}));
        }""",
        EXCLUDED,
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {node}"
        for v in found
        if v["impact"] in SERIOUS
        for node in v["nodes"]
    ]


@pytest.mark.parametrize("lang", ("vi", "en"))
@pytest.mark.parametrize("tour", TOURS)
def test_every_page_passes_axe(page, every_page, tour, lang):
    problems = walk(page, every_page(tour), lang, violations)
    assert not problems, report(problems)


def test_a_task_with_its_form_errors_shown_passes_axe(page, office):
    """The form after a failed submit: messages beside the fields, aria-invalid, the summary."""
    log_in(page)
    letter = office.letters[0]["tasks"][0]["id"]
    page.goto(f"/ui/tasks/{letter}")
    page.get_by_role("button", name=re.compile("^Nhận việc")).click()
    expect(page.get_by_test_id("assignee").locator(".person")).to_have_attribute("title", "clerk")
    page.get_by_role("button", name="Hoàn thành").click()
    expect(page.locator("#form-errors")).not_to_be_empty()
    assert violations(page) == []


def test_the_check_finds_what_axe_calls_serious(page):
    """The check itself: a control without a label and low-contrast text are reported."""
    page.goto("/ui/login")
    page.evaluate(
        """() => {
            const main = document.querySelector('main');
            main.insertAdjacentHTML('beforeend', '<input type="text" id="unnamed">');
            main.insertAdjacentHTML('beforeend', '<p style="color:#eee;background:#fff">mờ</p>');
        }"""
    )
    found = violations(page)
    assert any(line.startswith("label (critical)") and "#unnamed" in line for line in found), found
    assert any(line.startswith("color-contrast (serious)") for line in found), found
