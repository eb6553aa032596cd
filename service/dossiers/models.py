"""Dossiers (hồ sơ): one per application, driven by a process instance."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from ..extensions import db
from ..models_base import UTCDateTime, utcnow
from ..procedures.models import Procedure
from ..sla import Columns, Sla, Window, classify
from . import search

CHANNELS = ("counter", "online", "post")
# How a fee was paid (the return form's `fee_payment`; "none": nothing to pay).
PAYMENTS = ("online", "counter", "post", "none")


class Dossier(db.Model):
    __tablename__ = "dossiers"
    __table_args__ = (
        sa.Index("ix_dossiers_unit_status", "unit_code", "status"),
        # The dossier list's order (newest first): a page is read off the index.
        sa.Index("ix_dossiers_submitted", "submitted_at", "id"),
        # A period counts the dossiers received before its end, not finished before its start.
        sa.Index("ix_dossiers_received_at", "received_at"),
        sa.Index("ix_dossiers_finished_at", "finished_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True, default=uuid.uuid4)
    code: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    unit_code: Mapped[str] = mapped_column(sa.String(64))
    procedure_id: Mapped[int] = mapped_column(sa.ForeignKey("procedures.id"), index=True)
    instance_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("process_instances.id"), unique=True)
    applicant: Mapped[dict] = mapped_column(sa.JSON)
    channel: Mapped[str] = mapped_column(sa.String(16))
    components: Mapped[list] = mapped_column(sa.JSON, default=list)
    # The number of sets (số bộ hồ sơ) the counter received (Mẫu 01, Mẫu 06).
    sets: Mapped[int] = mapped_column(default=1, server_default="1")
    # The national portal's id of a dossier submitted online there (DVCQG, service/dvcqg/): how
    # the portal names it in its calls, and how Motcua names it in every status it pushes back.
    portal_id: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    status: Mapped[int] = mapped_column(default=1, index=True)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    clock_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The statutory due moment (moved by the paused working time): what lateness is judged
    # against (the SLA, the verdict, the late list, the indicators), even after an apology.
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    # The due moment fixed at registration, before any pause moved it.
    original_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The new return appointment of the apology (Mẫu 04), the only one allowed (DOMAIN.md §1 item
    # 11), and when it was issued: the applicant's return date from then on (`return_due`), never
    # the yardstick of lateness.
    appointed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    apologised_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    paused_days: Mapped[float] = mapped_column(default=0.0)
    supplement_requests: Mapped[int] = mapped_column(default=0)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    returned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    verdict: Mapped[str | None] = mapped_column(sa.String(16))
    # Its line in the unit's register (Sổ theo dõi hồ sơ), given at registration: the book is the
    # unit's year, the number its rank in it (codes.next_register_line); Mẫu 01 and Mẫu 06 print it.
    register_book: Mapped[str | None] = mapped_column(sa.String(16))
    register_number: Mapped[int | None] = mapped_column()
    # The second factor of the public lookup (/tra-cuu), printed on Mẫu 01 beside the code.
    lookup_pin: Mapped[str | None] = mapped_column(sa.String(12))
    # The result sent by post (return method post): the postal operator's tracking number
    # (Mẫu 05, Mẫu 06) and the last status it reported (integrations/codes.py POST_STATUSES).
    tracking_number: Mapped[str | None] = mapped_column(sa.String(64))
    shipment_status: Mapped[str | None] = mapped_column(sa.String(32))
    # The signed result's number in the agency's electronic documents system (edms/file_result).
    edms_number: Mapped[str | None] = mapped_column(sa.String(100))
    # How its handling ended (dossiers/status.py OUTCOMES): approved, refused, stopped...
    outcome: Mapped[str | None] = mapped_column(sa.String(16), index=True)
    # The SLA class the watch last saw (service/sla.py), so it notes each change once.
    sla: Mapped[str | None] = mapped_column(sa.String(16))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The working days each round of a step used (Mẫu 05): element id -> {when the round opened
    # (ISO, UTC): the days it used, the longest of its parallel instances}. A step that opens again
    # gets what remains of its share (deadlines.remaining); kept on the row, so a step reads it
    # with the dossier it already loads (no query of dossier_steps on the hot path).
    step_use: Mapped[dict | None] = mapped_column(sa.JSON)
    # What the QĐ 766 indicators read (reports/indicators.py), noted from the process's data by
    # dossiers/follow.record_facts: when every component was digitised (`all_components_digitised`),
    # whether the result was issued electronically, signed (`e_result_signed`), how the fee was
    # paid (`fee_payment`: online, counter, post, none), and, once finished, the working days
    # its processing took, pauses excluded (the average processing time per procedure).
    digitised_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    e_result: Mapped[bool | None] = mapped_column()
    fee_payment: Mapped[str | None] = mapped_column(sa.String(16))
    worked_days: Mapped[float | None] = mapped_column()
    # Its sync to the national portal (service/dvcqg/pushes.py, the index's "synced to DVCQG"):
    # when the portal first accepted a status push of it, and the last status the portal has
    # (written when a push is sent; the sent pushes themselves are purged after the retention).
    dvcqg_synced_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    dvcqg_status: Mapped[int | None] = mapped_column()

    # What the dossier is found by (search.text_of: code, applicant's name, ID numbers, phone,
    # folded), kept in step with the code and the applicant.
    search_text: Mapped[str | None] = mapped_column(sa.String(1000))

    procedure: Mapped[Procedure] = relationship(lazy="joined", innerjoin=True)

    @validates("code", "applicant")
    def _keep_search_text(self, key: str, value):
        code = value if key == "code" else self.code
        applicant = value if key == "applicant" else self.applicant
        self.search_text = search.text_of(code, applicant)
        return value

    @property
    def return_due(self) -> datetime | None:
        """When the applicant is told to come for the result: the apology's new appointment once
        one was made, else the statutory due moment."""
        return self.appointed_at or self.due_at

    def sla_class(self, window: Window) -> Sla | None:
        """Its SLA class (service/sla.py): its verdict once finished; while it waits for the
        applicant, paused (or late, if the supplement was asked for after its due moment)."""
        return classify(self.due_at, finished_at=self.finished_at, paused_at=self.paused_at, window=window)

    def used_before(self, element_id: str, opened_at: datetime) -> float:
        """The working days the rounds of a step that opened before `opened_at` used."""
        rounds = (self.step_use or {}).get(element_id) or {}
        return sum(used for start, used in rounds.items() if datetime.fromisoformat(start) < opened_at)

    def record_use(self, element_id: str, opened_at: datetime, used: float) -> None:
        """Note the days a round of a step used (parallel instances of one round: the longest)."""
        uses = dict(self.step_use or {})
        rounds = dict(uses.get(element_id) or {})
        start = opened_at.astimezone(UTC).isoformat()
        rounds[start] = max(rounds.get(start, 0.0), used)
        uses[element_id] = rounds
        self.step_use = uses  # a new dict: the JSON column is written


# The columns the SQL form of the SLA rule reads (sla.condition(klass, window, SLA_COLUMNS)).
SLA_COLUMNS = Columns(
    due_at=Dossier.due_at,
    finished_at=Dossier.finished_at,
    unfinished=Dossier.finished_at.is_(None),
    finished=Dossier.finished_at.is_not(None),
    paused_at=Dossier.paused_at,
)


class DossierStep(db.Model):
    """One handover on Mẫu 05: a human step with its allotted and used working time."""

    __tablename__ = "dossier_steps"
    __table_args__ = (sa.Index("ix_dossier_steps_ended_at", "ended_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("dossiers.id", ondelete="CASCADE"), index=True
    )
    task_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid)
    element_id: Mapped[str] = mapped_column(sa.String(255))
    name: Mapped[str] = mapped_column(sa.String(255))
    unit: Mapped[str | None] = mapped_column(sa.String(255))
    actor: Mapped[str | None] = mapped_column(sa.String(128))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime] = mapped_column(UTCDateTime)
    allotted_days: Mapped[float | None] = mapped_column()
    used_days: Mapped[float] = mapped_column()
    verdict: Mapped[str | None] = mapped_column(sa.String(16))
    outcome: Mapped[str] = mapped_column(sa.String(16), default="completed")


# "carried": pauses that ended before pauses were kept one by one (migration 0018), in one row.
PAUSE_KINDS = ("supplement", "financial", "carried")


class DossierPause(db.Model):
    """A time the dossier's clock stopped for the applicant (a supplement asked for, a financial
    obligation to meet) and when it restarted: kept one by one so that a past period is judged
    with the pauses as they were then (DOMAIN.md §2). `working_days` is the paused working time,
    set when the pause ends (the dossier's `paused_days` is their total), and `due_after` the
    dossier's due moment from then on (moved by that time): the due moment at any moment T is the
    `due_after` of the last pause ended by T, else `original_due_at` (dossiers/judging.py)."""

    __tablename__ = "dossier_pauses"
    __table_args__ = (sa.Index("ix_dossier_pauses_dossier", "dossier_id", "started_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("dossiers.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(16))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    working_days: Mapped[float | None] = mapped_column()
    due_after: Mapped[datetime | None] = mapped_column(UTCDateTime)


class DossierRegisterSequence(db.Model):
    """The last line given per unit and register book (the unit's year): gapless, in the order
    of registration."""

    __tablename__ = "dossier_register_sequences"

    unit_code: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    book: Mapped[str] = mapped_column(sa.String(16), primary_key=True)
    last: Mapped[int] = mapped_column(default=0, server_default="0")


class DossierCodeSequence(db.Model):
    """The last number given per unit and reception day: codes are unique and gapless."""

    __tablename__ = "dossier_code_sequences"

    unit_code: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    day: Mapped[date] = mapped_column(sa.Date, primary_key=True)
    last: Mapped[int] = mapped_column(default=0)


PAYMENT_PURPOSES = ("fee", "financial")
PAID, REFUSED, EXPIRED = "paid", "refused", "expired"


class Payment(db.Model):
    """What the payment platform (or the counter) said of one payment request: one row per
    `payment_id`, so a callback delivered twice is recorded once (`callbacks` counts them)."""

    __tablename__ = "payments"
    __table_args__ = (
        sa.UniqueConstraint("payment_id", name="uq_payments_payment_id"),
        sa.Index("ix_payments_dossier", "dossier_id", "purpose"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("dossiers.id", ondelete="CASCADE"))
    purpose: Mapped[str] = mapped_column(sa.String(16))
    payment_id: Mapped[str] = mapped_column(sa.String(64))
    channel: Mapped[str] = mapped_column(sa.String(16))  # online, counter
    state: Mapped[str] = mapped_column(sa.String(16))  # paid, refused, expired
    amount: Mapped[int] = mapped_column(sa.BigInteger)
    receipt_number: Mapped[str | None] = mapped_column(sa.String(100))
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    callbacks: Mapped[int] = mapped_column(default=1, server_default="1")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
