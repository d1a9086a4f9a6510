"""Huge and deep programs work: no recursion limit, no crash, memory in proportion to size.

Sized to run in seconds; benchmarks/ runs the same shapes up to a million nodes.
Each result is checked against an independent reference: a closed form, or a
forward-mode derivative carried along in a plain loop.
"""

from __future__ import annotations

import io
import json
import math
import os
import sys
import tracemalloc
from contextlib import redirect_stderr, redirect_stdout
from unittest import mock

import pytest

import autograph
from autograph.cli import main
from autograph.language import printer


def run_json(*args: str, stdin: str = "") -> dict[str, object]:
    """``autograph ARGS --json`` in-process; the parsed output (the exit code must be 0)."""
    out, err = io.StringIO(), io.StringIO()
    fake_stdin = io.TextIOWrapper(io.BytesIO(stdin.encode()), encoding="utf-8")
    with (
        redirect_stdout(out),
        redirect_stderr(err),
        mock.patch.object(sys, "stdin", fake_stdin),
        mock.patch.dict(os.environ, {"NO_COLOR": "1"}),
        pytest.raises(SystemExit) as exited,
    ):
        main([*args, "--json"])
    assert exited.value.code in (0, None), err.getvalue()
    result: dict[str, object] = json.loads(out.getvalue())
    return result


def nested(depth: int) -> str:
    """``((((x - 0) + 1)*1.0001 - 2) ...)``, nested ``depth`` parentheses deep."""
    steps = (f" + {k % 7})*1.0001" if k % 2 else f" - {k % 5})" for k in range(depth))
    return "(" * depth + "x" + "".join(steps)


def shared(statements: int) -> str:
    """``a1 = sin(x) + x; a2 = sin(a1) + a1*x; ...``: exponential as a tree, linear as a DAG."""
    lines = ["a1 = sin(x) + x"]
    lines += [f"a{i} = sin(a{i - 1}) + a{i - 1}*x" for i in range(2, statements + 1)]
    return "\n".join(lines)


def shared_reference(statements: int, x: float) -> tuple[float, float]:
    """The value of ``shared`` and its derivative, carried forward as a dual number."""
    a, da = math.sin(x) + x, math.cos(x) + 1.0
    for _ in range(2, statements + 1):
        a, da = math.sin(a) + a * x, math.cos(a) * da + da * x + a
    return a, da


def nested_reference(depth: int, x: float) -> tuple[float, float]:
    value, slope = x, 1.0
    for k in range(depth):
        if k % 2:
            value, slope = (value + k % 7) * 1.0001, slope * 1.0001
        else:
            value = value - k % 5
    return value, slope


def test_a_formula_nested_100000_parentheses_deep_evaluates_and_differentiates() -> None:
    depth = 100_000
    x = 1e-9
    data = run_json("grad", nested(depth), "--at", f"x={x}")
    value, slope = nested_reference(depth, x)
    assert data["value"] == pytest.approx(value, rel=1e-12)
    assert data["gradient"] == {"x": pytest.approx(slope, rel=1e-12)}


def test_a_deep_formula_prints_back_to_text_that_parses_to_the_same_graph() -> None:
    graph = autograph.parse(nested(20_000))
    again = autograph.parse(printer.program(graph))
    assert again.ops == graph.ops and again.inputs == graph.inputs


def test_a_sum_of_30000_terms_matches_its_closed_form() -> None:
    terms = 30_000
    program = " + ".join(f"{k}*x" for k in range(1, terms + 1))
    data = run_json("grad", "-", "--at", "x=0.5", stdin=program)
    total = terms * (terms + 1) / 2
    assert data["value"] == pytest.approx(0.5 * total, rel=1e-12)
    assert data["gradient"] == {"x": pytest.approx(total, rel=1e-12)}
    nodes = data["nodes"]
    assert isinstance(nodes, list) and len(nodes) == 3 * terms


def test_10000_shared_statements_match_a_forward_mode_derivative() -> None:
    statements = 10_000
    data = run_json("grad", "-", "--at", "x=0.3", stdin=shared(statements))
    value, slope = shared_reference(statements, 0.3)
    assert data["value"] == pytest.approx(value, rel=1e-9)
    assert data["gradient"] == {"x": pytest.approx(slope, rel=1e-9)}


def test_100000_shared_statements_evaluate_and_differentiate_through_the_api() -> None:
    statements = 100_000
    graph = autograph.parse(shared(statements))
    assert len(graph) == 3 * statements  # x, then sin, mul and add per statement, minus one
    result = autograph.backward(graph, {"x": 0.01})
    value, slope = shared_reference(statements, 0.01)
    assert result.value == pytest.approx(value, rel=1e-9)
    assert result.gradient["x"] == pytest.approx(slope, rel=1e-9)


def _peak_bytes(source: str) -> int:
    autograph.backward(autograph.parse("x"), {"x": 0.3})  # load the parser's tables first
    tracemalloc.start()
    try:
        graph = autograph.parse(source)
        autograph.backward(graph, {"x": 0.3})
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_memory_grows_in_proportion_to_the_program() -> None:
    small = _peak_bytes(shared(1_500)) / (3 * 1_500)  # bytes per node
    large = _peak_bytes(shared(6_000)) / (3 * 6_000)
    # Lists and dicts grow in steps, so per-node cost wobbles; it must not climb with size.
    assert large < 1.5 * small
    assert large < 1_500
