"""The late list of a period judged at its end (reports/operations.py through dossiers/judging.py),
on hand-made histories of November 2026 (office time, Asia/Ho_Chi_Minh); who may read it; its
JSON, CSV and XLSX."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from service.dossiers.models import Dossier, DossierPause, DossierStep
from service.extensions import db
from service.jobs import operations as jobs
from service.models_base import utcnow
from tests.factories import receive_dossier

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def at(month, day, hour=9, minute=0):
    return datetime(2026, month, day, hour, minute, tzinfo=HCM)


# name: (received, due, finished, verdict, pauses [(start, end, due after)], Mẫu 05 steps
# [(element, started, ended, verdict)])
HISTORIES = {
    # Finished late inside November, its appraisal late: on the list, naming the late step.
    "late_in_month": (
        at(11, 2),
        at(11, 9, 17),
        at(11, 12),
        "late",
        [],
        [("appraise", at(11, 3), at(11, 12), "late")],
    ),
    # Due 27/11, finished on 3/12: late at the month's end, on November's list (open then); the
    # appraisal open when it fell due is named, its late verdict of December is not.
    "finished_next_month": (
        at(11, 20),
        at(11, 27, 17),
        at(12, 3),
        "late",
        [],
        [("appraise", at(11, 23), at(12, 3), "late")],
    ),
    # Waiting for the applicant at the month's end, asked on 20/11 before its due moment (25/11):
    # not late then. It resumed and finished late in December: still not on November's list.
    "paused_before_due": (
        at(11, 16),
        at(11, 25, 17),
        at(12, 15),
        "late",
        [(at(11, 20), at(12, 3), at(12, 8, 17))],
        [],
    ),
    # Still waiting now, asked before its due moment: not on the list.
    "still_paused_in_time": (at(11, 16), at(11, 25, 17), None, None, [(at(11, 18), None, None)], []),
    # Asked for a supplement on 12/11, after its due moment (9/11): on the list.
    "paused_after_due": (
        at(11, 2),
        at(11, 9, 17),
        None,
        None,
        [(at(11, 12), None, None)],
        [("appraise", at(11, 3), at(11, 12), None)],
    ),
    "open_in_time": (at(11, 20), at(12, 4, 17), None, None, [], []),
    "finished_in_time": (at(11, 3), at(11, 10, 17), at(11, 10, 10), "on_time", [], []),
    # Late in October: not November's.
    "late_in_october": (at(10, 1), at(10, 8, 17), at(10, 20), "late", [], []),
}
ON_THE_LIST = ["late_in_month", "paused_after_due", "finished_next_month"]  # by due moment


def code_of(name: str) -> str:
    return f"000.17.22.H56-261130-{list(HISTORIES).index(name) + 1:04d}"


def make_histories(office) -> dict[str, str]:
    """The histories as dossiers received through the API, then given their moments."""
    ids = {name: receive_dossier(office.clerk)["id"] for name in HISTORIES}
    with office.app.app_context():
        for name, (received, due, finished, verdict, pauses, steps) in HISTORIES.items():
            row = db.session.get(Dossier, uuid.UUID(ids[name]))
            row.code, row.status = code_of(name), 4
            row.received_at, row.original_due_at = received, due
            row.due_at = pauses[-1][2] if pauses and pauses[-1][2] else due
            row.finished_at, row.verdict = finished, verdict
            row.paused_at = next((start for start, end, _ in pauses if end is None), None)
            for start, end, due_after in pauses:
                db.session.add(
                    DossierPause(
                        dossier_id=row.id,
                        kind="supplement",
                        started_at=start,
                        ended_at=end,
                        due_after=due_after,
                    )
                )
            for element, started, ended, step_verdict in steps:
                db.session.add(
                    DossierStep(
                        dossier_id=row.id,
                        task_id=uuid.uuid4(),
                        element_id=element,
                        name="Thẩm định hồ sơ",
                        unit="Sở Tư pháp",
                        actor="specialist",
                        started_at=started,
                        ended_at=ended,
                        allotted_days=5.0,
                        used_days=7.0,
                        verdict=step_verdict,
                    )
                )
        db.session.commit()
    return ids


@pytest.fixture
def november(dossier_office):
    make_histories(dossier_office)
    return dossier_office


def test_a_month_is_judged_at_its_end(november):
    answer = november.admin.get("/api/v1/reports/late?period=month:2026-11")
    assert answer.status_code == 200, answer.json
    body = answer.json
    assert body["published"] is False and body["label"] == "Tháng 11/2026"
    assert datetime.fromisoformat(body["judged_at"]) == at(12, 1, 0)
    assert [row["code"] for row in body["rows"]] == [code_of(name) for name in ON_THE_LIST]
    by_code = {row["code"]: row for row in body["rows"]}

    in_month = by_code[code_of("late_in_month")]
    assert in_month["standing"] == "late"
    assert datetime.fromisoformat(in_month["finished_at"]) == at(11, 12)
    assert [(e["element_id"], e["reason"], e["officer"]) for e in in_month["responsible"]] == [
        ("appraise", "late_step", "specialist")
    ]

    after = by_code[code_of("finished_next_month")]
    assert after["standing"] == "open_late" and after["finished_at"] is None  # not finished by 1/12
    assert datetime.fromisoformat(after["due_at"]) == at(11, 27, 17)
    assert [(e["element_id"], e["reason"]) for e in after["responsible"]] == [("appraise", "open_at_due")]

    paused = by_code[code_of("paused_after_due")]
    assert paused["standing"] == "open_late"
    assert paused["unit_name"] == "Trung tâm Phục vụ hành chính công"
    assert paused["procedure"] == "AG-LLTP-01" and paused["procedure_name"]


def test_a_month_not_over_is_judged_now(november, clock):
    with clock.at(at(11, 10, 12)):
        rows = november.admin.get("/api/v1/reports/late?month=2026-11").json["rows"]
    # On 10/11 at noon: the two dossiers due on 9/11 at 17:00, both still being appraised then
    # (one finishes on 12/11, the other is paused on 12/11), nothing else.
    assert [row["code"] for row in rows] == [code_of("late_in_month"), code_of("paused_after_due")]
    assert {row["standing"] for row in rows} == {"open_late"}


def test_the_published_list_is_read_by_every_officer_the_live_one_by_administrators(november, clock):
    clerk = november.clerk
    assert clerk.get("/api/v1/reports/late?month=2026-11").status_code == 404  # not published yet
    assert clerk.get("/api/v1/reports/late?month=2026-11").json["error"]["code"] == "not_published"
    with clock.at(datetime(2026, 12, 4, 17, 30, tzinfo=UTC)), november.app.app_context():  # 00:30 on 5/12
        assert jobs.late_list_due(utcnow()) == "2026-11"
    published = clerk.get("/api/v1/reports/late?month=2026-11")
    assert published.status_code == 200
    assert published.json["published"] is True
    assert [row["code"] for row in published.json["rows"]] == [code_of(name) for name in ON_THE_LIST]
    assert november.specialist.get("/api/v1/reports/late?period=month:2026-11").status_code == 200
    assert clerk.get("/api/v1/reports/late?month=2026-11&refresh=true").status_code == 403
    assert clerk.get("/api/v1/reports/late?period=quarter:2026-Q4").status_code == 403
    assert november.admin.get("/api/v1/reports/late?period=quarter:2026-Q4").status_code == 200
    # The old route stays (administrators).
    old = november.admin.get("/api/v1/reports/late-dossiers?month=2026-11")
    assert [row["code"] for row in old.json["rows"]] == [code_of(name) for name in ON_THE_LIST]


@pytest.mark.parametrize("period", ["month:2026-13", "2026-11", "fortnight:2026-1", ""])
def test_a_bad_period_is_a_422_naming_it(november, period):
    answer = november.admin.get("/api/v1/reports/late", query_string={"period": period})
    assert answer.status_code == 422
    error = answer.json["error"]
    assert error["code"] == "invalid_period" and error["message"]
    assert "period" in error["details"]["fields"]


def test_the_late_list_as_csv_and_xlsx_holds_the_same_dossiers(november):
    url = "/api/v1/reports/late?period=month:2026-11"
    as_csv = november.admin.get(url + "&format=csv")
    assert as_csv.status_code == 200 and as_csv.mimetype == "text/csv"
    lines = list(csv.reader(io.StringIO(as_csv.get_data(as_text=True).removeprefix("\ufeff"))))
    assert lines[0][0] == "Mã hồ sơ"
    assert [line[0] for line in lines[1:]] == [code_of(name) for name in ON_THE_LIST]
    after = lines[1 + ON_THE_LIST.index("finished_next_month")]
    assert after[4] == "27/11/2026 17:00" and after[5] == ""
    assert "Sở Tư pháp - specialist (Thẩm định hồ sơ: đang giữ hồ sơ khi đến hạn)" in after[7]

    as_xlsx = november.admin.get(
        url, headers={"Accept": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
    )
    assert as_xlsx.status_code == 200
    sheet = load_workbook(io.BytesIO(as_xlsx.data), read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "Danh sách hồ sơ trễ hạn: Tháng 11/2026"
    assert [row[0] for row in rows[2:]] == [code_of(name) for name in ON_THE_LIST]
    assert rows[2 + ON_THE_LIST.index("finished_next_month")][4] == datetime(2026, 11, 27, 17, 0)


def test_a_system_token_reads_the_reports_with_the_scope_read(november, clock):
    from service.identity.models import User
    from service.identity.operations import create_token

    with clock.at(datetime(2026, 12, 4, 17, 30, tzinfo=UTC)), november.app.app_context():
        jobs.late_list_due(utcnow())
    with november.app.app_context():
        clerk = db.session.scalar(db.select(User).where(User.username == "clerk"))
        reader, deployer = create_token(clerk, scopes=["read"]), create_token(clerk, scopes=["deploy"])
        db.session.commit()
    client = november.app.test_client()
    for url in ("/api/v1/reports/late?month=2026-11", "/api/v1/reports/register?period=month:2026-11"):
        assert client.get(url, headers={"Authorization": f"Bearer {reader}"}).status_code == 200, url
        assert client.get(url, headers={"Authorization": f"Bearer {deployer}"}).status_code == 403, url


def test_the_openapi_document_gives_the_reports_json_csv_and_xlsx():
    from tests.support import openapi_document

    paths = openapi_document()["paths"]
    for path in ("/api/v1/reports/late", "/api/v1/reports/register"):
        content = paths[path]["get"]["responses"]["200"]["content"]
        assert set(content) == {"application/json", "text/csv", XLSX}, path
        assert "$ref" in content["application/json"]["schema"]
    assert "/api/v1/reports/heatmap" in paths and "/api/v1/reports/bundles/{bundle_id}/file" in paths
