"""One language per page, on every page (the tours of every_page.py), in Chromium: a Vietnamese
page shows none of our English words, and a page in English (the session's switch) none of our
Vietnamese words: the pages' strings (the .po files), the forms' titles, labels and options
(forms/*.json) and the process models' names and instructions (bpmn/*.bpmn).

What people and the catalogue wrote (names of officers, units, groups, procedures and their
components, what an applicant or an officer typed) is data, shown as it was written: it is taken
out of the page's text before the check, from the database the page was drawn from."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.browser.conftest import IN_CI
from tests.browser.every_page import TOURS, report, walk

try:
    import playwright  # noqa: F401
except ImportError:
    if IN_CI:
        raise  # CI=true: the browser tests must run
    pytest.skip("The playwright package is not installed.", allow_module_level=True)

ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER = re.compile(r"%\(\w+\)[sdf]|%[sdf]|\{\w*\}")
VIETNAMESE = re.compile(r"[À-ỹđĐ]")
# An English phrase worth looking for: a word of 4 letters or more, or two words (a short English
# word is often a Vietnamese word too: "Thu", "Can", "Tin").
ENGLISH_WORD = re.compile(r"[A-Za-z]{4,}|[A-Za-z]+ [A-Za-z]+")
# Words of both languages, or names that are the same in both (never a sign of the other language).
SHARED = {"Motcua", "OpenAPI", "BPMN", "PDF", "CCCD", "JSON", "Email", "Webhook", "Webhooks", "Token"}

# What a page shows besides its text: its title, and the names and hints of its controls; and
# what it shows as written, whatever the language (left out): literal codes (<code>) and the
# process model a designer is editing or comparing (the diagrams of the designer's pages).
PAGE_WORDS = """() => {
    const shown = (node) => node.getClientRects().length > 0;
    const parts = [document.title, document.body.innerText];
    for (const node of document.querySelectorAll('svg text')) {
        if (shown(node) && !node.closest('.designer-canvas')) parts.push(node.textContent);
    }
    for (const node of document.querySelectorAll('[aria-label], [title], [placeholder]')) {
        if (!shown(node)) continue;  // a widget's hidden control says nothing to anyone
        for (const name of ['aria-label', 'title', 'placeholder']) {
            if (node.hasAttribute(name)) parts.push(node.getAttribute(name));
        }
    }
    for (const node of document.querySelectorAll('select')) {
        if (shown(node)) for (const option of node.options) parts.push(option.textContent);
    }
    const literal = [...document.querySelectorAll('code, .designer-canvas')].map((node) => node.innerText);
    return {text: parts.join('\\n'), literal: literal.filter((text) => text && text.trim())};
}"""


def fragments(text: str) -> list[str]:
    """The literal parts of a message (placeholders cut out), each a phrase worth looking for."""
    parts = [part.strip(" \t\n.,:;·\u2013\u2014-()«»\"'/?!…") for part in PLACEHOLDER.split(text)]
    return [part for part in parts if len(part) >= 2]


@cache
def our_words() -> tuple[frozenset[str], frozenset[str]]:
    """(our Vietnamese phrases, our English phrases): the .po files' msgids and their English,
    and the words of the shipped forms and process models."""
    from babel.messages.pofile import read_po

    from service.ui.i18n import TRANSLATIONS, po_files
    from service.ui.words import bpmn_words, form_words

    vietnamese: set[str] = set()
    english: set[str] = set()
    sources = set(form_words(ROOT / "forms") | bpmn_words(ROOT / "bpmn"))
    for path in po_files(TRANSLATIONS / "en"):
        with path.open("rb") as source:
            for message in read_po(source, locale="en"):
                if not message.id:
                    continue
                ids = message.id if isinstance(message.id, tuple) else (message.id,)
                strings = message.string if isinstance(message.string, tuple) else (message.string,)
                sources.update(ids)
                for text in strings:
                    if text and text not in ids:
                        english.update(f for f in fragments(text) if not VIETNAMESE.search(f))
    for text in sources:
        vietnamese.update(f for f in fragments(text) if VIETNAMESE.search(f))
    english = {f for f in english if ENGLISH_WORD.search(f) and f not in SHARED}
    return frozenset(vietnamese), frozenset(english - vietnamese)


def data_words(app) -> list[str]:
    """What the office's people and catalogue wrote, longest first (taken out before the check)."""
    from service.definitions.models import ProcessDefinition
    from service.dossiers.models import Dossier
    from service.extensions import db
    from service.identity.models import Group, OrgUnit, User
    from service.procedures.models import Procedure

    found = {"Tiếng Việt", "English"}  # the language switch names each language in itself
    with app.app_context():
        for column in (
            Group.description,
            OrgUnit.name,
            User.display_name,
            User.username,
            Procedure.name,
            ProcessDefinition.key,  # a process's code, shown beside its name
        ):
            found.update(value for value in db.session.scalars(sa.select(column)) if value)
        for procedure in db.session.scalars(sa.select(Procedure)):
            found.update(_strings([procedure.field, procedure.level, procedure.fee, procedure.legal_basis]))
            found.update(_strings(procedure.components))
        for dossier in db.session.scalars(sa.select(Dossier)):
            found.update(_strings(getattr(dossier, "applicant", None)))
            found.update(_strings(getattr(dossier, "components", None)))
    # The published schedules of days off (their names and legal references, as published).
    for path in (ROOT / "service" / "calendar" / "schedules").glob("*.json"):
        if path.name != "schedule.schema.json":
            found.update(_strings(json.loads(path.read_text(encoding="utf-8"))))
    return sorted((w for w in found if isinstance(w, str) and len(w) >= 2), key=len, reverse=True)


def _strings(value) -> set[str]:
    if isinstance(value, str):
        return {value}
    if isinstance(value, dict):
        return set().union(*(_strings(v) for v in value.values())) if value else set()
    if isinstance(value, list | tuple):
        return set().union(*(_strings(v) for v in value)) if value else set()
    return set()


def other_language(lang: str, data: list[str]):
    """inspect(page) -> our phrases of the other language found on the page."""
    vietnamese, english = our_words()
    phrases = vietnamese if lang == "en" else english
    # Our phrases of the page's own language are taken out first: a word of the other language
    # inside one of them ("CSV with the columns code, name…") is what the sentence says.
    own = sorted(english if lang == "en" else vietnamese, key=len, reverse=True)
    # One pattern per phrase would be slow: the page's words first, then the phrases that could fit.
    compiled = [(p, re.compile(r"(?<!\w)" + re.escape(p) + r"(?!\w)")) for p in phrases]

    def inspect(page) -> list[str]:
        shown = page.evaluate(PAGE_WORDS)
        text = shown["text"]
        for value in sorted(shown["literal"], key=len, reverse=True) + data + own:
            text = text.replace(value, " ")
        text = re.sub(r"[ \t]+", " ", text)
        found = {phrase: pattern.search(text) for phrase, pattern in compiled if phrase in text}
        found = {phrase: match for phrase, match in found.items() if match}
        # A phrase inside a longer phrase found is not reported twice.
        shown = sorted(p for p in found if not any(p != q and p in q for q in found))
        return [f"{p!r} in …{text[max(found[p].start() - 30, 0) : found[p].end() + 30]!r}…" for p in shown]

    return inspect


@pytest.mark.parametrize("lang", ("vi", "en"))
@pytest.mark.parametrize("tour", TOURS)
def test_every_page_speaks_only_the_chosen_language(page, office, every_page, tour, lang):
    visits = every_page(tour)
    problems = walk(page, visits, lang, other_language(lang, data_words(office.app)), documents=False)
    assert not problems, report(problems)


def test_the_check_sees_our_words_of_the_other_language(page, office):
    """The check itself: an English page with a Vietnamese label of ours is reported, and the
    reverse; the names of people and units are not."""
    vietnamese, english = our_words()
    assert "Kiểm tra tính đầy đủ và thẩm quyền của hồ sơ" in vietnamese  # a form's title
    assert "Phê duyệt kết quả giải quyết" in vietnamese  # a step of dossier.bpmn
    assert "My tasks" in english
    page.goto("/ui/login?lang=en")
    inspect = other_language("en", data_words(office.app))
    assert inspect(page) == []
    page.evaluate(
        """() => document.querySelector('main').insertAdjacentHTML('beforeend',
            '<p>Trần Thị Bình · Trung tâm Phục vụ hành chính công · Thẩm định hồ sơ</p>')"""
    )
    assert [line.split(" in ")[0] for line in inspect(page)] == ["'Thẩm định hồ sơ'"]
    page.goto("/ui/login?lang=vi")
    inspect = other_language("vi", data_words(office.app))
    assert inspect(page) == []
    page.evaluate("() => document.querySelector('main').insertAdjacentHTML('beforeend', '<p>My tasks</p>')")
    assert [line.split(" in ")[0] for line in inspect(page)] == ["'My tasks'"]
