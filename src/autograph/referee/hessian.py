"""``hessian --check``: each second derivative against SymPy and a central difference.

The Hessian comes from the gradient graph differentiated again (see
:mod:`autograph.derivatives`). Each entry is put beside two independent numbers:
SymPy's second derivative of the output (the exact float64 constants, evaluated
to 30 digits or more) and a float64 central difference of the reverse pass's
gradient, ``(g(x + h e_j) - g(x - h e_j)) / 2h``. SymPy judges: an entry agrees when
it is within ``tol`` of SymPy's, relative to the larger of the two and of the
largest entry (so an entry that is 0 up to rounding is not failed for 1e-17).
Where SymPy cannot say (the formula is too big, it runs out of time, the second
derivative is not a finite real number there) the central difference judges,
within ``DIFFERENCE_TOLERANCE``, and the check says so. With a ``vector`` v the
same is done for the Hessian-vector product H v, entry by entry, against SymPy's
matrix times v and the central difference of the gradient along v.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from autograph.derivatives import Hessian, hessian
from autograph.errors import MathError
from autograph.evaluate import backward
from autograph.graph import Graph
from autograph.referee import choose_referee
from autograph.referee.kinks import kinks_hit

Judge = Literal["sympy", "finite difference", ""]

DIFFERENCE_TOLERANCE = 1e-6
"""Relative agreement asked of a central difference of the gradient, whose own error is
of order h^2 (truncation) plus eps / h (rounding), h = eps^(1/3): about 1e-10 relative."""

_STEP = 6.0554544523933395e-06
"""The cube root of float64's epsilon: the central difference's relative step."""


@dataclass(frozen=True)
class EntryCheck:
    """The check of one entry: ``hessian[row][column]``, or ``(H v)[row]`` (column "")."""

    row: str
    column: str
    autograph: float
    sympy: float | None
    """SymPy's value; None where SymPy could not give one."""
    finite_difference: float | None
    """The central difference of the gradient; None where a step leaves the domain."""
    judge: Judge
    """Which of the two judged the entry ("" when neither could)."""
    agrees: bool
    kinks: tuple[str, ...] = ()
    """The kink texts of the ops at a kink between the entry's variables and the output."""

    @property
    def excused(self) -> bool:
        """They differ, but at a kink, where the references legitimately differ."""
        return not self.agrees and bool(self.kinks)


@dataclass(frozen=True)
class HessianCheck:
    """The result of ``hessian --check``: the Hessian (or product) and the check of each entry."""

    result: Hessian
    reason: str
    """Why SymPy did or did not judge: the formula's size, or what stopped it."""
    tolerance: float
    entries: tuple[EntryCheck, ...]

    @property
    def agrees(self) -> bool:
        """True unless some entry disagrees with its judge somewhere other than at a kink."""
        return all(entry.agrees or entry.excused for entry in self.entries)

    @property
    def disagreements(self) -> list[EntryCheck]:
        """The entries that disagree (kinks excepted)."""
        return [entry for entry in self.entries if not (entry.agrees or entry.excused)]


def check_hessian(
    graph: Graph,
    at: Mapping[str, float],
    wrt: Iterable[str] | None = None,
    vector: Mapping[str, float] | None = None,
    *,
    tol: float = 1e-9,
    timeout: float | None = 5.0,
) -> HessianCheck:
    """The Hessian (or, with ``vector``, H v) with each entry checked; see the module text.

    Raises what ``hessian`` raises (an undefined second derivative is a ``MathError``).
    """
    result = hessian(graph, at, wrt, vector)
    names = result.variables
    exact, reason = _sympy_matrix(graph, at, names, timeout)
    first = backward(graph, at, names)
    kinks = kinks_hit(graph, first.values, first.adjoints, names)
    # The central difference's rounding error grows with the gradient it differences.
    gradient_sizes = [abs(value) for value in result.gradient.values()] or [0.0]
    if result.matrix is not None:
        columns = [_difference_column(graph, at, names, {name: 1.0}) for name in names]
        ours = result.matrix
        scale = max((abs(value) for row in ours for value in row), default=0.0)
        rough = max(scale, *gradient_sizes)
        entries = []
        for i, row in enumerate(names):
            for j, column in enumerate(names):
                difference = None if columns[j] is None else columns[j][i]  # type: ignore[index]
                sympy = None if exact is None else exact[i][j]
                hit = tuple(dict.fromkeys(kinks[row] + kinks[column]))
                entries.append(
                    _entry(row, column, ours[i][j], sympy, difference, tol, scale, hit, rough)
                )
        return HessianCheck(result, reason, tol, tuple(entries))
    assert result.product is not None and result.vector is not None
    direction = result.vector
    along = _difference_column(graph, at, names, direction)
    products = list(result.product.values())
    scale = max((abs(value) for value in products), default=0.0)
    rough = max(scale, *gradient_sizes)
    entries = []
    for i, row in enumerate(names):
        sympy = None
        if exact is not None and all(value is not None for value in exact[i]):
            sympy = math.fsum(
                value * direction[name]  # type: ignore[operator]
                for value, name in zip(exact[i], names, strict=True)
            )
        difference = None if along is None else along[i]
        hit = tuple(kinks[row])
        entries.append(_entry(row, "", products[i], sympy, difference, tol, scale, hit, rough))
    return HessianCheck(result, reason, tol, tuple(entries))


def _sympy_matrix(
    graph: Graph, at: Mapping[str, float], names: tuple[str, ...], timeout: float | None
) -> tuple[list[list[float | None]] | None, str]:
    """SymPy's matrix of second derivatives, or None, and why."""
    chosen, reason = choose_referee(graph)
    if chosen != "sympy":
        return None, f"{reason}; the central difference judges"
    from autograph import symbolic

    try:
        matrix = symbolic.second_derivative_values(graph, at, names, timeout)
    except symbolic.SymbolicLimit as limit:
        return None, f"{limit.message}; the central difference judges"
    except Exception as failure:  # noqa: BLE001 - SymPy failing must not end the check
        return None, f"SymPy failed ({failure}); the central difference judges"
    missing = sum(value is None for row in matrix for value in row)
    if missing:
        reason += (
            f"; SymPy's second derivative is not a finite number here for {missing} "
            "entries, which the central difference judges"
        )
    return matrix, reason


def _difference_column(
    graph: Graph, at: Mapping[str, float], names: tuple[str, ...], direction: Mapping[str, float]
) -> list[float] | None:
    """(g(x + h u) - g(x - h u)) / 2h for the gradient g over ``names``, u = ``direction``.

    The step is the cube root of epsilon times the size of the variables moved;
    None when a step leaves the domain or a difference is not finite.
    """
    moved = [name for name, weight in direction.items() if weight]
    if not moved:
        return [0.0] * len(names)
    size = max(1.0, *(abs(float(at[name])) for name in moved))
    step = _STEP * size / max(abs(direction[name]) for name in moved)
    up = {**at, **{name: at[name] + step * direction[name] for name in moved}}
    down = {**at, **{name: at[name] - step * direction[name] for name in moved}}
    try:
        above = backward(graph, up, names).gradient
        below = backward(graph, down, names).gradient
    except MathError:
        return None
    column = [(above[name] - below[name]) / (2 * step) for name in names]
    return column if all(math.isfinite(value) for value in column) else None


def _entry(
    row: str,
    column: str,
    ours: float,
    sympy: float | None,
    difference: float | None,
    tol: float,
    scale: float,
    kinks: tuple[str, ...],
    rough: float,
) -> EntryCheck:
    if sympy is not None:
        agrees = abs(ours - sympy) <= tol * max(abs(ours), abs(sympy), scale)
        return EntryCheck(row, column, ours, sympy, difference, "sympy", agrees, kinks)
    if difference is not None:
        loose = max(tol, DIFFERENCE_TOLERANCE)
        agrees = abs(ours - difference) <= loose * max(abs(ours), abs(difference), rough)
        return EntryCheck(row, column, ours, None, difference, "finite difference", agrees, kinks)
    return EntryCheck(row, column, ours, None, None, "", False, kinks)
