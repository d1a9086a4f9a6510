"""The numeric referee: the same graph in 50-digit arithmetic, derivatives by central differences.

SymPy needs a formula, and a formula can be exponentially bigger than its
graph; this referee never builds one. It runs the graph's forward pass with
mpmath, each op by the function of the same name in :class:`MpMath` (a math
backend like ``ScalarMath``, written independently of the op table's partials),
and estimates each derivative by central differences, (f(x + h) - f(x - h)) / 2h
with h = 2^-70 |x| (2^-70 at 0) and with h/2, combined by Richardson
extrapolation; the two quotients' difference bounds the truncation error. At
50 digits the rounding error is about 1e-29 of f / x. When fewer than 20 digits
of f(x + h) - f(x - h) stand above the rounding noise, it is all computed again
at twice the digits (up to three times). The truncation and rounding bounds
are reported as the estimate's error. Near a kink of relu, abs, max or min,
the differences are taken on the point's side of it. Work is linear in the
graph, per variable, and nothing recurses.

Central differences rather than the complex step: they need no analytic
continuation, so relu, abs, max and min work too (away from their kinks), with
one code path for every op.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from autograph.backends.mpmath import DIGITS, MpMath, ctx
from autograph.errors import MathError
from autograph.graph import Graph
from autograph.ops import CONST, VAR
from autograph.referee.kinks import kink_nodes, side

_FAILURES = (ArithmeticError, ValueError, TypeError)


class Deadline:
    """A time budget checked between steps of work; past it, a ``MathError`` of kind timeout."""

    def __init__(self, seconds: float | None) -> None:
        self.seconds = seconds
        self.end = None if seconds is None else time.monotonic() + seconds

    def check(self) -> None:
        """Raise once the budget is spent."""
        if self.end is not None and time.monotonic() > self.end:
            raise MathError(
                "timeout",
                f"the numeric referee did not finish within its time budget of "
                f"{self.seconds:g} s (--timeout)",
            )


class _Evaluator:
    """The graph's forward pass in mpmath: once at the point, then again near it per variable."""

    def __init__(self, graph: Graph, at: Mapping[str, float], deadline: Deadline) -> None:
        self.graph = graph
        self.deadline = deadline
        self.functions = {
            op: op.forward(MpMath) for op in set(graph.ops) if op is not CONST and op is not VAR
        }
        self.kinks = kink_nodes(graph)
        self.base = self._values(None, {}, range(len(graph.ops)), at)

    def _values(
        self,
        base: list[Any] | None,
        start: dict[int, Any],
        order: Sequence[int] | range,
        at: Mapping[str, float],
    ) -> list[Any]:
        """Evaluate the nodes of ``order``; the others keep their ``base`` value."""
        graph = self.graph
        values: list[Any] = [None] * len(graph.ops) if base is None else list(base)
        for step, node in enumerate(order):
            op = graph.ops[node]
            if node in start:
                values[node] = start[node]
            elif op is CONST:
                values[node] = ctx.mpf(graph.constants[node])
            elif op is VAR:
                values[node] = ctx.mpf(at[graph.labels[node] or ""])
            else:
                values[node] = self.functions[op](*[values[arg] for arg in graph.inputs[node]])
            if step % 256 == 255:
                self.deadline.check()
        return values

    def nudged(
        self, variable: int, delta: Any, order: Sequence[int]
    ) -> tuple[Any, tuple[int, ...]]:
        """The output, and the side of every kink, with one variable moved by ``delta``."""
        values = self._values(self.base, {variable: self.base[variable] + delta}, order, {})
        return values[self.graph.output], tuple(side(self.graph, k, values) for k in self.kinks)


class Estimate(NamedTuple):
    """A derivative by the numeric referee, and a bound on its rounding error."""

    value: float
    error: float


def rounding_errors(
    graph: Graph, at: Mapping[str, float], values: Sequence[float], deadline: Deadline
) -> list[float]:
    """Per node, how far its float64 value is from the 50-digit one, relative to the larger.

    Large where float64 lost a value to cancellation (x + 1 - 1 for a tiny x):
    a derivative computed from such values can disagree with any exact referee.
    """
    # Enough digits that adding the smallest input to the largest loses nothing.
    inputs = [abs(v) for v in [*at.values(), *graph.constants] if v]
    spread = math.log10(max(inputs)) - math.log10(min(inputs)) if inputs else 0.0
    with ctx.workdps(DIGITS + min(1000, int(spread))):
        try:
            exact = _Evaluator(graph, at, deadline).base
        except _FAILURES:
            return [0.0] * len(values)
        errors = []
        for value, reference in zip(values, exact, strict=True):
            scale = max(abs(value), abs(reference))
            errors.append(0.0 if scale == 0 else float(abs(value - reference) / scale))
        return errors


def derivatives(
    graph: Graph, at: Mapping[str, float], names: Sequence[str], deadline: Deadline
) -> dict[str, Estimate | None]:
    """d(output)/d(variable) for each of ``names`` (None where it cannot be evaluated)."""
    with ctx.workdps(DIGITS):
        try:
            evaluator = _Evaluator(graph, at, deadline)
        except _FAILURES:
            return dict.fromkeys(names)
        return {name: _derivative(evaluator, graph.variables[name]) for name in names}


def _derivative(evaluator: _Evaluator, variable: int) -> Estimate | None:
    """Central differences with steps h and h/2, combined by Richardson extrapolation.

    The two quotients' difference bounds the truncation error; their rounding
    noise is added. Recomputed at more digits while too few survive the
    subtraction f(x + h) - f(x - h).
    """
    graph = evaluator.graph
    order = _downstream(graph, variable)
    if graph.output not in order:
        return Estimate(0.0, 0.0)
    size = abs(evaluator.base[variable])
    step = ctx.ldexp(size or ctx.one, -70)
    # As many more digits as x is small: f(x + h) - f(x - h) is about f' h.
    digits = DIGITS + (int(-ctx.floor(ctx.log10(size))) if 0 < size < 1 else 0)
    try:
        for _ in range(4):
            with ctx.workdps(digits):
                coarse = _quotient(evaluator, variable, order, step)
                fine = _quotient(evaluator, variable, order, step / 2)
            if all(q.difference > q.noise * 10**20 for q in (coarse, fine)):
                break  # 20 digits of each difference stand above the rounding noise
            digits *= 2
    except _FAILURES:
        return None
    # Richardson: the error of a central quotient goes as h^2, of a one-sided one as h.
    power = 2 if coarse.central and fine.central else 1
    value = fine.value + (fine.value - coarse.value) / (2**power - 1)
    error = abs(fine.value - coarse.value) + (coarse.noise + fine.noise) / step
    if not isinstance(value, ctx.mpf):
        return None
    estimate = Estimate(float(value), float(error))
    return estimate if math.isfinite(estimate.value) and math.isfinite(estimate.error) else None


class _Quotient(NamedTuple):
    value: Any
    difference: Any
    noise: Any
    central: bool


def _quotient(evaluator: _Evaluator, variable: int, order: list[int], step: Any) -> _Quotient:
    """(f(x + h) - f(x - h)) / 2h; one-sided, on x's side, when x is nearer than h to a kink."""
    graph = evaluator.graph
    here = tuple(side(graph, k, evaluator.base) for k in evaluator.kinks)
    up, up_sides = evaluator.nudged(variable, step, order)
    down, down_sides = evaluator.nudged(variable, -step, order)
    width, central = 2 * step, True
    if (up_sides == here) != (down_sides == here):
        centre, _ = evaluator.nudged(variable, ctx.zero, order)
        up, down = (up, centre) if up_sides == here else (centre, down)
        width, central = step, False
    difference = up - down
    noise = max(abs(up), abs(down)) * ctx.mpf(10) ** (5 - ctx.dps)
    return _Quotient(difference / width, abs(difference), noise, central)


def _downstream(graph: Graph, variable: int) -> list[int]:
    """The nodes that depend on ``variable``, in order: the only ones a nudge changes."""
    depends = bytearray(len(graph.ops))
    depends[variable] = 1
    order = [variable]
    for node in range(variable + 1, len(graph.ops)):
        if any(depends[arg] for arg in graph.inputs[node]):
            depends[node] = 1
            order.append(node)
    return order
