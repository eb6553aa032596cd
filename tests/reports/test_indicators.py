"""The QĐ 766 indicators (service/reports/indicators.py) on hand-made histories of November 2026,
every number computed by hand below; the same numbers after the dossiers move on; the dossier
list behind every number; the CSV and XLSX exports; who may see which unit.

Units: UBND-TINH above SO-TP (agency of AG-LLTP-01), UBND-XA (of AG-KS-01 and AG-CT-01) and the
one-stop centre TTPVHCC, which receives every dossier here. AG-LLTP-01 and AG-KS-01 are offered
fully online in the catalogue, AG-CT-01 is not.
"""

from __future__ import annotations

import csv
import io
import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from service.dossiers.models import Dossier, DossierPause
from service.extensions import db
from service.identity.models import OrgUnit
from tests.factories import receive_dossier

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
MONTH = "month:2026-11"  # [1/11 00:00, 1/12 00:00): judged at 1/12 00:00


def at(month, day, hour=9):
    return datetime(2026, month, day, hour, tzinfo=HCM)


LLTP, KS, CT = "AG-LLTP-01", "AG-KS-01", "AG-CT-01"
# name: procedure, channel, received, original due, finished, verdict, outcome,
#       pauses [(start, end, due after)], digitised, e_result, returned, fee, worked days
HISTORIES = {
    "early_online": (LLTP, "online", at(11, 5), at(11, 19, 17), at(11, 10), "early", "approved",
                     [], at(11, 5), True, at(11, 12), "online", 3.0),
    "on_time_counter": (LLTP, "counter", at(11, 5), at(11, 19, 17), at(11, 19, 10), "on_time", "approved",
                        [], at(11, 5), False, at(11, 20), "counter", 10.0),
    "carried_late": (LLTP, "counter", at(10, 20), at(11, 3, 17), at(11, 5), "late", "approved",
                     [], at(10, 20), True, at(11, 6), "none", 12.0),
    "finished_before": (LLTP, "counter", at(10, 1), at(10, 15, 17), at(10, 20), "early", "approved",
                        [], at(10, 1), True, at(10, 21), "online", 9.0),
    "open_in_time": (KS, "online", at(11, 28), at(12, 4, 17), None, None, None,
                     [], at(12, 2), None, None, None, None),
    "open_late": (LLTP, "counter", at(11, 2), at(11, 16, 17), None, None, None,
                  [], None, None, None, None, None),
    # Two supplement requests: the first answered (due moved to 25/11 17:00), the second open at T
    # and made before that due moment: paused, in time.
    "paused_twice": (LLTP, "online", at(11, 10), at(11, 24, 17), None, None, None,
                     [(at(11, 12), at(11, 13), at(11, 25, 17)), (at(11, 20), None, None)],
                     at(11, 10), None, None, None, None),
    # One supplement, answered: due moved to 12/11 17:00, passed at T.
    "resumed_late": (KS, "counter", at(11, 10), at(11, 11, 17), None, None, None,
                     [(at(11, 10, 14), at(11, 12), at(11, 12, 17))], at(11, 10), None, None, None, None),
    "refused": (CT, "counter", at(11, 3), at(11, 17, 17), at(11, 9), "early", "refused",
                [], at(11, 3), None, None, None, 2.0),
    "withdrawn": (KS, "online", at(11, 4), at(11, 5, 17), at(11, 6), "late", "withdrawn",
                  [], at(11, 4), None, None, None, 1.5),
    "received_after": (LLTP, "online", at(12, 2), at(12, 16, 17), None, None, None,
                       [], at(12, 2), None, None, None, None),
    # Finished on 3/12, late: open and late at the month's end; its e-result does not count yet.
    "finished_after": (LLTP, "online", at(11, 20), at(11, 27, 17), at(12, 3), "late", "approved",
                       [], at(11, 20), True, None, None, 9.5),
}  # fmt: skip

# By hand, at 1/12 00:00. Counted (received before 1/12, not finished before 1/11): all but
# finished_before and received_after: 10 dossiers.
#   early: early_online, refused (2); on_time: on_time_counter (1); late: carried_late, withdrawn (2)
#   open_in_time: open_in_time (1); open_late: open_late, resumed_late, finished_after (3)
#   paused: paused_twice (1)
#   in time = 2 + 1 + 1 + 1 = 5 -> on-time rate 5/10 = 0.5 -> 0.5 x 20 / 1.0 = 10.0 points
#   received in November: 9 (not carried_late); finished by T: 5; refused 1, withdrawn 1
#   online: early_online, open_in_time, paused_twice, withdrawn, finished_after = 5 of 10 (0.5)
#   fully online: eligible (LLTP, KS) = 9 (not refused, of AG-CT-01); online among them 5
#     -> 5/9 = 0.5556 -> (5/9) x 12 / 0.8 = 8.33 points
#   digitised by T: all but open_late and open_in_time (digitised on 2/12) = 8 of 10 = 0.8,
#     at the threshold -> the full 4 points
#   results (finished by T, approved): early_online, on_time_counter, carried_late = 3; electronic
#     early_online, carried_late = 2 -> 2/3 x 6 / 1.0 = 4.0 points
#   paid (returned by T, fee paid): early_online (online), on_time_counter (counter) = 2
#     (carried_late paid nothing) -> 1/2 x 6 / 0.6 = 5.0 points
#   supplement requests by T: paused_twice 2, resumed_late 1 = 3; with one 2; more than one 1
#   average working days of the finished: (3 + 10 + 12 + 2 + 1.5) / 5 = 5.7
#   total: 10 + 4 + 4 + 8.33 + 5 = 31.33 of 20 + 6 + 4 + 12 + 6 = 48 -> scaled 3133/48 = 65.27
#     -> "Trung bình" (50 to 70), provisional (only 48 of the 100 points have data)
COUNTS = {
    "counted": 10,
    "received": 9,
    "finished": 5,
    "early": 2,
    "on_time": 1,
    "late": 2,
    "open_in_time": 1,
    "open_late": 3,
    "paused": 1,
    "in_time": 5,
    "late_total": 5,
    "online": 5,
    "eligible": 9,
    "full_online": 5,
    "digitised": 8,
    "synced": 0,  # the dvc connector is not configured: synced_to_dvcqg has no data
    "resulted": 3,
    "e_results": 2,
    "paid": 2,
    "paid_online": 1,
    "supplement_requests": 3,
    "with_supplements": 2,
    "multiple_supplements": 1,
    "refused": 1,
    "withdrawn": 1,
    "stopped": 0,
    "average_days": 5.7,
    "supplements_per_dossier": 0.3,
}
# key: (numerator, denominator, rate, points)
INDICATORS = {
    "on_time_rate": (5, 10, 0.5, 10.0),
    "multiple_supplements": (1, 10, 0.1, 0.0),
    "e_results": (2, 3, 0.6667, 4.0),
    "digitised": (8, 10, 0.8, 4.0),
    "full_online": (5, 9, 0.5556, 8.33),
    "online_payment": (1, 2, 0.5, 5.0),
    "online_share": (5, 10, 0.5, 0.0),
}
NO_DATA = {
    "tthc_published_on_time", "csdlqg_updated", "tthc_seven_parts", "synced_to_dvcqg",
    "e_certified_copies", "data_reuse", "personal_data_warehouse", "population_database",
    "online_payment_services", "pakn_on_time", "pakn_satisfaction", "tthc_satisfaction",
}  # fmt: skip
# Per procedure: counted, received, finished, early, on_time, late (finished late or open late), days
PROCEDURES = {
    LLTP: (6, 5, 3, 1, 1, 3, 8.33),  # early_online, on_time_counter, carried_late, open_late,
    #                                   paused_twice, finished_after; days (3 + 10 + 12) / 3
    KS: (3, 3, 1, 0, 0, 2, 1.5),  # open_in_time, resumed_late, withdrawn
    CT: (1, 1, 1, 1, 0, 0, 2.0),  # refused
}


@pytest.fixture
def office(dossier_office, make_user):
    """The histories as dossiers received through the API, then given their moments; the units."""
    office = dossier_office
    office.reporter = make_user("reporter", groups=["reports"], unit="VP-UBND")
    office.xa = make_user("xa_head", groups=["unit_heads"], unit="UBND-XA")
    ids = {name: receive_dossier(office.clerk, history[0])["id"] for name, history in HISTORIES.items()}
    with office.app.app_context():
        db.session.add(OrgUnit(code="UBND-TINH", name="UBND tỉnh"))
        db.session.flush()
        for code in ("SO-TP", "UBND-XA", "TTPVHCC"):
            db.session.scalar(sa.select(OrgUnit).where(OrgUnit.code == code)).parent_code = "UBND-TINH"
        for name, history in HISTORIES.items():
            _, channel, received, due, finished, verdict, outcome, pauses, digitised, e_result = history[:10]
            returned, fee, worked = history[10:]
            row = db.session.get(Dossier, uuid.UUID(ids[name]))
            row.channel, row.received_at, row.original_due_at = channel, received, due
            row.due_at = pauses[-1][2] if pauses and pauses[-1][2] else due
            row.finished_at, row.verdict, row.outcome = finished, verdict, outcome
            row.status = 10 if returned else (9 if finished else 4)
            row.paused_at = next((start for start, end, _ in pauses if end is None), None)
            row.digitised_at, row.e_result, row.returned_at, row.fee_payment = (
                digitised,
                e_result,
                returned,
                fee,
            )
            row.worked_days = worked
            row.supplement_requests = len(pauses)  # each pause here is a supplement request
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
        db.session.commit()
    office.ids = ids
    return office


def report(caller, **params):
    response = caller.get("/api/v1/reports/indicators", query_string={"period": MONTH, **params})
    assert response.status_code == 200, response.json
    return response.json


def indicators_of(data) -> dict:
    return {i["key"]: i for g in data["groups"] for i in g["indicators"]}


def test_every_formula_against_the_hand_computed_numbers(office):
    data = report(office.admin)
    assert data["unit"] is None and data["procedure"] is None
    assert data["period"]["key"] == MONTH and data["period"]["label"] == "Tháng 11/2026"
    assert datetime.fromisoformat(data["judged_at"]) == at(12, 1, 0)
    assert data["counts"] == COUNTS
    found = indicators_of(data)
    for key, (numerator, denominator, rate, points) in INDICATORS.items():
        item = found[key]
        assert (item["numerator"], item["denominator"], item["rate"], item["points"]) == (
            numerator,
            denominator,
            rate,
            points,
        ), key
        assert item["status"] == "ok"
    for key in NO_DATA:  # never 0 nor 100
        assert found[key]["status"] == "no_data"
        assert found[key]["rate"] is None and found[key]["points"] is None and found[key]["dossiers"] is None
    groups = {g["key"]: (g["max_points"], g["points"]) for g in data["groups"]}
    assert groups == {
        "cong_khai": (18, None),
        "tien_do": (20, 10.0),
        "so_hoa": (22, 8.0),
        "truc_tuyen": (22, 13.33),
        "hai_long": (18, None),
    }
    assert data["total"] == {
        "points": 31.33,
        "max_points": 100.0,
        "scored_max": 48.0,
        "scaled": 65.27,
        "rating": "Trung bình",
        "provisional": True,
        "target": 80.0,
    }
    rows = {
        p["code"]: (
            p["counted"],
            p["received"],
            p["finished"],
            p["early"],
            p["on_time"],
            p["late"],
            p["average_days"],
        )
        for p in data["procedures"]
    }
    assert rows == PROCEDURES
    assert [p["code"] for p in data["procedures"]] == [LLTP, KS, CT]  # the most late first


def test_the_points_below_and_at_the_threshold():
    from service.reports.index766 import points, rating

    assert points(0.4, 12, 0.8) == pytest.approx(6.0)  # 0.4 x 12 / 0.8
    assert points(0.8, 12, 0.8) == 12.0 and points(0.95, 12, 0.8) == 12.0
    assert points(0.5, 20, None) == 10.0  # no threshold given: 100 %
    assert [rating(x) for x in (95, 90, 89.99, 80, 79.9, 70, 50, 49.9)] == [
        "Xuất sắc",
        "Xuất sắc",
        "Tốt",
        "Tốt",
        "Khá",
        "Khá",
        "Trung bình",
        "Yếu",
    ]


def test_a_past_period_gives_the_same_answer_after_its_dossiers_move_on(office):
    before = report(office.admin)
    with office.app.app_context():  # December: dossiers finish, return, pause, resume
        rows = {name: db.session.get(Dossier, uuid.UUID(office.ids[name])) for name in HISTORIES}
        rows["open_in_time"].finished_at, rows["open_in_time"].verdict = at(12, 3), "early"
        rows["open_late"].finished_at, rows["open_late"].verdict = at(12, 2), "late"
        rows["open_late"].digitised_at = at(12, 2)
        rows["finished_after"].returned_at, rows["finished_after"].fee_payment = at(12, 4), "online"
        db.session.execute(
            sa.update(DossierPause)
            .where(DossierPause.dossier_id == rows["paused_twice"].id, DossierPause.ended_at.is_(None))
            .values(ended_at=at(12, 3), due_after=at(12, 10, 17))
        )
        db.session.add(
            DossierPause(dossier_id=rows["paused_twice"].id, kind="supplement", started_at=at(12, 4))
        )
        db.session.add(
            DossierPause(dossier_id=rows["open_late"].id, kind="supplement", started_at=at(12, 1, 8))
        )
        rows["paused_twice"].supplement_requests += 1  # asked after T: not November's
        rows["open_late"].supplement_requests += 1
        rows["resumed_late"].finished_at, rows["resumed_late"].verdict = at(12, 7), "late"
        rows["resumed_late"].outcome, rows["resumed_late"].e_result = "approved", True
        db.session.commit()
    assert report(office.admin) == before


def test_every_number_links_to_the_dossiers_behind_it(office):
    data = report(office.admin)

    def total(url):
        response = office.admin.get(url + "&per_page=100")
        assert response.status_code == 200, (url, response.json)
        return response.json["total"]

    for item in indicators_of(data).values():
        if item["status"] == "ok":
            assert total(item["dossiers"]) == item["numerator"], item["key"]
            assert total(item["denominator_dossiers"]) == item["denominator"], item["key"]
    for key, url in data["links"].items():
        assert total(url) == data["counts"][key], key
    for row in data["procedures"]:
        assert total(row["dossiers"]) == row["counted"] and total(row["late_dossiers"]) == row["late"]


def test_a_unit_counts_its_sub_units_and_officers_see_only_theirs(office):
    assert report(office.admin, unit="SO-TP")["counts"]["counted"] == 6  # AG-LLTP-01's agency
    assert report(office.admin, unit="UBND-XA")["counts"]["counted"] == 4  # AG-KS-01, AG-CT-01
    whole = report(office.admin, unit="UBND-TINH")
    assert whole["unit"] == {"code": "UBND-TINH", "name": "UBND tỉnh"}
    assert whole["counts"] == COUNTS  # every unit is below it
    # An officer: their unit by default, with its sub-units; not another unit, not the province.
    own = report(office.xa)
    assert own["unit"]["code"] == "UBND-XA" and own["counts"]["counted"] == 4
    assert report(office.xa, procedure=KS)["counts"]["counted"] == 3
    for params in ({"unit": "SO-TP"}, {"unit": "UBND-TINH"}):
        refused = office.xa.get("/api/v1/reports/indicators", query_string={"period": MONTH, **params})
        assert refused.status_code == 403 and refused.json["error"]["code"] == "forbidden"
    # The reporting group sees the province; its drill-through lists hold the dossiers.
    assert report(office.reporter)["counts"] == COUNTS
    late = report(office.xa)["links"]["late_total"]
    assert office.xa.get(late).json["total"] == 2  # resumed_late, withdrawn: theirs to see


def test_bad_requests_are_clear_errors(office):
    for params, field in (({"period": "month:2026-13"}, "period"), ({"format": "pdf"}, "format")):
        response = office.admin.get("/api/v1/reports/indicators", query_string=params)
        assert response.status_code == 422, response.json
        assert field in response.json["error"]["details"]["fields"]
    unknown = office.admin.get("/api/v1/reports/indicators", query_string={"unit": "NOPE", "period": MONTH})
    assert unknown.status_code == 404


def test_the_exports_count_the_same_dossiers_the_same_way(office):
    data = report(office.admin)
    expected = {("indicator", i["key"]): i for i in indicators_of(data).values()}
    response = office.admin.get("/api/v1/reports/indicators", query_string={"period": MONTH, "format": "csv"})
    assert response.status_code == 200 and response.mimetype == "text/csv"
    table = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    header, body = table[0], table[1:]
    rows = [dict(zip(header, line, strict=True)) for line in body]
    counts = {r["Mã"]: r["Tử số"] for r in rows if r["Phần"] == "counts"}
    assert counts["counted"] == "10" and counts["in_time"] == "5" and counts["late_total"] == "5"
    for row in rows:
        if row["Phần"] == "indicator" and expected[("indicator", row["Mã"])]["status"] == "ok":
            item = expected[("indicator", row["Mã"])]
            assert (int(row["Tử số"]), int(row["Mẫu số"])) == (item["numerator"], item["denominator"])
            assert float(row["Điểm"]) == pytest.approx(item["points"], abs=0.01)
    total = next(r for r in rows if r["Phần"] == "total")
    assert float(total["Điểm"]) == data["total"]["points"] and total["Chỉ số / thủ tục"] == "Trung bình"

    response = office.admin.get(
        "/api/v1/reports/indicators",
        query_string={"period": MONTH},
        headers={"Accept": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
    )
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data), read_only=True).active
    lines = list(sheet.iter_rows(values_only=True))
    header = lines[1]
    cells = [dict(zip(header, line, strict=False)) for line in lines[2:]]
    for row in cells:
        if row["Phần"] == "indicator" and expected[("indicator", row["Mã"])]["status"] == "ok":
            item = expected[("indicator", row["Mã"])]
            assert (row["Tử số"], row["Mẫu số"], row["Điểm"]) == (
                item["numerator"],
                item["denominator"],
                item["points"],
            )
    assert {r["Mã"]: r["Tử số"] for r in cells if r["Phần"] == "counts"}["counted"] == 10


def test_a_systems_token_needs_the_read_scope(office):
    from tests.security.test_token_scopes import scoped

    reader = scoped(office.admin, "reporter", "read", name="dashboard")
    assert reader.get("/api/v1/reports/indicators", query_string={"period": MONTH}).status_code == 200
    deployer = scoped(office.admin, "reporter", "deploy", name="deployer")
    refused = deployer.get("/api/v1/reports/indicators", query_string={"period": MONTH})
    assert refused.status_code == 403


def test_the_trends_keep_a_period_that_is_over_and_never_the_running_one(office, clock):
    from service.calendar import periods
    from service.reports import indicators

    clock.freeze()
    with clock.at(at(12, 4)), office.app.app_context():
        december = periods.parse("month:2026-12", HCM)
        first = indicators.trend(december, count=2)
        assert [p["key"] for p in first] == ["month:2026-11", "month:2026-12"]
        assert first[0]["rates"]["on_time_rate"] == 0.5  # as computed by hand above
        kept = office.app.extensions["motcua.indicator_trend"]
        assert list(kept) == [("month:2026-11", None, None)]  # December is still running
        # A correction of November's data shows in the report at once, in the trends later.
        row = db.session.get(Dossier, uuid.UUID(office.ids["early_online"]))
        row.verdict = "late"
        db.session.commit()
        assert indicators.compute(periods.parse(MONTH, HCM))["counts"]["in_time"] == 4
        assert indicators.trend(december, count=2)[0] == first[0]
