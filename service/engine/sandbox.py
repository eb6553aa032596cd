"""A sandbox for the Python snippets in BPMN files (script tasks, gateway conditions, timers).

`RestrictedEnvironment` replaces SpiffWorkflow's `TaskDataEnvironment` (plain eval/exec) in a
`PythonScriptEngine` and keeps its semantics: task data are the variables, a script's
assignments land in the task data, functions/modules/globals are removed afterwards.

Protected:
* Escapes. RestrictedPython refuses at compile time every name or attribute starting with "_"
  (`__class__`, `__subclasses__`, `__globals__`, `__builtins__`, `__import__`), frame and code
  attributes (`gi_frame`, `f_globals`...), `exec`/`eval`; we also refuse imports and classes.
  Scripts see a small set of builtins (no `open`, `getattr`, `type`, `globals`, `vars`);
  `str.format` is refused by `safer_getattr`; `datetime`/`math` are offered as classes and a
  read-only namespace, never as modules (the `datetime` module would leak `sys`).
* Run time, without threads or signals. Every while/for body, function body and lambda calls
  `_tick_()`, and `_getiter_` returns an iterator that ticks, so loops, comprehensions and
  generators are metered. Every 100th tick reads `time.monotonic()` and raises ScriptTimeout
  past the deadline; once expired every tick raises, so `try/except` cannot swallow it.
* Big results. `**`, `*`, `<<`, `+`, `%` refuse ints over `max_sequence` bits and
  str/bytes/list/tuple results over `max_sequence` items, as do `range()`, `pow()`, `sum()` of
  sequences, f-string format specs (`f"{x:>{10**10}}"`) and the growing methods of
  str/bytes/list (`ljust`, `rjust`, `center`, `zfill`, `expandtabs`, `replace`, `join`,
  `translate`, `extend`), which are checked before they run. RecursionError becomes ScriptError.

NOT protected: memory is not accounted. A list may hold a million references to one big
string and `str()` of it, or appends within the time limit, can still allocate a lot; one
C-level call (sorting a million items) is not interrupted by the clock. Run workers under an
OS memory limit (RLIMIT_AS / cgroup). Objects the application passes in `environment_globals`
or `external_context` are trusted and exposed as they are.

Cost: code is compiled once per source text (LRU cache); a cached condition such as
`amount > 10` evaluates in about 1 µs, loop-heavy scripts run several times slower than plain Python.
"""

from __future__ import annotations

import ast
import datetime
import functools
import math
import operator
import re
import time
import types

from RestrictedPython import compile_restricted_eval, compile_restricted_exec
from RestrictedPython.Guards import (
    full_write_guard,
    guarded_iter_unpack_sequence,
    guarded_unpack_sequence,
    raise_,
    safe_builtins,
    safer_getattr,
)
from RestrictedPython.PrintCollector import PrintCollector
from RestrictedPython.transformer import RestrictingNodeTransformer, copy_locations
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment

_CLOCK_EVERY = 100  # read the clock on every 100th tick: ~1 ns per tick, and 10x less overshoot than 1000
_SEQ = (str, bytes, list, tuple)
_GROWING = frozenset(
    {"ljust", "rjust", "center", "zfill", "expandtabs", "replace", "join", "translate", "extend"}
)
_PERCENT_SPEC = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d*)(?:\.(\*|\d*))?")
_DROPPED = {
    "__build_class__",
    "BaseException",
    "SystemExit",
    "KeyboardInterrupt",
    "GeneratorExit",
    "setattr",
    "delattr",
}
_BINOPS = {ast.Add: "+", ast.Mult: "*", ast.Pow: "**", ast.LShift: "<<", ast.Mod: "%"}
_OPS = {"+": operator.add, "*": operator.mul, "**": operator.pow, "<<": operator.lshift, "%": operator.mod}
_INPLACE = {
    "+=": operator.iadd,
    "-=": operator.isub,
    "*=": operator.imul,
    "/=": operator.itruediv,
    "//=": operator.ifloordiv,
    "%=": operator.imod,
    "**=": operator.ipow,
    "<<=": operator.ilshift,
    ">>=": operator.irshift,
    "&=": operator.iand,
    "|=": operator.ior,
    "^=": operator.ixor,
}
_MATH = (
    "ceil",
    "floor",
    "trunc",
    "sqrt",
    "exp",
    "log",
    "log10",
    "fabs",
    "isclose",
    "isfinite",
    "isnan",
    "pi",
    "e",
    "inf",
)


class ScriptError(Exception):
    """A BPMN script or expression failed; str(exc) is one readable line such as
    "NameError: name 'x' is not defined (line 2)". Attributes: message (str), line (int | None)."""

    def __init__(self, message: str, line: int | None = None):
        self.message, self.line = message, line
        super().__init__(message if line is None else f"{message} (line {line})")


class ScriptTimeout(ScriptError):
    """The script ran past its time budget."""


class _Namespace(types.SimpleNamespace):
    """A bag of functions offered to scripts instead of a module (read-only through _write_)."""


def _refuse(what: str, size: int, limit: int, unit: str = "items"):
    raise ScriptError(f"Refused: the result of {what} would have {size:,} {unit} (the limit is {limit:,})")


def _check(op: str, a, b, limit: int) -> None:
    """Refuse `a op b` if the result would be huge: ints over `limit` bits, sequences over `limit` items."""
    size, unit = 0, "bits"
    if isinstance(a, int) and isinstance(b, int):
        if op == "*":
            size = a.bit_length() + b.bit_length()
        elif op == "**" and b > 0 and abs(a) > 1:
            size = a.bit_length() * b
        elif op == "<<" and a and b > 0:
            size = a.bit_length() + b
    elif op == "+" and isinstance(a, _SEQ) and isinstance(b, _SEQ):
        size, unit = len(a) + len(b), "items"
    elif op == "*" and (isinstance(a, _SEQ) or isinstance(b, _SEQ)):
        seq, n = (a, b) if isinstance(a, _SEQ) else (b, a)
        size, unit = (len(seq) * n if isinstance(n, int) else 0), "items"
    elif op == "%" and isinstance(a, str | bytes):
        text = (a.decode("latin-1") if isinstance(a, bytes) else a).replace("%%", "")
        sizes = [int(n) for spec in _PERCENT_SPEC.findall(text) for n in spec if n.isdigit()]
        if "*" in text:
            sizes += [n for n in (b if isinstance(b, tuple) else (b,)) if isinstance(n, int)]
        size, unit = max(sizes, default=0), "characters"
    if size > limit:
        _refuse(f"'{op}'", size, limit, unit)


def _result_size(obj, name: str, args: tuple, kwargs: dict) -> int:
    """Upper bound of len(obj.name(*args, **kwargs)) for the methods in _GROWING."""
    n = len(obj)
    if name in ("ljust", "rjust", "center", "zfill"):
        return args[0]
    if name == "expandtabs":
        return n * max(args[0] if args else kwargs.get("tabsize", 8), 1)
    if name == "replace":
        old, new = args[0], args[1]
        hits = obj.count(old) if old else n + 1
        hits = min(hits, args[2]) if len(args) > 2 and args[2] >= 0 else hits
        return n + hits * max(len(new) - len(old), 0)
    if name == "join":
        return sum(len(i) for i in args[0] if isinstance(i, _SEQ)) + n * max(len(args[0]) - 1, 0)
    if name == "translate":
        table = args[0]
        values = table.values() if isinstance(table, dict) else table if isinstance(table, list) else ()
        return n * max([len(v) for v in values if isinstance(v, _SEQ)] + [1])
    return n + len(args[0])  # extend


def _sized_method(obj, name: str, method, limit: int):
    def call(*args, **kwargs):
        if name in ("join", "extend") and args:
            args = (list(args[0]), *args[1:])  # materialise once, so the size can be computed
        try:
            size = _result_size(obj, name, args, kwargs)
        except (TypeError, ValueError, IndexError, AttributeError):
            size = 0  # bad arguments: the method itself reports them
        if size > limit:
            _refuse(f"{type(obj).__name__}.{name}()", size, limit)
        return method(*args, **kwargs)

    return call


def _make_builtins(limit: int) -> dict:
    """Builtins plus RestrictedPython guards shared by all runs; _tick_ and _getiter_ are added per run."""

    def binop(op, a, b):
        _check(op, a, b, limit)
        return _OPS[op](a, b)

    def inplacevar(op, a, b):
        if op not in _INPLACE:
            raise ScriptError(f"The operator {op} is not supported")
        _check(op[:-1], a, b, limit)
        return _INPLACE[op](a, b)

    def getattr_(obj, name):
        value = safer_getattr(obj, name, raise_)
        if name in _GROWING:
            if obj in _SEQ:
                raise ScriptError(f"{obj.__name__}.{name} is not available in scripts; call it on a value")
            if isinstance(obj, _SEQ):
                return _sized_method(obj, name, value, limit)
        return value

    def format_(value, conversion, spec):
        value = {115: str, 114: repr, 97: ascii}.get(conversion, lambda v: v)(value)
        if not isinstance(value, datetime.date | datetime.time):  # their spec is a strftime pattern
            size = max((int(n) for n in re.findall(r"\d+", spec)), default=0)
            if size > limit:
                _refuse("an f-string format spec", size, limit, "characters")
        return format(value, spec)

    def range_(*args):
        r = range(*args)
        try:
            size = len(r)
        except OverflowError:  # longer than sys.maxsize
            size = limit + 1
        if size > limit:
            _refuse("range()", size, limit)
        return r

    def pow_(base, exp, mod=None):
        return pow(base, exp, mod) if mod is not None else binop("**", base, exp)

    def sum_(iterable, /, start=0):
        if isinstance(start, _SEQ):
            raise ScriptError("sum() of sequences is not allowed in scripts; use a loop")
        return sum(iterable, start)

    builtins = {k: v for k, v in safe_builtins.items() if k not in _DROPPED}
    builtins.update(
        range=range_,
        pow=pow_,
        sum=sum_,
        sorted=sorted,
        min=min,
        max=max,
        len=len,
        any=any,
        all=all,
        enumerate=enumerate,
        zip=zip,
        abs=abs,
        round=round,
        dict=dict,
        list=list,
        set=set,
        tuple=tuple,
        str=str,
        int=int,
        float=float,
        bool=bool,
        isinstance=isinstance,
        datetime=datetime.datetime,
        date=datetime.date,
        timedelta=datetime.timedelta,
        timezone=datetime.timezone,
        math=_Namespace(**{n: getattr(math, n) for n in _MATH}),
        _getattr_=getattr_,
        _getitem_=operator.getitem,
        _write_=full_write_guard,
        _print_=PrintCollector,
        _iter_unpack_sequence_=guarded_iter_unpack_sequence,
        _unpack_sequence_=guarded_unpack_sequence,
        _inplacevar_=inplacevar,
        _apply_=lambda func, *a, **kw: func(*a, **kw),
        _format_=format_,
        _binop_=binop,
    )
    return builtins


_RESERVED = frozenset(n for n in _make_builtins(1) if n.startswith("_")) | {"_tick_", "_getiter_", "_print"}


def _call(name: str, args: list, like: ast.AST) -> ast.Call:
    node = ast.Call(func=ast.Name(name, ast.Load()), args=args, keywords=[])
    copy_locations(node, like)
    return node


def _ticking(visit):
    """Wrap a RestrictedPython visitor so the node's body starts with `_tick_()`."""

    def visitor(self, node):
        node = visit(self, node)
        tick = ast.Expr(_call("_tick_", [], node))
        copy_locations(tick, node)
        node.body.insert(0, tick)
        return node

    return visitor


class _LimitingTransformer(RestrictingNodeTransformer):
    """RestrictedPython's policy plus metering: ticks in loops and functions, guarded growth operators."""

    visit_While = _ticking(RestrictingNodeTransformer.visit_While)
    visit_For = _ticking(RestrictingNodeTransformer.visit_For)
    visit_FunctionDef = _ticking(RestrictingNodeTransformer.visit_FunctionDef)

    def visit_Lambda(self, node):
        node = super().visit_Lambda(node)
        node.body = _call("_tick_", [node.body], node.body)  # _tick_(value) returns value
        return node

    def visit_ClassDef(self, node):
        self.error(node, "Class definitions are not allowed.")
        return node

    def visit_Import(self, node):
        self.error(node, "Imports are not allowed; modules are not available to scripts.")
        return node

    visit_ImportFrom = visit_Import

    def visit_BinOp(self, node):
        node = super().visit_BinOp(node)
        op = _BINOPS.get(type(node.op))
        return _call("_binop_", [ast.Constant(op), node.left, node.right], node) if op else node

    def visit_FormattedValue(self, node):
        node = super().visit_FormattedValue(node)
        if node.format_spec is not None:
            args = [node.value, ast.Constant(node.conversion), node.format_spec]
            node.value = _call("_format_", args, node)
            node.conversion, node.format_spec = -1, None
        return node


@functools.lru_cache(maxsize=4096)
def _compile(source: str, mode: str) -> types.CodeType | tuple[str, int | None]:
    """Compile once per source text; returns a code object or (error message, line)."""
    compiler = compile_restricted_eval if mode == "eval" else compile_restricted_exec
    try:
        result = compiler(source, "<string>", policy=_LimitingTransformer)
    except SyntaxError as exc:  # raised by compile() itself, e.g. 'return' outside function
        return f"SyntaxError: {exc.msg}", exc.lineno
    except Exception as exc:  # null bytes, nesting too deep for the AST visitor...
        return f"{type(exc).__name__}: {exc}", None
    if not result.errors:
        return result.code
    lines = [int(m.group(1)) for e in result.errors if (m := re.match(r"Line (\d+): ", e))]
    messages = dict.fromkeys(re.sub(r"^Line \w+: ", "", e) for e in result.errors)
    return "; ".join(messages), (lines[0] if lines else None)


def _script_line(tb) -> int | None:
    """The line of the innermost frame of the script (compiled as '<string>') in a traceback."""
    line = None
    while tb is not None:
        line = tb.tb_lineno if tb.tb_frame.f_code.co_filename == "<string>" else line
        tb = tb.tb_next
    return line


class _Budget:
    """The time budget of one run; tick() is called at every loop iteration and function entry."""

    __slots__ = ("deadline", "expired", "left", "limit")

    def __init__(self, limit: float):
        self.limit, self.deadline = limit, time.monotonic() + limit
        self.left, self.expired = _CLOCK_EVERY, False

    def tick(self, value=None):
        self.left -= 1
        if self.left <= 0:
            if time.monotonic() > self.deadline:
                self.expired, self.left = True, 0  # every later tick raises again
                raise ScriptTimeout(f"ScriptTimeout: the script ran longer than {self.limit:g} s")
            self.left = _CLOCK_EVERY
        return value

    def getiter(self, iterable):
        tick = self.tick
        for item in iterable:
            tick()
            yield item


class RestrictedEnvironment(BasePythonScriptEngineEnvironment):
    """SpiffWorkflow script environment running BPMN snippets under RestrictedPython, with limits."""

    def __init__(
        self,
        environment_globals: dict | None = None,
        *,
        time_limit: float = 1.0,
        max_sequence: int = 1_000_000,
    ):
        super().__init__(environment_globals)
        self.time_limit, self.max_sequence = time_limit, max_sequence
        self._builtins = _make_builtins(max_sequence)

    def compile_expression(self, expression: str) -> types.CodeType:
        """Compile (or fetch from the cache) an expression; raises ScriptError if it is refused."""
        return self._compiled(expression.strip() if isinstance(expression, str) else expression, "eval")

    def compile_script(self, script: str) -> types.CodeType:
        """Compile (or fetch from the cache) a script; raises ScriptError if it is refused."""
        return self._compiled(script, "exec")

    def evaluate(self, expression: str, context: dict, external_context: dict | None = None):
        """Return the value of the expression, with the task data as variables."""
        code = self.compile_expression(expression)
        return self._run(code, {**self.globals, **(external_context or {}), **context})

    def execute(self, script: str, context: dict, external_context: dict | None = None) -> bool:
        """Run the script with the task data as its globals, so its assignments land in the task data."""
        self.check_for_overwrite(context, external_context or {})
        code = self.compile_script(script)
        context.update(self.globals)
        context.update(external_context or {})
        try:
            self._run(code, context)
        finally:
            self._remove_globals_and_functions_from_context(context, external_context)
        return True

    def call_service(self, context, **kwargs):
        raise ScriptError("no connector configured: service tasks cannot call external services yet")

    def _compiled(self, source: str, mode: str) -> types.CodeType:
        if not isinstance(source, str):
            raise ScriptError(f"TypeError: a script must be text, not {type(source).__name__}")
        result = _compile(source, mode)
        if isinstance(result, tuple):
            raise ScriptError(*result)
        return result

    def _run(self, code: types.CodeType, run_globals: dict):
        if not _RESERVED.isdisjoint(run_globals):
            names = sorted(_RESERVED.intersection(run_globals))
            raise ScriptError(f"Task data uses names reserved by the sandbox: {names}")
        budget = _Budget(self.time_limit)
        run_globals["__builtins__"] = dict(self._builtins, _tick_=budget.tick, _getiter_=budget.getiter)
        try:
            result = eval(code, run_globals)  # noqa: S307 -- restricted code object, guarded builtins
        except ScriptError as exc:
            error = type(exc)(exc.message, exc.line or _script_line(exc.__traceback__))
            raise error.with_traceback(exc.__traceback__) from None
        except Exception as exc:  # the traceback is kept: SpiffWorkflow reads the line number from it
            text = "the script recursed too deeply" if isinstance(exc, RecursionError) else exc
            error = ScriptError(f"{type(exc).__name__}: {text}", _script_line(exc.__traceback__))
            raise error.with_traceback(exc.__traceback__) from exc
        if budget.expired:  # the script caught the timeout and carried on
            raise ScriptTimeout(f"ScriptTimeout: the script ran longer than {self.time_limit:g} s")
        return result

    def _remove_globals_and_functions_from_context(self, context, external_context=None):
        """Drop builtins, functions, modules, namespaces and predefined globals from the task data."""
        for key in list(context):
            value = context[key]
            if (
                key == "__builtins__"
                or callable(value)
                or isinstance(value, types.ModuleType | _Namespace)
                or key in self.globals
                or (external_context and key in external_context)
            ):
                context.pop(key)

    def check_for_overwrite(self, context, external_context):
        """Fail fast when task data would hide a predefined global (as TaskDataEnvironment does)."""
        overwrites = set(self.globals).intersection(context) | set(external_context).intersection(context)
        if overwrites:
            raise ScriptError(
                "You have task data that overwrites a predefined function(s). Please change the following "
                f"variable or field name(s) to something else: {overwrites}"
            )
