"""The QĐ 766 dashboard (/ui/dashboard): who sees it, its numbers on a hand-made November 2026, and
in Chromium a number followed through to the dossiers behind it."""

from __future__ import annotations

import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from service.dossiers.models import Dossier, DossierPause
from service.extensions import db
from tests.browser.conftest import PASSWORD, log_in, screenshot
from tests.factories import receive_dossier

try:
    from playwright.sync_api import expect
except ImportError:  # pragma: no cover - the browser fixture skips or fails with the reason
    expect = None

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
NOVEMBER = "month:2026-11"


def at(month, day, hour=9):
    return datetime(2026, month, day, hour, tzinfo=HCM)


@pytest.fixture
def month(office, make_user):
    """Three AG-LLTP-01 dossiers of November 2026: finished early, open and late at the month's end,
    waiting for a supplement asked in time. By hand: 3 counted, 2 in time -> 66.7 %."""
    office.reporter = make_user("reporter", groups=["reports"], unit="VP-UBND", password=PASSWORD)
    office.xa = make_user("xa_head", groups=["unit_heads"], unit="UBND-XA", password=PASSWORD)
    histories = {
        "DASH-EARLY": (at(11, 3), at(11, 17, 17), at(11, 6), "early"),
        "DASH-LATE": (at(11, 4), at(11, 18, 17), None, None),
        "DASH-PAUSED": (at(11, 20), at(12, 4, 17), None, None),
    }
    with office.app.app_context():
        for code, (received, due, finished, verdict) in histories.items():
            row = db.session.get(Dossier, uuid.UUID(receive_dossier(office.clerk)["id"]))
            row.code, row.received_at, row.original_due_at, row.due_at = code, received, due, due
            row.finished_at, row.verdict, row.status = finished, verdict, 9 if finished else 4
            row.digitised_at = received
            if code == "DASH-PAUSED":
                row.paused_at, row.status, row.supplement_requests = at(11, 25), 5, 1
                db.session.add(DossierPause(dossier_id=row.id, kind="supplement", started_at=at(11, 25)))
        db.session.commit()
    return office


def test_the_dashboard_is_for_those_who_may_see_a_units_indicators(month):
    page = month.reporter.get(f"/ui/dashboard?period={NOVEMBER}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert 'data-testid="count-counted">3<' in text
    assert 'data-testid="rate-on_time_rate">66.7 %<' in text
    assert "Chưa có dữ liệu trong Motcua" in text  # satisfaction, PAKN...: never 0 nor 100
    assert 'href="/ui/bao-cao"' in text  # "Báo cáo" in the navigation leads here
    # An officer of another unit: their own unit only; the province and SO-TP are refused.
    own = month.xa.get(f"/ui/dashboard?period={NOVEMBER}")
    assert own.status_code == 200 and 'data-testid="count-counted">0<' in own.get_data(as_text=True)
    assert month.xa.get(f"/ui/dashboard?period={NOVEMBER}&unit=SO-TP").status_code == 403
    # The specialist of SO-TP (AG-LLTP-01's agency) sees SO-TP's three.
    so_tp = month.head.get(f"/ui/dashboard?period={NOVEMBER}")
    assert 'data-testid="count-counted">3<' in so_tp.get_data(as_text=True)


def test_the_period_menu_offers_the_reporting_quarters_and_reads_one(month):
    """The quarterly report's period (the 15th of the month before the quarter to the 14th of its
    last month, calendar/periods.py) is in the menu beside the reporting months, four of them."""
    page = month.reporter.get(f"/ui/dashboard?period={NOVEMBER}")
    text = page.get_data(as_text=True)
    assert text.count('value="reporting-quarter:') == 4
    chosen = month.reporter.get("/ui/dashboard?period=reporting-quarter:2026-Q4")
    assert chosen.status_code == 200
    assert "Kỳ báo cáo quý 4 năm 2026 (15/09/2026 - 14/12/2026)" in chosen.get_data(as_text=True)


def test_a_number_of_the_dashboard_leads_to_its_dossiers_in_chromium(page, month):
    if expect is None:
        pytest.skip("The playwright package is not installed.")
    log_in(page, "reporter")
    page.get_by_role("link", name="Báo cáo").click()  # the menu leads to the dashboard
    page.locator("#dash-period").select_option(NOVEMBER)
    page.get_by_role("button", name="Xem").click()
    expect(page.get_by_test_id("count-counted")).to_have_text("3")
    expect(page.get_by_test_id("rate-on_time_rate")).to_have_text("66.7 %")
    expect(page.get_by_test_id("numerator-on_time_rate")).to_have_text("2")
    expect(page.locator("body")).to_have_attribute("data-charts", "drawn")  # chart.js drew the trends
    screenshot(page, "dashboard.png")
    page.get_by_test_id("numerator-on_time_rate").click()
    expect(page.get_by_test_id("drill-filters")).to_be_visible()
    rows = page.get_by_test_id("dossiers").locator("tbody tr")
    expect(rows).to_have_count(2)
    codes = sorted(rows.nth(i).get_attribute("data-dossier") for i in range(2))
    assert codes == ["DASH-EARLY", "DASH-PAUSED"]
    page.go_back()
    page.get_by_test_id("count-late_total").click()
    expect(page.get_by_test_id("dossiers").locator("tbody tr")).to_have_count(1)
    expect(page.locator("tr[data-dossier='DASH-LATE']")).to_be_visible()
