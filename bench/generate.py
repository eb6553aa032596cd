"""Generate dossiers with their histories for the scale benchmarks, on PostgreSQL (COPY in batches).

    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/DB \\
        .venv/bin/python bench/generate.py --dossiers 1000000 --units 200 --years 2 --seed 766

The database must be migrated (`motcua db upgrade`), with bpmn/dossier.bpmn deployed, the demo
catalogue loaded (`motcua procedures load data/procedures.json`) and the demo users (`motcua
demo`). The generator adds `--units` org units (one-stop sections receiving dossiers, each with
its national code; the org units have no hierarchy to give them sub-units) and `--dossiers`
dossiers submitted over the `--years` before `--end` (default: now at the first run), spread over
the working days, each unit receiving a share that falls with its rank (a few large ones, many
small). Each dossier's story is service/demo/mix.py's plan (the demo's mix: channels, reception
decisions, supplements, consultations, proposals, withdrawals, paces), played along the dossier
process's paths by bench/histories.py with the service's own calendar and due-date rules: the
same rows, columns and meanings as the real pipeline writes (dossiers, Mẫu 05 steps, pauses,
instances; tasks and their candidate groups only for the dossiers still open at the end; the
code sequences). Not written: the audit trail and the outbox events of each step, message waits.

Instances: a finished dossier's instance is `completed`, an open one's `running` (with its open
tasks), both with a placeholder instead of the engine state. Only commands read that state, and a
command needs a running instance: nothing reads it for a finished one; an open generated dossier
is for reading (lists, reports, pages): completing its task or withdrawing it fails. No timer is
armed (next_timer_at is empty), so the workers never load one.

Resumable: each batch of `--batch` dossiers is one transaction, recorded in `bench_generation`
(a table of the generator's own, beside `bench_generation_params`, the parameters of the data set).
Stopped and started again with the same parameters, it goes on with the first batch not recorded;
other parameters on the same database are refused. Prints one JSON line at the end.
"""

from __future__ import annotations

import argparse
import bisect
import json
import random
import sys
import time as clock
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import click
import sqlalchemy as sa
from flask import current_app
from histories import Catalogue, Player
from sqlalchemy.dialects import postgresql, sqlite

from service import create_app
from service.calendar.operations import calendar
from service.definitions import operations as definitions
from service.demo import mix
from service.demo.history import AGENCY, COORDINATOR, OFFICERS, RECEPTION
from service.dossiers.models import Dossier, DossierPause, DossierStep
from service.engine.effects import properties
from service.extensions import db
from service.identity.models import OrgUnit, User
from service.instances.models import ProcessInstance
from service.procedures.models import Procedure
from service.runtime import compiled
from service.tasks.models import Task, task_candidates

# The generator's own bookkeeping (not the service's schema: no migration; created if missing).
BOOKKEEPING = sa.MetaData()
PARAMS = sa.Table(
    "bench_generation_params",
    BOOKKEEPING,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("params", sa.JSON, nullable=False),
)
BATCHES = sa.Table(
    "bench_generation",
    BOOKKEEPING,
    sa.Column("batch", sa.Integer, primary_key=True),
    sa.Column("dossiers", sa.Integer, nullable=False),
    sa.Column("generated_at", sa.DateTime(timezone=True), nullable=False),
)
# The tables a batch writes, in the order of their foreign keys.
TABLES = (
    ("instance", ProcessInstance.__table__),
    ("dossier", Dossier.__table__),
    ("steps", DossierStep.__table__),
    ("pauses", DossierPause.__table__),
    ("tasks", Task.__table__),
    ("candidates", task_candidates),
)
RANK_EXPONENT = 0.8  # a unit's share of the dossiers: 1 / rank ** this


def units(count: int) -> list[tuple[str, str, str]]:
    """(code, name, national code) of the generated units: a tenth provincial agencies, the rest
    communes."""
    out = []
    for k in range(1, count + 1):
        agency = k <= max(1, count // 10)
        name = f"Sở, ngành số {k} (đơn vị mẫu)" if agency else f"UBND xã số {k} (đơn vị mẫu)"
        out.append((f"DV{k:04d}", name, f"000.{k // 100:02d}.{k % 100:02d}.H99"))
    return out


def catalogue() -> Catalogue:
    definition = definitions.get("dossier")
    spec = compiled(definition.id)
    templates = {}
    for process in (spec.spec, *spec.subprocess_specs.values()):
        for task_spec in process.task_specs.values():
            props = properties(task_spec)
            if not props.get("formKey"):
                continue
            groups = props.get("candidateGroups")
            templates[task_spec.bpmn_id] = {
                "name": task_spec.bpmn_name or task_spec.bpmn_id,
                "lane": task_spec.lane,
                "candidate_groups": [g.strip() for g in groups.split(",")] if groups else [task_spec.lane],
                "form_key": props.get("formKey"),
                "documentation": getattr(task_spec, "documentation", None),
                "properties": props,
            }
    users = dict(db.session.execute(sa.select(User.username, User.id)).all())
    procedures = {
        p.code: (p.id, p.unit_code, p.processing_days, p.step_allotments, _components(p))
        for p in db.session.scalars(sa.select(Procedure))
    }
    missing = sorted(set(mix.PROCEDURE_WEIGHTS) - set(procedures))
    if missing or RECEPTION not in users:
        raise SystemExit(f"load the catalogue and the demo users first (missing: {missing or RECEPTION})")
    return Catalogue(
        definition_id=definition.id,
        procedures=procedures,
        templates=templates,
        unit_names=dict(db.session.execute(sa.select(OrgUnit.code, OrgUnit.name)).all()),
        officers={
            unit: {role: (name, users.get(name)) for role, name in roles.items()}
            for unit, roles in OFFICERS.items()
        },
        agency=AGENCY,
        coordinator=COORDINATOR,
        clerk_id=users[RECEPTION],
        max_days=float(current_app.config["MOTCUA_MAX_ALLOTMENT_DAYS"]),
    )


def _components(procedure) -> list[dict]:
    return [
        {k: c[k] for k in ("name", "form", "quantity") if k in c}
        for c in procedure.components or []
        if c.get("required", True)
    ]


class Arrivals:
    """Dossier number i: its unit (by rank), its procedure (the demo's weights) and its submission
    moment, in the order of i, spread over the working days (office hours) before `end`."""

    def __init__(self, cal, seed: int, total: int, made: list, end: datetime, years: int):
        self.cal, self.seed, self.total, self.units = cal, seed, total, made
        weights = [1 / (rank + 1) ** RANK_EXPONENT for rank in range(len(made))]
        self.cumulative = [sum(weights[: k + 1]) for k in range(len(weights))]
        last = cal.local(end).date()
        day, self.days = last - timedelta(days=round(365.25 * years)), []
        while day < last:
            if cal.is_working_day(day):
                self.days.append(day)
            day += timedelta(days=1)
        self.procedures = list(mix.PROCEDURE_WEIGHTS)
        self.procedure_weights = list(mix.PROCEDURE_WEIGHTS.values())

    def __call__(self, index: int):
        rng = random.Random(f"arrival:{self.seed}:{index}")
        position = (index + rng.random()) / self.total * len(self.days)
        day = self.days[min(int(position), len(self.days) - 1)]
        opening = datetime.combine(day, self.cal.periods[0][0], tzinfo=self.cal.tz)
        moment = self.cal.add_working_days(opening, (position % 1) * 0.98)
        unit = self.units[bisect.bisect(self.cumulative, rng.random() * self.cumulative[-1])]
        procedure = rng.choices(self.procedures, weights=self.procedure_weights)[0]
        return unit[0], unit[2], moment.astimezone(UTC), procedure


def write_batch(conn, batch: int, rows: list, touched: dict) -> None:
    """One batch in one transaction (`conn`: a SQLAlchemy connection in a transaction): every
    table by COPY on PostgreSQL (executemany elsewhere), the code sequences, the batch's record."""
    for kind, table in TABLES:
        records = [r for rs in rows for r in _records(rs, kind)]
        if records and conn.dialect.name == "postgresql":
            _copy(conn.connection.driver_connection, table, records)
        elif records:
            conn.execute(sa.insert(table), records)
    if touched:
        sequences = Dossier.metadata.tables["dossier_code_sequences"]
        insert = (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(sequences)
        conn.execute(
            insert.on_conflict_do_update(
                index_elements=[sequences.c.unit_code, sequences.c.day],
                set_={"last": sa.func.greatest(sequences.c.last, insert.excluded.last)}
                if conn.dialect.name == "postgresql"
                else {"last": sa.func.max(sequences.c.last, insert.excluded.last)},
            ),
            [{"unit_code": unit, "day": day, "last": last} for (unit, day), last in touched.items()],
        )
    conn.execute(
        sa.insert(BATCHES), [{"batch": batch, "dossiers": len(rows), "generated_at": datetime.now(UTC)}]
    )


def _copy(raw, table, records: list[dict]) -> None:
    columns = list(records[0])
    json_columns = {c.name for c in table.columns if isinstance(c.type, sa.JSON)}
    with raw.cursor() as cur, cur.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
        for record in records:
            copy.write_row(
                [
                    json.dumps(record[c], ensure_ascii=False)
                    if c in json_columns and record[c] is not None
                    else record[c]
                    for c in columns
                ]
            )


def _records(rows, kind: str) -> list[dict]:
    value = {"instance": rows.instance, "dossier": rows.dossier}.get(kind)
    if value is not None:
        return [value]
    return getattr(rows, kind)


def parse(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dossiers", type=int, default=1_000_000)
    parser.add_argument("--units", type=int, default=200)
    parser.add_argument("--years", type=int, default=2)
    parser.add_argument("--seed", type=int, default=766)
    parser.add_argument("--batch", type=int, default=10_000, help="dossiers per transaction")
    parser.add_argument("--end", type=date.fromisoformat, help="the data set's last day (default: now)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    return parser.parse_args(argv)


def generate(opts) -> dict:
    """Make (or go on making) the data set of `opts` in the app's database (in an app context)."""
    began = clock.perf_counter()
    BOOKKEEPING.create_all(db.engine, checkfirst=True)
    params = _params(opts)
    made = _units(opts.units)
    cal, cat = calendar(), catalogue()
    with db.engine.connect() as conn:
        done = set(conn.scalars(sa.select(BATCHES.c.batch)))
        sequences = Dossier.metadata.tables["dossier_code_sequences"]
        codes = {(u, d): last for u, d, last in conn.execute(sa.select(sequences))}
    end = datetime.fromisoformat(params["end"])
    player = Player(
        cat, cal, opts.seed, end, Arrivals(cal, opts.seed, opts.dossiers, made, end, opts.years), codes
    )
    batches = range((opts.dossiers + opts.batch - 1) // opts.batch)
    already = sum(min(opts.batch, opts.dossiers - b * opts.batch) for b in done if b in batches)
    generated = 0
    with click.progressbar(length=opts.dossiers, label="dossiers", hidden=opts.quiet) as bar:
        bar.update(already)
        for batch in batches:
            if batch in done:
                continue
            first, last = batch * opts.batch, min(opts.dossiers, (batch + 1) * opts.batch)
            before = dict(player.codes)
            rows = [player.play(i) for i in range(first, last)]
            touched = {k: v for k, v in player.codes.items() if before.get(k) != v}
            with db.engine.begin() as conn:
                write_batch(conn, batch, rows, touched)
            generated += len(rows)
            bar.update(len(rows))
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("ANALYZE"))
    elapsed = clock.perf_counter() - began
    return {
        "dossiers": opts.dossiers,
        "generated_now": generated,
        "resumed_after": already,
        "seconds": round(elapsed, 1),
        "seconds_per_100k": round(elapsed / generated * 100_000, 1) if generated else None,
    }


def main() -> int:
    opts = parse()
    with create_app().app_context():
        print(json.dumps(generate(opts)))
    return 0


def _params(opts) -> dict:
    """The data set's parameters: stored at the first run, the same ones required after."""
    wanted = {
        "dossiers": opts.dossiers,
        "units": opts.units,
        "years": opts.years,
        "seed": opts.seed,
        "batch": opts.batch,
    }
    with db.engine.begin() as conn:
        stored = conn.scalar(sa.select(PARAMS.c.params).where(PARAMS.c.id == 1))
        if stored is None:
            tz = ZoneInfo(current_app.config["MOTCUA_TIMEZONE"])
            end = datetime.combine(opts.end, time(17), tzinfo=tz) if opts.end else datetime.now(UTC)
            stored = {**wanted, "end": end.isoformat()}
            conn.execute(sa.insert(PARAMS), [{"id": 1, "params": stored}])
            return stored
    same_end = not opts.end or stored["end"].startswith(opts.end.isoformat())
    if {k: stored.get(k) for k in wanted} != wanted or not same_end:
        raise SystemExit(f"this database holds a data set made with {stored}: the same parameters, please")
    return stored


def _units(count: int) -> list[tuple[str, str, str]]:
    """Create (or keep) the generated org units."""
    from service.identity.operations import get_or_create_unit
    from service.uow import unit_of_work

    made = units(count)
    with unit_of_work():
        for code, name, national in made:
            unit = get_or_create_unit(code, name)
            unit.name, unit.national_code = name, national
    return made


if __name__ == "__main__":
    sys.exit(main())
