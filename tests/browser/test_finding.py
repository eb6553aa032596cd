"""Finding one's way through the day: the dossier list's search (accents optional) and the rows not
numbered yet told apart, saved filters per user on the dossier list and the worklist, the worklist
sorted by due date, and the keyboard path (the next task opens after completing one)."""

import re

import pytest

from tests.browser.conftest import IN_CI, log_in
from tests.browser.test_pages_server import csrf_token
from tests.browser.test_pages_server import log_in as session_in
from tests.factories import receive_dossier

try:
    from playwright.sync_api import expect
except ImportError:  # the server-side tests below still run
    expect = None


def text(response) -> str:
    return response.get_data(as_text=True)


def test_the_dossier_list_finds_a_dossier_by_name_without_accents_and_tells_uncoded_rows_apart(
    office, client
):
    receive_dossier(office.clerk, applicant={"name": "Trần Văn Bình", "phone": "0987654321"})
    assert session_in(client).status_code == 302

    page = text(client.get("/ui/dossiers", query_string={"q": "nguyen thi anh"}))

    assert page.count('data-testid="uncoded"') == 1
    assert "Nguyễn Thị Ánh" in page and "Trần Văn Bình" not in page
    assert re.search(
        r'aria-label="Hồ sơ chưa cấp mã của Nguyễn Thị Ánh, AG-LLTP-01, nộp lúc \d\d/\d\d/\d{4}', page
    )
    assert re.search(r"nộp lúc \d\d/\d\d/\d{4} \d\d:\d\d", page)
    by_phone = text(client.get("/ui/dossiers", query_string={"q": "0987 654 321"}))
    assert "Trần Văn Bình" in by_phone and "Nguyễn Thị Ánh" not in by_phone
    none = text(client.get("/ui/dossiers", query_string={"q": "khong co ai"}))
    assert "Không tìm thấy hồ sơ nào khớp với «khong co ai»." in none


def test_a_user_saves_applies_and_deletes_a_filter_of_the_dossier_list(office, client):
    assert session_in(client).status_code == 302
    token = csrf_token(client, "/ui/dossiers")

    saved = client.post(
        "/ui/filters/dossiers",
        data={"csrf_token": token, "name": "Chờ tiếp nhận", "query": "status=1&q=nguyen"},
    )

    assert saved.status_code == 302 and saved.headers["Location"] == "/ui/dossiers?status=1&q=nguyen"
    page = text(client.get("/ui/dossiers"))
    assert "Đã lưu bộ lọc «Chờ tiếp nhận»." in page
    assert re.search(
        r'<a href="/ui/dossiers\?status=1&amp;q=nguyen" data-testid="saved-filter">Chờ tiếp nhận</a>', page
    )
    # Another user does not see it; the worklist keeps its own.
    assert 'data-testid="saved-filter"' not in text(client.get("/ui/"))
    other = office.app.test_client()
    assert session_in(other, "other_clerk").status_code == 302
    assert "Chờ tiếp nhận" not in text(other.get("/ui/dossiers"))

    deleted = client.post("/ui/filters/dossiers/delete", data={"csrf_token": token, "name": "Chờ tiếp nhận"})
    assert deleted.status_code == 302
    assert 'data-testid="saved-filter"' not in text(client.get("/ui/dossiers"))


def test_saving_a_filter_needs_a_name_its_csrf_token_and_a_known_page(office, client):
    assert session_in(client).status_code == 302
    token = csrf_token(client, "/ui/")
    nameless = client.post(
        "/ui/filters/worklist", data={"csrf_token": token, "name": "", "query": "tab=group"}
    )
    assert nameless.status_code == 302
    assert "Vui lòng đặt tên cho bộ lọc" in text(client.get(nameless.headers["Location"]))
    assert client.post("/ui/filters/worklist", data={"name": "x", "query": ""}).status_code == 400
    assert client.post("/ui/filters/other", data={"csrf_token": token, "name": "x"}).status_code == 404


def test_the_worklist_sorts_by_due_date_both_ways(office, client):
    assert session_in(client).status_code == 302
    rows = re.compile(r'data-task-id="([^"]+)"')
    late, early = (letter["id"] for letter in office.letters)
    instance_of = {
        t["id"]: t["process_instance_id"]
        for t in office.clerk.get("/api/v1/tasks?candidate_group=reception").json["items"]
    }

    soonest = [instance_of[i] for i in rows.findall(text(client.get("/ui/?tab=group")))]
    latest = [instance_of[i] for i in rows.findall(text(client.get("/ui/?tab=group&sort=due_desc")))]

    # The letter registered yesterday is late, the dossier due soon, the other letter early.
    assert soonest == [late, office.dossier["process_instance_id"], early]
    assert latest == [early, office.dossier["process_instance_id"], late]
    assert 'aria-sort="descending"' in text(client.get("/ui/?tab=group&sort=due_desc"))
    api = office.clerk.get("/api/v1/tasks?order=due_desc&candidate_group=reception").json["items"]
    assert [t["process_instance_id"] for t in api] == latest


def test_after_completing_a_task_the_next_one_of_the_day_opens(office, client):
    assert session_in(client).status_code == 302
    ordered = office.clerk.get("/api/v1/tasks?order=due&candidate_group=reception").json["items"]
    first, second = ordered[0]["id"], ordered[1]["id"]
    office.clerk.post(f"/api/v1/tasks/{first}/claim")
    assert office.clerk.complete(first, {"title": "Công văn số 1", "sender": "Sở Nội vụ"}).status_code == 200

    done = client.get(f"/ui/tasks/{first}/done", query_string={"then": "next"})

    assert done.status_code == 302 and done.headers["Location"] == f"/ui/tasks/{second}"


@pytest.mark.skipif(expect is None and not IN_CI, reason="The playwright package is not installed.")
def test_the_keyboard_path_moves_through_the_worklist_and_finds_a_dossier(page, office):
    log_in(page, "clerk")
    page.goto("/ui/?tab=group")
    page.keyboard.press("j")
    expect(page.locator("[data-row-link]").first).to_be_focused()
    page.keyboard.press("j")
    expect(page.locator("[data-row-link]").nth(1)).to_be_focused()
    page.keyboard.press("k")
    expect(page.locator("[data-row-link]").first).to_be_focused()
    page.keyboard.press("/")  # no search box here: the dossier list's
    page.wait_for_url("**/ui/dossiers#q")
    expect(page.get_by_label("Tìm hồ sơ")).to_be_focused()
    page.keyboard.type("nguyen thi anh")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("uncoded")).to_have_count(1)


@pytest.mark.skipif(expect is None and not IN_CI, reason="The playwright package is not installed.")
def test_ctrl_enter_completes_the_task_and_opens_the_next_one(page, office):
    log_in(page, "clerk")
    page.goto("/ui/?tab=group")
    page.keyboard.press("n")  # the first task: the late letter
    expect(page.get_by_role("heading", level=1)).to_have_text("Tiếp nhận văn bản")
    page.get_by_label("Trích yếu").fill("Công văn số 1")
    page.get_by_label("Cơ quan gửi").fill("Sở Nội vụ")
    page.get_by_label("Cơ quan gửi").press("Control+Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Kiểm tra tính đầy đủ và thẩm quyền")
    expect(page.locator("#messages")).to_contain_text("Đã hoàn thành công việc «Tiếp nhận văn bản».")
    expect(page.locator("#messages")).to_contain_text("Việc tiếp theo")
