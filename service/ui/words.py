"""The words of the models, in the page's language: what the forms (forms/*.json: titles,
descriptions, labels, option words) and the process models (bpmn/*.bpmn: names of processes,
steps, lanes and flows, the instructions to the officers) say to a person.

They are written in Vietnamese by the designers, and translated like the pages' own strings:
the forms' in translations/<lang>/LC_MESSAGES/forms.po, the process models' in processes.po
(a word both use is in forms.po only; a word the pages already have is not repeated). A word with
no translation is shown as it was written, so a designer's new form works before it is
translated. To list the words of the shipped models (to add the missing ones to the .po files):

    python -m service.ui.words forms bpmn
"""

from __future__ import annotations

import copy
import html
import json
import re
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from xml.etree import ElementTree

from flask_babel import gettext

# Keys of a JSON Schema whose string values are words people read.
_SCHEMA_WORDS = ("title", "description")
# Keys whose values are data (never translated): option values, defaults, examples.
_SCHEMA_DATA = ("const", "enum", "default", "examples", "pattern", "format", "$id", "$schema", "$ref")
BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
# The elements whose instructions (bpmn:documentation) the task pages show; a process's or an
# automatic step's documentation is the designer's note, read in the designer only.
# A name that is a code (a message's, a signal's, a lane's named by its group): not a word.
CODE = re.compile(r"^[a-z][a-z0-9_]*$")
NAME_ATTRIBUTE = re.compile(r'(?<=\s)name="([^"]*)"')
HUMAN_TASKS = {BPMN + "userTask", BPMN + "manualTask"}


def word(text):
    """A word of a model in the page's language (as written when it has no translation)."""
    if not isinstance(text, str) or not text.strip():
        return text
    shown = gettext(text)
    if shown == text and text != text.strip():  # an instruction as the engine read it, spaces around
        shown = gettext(text.strip())
    return shown


def _schema_words(node, change) -> object:
    if isinstance(node, dict):
        return {
            key: (
                change(value)
                if key in _SCHEMA_WORDS and isinstance(value, str)
                else value
                if key in _SCHEMA_DATA
                else _schema_words(value, change)
            )
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_schema_words(item, change) for item in node]
    return node


def _ui_words(ui: dict, change) -> dict:
    ui = copy.deepcopy(ui)
    labels = ui.get("labels")
    if isinstance(labels, dict):
        ui["labels"] = {key: change(text) if isinstance(text, str) else text for key, text in labels.items()}
    options = ui.get("options")
    if isinstance(options, dict):
        ui["options"] = {
            name: (
                {value: change(text) if isinstance(text, str) else text for value, text in choices.items()}
                if isinstance(choices, dict)
                else choices
            )
            for name, choices in options.items()
        }
    return ui


def translated_form(form: dict | None) -> dict | None:
    """A form (forms.describe's {"schema", "ui", ...}) with its words in the page's language."""
    if not form:
        return form
    shown = dict(form)
    if isinstance(form.get("schema"), dict):
        shown["schema"] = _schema_words(form["schema"], word)
    if isinstance(form.get("ui"), dict):
        shown["ui"] = _ui_words(form["ui"], word)
    return shown


def translated_bpmn(xml: str) -> str:
    """A process model's XML with its names in the page's language (for the diagrams drawn by
    bpmn-js): every name="..." attribute whose words have a translation."""

    def shown(match: re.Match) -> str:
        name = html.unescape(match.group(1))
        translated = word(name)
        return match.group(0) if translated == name else f'name="{_attribute(translated)}"'

    return NAME_ATTRIBUTE.sub(shown, xml)


def _attribute(text: str) -> str:
    return html.escape(text, quote=True).replace("\n", "&#10;")


# --- the words of the shipped models (for the .po files and their test) -------------------------


def form_words(directory: Path) -> set[str]:
    """Every word of the forms in a folder (schemas and ui.json)."""
    found: set[str] = set()

    def keep(text: str) -> str:
        if text.strip():
            found.add(text)
        return text

    for path in sorted(directory.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        if path.name.endswith(".ui.json"):
            _ui_words(data, keep)
        else:
            _schema_words(data, keep)
    return found


def bpmn_words(directory: Path) -> set[str]:
    """Every name of the process models in a folder (processes, steps, lanes, flows: not the
    extension properties' names), and the instructions of their human tasks."""
    found: set[str] = set()
    for path in sorted(directory.glob("*.bpmn")):
        # The shipped models of this repository (trusted files), read for their words only.
        for element in ElementTree.parse(path).getroot().iter():  # noqa: S314
            if not isinstance(element.tag, str):
                continue  # a comment or processing instruction
            name = element.get("name", "")
            if element.tag.startswith(BPMN) and name.strip() and not CODE.match(name):
                found.add(name)
            if element.tag in HUMAN_TASKS:
                for note in element.findall(BPMN + "documentation"):
                    if (note.text or "").strip():
                        found.add(note.text.strip())
    return found


def _print(words: Iterable[str]) -> Iterator[str]:
    for text in sorted(words):
        yield f'msgid {json.dumps(text, ensure_ascii=False)}\nmsgstr ""\n'


if __name__ == "__main__":  # pragma: no cover - a helper for translators
    forms_dir, bpmn_dir = (Path(arg) for arg in sys.argv[1:3])
    print("\n".join(_print(form_words(forms_dir) | bpmn_words(bpmn_dir))))
