"""Where an op is not differentiable: the kinks of relu, abs, max and min.

Each op of the op table with a ``kink`` text has a *switch* here: a function of
its inputs that is zero exactly at the kink and whose sign says which side of
it the inputs are on (relu and abs switch at a = 0, max and min at a = b). The
check uses it to recognise a point where the referees legitimately differ, and
the numeric referee to notice a finite-difference step that straddles a kink.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from autograph.graph import Graph

SWITCHES: dict[str, Callable[..., Any]] = {
    "relu": lambda a: a,
    "abs": lambda a: a,
    "max": lambda a, b: a - b,
    "min": lambda a, b: a - b,
}
"""Per op name: zero at the kink, its sign the side of the kink."""


def kink_nodes(graph: Graph) -> list[int]:
    """The nodes whose op has a kink."""
    return [node for node, op in enumerate(graph.ops) if op.name in SWITCHES]


def side(graph: Graph, node: int, values: Sequence[Any]) -> int:
    """-1, 0 or 1: which side of its kink the node's inputs are on (0: at the kink)."""
    switch = SWITCHES[graph.ops[node].name](*[values[arg] for arg in graph.inputs[node]])
    return int(switch > 0) - int(switch < 0)


def kinks_hit(
    graph: Graph, values: Sequence[float], adjoints: Sequence[float | None], names: Sequence[str]
) -> dict[str, list[str]]:
    """Per variable of ``names``: the kink texts of the ops at a kink on its way to the output.

    A node counts when its inputs are exactly at its kink and it carries an
    adjoint (it lies between a differentiated variable and the output).
    """
    hit: dict[str, list[str]] = {name: [] for name in names}
    by_node = {node: name for name, node in graph.variables.items() if name in hit}
    for node in kink_nodes(graph):
        if adjoints[node] is None or side(graph, node, values) != 0:
            continue
        text = graph.ops[node].kink
        for name in _variables_behind(graph, node, by_node):
            if text not in hit[name]:
                hit[name].append(text)
    return hit


def _variables_behind(graph: Graph, root: int, by_node: dict[int, str]) -> list[str]:
    """The variables (among ``by_node``) that ``root`` depends on, without recursion."""
    seen = {root}
    stack = [root]
    found = []
    while stack:
        node = stack.pop()
        if node in by_node:
            found.append(by_node[node])
        for arg in graph.inputs[node]:
            if arg not in seen:
                seen.add(arg)
                stack.append(arg)
    return found
