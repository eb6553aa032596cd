"""The web pages through Flask's test client: sessions, CSRF, the login throttle, the served files,
the worklist's filters; no browser needed."""

import re
import uuid

from tests.browser.conftest import PASSWORD, unavailable

CSRF = re.compile(r'<meta name="csrf-token" content="([^"]+)">')


def csrf_token(client, url="/ui/login") -> str:
    return CSRF.search(client.get(url).get_data(as_text=True)).group(1)


def log_in(client, username="clerk", password=PASSWORD):
    return client.post(
        "/ui/login", data={"csrf_token": csrf_token(client), "username": username, "password": password}
    )


def test_pages_redirect_to_the_login_while_the_api_still_answers_401(ui_app, client):
    response = client.get("/ui/?tab=group")
    assert response.status_code == 302
    assert response.headers["Location"] == "/ui/login?next=/ui/?tab%3Dgroup"
    api = client.get("/api/v1/tasks")
    assert api.status_code == 401 and api.json["error"]["code"] == "unauthorized"
    login = client.get("/ui/login")
    assert login.status_code == 200
    assert "default-src 'self'" in login.headers["Content-Security-Policy"]
    assert login.headers["Cache-Control"] == "no-store"


def test_login_starts_a_session_the_api_accepts_and_only_goes_to_our_own_pages(office, client):
    response = client.post(
        "/ui/login?next=https://evil.example/ui/",
        data={"csrf_token": csrf_token(client), "username": "clerk", "password": PASSWORD},
    )
    assert response.status_code == 302 and response.headers["Location"] == "/ui/"
    assert client.get("/api/v1/auth/me").json["username"] == "clerk"
    assert client.get("/ui/login?next=//evil.example/x").headers["Location"] == "/ui/"
    assert client.get("/ui/login?next=/ui/../api/v1/x").headers["Location"] == "/ui/"
    assert client.get("/ui/login?next=/ui/tasks/x").headers["Location"] == "/ui/tasks/x"


def test_the_login_form_needs_its_csrf_token(office, client):
    response = client.post("/ui/login", data={"username": "clerk", "password": PASSWORD})
    assert response.status_code == 400
    assert "Phiên làm việc đã hết hạn" in response.get_data(as_text=True)
    assert client.get("/api/v1/auth/me").status_code == 401


def test_repeated_failures_are_refused_for_ten_minutes_per_username_and_address(office, client):
    from service.identity.throttle import EXTENSION, LoginThrottle

    now = [1000.0]
    office.app.extensions[EXTENSION] = LoginThrottle(clock=lambda: now[0])
    for attempt in range(4):
        response = log_in(client, password="sai-mat-khau")
        assert response.status_code == 200, attempt
        assert "Tên đăng nhập hoặc mật khẩu không đúng." in response.get_data(as_text=True)
    fifth = log_in(client, password="sai-mat-khau")
    assert fifth.status_code == 429 and fifth.headers["Retry-After"] == "600"
    assert "Vui lòng thử lại sau 10 phút." in fifth.get_data(as_text=True)
    now[0] += 60
    refused = log_in(client)  # the right password changes nothing while blocked
    assert refused.status_code == 429 and "sau 9 phút" in refused.get_data(as_text=True)
    assert log_in(client, "CLERK ", PASSWORD).status_code == 429  # the same username, spelt otherwise
    assert log_in(client, "other_clerk").status_code == 302  # another username from this address
    client.post("/ui/logout", data={"csrf_token": csrf_token(client, "/ui/")})
    now[0] += 541
    assert log_in(client).status_code == 302


def test_the_throttle_forgets_old_failures_and_stays_bounded():
    from service.identity.throttle import LoginThrottle

    now = [0.0]
    guard = LoginThrottle(clock=lambda: now[0], max_keys=3)
    key = guard.key("clerk", "10.0.0.1")
    for _ in range(4):
        assert guard.failure(key) == 0
    now[0] += 601  # the four failures fall out of the window
    assert guard.failure(key) == 0 and guard.blocked_for(key) == 0
    for name in ("a", "b", "c", "d"):
        guard.failure(guard.key(name, "10.0.0.2"))
    assert len(guard._entries) == 3
    guard.success(key)
    assert guard.blocked_for(key) == 0


def test_logout_needs_the_csrf_token_and_ends_the_session(office, client):
    assert log_in(client).status_code == 302
    refused = client.post("/ui/logout")
    assert refused.status_code == 400 and "<html" in refused.get_data(as_text=True)
    assert client.get("/api/v1/auth/me").status_code == 200
    done = client.post("/ui/logout", data={"csrf_token": csrf_token(client, "/ui/")})
    assert done.status_code == 302 and done.headers["Location"] == "/ui/login"
    assert client.get("/api/v1/auth/me").status_code == 401


def test_only_the_listed_files_of_the_npm_packages_are_served(ui_app, client):
    from service.ui import vendor

    if vendor.version("json-editor") is None:
        unavailable("The browser assets (service/assets/node_modules) are not installed: run `make setup`")
    response = client.get("/ui/vendor/json-editor/dist/jsoneditor.js?v=" + vendor.version("json-editor"))
    assert response.status_code == 200 and "javascript" in response.content_type
    assert b"JSONEditor" in response.get_data()
    response.close()
    for path in (
        "/ui/vendor/json-editor/package.json",
        "/ui/vendor/json-editor/dist/nonmin/jsoneditor.js",
        "/ui/vendor/json-editor/../swagger-ui-dist/index.js",
        "/ui/vendor/json-editor/dist/%2e%2e/%2e%2e/%2e%2e/%2e%2e/package.json",
        "/ui/vendor/swagger-ui-dist/index.js",
        "/ui/vendor/core-js/index.js",
    ):
        assert client.get(path).status_code == 404, path


def test_worklist_filters_and_pages(office, client, monkeypatch):
    from service.ui import worklist

    log_in(client)

    def rows(query):
        html = client.get("/ui/?" + query).get_data(as_text=True)
        return re.findall(r'data-task-id="([^"]+)"', html), html

    assert len(rows("tab=group")[0]) == 3
    assert len(rows("tab=group&due=late")[0]) == 1
    assert len(rows("tab=group&due=due_soon")[0]) == 1
    assert len(rows("tab=group&due=none")[0]) == 0
    assert len(rows("tab=group&source=process:simple_approval")[0]) == 2
    found, html = rows("tab=group&source=procedure:AG-LLTP-01")
    assert len(found) == 1 and "Nguyễn Thị Ánh" in html
    assert '<option value="procedure:AG-LLTP-01" selected>' in html
    assert len(rows("tab=group&due=bogus&source=bogus&page=x")[0]) == 3  # bad filters are ignored
    monkeypatch.setattr(worklist, "PER_PAGE", 2)
    first, html = rows("tab=group")
    assert len(first) == 2 and "Trang 1 / 2" in html
    second, html = rows("tab=group&page=2")
    assert len(second) == 1 and "Trang 2 / 2" in html and not set(first) & set(second)
    assert rows("tab=group&page=99")[0] == second  # past the end: the last page


def test_a_task_page_is_refused_to_who_may_not_act_on_it(office, client):
    task_id = office.clerk.get("/api/v1/tasks?candidate_group=reception").json["items"][0]["id"]
    log_in(client, "head")
    refused = client.get(f"/ui/tasks/{task_id}")
    assert refused.status_code == 403
    assert "Bạn không có quyền xem trang này." in refused.get_data(as_text=True)
    missing = client.get(f"/ui/tasks/{uuid.uuid4()}")
    assert missing.status_code == 404 and "Không tìm thấy" in missing.get_data(as_text=True)


def test_a_clerk_of_another_unit_neither_lists_nor_opens_the_dossiers_reception_task(
    office, make_user, client
):
    assert log_in(client, "other_clerk").status_code == 302  # same unit (TTPVHCC) as the receiver
    assert "Kiểm tra tính đầy đủ" in client.get("/ui/?tab=group").get_data(as_text=True)
    client.post("/ui/logout", data={"csrf_token": csrf_token(client, "/ui/")})
    make_user("xa_clerk", groups=["reception"], unit="UBND-XA", password=PASSWORD)
    assert log_in(client, "xa_clerk").status_code == 302
    group_tab = client.get("/ui/?tab=group").get_data(as_text=True)
    assert "VB-2025-001" in group_tab  # letters are not scoped to a unit
    assert office.dossier["id"] not in group_tab and "Kiểm tra tính đầy đủ" not in group_tab
    task_id = office.clerk.get(
        f"/api/v1/tasks?process_instance_id={office.dossier['process_instance_id']}"
    ).json["items"][0]["id"]
    page = client.get(f"/ui/tasks/{task_id}")
    assert page.status_code == 403
    assert "Bạn không có quyền" in page.get_data(as_text=True)


def test_after_completing_a_task_the_page_returns_only_to_our_own_pages(office, client):
    assert log_in(client).status_code == 302
    task_id = office.clerk.get("/api/v1/tasks?candidate_group=reception").json["items"][0]["id"]
    page = client.get(f"/ui/tasks/{task_id}?next=/ui/reception/X-1").get_data(as_text=True)
    assert f"/ui/tasks/{task_id}/done?next=/ui/reception/X-1" in page
    done = client.get(f"/ui/tasks/{task_id}/done?next=/ui/reception/X-1")
    assert done.headers["Location"] == "/ui/reception/X-1"
    for evil in ("https://evil.example/ui/", "//evil.example/ui/", "/api/v1/tasks"):
        assert (
            client.get(f"/ui/tasks/{task_id}/done", query_string={"next": evil}).headers["Location"] == "/ui/"
        )
        page = client.get(f"/ui/tasks/{task_id}", query_string={"next": evil}).get_data(as_text=True)
        assert "/done?next" not in page  # the done link drops it


def test_the_navigation_marks_the_section_of_the_page_shown(office, client):
    assert log_in(client).status_code == 302
    current = re.compile(r'<a href="([^"]+)" aria-current="page">')
    assert current.findall(client.get("/ui/").get_data(as_text=True)) == ["/ui/"]
    dossier_page = client.get(f"/ui/dossiers/{office.dossier['id']}").get_data(as_text=True)
    assert current.findall(dossier_page) == ["/ui/dossiers"]
    task_id = office.clerk.get("/api/v1/tasks?candidate_group=reception").json["items"][0]["id"]
    assert current.findall(client.get(f"/ui/tasks/{task_id}").get_data(as_text=True)) == ["/ui/"]
    assert current.findall(client.get("/ui/reception").get_data(as_text=True)) == ["/ui/reception"]


def test_the_task_page_names_groups_by_their_description_and_links_the_dossier(office, client):
    from service.extensions import db
    from service.identity.operations import get_or_create_group

    with office.app.app_context():
        get_or_create_group("reception").description = "Bộ phận Một cửa"
        db.session.commit()
    assert log_in(client).status_code == 302
    task_id = office.clerk.get(
        f"/api/v1/tasks?process_instance_id={office.dossier['process_instance_id']}"
    ).json["items"][0]["id"]
    page = client.get(f"/ui/tasks/{task_id}").get_data(as_text=True)
    assert '<dd data-testid="groups">Bộ phận Một cửa</dd>' in page
    assert f'href="/ui/dossiers/{office.dossier["id"]}" data-testid="dossier-link"' in page
    assert "Chưa có bước nào được xử lý." in page
