"""The administration pages: through Flask's test client (permissions, forms, errors) and in
Chromium (instance actions with If-Match, incident retry, users, tokens, calendar)."""

import re
import uuid
from io import BytesIO

import pytest

from tests.browser.conftest import IN_CI, log_in, screenshot
from tests.browser.test_pages_server import csrf_token
from tests.browser.test_pages_server import log_in as client_log_in

try:
    from playwright.sync_api import expect
except ImportError:
    if IN_CI:
        raise  # CI=true: the browser tests must run
    pytest.skip("The playwright package is not installed.", allow_module_level=True)

ADMIN_PASSWORD = "password-1"  # make_user's default, the office's admin
PAGES = (
    "/ui/admin",
    "/ui/admin/instances",
    "/ui/admin/incidents",
    "/ui/admin/users",
    "/ui/admin/users/clerk",
    "/ui/admin/groups",
    "/ui/admin/units",
    "/ui/admin/units/TTPVHCC",
    "/ui/admin/tokens",
    "/ui/admin/webhooks",
    "/ui/admin/webhooks/deliveries",
    "/ui/admin/calendar",
    "/ui/admin/procedures",
    "/ui/admin/procedures/AG-LLTP-01",
)


def _incident(office, instance_id):
    """A service call whose retries ran out, as the workers leave it (no remote system needed)."""
    from service.extensions import db
    from service.jobs.models import FAILED, ServiceCall

    with office.app.app_context():
        task_id = uuid.uuid4()
        call = ServiceCall(
            instance_id=uuid.UUID(instance_id),
            task_id=task_id,
            element_id="sync_dvc",
            operation="dvc/sync",
            idempotency_key=f"{instance_id}:{task_id}",
            state=FAILED,
            attempts=3,
            last_error="503 Service Unavailable: DVC bảo trì",
        )
        db.session.add(call)
        db.session.commit()
        return call.id


# --- through the test client ---------------------------------------------------------------------


def test_every_admin_page_is_refused_to_others_and_shown_to_administrators(office, client):
    client_log_in(client, "clerk")
    assert 'href="/ui/admin"' not in client.get("/ui/").get_data(as_text=True)
    for url in PAGES:
        response = client.get(url)
        assert response.status_code == 403, url
        assert "Bạn không có quyền xem trang này." in response.get_data(as_text=True)
    token = csrf_token(client, "/ui/")
    refused = client.post(
        "/ui/admin/users", data={"csrf_token": token, "username": "x", "password": "long-enough"}
    )
    assert refused.status_code == 403
    client.post("/ui/logout", data={"csrf_token": token})

    client_log_in(client, "admin", ADMIN_PASSWORD)
    for url in PAGES:
        response = client.get(url)
        assert response.status_code == 200, url
        assert 'aria-current="page">Quản trị<' in response.get_data(as_text=True), url
    assert client.get("/ui/admin/users/nobody").status_code == 404
    english = client.get("/ui/admin/instances?lang=en").get_data(as_text=True)
    assert "Process instances" in english and "Suspend" in english


def test_forms_need_their_csrf_token(office, client):
    client_log_in(client, "admin", ADMIN_PASSWORD)
    response = client.post("/ui/admin/groups", data={"name": "leaders"})
    assert response.status_code == 400
    assert "leaders" not in client.get("/ui/admin/groups").get_data(as_text=True)


def test_a_refused_user_form_keeps_what_was_typed_and_explains_each_field(office, client):
    client_log_in(client, "admin", ADMIN_PASSWORD)
    token = csrf_token(client, "/ui/admin/users")
    response = client.post(
        "/ui/admin/users",
        data={
            "csrf_token": token,
            "username": "clerk",
            "display_name": "Lê Văn Nam",
            "password": "long-enough-1",
            "groups": ["reception"],
            "unit": "TTPVHCC",
        },
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Tên đăng nhập này đã được dùng." in html
    assert 'value="Lê Văn Nam"' in html and '<option selected value="TTPVHCC">' in html
    assert '<input checked id="groups-0" name="groups" type="checkbox" value="reception">' in html
    assert 'aria-invalid="true"' in html

    bad = client.post("/ui/admin/users", data={"csrf_token": token, "username": "lê nam", "password": "ngan"})
    html = bad.get_data(as_text=True)
    assert bad.status_code == 422
    assert "Chỉ dùng chữ không dấu" in html and "Mật khẩu phải có từ 8 đến 1024 ký tự." in html
    assert 'value="lê nam"' in html


def test_an_administrator_cannot_lock_themselves_out_from_the_page(office, client):
    client_log_in(client, "admin", ADMIN_PASSWORD)
    token = csrf_token(client, "/ui/admin/users/admin")
    response = client.post("/ui/admin/users/admin", data={"csrf_token": token, "is_admin": "y"})
    assert response.status_code == 422
    assert "Bạn không thể tự khóa tài khoản của mình." in response.get_data(as_text=True)
    assert client.get("/api/v1/auth/me").status_code == 200


def test_a_user_locked_from_the_page_loses_their_session_at_once(office, client, app):
    clerk_client = app.test_client()
    client_log_in(clerk_client, "clerk")
    assert clerk_client.get("/ui/").status_code == 200

    client_log_in(client, "admin", ADMIN_PASSWORD)
    token = csrf_token(client, "/ui/admin/users/clerk")
    saved = client.post(
        "/ui/admin/users/clerk",
        data={
            "csrf_token": token,
            "display_name": "Trần Thị Bình",
            "unit": "TTPVHCC",
            "groups": ["reception"],
        },
    )
    assert saved.status_code == 302
    assert clerk_client.get("/ui/").headers["Location"].startswith("/ui/login")
    assert office.clerk.get("/api/v1/auth/me").status_code == 401


def test_units_check_the_national_code_format(office, client):
    client_log_in(client, "admin", ADMIN_PASSWORD)
    token = csrf_token(client, "/ui/admin/units")
    bad = client.post(
        "/ui/admin/units", data={"csrf_token": token, "code": "SO-TP2", "name": "Sở", "national_code": "H56"}
    )
    assert bad.status_code == 422
    assert "Mã định danh có dạng 000.17.22.H56" in bad.get_data(as_text=True)
    taken = client.post(
        "/ui/admin/units/SO-TP",
        data={"csrf_token": token, "name": "Sở Tư pháp", "national_code": "000.17.22.H56"},
    )
    assert taken.status_code == 422
    assert "Mã định danh này đã được dùng cho đơn vị khác." in taken.get_data(as_text=True)
    saved = client.post(
        "/ui/admin/units/SO-TP",
        data={"csrf_token": token, "name": "Sở Tư pháp", "national_code": "000.10.17.H01"},
    )
    assert saved.status_code == 302
    assert "000.10.17.H01" in client.get("/ui/admin/units").get_data(as_text=True)


def test_a_unit_is_placed_under_another_and_cycles_are_refused(office, client):
    client_log_in(client, "admin", ADMIN_PASSWORD)
    token = csrf_token(client, "/ui/admin/units")
    created = client.post(
        "/ui/admin/units", data={"csrf_token": token, "code": "TINH", "name": "Tỉnh", "parent_code": ""}
    )
    assert created.status_code == 302
    placed = client.post(
        "/ui/admin/units/TTPVHCC", data={"csrf_token": token, "name": "Trung tâm", "parent_code": "TINH"}
    )
    assert placed.status_code == 302
    assert 'data-testid="parent">TINH<' in client.get("/ui/admin/units").get_data(as_text=True)
    cycle = client.post(
        "/ui/admin/units/TINH", data={"csrf_token": token, "name": "Tỉnh", "parent_code": "TTPVHCC"}
    )
    assert cycle.status_code == 422
    assert "tạo thành vòng" in cycle.get_data(as_text=True)


def test_the_catalogue_is_uploaded_shown_and_withdrawn(office, client):
    client_log_in(client, "admin", ADMIN_PASSWORD)
    token = csrf_token(client, "/ui/admin/procedures")

    def upload(text, name):
        return client.post(
            "/ui/admin/procedures",
            data={"csrf_token": token, "file": (BytesIO(text.encode()), name)},
            content_type="multipart/form-data",
        )

    bad = upload('[{"code": "T-01", "name": "Thử", "processing_days": 0}]', "c.json")
    assert bad.status_code == 422 and "Bản ghi số 1 không hợp lệ" in bad.get_data(as_text=True)
    assert "Hãy chọn tệp .json hoặc .csv." in upload("x", "c.txt").get_data(as_text=True)
    # The dossier process allots 6 working days along its longest path (bpmn/dossier.bpmn).
    over = upload("code,name,processing_days,step_allotments\nT-01,Thủ tục thử,2.5,receive=0.5\n", "c.csv")
    assert over.status_code == 422
    assert "T-01: 6 / 2.5 (receive 0.5, digitise 0.5" in over.get_data(as_text=True)
    csv = (
        "code,name,processing_days,components,step_allotments\n"
        "T-01,Thủ tục thử,6,Tờ khai;Bản sao CCCD,receive=0.5\n"
    )
    assert upload(csv, "c.csv").status_code == 302
    assert "1 thủ tục mới, 0 thủ tục cập nhật" in client.get("/ui/admin/procedures?q=thử").get_data(
        as_text=True
    )
    page = client.get("/ui/admin/procedures/T-01").get_data(as_text=True)
    assert "Bản sao CCCD" in page and "receive" in page and "0.5" in page
    assert (
        client.post("/ui/admin/procedures/T-01/active", data={"csrf_token": token, "active": "0"}).status_code
        == 302
    )
    assert office.clerk.get("/api/v1/procedures/T-01").json["active"] is False
    assert "Đã ngừng tiếp nhận" in client.get("/ui/admin/procedures?show=inactive").get_data(as_text=True)


def test_a_token_secret_is_shown_once_and_revoking_it_stops_it(office, client):
    client_log_in(client, "admin", ADMIN_PASSWORD)
    token = csrf_token(client, "/ui/admin/tokens")
    past = client.post(
        "/ui/admin/tokens",
        data={"csrf_token": token, "user": "clerk", "name": "quầy 1", "expires_on": "2020-01-01"},
    )
    assert past.status_code == 422 and "Ngày hết hạn phải sau hôm nay." in past.get_data(as_text=True)
    issued = client.post("/ui/admin/tokens", data={"csrf_token": token, "user": "clerk", "name": "quầy 1"})
    assert issued.status_code == 302 and issued.headers["Location"] == "/ui/admin/tokens"  # POST/redirect/GET
    shown = client.get("/ui/admin/tokens").get_data(as_text=True)
    secret = re.search(r'id="new-secret" class="mono" value="(mct_[^"]+)"', shown).group(1)
    assert secret not in client.get("/ui/admin/tokens").get_data(as_text=True)  # shown once
    assert [t["name"] for t in office.admin.get("/api/v1/tokens?user=clerk").json["items"]].count(
        "quầy 1"
    ) == 1
    bearer = {"Authorization": f"Bearer {secret}"}
    assert office.app.test_client().get("/api/v1/auth/me", headers=bearer).json["username"] == "clerk"

    token_id = office.admin.get("/api/v1/tokens?user=clerk").json["items"][0]["id"]
    revoked = client.post(f"/ui/admin/tokens/{token_id}/revoke", data={"csrf_token": token})
    assert revoked.status_code == 302
    assert office.app.test_client().get("/api/v1/auth/me", headers=bearer).status_code == 401


def test_webhooks_are_subscribed_paused_replayed_and_deleted_from_the_pages(office, client):
    from service.jobs import dispatch
    from tests.webhooks.receiver import Receiver

    office.app.config["MOTCUA_WEBHOOK_ALLOW_PRIVATE"] = False
    office.app.config["MOTCUA_WEBHOOK_MAX_ATTEMPTS"] = 1
    client_log_in(client, "admin", ADMIN_PASSWORD)
    token = csrf_token(client, "/ui/admin/webhooks")
    internal = client.post(
        "/ui/admin/webhooks",
        data={"csrf_token": token, "url": "http://127.0.0.1:9/hook", "events": ["instance.started"]},
    )
    page = internal.get_data(as_text=True)
    assert internal.status_code == 422 and "cần http(s) tới một máy chủ công khai" in page
    assert 'value="http://127.0.0.1:9/hook"' in page  # what was typed is kept
    nothing = client.post("/ui/admin/webhooks", data={"csrf_token": token, "url": "https://example.org/h"})
    assert nothing.status_code == 422 and "Hãy chọn ít nhất một sự kiện." in nothing.get_data(as_text=True)

    office.app.config["MOTCUA_WEBHOOK_ALLOW_PRIVATE"] = True
    receiver = Receiver("unused").start()
    try:
        receiver.failing = True
        made = client.post(
            "/ui/admin/webhooks",
            data={
                "csrf_token": token,
                "url": receiver.url,
                "events": ["instance.started"],
                "description": "DVC",
            },
        )
        html = made.get_data(as_text=True)
        assert made.status_code == 200 and 'data-testid="secret"' in html
        receiver.secret = re.search(r'id="new-secret" class="mono" value="([^"]+)"', html).group(1)
        listed = office.admin.get("/api/v1/webhooks").json["items"]
        assert [item["url"] for item in listed] == [receiver.url]
        subscription = listed[0]
        assert subscription["events"] == ["instance.started"] and subscription["description"] == "DVC"
        assert 'data-testid="secret"' not in client.get("/ui/admin/webhooks").get_data(as_text=True)

        office.clerk.start("simple_approval")
        dispatch.tick(office.app)  # one attempt, refused by the receiver: dead
        dead = client.get("/ui/admin/webhooks/deliveries?state=dead").get_data(as_text=True)
        assert "Tiến trình bắt đầu" in dead and "HTTP 503" in dead and "Gửi lại" in dead
        # the office's own earlier starts are relayed to the new subscription too
        letter = office.admin.get("/api/v1/webhook-deliveries?state=dead").json["items"][0]
        receiver.failing = False
        replayed = client.post(
            f"/ui/admin/webhooks/deliveries/{letter['id']}/replay?state=dead", data={"csrf_token": token}
        )
        assert replayed.status_code == 302 and replayed.headers["Location"].endswith("state=dead")
        dispatch.tick(office.app)
        assert list(receiver.accepted) == [letter["id"]]
        assert "Đã gửi lúc" in client.get("/ui/admin/webhooks/deliveries").get_data(as_text=True)
    finally:
        receiver.stop()

    sid = subscription["id"]
    paused = client.post(f"/ui/admin/webhooks/{sid}/active", data={"csrf_token": token, "active": "0"})
    assert paused.status_code == 302 and office.admin.get(f"/api/v1/webhooks/{sid}").json["active"] is False
    client.post(f"/ui/admin/webhooks/{sid}/active", data={"csrf_token": token, "active": "1"})
    assert office.admin.get(f"/api/v1/webhooks/{sid}").json["active"] is True
    assert client.post(f"/ui/admin/webhooks/{sid}/delete", data={}).status_code == 400  # no CSRF token
    deleted = client.post(f"/ui/admin/webhooks/{sid}/delete", data={"csrf_token": token})
    assert deleted.status_code == 302 and office.admin.get(f"/api/v1/webhooks/{sid}").status_code == 404
    assert client.post("/ui/admin/webhooks/99999/delete", data={"csrf_token": token}).status_code == 404


# --- in Chromium --------------------------------------------------------------------------------


def test_an_administrator_suspends_resumes_and_terminates_an_instance(page, office):
    late, _early = office.letters
    log_in(page, "admin", ADMIN_PASSWORD)
    page.get_by_role("navigation", name="Điều hướng chính").get_by_role("link", name="Quản trị").click()
    expect(page.get_by_test_id("count-running")).to_have_text("3")
    page.get_by_role("link", name="Tiến trình", exact=True).click()
    page.get_by_label("Mã nghiệp vụ").fill("VB-2025-001")
    page.get_by_role("button", name="Lọc").click()
    row = page.locator(f'tr[data-instance-id="{late["id"]}"]')
    expect(page.locator("tbody tr")).to_have_count(1)
    expect(row.get_by_test_id("state")).to_have_text("Đang chạy")

    row.get_by_role("button", name="Tạm dừng: VB-2025-001").click()
    expect(page.locator("#messages")).to_contain_text("Đã tạm dừng tiến trình.")
    expect(row.get_by_test_id("state")).to_have_text("Đang tạm dừng")
    expect(page.get_by_label("Mã nghiệp vụ")).to_have_value("VB-2025-001")  # the filter survives the reload
    row.get_by_role("button", name="Tiếp tục: VB-2025-001").click()
    expect(page.locator("#messages")).to_contain_text("Đã tiếp tục tiến trình.")
    expect(row.get_by_test_id("state")).to_have_text("Đang chạy")

    page.once("dialog", lambda dialog: dialog.dismiss())
    row.get_by_role("button", name="Hủy: VB-2025-001").click()
    expect(row.get_by_test_id("state")).to_have_text("Đang chạy")  # dismissed: nothing happened
    page.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="Hủy: VB-2025-001").click()
    expect(page.locator("#messages")).to_contain_text("Đã hủy tiến trình.")
    expect(row.get_by_test_id("state")).to_have_text("Đã hủy")
    expect(row.get_by_role("button")).to_have_count(0)
    assert office.admin.get(f"/api/v1/process-instances/{late['id']}").json["state"] == "terminated"

    page.goto("/ui/admin/instances")
    expect(page.locator("tbody tr")).to_have_count(3)
    screenshot(page, "admin-instances.png")


def test_an_instance_changed_meanwhile_is_not_changed_blindly(page, office):
    late, _early = office.letters
    log_in(page, "admin", ADMIN_PASSWORD)
    page.goto("/ui/admin/instances?business_key=VB-2025-001")
    row = page.locator(f'tr[data-instance-id="{late["id"]}"]')
    expect(row.get_by_test_id("state")).to_have_text("Đang chạy")
    assert office.admin.post(f"/api/v1/process-instances/{late['id']}/suspend").status_code == 200
    assert office.admin.post(f"/api/v1/process-instances/{late['id']}/resume").status_code == 200

    row.get_by_role("button", name="Tạm dừng: VB-2025-001").click()
    expect(page.locator("#messages")).to_contain_text("Tiến trình đã thay đổi sau khi trang được tải")
    assert office.admin.get(f"/api/v1/process-instances/{late['id']}").json["state"] == "running"
    expect(row.get_by_role("button", name="Tạm dừng: VB-2025-001")).to_be_enabled()


def test_an_administrator_retries_an_incident(page, office):
    late, _early = office.letters
    incident_id = _incident(office, late["id"])
    log_in(page, "admin", ADMIN_PASSWORD)
    page.goto("/ui/admin")
    expect(page.get_by_test_id("count-incidents")).to_have_text("1")
    page.get_by_role("link", name="Sự cố", exact=True).click()
    row = page.locator(f'tr[data-incident-id="{incident_id}"]')
    expect(row.get_by_test_id("error")).to_have_text("503 Service Unavailable: DVC bảo trì")
    expect(row).to_contain_text("3 / 3")
    row.get_by_role("button", name="Chạy lại: sync_dvc").click()
    expect(page.locator("#messages")).to_contain_text("Đã xếp lịch gọi lại dịch vụ.")
    expect(page.get_by_test_id("empty")).to_have_text("Không có sự cố nào.")
    assert office.admin.get("/api/v1/incidents").json["total"] == 0


PUSHED_CODE = "TTPVHCC-261205-0007"  # the code the push named its dossier by


def _failed_push(office) -> int:
    """A status push to the national portal whose retries ran out, as the workers leave it."""
    from service.dvcqg.models import StatusPush
    from service.extensions import db

    dossier = office.dossier
    with office.app.app_context():
        push = StatusPush(
            event_id=987654,
            dossier_id=uuid.UUID(dossier["id"]),
            instance_id=uuid.UUID(dossier["process_instance_id"]),
            params={"code": PUSHED_CODE, "status": 2, "status_name": "Được tiếp nhận"},
            state="failed",
            attempts=3,
            last_error="503 Service Unavailable: Cổng DVC bảo trì",
        )
        db.session.add(push)
        db.session.commit()
        return push.id


def test_an_administrator_sees_and_retries_a_failed_status_push_to_the_portal(page, office):
    push_id = _failed_push(office)
    log_in(page, "admin", ADMIN_PASSWORD)
    page.goto("/ui/admin")
    expect(page.get_by_test_id("count-incidents")).to_have_text("1")
    page.get_by_role("link", name="Sự cố", exact=True).click()
    row = page.locator(f'tr[data-push-id="{push_id}"]')
    expect(row.get_by_test_id("error")).to_have_text("503 Service Unavailable: Cổng DVC bảo trì")
    expect(row).to_contain_text(PUSHED_CODE)
    expect(row).to_contain_text("Được tiếp nhận")  # the status as the pages name it
    expect(row).to_contain_text("3 / 3")
    row.get_by_role("button", name=f"Chạy lại: {PUSHED_CODE}").click()
    expect(page.locator("#messages")).to_contain_text("Đã xếp lịch gọi lại dịch vụ.")
    expect(page.get_by_test_id("empty")).to_have_text("Không có sự cố nào.")
    pushes = office.admin.get("/api/v1/integrations/dvcqg/pushes?state=failed").json
    assert pushes == [] and office.admin.get("/api/v1/incidents").json["total"] == 0


def test_an_administrator_creates_a_user_who_then_logs_in(page, office):
    log_in(page, "admin", ADMIN_PASSWORD)
    page.goto("/ui/admin/users")
    new = page.get_by_role("region", name="Tạo người dùng")
    new.get_by_label("Tên đăng nhập").fill("lan.nguyen")
    new.get_by_label("Họ và tên").fill("Nguyễn Thị Lan")
    new.get_by_label("Mật khẩu").fill("ngan")
    new.get_by_label("Đơn vị").select_option("TTPVHCC")
    new.get_by_label("Bộ phận Một cửa").check()  # the group "reception", by its description
    new.get_by_role("button", name="Tạo người dùng").click()
    expect(new.locator(".field-error")).to_have_text(["Mật khẩu phải có từ 8 đến 1024 ký tự."])
    expect(new.get_by_label("Mật khẩu")).to_have_attribute("aria-invalid", "true")
    expect(new.get_by_label("Tên đăng nhập")).to_have_value("lan.nguyen")  # nothing typed is lost
    expect(new.get_by_label("Họ và tên")).to_have_value("Nguyễn Thị Lan")
    expect(new.get_by_label("Bộ phận Một cửa")).to_be_checked()
    expect(new.get_by_label("Đơn vị")).to_have_value("TTPVHCC")

    new.get_by_label("Mật khẩu").fill("mat-khau-cua-lan")
    new.get_by_role("button", name="Tạo người dùng").click()
    expect(page.locator("#messages")).to_contain_text("Đã tạo người dùng «lan.nguyen».")
    row = page.locator('tr[data-username="lan.nguyen"]')
    expect(row).to_contain_text("Nguyễn Thị Lan")
    expect(row).to_contain_text("Bộ phận Một cửa")
    page.goto("/ui/admin/users")
    screenshot(page, "admin-users.png")

    page.get_by_role("button", name="Đăng xuất").click()
    log_in(page, "lan.nguyen", "mat-khau-cua-lan")
    expect(page.get_by_test_id("user")).to_have_text("Nguyễn Thị Lan")
    expect(page.get_by_test_id("count-group")).to_have_text("3")  # reception's tasks


def test_an_administrator_issues_a_token_copies_it_and_revokes_it(page, office):
    log_in(page, "admin", ADMIN_PASSWORD)
    page.goto("/ui/admin/tokens")
    new = page.get_by_role("region", name="Cấp mã truy cập")
    new.get_by_label("Cấp cho người dùng").select_option("clerk")
    new.get_by_label("Tên gợi nhớ").fill("máy quét quầy 1")
    new.get_by_role("button", name="Cấp mã").click()
    secret = page.locator("#new-secret").input_value()
    assert secret.startswith("mct_")
    page.get_by_role("button", name="Sao chép").click()
    expect(page.get_by_test_id("secret").get_by_role("button")).to_have_text("Đã sao chép")
    page.reload()  # F5: no second token, and the secret is not shown again
    expect(page.get_by_test_id("secret")).to_have_count(0)
    names = [t["name"] for t in office.admin.get("/api/v1/tokens?user=clerk").json["items"]]
    assert names.count("máy quét quầy 1") == 1
    expect(page.locator("tr", has_text="máy quét quầy 1")).to_have_count(1)

    row = page.locator("tr", has_text="máy quét quầy 1")
    asked = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    row.get_by_role("button", name="Thu hồi: máy quét quầy 1").click()
    assert asked == ["Thu hồi mã máy quét quầy 1? Hệ thống đang dùng mã này sẽ bị từ chối ngay."]
    expect(row.get_by_test_id("token-state")).to_contain_text("Còn hiệu lực")  # dismissed: kept
    page.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="Thu hồi: máy quét quầy 1").click()
    expect(page.locator("#messages")).to_contain_text("Đã thu hồi mã truy cập «máy quét quầy 1» của clerk.")
    expect(page.locator("tr", has_text="máy quét quầy 1").get_by_test_id("token-state")).to_contain_text(
        "Đã thu hồi"
    )
    refused = office.app.test_client().get("/api/v1/auth/me", headers={"Authorization": f"Bearer {secret}"})
    assert refused.status_code == 401


def test_an_administrator_adds_and_removes_a_calendar_override(page, office):
    log_in(page, "admin", ADMIN_PASSWORD)
    page.goto("/ui/admin/calendar?year=2026")
    # the announced schedule: 2/1 off, Saturday 10/1 worked, 24/11 worked (the package had 249)
    expect(page.get_by_test_id("working-days")).to_contain_text("Năm 2026 có 250 ngày làm việc")
    page.get_by_label("Ngày", exact=True).fill("2026-03-16")  # a Monday
    page.get_by_label("Ngày nghỉ thêm").check()
    page.get_by_role("button", name="Thêm điều chỉnh").click()
    expect(page.locator(".field-error")).to_have_text(["Trường này là bắt buộc."])  # the reason
    expect(page.get_by_label("Ngày", exact=True)).to_have_value("2026-03-16")
    page.get_by_label("Lý do").fill("Nghỉ bù theo quyết định của UBND tỉnh")
    page.get_by_role("button", name="Thêm điều chỉnh").click()
    expect(page.locator("#messages")).to_contain_text("Đã thêm điều chỉnh cho ngày 16/03/2026.")
    expect(page.get_by_test_id("working-days")).to_contain_text("Năm 2026 có 249 ngày làm việc")
    expect(page.get_by_test_id("working-days")).to_contain_text("chênh lệch -1")
    expect(page.locator('tr[data-day="2026-03-16"]')).to_contain_text("Nghỉ bù theo quyết định của UBND tỉnh")
    assert office.admin.get("/api/v1/calendar?year=2026").json["overrides"][0]["kind"] == "off"

    page.get_by_label("Ngày", exact=True).fill("2026-03-16")
    page.get_by_label("Ngày làm việc thêm").check()
    page.get_by_label("Lý do").fill("Trùng")
    page.get_by_role("button", name="Thêm điều chỉnh").click()
    expect(page.locator(".field-error")).to_have_text(
        ["Ngày này đã có điều chỉnh; hãy xóa điều chỉnh cũ trước."]
    )

    page.get_by_role("button", name="Xóa điều chỉnh ngày 16/03/2026").click()
    expect(page.locator("#messages")).to_contain_text("Đã xóa điều chỉnh của ngày 16/03/2026.")
    expect(page.get_by_test_id("working-days")).to_contain_text("Năm 2026 có 250 ngày làm việc")


def test_a_non_administrator_gets_a_403_page(page, office):
    log_in(page)
    expect(page.get_by_role("navigation", name="Điều hướng chính")).not_to_contain_text("Quản trị")
    response = page.goto("/ui/admin/users")
    assert response.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text("Lỗi 403")
    expect(page.get_by_text("Bạn không có quyền xem trang này.")).to_be_visible()


def test_an_administrator_subscribes_a_webhook_and_deletes_it_after_confirming(page, office):
    office.app.config["MOTCUA_WEBHOOK_ALLOW_PRIVATE"] = True
    log_in(page, "admin", ADMIN_PASSWORD)
    page.goto("/ui/admin/webhooks")
    new = page.get_by_role("region", name="Đăng ký webhook")
    new.get_by_label("Địa chỉ nhận (URL)").fill("http://127.0.0.1:9/motcua")
    new.get_by_label("Hồ sơ đổi trạng thái").check()
    new.get_by_role("button", name="Đăng ký").click()
    assert len(page.locator("#new-secret").input_value()) >= 32
    row = page.get_by_test_id("subscriptions").locator("tr", has_text="http://127.0.0.1:9/motcua")
    expect(row).to_contain_text("Hồ sơ đổi trạng thái")
    row.get_by_role("button", name="Tạm dừng").click()
    expect(row.get_by_test_id("subscription-state")).to_have_text("Tạm dừng")
    page.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="Xóa").click()
    expect(page.locator("#messages")).to_contain_text("Đã xóa đăng ký")
    expect(page.get_by_test_id("subscriptions")).to_have_count(0)


def test_the_calendar_page_names_the_source_of_each_day_and_marks_guesses(office, client):
    client_log_in(client, "admin", ADMIN_PASSWORD)
    announced = client.get("/ui/admin/calendar?year=2026&why=2026-01-02").get_data(as_text=True)
    assert "Theo lịch nghỉ đã công bố của năm 2026" in announced
    assert "Thông báo số 9441/TB-BNV ngày 16/10/2025" in announced
    why = re.search(r'data-testid="why">(.*?)</p>', announced, re.S).group(1)
    assert "ngày nghỉ" in why and "theo lịch nghỉ đã công bố" in why and "12729/VPCP-KGVX" in why
    guessed = client.get("/ui/admin/calendar?year=2027&why=2027-02-08").get_data(as_text=True)
    assert "Chưa có lịch nghỉ công bố cho năm 2027" in guessed and "tạm tính" in guessed
    assert "chưa có lịch công bố (tạm tính)" in re.search(
        r'data-testid="why">(.*?)</p>', guessed, re.S
    ).group(1)
    assert 'data-testid="why"' not in client.get("/ui/admin/calendar?why=nonsense").get_data(as_text=True)
