"""A dossier's status (TrangThaiHoSo, as synced to the national portal): the codes, their names and
the moves between them, in one place (DOMAIN.md §1)."""

from __future__ import annotations

from enum import IntEnum


class DossierStatus(IntEnum):
    NEW = 1  # Mới đăng ký: submitted, not yet received
    RECEIVED = 2  # Được tiếp nhận: registered and numbered, the clock starts
    REFUSED = 3  # Không được tiếp nhận
    PROCESSING = 4  # Đang xử lý
    SUPPLEMENT = 5  # Yêu cầu bổ sung: waiting for the applicant, the clock is paused
    FINANCIAL = 6  # Yêu cầu thực hiện nghĩa vụ tài chính
    WITHDRAWN = 7  # Công dân yêu cầu rút hồ sơ
    STOPPED = 8  # Dừng xử lý
    DONE = 9  # Đã xử lý xong: the result is ready at the one-stop shop
    RETURNED = 10  # Đã trả kết quả

    @property
    def label(self) -> str:
        return LABELS[self]

    @property
    def final(self) -> bool:
        """No move leaves it: the dossier's processing is over."""
        return self in FINAL

    @property
    def running(self) -> bool:
        """Its processing time still runs (or is paused): neither finished nor over."""
        return self not in FINISHED


LABELS = {
    DossierStatus.NEW: "Mới đăng ký",
    DossierStatus.RECEIVED: "Được tiếp nhận",
    DossierStatus.REFUSED: "Không được tiếp nhận",
    DossierStatus.PROCESSING: "Đang xử lý",
    DossierStatus.SUPPLEMENT: "Yêu cầu bổ sung",
    DossierStatus.FINANCIAL: "Yêu cầu thực hiện nghĩa vụ tài chính",
    DossierStatus.WITHDRAWN: "Công dân yêu cầu rút hồ sơ",
    DossierStatus.STOPPED: "Dừng xử lý",
    DossierStatus.DONE: "Đã xử lý xong",
    DossierStatus.RETURNED: "Đã trả kết quả",
}

# Statuses no move leaves, and those whose processing time is over (the result is ready, too).
FINAL = frozenset(
    {DossierStatus.REFUSED, DossierStatus.WITHDRAWN, DossierStatus.STOPPED, DossierStatus.RETURNED}
)
FINISHED = FINAL | {DossierStatus.DONE}

_OPEN = {
    DossierStatus.PROCESSING,
    DossierStatus.SUPPLEMENT,
    DossierStatus.FINANCIAL,
    DossierStatus.DONE,
    DossierStatus.WITHDRAWN,
    DossierStatus.STOPPED,
}
# The moves a process may make (a model that tries another is refused at run time: audit and log).
# Withdrawal (7) and stopping (8) are possible from every status that is not final.
TRANSITIONS: dict[DossierStatus, frozenset[DossierStatus]] = {
    DossierStatus.NEW: frozenset(
        {DossierStatus.RECEIVED, DossierStatus.REFUSED, DossierStatus.WITHDRAWN, DossierStatus.STOPPED}
    ),
    DossierStatus.RECEIVED: frozenset(_OPEN),
    DossierStatus.PROCESSING: frozenset(_OPEN),
    DossierStatus.SUPPLEMENT: frozenset(_OPEN),
    DossierStatus.FINANCIAL: frozenset(_OPEN),
    DossierStatus.DONE: frozenset({DossierStatus.RETURNED, DossierStatus.WITHDRAWN, DossierStatus.STOPPED}),
    DossierStatus.REFUSED: frozenset(),
    DossierStatus.WITHDRAWN: frozenset(),
    DossierStatus.STOPPED: frozenset(),
    DossierStatus.RETURNED: frozenset(),
}


# How a dossier's handling ended, where the status code alone does not say it (DOMAIN.md §1): a
# refusal after appraisal and an approval both end at 9 then 10; a dossier guided to complete its
# file (Mẫu 02) stays "new" (1) since it was never registered. Set by the model's
# `dossierOutcome` property (service/dossiers/follow.py), kept once set.
OUTCOMES = {
    "guided": "Đã hướng dẫn hoàn thiện hồ sơ (Mẫu 02), không tiếp nhận",
    "not_received": "Không được tiếp nhận (Mẫu 03)",
    "approved": "Giải quyết: chấp thuận",
    "refused": "Giải quyết: từ chối",
    "withdrawn": "Công dân rút hồ sơ",
    "stopped": "Dừng giải quyết",
}
# Outcomes that end the handling whatever the status (the others come with a final status).
CLOSING_OUTCOMES = frozenset({"guided"})


def label(status: int, outcome: str | None = None) -> str:
    """The status as people read it: a guided dossier (still 1, never registered) says so."""
    if outcome in CLOSING_OUTCOMES and status == DossierStatus.NEW:
        return OUTCOMES[outcome]
    return LABELS[DossierStatus(status)]


def may_move(current: int, to: int) -> bool:
    """Whether a dossier in `current` may move to `to` (staying where it is always may)."""
    if current == to:
        return True
    return DossierStatus(to) in TRANSITIONS[DossierStatus(current)]


def parse(value) -> DossierStatus | None:
    """The status a BPMN `dossierStatus` property names ("4"), or None if it names none."""
    try:
        return DossierStatus(int(value))
    except (TypeError, ValueError):
        return None
