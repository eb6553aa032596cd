"""A test certificate authority, generated per test run (service/demo/pki.py's `Authority`): a
root, and a signing certificate with its key per unit as PKCS#12 files (what
MOTCUA_SIGNING_KEYS_DIR holds in production)."""

from __future__ import annotations

from pathlib import Path

from service.demo.pki import Authority

__all__ = ["Authority", "install_keys", "sign_result", "write_keys"]


def write_keys(
    folder: Path, authority: Authority, units: dict[str, str], passphrase: bytes
) -> tuple[Path, Path]:
    """<folder>/keys/<UNIT>.p12 for each unit code → signer name, and <folder>/roots.pem; returns
    (keys folder, roots file)."""
    keys = folder / "keys"
    keys.mkdir(parents=True, exist_ok=True)
    for code, common in units.items():
        (keys / f"{code}.p12").write_bytes(authority.unit_p12(common, "UBND tỉnh An Giang", passphrase))
    roots = folder / "roots.pem"
    roots.write_bytes(authority.pem())
    return keys, roots


def install_keys(app, folder: Path, monkeypatch, units: dict[str, str]) -> Authority:
    """A test authority trusted by the app, and a signing key for each unit code → signer name."""
    authority = Authority.create()
    keys, roots = write_keys(folder, authority, units, b"pw")
    app.config.update(MOTCUA_SIGNING_KEYS_DIR=str(keys), MOTCUA_SIGNING_TRUST_ROOTS=str(roots))
    app.extensions.pop("motcua.signing", None)
    monkeypatch.setenv("MOTCUA_SIGNING_PASSPHRASE", "pw")
    return authority


def sign_result(caller, task_id: str) -> dict:
    """The records officer uploads a result PDF on the task and signs it with the unit's key (the
    signed copy's JSON): what makes the result step's `e_result_signed` true."""
    import io

    from service.documents import render_pdf

    uploaded = caller.post(
        f"/api/v1/tasks/{task_id}/attachments",
        data={"file": (io.BytesIO(render_pdf("mau-01", {})), "ket-qua.pdf")},
        content_type="multipart/form-data",
    )
    assert uploaded.status_code == 201, uploaded.json
    signed = caller.post(f"/api/v1/attachments/{uploaded.json['id']}/signature")
    assert signed.status_code == 201, signed.json
    return signed.json
