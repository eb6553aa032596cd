"""Storing, listing and opening attachments.

A file is streamed to a temporary file beside its final place while its SHA-256 and size are
computed; it is refused as soon as it passes the size limit or its first bytes are not of an
accepted type; then it is fsynced and renamed to its random storage key. The row is flushed in the
request's transaction: if that transaction does not commit, the file is removed again (see
_forget_uncommitted_files), so neither a row without a file nor a file without a row is left.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import tempfile
import unicodedata
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import sqlalchemy as sa
from flask import current_app

from .. import uow
from ..audit.operations import fact, record
from ..dossiers.models import Dossier
from ..errors import Conflict, NotFound, ServiceError, Unprocessable
from ..extensions import db
from ..models_base import utcnow
from ..signatures import keys
from ..tasks import operations as tasks
from .models import Attachment

CHUNK = 64 * 1024
# Room for the multipart envelope (boundaries, headers, the component field) around the file.
MULTIPART_ALLOWANCE = 64 * 1024
KEY = re.compile(r"^[0-9a-f]{32}$")


@dataclass(frozen=True)
class FileType:
    name: str
    content_type: str
    extensions: tuple[str, ...]

    def matches(self, head: bytes) -> bool:
        if self.name == "pdf":
            return head.startswith(b"%PDF-")
        if self.name == "png":
            return head.startswith(b"\x89PNG\r\n\x1a\n")
        if self.name == "jpeg":
            return head.startswith(b"\xff\xd8\xff")
        if self.name == "webp":
            return head[:4] == b"RIFF" and head[8:12] == b"WEBP"
        if self.name == "tiff":
            return head[:4] in (b"II*\x00", b"MM\x00*")
        return False


TYPES = {
    t.name: t
    for t in (
        FileType("pdf", "application/pdf", (".pdf",)),
        FileType("png", "image/png", (".png",)),
        FileType("jpeg", "image/jpeg", (".jpg", ".jpeg")),
        FileType("webp", "image/webp", (".webp",)),
        FileType("tiff", "image/tiff", (".tif", ".tiff")),
    )
}
HEAD_BYTES = 12  # enough to tell every type above


class FileTooLarge(ServiceError):
    status, code = 413, "file_too_large"


def allowed_types() -> list[FileType]:
    names = [n.strip().lower() for n in current_app.config["MOTCUA_UPLOAD_TYPES"].split(",") if n.strip()]
    unknown = [n for n in names if n not in TYPES]
    if unknown:
        raise RuntimeError(f"MOTCUA_UPLOAD_TYPES names unknown types: {', '.join(unknown)}")
    return [TYPES[n] for n in names]


def accept_attribute() -> str:
    """The accepted extensions, for <input type=file accept=...>."""
    return ",".join(ext for t in allowed_types() for ext in t.extensions)


def max_bytes() -> int:
    return int(current_app.config["MOTCUA_UPLOAD_MAX_BYTES"])


def upload_dir() -> Path:
    """MOTCUA_UPLOAD_DIR, or <instance folder>/uploads; created (mode 0700) when missing."""
    configured = current_app.config.get("MOTCUA_UPLOAD_DIR")
    path = Path(configured) if configured else Path(current_app.instance_path) / "uploads"
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def _path_of(key: str) -> Path:
    if not KEY.match(key):  # the key comes from our own rows; refuse anything else all the same
        raise NotFound("This file is not available.")
    return upload_dir() / key[:2] / key


_UNSAFE = re.compile(r'[<>:"/\\|?*;]')
_SPACES = re.compile(r"\s+")


def safe_filename(name: str | None, file_type: FileType) -> str:
    """The uploader's file name without any folder, control or reserved characters, at most 200
    characters, ending with an extension of the type its content has (so that a PDF named
    "x.html" is given back as "x.html.pdf")."""
    name = unicodedata.normalize("NFC", name or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = _SPACES.sub(" ", _UNSAFE.sub("_", name)).strip()
    stem, dot, ext = name.rpartition(".")
    if not dot or f".{ext.lower()}" not in file_type.extensions:
        stem, ext = name, file_type.extensions[0].lstrip(".")
    stem = stem.strip(" .")[:190].rstrip(" .") or "tep"
    return f"{stem}.{ext.lower()}"


def _type_of(head: bytes) -> FileType:
    """The accepted type these first bytes belong to, or a 422 naming the accepted types."""
    found = next((t for t in allowed_types() if t.matches(head)), None)
    if found is None:
        raise _refuse_type()
    return found


def _refuse_type() -> Unprocessable:
    names = ", ".join(t.name.upper() for t in allowed_types())
    return Unprocessable(
        f"The file is not of an accepted type. Accepted: {names} (checked by the file's content).",
        code="file_type_not_allowed",
        details={
            "fields": {"file": [f"Accepted types: {names}."]},
            "allowed": [t.name for t in allowed_types()],
        },
    )


def _write(stream: BinaryIO, limit: int) -> tuple[str, FileType, int, str]:
    """Stream into a fresh random key; returns (key, type, size, sha256 hex) or refuses."""
    key = secrets.token_hex(16)
    folder = upload_dir() / key[:2]
    folder.mkdir(mode=0o700, exist_ok=True)
    digest, size, head, file_type = hashlib.sha256(), 0, b"", None
    handle = tempfile.NamedTemporaryFile(dir=folder, prefix=".upload-", delete=False)  # noqa: SIM115
    try:
        with handle:
            while chunk := stream.read(CHUNK):
                size += len(chunk)
                if size > limit:
                    raise FileTooLarge(
                        f"The file is larger than the {limit} bytes accepted.",
                        details={"fields": {"file": [f"At most {limit} bytes."]}, "max_bytes": limit},
                    )
                if file_type is None:
                    head += chunk[: HEAD_BYTES - len(head)]
                    if len(head) >= HEAD_BYTES:
                        file_type = _type_of(head)  # refused here, before the rest is read
                digest.update(chunk)
                handle.write(chunk)
            if size == 0:
                raise Unprocessable(
                    "The file is empty.",
                    code="file_empty",
                    details={"fields": {"file": ["The file is empty."]}},
                )
            file_type = file_type or _type_of(head)  # a file shorter than HEAD_BYTES
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(handle.name, folder / key)
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise
    _fsync_dir(folder)
    return key, file_type, size, digest.hexdigest()


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def dossier_components(instance_id) -> tuple[Dossier | None, list[str]]:
    """The dossier of an instance (if it is a dossier's) and the names of its components."""
    dossier = db.session.scalar(sa.select(Dossier).where(Dossier.instance_id == instance_id))
    if dossier is None:
        return None, []
    names = [str(c.get("name")) for c in dossier.components or [] if isinstance(c, dict) and c.get("name")]
    return dossier, list(dict.fromkeys(names))


def store(task_id, stream: BinaryIO, filename: str | None, *, component: str | None, actor) -> Attachment:
    """Attach a file to an open task's instance (the caller is an actor of the task: the route
    authorised it), while it is open."""
    task, instance = tasks.get_with_instance(task_id)
    tasks.require_open(task, instance)  # the same 409s as claim and complete
    if task.assignee_id is not None and task.assignee_id != actor.id and not actor.is_admin:
        raise Conflict(
            f"Task '{task.name}' is claimed by {task.assignee.username}; only they may add files to it.",
            code="task_claimed",
        )
    dossier, components = dossier_components(instance.id)
    component = (component or "").strip() or None
    if component is not None and dossier is not None and component not in components:
        raise Unprocessable(
            "The component is not one of the dossier's components.",
            code="unknown_component",
            details={
                "fields": {"component": ["Choose one of the dossier's components."]},
                "allowed": components,
            },
        )
    return _keep(stream, filename, instance.id, dossier, component, actor, task=task)


def store_received(
    instance_id, dossier: Dossier, stream: BinaryIO, filename: str | None, *, component: str | None, actor
) -> Attachment:
    """Attach a file a remote system sent with a dossier (the national portal's online dossier or
    supplement, service/dvcqg), with no task: checked like an upload (size, type by content)."""
    return _keep(
        stream, filename, instance_id, dossier, (component or "").strip()[:500] or None, actor, task=None
    )


def _keep(stream: BinaryIO, filename, instance_id, dossier, component, actor, *, task) -> Attachment:
    """Write the file (refused past the size limit or when not of an accepted type), its row and
    its audit fact; the file goes with the unit of work if it does not commit."""
    key, file_type, size, sha256 = _write(stream, max_bytes())
    _remember_uncommitted(key)
    signatures = keys.check(_path_of(key).read_bytes()) if file_type.name == "pdf" else None
    attachment = Attachment(
        id=uuid.uuid4(),
        instance_id=instance_id,
        task_id=task.id if task is not None else None,
        dossier_id=dossier.id if dossier is not None else None,
        component=component,
        filename=safe_filename(filename, file_type),
        content_type=file_type.content_type,
        size=size,
        sha256=sha256,
        storage_key=key,
        uploaded_by_id=actor.id,
        uploaded_at=utcnow(),
        signatures=signatures,
    )
    db.session.add(attachment)
    db.session.flush()
    data = {
        "attachment_id": str(attachment.id),
        "filename": attachment.filename,
        "content_type": attachment.content_type,
        "size": size,
        "sha256": sha256,
        "component": component,
        "signatures": len(signatures or []),
    }
    record(
        [
            fact(
                "attachment_uploaded",
                at=attachment.uploaded_at,
                actor=actor,
                instance_id=instance_id,
                task_id=task.id if task is not None else None,
                element_id=task.element_id if task is not None else None,
                data=data,
                message=f"Uploaded {attachment.filename} ({size} bytes, sha256 {sha256[:12]}…)",
            )
        ]
    )
    return attachment


def list_for_instance(instance_id) -> list[Attachment]:
    return list(
        db.session.scalars(
            sa.select(Attachment)
            .where(Attachment.instance_id == instance_id, Attachment.deleted_at.is_(None))
            .order_by(Attachment.uploaded_at, Attachment.id)
        )
    )


def open_for_download(attachment: Attachment) -> tuple[Attachment, Path]:
    """The attachment and the path of its bytes."""
    path = _path_of(attachment.storage_key)
    if not path.is_file():
        current_app.logger.error("attachment %s: file %s is missing", attachment.id, attachment.storage_key)
        raise NotFound("The file of this attachment is missing; an administrator has been told.")
    return attachment, path


# --- files of transactions that did not commit ------------------------------------------------


def _remember_uncommitted(key: str) -> None:
    """A stored file whose unit of work rolls back is removed (its row was not kept)."""
    path = _path_of(key)
    unit = uow.current()
    if unit is not None:
        unit.on_rollback(lambda: Path(path).unlink(missing_ok=True))
