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

from tests.support import BPMN, ROOT

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
QR = "089190000123|352123456|Nguyễn Thị Ánh|15071990|Nữ|Số 12 Trần Hưng Đạo, An Giang|01052021"
COMPONENTS = [{"name": "Tờ khai yêu cầu cấp Phiếu lý lịch tư pháp", "form": "Bản chính", "quantity": 1}]
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
def office(ui_app, make_user):
    """Both process models deployed, the catalogue loaded, users, and open tasks for reception:
    a letter to register (late), a dossier to receive (due soon) and a second letter (early)."""
    from service.calendar.operations import calendar
    from service.extensions import db
    from service.identity.models import User
    from service.identity.operations import get_or_create_unit
    from service.models_base import utcnow
    from service.procedures.operations import load
    from service.tasks.models import Task

    admin = make_user("admin", admin=True)
    for name in ("simple_approval.bpmn", "dossier.bpmn"):
        assert admin.deploy(BPMN / name).status_code == 201
    with ui_app.app_context():
        load((ROOT / "data" / "procedures.json").read_text(encoding="utf-8"), fmt="json")
        get_or_create_unit("TTPVHCC", "Trung tâm Phục vụ hành chính công").national_code = "000.17.22.H56"
        db.session.commit()
    clerk = make_user("clerk", groups=["reception"], unit="TTPVHCC", password=PASSWORD)
    other = make_user("other_clerk", groups=["reception"], unit="TTPVHCC", password=PASSWORD)
    head = make_user("head", groups=["unit_heads"], unit="SO-TP", password=PASSWORD)
    late = clerk.start("simple_approval", business_key="VB-2025-001").json
    early = clerk.start("simple_approval", business_key="VB-2025-002").json
    dossier = clerk.post(
        "/api/v1/dossiers",
        json={
            "procedure_code": "AG-LLTP-01",
            "channel": "counter",
            "applicant": {"cccd_qr": QR, "phone": "0912345678"},
            "components": COMPONENTS,
        },
    ).json
    with ui_app.app_context():
        now, cal = utcnow(), calendar()
        due = {
            late["id"]: now - timedelta(hours=2),
            early["id"]: cal.add_working_days(now, 3),
            dossier["process_instance_id"]: cal.add_working_days(now, 0.5),
        }
        for instance_id, due_at in due.items():
            db.session.execute(
                sa.update(Task).where(Task.instance_id == uuid.UUID(instance_id)).values(due_at=due_at)
            )
        db.session.execute(
            sa.update(User).where(User.username == "clerk").values(display_name="Trần Thị Bình")
        )
        db.session.commit()
    return SimpleNamespace(
        app=ui_app, admin=admin, clerk=clerk, other=other, head=head, letters=(late, early), dossier=dossier
    )


def _unavailable(message: str):
    if IN_CI:
        pytest.fail(message + " (CI=true: the browser tests must run)", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium, headless, launched once per test session."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        _unavailable(f"The playwright package is not installed: {exc}")
    manager = sync_playwright().start()
    try:
        chromium = manager.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    except Exception as exc:
        manager.stop()
        _unavailable(f"Chromium could not be launched from {CHROMIUM}: {exc}")
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
