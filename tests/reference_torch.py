"""PyTorch's counterpart of each op of the table, for the tests that compare with PyTorch.

An independent reference: these are PyTorch's own functions (and their own
autograd rules), never autograph's. Ops PyTorch has under the same name need no
entry. The tests that use this skip where torch is not installed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from autograph.graph import Graph

TORCH: dict[str, Callable[..., Any]] = {
    "add": lambda t, a, b: a + b, "sub": lambda t, a, b: a - b, "mul": lambda t, a, b: a * b,
    "div": lambda t, a, b: a / b, "neg": lambda t, a: -a, "pow": lambda t, a, b: t.pow(a, b),
    "sigmoid": lambda t, a: t.sigmoid(a), "relu": lambda t, a: t.relu(a),
    "softplus": lambda t, a: t.nn.functional.softplus(a), "max": lambda t, a, b: t.maximum(a, b),
    "min": lambda t, a, b: t.minimum(a, b),
    # PyTorch has no cube root: the real one, written with its sign and abs.
    "cbrt": lambda t, a: t.sign(a) * t.abs(a) ** (1.0 / 3.0),
}  # fmt: skip


def torch_op(name: str) -> Callable[..., Any]:
    """``torch_op(name)(torch, *inputs)``: the op over tensors."""
    return TORCH.get(name) or (lambda t, *args: getattr(t, name)(*args))


def evaluate(torch: Any, graph: Graph, point: Any) -> Any:
    """The graph's output computed by PyTorch, node by node, from a tensor of its variables.

    ``point[i]`` is the value of ``graph.variables[i]``; constants are float64 tensors.
    """
    from autograph import ops

    position = {name: i for i, name in enumerate(graph.variables)}
    values: list[Any] = []
    for node, op in enumerate(graph.ops):
        if op is ops.VAR:
            values.append(point[position[graph.labels[node]]])
        elif op is ops.CONST:
            values.append(torch.tensor(graph.constants[node], dtype=torch.float64))
        else:
            values.append(torch_op(op.name)(torch, *(values[arg] for arg in graph.inputs[node])))
    return values[graph.output]
