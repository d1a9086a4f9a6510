"""The least a program can do for ``autograph grad - --at x=V --json`` on a sum of ``k*x``.

The anchor of the end-to-end benchmark: hand-written for bench_scale's sum shape
(``1*x + 2*x + ...``), it parses standard input with one regular expression,
builds the same nodes (numbers and variables merged), runs the forward and the
reverse pass, and writes the same JSON bytes as autograph, a block at a time.

    python benchmarks/minimal_pipeline.py V < program
"""

from __future__ import annotations

import json
import os
import re
import sys

encode = json.encoder.encode_basestring_ascii  # type: ignore[attr-defined]


def main() -> None:
    x = float(sys.argv[1])
    terms = re.findall(r"([0-9]+)\*([A-Za-z_]\w*)", sys.stdin.read())
    names: list[str] = []
    ops: list[str] = []
    inputs: list[str] = []
    values: list[float] = []
    adjoints: list[str] = []
    partials: list[str] = []
    texts: list[str] = []
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
    out = sys.stdout
    head = {"value": values[total], "gradient": {names[variable]: gradient}, "output": total}
    out.write(json.dumps(head)[:-1] + ', "nodes": [')
    for first in range(0, len(ops), 4096):
        last = min(first + 4096, len(ops))
        out.write(
            ", ".join(
                f'{{"id": {node}, "name": {encode(names[node])}, "op": "{ops[node]}", '
                f'"inputs": {inputs[node]}, "value": {values[node]!r}, '
                f'"adjoint": {adjoints[node]}, "partials": {partials[node]}, '
                f'"expression": {encode(texts[node])}}}'
                for node in range(first, last)
            )
            + (", " if last < len(ops) else "")
        )
    out.write("]}\n")
    out.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
