"""The one rule for judging dossiers over a period, as the national index counts them (DOMAIN.md §2,
§5). The indicators, the late list and the register all judge through this module, in SQL for
aggregates (`counted`, `standing`) or in Python for one dossier (`judge`), with the same meaning.

**Which dossiers a period counts** (`counted`): those received before its end and not finished
before its start: received in it, or received earlier and still being processed in it ("hồ sơ
tiếp nhận và xử lý trong kỳ", open ones included). Dossiers never received (guided, refused at
the counter: no clock) are not counted.

**How each stands at the moment T** (the period's end, or now for a period not over):
- finished by T: its verdict (Mẫu 05's, fixed when it finished: `early` on a day before the due
  day, `on_time` by the due moment on the due day, `late` after it). The end is the first of
  "processed", "returned", "stopped / refused / withdrawn" (the statuses set `finished_at`);
- open at T and waiting for the applicant at T (a pause open at T): the moment the request was
  made counts as its end: `open_late` if that was after the due moment, else `paused`;
- open at T otherwise: `open_late` if T is after the due moment, else `open_in_time`.

**The due moment at T** is the dossier's as it stood at T: the statutory due moment
(`original_due_at`) moved by the pauses that had ended by T (each pause keeps the due moment it
left: `dossier_pauses.due_after`). So a past period gives the same answer after its dossiers move
on: what happens after T never changes how a dossier stood at T.

In time (the index's numerator): `early`, `on_time`, `open_in_time`, `paused`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa

from .models import Dossier, DossierPause


class Standing(StrEnum):
    EARLY = "early"
    ON_TIME = "on_time"
    LATE = "late"  # finished after its due moment
    OPEN_IN_TIME = "open_in_time"
    OPEN_LATE = "open_late"  # open at T past its due moment (or paused after it)
    PAUSED = "paused"  # waiting for the applicant at T, the request made in time


IN_TIME = frozenset({Standing.EARLY, Standing.ON_TIME, Standing.OPEN_IN_TIME, Standing.PAUSED})
LATE = frozenset({Standing.LATE, Standing.OPEN_LATE})
FINISHED = frozenset({Standing.EARLY, Standing.ON_TIME, Standing.LATE})


def counted(start: datetime, end: datetime):
    """SQL: the dossier is counted in the period [start, end)."""
    return sa.and_(
        Dossier.received_at.is_not(None),
        Dossier.received_at < end,
        sa.or_(Dossier.finished_at.is_(None), Dossier.finished_at >= start),
    )


def due_at(moment: datetime):
    """SQL: the dossier's due moment as it stood at `moment`."""
    moved = (
        sa.select(DossierPause.due_after)
        .where(
            DossierPause.dossier_id == Dossier.id,
            DossierPause.ended_at <= moment,
            DossierPause.due_after.is_not(None),
        )
        .order_by(DossierPause.ended_at.desc(), DossierPause.id.desc())
        .limit(1)
        .correlate(Dossier)
        .scalar_subquery()
    )
    return sa.func.coalesce(moved, Dossier.original_due_at, Dossier.due_at)


def paused_since(moment: datetime):
    """SQL: when the pause open at `moment` began (None if the dossier was not waiting then)."""
    return (
        sa.select(sa.func.min(DossierPause.started_at))
        .where(
            DossierPause.dossier_id == Dossier.id,
            DossierPause.started_at <= moment,
            sa.or_(DossierPause.ended_at.is_(None), DossierPause.ended_at > moment),
        )
        .correlate(Dossier)
        .scalar_subquery()
    )


def standing(moment: datetime):
    """SQL: the dossier's Standing at `moment` (a CASE; meaningful for counted dossiers)."""
    due = due_at(moment)
    since = paused_since(moment)
    finished = sa.and_(Dossier.finished_at.is_not(None), Dossier.finished_at <= moment)
    return sa.case(
        (sa.and_(finished, Dossier.verdict == "early"), Standing.EARLY.value),
        (sa.and_(finished, Dossier.verdict == "on_time"), Standing.ON_TIME.value),
        (finished, Standing.LATE.value),
        (sa.and_(since.is_not(None), since > due), Standing.OPEN_LATE.value),
        (since.is_not(None), Standing.PAUSED.value),
        (moment > due, Standing.OPEN_LATE.value),
        else_=Standing.OPEN_IN_TIME.value,
    )


@dataclass(frozen=True)
class Pause:
    started_at: datetime
    ended_at: datetime | None
    due_after: datetime | None


def judge(
    *,
    original_due_at: datetime,
    finished_at: datetime | None,
    verdict: str | None,
    pauses: list[Pause],
    moment: datetime,
) -> Standing:
    """One dossier's Standing at `moment` (the rule of the module, in Python)."""
    if finished_at is not None and finished_at <= moment:
        return Standing(verdict) if verdict in {"early", "on_time"} else Standing.LATE
    ended = [p for p in pauses if p.ended_at is not None and p.ended_at <= moment and p.due_after]
    due = max(ended, key=lambda p: p.ended_at).due_after if ended else original_due_at  # type: ignore[arg-type,return-value]
    open_then = [
        p.started_at for p in pauses if p.started_at <= moment and (p.ended_at is None or p.ended_at > moment)
    ]
    if open_then:
        return Standing.OPEN_LATE if min(open_then) > due else Standing.PAUSED
    return Standing.OPEN_LATE if moment > due else Standing.OPEN_IN_TIME


def judge_dossier(dossier: Dossier, pauses: list[DossierPause], moment: datetime) -> Standing:
    """`judge` for a stored dossier and its pauses."""
    return judge(
        original_due_at=dossier.original_due_at or dossier.due_at,  # type: ignore[arg-type]
        finished_at=dossier.finished_at,
        verdict=dossier.verdict,
        pauses=[Pause(p.started_at, p.ended_at, p.due_after) for p in pauses],
        moment=moment,
    )
