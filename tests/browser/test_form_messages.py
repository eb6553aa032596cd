"""The forms' validation messages in the caller's language: Vietnamese (or the session's choice)
for the pages, which call the API with the session cookie; English for every other caller."""

import json

import pytest
from jsonschema import Draft202012Validator

from tests.browser.test_pages_server import csrf_token, log_in
from tests.support import ROOT

ENGLISH_WORDS = ("is a required", "is not of type", "non-unique", "is too", "should be", "expected")


def receive_task(office):
    tasks = office.clerk.get(f"/api/v1/tasks?process_instance_id={office.dossier['process_instance_id']}")
    return next(t for t in tasks.json["items"] if t["element_id"] == "receive")


def page_complete(client, task_id, variables):
    """What the task page's script sends: the session cookie and its CSRF header."""
    token = csrf_token(client, f"/ui/tasks/{task_id}")
    return client.post(
        f"/api/v1/tasks/{task_id}/complete", json={"variables": variables}, headers={"X-CSRFToken": token}
    )


DUPLICATED = {
    "reception_decision": "guide",
    "missing_items": ["Bản chụp giấy tờ tùy thân", "Bản chụp giấy tờ tùy thân"],
    "guidance": "Bổ sung bản chụp.",
}


def test_the_pages_get_vietnamese_messages_and_an_api_client_english_in_the_same_shape(office, client):
    task = receive_task(office)
    log_in(client)
    refused = page_complete(client, task["id"], DUPLICATED)
    assert refused.status_code == 422
    error = refused.json["error"]
    assert error["code"] == "form_invalid"
    assert error["details"]["fields"] == {"missing_items": ["Mục «Bản chụp giấy tờ tùy thân» bị lặp lại."]}
    assert error["message"] == "Dữ liệu gửi không khớp biểu mẫu của công việc: missing_items."
    empty = page_complete(client, task["id"], {})
    assert empty.json["error"]["details"]["fields"] == {"reception_decision": ["Trường này là bắt buộc."]}

    api = office.clerk.complete(task["id"], DUPLICATED)
    assert api.status_code == 422 and api.json["error"]["code"] == "form_invalid"
    assert api.json["error"]["details"]["fields"] == {
        "missing_items": ["The item “Bản chụp giấy tờ tùy thân” is repeated."]
    }
    assert office.clerk.complete(task["id"], {}).json["error"]["details"]["fields"] == {
        "reception_decision": ["This field is required."]
    }


def test_a_page_in_english_gets_english_messages(office, client):
    task = receive_task(office)
    log_in(client)
    assert client.get("/ui/?lang=en").status_code == 200
    refused = page_complete(client, task["id"], {"reception_decision": "maybe", "note": "x" * 10001})
    assert refused.json["error"]["details"]["fields"] == {
        "reception_decision": ["“maybe” is not one of the allowed choices."],
        "note": ["At most 10000 characters."],
    }


def _errors(schema, value):
    return list(Draft202012Validator(schema).iter_errors(value))


CASES = [
    (
        {"type": "string", "minLength": 1},
        "",
        "Trường này không được để trống.",
        "This field must not be empty.",
    ),
    ({"type": "string", "minLength": 3}, "ab", "Cần ít nhất 3 ký tự.", "At least 3 characters are needed."),
    ({"type": "string", "maxLength": 2}, "abc", "Tối đa 2 ký tự.", "At most 2 characters."),
    ({"type": "array", "minItems": 1}, [], "Cần ít nhất 1 mục.", "At least 1 items are needed."),
    ({"type": "array", "maxItems": 1}, [1, 2], "Tối đa 1 mục.", "At most 1 items."),
    (
        {"type": "integer", "minimum": 1},
        0,
        "Giá trị phải lớn hơn hoặc bằng 1.",
        "The value must be at least 1.",
    ),
    (
        {"type": "integer", "maximum": 1},
        2,
        "Giá trị phải nhỏ hơn hoặc bằng 1.",
        "The value must be at most 1.",
    ),
    (
        {"enum": ["a"]},
        "b",
        "Giá trị «b» không nằm trong các lựa chọn cho phép.",
        "“b” is not one of the allowed choices.",
    ),
    (
        {"const": "a"},
        "b",
        "Giá trị «b» không nằm trong các lựa chọn cho phép.",
        "“b” is not one of the allowed choices.",
    ),
    (
        {"type": "boolean"},
        "x",
        "Kiểu dữ liệu không đúng: cần có/không.",
        "Wrong type of value: yes or no is expected.",
    ),
    (
        {"pattern": "^[0-9]+$"},
        "x1",
        "Giá trị «x1» không đúng định dạng.",
        "“x1” does not have the expected form.",
    ),
    (
        {"type": "array", "uniqueItems": True},
        [{"a": 1}, {"a": 1}],
        'Mục «{"a": 1}» bị lặp lại.',
        'The item “{"a": 1}” is repeated.',
    ),
    ({"not": {"type": "string"}}, "x", "Giá trị không hợp lệ.", "The value is not valid."),
    (
        {"type": "number", "exclusiveMinimum": 0},
        0,
        "Giá trị phải lớn hơn 0.",
        "The value must be greater than 0.",
    ),
    (
        {"type": "object", "additionalProperties": False},
        {"x": 1},
        "Biểu mẫu không có trường này.",
        "The form has no such field.",
    ),
]


@pytest.mark.parametrize(("schema", "value", "vietnamese", "english"), CASES)
def test_every_keyword_the_forms_use_has_words_in_both_languages(ui_app, schema, value, vietnamese, english):
    from service import form_messages

    (error,) = _errors(schema, value)
    with ui_app.test_request_context("/api/v1/tasks/x/complete"):
        assert form_messages.explain(error) == vietnamese
    with ui_app.test_request_context("/api/v1/tasks/x/complete", headers={"Authorization": "Bearer t"}):
        assert form_messages.explain(error) == english


def test_no_keyword_of_a_shipped_form_falls_back_to_jsonschemas_english(ui_app):
    """Every keyword the shipped forms use is said in words of ours (not the generic sentence)."""
    from service import form_messages

    used: set[str] = set()

    def walk(node):
        if isinstance(node, dict):
            used.update(node)
            for key, value in node.items():
                walk(value) if key != "properties" else [walk(v) for v in value.values()]
        elif isinstance(node, list):
            for item in node:
                walk(item)

    for path in (ROOT / "forms").glob("*.schema.json"):
        walk(json.loads(path.read_text(encoding="utf-8")))
    said = {keyword for case in CASES for keyword in case[0]} | {"required", "format"}
    annotations = {"$id", "$schema", "title", "description", "properties", "items", "allOf", "if", "then"}
    annotations |= {key for key in used if key.startswith("x-")}  # ours (x-picker...): no validation
    assert used - annotations <= said, used - annotations - said
    with ui_app.test_request_context("/"):
        for keyword in ("username", "org_unit"):
            (error,) = list(
                Draft202012Validator({"format": keyword}, format_checker=_refusing(keyword)).iter_errors(
                    "khongco"
                )
            )
            message = form_messages.explain(error)
            assert "khongco" in message and not any(w in message for w in ENGLISH_WORDS)


def _refusing(name):
    from jsonschema import FormatChecker

    checker = FormatChecker(formats=())
    checker.checks(name)(lambda value: False)
    return checker
