"""autograph diff: symbolic partial derivatives, checked against formulas built by hand in SymPy."""

from __future__ import annotations

import time

import pytest
import sympy as sp

import autograph
from autograph import symbolic
from autograph.symbolic import diff

x, y, w, b = sp.symbols("x y w b", real=True)
REGRESSION = "c = w*x; f = c + b; d = f - y; J = 0.5*d^2"


def same(left: sp.Expr, right: sp.Expr) -> bool:
    return sp.simplify((left - right).rewrite(sp.exp)) == 0


def test_the_one_parameter_example_gives_6_h_squared_g_and_216() -> None:
    result = diff(autograph.parse("((x+5)^3+1)^2"), at={"x": -3})
    (dx,) = result.derivatives
    assert same(dx.expression, 6 * (x + 5) ** 2 * ((x + 5) ** 3 + 1))
    assert dx.value == 216 and result.value == 81


def test_the_regression_example_gives_the_residual_times_x_and_the_residual() -> None:
    at = {"x": -3, "y": 5, "w": 3, "b": 1}
    dw, db = diff(autograph.parse(REGRESSION), ["w", "b"], at).derivatives
    assert same(dw.expression, x * (w * x + b - y)) and dw.value == 39
    assert same(db.expression, w * x + b - y) and db.value == -13


def test_shared_nodes_and_reassignment_give_the_derivative_of_the_whole_formula() -> None:
    result = diff(autograph.parse("a = x*y; a = a + sin(a); a*a"))
    formula = (x * y + sp.sin(x * y)) ** 2
    assert [d.variable for d in result.derivatives] == ["x", "y"]
    assert same(result.derivatives[0].expression, sp.diff(formula, x))
    assert same(result.derivatives[1].expression, sp.diff(formula, y))


def test_numbers_are_read_as_written_so_formulas_stay_exact() -> None:
    result = diff(autograph.parse("0.1*x^2 + 2.5e-1*x + pi"))
    assert result.derivatives[0].text == "x/5 + 1/4"
    assert str(result.function) == "x**2/10 + x/4 + pi"


def test_names_that_look_like_code_stay_names() -> None:
    result = diff(autograph.parse("__import__ * exec + 1"), ["exec"])
    assert result.derivatives[0].text == "__import__"


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("relu(x)", sp.Heaviside(x)),
        ("abs(x)", sp.sign(x)),
        ("max(x, y)", sp.Heaviside(x - y)),
        ("log2(x)", 1 / (x * sp.log(2))),
        ("sigmoid(x)", sp.exp(-x) / (1 + sp.exp(-x)) ** 2),
        ("softplus(x)", 1 / (1 + sp.exp(-x))),
        ("x^3", 3 * x**2),
        ("pow(2, x)", 2**x * sp.log(2)),
    ],
)
def test_each_function_has_its_textbook_derivative(source, expected) -> None:
    assert same(diff(autograph.parse(source), ["x"]).derivatives[0].expression, expected)


def test_a_point_outside_the_domain_is_the_usual_domain_error() -> None:
    with pytest.raises(autograph.MathError) as failure:
        diff(autograph.parse("log(x - 3)"), at={"x": 1})
    assert failure.value.kind == "domain"


def test_a_derivative_formula_undefined_at_the_point_is_a_gradient_error() -> None:
    with pytest.raises(autograph.MathError) as failure:
        diff(autograph.parse("x^y"), ["y"], {"x": 0, "y": 2})  # x^y log(x) at x = 0
    assert failure.value.kind == "gradient"
    assert "x**y*log(x)" in failure.value.message


def test_running_out_of_time_is_a_clean_timeout_error() -> None:
    lines = ["a0 = x"] + [f"a{i} = a{i - 1}*0.5 + sin(a{i - 1}) + y" for i in range(1, 16)]
    started = time.monotonic()
    with pytest.raises(symbolic.SymbolicLimit) as stopped:
        diff(autograph.parse("; ".join(lines)), timeout=0.3)
    assert time.monotonic() - started < 3
    assert stopped.value.kind == "timeout" and stopped.value.exit_code == 1


def test_a_formula_too_deep_for_sympy_is_a_clean_error() -> None:
    text = "x"
    for _ in range(400):
        text = f"sin({text})"
    with pytest.raises(symbolic.SymbolicLimit) as stopped:
        diff(autograph.parse(text), timeout=None)  # the depth decides, not the load
    assert stopped.value.kind == "too-deep"


def test_simplification_cut_short_by_the_budget_leaves_the_derivative_unsimplified(
    monkeypatch,
) -> None:
    def forever(expression):
        while True:
            pass

    monkeypatch.setattr(symbolic, "_simplify", forever)
    result = diff(autograph.parse(REGRESSION), ["b"], timeout=0.2)
    (db,) = result.derivatives
    assert not db.simplified
    assert same(db.expression, w * x + b - y)
    assert "not simplified" in symbolic.render(result)


# The command line


def test_diff_pretty_prints_each_partial_derivative(run) -> None:
    out = run("diff", REGRESSION, "--wrt", "w,b")
    assert out.code == 0, out.stderr
    assert out.stdout.splitlines() == ["∂J/∂w = x⋅(b + w⋅x - y)", "∂J/∂b = b + w⋅x - y"]


def test_an_unnamed_output_has_the_generated_name_grad_gives_it(run) -> None:
    out = run("diff", "x*y", "--wrt", "y")
    assert out.stdout.strip() == "∂t1/∂y = x"


def test_diff_at_a_point_adds_the_values(run) -> None:
    out = run("diff", REGRESSION, "--wrt", "w,b", "--at", "x=-3,y=5,w=3,b=1")
    assert out.stdout.splitlines() == ["∂J/∂w = x⋅(b + w⋅x - y) = 39", "∂J/∂b = b + w⋅x - y = -13"]


def test_diff_json_gives_each_derivative_as_sympy_text_and_latex(run) -> None:
    out = run("diff", "((x+5)^3+1)^2", "--at", "x=-3", "--json")
    data = out.json()
    assert data["value"] == 81
    dx = data["derivatives"]["x"]
    assert dx["expression"] == "6*(x + 5)**2*((x + 5)**3 + 1)"
    assert dx["latex"] == r"6 \left(x + 5\right)^{2} \left(\left(x + 5\right)^{3} + 1\right)"
    assert dx["value"] == 216 and dx["simplified"] is True
    assert data["function"]["expression"] == "((x + 5)**3 + 1)**2"


def test_diff_without_at_has_no_values(run) -> None:
    data = run("diff", REGRESSION, "--json").json()
    assert "value" not in data
    assert all("value" not in d for d in data["derivatives"].values())
    assert list(data["derivatives"]) == ["w", "x", "b", "y"]


@pytest.mark.parametrize(
    ("args", "code", "kind"),
    [
        (("diff", "x*y", "--wrt", "z"), 2, "bad-wrt"),
        (("diff", "x*y", "--at", "x=1"), 2, "unbound-variable"),
        (("diff", "sqrt(x)", "--at", "x=-1"), 1, "domain"),
        (("diff", "x*", "--wrt", "x"), 2, "syntax"),
        (("diff", "x", "--timeout", "-1"), 2, "usage"),
        (("diff", "sqrt(-1)*x"), 1, "domain"),
        (("diff", "a = max(1/0, 1); x^2"), 1, "domain"),
        (("diff", "x/0"), 1, "gradient"),
        (("diff", "(-1)^x"), 1, "gradient"),
    ],
)
def test_diff_errors_have_the_usual_kinds_and_exit_codes(run, args, code, kind) -> None:
    out = run(*args, "--json")
    assert out.code == code
    assert out.error()["kind"] == kind
    assert out.stdout == ""


def test_diff_timeout_is_exit_1_with_a_message_that_names_the_option(run) -> None:
    lines = ["a0 = x"] + [f"a{i} = a{i - 1}*0.5 + sin(a{i - 1}) + y" for i in range(1, 16)]
    out = run("diff", "; ".join(lines), "--timeout", "0.2")
    assert out.code == 1
    assert out.stderr.startswith("error: SymPy did not finish") and "--timeout" in out.stderr
    assert "Traceback" not in out.stderr
