"""Forward mode: every node's tangent, carried left to right beside its value.

Where the reverse pass asks how the output changes as each node moves, forward
mode asks how every node changes as the inputs move in one direction ``u``
(dual numbers): a variable's tangent is its component of ``u``, and a node's
tangent is the sum, over its inputs, of the op table's local partial times the
input's tangent. The output's tangent is the directional derivative
grad(f) . u, got in one pass whatever the number of variables.

The partials are the same declarations the reverse pass runs (``ops.py`` over
``backends.scalar``). An input whose tangent is structurally zero (it depends on
no variable with a non-zero component) contributes nothing and its partial is
never asked for, as in the reverse pass. A partial that is undefined makes the
node's tangent undefined (None); that is an error, naming the node where it
arose, only if it reaches the output: not where the output does not need the
node, nor where an op that ``masks`` (max, relu) did not choose that input,
which is where the reverse pass passes nothing either (PyTorch's convention).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from autograph import analysis
from autograph.backends.scalar import ScalarMath
from autograph.errors import InputError, MathError, shorten
from autograph.evaluate import Forward, _applied, _not_a_variable, forward
from autograph.graph import Graph, collector_paused
from autograph.ops import Op

_MATH_FAILURES = (ArithmeticError, ValueError)


@dataclass(frozen=True, eq=False, repr=False)
class Tangents(Forward):
    """A forward pass carrying tangents: every node's value and its rate of change along
    ``direction``."""

    direction: dict[str, float]
    """The tangent of each variable: the direction u (0 for those not given)."""
    tangents: list[float | None]
    """d(node)/d(direction) per node; None for a node the output does not need whose
    tangent is undefined."""

    @property
    def tangent(self) -> float:
        """The directional derivative of the output: grad(output) . direction."""
        tangent = self.tangents[self.graph.output]
        return 0.0 if tangent is None else tangent


def direction_of(graph: Graph, tangent: Mapping[str, float] | None) -> dict[str, float]:
    """The direction per variable: those named in ``tangent``, 0 for the others.

    With no ``tangent`` at all, a program of one variable moves along it (tangent 1);
    a program of several has no direction to assume, which is an error.
    """
    if tangent is None:
        if len(graph.variables) > 1:
            listed = ", ".join(shorten(name) for name in list(graph.variables)[:5])
            raise InputError(
                "no-direction",
                f"the program has several variables ({listed}); give the tangent of at least "
                "one of them (the others' tangents are 0)",
            )
        return dict.fromkeys(graph.variables, 1.0)
    for name, number in tangent.items():
        if name not in graph.variables:
            raise InputError("unknown-variable", _not_a_variable(graph, name), variable=name)
        if not isinstance(number, int | float) or not math.isfinite(number):
            raise InputError(
                "bad-value", f"the tangent of {shorten(name)!r} must be a finite number"
            )
    return {name: float(tangent.get(name, 0.0)) for name in graph.variables}


def jvp(
    graph: Graph, at: Mapping[str, float], tangent: Mapping[str, float] | None = None
) -> Tangents:
    """Forward mode at ``at`` along ``tangent`` (a number per variable, 0 for those not named).

    Returns every node's value and tangent; ``result.tangent`` is the output's
    directional derivative (a Jacobian-vector product, hence the name).
    """
    direction = direction_of(graph, tangent)
    with collector_paused():
        values = forward(graph, at).values
        return Tangents(graph, values, direction, _tangents(graph, values, direction))


def _tangents(graph: Graph, values: list[float], direction: dict[str, float]) -> list[float | None]:
    moving = [name for name, number in direction.items() if number != 0.0]
    active = analysis.depends(graph, moving)
    tangents: list[float | None] = [0.0] * len(graph.ops)
    for name, number in direction.items():
        tangents[graph.variables[name]] = number
    # Where a tangent is undefined (None), the node it first failed at: it is the error
    # if the undefined tangent reaches the output, and it is not one if max masks it.
    origin: dict[int, int] = {}
    ops, inputs = graph.ops, graph.inputs
    for node, args in enumerate(inputs):
        if not args or not active[node]:
            continue
        arg_values = [values[arg] for arg in args]
        tangent, failed = _tangent(ops[node], arg_values, values[node], tangents, args, active)
        tangents[node] = tangent
        if tangent is None:
            origin[node] = node if failed is None else origin[failed]
    if tangents[graph.output] is None:
        bad = origin[graph.output]
        op, args = ops[bad], inputs[bad]
        index = _failing(op, [values[arg] for arg in args], values[bad], args)
        raise _tangent_error(graph, values, bad, index)
    return tangents


def _tangent(
    op: Op,
    arg_values: list[float],
    out: float,
    tangents: list[float | None],
    args: tuple[int, ...],
    active: bytearray,
) -> tuple[float | None, int | None]:
    """Sum over the moving inputs of partial * tangent, and where it is undefined (None),
    the input whose tangent was already undefined (None when it fails here)."""
    total = 0.0
    for index, arg in enumerate(args):
        if not active[arg]:
            continue
        partial = _partial(op, index, arg_values, out)
        if op.masks and partial == 0.0:
            continue  # an input max did not choose: nothing flows through it
        tangent = tangents[arg]
        if tangent is None:
            return None, arg
        if not math.isfinite(partial):
            return None, None
        total += partial * tangent
    return (total, None) if math.isfinite(total) else (None, None)


def _partial(op: Op, index: int, arg_values: list[float], out: float) -> float:
    try:
        return float(op.partials[index](ScalarMath, *arg_values, out))
    except _MATH_FAILURES:
        return math.nan


def _failing(op: Op, arg_values: list[float], out: float, args: tuple[int, ...]) -> int | None:
    """The input whose partial is undefined, or None when the sum itself overflowed."""
    for index in range(len(args)):
        if not math.isfinite(_partial(op, index, arg_values, out)):
            return index
    return None


def _tangent_error(graph: Graph, values: list[float], node: int, index: int | None) -> MathError:
    where = f"`{graph.text(node)}`"
    if index is None:
        message = f"the tangent of {where} ({graph.names[node]}) is not a finite number"
    else:
        arg = graph.inputs[node][index]
        message = (
            f"the derivative of {where} with respect to {graph.names[arg]} is not finite at "
            f"{_applied(graph, node, values)}"
        )
    return MathError("tangent", message, graph.span(node), graph.source, node=node)
