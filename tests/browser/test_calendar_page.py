"""The working calendar every officer can read (/ui/calendar): which days of a month count, and
why a day is or is not worked (the announced 2026 schedule with its source, weekends, the
administrator's changes)."""

from __future__ import annotations

import re

from tests.browser.conftest import log_in as browser_log_in
from tests.browser.test_pages_server import log_in


def _text(response) -> str:
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


def _why(response) -> str:
    """The page's answer to "why is this day worked or not", as text."""
    paragraph = re.search(r'<p data-testid="why">(.*?)</p>', response.get_data(as_text=True), re.S).group(1)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", paragraph)).strip()


def test_an_officer_sees_the_announced_new_year_swap_and_why(office, client):
    log_in(client, "head")
    page = client.get("/ui/calendar?month=2026-01")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    # 1 to 4/1 off (2/1 swapped), Saturday 10/1 worked in its place.
    assert re.search(r'class="off[^"]*" data-day="2026-01-02"', html)
    assert re.search(r'class="working[^"]*" data-day="2026-01-10"', html)
    assert re.search(r'class="working[^"]*" data-day="2026-01-05"', html)
    assert re.search(r'class="off[^"]*" data-day="2026-01-11"', html)
    # January 2026: 22 weekdays, minus 1/1 and 2/1, plus Saturday 10/1.
    assert "Tháng này có 21 ngày làm việc." in _text(page)
    answer = client.get("/ui/calendar?day=2026-01-10")
    assert _why(answer).startswith("10/01/2026: ngày làm việc — theo lịch nghỉ đã công bố")
    assert "12729/VPCP-KGVX" in _why(answer)
    assert "Lịch làm việc tháng 01/2026" in _text(answer)  # the day's month is shown


def test_days_the_package_only_suggests_are_marked_provisional(office, client):
    log_in(client, "clerk")
    answer = client.get("/ui/calendar?month=2030-09&day=2030-09-02")
    assert "chưa có lịch nghỉ công bố" in _text(answer)
    assert _why(answer).startswith(
        "02/09/2030: ngày nghỉ — gói holidays gợi ý, chưa có lịch công bố (tạm tính)"
    )


def test_an_administrators_change_shows_its_reason(office, client):
    office.admin.post(
        "/api/v1/calendar/overrides", json={"day": "2026-12-24", "kind": "off", "note": "QĐ 99/QĐ-UBND"}
    )
    log_in(client, "other_clerk")
    answer = client.get("/ui/calendar?day=2026-12-24")
    assert (
        _why(answer) == "24/12/2026: ngày nghỉ — quản trị viên đã điều chỉnh ngày này. Căn cứ: QĐ 99/QĐ-UBND"
    )


def test_the_calendar_needs_a_session_and_bad_input_falls_back(office, client):
    assert client.get("/ui/calendar").status_code == 302
    log_in(client, "clerk")
    assert client.get("/ui/calendar?month=abc&day=2026-13-01").status_code == 200


def test_the_month_grid_in_chromium(page, site):
    browser_log_in(page, "head")
    page.goto(f"{site}/ui/calendar?month=2026-02")
    page.get_by_role("link", name="Lịch làm việc").first.wait_for()
    assert page.locator('td.off[data-day="2026-02-16"]').count() == 1  # Tết
    page.locator('td[data-day="2026-02-16"] a').click()
    assert "16/02/2026: ngày nghỉ" in page.get_by_test_id("why").inner_text()
