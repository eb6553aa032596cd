"""The API tokens: issue one (its secret shown once, on the page after the redirect), list them,
revoke one."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import DateInput

from ... import uow
from ...errors import NotFound, ServiceError
from ...identity import admin as identity_admin
from ...identity import queries as identity_reads
from .. import bp, display
from .common import (
    REQUIRED,
    RevokeForm,
    active_filter,
    admin_user,
    list_page,
    parse_day,
    place_errors,
    refused,
    select,
)

# The session's key of a token just issued: shown by the GET after the POST (POST/redirect/GET), once.
ISSUED_KEY = "issued_token"


class TokenForm(FlaskForm):
    user = SelectField(
        _l("Cấp cho người dùng"), validate_choice=False, validators=[DataRequired(message=REQUIRED)]
    )
    name = StringField(
        _l("Tên gợi nhớ"), validators=[Optional(), Length(max=128, message=_l("Tối đa 128 ký tự."))]
    )
    expires_on = StringField(_l("Dùng được đến hết ngày"), widget=DateInput(), validators=[Optional()])
    scopes = StringField(
        _l("Phạm vi (cho hệ thống khác)"), validators=[Optional(), Length(max=2000, message=_l("Quá dài."))]
    )

    def fill_choices(self):
        users = identity_reads.active_usernames()
        self.user.choices = select([("", _("— chọn người dùng —"))] + [(name, name) for name in users])
        return self


@bp.route("/admin/tokens", methods=["GET", "POST"], endpoint="admin_tokens")
def tokens_page():
    actor = admin_user()
    form = TokenForm().fill_choices()
    issued = session.pop(ISSUED_KEY, None) if request.method == "GET" else None
    status = 200
    if form.validate_on_submit():
        day = parse_day(form.expires_on, _l("Ngày không hợp lệ."))
        expires_at = None
        if day is not None:
            zone = ZoneInfo(current_app.config["MOTCUA_TIMEZONE"])
            expires_at = datetime.combine(day + timedelta(days=1), time(), tzinfo=zone)
        if not form.expires_on.errors:
            try:
                token, secret = identity_admin.issue_token(
                    form.user.data,
                    name=form.name.data,
                    expires_at=expires_at,
                    scopes=form.scopes.data.split() if (form.scopes.data or "").strip() else None,
                    actor=actor,
                )
            except ServiceError as exc:
                uow.discard()
                form.fill_choices()
                messages = {
                    "user": _l("Người dùng không tồn tại hoặc đã bị khóa."),
                    "expires_at": _l("Ngày hết hạn phải sau hôm nay."),
                    "scopes": _l(
                        "Phạm vi không hợp lệ. Dùng: read, deploy, start:<mã quy trình>, "
                        "messages:<tên thông điệp>, tasks:<mã quy trình>, external-tasks:<chủ đề> "
                        "(* cho mọi tên)."
                    ),
                }
                fields = (exc.details or {}).get("fields") or {}
                if "expires_at" in fields:
                    form.expires_on.errors = [*form.expires_on.errors, str(messages["expires_at"])]
                elif not place_errors(form, exc, messages):
                    form.form_errors.append(refused(exc))
                status = 422
            else:
                # Shown by the page the browser is sent to, and only there: reloading it (F5)
                # neither issues another token nor shows this one again.
                session[ISSUED_KEY] = {
                    "secret": secret,
                    "user": token.user.username,
                    "name": token.name,
                    "scopes": token.scopes,
                }
                return redirect(url_for("ui.admin_tokens"))
        else:
            status = 422
    elif request.method == "POST":
        status = 422
    user_filter = request.args.get("user", "").strip()[:128]
    show, active = active_filter()
    return list_page(
        "ui/admin_tokens.html",
        lambda page, per_page: identity_reads.search_tokens(
            user=user_filter or None, active=active, page=page, per_page=per_page
        ),
        name="tokens",
        row=_token_row,
        status=status,
        form=form,
        revoke_form=RevokeForm(formdata=None),
        issued=issued,
        user_filter=user_filter,
        show=show,
    )


def _token_row(token) -> dict:
    return {
        "token": token,
        "created": display.local_datetime(token.created_at),
        "expires": display.local_datetime(token.expires_at),
        "revoked": display.local_datetime(token.revoked_at),
        "last_used": display.local_datetime(token.last_used_at),
        "expired": identity_reads.token_expired(token),
    }


@bp.post("/admin/tokens/<int:token_id>/revoke", endpoint="admin_token_revoke")
def token_revoke(token_id):
    actor = admin_user()
    if token_id > 2**31 - 1:
        raise NotFound(f"There is no token {token_id}.")
    RevokeForm().validate_on_submit()  # the CSRF token was checked by authenticate() already
    token = identity_admin.revoke_token(token_id, actor=actor)
    flash(
        _(
            "Đã thu hồi mã truy cập «%(name)s» của %(user)s.",
            name=token.name or token.id,
            user=token.user.username,
        ),
        "success",
    )
    return redirect(request.form.get("back") if _safe_back() else url_for("ui.admin_tokens"))


def _safe_back() -> bool:
    back = request.form.get("back", "")
    return back.startswith("/ui/admin/") and "//" not in back and "\\" not in back
