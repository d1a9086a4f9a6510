"""The graph laid out for the passes: what the forward and reverse loops run over.

A ``Plan`` keeps, beside a graph, its operation nodes as parallel lists (each
node's forward function and inputs) and one reverse-pass record per node that
depends on a variable. ``reverse_steps`` then keeps the records the output needs
and tags each with its kind, so the reverse loop runs one short branch per node;
a partial derivative that the op table writes as a constant (d(a+b)/da = 1) or
as one of its arguments (d(a*b)/da = b) is taken as that number or that value
rather than called. The op table stays the one source of every number.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from autograph.backends.scalar import ScalarMath
from autograph.ops import Op, Partial

Step = tuple[int, int, int, "Partial | None", "Partial | None"]
"""One reverse-pass record: node, first input, second input (-1 if none), and the
partial derivative to take with respect to each input (None where the input does
not depend on a variable, so it needs no gradient). An op of three or more inputs
has -2 for its second input and its inputs in place of the first partial."""

_FORWARD: dict[str, Callable[..., float]] = {}
_BLANK: tuple[tuple[None, ...], ...] = ((), (None,), (None, None))


@dataclass(eq=False)
class Plan:
    """A graph's operation nodes as parallel lists: what the passes loop over.

    Leaves (variables and constants) have no entry; their values are set before
    the loop. Made by ``lay_out``.
    """

    live: bytearray
    """Per node: 1 where the node depends on a free variable, so it can have an adjoint."""
    nodes: list[int] = field(default_factory=list)
    functions: list[Callable[..., float]] = field(default_factory=list)
    """Each operation node's forward function in ``ScalarMath``."""
    firsts: list[int] = field(default_factory=list)
    seconds: list[int] = field(default_factory=list)
    """The second input of each operation node, -1 for a unary one."""
    steps: list[Step] = field(default_factory=list)
    """Reverse-pass records of the live operation nodes, in topological order."""
    blank_partials: list[tuple[None, ...]] = field(default_factory=list)
    """Per node, a tuple of None per input: the reverse pass fills in a copy."""
    reverse: Reverse | None = None
    """The reverse steps for ``output`` and all the variables, once asked for."""
    output: int = -1
    restricted: dict[tuple[Any, ...], tuple[bytearray, Reverse]] = field(default_factory=dict)
    """The reverse steps for some of the variables, by (variables, output, size): kept for
    loops that ask again and again (``autograph.fit``)."""

    def reverse_for(self, output: int) -> Reverse:
        """The reverse steps for ``output`` and every variable (made once, then kept)."""
        if self.reverse is None or self.output != output:
            self.reverse = reverse_steps(self.steps, self.live, output)
            self.output = output
        return self.reverse


def lay_out(ops: list[Op], inputs: list[tuple[int, ...]], variables: Iterable[int]) -> Plan:
    """A graph's plan: its operation nodes as parallel lists, and their reverse-pass records.

    One loop over the nodes in topological order: a node depends on a variable (it is
    live) when one of its inputs does, and only a live node gets a record.
    """
    live = bytearray(len(ops))
    for node in variables:
        live[node] = 1
    plan = Plan(live)
    nodes, functions, firsts, seconds, steps = (
        plan.nodes, plan.functions, plan.firsts, plan.seconds, plan.steps
    )  # fmt: skip
    plan.blank_partials = [
        _BLANK[len(args)] if len(args) < 3 else (None,) * len(args) for args in inputs
    ]
    forward = _FORWARD
    for node, args in enumerate(inputs):
        if not args:
            continue
        op = ops[node]
        function = forward.get(op.name)
        if function is None:
            function = forward[op.name] = op.forward(ScalarMath)
        nodes.append(node)
        functions.append(function)
        first = args[0]
        firsts.append(first)
        if len(args) == 2:
            second = args[1]
            seconds.append(second)
            if live[first] or live[second]:
                live[node] = 1
                partials = op.partials
                steps.append(
                    (
                        node,
                        first,
                        second,
                        partials[0] if live[first] else None,
                        partials[1] if live[second] else None,
                    )
                )
        elif len(args) == 1:
            seconds.append(-1)
            if live[first]:
                live[node] = 1
                steps.append((node, first, -1, op.partials[0], None))
        else:  # no such op today; the passes take a slow general path for it
            seconds.append(-2)
            if any(live[arg] for arg in args):
                live[node] = 1
                steps.append((node, first, -2, args, None))  # type: ignore[arg-type]
    return plan


# The kinds of reverse step, so the reverse loop runs one short branch per node.
# A "constant" partial reads none of its arguments (d(a+b)/da = 1); a "select" partial
# is the value of an input or of the node itself (d(a*b)/da = b, d(exp a)/da = exp a).
BOTH, FIRST, SECOND, UNARY = 0, 1, 2, 3
CONSTANT_BOTH, CONSTANT_FIRST, CONSTANT_SECOND, CONSTANT_UNARY = 4, 5, 6, 7
SELECT_BOTH, SELECT_FIRST, SELECT_SECOND, SELECT_UNARY = 8, 9, 10, 11
GENERAL = 12
"""An op of three or more inputs: the slow general path."""

KindStep = tuple[int, int, int, int, Any, Any, Any]
"""kind, node, first input, second input; per input its partial (a function, a constant,
or the node whose value it is); and for the constant kinds the node's tuple of partials,
shared by every run."""


@dataclass(frozen=True, eq=False)
class Reverse:
    """What the reverse pass loops over, for one output and one set of variables."""

    steps: list[KindStep]
    """The steps of the nodes that need an adjoint, in topological order."""
    blank_adjoints: list[float | None]
    """0.0 for each node that needs an adjoint (it depends on a variable and the
    output depends on it), None for the others."""


def reverse_steps(steps: list[Step], live: bytearray, output: int) -> Reverse:
    """Keep the steps the output needs, each tagged with its kind; constant partials evaluated."""
    reached = bytearray(len(live))
    reached[output] = live[output]
    for node, a, b, partial_a, partial_b in reversed(steps):
        if not reached[node]:
            continue
        if b == -2:  # partial_a holds the inputs
            for arg in partial_a:  # type: ignore[union-attr]
                if live[arg]:
                    reached[arg] = 1
            continue
        if partial_a is not None:
            reached[a] = 1
        if partial_b is not None:
            reached[b] = 1
    kinded: list[KindStep] = []
    append = kinded.append
    templates = _TEMPLATES
    for node, a, b, partial_a, partial_b in steps:
        if not reached[node]:
            continue
        if b == -2:
            append((GENERAL, node, a, b, None, None, None))
            continue
        key = (partial_a, partial_b, b == -1)
        template = templates.get(key)
        if template is None:
            template = templates[key] = _template(partial_a, partial_b, b == -1)
        kind, first, second, local = template
        if SELECT_BOTH <= kind <= SELECT_UNARY:  # the places of the nodes whose values they are
            places = (a, b, node)
            first = None if first is None else places[first]
            second = None if second is None else places[second]
        append((kind, node, a, b, first, second, local))
    return Reverse(kinded, list(map(_ZERO_OR_NONE.__getitem__, reached)))


_TEMPLATES: dict[tuple[Any, Any, bool], tuple[int, Any, Any, Any]] = {}
"""Per pair of partials (and whether the op is unary), its step with the nodes left out."""


def _template(partial_a: Any, partial_b: Any, unary: bool) -> tuple[int, Any, Any, Any]:
    """The kind of step of a node whose inputs need these partials (None: no gradient), and
    its two partials and local tuple. A select kind's partials are places in (a, b, node)."""
    a, b, node = 0, -1 if unary else 1, 2  # places in (a, b, node), standing for the nodes
    inputs = (a, node) if unary else (a, b, node)
    shape_a = _shape(partial_a, inputs) if partial_a is not None else None
    shape_b = _shape(partial_b, inputs) if partial_b is not None else None
    if unary:
        step = _one(UNARY, node, a, b, shape_a, 0, 1)  # type: ignore[arg-type]
    elif shape_b is None:
        step = _one(FIRST, node, a, b, shape_a, 0, 2)  # type: ignore[arg-type]
    elif shape_a is None:
        step = _one(SECOND, node, a, b, shape_b, 1, 2)
    elif shape_a[0] == shape_b[0] == CONSTANT:
        local = (shape_a[1], shape_b[1])
        step = (CONSTANT_BOTH, node, a, b, shape_a[1], shape_b[1], local)
    elif shape_a[0] == shape_b[0] == SELECT:
        step = (SELECT_BOTH, node, a, b, shape_a[1], shape_b[1], None)
    else:
        step = (BOTH, node, a, b, partial_a, partial_b, None)
    return (step[0], step[4], step[5], step[6])


def _one(
    kind: int, node: int, a: int, b: int, shape: tuple[int, Any], position: int, size: int
) -> KindStep:
    """The step of a node with one input that needs a gradient, at ``position`` of ``size``."""
    how, what = shape
    local: tuple[float | None, ...] | None = None
    if how == CONSTANT:
        local = tuple(what if i == position else None for i in range(size))
        kind = {UNARY: CONSTANT_UNARY, FIRST: CONSTANT_FIRST, SECOND: CONSTANT_SECOND}[kind]
    elif how == SELECT:
        kind = {UNARY: SELECT_UNARY, FIRST: SELECT_FIRST, SECOND: SELECT_SECOND}[kind]
    first, second = (what, None) if position == 0 else (None, what)
    return (kind, node, a, b, first, second, local)


_ZERO_OR_NONE: tuple[None, float] = (None, 0.0)
CONSTANT, SELECT, CALL = 0, 1, 2
_SHAPES: dict[Partial, tuple[int, Any]] = {}


def _shape(partial: Partial, inputs: tuple[int, ...]) -> tuple[int, Any]:
    """How a partial can be had without calling it, for a node with ``inputs`` (then itself).

    ``(CONSTANT, value)`` for a ``Constant`` partial (d(a+b)/da = 1),
    ``(SELECT, node)`` for an ``Argument`` one (d(a*b)/da = b: the node of b),
    ``(CALL, partial)`` otherwise. The op table stays the one source of every number.
    """
    shape = _SHAPES.get(partial)
    if shape is None:
        shape = _SHAPES[partial] = _read(partial)
    if shape[0] == SELECT:
        return (SELECT, inputs[shape[1]])
    if shape[0] == CALL:
        return (CALL, partial)
    return shape


def _read(partial: Partial) -> tuple[int, Any]:
    """What the op table's declaration of a partial is: a constant, an argument, or neither.

    Found by running the declaration once over placeholders (``_Probe``): a partial
    that comes back a plain number is a constant, one that comes back one of the
    placeholders is that argument, and anything computed is called at run time.
    """
    count = partial.__code__.co_argcount - 1  # the op's inputs and its output, after m
    placeholders = [_Probe(index) for index in range(count)]
    try:
        result = partial(_ProbeMath(), *placeholders)
    except TypeError:  # a declaration that needs real numbers: call it every time
        return (CALL, None)
    if isinstance(result, int | float) and not isinstance(result, bool):
        return (CONSTANT, float(result))
    if isinstance(result, _Probe) and result.index >= 0:
        return (SELECT, result.index)
    return (CALL, None)


class _Probe:
    """A placeholder for an argument of a partial; any arithmetic on it gives ``_COMPUTED``."""

    __slots__ = ("index",)

    def __init__(self, index: int) -> None:
        self.index = index

    def _computed(self, *other: object) -> _Probe:
        return _COMPUTED

    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = _computed
    __truediv__ = __rtruediv__ = __pow__ = __rpow__ = __neg__ = __pos__ = _computed


_COMPUTED = _Probe(-1)


class _ProbeMath:
    """The backend of the probe: every op gives ``_COMPUTED``."""

    def __getattr__(self, name: str) -> Callable[..., _Probe]:
        return _COMPUTED._computed
