"""The process designer: who may open it, what its pages show (Flask's test client), and a designer
editing, deploying, being refused and comparing versions in Chromium with the bpmn-js modeler."""

import json
import re
import shutil
import xml.etree.ElementTree as ET

import pytest

from tests.browser.conftest import IN_CI, PASSWORD, log_in, screenshot
from tests.support import BPMN, DATA, ROOT

CSRF = re.compile(r'<meta name="csrf-token" content="([^"]+)">')
CONTEXT = re.compile(
    r'<script type="application/json" id="(?:designer|compare)-context">(.*?)</script>', re.S
)
PAGES = (
    "/ui/designer",
    "/ui/designer/new",
    "/ui/designer/simple_approval",
    "/ui/designer/simple_approval?version=1",
    "/ui/designer/simple_approval/compare",
)


def session_of(client, username):
    token = CSRF.search(client.get("/ui/login").get_data(as_text=True)).group(1)
    response = client.post(
        "/ui/login", data={"csrf_token": token, "username": username, "password": PASSWORD}
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def context_of(response) -> dict:
    return json.loads(CONTEXT.search(response.get_data(as_text=True)).group(1))


@pytest.fixture
def designer(office, make_user):
    return make_user("designer", groups=["designers"], password=PASSWORD)


@pytest.fixture
def second_version(office, designer):
    """simple_approval version 2, deployed by the designer: the appraisal task renamed."""
    xml = (BPMN / "simple_approval.bpmn").read_text(encoding="utf-8")
    changed = xml.replace('name="Thẩm định"', 'name="Thẩm định nội dung"')
    assert changed != xml
    response = designer.deploy(changed, "simple_approval.bpmn")
    assert response.status_code == 201 and response.json["version"] == 2
    return response.json


# ------------------------------------------------------------------ server side


@pytest.mark.parametrize("url", PAGES)
def test_who_is_not_a_designer_gets_403_on_every_designer_page(office, client, url):
    session_of(client, "clerk")
    response = client.get(url)
    assert response.status_code == 403
    assert "Bạn không có quyền xem trang này." in response.get_data(as_text=True)
    assert "Thiết kế quy trình" not in response.get_data(as_text=True)  # not in the navigation either


def test_anonymous_visitors_are_sent_to_the_login(ui_app, client):
    response = client.get("/ui/designer/simple_approval/compare?left=1")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/ui/login?next=/ui/designer/simple_approval/compare")


def test_the_list_shows_every_definition_with_its_versions_and_who_deployed_it(
    office, client, designer, second_version
):
    session_of(client, "designer")
    response = client.get("/ui/designer")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'aria-current="page">Thiết kế quy trình</a>' in html
    rows = dict(re.findall(r'<tr data-key="([^"]+)">(.*?)</tr>', html, re.S))
    assert set(rows) == {"simple_approval", "dossier"}
    approval = rows["simple_approval"]
    assert re.search(r'data-testid="latest-version">2<', approval)
    assert re.search(r'data-testid="version-count">2<', approval)
    assert "<td>designer</td>" in approval
    assert re.search(r"<td>\d{2}/\d{2}/\d{4} \d{2}:\d{2}</td>", approval)
    assert 'href="/ui/designer/simple_approval"' in approval
    assert 'href="/ui/designer/simple_approval/compare"' in approval
    assert "<td>admin</td>" in rows["dossier"]
    assert "/compare" not in rows["dossier"]  # one version: nothing to compare
    assert 'href="/ui/designer/new"' in html


def test_the_modeler_opens_the_chosen_version_with_the_api_urls(office, client, designer, second_version):
    session_of(client, "designer")
    latest = client.get("/ui/designer/simple_approval")
    assert latest.status_code == 200
    html = latest.get_data(as_text=True)
    assert "dist/bpmn-modeler.production.min.js" in html and "js/designer.js" in html
    assert "phiên bản 2" in html
    context = context_of(latest)
    assert context["key"] == "simple_approval" and context["version"] == 2
    assert context["xml_url"] == "/api/v1/process-definitions/simple_approval/versions/2/xml"
    assert context["deploy_url"] == "/api/v1/process-definitions"
    assert sorted(context["existing_keys"]) == ["dossier", "simple_approval"]
    assert context["timezone"] == "Asia/Ho_Chi_Minh"
    assert client.get(context["xml_url"]).get_data() == (
        (BPMN / "simple_approval.bpmn")
        .read_text(encoding="utf-8")
        .replace('name="Thẩm định"', 'name="Thẩm định nội dung"')
        .encode()
    )

    first = client.get("/ui/designer/simple_approval?version=1")
    assert context_of(first)["xml_url"].endswith("/versions/1/xml")
    assert '<option value="1" selected>' in first.get_data(as_text=True)

    fresh = client.get("/ui/designer/new")
    assert fresh.status_code == 200
    assert context_of(fresh)["xml_url"] is None and context_of(fresh)["key"] is None


def test_the_modeler_offers_the_forms_of_the_forms_folder(office, client, designer, tmp_path):
    session_of(client, "designer")
    folders = (ROOT / "forms", DATA / "forms")  # MOTCUA_FORMS_DIR of the tests: both, in order
    expected = sorted(p.name.removesuffix(".schema.json") for f in folders for p in f.glob("*.schema.json"))
    page = client.get("/ui/designer/dossier")
    assert context_of(page)["forms"] == expected
    html = page.get_data(as_text=True)
    for key in expected:
        assert f'<option value="{key}">{key}</option>' in html
    assert '<option value="mau-01">Mẫu 01: Giấy tiếp nhận hồ sơ và hẹn trả kết quả</option>' in html

    # The list follows MOTCUA_FORMS_DIR, and leaves out a schema that is not valid JSON Schema.
    (tmp_path / "only_one.schema.json").write_text('{"type": "object"}', encoding="utf-8")
    (tmp_path / "broken.schema.json").write_text('{"type": 12}', encoding="utf-8")
    (tmp_path / "notes.txt").write_text("not a form", encoding="utf-8")
    office.app.config["MOTCUA_FORMS_DIR"] = str(tmp_path)
    assert context_of(client.get("/ui/designer/new"))["forms"] == ["only_one"]


def test_unknown_definitions_and_bad_versions_get_clear_error_pages(office, client, designer):
    session_of(client, "designer")
    assert client.get("/ui/designer/no_such_process").status_code == 404
    assert client.get("/ui/designer/simple_approval?version=7").status_code == 404
    assert client.get("/ui/designer/no_such_process/compare").status_code == 404
    bad = client.get("/ui/designer/simple_approval?version=abc")
    assert bad.status_code == 400
    assert "Phiên bản “abc” không hợp lệ: cần một số nguyên dương." in bad.get_data(as_text=True)
    assert client.get("/ui/designer/simple_approval/compare?left=-1").status_code == 400
    english = client.get("/ui/designer/simple_approval?version=0&lang=en")
    assert english.status_code == 400
    assert "Version “0” is not valid: a positive whole number is needed." in english.get_data(as_text=True)


def test_the_comparison_defaults_to_the_last_two_versions_and_takes_any_two(
    office, client, designer, second_version
):
    session_of(client, "designer")
    default = context_of(client.get("/ui/designer/simple_approval/compare"))
    assert (default["left"]["version"], default["right"]["version"]) == (1, 2)
    assert default["right"]["xml_url"] == "/api/v1/process-definitions/simple_approval/versions/2/xml"
    chosen = client.get("/ui/designer/simple_approval/compare?left=2&right=1")
    assert chosen.status_code == 200
    context = context_of(chosen)
    assert (context["left"]["version"], context["right"]["version"]) == (2, 1)
    html = chosen.get_data(as_text=True)
    assert "dist/bpmn-navigated-viewer.production.min.js" in html
    assert client.get("/ui/designer/simple_approval/compare?right=3").status_code == 404
    assert 'data-testid="same-version"' not in html
    single_page = client.get("/ui/designer/dossier/compare")
    single = context_of(single_page)
    assert (single["left"]["version"], single["right"]["version"]) == (1, 1)
    assert "mới có một phiên bản: chưa có gì để so sánh" in single_page.get_data(as_text=True)
    same = client.get("/ui/designer/simple_approval/compare?left=2&right=2").get_data(as_text=True)
    assert "hãy chọn hai phiên bản khác nhau" in same


# ------------------------------------------------------------------ in Chromium

try:
    from playwright.sync_api import expect
except ImportError:
    if IN_CI:
        raise  # CI=true: the browser tests must run
    expect = None

browser_test = pytest.mark.skipif(expect is None, reason="The playwright package is not installed.")


def _open_modeler(page, url):
    page.goto(url)
    expect(page.locator("body")).to_have_attribute("data-designer-ready", "true")


def _rename_by_direct_editing(page, element_id, name):
    page.locator(f'[data-element-id="{element_id}"]').first.dblclick()
    editor = page.locator(".djs-direct-editing-parent .djs-direct-editing-content")
    expect(editor).to_be_visible()
    page.keyboard.press("Control+A")
    page.keyboard.type(name)
    page.keyboard.press("Enter")  # Enter ends the editing and keeps the name
    expect(editor).to_be_hidden()


@browser_test
def test_a_designer_edits_deploys_is_refused_on_a_broken_diagram_and_compares(page, office, designer):
    log_in(page, "designer")
    page.get_by_role("navigation", name="Điều hướng chính").get_by_role(
        "link", name="Thiết kế quy trình"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Thiết kế quy trình")
    row = page.locator('tr[data-key="dossier"]')
    expect(row.get_by_test_id("latest-version")).to_have_text("1")
    row.get_by_role("link", name="Mở sơ đồ").click()
    expect(page).to_have_url(re.compile(r"/ui/designer/dossier$"))
    expect(page.locator("body")).to_have_attribute("data-designer-ready", "true")
    expect(page.get_by_label("Mã quy trình")).to_have_value("dossier")
    expect(page.get_by_label("Tên quy trình")).to_have_value(
        "Tiếp nhận và giải quyết hồ sơ TTHC tại Bộ phận Một cửa"
    )
    expect(page.locator(".bjs-powered-by")).to_be_visible()  # the bpmn.io watermark stays

    # Rename a task in the canvas (double-click, type), and the process in the toolbar.
    _rename_by_direct_editing(page, "hand_back", "Trả lại hồ sơ cho công dân đã rút")
    expect(page.get_by_test_id("dirty")).to_be_visible()
    page.get_by_label("Tên quy trình").fill("Giải quyết hồ sơ TTHC")
    page.get_by_label("Tên quy trình").press("Tab")
    page.get_by_role("button", name="Triển khai").click()
    expect(page.locator("#messages")).to_contain_text("Đã triển khai phiên bản 2 của quy trình «dossier».")
    expect(page).to_have_url(re.compile(r"/ui/designer/dossier\?version=2$"))
    expect(page.get_by_test_id("current-version")).to_contain_text("phiên bản 2 · triển khai lúc")
    expect(page.get_by_test_id("title")).to_have_text("Giải quyết hồ sơ TTHC")
    expect(page.get_by_test_id("dirty")).to_be_hidden()
    screenshot(page, "designer.png")

    api = designer.get("/api/v1/process-definitions/dossier").json
    assert api["version"] == 2 and api["name"] == "Giải quyết hồ sơ TTHC"
    assert [v["version"] for v in api["versions"]] == [1, 2]
    xml = designer.get("/api/v1/process-definitions/dossier/versions/2/xml").get_data(as_text=True)
    assert 'name="Trả lại hồ sơ cho công dân đã rút"' in xml

    # Break the script of a script task in the element panel: the server refuses it, naming the element.
    panel = page.get_by_test_id("element-panel")
    page.locator('[data-element-id="prepare_consultation"]').first.click()
    expect(panel.get_by_label("Mã phần tử")).to_have_value("prepare_consultation")
    expect(panel.get_by_label("Kịch bản (Python)")).to_have_value("opinions = []")
    expect(panel.get_by_label("Điều kiện (biểu thức Python)")).to_be_hidden()  # only for sequence flows
    panel.get_by_label("Mã phần tử").fill("consult")
    panel.get_by_label("Mã phần tử").press("Tab")
    expect(panel.locator("#field-element-id .field-error")).to_have_text(
        "Sơ đồ đã có phần tử mang mã «consult»."
    )
    panel.get_by_label("Mã phần tử").fill("prepare_consultation")
    panel.get_by_label("Kịch bản (Python)").fill("opinions = [")
    panel.get_by_label("Kịch bản (Python)").press("Tab")
    assert (
        page.evaluate(
            "() => window.motcuaModeler.get('elementRegistry').get('prepare_consultation')"
            ".businessObject.script"
        )
        == "opinions = ["
    )
    page.get_by_role("button", name="Triển khai").click()
    errors = page.get_by_test_id("errors")
    expect(errors).to_be_visible()
    expect(errors).to_contain_text("Máy chủ từ chối sơ đồ.")
    # Named by the element's name, in the page's words, with no XML line; the server's text kept
    # under "technical details".
    expect(errors.get_by_test_id("error")).to_contain_text(
        "Phần tử «Chuẩn bị lấy ý kiến phối hợp»: Biểu thức hoặc kịch bản của phần tử có lỗi cú pháp."
    )
    expect(errors.get_by_test_id("error")).not_to_contain_text("dòng")
    expect(errors.locator(".error-technical code")).to_contain_text("does not compile")
    expect(errors.locator(".error-technical code")).to_be_hidden()
    broken = page.locator('g.djs-element[data-element-id="prepare_consultation"]')
    expect(broken).to_have_class(re.compile(r"\bvalidation-error\b"))
    expect(broken).to_have_class(re.compile(r"\bselected\b"))
    expect(page.get_by_test_id("dirty")).to_be_visible()  # nothing was lost
    assert designer.get("/api/v1/process-definitions/dossier").json["version"] == 2

    # Clicking the error selects the element again after another was selected.
    page.locator('[data-element-id="receive"]').first.click()
    expect(broken).not_to_have_class(re.compile(r"\bselected\b"))
    errors.get_by_role("button", name="Phần tử «Chuẩn bị lấy ý kiến phối hợp»").click()
    expect(broken).to_have_class(re.compile(r"\bselected\b"))
    screenshot(page, "designer-error.png")

    # A sequence flow's condition is edited in the same panel.
    page.evaluate(
        """() => {
            const modeler = window.motcuaModeler;
            modeler.get('selection').select(modeler.get('elementRegistry').get('flow_approved'));
        }"""
    )
    condition = panel.get_by_label("Điều kiện (biểu thức Python)")
    expect(condition).to_have_value('approval_decision == "approve"')
    expect(panel.get_by_label("Kịch bản (Python)")).to_be_hidden()
    condition.fill('approval_decision in ("approve", "approved")')
    condition.press("Tab")
    assert (
        page.evaluate(
            "() => window.motcuaModeler.get('elementRegistry').get('flow_approved')"
            ".businessObject.conditionExpression.body"
        )
        == 'approval_decision in ("approve", "approved")'
    )

    # Leaving with unsaved changes asks first.
    dialogs = []

    def answer(dialog):
        dialogs.append(dialog.type)
        dialog.accept()

    page.on("dialog", answer)
    page.goto("/ui/designer/dossier/compare")
    assert dialogs == ["beforeunload"]

    # The comparison of versions 1 and 2 marks the renamed task on both sides and lists it.
    expect(page.locator("body")).to_have_attribute("data-designer-ready", "true")
    expect(page.get_by_label("Bên trái")).to_have_value("1")
    expect(page.get_by_label("Bên phải")).to_have_value("2")
    for side in ("left", "right"):
        canvas = page.get_by_test_id(f"canvas-{side}")
        changed = canvas.locator('g.djs-element[data-element-id="hand_back"]')
        expect(changed).to_have_class(re.compile(r"\bdiff-changed\b"))
        unchanged = canvas.locator('g.djs-element[data-element-id="receive"]')
        expect(unchanged).not_to_have_class(re.compile(r"\bdiff-"))
    rows = page.get_by_test_id("differences").locator("tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-element-id", "hand_back")
    expect(rows.first).to_contain_text("Thay đổi")
    expect(rows.first).to_contain_text(
        "tên: «Trả lại hồ sơ cho công dân rút» → «Trả lại hồ sơ cho công dân đã rút»"
    )
    screenshot(page, "designer-compare.png")


@browser_test
def test_a_new_diagram_needs_a_free_valid_process_id_then_deploys(page, office, designer):
    log_in(page, "designer")
    page.goto("/ui/designer")
    page.get_by_test_id("new-diagram").click()
    expect(page.locator("body")).to_have_attribute("data-designer-ready", "true")
    expect(page.get_by_test_id("current-version")).to_have_text("Chưa triển khai")
    expect(page.get_by_label("Tên quy trình")).to_have_value("Quy trình mới")
    start = page.locator('g.djs-element[data-element-id="start"]')
    expect(start).to_be_visible()
    label = page.locator('g.djs-element[data-element-id="start_label"]')
    expect(label).to_have_text("Bắt đầu")

    # The modeler's keyboard undoes and redoes.
    _rename_by_direct_editing(page, "start", "Nhận yêu cầu")
    expect(label).to_have_text("Nhận yêu cầu")
    page.locator("#canvas svg[tabindex]").first.focus()  # the shortcuts act where the canvas has focus
    page.keyboard.press("Control+Z")
    expect(label).to_have_text("Bắt đầu")
    page.keyboard.press("Control+Y")
    expect(label).to_have_text("Nhận yêu cầu")

    process_id = page.get_by_label("Mã quy trình")
    process_id.fill("1 sai mã")
    page.get_by_role("button", name="Triển khai").click()
    expect(page.locator("#field-process-id .field-error")).to_contain_text(
        "Mã quy trình phải bắt đầu bằng chữ cái"
    )
    expect(process_id).to_have_attribute("aria-invalid", "true")
    expect(process_id).to_have_value("1 sai mã")  # kept as typed

    process_id.fill("simple_approval")
    page.get_by_role("button", name="Triển khai").click()
    expect(page.locator("#field-process-id .field-error")).to_contain_text(
        "Đã có quy trình mang mã «simple_approval»."
    )

    process_id.fill("cap_giay_xac_nhan")
    page.get_by_label("Tên quy trình").fill("Cấp giấy xác nhận")
    page.get_by_role("button", name="Triển khai").click()
    expect(page.locator("#messages")).to_contain_text(
        "Đã triển khai phiên bản 1 của quy trình «cap_giay_xac_nhan»."
    )
    expect(page).to_have_url(re.compile(r"/ui/designer/cap_giay_xac_nhan\?version=1$"))
    expect(page.locator("#field-process-id .field-error")).to_have_count(0)
    api = designer.get("/api/v1/process-definitions/cap_giay_xac_nhan").json
    assert api["version"] == 1 and api["name"] == "Cấp giấy xác nhận"
    xml = designer.get("/api/v1/process-definitions/cap_giay_xac_nhan/versions/1/xml").get_data(as_text=True)
    assert 'name="Nhận yêu cầu"' in xml

    # Deploying the same content again changes nothing and says so.
    page.get_by_role("button", name="Triển khai").click()
    expect(page.locator("#messages")).to_contain_text("Nội dung không đổi: phiên bản 1 đã có sẵn.")
    page.goto("/ui/designer")  # nothing unsaved: no question asked
    expect(page.locator('tr[data-key="cap_giay_xac_nhan"]').get_by_test_id("latest-version")).to_have_text(
        "1"
    )

    # A definition deployed without its drawing (BPMN DI) is explained, not shown blank.
    xml = (BPMN / "simple_approval.bpmn").read_text(encoding="utf-8")
    undrawn = xml[: xml.index("  <bpmndi:BPMNDiagram")] + "</bpmn:definitions>\n"
    undrawn = undrawn.replace('"simple_approval"', '"undrawn"')
    assert designer.deploy(undrawn, "undrawn.bpmn").status_code == 201
    page.goto("/ui/designer/undrawn")
    expect(page.get_by_test_id("errors")).to_contain_text("không có phần hình vẽ (BPMN DI)")
    expect(page.get_by_role("button", name="Triển khai")).to_be_disabled()


SPIFF = "{http://spiffworkflow.org/bpmn/schema/1.0/core}"
MODEL = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"


def _properties_by_element(xml: str) -> dict[str, list[tuple[str, str]]]:
    """{element id: [(name, value)…]} of every element's spiffworkflow:property, in order."""
    root = ET.fromstring(xml.encode("utf-8"))
    found = {}
    for element in root.iter():
        if element.get("id") is None:
            continue
        extension = element.find(f"{MODEL}extensionElements")
        if extension is None:
            continue
        found[element.get("id")] = [
            (p.get("name"), p.get("value")) for p in extension.iter(f"{SPIFF}property")
        ]
    return found


def _documentation_of(xml: str, element_id: str) -> list[str]:
    root = ET.fromstring(xml.encode("utf-8"))
    element = next(e for e in root.iter() if e.get("id") == element_id)
    return [d.text for d in element.findall(f"{MODEL}documentation")]


def _select(page, element_id):
    page.evaluate(
        """id => {
            const modeler = window.motcuaModeler;
            modeler.get('selection').select(modeler.get('elementRegistry').get(id));
        }""",
        element_id,
    )


def _stored(page, element_id):
    """The element's extension properties as the modeler holds them now."""
    return page.evaluate(
        """id => {
            const bo = window.motcuaModeler.get('elementRegistry').get(id).businessObject;
            const values = (bo.extensionElements && bo.extensionElements.values) || [];
            return values.filter(v => v.$type.endsWith(':properties'))
                .flatMap(v => (v.$children || []).map(p => [p.name, p.value]));
        }""",
        element_id,
    )


@browser_test
def test_a_designer_edits_the_extension_properties_of_a_task_and_deploys_them(page, office, designer):
    # Version 2 of dossier carries a property the designer does not know: it must survive editing.
    original = (BPMN / "dossier.bpmn").read_text(encoding="utf-8")
    marked = original.replace(
        '<spiffworkflow:property name="assigneeVariable" value="specialist" />',
        '<spiffworkflow:property name="assigneeVariable" value="specialist" />\n'
        '              <spiffworkflow:property name="priority" value="high" />',
    )
    assert marked != original
    assert designer.deploy(marked, "dossier.bpmn").json["version"] == 2

    log_in(page, "designer")
    _open_modeler(page, "/ui/designer/dossier")
    panel = page.get_by_test_id("element-panel")
    page.locator('[data-element-id="appraise"]').first.click()
    expect(panel.get_by_label("Mã phần tử")).to_have_value("appraise")
    form_key = panel.get_by_label("Biểu mẫu formKey")
    allotment = panel.get_by_label("Thời hạn (ngày làm việc) allotment")
    due_in = panel.get_by_label("Thời hạn theo lịch dueIn")
    status = panel.get_by_label("Trạng thái hồ sơ dossierStatus")
    groups = panel.get_by_label("Nhóm xử lý candidateGroups")
    clock = panel.get_by_label("Đồng hồ tính thời gian clock")
    assignee = panel.get_by_label("Biến chứa người được giao assigneeVariable")
    documentation = panel.get_by_label("Hướng dẫn cho người xử lý")
    expect(form_key).to_have_value("dossier_appraise")
    expect(allotment).to_have_value("2")
    expect(status).to_have_value("4")
    expect(panel.get_by_label("Biến chứa mã đơn vị unitVariable")).to_have_value("handling_unit")
    expect(assignee).to_have_value("specialist")
    expect(clock).to_have_value("")
    expect(documentation).to_have_value(re.compile(r"^Chuyên viên thẩm định hồ sơ"))
    expect(panel.get_by_test_id("other-properties")).to_have_text("priority = high")
    expect(panel.get_by_label("Kịch bản (Python)")).to_be_hidden()

    # Bad values are refused next to their field, kept as typed, and change nothing.
    allotment.fill("hai ngày")
    allotment.press("Tab")
    expect(panel.locator('[data-property="allotment"] .field-error')).to_have_text(
        "Nhập một số không âm (số ngày làm việc), ví dụ 0.5 hoặc 2."
    )
    expect(allotment).to_have_attribute("aria-invalid", "true")
    due_in.fill("3 ngày")
    due_in.press("Tab")
    expect(panel.locator('[data-property="dueIn"] .field-error')).to_have_text(
        "Nhập khoảng thời gian theo ISO 8601, ví dụ P2D, PT4H hoặc P1DT12H."
    )
    status.fill("11")
    status.press("Tab")
    expect(panel.locator('[data-property="dossierStatus"] .field-error')).to_have_text(
        "Nhập một số nguyên từ 1 đến 10."
    )
    groups.fill("chuyên viên")
    groups.press("Tab")
    expect(panel.locator('[data-property="candidateGroups"] .field-error')).to_contain_text(
        "nhiều nhóm cách nhau bằng dấu phẩy"
    )
    expect(allotment).to_have_value("hai ngày")  # another field's change does not wipe it
    assert ["allotment", "2"] in _stored(page, "appraise")
    expect(page.get_by_test_id("dirty")).to_be_hidden()

    # Good values: one undoable command each.
    allotment.fill("1,5")
    allotment.press("Tab")
    expect(panel.locator('[data-property="allotment"] .field-error')).to_have_count(0)
    due_in.fill("p3d")
    due_in.press("Tab")
    status.fill("4")
    status.press("Tab")
    groups.fill("specialists, leaders")
    groups.press("Tab")
    form_key.select_option("dossier_consult")
    clock.select_option("paused")
    assignee.fill("")
    assignee.press("Tab")
    documentation.fill("Thẩm định hồ sơ theo quy định; ghi rõ lý do khi đề xuất từ chối.")
    documentation.press("Tab")
    expect(page.get_by_test_id("dirty")).to_be_visible()
    expect(due_in).to_have_value("P3D")
    assert _stored(page, "appraise") == [
        ["formKey", "dossier_consult"],
        ["unitVariable", "handling_unit"],
        ["allotment", "1.5"],
        ["dossierStatus", "4"],
        ["priority", "high"],
        ["dueIn", "P3D"],
        ["candidateGroups", "specialists,leaders"],
        ["clock", "paused"],
    ]

    # Undo and redo go through the modeler's command stack (the canvas's keyboard shortcuts).
    page.locator("#canvas svg[tabindex]").first.focus()
    page.keyboard.press("Control+Z")  # the documentation
    page.keyboard.press("Control+Z")  # assigneeVariable removed
    expect(assignee).to_have_value("specialist")
    page.keyboard.press("Control+Z")  # clock
    expect(clock).to_have_value("")
    page.keyboard.press("Control+Y")
    page.keyboard.press("Control+Y")
    page.keyboard.press("Control+Y")
    expect(clock).to_have_value("paused")
    expect(assignee).to_have_value("")
    expect(documentation).to_have_value("Thẩm định hồ sơ theo quy định; ghi rõ lý do khi đề xuất từ chối.")
    page.evaluate(
        """() => {
            const modeler = window.motcuaModeler;
            modeler.get('canvas').zoom(0.9);
            modeler.get('canvas').scrollToElement(modeler.get('elementRegistry').get('appraise'));
        }"""
    )
    screenshot(page, "designer-properties.png")

    # An event takes the dossier status and the slip; an element without extension elements gets them.
    _select(page, "start")
    expect(form_key).to_be_hidden()
    expect(clock).to_be_hidden()
    status.fill("1")
    status.press("Tab")
    _select(page, "end_refused")
    expect(status).to_have_value("3")
    document = panel.get_by_label("Phiếu phát hành document")
    expect(document).to_have_value("mau-03")
    document.select_option("mau-02")

    # A lane's name is its candidate group.
    _select(page, "lane_records")
    lane = panel.get_by_label("Nhóm xử lý (tên làn)")
    expect(lane).to_have_value("records")
    expect(page.get_by_test_id("properties")).to_be_hidden()
    lane.fill("văn thư")
    lane.press("Tab")
    expect(panel.locator("#field-lane-name .field-error")).to_have_text(
        "Tên làn là tên một nhóm: chỉ gồm chữ cái không dấu, chữ số, “.”, “_”, “-”."
    )
    lane.fill("archivists")
    lane.press("Tab")
    expect(panel.locator("#field-lane-name .field-error")).to_have_count(0)

    page.get_by_role("button", name="Triển khai").click()
    expect(page.locator("#messages")).to_contain_text("Đã triển khai phiên bản 3 của quy trình «dossier».")

    deployed = designer.get("/api/v1/process-definitions/dossier/versions/3/xml").get_data(as_text=True)
    before, after = _properties_by_element(marked), _properties_by_element(deployed)
    assert after.pop("appraise") == [
        ("formKey", "dossier_consult"),
        ("unitVariable", "handling_unit"),
        ("allotment", "1.5"),
        ("dossierStatus", "4"),
        ("priority", "high"),
        ("dueIn", "P3D"),
        ("candidateGroups", "specialists,leaders"),
        ("clock", "paused"),
    ]
    assert after.pop("start") == [("dossierStatus", "1")]
    assert after.pop("end_refused") == [
        ("dossierStatus", "3"),
        ("dossierOutcome", "not_received"),
        ("document", "mau-02"),
    ]
    before.pop("appraise"), before.pop("end_refused")
    assert after == before  # every other element's properties unchanged
    for other in ("postScript", "messageVariable", 'scriptsOnInstances="true"'):
        assert deployed.count(other) == marked.count(other) > 0
    assert _documentation_of(deployed, "appraise") == [
        "Thẩm định hồ sơ theo quy định; ghi rõ lý do khi đề xuất từ chối."
    ]
    assert _documentation_of(deployed, "receive") == _documentation_of(marked, "receive")
    assert re.search(r'<bpmn:lane id="lane_records" name="archivists">', deployed)


@pytest.fixture
def forms_without_hand_back(office, tmp_path):
    """A forms folder where the form of dossier's hand_back task has been removed."""
    folder = tmp_path / "forms"
    shutil.copytree(ROOT / "forms", folder)
    for suffix in ("schema", "ui"):
        (folder / f"dossier_hand_back.{suffix}.json").unlink()
    office.app.config["MOTCUA_FORMS_DIR"] = str(folder)
    return folder


@browser_test
def test_a_task_whose_form_is_missing_is_refused_and_shown_on_the_element(
    page, office, designer, forms_without_hand_back
):
    log_in(page, "designer")
    _open_modeler(page, "/ui/designer/dossier")
    panel = page.get_by_test_id("element-panel")
    form_key = panel.get_by_label("Biểu mẫu formKey")
    _select(page, "hand_back")
    expect(form_key).to_have_value("dossier_hand_back")
    expect(form_key.locator("option:checked")).to_have_text("dossier_hand_back (không tồn tại)")
    warning = panel.locator('[data-property="formKey"] .field-error')
    expect(warning).to_have_text(
        "Không có biểu mẫu «dossier_hand_back» (forms/dossier_hand_back.schema.json): "
        "máy chủ sẽ từ chối sơ đồ."
    )
    allotment = panel.get_by_label("Thời hạn (ngày làm việc) allotment")
    allotment.fill("1")
    allotment.press("Tab")

    _select(page, "receive")
    expect(warning).to_be_hidden()
    page.get_by_role("button", name="Triển khai").click()
    errors = page.get_by_test_id("errors")
    expect(errors).to_contain_text("Máy chủ từ chối sơ đồ.")
    expect(errors.get_by_test_id("error")).to_contain_text(
        "Phần tử «Trả lại hồ sơ cho công dân rút»: Không có biểu mẫu «dossier_hand_back» "
        "(forms/dossier_hand_back.schema.json)."
    )
    expect(errors.get_by_test_id("error")).not_to_contain_text(re.compile(r"dòng \d+"))
    refused = page.locator('g.djs-element[data-element-id="hand_back"]')
    expect(refused).to_have_class(re.compile(r"\bvalidation-error\b"))
    expect(refused).to_have_class(re.compile(r"\bselected\b"))
    expect(panel.get_by_label("Mã phần tử")).to_have_value("hand_back")
    expect(warning).to_contain_text("Không có biểu mẫu «dossier_hand_back»")
    assert designer.get("/api/v1/process-definitions/dossier").json["version"] == 1

    # Choosing a form that exists lets the diagram deploy.
    form_key.select_option("dossier_return_result")
    expect(warning).to_have_count(0)
    expect(form_key.locator("option", has_text="không tồn tại")).to_have_count(0)
    page.get_by_role("button", name="Triển khai").click()
    expect(page.locator("#messages")).to_contain_text("Đã triển khai phiên bản 2 của quy trình «dossier».")
    xml = designer.get("/api/v1/process-definitions/dossier/versions/2/xml").get_data(as_text=True)
    assert _properties_by_element(xml)["hand_back"] == [
        ("formKey", "dossier_return_result"),
        ("unitVariable", "reception_unit"),
        ("allotment", "1"),
        ("dossierStatus", "7"),
        ("dossierOutcome", "withdrawn"),
    ]


# ------------------------------------------------------------------ collaborations and diagrams

DESCRIPTIVE = DATA / "camunda" / "camunda_descriptive_pool.bpmn"


def test_the_list_shows_diagram_only_files_and_opens_them(office, client, designer):
    assert designer.deploy(DESCRIPTIVE.read_bytes(), "as_is.bpmn").status_code == 201
    session_of(client, "designer")
    html = client.get("/ui/designer").get_data(as_text=True)
    diagrams = html.split('data-testid="diagrams"', 1)[1]
    assert '<tr data-key="Definitions_as_is_map">' in diagrams
    assert "How permits are handled today" in diagrams and "<td>Process_as_is</td>" in diagrams
    assert 'href="/ui/designer/diagrams/Definitions_as_is_map"' in diagrams
    opened = client.get("/ui/designer/diagrams/Definitions_as_is_map")
    assert opened.status_code == 200
    context = context_of(opened)
    assert context["xml_url"] == "/api/v1/diagrams/Definitions_as_is_map/versions/1/xml"
    assert client.get(context["xml_url"]).get_data() == DESCRIPTIVE.read_bytes()
    assert client.get("/ui/designer/diagrams/nothing_here").status_code == 404


def test_the_designer_shows_a_collaboration_with_its_pools_and_messages(page, office, designer):
    model = BPMN / "lien_thong_birth.bpmn"
    assert designer.deploy(model.read_bytes(), model.name).status_code == 201
    descriptive = designer.deploy(DESCRIPTIVE.read_bytes(), "as_is.bpmn")
    assert descriptive.status_code == 201
    log_in(page, "designer")
    page.goto("/ui/designer")
    page.locator('tr[data-key="lien_thong_birth"]').get_by_role("link", name="Mở sơ đồ").click()
    expect(page.locator("body")).to_have_attribute("data-designer-ready", "true")
    # the key and name are the collaboration's: it deploys as one definition
    expect(page.get_by_label("Mã quy trình")).to_have_value("lien_thong_birth")
    expect(page.get_by_label("Tên quy trình")).to_have_value(
        "Liên thông: đăng ký khai sinh, đăng ký thường trú, cấp thẻ BHYT cho trẻ em dưới 6 tuổi"
    )
    shown = page.evaluate(
        """() => {
          const registry = window.motcuaModeler.get("elementRegistry");
          const ids = (type) => registry.filter((e) => e.type === type).map((e) => e.id).sort();
          return {pools: ids("bpmn:Participant"), flows: ids("bpmn:MessageFlow")};
        }"""
    )
    assert shown == {
        "pools": ["Participant_commune", "Participant_insurance", "Participant_police"],
        "flows": ["mf_insurance_done", "mf_insurance_request", "mf_residence_done", "mf_residence_request"],
    }
    screenshot(page, "designer-collaboration.png")
    # bpmn-js writes the file again (its own layout of the XML): still one collaboration definition
    page.get_by_role("button", name="Triển khai").click()
    expect(page.locator("#messages")).to_contain_text(
        "Đã triển khai phiên bản 2 của quy trình «lien_thong_birth»."
    )
    expect(page).to_have_url(re.compile(r"/ui/designer/lien_thong_birth\?version=2$"))
    keys = {d["key"] for d in designer.get("/api/v1/process-definitions").json["items"]}
    assert "lien_thong_birth" in keys and "lt_commune" not in keys

    # a diagram-only file opens in the modeler too, with its descriptive pool
    page.goto("/ui/designer")
    page.locator('tr[data-key="Definitions_as_is_map"]').get_by_role("link", name="Mở sơ đồ").click()
    expect(page.locator("body")).to_have_attribute("data-designer-ready", "true")
    pools = page.evaluate(
        """() => window.motcuaModeler.get("elementRegistry")
             .filter((e) => e.type === "bpmn:Participant").length"""
    )
    assert pools == 1


def test_a_file_with_several_pools_opens_at_the_pool_of_its_key(page, office, designer):
    two = DATA / "camunda" / "camunda_two_agencies.bpmn"
    assert designer.deploy(two.read_bytes(), two.name).status_code == 201
    log_in(page, "designer")
    page.goto("/ui/designer")
    page.locator('tr[data-key="district_review"]').get_by_role("link", name="Mở sơ đồ").click()
    expect(page.locator("body")).to_have_attribute("data-designer-ready", "true")
    expect(page.get_by_label("Mã quy trình")).to_have_value("district_review")
    pools = page.evaluate(
        """() => window.motcuaModeler.get("elementRegistry")
             .filter((e) => e.type === "bpmn:Participant").map((e) => e.id).sort()"""
    )
    assert pools == ["Participant_citizen", "Participant_commune", "Participant_district"]
    page.get_by_label("Tên quy trình").fill("District review, renamed")
    page.get_by_label("Tên quy trình").press("Tab")
    page.get_by_role("button", name="Triển khai").click()
    expect(page.locator("#messages")).to_contain_text(
        "Đã triển khai phiên bản 2 của quy trình «district_review»."
    )
    expect(page).to_have_url(re.compile(r"/ui/designer/district_review\?version=2$"))
    assert (
        designer.get("/api/v1/process-definitions/district_review").json["name"] == "District review, renamed"
    )
