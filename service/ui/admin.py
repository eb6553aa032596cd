"""Administration: instances, incidents, users, groups, units, tokens, calendar and catalogue.

Every view checks `require_admin` (as the API does). The instance and incident pages act through
the REST API from admin.js (If-Match with the instance version); the other pages are plain HTML
forms posting back to themselves (Flask-WTF, CSRF) and calling the same operations as the API.
A refused form is shown again with what was typed and a message beside each field.
"""

from __future__ import annotations

import math
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, PasswordField, RadioField, SelectField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, Regexp
from wtforms.widgets import CheckboxInput, DateInput, ListWidget

from ..calendar import operations as calendar_ops
from ..definitions.models import ProcessDefinition
from ..errors import ServiceError
from ..extensions import db
from ..identity import operations as identity
from ..identity import schemas as rules
from ..identity import sessions
from ..identity.auth import current_session_id, current_user
from ..identity.models import ApiToken, Group, OrgUnit, User
from ..identity.permissions import require_admin
from ..instances import operations as instances
from ..instances.models import STATES, ProcessInstance
from ..jobs import operations as jobs
from ..jobs.models import FAILED, ServiceCall
from ..procedures import operations as procedures
from . import bp, display

PER_PAGE = 20
INSTANCE_STATES = {
    "running": _l("Đang chạy"),
    "suspended": _l("Đang tạm dừng"),
    "error": _l("Lỗi"),
    "completed": _l("Đã kết thúc"),
    "terminated": _l("Đã hủy"),
}
OVERRIDE_KINDS = {"off": _l("Ngày nghỉ thêm"), "working": _l("Ngày làm việc thêm")}
REQUIRED = _l("Trường này là bắt buộc.")


def _admin():
    user = current_user()
    require_admin(user)
    return user


def _page_number() -> int:
    try:
        return max(1, min(int(request.args.get("page", 1)), 1_000_000))
    except ValueError:
        return 1


def _pages(total: int) -> int:
    return max(1, math.ceil(total / PER_PAGE))


def _active_filter() -> tuple[str, bool | None]:
    """The ?show= filter of the token and catalogue lists: ("active", True), ("inactive", False)
    or ("", None) for all."""
    show = request.args.get("show", "")
    return (show, show == "active") if show in ("active", "inactive") else ("", None)


def _query(**changes) -> dict:
    """The current query string with some values changed (empty values dropped)."""
    args = {**request.args.to_dict(), **changes}
    return {key: value for key, value in args.items() if value not in (None, "") and key != "lang"}


def _place_errors(form, exc: ServiceError, messages: dict) -> bool:
    """Put an operation's refusal beside its fields (in the page's words); False if none fits."""
    fields = (exc.details or {}).get("fields") or {}
    placed = False
    for name in fields:
        if name in form and name in messages:
            form[name].errors = [*form[name].errors, str(messages[name])]
            placed = True
    return placed


def _refused(exc: ServiceError) -> str:
    return _("Không thực hiện được: %(message)s", message=exc.message)


@bp.app_template_global("admin_field_attrs")
def _field_attrs(field, hint=None, required=False) -> dict:
    """aria attributes of a form field: its hint and error messages, invalid, required."""
    ids = [f"{field.id}-hint"] if hint else []
    ids += [f"{field.id}-error-{number}" for number in range(1, len(field.errors) + 1)]
    attrs = {"aria-describedby": " ".join(ids)} if ids else {}
    if field.errors:
        attrs["aria-invalid"] = "true"
    if required:
        attrs["aria-required"] = "true"
    return attrs


@bp.app_template_filter("admin_query")
def _admin_query(changes: dict) -> dict:
    return _query(**changes)


# --- overview ----------------------------------------------------------------------------------


@bp.get("/admin", endpoint="admin")
def overview():
    _admin()
    by_state = dict(
        db.session.execute(
            sa.select(ProcessInstance.state, sa.func.count()).group_by(ProcessInstance.state)
        ).all()
    )
    counts = {
        "running": by_state.get("running", 0),
        "error": by_state.get("error", 0),
        "suspended": by_state.get("suspended", 0),
        "incidents": db.session.scalar(
            sa.select(sa.func.count()).select_from(ServiceCall).where(ServiceCall.state == FAILED)
        ),
        "users": db.session.scalar(
            sa.select(sa.func.count()).select_from(User).where(User.is_active.is_(True))
        ),
    }
    return render_template("ui/admin.html", counts=counts)


# --- instances (actions through the API from admin.js) -----------------------------------------


def _instance_link(instance_id) -> str | None:
    if "ui.instance" in current_app.view_functions:
        return url_for("ui.instance", instance_id=instance_id)
    return None


@bp.get("/admin/instances", endpoint="admin_instances")
def instances_page():
    user = _admin()
    state = request.args.get("state", "")
    state = state if state in STATES else ""
    definition = request.args.get("definition", "").strip()[:255]
    business_key = request.args.get("business_key", "").strip()[:255]
    number = _page_number()
    items, total = instances.search(
        user,
        state=state or None,
        definition_key=definition or None,
        business_key=business_key or None,
        page=number,
        per_page=PER_PAGE,
    )
    rows = [
        {
            "instance": instance,
            "link": _instance_link(instance.id),
            "state_label": str(INSTANCE_STATES.get(instance.state, instance.state)),
            "created": display.local_datetime(instance.created_at),
            "updated": display.local_datetime(instance.updated_at),
            "error": (instance.error or {}).get("message") if instance.error else None,
            "urls": {
                action: url_for(f"instances.instance_{action}", instance_id=instance.id)
                for action in ("suspend", "resume", "terminate", "retry")
            },
        }
        for instance in items
    ]
    definitions = db.session.scalars(
        sa.select(ProcessDefinition.key).distinct().order_by(ProcessDefinition.key)
    ).all()
    return render_template(
        "ui/admin_instances.html",
        rows=rows,
        total=total,
        page=number,
        pages=_pages(total),
        state=state,
        definition=definition,
        business_key=business_key,
        definitions=definitions,
        states=INSTANCE_STATES,
    )


# --- incidents (retry through the API from admin.js) -------------------------------------------


@bp.get("/admin/incidents", endpoint="admin_incidents")
def incidents_page():
    _admin()
    number = _page_number()
    items, total = jobs.incidents(number, PER_PAGE)
    rows = [
        {
            "call": call,
            "link": _instance_link(call.instance_id),
            "updated": display.local_datetime(call.updated_at),
            "retry_url": url_for("incidents.retry", incident_id=call.id),
        }
        for call in items
    ]
    return render_template(
        "ui/admin_incidents.html", rows=rows, total=total, page=number, pages=_pages(total)
    )


# --- users -------------------------------------------------------------------------------------


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _select(pairs) -> list[SelectChoice]:
    """wtforms' options from (value, label) pairs (tuples are deprecated in wtforms 3.3)."""
    return [SelectChoice(value, label) for value, label in pairs]


def _group_choices() -> list[tuple[str, str]]:
    return [(name, name) for name in db.session.scalars(sa.select(Group.name).order_by(Group.name))]


def _unit_choices() -> list[tuple[str, str]]:
    units = db.session.execute(sa.select(OrgUnit.code, OrgUnit.name).order_by(OrgUnit.code)).all()
    return [("", _("(không thuộc đơn vị nào)"))] + [
        (code, f"{code}{display.DASH}{name}") for code, name in units
    ]


PASSWORD_RULE = Length(min=rules.MIN_PASSWORD, max=1024, message=_l("Mật khẩu phải có từ 8 đến 1024 ký tự."))


class UserEditForm(FlaskForm):
    display_name = StringField(
        _l("Họ và tên"), validators=[Optional(), Length(max=255, message=_l("Tối đa 255 ký tự."))]
    )
    unit = SelectField(_l("Đơn vị"), validate_choice=False)
    groups = MultiCheckboxField(_l("Nhóm"), validate_choice=False)
    is_active = BooleanField(_l("Đang hoạt động"))
    is_admin = BooleanField(_l("Quản trị viên"))

    def fill_choices(self):
        self.unit.choices = _select(_unit_choices())
        self.groups.choices = _select(_group_choices())
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
    actor = _admin()
    form = UserCreateForm().fill_choices()
    if request.method == "GET":
        form.is_active.data = True
    status = 200
    if form.validate_on_submit():
        try:
            user = identity.admin_create_user(
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
            db.session.rollback()
            form.fill_choices()
            if not _place_errors(form, exc, USER_MESSAGES):
                form.form_errors.append(_refused(exc))
            status = 422
        else:
            flash(_("Đã tạo người dùng «%(name)s».", name=user.username), "success")
            return redirect(url_for("ui.admin_users", q=user.username))
    elif request.method == "POST":
        status = 422
    filters = _user_filters()
    number = _page_number()
    active = {"yes": True, "no": False}.get(filters["active"])
    items, total = identity.search_users(
        q=filters["q"] or None,
        group=filters["group"] or None,
        unit=filters["unit"] or None,
        active=active,
        page=number,
        per_page=PER_PAGE,
    )
    return (
        render_template(
            "ui/admin_users.html",
            form=form,
            users=items,
            total=total,
            page=number,
            pages=_pages(total),
            filters=filters,
            groups=[name for name, _label in _group_choices()],
            units=_unit_choices()[1:],
        ),
        status,
    )


def _find_user(username: str) -> User:
    from ..errors import NotFound

    user = db.session.scalar(sa.select(User).where(User.username == username))
    if user is None:
        raise NotFound(f"No user named {username!r}.")
    return user


def _render_user(user, form, password_form, status=200):
    tokens = db.session.scalars(
        sa.select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.created_at.desc())
    ).all()
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
    actor = _admin()
    user = _find_user(username)
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
            identity.update_user(
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
            db.session.rollback()
            user = _find_user(username)
            form.fill_choices()
            if not _place_errors(form, exc, USER_MESSAGES):
                form.form_errors.append(_refused(exc))
            return _render_user(user, form, PasswordForm(formdata=None), 422)
        flash(_("Đã lưu thay đổi của «%(name)s».", name=user.username), "success")
        return redirect(url_for("ui.admin_user", username=user.username))
    return _render_user(user, form, PasswordForm(formdata=None), 422)


@bp.post("/admin/users/<string:username>/password", endpoint="admin_user_password")
def user_password(username):
    actor = _admin()
    user = _find_user(username)
    form = PasswordForm()
    if form.validate_on_submit():
        identity.set_password(
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
    actor = _admin()
    user = _find_user(username)
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
    actor = _admin()
    form = GroupForm()
    status = 200
    if form.validate_on_submit():
        try:
            group = identity.create_group(form.name.data, form.description.data, actor=actor)
        except ServiceError as exc:
            db.session.rollback()
            if not _place_errors(form, exc, {"name": _l("Đã có nhóm tên này.")}):
                form.form_errors.append(_refused(exc))
            status = 422
        else:
            flash(_("Đã tạo nhóm «%(name)s».", name=group.name), "success")
            return redirect(url_for("ui.admin_groups"))
    elif request.method == "POST":
        status = 422
    number = _page_number()
    items, total = identity.list_groups(page=number, per_page=PER_PAGE)
    return (
        render_template(
            "ui/admin_groups.html", form=form, groups=items, total=total, page=number, pages=_pages(total)
        ),
        status,
    )


# --- units -------------------------------------------------------------------------------------

NATIONAL_CODE_RULE = Regexp(
    rules.NATIONAL_CODE, message=_l("Mã định danh có dạng 000.17.22.H56 (TT 10/2016/TT-BTTTT).")
)
UNIT_MESSAGES = {
    "code": _l("Đã có đơn vị mang mã này."),
    "national_code": _l("Mã định danh này đã được dùng cho đơn vị khác."),
}


class UnitEditForm(FlaskForm):
    name = StringField(
        _l("Tên đơn vị"),
        validators=[DataRequired(message=REQUIRED), Length(max=255, message=_l("Tối đa 255 ký tự."))],
    )
    national_code = StringField(_l("Mã định danh"), validators=[Optional(), NATIONAL_CODE_RULE])


class UnitForm(UnitEditForm):
    code = StringField(
        _l("Mã đơn vị"),
        validators=[
            DataRequired(message=REQUIRED),
            Regexp(rules.UNIT_CODE, message=_l("Chỉ dùng chữ không dấu, chữ số và . _ - (tối đa 64 ký tự).")),
        ],
    )


def _units_page(form, edit_form=None, editing=None, status=200):
    number = _page_number()
    items, total = identity.list_units(page=number, per_page=PER_PAGE)
    return (
        render_template(
            "ui/admin_units.html",
            form=form,
            edit_form=edit_form,
            editing=editing,
            units=items,
            total=total,
            page=number,
            pages=_pages(total),
        ),
        status,
    )


@bp.route("/admin/units", methods=["GET", "POST"], endpoint="admin_units")
def units_page():
    actor = _admin()
    form = UnitForm()
    if form.validate_on_submit():
        try:
            unit = identity.create_unit(
                form.code.data, form.name.data, (form.national_code.data or "").strip() or None, actor=actor
            )
        except ServiceError as exc:
            db.session.rollback()
            if not _place_errors(form, exc, UNIT_MESSAGES):
                form.form_errors.append(_refused(exc))
            return _units_page(form, status=422)
        flash(_("Đã tạo đơn vị «%(name)s».", name=unit.name), "success")
        return redirect(url_for("ui.admin_units"))
    return _units_page(form, status=422 if request.method == "POST" else 200)


@bp.route("/admin/units/<string:code>", methods=["GET", "POST"], endpoint="admin_unit")
def unit_page(code):
    actor = _admin()
    unit = identity.find_unit(code)
    if request.method == "GET":
        edit = UnitEditForm(data={"name": unit.name, "national_code": unit.national_code or ""})
        return _units_page(UnitForm(formdata=None), edit, unit)
    edit = UnitEditForm()
    if edit.validate_on_submit():
        try:
            identity.update_unit(
                unit,
                {"name": edit.name.data, "national_code": (edit.national_code.data or "").strip() or None},
                actor=actor,
            )
        except ServiceError as exc:
            db.session.rollback()
            unit = identity.find_unit(code)
            if not _place_errors(edit, exc, UNIT_MESSAGES):
                edit.form_errors.append(_refused(exc))
            return _units_page(UnitForm(formdata=None), edit, unit, 422)
        flash(_("Đã lưu đơn vị «%(name)s».", name=unit.name), "success")
        return redirect(url_for("ui.admin_units"))
    return _units_page(UnitForm(formdata=None), edit, unit, 422)


# --- tokens ------------------------------------------------------------------------------------


def _parse_day(field, message):
    """A YYYY-MM-DD field (input type=date) as a date; None (and an error on the field) if not."""
    text = (field.data or "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        field.errors = [*field.errors, str(message)]
        return None


class TokenForm(FlaskForm):
    user = SelectField(
        _l("Cấp cho người dùng"), validate_choice=False, validators=[DataRequired(message=REQUIRED)]
    )
    name = StringField(
        _l("Tên gợi nhớ"), validators=[Optional(), Length(max=128, message=_l("Tối đa 128 ký tự."))]
    )
    expires_on = StringField(_l("Dùng được đến hết ngày"), widget=DateInput(), validators=[Optional()])

    def fill_choices(self):
        users = db.session.scalars(
            sa.select(User.username).where(User.is_active.is_(True)).order_by(User.username)
        ).all()
        self.user.choices = _select([("", _("— chọn người dùng —"))] + [(name, name) for name in users])
        return self


class RevokeForm(FlaskForm):
    """Only the CSRF token: revoking needs nothing else."""


@bp.route("/admin/tokens", methods=["GET", "POST"], endpoint="admin_tokens")
def tokens_page():
    actor = _admin()
    form = TokenForm().fill_choices()
    issued = None
    status = 200
    if form.validate_on_submit():
        day = _parse_day(form.expires_on, _l("Ngày không hợp lệ."))
        expires_at = None
        if day is not None:
            zone = ZoneInfo(current_app.config["MOTCUA_TIMEZONE"])
            expires_at = datetime.combine(day + timedelta(days=1), time(), tzinfo=zone)
        if not form.expires_on.errors:
            try:
                token, secret = identity.issue_token(
                    form.user.data, name=form.name.data, expires_at=expires_at, actor=actor
                )
            except ServiceError as exc:
                db.session.rollback()
                form.fill_choices()
                messages = {
                    "user": _l("Người dùng không tồn tại hoặc đã bị khóa."),
                    "expires_at": _l("Ngày hết hạn phải sau hôm nay."),
                }
                fields = (exc.details or {}).get("fields") or {}
                if "expires_at" in fields:
                    form.expires_on.errors = [*form.expires_on.errors, str(messages["expires_at"])]
                elif not _place_errors(form, exc, messages):
                    form.form_errors.append(_refused(exc))
                status = 422
            else:
                issued = {"secret": secret, "user": token.user.username, "name": token.name}
                form = TokenForm(formdata=None).fill_choices()
        else:
            status = 422
    elif request.method == "POST":
        status = 422
    user_filter = request.args.get("user", "").strip()[:128]
    show, active = _active_filter()
    number = _page_number()
    items, total = identity.search_tokens(
        user=user_filter or None,
        active=active,
        page=number,
        per_page=PER_PAGE,
    )
    return (
        render_template(
            "ui/admin_tokens.html",
            form=form,
            revoke_form=RevokeForm(formdata=None),
            issued=issued,
            tokens=[
                {
                    "token": token,
                    "created": display.local_datetime(token.created_at),
                    "expires": display.local_datetime(token.expires_at),
                    "revoked": display.local_datetime(token.revoked_at),
                    "expired": token.expires_at is not None and token.expires_at <= _now(),
                }
                for token in items
            ],
            total=total,
            page=number,
            pages=_pages(total),
            user_filter=user_filter,
            show=show,
        ),
        status,
    )


def _now():
    from ..models_base import utcnow

    return utcnow()


@bp.post("/admin/tokens/<int:token_id>/revoke", endpoint="admin_token_revoke")
def token_revoke(token_id):
    actor = _admin()
    if token_id > 2**31 - 1:
        from ..errors import NotFound

        raise NotFound(f"There is no token {token_id}.")
    RevokeForm().validate_on_submit()  # the CSRF token was checked by authenticate() already
    token = identity.revoke_token(token_id, actor=actor)
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


# --- calendar ----------------------------------------------------------------------------------


class OverrideForm(FlaskForm):
    day = StringField(_l("Ngày"), widget=DateInput(), validators=[DataRequired(message=REQUIRED)])
    kind = RadioField(
        _l("Loại điều chỉnh"),
        choices=_select(OVERRIDE_KINDS.items()),
        validate_choice=False,
        validators=[DataRequired(message=_l("Hãy chọn loại điều chỉnh."))],
    )
    note = StringField(
        _l("Lý do"),
        validators=[DataRequired(message=REQUIRED), Length(max=255, message=_l("Tối đa 255 ký tự."))],
    )


def _year() -> int:
    today = datetime.now(ZoneInfo(current_app.config["MOTCUA_TIMEZONE"])).date()
    try:
        year = int(request.args.get("year", today.year))
    except ValueError:
        return today.year
    return year if 1900 <= year <= 2200 else today.year


def _working_days(cal, year: int) -> int:
    day, end, count = date(year, 1, 1), date(year, 12, 31), 0
    while day <= end:
        count += cal.is_working_day(day)
        day += timedelta(days=1)
    return count


def _calendar_page(form, year: int, status=200):
    cal = calendar_ops.calendar()
    plain = calendar_ops.build(current_app.config)
    overrides = calendar_ops.list_overrides(year)
    rows = [
        {
            "override": override,
            "label": str(OVERRIDE_KINDS.get(override.kind, override.kind)),
            "changes": plain.is_working_day(override.day) != (override.kind == "working"),
        }
        for override in overrides
    ]
    return (
        render_template(
            "ui/admin_calendar.html",
            form=form,
            year=year,
            rows=rows,
            holidays=cal.public_holidays(year),
            makeup=cal.makeup_working_days(year),
            working_days=_working_days(cal, year),
            plain_working_days=_working_days(plain, year),
            remove_form=RevokeForm(formdata=None),
        ),
        status,
    )


@bp.route("/admin/calendar", methods=["GET", "POST"], endpoint="admin_calendar")
def calendar_page():
    actor = _admin()
    form = OverrideForm()
    year = _year()
    if form.validate_on_submit():
        day = _parse_day(form.day, _l("Ngày không hợp lệ."))
        if form.kind.data not in OVERRIDE_KINDS:
            form.kind.errors = [*form.kind.errors, str(_l("Hãy chọn loại điều chỉnh."))]
        if day is not None and not form.kind.errors:
            try:
                calendar_ops.add_override(day, form.kind.data, form.note.data.strip(), actor=actor)
            except ServiceError as exc:
                db.session.rollback()
                if exc.status == 409:
                    form.day.errors = [
                        *form.day.errors,
                        _("Ngày này đã có điều chỉnh; hãy xóa điều chỉnh cũ trước."),
                    ]
                else:
                    form.form_errors.append(_refused(exc))
                return _calendar_page(form, day.year, 422)
            flash(_("Đã thêm điều chỉnh cho ngày %(day)s.", day=day.strftime("%d/%m/%Y")), "success")
            return redirect(url_for("ui.admin_calendar", year=day.year))
        return _calendar_page(form, day.year if day else year, 422)
    return _calendar_page(form, year, 422 if request.method == "POST" else 200)


@bp.post("/admin/calendar/<string:day>/remove", endpoint="admin_calendar_remove")
def calendar_remove(day):
    actor = _admin()
    try:
        parsed = date.fromisoformat(day)
    except ValueError:
        from ..errors import NotFound

        raise NotFound(f"{day} is not a day.") from None
    calendar_ops.remove_override(parsed, actor=actor)
    flash(_("Đã xóa điều chỉnh của ngày %(day)s.", day=parsed.strftime("%d/%m/%Y")), "success")
    return redirect(url_for("ui.admin_calendar", year=parsed.year))


# --- procedure catalogue -----------------------------------------------------------------------


class UploadForm(FlaskForm):
    file = FileField(_l("Tệp danh mục (.json hoặc .csv)"))


@bp.route("/admin/procedures", methods=["GET", "POST"], endpoint="admin_procedures")
def procedures_page():
    _admin()
    form = UploadForm()
    status = 200
    if form.validate_on_submit():
        upload = form.file.data
        if upload is None or not upload.filename:
            form.file.errors = [*form.file.errors, str(REQUIRED)]
            status = 422
        else:
            data = upload.stream.read(procedures.MAX_CATALOGUE_BYTES + 1)
            try:
                created, updated = procedures.load_upload(data, upload.filename)
            except ServiceError as exc:
                db.session.rollback()
                form.file.errors = [*form.file.errors, _catalogue_error(exc)]
                status = 422
            else:
                flash(
                    _(
                        "Đã nạp danh mục: %(created)d thủ tục mới, %(updated)d thủ tục cập nhật.",
                        created=created,
                        updated=updated,
                    ),
                    "success",
                )
                return redirect(url_for("ui.admin_procedures"))
    elif request.method == "POST":
        status = 422
    q = request.args.get("q", "").strip()[:255]
    show, active = _active_filter()
    number = _page_number()
    items, total = procedures.search(
        q=q or None,
        active=active,
        page=number,
        per_page=PER_PAGE,
    )
    return (
        render_template(
            "ui/admin_procedures.html",
            form=form,
            procedures=items,
            total=total,
            page=number,
            pages=_pages(total),
            q=q,
            show=show,
            limit_mb=procedures.MAX_CATALOGUE_BYTES // (1024 * 1024),
        ),
        status,
    )


def _catalogue_error(exc: ServiceError) -> str:
    details = exc.details or {}
    if exc.status == 413:
        return _("Tệp lớn hơn %(mb)d MB.", mb=procedures.MAX_CATALOGUE_BYTES // (1024 * 1024))
    if "record" in details:
        fields = details.get("fields") or {}
        names = ", ".join(sorted(fields)) if isinstance(fields, dict) else ""
        return _(
            "Bản ghi số %(number)d không hợp lệ (trường: %(fields)s). Không có thủ tục nào được nạp.",
            number=details["record"],
            fields=names or "—",
        )
    if "filename" in details:
        return _("Hãy chọn tệp .json hoặc .csv.")
    if (details.get("fields") or {}).get("file"):
        return _("Tệp phải là văn bản UTF-8.")
    return _("Không đọc được tệp: %(message)s", message=exc.message)


@bp.get("/admin/procedures/<string:code>", endpoint="admin_procedure")
def procedure_page(code):
    _admin()
    procedure = procedures.get(code)
    return render_template(
        "ui/admin_procedure.html",
        procedure=procedure,
        toggle_form=RevokeForm(formdata=None),
        updated=display.local_datetime(procedure.updated_at),
    )


@bp.post("/admin/procedures/<string:code>/active", endpoint="admin_procedure_active")
def procedure_active(code):
    _admin()
    procedure = procedures.get(code)
    active = request.form.get("active") == "1"
    procedures.update(procedure, {"active": active})
    message = (
        _("Đã đưa thủ tục %(code)s vào sử dụng.", code=procedure.code)
        if active
        else _("Đã ngừng tiếp nhận thủ tục %(code)s.", code=procedure.code)
    )
    flash(message, "success")
    return redirect(url_for("ui.admin_procedure", code=procedure.code))
