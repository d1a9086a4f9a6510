"""Results as plain data: the JSON contract scripts rely on.

``{"value": number, "gradient": {...}, "nodes": [{"id", "name", "op", "inputs",
"value", "adjoint"}, ...]}``; ``gradient`` and ``adjoint`` only after a reverse
pass. Every number here is finite, and ``dumps`` refuses NaN and Infinity.
"""

from __future__ import annotations

import json
from typing import Any

from autograph.evaluate import Backward, Forward
from autograph.printer import expression


def to_dict(result: Forward) -> dict[str, Any]:
    """The JSON-ready form of a forward pass, or of a forward and reverse pass."""
    graph = result.graph
    names = graph.names
    backward = result if isinstance(result, Backward) else None
    nodes = []
    for node, op in enumerate(graph.ops):
        entry: dict[str, Any] = {
            "id": node,
            "name": names[node],
            "op": op.name,
            "inputs": list(graph.inputs[node]),
            "value": result.values[node],
        }
        if backward is not None:
            entry["adjoint"] = backward.adjoints[node]
            entry["partials"] = list(backward.partials[node])
        entry["expression"] = expression(graph, node, names) if graph.inputs[node] else names[node]
        nodes.append(entry)
    body: dict[str, Any] = {"value": result.value}
    if backward is not None:
        body["gradient"] = backward.gradient
    body["output"] = graph.output
    body["nodes"] = nodes
    return body


def dumps(data: Any) -> str:
    """Strict JSON (RFC 8259): a NaN or an infinity is a bug, never a token."""
    return json.dumps(data, allow_nan=False)
