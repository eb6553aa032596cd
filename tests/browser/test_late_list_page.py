"""The published late list in Chromium, as a plain officer (no administrator, no reception role):
the month's late dossiers with the units and officers responsible, the month picker, downloads."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from service.jobs import operations as jobs
from service.models_base import utcnow
from tests.browser.conftest import PASSWORD, log_in, screenshot
from tests.reports.test_late_list import ON_THE_LIST, code_of, make_histories


def _publish(office, clock, moment: datetime) -> str:
    with clock.at(moment), office.app.app_context():
        return jobs.late_list_due(utcnow())


def test_every_officer_reads_the_published_late_list_and_downloads_it(office, page, clock, make_user):
    make_histories(office)
    assert _publish(office, clock, datetime(2026, 12, 4, 17, 30, tzinfo=UTC)) == "2026-11"  # 00:30 on 5/12
    assert _publish(office, clock, datetime(2026, 11, 4, 17, 30, tzinfo=UTC)) == "2026-10"
    make_user("appraiser", groups=["specialists"], unit="SO-TP", password=PASSWORD)

    log_in(page, "appraiser")
    page.get_by_role("link", name="Báo cáo").click()  # the unit's dashboard, which links the list
    page.get_by_role("link", name="Danh sách hồ sơ trễ hạn").click()
    page.wait_for_url("**/ui/bao-cao/tre-han")
    assert page.get_by_role("heading", name="Danh sách hồ sơ trễ hạn").is_visible()
    table = page.get_by_test_id("late-list")
    codes = table.locator("tbody tr th").all_inner_texts()
    assert codes == [code_of(name) for name in ON_THE_LIST]
    after = table.locator(f'tr[data-code="{code_of("finished_next_month")}"]')
    assert "27/11/2026 17:00" in after.inner_text()
    assert "Đang xử lý quá hạn" in after.inner_text()  # not finished by the month's end
    responsible = after.get_by_test_id("responsible").inner_text()
    assert "Sở Tư pháp" in responsible and "specialist" in responsible
    assert "đang giữ hồ sơ khi đến hạn" in responsible
    screenshot(page, "late-list.png")

    with page.expect_download() as download:
        page.get_by_test_id("download-csv").click()
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    assert all(code_of(name) in text for name in ON_THE_LIST)
    assert download.value.suggested_filename == "danh-sach-tre-han-month-2026-11.csv"

    page.get_by_label("Tháng", exact=True).select_option("2026-10")
    page.get_by_role("button", name="Xem").click()
    page.wait_for_url("**month=2026-10")
    october = page.get_by_test_id("late-list").locator("tbody tr th").all_inner_texts()
    assert october == [code_of("late_in_october")]

    page.goto("/ui/bao-cao/tre-han?month=2026-11&lang=en")
    assert page.get_by_role("heading", name="Late dossiers").is_visible()
