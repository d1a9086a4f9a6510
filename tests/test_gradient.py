"""Values and derivatives: every function against its closed form, shared nodes, conventions."""

from __future__ import annotations

import math

import pytest

import autograph
from autograph import MathError

# (function, a point inside its domain, closed-form value, closed-form derivative)
CLOSED_FORMS = [
    ("sin", 0.7, math.sin, math.cos),
    ("cos", 0.7, math.cos, lambda x: -math.sin(x)),
    ("tan", 0.7, math.tan, lambda x: 1 / math.cos(x) ** 2),
    ("asin", 0.3, math.asin, lambda x: 1 / math.sqrt(1 - x * x)),
    ("acos", 0.3, math.acos, lambda x: -1 / math.sqrt(1 - x * x)),
    ("atan", 0.7, math.atan, lambda x: 1 / (1 + x * x)),
    ("sinh", 0.7, math.sinh, math.cosh),
    ("cosh", 0.7, math.cosh, math.sinh),
    ("tanh", 0.7, math.tanh, lambda x: 1 / math.cosh(x) ** 2),
    ("exp", 0.7, math.exp, math.exp),
    ("log", 0.7, math.log, lambda x: 1 / x),
    ("ln", 0.7, math.log, lambda x: 1 / x),
    ("log2", 0.7, math.log2, lambda x: 1 / (x * math.log(2))),
    ("log10", 0.7, math.log10, lambda x: 1 / (x * math.log(10))),
    ("sqrt", 0.7, math.sqrt, lambda x: 0.5 / math.sqrt(x)),
    ("abs", -0.7, abs, lambda x: -1.0),
    (
        "sigmoid",
        0.7,
        lambda x: 1 / (1 + math.exp(-x)),
        lambda x: math.exp(-x) / (1 + math.exp(-x)) ** 2,
    ),
    ("relu", 0.7, lambda x: x, lambda x: 1.0),
    ("relu", -0.7, lambda x: 0.0, lambda x: 0.0),
    ("softplus", 0.7, lambda x: math.log(1 + math.exp(x)), lambda x: 1 / (1 + math.exp(-x))),
]


@pytest.mark.parametrize(("name", "x", "value", "derivative"), CLOSED_FORMS)
def test_each_function_matches_its_closed_form(name, x, value, derivative) -> None:
    result = autograph.backward(autograph.parse(f"{name}(x)"), {"x": x})
    assert result.value == pytest.approx(value(x), rel=1e-14)
    assert result.gradient["x"] == pytest.approx(derivative(x), rel=1e-14)


@pytest.mark.parametrize(
    ("source", "at", "value", "gradient"),
    [
        ("x + y", {"x": 2, "y": 5}, 7, {"x": 1, "y": 1}),
        ("x - y", {"x": 2, "y": 5}, -3, {"x": 1, "y": -1}),
        ("x * y", {"x": 2, "y": 5}, 10, {"x": 5, "y": 2}),
        ("x / y", {"x": 2, "y": 5}, 0.4, {"x": 0.2, "y": -2 / 25}),
        ("-x", {"x": 2}, -2, {"x": -1}),
        ("x ^ y", {"x": 2, "y": 5}, 32, {"x": 5 * 16, "y": 32 * math.log(2)}),
        ("pow(x, y)", {"x": 2, "y": 5}, 32, {"x": 5 * 16, "y": 32 * math.log(2)}),
        ("max(x, y)", {"x": 2, "y": 5}, 5, {"x": 0, "y": 1}),
        ("min(x, y)", {"x": 2, "y": 5}, 2, {"x": 1, "y": 0}),
    ],
)
def test_each_operator_matches_its_closed_form(source, at, value, gradient) -> None:
    result = autograph.backward(autograph.parse(source), at)
    assert result.value == pytest.approx(value, rel=1e-15)
    assert result.gradient == pytest.approx(gradient, rel=1e-15)


def test_a_shared_node_sums_the_adjoints_of_both_paths() -> None:
    result = autograph.backward(autograph.parse("(x+1)*(x+1)"), {"x": 2})
    shared = [op.name for op in result.graph.ops].index("add")
    assert result.adjoints[shared] == 6  # d(u*u)/du = 2u = 6
    assert result.gradient == {"x": 6}


def test_a_variable_used_on_many_paths_accumulates_them_all() -> None:
    result = autograph.backward(autograph.parse("a = x*x; b = a*x; a + b + x"), {"x": 3})
    assert result.gradient["x"] == 2 * 3 + 3 * 9 + 1


def test_reassignment_is_differentiated_through_every_version() -> None:
    result = autograph.backward(autograph.parse("a = x; a = a*a; a = a*a"), {"x": 2})
    assert result.value == 16
    assert result.gradient == {"x": 4 * 2**3}


def test_constants_and_dead_statements_have_no_adjoint() -> None:
    result = autograph.backward(autograph.parse("dead = x * 7; y = x + 2; y * 3"), {"x": 1})
    names = result.graph.names
    adjoint = dict(zip(names, result.adjoints, strict=True))
    assert adjoint["dead"] is None and adjoint["7"] is None and adjoint["3"] is None
    assert adjoint["y"] == 3


def test_wrt_limits_the_gradient_and_the_adjoints_to_the_chosen_variables() -> None:
    result = autograph.backward(
        autograph.parse("a = x * 2; b = y * 3; a + b"), {"x": 1, "y": 1}, ["y"]
    )
    adjoint = dict(zip(result.graph.names, result.adjoints, strict=True))
    assert result.gradient == {"y": 3}
    assert adjoint["a"] is None and adjoint["x"] is None and adjoint["b"] == 1


def test_a_program_without_variables_has_an_empty_gradient() -> None:
    result = autograph.backward(autograph.parse("2 + 3"), {})
    assert result.value == 5 and result.gradient == {}


def test_relu_and_abs_have_derivative_zero_at_their_kink_as_pytorch() -> None:
    assert autograph.backward(autograph.parse("relu(x)"), {"x": 0}).gradient == {"x": 0}
    assert autograph.backward(autograph.parse("abs(x)"), {"x": 0}).gradient == {"x": 0}


def test_max_and_min_split_the_gradient_equally_at_a_tie() -> None:
    assert autograph.backward(autograph.parse("max(x, y)"), {"x": 1, "y": 1}).gradient == {
        "x": 0.5,
        "y": 0.5,
    }
    assert autograph.backward(autograph.parse("min(x, y)"), {"x": 1, "y": 1}).gradient == {
        "x": 0.5,
        "y": 0.5,
    }


@pytest.mark.parametrize("x", [-800.0, 800.0])
def test_sigmoid_and_softplus_are_stable_far_from_zero(x: float) -> None:
    s = autograph.backward(autograph.parse("sigmoid(x)"), {"x": x})
    p = autograph.backward(autograph.parse("softplus(x)"), {"x": x})
    assert s.value == (1.0 if x > 0 else 0.0)
    assert p.value == pytest.approx(max(x, 0.0))
    assert p.gradient["x"] == (1.0 if x > 0 else 0.0)


def test_a_constant_exponent_on_a_negative_base_needs_no_log() -> None:
    result = autograph.backward(autograph.parse("(x - 5)^3"), {"x": 0})
    assert result.value == -125 and result.gradient == {"x": 75}


@pytest.mark.parametrize(
    ("source", "at", "kind", "fragment"),
    [
        ("log(x - 3)", {"x": 2}, "domain", "`log(x - 3)` is undefined: log(-1)"),
        ("sqrt(x)", {"x": -1}, "domain", "sqrt needs a non-negative argument"),
        ("1 / x", {"x": 0}, "domain", "1 / 0"),
        ("asin(x)", {"x": 2}, "domain", "[-1, 1]"),
        ("acos(x)", {"x": -2}, "domain", "[-1, 1]"),
        ("x ^ -1", {"x": 0}, "domain", "0 ^ (-1)"),
        ("x ^ 0.5", {"x": -2}, "domain", "(-2) ^ 0.5"),
        ("exp(x)", {"x": 1000}, "overflow", "overflows"),
        ("x * 1e308 * 10", {"x": 1}, "overflow", "overflows"),
        ("dead = log(x); x", {"x": -1}, "domain", "log"),
    ],
)
def test_math_failures_name_the_subexpression(source, at, kind, fragment) -> None:
    with pytest.raises(MathError) as raised:
        autograph.forward(autograph.parse(source), at)
    assert raised.value.kind == kind
    assert fragment in raised.value.message


@pytest.mark.parametrize(
    ("source", "at"),
    [("sqrt(x)", {"x": 0}), ("(-2)^x", {"x": 2}), ("x^0.5", {"x": 0})],
)
def test_an_infinite_or_undefined_derivative_is_a_math_failure(source, at) -> None:
    autograph.forward(autograph.parse(source), at)  # the value itself is fine
    with pytest.raises(MathError) as raised:
        autograph.backward(autograph.parse(source), at)
    assert raised.value.kind == "gradient"


def test_a_missing_variable_value_is_an_input_error() -> None:
    with pytest.raises(autograph.InputError) as raised:
        autograph.forward(autograph.parse("x + y"), {"x": 1})
    assert raised.value.kind == "unbound-variable" and "y" in raised.value.message


def test_a_value_for_a_name_that_is_not_a_variable_is_an_input_error() -> None:
    with pytest.raises(autograph.InputError) as raised:
        autograph.forward(autograph.parse("x + 1"), {"x": 1, "z": 2})
    assert raised.value.kind == "unknown-variable"


def test_wrt_a_name_that_is_not_a_variable_is_an_input_error() -> None:
    with pytest.raises(autograph.InputError) as raised:
        autograph.backward(autograph.parse("a = x + 1; a"), {"x": 1}, ["a"])
    assert raised.value.kind == "bad-wrt" and "assigned" in raised.value.message


def test_every_op_in_the_table_has_a_scalar_forward_function_and_one_partial_per_input() -> None:
    from autograph.ops import OPS, ScalarMath

    for op in OPS:
        assert callable(op.forward(ScalarMath)), op.name
        assert len(op.partials) == op.arity, op.name


@pytest.mark.parametrize("x", [-40.0, -20.0, 20.0, 40.0])
def test_sigmoid_and_tanh_derivatives_keep_every_digit_far_from_zero(x: float) -> None:
    sigmoid = autograph.backward(autograph.parse("sigmoid(x)"), {"x": x}).gradient["x"]
    tanh = autograph.backward(autograph.parse("tanh(x)"), {"x": x}).gradient["x"]
    assert sigmoid == pytest.approx(math.exp(-abs(x)) / (1 + math.exp(-abs(x))) ** 2, rel=1e-14)
    assert tanh == pytest.approx(1 / math.cosh(x) ** 2, rel=1e-14)


@pytest.mark.parametrize("source", ["x^0", "pow(x, 0)"])
def test_a_zeroth_power_has_derivative_zero_even_at_zero(source: str) -> None:
    result = autograph.backward(autograph.parse(source), {"x": 0})
    assert result.value == 1 and result.gradient == {"x": 0}


def test_an_infinite_gradient_names_the_node_whose_derivative_overflowed() -> None:
    with pytest.raises(MathError) as raised:
        autograph.backward(autograph.parse("h = x*1; g = log(h); f = g*2"), {"x": 1e-320})
    assert "`log(h)`" in raised.value.message
    assert raised.value.details["node"] == autograph.parse("h = x*1; g = log(h)").output


# Issue 10 item 6: a partial whose contribution is exactly 0 is not needed.


def test_an_undefined_partial_multiplied_by_an_exact_zero_does_not_fail_the_pass() -> None:
    # max chose the constant 2, so the exponent does not depend on x here: the power is
    # (-(1e-3/x))^2 = 1e-6 / x^2, whose derivative is -2e-6 / x^3 (PyTorch gives the same).
    result = autograph.backward(autograph.parse("(-(1e-3/x))^max(tanh(x),2)"), {"x": 1.0})
    assert result.value == pytest.approx(1e-6, rel=1e-15)
    assert result.gradient["x"] == pytest.approx(-2e-6, rel=1e-15)
    max_node = [op.name for op in result.graph.ops].index("max")
    assert result.adjoints[max_node] is None  # no variable's influence reaches it here


@pytest.mark.parametrize("source", ["max(sqrt(x), 5)", "min(-5, sqrt(x))", "relu(-1 - sqrt(x))"])
def test_an_infinite_partial_behind_an_input_not_selected_is_not_needed(source) -> None:
    result = autograph.backward(autograph.parse(source), {"x": 0.0})
    assert result.gradient == {"x": 0.0}


@pytest.mark.parametrize(
    ("source", "at"),
    [
        ("max(sqrt(x), -5)", {"x": 0.0}),  # max chose sqrt(x): its infinite slope is needed
        ("(-(1e-3/x))^max(x + 1, 0.5)", {"x": 1.0}),  # max chose x + 1: the exponent moves
        ("(-2)^x", {"x": -2000.0}),  # the log of the negative base, however small the power
        ("cbrt(x^3)", {"x": 0.0}),  # x^3's slope 0 is arithmetic, not a choice: 0 * inf
    ],
)
def test_an_undefined_partial_that_is_needed_still_fails_the_pass(source, at) -> None:
    with pytest.raises(MathError) as failure:
        autograph.backward(autograph.parse(source), at)
    assert failure.value.kind == "gradient"


def test_the_check_agrees_where_the_undefined_partial_is_not_needed() -> None:
    from autograph.referee import check

    checked = check(autograph.parse("(-(1e-3/x))^max(tanh(x),2)"), {"x": 1.0})
    assert checked.agrees and checked.variables[0].referee == pytest.approx(-2e-6, rel=1e-12)


def test_the_careful_pass_gives_what_the_fast_pass_gives_where_both_succeed() -> None:
    from hypothesis import given, settings

    from autograph.evaluate import _careful_backward
    from test_properties import FAST, graph_and_point, programs

    @settings(FAST, max_examples=60)
    @given(programs())
    def agree(program: tuple[str, dict[str, float]]) -> None:
        graph, at = graph_and_point(*program)
        fast = autograph.backward(graph, at)
        careful = _careful_backward(graph, fast.values, fast.wrt, graph.plan.live)
        assert careful.gradient == pytest.approx(fast.gradient, rel=1e-15, abs=0)

    agree()
