"""Mẫu 06 "Sổ theo dõi hồ sơ": the register of the dossiers a unit received in a period.

One row per dossier received in [start, end) (its `received_at`, the Mẫu 01 moment), in the order
of reception, with what the paper register's columns hold (DOMAIN.md §3):

- `no`: the line in this register (1, 2, ... in the order of reception); `register_number` is the
  "Quyển số / Số thứ tự" given at registration and printed on Mẫu 01 (`dossiers.register_book`,
  `register_number`: the unit's year and the dossier's rank in it);
- `sets`: the number of sets received (`dossiers.sets`);
- `lead_agency`: the procedure's lead agency (chủ trì), by name;
- `received_at`, `appointed_at` (the appointment on Mẫu 01: the statutory due moment),
  `due_at` (the due moment now: later than the appointment after a pause or a re-appointment),
  `transferred_at` (the dossier moved to "Đang xử lý", status 4, from the audit trail),
  `returned_at`, `return_method` (the return step's `method`: counter, post, online);
- `notes`: the dossier's outcome when it ended otherwise than by a result (refused, withdrawn,
  stopped), and a moved due moment.

The rows are one query (the dossier, its procedure, its instance's few variables read in SQL and
the first status-4 moment as a correlated subquery), read `yield_per` rows at a time (a
server-side cursor on PostgreSQL): a register of a year is never held in memory.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from ..audit.models import AuditEvent
from ..dossiers.models import Dossier
from ..extensions import db
from ..identity.models import OrgUnit
from ..instances.models import ProcessInstance
from ..procedures.models import Procedure
from .exports import Column

BATCH = 500
PROCESSING = 4

COLUMNS = [
    Column("no", "STT", 6),
    Column("code", "Mã hồ sơ", 28),
    Column("procedure_name", "Tên thủ tục hành chính", 40),
    Column("sets", "Số lượng hồ sơ (bộ)", 10),
    Column("applicant_name", "Tên cá nhân, tổ chức", 26),
    Column("applicant_address", "Địa chỉ", 30),
    Column("applicant_phone", "Số điện thoại", 14),
    Column("lead_agency", "Cơ quan chủ trì giải quyết", 28),
    Column("received_at", "Ngày nhận hồ sơ", 17),
    Column("appointed_at", "Ngày hẹn trả kết quả", 17),
    Column("transferred_at", "Ngày chuyển hồ sơ", 17),
    Column("returned_at", "Ngày trả kết quả", 17),
    Column("return_method", "Hình thức trả", 12),
    Column("register_number", "Sổ tiếp nhận (quyển, số)", 14),
    Column("notes", "Ghi chú", 30),
]

RETURN_METHODS = {"counter": "Trực tiếp", "post": "Bưu chính", "online": "Trực tuyến"}
OUTCOME_NOTES = {
    "refused": "Từ chối giải quyết",
    "withdrawn": "Công dân rút hồ sơ",
    "stopped": "Dừng giải quyết",
}


def _variable(name: str):
    return ProcessInstance.variables[name].as_string()


def _transferred():
    """The first moment the dossier moved to status 4 (Đang xử lý), from the audit trail."""
    return (
        sa.select(sa.func.min(AuditEvent.at))
        .where(
            AuditEvent.instance_id == Dossier.instance_id,
            AuditEvent.type == "dossier_status_changed",
            AuditEvent.data["to"].as_integer() == PROCESSING,
        )
        .correlate(Dossier)
        .scalar_subquery()
    )


def where(start: datetime, end: datetime, unit_code: str | None) -> sa.ColumnElement[bool]:
    """The register's dossiers: received in [start, end), of the unit (its national code) if given."""
    conditions = [Dossier.received_at >= start, Dossier.received_at < end]
    if unit_code:
        conditions.append(Dossier.unit_code == unit_code)
    return sa.and_(*conditions)


def count(start: datetime, end: datetime, unit_code: str | None) -> int:
    return db.session.scalar(sa.select(sa.func.count(Dossier.id)).where(where(start, end, unit_code))) or 0


def rows(
    start: datetime, end: datetime, unit_code: str | None, *, offset: int = 0, limit: int | None = None
) -> Iterator[dict]:
    """The register's rows in order (from `offset`, at most `limit`), streamed."""
    lead = aliased(OrgUnit)
    query = (
        sa.select(
            Dossier.code,
            Dossier.applicant,
            Dossier.received_at,
            Dossier.original_due_at,
            Dossier.due_at,
            Dossier.returned_at,
            Dossier.outcome,
            Dossier.unit_code,
            Procedure.code.label("procedure_code"),
            Procedure.name.label("procedure_name"),
            sa.func.coalesce(lead.name, Procedure.unit_code).label("lead_agency"),
            Dossier.sets,
            Dossier.register_book,
            Dossier.register_number,
            Dossier.appointed_at.label("reappointed_at"),
            _variable("method").label("return_method"),
            Dossier.tracking_number,
            _transferred().label("transferred_at"),
        )
        .join(Procedure, Procedure.id == Dossier.procedure_id)
        .join(ProcessInstance, ProcessInstance.id == Dossier.instance_id)
        .outerjoin(lead, lead.code == Procedure.unit_code)
        .where(where(start, end, unit_code))
        .order_by(Dossier.received_at, Dossier.code)
        .offset(offset)
        .limit(limit)
        .execution_options(yield_per=BATCH)
    )
    for number, row in enumerate(db.session.execute(query), start=offset + 1):
        yield _row(number, row)


def _row(number: int, row) -> dict:
    applicant = row.applicant or {}
    appointed = row.original_due_at or row.due_at
    notes = []
    if row.outcome in OUTCOME_NOTES:
        notes.append(OUTCOME_NOTES[row.outcome])
    if appointed is not None and row.due_at is not None and row.due_at != appointed:
        notes.append("Hạn trả đã dời")
    if row.reappointed_at is not None:
        notes.append("Đã xin lỗi, hẹn lại")
    book = (row.register_book or "").strip()
    line = str(row.register_number) if row.register_number is not None else ""
    return {
        "no": number,
        "code": row.code,
        "procedure_code": row.procedure_code,
        "procedure_name": row.procedure_name,
        "sets": _sets(row.sets),
        "applicant_name": applicant.get("name"),
        "applicant_address": applicant.get("address"),
        "applicant_phone": applicant.get("phone"),
        "unit_code": row.unit_code,
        "lead_agency": row.lead_agency,
        "received_at": row.received_at,
        "appointed_at": appointed,
        "due_at": row.due_at,
        "transferred_at": row.transferred_at,
        "returned_at": row.returned_at,
        "return_method": row.return_method,
        "return_method_label": _method_label(row.return_method, row.tracking_number),
        "tracking_number": row.tracking_number,
        "register_number": "/".join(part for part in (book, line) if part) or None,
        "notes": "; ".join(notes) or None,
    }


def _method_label(method: str | None, tracking_number: str | None) -> str | None:
    """How the result was returned, in words; by post with the item's tracking number."""
    label = RETURN_METHODS.get(method or "")
    if label and method == "post" and tracking_number:
        return f"{label} (số hiệu bưu gửi {tracking_number})"
    return label


def _sets(value) -> int:
    try:
        return max(int(value), 1) if value is not None else 1
    except (TypeError, ValueError):
        return 1


def table_rows(start: datetime, end: datetime, unit_code: str | None) -> Iterator[dict]:
    """The rows as the CSV/XLSX print them (the return method in words)."""
    for row in rows(start, end, unit_code):
        yield {**row, "return_method": row["return_method_label"] or row["return_method"]}
