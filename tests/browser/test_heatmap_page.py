"""The heatmap page in Chromium, as a plain officer of the receiving unit: the procedure's diagram
drawn by bpmn-js, each element dossiers passed coloured by its share late with a badge counting
them (the numbers on hover), the procedure and period pickers."""

from __future__ import annotations

from tests.browser.conftest import log_in, screenshot
from tests.reports.test_heatmap import make_steps


def test_an_officer_sees_the_heatmap_of_a_procedure_for_a_period(office, page):
    make_steps(office)
    log_in(page, "clerk")
    page.get_by_role("link", name="Báo cáo").click()  # the late list (or the dashboard) links to it
    page.get_by_role("link", name="Bản đồ nhiệt quy trình").click()
    page.wait_for_url("**/ui/bao-cao/ban-do-nhiet")
    page.get_by_label("Thủ tục", exact=True).select_option("AG-LLTP-01")
    page.get_by_label("Kỳ", exact=True).fill("month:2026-11")
    page.get_by_role("button", name="Xem").click()
    page.wait_for_url("**period=month%3A2026-11**")
    diagram = page.get_by_test_id("heatmap")
    page.wait_for_selector('[data-testid="heatmap"][data-state="ready"]')
    assert page.get_by_test_id("heatmap-status").inner_text() == "2 bước có hồ sơ trong kỳ."

    appraise = diagram.locator('.heat-badge[data-element="appraise"]')
    assert appraise.inner_text() == "5"
    assert "heat-1" in appraise.get_attribute("class")  # 1 late round of 6: under 20 %
    title = appraise.get_attribute("title")
    assert title == "Thẩm định hồ sơ: 5 hồ sơ, trung vị 2.5 ngày, phân vị 90 7 ngày, quá hạn 17%"
    assert "heat-0" in diagram.locator('.heat-badge[data-element="assign"]').get_attribute("class")
    assert diagram.locator('g.djs-element.heat-1[data-element-id="appraise"]').count() == 1
    appraise.hover()
    screenshot(page, "heatmap.png")

    row = page.get_by_test_id("heatmap-table").locator('tr[data-element="appraise"]')
    assert row.locator("td").all_inner_texts() == ["5", "6", "2.50", "7.00", "17%"]

    page.get_by_label("Kỳ", exact=True).fill("month:2026-13")
    page.get_by_role("button", name="Xem").click()
    assert "is not a month" in page.get_by_test_id("heatmap-error").inner_text()
