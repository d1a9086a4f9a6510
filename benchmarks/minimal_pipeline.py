"""The least a program can do for ``autograph grad - --at x=V --json``: the end-to-end anchors.

Two readers, one writer. The default reader is hand-written for bench_scale's sum
shape (``1*x + 2*x + ...``): one regular expression finds the terms, and the
nodes (numbers and variables merged) are made without a parser; this is the
anchor of issue 12's target. ``--general`` reads any formula of numbers,
names, ``+ - * / ^`` and parentheses instead: one regular expression for the
tokens, an operator-precedence (shunting-yard) loop, equal subexpressions
merged, a forward value per node as it is made and a reverse pass over all of
them; it shows what parsing a language costs a minimal script. Both write the
same JSON bytes as autograph, a block at a time.

    python benchmarks/minimal_pipeline.py V [--general] < program
"""

from __future__ import annotations

import json
import math
import os
import re
import sys

encode = json.encoder.encode_basestring_ascii  # type: ignore[attr-defined]


class Columns:
    """The nodes as autograph's JSON shows them, one list per key, items already JSON."""

    def __init__(self) -> None:
        self.names: list[str] = []
        self.ops: list[str] = []
        self.inputs: list[str] = []
        self.values: list[float] = []
        self.adjoints: list[str] = []
        self.partials: list[str] = []
        self.texts: list[str] = []
        self.output = -1
        self.gradient: dict[str, float] = {}


def read_sum_shape(text: str, x: float) -> Columns:
    """Bench_scale's sum of ``k*x`` terms, found by one regular expression: no parser."""
    terms = re.findall(r"([0-9]+)\*([A-Za-z_]\w*)", text)
    nodes = Columns()
    names, ops, inputs, values = nodes.names, nodes.ops, nodes.inputs, nodes.values
    adjoints, partials, texts = nodes.adjoints, nodes.partials, nodes.texts
    leaves: dict[str, int] = {}
    counter = 0
    total = -1

    def leaf(text: str, op: str, value: float) -> int:
        node = leaves.get(text)
        if node is None:
            node = leaves[text] = len(ops)
            names.append(text)
            ops.append(op)
            inputs.append("[]")
            values.append(value)
            adjoints.append("")
            partials.append("[]")
            texts.append(text)
        return node

    variable = -1
    for digits, name in terms:
        k = leaf(digits, "const", float(digits))
        variable = leaf(name, "var", x)
        counter += 1
        product = len(ops)
        names.append(f"t{counter}")
        ops.append("mul")
        inputs.append(f"[{k}, {variable}]")
        values.append(values[k] * x)
        adjoints.append("1.0")
        partials.append(f"[null, {values[k]!r}]")
        texts.append(f"{digits} * {name}")
        if total < 0:
            total = product
            continue
        counter += 1
        names.append(f"t{counter}")
        ops.append("add")
        inputs.append(f"[{total}, {product}]")
        values.append(values[total] + values[product])
        adjoints.append("1.0")
        partials.append("[1.0, 1.0]")
        texts.append(f"{names[total]} + {names[product]}")
        total = len(ops) - 1
    gradient = sum(float(digits) for digits, _ in terms)  # the adjoint of x: one k per term
    for node in range(len(ops)):
        if ops[node] == "const":
            adjoints[node] = "null"
        elif ops[node] == "var":
            adjoints[node] = repr(gradient)
    nodes.output = total
    nodes.gradient = {names[variable]: gradient}
    return nodes


TOKEN = re.compile(r"\s*(?:([0-9]+\.?[0-9]*(?:[eE][+-]?[0-9]+)?)|([A-Za-z_]\w*)|(\*\*|[-+*/^()]))")
BINDING = {"+": 1, "-": 1, "*": 2, "/": 2, "^": 3, "**": 3}
OP_NAMES = {"+": "add", "-": "sub", "*": "mul", "/": "div", "^": "pow", "**": "pow"}
FORWARD = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
    "pow": lambda a, b: a**b,
}
PARTIALS = {  # d/da and d/db of each op, given a, b and the op's value
    "add": lambda a, b, out: (1.0, 1.0),
    "sub": lambda a, b, out: (1.0, -1.0),
    "mul": lambda a, b, out: (b, a),
    "div": lambda a, b, out: (1.0 / b, -a / (b * b)),
    "pow": lambda a, b, out: (b * a ** (b - 1.0), out * math.log(a) if a > 0 else 0.0),
}


def read_any(text: str, x: float) -> Columns:
    """Any formula of numbers, names, ``+ - * / ^`` and parentheses, at every variable = x."""
    ops: list[str] = []
    inputs: list[tuple[int, ...]] = []
    values: list[float] = []
    labels: list[str | None] = []
    made: dict[tuple[str, object, object], int] = {}
    variables: dict[str, int] = {}

    def node(op: str, a: object, b: object, value: float, label: str | None) -> int:
        key = (op, a, b)
        found = made.get(key)
        if found is None:
            found = made[key] = len(ops)
            ops.append(op)
            inputs.append(() if label is not None else (a, b))  # type: ignore[arg-type]
            values.append(value)
            labels.append(label)
            if op == "var":
                variables[label] = found  # type: ignore[index]
        return found

    operands: list[int] = []
    operators: list[str] = []

    def apply() -> None:
        symbol = operators.pop()
        b = operands.pop()
        a = operands.pop()
        op = OP_NAMES[symbol]
        operands.append(node(op, a, b, FORWARD[op](values[a], values[b]), None))

    for number, name, symbol in TOKEN.findall(text):
        if number:
            value = float(number)
            operands.append(node("const", value, math.copysign(1.0, value), value, number))
        elif name:
            operands.append(node("var", name, None, x, name))
        elif symbol == "(":
            operators.append(symbol)
        elif symbol == ")":
            while operators[-1] != "(":
                apply()
            operators.pop()
        else:
            binding = BINDING[symbol]
            while operators and operators[-1] != "(":
                before = BINDING[operators[-1]]
                if before < binding or (before == binding and binding == 3):  # ^ is right-assoc
                    break
                apply()
            operators.append(symbol)
    while operators:
        apply()
    output = operands[-1]
    # Which nodes depend on a variable (live), then the reverse pass from the output.
    live = [op == "var" for op in ops]
    for index, args in enumerate(inputs):
        if args and (live[args[0]] or live[args[1]]):
            live[index] = True
    adjoints: list[float | None] = [0.0 if alive else None for alive in live]
    partials: list[tuple[float | None, ...]] = [()] * len(ops)
    if live[output]:
        adjoints[output] = 1.0
    for index in range(len(ops) - 1, -1, -1):
        args = inputs[index]
        adjoint = adjoints[index]
        if not args or adjoint is None:
            continue
        a, b = args
        da, db = PARTIALS[ops[index]](values[a], values[b], values[index])
        partials[index] = (da if live[a] else None, db if live[b] else None)
        if live[a]:
            adjoints[a] += adjoint * da  # type: ignore[operator]
        if live[b]:
            adjoints[b] += adjoint * db  # type: ignore[operator]
    # The names (a generated t1, t2, ... for each operation) and the JSON of each column.
    nodes = Columns()
    counter = 0
    for label in labels:
        if label is None:
            counter += 1
            label = f"t{counter}"
        nodes.names.append(label)
    symbols = {"add": " + ", "sub": " - ", "mul": " * ", "div": " / ", "pow": "^"}
    names = nodes.names
    for index, args in enumerate(inputs):
        nodes.ops.append(ops[index])
        adjoint = adjoints[index]
        nodes.adjoints.append("null" if adjoint is None else repr(adjoint))
        if args:
            a, b = args
            da, db = partials[index]
            nodes.inputs.append(f"[{a}, {b}]")
            nodes.partials.append(f"[{_json(da)}, {_json(db)}]")
            nodes.texts.append(names[a] + symbols[ops[index]] + names[b])
        else:
            nodes.inputs.append("[]")
            nodes.partials.append("[]")
            nodes.texts.append(names[index])
    nodes.values = values
    nodes.output = output
    nodes.gradient = {name: adjoints[index] for name, index in variables.items()}  # type: ignore[misc]
    return nodes


def _json(number: float | None) -> str:
    return "null" if number is None else repr(number)


def write(nodes: Columns) -> None:
    """The JSON autograph writes, a block of 4,096 nodes at a time; then leave at once."""
    out = sys.stdout
    head = {"value": nodes.values[nodes.output], "gradient": nodes.gradient, "output": nodes.output}
    out.write(json.dumps(head)[:-1] + ', "nodes": [')
    count = len(nodes.ops)
    names, ops, inputs, values = nodes.names, nodes.ops, nodes.inputs, nodes.values
    adjoints, partials, texts = nodes.adjoints, nodes.partials, nodes.texts
    for first in range(0, count, 4096):
        last = min(first + 4096, count)
        out.write(
            ", ".join(
                f'{{"id": {node}, "name": {encode(names[node])}, "op": "{ops[node]}", '
                f'"inputs": {inputs[node]}, "value": {values[node]!r}, '
                f'"adjoint": {adjoints[node]}, "partials": {partials[node]}, '
                f'"expression": {encode(texts[node])}}}'
                for node in range(first, last)
            )
            + (", " if last < count else "")
        )
    out.write("]}\n")
    out.flush()
    os._exit(0)


def main() -> None:
    x = float(sys.argv[1])
    read = read_any if "--general" in sys.argv[2:] else read_sum_shape
    write(read(sys.stdin.read(), x))


if __name__ == "__main__":
    main()
