"""One reading of "ngày" per model, configurable per procedure (docs/time.md): a process states it
(`dayKind` on the process, kept at deploy), a procedure of the catalogue may state its own
(`day_kind`, which wins for its dossiers); the due-date policy counts statutory times, step
allotments and the `dueIn` of a process that states working days in that kind."""

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from service.definitions.models import ProcessDefinition
from service.extensions import db
from tests.dossiers.test_dossier_flow import do, receive, to_appraisal
from tests.dossiers.test_dossier_flow import office as office  # the fixture
from tests.support import bpmn_path

VN = ZoneInfo("Asia/Ho_Chi_Minh")


def _patch(office, url, *, json):
    return office.admin.client.patch(url, headers=office.admin.headers, json=json)


def test_a_deploy_keeps_the_day_kind_the_process_states(office):
    with office.app.app_context():
        kinds = dict(db.session.execute(sa.select(ProcessDefinition.key, ProcessDefinition.day_kind)).all())
    assert kinds["dossier"] == "working"


def test_the_catalogue_takes_a_day_kind_per_procedure(office):
    assert office.admin.get("/api/v1/procedures/AG-LLTP-01").json["day_kind"] is None  # as its process says
    changed = _patch(office, "/api/v1/procedures/AG-LLTP-01", json={"day_kind": "calendar"})
    assert changed.status_code == 200 and changed.json["day_kind"] == "calendar"
    refused = _patch(office, "/api/v1/procedures/AG-LLTP-01", json={"day_kind": "lunar"})
    assert refused.status_code == 422 and "day_kind" in refused.json["error"]["details"]["fields"]
    back = _patch(office, "/api/v1/procedures/AG-LLTP-01", json={"day_kind": None})
    assert back.json["day_kind"] is None


def test_a_procedure_counting_calendar_days_is_due_at_the_close_of_its_last_day(office, clock):
    assert _patch(office, "/api/v1/procedures/AG-LLTP-01", json={"day_kind": "calendar"}).status_code == 200
    clock.freeze()
    with clock.at(datetime(2026, 3, 3, 9, 0, tzinfo=VN)):  # Tuesday
        dossier = to_appraisal(office, receive(office))
    # 10 calendar days from Tuesday 3/3 is Friday 13/3 (10 working days would be Tuesday 17/3)
    assert datetime.fromisoformat(dossier["due_at"]) == datetime(2026, 3, 13, 17, 0, tzinfo=VN)
    appraisal = dossier["current_steps"][0]
    # its step allotment (5) counts calendar days too: due five days of 24 hours after it opened
    tasks = office.admin.get(f"/api/v1/tasks?process_instance_id={dossier['process_instance_id']}").json
    created = datetime.fromisoformat(
        next(t for t in tasks["items"] if t["element_id"] == "appraise")["created_at"]
    )
    assert datetime.fromisoformat(appraisal["due_at"]) - created == timedelta(days=5)


def test_a_procedure_stating_no_kind_counts_as_its_process_says(office, clock):
    clock.freeze()
    with clock.at(datetime(2026, 3, 3, 9, 0, tzinfo=VN)):
        working = do(office.clerk, receive(office), "receive", {"reception_decision": "accept"})
    assert datetime.fromisoformat(working["due_at"]) == datetime(
        2026, 3, 17, 9, 0, tzinfo=VN
    )  # 10 working days


def test_a_process_stating_working_days_counts_its_due_in_as_office_time(app, admin, make_user, clock):
    source = bpmn_path("simple_approval.bpmn").read_text(encoding="utf-8")
    opening = re.search(r"<bpmn:process [^>]*>", source).group(0)
    prop = (
        "<bpmn:extensionElements><spiffworkflow:properties>"
        '<spiffworkflow:property name="dayKind" value="working" />'
        "</spiffworkflow:properties></bpmn:extensionElements>"
    )
    documentation_end = source.index("</bpmn:documentation>", source.index(opening)) + len(
        "</bpmn:documentation>"
    )
    stated = source[:documentation_end] + prop + source[documentation_end:]
    assert admin.deploy(stated, "simple_approval.bpmn").status_code == 201
    clerk = make_user("clerk", groups=["reception"], unit="TTPVHCC")
    clock.freeze()
    with clock.at(datetime(2026, 3, 3, 15, 0, tzinfo=VN)):  # Tuesday 15:00
        started = clerk.start("simple_approval").json
    (task,) = started["tasks"]
    # PT4H in office time: 15:00-17:00 on Tuesday, 07:00-09:00 on Wednesday (not 19:00 Tuesday)
    assert datetime.fromisoformat(task["due_at"]) == datetime(2026, 3, 4, 9, 0, tzinfo=VN)


def test_the_shipped_simple_approval_states_no_kind_and_its_due_in_is_elapsed_time(
    app, admin, deploy_library, make_user, clock
):
    deploy_library("simple_approval.bpmn")
    clerk = make_user("clerk", groups=["reception"], unit="TTPVHCC")
    clock.freeze()
    with clock.at(datetime(2026, 3, 3, 15, 0, tzinfo=VN)):
        started = clerk.start("simple_approval").json
    (task,) = started["tasks"]
    assert datetime.fromisoformat(task["due_at"]) == datetime(2026, 3, 3, 19, 0, tzinfo=VN)
