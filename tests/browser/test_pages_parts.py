"""Parts of the web pages on their own: due colours, the form adapter, translations, npm records."""

import json

from service.ui import formschema
from tests.support import ROOT

UI = ROOT / "service" / "ui"


def _form(key):
    forms = ROOT / "forms"
    return {
        "key": key,
        "schema": json.loads((forms / f"{key}.schema.json").read_text(encoding="utf-8")),
        "ui": json.loads((forms / f"{key}.ui.json").read_text(encoding="utf-8")),
    }


def test_the_editor_schema_takes_labels_order_options_and_branches_from_the_form():
    schema = formschema.editor_schema(_form("dossier_receive"))
    props = schema["properties"]
    assert "allOf" not in schema and "$schema" not in schema and "title" not in schema
    assert [name for name, _ in sorted(props.items(), key=lambda p: p[1]["propertyOrder"])] == [
        "reception_decision",
        "missing_items",
        "guidance",
        "refusal_reason",
        "note",
    ]
    decision = props["reception_decision"]
    assert decision["title"] == "Kết quả kiểm tra" and decision["format"] == "radio"
    assert decision["options"]["enum_titles"][0] == "Đầy đủ, đúng thẩm quyền: tiếp nhận"
    assert props["guidance"]["options"]["dependencies"] == {"reception_decision": "guide"}
    assert props["refusal_reason"]["options"]["dependencies"] == {"reception_decision": "refuse"}
    assert "dependencies" not in props["note"].get("options", {})
    assert props["guidance"]["format"] == "textarea"
    assert formschema.labels(_form("dossier_receive"))["guidance"] == "Nội dung hướng dẫn"


def test_a_field_required_by_several_branches_depends_on_all_their_values():
    schema = {
        "type": "object",
        "required": ["kind"],
        "properties": {"kind": {"enum": ["a", "b", "c"]}, "why": {"type": "string"}},
        "allOf": [
            {"if": {"properties": {"kind": {"const": "a"}}}, "then": {"required": ["why"]}},
            {"if": {"properties": {"kind": {"const": "b"}}}, "then": {"required": ["why", "kind"]}},
        ],
    }
    assert formschema.dependencies(schema) == {"why": {"kind": ["a", "b"]}}


def test_every_string_of_the_pages_has_an_english_translation():
    from babel.messages.extract import extract_from_dir, extract_from_file
    from babel.messages.pofile import read_po

    method_map = [("**.py", "python"), ("**/templates/**.html", "jinja2")]
    keywords = {"_": None, "_l": None, "gettext": None, "ngettext": (1, 2)}
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(UI), method_map=method_map, keywords=keywords
    ):
        found.add(message[0] if isinstance(message, tuple) else message)
    # The forms' validation messages: outside the pages, spoken to them in their language.
    for _line, message, _comments, _context in extract_from_file(
        "python", str(ROOT / "service" / "form_messages.py"), keywords=keywords
    ):
        found.add(message)
    # The words of the shipped forms and process models, shown in the page's language.
    from service.ui.words import bpmn_words, form_words

    found |= form_words(ROOT / "forms") | bpmn_words(ROOT / "bpmn")
    from service.ui.i18n import po_files

    translated: set[str] = set()
    for path in po_files(UI / "translations" / "en"):
        with path.open("rb") as source:
            catalog = read_po(source, locale="en")
        ids = {
            (m.id[0] if isinstance(m.id, tuple) else m.id)
            for m in catalog
            if m.id and all(m.string if isinstance(m.string, tuple) else [m.string]) and not m.fuzzy
        }
        assert not ids & translated, f"{path.name} repeats messages of another .po file"
        translated |= ids
        assert [problem for _message, problem in catalog.check()] == [], path.name
    assert len(found) > 100
    assert found - translated == set(), "add these to a .po file"
    assert translated - found == set(), "these are no longer used"


def test_the_po_files_compile_in_memory():
    from service.ui.i18n import TRANSLATIONS, compile_catalogues

    english = compile_catalogues(TRANSLATIONS / "en", "en")
    assert english.gettext("Việc của tôi") == "My tasks"
    assert english.ngettext("%(num)d công việc", "%(num)d công việc", 2) % {"num": 2} == "2 tasks"


def test_json_editor_is_recorded_in_the_npm_manifest_and_lock_file():
    assets = ROOT / "service" / "assets"
    manifest = json.loads((assets / "package.json").read_text(encoding="utf-8"))
    lock = json.loads((assets / "package-lock.json").read_text(encoding="utf-8"))
    assert {"@json-editor/json-editor", "swagger-ui-dist"} <= set(manifest["dependencies"])
    entry = lock["packages"]["node_modules/@json-editor/json-editor"]
    assert entry["version"].startswith("2.") and entry["integrity"].startswith("sha512-")


def test_the_models_words_and_the_periods_are_shown_in_the_pages_language(ui_app):
    from flask_babel import force_locale

    from service.ui import words
    from service.ui.dashboard import period_words

    form = {
        "schema": {
            "title": "Thẩm định hồ sơ",
            "properties": {
                "title": {"type": "string", "title": "Trích yếu", "default": "Trích yếu"},
                "kind": {"enum": ["Nam"], "title": "Giới tính"},
            },
        },
        "ui": {"labels": {"title": "Trích yếu"}, "options": {"kind": {"Nam": "Nam"}}, "attachments": True},
    }
    xml = '<bpmn:userTask id="appraise" name="Thẩm định hồ sơ"/><bpmn:lane id="l" name="Chưa dịch &amp; x"/>'
    with ui_app.test_request_context(), force_locale("en"):
        shown = words.translated_form(form)
        assert shown["schema"]["title"] == "Appraise the dossier"
        assert shown["schema"]["properties"]["title"] == {
            "type": "string",
            "title": "Summary",
            "default": "Trích yếu",
        }
        assert shown["schema"]["properties"]["kind"]["enum"] == ["Nam"]  # values are data
        assert shown["ui"]["labels"] == {"title": "Summary"} and shown["ui"]["options"] == {
            "kind": {"Nam": "Male"}
        }
        assert shown["ui"]["attachments"] is True
        assert words.translated_bpmn(xml) == xml.replace("Thẩm định hồ sơ", "Appraise the dossier")
        assert (
            words.word("  Kiểm tra và vào sổ văn bản đến.\n") == "Check and register the incoming document."
        )
        assert period_words("Tháng 03/2026") == "03/2026"
        assert period_words("Quý 4 năm 2026") == "Q4 2026"
        assert (
            period_words("Kỳ báo cáo tháng 12/2026 (21/11 - 20/12)")
            == "Reporting month 12/2026 (21/11 - 20/12)"
        )
        assert period_words("Kỳ báo cáo quý 1 năm 2026 (15/12/2025 - 14/03/2026)") == (
            "Reporting quarter Q1 2026 (15/12/2025 - 14/03/2026)"
        )
    with ui_app.test_request_context(), force_locale("vi"):
        assert words.translated_form(form) == form
        assert period_words("Quý 4 năm 2026") == "Quý 4 năm 2026"
