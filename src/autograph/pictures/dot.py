"""The graph as Graphviz DOT source, drawn like a teaching figure.

Inputs on the left, the output on the right (``rankdir=LR``). Each node is a
small HTML-like table: its value above it in blue, the node itself in the
middle, its gradient d(output)/d(node) under it in red. Variables, constants,
intermediate nodes and the output have their own colours and borders.
"""

from __future__ import annotations

from html import escape

from autograph.evaluate import Forward
from autograph.graph import Graph
from autograph.pictures.nodes import CONSTANT, OUTPUT, VARIABLE, NodeView, describe

VALUE_COLOUR = "#1f5fa8"
GRADIENT_COLOUR = "#c0392b"

# Per kind: the attributes of the node's own cell.
_CELLS = {
    VARIABLE: 'border="1" style="rounded" bgcolor="#d9f2d9" cellpadding="8"',
    CONSTANT: 'border="1" bgcolor="#eeeeee" color="#888888" cellpadding="4"',
    OUTPUT: 'border="2" style="rounded" bgcolor="#fde2c4" cellpadding="8"',
}
_INTERMEDIATE_CELL = 'border="1" style="rounded" bgcolor="#ffffff" cellpadding="8"'


def to_dot(graph: Graph, result: Forward | None = None) -> str:
    """DOT source for the graph; with ``result``, its values and (after a reverse pass) adjoints."""
    views = describe(graph, result)
    output = graph.names[graph.output]
    lines = [
        "digraph autograph {",
        "  rankdir=LR;",
        '  bgcolor="white";',
        '  node [shape=plain, fontname="Helvetica", fontsize=12];',
        '  edge [color="#555555", arrowsize=0.7];',
    ]
    has_values = any(view.value is not None for view in views)
    has_gradients = any(view.adjoint is not None for view in views)
    if has_values or has_gradients:
        lines.append(f"  label=<{_legend(output, has_values, has_gradients)}>;")
        lines.append('  labelloc=b; fontname="Helvetica"; fontsize=11;')
    for view in views:
        lines.append(f"  n{view.id} [label=<{_table(view)}>];")
    for view in views:
        for arg in view.inputs:
            lines.append(f"  n{arg}:c -> n{view.id}:c;")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _table(view: NodeView) -> str:
    rows = []
    if view.value is not None and view.kind != CONSTANT:
        rows.append(f'<tr><td><font color="{VALUE_COLOUR}">{escape(view.value)}</font></td></tr>')
    cell = _CELLS.get(view.kind, _INTERMEDIATE_CELL)
    rows.append(f'<tr><td port="c" {cell}>{_inside(view)}</td></tr>')
    if view.adjoint is not None:
        rows.append(
            f'<tr><td><font color="{GRADIENT_COLOUR}">{escape(view.adjoint)}</font></td></tr>'
        )
    return '<table border="0" cellborder="0" cellspacing="2">' + "".join(rows) + "</table>"


def _inside(view: NodeView) -> str:
    if view.kind == CONSTANT:
        return f'<font color="#555555">{escape(view.name)}</font>'
    name = f"<b>{escape(view.name)}</b>"
    return f"{name}<br/>{escape(view.operation)}" if view.operation else name


def _legend(output: str, values: bool, gradients: bool) -> str:
    parts = []
    if values:
        parts.append(f'<font color="{VALUE_COLOUR}">above: value (forward pass)</font>')
    if gradients:
        gradient = f"below: ∂{escape(output)}/∂node (reverse pass)"
        parts.append(f'<font color="{GRADIENT_COLOUR}">{gradient}</font>')
    rows = "".join(f"<tr><td>{part}</td></tr>" for part in parts)
    return f'<table border="0" cellspacing="2">{rows}</table>'
