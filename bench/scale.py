"""Section "scale" of bench/bench.py: the reads of reports and lists over a province's history.

On a fresh PostgreSQL database of its own (migrated; bpmn/dossier.bpmn, the demo catalogue and
the demo users), bench/generate.py makes `dossiers` dossiers with their histories across `units`
org units and `years` years (timed: `scale_generate_s`, `scale_generate_s_per_100k`); then
`motcua serve --no-runner` answers, over real HTTP as the administrator (a bearer token), each
request of ENDPOINTS: a warm-up, then `requests` times, the median in ms (`scale_<name>_ms`, every
time in `scale_<name>_ms_all`, the first answer's size in `scale_<name>_rows`).

ENDPOINTS is the list of what is measured. A new report is one line: its name, its path under
/api/v1 (or from the root for a web page) and its query, where `{month}` is the data set's last
full month (YYYY-MM) and `{unit}` the code of its largest unit (DV0001), and how its answer is
read (`kind`):

- `json`: an API answer; its size is its `total`, else the length of its `rows` or `items`;
- `csv`: a download (the register's Mẫu 06 is streamed): timed to its last byte, read as it
  comes; its size is its lines after the header;
- `page`: a web page of /ui as the administrator sees it; its size is its table rows (`<tr`).

The dashboard (/ui/dashboard) is one page: it makes no API call of its own. Its figures and
its trend chart are worked out while the page is rendered (reports/indicators.py `compute` for
the period and `trend` over the periods before it, in ui/dashboard.py) and handed to the chart
script inline; chart.js and the page's script are static files. So timing the page times every
data call the dashboard makes; `dashboard_*` next to `indicators_*` shows what the trend adds.
"""

from __future__ import annotations

import contextlib
import csv
import json
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
GENERATE = Path(__file__).resolve().parent / "generate.py"
MOTCUA = Path(sys.executable).parent / "motcua"
FULL = dict(dossiers=1_000_000, units=200, years=2, requests=5, warmup=1)
QUICK = dict(dossiers=20_000, units=50, years=2, requests=3, warmup=1)


@dataclass(frozen=True)
class Endpoint:
    name: str
    path: str
    query: dict = field(default_factory=dict)
    kind: str = "json"  # json, csv or page (see the module)

    @property
    def url_path(self) -> str:
        return self.path if self.kind == "page" else "/api/v1" + self.path


ENDPOINTS = [
    Endpoint("dossiers_first_page", "/dossiers", {"per_page": 20}),
    Endpoint("dossiers_overdue", "/dossiers", {"overdue": "true", "per_page": 20}),
    Endpoint("dossiers_procedure", "/dossiers", {"procedure": "AG-LLTP-01", "per_page": 20}),
    Endpoint("late_list_month", "/reports/late-dossiers", {"month": "{month}", "refresh": "true"}),
    Endpoint("indicators_province_month", "/reports/indicators", {"period": "month:{month}"}),
    Endpoint("indicators_unit_month", "/reports/indicators", {"unit": "{unit}", "period": "month:{month}"}),
    Endpoint("register_month_csv", "/reports/register", {"period": "month:{month}", "format": "csv"}, "csv"),
    Endpoint("late_month", "/reports/late", {"period": "month:{month}", "refresh": "true"}),
    Endpoint("dashboard_province_month", "/ui/dashboard", {"period": "month:{month}"}, "page"),
    Endpoint("dashboard_unit_month", "/ui/dashboard", {"unit": "{unit}", "period": "month:{month}"}, "page"),
]


def _rows(answer) -> int:
    """How much an answer holds: a page's total, a report's rows, else its length."""
    if isinstance(answer, dict):
        for key in ("total", "rows", "items"):
            if key in answer:
                value = answer[key]
                return value if isinstance(value, int) else len(value)
    return len(answer) if isinstance(answer, list) else 1


class ScaleSite:
    """The data set on its database, then `motcua serve --no-runner` on it."""

    def __init__(self, database_url: str, workdir: Path, size: dict, env: dict):
        self.url, self.workdir, self.size, self.env = database_url, workdir, size, env
        workdir.mkdir(parents=True, exist_ok=True)

    def motcua(self, *args) -> str:
        done = subprocess.run(
            [str(MOTCUA), *map(str, args)], cwd=ROOT, env=self.env, capture_output=True, text=True
        )
        if done.returncode:
            raise RuntimeError(f"motcua {args[0]} failed: {done.stderr.strip()[-2000:]}")
        return done.stdout

    def fill(self, log) -> dict:
        self.motcua("db", "upgrade")
        self.motcua("deploy", ROOT / "bpmn" / "dossier.bpmn")
        self.motcua("procedures", "load", ROOT / "data" / "procedures.json")
        self.motcua("demo")
        size = self.size
        argv = [sys.executable, GENERATE, "--dossiers", size["dossiers"], "--units", size["units"]]
        argv += ["--years", size["years"], "--quiet"]
        log(f"(scale) generating {size['dossiers']} dossiers across {size['units']} units")
        began = time.perf_counter()
        done = subprocess.run(list(map(str, argv)), cwd=ROOT, env=self.env, capture_output=True, text=True)
        if done.returncode:
            raise RuntimeError(f"bench/generate.py failed: {done.stderr.strip()[-2000:]}")
        summary = json.loads(done.stdout.strip().splitlines()[-1])
        summary["wall_s"] = round(time.perf_counter() - began, 1)
        tokens = dict(
            line.split("\t") for line in (self.workdir / "demo-tokens.txt").read_text().splitlines()
        )
        self.token = tokens["admin"]
        return summary

    def serve(self, stack: contextlib.ExitStack, proc_class, free_port) -> None:
        port = free_port()
        self.root = f"http://127.0.0.1:{port}"
        argv = [MOTCUA, "serve", "--no-runner", "--host", "127.0.0.1", "--port", port]
        self.proc = proc_class(argv, self.env, self.workdir / "server.log", stack)
        self.http = stack.enter_context(requests.Session())
        self.http.trust_env = False
        self.http.headers["Authorization"] = f"Bearer {self.token}"
        deadline = time.monotonic() + 60
        while True:
            self.proc.check()
            with contextlib.suppress(requests.ConnectionError):
                if self.http.get(self.root + "/", timeout=2).ok:
                    return
            if time.monotonic() > deadline:
                raise RuntimeError("motcua serve did not answer within 60 s")
            time.sleep(0.1)

    def time(self, endpoint: Endpoint, values: dict) -> tuple[float, list[float], int]:
        """Median ms after the warm-up, every time, and the first answer's size."""
        query = {k: str(v).format(**values) for k, v in endpoint.query.items()}
        times, rows = [], None
        for i in range(self.size["warmup"] + self.size["requests"]):
            t0 = time.perf_counter()
            response = self.http.get(
                self.root + endpoint.url_path,
                params=query,
                timeout=600,
                stream=endpoint.kind == "csv",
                allow_redirects=False,
            )
            if response.status_code != 200:
                raise RuntimeError(
                    f"GET {endpoint.url_path} {query}: {response.status_code} {response.text[:300]}"
                )
            size = _size(endpoint, response)  # a streamed answer is read to its end here
            elapsed = time.perf_counter() - t0
            rows = size if rows is None else rows
            if i >= self.size["warmup"]:
                times.append(elapsed)
        ms = [round(t * 1000, 1) for t in times]
        return statistics.median(ms), ms, rows


def _size(endpoint: Endpoint, response) -> int:
    """How much an answer holds, read the way its kind is (see the module)."""
    if endpoint.kind == "csv":
        response.encoding = "utf-8-sig"
        lines = csv.reader(response.iter_lines(chunk_size=65536, decode_unicode=True))
        return max(sum(1 for _ in lines) - 1, 0)
    if endpoint.kind == "page":
        if 'data-testid="indicators"' not in response.text:
            raise RuntimeError(f"GET {endpoint.url_path}: not the dashboard: {response.text[:300]}")
        return response.text.count("<tr")
    return _rows(response.json())


def last_full_month(end: datetime) -> str:
    year, month = (end.year, end.month - 1) if end.month > 1 else (end.year - 1, 12)
    return f"{year:04d}-{month:02d}"


def bench_scale(site: ScaleSite, stack, result: dict, log, proc_class, free_port) -> None:
    """The section: fill, serve, measure every endpoint; adds the figures to result."""
    summary = site.fill(log)
    result.update(
        scale_dossiers=site.size["dossiers"],
        scale_units=site.size["units"],
        scale_years=site.size["years"],
        scale_generate_s=summary["wall_s"],
        scale_generate_s_per_100k=round(summary["wall_s"] / site.size["dossiers"] * 100_000, 1),
    )
    log(f"(scale) generated in {summary['wall_s']} s; measuring {len(ENDPOINTS)} endpoints")
    values = {"month": last_full_month(datetime.now(UTC)), "unit": "DV0001"}
    result["scale_month"] = values["month"]
    site.serve(stack, proc_class, free_port)
    for endpoint in ENDPOINTS:
        median, every, rows = site.time(endpoint, values)
        result[f"scale_{endpoint.name}_ms"] = median
        result[f"scale_{endpoint.name}_ms_all"] = every
        result[f"scale_{endpoint.name}_rows"] = rows
        log(f"(scale) {endpoint.name}: {median} ms ({rows} rows)")
    site.proc.check()


def print_scale(r: dict) -> None:
    print(
        f"\nscale: {r['scale_dossiers']} dossiers, {r['scale_units']} units, {r['scale_years']} years "
        f"(PostgreSQL); generated in {r['scale_generate_s']} s ({r['scale_generate_s_per_100k']} s per 100k)"
    )
    print(f"{'endpoint (month ' + r['scale_month'] + ')':<34} {'median ms':>10} {'rows':>9}")
    for endpoint in ENDPOINTS:
        key = f"scale_{endpoint.name}"
        print(f"{endpoint.name:<34} {r[key + '_ms']:>10} {r[key + '_rows']:>9}")
