"""Derivatives are graphs: the gradient as a graph transformation, and the Hessian from it.

``gradient(graph)`` writes the reverse pass out as nodes: starting from the
output's adjoint 1, it walks the nodes right to left and, for each input that
depends on a variable, appends the node of ``adjoint * partial``, the partial
being the op table's declaration run over graph nodes (``backends.graph``), and
sums those contributions per input. The result is a graph whose ``outputs``
hold ``grad_v`` = d output / d v for each variable v; its ``output`` is still
the value. It is a graph like any other, so ``gradient`` applies to it again
(differentiating one of its ``grad_v``): that is the Hessian, with nothing
special-cased for order two. One loop, no recursion.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from autograph import analysis
from autograph.backends.graph import GraphMath, Node
from autograph.errors import InputError, MathError, shorten
from autograph.evaluate import _not_a_variable, bind, forward
from autograph.graph import Builder, Graph, collector_paused, copy


def gradient_name(variable: str) -> str:
    """The name of d output / d ``variable`` among a gradient graph's outputs: ``grad_w``."""
    return f"grad_{variable}"


def gradient(graph: Graph, wrt: Iterable[str] | None = None, *, of: str | None = None) -> Graph:
    """The graph of the gradient: ``graph``'s nodes, then the reverse pass written out as nodes.

    ``wrt`` names the variables (default: all); ``of`` names one of ``graph.outputs``
    to differentiate instead of ``graph.output`` (so ``gradient(gradient(g), of="grad_x")``
    has the Hessian's row of x). The result's ``outputs`` map ``grad_v`` to the node
    of d/dv for each variable v (a constant 0 where v does not reach it).
    """
    names = _variables(graph, wrt)
    if of is None:
        root = graph.output
    elif of in graph.outputs:
        root = graph.outputs[of]
    else:
        known = ", ".join(shorten(name) for name in graph.outputs) or "none"
        raise InputError("unknown-output", f"{shorten(of)!r} is not an output (outputs: {known})")
    with collector_paused():
        return _gradient(graph, names, root)


def adjoint_graph(graph: Graph, wrt: Iterable[str] | None = None) -> tuple[Graph, dict[int, int]]:
    """``gradient(graph, wrt)``, and for each node of ``graph`` with an adjoint the node of
    the result that holds it (what ``grad --emit`` names ``grad_h``)."""
    names = _variables(graph, wrt)
    adjoint_of: dict[int, int] = {}
    with collector_paused():
        return _gradient(graph, names, graph.output, adjoint_of), adjoint_of


def _variables(graph: Graph, wrt: Iterable[str] | None) -> tuple[str, ...]:
    names = tuple(graph.variables) if wrt is None else tuple(dict.fromkeys(wrt))
    for name in names:
        if name not in graph.variables:
            raise InputError("bad-wrt", _not_a_variable(graph, name), variable=name)
    return names


def _gradient(
    graph: Graph, names: tuple[str, ...], root: int, adjoint_of: dict[int, int] | None = None
) -> Graph:
    result = copy(graph)
    m = GraphMath(Builder(result))
    live = analysis.depends(graph, names)
    adjoints: dict[int, Node | float] = {root: 1.0} if live[root] else {}
    ops, inputs, starts, ends = graph.ops, graph.inputs, graph.starts, graph.ends
    for node in range(root, -1, -1):
        adjoint = adjoints.get(node)
        if adjoint_of is not None and isinstance(adjoint, Node):
            adjoint_of[node] = adjoint.id  # complete: every user of node is to its right
        args = inputs[node]
        if adjoint is None or not args:
            continue
        m.span = (starts[node], ends[node])
        items = [m.handle(arg) for arg in args]
        out = m.handle(node)
        for index, arg in enumerate(args):
            if not live[arg]:
                continue
            term = m.mul(adjoint, ops[node].partials[index](m, *items, out))
            before = adjoints.get(arg)
            adjoints[arg] = term if before is None else m.add(before, term)
    m.span = (0, 0)
    result.outputs = {
        gradient_name(name): m.node(adjoints.get(graph.variables[name], 0.0)) for name in names
    }
    return result


CRITICAL = 1e-12
"""A gradient no larger than this in every component counts as zero (a critical point)."""


@dataclass(frozen=True, eq=False)
class Hessian:
    """Second derivatives at a point: the value, gradient and the matrix (or a product)."""

    value: float
    gradient: dict[str, float]
    variables: tuple[str, ...]
    matrix: list[list[float]] | None
    """``matrix[i][j]`` = d2 output / d variables[i] d variables[j]; None for a product only."""
    eigenvalues: list[float] | None
    """The matrix's eigenvalues, ascending (None for a product only)."""
    definiteness: str
    """``positive definite``, ``negative definite``, ``indefinite``, ``positive semidefinite``,
    ``negative semidefinite`` or ``zero``; "" for a product only."""
    meaning: str
    """What the eigenvalues say about the point, in a sentence."""
    vector: dict[str, float] | None = None
    product: dict[str, float] | None = None
    """The Hessian-vector product H v, per variable, when a ``vector`` v was given."""


def hessian(
    graph: Graph,
    at: Mapping[str, float],
    wrt: Iterable[str] | None = None,
    vector: Mapping[str, float] | None = None,
) -> Hessian:
    """The Hessian of the output at ``at``, by differentiating the gradient graph again.

    With ``vector`` (a number per variable, 0 for those not named), only the
    Hessian-vector product H v: one more gradient of the graph of grad . v, so its
    cost does not grow with the number of variables.
    """
    names = _variables(graph, wrt)
    bind(graph, at)
    first = gradient(graph, names)
    values = _values(first, at, len(graph.ops))
    grad = {name: values[first.outputs[gradient_name(name)]] for name in names}
    value = values[graph.output]
    if vector is not None:
        direction = _direction(graph, names, vector)
        product = _product(first, names, direction, at)
        return Hessian(value, grad, names, None, None, "", "", direction, product)
    matrix = []
    for name in names:
        second = gradient(first, names, of=gradient_name(name))
        row = _values(second, at, len(graph.ops))
        matrix.append([row[second.outputs[gradient_name(other)]] for other in names])
    eigenvalues = _eigenvalues(matrix)
    definiteness, meaning = _classify(eigenvalues, grad)
    return Hessian(value, grad, names, matrix, eigenvalues, definiteness, meaning)


def _values(derived: Graph, at: Mapping[str, float], original: int) -> list[float]:
    """The values of a derivative graph's nodes; a failure in a node the derivative added
    is said as an undefined derivative of the node it came from (not as an internal op)."""
    try:
        return forward(derived, at).values
    except MathError as failure:
        node = failure.details.get("node")
        if not isinstance(node, int) or node < original:
            raise
        op = derived.ops[node]
        why = f" ({op.domain})" if op.internal and op.domain else ""
        where = derived.text(node)
        raise MathError(
            "gradient",
            f"a derivative of `{where}` is undefined or infinite at this point{why}",
            failure.span,
            failure.source,
            node=node,
        ) from None


def _direction(
    graph: Graph, names: tuple[str, ...], vector: Mapping[str, float]
) -> dict[str, float]:
    for name, number in vector.items():
        if name not in names:
            raise InputError("unknown-variable", _not_a_variable(graph, name), variable=name)
        if not isinstance(number, int | float) or not math.isfinite(number):
            raise InputError("bad-value", f"the vector's {shorten(name)!r} must be a finite number")
    return {name: float(vector.get(name, 0.0)) for name in names}


def _product(
    first: Graph, names: tuple[str, ...], direction: dict[str, float], at: Mapping[str, float]
) -> dict[str, float]:
    """H v as the gradient of grad . v, a graph of its own."""
    dotted = copy(first)
    m = GraphMath(Builder(dotted))
    total: Node | float = 0.0
    for name in names:
        term = m.mul(m.handle(first.outputs[gradient_name(name)]), direction[name])
        total = m.add(total, term)
    dotted.outputs = {**first.outputs, "directional": m.node(total)}
    second = gradient(dotted, names, of="directional")
    values = _values(second, at, len(first.ops))
    return {name: values[second.outputs[gradient_name(name)]] for name in names}


def _eigenvalues(matrix: list[list[float]]) -> list[float]:
    if not matrix:
        return []
    import numpy as np

    array = np.array(matrix, dtype=np.float64)
    symmetric = (array + array.T) / 2  # equal up to rounding: the two orders of differentiation
    return [float(value) for value in np.linalg.eigvalsh(symmetric)]


def _classify(eigenvalues: list[float], grad: dict[str, float]) -> tuple[str, str]:
    """The definiteness of the matrix and what it says about the point."""
    largest = max((abs(value) for value in eigenvalues), default=0.0)
    tolerance = 8 * len(eigenvalues) * 2.0**-52 * largest
    positive = sum(value > tolerance for value in eigenvalues)
    negative = sum(value < -tolerance for value in eigenvalues)
    count = len(eigenvalues)
    if positive == count and count:
        kind, at_critical = "positive definite", "a local minimum"
    elif negative == count and count:
        kind, at_critical = "negative definite", "a local maximum"
    elif positive and negative:
        kind, at_critical = "indefinite", "a saddle point"
    elif positive:
        kind, at_critical = "positive semidefinite", "inconclusive (the test cannot tell)"
    elif negative:
        kind, at_critical = "negative semidefinite", "inconclusive (the test cannot tell)"
    else:
        kind, at_critical = "zero", "inconclusive (the test cannot tell)"
    critical = all(abs(value) <= CRITICAL for value in grad.values())
    if critical:
        return kind, f"the gradient is 0 and the Hessian is {kind}: {at_critical}"
    return kind, (
        f"the Hessian is {kind}; the gradient is not 0, so this is not a critical point "
        f"(where it is 0, {kind} means {at_critical})"
    )
