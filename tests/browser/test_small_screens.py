"""The pages at a phone's width (390 px) and a counter's screen (1366 px), in Chromium: no page
scrolls sideways, the header keeps to one band, the dossier table becomes readable rows, the
designer's palette leaves the diagram's labels free, the dossier's diagram can be enlarged."""

import pytest

from tests.browser.conftest import IN_CI, PASSWORD, log_in, screenshot

try:
    from playwright.sync_api import expect
except ImportError:
    if IN_CI:
        raise
    pytest.skip("The playwright package is not installed.", allow_module_level=True)

WIDTHS = (390, 1366)
# The header's height at most: one band at 1366 px (and on a 10-inch tablet at 1024 px); at 390 px
# the brand and a row of links.
HEADER_MAX = {390: 150, 1024: 80, 1366: 80}


@pytest.fixture
def designer(office, make_user):
    return make_user("designer", groups=["designers"], password=PASSWORD)


def sized(browser, site, width):
    context = browser.new_context(
        base_url=site,
        locale="vi-VN",
        timezone_id="Asia/Ho_Chi_Minh",
        viewport={"width": width, "height": 844},
    )
    context.set_default_timeout(10_000)
    return context


def layout(page) -> dict:
    return page.evaluate(
        """() => ({
            scroll: document.documentElement.scrollWidth,
            inner: window.innerWidth,
            header: document.querySelector('.site-header').getBoundingClientRect().height,
        })"""
    )


def overflowing(page) -> list:
    """The elements that stick out of the window on the right (to name them when a check fails)."""
    return page.evaluate(
        """() => [...document.querySelectorAll('body *')]
            .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1 && e.offsetParent !== null)
            .slice(0, 8)
            .map(e => `${e.tagName}.${e.className}#${e.id} ${Math.round(e.getBoundingClientRect().right)}`)"""
    )


@pytest.mark.parametrize("width", (*WIDTHS, 1024))
def test_no_page_of_the_day_scrolls_sideways_and_the_header_stays_one_band(browser, site, office, width):
    context = sized(browser, site, width)
    page = context.new_page()
    log_in(page, "clerk")
    task = office.clerk.get(f"/api/v1/tasks?process_instance_id={office.dossier['process_instance_id']}")
    urls = [
        "/ui/",
        "/ui/?tab=group",
        "/ui/dossiers",
        f"/ui/dossiers/{office.dossier['id']}",
        "/ui/reception",
        f"/ui/tasks/{task.json['items'][0]['id']}",
        "/ui/account",
    ]
    for url in urls:
        page.goto(url)
        facts = layout(page)
        assert facts["scroll"] <= facts["inner"], (url, width, facts, overflowing(page))
        assert facts["header"] <= HEADER_MAX[width], (url, width, facts)
    if width == 390:
        page.goto("/ui/dossiers")
        screenshot(page, "dossiers-390.png")
        page.goto("/ui/?tab=group")
        screenshot(page, "worklist-390.png")
    context.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_the_admin_pages_fit_and_their_header_does_not_wrap(browser, site, office, width):
    context = sized(browser, site, width)
    page = context.new_page()
    log_in(page, "admin", "password-1")
    for url in ("/ui/admin", "/ui/admin/users", "/ui/admin/instances", "/ui/admin/units"):
        page.goto(url)
        facts = layout(page)
        assert facts["scroll"] <= facts["inner"], (url, width, facts, overflowing(page))
        assert facts["header"] <= HEADER_MAX[width], (url, width, facts)
        # The administration's own menu is one row (scrolled sideways inside itself on a phone).
        links = page.locator(".admin-nav a")
        tops = {round(links.nth(i).bounding_box()["y"]) for i in range(links.count())}
        assert len(tops) == 1, (url, width, tops)
    context.close()


def test_at_390_px_the_dossier_table_is_a_list_of_readable_rows(browser, site, office):
    context = sized(browser, site, 390)
    page = context.new_page()
    log_in(page, "clerk")
    page.goto("/ui/dossiers")
    row = page.locator("[data-testid=dossiers] tbody tr").first
    box = row.bounding_box()
    cells = row.locator("td, th")
    # Each cell is a line of the card, as wide as the row, its heading shown beside it.
    for index in range(cells.count()):
        cell = cells.nth(index).bounding_box()
        assert cell["width"] >= box["width"] * 0.85, (index, cell, box)
    applicant = row.locator("td[data-label='Người nộp']")
    expect(applicant).to_contain_text("Nguyễn Thị Ánh")
    label = applicant.evaluate("e => getComputedStyle(e, '::before').content")
    assert "Người nộp" in label
    assert applicant.bounding_box()["height"] < 60  # a line, not one word per line
    context.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_the_dossiers_diagram_is_readable_and_can_fill_the_screen(browser, site, office, width):
    context = sized(browser, site, width)
    page = context.new_page()
    log_in(page, "clerk")
    page.goto(f"/ui/dossiers/{office.dossier['id']}")
    diagram = page.locator(".diagram")
    expect(diagram.locator(".djs-container")).to_be_visible()
    page.get_by_role("button", name="Xem toàn màn hình").click()
    box = diagram.bounding_box()
    assert box["width"] >= width - 60 and box["height"] >= 600, box
    # The zoom buttons change the scale.
    before = page.evaluate("() => document.querySelector('.diagram .viewport').getAttribute('transform')")
    page.get_by_role("button", name="Phóng to", exact=True).click()
    after = page.evaluate("() => document.querySelector('.diagram .viewport').getAttribute('transform')")
    assert before != after
    page.keyboard.press("Escape")
    assert diagram.bounding_box()["height"] < box["height"]
    context.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_the_designers_palette_leaves_the_lane_and_start_labels_free(browser, site, office, designer, width):
    context = sized(browser, site, width)
    page = context.new_page()
    log_in(page, "designer")
    page.goto("/ui/designer/simple_approval")
    expect(page.locator(".djs-palette")).to_be_visible()
    page.wait_for_function("() => document.querySelector('.designer-canvas .djs-element[data-element-id]')")
    palette = page.locator(".djs-palette").bounding_box()
    # The pool's and lanes' names are written at their left edge; the start event is the leftmost shape.
    for selector in (
        "g.djs-shape[data-element-id^='Participant'] text",
        "g.djs-shape[data-element-id^='Lane'] text",
        "g.djs-shape[data-element-id='start']",
    ):
        shapes = page.locator(selector).all()
        assert shapes, selector
        for shape in shapes:
            box = shape.bounding_box()
            assert box["x"] >= palette["x"] + palette["width"], (selector, box, palette)
    context.close()


# --- the whole day on a phone ---------------------------------------------------------------------


def fits(page, where: str) -> None:
    """Nothing sticks out sideways: the page does not scroll horizontally."""
    page.wait_for_load_state()  # after a click that navigates: the new page with its styles
    facts = layout(page)
    assert facts["scroll"] <= facts["inner"], (where, facts, overflowing(page))


def usable(page, control, where: str) -> None:
    """A key control is on the screen's width, visible, and takes a click (Playwright waits until
    it is visible, stable, enabled and not covered by another element, or fails)."""
    expect(control).to_be_visible()
    control.scroll_into_view_if_needed()
    box = control.bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= 390 + 1, (where, box)
    control.click(trial=True)


def phone_log_in(page, username):
    page.context.clear_cookies()
    page.goto("/ui/login")
    fits(page, "login")
    usable(page, page.get_by_role("button", name="Đăng nhập"), "login")
    log_in(page, username)
    fits(page, f"worklist of {username}")


def open_task(page, name, tab="group"):
    page.goto(f"/ui/?tab={tab}")
    fits(page, f"worklist ({tab})")
    link = page.get_by_role("link", name=name).first
    usable(page, link, f"worklist: {name}")
    link.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    page.wait_for_selector("#editor [data-schemapath=root]", state="attached")
    fits(page, name)
    claim = page.get_by_role("button", name="Nhận việc")
    if tab == "group":  # a task of "my tasks" is assigned already (the appraisal, by name)
        usable(page, claim, f"{name}: claim")
        claim.click()
    expect(page.get_by_test_id("assignee").locator(".person")).to_be_visible()
    fits(page, f"{name} (claimed)")


def complete(page, name):
    button = page.get_by_role("button", name="Hoàn thành")
    usable(page, button, f"{name}: complete")
    button.click()
    page.wait_for_url("**/ui/")
    expect(page.locator("#messages")).to_contain_text("Đã hoàn thành công việc")
    fits(page, f"after {name}")


@pytest.fixture
def sotp(office, make_officers):
    from tests.browser.conftest import name_officers

    make_officers("specialist", "leader", "records", password=PASSWORD)
    name_officers(office.admin, specialist="Phạm Thị Lan", leader="Võ Thanh Tùng", records="Huỳnh Thị Mai")
    return office


def test_the_whole_day_on_a_phone_fits_the_screen_and_every_key_control_takes_a_click(browser, site, sotp):
    import re

    from tests.support import QR

    office = sotp
    context = sized(browser, site, 390)
    page = context.new_page()

    # The clerk receives the dossier at the counter, checks it and accepts it on the same screen.
    phone_log_in(page, "clerk")
    nav = page.get_by_role("navigation", name="Điều hướng chính")
    usable(page, nav.get_by_role("link", name="Tiếp nhận"), "navigation")
    nav.get_by_role("link", name="Tiếp nhận").click()
    page.wait_for_url("**/ui/reception")
    fits(page, "reception")
    page.get_by_label("Tìm thủ tục (mã hoặc tên)").fill("ly lich tu phap")
    expect(page.get_by_label("Thủ tục hành chính", exact=True)).to_have_value("AG-LLTP-01")
    qr = page.get_by_label("Mã QR trên CCCD")
    usable(page, qr, "reception: QR")
    qr.press_sequentially(QR)
    qr.press("Enter")
    expect(page.get_by_label("Họ và tên")).to_have_value("Nguyễn Thị Ánh")
    page.get_by_label("Số điện thoại").fill("0912345678")
    for component in ("^Tờ khai yêu cầu cấp Phiếu lý lịch tư pháp", "^Bản chụp giấy tờ tùy thân"):
        box = page.get_by_label(re.compile(component))
        usable(page, box, f"reception: {component}")
        box.check()
    accept = page.get_by_role("radiogroup", name="Kết quả kiểm tra").get_by_role(
        "radio", name=re.compile("^Đầy đủ")
    )
    usable(page, accept, "reception: accept")
    accept.check()
    fits(page, "reception (filled)")
    submit = page.get_by_role("button", name="Ghi nhận hồ sơ")
    usable(page, submit, "reception: submit")
    submit.click()
    expect(page.get_by_test_id("received-code")).to_be_visible()
    code = page.get_by_test_id("received-code").text_content().strip()
    fits(page, "reception (received)")
    usable(page, page.get_by_test_id("print-mau-01"), "reception: print Mẫu 01")
    screenshot(page, "reception-390.png")

    # The digitisation, from the counter's panel.
    page.get_by_test_id("next-step").filter(has_text="Số hóa hồ sơ").click()
    page.wait_for_selector("#editor [data-schemapath=root]", state="attached")
    fits(page, "digitise")
    page.get_by_role("button", name="Nhận việc").click()
    expect(page.get_by_test_id("assignee").locator(".person")).to_be_visible()
    box = page.get_by_label("Đã số hóa toàn bộ thành phần hồ sơ")
    usable(page, box, "digitise: all digitised")
    box.check()
    usable(page, page.get_by_role("button", name="Hoàn thành"), "digitise: complete")
    page.get_by_role("button", name="Hoàn thành").click()
    page.wait_for_url(re.compile(r".*/ui/reception\?received="))
    fits(page, "back at the counter")

    # The head assigns a specialist from the unit's list.
    phone_log_in(page, "head")
    open_task(page, "Phân công chuyên viên xử lý")
    picker = page.get_by_label("Chuyên viên được phân công")
    usable(page, picker, "assign: picker")
    picker.select_option("specialist")
    complete(page, "Phân công chuyên viên xử lý")

    # The specialist proposes approval.
    phone_log_in(page, "specialist")
    open_task(page, "Thẩm định hồ sơ", tab="mine")
    propose = page.get_by_role("radiogroup", name="Đề xuất").get_by_role(
        "radio", name="Đủ điều kiện: trình phê duyệt"
    )
    usable(page, propose, "appraise: propose")
    propose.check()
    opinion = page.get_by_label("Ý kiến thẩm định")
    usable(page, opinion, "appraise: opinion")
    opinion.fill("Hồ sơ đủ điều kiện cấp Phiếu lý lịch tư pháp.")
    fits(page, "appraise (filled)")
    complete(page, "Thẩm định hồ sơ")

    # The leader approves on the phone, reading what the specialist proposed.
    phone_log_in(page, "leader")
    open_task(page, "Phê duyệt kết quả giải quyết")
    decisions = page.get_by_test_id("decisions")
    expect(decisions).to_contain_text("Đủ điều kiện: trình phê duyệt")
    assert decisions.bounding_box()["width"] <= 390
    approve = page.get_by_role("radiogroup", name="Quyết định").get_by_role(
        "radio", name="Phê duyệt, ký kết quả"
    )
    usable(page, approve, "approve: decision")
    approve.check()
    screenshot(page, "approve-390.png")
    complete(page, "Phê duyệt kết quả giải quyết")

    # Records issue the result.
    phone_log_in(page, "records")
    open_task(page, "Vào số, phát hành kết quả")
    number = page.get_by_label("Số, ký hiệu văn bản kết quả")
    usable(page, number, "issue: number")
    number.fill("125/PLLTP")
    page.get_by_label("Ngày ban hành").fill("2026-11-26")
    usable(page, page.locator("#attachment-file"), "issue: upload")
    fits(page, "issue (filled)")
    complete(page, "Vào số, phát hành kết quả")

    # The clerk returns the result.
    phone_log_in(page, "clerk")
    open_task(page, "Trả kết quả cho công dân")
    method = page.get_by_role("radiogroup", name="Hình thức trả kết quả").get_by_role(
        "radio", name="Trực tiếp tại Bộ phận Một cửa"
    )
    usable(page, method, "return: method")
    method.check()
    complete(page, "Trả kết quả cho công dân")

    # The dossier's page, returned.
    page.goto(f"/ui/dossiers/{code}")
    expect(page.get_by_text("Đã trả kết quả").first).to_be_visible()
    fits(page, "dossier (returned)")
    usable(page, page.get_by_role("button", name="Xem toàn màn hình"), "dossier: enlarge the diagram")
    dossier = office.admin.get(f"/api/v1/dossiers/{code}").json
    assert dossier["status"] == 10
    context.close()
