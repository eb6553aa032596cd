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
            forms.validate(key, {})  # nothing required: an empty submission is fine
            return
        with pytest.raises(Unprocessable) as refused:
            forms.validate(key, {})
    assert refused.value.status == 422
    assert set(refused.value.details["fields"]) == set(required)


@pytest.mark.parametrize("path", FORMS, ids=[p.name.removesuffix(".schema.json") for p in FORMS])
def test_a_wrongly_typed_field_is_named(app, path):
    key = path.name.removesuffix(".schema.json")
    schema = json.loads(path.read_text(encoding="utf-8"))
    name, spec = next(iter(schema["properties"].items()))
    wrong = 12345 if spec.get("type") in ("string", "boolean", "array", "object") else "not-a-number"
    with app.app_context(), pytest.raises(Unprocessable) as refused:
        forms.validate(key, {name: wrong})
    assert name in refused.value.details["fields"]


def test_a_form_key_cannot_walk_out_of_the_forms_folder(app):
    with app.app_context():
        assert forms.describe("../pyproject") is None
        assert forms.describe("..") is None
        forms.validate("../../etc/passwd", {"anything": 1})  # unknown form: nothing to check
