"""One's own account: change the password, see the open sessions, sign out everywhere.

The same operations as POST /api/v1/auth/password, GET /api/v1/auth/sessions and
POST /api/v1/auth/sessions/revoke; the CSRF token of these forms is checked by authenticate().
"""

from __future__ import annotations

import math

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField
from wtforms.validators import DataRequired, Length

from .. import uow
from ..errors import ServiceError, TooManyRequests
from ..identity import sessions, throttle
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


def _too_many(seconds: float) -> str:
    minutes = max(1, math.ceil(seconds / 60))
    return _(
        "Bạn đã nhập sai mật khẩu quá nhiều lần. Vui lòng thử lại sau %(minutes)d phút.", minutes=minutes
    )


@bp.route("/account", methods=["GET", "POST"], endpoint="account")
def account_page():
    user = current_user()
    form = OwnPasswordForm()
    status = 200
    if form.validate_on_submit():
        counter = throttle.key(throttle.PASSWORD, user.username, request.remote_addr)
        try:
            throttle.refuse_if_blocked(counter)
            sessions.change_password(
                user,
                form.current_password.data,
                form.new_password.data,
                keep_tokens=form.keep_tokens.data,
                keep_session_id=current_session_id(),
            )
        except TooManyRequests as exc:
            form.current_password.errors.append(_too_many(exc.retry_after))
            status = 429
        except ServiceError as exc:
            uow.discard()
            status = 422
            if "current_password" not in exc.details.get("fields", {}):
                form.new_password.errors.append(_("Mật khẩu phải có từ 8 đến 1024 ký tự."))
            elif wait := throttle.for_app().failure(counter):  # this guess started a block
                form.current_password.errors.append(_too_many(wait))
                status = 429
            else:
                form.current_password.errors.append(_("Mật khẩu hiện tại không đúng."))
        else:
            throttle.for_app().success(counter)
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
