"""Results as plain data: the JSON contract scripts rely on.

``{"value": number, "gradient": {...}, "nodes": [{"id", "name", "op", "inputs",
"value", "adjoint"}, ...]}``; ``gradient`` and ``adjoint`` only after a reverse
pass; after forward mode (``jvp``), ``tangent`` and ``direction`` at the top and a
``tangent`` per node instead. Every number here is finite, and ``dumps`` refuses
NaN and Infinity.

``write`` streams the same text as ``dumps(to_dict(...))`` without building a
dictionary per node: it formats the nodes column by column, a block of nodes at
a time, and splices the columns into one template (see ``_block``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import suppress
from itertools import chain, pairwise
from json.encoder import encode_basestring_ascii
from typing import Any, TextIO

from autograph.evaluate import Backward, Forward
from autograph.language.printer import expression, expressions
from autograph.tangents import Tangents

BLOCK = 4096
"""Nodes formatted at a time by ``write``: big enough to amortise, small enough to stay flat."""


def to_dict(result: Forward, **extra: Any) -> dict[str, Any]:
    """The JSON-ready form of a forward pass, or of a forward and reverse pass."""
    return {**_head(result, extra), "nodes": list(_nodes(result))}


def write(result: Forward, stream: TextIO, **extra: Any) -> None:
    """Write the JSON form, a block of nodes at a time: memory stays flat for a million nodes.

    The text is exactly ``dumps(to_dict(result, **extra))`` and a newline.
    """
    head = dumps(_head(result, extra))
    stream.write(head[:-1] + (", " if len(head) > 2 else "") + '"nodes": [')
    count = len(result.graph.ops)
    for first in range(0, count, BLOCK):
        text = _block(result, first, min(first + BLOCK, count))
        stream.write(text[len(_BETWEEN) :] if first == 0 else text)
    stream.write("}]}\n" if count else "]}\n")


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


# The template of one node, as literal text between the columns: each node's text is
# preceded by _BETWEEN (the previous node's closing brace and a comma), so a block is
# one join; write drops the first node's and closes the last.
_BETWEEN = "}, "
_FORWARD_KEYS = ("id", "name", "op", "inputs", "value", "expression")
_BACKWARD_KEYS = ("id", "name", "op", "inputs", "value", "adjoint", "partials", "expression")
_TANGENT_KEYS = ("id", "name", "op", "inputs", "value", "tangent", "expression")


_LISTS = ("inputs", "partials")
"""Keys whose value is a list: its brackets are in the template, the column holds the items."""


def _literals(keys: tuple[str, ...]) -> list[str]:
    literals = [_BETWEEN + "{" + f'"{keys[0]}": ']
    for before, key in pairwise(keys):
        literals.append(("]" if before in _LISTS else "") + f', "{key}": ')
    return [
        literal + ("[" if key in _LISTS else "")
        for literal, key in zip(literals, keys, strict=True)
    ]


_FORWARD_LITERALS = _literals(_FORWARD_KEYS)
_BACKWARD_LITERALS = _literals(_BACKWARD_KEYS)
_TANGENT_LITERALS = _literals(_TANGENT_KEYS)


def _block(result: Forward, first: int, last: int) -> str:
    """The JSON text of nodes ``first`` to ``last - 1``, each preceded by ``_BETWEEN``."""
    graph = result.graph
    names = graph.names
    inputs = graph.inputs[first:last]
    columns: list[list[str]] = [
        list(map(str, range(first, last))),
        list(map(encode_basestring_ascii, names[first:last])),
        list(map(encode_basestring_ascii, [op.name for op in graph.ops[first:last]])),
        _inputs(inputs),
        _numbers(result.values[first:last]),
    ]
    if isinstance(result, Backward):
        columns.append(_numbers(result.adjoints[first:last]))
        columns.append(_lists(result.partials[first:last]))
        literals = _BACKWARD_LITERALS
    elif isinstance(result, Tangents):
        columns.append(_numbers(result.tangents[first:last]))
        literals = _TANGENT_LITERALS
    else:
        literals = _FORWARD_LITERALS
    columns.append(list(map(encode_basestring_ascii, expressions(graph, first, last, names))))
    width = 2 * len(columns)
    parts: list[str] = [text for literal in literals for text in (literal, "")] * (last - first)
    for index, column in enumerate(columns):
        parts[2 * index + 1 :: width] = column
    return "".join(parts)


_INPUT_FORMATS = ("", "%d", "%d, %d")


def _inputs(column: Sequence[tuple[int, ...]]) -> list[str]:
    """Each node's inputs (node ids, so ints) as JSON items, without the brackets."""
    if set(map(type, chain.from_iterable(column))) <= {int}:
        with suppress(IndexError, TypeError):  # an op of three or more inputs; not tuples
            return [_INPUT_FORMATS[len(args)] % args for args in column]
    return _lists(column)


_NUMBER_TYPES = {float, type(None)}


def _numbers(column: list[Any]) -> list[str]:
    """Each entry's JSON: floats and None by ``repr`` of the whole column at once."""
    if not column or not set(map(type, column)) <= _NUMBER_TYPES:
        return [dumps(value) for value in column]
    text = repr(column)
    if "inf" in text or "nan" in text:
        return [dumps(value) for value in column]  # raises, as dumps does
    return text[1:-1].replace("None", "null").split(", ")


def _lists(column: Sequence[Sequence[Any]]) -> list[str]:
    """Each entry's items (ints, floats or None) as JSON, without the brackets.

    The common case, a column of tuples, is one ``repr`` of the whole column split at
    its tuples' edges: ``[(0, 1), (2,), ()]`` gives ``0, 1``, ``2`` and nothing.
    """
    kinds = set(map(type, column))
    if (
        not column
        or kinds != {tuple}
        or not set(map(type, chain.from_iterable(column))) <= {int, float, type(None)}
    ):
        return [dumps(list(entry))[1:-1] for entry in column]
    text = repr(column)
    if "inf" in text or "nan" in text:
        return [dumps(list(entry))[1:-1] for entry in column]  # raises, as dumps does
    text = text.replace(",)", ")")[2:-2]
    if "None" in text:
        text = text.replace("None", "null")
    return text.split("), (")


_ENCODER = json.JSONEncoder(allow_nan=False)


def dumps(data: Any) -> str:
    """Strict JSON (RFC 8259): a NaN or an infinity is a bug, never a token."""
    return _ENCODER.encode(data)
