"""Issue 9, finding 3 (unbounded fan-out): a multi-instance element fans out to at most its limit.

The attacks: one completion of the internal-procedure draft with 10,000 `lower_levels` created
10,000 tasks (6.6 s, 2.5 GB); a designer's multi-instance whose cardinality came from a start
variable made 20,000. Now the forms bound their arrays (422), and the engine refuses a fan-out
over the element's limit BEFORE any child is created: the instance goes to error naming the
budget and its setting.
"""

from __future__ import annotations

import json

import pytest

from service.engine import BpmnInvalid, Budgets, Engine, parse_definition
from service.engine.guards import instance_limit
from service.engine.serialization import load_state
from tests.engine.conftest import NOW, Instance
from tests.security import budget_models as models
from tests.support import BPMN, ROOT

FORMS = ROOT / "forms"


def compiled(engine: Engine, model: str, budgets: Budgets | None = None):
    return engine.compile(parse_definition(model.encode(), budgets=budgets).spec_blob)


def children(definition, state: str) -> int:
    """How many multi-instance children the stored state holds."""
    workflow = load_state(state, definition.spec, definition.subprocess_specs)
    return sum(1 for task in workflow.get_tasks() if task.task_spec.name.endswith("[child]"))


# --- through the engine -----------------------------------------------------------------------


def test_a_cardinality_from_a_start_variable_is_refused_before_any_child_is_created():
    engine = Engine()
    definition = compiled(engine, models.fan_out(cardinality="how_many"))
    result = engine.start(definition, {"how_many": 20_000}, now=NOW)
    assert result.status == "error"
    assert result.error["budget"] == "max_instances"
    assert result.error["setting"] == "MOTCUA_MAX_INSTANCES"
    assert result.error["element_id"] == "opinion"
    assert "20,000 instances" in result.error["message"]
    assert "MOTCUA_MAX_INSTANCES" in result.error["message"]
    assert result.opened == []
    assert children(definition, result.state) == 0


def test_an_input_collection_over_the_limit_is_refused_before_any_child_is_created():
    engine = Engine(budgets=Budgets(max_instances=50))
    definition = compiled(engine, models.fan_out(collection="agencies"))
    result = engine.start(definition, {"agencies": [f"UNIT-{n}" for n in range(10_000)]}, now=NOW)
    assert (result.status, result.error["budget"], result.error["element_id"]) == (
        "error",
        "max_instances",
        "opinion",
    )
    assert children(definition, result.state) == 0


def test_a_fan_out_within_the_limit_opens_one_task_per_item():
    engine = Engine()
    instance = Instance.start(
        engine, compiled(engine, models.fan_out(collection="agencies")), {"agencies": ["A"] * 50}
    )
    assert instance.status == "running"
    assert len(instance.ready()) == 50


def test_an_elements_max_instances_property_raises_its_limit_and_is_named_when_exceeded():
    engine = Engine(budgets=Budgets(max_instances=5, max_instances_ceiling=500))
    definition = compiled(engine, models.fan_out(collection="communes", maxInstances="120"))
    within = Instance.start(engine, definition, {"communes": [f"X{n}" for n in range(120)]})
    assert within.status == "running" and len(within.ready()) == 120
    over = engine.start(definition, {"communes": [f"X{n}" for n in range(121)]}, now=NOW)
    assert over.status == "error"
    assert over.error["budget"] == "max_instances"
    assert "maxInstances property allows 120" in over.error["message"]
    assert children(definition, over.state) == 0


def test_the_ceiling_bounds_every_element_at_run_time_too():
    # Deployed under a ceiling of 500, run where the ceiling is now 100.
    definition_blob = parse_definition(
        models.fan_out(collection="items", maxInstances="400").encode()
    ).spec_blob
    engine = Engine(budgets=Budgets(max_instances_ceiling=100))
    result = engine.start(engine.compile(definition_blob), {"items": list(range(150))}, now=NOW)
    assert (result.status, result.error["budget"]) == ("error", "max_instances_ceiling")
    assert result.error["setting"] == "MOTCUA_MAX_INSTANCES_CEILING"


def test_the_tasks_budget_of_the_step_bounds_a_fan_out_too():
    engine = Engine(budgets=Budgets(max_instances=400, max_tasks_per_step=100))
    definition = compiled(engine, models.fan_out(collection="items"))
    result = engine.start(definition, {"items": list(range(200))}, now=NOW)
    assert (result.status, result.error["budget"]) == ("error", "max_tasks_per_step")
    assert children(definition, result.state) == 0


def test_a_refused_fan_out_is_checked_again_on_retry_and_goes_through_under_a_larger_budget():
    strict, lenient = Engine(budgets=Budgets(max_instances=5)), Engine(budgets=Budgets(max_instances=20))
    definition = compiled(strict, models.fan_out(collection="items"))
    failed = strict.start(definition, {"items": list(range(10))}, now=NOW)
    assert failed.status == "error"
    again = strict.retry(definition, failed.state, now=NOW)
    assert (again.status, again.error["budget"]) == ("error", "max_instances")  # not skipped
    assert children(definition, again.state) == 0
    passed = lenient.retry(definition, failed.state, now=NOW)
    assert passed.status == "running"
    assert len(passed.opened) == 10


def test_a_refused_fan_out_can_be_terminated():
    engine = Engine()
    definition = compiled(engine, models.fan_out(cardinality="how_many"))
    failed = engine.start(definition, {"how_many": 10_000}, now=NOW)
    assert engine.terminate(definition, failed.state, now=NOW).status == "terminated"


# --- at deploy ----------------------------------------------------------------------------------


def test_a_max_instances_above_the_ceiling_is_refused_at_deploy_naming_the_element():
    with pytest.raises(BpmnInvalid) as refused:
        parse_definition(models.fan_out(collection="items", maxInstances="100000").encode())
    assert refused.value.element_id == "opinion"
    assert refused.value.line is not None
    assert "max_instances_ceiling" in refused.value.message
    assert "MOTCUA_MAX_INSTANCES_CEILING" in refused.value.message


@pytest.mark.parametrize("value", ["many", "0", "-3", "1.5"])
def test_a_max_instances_that_is_not_a_positive_whole_number_is_refused_at_deploy(value):
    with pytest.raises(BpmnInvalid, match="maxInstances") as refused:
        parse_definition(models.fan_out(collection="items", maxInstances=value).encode())
    assert refused.value.element_id == "opinion"


def test_a_literal_cardinality_over_the_limit_is_refused_at_deploy():
    with pytest.raises(BpmnInvalid, match="max_instances") as refused:
        parse_definition(models.fan_out(cardinality="20000").encode())
    assert refused.value.element_id == "opinion"


# --- the shipped models keep working -------------------------------------------------------------


def test_the_internal_procedure_consults_up_to_200_communes_and_no_more():
    engine = Engine()
    definition = engine.compile(parse_definition((BPMN / "internal_procedure.bpmn").read_bytes()).spec_blob)
    draft = {
        "procedure_codes": ["AG-LLTP-01"],
        "publication_decision_date": "2025-03-03",
        "draft_text": "Dự thảo",
        "consult_lower_levels": True,
    }
    communes = [f"UBND xã {n}" for n in range(201)]
    for count, status in ((200, "running"), (201, "error")):
        run = Instance.start(engine, definition, {})
        result = run.complete("draft", **draft, lower_levels=communes[:count])
        assert result.status == status
        if status == "running":
            assert sum(t.element_id == "lower_level_opinion" for t in result.opened) == 200
        else:
            assert result.error["element_id"] == "lower_level_opinion"
            assert result.opened == []


# --- the forms bound their arrays ----------------------------------------------------------------


def _nodes(node, path="$"):
    """Every schema node of a form, with its JSON path."""
    if isinstance(node, dict):
        if "type" in node:
            yield path, node
        for key, value in node.items():
            yield from _nodes(value, f"{path}.{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _nodes(value, f"{path}[{index}]")


def _forms():
    for path in sorted(FORMS.glob("*.schema.json")):
        yield path.name, json.loads(path.read_text(encoding="utf-8"))


def test_every_array_in_the_shipped_forms_has_max_items():
    missing = [
        f"{name} {path}"
        for name, schema in _forms()
        for path, node in _nodes(schema)
        if node.get("type") == "array" and "maxItems" not in node
    ]
    assert missing == []


def test_every_text_field_in_the_shipped_forms_has_max_length():
    missing = [
        f"{name} {path}"
        for name, schema in _forms()
        for path, node in _nodes(schema)
        if node.get("type") == "string" and not {"maxLength", "enum", "const"} & set(node)
    ]
    assert missing == []


def test_a_form_array_that_feeds_a_fan_out_fits_the_limit_of_its_element():
    budgets, checked = Budgets(), []
    for bpmn in sorted(BPMN.glob("*.bpmn")):
        definition = Engine().compile(parse_definition(bpmn.read_bytes()).spec_blob)
        specs = [definition.spec, *definition.subprocess_specs.values()]
        fan_outs, forms = {}, set()
        for process_spec in specs:
            for task_spec in process_spec.task_specs.values():
                if getattr(task_spec, "data_input", None) is not None and hasattr(task_spec, "cardinality"):
                    limit, _, _ = instance_limit(process_spec.task_specs[task_spec.task_spec], budgets)
                    fan_outs[task_spec.data_input.bpmn_id] = (task_spec.bpmn_id, limit)
                properties = (getattr(task_spec, "extensions", None) or {}).get("properties") or {}
                if properties.get("formKey"):
                    forms.add(properties["formKey"])
        for form in sorted(forms):
            fields = json.loads((FORMS / f"{form}.schema.json").read_text(encoding="utf-8"))["properties"]
            for collection, (element, limit) in fan_outs.items():
                if collection in fields:
                    assert fields[collection]["maxItems"] <= limit, (bpmn.name, form, collection, element)
                    checked.append((form, collection))
    assert ("internal_procedure_draft", "lower_levels") in checked
    assert ("dossier_appraise", "agencies") in checked


# --- through the service -------------------------------------------------------------------------

DRAFT = {
    "procedure_codes": ["AG-LLTP-01"],
    "publication_decision_date": "2026-03-02",
    "consult_lower_levels": True,
    "draft_text": "Quy trình nội bộ giải quyết TTHC cấp Phiếu LLTP.",
}


def _open_task(caller, instance_id, element):
    items = caller.get(f"/api/v1/tasks?process_instance_id={instance_id}").json["items"]
    return [t for t in items if t["element_id"] == element]


def test_completing_the_internal_procedure_draft_with_10000_lower_levels_is_a_422(admin):
    assert admin.deploy(BPMN / "internal_procedure.bpmn").status_code == 201
    started = admin.start("internal_procedure").json
    (draft,) = _open_task(admin, started["id"], "draft")
    refused = admin.complete(draft["id"], {**DRAFT, "lower_levels": [f"UBND xã {n}" for n in range(10_000)]})
    assert refused.status_code == 422
    assert "lower_levels" in json.dumps(refused.json["error"]["details"])
    assert _open_task(admin, started["id"], "lower_level_opinion") == []
    accepted = admin.complete(
        draft["id"], {**DRAFT, "lower_levels": ["UBND xã Mỹ Khánh", "UBND xã Mỹ Hòa Hưng"]}
    )
    assert accepted.status_code == 200, accepted.json
    assert len(_open_task(admin, started["id"], "lower_level_opinion")) == 2


def test_a_deployed_model_fanning_out_from_a_start_variable_ends_in_error_with_no_task(admin):
    assert (
        admin.deploy(
            models.fan_out("designer_fan_out", cardinality="how_many", start_form="budget_fan_out_start"),
            "fan.bpmn",
        ).status_code
        == 201
    )
    started = admin.start("designer_fan_out", variables={"how_many": 20_000})
    assert started.status_code == 201, started.json
    instance = admin.get(f"/api/v1/process-instances/{started.json['id']}").json
    assert instance["state"] == "error"
    assert instance["error"]["budget"] == "max_instances"
    assert instance["error"]["setting"] == "MOTCUA_MAX_INSTANCES"
    assert instance["error"]["element_id"] == "opinion"
    assert admin.get(f"/api/v1/tasks?process_instance_id={started.json['id']}").json["total"] == 0


def test_a_deploy_with_a_max_instances_over_the_ceiling_is_422_naming_the_element(admin):
    response = admin.deploy(
        models.fan_out("too_wide", collection="items", maxInstances="999999"), "wide.bpmn"
    )
    assert response.status_code == 422
    error = response.json["error"]
    assert error["code"] == "bpmn_invalid"
    assert error["details"]["element_id"] == "opinion"
    assert "MOTCUA_MAX_INSTANCES_CEILING" in error["message"]
