"""The heatmap of a procedure's process (GET /api/v1/reports/heatmap): per element, the dossiers and
rounds that ended there in the period, the median and 90th percentile of the working days used
(percentile_cont on PostgreSQL, the same interpolation in Python on SQLite) and the share late;
hand-computed on made-up Mẫu 05 steps of AG-LLTP-01 in November 2026."""

from __future__ import annotations

import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from service.dossiers.models import Dossier, DossierStep
from service.extensions import db
from service.procedures.models import Procedure
from service.reports.heatmap import percentile
from tests.factories import receive_dossier

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
URL = "/api/v1/reports/heatmap?procedure=AG-LLTP-01&period=month:2026-11"


def at(month, day):
    return datetime(2026, month, day, 9, tzinfo=HCM)


# dossier number: [(element, ended, used days, verdict)]
STEPS = {
    1: [
        ("assign", at(11, 2), 0.5, None),
        ("appraise", at(11, 5), 1.0, "early"),
        ("appraise", at(11, 20), 2.0, "early"),
    ],
    2: [("assign", at(11, 3), 1.5, "on_time"), ("appraise", at(11, 9), 2.0, "early")],
    3: [("appraise", at(11, 10), 3.0, "early")],
    4: [("appraise", at(11, 12), 4.0, "on_time")],
    5: [("appraise", at(11, 30), 10.0, "late"), ("approve", at(12, 1), 1.0, "late")],  # approve: December
}


def make_steps(office) -> None:
    """STEPS on five dossiers of AG-LLTP-01, and a sixth of another procedure."""
    ids = [receive_dossier(office.clerk)["id"] for _ in range(6)]
    with office.app.app_context():
        for number, steps in STEPS.items():
            for element, ended, used, verdict in steps:
                db.session.add(
                    DossierStep(
                        dossier_id=uuid.UUID(ids[number - 1]),
                        task_id=uuid.uuid4(),
                        element_id=element,
                        name={"assign": "Phân công", "appraise": "Thẩm định hồ sơ", "approve": "Phê duyệt"}[
                            element
                        ],
                        unit="Sở Tư pháp",
                        actor="specialist",
                        started_at=at(11, 1),
                        ended_at=ended,
                        allotted_days=None if verdict is None else 5.0,
                        used_days=used,
                        verdict=verdict,
                    )
                )
        # A dossier of another procedure: its late appraisal is not AG-LLTP-01's.
        other = db.session.scalar(sa.select(Procedure.id).where(Procedure.code != "AG-LLTP-01").limit(1))
        sixth = db.session.get(Dossier, uuid.UUID(ids[5]))
        sixth.procedure_id = other
        db.session.add(
            DossierStep(
                dossier_id=sixth.id,
                task_id=uuid.uuid4(),
                element_id="appraise",
                name="x",
                started_at=at(11, 1),
                ended_at=at(11, 15),
                allotted_days=1.0,
                used_days=50.0,
                verdict="late",
            )
        )
        db.session.commit()


@pytest.fixture
def office(dossier_office):
    make_steps(dossier_office)
    return dossier_office


def test_percentile_interpolates_like_percentile_cont():
    assert percentile([], 0.5) is None
    assert percentile([4.0], 0.9) == 4.0
    assert percentile([1.0, 2.0, 2.0, 3.0, 4.0, 10.0], 0.5) == 2.5
    assert percentile([1.0, 2.0, 2.0, 3.0, 4.0, 10.0], 0.9) == pytest.approx(7.0)


def test_each_element_has_its_dossiers_times_and_share_late(office):
    answer = office.admin.get(URL)
    assert answer.status_code == 200, answer.json
    body = answer.json
    assert (body["procedure"], body["period"], body["definition_key"]) == (
        "AG-LLTP-01",
        "month:2026-11",
        "dossier",
    )
    assert body["definition_version"] == 1
    by_element = {item["element_id"]: item for item in body["elements"]}
    assert set(by_element) == {"assign", "appraise"}  # approve ended in December
    # appraise: rounds of 1, 2, 2, 3, 4 and 10 days (dossier 1 twice): median (2 + 3) / 2, the 90th
    # percentile at position 0.9 x 5 = 4.5, between 4 and 10; one late round of six judged.
    assert by_element["appraise"] == {
        "element_id": "appraise",
        "name": "Thẩm định hồ sơ",
        "dossiers": 5,
        "steps": 6,
        "median_days": 2.5,
        "p90_days": 7.0,
        "late": 1,
        "judged": 6,
        "late_share": round(1 / 6, 4),
    }
    # assign: 0.5 and 1.5 days: median 1.0, 90th percentile 0.5 + 0.9 x 1.0; one round had no allotment.
    assign = by_element["assign"]
    assert (assign["dossiers"], assign["median_days"], assign["p90_days"]) == (2, 1.0, 1.4)
    assert (assign["late"], assign["judged"], assign["late_share"]) == (0, 1, 0.0)


def test_who_may_see_it_and_what_is_refused(office):
    assert office.clerk.get(URL).status_code == 200  # the clerk's own unit (the dossiers were received there)
    assert office.clerk.get(URL + "&unit=000.99.99.X00").status_code == 403
    assert office.admin.get(URL + "&unit=000.99.99.X00").json["elements"] == []
    assert office.specialist.get(URL).status_code == 403  # SO-TP has no national code here
    bad = office.admin.get("/api/v1/reports/heatmap?procedure=AG-LLTP-01&period=month:11")
    assert bad.status_code == 422 and bad.json["error"]["code"] == "invalid_period"
    assert (
        office.admin.get("/api/v1/reports/heatmap?procedure=NO-SUCH&period=month:2026-11").status_code == 404
    )
