"""Idempotency-Key on the API's writes (the IETF draft "The Idempotency-Key HTTP Header Field",
as Stripe and most payment APIs use it).

A caller sends `Idempotency-Key: <1-255 visible ASCII characters>` with a POST, PUT, PATCH or
DELETE under /api/. The first request with a key runs; if it succeeds, its answer is stored in
the same transaction as what it did (MotcuaFlask.dispatch_request), so either both are kept or
neither. A retry with the same key and the same request gets that answer again, with
`Idempotent-Replayed: true`, and nothing is done twice; the same key with another method, path or
body is a 422. A request that failed stored nothing (its transaction was rolled back), so a retry
runs it again. Two requests with the same key at the same moment: one commits, the other's
transaction is rolled back and it gets the first one's answer. Keys are the caller's own (another
user's identical key is another key) and kept for MOTCUA_IDEMPOTENCY_HOURS; the housekeeping
deletes older ones.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import Request, Response, current_app

from ..errors import BadRequest, Unprocessable
from ..extensions import db
from ..models_base import utcnow
from .models import IdempotentRequest

HEADER = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# The APIs whose writes honour the header: Motcua's own and the Camunda 7 compatible one.
API_PATHS = ("/api/", "/engine-rest/")
_KEY = re.compile(r"[\x21-\x7e]{1,255}")
# The headers of an answer that are part of it (the rest is made afresh for each response).
_KEPT_HEADERS = ("Content-Type", "Location", "ETag", "Retry-After")


@dataclass(frozen=True)
class Claim:
    """A write that carries a key: whose, which key, and what request it names."""

    user_id: int
    key: str
    fingerprint: str
    method: str
    path: str


def claim(request: Request, user) -> Claim | None:
    """The request's claim on its key, or None when it carries none (or is not an API write by an
    authenticated caller). A malformed key is a 400."""
    value = request.headers.get(HEADER)
    if (
        value is None
        or request.method not in WRITES
        or not request.path.startswith(API_PATHS)
        or user is None
    ):
        return None
    value = value.strip()
    if not _KEY.fullmatch(value):
        raise BadRequest(
            f"The {HEADER} header must be 1 to 255 visible ASCII characters (a UUID, say).",
            code="invalid_idempotency_key",
        )
    return Claim(user.id, value, fingerprint(request), request.method, request.path)


def fingerprint(request: Request) -> str:
    """What names a request: its method, path and query, media type and content. A form's content
    is its fields and files, not its bytes: a client retrying an upload draws a new multipart
    boundary each time."""
    digest = hashlib.sha256()

    def add(*parts: str | bytes) -> None:
        for part in parts:
            digest.update((part.encode() if isinstance(part, str) else part) + b"\0")

    add(request.method, request.full_path, request.mimetype or "")
    if request.mimetype == "multipart/form-data":
        for name, text in sorted(request.form.items(multi=True)):
            add("field", name, text)
        for name, file in sorted(request.files.items(multi=True), key=lambda item: item[0]):
            add("file", name, file.filename or "", file.mimetype or "")
            while chunk := file.stream.read(65536):
                digest.update(chunk)
            file.stream.seek(0)  # the view reads it again
    else:
        add(request.get_data(cache=True))  # the view's parser reads it from the cache
    return digest.hexdigest()


def _window(now: datetime) -> datetime:
    return now - timedelta(hours=float(current_app.config["MOTCUA_IDEMPOTENCY_HOURS"]))


def _stored(claim: Claim) -> IdempotentRequest | None:
    return db.session.scalar(
        sa.select(IdempotentRequest).where(
            IdempotentRequest.user_id == claim.user_id, IdempotentRequest.key == claim.key
        )
    )


def replay(claim: Claim) -> Response | None:
    """The stored answer of this key, if a request made with it succeeded within the retention
    window; 422 when the key was used for another request. An expired row is deleted (in the
    request's transaction) so that the key may be used again."""
    row = _stored(claim)
    if row is None:
        return None
    if row.created_at < _window(utcnow()):
        db.session.delete(row)
        db.session.flush()
        return None
    if row.fingerprint != claim.fingerprint:
        raise Unprocessable(
            f"This {HEADER} was used for another request ({row.method} {row.path} with another body):"
            " use a new key for a new request.",
            code="idempotency_key_reused",
            details={"key": claim.key, "first_request": f"{row.method} {row.path}"},
        )
    headers = {**row.headers, REPLAYED: "true"}
    return Response(row.body, status=row.status, headers=headers)


def record(claim: Claim, response: Response) -> bool:
    """Keep a successful answer with its key, in the request's transaction (the caller commits).
    A streamed answer cannot be kept: False (the request is not replayable)."""
    if response.is_streamed:
        return False
    headers = {name: response.headers[name] for name in _KEPT_HEADERS if name in response.headers}
    db.session.add(
        IdempotentRequest(
            user_id=claim.user_id,
            key=claim.key,
            fingerprint=claim.fingerprint,
            method=claim.method,
            path=claim.path,
            status=response.status_code,
            headers=headers,
            body=response.get_data(),
            created_at=utcnow(),
        )
    )
    return True


def after_conflict(claim: Claim) -> Response | None:
    """After this request's commit lost to a concurrent one with the same key (rolled back): the
    winner's answer, or None when there is none to give."""
    db.session.rollback()
    try:
        return replay(claim)
    finally:
        db.session.rollback()


def purge(before: datetime | None = None) -> int:
    """Delete the keys older than the retention (MOTCUA_IDEMPOTENCY_HOURS); returns how many."""
    before = before if before is not None else _window(utcnow())
    old = IdempotentRequest.created_at < before
    return db.session.execute(sa.delete(IdempotentRequest).where(old)).rowcount
