"""The "Thành phần hồ sơ số hóa" panel (templates/ui/_attachments.html): a process instance's
attachments as plain dicts, and, on a task its user may work on, what the upload control needs.

A page shows it with
    {% include "ui/_attachments.html" %}
and `attachments=attachments.panel(instance, task=...)` in its context (task only where uploads are
allowed); pages with an upload control also load static/js/attachments.js and css/attachments.css.
A task's page offers uploads only when the task's form asks for files (`"attachments": true` in its
`<key>.ui.json`); elsewhere it lists the files already there, if any.
"""

from __future__ import annotations

from datetime import datetime

from flask import current_app, flash, redirect, url_for
from flask_babel import format_decimal
from flask_babel import gettext as _

from .. import uow
from ..attachments import operations, permissions, signing
from ..errors import ServiceError
from ..identity.auth import current_user
from ..tasks.queries import OPEN
from . import bp, display


def size_label(size: int) -> str:
    """1 536 -> "1,5 KB" (in Vietnamese; the page's language decides the decimal sign)."""
    if size < 1024:
        return f"{size} B"
    for unit, scale in (("KB", 1024), ("MB", 1024**2), ("GB", 1024**3)):
        if size < scale * 1024 or unit == "GB":
            return f"{format_decimal(round(size / scale, 1), format='#,##0.#')} {unit}"
    raise AssertionError("unreachable")


def item(attachment) -> dict:
    who = attachment.uploaded_by
    return {
        "id": str(attachment.id),
        "filename": attachment.filename,
        "component": attachment.component,
        "content_type": attachment.content_type,
        "size": attachment.size,
        "size_label": size_label(attachment.size),
        "sha256": attachment.sha256,
        "sha256_short": attachment.sha256[:12],
        "uploaded_by": display.person(who),
        "uploaded_at": display.local_datetime(attachment.uploaded_at),
        "download_url": url_for("attachments.content", attachment_id=attachment.id),
        "signatures": [signature(check) for check in attachment.signatures or []],
    }


def signature(check: dict) -> dict:
    """One checked signature in words: who, when, and whether it can be relied on."""
    if check.get("good"):
        state, verdict = "good", _("hợp lệ")
    elif not check.get("intact") or not check.get("valid"):
        state, verdict = "broken", _("không hợp lệ: tệp đã bị sửa sau khi ký")
    elif not check.get("trusted"):
        state, verdict = "untrusted", _("chứng thư số không thuộc tổ chức được tin cậy")
    else:
        state, verdict = "partial", _("tệp đã được thêm nội dung sau khi ký")
    moment = check.get("signed_at")
    return {
        "signer": check.get("signer") or _("(không rõ)"),
        "organisation": check.get("organisation"),
        "signed_at": display.local_datetime(datetime.fromisoformat(moment)) if moment else "",
        "state": state,
        "verdict": verdict,
    }


def asks_for_files(form: dict | None) -> bool:
    """Whether a task's form asks for files (the digitised components): its ui.json says so."""
    return bool(((form or {}).get("ui") or {}).get("attachments") is True)


def panel(instance, *, task=None, user=None) -> dict:
    """The panel's context. Pass the task (and its user) only where that user may work on it:
    the upload control is shown while the task is open, its instance running and the task not
    claimed by someone else (the API checks all of this again)."""
    upload = None
    if (
        task is not None
        and task.state == OPEN
        and instance.state == "running"
        and (user is None or task.assignee_id in (None, user.id) or user.is_admin)
    ):
        _dossier, components = operations.dossier_components(instance.id)
        types = operations.allowed_types()
        limit = operations.max_bytes()
        upload = {
            "url": url_for("attachments.upload", task_id=task.id),
            "components": components,
            "accept": operations.accept_attribute(),
            "extensions": [ext for t in types for ext in t.extensions],
            "types_label": ", ".join(t.name.upper() for t in types),
            "max_bytes": limit,
            "max_label": size_label(limit),
            "timezone": current_app.config["MOTCUA_TIMEZONE"],
            # The result step (signedResult): its PDFs can be signed with the unit's key here.
            "sign": str((task.properties or {}).get(signing.RESULT_PROPERTY, "")).lower() == "true",
        }
    return {
        "items": [item(a) for a in operations.list_for_instance(instance.id)],
        "upload": upload,
    }


@bp.post("/attachments/<uuid:attachment_id>/sign", endpoint="attachment_sign")
def sign_attachment(attachment_id):
    """The result step's "Ký số" button: sign the PDF with the unit's key, back to the task."""
    user = current_user()
    attachment, task = permissions.require_signer(user, attachment_id)
    try:
        signed = signing.sign(attachment, task, actor=user)
    except ServiceError as exc:
        uow.discard()
        flash(_("Không ký số được: %(message)s", message=exc.message), "error")
    else:
        flash(_("Đã ký số “%(name)s”.", name=signed.filename), "success")
    return redirect(url_for("ui.task_page", task_id=task.id) + "#attachments-title")
