"""Error pages for the links a person opens from the pages: a slip (Mẫu 01 to 06) or an attachment's
file. Those URLs are the API's; a browser asking for HTML (Accept: text/html before JSON) gets a
page in its language when access is refused, the session has ended or the thing is not there; an
API client keeps the JSON error. service/errors.py asks `app.extensions[errors.HTML_ERRORS]`."""

from __future__ import annotations

from flask import Flask, render_template, request, url_for
from flask_babel import gettext as _

from .. import errors
from . import i18n

# The API endpoints that pages link to for a person to open in the browser.
ENDPOINTS = frozenset({"dossiers.document", "attachments.content"})


class ErrorPages:
    """What service/errors.py calls: handles(request) and render(status)."""

    def handles(self) -> bool:
        if request.endpoint not in ENDPOINTS or request.method != "GET":
            return False
        best = request.accept_mimetypes.best_match(["application/json", "text/html"])
        return (
            best == "text/html"
            and request.accept_mimetypes["text/html"] > request.accept_mimetypes["application/json"]
        )

    def render(self, status: int):
        from . import page_context, security_headers

        i18n.remember_choice()
        action = None
        if status == 401:
            message = _("Phiên làm việc đã hết hạn hoặc bạn chưa đăng nhập. Vui lòng đăng nhập lại.")
            ref = (request.view_args or {}).get("ref")
            target = url_for("ui.dossier", ref=ref) if ref else None
            action = (url_for("ui.login", next=target), _("Đăng nhập"))
        elif status == 403:
            message = _("Bạn không có quyền mở tài liệu này.")
        elif status == 404:
            message = _("Không tìm thấy hồ sơ, tài liệu hoặc tệp này.")
        else:
            message = _("Không mở được tài liệu này.")
        response = render_template(
            "ui/error.html", **page_context(), status=status, message=message, action=action
        )
        return security_headers(_response(response, status))


def _response(body: str, status: int):
    from flask import make_response

    response = make_response(body, status)
    response.headers["Cache-Control"] = "no-store"
    return response


def init_app(app: Flask) -> None:
    app.extensions[errors.HTML_ERRORS] = ErrorPages()
