"""What every administration page shares: the admin check, the one list-page helper (page number,
one page of a query, page count, render), the form helpers and the template helpers."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import date

from flask import render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectMultipleField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length
from wtforms.widgets import CheckboxInput, ListWidget

from ...errors import ServiceError
from ...identity import schemas as rules
from ...identity.auth import current_user
from ...identity.permissions import require_admin
from .. import bp

PER_PAGE = 20
REQUIRED = _l("Trường này là bắt buộc.")
PASSWORD_RULE = Length(min=rules.MIN_PASSWORD, max=1024, message=_l("Mật khẩu phải có từ 8 đến 1024 ký tự."))


def admin_user():
    """The caller, if an administrator (403 otherwise, as the API)."""
    user = current_user()
    require_admin(user)
    return user


# --- the list pages ----------------------------------------------------------------------------


def page_number() -> int:
    """The ?page= of a list (1 when missing or not a number)."""
    try:
        return max(1, min(int(request.args.get("page", 1)), 1_000_000))
    except ValueError:
        return 1


def page_count(total: int) -> int:
    return max(1, math.ceil(total / PER_PAGE))


def active_filter() -> tuple[str, bool | None]:
    """The ?show= filter of the token and catalogue lists: ("active", True), ("inactive", False)
    or ("", None) for all."""
    show = request.args.get("show", "")
    return (show, show == "active") if show in ("active", "inactive") else ("", None)


def list_page(
    template: str,
    fetch: Callable[[int, int], tuple[list, int]],
    *,
    name: str,
    row: Callable | None = None,
    status: int = 200,
    **context,
):
    """Every administration list: the ?page= number, one page of `fetch(page, per_page)` (a
    domain's query answering (items, total)), each item made a row by `row` if given, rendered in
    `template` with the items under `name`, `total`, `page`, `pages` and the rest of `context`."""
    number = page_number()
    items, total = fetch(number, PER_PAGE)
    rows = [row(item) for item in items] if row is not None else items
    html = render_template(
        template, **{name: rows}, total=total, page=number, pages=page_count(total), **context
    )
    return html, status


def query_args(**changes) -> dict:
    """The current query string with some values changed (empty values dropped)."""
    args = {**request.args.to_dict(), **changes}
    return {key: value for key, value in args.items() if value not in (None, "") and key != "lang"}


# --- forms -------------------------------------------------------------------------------------


class MultiCheckboxField(SelectMultipleField):
    """A list of checkboxes (the `choices` macro renders it)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class RevokeForm(FlaskForm):
    """Only the CSRF token: revoking (or a button's action) needs nothing else."""


def select(pairs) -> list[SelectChoice]:
    """wtforms' options from (value, label) pairs (tuples are deprecated in wtforms 3.3)."""
    return [SelectChoice(value, label) for value, label in pairs]


def parse_day(field, message):
    """A YYYY-MM-DD field (input type=date) as a date; None (and an error on the field) if not."""
    text = (field.data or "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        field.errors = [*field.errors, str(message)]
        return None


def place_errors(form, exc: ServiceError, messages: dict) -> bool:
    """Put an operation's refusal beside its fields (in the page's words); False if none fits."""
    fields = (exc.details or {}).get("fields") or {}
    placed = False
    for name in fields:
        if name in form and name in messages:
            form[name].errors = [*form[name].errors, str(messages[name])]
            placed = True
    return placed


def refused(exc: ServiceError) -> str:
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
    return query_args(**changes)
