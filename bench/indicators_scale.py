"""How fast the province's QĐ 766 indicators of a month answer on PostgreSQL over many dossiers.

    .venv/bin/python bench/indicators_scale.py [--dossiers 1000000] [--keep]

Makes a database of its own on MOTCUA_BENCH_POSTGRES_URL's server (default the tests' server),
migrated like the service's, and fills it in SQL (generate_series, a few minutes for a million):
200 units under one province, 20 procedures (half offered fully online), and `--dossiers`
dossiers received over two years (2025-2026), each with its process instance row; a third finished
late, the rest early, but for a third of those received from mid-October 2026 on, still open; a
tenth with a supplement pause (a tenth of those still open).
This is a load for the aggregate queries only: no engine state, no steps of Mẫu 05, no history
(the generator with histories the issue asks for is separate). Then ANALYZE, and times
`reports.indicators.compute` for the province and for one unit, month:2026-11 (best of 3, after a
warm-up), printed as JSON. The database is dropped at the end unless --keep.
"""

from __future__ import annotations

import argparse
import json
import os
import time
import uuid

import sqlalchemy as sa

URL = os.environ.get(
    "MOTCUA_BENCH_POSTGRES_URL",
    os.environ.get("MOTCUA_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"),
)

FILL = """
INSERT INTO org_units (code, name, national_code, parent_code) VALUES ('TINH', 'Tỉnh', '000.00.00.H99', NULL);
INSERT INTO org_units (code, name, national_code, parent_code)
  SELECT 'U' || lpad(i::text, 3, '0'), 'Đơn vị ' || i, '000.' || lpad(i::text, 3, '0') || '.17.H01', 'TINH'
  FROM generate_series(1, 200) AS i;
INSERT INTO procedures (code, name, unit_code, processing_days, components, step_allotments, process_key,
                        active, full_online, updated_at)
  SELECT 'P' || lpad(i::text, 2, '0'), 'Thủ tục ' || i, 'U' || lpad((i * 10)::text, 3, '0'), 10,
         '[]', '{}', 'dossier', true, i % 2 = 0, now()
  FROM generate_series(1, 20) AS i;
INSERT INTO process_definitions (key, version, name, checksum, bpmn, spec_blob, deployed_at)
  VALUES ('dossier', 1, 'bench', 'bench', '', '', now());
INSERT INTO process_instances (id, definition_id, state, version, engine_state, variables,
                               created_at, updated_at)
  SELECT md5('i' || i)::uuid, (SELECT id FROM process_definitions LIMIT 1), 'running', 1, '', '{}',
         now(), now()
  FROM generate_series(1, :n) AS i;
INSERT INTO dossiers (id, code, unit_code, procedure_id, instance_id, applicant, channel, components, status,
                      submitted_at, received_at, clock_started_at, due_at, original_due_at, paused_days,
                      supplement_requests, finished_at, verdict, outcome, digitised_at, e_result, fee_payment,
                      worked_days, updated_at)
  SELECT md5('d' || i)::uuid, 'B-' || i, '000.' || lpad((1 + i % 200)::text, 3, '0') || '.17.H01',
         (SELECT min(id) FROM procedures) + i % 20, md5('i' || i)::uuid, '{"name": "x"}',
         CASE WHEN i % 3 = 0 THEN 'online' ELSE 'counter' END, '[]',
         CASE WHEN o THEN 4 ELSE 10 END,
         r, r, r, r + interval '14 days', r + interval '14 days', 0, (i % 10 = 0)::int,
         CASE WHEN o THEN NULL WHEN i % 3 = 1 THEN r + interval '20 days' ELSE r + interval '5 days' END,
         CASE WHEN o THEN NULL WHEN i % 3 = 1 THEN 'late' ELSE 'early' END,
         CASE WHEN NOT o THEN 'approved' END,
         r, i % 4 <> 0, CASE WHEN NOT o THEN 'online' END,
         CASE WHEN NOT o THEN 5 END, now()
  FROM (SELECT i, r, i % 3 = 2 AND r >= timestamptz '2026-10-15 00:00+07' AS o
        FROM (SELECT i, timestamptz '2025-01-01 08:00+07' + (i::float / :n) * interval '730 days' AS r
              FROM generate_series(1, :n) AS i) AS t) AS g;
UPDATE dossiers SET returned_at = finished_at + interval '1 day' WHERE finished_at IS NOT NULL;
INSERT INTO dossier_pauses (dossier_id, kind, started_at, ended_at, working_days, due_after)
  SELECT id, 'supplement', received_at + interval '2 days',
         CASE WHEN code::text LIKE '%5' THEN NULL ELSE received_at + interval '4 days' END,
         2, CASE WHEN code::text LIKE '%5' THEN NULL ELSE original_due_at + interval '2 days' END
  FROM dossiers WHERE supplement_requests = 1;
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dossiers", type=int, default=1_000_000)
    parser.add_argument("--keep", action="store_true", help="keep the database")
    args = parser.parse_args()
    admin = sa.create_engine(URL, isolation_level="AUTOCOMMIT")
    name = f"motcua_bench_indicators_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.engine.make_url(URL).set(database=name).render_as_string(hide_password=False)
    try:
        print(json.dumps(run(url, args.dossiers)), flush=True)
        if args.keep:
            print(f"kept: {url}")
    finally:
        if not args.keep:
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def run(url: str, count: int) -> dict:
    from flask_migrate import upgrade

    from service import create_app
    from service.calendar import periods
    from service.reports import indicators

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
    figures: dict = {"dossiers": count}
    with app.app_context():
        from service.extensions import db

        upgrade()
        started = time.perf_counter()
        with db.engine.begin() as conn:
            for statement in filter(str.strip, FILL.split(";\n")):
                conn.execute(sa.text(statement), {"n": count} if ":n" in statement else {})
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("ANALYZE"))
        figures["fill_s"] = round(time.perf_counter() - started, 1)
        month = periods.parse("month:2026-11", periods.ZoneInfo("Asia/Ho_Chi_Minh"))
        for label, unit in (("province", None), ("unit", "U010")):
            indicators.compute(month, unit=unit)  # warm-up
            times = []
            for _ in range(3):
                started = time.perf_counter()
                report = indicators.compute(month, unit=unit)
                times.append(time.perf_counter() - started)
                db.session.rollback()
            figures[f"{label}_month_ms"] = round(min(times) * 1000)
            figures[f"{label}_counted"] = report["counts"]["counted"]
    return figures


if __name__ == "__main__":
    main()
