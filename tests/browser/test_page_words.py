"""What the pages say, through Flask's test client: the steps' history shows only what officers
decided (the forms' fields, labels and option words, local dates), and groups, lanes, units and
officers are named by their words, not by their codes."""

import re
import uuid

import sqlalchemy as sa

from tests.browser.test_dossier_pages import accept, html

ISO = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
TAGS = re.compile(r"<script\b.*?</script>|<[^>]+>", re.S)


def visible(page: str) -> str:
    """The text a person reads (scripts' data and tags' attributes left out)."""
    return TAGS.sub(" ", page)


def task_of(caller, instance_id, element):
    tasks = caller.get(f"/api/v1/tasks?process_instance_id={instance_id}").json["items"]
    return next(t for t in tasks if t["element_id"] == element)


def add_to_completion(office, instance_id, **variables):
    """What an older service wrote into a `task_completed` fact besides the officer's fields."""
    from service.audit.models import AuditEvent
    from service.extensions import db

    with office.app.app_context():
        event = db.session.scalars(
            sa.select(AuditEvent).where(
                AuditEvent.instance_id == uuid.UUID(instance_id), AuditEvent.type == "task_completed"
            )
        ).first()
        event.data = {"variables": {**event.data["variables"], **variables}}
        db.session.commit()


def test_the_step_history_shows_only_the_forms_fields_with_their_words_and_local_dates(office):
    dossier = accept(office)
    instance_id = dossier["process_instance_id"]
    add_to_completion(
        office,
        instance_id,
        dossier_code=dossier["code"],
        due_at="2026-12-17T07:43:25.345976+00:00",
        apology_at="2026-12-16T07:43:25+00:00",
        handling_unit="STP",
    )
    digitise = task_of(office.clerk, instance_id, "digitise")
    for url in (f"/ui/tasks/{digitise['id']}", f"/ui/dossiers/{dossier['code']}"):
        page = html(office.clerk.get(url))
        decisions = page.split('data-testid="decisions"')[1].split("</section>")[0]
        assert "Kết quả kiểm tra" in decisions
        assert "Đầy đủ, đúng thẩm quyền: tiếp nhận" in decisions
        for internal in ("dossier_code", "due_at", "apology_at", "handling_unit", "reception_decision"):
            assert internal not in decisions, (url, internal)
        assert "2026-12-17" not in decisions and "17/12/2026" not in decisions
        assert 'title="clerk">Trần Thị Bình</span>' in decisions
        assert not ISO.search(visible(page)), (url, ISO.search(visible(page)))


def test_moments_options_and_usernames_in_a_decision_are_shown_as_people_read_them(office):
    from service.ui import history

    form = {
        "schema": {
            "properties": {
                "when": {"type": "string"},
                "kind": {"type": "string", "oneOf": [{"const": "a", "title": "Loại A"}]},
                "who": {"type": "string", "format": "username"},
            }
        },
        "ui": {"labels": {"when": "Lúc"}},
    }
    with office.app.test_request_context():
        fields = history._fields(
            form, {"when": "2026-12-17T07:43:25.345976+00:00", "kind": "a", "who": "clerk", "extra": "x"}
        )
    assert fields[:2] == [("Lúc", "17/12/2026 14:43"), ("kind", "Loại A")]
    assert fields[2] == ("who", '<span class="person" title="clerk">Trần Thị Bình</span>')
    assert len(fields) == 3


def test_officers_are_named_with_their_username_on_hover(office):
    claimed = task_of(office.clerk, office.dossier["process_instance_id"], "receive")
    assert office.clerk.post(f"/api/v1/tasks/{claimed['id']}/claim").status_code == 200
    page = html(office.clerk.get(f"/ui/tasks/{claimed['id']}"))
    assignee = page.split('data-testid="assignee">')[1].split("</dd>")[0]
    assert assignee == '<span class="person" title="clerk">Trần Thị Bình</span>'
    worklist = html(office.clerk.get("/ui/?tab=mine"))
    assert 'title="clerk">Trần Thị Bình</span>' in worklist


def test_groups_and_units_are_named_by_their_words(office):
    # The office's groups have descriptions (tests/browser/conftest.py), as at a real office.
    dossier = office.dossier
    task = task_of(office.clerk, dossier["process_instance_id"], "receive")
    page = html(office.clerk.get(f"/ui/tasks/{task['id']}"))
    assert page.split('data-testid="groups">')[1].split("</dd>")[0] == "Bộ phận Một cửa"
    result = html(office.clerk.get(f"/ui/reception/{dossier['id']}"))
    waiting = result.split('data-testid="open-tasks"')[1].split("</ul>")[0]
    assert "Bộ phận Một cửa" in waiting and "reception" not in visible(waiting)

    users = html(office.admin.get("/ui/admin/users"))
    assert '<option value="reception">Bộ phận Một cửa</option>' in users
    row = users.split('data-username="clerk"')[1].split("</tr>")[0]
    assert "Bộ phận Một cửa" in row and "reception" not in visible(row)
    edit = html(office.admin.get("/ui/admin/users/clerk"))
    assert re.search(r'value="reception"> <label for="[^"]+">Bộ phận Một cửa</label>', edit)

    diagram = office.clerk.get(f"/ui/instances/{dossier['process_instance_id']}/diagram").json
    assert diagram["lanes"]["reception"] == "Bộ phận Một cửa"


# --- slips and files opened in a browser -------------------------------------------------------

HTML = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


def test_a_slip_or_file_refused_to_a_browser_is_an_html_page_and_json_to_an_api_client(
    office, client, make_user
):
    from tests.browser.test_pages_server import log_in

    dossier = accept(office)
    slip = f"/api/v1/dossiers/{dossier['code']}/documents/mau-01?format=html"

    expired = client.get(slip, headers=HTML)  # no session
    assert expired.status_code == 401 and expired.mimetype == "text/html"
    page = expired.get_data(as_text=True)
    assert "Phiên làm việc đã hết hạn hoặc bạn chưa đăng nhập." in page
    assert f'href="/ui/login?next=/ui/dossiers/{dossier["code"]}"' in page
    assert "default-src 'self'" in expired.headers["Content-Security-Policy"]
    api = client.get(slip)  # an API client: JSON, as before
    assert api.status_code == 401 and api.json["error"]["code"] == "unauthorized"

    make_user("xa_clerk", groups=["reception"], unit="UBND-XA", password="mat-khau-demo")
    log_in(client, "xa_clerk", "mat-khau-demo")
    refused = client.get(slip, headers=HTML)
    assert refused.status_code == 403 and "Bạn không có quyền mở tài liệu này." in refused.get_data(
        as_text=True
    )
    assert client.get(slip, headers={"Accept": "application/json"}).json["error"]["code"] == "forbidden"
    missing = client.get("/api/v1/attachments/00000000-0000-0000-0000-000000000000/content", headers=HTML)
    assert missing.status_code == 404 and missing.mimetype == "text/html"
    assert "Không tìm thấy hồ sơ, tài liệu hoặc tệp này." in missing.get_data(as_text=True)
    nothing = "/api/v1/attachments/00000000-0000-0000-0000-000000000000/content"
    unknown = client.get(f"{nothing}?lang=en", headers=HTML)
    assert unknown.status_code == 404 and "This dossier, document or file was not found." in unknown.get_data(
        as_text=True
    )
    other_api = client.get("/api/v1/dossiers/nothing-here", headers=HTML)  # not a link a person opens
    assert other_api.status_code == 404 and other_api.json["error"]["code"] == "not_found"


def test_every_site_path_has_an_icon_and_the_pages_and_slips_link_one(office, client):
    icon = client.get("/favicon.ico")  # no session needed: browsers ask for it everywhere
    assert icon.status_code == 200 and icon.mimetype == "image/svg+xml"
    assert b"<svg" in icon.data
    assert '<link rel="icon" href="/favicon.ico"' in client.get("/ui/login").get_data(as_text=True)
    dossier = accept(office)
    slip = office.clerk.get(f"/api/v1/dossiers/{dossier['code']}/documents/mau-01?format=html")
    assert '<link rel="icon" href="data:,">' in slip.get_data(as_text=True)


# --- only what applies -------------------------------------------------------------------------


def test_the_forms_branches_decide_which_fields_are_drawn_and_when():
    from service.ui import formschema
    from tests.browser.test_pages_parts import _form

    appraise = formschema.editor_schema(_form("dossier_appraise"))["properties"]
    assert appraise["consultation_content"]["options"]["dependencies"] == {"appraisal_decision": "consult"}
    assert appraise["agencies"]["options"]["dependencies"] == {"appraisal_decision": "consult"}
    assert "dependencies" not in appraise["appraisal_opinion"].get("options", {})

    schema = {
        "type": "object",
        "properties": {"kind": {"enum": ["a", "b", "c"]}, "paid": {"type": "boolean"}},
        "allOf": [
            {
                "if": {"properties": {"kind": {"enum": ["a", "b"]}}, "required": ["kind"]},
                "then": {"properties": {"why": {"type": "string", "title": "Vì sao"}}},
            }
        ],
        "dependentSchemas": {
            "paid": {"required": ["receipt"], "properties": {"receipt": {"type": "string"}}}
        },
    }
    assert formschema.dependencies(schema) == {"why": {"kind": ["a", "b"]}, "receipt": {"paid": True}}
    drawn = formschema.editor_schema({"schema": schema, "ui": {}})
    assert drawn["properties"]["why"]["title"] == "Vì sao"  # declared only in the branch: drawn too
    assert drawn["properties"]["receipt"]["options"]["dependencies"] == {"paid": True}
    assert "dependentSchemas" not in drawn and "allOf" not in drawn


def test_the_upload_control_is_only_on_tasks_whose_form_asks_for_files(office):
    receive = task_of(office.clerk, office.dossier["process_instance_id"], "receive")
    assert 'id="attachment-form"' in html(office.clerk.get(f"/ui/tasks/{receive['id']}"))

    letter = office.letters[1]
    register = letter["tasks"][0]["id"]
    assert 'id="attachment-form"' in html(office.clerk.get(f"/ui/tasks/{register}"))
    done = office.clerk.complete(register, {"title": "Công văn số 12", "sender": "Sở Nội vụ"})
    assert done.status_code == 200, done.json
    appraise = task_of(office.admin, letter["id"], "appraise")
    page = html(office.admin.get(f"/ui/tasks/{appraise['id']}"))
    assert 'data-testid="attachments"' not in page and "js/attachments.js" not in page


def test_no_page_shows_a_raw_moment_a_group_code_or_a_unit_code(office):
    dossier = accept(office)
    instance_id = dossier["process_instance_id"]
    digitise = task_of(office.clerk, instance_id, "digitise")
    pages = [
        "/ui/",
        "/ui/?tab=group",
        f"/ui/tasks/{digitise['id']}",
        f"/ui/dossiers/{dossier['code']}",
        "/ui/dossiers",
        f"/ui/instances/{instance_id}",
        f"/ui/reception/{dossier['code']}",
    ]
    for url in pages:
        text = visible(html(office.clerk.get(url)))
        assert not ISO.search(text), (url, ISO.search(text))
        assert not re.search(r"\breception\b", text), url
        assert "TTPVHCC" not in text, url
    for url in (
        "/ui/admin",
        "/ui/admin/users",
        "/ui/admin/users/clerk",
        "/ui/admin/tokens",
        "/ui/admin/instances",
        "/ui/admin/incidents",
        "/ui/admin/webhooks",
        "/ui/admin/procedures",
        "/ui/designer",
    ):
        text = visible(html(office.admin.get(url)))
        assert not ISO.search(text), (url, ISO.search(text))


def test_the_instance_log_names_the_elements_the_engine_completed(office):
    dossier = accept(office)
    page = html(office.clerk.get(f"/ui/instances/{dossier['process_instance_id']}"))
    text = re.sub(r"\s+", " ", visible(page))
    for name in ("Hồ sơ được nộp", "Bắt đầu kiểm tra hồ sơ", "Kết quả kiểm tra?"):
        assert f"Hoàn thành bước {name}" in text, name
    for element_id in ("start", "handling_start", "receive_decision"):
        assert f"Hoàn thành bước {element_id} " not in text, element_id
