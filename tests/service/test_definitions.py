"""Deploying BPMN: versioning by content, listing, reading back, refusing bad files."""

from tests.support import bpmn_path

SIMPLE = bpmn_path("simple_approval.bpmn")


def _variant(text: str, marker: str) -> str:
    return text.replace("Phê duyệt văn bản (ví dụ)", f"Phê duyệt văn bản ({marker})")


def test_deploy_creates_version_1_with_checksum(admin):
    response = admin.deploy(SIMPLE)
    assert response.status_code == 201
    body = response.json
    assert body["key"] == "simple_approval"
    assert body["version"] == 1
    assert len(body["checksum"]) == 64


def test_identical_redeploy_returns_the_existing_version_with_200(admin):
    first = admin.deploy(SIMPLE).json
    again = admin.deploy(SIMPLE)
    assert again.status_code == 200
    assert again.json["version"] == first["version"] == 1
    assert again.json["checksum"] == first["checksum"]


def test_changed_content_makes_the_next_version(admin):
    text = SIMPLE.read_text()
    admin.deploy(text)
    second = admin.deploy(_variant(text, "v2"))
    assert second.status_code == 201
    assert second.json["version"] == 2
    detail = admin.get("/api/v1/process-definitions/simple_approval").json
    assert detail["version"] == 2
    assert [v["version"] for v in detail["versions"]] == [1, 2]


def test_running_instances_stay_on_their_version(admin):
    text = SIMPLE.read_text()
    admin.deploy(text)
    started = admin.start("simple_approval").json
    admin.deploy(_variant(text, "v2"))
    newer = admin.start("simple_approval").json
    pinned = admin.start("simple_approval", version=1).json
    assert started["definition_version"] == 1
    assert newer["definition_version"] == 2
    assert pinned["definition_version"] == 1
    again = admin.get(f"/api/v1/process-instances/{started['id']}").json
    assert again["definition_version"] == 1


def test_list_shows_the_latest_version_of_each_key(admin):
    text = SIMPLE.read_text()
    admin.deploy(text)
    admin.deploy(_variant(text, "v2"))
    listing = admin.get("/api/v1/process-definitions").json
    assert listing["total"] == 1
    assert listing["items"][0]["version"] == 2


def test_xml_of_a_version_is_returned_as_deployed(admin):
    admin.deploy(SIMPLE)
    response = admin.get("/api/v1/process-definitions/simple_approval/versions/1/xml")
    assert response.status_code == 200
    assert response.mimetype == "application/xml"
    assert response.data == SIMPLE.read_bytes()


def test_unknown_definition_and_version_are_404(admin):
    admin.deploy(SIMPLE)
    assert admin.get("/api/v1/process-definitions/nope").status_code == 404
    missing = admin.get("/api/v1/process-definitions/simple_approval/versions/9/xml")
    assert missing.status_code == 404
    assert missing.json["error"]["code"] == "not_found"


def test_invalid_bpmn_is_422_naming_element_and_line(admin):
    broken = SIMPLE.read_text().replace('targetRef="appraise"', 'targetRef="no_such_task"')
    response = admin.deploy(broken)
    assert response.status_code == 422
    error = response.json["error"]
    assert error["code"] == "bpmn_invalid"
    assert "line" in error["details"]


def test_not_xml_is_422(admin):
    response = admin.deploy(b"this is not xml", "x.bpmn")
    assert response.status_code == 422
    assert response.json["error"]["details"]["line"] == 1


def test_external_entity_is_refused(admin):
    evil = (
        '<?xml version="1.0"?>\n<!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
        '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d">'
        '<bpmn:process id="p" name="&x;" isExecutable="true"/></bpmn:definitions>'
    )
    response = admin.deploy(evil)
    assert response.status_code == 422
    assert "root:" not in response.get_data(as_text=True)


def test_oversized_file_is_413(app, admin):
    app.config["MOTCUA_MAX_BPMN_BYTES"] = 1000
    response = admin.deploy(SIMPLE)
    assert response.status_code == 413
    assert response.json["error"]["code"] == "bpmn_too_large"


def test_request_over_the_body_limit_is_413_json(app, admin):
    app.config["MAX_CONTENT_LENGTH"] = 2000
    response = admin.deploy(SIMPLE)
    assert response.status_code == 413
    assert response.json["error"]["code"] == "payload_too_large"


def test_missing_file_field_is_422(admin):
    response = admin.post("/api/v1/process-definitions", data={}, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "file" in response.json["error"]["details"]["fields"]


def test_wrong_extension_is_400(admin):
    response = admin.deploy(SIMPLE.read_bytes(), "process.exe")
    assert response.status_code == 400


def test_only_designers_and_admins_may_deploy(make_user):
    clerk = make_user("clerk", groups=["reception"])
    designer = make_user("designer", groups=["designers"])
    refused = clerk.deploy(SIMPLE)
    assert refused.status_code == 403
    assert refused.json["error"]["code"] == "forbidden"
    assert designer.deploy(SIMPLE).status_code == 201


def test_any_user_may_read_definitions(admin, make_user):
    admin.deploy(SIMPLE)
    clerk = make_user("clerk", groups=["reception"])
    assert clerk.get("/api/v1/process-definitions").json["total"] == 1


# ------------------------------------------------------------------ a user task's form must exist

DOSSIER = bpmn_path("dossier.bpmn")


def _line_with(text: str, fragment: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if fragment in line)


def test_a_user_task_naming_a_form_that_does_not_exist_is_422_naming_the_element(admin):
    text = SIMPLE.read_text(encoding="utf-8")
    broken = text.replace('value="simple_approval_register"', 'value="no_such_form"')
    assert broken != text
    response = admin.deploy(broken)
    assert response.status_code == 422
    error = response.json["error"]
    assert error["code"] == "bpmn_invalid"
    assert error["details"] == {"element_id": "register", "line": _line_with(text, 'id="register"')}
    assert "'no_such_form'" in error["message"] and "formKey" in error["message"]
    assert "forms/no_such_form.schema.json" in error["message"]
    assert admin.get("/api/v1/process-definitions").json["total"] == 0  # nothing was stored


def test_a_missing_form_inside_a_subprocess_is_refused_too(admin):
    text = DOSSIER.read_text(encoding="utf-8")
    broken = text.replace('value="dossier_appraise"', 'value="dossier_apprise"')
    response = admin.deploy(broken)
    assert response.status_code == 422
    assert response.json["error"]["details"] == {
        "element_id": "appraise",
        "line": _line_with(text, 'id="appraise"'),
    }


def test_the_form_is_looked_up_in_the_configured_forms_folder(app, admin, tmp_path):
    """A form removed from MOTCUA_FORMS_DIR refuses the next deploy; a form that is not valid JSON
    Schema counts as missing; a form key that tries to leave the folder is refused."""
    forms = tmp_path / "forms"
    forms.mkdir()
    for each in (SIMPLE.parent.parent / "forms").glob("simple_approval_*.schema.json"):
        (forms / each.name).write_text(each.read_text(encoding="utf-8"), encoding="utf-8")
    source = SIMPLE.parent.parent / "forms" / "simple_approval_register.schema.json"
    app.config["MOTCUA_FORMS_DIR"] = str(forms)
    assert admin.deploy(SIMPLE).status_code == 201

    (forms / source.name).write_text('{"type": 12}', encoding="utf-8")
    changed = _variant(SIMPLE.read_text(encoding="utf-8"), "v2")
    refused = admin.deploy(changed)
    assert refused.status_code == 422
    assert refused.json["error"]["details"]["element_id"] == "register"

    (forms / source.name).unlink()
    assert admin.deploy(changed).status_code == 422
    escaping = changed.replace(
        'value="simple_approval_register"', 'value="../forms/simple_approval_register"'
    )
    assert admin.deploy(escaping).status_code == 422

    (forms / source.name).write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    assert admin.deploy(changed).status_code == 201


def test_every_process_of_the_library_names_forms_that_exist(admin):
    for path in sorted(SIMPLE.parent.glob("*.bpmn")):
        response = admin.deploy(path)
        assert response.status_code == 201, (path.name, response.json)
