"""Fixtures of the web application's tests: the app with the ui blueprint, a demo office with tasks,
and Debian's Chromium driven by Playwright (never a downloaded browser).

When CI=true and Chromium cannot be launched (or Playwright is missing), the browser tests fail;
elsewhere they are skipped with the reason.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from tests.factories import receive_dossier

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
CHROMIUM = os.environ.get("MOTCUA_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
# Where the screenshots of the pages go (docs/screenshots by default; set it elsewhere to keep the
# committed pictures unchanged).
# `make screenshots` writes them to docs/screenshots/; other runs keep the committed ones untouched.
SCREENSHOTS = Path(
    os.environ.get("MOTCUA_SCREENSHOT_DIR", Path(tempfile.gettempdir()) / "motcua-screenshots")
)
PASSWORD = "mat-khau-demo"
# Console messages a page may log: the browser's own line for an API answer of 4xx (expected in
# the tests that submit invalid forms).
HARMLESS_CONSOLE = ("Failed to load resource",)


@pytest.fixture
def ui_app(app, monkeypatch):
    """The app with the web pages, as create_app will have them once the blueprint is registered."""
    from service.identity import auth
    from service.ui import PUBLIC_ENDPOINTS, bp

    if "ui" not in app.blueprints:
        app.register_blueprint(bp)
    if not PUBLIC_ENDPOINTS <= auth.PUBLIC_ENDPOINTS:
        monkeypatch.setattr(auth, "PUBLIC_ENDPOINTS", auth.PUBLIC_ENDPOINTS | PUBLIC_ENDPOINTS)
    app.config["SESSION_COOKIE_SECURE"] = False  # the live server speaks plain http
    return app


@pytest.fixture
def office(ui_app, admin, deploy_library, catalogue, make_officers, make_user, clock):
    """Both process models deployed, the catalogue loaded (tests/factories.py), users, and open
    tasks for reception: a letter registered yesterday (late: registering takes 4 hours), a dossier
    to receive (due soon: its step has a quarter of a working day) and a second letter (early)."""
    from service.calendar.operations import calendar
    from service.extensions import db
    from service.tasks.models import Task

    deploy_library("simple_approval.bpmn", "dossier.bpmn")
    clerk = make_officers("clerk", password=PASSWORD).clerk
    other = make_user("other_clerk", groups=["reception"], unit="TTPVHCC", password=PASSWORD)
    head = make_officers("head", password=PASSWORD).head
    with clock.at(clock.now() - timedelta(days=1)):
        late = clerk.start("simple_approval", business_key="VB-2025-001").json
    early = clerk.start("simple_approval", business_key="VB-2025-002").json
    dossier = receive_dossier(clerk)
    with ui_app.app_context():
        # No shipped model gives registering a letter days: this one is given three working days.
        due_at = calendar().add_working_days(clock.now(), 3)
        db.session.execute(
            sa.update(Task).where(Task.instance_id == uuid.UUID(early["id"])).values(due_at=due_at)
        )
        db.session.commit()
    with ui_app.app_context():
        from service.cli import DEMO_GROUPS, DEMO_UNITS
        from service.identity.models import Group, OrgUnit

        # The groups and units are called what the office calls them (as `motcua demo` names them).
        for name, description in DEMO_GROUPS.items():
            db.session.execute(sa.update(Group).where(Group.name == name).values(description=description))
        for code, name, *_rest in DEMO_UNITS:
            db.session.execute(
                sa.update(OrgUnit).where(OrgUnit.code == code, OrgUnit.name == code).values(name=name)
            )
        db.session.commit()
    name_officers(admin, clerk="Trần Thị Bình", head="Nguyễn Văn Hùng")
    return SimpleNamespace(
        app=ui_app, admin=admin, clerk=clerk, other=other, head=head, letters=(late, early), dossier=dossier
    )


@pytest.fixture
def every_page(office, make_user, make_officers):
    """every_page(tour) -> the pages of one tour of tests/browser/every_page.py."""
    from tests.browser.every_page import tour

    return lambda name: tour(name, office, make_user, make_officers)


def name_officers(admin, **names) -> None:
    """Give officers their full names (username="Full Name"), as the demo office has them."""
    for username, name in names.items():
        renamed = admin.client.patch(
            f"/api/v1/users/{username}", json={"display_name": name}, headers=admin.headers
        )
        assert renamed.status_code == 200, renamed.json


def unavailable(message: str):
    """Something the browser tests need is missing: fail when CI=true, skip (with the reason) elsewhere."""
    if IN_CI:
        pytest.fail(message + " (CI=true: the browser tests must run)", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium, headless, launched once per test session."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        unavailable(f"The playwright package is not installed ({exc}): run `make setup`")
    manager = sync_playwright().start()
    try:
        chromium = manager.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    except Exception as exc:
        manager.stop()
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__
        unavailable(
            f"Chromium could not be launched from {CHROMIUM} ({first_line}): install Debian's chromium"
            " (sudo apt-get install chromium) or set MOTCUA_CHROMIUM to its path"
        )
    yield chromium
    chromium.close()
    manager.stop()


@pytest.fixture
def site(office, live_server):
    return live_server


@pytest.fixture
def page(browser, site):
    """A fresh browser context on the live server; fails the test on a script error or a console
    error (such as a Content-Security-Policy refusal)."""
    context = browser.new_context(
        base_url=site,
        locale="vi-VN",
        timezone_id="Asia/Ho_Chi_Minh",
        viewport={"width": 1280, "height": 860},
    )
    context.set_default_timeout(10_000)
    tab = context.new_page()
    problems: list[str] = []
    tab.on(
        "console",
        lambda m: (
            problems.append(m.text) if m.type == "error" and not m.text.startswith(HARMLESS_CONSOLE) else None
        ),
    )
    tab.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    yield tab
    context.close()
    assert not problems, problems


def log_in(page, username="clerk", password=PASSWORD):
    page.goto("/ui/login")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(password)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url("**/ui/")


def screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / name
    page.screenshot(path=str(path), full_page=True)
    return path
