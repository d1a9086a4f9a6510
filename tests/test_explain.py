"""autograph explain: both passes in words, checked against the teaching note's worked examples."""

from __future__ import annotations

import math
import os
import sys
from pathlib import Path

import pytest

import autograph
from autograph import formulas
from autograph.explain import ChainStep, Definition, Gap, explain, to_lines, to_markdown
from autograph.ops import BY_NAME, OPS, VAR, ScalarMath

GOLDEN = Path(__file__).parent / "golden"
ONE_PARAMETER = "h = x + 5; g = h^3 + 1; f = g^2"
LINEAR_REGRESSION = "c = w*x; f = c + b; d = f - y; J = 0.5*d^2"
REGRESSION_AT = ["--at", "w=3,b=1", "--at", "x=-3", "--at", "y=5", "--wrt", "w,b"]


def check_golden(name: str, actual: str) -> None:
    """Compare with tests/golden/NAME; UPDATE_GOLDEN=1 rewrites it (then read the diff)."""
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(actual, encoding="utf-8")
    assert actual == path.read_text(encoding="utf-8")


def lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines()]


# -- The two worked examples, exactly as the issue and the teaching note write them --


def test_one_parameter_forward_pass_is_one_line_per_statement(run) -> None:
    out = run("explain", ONE_PARAMETER, "--at", "x=-3")
    assert out.code == 0, out.stderr
    shown = lines(out.stdout)
    expected = (
        "x = -3",
        "h = x + 5 = -3 + 5 = 2",
        "g = h^3 + 1 = 2^3 + 1 = 9",
        "f = g^2 = 9^2 = 81",
    )
    for line in expected:
        assert line in shown


def test_one_parameter_reverse_pass_composes_the_local_derivatives(run) -> None:
    shown = lines(run("explain", ONE_PARAMETER, "--at", "x=-3").stdout)
    expected = [
        "df/dg = 2g = 2 * 9 = 18",
        "df/dh = df/dg * dg/dh = 18 * 3h^2 = 18 * 3 * 4 = 216",
        "df/dx = df/dh * dh/dx = 216 * 1 = 216",
    ]
    start = shown.index(expected[0])
    assert shown[start : start + 3] == expected


def test_one_parameter_explanation_matches_its_golden_file(run) -> None:
    check_golden("explain-one-parameter.txt", run("explain", ONE_PARAMETER, "--at", "x=-3").stdout)


def test_linear_regression_reverse_pass_reaches_39_and_minus_13(run) -> None:
    out = run("explain", LINEAR_REGRESSION, *REGRESSION_AT)
    assert out.code == 0, out.stderr
    shown = lines(out.stdout)
    forward = (
        "c = w * x = 3 * -3 = -9",  # the note: c = wx = 3 x -3 = -9
        "f = c + b = -9 + 1 = -8",
        "d = f - y = -8 - 5 = -13",
        "J = 0.5 * d^2 = 0.5 * (-13)^2 = 84.5",
    )
    for line in forward:
        assert line in shown
    expected = [
        "dJ/dd = d = -13",
        "dJ/df = dJ/dd * dd/df = -13 * 1 = -13",
        "dJ/dc = dJ/df * df/dc = -13 * 1 = -13",
        "dJ/db = dJ/df * df/db = -13 * 1 = -13",
        "dJ/dw = dJ/dc * dc/dw = -13 * x = -13 * -3 = 39",
    ]
    start = shown.index(expected[0])
    assert shown[start : start + 5] == expected


def test_linear_regression_explanation_matches_its_golden_file(run) -> None:
    out = run("explain", LINEAR_REGRESSION, *REGRESSION_AT)
    check_golden("explain-linear-regression.txt", out.stdout)


def test_markdown_of_both_examples_matches_the_golden_files(run) -> None:
    one = run("explain", ONE_PARAMETER, "--at", "x=-3", "--format", "md")
    check_golden("explain-one-parameter.md", one.stdout)
    two = run("explain", LINEAR_REGRESSION, *REGRESSION_AT, "--format", "md")
    check_golden("explain-linear-regression.md", two.stdout)


def test_markdown_writes_each_step_as_display_math_with_partials() -> None:
    text = to_markdown(explain(autograph.parse(ONE_PARAMETER), {"x": -3}))
    assert (
        r"$$\frac{\partial f}{\partial h} = \frac{\partial f}{\partial g} \cdot "
        r"\frac{\partial g}{\partial h} = 18 \cdot 3 h^{2} = 18 \cdot 3 \cdot 4 = 216$$"
    ) in text.splitlines()
    assert "$$g = h^{3} + 1 = 2^{3} + 1 = 9$$" in text.splitlines()


def test_markdown_brackets_a_negative_number_after_a_times_sign() -> None:
    graph = autograph.parse(LINEAR_REGRESSION)
    text = to_markdown(explain(graph, {"w": 3, "b": 1, "x": -3, "y": 5}, ["w", "b"]))
    assert r"= -13 \cdot x = -13 \cdot (-3) = 39$$" in text


# -- How programs are cut into steps --


def test_a_single_formula_is_explained_node_by_node_with_generated_names() -> None:
    result = explain(autograph.parse("((x+5)^3+1)^2"), {"x": -3})
    text = [line for line, _ in to_lines(result)]
    assert "  t1 = x + 5 = -3 + 5 = 2" in text
    assert "  dt4/dt1 = dt4/dt2 * dt2/dt1 = 18 * 3 * t1^2 = 18 * 3 * 4 = 216" in text
    assert result.gradient == {"x": 216}


def test_a_node_with_several_users_sums_its_paths_term_by_term() -> None:
    # f = (x*y) * (x + sin y): df/dx = b * y + a * 1 with a = 6, b = 2 + sin 3.
    result = explain(autograph.parse("a = x * y; b = x + sin(y); f = a * b"), {"x": 2, "y": 3})
    step = next(s for s in result.reverse if isinstance(s, ChainStep) and s.name == "x")
    assert [p.user for p in step.paths] == ["a", "b"]
    text = [line for line, _ in to_lines(result)]
    b = 2 + math.sin(3)  # 2.14112 and 3b + 6 = 12.4234, to six digits
    assert f"{b:.6g} {b * 3 + 6:.6g}" == "2.14112 12.4234"
    assert (
        "  df/dx = df/da * da/dx + df/db * db/dx = 2.14112 * y + 6 * 1 = 2.14112 * 3 + 6 * 1"
        " = 12.4234"
    ) in text


def test_a_node_used_twice_in_one_statement_gets_one_local_derivative() -> None:
    result = explain(autograph.parse("y = (x + 1) * (x + 1)"), {"x": 2})
    text = [line for line, _ in to_lines(result)]
    assert "  t1 = x + 1 = 2 + 1 = 3" in text  # used twice, so it is a step of its own
    assert "  dy/dt1 = 2 * t1 = 2 * 3 = 6" in text


def test_the_reverse_pass_leaves_out_variables_outside_wrt() -> None:
    graph = autograph.parse(LINEAR_REGRESSION)
    result = explain(graph, {"w": 3, "b": 1, "x": -3, "y": 5}, ["w"])
    names = [s.name for s in result.reverse if isinstance(s, ChainStep)]
    assert names == ["d", "f", "c", "w"]
    assert result.gradient == {"w": 39}


def test_a_reassigned_name_is_primed_the_second_time() -> None:
    result = explain(autograph.parse("a = x * 2; a = a + 1"), {"x": 1})
    forward = [line for line in result.forward if isinstance(line, Definition)]
    assert [line.name for line in forward] == ["x", "a", "a'"]
    text = [line for line, _ in to_lines(result)]
    assert "  a' = a + 1 = 2 + 1 = 3" in text


def test_a_program_without_variables_says_there_is_nothing_to_differentiate(run) -> None:
    out = run("explain", "2 * 3")
    assert out.code == 0, out.stderr
    assert "no variable to differentiate" in out.stdout
    assert "So t1 = 6." in out.stdout


def test_kinked_ops_explain_with_iverson_brackets() -> None:
    text = [line for line, _ in to_lines(explain(autograph.parse("y = relu(x)"), {"x": 2}))]
    assert "  dy/dx = [x > 0] = [2 > 0] = 1" in text


def long_sum(size: int) -> autograph.Graph:
    """The graph of x + x + ... + x (``size`` nodes), built directly rather than parsed."""
    add = BY_NAME["add"]
    graph = autograph.Graph("x + x + ...", ops=[VAR], inputs=[()], constants=[0.0], labels=["x"])
    graph.ops += [add] * (size - 1)
    graph.inputs += [(0, 0)] + [(node - 1, 0) for node in range(2, size)]
    graph.constants += [0.0] * (size - 1)
    graph.labels += [None] * (size - 1)
    graph.starts += [0] * size
    graph.ends += [1] * size
    graph.variables["x"] = 0
    graph.output = size - 1
    graph.statements.append((None, size - 1))
    return graph


def test_long_sum_builds_the_graph_the_parser_builds() -> None:
    built, parsed = long_sum(5), autograph.parse("x + x + x + x + x")
    assert (built.ops, built.inputs, built.labels) == (parsed.ops, parsed.inputs, parsed.labels)


def test_explaining_a_100000_node_graph_leaves_out_the_middle_and_says_so() -> None:
    graph = long_sum(100_000)
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(200)  # a recursive walk anywhere would fail loudly
    try:
        result = explain(graph, {"x": 1})
    finally:
        sys.setrecursionlimit(limit)
    gaps = [line for line in result.forward if isinstance(line, Gap)]
    assert len(gaps) == 1 and gaps[0].count == 100_000 - 400
    last = result.reverse[-1]
    assert isinstance(last, ChainStep) and last.name == "x" and last.adjoint == 100_000
    assert last.more == 100_000 - 1 - 8  # t1 = x + x counts x once as a user
    assert "more lines, left out" in "\n".join(line for line, _ in to_lines(result))


# -- The op table's formulas --


@pytest.mark.parametrize("op", OPS, ids=lambda op: op.name)
def test_every_formula_agrees_with_a_finite_difference(op) -> None:
    point = {1: (0.3,), 2: (1.7, 0.6)}[op.arity]
    forward = op.forward(ScalarMath)
    for index in range(op.arity):
        inputs = tuple(formulas.symbol(n, v) for n, v in zip("ab", point, strict=False))
        symbolic = formulas.evaluate(formulas.derivative(op, index, inputs))
        step = 1e-6
        up = list(point)
        down = list(point)
        up[index] += step
        down[index] -= step
        numeric = (forward(*up) - forward(*down)) / (2 * step)
        assert symbolic == pytest.approx(numeric, rel=1e-6, abs=1e-8), (op.name, index)


@pytest.mark.parametrize(
    ("program", "at"),
    [
        ("y = sin(x) * exp(x) / (x^2 + 1); z = log(y + 2) - sqrt(x)", {"x": 0.7}),
        ("a = x / y; b = a^3 - tanh(x*y); c = sigmoid(a + b) * softplus(b)", {"x": 1.3, "y": 0.4}),
        ("u = max(x, y) + min(x, 2*y) + abs(x - y); v = atan(u) * asin(x / 4)", {"x": 1, "y": 3}),
        (
            "p = pow(x, y) + 2^x + log2(x) + log10(y); q = cosh(p / 10) + acos(x/3)",
            {"x": 2, "y": 2},
        ),
    ],
)
def test_explained_steps_multiply_out_to_the_evaluators_adjoints(program, at) -> None:
    result = explain(autograph.parse(program), at)
    for step in result.reverse:
        assert isinstance(step, ChainStep)
        total = sum(p.adjoint * formulas.evaluate(p.local) for p in step.paths)
        assert total == pytest.approx(step.adjoint, rel=1e-9), step.name


def test_formulas_read_as_a_teacher_writes_them() -> None:
    by_name = {op.name: op for op in OPS}
    text = {name: formulas.formula_text(by_name[name], 0) for name in ("pow", "div", "sqrt", "tan")}
    assert text == {
        "pow": "b * a^(b - 1)",
        "div": "1 / b",
        "sqrt": "1 / (2 * sqrt(a))",
        "tan": "1 + tan(a)^2",
    }
    assert formulas.formula_text(by_name["div"], 1) == "-a / b^2"


def test_explain_does_not_import_sympy(run) -> None:
    import subprocess

    code = (
        "import sys\nfrom autograph.cli import main\n"
        "try:\n    main(['explain', 'f = sin(x)^2', '--at', 'x=1'])\n"
        "except SystemExit:\n    pass\n"
        "assert 'sympy' not in sys.modules\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr


def test_an_output_that_is_a_variable_needs_no_chain_rule(run) -> None:
    out = run("explain", "x", "--at", "x=2")
    assert out.code == 0, out.stderr
    assert "the output is the variable x itself, so dx/dx = 1" in out.stdout


def test_an_output_that_is_a_number_has_no_steps(run) -> None:
    out = run("explain", "y = 3")
    assert out.code == 0, out.stderr
    assert "()" not in out.stdout and "no variable to differentiate" in out.stdout


def test_a_math_failure_in_explain_is_exit_code_1(run) -> None:
    out = run("explain", "log(x)", "--at", "x=-1")
    assert out.code == 1 and "log needs a positive argument" in out.stderr


def _random_programs():
    from hypothesis import strategies as st

    leaves = st.sampled_from(["x", "y", "2", "0.5", "3"])

    def grow(children):
        unary = st.builds(
            lambda f, a: f"{f}({a})", st.sampled_from(["sin", "tanh", "exp"]), children
        )
        binary = st.builds(
            lambda a, op, b: f"({a} {op} {b})", children, st.sampled_from("+-*"), children
        )
        return unary | binary | st.builds(lambda a: f"({a})^2", children)

    expressions = st.recursive(leaves, grow, max_leaves=6)
    return st.lists(expressions, min_size=1, max_size=3).map(
        lambda parts: "; ".join(
            [f"s{i} = {part} + x * y" for i, part in enumerate(parts[:-1])]
            + [" * ".join([parts[-1], *[f"s{i}" for i in range(len(parts) - 1)]])]
        )
    )


def test_random_programs_explain_steps_that_multiply_out_to_the_adjoints() -> None:
    from hypothesis import given, settings

    @settings(max_examples=60, deadline=None, derandomize=True)
    @given(_random_programs())
    def check(program: str) -> None:
        graph = autograph.parse(program)
        at = {
            name: value for name, value in {"x": 0.3, "y": -0.7}.items() if name in graph.variables
        }
        try:
            result = explain(graph, at)
        except autograph.MathError:
            return
        for step in result.reverse:
            assert isinstance(step, ChainStep)
            total = sum(p.adjoint * formulas.evaluate(p.local) for p in step.paths)
            assert total == pytest.approx(step.adjoint, rel=1e-9, abs=1e-12), (program, step)

    check()


# -- Issue 11: the direct term, signs, the numbers put in, kinks ----------------------------
# Hand-worked: b = a^2, c = b - 3a at a = 2 gives b = 4, c = -2, dc/da = 2a - 3 = 1;
# J = (a^2 - 3a)^2 + a at a = 0.5 gives dJ/da = 2(a^2 - 3a)(2a - 3) + 1 = 2(-1.25)(-2) + 1 = 6.
DIRECT = "b = a^2; c = b - 3*a"
SIGNS = "b = a^2; c = b - 3*a; J = c^2 + a"


def test_the_direct_term_of_a_sum_is_labelled_as_the_outputs_own_partial() -> None:
    text = "\n".join(line for line, _ in to_lines(explain(autograph.parse(DIRECT), {"a": 2})))
    assert "  b = a^2 = 2^2 = 4" in text.splitlines()
    assert "  c = b - 3 * a = 4 - 3 * 2 = -2" in text.splitlines()
    expected = "  dc/da = dc/db * db/da + ∂c/∂a (direct) = 1 * 2a - 3 = 1 * 2 * 2 - 3 = 1"
    assert expected in text.splitlines()


def test_the_direct_term_is_labelled_in_latex_too() -> None:
    text = to_markdown(explain(autograph.parse(DIRECT), {"a": 2}))
    assert (
        r"+ \frac{\partial c}{\partial a}\,\text{(direct)} = 1 \cdot 2 a - 3 "
        r"= 1 \cdot 2 \cdot 2 - 3 = 1$$"
    ) in text


def test_a_single_term_from_the_output_needs_no_label() -> None:
    text = "\n".join(
        line for line, _ in to_lines(explain(autograph.parse(ONE_PARAMETER), {"x": -3}))
    )
    assert "(direct)" not in text


def test_a_negative_term_is_subtracted_never_added() -> None:
    text = "\n".join(line for line, _ in to_lines(explain(autograph.parse(SIGNS), {"a": 0.5})))
    expected = (
        "  dJ/da = dJ/db * db/da + dJ/dc * dc/da + ∂J/∂a (direct) = -2.5 * 2a - 2.5 * -3 + 1 "
        "= -2.5 * 2 * 0.5 - 2.5 * -3 + 1 = 6"
    )
    assert expected in text.splitlines()
    assert "  J = c^2 + a = (-1.25)^2 + 0.5 = 2.0625" in text.splitlines()


@pytest.mark.parametrize(
    ("program", "at"),
    [
        (SIGNS, {"a": 0.5}),
        ("u = sin(x)*y; v = exp(u)/x", {"x": 1, "y": 2}),
        ("a = x/y; b = a - y; c = -b * 3 - a", {"x": 1, "y": 2}),
        ("p = x + y; q = x - y; r = -p", {"x": 1, "y": -5}),
    ],
)
def test_no_line_of_any_format_adds_a_negative_number(program: str, at: dict[str, float]) -> None:
    told = explain(autograph.parse(program), at)
    text = "\n".join(line for line, _ in to_lines(told)) + to_markdown(told)
    assert "+ -" not in text and "- -" not in text
    assert "+ (-" not in text and "- (-" not in text


def test_a_number_put_in_after_a_minus_sign_turns_the_sign() -> None:
    text = "\n".join(
        line for line, _ in to_lines(explain(autograph.parse("f = x - y"), {"x": 2, "y": -5}))
    )
    assert "  f = x - y = 2 + 5 = 7" in text.splitlines()


def test_a_relu_at_zero_is_flagged_with_the_op_tables_convention() -> None:
    told = explain(autograph.parse("b = a^2; c = relu(b - 4) - 3*a"), {"a": 2})
    shown = [line for line, _ in to_lines(told)]
    start = shown.index("  dc/db = [b - 4 > 0] = [4 - 4 > 0] = 0")
    assert shown[start + 1 : start + 3] == [
        "    at a kink: relu is not differentiable at 0; autograph uses 0 there, as",
        "      PyTorch does",
    ]
    assert BY_NAME["relu"].kink in " ".join(line.strip() for line in shown)
    assert "  dc/da = dc/db * db/da + ∂c/∂a (direct) = 0 * 2a - 3 = 0 * 2 * 2 - 3 = -3" in shown
    assert f"*At a kink:* {BY_NAME['relu'].kink}." in to_markdown(told).splitlines()


@pytest.mark.parametrize(
    ("program", "at", "op"),
    [
        ("f = abs(x) * 2", {"x": 0}, "abs"),
        ("m = max(a, b); f = m*2", {"a": 1, "b": 1}, "max"),
        ("f = min(a, b) + a", {"a": -2, "b": -2}, "min"),
    ],
)
def test_abs_at_zero_and_a_tie_in_max_or_min_are_flagged(
    program: str, at: dict[str, float], op: str
) -> None:
    told = explain(autograph.parse(program), at)
    assert all(
        step.kinks == (BY_NAME[op].kink,)
        for step in told.reverse
        if isinstance(step, ChainStep) and step.name in at
    )
    assert all(len(line) <= 80 for line, _ in to_lines(told) if "at a kink" in line)


@pytest.mark.parametrize(
    ("program", "at"),
    [
        ("b = a^2; c = relu(b - 4) - 3*a", {"a": 3}),
        ("f = abs(x) * 2", {"x": -0.5}),
        ("m = max(a, b); f = m*2", {"a": 1, "b": 2}),
    ],
)
def test_a_kinked_op_away_from_its_kink_is_not_flagged(program: str, at: dict[str, float]) -> None:
    told = explain(autograph.parse(program), at)
    assert not any("kink" in line for line, _ in to_lines(told))
    assert "kink" not in to_markdown(told)


def test_forward_mode_flags_a_kink_on_the_way_too() -> None:
    told = explain(
        autograph.parse("y = relu(x); z = y*w"), {"x": 0, "w": 2}, mode="forward", tangent={"x": 1}
    )
    shown = [line for line, _ in to_lines(told)]
    assert "    at a kink: relu is not differentiable at 0; autograph uses 0 there, as" in shown


def test_an_output_that_depends_on_no_variable_says_so() -> None:
    told = explain(autograph.parse("y = x; k = 2; k"), {"x": 1})
    shown = [line for line, _ in to_lines(told)]
    assert "Reverse pass: k does not depend on x, so dk/dx = 0" in shown
    assert "itself" not in to_markdown(told)


def test_an_output_that_is_a_variable_is_still_said_to_be_that_variable() -> None:
    shown = [line for line, _ in to_lines(explain(autograph.parse("x"), {"x": 1}))]
    assert "Reverse pass: the output is the variable x itself, so dx/dx = 1" in shown


def test_the_kink_and_direct_term_example_matches_its_golden_files() -> None:
    # Hand-worked: b = 4, c = relu(0) - 6 = -6; dc/db = 0 by relu's convention at 0;
    # dc/da = 0 * 2a - 3 = -3.
    told = explain(autograph.parse("b = a^2; c = relu(b - 4) - 3*a"), {"a": 2})
    check_golden("explain-kink-direct.txt", "\n".join(line for line, _ in to_lines(told)) + "\n")
    check_golden("explain-kink-direct.md", to_markdown(told))


@pytest.mark.parametrize(
    ("program", "at", "line"),
    [
        ("f = sin(x)", {"x": 1}, "  df/dx = cos(x) = cos(1) = 0.540302"),
        ("abs(x)", {"x": 0}, "  dt1/dx = sign(x) = sign(0) = 0"),
        ("f = relu(x)", {"x": -1}, "  df/dx = [x > 0] = [-1 > 0] = 0"),
    ],
)
def test_a_step_whose_formula_is_one_function_still_shows_the_numbers_put_in(
    program: str, at: dict[str, float], line: str
) -> None:
    assert line in [text for text, _ in to_lines(explain(autograph.parse(program), at))]
    assert math.isclose(math.cos(1), 0.5403023058681398)  # the reference for the first line
