"""Property tests: random programs over every op of the table, against SymPy and mpmath.

A program is drawn statement by statement. Each operation applies a random op
of the op table (operators, functions, aliases, ``^`` and ``**``) to random
earlier pieces: this statement's subexpressions, assigned names, free
variables, numbers written in several ways. Values are tracked while drawing,
so every operation is applied inside its domain, away from its kinks, with
finite local derivatives not too near 0 (far out on sigmoid's and tanh's tails
float64 loses their digits: see test_referee.py). An operation that would not
be is applied to ``sigmoid`` of its first input instead, or becomes a negation
or an addition. Names are reassigned, and a variable can be assigned after it
was used, so shared nodes and reassignment are everywhere. The last statement
adds, subtracts or multiplies every assigned name, so the output depends on
most of the program.

For each program and point: the forward value agrees with SymPy's evaluation of
the graph's formula; at points where float64 computes every node accurately,
reverse mode agrees with SymPy's derivative, with the numeric referee, and
(where a float64 finite difference can be trusted) with a finite difference;
and the printer's program text parses back to the same graph.

The runs are derandomized, so every CI run draws the same examples.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import autograph
from autograph import symbolic
from autograph.language import printer
from autograph.ops import BY_NAME, OPS, Op, ScalarMath
from autograph.referee import check, numeric
from autograph.referee.kinks import SWITCHES

VARIABLES = ("x", "y", "z")
NUMBERS = {"2": 2.0, "3": 3.0, "0.5": 0.5, ".25": 0.25, "1e-1": 0.1, "2.5E+0": 2.5, "1.5": 1.5}
NAMED_CONSTANTS = {"pi": math.pi, "e": math.e}
LIMIT = 1e4
"""Largest value or local derivative allowed while drawing."""
KINK_MARGIN = 1e-2
"""How far from a kink an op's inputs must stay."""

FAST = settings(
    max_examples=150,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@dataclass(frozen=True)
class Piece:
    """Program text with its float64 value; atomic text needs no parentheses around it."""

    text: str
    value: float
    atomic: bool

    def wrapped(self) -> str:
        return self.text if self.atomic else f"({self.text})"


def apply(op: Op, args: list[Piece]) -> float | None:
    """The op's value on these inputs, or None unless it is well inside the domain."""
    values = [arg.value for arg in args]
    try:
        out = op.forward(ScalarMath)(*values)
        partials = [partial(ScalarMath, *values, out) for partial in op.partials]
    except (ArithmeticError, ValueError):
        return None
    if not all(math.isfinite(v) and abs(v) <= LIMIT for v in [out, *partials]):
        return None
    if op.name in SWITCHES and abs(SWITCHES[op.name](*values)) < KINK_MARGIN:
        return None
    if op.name not in SWITCHES and any(abs(p) < 1e-6 for p in partials):
        return None  # far out on sigmoid's and tanh's tails their partials lose digits
    return out


def write(op: Op, args: list[Piece], draw: st.DrawFn) -> str:
    """The op applied to ``args`` as program text, in one of the ways the language allows."""
    if op.name == "pow" and draw(st.booleans()):
        return f"{args[0].wrapped()} {draw(st.sampled_from(['^', '**']))} {args[1].wrapped()}"
    if op.is_function or op.name == "pow":
        name = "ln" if op.name == "log" and draw(st.booleans()) else op.name
        return f"{name}({', '.join(arg.text for arg in args)})"
    if op.arity == 1:
        return f"{op.symbol}{args[0].wrapped()}"
    return f"{args[0].wrapped()} {op.symbol} {args[1].wrapped()}"


@st.composite
def programs(draw: st.DrawFn) -> tuple[str, dict[str, float]]:
    """A random well-formed program and a point where every operation is well defined."""
    at = {name: draw(st.floats(-2.5, 2.5, allow_nan=False)) for name in VARIABLES}
    env = dict(at)  # what each name means now: a free variable's value, or the last assignment
    assigned: list[str] = []  # most recent last
    statements = []
    for _ in range(draw(st.integers(2, 6))):
        pieces: list[Piece] = []
        for _ in range(draw(st.integers(1, 5))):
            op = draw(st.sampled_from(OPS))
            args = [draw(_operand(pieces, env, assigned)) for _ in range(op.arity)]
            value = apply(op, args)
            if value is None:  # a value in (0, 1) suits every op's first input
                first = args[0]
                args[0] = Piece(f"sigmoid({first.text})", ScalarMath.sigmoid(first.value), True)
                value = apply(op, args)
            if value is None:  # defined everywhere
                op = BY_NAME["neg" if op.arity == 1 else "add"]
                value = apply(op, args)
                assert value is not None
            pieces.append(Piece(write(op, args, draw), value, op.is_function))
        expression = pieces[-1]
        target = draw(st.sampled_from([*env, f"s{len(statements)}", None]))
        if target is None:
            statements.append(expression.text)
        else:
            statements.append(f"{target} = {expression.text}")
            env[target] = expression.value
            assigned = [name for name in assigned if name != target] + [target]
    # The output combines every assigned name, so it depends on most of the program.
    total = Piece(assigned[0], env[assigned[0]], True) if assigned else Piece("x", env["x"], True)
    for name in assigned[1:]:
        args = [total, Piece(name, env[name], True)]
        op = BY_NAME[draw(st.sampled_from(["add", "sub", "mul"]))]
        value = apply(op, args)
        if value is None:
            op = BY_NAME["add"]
            value = apply(op, args)
            assert value is not None
        total = Piece(write(op, args, draw), value, False)
    statements.append(total.text)
    separator = draw(st.sampled_from(["; ", "\n"]))
    return separator.join(statements), at


def _operand(
    pieces: list[Piece], env: dict[str, float], assigned: list[str]
) -> st.SearchStrategy[Piece]:
    """Mostly this statement's latest pieces and recently assigned names; now and then a number."""
    variables = [Piece(name, env[name], True) for name in VARIABLES]
    numbers = [Piece(text, value, True) for text, value in {**NUMBERS, **NAMED_CONSTANTS}.items()]
    numbers.append(Piece("-2", -2.0, False))
    choices = [st.sampled_from(variables), st.sampled_from(numbers)]
    if assigned:
        recent_names = [Piece(name, env[name], True) for name in reversed(assigned)]
        choices += [st.sampled_from(recent_names)] * 2
    if pieces:
        choices += [st.sampled_from(list(reversed(pieces)))] * 3
    return st.one_of(*choices)


def graph_and_point(source: str, at: dict[str, float]) -> tuple[autograph.Graph, dict[str, float]]:
    graph = autograph.parse(source)
    return graph, {name: at[name] for name in graph.variables}


def close(a: float, b: float, rel: float, scale: float) -> bool:
    return abs(a - b) <= rel * max(abs(a), abs(b), scale)


def float_difference(
    graph: autograph.Graph, at: dict[str, float], name: str, h: float
) -> tuple[float, float]:
    """A float64 central difference, and a generous bound on its rounding noise."""
    up = autograph.forward(graph, {**at, name: at[name] + h}).value
    down = autograph.forward(graph, {**at, name: at[name] - h}).value
    return (up - down) / (2 * h), 1e-13 * max(abs(up), abs(down)) / h


def well_conditioned(graph: autograph.Graph, at: dict[str, float]) -> bool:
    """Every float64 node value is within 1e-10 of its exact value (no x + 1 - 1 for tiny x)."""
    values = autograph.forward(graph, at).values
    return max(numeric.rounding_errors(graph, at, values, numeric.Deadline(None))) <= 1e-10


@FAST
@given(programs())
def test_forward_values_agree_with_sympy_evaluating_the_formula(program) -> None:
    graph, at = graph_and_point(*program)
    result = autograph.forward(graph, at)
    names = symbolic.symbols(graph)
    expected = symbolic.numeric_value(
        symbolic.to_sympy(graph, "binary"), symbolic.point_of(names, at)
    )
    assert expected is not None
    scale = max(abs(v) for v in result.values)  # cancellation can cost digits relative to this
    assert close(result.value, expected, 1e-12, scale), (result.value, expected)


@FAST
@given(programs())
def test_reverse_mode_agrees_with_sympy_mpmath_and_finite_differences(program) -> None:
    graph, at = graph_and_point(*program)
    assume(well_conditioned(graph, at))  # else float64 itself is off, and the referees say so
    by_sympy = check(graph, at, tol=1e-9, referee="sympy", timeout=None)
    assert by_sympy.referee == "sympy", by_sympy.reason
    assert by_sympy.agrees, by_sympy.disagreements
    by_mpmath = check(graph, at, tol=1e-9, referee="mpmath", timeout=None)
    assert by_mpmath.agrees, by_mpmath.disagreements
    scale = max(abs(v) for v in by_sympy.result.values)
    for v in by_sympy.variables:
        h = 1e-5 * max(1.0, abs(at[v.variable]))
        try:
            coarse, _ = float_difference(graph, at, v.variable, h)
            fine, noise = float_difference(graph, at, v.variable, h / 4)
        except autograph.MathError:
            continue  # a step left the domain
        if not close(coarse, fine, 1e-5, scale):
            continue  # the difference quotient has not settled: a kink or a steep curve nearby
        assert abs(v.reverse_mode - fine) <= 1e-4 * max(abs(fine), scale) + noise, (v, fine)


@settings(FAST, max_examples=300)
@given(programs())
def test_the_printed_program_parses_back_to_the_same_graph(program) -> None:
    graph = autograph.parse(program[0])
    again = autograph.parse(printer.program(graph))
    assert shape(again) == shape(graph)


def shape(graph: autograph.Graph) -> tuple[object, ...]:
    return (
        [op.name for op in graph.ops],
        graph.inputs,
        graph.constants,
        graph.labels,
        graph.variables,
        graph.statements,
        graph.output,
    )


# Every op at one point, whatever the draws above happen to cover.

POINT = {"x": 0.3, "y": 1.7}


def one_op_program(op: Op) -> str:
    if op.is_function:
        return f"{op.name}({', '.join(['x', 'y'][: op.arity])})"
    if op.arity == 1:
        return f"{op.symbol}x"
    return f"x {op.symbol} y"


@pytest.mark.parametrize("op", OPS, ids=lambda op: op.name)
def test_every_op_agrees_with_sympy_in_value_and_derivative(op) -> None:
    graph, at = graph_and_point(one_op_program(op), POINT)
    value = autograph.forward(graph, at).value
    names = symbolic.symbols(graph)
    expected = symbolic.numeric_value(
        symbolic.to_sympy(graph, "binary"), symbolic.point_of(names, at)
    )
    assert value == pytest.approx(expected, rel=1e-14)
    result = check(graph, at, referee="sympy")
    assert result.agrees and {v.referee_name for v in result.variables} == {"sympy"}


@pytest.mark.parametrize("source", ["ln(x) + x**y", "+x - -2 * (x)", "pow(x, 2.5E+0) / 1e-1"])
def test_aliases_and_alternative_spellings_agree_with_sympy(source) -> None:
    graph, at = graph_and_point(source, POINT)
    assert check(graph, at, referee="sympy").agrees
    assert autograph.parse(printer.program(graph)).ops == graph.ops
