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
  generators are metered. Every 100th tick reads the thread's CPU time (`limits.cpu_time`: a
  busy machine, or a full collection of a large process's heap, does not make a script look
  slower) and raises ScriptTimeout past the budget; once expired every tick raises, so
  `try/except` cannot swallow it. The budget is the smaller
  of the script's own and what is left of its engine step's (limits.py); `charge()` checks it at
  once (the calendar helpers call it after their work).
* Big results and big data: sizes.py. Growing operators and methods, `range()`, `pow()`,
  `sum()` of sequences, `str()`, `repr()`, f-strings, `%`-formatting and `print` are checked
  before they build anything; the variables of a running script are measured now and then, and
  the data it leaves in its task after it ran (bytes and nesting). RecursionError becomes
  ScriptError.

NOT protected: temporaries inside one expression (the list a comprehension fills) are not
measured, and one C-level call (sorting a million items) is not interrupted by the clock. Run
workers under an OS memory limit (docs/operations.md). Objects the application passes in
`environment_globals` or `external_context` are trusted and exposed as they are.

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
import sys
import threading
import types
from collections.abc import Callable, Iterable, Iterator
from contextvars import ContextVar
from typing import Any, NoReturn, TypeVar, cast

from RestrictedPython.compile import compile_restricted_eval, compile_restricted_exec
from RestrictedPython.Guards import (
    full_write_guard,
    guarded_iter_unpack_sequence,
    guarded_unpack_sequence,
    raise_,
    safe_builtins,
    safer_getattr,
)
from RestrictedPython.transformer import RestrictingNodeTransformer, copy_locations
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment

from . import limits, sizes
from .errors import ScriptError, ScriptTimeout

_CLOCK_EVERY = 100  # read the clock on every 100th tick: ~1 ns per tick, and 10x less overshoot than 1000
_MEASURE_EVERY = 0.002  # measure a running script's variables at most every 2 ms of CPU time...
_MEASURE_SHARE = 50  # ...and spend at most a fiftieth of its time on it
_MISSING = object()
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


class _Namespace(types.SimpleNamespace):
    """A bag of functions offered to scripts instead of a module (read-only through _write_)."""


def _make_builtins(limit: int) -> dict[str, Any]:
    """Builtins plus RestrictedPython guards shared by all runs; _tick_ and _getiter_ are added per run.

    The functions take whatever a script passes (Any): each checks what it needs before it works."""

    def binop(op: str, a: Any, b: Any) -> Any:
        sizes.check_binop(op, a, b, limit)
        return _OPS[op](a, b)

    def inplacevar(op: str, a: Any, b: Any) -> Any:
        if op not in _INPLACE:
            raise ScriptError(f"The operator {op} is not supported")
        sizes.check_binop(op[:-1], a, b, limit)
        return _INPLACE[op](a, b)

    def getattr_(obj: Any, name: str) -> Any:
        value = safer_getattr(obj, name, raise_)
        if name in sizes.GROWING:
            if obj in sizes.SEQ or sizes.is_str(obj):
                raise ScriptError(f"{obj.__name__}.{name} is not available in scripts; call it on a value")
            if isinstance(obj, sizes.SEQ):
                return sizes.sized_method(obj, name, value, limit)
        return value

    converters: dict[int, Callable[[Any], Any]] = {115: str, 114: repr, 97: ascii}  # !s, !r, !a

    def format_(value: Any, conversion: int, spec: str) -> str:
        sizes.check_text(value, limit, "an f-string")
        value = converters.get(conversion, lambda v: v)(value)
        if spec and not isinstance(value, datetime.date | datetime.time):  # theirs is a strftime pattern
            size = max((int(n) for n in re.findall(r"\d+", spec)), default=0)
            if size > limit:
                sizes.refuse("an f-string format spec", size, limit, "characters")
        return format(value, spec)

    def range_(*args: int) -> range:
        r = range(*args)
        try:
            size = len(r)
        except OverflowError:  # longer than sys.maxsize
            size = limit + 1
        if size > limit:
            sizes.refuse("range()", size, limit)
        return r

    def pow_(base: Any, exp: Any, mod: Any = None) -> Any:
        return pow(base, exp, mod) if mod is not None else binop("**", base, exp)

    def sum_(iterable: Iterable[Any], /, start: Any = 0) -> Any:
        if isinstance(start, sizes.SEQ):
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
        _iter_unpack_sequence_=guarded_iter_unpack_sequence,
        _unpack_sequence_=guarded_unpack_sequence,
        _inplacevar_=inplacevar,
        _apply_=lambda func, *a, **kw: func(*a, **kw),
        _format_=format_,
        _binop_=binop,
    )
    builtins.update(sizes.text_builtins(limit))  # str, repr, _print_
    return builtins


_RESERVED = frozenset(n for n in _make_builtins(1) if n.startswith("_")) | {"_tick_", "_getiter_", "_print"}


def _call(name: str, args: list[ast.expr], like: ast.stmt | ast.expr) -> ast.Call:
    node = ast.Call(func=ast.Name(name, ast.Load()), args=args, keywords=[])
    copy_locations(node, like)
    return node


_Body = TypeVar("_Body", ast.While, ast.For, ast.FunctionDef)


def _ticking(node: _Body) -> _Body:
    """The node (a loop or a function) with its body starting with `_tick_()`."""
    tick = ast.Expr(_call("_tick_", [], node))
    copy_locations(tick, node)
    node.body.insert(0, tick)
    return node


class _LimitingTransformer(RestrictingNodeTransformer):
    """RestrictedPython's policy plus metering: ticks in loops and functions, guarded growth operators.

    RestrictedPython's visitors of these nodes return the node they were given (visited in place),
    hence the casts."""

    def visit_While(self, node: ast.While) -> ast.AST:
        return _ticking(cast(ast.While, super().visit_While(node)))

    def visit_For(self, node: ast.For) -> ast.AST:
        return _ticking(cast(ast.For, super().visit_For(node)))

    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.AST:
        return _ticking(cast(ast.FunctionDef, super().visit_FunctionDef(node)))

    def visit_Lambda(self, node: ast.Lambda) -> ast.AST:
        node = cast(ast.Lambda, super().visit_Lambda(node))
        node.body = _call("_tick_", [node.body], node.body)  # _tick_(value) returns value
        return node

    def visit_ClassDef(self, node: ast.ClassDef) -> ast.AST:
        self.error(node, "Class definitions are not allowed.")
        return node

    def visit_Import(self, node: ast.Import) -> ast.AST:
        self.error(node, "Imports are not allowed; modules are not available to scripts.")
        return node

    def visit_ImportFrom(self, node: ast.ImportFrom) -> ast.AST:
        self.error(node, "Imports are not allowed; modules are not available to scripts.")
        return node

    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
        node = cast(ast.BinOp, super().visit_BinOp(node))
        op = _BINOPS.get(type(node.op))
        return _call("_binop_", [ast.Constant(op), node.left, node.right], node) if op else node

    def visit_FormattedValue(self, node: ast.FormattedValue) -> ast.AST:
        node = cast(ast.FormattedValue, super().visit_FormattedValue(node))
        spec = node.format_spec if node.format_spec is not None else ast.Constant("")
        node.value = _call("_format_", [node.value, ast.Constant(node.conversion), spec], node)
        node.conversion, node.format_spec = -1, None
        return node


# CPython 3.11 builds ASTs with a per-interpreter recursion counter that concurrent threads can
# corrupt ("SystemError: AST constructor recursion depth mismatch"): one parse or compile at a
# time. A script is compiled once per source (the cache below), so the lock is rarely taken.
AST_LOCK = threading.Lock()


@functools.lru_cache(maxsize=4096)
def _compile(source: str, mode: str) -> types.CodeType | tuple[str, int | None]:
    """Compile once per source text; returns a code object or (error message, line)."""
    compiler = compile_restricted_eval if mode == "eval" else compile_restricted_exec
    try:
        with AST_LOCK:
            result = compiler(source, "<string>", policy=_LimitingTransformer)
    except SyntaxError as exc:  # raised by compile() itself, e.g. 'return' outside function
        return f"SyntaxError: {exc.msg}", exc.lineno
    except Exception as exc:  # null bytes, nesting too deep for the AST visitor...
        return f"{type(exc).__name__}: {exc}", None
    if not result.errors and result.code is not None:
        return result.code
    lines = [int(m.group(1)) for e in result.errors if (m := re.match(r"Line (\d+): ", e))]
    messages = dict.fromkeys(re.sub(r"^Line \w+: ", "", e) for e in result.errors)
    return "; ".join(messages), (lines[0] if lines else None)


def _script_line(tb: types.TracebackType | None) -> int | None:
    """The line of the innermost frame of the script (compiled as '<string>') in a traceback."""
    line = None
    while tb is not None:
        line = tb.tb_lineno if tb.tb_frame.f_code.co_filename == "<string>" else line
        tb = tb.tb_next
    return line


_Item = TypeVar("_Item")


class _Budget:
    """The CPU-time budget of one run, and the measuring of the data it holds; tick() is called at
    every loop iteration and function entry."""

    __slots__ = ("budget", "deadline", "expired", "left", "limit", "max_bytes", "next_measure")

    def __init__(self, limit: float, budget: str, max_bytes: int):
        start = limits.cpu_time()
        self.limit, self.budget, self.max_bytes = limit, budget, max_bytes
        self.deadline, self.next_measure = start + limit, start + _MEASURE_EVERY
        self.left, self.expired = _CLOCK_EVERY, False

    def timeout(self) -> ScriptTimeout:
        of = "CPU time" if self.budget == "script_cpu_seconds" else "the CPU time left of its step"
        message = f"ScriptTimeout: the script used more than {self.limit:g} s of {of}"
        limit = self.limit if self.budget == "script_cpu_seconds" else limits.budgets().step_cpu_seconds
        return ScriptTimeout(f"{message}; over {limits.describe(self.budget, limit)}", budget=self.budget)

    def tick(self, value: Any = None) -> Any:
        self.left -= 1
        if self.left <= 0:
            self.check(sys._getframe(1))
            self.left = _CLOCK_EVERY
        return value

    def check(self, frame: types.FrameType | None = None) -> None:
        now = limits.cpu_time()
        if now > self.deadline:
            self.expired, self.left = True, 0  # every later tick raises again
            raise self.timeout()
        if frame is not None and now >= self.next_measure:
            size, _ = sizes.estimate_all(sizes.script_values(frame, _RUN_CODE), self.max_bytes)
            if size > self.max_bytes:
                over = limits.describe("max_data_bytes", self.max_bytes)
                message = f"Refused: the script's variables hold about {size:,} bytes; over {over}"
                raise ScriptError(message, budget="max_data_bytes")
            spent = limits.cpu_time() - now
            self.next_measure = now + max(_MEASURE_EVERY, spent * _MEASURE_SHARE)

    def getiter(self, iterable: Iterable[_Item]) -> Iterator[_Item]:
        tick = self.tick
        for item in iterable:
            tick()
            yield item


_running: ContextVar[_Budget | None] = ContextVar("motcua_script_budget", default=None)


def charge() -> None:
    """Check the running script's CPU budget now (after work done outside its ticks)."""
    budget = _running.get()
    if budget is not None:
        budget.check()


class RestrictedEnvironment(BasePythonScriptEngineEnvironment):  # type: ignore[misc]  # SpiffWorkflow is untyped
    """SpiffWorkflow script environment running BPMN snippets under RestrictedPython, with limits."""

    globals: dict[str, Any]  # the environment's globals (BasePythonScriptEngineEnvironment sets them)

    def __init__(
        self,
        environment_globals: dict[str, Any] | None = None,
        *,
        time_limit: float = 1.0,
        max_sequence: int = 1_000_000,
        max_data_bytes: int = 8 * 1024 * 1024,
        max_data_depth: int = 32,
    ) -> None:
        super().__init__(environment_globals)
        self.time_limit, self.max_sequence = time_limit, max_sequence
        self.max_data_bytes, self.max_data_depth = max_data_bytes, max_data_depth
        self._builtins = _make_builtins(max_sequence)

    def compile_expression(self, expression: str) -> types.CodeType:
        """Compile (or fetch from the cache) an expression; raises ScriptError if it is refused."""
        return self._compiled(expression.strip() if isinstance(expression, str) else expression, "eval")

    def compile_script(self, script: str) -> types.CodeType:
        """Compile (or fetch from the cache) a script; raises ScriptError if it is refused."""
        return self._compiled(script, "exec")

    def evaluate(
        self, expression: str, context: dict[str, Any], external_context: dict[str, Any] | None = None
    ) -> Any:
        """Return the value of the expression, with the task data as variables."""
        code = self.compile_expression(expression)
        return self._run(code, {**self.globals, **(external_context or {}), **context})

    def execute(
        self, script: str, context: dict[str, Any], external_context: dict[str, Any] | None = None
    ) -> bool:
        """Run the script with the task data as its globals, so its assignments land in the task data."""
        self.check_for_overwrite(context, external_context or {})
        code = self.compile_script(script)
        before = dict(context)  # the values the script starts with (references, not copies)
        context.update(self.globals)
        context.update(external_context or {})
        try:
            self._run(code, context)
        except BaseException:
            self._remove_globals_and_functions_from_context(context, external_context)
            self._unstorable(context, before)  # a failed script leaves no data that cannot be stored
            raise
        self._remove_globals_and_functions_from_context(context, external_context)
        problem = self._unstorable(context, before)
        if problem is not None:
            raise ScriptError(problem[0], budget=problem[1])
        return True

    def call_service(self, context: dict[str, Any], **kwargs: Any) -> NoReturn:
        raise ScriptError("no connector configured: service tasks cannot call external services yet")

    def _compiled(self, source: str, mode: str) -> types.CodeType:
        if not isinstance(source, str):
            raise ScriptError(f"TypeError: a script must be text, not {type(source).__name__}")
        result = _compile(source, mode)
        if isinstance(result, tuple):
            raise ScriptError(*result)
        return result

    def _run(self, code: types.CodeType, run_globals: dict[str, Any]) -> Any:
        if not _RESERVED.isdisjoint(run_globals):
            names = sorted(_RESERVED.intersection(run_globals))
            raise ScriptError(f"Task data uses names reserved by the sandbox: {names}")
        limit, name = self.time_limit, "script_cpu_seconds"
        step = limits.current()
        if step is not None and step.cpu_left() < limit:  # what is left of the step's budget
            limit, name = max(step.cpu_left(), 0.0), "step_cpu_seconds"
        budget = _Budget(limit, name, self.max_data_bytes)
        run_globals["__builtins__"] = dict(self._builtins, _tick_=budget.tick, _getiter_=budget.getiter)
        token = _running.set(budget)
        try:
            result = eval(code, run_globals)  # noqa: S307 -- restricted code object, guarded builtins
        except ScriptError as exc:
            error = type(exc)(exc.message, exc.line or _script_line(exc.__traceback__), budget=exc.budget)
            raise error.with_traceback(exc.__traceback__) from None
        except Exception as exc:  # the traceback is kept: SpiffWorkflow reads the line number from it
            text = "the script recursed too deeply" if isinstance(exc, RecursionError) else exc
            error = ScriptError(f"{type(exc).__name__}: {text}", _script_line(exc.__traceback__))
            raise error.with_traceback(exc.__traceback__) from exc
        finally:
            _running.reset(token)
        if budget.expired:  # the script caught the timeout and carried on
            raise budget.timeout()
        return result

    def _unstorable(self, context: dict[str, Any], before: dict[str, Any]) -> tuple[str, str | None] | None:
        """(message, budget) when the data the script left in its task is over the budgets (too big
        or too deep to store), else None. The variables the script assigned then get back the values
        it started with (or go), and data it nested too deeply in place goes, so the task's data can
        still be stored."""
        size, depth = sizes.estimate(context, self.max_data_bytes, self.max_data_depth)
        if size <= self.max_data_bytes and depth <= self.max_data_depth:
            return self._not_json(context, before)
        written = sorted(key for key, value in context.items() if before.get(key, _MISSING) is not value)
        for key in written:  # back to what the script started with
            if key in before:
                context[key] = before[key]
            else:
                del context[key]
        for key in list(context):  # data nested too deeply in place
            if sizes.estimate(context[key], 1 << 62, self.max_data_depth)[1] >= self.max_data_depth:
                del context[key]
        kept = f"{', '.join(written) or 'its variables'} not kept"
        if depth > self.max_data_depth:
            over = limits.describe("max_data_depth", self.max_data_depth)
            return f"Refused: the script left data nested too deeply ({kept}); over {over}", "max_data_depth"
        over = limits.describe("max_data_bytes", self.max_data_bytes)
        return f"Refused: the script left about {size:,} bytes ({kept}); over {over}", "max_data_bytes"

    def _not_json(self, context: dict[str, Any], before: dict[str, Any]) -> tuple[str, None] | None:
        """(message, None) when the script left data JSON cannot hold (a date object, a set, NaN...),
        else None. Those variables get back the values the script started with (or go)."""
        bad = {key: reason for key, value in context.items() if (reason := sizes.unstorable(value))}
        if not bad:
            return None
        for key in bad:
            if key in before and before[key] is not context[key] and not sizes.unstorable(before[key]):
                context[key] = before[key]
            else:
                del context[key]
        reasons = "; ".join(f"{key} holds {reason}" for key, reason in sorted(bad.items()))
        return f"Refused: the script left data that cannot be stored ({reasons}); not kept", None

    def _remove_globals_and_functions_from_context(
        self, context: dict[str, Any], external_context: dict[str, Any] | None = None
    ) -> None:
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

    def check_for_overwrite(self, context: dict[str, Any], external_context: dict[str, Any]) -> None:
        """Fail fast when task data would hide a predefined global (as TaskDataEnvironment does)."""
        overwrites = set(self.globals).intersection(context) | set(external_context).intersection(context)
        if overwrites:
            raise ScriptError(
                "You have task data that overwrites a predefined function(s). Please change the following "
                f"variable or field name(s) to something else: {overwrites}"
            )


_RUN_CODE = RestrictedEnvironment._run.__code__  # where measuring a running script's frames stops
