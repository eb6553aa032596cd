"""Languages of the web pages: Vietnamese by default (the source strings), English from a .po file.

No compile step: the `translations/<lang>/LC_MESSAGES/*.po` files (messages.po for the shared
pages, one file per area of the application) are the only files kept in the tree; they are
compiled in memory (Babel's read_po/write_mo, a few milliseconds) the first time a language
is used in a process and cached until the process ends. A fresh clone works as it is, and nothing is
written at run time. `?lang=en` (or `vi`) on any /ui page stores the choice in the session.
"""

from __future__ import annotations

import threading
from io import BytesIO
from pathlib import Path

from babel import support
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask, has_request_context, request, session
from flask_babel import Babel, Domain, get_locale

TRANSLATIONS = Path(__file__).resolve().parent / "translations"
DEFAULT_LANGUAGE = "vi"
LANGUAGES = {"vi": "Tiếng Việt", "en": "English"}
SESSION_KEY = "lang"


def compile_po(path: Path, language: str) -> support.Translations:
    """A .po catalogue as gettext translations, compiled in memory (fuzzy entries are left out)."""
    with path.open("rb") as source:
        catalog = read_po(source, locale=language)
    buffer = BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return support.Translations(fp=buffer, domain="messages")


def po_files(language_dir: Path) -> list[Path]:
    """A language's .po files: messages.po first, then the areas' files by name."""
    files = sorted((language_dir / "LC_MESSAGES").glob("*.po"))
    return sorted(files, key=lambda path: (path.name != "messages.po", path.name))


def compile_catalogues(language_dir: Path, language: str) -> support.Translations | None:
    """All of a language's .po files as one set of translations (None when it has none)."""
    merged = None
    for path in po_files(language_dir):
        translations = compile_po(path, language)
        merged = translations if merged is None else merged.merge(translations)
    return merged


class PoDomain(Domain):
    """Flask-Babel's message domain, reading the .po files instead of compiled .mo files."""

    def __init__(self, directory: Path = TRANSLATIONS):
        super().__init__(translation_directories=[str(directory)])
        self.directory = directory
        self._lock = threading.Lock()

    def load(self, language: str) -> support.NullTranslations:
        """The translations of a language (compiled once; no .po file: the source strings)."""
        if language not in self.cache:
            with self._lock:
                if language not in self.cache:
                    self.cache[language] = compile_catalogues(self.directory / language, language)
        return self.cache[language] or self._null

    _null = support.NullTranslations()

    def get_translations(self):
        locale = get_locale()
        if locale is None:
            return support.NullTranslations()
        return self.load(str(locale.language))


class _Babel(Babel):
    """Flask-Babel with one long-lived PoDomain (its default builds a new domain per request)."""

    def __init__(self, domain: PoDomain):
        super().__init__()
        self._domain = domain

    @property
    def domain_instance(self):
        return self._domain


def current_language() -> str:
    """The language of this request: the session's choice, else Vietnamese."""
    if not has_request_context():
        return DEFAULT_LANGUAGE
    language = session.get(SESSION_KEY)
    return language if language in LANGUAGES else DEFAULT_LANGUAGE


def remember_choice() -> None:
    """before_request of the pages: ?lang=xx switches the language for the rest of the session."""
    language = request.args.get("lang")
    if language in LANGUAGES and session.get(SESSION_KEY) != language:
        session[SESSION_KEY] = language


def init_app(app: Flask) -> None:
    """Install Flask-Babel (once) with the .po domain and the session's language."""
    if "babel" in app.extensions:
        app.logger.warning("Flask-Babel was already initialised; the web pages use its configuration.")
        return
    babel = _Babel(PoDomain())
    babel.init_app(
        app,
        default_locale=DEFAULT_LANGUAGE,
        default_timezone=app.config.get("MOTCUA_TIMEZONE", "Asia/Ho_Chi_Minh"),
        locale_selector=current_language,
    )
