"""The web application for clerks, approvers and process designers: server-rendered pages under /ui.

Pages are Jinja2 templates; a little vanilla JavaScript calls the REST API with the session cookie
and the CSRF token header. Register with `app.register_blueprint(bp)` (it installs Flask-Babel on
the app); its public endpoints are PUBLIC_ENDPOINTS.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    g,
    redirect,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from ..definitions.permissions import is_designer
from ..dossiers.permissions import RECEPTION_GROUP
from ..errors import ServiceError, Unauthorized
from ..identity.operations import unit_name
from ..reports.indicator_permissions import may_see_some
from . import error_pages, i18n, vendor

bp = Blueprint("ui", __name__, url_prefix="/ui", template_folder="templates", static_folder="static")

# Endpoints that must be reachable without a session (add them to auth.PUBLIC_ENDPOINTS).
PUBLIC_ENDPOINTS = frozenset({"ui.login", "ui.static", "ui.vendor", "favicon"})

# The navigation: (endpoint, label, shown to: "all", "reception", "designers", "reports" (those who
# may see some unit's indicators: reports/indicator_permissions.py) or "admins").
NAV = (
    ("ui.worklist", _l("Công việc"), "all"),
    ("ui.reception", _l("Tiếp nhận"), "reception"),
    ("ui.dossiers", _l("Hồ sơ"), "all"),
    ("ui.reports", _l("Báo cáo"), "all"),
    ("ui.calendar", _l("Lịch làm việc"), "all"),
    ("ui.designer", _l("Thiết kế quy trình"), "designers"),
    ("ui.admin", _l("Quản trị"), "admins"),
)
# Pages that belong to a navigation entry besides its own endpoint and `<endpoint>_*`.
SECTIONS = {
    "ui.worklist": {"ui.task_page", "ui.task_done"},
    "ui.dossiers": {"ui.dossier", "ui.instance"},
    # The reports: the dashboard (QĐ 766), the published late list and the heatmap link to each other.
    "ui.reports": {"ui.dashboard", "ui.late_list", "ui.heatmap"},
}


def in_section(endpoint: str, current: str | None) -> bool:
    """Whether the page being shown belongs to a navigation entry (to mark it as current)."""
    if not current:
        return False
    return current == endpoint or current.startswith(endpoint + "_") or current in SECTIONS.get(endpoint, ())


def shown_to(user, audience: str) -> bool:
    """Whether a navigation entry is for this user (the pages check permissions themselves)."""
    if user is None:
        return False
    if audience == "all" or user.is_admin:
        return True
    if audience == "designers":
        return is_designer(user)
    if audience == "reception":
        return RECEPTION_GROUP in user.group_names
    if audience == "reports":
        return may_see_some(user)
    return False


@bp.record_once
def _setup(state) -> None:
    app = state.app
    i18n.init_app(app)
    error_pages.init_app(app)
    # Browsers ask every site for /favicon.ico (a slip, a PDF, a page): the pages' icon, never a 404.
    app.add_url_rule("/favicon.ico", "favicon", _favicon)


def _favicon():
    return send_from_directory(bp.static_folder, "img/favicon.svg", mimetype="image/svg+xml", max_age=86400)


def safe_next(target: str | None) -> str:
    """Where to go after logging in: a page of this blueprint, never another site."""
    default = url_for("ui.worklist")
    if not target:
        return default
    parts = urlsplit(target)
    if (
        parts.scheme
        or parts.netloc
        or not parts.path.startswith(bp.url_prefix + "/")
        or "\\" in target
        or ".." in parts.path.split("/")
    ):
        return default
    return target


def login_redirect():
    next_url = request.full_path if request.method == "GET" else None
    next_url = next_url.removesuffix("?") if next_url else None
    return redirect(url_for("ui.login", next=next_url))


bp.before_request(i18n.remember_choice)


@bp.after_request
def _headers(response):
    security_headers(response)
    if request.endpoint not in {"ui.static", "ui.vendor"}:
        response.headers["Cache-Control"] = "no-store"
    return response


def security_headers(response):
    """The pages' Content-Security-Policy and companions (also on the HTML error pages of
    error_pages.py)."""
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
        "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
    )
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    return response


def _error_page(status: int, message: str):
    return render_template("ui/error.html", status=status, message=message), status


@bp.errorhandler(Unauthorized)
def _unauthenticated(exc):
    # Raised by the API's authenticate() hook (before any of these views) when there is no session.
    i18n.remember_choice()
    return login_redirect()


@bp.errorhandler(CSRFError)
def _csrf(exc):
    return _error_page(
        400, _("Phiên làm việc đã hết hạn hoặc biểu mẫu không hợp lệ. Vui lòng tải lại trang.")
    )


@bp.errorhandler(ServiceError)
def _service_error(exc):
    messages = {
        403: _("Bạn không có quyền xem trang này."),
        404: _("Không tìm thấy trang hoặc công việc này."),
    }
    return _error_page(exc.status, messages.get(exc.status, exc.message))


@bp.errorhandler(HTTPException)
def _http_error(exc):
    status = exc.code or 500
    if status == 404:
        return _error_page(404, _("Không tìm thấy trang hoặc công việc này."))
    return _error_page(status, exc.description or exc.name)


@bp.errorhandler(Exception)
def _unexpected(exc):
    current_app.logger.exception("unhandled error on a page")
    return _error_page(500, _("Đã có lỗi không mong muốn; lỗi đã được ghi lại."))


@bp.app_template_filter("ui_datetime")
def _ui_datetime(moment):
    from .display import local_datetime

    return local_datetime(moment)


@bp.app_template_filter("word")
def _word(text):
    """A word of a form or process model (a step's name, instructions) in the page's language."""
    from .words import word

    return word(text)


@bp.app_template_filter("person")
def _person(user, username=None):
    from .display import person

    return person(user, username)


@bp.app_template_filter("group_names")
def _group_names(names) -> str:
    """Candidate groups by their Vietnamese descriptions, joined with commas."""
    from ..identity.queries import group_labels

    return ", ".join(group_labels(list(names or [])))


def js_strings() -> dict[str, str]:
    """The words the scripts show, in the page's language ({0}, {message}: filled in by the script)."""
    return {
        "claimed": _("Đã nhận việc. Công việc nằm trong «Việc của tôi»."),
        "unclaimed": _("Đã trả việc về nhóm."),
        "failed": _("Không thực hiện được: {message}"),
        "network": _("Không kết nối được với máy chủ. Vui lòng thử lại."),
        "session_expired": _("Phiên làm việc đã hết hạn. Vui lòng đăng nhập lại."),
        "sending": _("Đang gửi…"),
        "form_invalid": _("Biểu mẫu chưa hợp lệ. Vui lòng sửa các trường được đánh dấu:"),
        "editor_missing": _("Không tải được thư viện biểu mẫu. Quản trị viên cần chạy “make setup”."),
        "required": _("Trường này là bắt buộc."),
        "button_add": _("Thêm"),
        "button_delete": _("Xóa"),
        "button_delete_all": _("Xóa tất cả"),
        "button_move_up": _("Lên"),
        "button_move_down": _("Xuống"),
        "item": _("mục"),
    }


@bp.context_processor
def _context() -> dict:
    return page_context()


def page_context() -> dict:
    """What base.html needs: the user, the navigation, the languages, the scripts' words."""
    user = g.get("user")
    nav = [
        (endpoint, label, in_section(endpoint, request.endpoint))
        for endpoint, label, audience in NAV
        if endpoint in current_app.view_functions and shown_to(user, audience)
    ]
    # The language links lead back to this page (or, after a POST, to a page one can GET).
    if request.method == "GET" and request.endpoint:
        endpoint, args = request.endpoint, {**(request.view_args or {}), **request.args.to_dict()}
    else:
        endpoint, args = ("ui.worklist" if user is not None else "ui.login"), {}
    languages = [
        (code, name, url_for(endpoint, **{**args, "lang": code})) for code, name in i18n.LANGUAGES.items()
    ]
    return {
        "user": user,
        "unit_name": unit_name(user.unit) if user is not None else None,
        "nav": nav,
        "lang": i18n.current_language(),
        "languages": languages,
        "vendor_url": vendor.vendor_url,
        "js_strings": js_strings,
    }


@bp.get("/vendor/<name>/<path:filename>", endpoint="vendor")
def vendor_file(name, filename):
    return vendor.serve(name, filename)


# Each module registers its page views on bp.
from . import (  # noqa: E402,F401
    account,
    admin,
    calendar_page,
    dashboard,
    designer,
    dossier_pages,
    finding,
    instance_pages,
    lookup,
    pages,
    reception,
    report_pages,
)
