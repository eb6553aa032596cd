"""The QĐ 766 dashboard (/ui/dashboard): a unit's indicators (with its sub-units) or the province's,
for a period, each against its target; trends over the last periods as charts (chart.js, served by
vendor.py); the procedures and steps most often late; every number a link to the dossier list
filtered to the dossiers behind it (the list page reads the same filters as GET /api/v1/dossiers).

It computes through reports/indicators.py and authorises with reports/indicator_permissions.py, like the API.
"""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import current_app, render_template, request, url_for
from flask_babel import lazy_gettext as _l

from ..calendar import periods
from ..dossiers import drill
from ..dossiers import queries as dossier_reads
from ..dossiers.permissions import sees_all, units_of
from ..identity import queries as identity
from ..identity.auth import current_user
from ..reports import index766, indicators
from ..reports import indicator_permissions as permissions
from . import bp

API_LIST = "/api/v1/dossiers?"
KINDS = (
    ("month", _l("Tháng"), 12),
    ("reporting-month", _l("Kỳ báo cáo tháng (21 - 20)"), 6),
    ("quarter", _l("Quý"), 4),
    ("reporting-quarter", _l("Kỳ báo cáo quý (15 - 14)"), 4),
    ("year", _l("Năm"), 2),
)
# The QĐ 766 catalogue's words (service/reports/indicators.py: groups, indicators, ratings), listed
# here to be translated for the pages (the API keeps them as the decision writes them).
INDICATOR_WORDS = (
    _l("Công khai, minh bạch"),
    _l("Công bố, công khai TTHC đúng hạn"),
    _l("Cập nhật CSDL quốc gia về TTHC đúng hạn (≤ 5 ngày làm việc)"),
    _l("Công khai đủ 7 bộ phận của TTHC"),
    _l("Hồ sơ đồng bộ lên Cổng DVC quốc gia"),
    _l("Tiến độ, kết quả giải quyết"),
    _l("Hồ sơ giải quyết đúng hạn (đã xong hoặc đang xử lý trong hạn / tiếp nhận và xử lý trong kỳ)"),
    _l("Hồ sơ yêu cầu bổ sung quá 01 lần (DVCQG tính là trễ hạn; không chấm điểm riêng)"),
    _l("Số hóa hồ sơ, kết quả"),
    _l("Kết quả giải quyết điện tử (ký số)"),
    _l("Hồ sơ được số hóa khi tiếp nhận"),
    _l("Cấp bản sao điện tử, chứng thực điện tử"),
    _l("Khai thác, tái sử dụng dữ liệu số hóa"),
    _l("Kết nối Kho dữ liệu cá nhân, tổ chức"),
    _l("Khai thác Cơ sở dữ liệu quốc gia về dân cư"),
    _l("Cung cấp dịch vụ trực tuyến"),
    _l("Hồ sơ trực tuyến toàn trình / hồ sơ của TTHC cung cấp DVC trực tuyến toàn trình"),
    _l("Hồ sơ thanh toán trực tuyến / hồ sơ có nộp phí, lệ phí"),
    _l("TTHC tích hợp thanh toán trực tuyến trên Cổng DVC"),
    _l("Hồ sơ tiếp nhận trực tuyến / tổng số hồ sơ (không chấm điểm)"),
    _l("Mức độ hài lòng"),
    _l("Xử lý phản ánh, kiến nghị đúng hạn"),
    _l("Hài lòng về xử lý phản ánh, kiến nghị"),
    _l("Hài lòng trong thực hiện TTHC"),
    _l("Xuất sắc"),
    _l("Tốt"),
    _l("Khá"),
    _l("Trung bình"),
    _l("Yếu"),
)
# A period's label (service/calendar/periods.py writes it in Vietnamese) -> its words on the page.
PERIOD_LABELS = (
    (re.compile(r"^Tháng (\d{2})/(\d{4})$"), _l("Tháng %(month)s/%(year)s"), ("month", "year")),
    (
        re.compile(r"^Kỳ báo cáo tháng (\d{2})/(\d{4}) \(21/(\d{2}) - 20/(\d{2})\)$"),
        _l("Kỳ báo cáo tháng %(month)s/%(year)s (21/%(previous)s - 20/%(month)s)"),
        ("month", "year", "previous", "month"),
    ),
    (re.compile(r"^Quý (\d) năm (\d{4})$"), _l("Quý %(quarter)s năm %(year)s"), ("quarter", "year")),
    (
        re.compile(r"^Kỳ báo cáo quý (\d) năm (\d{4}) \((\d{2}/\d{2}/\d{4}) - (\d{2}/\d{2}/\d{4})\)$"),
        _l("Kỳ báo cáo quý %(quarter)s năm %(year)s (%(first)s - %(last)s)"),
        ("quarter", "year", "first", "last"),
    ),
    (re.compile(r"^Năm (\d{4})$"), _l("Năm %(year)s"), ("year",)),
    (re.compile(r"^Tuần (\d+) năm (\d{4})$"), _l("Tuần %(week)s năm %(year)s"), ("week", "year")),
    (re.compile(r"^Ngày (\d{2}/\d{2}/\d{4})$"), _l("Ngày %(day)s"), ("day",)),
)


def period_words(label: str) -> str:
    """A period's label in the page's language."""
    for pattern, words, names in PERIOD_LABELS:
        match = pattern.match(label or "")
        if match:
            return str(words) % dict(zip(names, match.groups(), strict=True))
    return label


@bp.app_template_filter("period_words")
def _period_words(label: str) -> str:
    return period_words(label)


TREND_SERIES = (
    ("on_time_rate", _l("Đúng hạn")),
    ("full_online", _l("Trực tuyến toàn trình")),
    ("digitised", _l("Số hóa")),
    ("e_results", _l("Kết quả điện tử")),
)


def page_link(api_url: str | None) -> str | None:
    """A dossier list link of the indicators (the API's) as the list page's."""
    if not api_url:
        return None
    return url_for("ui.dossiers") + "?" + api_url.removeprefix(API_LIST)


def period_choices(now: datetime) -> list[tuple[str, str]]:
    """The periods offered: the last months, reporting months, quarters, reporting quarters (the
    quarterly report's period, 15th to 14th) and years."""
    choices = []
    for kind, _label, count in KINDS:
        period = periods.containing(kind, now)
        for _ in range(count):
            choices.append((period.key, period_words(period.label)))
            period = period.previous()
    return choices


def unit_choices(user) -> list[tuple[str, str]]:
    """The units the user may see the indicators of ("" the province, for those who see it)."""
    if sees_all(user):
        return [("", str(_l("Toàn tỉnh"))), *identity.units()]
    own = set(units_of(user))
    return [(code, name) for code, name in identity.units() if code in own]


def _linked(report: dict) -> dict:
    """The report with the list page's links in place of the API's."""
    for group in report["groups"]:
        for item in group["indicators"]:
            item["dossiers"] = page_link(item["dossiers"])
            item["denominator_dossiers"] = page_link(item["denominator_dossiers"])
    report["links"] = {key: page_link(url) for key, url in report["links"].items()}
    for row in report["procedures"] + report["steps"]:
        row["dossiers"], row["late_dossiers"] = page_link(row["dossiers"]), page_link(row["late_dossiers"])
    return report


def _meets(item: dict) -> bool | None:
    if item["rate"] is None or item["target"] is None:
        return None
    return item["rate"] >= item["target"]


@bp.get("/dashboard", endpoint="dashboard")
def dashboard():
    user = current_user()
    zone = ZoneInfo(current_app.config["MOTCUA_TIMEZONE"])
    now = drill.judged_at(None).astimezone(zone)  # now, in office time
    unit = request.args.get("unit") or permissions.default_unit(user)
    permissions.require_indicators(user, unit)
    key = request.args.get("period")
    period = drill.period_of(key) if key else periods.containing("month", now)
    procedure = request.args.get("procedure") or None
    report = _linked(indicators.compute(period, unit=unit, procedure=procedure))
    trend = indicators.trend(period, unit=unit, procedure=procedure)
    chart = {
        "labels": [period_words(point["label"]) for point in trend],
        "series": [
            {"key": key, "label": str(label), "values": [point["rates"].get(key) for point in trend]}
            for key, label in TREND_SERIES
        ],
        "points": [point["total"]["scaled"] for point in trend],
        "points_label": str(_l("Điểm (quy về 100)")),
        "good": index766.GOOD,
    }
    choices = period_choices(now)
    if period.key not in dict(choices):
        choices.insert(0, (period.key, period_words(period.label)))
    return render_template(
        "ui/dashboard.html",
        report=report,
        chart=chart,
        meets=_meets,
        units=unit_choices(user),
        unit=unit or "",
        periods=choices,
        period=period,
        procedures=dossier_reads.procedures_visible_to(user),
        procedure=procedure or "",
        kinds=KINDS,
    )
