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

from tests.browser.conftest import IN_CI, PASSWORD, log_in
from tests.browser.test_dossier_pages import accept

try:
    from playwright.sync_api import expect
except ImportError:
    if IN_CI:
        raise  # CI=true: the browser tests must run
    pytest.skip("The playwright package is not installed.", allow_module_level=True)

AXE = Path(__file__).resolve().parents[2] / "service" / "assets" / "node_modules" / "axe-core" / "axe.min.js"
ADMIN_PASSWORD = "password-1"  # make_user's default, the office's admin
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


def check(page, urls, ready=None) -> None:
    """Open each page, wait until its scripts have drawn it, and collect what axe finds."""
    problems = {}
    for url in urls:
        response = page.goto(url)
        assert response is not None
        page.wait_for_load_state("networkidle")
        if ready and url in ready:
            page.wait_for_selector(ready[url])
        found = violations(page)
        if found:
            problems[url] = found
    assert not problems, "\n".join(f"{url}:\n  " + "\n  ".join(lines) for url, lines in problems.items())


def task_of(caller, instance_id, element):
    tasks = caller.get(f"/api/v1/tasks?process_instance_id={instance_id}").json["items"]
    return next(t for t in tasks if t["element_id"] == element)


@pytest.fixture
def designer(office, make_user):
    return make_user("designer", groups=["designers"], password=PASSWORD)


@pytest.mark.parametrize("lang", ("vi", "en"))
def test_the_pages_without_a_session_pass_axe(page, office, lang):
    dossier = accept(office)
    page.goto(f"/ui/login?lang={lang}")
    check(
        page,
        [
            "/ui/login",
            "/ui/tra-cuu",
            f"/ui/tra-cuu?ma={dossier['code']}",
            f"/api/v1/dossiers/{dossier['code']}/documents/mau-01?format=html",  # 401 as a page
        ],
    )


@pytest.mark.parametrize("lang", ("vi", "en"))
def test_the_clerks_pages_pass_axe(page, office, lang):
    dossier = accept(office)
    instance_id = dossier["process_instance_id"]
    digitise = task_of(office.clerk, instance_id, "digitise")
    log_in(page)
    page.goto(f"/ui/?lang={lang}")
    diagram = "[data-diagram-url][data-state=ready]"
    check(
        page,
        [
            "/ui/",
            "/ui/?tab=group",
            "/ui/?tab=mine",
            f"/ui/tasks/{digitise['id']}",
            f"/ui/tasks/{office.letters[0]['tasks'][0]['id']}",
            "/ui/dossiers",
            "/ui/dossiers?q=Nguyễn",
            f"/ui/dossiers/{dossier['code']}",
            f"/ui/instances/{instance_id}",
            "/ui/reception",
            "/ui/reception?procedure=AG-LLTP-01",
            f"/ui/reception/{dossier['code']}",
            f"/ui/dossiers/{dossier['code']}/slips/mau-01",  # the receipt, as printed
            f"/ui/dossiers/{dossier['code']}/slips/mau-03",  # does not fit an accepted dossier: 409 page
            "/ui/calendar",
            "/ui/account",
            "/ui/tasks/00000000-0000-0000-0000-000000000000",  # the 404 page
            "/ui/admin",  # the 403 page
        ],
        ready={f"/ui/dossiers/{dossier['code']}": diagram, f"/ui/instances/{instance_id}": diagram},
    )


@pytest.mark.parametrize("lang", ("vi", "en"))
def test_the_reports_pass_axe(page, office, lang):
    accept(office)
    log_in(page, "admin", ADMIN_PASSWORD)
    page.goto(f"/ui/?lang={lang}")
    check(
        page,
        ["/ui/bao-cao", "/ui/dashboard", "/ui/bao-cao/tre-han", "/ui/bao-cao/ban-do-nhiet"],
    )


@pytest.mark.parametrize("lang", ("vi", "en"))
def test_the_administration_pages_pass_axe(page, office, lang):
    log_in(page, "admin", ADMIN_PASSWORD)
    page.goto(f"/ui/admin?lang={lang}")
    check(
        page,
        [
            "/ui/admin",
            "/ui/admin/instances",
            "/ui/admin/incidents",
            "/ui/admin/users",
            "/ui/admin/users/clerk",
            "/ui/admin/groups",
            "/ui/admin/units",
            "/ui/admin/units/TTPVHCC",
            "/ui/admin/tokens",
            "/ui/admin/webhooks",
            "/ui/admin/webhooks/deliveries",
            "/ui/admin/calendar",
            "/ui/admin/procedures",
            "/ui/admin/procedures/AG-LLTP-01",
        ],
    )


@pytest.mark.parametrize("lang", ("vi", "en"))
def test_the_designer_pages_pass_axe(page, office, designer, lang):
    log_in(page, "designer")
    page.goto(f"/ui/designer?lang={lang}")
    canvas = ".designer-canvas .djs-element[data-element-id]"
    check(
        page,
        [
            "/ui/designer",
            "/ui/designer/simple_approval",
            "/ui/designer/new",
            "/ui/designer/dossier/compare",
        ],
        ready={"/ui/designer/simple_approval": canvas, "/ui/designer/new": canvas},
    )


def test_a_task_with_its_form_errors_shown_passes_axe(page, office):
    """The form after a failed submit: messages beside the fields, aria-invalid, the summary."""
    log_in(page)
    letter = office.letters[0]["tasks"][0]["id"]
    page.goto(f"/ui/tasks/{letter}")
    page.get_by_role("button", name=re.compile("^Nhận việc")).click()
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
