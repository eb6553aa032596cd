"""Every page of the web application, as the people who open them (for the checks that hold on
every page: axe-core in test_accessibility.py, the words of one language in
test_page_words_everywhere.py).

A tour is who logs in (None: no session) and the pages they open; a page whose scripts draw it
after loading names what to wait for. The dossier's officers' task pages (assign, appraise,
approve, issue, return) are opened on dossiers moved to each step through the API."""

from __future__ import annotations

from dataclasses import dataclass, field

from tests.browser.conftest import PASSWORD, log_in, name_officers
from tests.browser.test_dossier_pages import accept
from tests.factories import receive_dossier

ADMIN_PASSWORD = "password-1"  # make_user's default, the office's admin
DIAGRAM = "[data-diagram-url][data-state=ready]"
HEATMAP = "[data-heatmap-url] .djs-container"
CANVAS = ".designer-canvas .djs-element[data-element-id]"
FORM = "#editor [data-schemapath=root]"
TOURS = ("public", "clerk", "officers", "reports", "admin", "designer")
# What the officers decide at each step, to move a dossier on through the API.
STEPS = (
    ("assign", "head", {"specialist": "specialist"}),
    ("appraise", "specialist", {"appraisal_decision": "propose_approve", "appraisal_opinion": "Đủ."}),
    ("approve", "leader", {"approval_decision": "approve"}),
    ("issue_result", "records", {"result_number": "125/PLLTP", "issued_on": "2026-11-26"}),
)


@dataclass
class Tour:
    username: str | None
    password: str = PASSWORD
    urls: list[str] = field(default_factory=list)
    ready: dict[str, str] = field(default_factory=dict)  # url -> selector drawn by its script
    by: dict[str, str] = field(default_factory=dict)  # url -> who opens it instead (PASSWORD)
    # The official documents (Mẫu 01...): Vietnamese forms set by regulation, whatever the
    # page's language; the word check leaves them out, axe does not.
    documents: set[str] = field(default_factory=set)


def task_of(caller, instance_id, element):
    tasks = caller.get(f"/api/v1/tasks?process_instance_id={instance_id}").json["items"]
    return next(t for t in tasks if t["element_id"] == element and t["state"] == "open")


def _move(office, dossier, until: str) -> str:
    """Complete the dossier's steps up to `until` (claiming each as its officer); its open task's id."""
    instance_id = dossier["process_instance_id"]
    complete_ = {"digitise": (office.clerk, {"all_components_digitised": True})}
    order = ["digitise", *(element for element, _who, _values in STEPS)]
    officers = {element: getattr(office, who) for element, who, _values in STEPS}
    values = {element: decided for element, _who, decided in STEPS}
    for element in order:
        task = task_of(office.admin, instance_id, element)
        if element == until:
            return task["id"]
        caller, decided = complete_.get(element, (officers.get(element), values.get(element)))
        caller.post(f"/api/v1/tasks/{task['id']}/claim")
        done = caller.complete(task["id"], decided)
        assert done.status_code == 200, (element, done.json)
    return task_of(office.admin, instance_id, until)["id"]


def officers_tasks(office, make_officers) -> dict[str, str]:
    """One dossier waiting at each officer's step: element -> its open task's id."""
    for name in ("specialist", "leader", "records"):
        setattr(office, name, getattr(make_officers(name, password=PASSWORD), name))
    name_officers(office.admin, specialist="Phạm Thị Lan", leader="Võ Thanh Tùng", records="Huỳnh Thị Mai")
    found = {}
    for element in ("assign", "appraise", "approve", "issue_result", "return_result"):
        dossier = accept(office, receive_dossier(office.clerk))
        found[element] = _move(office, dossier, element)
    return found


# Who does each of the officers' steps (the appraisal is assigned to the specialist by name).
OFFICER_OF = {"assign": "head", "appraise": "specialist", "approve": "leader", "issue_result": "records"}


def tour(name: str, office, make_user, make_officers) -> Tour:
    """The pages of one tour (the office fixture's dossier accepted on the way)."""
    dossier = accept(office)
    code, instance_id = dossier["code"], dossier["process_instance_id"]
    if name == "public":
        return Tour(
            None,
            urls=[
                "/ui/login",
                "/ui/tra-cuu",
                f"/ui/tra-cuu?ma={code}",
                f"/api/v1/dossiers/{code}/documents/mau-01?format=html",  # refused (401): a page
            ],
        )
    if name == "clerk":
        digitise = task_of(office.clerk, instance_id, "digitise")
        return Tour(
            "clerk",
            urls=[
                "/ui/",
                "/ui/?tab=group",
                "/ui/?tab=mine",
                f"/ui/tasks/{digitise['id']}",
                f"/ui/tasks/{office.letters[0]['tasks'][0]['id']}",
                "/ui/dossiers",
                "/ui/dossiers?q=Nguyễn",
                f"/ui/dossiers/{code}",
                f"/ui/instances/{instance_id}",
                "/ui/reception",
                "/ui/reception?procedure=AG-LLTP-01",
                f"/ui/reception/{code}",
                f"/ui/dossiers/{code}/slips/mau-01",  # the receipt, as printed
                f"/ui/dossiers/{code}/slips/mau-03",  # does not fit an accepted dossier: a 409 page
                "/ui/calendar",
                "/ui/account",
                "/ui/tasks/00000000-0000-0000-0000-000000000000",  # the 404 page
                "/ui/admin",  # the 403 page
            ],
            documents={f"/ui/dossiers/{code}/slips/mau-01"},
            ready={
                f"/ui/dossiers/{code}": DIAGRAM,
                f"/ui/instances/{instance_id}": DIAGRAM,
                f"/ui/tasks/{digitise['id']}": FORM,
            },
        )
    if name == "officers":
        steps = officers_tasks(office, make_officers)
        return Tour(
            "clerk",
            urls=[f"/ui/tasks/{task_id}" for task_id in steps.values()],
            ready={f"/ui/tasks/{task_id}": FORM for task_id in steps.values()},
            by={f"/ui/tasks/{steps[element]}": who for element, who in OFFICER_OF.items()},
        )
    if name == "reports":
        return Tour(
            "admin",
            ADMIN_PASSWORD,
            urls=["/ui/bao-cao", "/ui/dashboard", "/ui/bao-cao/tre-han", "/ui/bao-cao/ban-do-nhiet"],
        )
    if name == "admin":
        return Tour(
            "admin",
            ADMIN_PASSWORD,
            urls=[
                "/ui/admin",
                "/ui/admin/instances",
                "/ui/admin/incidents",
                "/ui/admin/users",
                "/ui/admin/users/clerk",
                "/ui/admin/groups",
                "/ui/admin/units",
                "/ui/admin/units/TTPVHCC",
                "/ui/admin/tokens",
                "/ui/admin/webhooks",
                "/ui/admin/webhooks/deliveries",
                "/ui/admin/calendar",
                "/ui/admin/procedures",
                "/ui/admin/procedures/AG-LLTP-01",
            ],
        )
    if name == "designer":
        make_user("designer", groups=["designers"], password=PASSWORD)
        return Tour(
            "designer",
            urls=[
                "/ui/designer",
                "/ui/designer/simple_approval",
                "/ui/designer/new",
                "/ui/designer/dossier/compare",
            ],
            ready={"/ui/designer/simple_approval": CANVAS, "/ui/designer/new": CANVAS},
        )
    raise ValueError(name)


def walk(page, tour_: Tour, lang: str, inspect, documents: bool = True) -> dict[str, list[str]]:
    """Open every page of the tour in `lang` (the session's switch); url -> what inspect found
    (the official documents left out unless `documents`)."""
    current = None

    def become(username):
        nonlocal current
        page.context.clear_cookies()
        if username is None:
            page.goto(f"/ui/login?lang={lang}")
        else:
            log_in(page, username, tour_.password if username == tour_.username else PASSWORD)
            page.goto(f"/ui/?lang={lang}")
        current = username

    problems = {}
    for url in tour_.urls:
        if url in tour_.documents and not documents:
            continue
        who = tour_.by.get(url, tour_.username)
        if who != current or url == tour_.urls[0]:
            become(who)
        response = page.goto(url)
        assert response is not None, url
        page.wait_for_load_state("networkidle")
        if url in tour_.ready:
            page.wait_for_selector(tour_.ready[url], state="attached")
        found = inspect(page)
        if found:
            problems[url] = found
    return problems


def report(problems: dict[str, list[str]]) -> str:
    return "\n".join(f"{url}:\n  " + "\n  ".join(lines) for url, lines in problems.items())
