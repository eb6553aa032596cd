"""JUEL expressions (`${...}` / `#{...}`, as Camunda Modeler writes them) translated into Python.

Only a common subset is accepted, read by a real tokenizer and a recursive-descent parser:

- variable references, with dotted property access (`a.b` reads the key `b` of the map `a`);
- comparisons `==` `!=` `<` `>` `<=` `>=` and `eq` `ne` `lt` `gt` `le` `ge`;
- `&&` / `and`, `||` / `or`, `!` / `not`, `empty`, parentheses, unary minus on a number;
- string ('...' or "..."), number, `true`, `false` and `null` literals.

Anything else (method or function calls, bean references, `[]`, arithmetic, the ternary operator,
assignment, lambdas, unknown characters) is refused with JuelRefused naming what was found. The
result is a Python expression that the sandbox (sandbox.py) compiles and evaluates like any other:
the translation adds no capability, and identifiers that start with `_` or are Python keywords
are refused before Python ever sees them. The input is bounded (length, tokens, nesting depth).

A value may also mix text and expressions (`group-${unit}`): the parts are joined as text.
"""

from __future__ import annotations

import keyword
from dataclasses import dataclass, field

MAX_LENGTH = 1000  # characters of a whole value
MAX_TOKENS = 200  # tokens of one expression
MAX_DEPTH = 16  # nesting of parentheses and unary operators


class JuelRefused(ValueError):
    """An expression outside the supported subset (str(exc) says what and where)."""


@dataclass(frozen=True)
class _Token:
    kind: str  # "name", "string", "number", "op", "end"
    text: str
    at: int  # offset in the expression


_KEYWORDS = {
    "and": ("op", "and"),
    "or": ("op", "or"),
    "not": ("op", "not"),
    "empty": ("op", "empty"),
    "eq": ("op", "=="),
    "ne": ("op", "!="),
    "lt": ("op", "<"),
    "gt": ("op", ">"),
    "le": ("op", "<="),
    "ge": ("op", ">="),
    "true": ("literal", "True"),
    "false": ("literal", "False"),
    "null": ("literal", "None"),
}
# JUEL words whose meaning is outside the subset.
_UNSUPPORTED_WORDS = {"div", "mod", "instanceof", "new"}
_OPERATORS = ("&&", "||", "==", "!=", "<=", ">=", "<", ">", "!", "(", ")", ".", "-")
_OPERATOR_ALIASES = {"&&": "and", "||": "or", "!": "not"}
_ESCAPES = {"\\": "\\", "'": "'", '"': '"', "n": "\n", "t": "\t"}


def _tokens(source: str) -> list[_Token]:
    tokens: list[_Token] = []
    i, n = 0, len(source)
    while i < n:
        char = source[i]
        if char.isspace():
            i += 1
            continue
        if len(tokens) >= MAX_TOKENS:
            raise JuelRefused(f"it has more than {MAX_TOKENS} tokens")
        if char.isascii() and (char.isalpha() or char == "_" or char == "$"):
            start = i
            while i < n and source[i].isascii() and (source[i].isalnum() or source[i] in "_$"):
                i += 1
            word = source[start:i]
            if word in _KEYWORDS:
                kind, text = _KEYWORDS[word]
                tokens.append(_Token(kind, text, start))
            else:
                tokens.append(_Token("name", word, start))
            continue
        if char.isdigit():
            start = i
            while i < n and (source[i].isdigit() or source[i] == "."):
                i += 1
            if i < n and source[i] in "eE":
                i += 1
                if i < n and source[i] in "+-":
                    i += 1
                while i < n and source[i].isdigit():
                    i += 1
            text = source[start:i]
            try:
                value: int | float = int(text) if text.isdigit() else float(text)
            except ValueError:
                raise JuelRefused(f"{text!r} at {start + 1} is not a number") from None
            tokens.append(_Token("number", repr(value), start))
            continue
        if char in "'\"":
            start, quote, chars = i, char, []
            i += 1
            while True:
                if i >= n:
                    raise JuelRefused(f"the string starting at {start + 1} is not closed")
                if source[i] == "\\" and i + 1 < n and source[i + 1] in _ESCAPES:
                    chars.append(_ESCAPES[source[i + 1]])
                    i += 2
                    continue
                if source[i] == quote:
                    i += 1
                    break
                chars.append(source[i])
                i += 1
            tokens.append(_Token("string", repr("".join(chars)), start))
            continue
        for op in _OPERATORS:
            if source.startswith(op, i):
                tokens.append(_Token("op", _OPERATOR_ALIASES.get(op, op), i))
                i += len(op)
                break
        else:
            raise JuelRefused(f"{char!r} at {i + 1} is not supported")
    tokens.append(_Token("end", "", n))
    return tokens


@dataclass
class _Parser:
    tokens: list[_Token]
    names: set[str] = field(default_factory=set)
    position: int = 0
    depth: int = 0

    def peek(self) -> _Token:
        return self.tokens[self.position]

    def take(self) -> _Token:
        token = self.tokens[self.position]
        self.position += 1
        return token

    def accept(self, *ops: str) -> str | None:
        token = self.peek()
        if token.kind == "op" and token.text in ops:
            self.position += 1
            return token.text
        return None

    def nested(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise JuelRefused(f"it nests deeper than {MAX_DEPTH} levels")

    def expression(self) -> str:
        self.nested()
        left = self.conjunction()
        while self.accept("or"):
            left = f"({left} or {self.conjunction()})"
        self.depth -= 1
        return left

    def conjunction(self) -> str:
        left = self.equality()
        while self.accept("and"):
            left = f"({left} and {self.equality()})"
        return left

    def equality(self) -> str:
        left = self.relation()
        while op := self.accept("==", "!="):
            left = f"({left} {op} {self.relation()})"
        return left

    def relation(self) -> str:
        left = self.unary()
        while op := self.accept("<", ">", "<=", ">="):
            left = f"({left} {op} {self.unary()})"
        return left

    def unary(self) -> str:
        op = self.accept("not", "empty", "-")
        if op is None:
            return self.primary()
        self.nested()
        if op == "-":
            token = self.take()
            if token.kind != "number":
                raise JuelRefused(f"'-' at {token.at} is only supported before a number (no arithmetic)")
            value = f"(-{token.text})"
        else:
            operand = self.unary()
            value = f"(not {operand})" if op == "not" else f"({operand} in (None, '', [], {{}}))"
        self.depth -= 1
        return value

    def primary(self) -> str:
        token = self.take()
        if token.kind in ("string", "number", "literal"):
            return token.text
        if token.kind == "op" and token.text == "(":
            inner = self.expression()
            if not self.accept(")"):
                raise JuelRefused(f"a ')' is missing at {self.peek().at + 1}")
            return f"({inner})"
        if token.kind == "name":
            value, shown = self.identifier(token), token.text
            self.names.add(token.text)
            while self.accept("."):
                part = self.take()
                if part.kind != "name":
                    raise JuelRefused(f"a property name is expected at {part.at + 1}")
                self.identifier(part)
                value, shown = f"{value}[{part.text!r}]", f"{shown}.{part.text}"
            if self.peek().kind == "op" and self.peek().text == "(":
                raise JuelRefused(f"'{shown}(...)' calls a method or function, which is not supported")
            return value
        if token.kind == "end":
            raise JuelRefused("it ends where a value is expected")
        raise JuelRefused(f"{token.text!r} at {token.at + 1} is not expected here")

    def identifier(self, token: _Token) -> str:
        name = token.text
        if name in _UNSUPPORTED_WORDS:
            raise JuelRefused(f"the operator '{name}' is not supported")
        if name.startswith("_") or "$" in name or "__" in name:
            raise JuelRefused(f"the name '{name}' is not allowed (names may not start with '_' or use '$')")
        if keyword.iskeyword(name) or keyword.issoftkeyword(name):
            raise JuelRefused(f"the name '{name}' is a reserved word")
        return name


@dataclass(frozen=True)
class Translation:
    python: str  # a Python expression
    names: frozenset[str]  # the variables it reads (the roots of dotted references)
    plain_variable: str | None  # the variable, when the whole value is one reference `${name}`
    text: bool = False  # text mixed with expressions: the value is a string


def has_expression(value: str) -> bool:
    """Whether a value contains a JUEL expression (`${` or `#{`)."""
    return "${" in value or "#{" in value


def _expression_end(value: str, start: int) -> int:
    """The index of the '}' closing the expression whose body starts at `start` (strings skipped)."""
    i, quote = start, None
    while i < len(value):
        char = value[i]
        if quote:
            if char == "\\":
                i += 2
                continue
            if char == quote:
                quote = None
        elif char in "'\"":
            quote = char
        elif char == "{":
            raise JuelRefused(f"'{{' at {i + 1} is not supported")
        elif char == "}":
            return i
        i += 1
    raise JuelRefused("an expression is not closed with '}'")


def translate_one(source: str) -> tuple[str, set[str]]:
    """The Python of one expression body (what is between `${` and `}`), and the names it reads."""
    if len(source) > MAX_LENGTH:
        raise JuelRefused(f"it is longer than {MAX_LENGTH} characters")
    parser = _Parser(_tokens(source))
    python = parser.expression()
    rest = parser.peek()
    if rest.kind != "end":
        raise JuelRefused(f"{rest.text!r} at {rest.at + 1} is not expected here")
    return python, parser.names


def translate(value: str) -> Translation:
    """Translate a value that contains `${...}` / `#{...}` expressions (JuelRefused if unsupported).

    One expression alone keeps its type (a condition, a number); text mixed with expressions
    becomes text.
    """
    if len(value) > MAX_LENGTH:
        raise JuelRefused(f"it is longer than {MAX_LENGTH} characters")
    parts: list[tuple[str, str]] = []  # ("text", python literal) or ("expr", python)
    names: set[str] = set()
    i = 0
    while i < len(value):
        starts = [s for s in (value.find("${", i), value.find("#{", i)) if s >= 0]
        if not starts:
            parts.append(("text", value[i:]))
            break
        start = min(starts)
        if start > i:
            parts.append(("text", value[i:start]))
        end = _expression_end(value, start + 2)
        python, read = translate_one(value[start + 2 : end])
        parts.append(("expr", python))
        names |= read
        i = end + 1
    meaningful = [(kind, text) for kind, text in parts if kind == "expr" or text.strip()]
    if len(meaningful) == 1 and meaningful[0][0] == "expr":
        python = meaningful[0][1]
        plain = python if python.isidentifier() and python in names else None
        return Translation(python, frozenset(names), plain)
    if not meaningful:
        raise JuelRefused("it is empty")
    pieces = [repr(text) if kind == "text" else f"str({text})" for kind, text in parts]
    return Translation("(" + " + ".join(pieces) + ")", frozenset(names), None, text=True)
