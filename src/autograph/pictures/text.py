"""The graph in the terminal: a Rich tree from the output down to the inputs.

A node used by several others is drawn once, where it is first reached, and
referred to by name wherever else it is used. The walk is a loop with a stack,
and the tree stops at ``NODE_LIMIT`` lines and ``DEPTH_LIMIT`` levels, saying
what it left out, so a 100,000-node graph draws a readable start.
"""

from __future__ import annotations

from rich.text import Text
from rich.tree import Tree

from autograph.evaluate import Forward
from autograph.graph import Graph
from autograph.pictures.nodes import CONSTANT, OUTPUT, VARIABLE, NodeView, describe, gradient_name
from autograph.quoting import visible

NODE_LIMIT = 500
DEPTH_LIMIT = 40

_STYLES = {VARIABLE: "bold green", CONSTANT: "dim", OUTPUT: "bold magenta"}


def tree(graph: Graph, result: Forward | None = None) -> Tree:
    """The DAG as a Rich tree rooted at the output; reused nodes are referred to, not redrawn."""
    views = describe(graph, result)
    root = Tree(_label(graph, views[graph.output]), guide_style="dim")
    drawn = {graph.output}
    lines = 1
    cut_deep = False
    stack = [(arg, root, 1) for arg in reversed(graph.inputs[graph.output])]
    while stack and lines < NODE_LIMIT:
        node, parent, depth = stack.pop()
        view = views[node]
        lines += 1
        if node in drawn and view.kind != CONSTANT:
            parent.add(_reference(view))
            continue
        drawn.add(node)
        branch = parent.add(_label(graph, view))
        if depth >= DEPTH_LIMIT and graph.inputs[node]:
            branch.add(Text("... deeper nodes not drawn", style="dim"))
            cut_deep = True
            continue
        stack.extend((arg, branch, depth + 1) for arg in reversed(graph.inputs[node]))
    total = _reachable(graph)
    shown = len(drawn)
    if shown < total or cut_deep:
        root.add(
            Text(
                f"... {shown:,} of {total:,} nodes drawn (at most {NODE_LIMIT} lines, "
                f"{DEPTH_LIMIT} levels); --format dot or mermaid draws them all",
                style="dim",
            )
        )
    return root


def _label(graph: Graph, view: NodeView) -> Text:
    text = Text(visible(view.title), style=_STYLES.get(view.kind, "bold"))
    if view.value is not None and view.kind != CONSTANT:
        text.append(f" = {view.value}")
    if view.kind in (VARIABLE, CONSTANT, OUTPUT):
        text.append(f"  ({view.kind})", style="dim")
    if view.adjoint is not None:
        text.append(f"  {gradient_name(graph, view.id)} = {view.adjoint}", style="red")
    return text


def _reference(view: NodeView) -> Text:
    return Text.assemble(
        (visible(view.name), _STYLES.get(view.kind, "bold")), ("  (see above)", "dim")
    )


def _reachable(graph: Graph) -> int:
    """How many nodes the output depends on (itself included)."""
    seen = [False] * len(graph)
    seen[graph.output] = True
    for node in range(graph.output, -1, -1):
        if seen[node]:
            for arg in graph.inputs[node]:
                seen[arg] = True
    return sum(seen)
