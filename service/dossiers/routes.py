"""/api/v1/dossiers: reception, tracking, withdrawal and the official slips."""

from flask import Response, current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from .. import documents
from ..errors import NotFound, Unprocessable
from ..identity.auth import current_user
from ..identity.permissions import authorise
from ..identity.scopes import START, scoped
from ..web import page
from . import cccd, drill, operations, permissions, queries, slips
from .schemas import (
    CCCDApplicantSchema,
    CCCDArgs,
    DocumentArgs,
    DossierDetailSchema,
    DossierListArgs,
    DossierPage,
    ReceiveArgs,
    WithdrawArgs,
)

blp = Blueprint("dossiers", __name__, url_prefix="/api/v1", description="One-stop-shop dossiers (hồ sơ)")


def _detail(dossier, received=None):
    """The dossier with what its detail shows; `received`: the step of its reception, which
    answers its open tasks and Mẫu 05 steps as it wrote them (queries.received)."""
    known = queries.received(received) if received is not None else None
    if known is not None:
        dossier.current_steps, dossier.steps = known
    else:
        dossier.current_steps, dossier.steps = queries.current_tasks(dossier), queries.steps(dossier)
    dossier.payments, dossier.fee_paid = queries.payments(dossier), queries.fee_paid(dossier)
    dossier.return_method = queries.return_method(dossier)
    return dossier


def _visible(ref):
    dossier = queries.find(ref)
    permissions.require_visible(current_user(), dossier)
    return dossier


def _may_withdraw(user, ref):
    permissions.require_reception(user)
    permissions.require_visible(user, queries.find(ref))


reception_only = authorise(lambda user, **_: permissions.require_reception(user))


@blp.route("/dossiers")
class Dossiers(MethodView):
    @blp.arguments(DossierListArgs, location="query")
    @blp.response(200, DossierPage)
    def get(self, args):
        """Dossiers the caller may see, newest first (filters: status, unit, procedure, overdue; q:
        words of the code, the applicant's name (accents optional), CCCD number or phone; and the
        indicators' filters: org unit with its sub-units, period, standing at its end...)."""
        filters = {k: args.get(k) for k in ("status", "unit", "procedure", "overdue", "q")}
        items, total = queries.search(
            current_user(),
            **filters,
            filters=drill.Drill.of(args),
            page=args["page"],
            per_page=args["per_page"],
        )
        return page(items, total, args)

    @scoped(START)
    @reception_only
    @blp.arguments(ReceiveArgs())  # an instance: a class is instantiated, nested schemas too, per request
    @blp.response(201, DossierDetailSchema)
    def post(self, args):
        """Receive a dossier for a procedure of the catalogue; starts its process (status 1).

        The dossier is numbered (status 2) when the officer accepts it as complete. A system's
        token needs the scope start:<the procedure's process key>.
        """
        permissions.require_receiver(current_user(), args["procedure_code"])
        dossier = operations.receive(
            args["procedure_code"],
            applicant=args["applicant"],
            channel=args["channel"],
            components=args["components"],
            sets=args["sets"],
            pickup=args.get("pickup"),
            actor=current_user(),
        )
        return _detail(dossier, received=dossier.reception_step)


@blp.route("/dossiers/<string:ref>")
class DossierView(MethodView):
    @blp.response(200, DossierDetailSchema)
    def get(self, ref):
        """A dossier by code (or id before registration): status, dates, current step and history."""
        return _detail(_visible(ref))


@blp.route("/dossiers/<string:ref>/withdraw", methods=["POST"])
@authorise(_may_withdraw)
@blp.arguments(WithdrawArgs)
@blp.response(200, DossierDetailSchema)
def withdraw(args, ref):
    """The applicant withdraws the dossier (possible until the result is returned)."""
    dossier = queries.find(ref)
    operations.withdraw(dossier, reason=args.get("reason"), actor=current_user())
    return _detail(dossier)


_SLIP = "The slip: PDF (format=pdf, the default) or printable HTML (format=html)"


@blp.route("/dossiers/<string:ref>/documents/<string:form>", methods=["GET"])
@authorise(lambda user, ref, form: permissions.require_visible(user, queries.find(ref)))
@blp.arguments(DocumentArgs, location="query")
@blp.response(200, {"type": "string", "format": "binary"}, content_type="application/pdf", description=_SLIP)
@blp.alt_response(200, schema={"type": "string"}, content_type="text/html", description=_SLIP)
def document(args, ref, form):
    """An official slip of the dossier: mau-01 … mau-06, as printable HTML or PDF; only a slip
    that fits the dossier's state (409 `slip_not_available` otherwise, its reason in details).
    `signed=true`: the PDF signed with the key of the receiving unit (Mẫu 01-03, 06) or the
    handling unit (Mẫu 04, 05), 409 `no_signing_key` when that unit has none; check it with
    `POST /api/v1/signatures/verify`."""
    if form not in documents.FORMS:
        raise NotFound(f"There is no form {form!r}; forms are {', '.join(documents.FORMS)}.")
    kind = args["format"]
    agency = current_app.config["MOTCUA_AGENCY"]
    if args["signed"]:
        body, mimetype, filename = slips.render_signed(queries.find(ref), form, agency=agency)
    else:
        body, mimetype, filename = slips.render(queries.find(ref), form, kind, agency=agency)
    headers = {"Content-Disposition": f'inline; filename="{filename}"'} if kind == "pdf" else {}
    return Response(body, mimetype=mimetype, headers=headers)


@blp.route("/applicants/from-cccd", methods=["POST"])
@blp.arguments(CCCDArgs)
@blp.response(200, CCCDApplicantSchema)
def from_cccd(args):
    """Applicant details from the QR string of a chip ID card (CCCD)."""
    try:
        return cccd.parse(args["qr"])
    except cccd.CCCDInvalid as exc:
        raise Unprocessable(str(exc), code="cccd_invalid", details={"fields": {"qr": [str(exc)]}}) from None
