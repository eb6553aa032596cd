"""The demo signs its results for real (service/demo/pki.py, service/demo/history.py): `motcua
demo --history` makes a throw-away certificate authority and the result-issuing units' keys into
the instance folder, marked demo-only and readable by their owner only, unless the deployment's
own keys are configured; the history's records officers attach and sign the result of most
dossiers, so the step pipeline records e-results and the QĐ 766 indicator is not 0 %."""

from __future__ import annotations

import os
import stat
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import sqlalchemy as sa

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
UNITS = {"SO-TP": "Sở Tư pháp tỉnh An Giang", "UBND-XA": "UBND xã (đơn vị mẫu)"}


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_demo_keys_are_made_once_marked_demo_only_and_private(tmp_path):
    from service.demo import pki
    from service.documents import signing

    keys, made = pki.demo_keys(tmp_path, UNITS)
    assert made and keys.complete()
    assert keys.folder == tmp_path / "demo-signing" and mode(keys.folder) == 0o700
    files = [keys.roots, keys.passphrase_file, keys.folder / "README.txt"]
    files += [keys.keys / "SO-TP.p12", keys.keys / "UBND-XA.p12"]
    assert all(mode(path) == 0o600 for path in files)
    assert "DEMO ONLY" in (keys.folder / "README.txt").read_text()
    signer = signing.load_signer((keys.keys / "SO-TP.p12").read_bytes(), keys.passphrase().encode())
    assert signer.name == "Sở Tư pháp tỉnh An Giang (DEMO)" and "DEMO" in signer.organisation
    (root,) = signing.trust_roots(keys.roots.read_bytes())
    assert "DEMO" in root.subject.native["common_name"]

    roots = keys.roots.read_bytes()
    again, made = pki.demo_keys(tmp_path, UNITS)
    assert not made and again.roots.read_bytes() == roots  # kept: earlier signatures still check
    (keys.keys / "UBND-XA.p12").unlink()
    _, made = pki.demo_keys(tmp_path, UNITS)
    assert made and keys.roots.read_bytes() != roots  # incomplete: all made anew


def test_the_deployments_own_keys_are_left_alone(tmp_path):
    from service.demo.pki import configured_elsewhere

    assert not configured_elsewhere("", tmp_path)
    assert not configured_elsewhere(str(tmp_path / "demo-signing" / "keys"), tmp_path)
    assert configured_elsewhere("/etc/motcua/keys", tmp_path)


def test_the_history_signs_most_results_for_real(demo_office):
    from service.attachments.models import Attachment
    from service.calendar import periods
    from service.demo import pki
    from service.demo.history import make_history
    from service.dossiers.models import Dossier
    from service.extensions import db
    from service.reports import indicators

    app = demo_office
    keys, _ = pki.demo_keys(Path(app.instance_path), UNITS)
    before = {name: os.environ.get(name) for name in ("MOTCUA_SIGNING_PASSPHRASE_SO_TP",)}
    with pki.using(app, keys), app.app_context():
        make_history(
            start=date(2026, 9, 1), end=datetime(2026, 10, 2, 17, 0, tzinfo=TZ), per_day=1.5, seed=766
        )
    # Afterwards the app and the environment are as they were.
    assert app.config["MOTCUA_SIGNING_KEYS_DIR"] == ""
    assert {name: os.environ.get(name) for name in before} == before

    with app.app_context():
        issued = db.session.scalars(
            sa.select(Dossier).where(Dossier.outcome == "approved", Dossier.finished_at.is_not(None))
        ).all()
        signed = [dossier for dossier in issued if dossier.e_result]
        assert len(issued) > 10
        assert 0.6 <= len(signed) / len(issued) < 1  # most, not all: some results are on paper
        copies = db.session.scalars(
            sa.select(Attachment).where(Attachment.filename == "ket-qua-ky-so.pdf")
        ).all()
        assert len(copies) == len(signed)
        assert all(any(check["good"] for check in copy.signatures) for copy in copies)
        assert {copy.dossier_id for copy in copies} == {dossier.id for dossier in signed}

        report = indicators.compute(
            periods.parse("month:2026-09", TZ), now=datetime(2026, 10, 2, 17, 0, tzinfo=TZ)
        )
        (e_results,) = [
            item for group in report["groups"] for item in group["indicators"] if item["key"] == "e_results"
        ]
        assert 0 < e_results["rate"] < 1


def test_demo_history_makes_its_keys_in_the_instance_folder(demo_office, clock):
    from service.cli import demo

    runner = demo_office.test_cli_runner()
    with clock.at(datetime(2026, 10, 8, 10, 0, tzinfo=TZ)):
        done = runner.invoke(demo, ["--history", "--months", "0"])
    assert done.exit_code == 0, done.output
    assert "DEMO ONLY" in done.output
    folder = Path(demo_office.instance_path) / "demo-signing"
    assert (folder / "roots.pem").is_file() and (folder / "keys" / "SO-TP.p12").is_file()
    assert demo_office.config["MOTCUA_SIGNING_KEYS_DIR"] == ""


def test_demo_history_uses_the_deployments_keys_when_configured(demo_office, clock, tmp_path):
    from service.cli import demo

    demo_office.config["MOTCUA_SIGNING_KEYS_DIR"] = str(tmp_path / "real-keys")
    runner = demo_office.test_cli_runner()
    with clock.at(datetime(2026, 10, 8, 10, 0, tzinfo=TZ)):
        done = runner.invoke(demo, ["--history", "--months", "0"])
    assert done.exit_code == 0, done.output
    assert not (Path(demo_office.instance_path) / "demo-signing").exists()
