"""Unmodified Camunda 7 client libraries from PyPI against a running Motcua, over real HTTP:
pycamunda (requests, HTTP Basic) and generic-camunda-client (the client generated from Camunda
7.18's OpenAPI document, urllib3, a bearer token). Each deploys the Camunda Modeler purchase process,
starts instances, lists, claims and completes user tasks with typed variables and reads variables."""

from __future__ import annotations

import generic_camunda_client as gcc
import pycamunda.deployment
import pycamunda.processdef
import pycamunda.processinst
import pycamunda.task
import pytest
import requests

from tests.camunda.conftest import PASSWORD, PURCHASE


def _as(request, username: str):
    """A pycamunda request sent as this user (HTTP Basic, as pycamunda offers)."""
    request.auth = requests.auth.HTTPBasicAuth(username, PASSWORD)
    return request


def test_pycamunda_runs_a_purchase_from_deployment_to_the_end(live_server, people):
    url = live_server + "/engine-rest"
    create = _as(pycamunda.deployment.Create(url, name="purchase", source="pycamunda"), "admin")
    create.add_resource(("camunda_purchase.bpmn", PURCHASE.read_bytes()))
    deployment = create()
    [definition] = deployment.deployed_process_definitions.values()
    assert definition.key == "camunda_purchase" and definition.version == 1
    assert _as(pycamunda.processdef.Get(url, key="camunda_purchase"), "alice")().id_ == definition.id_
    listed = _as(pycamunda.processdef.GetList(url, key="camunda_purchase", latest_version=True), "alice")()
    assert [d.id_ for d in listed] == [definition.id_]

    start = _as(pycamunda.processdef.StartInstance(url, key="camunda_purchase", business_key="PR-7"), "alice")
    start.add_variable("item", "Laptops", "String")
    start.add_variable("amount", 5000, "Integer")
    instance = start()
    assert instance.business_key == "PR-7" and instance.definition_id == definition.id_
    found = _as(pycamunda.processinst.GetList(url, business_key="PR-7"), "alice")()
    assert [each.id_ for each in found] == [instance.id_]

    tasks = _as(
        pycamunda.task.GetList(url, candidate_group="purchasing", process_instance_id=instance.id_), "pat"
    )()
    [review] = tasks
    assert review.task_definition_key == "Activity_review" and review.form_key == "camunda_purchase_review"
    assert review.created is not None and review.assignee is None
    _as(pycamunda.task.Claim(url, id_=review.id_, user_id="pat"), "pat")()
    assert _as(pycamunda.task.Get(url, id_=review.id_), "pat")().assignee == "pat"
    complete = _as(pycamunda.task.Complete(url, id_=review.id_, with_variables_in_return=True), "pat")
    complete.add_variable("approved", True, "Boolean")
    complete.add_variable("comment", "Needed for the new office", "String")
    returned = complete()
    assert returned["approved"].value is True

    variables = _as(pycamunda.processinst.VariablesGetList(url, process_instance_id=instance.id_), "alice")()
    assert variables["amount"].value == 5000 and variables["amount"].type_ == "Integer"
    assert variables["comment"].value == "Needed for the new office"
    one = _as(
        pycamunda.processinst.VariablesGet(url, process_instance_id=instance.id_, var_name="item"), "alice"
    )()
    assert one.value == "Laptops" and one.type_ == "String"

    [director] = _as(pycamunda.task.GetList(url, candidate_user="dora"), "dora")()
    assert director.task_definition_key == "Activity_director"
    _as(pycamunda.task.Claim(url, id_=director.id_, user_id="dora"), "dora")()
    _as(pycamunda.task.Complete(url, id_=director.id_), "dora")()
    with pytest.raises(pycamunda.NotFound):  # ended: Camunda's runtime API forgets it
        _as(pycamunda.processinst.Get(url, id_=instance.id_), "alice")()


def test_pycamunda_sees_motcuas_refusals_as_camunda_errors(live_server, people):
    url = live_server + "/engine-rest"
    create = _as(pycamunda.deployment.Create(url, name="purchase"), "alice")
    create.add_resource(("camunda_purchase.bpmn", PURCHASE.read_bytes()))
    with pytest.raises(pycamunda.Forbidden):
        create()
    with pytest.raises(pycamunda.Unauthorized):
        pycamunda.processdef.GetList(url)()  # no credentials
    bad = pycamunda.processdef.GetList(url)
    bad.auth = requests.auth.HTTPBasicAuth("alice", "not-her-password")
    with pytest.raises(pycamunda.Unauthorized):
        bad()


@pytest.fixture
def api(live_server, people):
    """api(name) -> a generic-camunda-client ApiClient sending the user's bearer token."""

    def make(name: str):
        configuration = gcc.Configuration(host=live_server + "/engine-rest")
        client = gcc.ApiClient(configuration)
        client.set_default_header("Authorization", f"Bearer {people[name].token}")
        return client

    return make


def test_generic_camunda_client_works_user_tasks(api, tmp_path):
    resource = tmp_path / "camunda_purchase.bpmn"
    resource.write_bytes(PURCHASE.read_bytes())
    deployed = gcc.DeploymentApi(api("admin")).create_deployment(
        deployment_name="purchase", deployment_source="generic-camunda-client", data=str(resource)
    )
    [definition_id] = deployed.deployed_process_definitions
    assert gcc.EngineApi(api("alice")).get_process_engine_names()[0].name == "default"
    assert gcc.VersionApi(api("alice")).get_rest_api_version().version.startswith("7.")

    definitions = gcc.ProcessDefinitionApi(api("alice"))
    assert definitions.get_process_definition_by_key("camunda_purchase").id == definition_id
    assert definitions.get_process_definitions_count(key="camunda_purchase").count == 1
    started = definitions.start_process_instance_by_key(
        "camunda_purchase",
        start_process_instance_dto=gcc.StartProcessInstanceDto(
            business_key="PR-9",
            variables={
                "item": gcc.VariableValueDto(value="Pens", type="String"),
                "amount": gcc.VariableValueDto(value=12.5, type="Double"),
            },
        ),
    )
    instances = gcc.ProcessInstanceApi(api("alice"))
    assert instances.get_process_instance(started.id).business_key == "PR-9"
    assert instances.get_process_instances_count(business_key="PR-9").count == 1

    tasks = gcc.TaskApi(api("pat"))
    [review] = tasks.get_tasks(process_instance_id=started.id, candidate_group="purchasing")
    assert tasks.get_tasks_count(task_definition_key="Activity_review").count == 1
    form = tasks.get_form_variables(review.id)
    assert set(form) == {"approved", "comment"}
    tasks.claim(review.id, user_id_dto=gcc.UserIdDto(user_id="pat"))
    tasks.unclaim(review.id)
    tasks.claim(review.id, user_id_dto=gcc.UserIdDto(user_id="pat"))
    # As against Camunda: a completion answers 204 without a body, which this generated client can
    # only read raw (it would parse the empty body as the variables of withVariablesInReturn).
    done = tasks.complete(
        review.id,
        complete_task_dto=gcc.CompleteTaskDto(
            variables={"approved": gcc.VariableValueDto(value=True, type="Boolean")}
        ),
        _preload_content=False,
    )
    assert done.status == 204
    # A small purchase: received by the requester herself (camunda:assignee="${initiator}").
    mine = gcc.TaskApi(api("alice"))
    [receive] = mine.get_tasks(assignee="alice")
    assert receive.task_definition_key == "Activity_receive"
    variables = instances.get_process_instance_variables(started.id)
    assert variables["amount"].value == 12.5 and variables["amount"].type == "Double"
    assert variables["approved"].value is True
    returned = mine.complete(
        receive.id, complete_task_dto=gcc.CompleteTaskDto(variables={}, with_variables_in_return=True)
    )
    assert returned["item"].value == "Pens"
    assert instances.get_process_instances_count(business_key="PR-9").count == 0

    with pytest.raises(gcc.ApiException) as gone:  # completed: gone from the runtime API
        mine.claim(receive.id, user_id_dto=gcc.UserIdDto(user_id="alice"))
    assert gone.value.status == 404
    with pytest.raises(gcc.ApiException) as refused:  # not hers to see
        gcc.TaskApi(api("dora")).get_task(review.id)
    assert refused.value.status == 403 and "AuthorizationException" in refused.value.body
