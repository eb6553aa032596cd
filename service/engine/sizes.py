"""Sizes of what scripts build: checked before an operation grows a value, estimated before a
value is turned into text, measured while a script runs and after it.

- Growing operations (`*`, `+`, `**`, `<<`, `%`, `range`, `str.join`, `ljust`...) are refused
  when their result would have more than `max_sequence` items, characters or bits (`check_binop`,
  `sized_method`).
- Text: `str()`, `repr()`, f-strings (with or without a format spec), `%`-formatting and `print`
  of containers first *estimate* the text (`estimate`: every reference counted, so a list of
  1,000 references to one 1 MB string is 1 GB of text) and refuse it over `max_sequence`
  characters, before anything is built.
- Data: the values a script holds (its variables, in every frame of the script) are measured
  now and then while it runs, and the data it leaves in its task after it ran, in estimated
  bytes (`max_data_bytes`) and nesting depth (`max_data_depth`): data that could not be stored
  (too big, too deep, a list holding itself) stops the script, not a later serialization; so
  does data JSON cannot hold (`unstorable`: a date object, a set, bytes, NaN or infinity, an
  integer of over 4,300 digits, a key that is not text or a number).

Not measured: temporaries a single expression builds (the list a comprehension is filling) and
C-level work; run the service under an OS memory limit (docs/operations.md).
"""

from __future__ import annotations

import datetime
import math
import re
import types
from collections.abc import Callable, Iterable, Iterator
from itertools import chain
from typing import Any, NoReturn

from RestrictedPython.Guards import safer_getattr
from RestrictedPython.PrintCollector import PrintCollector

from .errors import ScriptError
from .limits import describe

SEQ = (str, bytes, list, tuple)
CONTAINERS = (list, tuple, dict, set, frozenset)
GROWING = frozenset(
    {"ljust", "rjust", "center", "zfill", "expandtabs", "replace", "join", "translate", "extend"}
)
_PERCENT_SPEC = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d*)(?:\.(\*|\d*))?")
_OTHER = 64  # the text of a date, a decimal or any other object, about


def refuse(what: str, size: int, limit: int, unit: str = "items", budget: str = "max_sequence") -> NoReturn:
    raise ScriptError(
        f"Refused: the result of {what} would have {size:,} {unit}; over {describe(budget, limit)}",
        budget=budget,
    )


def estimate(value: object, limit: int, max_depth: int = 1000) -> tuple[int, int]:
    """(about how many characters the text of `value` has, its nesting depth), see estimate_all."""
    return estimate_all((value,), limit, max_depth)


def estimate_all(values: Iterable[object], limit: int, max_depth: int = 1000) -> tuple[int, int]:
    """About how many characters str()/repr()/JSON of `values` take, and their deepest nesting
    (a list is 1, a list in a list 2). Walks without recursion and stops as soon as the size passes
    `limit` or the depth `max_depth` (a list holding itself): the answer is then only "over"."""
    size, deepest = 0, 0
    stack: list[Iterator[object]] = [iter(values)]
    while stack:
        for item in stack[-1]:
            if isinstance(item, str):
                size += len(item) + 2
            elif isinstance(item, bytes | bytearray):
                size += 4 * len(item) + 3
            elif isinstance(item, bool) or item is None:
                size += 5
            elif isinstance(item, int):
                size += item.bit_length() * 3 // 10 + 2
            elif isinstance(item, float):
                size += 24
            elif isinstance(item, dict):
                size += 2 + 4 * len(item)
                stack.append(chain.from_iterable(item.items()))
                break
            elif isinstance(item, list | tuple | set | frozenset):
                size += 2 + 2 * len(item)
                stack.append(iter(item))
                break
            else:
                size += _OTHER
            if size > limit:
                return size, deepest
        else:
            stack.pop()
            continue
        deepest = max(deepest, len(stack) - 1)
        if size > limit or deepest > max_depth:
            return size, deepest
    return size, deepest


def check_text(value: object, limit: int, what: str) -> None:
    """Refuse turning a container into text that would be longer than `limit` characters."""
    if isinstance(value, CONTAINERS):
        size, _ = estimate(value, limit)
        if size > limit:
            refuse(what, size, limit, "characters")


def check_binop(op: str, a: Any, b: Any, limit: int) -> None:
    """Refuse `a op b` if the result would be huge: ints over `limit` bits, sequences over `limit`
    items, %-formatted text over `limit` characters."""
    size, unit = 0, "bits"
    if isinstance(a, int) and isinstance(b, int):
        if op == "*":
            size = a.bit_length() + b.bit_length()
        elif op == "**" and b > 0 and abs(a) > 1:
            size = a.bit_length() * b
        elif op == "<<" and a and b > 0:
            size = a.bit_length() + b
    elif op == "+" and isinstance(a, SEQ) and isinstance(b, SEQ):
        size, unit = len(a) + len(b), "items"
    elif op == "*" and (isinstance(a, SEQ) or isinstance(b, SEQ)):
        seq, n = (a, b) if isinstance(a, SEQ) else (b, a)
        size, unit = (len(seq) * n if isinstance(n, int) else 0), "items"
    elif op == "%" and isinstance(a, str | bytes):
        text = (a.decode("latin-1") if isinstance(a, bytes) else a).replace("%%", "")
        widths = [int(n) for spec in _PERCENT_SPEC.findall(text) for n in spec if n.isdigit()]
        if "*" in text:
            widths += [n for n in (b if isinstance(b, tuple) else (b,)) if isinstance(n, int)]
        content = estimate(b, limit)[0] if isinstance(b, CONTAINERS) else len(b) if isinstance(b, str) else 0
        size, unit = max(widths, default=0) + content + len(text), "characters"
    if size > limit:
        refuse(f"'{op}'", size, limit, unit)


def _result_size(obj: Any, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> int:
    """Upper bound of len(obj.name(*args, **kwargs)) for the methods in GROWING (the arguments are a
    script's: a wrong type raises here, and the method itself reports it)."""
    n = len(obj)
    if name in ("ljust", "rjust", "center", "zfill"):
        width: int = args[0]
        return width
    if name == "expandtabs":
        tabsize: int = args[0] if args else kwargs.get("tabsize", 8)
        return n * max(tabsize, 1)
    if name == "replace":
        old, new = args[0], args[1]
        hits: int = obj.count(old) if old else n + 1
        hits = min(hits, args[2]) if len(args) > 2 and args[2] >= 0 else hits
        return n + hits * max(len(new) - len(old), 0)
    if name == "join":
        return sum(len(i) for i in args[0] if isinstance(i, SEQ)) + n * max(len(args[0]) - 1, 0)
    if name == "translate":
        table = args[0]
        values = table.values() if isinstance(table, dict) else table if isinstance(table, list) else ()
        return n * max([len(v) for v in values if isinstance(v, SEQ)] + [1])
    return n + len(args[0])  # extend


def sized_method(obj: Any, name: str, method: Callable[..., Any], limit: int) -> Callable[..., Any]:
    """obj.name (one of GROWING), refusing a call whose result would be over `limit` items."""

    def call(*args: Any, **kwargs: Any) -> Any:
        if name in ("join", "extend") and args:
            args = (list(args[0]), *args[1:])  # materialise once, so the size can be computed
        try:
            size = _result_size(obj, name, args, kwargs)
        except (TypeError, ValueError, IndexError, AttributeError):
            size = 0  # bad arguments: the method itself reports them
        if size > limit:
            refuse(f"{type(obj).__name__}.{name}()", size, limit)
        return method(*args, **kwargs)

    return call


class _CheckedType(type):
    """The metaclass of a stand-in for `str` whose calls are size-checked; isinstance, issubclass
    and attributes (str.upper...) behave as str's."""

    limit: int

    def __instancecheck__(cls, obj: object) -> bool:
        return isinstance(obj, str)

    def __subclasscheck__(cls, sub: type) -> bool:
        return issubclass(sub, str)

    def __getattr__(cls, name: str) -> Any:
        return safer_getattr(str, name)  # refuses str.format and private names, as for str itself

    def __call__(cls, *args: Any, **kwargs: Any) -> str:
        if args:
            check_text(args[0], cls.limit, "str()")
        return str(*args, **kwargs)


def text_builtins(limit: int) -> dict[str, Any]:
    """str, repr, the f-string formatter and the print collector, checked before they build text."""
    checked_str = _CheckedType("str", (), {"limit": limit})

    def repr_(value: object) -> str:
        check_text(value, limit, "repr()")
        return repr(value)

    class CheckedPrintCollector(PrintCollector):
        size = 0

        def _call_print(self, *objects: object, **kwargs: Any) -> None:
            for value in objects:
                check_text(value, limit, "print()")
            # Called by name: mypy excuses RestrictedPython's untyped methods, but not through super().
            PrintCollector._call_print(self, *objects, **kwargs)

        def write(self, text: str) -> None:
            self.size += len(text)
            if self.size > limit:
                refuse("print()", self.size, limit, "characters")
            super().write(text)

    return {"str": checked_str, "repr": repr_, "_print_": CheckedPrintCollector}


def is_str(obj: object) -> bool:
    """Whether obj is str or the checked stand-in the sandbox offers for it."""
    return obj is str or isinstance(obj, _CheckedType)


# --- measuring what a running script holds -------------------------------------------------------


def script_values(
    frame: types.FrameType | None, stop_code: types.CodeType, filename: str = "<string>"
) -> Iterator[object]:
    """The values of the variables of every script frame from `frame` up to `stop_code`'s frame:
    the script's globals and the locals of its functions (names starting with "_", functions,
    modules and namespaces left out)."""
    seen: set[int] = set()
    while frame is not None and frame.f_code is not stop_code:
        if frame.f_code.co_filename == filename:
            variables = frame.f_locals
            if id(variables) not in seen:
                seen.add(id(variables))
                for name, value in list(variables.items()):
                    if not (name.startswith("_") or callable(value) or isinstance(value, types.ModuleType)):
                        yield value
        frame = frame.f_back


_MAX_INT_BITS = 14_280  # JSON writes integers as decimal text; Python refuses over 4,300 digits
_HINTS = {
    datetime.datetime: "store dates and times as text, e.g. with .isoformat()",
    datetime.date: "store dates and times as text, e.g. with .isoformat()",
    datetime.time: "store dates and times as text, e.g. with .isoformat()",
    datetime.timedelta: "store a duration as a number of seconds or days",
    set: "use a list",
    frozenset: "use a list",
    bytes: "use text",
    bytearray: "use text",
}


def unstorable(value: object) -> str | None:
    """Why `value` cannot be kept as task data (the first reason found), or None.

    Task data is stored as JSON: text, finite numbers, booleans, null, lists and objects whose
    keys are text or numbers. Call it on data whose size and depth are already bounded (a value
    holding itself would not end the walk)."""
    stack: list[object] = [value]
    while stack:
        item = stack.pop()
        if item is None or isinstance(item, str | bool):
            continue
        if isinstance(item, int):
            if item.bit_length() > _MAX_INT_BITS:
                return "an integer of more than 4,300 digits"
            continue
        if isinstance(item, float):
            if not math.isfinite(item):
                return f"a number that is not finite ({item})"
            continue
        if isinstance(item, dict):
            for key, entry in item.items():
                if not (key is None or isinstance(key, str | int | float)):
                    return f"an object key of type {type(key).__name__} (keys are text or numbers)"
                stack.append(entry)
            continue
        if isinstance(item, list | tuple):
            stack.extend(item)
            continue
        kind = type(item)
        hint = _HINTS.get(kind)
        return f"a {kind.__name__}" + (f" ({hint})" if hint else "")
    return None
