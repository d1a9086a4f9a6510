"""SymPy as a referee: the graph as a SymPy expression, its derivatives, and a time budget.

The expression is built from the graph's node arrays with one loop, each node
by its op's ``sympy`` entry in the op table: never from the program text, which
would mean sympify (and so eval) on what a user typed. Variables are real
symbols. Numbers come in two flavours: ``decimal`` turns ``0.1`` into 1/10, for
formulas a person reads (``autograph diff``); ``binary`` uses the exact value of
the float64 the graph holds, so the referee differentiates the very function
autograph computed (``grad --check``).

SymPy recurses on expression trees and can be slow on big ones, so every call
into it runs inside :func:`within_budget`: a timer (SIGALRM, or a timer thread off the
main thread) stops it after a number of seconds, and Python's recursion limit becomes a clean
:class:`SymbolicLimit` instead of a traceback.

This module imports SymPy; only the commands and options that need it import
this module.
"""

from __future__ import annotations

import math
import signal
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from functools import partial
from typing import Any, Literal, TypeVar

import sympy as sp

from autograph.display import Displayed
from autograph.errors import AutographError, InputError, MathError, listing, shorten
from autograph.graph import Graph
from autograph.ops import CONST, VAR

T = TypeVar("T")
Numbers = Literal["decimal", "binary"]

PRECISIONS = (30, 60, 120, 240)
"""Significant digits SymPy's derivatives are evaluated to, as far as they need."""


class SymbolicLimit(MathError):
    """SymPy ran out of time (``timeout``) or stack (``too-deep``), or failed (``sympy-failed``).

    A math failure (exit 1), not bad input: the program is fine, and the same
    program may well pass with a larger ``--timeout``.
    """


class _Expired(BaseException):
    """Raised by the alarm inside SymPy. A BaseException, so ``except Exception`` lets it pass."""


class Budget:
    """A time budget in seconds, shared by the SymPy steps of one command (None: no limit)."""

    def __init__(self, seconds: float | None) -> None:
        self.seconds = seconds
        self.end = None if seconds is None else time.monotonic() + seconds

    def left(self) -> float | None:
        """Seconds left; at least a millisecond, so a spent budget still times out cleanly."""
        return None if self.end is None else max(0.001, self.end - time.monotonic())


def within_budget(budget: Budget | float | None, work: Callable[[], T]) -> T:
    """Run ``work`` (SymPy calls), stopped when the budget runs out; raises ``SymbolicLimit``.

    On the main thread SIGALRM interrupts SymPy's pure-Python loops between two
    bytecodes, cheaply and in-process (no second SymPy import, no pickling, no
    process start-up). Elsewhere (a Jupyter kernel may run code in a thread, and
    Windows has no SIGALRM) a timer thread raises the same exception in the
    working thread, also between two bytecodes.
    """
    if not isinstance(budget, Budget):
        budget = Budget(budget)
    seconds = budget.left()
    if seconds is None:
        return _checked(budget, work)
    on_main = threading.current_thread() is threading.main_thread()
    if on_main and hasattr(signal, "setitimer"):
        return _with_alarm(budget, seconds, work)
    return _with_timer_thread(budget, seconds, work)


def _checked(budget: Budget, work: Callable[[], T]) -> T:
    """``work``, with the stop and the recursion limit turned into ``SymbolicLimit``."""
    try:
        return work()
    except _Expired:
        raise _timeout(budget) from None
    except RecursionError:
        raise _too_deep() from None
    except AutographError:
        raise
    except Exception as err:  # noqa: BLE001 - any failure inside SymPy is a clean error
        if _caused_by_recursion(err):  # SymPy caught the RecursionError and raised another
            raise _too_deep() from None
        raise SymbolicLimit(
            "sympy-failed", f"SymPy could not handle this formula: {shorten(str(err), 120)}"
        ) from None


def _too_deep() -> SymbolicLimit:
    return SymbolicLimit(
        "too-deep", "the formula is nested too deeply for SymPy (Python's recursion limit)"
    )


def _caused_by_recursion(err: BaseException) -> bool:
    seen: BaseException | None = err
    for _ in range(100):
        if seen is None:
            return False
        if isinstance(seen, RecursionError) or "recursion" in str(seen):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _with_alarm(budget: Budget, seconds: float, work: Callable[[], T]) -> T:
    state = {"armed": True, "fired": False}

    def on_alarm(signum: int, frame: object) -> None:
        if state["armed"]:
            state["fired"] = True
            signal.setitimer(signal.ITIMER_REAL, 0.05)  # again soon, should this one be swallowed
            raise _Expired

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        try:
            result = _checked(budget, work)
        finally:
            state["armed"] = False
    except _Expired:  # arrived just as the work ended
        raise _timeout(budget) from None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, signal.SIG_DFL if previous is None else previous)
    if state["fired"]:  # an alarm was swallowed somewhere inside: do not trust the result
        raise _timeout(budget)
    return result


def _with_timer_thread(budget: Budget, seconds: float, work: Callable[[], T]) -> T:
    """A timer thread raises ``_Expired`` in this thread (CPython's asynchronous exception)."""
    import ctypes

    target = ctypes.c_ulong(threading.get_ident())
    lock = threading.Lock()
    state = {"armed": True, "fired": False}

    def expire() -> None:
        while True:
            with lock:
                if not state["armed"]:
                    return
                state["fired"] = True
                ctypes.pythonapi.PyThreadState_SetAsyncExc(target, ctypes.py_object(_Expired))
            time.sleep(0.05)  # again soon, should this one be swallowed

    timer = threading.Timer(seconds, expire)
    timer.daemon = True
    timer.start()
    try:
        try:
            result = _checked(budget, work)
        finally:
            with lock:
                state["armed"] = False
                if state["fired"]:  # one may still be pending: take it back
                    ctypes.pythonapi.PyThreadState_SetAsyncExc(target, None)
    except _Expired:  # arrived just as the work ended
        raise _timeout(budget) from None
    finally:
        timer.cancel()
    if state["fired"]:
        raise _timeout(budget)
    return result


def _timeout(budget: Budget) -> SymbolicLimit:
    return SymbolicLimit(
        "timeout",
        f"SymPy did not finish within its time budget of {budget.seconds:g} s (--timeout)",
    )


def symbols(graph: Graph) -> dict[str, Any]:
    """A real SymPy symbol per free variable, in the graph's order."""
    return {name: sp.Symbol(name, real=True) for name in graph.variables}


def to_sympy(graph: Graph, numbers: Numbers = "decimal") -> Any:
    """The program's output as a SymPy expression, built node by node from the op table."""
    names = symbols(graph)
    built: list[Any] = []
    for node, op in enumerate(graph.ops):
        if op is VAR:
            built.append(names[graph.labels[node] or ""])
        elif op is CONST:
            built.append(_number(graph.constants[node], graph.labels[node], numbers))
        else:
            built.append(op.sympy(sp, *[built[arg] for arg in graph.inputs[node]]))
    return built[graph.output]


def _number(value: float, label: str | None, numbers: Numbers) -> Any:
    """A constant: exactly the float64 value, or (decimal) the number as it was written."""
    if numbers == "decimal":
        if label == "pi" and value == math.pi:
            return sp.pi
        if label == "e" and value == math.e:
            return sp.E
        try:
            written = Fraction(label or "")
        except ValueError:
            written = None
        if written is not None and float(written) == value:
            return sp.Rational(written.numerator, written.denominator)
    return sp.Rational(value)


def numeric_value(expr: Any, point: Mapping[Any, float]) -> float | None:
    """The value of a SymPy expression at ``point`` (symbol to float), as a float.

    Evaluated at 30 digits, then at twice as many until two evaluations agree
    to float64 precision, so cancellation inside the formula cannot pass for a
    value. None when the value is not a finite real number.
    """
    previous: float | None = None
    for digits in PRECISIONS:
        value = _evaluate(
            expr, {symbol: sp.Float(x, digits) for symbol, x in point.items()}, digits
        )
        if (
            value is not None
            and previous is not None
            and abs(value - previous) <= 1e-17 * abs(value)
        ):
            return value
        previous = value
    return previous


def _evaluate(expr: Any, point: Mapping[Any, Any], digits: int) -> float | None:
    """One evaluation at ``digits``: each distinct subexpression once, with an explicit stack.

    A derivative whose tree is huge but whose DAG is small costs little this
    way (SymPy's own evalf walks the tree, and recurses).
    """
    memo: dict[Any, Any] = {}
    stack = [expr]
    while stack:
        item = stack[-1]
        if item in memo:
            stack.pop()
            continue
        pending = [arg for arg in item.args if arg not in memo]
        if pending:
            stack.extend(pending)
            continue
        stack.pop()
        if item in point:
            memo[item] = point[item]
        elif item.is_Rational or not item.args:
            memo[item] = item
        else:
            memo[item] = item.func(*[memo[arg] for arg in item.args]).evalf(digits)
    return _real(memo[expr].evalf(digits))


def _real(number: Any) -> float | None:
    """A SymPy number as a finite float, or None (complex, infinite, NaN, not a number)."""
    if not getattr(number, "is_number", False):
        return None
    real, imaginary = number.as_real_imag()
    try:
        re_value, im_value = float(real), float(imaginary)
    except (TypeError, ValueError):
        return None
    if not math.isfinite(re_value) or abs(im_value) > 1e-20 * max(1.0, abs(re_value)):
        return None
    return re_value


def point_of(names: Mapping[str, Any], at: Mapping[str, float]) -> dict[Any, float]:
    """The symbols of ``names`` bound to their float64 values in ``at``."""
    return {names[name]: float(at[name]) for name in names if name in at}


def derivative_values(
    graph: Graph, at: Mapping[str, float], names: Sequence[str], timeout: float | None
) -> dict[str, float | None]:
    """SymPy's derivative of the output by each of ``names``, evaluated at ``at``.

    Uses the exact float64 constants, so it differentiates what autograph
    computed. None for a derivative that is not a finite real number there.
    Raises ``SymbolicLimit`` when SymPy runs out of time or stack.
    """
    symbol = symbols(graph)
    point = point_of(symbol, at)

    def work() -> dict[str, float | None]:
        function = to_sympy(graph, "binary")
        values: dict[str, float | None] = {}
        for name in names:
            derivative = sp.diff(function, symbol[name])
            try:
                values[name] = numeric_value(derivative, point)
            except (ArithmeticError, TypeError, ValueError, AttributeError):
                values[name] = None
        return values

    return within_budget(timeout, work)


def second_derivative_values(
    graph: Graph, at: Mapping[str, float], names: Sequence[str], timeout: float | None
) -> list[list[float | None]]:
    """SymPy's second derivatives of the output by each pair of ``names``, evaluated at ``at``.

    ``values[i][j]`` is d2 output / d names[i] d names[j] (each pair differentiated
    once: the matrix is symmetric), None where it is not a finite real number. As
    ``derivative_values``, with the exact float64 constants, inside the time budget.
    """
    symbol = symbols(graph)
    point = point_of(symbol, at)

    def work() -> list[list[float | None]]:
        function = to_sympy(graph, "binary")
        size = len(names)
        values: list[list[float | None]] = [[None] * size for _ in range(size)]
        for i, first in enumerate(names):
            derivative = sp.diff(function, symbol[first])
            for j in range(i, size):
                second = sp.diff(derivative, symbol[names[j]])
                try:
                    value = numeric_value(second, point)
                except (ArithmeticError, TypeError, ValueError, AttributeError):
                    value = None
                values[i][j] = values[j][i] = value
        return values

    return within_budget(timeout, work)


@dataclass(frozen=True)
class Derivative:
    """One symbolic partial derivative of the program's output."""

    variable: str
    expression: Any
    """The SymPy expression."""
    text: str
    """SymPy's plain string: ``x*(b + w*x - y)``."""
    latex: str
    """The formula as LaTeX."""
    pretty: str
    """Pretty-printed for a terminal, with its name (and value): ``∂J/∂w = x⋅(b + w⋅x - y)``."""
    simplified: bool
    """False when the time budget ran out before simplification."""
    value: float | None = None
    """Its value at the ``at`` point, when one was given."""


@dataclass(frozen=True, repr=False)
class Derivatives(Displayed):
    """The program's output as a formula and its partial derivatives (``autograph diff``)."""

    graph: Graph
    function: Any
    """The output as a SymPy expression."""
    text: str
    """The output as SymPy's plain string."""
    latex: str
    """The output as LaTeX."""
    derivatives: tuple[Derivative, ...]
    value: float | None = None
    """The output's value at the ``at`` point, when one was given."""

    @property
    def output_name(self) -> str | None:
        """The name the last statement assigns, or None for a bare expression."""
        return self.graph.statements[-1][0] if self.graph.statements else None


def diff(
    graph: Graph,
    wrt: Sequence[str] | None = None,
    at: Mapping[str, float] | None = None,
    timeout: float | None = 5.0,
) -> Derivatives:
    """Symbolic partial derivatives of the output, simplified, and their values at ``at``.

    Raises ``SymbolicLimit`` when SymPy runs out of time or stack; a derivative
    whose simplification alone ran out of time is returned unsimplified. With
    ``at``, the forward pass runs first, so a point outside the domain is the
    usual ``MathError`` naming the node.
    """
    from autograph.evaluate import forward

    names = list(graph.variables) if wrt is None else list(dict.fromkeys(wrt))
    for name in names:
        if name not in graph.variables:
            known = listing(list(graph.variables)) or "none"
            raise InputError(
                "bad-wrt",
                f"--wrt {shorten(name)!r} is not a variable of the program (variables: {known})",
            )
    value = None
    if at is not None:
        value = forward(graph, at).value
    else:
        _check_constant_parts(graph)
    symbol = symbols(graph)
    budget = Budget(timeout)

    def differentiate() -> tuple[Any, list[Any]]:
        try:
            function = to_sympy(graph, "decimal")
            return function, [sp.diff(function, symbol[name]) for name in names]
        except (ArithmeticError, TypeError, ValueError) as failure:
            raise MathError(
                "sympy", f"SymPy cannot differentiate this program: {failure}"
            ) from None

    function, raw = within_budget(budget, differentiate)
    for name, derivative in zip(names, raw, strict=True):
        if derivative.has(sp.zoo, sp.nan, sp.oo, -sp.oo, sp.I):
            raise MathError(
                "gradient",
                f"the derivative with respect to {name} is undefined or not real: SymPy gives "
                f"{_shortened(derivative)}",
                variable=name,
            )
    values: list[float | None] = [None] * len(names)
    if at is not None:  # before simplifying, which may be cut short
        point = point_of(symbol, at)
        values = within_budget(budget, lambda: [numeric_value(d, point) for d in raw])
        for name, number, derivative in zip(names, values, raw, strict=True):
            if number is None:
                raise MathError(
                    "gradient",
                    f"the derivative with respect to {name}, {_shortened(derivative)}, has no "
                    "finite real value at this point",
                    variable=name,
                )
    # Simplifying may use the budget but a fifth of it, kept for printing the formulas.
    simplifying = Budget(None if timeout is None else (budget.left() or 0) - timeout / 5)
    simplified = []
    for expression in raw:
        try:
            simplified.append((within_budget(simplifying, partial(_simplify, expression)), True))
        except Exception:  # noqa: BLE001 - SymbolicLimit or a SymPy failure: keep it unsimplified
            simplified.append((expression, False))
    output = graph.names[graph.output]  # the one name rule: t1 for an unnamed output, as in grad

    def write() -> Derivatives:  # SymPy's printers recurse too
        derivatives = tuple(
            Derivative(
                name,
                expression,
                sp.sstr(expression),
                sp.latex(expression),
                _pretty(f"∂{output}/∂{name} = ", expression, number),
                done,
                number,
            )
            for name, (expression, done), number in zip(names, simplified, values, strict=True)
        )
        return Derivatives(
            graph, function, sp.sstr(function), sp.latex(function), derivatives, value
        )

    return within_budget(budget, write)


def _check_constant_parts(graph: Graph) -> None:
    """Raise the forward pass's error for a part of the program that fails whatever the point.

    Without ``at`` there is no forward pass, and SymPy would turn 1/0 or
    sqrt(-1) into zoo or I instead of an error.
    """
    from autograph.backends.scalar import ScalarMath

    fixed: dict[int, float] = {}
    for node, op in enumerate(graph.ops):
        args = graph.inputs[node]
        if op is CONST:
            fixed[node] = graph.constants[node]
        elif op is not VAR and all(arg in fixed for arg in args):
            try:
                fixed[node] = op.forward(ScalarMath)(*[fixed[arg] for arg in args])
            except (ArithmeticError, ValueError):
                fixed[node] = math.nan
            if not math.isfinite(fixed[node]):
                why = f" ({op.domain})" if op.domain else ""
                raise MathError(
                    "domain",
                    f"`{graph.text(node)}` is undefined or too large, whatever the variables{why}",
                    graph.span(node),
                    graph.source,
                    node=node,
                )


def _shortened(expression: Any, limit: int = 60) -> str:
    text = str(sp.sstr(expression))
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _pretty(label: str, expression: Any, value: float | None) -> str:
    """``label`` and the expression pretty-printed (Unicode), then `` = value`` if given."""
    from sympy.printing.pretty.pretty import PrettyPrinter
    from sympy.printing.pretty.stringpict import prettyForm

    from autograph.numbers import format_number

    printer = PrettyPrinter({"use_unicode": True, "wrap_line": False})
    form = prettyForm(*prettyForm(label).right(printer._print(expression)))
    if value is not None:
        form = prettyForm(*form.right(f" = {format_number(value)}"))
    return str(form.render(wrap_line=False))


def _simplify(expression: Any) -> Any:
    """SymPy's simplify, unless it only trades a formula for a Piecewise of cases."""
    simpler = sp.simplify(expression)
    if simpler.has(sp.Piecewise) and not expression.has(sp.Piecewise):
        return expression
    return simpler


def render(result: Derivatives) -> str:
    """The derivatives for a terminal, one pretty-printed block each."""
    blocks = []
    for derivative in result.derivatives:
        note = "" if derivative.simplified else "\n(not simplified: the time budget ran out)"
        blocks.append(derivative.pretty + note)
    if not blocks:
        return "(no variables to differentiate)"
    separator = "\n\n" if any("\n" in block for block in blocks) else "\n"
    return separator.join(blocks)


def to_dict(result: Derivatives) -> dict[str, Any]:
    """The JSON form: the function and each derivative as SymPy's string and as LaTeX."""
    body: dict[str, Any] = {
        "output": result.output_name,
        "function": {"expression": result.text, "latex": result.latex},
    }
    if result.value is not None:
        body["value"] = result.value
    derivatives: dict[str, Any] = {}
    for derivative in result.derivatives:
        entry: dict[str, Any] = {
            "expression": derivative.text,
            "latex": derivative.latex,
            "simplified": derivative.simplified,
        }
        if derivative.value is not None:
            entry["value"] = derivative.value
        derivatives[derivative.variable] = entry
    body["derivatives"] = derivatives
    return body
