"""The people: users (with their tokens and sessions) and groups (the org units: units.py)."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from ... import uow
from ...errors import ServiceError
from ...identity import admin as identity_admin
from ...identity import operations as identity
from ...identity import queries as identity_reads
from ...identity import schemas as rules
from ...identity import sessions
from ...identity.auth import current_session_id
from .. import bp, display
from .common import (
    PASSWORD_RULE,
    PER_PAGE,
    REQUIRED,
    MultiCheckboxField,
    RevokeForm,
    admin_user,
    list_page,
    place_errors,
    refused,
    select,
)


def _group_choices() -> list[tuple[str, str]]:
    """(name, the group's description, else its name): people know groups by their words."""
    names = identity_reads.group_names()
    return list(zip(names, identity_reads.group_labels(names), strict=True))


def _unit_choices() -> list[tuple[str, str]]:
    units = identity_reads.units()
    return [("", _("(không thuộc đơn vị nào)"))] + [(code, name or code) for code, name in units]


class UserEditForm(FlaskForm):
    display_name = StringField(
        _l("Họ và tên"), validators=[Optional(), Length(max=255, message=_l("Tối đa 255 ký tự."))]
    )
    unit = SelectField(_l("Đơn vị"), validate_choice=False)
    groups = MultiCheckboxField(_l("Nhóm"), validate_choice=False)
    is_active = BooleanField(_l("Đang hoạt động"))
    is_admin = BooleanField(_l("Quản trị viên"))

    def fill_choices(self):
        self.unit.choices = select(_unit_choices())
        self.groups.choices = select(_group_choices())
        return self


class UserCreateForm(UserEditForm):
    username = StringField(
        _l("Tên đăng nhập"),
        validators=[
            DataRequired(message=REQUIRED),
            Regexp(
                rules.USERNAME,
                message=_l("Chỉ dùng chữ không dấu, chữ số và . _ @ - (tối đa 128 ký tự)."),
            ),
        ],
    )
    password = PasswordField(_l("Mật khẩu"), validators=[DataRequired(message=REQUIRED), PASSWORD_RULE])


class PasswordForm(FlaskForm):
    password = PasswordField(_l("Mật khẩu mới"), validators=[DataRequired(message=REQUIRED), PASSWORD_RULE])
    keep_tokens = BooleanField(_l("Giữ các mã truy cập API của người này"))


USER_MESSAGES = {
    "username": _l("Tên đăng nhập này đã được dùng."),
    "groups": _l("Có nhóm không còn tồn tại; hãy tải lại trang."),
    "unit": _l("Đơn vị không còn tồn tại; hãy tải lại trang."),
    "is_active": _l("Bạn không thể tự khóa tài khoản của mình."),
    "is_admin": _l("Bạn không thể tự bỏ quyền quản trị của mình."),
    "password": _l("Mật khẩu phải có từ 8 đến 1024 ký tự."),
}


def _user_filters() -> dict:
    active = request.args.get("active", "")
    return {
        "q": request.args.get("q", "").strip()[:128],
        "group": request.args.get("group", "").strip()[:128],
        "unit": request.args.get("unit", "").strip()[:64],
        "active": active if active in ("yes", "no") else "",
    }


@bp.route("/admin/users", methods=["GET", "POST"], endpoint="admin_users")
def users_page():
    actor = admin_user()
    form = UserCreateForm().fill_choices()
    if request.method == "GET":
        form.is_active.data = True
    status = 200
    if form.validate_on_submit():
        try:
            user = identity_admin.admin_create_user(
                {
                    "username": form.username.data.strip(),
                    "password": form.password.data,
                    "display_name": form.display_name.data,
                    "groups": form.groups.data or [],
                    "unit": form.unit.data or None,
                    "is_admin": form.is_admin.data,
                },
                actor=actor,
            )
        except ServiceError as exc:
            uow.discard()
            form.fill_choices()
            if not place_errors(form, exc, USER_MESSAGES):
                form.form_errors.append(refused(exc))
            status = 422
        else:
            flash(_("Đã tạo người dùng «%(name)s».", name=user.username), "success")
            return redirect(url_for("ui.admin_users", q=user.username))
    elif request.method == "POST":
        status = 422
    filters = _user_filters()
    active = {"yes": True, "no": False}.get(filters["active"])
    return list_page(
        "ui/admin_users.html",
        lambda page, per_page: identity_reads.search_users(
            q=filters["q"] or None,
            group=filters["group"] or None,
            unit=filters["unit"] or None,
            active=active,
            page=page,
            per_page=per_page,
        ),
        name="users",
        status=status,
        form=form,
        filters=filters,
        groups=_group_choices(),
        units=_unit_choices()[1:],
    )


def _render_user(user, form, password_form, status=200):
    tokens = identity_reads.tokens_of(user.id)
    live, live_total = sessions.list_sessions(user.id, current_id=current_session_id(), per_page=PER_PAGE)
    return (
        render_template(
            "ui/admin_user.html",
            subject=user,
            form=form,
            password_form=password_form,
            tokens=tokens,
            sessions=live,
            sessions_total=live_total,
            sign_out_form=RevokeForm(),
            created=display.local_datetime(user.created_at),
        ),
        status,
    )


@bp.route("/admin/users/<string:username>", methods=["GET", "POST"], endpoint="admin_user")
def user_page(username):
    actor = admin_user()
    user = identity.find_user(username)
    if request.method == "GET":
        form = UserEditForm(
            data={
                "display_name": user.display_name,
                "unit": user.org_unit.code if user.org_unit else "",
                "groups": [g.name for g in user.groups],
                "is_active": user.is_active,
                "is_admin": user.is_admin,
            }
        ).fill_choices()
        return _render_user(user, form, PasswordForm())
    form = UserEditForm().fill_choices()
    if form.validate_on_submit():
        try:
            identity_admin.update_user(
                user,
                {
                    "display_name": form.display_name.data,
                    "groups": form.groups.data or [],
                    "unit": form.unit.data or None,
                    "is_active": form.is_active.data,
                    "is_admin": form.is_admin.data,
                },
                actor=actor,
            )
        except ServiceError as exc:
            uow.discard()
            user = identity.find_user(username)
            form.fill_choices()
            if not place_errors(form, exc, USER_MESSAGES):
                form.form_errors.append(refused(exc))
            return _render_user(user, form, PasswordForm(formdata=None), 422)
        flash(_("Đã lưu thay đổi của «%(name)s».", name=user.username), "success")
        return redirect(url_for("ui.admin_user", username=user.username))
    return _render_user(user, form, PasswordForm(formdata=None), 422)


@bp.post("/admin/users/<string:username>/password", endpoint="admin_user_password")
def user_password(username):
    actor = admin_user()
    user = identity.find_user(username)
    form = PasswordForm()
    if form.validate_on_submit():
        identity_admin.set_password(
            user,
            form.password.data,
            actor=actor,
            keep_tokens=form.keep_tokens.data,
            keep_session_id=current_session_id(),
        )
        flash(_("Đã đặt mật khẩu mới cho «%(name)s».", name=user.username), "success")
        return redirect(url_for("ui.admin_user", username=user.username))
    edit = UserEditForm(
        formdata=None,
        data={
            "display_name": user.display_name,
            "unit": user.org_unit.code if user.org_unit else "",
            "groups": [g.name for g in user.groups],
            "is_active": user.is_active,
            "is_admin": user.is_admin,
        },
    ).fill_choices()
    return _render_user(user, edit, form, 422)


@bp.post("/admin/users/<string:username>/sessions/revoke", endpoint="admin_user_sessions_revoke")
def user_sessions_revoke(username):
    """Sign the user out everywhere (as POST /api/v1/users/{username}/sessions/revoke)."""
    actor = admin_user()
    user = identity.find_user(username)
    RevokeForm().validate_on_submit()  # the CSRF token was checked by authenticate() already
    ended = sessions.sign_out_everywhere(user, actor=actor)
    flash(
        _("Đã đăng xuất «%(name)s» khỏi %(count)d phiên.", name=user.username, count=ended["sessions"]),
        "success",
    )
    return redirect(url_for("ui.admin_user", username=user.username))


# --- groups ------------------------------------------------------------------------------------


class GroupForm(FlaskForm):
    name = StringField(
        _l("Tên nhóm"),
        validators=[
            DataRequired(message=REQUIRED),
            Regexp(
                rules.GROUP_NAME, message=_l("Chỉ dùng chữ không dấu, chữ số và . _ - (tối đa 128 ký tự).")
            ),
        ],
    )
    description = StringField(
        _l("Mô tả"), validators=[Optional(), Length(max=255, message=_l("Tối đa 255 ký tự."))]
    )


@bp.route("/admin/groups", methods=["GET", "POST"], endpoint="admin_groups")
def groups_page():
    actor = admin_user()
    form = GroupForm()
    status = 200
    if form.validate_on_submit():
        try:
            group = identity_admin.create_group(form.name.data, form.description.data, actor=actor)
        except ServiceError as exc:
            uow.discard()
            if not place_errors(form, exc, {"name": _l("Đã có nhóm tên này.")}):
                form.form_errors.append(refused(exc))
            status = 422
        else:
            flash(_("Đã tạo nhóm «%(name)s».", name=group.name), "success")
            return redirect(url_for("ui.admin_groups"))
    elif request.method == "POST":
        status = 422
    return list_page(
        "ui/admin_groups.html",
        lambda page, per_page: identity_reads.list_groups(page=page, per_page=per_page),
        name="groups",
        status=status,
        form=form,
    )
