"""Results as plain data: the JSON contract scripts rely on.

``{"value": number, "gradient": {...}, "nodes": [{"id", "name", "op", "inputs",
"value", "adjoint"}, ...]}``; ``gradient`` and ``adjoint`` only after a reverse
pass; after forward mode (``jvp``), ``tangent`` and ``direction`` at the top and a
``tangent`` per node instead. Every number here is finite, and ``dumps`` refuses
NaN and Infinity.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, TextIO

from autograph.evaluate import Backward, Forward
from autograph.language.printer import expression
from autograph.tangents import Tangents


def to_dict(result: Forward, **extra: Any) -> dict[str, Any]:
    """The JSON-ready form of a forward pass, or of a forward and reverse pass."""
    return {**_head(result, extra), "nodes": list(_nodes(result))}


def write(result: Forward, stream: TextIO, **extra: Any) -> None:
    """Write the JSON form, one node at a time: memory stays flat for a million nodes.

    The text is exactly ``dumps(to_dict(result, **extra))`` and a newline.
    """
    head = dumps(_head(result, extra))
    stream.write(head[:-1] + (", " if len(head) > 2 else "") + '"nodes": [')
    for index, entry in enumerate(_nodes(result)):
        stream.write(", " + dumps(entry) if index else dumps(entry))
    stream.write("]}\n")


def _head(result: Forward, extra: dict[str, Any]) -> dict[str, Any]:
    head: dict[str, Any] = {"value": result.value}
    if isinstance(result, Backward):
        head["gradient"] = result.gradient
    if isinstance(result, Tangents):
        head["tangent"] = result.tangent
        head["direction"] = result.direction
    head["output"] = result.graph.output
    head.update(extra)
    return head


def _nodes(result: Forward) -> Iterator[dict[str, Any]]:
    graph = result.graph
    names = graph.names
    backward = result if isinstance(result, Backward) else None
    tangents = result.tangents if isinstance(result, Tangents) else None
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
        if tangents is not None:
            entry["tangent"] = tangents[node]
        entry["expression"] = expression(graph, node, names) if graph.inputs[node] else names[node]
        yield entry


_ENCODER = json.JSONEncoder(allow_nan=False)


def dumps(data: Any) -> str:
    """Strict JSON (RFC 8259): a NaN or an infinity is a bug, never a token."""
    return _ENCODER.encode(data)
