"""Which key signs for which unit, which roots a signature must chain to, and the font of the
visible block: from the configuration and the environment, never from the database (a key is a
secret; MOTCUA_SIGNING_* in service/config.py).

Keys are read once per process and unit (a PKCS#12 file is decrypted at first use); a unit with
no file, or whose file cannot be opened, cannot sign (`signer_for` gives None and the log says
why, once).
"""

from __future__ import annotations

import os
import re
import threading
from pathlib import Path

from flask import current_app

from ..documents import signing

FONTS = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
)
EXTENSION = "motcua.signing"
_UNSAFE = re.compile(r"[^A-Za-z0-9]")
_UNIT_FILE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


class _Keys:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.signers: dict[str, signing.UnitSigner | None] = {}
        self.roots: list | None = None


def _state() -> _Keys:
    state = current_app.extensions.get(EXTENSION)
    if state is None:
        state = current_app.extensions.setdefault(EXTENSION, _Keys())
    return state


def passphrase_variable(unit_code: str) -> str:
    return "MOTCUA_SIGNING_PASSPHRASE_" + _UNSAFE.sub("_", unit_code).upper()


def signer_for(unit_code: str | None) -> signing.UnitSigner | None:
    """The unit's signer, or None when the unit has no usable key."""
    folder = current_app.config.get("MOTCUA_SIGNING_KEYS_DIR") or ""
    if not unit_code or not folder or not _UNIT_FILE.fullmatch(unit_code):
        return None
    state = _state()
    with state.lock:
        if unit_code in state.signers:
            return state.signers[unit_code]
        path = Path(folder) / f"{unit_code}.p12"
        found = None
        if path.is_file():
            secret = os.environ.get(
                passphrase_variable(unit_code), os.environ.get("MOTCUA_SIGNING_PASSPHRASE")
            )
            try:
                found = signing.load_signer(path.read_bytes(), secret.encode() if secret else None)
            except (signing.SigningFailed, ValueError, OSError) as error:
                current_app.logger.error(
                    "signing key of unit %s (%s) cannot be used: %s", unit_code, path, error
                )
        state.signers[unit_code] = found
        return found


def roots() -> list:
    """The trusted roots (MOTCUA_SIGNING_TRUST_ROOTS), read once per process."""
    state = _state()
    with state.lock:
        if state.roots is None:
            path = current_app.config.get("MOTCUA_SIGNING_TRUST_ROOTS") or ""
            try:
                state.roots = signing.trust_roots(Path(path).read_bytes()) if path else []
            except (OSError, ValueError) as error:
                current_app.logger.error("trusted roots %s cannot be read: %s", path, error)
                state.roots = []
        return state.roots


def font() -> Path | None:
    configured = current_app.config.get("MOTCUA_SIGNATURE_FONT") or ""
    candidates = (configured,) if configured else FONTS
    return next((Path(p) for p in candidates if p and Path(p).is_file()), None)


def check(data: bytes) -> list[dict] | None:
    """The signatures of a PDF's bytes, checked against the trusted roots, as stored with an
    attachment (`signing.SignatureCheck.as_dict`); None when the bytes are not a readable PDF."""
    try:
        return [found.as_dict() for found in signing.verify(data, roots())]
    except signing.SigningFailed as error:
        current_app.logger.info("signatures not checked: %s", error)
        return None
