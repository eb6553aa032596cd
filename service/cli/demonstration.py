"""`motcua demo`: the demo's units, users (with their tokens) and groups, and a few months of
dossiers (--history)."""

from __future__ import annotations

import contextlib
import logging
import secrets
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from ..errors import ServiceError
from ..extensions import db
from ..uow import unit_of_work
from .group import fail, main

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

    from ..identity.models import User
    from ..identity.operations import create_token as new_token
    from ..identity.operations import create_user as create
    from ..identity.operations import get_or_create_group, get_or_create_unit

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
    from ..demo import pki

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

    from ..calendar.operations import calendar
    from ..demo.history import HistoryError, make_history, may_make
    from ..models_base import utcnow

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
        fail(exc)
    click.echo(
        f"demo history since {start}: {counts.dossiers} dossiers, {counts.actions} steps, {counts.timers} "
        f"timers, late lists {', '.join(m for m in counts.late_lists if m) or 'none'} "
        f"({time.monotonic() - began:.0f} s)",
        err=True,
    )
