"""The plan workflows through the API: internal procedure approval and TTHC publication."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest


@pytest.fixture
def agencies(deploy_library, make_user):
    deploy_library("internal_procedure.bpmn", "tthc_publication.bpmn")
    return {
        "department": make_user("department", groups=["departments"]),
        "chairman": make_user("chairman", groups=["chairman"]),
        "it": make_user("it", groups=["it_department"]),
        "commune": make_user("commune", groups=["lower_levels", "units"]),
    }


def _task(caller, instance_id, element):
    items = caller.get(f"/api/v1/tasks?process_instance_id={instance_id}").json["items"]
    found = [t for t in items if t["element_id"] == element]
    assert found, (element, [t["element_id"] for t in items])
    return found[0]


def test_internal_procedure_approval_deadline_follows_the_seed(agencies):
    department = agencies["department"]
    started = department.start("internal_procedure").json
    draft = _task(department, started["id"], "draft")
    form = department.get(f"/api/v1/tasks/{draft['id']}").json["form"]
    assert form["schema"]["required"]
    done = department.complete(
        draft["id"],
        {
            "procedure_codes": ["AG-LLTP-01"],
            "publication_decision_date": "2026-03-02",
            "consult_lower_levels": False,
            "draft_text": "Quy trình nội bộ giải quyết TTHC cấp Phiếu LLTP.",
        },
    )
    assert done.status_code == 200, done.json
    submit = _task(department, started["id"], "submit")
    assert (
        department.complete(submit["id"], {"consolidated_text": "Bản dự thảo hoàn chỉnh."}).status_code == 200
    )
    approval = _task(agencies["chairman"], started["id"], "approve_procedure")
    due = datetime.fromisoformat(approval["due_at"])
    # the close of the 10th working day after Monday 2/3/2026 (dayKind=working; docs/time.md)
    assert due == datetime(2026, 3, 16, 17, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
