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
