"""Printable one-stop-shop slips (Mẫu 01-06, TT 01/2018 practice) rendered from plain dicts.

A pure rendering package: Jinja2 templates (``templates/``), segno for the QR code of the
dossier code and WeasyPrint for PDF. It imports nothing of the web or database layers:
callers build a plain context dict and get HTML or PDF back.

Mẫu 01-05 read one dossier: ``agency`` {name, unit_name, place}, ``code``, ``procedure``
{code, name, field, processing_days, fee}, ``applicant`` {name, id_number, address, phone,
email}, ``channel`` (counter/post/online), ``components`` [{name, form, quantity}], ``sets``,
``received_at``, ``due_at`` (the statutory one), ``new_due_at`` (Mẫu 04's new appointment),
``apologised_at`` (Mẫu 04's date), ``receiver``, ``return_place``, ``register`` {book, number},
``supplement`` {items [{name, form, quantity}], reason, requested_at (Mẫu 02's date)},
``refusal_reason``, ``apology_reason``, ``processing_unit``, ``coordinating_units``, ``steps``
[{from_unit, to_unit, handed_at, giver, receiver, verdict (early/on_time/late), note}], ``pauses``
[{kind, started_at, ended_at, working_days}], ``payments`` [{purpose, channel, amount,
receipt_number, paid_at}], ``return_method``, ``tracking_number``, ``shipment_status`` and
``edms_number`` (Mẫu 05), ``contact``, ``generated_at``; optionally
``number`` (the slip's "Số:") and ``signer`` (Mẫu 04).
Mẫu 06 reads ``agency``, ``book``, ``period_from``, ``period_to`` and ``rows`` [{number (the
register's line, as on Mẫu 01), code, procedure, applicant, quantity, processing_unit,
received_at, due_at, new_due_at, transferred_at, returned_at, return_method, tracking_number,
note}].

Any context key may be missing or ``None``: the slip then shows a dotted blank (``……``)
where a paper form would be filled in by hand. Aware datetimes are shown in
Asia/Ho_Chi_Minh; naive ones are taken as already local.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone, tzinfo
from pathlib import Path

import segno
from jinja2 import ChainableUndefined, Environment, FileSystemLoader, Undefined
from markupsafe import Markup

__all__ = ["FORMS", "UnknownForm", "qr_svg", "render_html", "render_pdf"]

FORMS: dict[str, str] = {
    "mau-01": "Giấy tiếp nhận hồ sơ và hẹn trả kết quả",
    "mau-02": "Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ",
    "mau-03": "Phiếu từ chối tiếp nhận giải quyết hồ sơ",
    "mau-04": "Phiếu xin lỗi và hẹn lại ngày trả kết quả",
    "mau-05": "Phiếu kiểm soát quá trình giải quyết hồ sơ",
    "mau-06": "Sổ theo dõi hồ sơ",
}

BLANK = "……………"
CHANNELS = {"counter": "Trực tiếp", "post": "Bưu chính", "online": "Trực tuyến"}
VERDICTS = {"early": "Trước hạn", "on_time": "Đúng hạn", "late": "Quá hạn"}
TEMPLATES = Path(__file__).resolve().parent / "templates"


def _vietnam_zone() -> tzinfo:
    """Asia/Ho_Chi_Minh from the tz database, or its fixed UTC+7 (no DST since 1975)."""
    try:
        from zoneinfo import ZoneInfo

        return ZoneInfo("Asia/Ho_Chi_Minh")
    except Exception:  # ZoneInfoNotFoundError on machines without tz data
        return timezone(timedelta(hours=7), "ICT")


VIETNAM = _vietnam_zone()


class UnknownForm(ValueError):
    """Raised for a form id that is not one of :data:`FORMS`."""


def _missing(value: object) -> bool:
    """True for what a paper form leaves blank: None, undefined, or a whitespace-only str."""
    return value is None or isinstance(value, Undefined) or (type(value) is str and not value.strip())


def _finalize(value: object) -> object:
    """Print every missing value as a dotted blank, never as ``None``."""
    return BLANK if _missing(value) else value


def _local(value: object) -> date | None:
    """A date or datetime (ISO strings accepted), datetimes moved to Vietnam time."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return None
    if isinstance(value, datetime):
        return value.astimezone(VIETNAM) if value.tzinfo else value
    return value if isinstance(value, date) else None


def _dd(day: int) -> str:
    return f"{day:02d}"


def _mm(month: int) -> str:
    """Months 1 and 2 take a leading zero in Vietnamese official dates (NĐ 30/2020)."""
    return f"{month:02d}" if month < 3 else str(month)


def vn_date(value: object) -> str:
    """``ngày 26 tháng 11 năm 2025``, or a dotted blank date."""
    d = _local(value)
    if d is None:
        return "ngày …… tháng …… năm ……"
    return f"ngày {_dd(d.day)} tháng {_mm(d.month)} năm {d.year}"


def vn_time(value: object) -> str:
    """``08 giờ 05 phút, ngày 26 tháng 11 năm 2025``, or a dotted blank time."""
    d = _local(value)
    if not isinstance(d, datetime):
        return f"…… giờ …… phút, {vn_date(d)}"
    return f"{d.hour:02d} giờ {d.minute:02d} phút, {vn_date(d)}"


def dmy(value: object) -> str:
    """``26/11/2025`` for table cells; an empty cell when missing."""
    d = _local(value)
    return d.strftime("%d/%m/%Y") if d else Markup("")


def num(value: object) -> object:
    """A number the Vietnamese way: ``10``, ``0,5``; other values unchanged."""
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else f"{value:g}".replace(".", ",")
    return value


def money(value: object) -> object:
    """A sum in đồng the Vietnamese way: ``12.500.000 đồng``; a dotted blank when missing."""
    if isinstance(value, bool) or not isinstance(value, int):
        return BLANK if _missing(value) else value
    return f"{value:,}".replace(",", ".") + " đồng"


def sentence(value: object) -> object:
    """An all-capitals name (``TRUNG TÂM PHỤC VỤ…``) in sentence case, for running text."""
    if isinstance(value, str) and value.isupper():
        return value[:1] + value[1:].lower()
    return value


def _label(table: dict[str, str]):
    def label(value: object) -> object:
        return Markup("") if _missing(value) else table.get(str(value), value)

    return label


def qr_svg(text: str) -> str:
    """An inline SVG QR code (error level M, 4-module quiet zone) encoding exactly ``text``."""
    qr = segno.make_qr(text, error="m", boost_error=False)
    return qr.svg_inline(omitsize=True, border=4, svgclass="qr", lineclass="qr-dark")


def _qr(text: object) -> Markup:
    """Template helper: the QR for a present code, nothing for a missing one."""
    if _missing(text):
        return Markup("")
    return Markup(qr_svg(str(text)))  # noqa: S704 -- segno's SVG holds only path data, no input text


_env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=True,
    undefined=ChainableUndefined,
    finalize=_finalize,
    trim_blocks=True,
    lstrip_blocks=True,
)
_env.filters.update(
    vn_date=vn_date,
    vn_time=vn_time,
    dmy=dmy,
    num=num,
    money=money,
    sentence=sentence,
    channel=_label(CHANNELS),
    verdict=_label(VERDICTS),
)
_env.globals.update(qr=_qr, BLANK=BLANK)


def render_html(form_id: str, context: dict) -> str:
    """The slip ``form_id`` (``"mau-01"`` … ``"mau-06"``) filled from ``context``, as HTML."""
    if form_id not in FORMS:
        raise UnknownForm(f"unknown form {form_id!r}; expected one of {', '.join(FORMS)}")
    values = {key: value for key, value in (context or {}).items() if key not in {"form_id", "title"}}
    return _env.get_template(f"{form_id}.html").render(values, form_id=form_id, title=FORMS[form_id])


def render_pdf(form_id: str, context: dict) -> bytes:
    """The slip ``form_id`` as an A4 PDF (WeasyPrint, fonts embedded)."""
    html = render_html(form_id, context)
    from weasyprint import HTML  # imported late: it is slow to load and needs Pango

    return HTML(string=html, base_url=str(TEMPLATES)).write_pdf()
