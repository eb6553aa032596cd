"""Every form of the process library refuses incomplete data with one entry per field."""

import json

import pytest

from service import forms
from service.errors import Unprocessable
from tests.support import ROOT

FORMS = sorted((ROOT / "forms").glob("*.schema.json"))


@pytest.mark.parametrize("path", FORMS, ids=[p.name.removesuffix(".schema.json") for p in FORMS])
def test_an_empty_submission_names_every_required_field(app, path):
    key = path.name.removesuffix(".schema.json")
    schema = json.loads(path.read_text(encoding="utf-8"))
    with app.app_context():
        assert forms.describe(key)["schema"] == schema
        required = schema.get("required", [])
        if not required:
            forms.check_submission(key, {})  # nothing required: an empty submission is fine
            return
        with pytest.raises(Unprocessable) as refused:
            forms.check_submission(key, {})
    assert refused.value.status == 422
    assert set(refused.value.details["fields"]) == set(required)


@pytest.mark.parametrize("path", FORMS, ids=[p.name.removesuffix(".schema.json") for p in FORMS])
def test_a_wrongly_typed_field_is_named(app, path):
    key = path.name.removesuffix(".schema.json")
    schema = json.loads(path.read_text(encoding="utf-8"))
    name, spec = next(iter(schema["properties"].items()))
    wrong = 12345 if spec.get("type") in ("string", "boolean", "array", "object") else "not-a-number"
    with app.app_context(), pytest.raises(Unprocessable) as refused:
        forms.check_submission(key, {name: wrong})
    assert name in refused.value.details["fields"]


def test_a_form_key_cannot_walk_out_of_the_forms_folder(app):
    with app.app_context():
        assert forms.describe("../pyproject") is None
        assert forms.describe("..") is None
        # no such form: the task takes no data
        with pytest.raises(Unprocessable) as refused:
            forms.check_submission("../../etc/passwd", {"anything": 1})
    assert refused.value.details["fields"] == {"anything": ["This task has no form: it takes no data."]}


@pytest.mark.parametrize("path", FORMS, ids=[p.name.removesuffix(".schema.json") for p in FORMS])
def test_a_field_the_form_does_not_declare_is_refused_by_name(app, path):
    key = path.name.removesuffix(".schema.json")
    with app.app_context(), pytest.raises(Unprocessable) as refused:
        forms.check_submission(key, {"reception_unit": "UBND-XA"})
    assert refused.value.code == "fields_not_accepted"
    assert refused.value.details["fields"] == {"reception_unit": [f"Not a field of the form '{key}'."]}


def test_a_declared_field_is_refused_when_the_process_computes_it(app):
    with app.app_context(), pytest.raises(Unprocessable) as refused:
        forms.check_submission(
            "dossier_receive", {"reception_decision": "accept", "note": "x"}, protected={"note"}
        )
    assert refused.value.details["fields"] == {
        "note": ["Set by the service or the process; a caller cannot set it."]
    }


def test_fields_declared_in_conditional_branches_and_refs_count_as_declared():
    schema = {
        "properties": {"a": {}},
        "allOf": [{"if": {"properties": {"b": {}}}, "then": {"properties": {"c": {}}}}],
        "oneOf": [{"$ref": "#/$defs/d"}],
        "$defs": {"d": {"properties": {"d": {}}}},
        "dependentSchemas": {"a": {"properties": {"e": {}}}},
    }
    assert forms.declared_fields(schema) == {"a", "b", "c", "d", "e"}


DATED = sorted(
    (path.name.removesuffix(".schema.json"), name)
    for path in FORMS
    for name, spec in json.loads(path.read_text(encoding="utf-8"))["properties"].items()
    if spec.get("format") == "date"
)


@pytest.mark.parametrize(("key", "field"), DATED, ids=[f"{key}.{field}" for key, field in DATED])
@pytest.mark.parametrize("written", ["31/12/2026", "2026-02-30", "2026-13-01", "20261201", "2026-1-5"])
def test_a_date_field_refuses_what_is_not_a_real_year_month_day(app, key, field, written):
    with app.app_context(), pytest.raises(Unprocessable) as refused:
        forms.check_submission(key, {field: written})
    words = f"“{written}” is not a real date written year-month-day."
    assert words in refused.value.details["fields"][field]  # beside a pattern's words, if it has one


@pytest.mark.parametrize(("key", "field"), DATED, ids=[f"{key}.{field}" for key, field in DATED])
def test_a_date_field_takes_a_real_date(app, key, field):
    with app.app_context():
        try:
            forms.check_submission(key, {field: "2024-02-29"})
        except Unprocessable as refused:
            assert field not in refused.details["fields"]


def test_an_org_unit_field_takes_a_known_unit_and_refuses_another(app):
    """The "org_unit" format judges against the org units (kept per process while they do not
    change: identity.operations.units), a unit created in the same unit of work included."""
    from service import uow
    from service.identity.operations import get_or_create_unit

    with app.app_context(), uow.unit_of_work():
        get_or_create_unit("SO-TP", "Sở Tư pháp")
        assert forms.FORMATS.conforms("SO-TP", "org_unit")
        assert forms.FORMATS.conforms(" SO-TP ", "org_unit")
        assert not forms.FORMATS.conforms("SO-KHONG-CO", "org_unit")
        assert forms.FORMATS.conforms(12, "org_unit")  # the type keyword judges other values
