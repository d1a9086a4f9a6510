"""The one analysis of a graph that the passes share: what depends on what, what is needed.

Two plain loops over the topological order, one each way, and no recursion:
``depends`` marks the nodes that depend on some given variables (they can have
an adjoint), ``needed`` the nodes a result depends on (the ones its reverse
pass visits). A node needs an adjoint when it is both.
"""

from __future__ import annotations

from collections.abc import Iterable

from autograph.graph import Graph


def depends(graph: Graph, names: Iterable[str]) -> bytearray:
    """Per node, 1 where it depends on one of the variables ``names`` (or is one)."""
    marks = bytearray(len(graph.ops))
    for name in names:
        marks[graph.variables[name]] = 1
    for node, args in enumerate(graph.inputs):
        if not marks[node]:
            for arg in args:
                if marks[arg]:
                    marks[node] = 1
                    break
    return marks


def needed(graph: Graph, root: int | Iterable[int]) -> bytearray:
    """Per node, 1 where ``root`` (a node, or several) depends on it (``root`` included)."""
    marks = bytearray(len(graph.ops))
    roots = [root] if isinstance(root, int) else list(root)
    for node in roots:
        marks[node] = 1
    inputs = graph.inputs
    for node in range(max(roots, default=-1), -1, -1):
        if marks[node]:
            for arg in inputs[node]:
                marks[arg] = 1
    return marks
