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

from autograph.errors import InputError, MathError
from autograph.graph import Graph
from autograph.ops import CONST, VAR, ScalarMath

_MATH_FAILURES = (ArithmeticError, ValueError)


@dataclass(frozen=True, eq=False)
class Forward:
    """The result of a forward pass: the value of every node."""

    graph: Graph
    values: list[float]

    @property
    def value(self) -> float:
        """The program's result: the value of its last statement."""
        return self.values[self.graph.output]


@dataclass(frozen=True, eq=False)
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
        if not math.isfinite(value):
            raise InputError("bad-value", f"the value of {name!r} must be a finite number")
    missing = [name for name in graph.variables if name not in at]
    if missing:
        listed = ", ".join(missing)
        example = ",".join(f"{name}=..." for name in missing)
        raise InputError(
            "unbound-variable",
            f"no value for {listed} (give one with --at {example})",
            graph.span(graph.variables[missing[0]]),
            graph.source,
            variables=missing,
        )
    return [float(at[name]) for name in graph.variables]


def _not_a_variable(graph: Graph, name: str) -> str:
    known = ", ".join(graph.variables) or "none"
    if any(assigned == name for assigned, _ in graph.statements):
        return f"{name!r} is assigned in the program, not a free variable (variables: {known})"
    return f"{name!r} is not a variable of the program (variables: {known})"


def forward(graph: Graph, at: Mapping[str, float]) -> Forward:
    """Evaluate every node, left to right. Raises ``MathError`` on a domain error or overflow."""
    bind(graph, at)
    ops, inputs, constants, labels = graph.ops, graph.inputs, graph.constants, graph.labels
    functions = {op: op.forward(ScalarMath) for op in set(ops) if op is not CONST and op is not VAR}
    values = [0.0] * len(ops)
    node = 0
    try:
        for node, op in enumerate(ops):
            if op is CONST:
                values[node] = constants[node]
            elif op is VAR:
                values[node] = float(at[labels[node]])  # type: ignore[index]
            else:
                values[node] = functions[op](*[values[arg] for arg in inputs[node]])
    except _MATH_FAILURES as failure:
        raise _value_error(graph, values, node, failure) from None
    if not all(map(math.isfinite, values)):
        node = next(i for i, v in enumerate(values) if not math.isfinite(v))
        raise _value_error(graph, values, node, None)
    return Forward(graph, values)


def backward(graph: Graph, at: Mapping[str, float], wrt: Iterable[str] | None = None) -> Backward:
    """Forward pass, then the reverse pass for the variables in ``wrt`` (default: all)."""
    names = tuple(graph.variables) if wrt is None else tuple(dict.fromkeys(wrt))
    for name in names:
        if name not in graph.variables:
            raise InputError("bad-wrt", f"--wrt {_not_a_variable(graph, name)}", variable=name)
    values = forward(graph, at).values
    ops, inputs = graph.ops, graph.inputs
    size = len(ops)

    # A node needs an adjoint when it depends on a wrt variable and the output depends on it.
    depends = [False] * size
    for name in names:
        depends[graph.variables[name]] = True
    for node in range(size):
        if not depends[node] and any(depends[arg] for arg in inputs[node]):
            depends[node] = True
    reached = [False] * size
    reached[graph.output] = True
    for node in range(graph.output, -1, -1):
        if reached[node]:
            for arg in inputs[node]:
                reached[arg] = True
    adjoints: list[float | None] = [
        0.0 if depends[node] and reached[node] else None for node in range(size)
    ]
    partials: list[tuple[float | None, ...]] = [(None,) * len(args) for args in inputs]

    m = ScalarMath
    if adjoints[graph.output] is not None:
        adjoints[graph.output] = 1.0
    node = arg_index = 0
    try:
        for node in range(graph.output, -1, -1):
            adjoint = adjoints[node]
            args = inputs[node]
            if adjoint is None or not args:
                continue
            op = ops[node]
            arg_values = [values[arg] for arg in args]
            local: list[float | None] = [None] * len(args)
            for arg_index, arg in enumerate(args):
                if adjoints[arg] is None:
                    continue
                partial = op.partials[arg_index](m, *arg_values, values[node])
                local[arg_index] = partial
                adjoints[arg] += adjoint * partial
            partials[node] = tuple(local)
    except _MATH_FAILURES:
        raise _gradient_error(graph, values, node, arg_index) from None
    for node in range(size):
        bad = adjoints[node] is not None and not math.isfinite(adjoints[node])  # type: ignore[arg-type]
        bad = bad or any(p is not None and not math.isfinite(p) for p in partials[node])
        if bad:
            raise _gradient_error(graph, values, node, None)
    return Backward(graph, values, names, adjoints, partials)


def format_number(value: float) -> str:
    """Shortest text that reads back as the same float64: 81, -13, 84.5, 0.1."""
    if value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    return repr(value)


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
