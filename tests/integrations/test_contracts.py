"""Connectors' contracts (integrations/contracts/): the shipped ones are valid; a service task that
cannot fit its operation is refused at deploy, naming the element; a call whose parameters or
answer do not fit is refused, not retried."""

from __future__ import annotations

import json
import textwrap

import pytest

from integrations import ConnectorConfig, ConnectorError, Connectors, contracts
from integrations.contracts import ContractError

SERVICE_TASK = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
                  xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
                  id="Definitions_contract" targetNamespace="https://motcua.example/tests">
  <bpmn:process id="contract_check" name="Contract check" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:serviceTask id="sync" name="Đồng bộ hồ sơ">
      <bpmn:extensionElements>
        <spiffworkflow:serviceTaskOperator id="{operation}" resultVariable="answer">
          <spiffworkflow:parameters>{params}</spiffworkflow:parameters>
        </spiffworkflow:serviceTaskOperator>
      </bpmn:extensionElements>
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:serviceTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="sync" />
    <bpmn:sequenceFlow id="f2" sourceRef="sync" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>
"""


def _param(name: str, value: str) -> str:
    return f'<spiffworkflow:parameter id="{name}" type="any" value="{value}" />'


def _deploy(admin, tmp_path, operation: str, *params: tuple[str, str]):
    path = tmp_path / "contract_check.bpmn"
    path.write_text(
        SERVICE_TASK.format(operation=operation, params="".join(_param(*p) for p in params)), "utf-8"
    )
    return admin.deploy(path)


def test_the_shipped_contracts_are_valid():
    shipped = contracts.load()
    assert {"dvc", "post"} <= set(shipped)
    for contract in shipped.values():
        assert contract.title and contract.operations


def test_a_service_task_that_fits_its_contract_deploys(admin, tmp_path):
    response = _deploy(admin, tmp_path, "dvc/sync_dossier", ("ref", "code"), ("status", "4"))
    assert response.status_code == 201, response.json


@pytest.mark.parametrize(
    ("operation", "params", "says"),
    [
        (
            "dvc/no_such",
            [("ref", "code")],
            "has no operation 'dvc/no_such' (it offers: sync_dossier, update_status)",
        ),
        ("bank/pay", [("ref", "code")], "no connector offers the operation 'bank/pay'"),
        ("dvc/sync_dossier", [("status", "4")], "dvc/sync_dossier needs the parameter 'ref'"),
        ("dvc/sync_dossier", [("ref", "code"), ("colour", "'red'")], "takes no parameter 'colour'"),
        (
            "dvc/sync_dossier",
            [("ref", "code"), ("status", "'bốn'")],
            "params/status: 'bốn' is not of type 'integer'",
        ),
        (
            "dvc/sync_dossier",
            [("ref", "code"), ("status", "11")],
            "params/status: 11 is greater than the maximum of 10",
        ),
    ],
)
def test_a_service_task_that_cannot_fit_is_refused_naming_the_element(
    admin, tmp_path, operation, params, says
):
    response = _deploy(admin, tmp_path, operation, *params)
    assert response.status_code == 422, response.json
    error = response.json["error"]
    assert error["code"] == "bpmn_invalid"
    assert "'Đồng bộ hồ sơ' (sync)" in error["message"] and says in error["message"], error["message"]
    assert error["details"]["element_id"] == "sync"


def test_a_call_whose_parameters_do_not_fit_is_refused_before_sending(simulator):
    with Connectors(
        {"dvc": ConnectorConfig("dvc", simulator.url, timeout=5)}, contracts=contracts.load()
    ) as conns:
        with pytest.raises(ConnectorError) as refused:
            conns.call("dvc/sync_dossier", {"ref": "", "status": 99}, idempotency_key="k-1")
        assert not refused.value.retryable
        assert "params/ref" in str(refused.value) and "params/status" in str(refused.value)
        with pytest.raises(ConnectorError, match="offers no operation 'nothing'"):
            conns.call("dvc/nothing", {}, idempotency_key="k-2")
        assert conns.call("dvc/sync_dossier", {"ref": "H56-1", "status": 4}, idempotency_key="k-3")["ok"]
    assert [entry["key"] for entry in simulator.journal()] == ["k-3"]


def test_an_answer_that_breaks_the_contract_is_an_error_not_retried(simulator, tmp_path):
    folder = tmp_path / "contracts"
    folder.mkdir()
    (folder / "contract.schema.json").write_text(
        (contracts.CONTRACTS_DIR / "contract.schema.json").read_text("utf-8"), "utf-8"
    )
    strict = json.loads((contracts.CONTRACTS_DIR / "dvc.json").read_text("utf-8"))
    strict["operations"]["sync_dossier"]["result"]["required"].append("tracking_number")
    (folder / "dvc.json").write_text(json.dumps(strict), "utf-8")
    with (
        Connectors(
            {"dvc": ConnectorConfig("dvc", simulator.url, timeout=5)}, contracts=contracts.load(folder)
        ) as conns,
        pytest.raises(ConnectorError) as broken,
    ):
        conns.call("dvc/sync_dossier", {"ref": "H56-1"}, idempotency_key="k-1")
    assert not broken.value.retryable
    assert "result: 'tracking_number' is a required property" in str(broken.value)


def test_a_broken_contract_file_is_refused_with_its_name(tmp_path):
    (tmp_path / "contract.schema.json").write_text(
        (contracts.CONTRACTS_DIR / "contract.schema.json").read_text("utf-8"), "utf-8"
    )
    (tmp_path / "bad.json").write_text(
        textwrap.dedent('{"name": "bad", "title": "x", "operations": {}}'), "utf-8"
    )
    with pytest.raises(ContractError, match=r"bad.json: contract/operations: .* should be non-empty"):
        contracts.load(tmp_path)
    (tmp_path / "bad.json").write_text(
        '{"name": "other", "title": "x", "operations": {"a": {"title": "a", "params": {}, "result": {}}}}',
        "utf-8",
    )
    with pytest.raises(ContractError, match="must be its file name"):
        contracts.load(tmp_path)


def test_without_a_retry_element_the_contract_says_how_often_to_try(app, admin, tmp_path):
    import sqlalchemy as sa

    from service.extensions import db
    from service.jobs.models import ServiceCall

    assert _deploy(admin, tmp_path, "post/deliver", ("ref", "'H56-1'")).status_code == 201
    started = admin.start("contract_check")
    assert started.status_code == 201, started.json
    with app.app_context():
        call = db.session.scalar(sa.select(ServiceCall))
        assert (call.operation, call.max_attempts, call.backoff_seconds) == ("post/deliver", 5, 10.0)
