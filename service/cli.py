"""The `motcua` command: administration of a Motcua installation.

motcua db upgrade                      apply migrations
motcua users create NAME --password P [--group G ...] [--unit U] [--admin]
motcua tokens create --user NAME [--scope S ...]  prints only the token
motcua deploy bpmn/                    deploy every .bpmn file of a folder
motcua demo                            demo users (and their tokens in instance/demo-tokens.txt)
motcua serve                           serve the API with waitress
"""

from __future__ import annotations

import contextlib
import logging
import secrets
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext

from . import heap
from .errors import ServiceError
from .extensions import db
from .uow import unit_of_work


def _app():
    from . import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_app, add_default_commands=False, add_version_option=False)
def main():
    """Motcua administration."""


def _fail(exc: Exception) -> None:
    message = getattr(exc, "message", None) or str(exc)
    raise click.ClickException(message)


@main.group()
def users():
    """Manage users."""


@users.command("create")
@click.argument("name")
@click.option("--password", required=True, help="At least 8 characters.")
@click.option("--group", "groups", multiple=True, help="A group (BPMN lane / candidate group); repeatable.")
@click.option("--unit", help="Org unit code.")
@click.option("--admin", is_flag=True, help="Make the user an administrator.")
@click.option("--display-name", help="Full name.")
@with_appcontext
def create_user(name, password, groups, unit, admin, display_name):
    """Create a user NAME."""
    from .identity.operations import create_user as create

    try:
        with unit_of_work():
            create(name, password, groups=groups, unit=unit, admin=admin, display_name=display_name)
    except ServiceError as exc:
        _fail(exc)
    click.echo(f"created user {name}", err=True)


@main.group()
def tokens():
    """Manage API tokens."""


@tokens.command("create")
@click.option("--user", "username", required=True, help="The user the token acts as.")
@click.option("--name", help="What the token is for.")
@click.option(
    "--scope",
    "scopes",
    multiple=True,
    help="Repeat for each scope of a system's token: read, deploy, start:KEY, messages:NAME, "
    "tasks:KEY, external-tasks:TOPIC, integrations:SYSTEM (integrations:dvcqg: the national "
    "portal) ('*' for every name). None: the user's full rights.",
)
@with_appcontext
def create_token(username, name, scopes):
    """Create an API token; only the token is printed on stdout."""
    from .identity.operations import create_token as create
    from .identity.operations import find_user

    try:
        with unit_of_work():
            token = create(find_user(username), name=name, scopes=list(scopes) or None)
    except ServiceError as exc:
        _fail(exc)
    click.echo(token)


@main.command("deploy")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@with_appcontext
def deploy(paths):
    """Deploy .bpmn files (or every .bpmn file of the folders given)."""
    from .deployment.operations import deploy as deploy_file
    from .engine import EngineError

    files = []
    for path in paths:
        files.extend(sorted(path.glob("*.bpmn")) if path.is_dir() else [path])
    failed = False
    for file in files:
        try:
            with unit_of_work():
                deployment, warnings = deploy_file(
                    file.read_bytes(),
                    filename=file.name,
                    actor=None,
                    max_bytes=current_app.config["MOTCUA_MAX_BPMN_BYTES"],
                )
            deployed = [(d.key, d.version, created) for d, created in deployment.definitions]
            if deployment.diagram is not None:
                deployed.append(
                    (deployment.diagram.key, deployment.diagram.version, deployment.diagram_created)
                )
            for key, version, created in deployed:
                verb = "deployed" if created else "unchanged"
                what = " (diagram only)" if deployment.diagram is not None else ""
                click.echo(f"{verb} {key} v{version}{what} ({file})", err=True)
            for note in deployment.parsed.report:
                click.echo(f"  note {note.element_id or ''}: {note.message}", err=True)
            for warning in warnings:
                click.echo(f"  note: {warning['message']}", err=True)
        except (EngineError, ServiceError) as exc:
            failed = True
            details = exc.details() if isinstance(exc, EngineError) else exc.details
            click.echo(f"error {file}: {exc.message} {details or ''}".rstrip(), err=True)
    if failed:
        sys.exit(1)


@main.group()
def procedures():
    """Manage the procedure catalogue."""


@procedures.command("load")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def load_procedures(path):
    """Load (create or update) procedures from a .json or .csv file."""
    from .procedures.operations import load

    fmt = "csv" if path.suffix.lower() == ".csv" else "json"
    try:
        with unit_of_work():
            created, updated = load(path.read_text(encoding="utf-8"), fmt=fmt)
    except ServiceError as exc:
        _fail(exc)
    click.echo(f"procedures: {created} created, {updated} updated ({path})", err=True)


@main.group()
def units():
    """Manage org units."""


@units.command("create")
@click.argument("code")
@click.option("--name", required=True)
@click.option("--national-code", help="The unit code that numbers its dossiers, e.g. 000.17.22.H56.")
@click.option("--parent", help="The code of the unit above it (its indicators count this one's dossiers).")
@with_appcontext
def create_unit(code, name, national_code, parent):
    """Create or update an org unit."""
    from .identity.operations import get_or_create_unit
    from .identity.tree import check_parent

    try:
        with unit_of_work():
            unit = get_or_create_unit(code, name)
            unit.name, unit.national_code = name, national_code or unit.national_code
            if parent is not None:
                unit.parent_code = check_parent(code, parent)
    except ServiceError as exc:
        _fail(exc)
    above = f", under {unit.parent_code}" if unit.parent_code else ""
    click.echo(f"unit {code}: {name} ({unit.national_code or 'no national code'}{above})", err=True)


DEMO_UNITS = (
    # code, name, national code, the unit above it (the province at the top)
    ("UBND-TINH", "UBND tỉnh An Giang", "000.00.00.H01", None),
    ("TTPVHCC", "Trung tâm Phục vụ hành chính công tỉnh An Giang", "000.00.17.H01", "UBND-TINH"),
    ("SO-TP", "Sở Tư pháp tỉnh An Giang", "000.10.17.H01", "UBND-TINH"),
    ("VP-UBND", "Văn phòng UBND tỉnh An Giang", "000.01.17.H01", "UBND-TINH"),
    ("CA-TINH", "Công an tỉnh An Giang", "000.20.17.H01", "UBND-TINH"),
    ("SO-KHCN", "Sở Khoa học và Công nghệ tỉnh An Giang", "000.30.17.H01", "UBND-TINH"),
    ("UBND-XA", "UBND xã (đơn vị mẫu)", "000.40.17.H01", "UBND-TINH"),
    # The agencies of the liên thông procedure bpmn/lien_thong_birth.bpmn (one pool each).
    ("CA-XA", "Công an xã (đơn vị mẫu)", "000.41.17.H01", "CA-TINH"),
    ("BHXH-KV", "Bảo hiểm xã hội khu vực (đơn vị mẫu)", "000.42.17.H01", None),
)

DEMO_USERS = (
    # username, groups, unit, admin, display name
    ("admin", (), "UBND-TINH", True, "Quản trị hệ thống"),
    ("designer", ("designers",), "VP-UBND", False, "Lê Minh Thiết"),
    ("clerk", ("reception",), "TTPVHCC", False, "Trần Thị Bình"),
    ("head", ("unit_heads",), "SO-TP", False, "Nguyễn Văn Hùng"),
    ("specialist", ("specialists",), "SO-TP", False, "Phạm Thị Lan"),
    ("leader", ("leaders",), "SO-TP", False, "Võ Thanh Tùng"),
    ("records", ("records",), "SO-TP", False, "Huỳnh Thị Mai"),
    ("police", ("coordinators",), "CA-TINH", False, "Đặng Quốc Bảo"),
    ("department", ("departments",), "SO-TP", False, "Bùi Văn Nam"),
    # The provincial office also reads every unit's QĐ 766 indicators (group "reports").
    ("office", ("provincial_office", "reports"), "VP-UBND", False, "Trương Thị Hoa"),
    ("chairman", ("chairman",), "UBND-TINH", False, "Lâm Văn Phúc"),
    ("commune", ("lower_levels", "units"), "UBND-TINH", False, "Châu Thị Ngọc"),
    ("it", ("it_department",), "SO-KHCN", False, "Ngô Đức Trí"),
    # The commune's officers, who handle the commune-level procedures (tasks are scoped to units).
    ("xa_head", ("unit_heads",), "UBND-XA", False, "Tô Văn Sang"),
    ("xa_specialist", ("specialists",), "UBND-XA", False, "Kha Thị Diễm"),
    ("xa_leader", ("leaders",), "UBND-XA", False, "Mai Văn Lộc"),
    ("xa_records", ("records",), "UBND-XA", False, "Lý Thị Thu"),
    # The liên thông procedure's other agencies: the commune's police and the social insurance office.
    ("xa_police", ("police_officers",), "CA-XA", False, "Hồ Văn Khải"),
    ("bhxh", ("insurance_officers",), "BHXH-KV", False, "Dương Thị Yến"),
)

# What the groups (BPMN lanes) are called at the office.
DEMO_GROUPS = {
    "reception": "Bộ phận Một cửa",
    "unit_heads": "Lãnh đạo phòng chuyên môn",
    "specialists": "Chuyên viên xử lý",
    "leaders": "Lãnh đạo cơ quan",
    "records": "Văn thư",
    "coordinators": "Cơ quan phối hợp",
    "designers": "Thiết kế quy trình",
    "departments": "Các sở, ngành",
    "provincial_office": "Văn phòng UBND tỉnh",
    "reports": "Kiểm soát TTHC: chỉ số QĐ 766 của mọi đơn vị",
    "chairman": "Chủ tịch UBND tỉnh",
    "lower_levels": "UBND cấp xã",
    "units": "Các đơn vị",
    "it_department": "Bộ phận công nghệ thông tin",
    "police_officers": "Cán bộ đăng ký cư trú (Công an)",
    "insurance_officers": "Cán bộ cấp thẻ BHYT (Bảo hiểm xã hội)",
}


@main.command("demo")
@click.option("--password", default="motcua-demo", show_default=True, help="Password of every demo user.")
@click.option(
    "--history",
    is_flag=True,
    help="Also play dossiers of the last months through the dossier process (once: not into a "
    "database that holds dossiers). Needs bpmn/dossier.bpmn deployed and the catalogue loaded.",
)
@click.option(
    "--months",
    default=4,
    show_default=True,
    type=click.IntRange(0, 24),
    help="History since the 1st of the month this many months back.",
)
@click.option(
    "--per-day",
    default=2.0,
    show_default=True,
    type=click.FloatRange(0, 100),
    help="Dossiers submitted per working day (on average).",
)
@click.option("--seed", default=766, show_default=True, type=int, help="The random seed of the history.")
@with_appcontext
def demo(password, history, months, per_day, seed):
    """Create demo users (idempotent) and write a token for each to instance/demo-tokens.txt;
    with --history, dossiers with a few months of history."""
    import sqlalchemy as sa

    from .identity.models import User
    from .identity.operations import create_token as new_token
    from .identity.operations import create_user as create
    from .identity.operations import get_or_create_group, get_or_create_unit

    with unit_of_work():
        for code, name, national_code, parent in DEMO_UNITS:  # parents first
            unit = get_or_create_unit(code, name)
            unit.name, unit.national_code, unit.parent_code = name, national_code, parent
        lines = []
        for username, groups, unit, admin, display_name in DEMO_USERS:
            user = db.session.scalar(sa.select(User).where(User.username == username))
            if user is None:
                user = create(
                    username, password, groups=groups, unit=unit, admin=admin, display_name=display_name
                )
            lines.append(f"{username}\t{new_token(user, name='demo')}")
        # The national portal's account (docs/integrations.md): its token may only deliver online
        # dossiers and supplements, to the one-stop centre (MOTCUA_DVCQG_TOKEN of make simulators).
        portal = db.session.scalar(sa.select(User).where(User.username == "dvcqg"))
        if portal is None:
            portal = create("dvcqg", secrets.token_hex(16), unit="TTPVHCC", display_name="Cổng DVC quốc gia")
        lines.append(f"dvcqg\t{new_token(portal, name='demo', scopes=['integrations:dvcqg'])}")
        for name, description in DEMO_GROUPS.items():
            group = get_or_create_group(name)
            group.description = group.description or description
    out = Path(current_app.instance_path) / "demo-tokens.txt"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines) + "\n")
    out.chmod(0o600)
    click.echo(f"demo users: {', '.join(u[0] for u in DEMO_USERS)} (password: {password})", err=True)
    click.echo(f"their API tokens: {out}", err=True)
    if history:
        with _demo_signing():
            _demo_history(months, per_day, seed)


@contextlib.contextmanager
def _demo_signing():
    """Inside the block the history's results are signed for real: with the deployment's keys if
    MOTCUA_SIGNING_KEYS_DIR names some, else with demo keys made once into
    <instance>/demo-signing (service/demo/pki.py: demo only, never committed)."""
    from .demo import pki

    instance = Path(current_app.instance_path)
    if pki.configured_elsewhere(current_app.config.get("MOTCUA_SIGNING_KEYS_DIR") or "", instance):
        yield
        return
    names = {code: name for code, name, _national, _parent in DEMO_UNITS}
    signing = {unit: names[unit] for _user, groups, unit, _admin, _name in DEMO_USERS if "records" in groups}
    keys, made = pki.demo_keys(instance, signing)
    click.echo(
        f"demo signing keys ({'made' if made else 'kept'}; DEMO ONLY, no legal value) for "
        f"{', '.join(keys.units)}: {keys.folder}",
        err=True,
    )
    # pyHanko's font subsetting warns once per signature that it drops a table no PDF reader uses.
    fonts = logging.getLogger("fontTools.subset")
    level = fonts.level
    fonts.setLevel(logging.ERROR)
    try:
        with pki.using(current_app, keys):
            yield
    finally:
        fonts.setLevel(level)


def _demo_history(months: int, per_day: float, seed: int) -> None:
    import time
    from datetime import date

    from .calendar.operations import calendar
    from .demo.history import HistoryError, make_history, may_make
    from .models_base import utcnow

    reason = may_make()
    if reason:
        click.echo(f"demo history: {reason}", err=True)
        return
    end = utcnow()
    today = calendar().local(end).date()
    year, month = divmod(today.year * 12 + today.month - 1 - months, 12)
    start = date(year, month + 1, 1)
    began = time.monotonic()
    try:
        counts = make_history(start=start, end=end, per_day=per_day, seed=seed)
    except (HistoryError, ServiceError) as exc:  # e.g. the dossier process not deployed
        _fail(exc)
    click.echo(
        f"demo history since {start}: {counts.dossiers} dossiers, {counts.actions} steps, {counts.timers} "
        f"timers, late lists {', '.join(m for m in counts.late_lists if m) or 'none'} "
        f"({time.monotonic() - began:.0f} s)",
        err=True,
    )


@main.command("housekeeping")
@with_appcontext
def housekeeping():
    """Delete old outbox events and ended sessions now (the workers' beat does it daily)."""
    from .jobs.operations import housekeeping as clean
    from .models_base import utcnow

    counts = clean(utcnow())
    events, sessions = counts["outbox_events"], counts["sessions"]
    click.echo(f"deleted {events} outbox events, {sessions} ended sessions", err=True)


@main.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--threads", default=8, show_default=True, type=int)
@click.option("--no-runner", is_flag=True, help="Do not start a runner process for the asynchronous work.")
def serve(host, port, threads, no_runner):
    """Serve the API with waitress (a production WSGI server).

    Without CELERY_BROKER_URL, it starts `motcua run-jobs` beside itself, a process of its own
    that does the asynchronous work (service tasks, timers, deliveries, the SLA watch, the monthly
    late list, the report bundles, the housekeeping), is started again if it ends on its own, and
    ends with serve; with a broker, run `motcua worker` and one `motcua beat`.
    """
    import signal

    from waitress import serve as waitress_serve

    from . import create_app

    app = create_app()
    heap.settle()
    runner = None
    if not app.config["CELERY_BROKER_URL"] and not no_runner:
        runner = _RunnerProcess()
        runner.start()
    # SIGTERM ends the server as Ctrl-C does, through the finally below (the runner ends with it;
    # killed outright, the runner sees its parent gone within a tick and ends by itself)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    click.echo(f"Motcua on http://{host}:{port}/  (API /api/v1, docs /api/v1/docs)", err=True)
    try:
        waitress_serve(app, host=host, port=port, threads=threads, ident="motcua")
    finally:
        if runner is not None:
            runner.stop()


class _RunnerProcess:
    """`motcua run-jobs` beside `motcua serve`: started with it, started again when it ended on its
    own (looked at every RESTART_AFTER seconds), stopped with it. A runner that keeps ending soon
    after its start (a database it cannot reach, a broken configuration) is started again after
    a growing delay, up to MAX_DELAY; one that ran STABLE_AFTER seconds starts the count again."""

    RESTART_AFTER = 5.0
    STABLE_AFTER = 60.0
    MAX_DELAY = 300.0

    def __init__(self) -> None:
        import threading

        self.process = None
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.started_at = 0.0
        self.ended_at: float | None = None
        self.failures = 0  # ends in a row, each soon after its start

    def start(self) -> None:
        import threading
        import time

        self.process = self._spawn()
        self.started_at = time.monotonic()
        threading.Thread(target=self._watch, name="motcua-runner-watch", daemon=True).start()

    @staticmethod
    def _spawn():
        import os
        import subprocess

        command = [sys.executable, "-m", "service.cli", "run-jobs", "--parent", str(os.getpid())]
        process = subprocess.Popen(command)  # noqa: S603 - our own interpreter and module, no input
        click.echo(f"no broker configured: asynchronous work runs in process {process.pid}", err=True)
        return process

    @classmethod
    def delay(cls, failures: int) -> float:
        """Seconds to wait before starting a runner that ended `failures` times in a row soon
        after its start: none for the first, then 10, 20, 40... up to MAX_DELAY."""
        return 0.0 if failures <= 1 else min(cls.RESTART_AFTER * 2 ** (failures - 1), cls.MAX_DELAY)

    def _watch(self) -> None:
        import time

        while not self.stopping.wait(self.RESTART_AFTER):
            self.check(time.monotonic())

    def check(self, now: float) -> None:
        """Start another runner if this one ended and its delay has passed."""
        with self.lock:
            code = self.process.poll()
            if code is None or self.stopping.is_set():
                return
            if self.ended_at is None:
                self.ended_at = now
                soon = now - self.started_at < self.STABLE_AFTER
                self.failures = self.failures + 1 if soon else 1
                wait = self.delay(self.failures)
                click.echo(f"the runner process ended ({code}): starting another in {wait:.0f} s", err=True)
            if now - self.ended_at >= self.delay(self.failures):
                self.process = self._spawn()
                self.started_at, self.ended_at = now, None

    def stop(self) -> None:
        with self.lock:
            self.stopping.set()
            _stop(self.process)


def _stop(process) -> None:
    import subprocess

    if process.poll() is None:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _celery(*args: str) -> None:
    import os
    import shutil

    celery = shutil.which("celery", path=os.path.dirname(sys.executable)) or "celery"
    os.execv(celery, [celery, "-A", "service.jobs.celery_main:celery", *args])  # noqa: S606 - our own venv's celery


@main.command("worker", context_settings={"ignore_unknown_options": True})
@click.option("--concurrency", default=2, show_default=True, type=int)
@click.argument("celery_args", nargs=-1, type=click.UNPROCESSED)
def worker(concurrency, celery_args):
    """Run a Celery worker (needs CELERY_BROKER_URL); extra arguments go to celery."""
    _celery("worker", "--loglevel=INFO", f"--concurrency={concurrency}", *celery_args)


@main.command("beat", context_settings={"ignore_unknown_options": True})
@click.argument("celery_args", nargs=-1, type=click.UNPROCESSED)
def beat(celery_args):
    """Run the one scheduler: the tick (due calls and timers), the SLA watch, the monthly late list."""
    from .config import INSTANCE_DIR

    INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    _celery("beat", "--loglevel=INFO", f"--schedule={INSTANCE_DIR / 'celerybeat-schedule'}", *celery_args)


@main.command("run-jobs")
@click.option("--once", is_flag=True, help="One pass of the due work, then exit (for cron).")
@click.option("--parent", type=int, hidden=True, help="End when the process of this id is gone.")
@with_appcontext
def run_jobs(once, parent):
    """Do the asynchronous work here, without a broker: every MOTCUA_TICK_SECONDS the due service
    calls, timers, deliveries and portal pushes, and the periodic chores (the SLA watch, the late
    list, the report bundles, the housekeeping). `motcua serve` starts one beside itself."""
    import os

    from .jobs import dispatch

    app = current_app._get_current_object()
    if once:
        calls, timers = dispatch.tick(app)
        click.echo(f"{calls} call(s), {timers} timer instance(s)", err=True)
        return
    heap.settle()
    alive = (lambda: os.getppid() == parent) if parent else (lambda: True)
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C reaches the server and its runner alike
        dispatch.Runner(app, interval=app.config["MOTCUA_TICK_SECONDS"], alive=alive).loop()


if __name__ == "__main__":
    main()
