"""Finding one's way through the day: the saved filters of the dossier list and the worklist
(kept in the user's preferences: identity.preferences), and the next task after completing one.

`POST /ui/filters/<page>` saves the page's current filters under a name, `POST
/ui/filters/<page>/delete` forgets one; both go back to the page. `next_task` is the first open
task of "my tasks", else of "my groups' tasks", due first: where "Xong, mở việc tiếp theo"
(Ctrl+Enter on a task's page) goes.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from flask import flash, redirect, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField
from wtforms.validators import DataRequired, Length

from .. import uow
from ..errors import NotFound, Unprocessable
from ..identity import preferences
from ..identity.auth import current_user
from ..tasks import queries as tasks
from . import bp

ENDPOINTS = {"dossiers": "ui.dossiers", "worklist": "ui.worklist"}


class SaveFilterForm(FlaskForm):
    name = StringField(_l("Tên bộ lọc"), validators=[DataRequired(), Length(max=preferences.MAX_NAME)])
    query = HiddenField()


class DeleteFilterForm(FlaskForm):
    name = HiddenField(validators=[DataRequired()])


def saved(page: str, user) -> list[dict]:
    """The user's saved filters of a page, each with the URL that applies it."""
    endpoint = ENDPOINTS[page]
    return [
        {"name": item["name"], "url": url_for(endpoint, **dict(parse_qsl(item.get("query") or "")))}
        for item in preferences.saved_filters(user.id, page)
    ]


def _page(page: str) -> str:
    if page not in ENDPOINTS:
        raise NotFound(f"There is no page {page!r} with saved filters.")
    return ENDPOINTS[page]


@bp.post("/filters/<string:page>", endpoint="save_filter")
def save_filter(page):
    endpoint = _page(page)
    form = SaveFilterForm()
    arguments = dict(parse_qsl((form.query.data or "")[: preferences.MAX_QUERY]))
    arguments.pop("page", None)
    back = url_for(endpoint, **arguments)
    if not form.validate():
        flash(_("Vui lòng đặt tên cho bộ lọc (tối đa %(count)d ký tự).", count=preferences.MAX_NAME), "error")
        return redirect(back)
    try:
        item = preferences.save_filter(current_user().id, page, form.name.data, arguments)
    except Unprocessable:
        uow.discard()
        flash(
            _("Không lưu được bộ lọc: mỗi trang giữ tối đa %(count)d bộ lọc.", count=preferences.MAX_FILTERS),
            "error",
        )
        return redirect(back)
    flash(_("Đã lưu bộ lọc «%(name)s».", name=item["name"]), "success")
    return redirect(back)


@bp.post("/filters/<string:page>/delete", endpoint="delete_filter")
def delete_filter(page):
    endpoint = _page(page)
    form = DeleteFilterForm()
    if form.validate():
        preferences.delete_filter(current_user().id, page, form.name.data)
        flash(_("Đã xóa bộ lọc «%(name)s».", name=form.name.data), "info")
    return redirect(url_for(endpoint))


def next_task(user, *, after):
    """The next open task of the day: my tasks first, then my groups' unclaimed ones, due first;
    never the task `after` (just completed)."""
    for scope in ("mine", "group"):
        rows, _total = tasks.worklist(
            user, tasks.Worklist(scope=scope, state=tasks.OPEN), page=1, per_page=2, order="due"
        )
        for row in rows:
            if row.task.id != after:
                return row.task
    return None
