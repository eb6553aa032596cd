"""The procedure catalogue: create, update, look up, load from JSON or CSV."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import marshmallow as ma
import sqlalchemy as sa
from flask import current_app

from ..definitions.models import ProcessDefinition
from ..errors import Conflict, NotFound, ServiceError, Unprocessable
from ..extensions import db
from ..models_base import page_of, utcnow
from ..parsing import strict_loads
from . import allotments
from .models import Procedure
from .schemas import ProcedureSchema

FIELDS = (
    "name",
    "field",
    "level",
    "unit_code",
    "processing_days",
    "components",
    "fee",
    "legal_basis",
    "fee_amount",
    "step_allotments",
    "process_key",
    "day_kind",
    "active",
    "full_online",
)
CURRENT = Procedure.valid_to.is_(None)


def get(code: str, *, active_only: bool = False) -> Procedure:
    """The current version of a procedure (404 if none, or withdrawn when `active_only`)."""
    procedure = db.session.scalar(sa.select(Procedure).where(Procedure.code == code, CURRENT))
    if procedure is None or (active_only and not procedure.active):
        raise NotFound(f"There is no {'active ' if active_only else ''}procedure {code!r} in the catalogue.")
    return procedure


def get_with_process(code: str) -> tuple[Procedure, ProcessDefinition]:
    """The current version of an active procedure and the latest version of its process, in one
    statement (a reception needs both); 404 as get(active_only=True) and definitions.get say."""
    latest = (
        sa.select(ProcessDefinition.id)
        .where(ProcessDefinition.key == Procedure.process_key)
        .order_by(ProcessDefinition.version.desc())
        .limit(1)
        .correlate(Procedure)
        .scalar_subquery()
    )
    row = db.session.execute(
        sa.select(Procedure, ProcessDefinition)
        .outerjoin(ProcessDefinition, ProcessDefinition.id == latest)
        .where(Procedure.code == code, CURRENT)
    ).first()
    if row is None or not row[0].active:
        raise NotFound(f"There is no active procedure {code!r} in the catalogue.")
    if row[1] is None:
        raise NotFound(f"There is no process definition {row[0].process_key!r}.")
    return row[0], row[1]


def versions(code: str) -> list[Procedure]:
    """Every version of a procedure, newest first (404 if the code was never in the catalogue)."""
    rows = list(
        db.session.scalars(
            sa.select(Procedure).where(Procedure.code == code).order_by(Procedure.version.desc())
        )
    )
    if not rows:
        raise NotFound(f"There is no procedure {code!r} in the catalogue.")
    return rows


def version_ids(code: str) -> sa.Select:
    """The ids of every version of a code: what a dossier of that procedure may point at."""
    return sa.select(Procedure.id).where(Procedure.code == code)


def create(data: dict, *, check: bool = True, source: str = "catalogue", now=None) -> Procedure:
    """The first version of a procedure (409 if the code has a current version)."""
    if db.session.scalar(sa.select(Procedure.id).where(Procedure.code == data["code"], CURRENT)) is not None:
        raise Conflict(f"Procedure {data['code']!r} is already in the catalogue.")
    if check:
        allotments.check([_stored(None, data)])
    now = now or utcnow()
    procedure = Procedure(
        code=data["code"],
        version=1,
        valid_from=now,
        source=source,
        updated_at=now,
        **{k: _value(k, data[k]) for k in FIELDS if k in data},
    )
    db.session.add(procedure)
    db.session.flush()
    return procedure


def update(
    procedure: Procedure, data: dict, *, check: bool = True, source: str = "catalogue", now=None
) -> Procedure:
    """A new version of `procedure` (its current version) with `data` over it; the current one is
    closed and kept for the dossiers received under it. Nothing changes: the same version back."""
    changed = {
        k: _value(k, data[k]) for k in FIELDS if k in data and not same(k, getattr(procedure, k), data[k])
    }
    if not changed:
        return procedure
    if check and any(key in changed for key in ("processing_days", "step_allotments", "process_key")):
        allotments.check([_stored(procedure, data)])
    now = now or utcnow()
    procedure.valid_to = now
    db.session.flush()  # the one current version per code (a partial unique index)
    following = Procedure(
        code=procedure.code,
        version=procedure.version + 1,
        valid_from=now,
        source=source,
        updated_at=now,
        **{k: changed.get(k, getattr(procedure, k)) for k in FIELDS},
    )
    db.session.add(following)
    db.session.flush()
    return following


def same(field: str, before, after) -> bool:
    """Whether a field's stored value and a new one are the same (numbers as numbers)."""
    if field == "processing_days":
        return before is not None and after is not None and Decimal(str(before)) == Decimal(str(after))
    if field == "step_allotments":
        return {k: float(v) for k, v in (before or {}).items()} == {
            k: float(v) for k, v in (after or {}).items()
        }
    if field in ("components", "legal_basis"):
        return (before or []) == (after or [])
    return before == after


def _value(field: str, value):
    return Decimal(str(value)) if field == "processing_days" and value is not None else value


def _stored(procedure: Procedure | None, data: dict) -> dict:
    """The fields the allotment check reads, as they would be stored (data over the current row)."""
    current = {
        "code": procedure.code if procedure is not None else data["code"],
        "processing_days": procedure.processing_days if procedure is not None else None,
        "step_allotments": procedure.step_allotments if procedure is not None else {},
        "process_key": procedure.process_key if procedure is not None else "dossier",
    }
    return {
        **current,
        **{k: data[k] for k in ("processing_days", "step_allotments", "process_key") if k in data},
    }


def upsert(data: dict, *, check: bool = True, source: str = "catalogue") -> tuple[Procedure, bool]:
    existing = db.session.scalar(sa.select(Procedure).where(Procedure.code == data["code"], CURRENT))
    if existing is None:
        return create(data, check=check, source=source), True
    return update(existing, data, check=check, source=source), False


def search(*, q=None, field=None, level=None, unit_code=None, active=None, page=1, per_page=50):
    conditions = [CURRENT]
    if q:
        like = f"%{q.lower()}%"
        conditions.append(
            sa.or_(sa.func.lower(Procedure.name).like(like), sa.func.lower(Procedure.code).like(like))
        )
    for column, value in (
        (Procedure.field, field),
        (Procedure.level, level),
        (Procedure.unit_code, unit_code),
    ):
        if value:
            conditions.append(column == value)
    if active is not None:
        conditions.append(Procedure.active.is_(active))
    return page_of(Procedure, sa.and_(sa.true(), *conditions), (Procedure.code,), page, per_page)


def _json(text: str):
    """JSON in a catalogue file, read as strictly as a request body (ValueError if not)."""
    return strict_loads(text, max_depth=current_app.config["MOTCUA_JSON_MAX_DEPTH"])


def _records_from_csv(text: str) -> list[dict]:
    """CSV columns: code,name,field,level,unit_code,processing_days,fee,components,step_allotments
    (and optionally process_key, day_kind, full_online: true/false, fee_amount: a whole number of
    đồng).

    components: names separated by ';' (form "Bản chính", quantity 1), or a JSON list;
    step_allotments: a JSON object, or element=days pairs separated by ';'.
    """
    records = []
    for row in csv.DictReader(io.StringIO(text)):
        record = {k: v for k, v in row.items() if k and v not in (None, "")}
        comps = record.get("components", "")
        if comps.strip().startswith("["):
            record["components"] = _json(comps)
        else:
            record["components"] = [{"name": name.strip()} for name in comps.split(";") if name.strip()]
        steps = record.get("step_allotments", "")
        if steps.strip().startswith("{"):
            record["step_allotments"] = _json(steps)
        else:
            pairs = (pair.split("=", 1) for pair in steps.split(";") if "=" in pair)
            record["step_allotments"] = {k.strip(): float(v) for k, v in pairs}
        if record.get("fee_amount", "").strip().isdigit():
            record["fee_amount"] = int(record["fee_amount"])  # else the schema names the field
        records.append(record)
    return records


def load(text: str, *, fmt: str) -> tuple[int, int]:
    """Load a catalogue file (json: a list of procedures, or csv); returns (created, updated).

    A new code becomes its first version; a known code whose record differs becomes its next
    version (the previous kept for the dossiers received under it); an unchanged one stays as is.

    Every record is validated first; one bad record refuses the whole file with its line. Then
    the step allotments of every record are checked against its process (allotments.check): the
    whole file is refused, every offending procedure listed, nothing written.
    """
    try:
        records = _json(text) if fmt == "json" else _records_from_csv(text)
    except (ValueError, csv.Error) as exc:
        raise Unprocessable(f"The {fmt.upper()} catalogue cannot be read: {exc}") from None
    if not isinstance(records, list):
        raise Unprocessable("A JSON catalogue must be a list of procedures.")
    schema = ProcedureSchema()
    valid = []
    for number, record in enumerate(records, start=1):
        try:
            valid.append(schema.load(record))
        except ma.ValidationError as exc:
            code = record.get("code") if isinstance(record, dict) else None
            named = f" ({code})" if isinstance(code, str) and code else ""
            raise Unprocessable(
                f"Record {number}{named} of the catalogue is not valid.",
                details={"record": number, "code": code, "fields": exc.messages},
            ) from None
    allotments.check(valid)  # every offending procedure listed, nothing written
    created = updated = 0
    for data in valid:
        data["processing_days"] = Decimal(str(data["processing_days"]))
        _, was_created = upsert(data, check=False)
        created, updated = created + was_created, updated + (not was_created)
    return created, updated


MAX_CATALOGUE_BYTES = 2 * 1024 * 1024  # an uploaded catalogue file (thousands of procedures)
CATALOGUE_FORMATS = {".json": "json", ".csv": "csv"}


class CatalogueTooLarge(ServiceError):
    status, code = 413, "payload_too_large"


def load_upload(data: bytes, filename: str) -> tuple[int, int]:
    """load() for an uploaded file: the format from its name (.json or .csv), UTF-8 (a BOM is
    allowed, as spreadsheets write it), at most MAX_CATALOGUE_BYTES; returns (created, updated)."""
    suffix = "." + filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    fmt = CATALOGUE_FORMATS.get(suffix)
    if fmt is None:
        raise Unprocessable(
            "The catalogue must be a .json or a .csv file.",
            code="validation_failed",
            details={"fields": {"file": ["Choose a .json or a .csv file."]}, "filename": filename},
        )
    if len(data) > MAX_CATALOGUE_BYTES:
        raise CatalogueTooLarge(
            f"The catalogue file is larger than {MAX_CATALOGUE_BYTES // (1024 * 1024)} MB.",
            details={"limit": MAX_CATALOGUE_BYTES},
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise Unprocessable(
            f"The catalogue file is not UTF-8 text (byte {exc.start}).",
            code="validation_failed",
            details={"fields": {"file": ["The file must be UTF-8 text."]}},
        ) from None
    if "\x00" in text:
        raise Unprocessable("The catalogue file contains NUL characters.", code="validation_failed")
    return load(text, fmt=fmt)
