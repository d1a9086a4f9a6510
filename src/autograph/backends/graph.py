"""The math backend over graph nodes: the op table's derivatives written out as a graph.

Run over ``Node`` handles, a derivative declaration such as
``lambda m, a, out: m.cos(a)`` appends the node ``cos(a)`` to a graph (through
its ``Builder``, so it merges with an equal node already there). Numbers stay
numbers while they can: an op of numbers only is computed on the spot, and
the identities ``x + 0``, ``x * 1`` and ``x * 0`` add no node, so the gradient
graph holds no ``1 * ...`` chains and no partial whose contribution is zero.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from autograph.backends.scalar import ScalarMath
from autograph.graph import Builder
from autograph.ops import ALL, CONST, Op


class Node:
    """A node of the graph being built, with arithmetic that appends nodes."""

    __slots__ = ("id", "math")

    def __init__(self, math: GraphMath, node: int) -> None:
        self.math = math
        self.id = node

    def __add__(self, other: Node | float) -> Node | float:
        return self.math.add(self, other)

    def __radd__(self, other: float) -> Node | float:
        return self.math.add(other, self)

    def __sub__(self, other: Node | float) -> Node | float:
        return self.math.sub(self, other)

    def __rsub__(self, other: float) -> Node | float:
        return self.math.sub(other, self)

    def __mul__(self, other: Node | float) -> Node | float:
        return self.math.mul(self, other)

    def __rmul__(self, other: float) -> Node | float:
        return self.math.mul(other, self)

    def __truediv__(self, other: Node | float) -> Node | float:
        return self.math.div(self, other)

    def __rtruediv__(self, other: float) -> Node | float:
        return self.math.div(other, self)

    def __pow__(self, other: Node | float) -> Node | float:
        return self.math.pow(self, other)

    def __rpow__(self, other: float) -> Node | float:
        return self.math.pow(other, self)

    def __neg__(self) -> Node | float:
        return self.math.neg(self)


class GraphMath:
    """The math backend whose values are nodes of one graph (``Node``) or plain numbers.

    Every op of the table is a method of the same name (set below); ``span`` is
    where new nodes say they were written: the node whose derivative they are.
    """

    def __init__(self, builder: Builder) -> None:
        self.builder = builder
        self.span = (0, 0)

    if TYPE_CHECKING:  # the op methods are set from the table below

        def __getattr__(self, name: str) -> Callable[..., Node | float]: ...

    def node(self, item: Node | float) -> int:
        """The node id of an item, a number becoming a constant node."""
        if isinstance(item, Node):
            return item.id
        return self.builder.constant(float(item), None, *self.span)

    def handle(self, node: int) -> Node | float:
        """The item of node ``node``: its number if it is a constant, else a handle."""
        graph = self.builder.graph
        if graph.ops[node] is CONST:
            return graph.constants[node]
        return Node(self, node)

    def apply(self, op: Op, *items: Node | float) -> Node | float:
        """``op`` applied to the items: computed now if all are numbers, else a node."""
        if not any(isinstance(item, Node) for item in items):
            folded = _fold(op, items)
            if folded is not None:
                return folded
        simpler = _identity(op.name, items)
        if simpler is not None:
            return simpler
        a, b = items if len(items) == 2 else (None, None)
        if op.name == "pow_slope" and not isinstance(b, Node) and b is not None and b != 0.0:
            # The guard is for b = 0 only: for a constant b it is b * a^(b - 1), exactly
            # (so the gradient of g^2 reads 2 * g, and its derivative 2).
            return self.mul(b, self.pow(a, b - 1.0))
        inputs = tuple(self.node(item) for item in items)
        return self.handle(self.builder.apply(op, inputs, *self.span))


def _fold(op: Op, numbers: tuple[Node | float, ...]) -> float | None:
    """The op's value over numbers, or None where it is not a finite float (kept as a node)."""
    try:
        value = float(op.forward(ScalarMath)(*numbers))
    except (ArithmeticError, ValueError):
        return None
    return value if math.isfinite(value) else None


def _identity(name: str, items: tuple[Node | float, ...]) -> Node | float | None:
    """``x + 0``, ``x - 0``, ``x * 1``, ``x / 1``, ``x^1`` are ``x``; ``x * 0`` is 0."""
    if len(items) != 2:
        return None
    a, b = items
    if name == "add":
        return b if _is(a, 0.0) else a if _is(b, 0.0) else None
    if name == "mul":
        if _is(a, 0.0) or _is(b, 0.0):
            return 0.0
        return b if _is(a, 1.0) else a if _is(b, 1.0) else None
    if name == "sub" and _is(b, 0.0):
        return a
    if name in ("div", "pow") and _is(b, 1.0):
        return a
    return None


def _is(item: Node | float, number: float) -> bool:
    return not isinstance(item, Node) and item == number


def _method(op: Op) -> Any:
    def method(self: GraphMath, *items: Node | float) -> Node | float:
        return self.apply(op, *items)

    method.__name__ = op.name
    method.__doc__ = f"The node of {op.name} applied to the items."
    return method


for _op in ALL:
    setattr(GraphMath, _op.name, _method(_op))
