"""``grad --check``: reverse mode against an independent referee and a finite difference.

For each differentiated variable the check puts three numbers side by side:
autograph's reverse-mode derivative, the referee's, and a float64 central
finite difference. The referee is SymPy (the symbolic derivative of the graph
turned into a formula, evaluated to 30 digits) when the formula is small
enough, and otherwise the numeric referee (the graph itself in 50-digit
arithmetic, see :mod:`autograph.referee.numeric`), whose work is linear in the
graph. The check says which one it used and why.

Reverse mode and the referee agree when they differ by at most ``tol`` relative
to the largest of the two and of the derivative's *magnitude*: the reverse pass
run on absolute values, the sum over all paths of |product of local partials|
(so a derivative that cancels to 0 is not failed for a rounding error of
1e-17), plus the numeric referee's bound on its own error. At a kink (relu or
abs at 0, a tie in max or min) the referees legitimately differ; the check says
so instead of reporting a disagreement.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from autograph.display import Displayed
from autograph.errors import MathError
from autograph.evaluate import Backward, backward, forward
from autograph.graph import Graph
from autograph.referee import numeric
from autograph.referee.kinks import kinks_hit

Referee = Literal["sympy", "mpmath"]

SYMPY_MAX_SIZE = 2000
"""Largest expression tree (shared nodes written out) given to SymPy."""
SYMPY_MAX_DEPTH = 60
"""Deepest expression tree given to SymPy: its recursion needs several frames per level."""

DESCRIPTIONS: dict[str, str] = {
    "sympy": "SymPy: the symbolic derivative, evaluated to 30 digits",
    "mpmath": "mpmath: the graph in 50-digit arithmetic, central differences",
}
"""What each referee computes, in a few words."""


@dataclass(frozen=True)
class VariableCheck:
    """The check of one variable's derivative."""

    variable: str
    reverse_mode: float
    referee: float | None
    """The referee's derivative; None when it cannot be evaluated at this point."""
    referee_name: Referee
    finite_difference: float | None
    """The float64 central difference; None when a step leaves the domain."""
    agrees: bool
    """Reverse mode and the referee agree within the tolerance."""
    kinks: tuple[str, ...] = ()
    """The kink texts of the ops at a kink between this variable and the output."""
    referee_error: float = 0.0
    """A bound on the numeric referee's own rounding error (0 for SymPy's exact formula)."""

    @property
    def reverse_minus_referee(self) -> float | None:
        """Reverse mode minus the referee."""
        return None if self.referee is None else self.reverse_mode - self.referee

    @property
    def reverse_minus_finite_difference(self) -> float | None:
        """Reverse mode minus the finite difference."""
        if self.finite_difference is None:
            return None
        return self.reverse_mode - self.finite_difference

    @property
    def relative_difference(self) -> float | None:
        """|reverse mode - referee| relative to the larger of the two (0 when both are 0)."""
        if self.referee is None:
            return None
        scale = max(abs(self.reverse_mode), abs(self.referee))
        return 0.0 if scale == 0 else abs(self.reverse_mode - self.referee) / scale

    @property
    def excused(self) -> bool:
        """They differ, but at a kink, where the referees legitimately differ."""
        return not self.agrees and bool(self.kinks)


@dataclass(frozen=True, repr=False)
class Check(Displayed):
    """The result of ``grad --check``: the reverse pass and its check per variable."""

    result: Backward
    referee: Referee
    reason: str
    """Why this referee: the formula's size, or what stopped SymPy."""
    tolerance: float
    variables: tuple[VariableCheck, ...]
    rounding: tuple[int, float] | None = None
    """When they disagree: the node whose float64 value is furthest from its exact value,
    and its relative error, if that exceeds the tolerance (the disagreement may be rounding)."""

    @property
    def agrees(self) -> bool:
        """True unless reverse mode and the referee disagree somewhere other than at a kink."""
        return all(v.agrees or v.excused for v in self.variables)

    @property
    def disagreements(self) -> list[VariableCheck]:
        """The variables where reverse mode and the referee disagree (kinks excepted)."""
        return [v for v in self.variables if not (v.agrees or v.excused)]


def check(
    graph: Graph,
    at: Mapping[str, float],
    wrt: Iterable[str] | None = None,
    *,
    tol: float = 1e-9,
    timeout: float | None = 5.0,
    referee: Literal["auto", "sympy", "mpmath"] = "auto",
) -> Check:
    """Check reverse mode's gradient against a referee and a finite difference.

    ``referee="auto"`` picks SymPy for a small formula and the numeric referee
    otherwise; SymPy running out of its ``timeout`` (seconds) or of stack falls
    back to the numeric referee, which has a ``timeout`` of its own. Raises the
    usual errors of ``backward`` first, and ``MathError`` (kind ``timeout``) when
    the numeric referee runs out of time.
    """
    result = backward(graph, at, wrt)
    names = result.wrt
    deadline = numeric.Deadline(timeout)
    finite = {}
    for name in names:
        finite[name] = float_central_difference(graph, at, name)
        deadline.check()

    chosen, reason = choose_referee(graph, referee)
    values: dict[str, float | None] = {}
    used: dict[str, Referee] = {}
    if chosen == "sympy" and names:
        from autograph import symbolic

        try:
            values = symbolic.derivative_values(graph, at, names, timeout)
            used = dict.fromkeys(values, "sympy")
        except symbolic.SymbolicLimit as limit:
            chosen, reason = "mpmath", f"{limit.message}; the numeric referee took over"
        except Exception as failure:  # noqa: BLE001 - SymPy failing must not end the check
            chosen, reason = "mpmath", f"SymPy failed ({failure}); the numeric referee took over"
        missing = [name for name in names if values.get(name) is None]
        if values and missing:
            reason += f"; SymPy's derivative is not a finite number here for {', '.join(missing)}"
    errors: dict[str, float] = {}
    missing = [name for name in names if values.get(name) is None]
    if missing:
        estimates = numeric.derivatives(graph, at, missing, numeric.Deadline(timeout))
        for name, estimate in estimates.items():
            values[name] = None if estimate is None else estimate.value
            errors[name] = 0.0 if estimate is None else estimate.error
        used.update(dict.fromkeys(missing, "mpmath"))

    kinks = kinks_hit(graph, result.values, result.adjoints, names)
    scales = _magnitudes(result)
    variables = []
    for name in names:
        reverse = result.gradient[name]
        value, error = values.get(name), errors.get(name, 0.0)
        agrees = value is not None and _close(reverse, value, tol, scales[name], error)
        variables.append(
            VariableCheck(
                name, reverse, value, used[name], finite[name], agrees, tuple(kinks[name]), error
            )
        )
    checked = Check(result, chosen, reason, tol, tuple(variables))
    if checked.agrees:
        return checked
    rounding = numeric.rounding_errors(graph, at, result.values, numeric.Deadline(timeout))
    worst = max(range(len(rounding)), key=rounding.__getitem__)
    if rounding[worst] <= tol:
        return checked
    return Check(result, chosen, reason, tol, tuple(variables), (worst, rounding[worst]))


def choose_referee(graph: Graph, wanted: str = "auto") -> tuple[Referee, str]:
    """SymPy when the output's expression tree is small and shallow enough, else mpmath."""
    if wanted == "sympy":
        return "sympy", "SymPy was asked for"
    if wanted == "mpmath":
        return "mpmath", "the numeric referee was asked for"
    size, depth = tree_shape(graph)
    if depth > SYMPY_MAX_DEPTH:
        return "mpmath", f"the formula is too deep for SymPy: depth {depth} > {SYMPY_MAX_DEPTH}"
    if size > SYMPY_MAX_SIZE:
        return "mpmath", (
            f"the formula is too big for SymPy: {_count(size)} terms with shared nodes written "
            f"out > {SYMPY_MAX_SIZE}"
        )
    terms = "1 term" if size == 1 else f"{size} terms"
    return "sympy", f"the formula is small enough for SymPy: {terms}, depth {depth}"


def tree_shape(graph: Graph) -> tuple[int, int]:
    """(size, depth) of the output's expression tree with shared nodes written out.

    SymPy's work grows with these, not with the number of nodes: a DAG of 40
    nodes can stand for a tree of a million. Linear in the graph; sizes are capped.
    """
    cap = 10**15
    size = [1] * len(graph.ops)
    depth = [1] * len(graph.ops)
    for node, args in enumerate(graph.inputs):
        if args:
            size[node] = min(cap, 1 + sum(size[arg] for arg in args))
            depth[node] = 1 + max(depth[arg] for arg in args)
    return size[graph.output], depth[graph.output]


def _count(size: int) -> str:
    return f"{size:,}" if size < 10**15 else "more than 10^15"


def float_central_difference(graph: Graph, at: Mapping[str, float], name: str) -> float | None:
    """(f(x + h) - f(x - h)) / 2h in float64, h = eps^(1/3) max(1, |x|); None off the domain."""
    x = float(at[name])
    step = 6.0554544523933395e-06 * max(1.0, abs(x))  # the cube root of float64's epsilon
    step = (x + step) - x  # a step the float64 grid can represent exactly
    try:
        up = forward(graph, {**at, name: x + step}).value
        down = forward(graph, {**at, name: x - step}).value
    except MathError:
        return None
    difference = (up - down) / (2 * step)
    return difference if math.isfinite(difference) else None


def _magnitudes(result: Backward) -> dict[str, float]:
    """Per variable, the reverse pass run on absolute values: the sum over every path to the
    output of |product of local partials|. Rounding in reverse mode is relative to this, so a
    derivative that cancels to 0 on the way is judged against the size of what cancelled."""
    graph = result.graph
    magnitude = [0.0] * len(graph.ops)
    magnitude[graph.output] = 1.0
    for node in range(graph.output, -1, -1):
        if magnitude[node]:
            for arg, partial in zip(graph.inputs[node], result.partials[node], strict=True):
                if partial is not None:
                    magnitude[arg] += magnitude[node] * abs(partial)
    return {name: magnitude[graph.variables[name]] for name in result.wrt}


def _close(reverse: float, referee: float, tol: float, scale: float, error: float) -> bool:
    return abs(reverse - referee) <= tol * max(abs(reverse), abs(referee), scale) + error
