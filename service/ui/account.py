"""One's own account: change the password, see the open sessions, sign out everywhere.

The same operations as POST /api/v1/auth/password, GET /api/v1/auth/sessions and
POST /api/v1/auth/sessions/revoke; the CSRF token of these forms is checked by authenticate().
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField
from wtforms.validators import DataRequired, Length

from .. import uow
from ..errors import ServiceError
from ..identity import sessions
from ..identity.auth import current_session_id, current_user
from . import bp
from .admin import PASSWORD_RULE, REQUIRED
from .pages import fresh_cookie

SESSIONS_SHOWN = 20


class OwnPasswordForm(FlaskForm):
    current_password = PasswordField(
        _l("Mật khẩu hiện tại"), validators=[DataRequired(message=REQUIRED), Length(max=1024)]
    )
    new_password = PasswordField(
        _l("Mật khẩu mới"), validators=[DataRequired(message=REQUIRED), PASSWORD_RULE]
    )
    keep_tokens = BooleanField(_l("Giữ các mã truy cập API của tôi"))


class SignOutForm(FlaskForm):
    """Only the CSRF token."""


@bp.route("/account", methods=["GET", "POST"], endpoint="account")
def account_page():
    user = current_user()
    form = OwnPasswordForm()
    status = 200
    if form.validate_on_submit():
        try:
            sessions.change_password(
                user,
                form.current_password.data,
                form.new_password.data,
                keep_tokens=form.keep_tokens.data,
                keep_session_id=current_session_id(),
            )
        except ServiceError as exc:
            uow.discard()
            if "current_password" in exc.details.get("fields", {}):
                form.current_password.errors.append(_("Mật khẩu hiện tại không đúng."))
            else:
                form.new_password.errors.append(_("Mật khẩu phải có từ 8 đến 1024 ký tự."))
            status = 422
        else:
            flash(_("Đã đổi mật khẩu. Các phiên đăng nhập khác của bạn đã kết thúc."), "success")
            return redirect(url_for("ui.account"))
    elif request.method == "POST":
        status = 422
    live, total = sessions.list_sessions(user.id, current_id=current_session_id(), per_page=SESSIONS_SHOWN)
    page = render_template(
        "ui/account.html",
        form=form,
        sessions=live,
        sessions_total=total,
        sign_out_form=SignOutForm(),
    )
    return page, status


@bp.post("/account/sessions/revoke", endpoint="account_sign_out")
def sign_out_everywhere():
    """End every session of the user, this one included, and go to the login page."""
    user = current_user()
    sessions.sign_out_everywhere(user, actor=user)
    fresh_cookie()
    flash(_("Bạn đã đăng xuất khỏi mọi nơi."), "info")
    return redirect(url_for("ui.login"))
