"""The graph as a Mermaid flowchart, which GitHub renders inside Markdown.

Left to right like the other pictures; each kind of node has its own shape
and class: variables are stadiums, constants plain boxes, intermediate nodes
rounded boxes and the output a double-edged box. With values, a node reads
``h = x + 5 = 2``; with gradients, ``∂f/∂h = 216`` under it.
"""

from __future__ import annotations

from autograph.evaluate import Forward
from autograph.graph import Graph
from autograph.pictures.nodes import CONSTANT, OUTPUT, VARIABLE, NodeView, describe, gradient_name

_SHAPES = {VARIABLE: ('(["', '"])'), CONSTANT: ('["', '"]'), OUTPUT: ('[["', '"]]')}
_INTERMEDIATE_SHAPE = ('("', '")')
_CLASSES = (
    "  classDef variable fill:#d9f2d9,stroke:#333333",
    "  classDef constant fill:#eeeeee,stroke:#888888,color:#555555",
    "  classDef intermediate fill:#ffffff,stroke:#333333",
    "  classDef output fill:#fde2c4,stroke:#333333,stroke-width:2px",
)


def to_mermaid(graph: Graph, result: Forward | None = None) -> str:
    """Mermaid ``flowchart LR`` source for the graph, with values and adjoints when given."""
    views = describe(graph, result)
    lines = ["flowchart LR"]
    for view in views:
        opening, closing = _SHAPES.get(view.kind, _INTERMEDIATE_SHAPE)
        lines.append(f"  n{view.id}{opening}{_label(graph, view)}{closing}")
    for view in views:
        for arg in view.inputs:
            lines.append(f"  n{arg} --> n{view.id}")
    lines.extend(_CLASSES)
    by_kind: dict[str, list[str]] = {}
    for view in views:
        by_kind.setdefault(view.kind, []).append(f"n{view.id}")
    for kind, members in by_kind.items():
        lines.append(f"  class {','.join(members)} {kind}")
    return "\n".join(lines) + "\n"


def _label(graph: Graph, view: NodeView) -> str:
    text = view.title
    if view.value is not None and view.kind != CONSTANT:
        text += f" = {view.value}"
    if view.adjoint is not None:
        text += f"<br/>{gradient_name(graph, view.id)} = {view.adjoint}"
    return text.replace('"', "#quot;")
