"""The public lookup page (/tra-cuu, no login): an applicant enters the dossier's code (or scans
Mẫu 01's QR code, which fills it in) and the lookup PIN printed on the receipt, and reads its
status, due date, steps and what is asked of them (dossiers/lookup.py chooses what is shown).
Guesses are throttled per address: a wrong code and a wrong PIN count and answer the same."""

from __future__ import annotations

import math

from flask import render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from ..dossiers import lookup
from ..identity import throttle
from . import bp, display

LOOKUP = "lookup"  # the throttle's kind: guesses of a code and PIN, per address


class LookupForm(FlaskForm):
    code = StringField(
        _l("Mã hồ sơ"),
        validators=[DataRequired(message=_l("Vui lòng nhập mã hồ sơ.")), Length(max=lookup.MAX_CODE)],
    )
    pin = StringField(
        _l("Mã tra cứu (in trên giấy tiếp nhận)"),
        validators=[DataRequired(message=_l("Vui lòng nhập mã tra cứu.")), Length(max=16)],
    )


@bp.route("/tra-cuu", methods=["GET", "POST"], endpoint="lookup")
def lookup_page():
    form = LookupForm()
    if request.method == "GET" and request.args.get("ma"):
        form.code.data = request.args["ma"][: lookup.MAX_CODE]
    found, error, status, wait = None, None, 200, 0.0
    if form.validate_on_submit():
        guard = throttle.for_app()
        key = throttle.key(LOOKUP, "*", request.remote_addr)
        wait = guard.blocked_for(key)
        if not wait:
            found = lookup.find(form.code.data, form.pin.data)
            if found is None:
                wait = guard.failure(key)
                error = _(
                    "Không tìm thấy hồ sơ với mã hồ sơ và mã tra cứu này. Hãy kiểm tra lại giấy tiếp nhận."
                )
                status = 404
        if wait:
            minutes = max(1, math.ceil(wait / 60))
            error = _(
                "Bạn đã tra cứu sai quá nhiều lần. Vui lòng thử lại sau %(minutes)d phút.", minutes=minutes
            )
            status = 429
    elif request.method == "POST":
        status = 400 if form.errors.get("csrf_token") else 422
        if form.errors.get("csrf_token"):
            error = _("Trang đã hết hạn. Vui lòng nhập lại.")
    html = render_template("ui/lookup.html", form=form, found=found, error=error, when=display.local_datetime)
    if status == 429:
        return html, status, {"Retry-After": str(math.ceil(wait))}
    return html, status
