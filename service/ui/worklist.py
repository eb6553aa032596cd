"""The worklist page: my tasks and my groups' unassigned tasks, filtered and paged, read with the
API's worklist query (tasks.queries) and the dossier of each task (dossiers.queries)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from ..dossiers import queries as dossiers
from ..tasks import queries as tasks
from ..tasks.queries import OPEN
from . import display
from .words import word

PER_PAGE = 20
TABS = ("mine", "group")
STATES = ("open", "completed", "any")
DUES = ("late", "due_soon", "early", "none")
# The orders the page offers (tasks.queries.ORDERS): due first (the default), latest due first.
SORTS = ("due", "due_desc")


@dataclass
class Filters:
    tab: str = "mine"
    source: str = ""  # "process:<definition key>" or "procedure:<procedure code>"
    state: str = "open"  # of "mine"; the group tab shows open tasks only
    due: str = ""
    sort: str = "due"
    page: int = 1

    @classmethod
    def parse(cls, args) -> Filters:
        def pick(name, allowed, default):
            value = args.get(name, default)
            return value if value in allowed else default

        source = args.get("source", "")
        kind, _, value = source.partition(":")
        try:
            page = min(max(int(args.get("page", 1)), 1), 100_000)
        except ValueError:
            page = 1
        return cls(
            tab=pick("tab", TABS, "mine"),
            source=source if kind in {"process", "procedure"} and 0 < len(value) <= 255 else "",
            state=pick("state", STATES, "open"),
            due=pick("due", DUES, ""),
            sort=pick("sort", SORTS, "due"),
            page=page,
        )

    def query(self, **changes) -> dict:
        """URL arguments of these filters with some changed (empty ones left out)."""
        values = {
            "tab": self.tab,
            "source": self.source,
            "state": self.state,
            "due": self.due,
            "sort": self.sort,
        }
        values.update(changes)
        defaults = {"state": "open", "sort": "due"}
        return {k: v for k, v in values.items() if v and defaults.get(k) != v}


@dataclass
class Row:
    task: object
    process_name: str
    business_key: str | None
    dossier_code: str | None
    procedure_name: str | None
    applicant: str | None
    submitted: str | None
    due: str | None
    due_label: str
    created: str
    due_at: str
    can_claim: bool
    can_unclaim: bool


@dataclass
class Page:
    rows: list[Row]
    total: int
    counts: dict[str, int]
    pages: int
    sources: list[tuple[str, list[tuple[str, str]]]] = field(default_factory=list)


def _sources(user) -> list[tuple[str, list[tuple[str, str]]]]:
    """The processes and procedures of the caller's tasks, for the filter (both tabs)."""
    latest: dict[str, str] = {}
    for key, name in tasks.processes_of(user):  # one entry per key (its versions may be named differently)
        latest[key] = name or latest.get(key) or key
    processes = sorted(((f"process:{key}", word(name)) for key, name in latest.items()), key=lambda o: o[1])
    catalogue = sorted(
        (f"procedure:{code}", f"{code}{display.DASH}{name}")
        for code, name in dossiers.procedures_of_tasks(user)
    )
    return [
        (name, options) for name, options in (("process", processes), ("procedure", catalogue)) if options
    ]


def load(user, filters: Filters) -> Page:
    window = tasks.sla_window()
    kind, _, value = filters.source.partition(":")
    extra = [dossiers.of_procedure(value)] if kind == "procedure" else []
    process = value if kind == "process" else None

    def where(tab: str, state: str):
        """A tab as the worklist query's scope ("any" state: open and completed)."""
        which = tasks.Worklist(
            scope=tab, state=None if state == "any" else state, process=process, due=filters.due or None
        )
        return tasks.where(user, which, *extra, window=window)

    counts = {tab: tasks.count(where(tab, filters.state)) for tab in TABS}
    total = counts[filters.tab]
    pages = max(1, math.ceil(total / PER_PAGE))
    filters.page = min(filters.page, pages)
    state = "open" if filters.tab == "group" else filters.state
    # Due first (none last), then oldest: the order of the open-tasks index, so the database
    # finds the page's ids without sorting every matching task; the joins then touch 20 rows.
    found = dossiers.worklist(
        where(filters.tab, state), page=filters.page, per_page=PER_PAGE, order=filters.sort
    )
    rows = []
    for row in found:
        task = row.task
        status = task.sla_class(window)
        rows.append(
            Row(
                task=task,
                process_name=row.process_name,
                business_key=row.business_key,
                dossier_code=row.dossier_code,
                procedure_name=row.procedure_name,
                applicant=row.applicant,
                submitted=display.local_datetime(row.submitted_at),
                due=status,
                due_label=display.due_label(status, task.state),
                created=display.local_datetime(task.created_at),
                due_at=display.local_datetime(task.due_at),
                can_claim=task.state == OPEN and task.assignee_id is None,
                can_unclaim=task.state == OPEN and task.assignee_id == user.id,
            )
        )
    return Page(rows=rows, total=total, counts=counts, pages=pages, sources=_sources(user))
