"""The dossier list, a dossier's page, an instance's page and its process diagram: through Flask's
test client (authorisation, filters, documents, the diagram's data) and in Chromium."""

import re
import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests.browser.conftest import IN_CI, PASSWORD, log_in, screenshot
from tests.factories import receive_dossier
from tests.support import COMPONENTS
from tests.support import statements as counted

DATE = re.compile(r"\d{2}/\d{2}/\d{4} \d{2}:\d{2}")


@pytest.fixture
def outsider(office, make_user):
    """A reception clerk of another unit (a commune), with no task in the office's dossiers."""
    return make_user("xa_clerk", groups=["reception"], unit="UBND-XA", password=PASSWORD)


def complete(caller, instance_id, element, variables):
    tasks = caller.get(f"/api/v1/tasks?process_instance_id={instance_id}").json["items"]
    task = next(t for t in tasks if t["element_id"] == element)
    response = caller.complete(task["id"], variables)
    assert response.status_code == 200, response.json


def accept(office, dossier=None):
    """The clerk accepts the dossier at the counter: it is numbered, `digitise` opens."""
    dossier = dossier or office.dossier
    complete(office.clerk, dossier["process_instance_id"], "receive", {"reception_decision": "accept"})
    return office.clerk.get(f"/api/v1/dossiers/{dossier['id']}").json


def receive(office, procedure="AG-LLTP-01"):
    return receive_dossier(office.clerk, procedure)


def html(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def set_dossier(office, dossier, **values):
    from service.dossiers.models import Dossier
    from service.extensions import db

    with office.app.app_context():
        db.session.execute(sa.update(Dossier).where(Dossier.id == uuid.UUID(dossier["id"])).values(**values))
        db.session.commit()


# --- the list ------------------------------------------------------------------------------------


def test_the_list_shows_only_the_dossiers_the_user_may_see(office, outsider):
    page = html(office.clerk.get("/ui/dossiers"))
    assert f'href="/ui/dossiers/{office.dossier["id"]}"' in page
    assert "AG-LLTP-01" in page and "Nguyễn Thị Ánh" in page and "Mới đăng ký" in page
    assert "1 hồ sơ" in page
    assert DATE.search(page)

    refused = html(outsider.get("/ui/dossiers"))
    assert office.dossier["id"] not in refused and "AG-LLTP-01" not in refused
    assert 'data-testid="empty"' in refused
    assert office.dossier["id"] in html(office.admin.get("/ui/dossiers"))


def test_the_list_filters_by_status_procedure_and_lateness(office, clock):
    numbered = accept(office)
    other = receive(office, "AG-KS-01")
    assert numbered["status"] == 2

    def listed(query):
        page = html(office.clerk.get(f"/ui/dossiers?{query}"))
        return {ref for ref in (numbered["code"], other["id"]) if f'data-dossier="{ref}"' in page}

    assert listed("") == {numbered["code"], other["id"]}
    assert listed("status=2") == {numbered["code"]}
    assert listed("status=1") == {other["id"]}
    assert listed("procedure=AG-KS-01") == {other["id"]}
    assert listed("due=late") == set()
    assert listed("due=early") == {numbered["code"]}
    clock.advance_to(numbered_due(numbered) + timedelta(days=1))  # a day past its due date
    assert listed("due=late") == {numbered["code"]}
    page = html(office.clerk.get("/ui/dossiers?due=late"))
    assert 'class="badge badge-late" data-testid="due">Quá hạn<' in page
    assert re.search(
        r'data-testid="count-late"[^>]*>\s*<span[^>]*>Quá hạn</span> <span class="count">1<', page
    )
    # Nonsense in the query string is ignored, never an error.
    assert listed("status=abc&due=soonish&page=-4&procedure=" + "x" * 300) == {numbered["code"], other["id"]}
    assert listed("status=42") == {numbered["code"], other["id"]}


def numbered_due(dossier):
    from datetime import datetime

    return datetime.fromisoformat(dossier["due_at"])


def test_the_list_pages_with_the_same_few_queries_whatever_the_number_of_rows(office):
    def statements(url):
        with counted(office.app) as seen:
            html(office.clerk.get(url))
        return len(seen)

    statements("/ui/dossiers")  # warm: the org units kept, as after any first request
    one = statements("/ui/dossiers")
    for _ in range(21):
        receive(office)
    assert statements("/ui/dossiers") == one
    page = html(office.clerk.get("/ui/dossiers"))
    assert page.count('class="task-row') == 20 and "22 hồ sơ" in page and "Trang 1 / 2" in page
    assert html(office.clerk.get("/ui/dossiers?page=2")).count('class="task-row') == 2
    assert html(office.clerk.get("/ui/dossiers?page=99")).count('class="task-row') == 2


# --- one dossier ---------------------------------------------------------------------------------


def test_the_dossier_page_shows_status_steps_current_task_and_documents(office, make_user):
    dossier = accept(office)
    code = dossier["code"]
    by_id = office.clerk.get(f"/ui/dossiers/{dossier['id']}")
    assert by_id.status_code == 302 and by_id.headers["Location"] == f"/ui/dossiers/{code}"
    page = html(office.clerk.get(f"/ui/dossiers/{code}"))
    assert code in page and "Được tiếp nhận" in page and "Trực tiếp" in page
    assert "Tờ khai yêu cầu cấp Phiếu lý lịch tư pháp" in page and "Bản chính" in page
    # The current step links to its task page (the clerk may act on it); the step history of Mẫu 05.
    task = office.clerk.get(f"/api/v1/tasks?process_instance_id={dossier['process_instance_id']}").json
    digitise = next(t for t in task["items"] if t["element_id"] == "digitise")
    # (with the way back: after completing the task, the user returns to this page)
    assert f'href="/ui/tasks/{digitise["id"]}?next=/ui/dossiers/{code}"' in page
    steps = page.split('data-testid="steps"')[1].split("</table>")[0]
    assert "Kiểm tra tính đầy đủ và thẩm quyền" in steps and "Trần Thị Bình" in steps
    assert len(DATE.findall(steps)) >= 2
    documents = page.split('data-testid="documents"')[1].split("</section>")[0]
    assert re.findall(r'data-form="(mau-\d\d)"', documents) == ["mau-01", "mau-05", "mau-06"]
    assert f'href="/ui/dossiers/{code}/slips/mau-01?format=html"' in documents
    receipt = office.clerk.get(f"/api/v1/dossiers/{code}/documents/mau-01?format=html")
    assert receipt.status_code == 200 and code in receipt.get_data(as_text=True)
    # A pause shows how long, in the page's language.
    set_dossier(office, dossier, paused_days=1.5)
    assert "1.5 working days" in html(office.clerk.get(f"/ui/dossiers/{code}?lang=en"))
    html(office.clerk.get(f"/ui/dossiers/{code}?lang=vi"))  # the choice is kept in the session
    # An officer of the unit who is no candidate of the task sees the step, without a link.
    archivist = make_user("archivist", groups=["records"], unit="TTPVHCC")
    other = html(archivist.get(f"/ui/dossiers/{code}"))
    assert "Số hóa hồ sơ, cấp mã và giấy tiếp nhận" in other
    assert f'href="/ui/tasks/{digitise["id"]}' not in other
    # The dossier's diagram too, though not the instance's own page (the API's rules for each).
    instance_id = dossier["process_instance_id"]
    assert archivist.get(f"/ui/instances/{instance_id}/diagram").json["active"] == ["digitise"]
    assert archivist.get(f"/ui/instances/{instance_id}").status_code == 403
    assert archivist.get(f"/api/v1/process-instances/{instance_id}").status_code == 403
    assert f'href="/ui/instances/{instance_id}"' not in other
    assert f'href="/ui/instances/{instance_id}"' in page


def test_documents_follow_the_dossiers_state(office):
    page = html(office.clerk.get(f"/ui/dossiers/{office.dossier['id']}"))
    assert "data-form=" not in page and "Chưa cấp mã" in page and "Chưa tiếp nhận" in page
    guided = receive(office)
    complete(
        office.clerk,
        guided["process_instance_id"],
        "receive",
        {"reception_decision": "guide", "missing_items": ["Tờ khai"], "guidance": "Bổ sung tờ khai."},
    )
    page = html(office.clerk.get(f"/ui/dossiers/{guided['id']}"))
    assert re.findall(r'data-form="(mau-\d\d)"', page) == ["mau-02"]
    counter = html(office.clerk.get(f"/ui/reception/{guided['id']}"))  # the counter's result page
    assert f'href="/ui/dossiers/{guided["id"]}/slips/mau-02?format=pdf"' in counter
    assert "print-mau-01" not in counter and "print-mau-03" not in counter
    refused = receive(office)
    complete(
        office.clerk,
        refused["process_instance_id"],
        "receive",
        {"reception_decision": "refuse", "refusal_reason": "Không thuộc thẩm quyền."},
    )
    page = html(office.clerk.get(f"/ui/dossiers/{refused['id']}"))
    assert re.findall(r'data-form="(mau-\d\d)"', page) == ["mau-03"]
    counter = html(office.clerk.get(f"/ui/reception/{refused['id']}"))
    assert 'data-testid="print-mau-03"' in counter and "print-mau-02" not in counter
    assert "Hồ sơ không được tiếp nhận" in counter and "Hồ sơ đã ghi nhận" not in counter
    mau01 = office.clerk.get(f"/ui/dossiers/{refused['id']}/slips/mau-01")
    assert mau01.status_code == 409 and "Hồ sơ chưa được tiếp nhận, cấp mã" in mau01.get_data(as_text=True)
    assert "Không được tiếp nhận" in page
    # An apology task (it names Mẫu 04) does not bring the slip along until the apology is issued.
    late = accept(office)
    from service.extensions import db
    from service.tasks.models import Task

    with office.app.app_context():
        db.session.add(
            Task(
                id=uuid.uuid4(),
                instance_id=uuid.UUID(late["process_instance_id"]),
                element_id="apology",
                name="Lập phiếu xin lỗi và hẹn lại ngày trả kết quả",
                candidate_groups=["unit_heads"],
                properties={"document": "mau-04"},
            )
        )
        db.session.commit()
    page = html(office.clerk.get(f"/ui/dossiers/{late['code']}"))
    assert re.findall(r'data-form="(mau-\d\d)"', page) == ["mau-01", "mau-05", "mau-06"]
    refused_slip = office.clerk.get(f"/ui/dossiers/{late['code']}/slips/mau-04?format=pdf")
    assert refused_slip.status_code == 409 and refused_slip.mimetype == "text/html"
    assert "Hồ sơ chưa có phiếu xin lỗi và hẹn lại (Mẫu 04) nào." in refused_slip.get_data(as_text=True)
    api = office.clerk.get(f"/api/v1/dossiers/{late['code']}/documents/mau-04")
    assert api.status_code == 409 and api.json["error"]["code"] == "slip_not_available"
    with office.app.app_context():
        from service.models_base import utcnow

        moment = utcnow()
    set_dossier(office, late, apologised_at=moment, appointed_at=moment + timedelta(days=20))
    page = html(office.clerk.get(f"/ui/dossiers/{late['code']}"))
    assert re.findall(r'data-form="(mau-\d\d)"', page) == ["mau-01", "mau-04", "mau-05", "mau-06"]
    assert 'data-testid="dossier-appointed"' in page
    slip = office.clerk.get(f"/ui/dossiers/{late['code']}/slips/mau-04?format=pdf")
    assert slip.status_code == 200 and slip.data.startswith(b"%PDF")
    # the task pages of the dossier offer the same slips
    tasks = office.clerk.get(f"/api/v1/tasks?process_instance_id={late['process_instance_id']}").json
    digitise = next(t for t in tasks["items"] if t["element_id"] == "digitise")
    task_page = html(office.clerk.get(f"/ui/tasks/{digitise['id']}"))
    offered = task_page.split('data-testid="dossier-slips"')[1].split("</ul>")[0]
    assert re.findall(r'data-form="(mau-\d\d)"', offered) == ["mau-01", "mau-04", "mau-05", "mau-06"]
    assert f'href="/ui/dossiers/{late["code"]}/slips/mau-04?format=pdf"' in offered


def test_the_dossier_page_is_refused_to_another_unit_and_unknown_dossiers_are_404(office, outsider):
    page = outsider.get(f"/ui/dossiers/{office.dossier['id']}")
    assert page.status_code == 403 and "Bạn không có quyền xem trang này." in page.get_data(as_text=True)
    assert "Nguyễn Thị Ánh" not in page.get_data(as_text=True)
    assert office.clerk.get("/ui/dossiers/000.17.22.H56-250101-9999").status_code == 404
    assert office.clerk.get("/ui/dossiers/" + "9" * 300).status_code == 404
    anonymous = office.app.test_client().get(f"/ui/dossiers/{office.dossier['id']}")
    assert anonymous.status_code == 302 and "/ui/login" in anonymous.headers["Location"]


# --- the diagram and the instance page -----------------------------------------------------------


def test_the_diagram_data_marks_done_waiting_and_failed_elements(office, outsider):
    instance_id = office.dossier["process_instance_id"]
    url = f"/ui/instances/{instance_id}/diagram"
    data = office.clerk.get(url).json
    assert "<bpmn:process" in data["xml"] and 'id="receive"' in data["xml"]
    assert data["active"] == ["receive"] and data["failed"] == []
    assert "receive" not in data["completed"]

    assert data["timer_waiting"] is False

    accept(office)
    data = office.clerk.get(url).json
    assert data["active"] == ["digitise"]
    assert {"receive", "receive_decision"} <= set(data["completed"])
    complete(office.clerk, instance_id, "digitise", {"all_components_digitised": True})
    data = office.clerk.get(url).json
    assert data["active"] == ["assign"] and "digitise" in data["completed"]
    assert data["timer_waiting"] is True  # the apology timer on `processing` is armed

    refused = outsider.get(url)
    assert refused.status_code == 403 and refused.json["error"]["code"] == "forbidden"
    missing = office.clerk.get(f"/ui/instances/{uuid.uuid4()}/diagram")
    assert missing.status_code == 404 and missing.json["error"]["code"] == "not_found"

    from service.extensions import db
    from service.instances.models import ProcessInstance
    from service.jobs.models import FAILED, ServiceCall

    with office.app.app_context():
        instance = db.session.get(ProcessInstance, uuid.UUID(instance_id))
        instance.state = "error"
        instance.error = {"element_id": "appraise_decision", "message": "name 'x' is not defined"}
        db.session.add(
            ServiceCall(
                instance_id=instance.id,
                task_id=uuid.uuid4(),
                element_id="sync_dvc",
                operation="dvc/sync",
                idempotency_key=f"{instance.id}:sync",
                state=FAILED,
            )
        )
        db.session.commit()
    data = office.clerk.get(url).json
    assert data["failed"] == ["appraise_decision", "sync_dvc"] and data["active"] == ["assign"]
    assert data["timer_waiting"] is False
    page = html(office.clerk.get(f"/ui/instances/{instance_id}"))
    assert "name &#39;x&#39; is not defined" in page and "Bị lỗi" in page


def test_the_instance_page_shows_its_facts_tasks_history_and_dossier(office, outsider):
    dossier = accept(office)
    url = f"/ui/instances/{dossier['process_instance_id']}"
    page = html(office.clerk.get(url))
    assert "dossier" in page and "Đang chạy" in page and "Trần Thị Bình" in page
    assert f'href="/ui/dossiers/{dossier["code"]}"' in page
    history = page.split('data-testid="history"')[1]
    for label in (
        "Bắt đầu quy trình",
        "Giao công việc",
        "Đã hoàn thành công việc",
        "Hồ sơ chuyển trạng thái",
    ):
        assert label in history
    assert "Kiểm tra tính đầy đủ và thẩm quyền" in history and DATE.search(history)
    assert f'data-diagram-url="{url}/diagram"' in page
    assert outsider.get(url).status_code == 403
    assert office.clerk.get(f"/ui/instances/{uuid.uuid4()}").status_code == 404
    letter = html(office.clerk.get(f"/ui/instances/{office.letters[0]['id']}"))
    assert 'data-testid="dossier-link"' not in letter and "VB-2025-001" in letter


# --- in Chromium ---------------------------------------------------------------------------------

try:
    from playwright.sync_api import expect
except ImportError:
    if IN_CI:
        raise
    expect = None


def _browser_ready():
    if expect is None:
        pytest.skip("The playwright package is not installed.")


def test_a_clerk_opens_a_dossier_from_the_list_and_sees_its_diagram(page, office, clock):
    _browser_ready()
    late = accept(office, receive(office, "AG-KS-01"))
    clock.advance_to(numbered_due(late) + timedelta(days=1))  # the live server's clock moves too
    dossier = accept(office)
    waiting = receive(office)
    log_in(page)
    page.get_by_role("navigation", name="Điều hướng chính").get_by_role("link", name="Hồ sơ").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Hồ sơ")
    rows = page.get_by_test_id("dossiers").locator("tbody tr")
    expect(rows).to_have_count(3)
    expect(page.get_by_test_id("count-late")).to_contain_text("1")
    row = page.locator(f'tr[data-dossier="{dossier["code"]}"]')
    expect(row.get_by_test_id("status")).to_have_text("Được tiếp nhận")
    expect(row.get_by_test_id("due")).to_have_text("Còn hạn")
    expect(row).to_have_class(re.compile(r"\bdue-early\b"))
    late_row = page.locator(f'tr[data-dossier="{late["code"]}"]')
    expect(late_row).to_have_class(re.compile(r"\bdue-late\b"))
    expect(late_row.get_by_test_id("due")).to_have_text("Quá hạn")
    expect(page.locator(f'tr[data-dossier="{waiting["id"]}"] [data-testid="status"]')).to_have_text(
        "Mới đăng ký"
    )
    expect(rows.locator("time")).to_have_count(5)  # received (or submitted) each; due once numbered
    for moment in rows.locator("time").all():
        expect(moment).to_have_text(re.compile(rf"^{DATE.pattern}$"))
    screenshot(page, "dossiers.png")

    row.get_by_role("link", name=dossier["code"]).click()
    expect(page.get_by_test_id("dossier-code")).to_have_text(dossier["code"])
    expect(page.get_by_test_id("dossier-status")).to_have_text("Được tiếp nhận")
    expect(page.get_by_test_id("dossier-due")).to_contain_text(DATE)
    expect(page.get_by_test_id("current").get_by_role("link")).to_have_text(
        "Số hóa hồ sơ, cấp mã và giấy tiếp nhận"
    )
    expect(page.get_by_test_id("steps").locator("tbody tr")).to_have_count(1)
    documents = page.get_by_test_id("documents")
    receipt = documents.get_by_role("link", name=re.compile(r"^Mẫu 01: .*quả$"))
    expect(receipt).to_be_visible()
    answer = page.request.get(receipt.get_attribute("href"))
    assert answer.status == 200 and dossier["code"] in answer.text()

    diagram = page.get_by_test_id("diagram")
    active = diagram.locator('g.djs-element[data-element-id="digitise"]')
    expect(active).to_have_class(re.compile(r"\bmotcua-active\b"))
    expect(diagram.locator('g.djs-element[data-element-id="receive"]')).to_have_class(
        re.compile(r"\bmotcua-completed\b")
    )
    expect(diagram.locator('g.djs-element[data-element-id="processing"]')).not_to_have_class(
        re.compile(r"\bmotcua-")
    )
    expect(diagram.locator("a.bjs-powered-by")).to_have_attribute("href", re.compile(r"^https?://bpmn\.io"))
    # start, handling_start, pickup_check (no pickup by post), receive, receive_decision; digitise.
    expect(page.get_by_test_id("diagram-status")).to_have_text("5 bước đã xong, 1 đang chờ, 0 bị lỗi.")
    screenshot(page, "dossier.png")

    # Once digitised, the dossier waits in `processing`, whose apology timer is armed.
    complete(office.clerk, dossier["process_instance_id"], "digitise", {"all_components_digitised": True})
    page.get_by_role("link", name="Chi tiết quy trình và nhật ký").click()
    expect(page.get_by_test_id("instance-state")).to_have_text("Đang chạy")
    expect(page.get_by_test_id("history")).to_contain_text("Đã hoàn thành công việc")
    diagram = page.get_by_test_id("diagram")
    for element, marker in (
        ("digitise", "completed"),
        ("assign", "active"),
        ("processing", "active"),
        ("apology_timer", "active"),
    ):
        expect(diagram.locator(f'g.djs-element[data-element-id="{element}"]')).to_have_class(
            re.compile(rf"\bmotcua-{marker}\b")
        )


def test_a_clerk_of_another_unit_is_refused_the_dossier(page, office, outsider):
    _browser_ready()
    dossier = accept(office)
    log_in(page, "xa_clerk")
    page.goto("/ui/dossiers")
    expect(page.get_by_test_id("empty")).to_have_text("Không có hồ sơ nào.")
    page.goto(f"/ui/dossiers/{dossier['code']}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Lỗi 403")
    expect(page.get_by_text("Bạn không có quyền xem trang này.")).to_be_visible()
    expect(page.locator("body")).not_to_contain_text("Nguyễn Thị Ánh")


def test_the_dossier_page_lists_the_digitised_components_for_download(office):
    from tests.attachments.test_attachments import pdf_bytes, upload

    task_id = office.clerk.get(
        f"/api/v1/tasks?process_instance_id={office.dossier['process_instance_id']}"
    ).json["items"][0]["id"]
    stored = upload(office.clerk, task_id, pdf_bytes(), "to-khai.pdf", component=COMPONENTS[0]["name"])
    assert stored.status_code == 201, stored.json
    page = html(office.clerk.get(f"/ui/dossiers/{office.dossier['id']}"))
    assert 'data-testid="attachments"' in page and "to-khai.pdf" in page
    assert f'href="/api/v1/attachments/{stored.json["id"]}/content"' in page
    assert 'id="attachment-form"' not in page  # uploads belong to the task page
    download = office.clerk.get(f"/api/v1/attachments/{stored.json['id']}/content")
    assert download.status_code == 200 and download.data == pdf_bytes()
