"""The motcua command: users, tokens, deploy, demo."""

import re
import subprocess
import sys

import pytest

from service.cli import main
from tests.support import BPMN, ROOT, bpmn_path


@pytest.fixture
def cli(app):
    runner = app.test_cli_runner(mix_stderr=False) if _mix_stderr_supported() else app.test_cli_runner()

    def invoke(*args):
        return runner.invoke(main, list(args))

    return invoke


def _mix_stderr_supported() -> bool:
    import inspect

    from click.testing import CliRunner

    return "mix_stderr" in inspect.signature(CliRunner.__init__).parameters


def test_users_create_with_groups_unit_and_admin(cli, client):
    result = cli(
        "users",
        "create",
        "clerk",
        "--password",
        "password-1",
        "--group",
        "reception",
        "--group",
        "scanners",
        "--unit",
        "TTPVHCC",
    )
    assert result.exit_code == 0, result.output
    token = cli("tokens", "create", "--user", "clerk").stdout.strip()
    me = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"}).json
    assert me["groups"] == ["reception", "scanners"]
    assert me["unit"] == "TTPVHCC"
    assert me["is_admin"] is False


def test_tokens_create_prints_only_the_token(cli):
    cli("users", "create", "system", "--password", "password-1")
    result = cli("tokens", "create", "--user", "system")
    assert result.exit_code == 0
    assert re.fullmatch(r"mct_[A-Za-z0-9_-]{40,}\n", result.stdout)


def test_duplicate_user_short_password_and_unknown_user_fail_clearly(cli):
    assert cli("users", "create", "a", "--password", "password-1").exit_code == 0
    again = cli("users", "create", "a", "--password", "password-1")
    assert again.exit_code != 0
    assert "already exists" in again.output
    short = cli("users", "create", "b", "--password", "short")
    assert short.exit_code != 0
    assert "at least 8" in short.output
    missing = cli("tokens", "create", "--user", "ghost")
    assert missing.exit_code != 0
    assert "No user named 'ghost'" in missing.output


def test_deploy_loads_the_process_library_idempotently(cli, admin):
    first = cli("deploy", str(BPMN))
    assert first.exit_code == 0, first.output
    again = cli("deploy", str(BPMN))
    assert again.exit_code == 0
    assert "unchanged" in again.output
    keys = {d["key"] for d in admin.get("/api/v1/process-definitions").json["items"]}
    assert "simple_approval" in keys


def test_deploying_a_process_that_starts_on_a_timer_arms_its_first_instance(cli, admin):
    timer_start = str(bpmn_path("svc_timer_start.bpmn"))
    assert cli("deploy", timer_start).exit_code == 0
    waiting = admin.get("/api/v1/process-instances?definition_key=nightly_sync").json["items"]
    assert [instance["state"] for instance in waiting] == ["running"]
    assert cli("deploy", timer_start).exit_code == 0  # unchanged: no second instance
    assert len(admin.get("/api/v1/process-instances?definition_key=nightly_sync").json["items"]) == 1


def test_deploy_reports_a_broken_file_and_exits_non_zero(cli, tmp_path):
    broken = tmp_path / "broken.bpmn"
    broken.write_text("<not-bpmn/>")
    result = cli("deploy", str(broken))
    assert result.exit_code == 1
    assert "broken.bpmn" in result.output
    # A task naming a form that does not exist: refused with its element and line.
    from tests.support import BPMN

    missing = tmp_path / "missing_form.bpmn"
    xml = (BPMN / "simple_approval.bpmn").read_text(encoding="utf-8")
    missing.write_text(
        xml.replace('value="simple_approval_register"', 'value="no_such_form"'), encoding="utf-8"
    )
    result = cli("deploy", str(missing))
    assert result.exit_code == 1
    assert "no_such_form" in result.output and "'element_id': 'register'" in result.output


def test_units_are_placed_in_a_tree_and_cycles_fail_clearly(cli, app):
    assert cli("units", "create", "TINH", "--name", "Tỉnh").exit_code == 0
    placed = cli("units", "create", "SO", "--name", "Sở", "--parent", "TINH")
    assert placed.exit_code == 0 and "under TINH" in placed.output
    cycle = cli("units", "create", "TINH", "--name", "Tỉnh", "--parent", "SO")
    assert cycle.exit_code != 0 and "cycle" in cycle.output
    unknown = cli("units", "create", "PHONG", "--name", "Phòng", "--parent", "NOWHERE")
    assert unknown.exit_code != 0 and "No such unit: NOWHERE" in unknown.output


def test_demo_creates_users_in_each_role_with_tokens(cli, app, client):
    result = cli("demo")
    assert result.exit_code == 0, result.output
    from pathlib import Path

    lines = (Path(app.instance_path) / "demo-tokens.txt").read_text().splitlines()
    tokens = dict(line.split("\t") for line in lines)
    assert {"admin", "designer", "clerk", "specialist", "leader"} <= set(tokens)
    me = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {tokens['clerk']}"}).json
    assert me["groups"] == ["reception"]
    assert me["display_name"] == "Trần Thị Bình" and me["unit"] == "TTPVHCC"
    assert {"xa_head", "xa_specialist", "xa_leader", "xa_records"} <= set(tokens)  # the commune's officers
    # the other agencies of the liên thông model (bpmn/lien_thong_birth.bpmn), one unit each
    for username, unit, group in (
        ("xa_police", "CA-XA", "police_officers"),
        ("bhxh", "BHXH-KV", "insurance_officers"),
    ):
        agent = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {tokens[username]}"}).json
        assert (agent["unit"], agent["groups"]) == (unit, [group])
    with app.app_context():
        import sqlalchemy as sa

        from service.extensions import db
        from service.identity.models import Group

        described = dict(db.session.execute(sa.select(Group.name, Group.description)).all())
    assert described["reception"] == "Bộ phận Một cửa"
    with app.app_context():  # the units form a tree under the province (their indicators add up)
        from service.identity.tree import subtree

        assert {"SO-TP", "TTPVHCC", "UBND-XA", "CA-TINH", "CA-XA"} <= set(subtree("UBND-TINH"))
    # the national portal's account: in the one-stop centre, a token that may only deliver to it
    with app.app_context():
        from service.identity.models import User

        assert db.session.scalar(sa.select(User).where(User.username == "dvcqg")).org_unit.code == "TTPVHCC"
    portal = {"Authorization": f"Bearer {tokens['dvcqg']}"}
    assert client.get("/api/v1/auth/me", headers=portal).json["error"]["details"]["needs"] == "read"
    assert client.post("/api/v1/dossiers", json={}, headers=portal).status_code == 403
    assert cli("demo").exit_code == 0  # idempotent


def test_console_script_is_installed():
    result = subprocess.run(
        [sys.executable, "-m", "service.cli", "--help"], capture_output=True, text=True, cwd=ROOT, check=False
    )
    assert result.returncode == 0
    for command in ("users", "tokens", "deploy", "demo", "serve", "db"):
        assert command in result.stdout


class _Ended:
    """A runner process that has ended."""

    pid = 0

    def poll(self):
        return 1


def test_a_runner_that_keeps_ending_at_its_start_is_started_again_after_a_growing_delay(monkeypatch):
    from service.cli import RunnerProcess

    started: list[float] = []
    now = [0.0]

    def spawn():
        started.append(now[0])
        return _Ended()

    runner = RunnerProcess()
    monkeypatch.setattr(runner, "_spawn", spawn)
    runner.process, runner.started_at = _Ended(), 0.0
    while now[0] < 700:
        now[0] += RunnerProcess.RESTART_AFTER  # the watch looks every RESTART_AFTER seconds
        runner.check(now[0])
    gaps = [later - earlier for earlier, later in zip([0.0, *started], started, strict=False)]
    assert gaps[:5] == [5.0, 15.0, 25.0, 45.0, 85.0]  # ended seen, then 0, 10, 20, 40 s more...
    assert max(gaps) == RunnerProcess.MAX_DELAY + RunnerProcess.RESTART_AFTER


def test_a_runner_that_ran_a_while_before_it_ended_is_started_again_at_once(monkeypatch):
    from service.cli import RunnerProcess

    runner = RunnerProcess()
    started: list[float] = []
    monkeypatch.setattr(runner, "_spawn", lambda: started.append(1) or _Ended())
    runner.process, runner.started_at, runner.failures = _Ended(), 0.0, 6  # after a bad spell
    runner.check(RunnerProcess.STABLE_AFTER + 1)  # it had run a minute: no delay
    assert started == [1] and runner.failures == 1


def test_run_jobs_settles_what_start_up_built_before_its_loop(cli, monkeypatch):
    import gc

    from service.jobs import dispatch

    frozen = []

    class Runner:
        def __init__(self, app, interval, alive):
            pass

        def loop(self):
            frozen.append(gc.get_freeze_count())

    monkeypatch.setattr(dispatch, "Runner", Runner)
    gc.unfreeze()
    try:
        result = cli("run-jobs")
    finally:
        gc.unfreeze()  # back to this test process's own heap
    assert result.exit_code == 0, result.output
    assert len(frozen) == 1 and frozen[0] > 0


def test_the_celery_entry_point_settles_what_start_up_built_before_the_pool_forks(tmp_path):
    # the worker's children are forked after `celery -A service.jobs.celery_main` imported it
    code = "import gc, service.jobs.celery_main; print(gc.get_freeze_count())"
    env = {
        "PATH": "/usr/bin:/bin",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'motcua.db'}",
        "SECRET_KEY": "x" * 64,
        "MOTCUA_INSTANCE_DIR": str(tmp_path),
    }
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=env, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert int(done.stdout.strip().splitlines()[-1]) > 0
