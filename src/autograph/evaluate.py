"""The forward pass (every node's value) and the reverse pass (every node's adjoint).

Both are plain loops over the graph's topological order. The forward pass
computes left to right; the reverse pass seeds d(output)/d(output) = 1 and walks
right to left, adding each node's adjoint times a local partial derivative into
the adjoint of each input (the chain rule, summed over paths).

Any value or needed derivative that is not a finite float64 stops with a
``MathError`` naming the node, so no NaN or infinity is ever reported as a number.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from autograph.backends.scalar import ScalarMath
from autograph.display import Displayed
from autograph.errors import InputError, MathError, listing, shorten
from autograph.graph import Graph, collector_paused
from autograph.numbers import format_number
from autograph.plan import (
    BOTH,
    CONSTANT_BOTH,
    CONSTANT_FIRST,
    CONSTANT_SECOND,
    CONSTANT_UNARY,
    FIRST,
    SECOND,
    SELECT_BOTH,
    SELECT_FIRST,
    SELECT_SECOND,
    SELECT_UNARY,
    UNARY,
    Step,
    reverse_steps,
)

_MATH_FAILURES = (ArithmeticError, ValueError)


@dataclass(frozen=True, eq=False, repr=False)
class Forward(Displayed):
    """The result of a forward pass: the value of every node."""

    graph: Graph
    values: list[float]

    @property
    def value(self) -> float:
        """The program's result: the value of its last statement."""
        return self.values[self.graph.output]


@dataclass(frozen=True, eq=False, repr=False)
class Backward(Forward):
    """A forward and a reverse pass: values, adjoints, local partials and the gradient."""

    wrt: tuple[str, ...]
    adjoints: list[float | None]
    """d(output)/d(node), or None where the node needs no gradient."""
    partials: list[tuple[float | None, ...]]
    """Each node's local partial derivative per input, None where not needed."""

    @property
    def gradient(self) -> dict[str, float]:
        """d(output)/d(variable) for each variable in ``wrt``."""
        nodes = self.graph.variables
        return {name: self.adjoints[nodes[name]] or 0.0 for name in self.wrt}


def bind(graph: Graph, at: Mapping[str, float]) -> list[float]:
    """Check that ``at`` gives every free variable a finite value, and nothing else."""
    for name, value in at.items():
        if name not in graph.variables:
            raise InputError("unknown-variable", _not_a_variable(graph, name), variable=name)
        if not isinstance(value, int | float) or not math.isfinite(value):
            raise InputError("bad-value", f"the value of {shorten(name)!r} must be a finite number")
    missing = [name for name in graph.variables if name not in at]
    if missing:
        listed = _listed(missing)
        example = ",".join(f"{shorten(name)}=..." for name in missing[:_SHOWN])
        raise InputError(
            "unbound-variable",
            f"no value for {listed} (give one with --at {example})",
            graph.span(graph.variables[missing[0]]),
            graph.source,
            variables=missing,
        )
    return [float(at[name]) for name in graph.variables]


def _not_a_variable(graph: Graph, name: str) -> str:
    known = _listed(list(graph.variables)) or "none"
    if any(assigned == name for assigned, _ in graph.statements):
        shown = repr(shorten(name))
        return f"{shown} is assigned in the program, not a free variable (variables: {known})"
    return f"{shorten(name)!r} is not a variable of the program (variables: {known})"


_SHOWN = 5


def _listed(names: list[str]) -> str:
    """``x, y, z``; past a handful of names, ``and 95 more``."""
    return listing(names, _SHOWN)


def forward(graph: Graph, at: Mapping[str, float]) -> Forward:
    """Evaluate every node, left to right. Raises ``MathError`` on a domain error or overflow."""
    with collector_paused():
        return _forward(graph, at)


def _forward(graph: Graph, at: Mapping[str, float]) -> Forward:
    bound = bind(graph, at)
    plan = graph.plan
    values = graph.constants.copy()
    for node, value in zip(graph.variables.values(), bound, strict=True):
        values[node] = value
    inputs = graph.inputs
    node = -1
    try:
        steps = zip(plan.nodes, plan.functions, plan.firsts, plan.seconds, strict=True)
        for node, function, a, b in steps:
            if b >= 0:
                values[node] = function(values[a], values[b])
            elif b == -1:
                values[node] = function(values[a])
            else:
                values[node] = function(*[values[arg] for arg in inputs[node]])
    except _MATH_FAILURES as failure:
        # An earlier overflow to infinity is the real cause of, say, sin(inf) failing.
        earlier = _first_non_finite(values, node)
        if earlier is not None:
            raise _value_error(graph, values, earlier, None) from None
        raise _value_error(graph, values, node, failure) from None
    if not math.isfinite(sum(values)):  # a sum is finite only if every term is
        bad = _first_non_finite(values, len(values))
        if bad is not None:
            raise _value_error(graph, values, bad, None)
    return Forward(graph, values)


def _first_non_finite(values: list[float], stop: int) -> int | None:
    """The first node before ``stop`` whose value is infinite or NaN, if any."""
    for node in range(stop):
        if not math.isfinite(values[node]):
            return node
    return None


def backward(graph: Graph, at: Mapping[str, float], wrt: Iterable[str] | None = None) -> Backward:
    """Forward pass, then the reverse pass for the variables in ``wrt`` (default: all)."""
    with collector_paused():
        return _backward(graph, at, wrt)


def _backward(graph: Graph, at: Mapping[str, float], wrt: Iterable[str] | None) -> Backward:
    names = tuple(graph.variables) if wrt is None else tuple(dict.fromkeys(wrt))
    for name in names:
        if name not in graph.variables:
            raise InputError("bad-wrt", f"--wrt {_not_a_variable(graph, name)}", variable=name)
    values = _forward(graph, at).values
    plan = graph.plan
    if len(names) == len(graph.variables):
        live, reverse = plan.live, plan.reverse_for(graph.output)
    else:
        key = (names, graph.output, len(plan.steps))
        cached = plan.restricted.get(key)
        if cached is None:
            live, steps = _restricted(graph, names)
            cached = plan.restricted[key] = (live, reverse_steps(steps, live, graph.output))
        live, reverse = cached

    # A node that needs an adjoint (it depends on a wrt variable, and the output depends
    # on it) starts at 0.0; the others stay None. The steps are those nodes' only.
    adjoints: list[float] = reverse.blank_adjoints.copy()  # type: ignore[assignment]
    if adjoints[graph.output] is not None:
        adjoints[graph.output] = 1.0
    partials: list[tuple[float | None, ...]] = list(plan.blank_partials)
    m = ScalarMath
    node = -1
    try:
        # One short branch per node, the commonest kinds first; see graph.reverse_steps.
        for kind, node, a, b, partial_a, partial_b, local in reversed(reverse.steps):
            adjoint = adjoints[node]
            if kind == SELECT_BOTH:  # x*y: the partials are the values of y and x
                p = values[partial_a]
                q = values[partial_b]
                partials[node] = (p, q)
                adjoints[a] += adjoint * p
                adjoints[b] += adjoint * q
            elif kind == CONSTANT_BOTH:  # x + y
                partials[node] = local
                adjoints[a] += adjoint * partial_a
                adjoints[b] += adjoint * partial_b
            elif kind == UNARY:  # sin(x)
                p = partial_a(m, values[a], values[node])
                partials[node] = (p,)
                adjoints[a] += adjoint * p
            elif kind == CONSTANT_FIRST:  # x + 3
                partials[node] = local
                adjoints[a] += adjoint * partial_a
            elif kind == SELECT_SECOND:  # 3*x
                q = values[partial_b]
                partials[node] = (None, q)
                adjoints[b] += adjoint * q
            elif kind == SELECT_FIRST:  # x*3
                p = values[partial_a]
                partials[node] = (p, None)
                adjoints[a] += adjoint * p
            elif kind == CONSTANT_SECOND:  # 3 + x
                partials[node] = local
                adjoints[b] += adjoint * partial_b
            elif kind == BOTH:  # x/y
                value_a = values[a]
                value_b = values[b]
                out = values[node]
                p = partial_a(m, value_a, value_b, out)
                q = partial_b(m, value_a, value_b, out)
                partials[node] = (p, q)
                adjoints[a] += adjoint * p
                adjoints[b] += adjoint * q
            elif kind == FIRST:  # x^3
                p = partial_a(m, values[a], values[b], values[node])
                partials[node] = (p, None)
                adjoints[a] += adjoint * p
            elif kind == SECOND:  # 3^x
                q = partial_b(m, values[a], values[b], values[node])
                partials[node] = (None, q)
                adjoints[b] += adjoint * q
            elif kind == SELECT_UNARY:  # exp(x)
                p = values[partial_a]
                partials[node] = (p,)
                adjoints[a] += adjoint * p
            elif kind == CONSTANT_UNARY:  # -x
                partials[node] = local
                adjoints[a] += adjoint * partial_a
            else:
                partials[node] = _general_step(graph, values, adjoints, live, node, adjoint)
    except _MATH_FAILURES:
        # A partial failed; it may not be needed (its contribution is multiplied by 0).
        return _careful_backward(graph, values, names, live)
    # filter(None, ...) drops the Nones (and zeros); the sum is finite only if every term is.
    if not math.isfinite(sum(filter(None, adjoints))):
        return _careful_backward(graph, values, names, live)
    return Backward(graph, values, names, adjoints, partials)  # type: ignore[arg-type]


def _careful_backward(
    graph: Graph, values: list[float], names: tuple[str, ...], live: bytearray
) -> Backward:
    """The reverse pass again, asking only for the partials the gradient needs (issue 10.6).

    Taken only when the fast pass met an undefined or infinite partial. A partial of
    an op that ``masks`` (max, min, relu, ...) and is exactly 0 means that input was
    not selected: nothing flows through it, either way. So a node is *active* when a
    variable's influence reaches it by a path without such a 0 (one loop forward),
    and *reached* when it reaches the output by one (the loop backward). A partial
    is needed when its node is reached and its input is active; one that is not
    needed contributes exactly 0 (as PyTorch masks it), one that is needed and
    undefined or infinite stops the pass with an error naming it. A 0 of arithmetic
    (3x^2 at x = 0) masks nothing: cbrt(x^3) at 0 is refused, not given as 0.
    """
    inputs, ops = graph.inputs, graph.ops

    def partial(node: int, index: int) -> float:
        args = [values[arg] for arg in inputs[node]]
        try:
            return float(ops[node].partials[index](ScalarMath, *args, values[node]))
        except _MATH_FAILURES:
            return math.nan  # undefined: not known to be 0, so it does not mask

    active = bytearray(len(ops))
    for name in names:
        active[graph.variables[name]] = 1
    for node, args in enumerate(inputs):
        if live[node] and args:
            masks = ops[node].masks
            for index, arg in enumerate(args):
                if active[arg] and not (masks and partial(node, index) == 0.0):
                    active[node] = 1
                    break
    adjoints: list[float | None] = [None] * len(ops)
    partials: list[tuple[float | None, ...]] = list(graph.plan.blank_partials)
    if active[graph.output]:
        adjoints[graph.output] = 1.0
    for node in range(graph.output, -1, -1):
        adjoint = adjoints[node]
        args = inputs[node]
        if adjoint is None or not args:
            continue
        masks = ops[node].masks
        local: list[float | None] = [None] * len(args)
        for index, arg in enumerate(args):
            if not active[arg]:
                continue
            value = partial(node, index)
            local[index] = value if math.isfinite(value) else None
            if masks and value == 0.0:
                continue
            if not math.isfinite(value):
                raise _gradient_error(graph, values, node, index)
            before = adjoints[arg]
            adjoints[arg] = adjoint * value if before is None else before + adjoint * value
        partials[node] = tuple(local)
    for node in range(len(ops) - 1, -1, -1):
        adjoint = adjoints[node]
        if adjoint is not None and not math.isfinite(adjoint):
            raise _gradient_error(graph, values, node, None)
    return Backward(graph, values, names, adjoints, partials)


def _restricted(graph: Graph, names: tuple[str, ...]) -> tuple[bytearray, list[Step]]:
    """Which nodes depend on the ``names`` variables, and the reverse steps of those nodes."""
    live = bytearray(len(graph.ops))
    for name in names:
        live[graph.variables[name]] = 1
    steps: list[Step] = []
    for node, a, b, partial_a, partial_b in graph.plan.steps:
        if b == -2:  # partial_a holds the inputs
            if any(live[arg] for arg in graph.inputs[node]):
                live[node] = 1
                steps.append((node, a, b, partial_a, None))
            continue
        live_a, live_b = live[a], b >= 0 and live[b]
        if live_a or live_b:
            live[node] = 1
            steps.append((node, a, b, partial_a if live_a else None, partial_b if live_b else None))
    return live, steps


def _general_step(
    graph: Graph,
    values: list[float],
    adjoints: list[float],
    live: bytearray,
    node: int,
    adjoint: float,
) -> tuple[float | None, ...]:
    """The reverse step of an op with three or more inputs (the plain, slow way)."""
    args = graph.inputs[node]
    arg_values = [values[arg] for arg in args]
    local: list[float | None] = [None] * len(args)
    for index, arg in enumerate(args):
        if live[arg]:
            partial = graph.ops[node].partials[index](ScalarMath, *arg_values, values[node])
            local[index] = partial
            adjoints[arg] += adjoint * partial
    return tuple(local)


def _failing_input(graph: Graph, values: list[float], live: bytearray, node: int) -> int | None:
    """Which input's partial derivative raises at ``node`` (found again, on the error path)."""
    args = graph.inputs[node]
    arg_values = [values[arg] for arg in args]
    for index, arg in enumerate(args):
        if live[arg]:
            try:
                graph.ops[node].partials[index](ScalarMath, *arg_values, values[node])
            except _MATH_FAILURES:
                return index
    return None


def _applied(graph: Graph, node: int, values: list[float]) -> str:
    """The node's operation with its input values put in: log(-1), 1 / 0, (-2)^0.5."""
    op = graph.ops[node]
    shown = [format_number(values[arg]) for arg in graph.inputs[node]]
    if op.is_function or op.arity != 2:
        return f"{op.symbol}({', '.join(shown)})" if op.is_function else f"{op.symbol}{shown[0]}"
    left, right = (f"({s})" if s.startswith("-") else s for s in shown)
    return f"{left} {op.symbol} {right}"


def _value_error(
    graph: Graph, values: list[float], node: int, failure: Exception | None
) -> MathError:
    op = graph.ops[node]
    where = f"`{graph.text(node)}`"
    applied = _applied(graph, node, values)
    if isinstance(failure, OverflowError) or (failure is None and math.isinf(values[node])):
        kind, message = "overflow", f"{where} overflows float64: {applied} is too large"
    elif failure is None:
        kind, message = "nan", f"{where} is not a number (NaN): {applied}"
    else:
        kind = "domain"
        message = f"{where} is undefined: {applied}" + (f" ({op.domain})" if op.domain else "")
    return MathError(kind, message, graph.span(node), graph.source, node=node)


def _gradient_error(
    graph: Graph, values: list[float], node: int, arg_index: int | None
) -> MathError:
    name = graph.names[node]
    where = f"`{graph.text(node)}`"
    if arg_index is None:
        message = f"the gradient at {where} ({name}) is not a finite number"
    else:
        arg = graph.inputs[node][arg_index]
        message = (
            f"the derivative of {where} with respect to {graph.names[arg]} is not finite at "
            f"{_applied(graph, node, values)}"
        )
    return MathError("gradient", message, graph.span(node), graph.source, node=node)
