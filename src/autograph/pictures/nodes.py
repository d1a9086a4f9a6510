"""What every picture says about a node: its kind, name, operation, value and adjoint.

The text tree, DOT and Mermaid all draw from this one description, so the
three agree on names (assigned or generated, t1, t2, ...), on the operation
(the op table's symbol, inputs by name) and on the numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

from autograph.evaluate import Backward, Forward
from autograph.graph import Graph
from autograph.language.printer import expression
from autograph.numbers import format_number
from autograph.ops import CONST, VAR

VARIABLE, CONSTANT, INTERMEDIATE, OUTPUT = "variable", "constant", "intermediate", "output"


@dataclass(frozen=True)
class NodeView:
    """One node as the pictures show it."""

    id: int
    kind: str
    """``variable``, ``constant``, ``intermediate`` or ``output``: each is drawn differently."""
    name: str
    operation: str
    """The op with its inputs by name, ``x + 5``; empty for a variable or a constant."""
    inputs: tuple[int, ...]
    value: str | None
    """The forward-pass value, when the picture has values (``--at``)."""
    adjoint: str | None
    """d(output)/d(node), when the picture has gradients (``--grad``) and the node has one."""

    @property
    def title(self) -> str:
        """``h = x + 5``, or the bare name of a variable or constant."""
        return f"{self.name} = {self.operation}" if self.operation else self.name


def describe(graph: Graph, result: Forward | None = None) -> list[NodeView]:
    """A view of every node, in topological order; numbers from ``result`` when given."""
    names = graph.names
    adjoints = result.adjoints if isinstance(result, Backward) else None
    views = []
    for node, op in enumerate(graph.ops):
        if op is VAR:
            kind = VARIABLE
        elif node == graph.output:
            kind = OUTPUT
        elif op is CONST:
            kind = CONSTANT
        else:
            kind = INTERMEDIATE
        operation = "" if op in (VAR, CONST) else expression(graph, node, names)
        value = None if result is None else format_number(result.values[node])
        adjoint = None if adjoints is None or adjoints[node] is None else adjoints[node]
        views.append(
            NodeView(
                node,
                kind,
                names[node],
                operation,
                graph.inputs[node],
                value,
                None if adjoint is None else format_number(adjoint),
            )
        )
    return views


def gradient_name(graph: Graph, node: int) -> str:
    """``∂f/∂h``: the adjoint of ``node`` named after the output."""
    return f"∂{graph.names[graph.output]}/∂{graph.names[node]}"
