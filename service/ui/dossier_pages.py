"""The dossiers: the list, and one dossier's page (status, due date, Mẫu 05 steps, documents,
diagram). An instance's page and its diagram's data: instance_pages.py.

Every page authorises and reads with the API's own functions: `dossiers.permissions.visible_to`
(through the dossiers' queries) and `require_visible` for dossiers, and
`tasks.permissions.may_act_on_task` for the links to task pages.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from flask import Response, current_app, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l

from .. import sla
from ..dossiers import drill, slips
from ..dossiers import permissions as dossier_rules
from ..dossiers import queries as dossier_reads
from ..dossiers.status import OUTCOMES, DossierStatus
from ..errors import Conflict, NotFound
from ..identity import queries as identity
from ..identity.auth import current_user
from ..instances import operations as instances
from ..tasks.queries import COMPLETED, OPEN, sla_window
from . import attachments as attachment_panel
from . import bp, display, finding, history
from .instance_pages import may_see, open_tasks

PER_PAGE = 20
DUES = ("late", "due_soon", "early", "paused")
MAX_REF = 64
MAX_QUERY = 200
CHANNEL_LABELS = {"counter": _l("Trực tiếp"), "online": _l("Trực tuyến"), "post": _l("Bưu chính")}
PAYMENT_PURPOSES = {"fee": _l("Phí, lệ phí"), "financial": _l("Nghĩa vụ tài chính")}
PAYMENT_STATES = {"paid": _l("Đã thanh toán"), "refused": _l("Bị từ chối"), "expired": _l("Hết hạn")}
PAYMENT_CHANNELS = {"online": _l("Trực tuyến"), "counter": _l("Tại Bộ phận Một cửa")}
SHIPMENT_STATUSES = {
    "booked": _l("Đã đặt chuyển phát"),
    "picked_up": _l("Bưu chính đã nhận bưu gửi"),
    "in_transit": _l("Đang vận chuyển"),
    "delivered": _l("Đã phát thành công"),
    "failed": _l("Phát không thành công"),
    "returned": _l("Đã chuyển hoàn"),
}


def _payments(dossier) -> list[dict]:
    """The dossier's payments as the page shows them (purpose, channel and state in words)."""
    return [
        {
            "payment": payment,
            "purpose": PAYMENT_PURPOSES.get(payment.purpose, payment.purpose),
            "channel": PAYMENT_CHANNELS.get(payment.channel, payment.channel),
            "state": PAYMENT_STATES.get(payment.state, payment.state),
        }
        for payment in dossier_reads.payments(dossier)
    ]


# The official slips (service.documents.FORMS), as the page names them.
DOCUMENTS = {
    "mau-01": _l("Mẫu 01: Giấy tiếp nhận hồ sơ và hẹn trả kết quả"),
    "mau-02": _l("Mẫu 02: Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ"),
    "mau-03": _l("Mẫu 03: Phiếu từ chối tiếp nhận giải quyết hồ sơ"),
    "mau-04": _l("Mẫu 04: Phiếu xin lỗi và hẹn lại ngày trả kết quả"),
    "mau-05": _l("Mẫu 05: Phiếu kiểm soát quá trình giải quyết hồ sơ"),
    "mau-06": _l("Mẫu 06: Sổ theo dõi hồ sơ"),
}
# --- the list ------------------------------------------------------------------------------------


def _drill(args) -> drill.Drill:
    """The indicators' filters (dossiers/drill.py) of a dashboard link; values that are not
    theirs are left out (a page does not refuse a link, it shows what it understood)."""

    def flag(name):
        return {"true": True, "false": False}.get(args.get(name, ""))

    def listed(name, allowed):
        values = [v for v in (args.get(name) or "").split(",") if v in allowed]
        return values or None

    def text(name, limit):
        value = args.get(name) or ""
        return value if 0 < len(value) <= limit else None

    try:
        supplements = int(args.get("min_supplements", ""))
    except ValueError:
        supplements = None
    return drill.Drill(
        org_unit=text("org_unit", MAX_REF),
        period=text("period", 32),
        standing=listed("standing", drill.STANDINGS),
        channel=args.get("channel") if args.get("channel") in CHANNEL_LABELS else None,
        full_online=flag("full_online"),
        digitised=flag("digitised"),
        dvcqg_synced=flag("dvcqg_synced"),
        finished=flag("finished"),
        returned=flag("returned"),
        outcome=args.get("outcome") if args.get("outcome") in OUTCOMES else None,
        e_result=flag("e_result"),
        fee_payment=listed("fee_payment", drill.PAYMENTS),
        min_supplements=supplements if supplements is not None and 0 <= supplements <= 1000 else None,
        step=text("step", 255),
        step_late=flag("step_late"),
    )


def _drill_query(filters: drill.Drill) -> dict:
    """The indicators' filters as URL arguments again (lists comma-separated, flags as words)."""
    out = {}
    for name, value in vars(filters).items():
        if value is None or value == []:
            continue
        if isinstance(value, bool):
            out[name] = "true" if value else "false"
        elif isinstance(value, list):
            out[name] = ",".join(value)
        else:
            out[name] = value
    return out


@dataclass
class Filters:
    status: int | None = None
    procedure: str = ""
    due: str = ""
    q: str = ""
    page: int = 1
    drill: drill.Drill = field(default_factory=drill.Drill)

    @classmethod
    def parse(cls, args) -> Filters:
        def number(name, low, high, default):
            try:
                value = int(args.get(name, default))
            except (TypeError, ValueError):
                return default
            return value if low <= value <= high else default

        procedure = args.get("procedure", "")
        return cls(
            status=number("status", 1, max(DossierStatus), None),
            procedure=procedure if 0 < len(procedure) <= MAX_REF else "",
            due=args.get("due") if args.get("due") in DUES else "",
            q=(args.get("q") or "").strip()[:MAX_QUERY],
            page=number("page", 1, 100_000, 1),
            drill=_drill(args),
        )

    def query(self, **changes) -> dict:
        """URL arguments of these filters with some changed (empty ones left out)."""
        values = {
            "status": self.status,
            "procedure": self.procedure,
            "due": self.due,
            "q": self.q,
            **_drill_query(self.drill),
        }
        values.update(changes)
        return {k: v for k, v in values.items() if v}


def dossier_due(dossier, window: sla.Window) -> str | None:
    """The dossier's colour: its SLA class (service/sla.py)."""
    return dossier.sla_class(window)


def _due_label(dossier, due: str | None) -> str:
    return display.due_label(due, COMPLETED if dossier.finished_at is not None else OPEN)


def _procedures(user) -> list[tuple[str, str]]:
    """The procedures of the dossiers the user may see, for the filter."""
    return [(code, f"{code}{display.DASH}{name}") for code, name in dossier_reads.procedures_visible_to(user)]


@bp.get("/dossiers", endpoint="dossiers")
def dossier_list():
    user = current_user()
    filters = Filters.parse(request.args)
    window = sla_window()
    base = {
        "status": filters.status,
        "procedure": filters.procedure or None,
        "q": filters.q or None,
        "window": window,
        "filters": filters.drill,
    }
    counts = {
        due: dossier_reads.count(dossier_reads.where(user, due=due, **base))
        for due in (sla.Sla.LATE, sla.Sla.DUE_SOON)
    }
    where = dossier_reads.where(user, due=filters.due or None, **base)
    total = dossier_reads.count(where)
    pages = max(1, math.ceil(total / PER_PAGE))
    filters.page = min(filters.page, pages)
    items = dossier_reads.page(where, filters.page, PER_PAGE)
    rows = []
    for dossier in items:
        due = dossier_due(dossier, window)
        rows.append({"dossier": dossier, "due": due, "due_label": _due_label(dossier, due)})
    return render_template(
        "ui/dossiers.html",
        filters=filters,
        rows=rows,
        total=total,
        pages=pages,
        counts=counts,
        procedures=_procedures(user),
        drill=_drill_query(filters.drill),
        statuses=[(int(code), display.dossier_status(code)) for code in DossierStatus],
        status_label=display.dossier_status,
        saved=finding.saved("dossiers", user),
    )


# --- one dossier ---------------------------------------------------------------------------------


def _steps(dossier) -> list[dict]:
    """The handovers of Mẫu 05, with each step's due moment (from its task) and verdict."""
    rows = dossier_reads.steps_with_due(dossier)
    names = identity.display_names(step.actor for step, _due in rows)
    return [
        {
            "step": step,
            "actor": display.person(names.get(step.actor, step.actor), step.actor) if step.actor else None,
            "started": display.local_datetime(step.started_at),
            "due_at": display.local_datetime(due_at),
            "ended": display.local_datetime(step.ended_at),
            "cancelled": step.outcome != "completed",
            "verdict": step.verdict if step.outcome == "completed" else None,
            "verdict_label": display.due_label(step.verdict, COMPLETED)
            if step.outcome == "completed"
            else "",
        }
        for step, due_at in rows
    ]


# Why a slip does not fit the dossier (dossiers.slips.NOT_FITTING's reasons), in the page's words.
NOT_FITTING = {
    "not_registered": _l("Hồ sơ chưa được tiếp nhận, cấp mã nên chưa có phiếu này."),
    "no_supplement": _l("Hồ sơ không có yêu cầu bổ sung, hoàn thiện nào nên không có Mẫu 02."),
    "not_refused": _l("Hồ sơ không bị từ chối nên không có phiếu từ chối (Mẫu 03)."),
    "no_apology": _l("Hồ sơ chưa có phiếu xin lỗi và hẹn lại (Mẫu 04) nào."),
}


def slip_links(dossier) -> list[tuple[str, str, str]]:
    """(form, title, URL) of the slips that fit the dossier (dossiers.slips.available)."""
    ref = dossier.code or str(dossier.id)
    return [
        (form, DOCUMENTS[form], url_for("ui.slip", ref=ref, form=form)) for form in slips.available(dossier)
    ]


@bp.get("/dossiers/<ref>/slips/<form>", endpoint="slip")
def slip(ref, form):
    """A slip of the dossier for the browser: the API's document, but a page in the user's
    language when it does not fit the dossier (409), when refused (403) or unknown (404)."""
    if len(ref) > MAX_REF or form not in DOCUMENTS:
        raise NotFound("There is no such slip.")
    dossier = dossier_reads.find(ref)
    dossier_rules.require_visible(current_user(), dossier)
    kind = "pdf" if request.args.get("format") == "pdf" else "html"
    agency = current_app.config["MOTCUA_AGENCY"]
    try:
        if request.args.get("signed") in ("true", "1"):  # the PDF signed with the slip's unit's key
            body, mimetype, filename = slips.render_signed(dossier, form, agency=agency)
            kind = "pdf"
        else:
            body, mimetype, filename = slips.render(dossier, form, kind, agency=agency)
    except Conflict as exc:
        if exc.code == "no_signing_key":
            message = _l("Đơn vị chưa được cài khóa ký số nên chưa ký được phiếu này.")
        else:
            message = NOT_FITTING.get((exc.details or {}).get("reason"), exc.message)
        back = url_for("ui.dossier", ref=ref)
        return render_template("ui/error.html", status=409, message=message, back=back), 409
    headers = {"Content-Disposition": f'inline; filename="{filename}"'} if kind == "pdf" else {}
    return Response(body, mimetype=mimetype, headers=headers)


@bp.get("/dossiers/<ref>", endpoint="dossier")
def dossier_page(ref):
    user = current_user()
    if len(ref) > MAX_REF:
        raise NotFound("There is no such dossier.")
    dossier = dossier_reads.find(ref)
    dossier_rules.require_visible(user, dossier)
    if dossier.code and ref != dossier.code:
        return redirect(url_for("ui.dossier", ref=dossier.code))
    instance = instances.get(dossier.instance_id)
    due = dossier_due(dossier, sla_window())
    ref = dossier.code or str(dossier.id)
    involved = may_see(user, instance)
    return render_template(
        "ui/dossier.html",
        # The digitised components, for those the attachments API lets download them.
        attachments=attachment_panel.panel(instance) if involved else None,
        decisions=history.decisions(instance.id),
        dossier=dossier,
        instance=instance,
        ref=ref,
        status_label=display.dossier_status(dossier.status),
        channel=CHANNEL_LABELS.get(dossier.channel, dossier.channel),
        due=due,
        due_label=_due_label(dossier, due),
        due_moved=dossier.original_due_at is not None and dossier.due_at != dossier.original_due_at,
        current=open_tasks(user, instance),
        steps=_steps(dossier),
        documents=slip_links(dossier),
        payments=_payments(dossier),
        fee_paid=dossier_reads.fee_paid(dossier),
        return_method=CHANNEL_LABELS.get(dossier_reads.return_method(dossier) or ""),
        shipment_status=SHIPMENT_STATUSES.get(dossier.shipment_status or ""),
        diagram_url=url_for("ui.instance_diagram", instance_id=instance.id),
        instance_url=url_for("ui.instance", instance_id=instance.id) if involved else None,
    )
