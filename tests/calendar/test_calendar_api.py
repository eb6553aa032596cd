"""/api/v1/calendar: settings and holidays, admin overrides, the deadline calculator."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

DEADLINE = "/api/v1/calendar/deadline"
OVERRIDES = "/api/v1/calendar/overrides"


@pytest.fixture(autouse=True)
def _calendar_blueprint(app):
    """Register the calendar blueprint unless create_app already does."""
    if "calendar" not in app.blueprints:
        from service.calendar.routes import blp
        from service.extensions import api

        assert api._app is app, "the Api singleton must be bound to this test's app"
        api.register_blueprint(blp)
    return app


@pytest.fixture
def clerk(make_user):
    return make_user("clerk", groups=["tiep-nhan"])


def deadline(caller, start, working_days):
    return caller.get(DEADLINE, query_string={"start": start, "working_days": working_days})


def delete(caller, day):
    return caller.client.delete(f"{OVERRIDES}/{day}", headers=caller.headers)


# -- reading ------------------------------------------------------------------------------------


def test_calendar_needs_authentication(client):
    assert client.get("/api/v1/calendar").status_code == 401
    response = client.get(DEADLINE, query_string={"start": "2026-02-13T10:00:00+07:00", "working_days": 1})
    assert response.status_code == 401
    assert client.post(OVERRIDES, json={"day": "2026-03-02", "kind": "off"}).status_code == 401


def test_any_user_reads_the_settings_and_the_holidays_of_a_year(clerk):
    response = clerk.get("/api/v1/calendar", query_string={"year": 2026})
    assert response.status_code == 200
    body = response.get_json()
    assert body["year"] == 2026
    assert body["settings"] == {
        "timezone": "Asia/Ho_Chi_Minh",
        "office_hours": [{"start": "07:00", "end": "11:30"}, {"start": "13:30", "end": "17:00"}],
        "hours_per_working_day": 8.0,
        "reception_cutoff": "15:00",
        "holiday_country": "VN",
    }
    holidays = {h["date"]: h for h in body["holidays"]}
    assert {"2026-02-16", "2026-02-17", "2026-02-20", "2026-09-01", "2026-09-02"} <= set(holidays)
    assert holidays["2026-02-17"]["name"] == "Tết Âm lịch (mùng 1 tháng Giêng)"
    assert holidays["2026-02-17"]["source"].startswith("Thông báo số 9441/TB-BNV ngày 16/10/2025")
    assert body["announced"] is True and not any(h["provisional"] for h in body["holidays"])
    assert body["overrides"] == []


def test_the_2025_calendar_lists_the_makeup_saturday_and_its_substituted_day(clerk):
    body = clerk.get("/api/v1/calendar?year=2025").get_json()
    assert body["makeup_working_days"] == ["2025-04-26"]
    assert "2025-05-02" in {h["date"] for h in body["holidays"]}


def test_the_calendar_defaults_to_this_year_in_the_offices_time_zone(clerk, clock):
    # 17:30 UTC on 31 December 2027 is already 1 January 2028 in Ho Chi Minh City.
    with clock.at(datetime(2027, 12, 31, 17, 30, tzinfo=UTC)):
        body = clerk.get("/api/v1/calendar").get_json()
    assert body["year"] == 2028
    assert body["holidays"] and all(h["date"].startswith("2028") for h in body["holidays"])


@pytest.mark.parametrize("year", ["soon", "0", "99999"])
def test_a_bad_year_is_refused_with_422(clerk, year):
    response = clerk.get(f"/api/v1/calendar?year={year}")
    assert response.status_code == 422
    assert "year" in response.get_json()["error"]["details"]["fields"]


# -- deadlines ----------------------------------------------------------------------------------


def test_deadline_across_tet_2026_skips_the_holidays(clerk):
    response = deadline(clerk, "2026-02-13T10:00:00+07:00", 3)
    assert response.status_code == 200
    assert response.get_json() == {
        "start": "2026-02-13T10:00:00+07:00",
        "clock_start": "2026-02-13T10:00:00+07:00",
        "working_days": 3.0,
        "day_kind": "working",
        "due_at": "2026-02-25T10:00:00+07:00",
    }


def test_the_deadline_calculator_counts_calendar_days_when_asked(clerk):
    query = {"start": "2026-02-13T10:00:00+07:00", "working_days": 3, "day_kind": "calendar"}
    body = clerk.get(DEADLINE, query_string=query).get_json()
    # Friday 13/2 + 3 days is Monday 16/2, in the Tết holiday: the first working day after it
    assert body["due_at"] == "2026-02-23T17:00:00+07:00" and body["day_kind"] == "calendar"
    refused = clerk.get(DEADLINE, query_string={**query, "day_kind": "lunar"})
    assert refused.status_code == 422 and "day_kind" in refused.get_json()["error"]["details"]["fields"]


def test_deadline_of_a_reception_after_the_cutoff_starts_after_tet(clerk):
    body = deadline(clerk, "2026-02-13T08:30:00Z", 0.5).get_json()  # 15:30 in Hà Nội
    assert body["clock_start"] == "2026-02-23T07:00:00+07:00"
    assert body["due_at"] == "2026-02-23T17:00:00+07:00"  # half a day: the close of that day
    assert body["working_days"] == 0.5
    body = deadline(clerk, "2026-02-13T08:30:00Z", 1.5).get_json()  # longer: office time
    assert body["due_at"] == "2026-02-24T11:00:00+07:00"


def test_deadline_accepts_an_unencoded_plus_in_the_offset(clerk):
    response = clerk.get(DEADLINE + "?start=2026-02-13T10:00:00+07:00&working_days=1.5")
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["due_at"] == "2026-02-23T16:00:00+07:00"  # 5 h Fri + 7 h Mon


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"start": "2026-02-13T10:00:00", "working_days": 1}, "start"),  # naive
        ({"start": "13/02/2026", "working_days": 1}, "start"),
        ({"working_days": 1}, "start"),
        ({"start": "2026-02-13T10:00:00+07:00", "working_days": -1}, "working_days"),
        ({"start": "2026-02-13T10:00:00+07:00", "working_days": 0}, "working_days"),
        ({"start": "2026-02-13T10:00:00+07:00", "working_days": 366}, "working_days"),
        ({"start": "2026-02-13T10:00:00+07:00", "working_days": "ba"}, "working_days"),
        ({"start": "2026-02-13T10:00:00+07:00", "working_days": "NaN"}, "working_days"),
        ({"start": "2026-02-13T10:00:00+07:00"}, "working_days"),
    ],
)
def test_bad_deadline_input_is_refused_with_422_naming_the_field(clerk, params, field):
    response = clerk.get(DEADLINE, query_string=params)
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "validation_failed"
    assert field in error["details"]["fields"]


def test_a_year_long_deadline_is_answered(clerk):
    body = deadline(clerk, "2026-01-05T07:00:00+07:00", 365).get_json()
    assert body["due_at"].startswith("2027-")


# -- overrides ----------------------------------------------------------------------------------


def test_only_administrators_change_the_calendar(clerk, admin):
    response = clerk.post(OVERRIDES, json={"day": "2026-03-02", "kind": "off"})
    assert response.status_code == 403
    assert admin.post(OVERRIDES, json={"day": "2026-03-02", "kind": "off"}).status_code == 201
    assert delete(clerk, "2026-03-02").status_code == 403


def test_override_lifecycle_201_409_204_404(admin):
    response = admin.post(OVERRIDES, json={"day": "2026-03-02", "kind": "off", "note": "Nghỉ bù"})
    assert response.status_code == 201
    body = response.get_json()
    assert {k: body[k] for k in ("day", "kind", "note")} == {
        "day": "2026-03-02",
        "kind": "off",
        "note": "Nghỉ bù",
    }
    assert body["created_by_id"] is not None
    assert body["created_at"].endswith("+00:00")

    again = admin.post(OVERRIDES, json={"day": "2026-03-02", "kind": "working"})
    assert again.status_code == 409
    assert again.get_json()["error"]["details"] == {"day": "2026-03-02", "kind": "off"}

    listed = admin.get("/api/v1/calendar?year=2026").get_json()["overrides"]
    assert [(o["day"], o["kind"]) for o in listed] == [("2026-03-02", "off")]
    assert admin.get("/api/v1/calendar?year=2025").get_json()["overrides"] == []

    removed = delete(admin, "2026-03-02")
    assert removed.status_code == 204
    assert removed.data == b""
    assert delete(admin, "2026-03-02").status_code == 404
    assert admin.get("/api/v1/calendar?year=2026").get_json()["overrides"] == []


def test_override_changes_are_audited(app, admin):
    admin.post(OVERRIDES, json={"day": "2026-03-02", "kind": "off"})
    delete(admin, "2026-03-02")
    from service.audit.models import AuditEvent
    from service.extensions import db

    with app.app_context():
        rows = db.session.execute(sa.select(AuditEvent.type, AuditEvent.actor, AuditEvent.data)).all()
    assert [(r.type, r.actor, r.data["day"]) for r in rows] == [
        ("calendar_override_added", "admin", "2026-03-02"),
        ("calendar_override_removed", "admin", "2026-03-02"),
    ]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"day": "2026-03-02", "kind": "holiday"}, "kind"),
        ({"kind": "off"}, "day"),
        ({"day": "2026-02-30", "kind": "off"}, "day"),
        ({"day": "2026-03-02"}, "kind"),
        ({"day": "2026-03-02", "kind": "off", "note": "x" * 256}, "note"),
        ({"day": "2026-03-02", "kind": "off", "colour": "red"}, "colour"),
    ],
)
def test_bad_override_input_is_refused_with_422(admin, body, field):
    response = admin.post(OVERRIDES, json=body)
    assert response.status_code == 422
    assert field in response.get_json()["error"]["details"]["fields"]


def test_deleting_a_non_date_is_refused_with_422(admin):
    response = delete(admin, "tet")
    assert response.status_code == 422
    assert "day" in response.get_json()["error"]["details"]["fields"]


def test_an_extra_day_off_takes_effect_in_the_deadline_immediately(admin, clerk):
    start = "2026-02-13T10:00:00+07:00"
    assert deadline(clerk, start, 3).get_json()["due_at"] == "2026-02-25T10:00:00+07:00"
    assert admin.post(OVERRIDES, json={"day": "2026-02-24", "kind": "off"}).status_code == 201
    assert deadline(clerk, start, 3).get_json()["due_at"] == "2026-02-26T10:00:00+07:00"
    assert delete(admin, "2026-02-24").status_code == 204
    assert deadline(clerk, start, 3).get_json()["due_at"] == "2026-02-25T10:00:00+07:00"


def test_an_extra_working_saturday_pulls_the_deadline_and_the_clock_start(admin, clerk):
    assert admin.post(OVERRIDES, json={"day": "2026-02-21", "kind": "working"}).status_code == 201
    body = deadline(clerk, "2026-02-13T16:00:00+07:00", 1).get_json()
    assert body["clock_start"] == "2026-02-21T07:00:00+07:00"
    assert body["due_at"] == "2026-02-21T17:00:00+07:00"


def test_a_refused_request_does_not_leave_an_override_behind(app, clerk):
    """An override added then rolled back (the request failed) must not stay in the cache."""
    from service.calendar import operations
    from service.calendar.models import CalendarOverride
    from service.extensions import db
    from service.uow import unit_of_work

    with app.test_request_context():
        operations.calendar()  # warm the cache
        with pytest.raises(RuntimeError), unit_of_work():  # the unit of a request that failed
            operations.add_override(date(2026, 2, 24), "off", None)
            assert not operations.calendar().is_working_day(date(2026, 2, 24))
            raise RuntimeError("the request failed after the override was added")
        assert operations.calendar().is_working_day(date(2026, 2, 24))
        assert db.session.scalar(sa.select(sa.func.count()).select_from(CalendarOverride)) == 0
    assert deadline(clerk, "2026-02-13T10:00:00+07:00", 3).get_json()["due_at"] == "2026-02-25T10:00:00+07:00"


def test_the_calendar_endpoints_are_described_in_the_openapi_document(client):
    document = client.get("/api/v1/openapi.json").get_json()
    assert {"/api/v1/calendar", "/api/v1/calendar/deadline", "/api/v1/calendar/overrides/{day}"} <= set(
        document["paths"]
    )


def test_any_user_asks_why_a_day_is_or_is_not_worked(clerk, admin):
    swapped = clerk.get("/api/v1/calendar/days/2026-01-02").json
    assert swapped == {
        "date": "2026-01-02",
        "working": False,
        "basis": "schedule",
        "name": "Nghỉ hoán đổi dịp Tết Dương lịch (làm bù thứ Bảy 10/01)",
        "source": swapped["source"],
        "provisional": False,
    }
    assert "12729/VPCP-KGVX" in swapped["source"]
    assert clerk.get("/api/v1/calendar/days/2027-02-08").json["provisional"] is True
    admin.post("/api/v1/calendar/overrides", json={"day": "2026-03-02", "kind": "off", "note": "Bão số 3"})
    overridden = clerk.get("/api/v1/calendar/days/2026-03-02").json
    assert overridden["basis"] == "override" and overridden["source"] == "Bão số 3"
    assert clerk.get("/api/v1/calendar/days/2026-02-30").status_code == 422
    assert clerk.get("/api/v1/calendar/days/1800-01-01").status_code == 422


def test_a_deadline_over_the_2026_new_year_counts_the_announced_swap(clerk):
    # received Wednesday 31/12/2025 at 10:00 with 2 working days: Thursday 1/1 and Friday 2/1 are
    # off, Saturday 10/1 is worked: 31/12 (7 h) + 5/1 + 6/1 → Tuesday 6/1 at 10:00
    due = clerk.get(
        "/api/v1/calendar/deadline", query_string={"start": "2025-12-31T10:00:00+07:00", "working_days": 2}
    ).json
    assert due["due_at"] == "2026-01-06T10:00:00+07:00"
