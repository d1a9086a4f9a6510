"""The vectorised passes: costs and gradients over datasets, against closed forms and rows."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograph
from autograph import batch
from autograph.evaluate import backward, forward
from autograph.ops import OPS, ScalarMath

LINEAR = "0.5*(w*x+b-y)^2"
LOGISTIC = "-(y*log(sigmoid(w1*x1+w2*x2+b)) + (1-y)*log(1-sigmoid(w1*x1+w2*x2+b)))"


def close(actual: float, expected: float, rel: float = 1e-9) -> bool:
    return math.isclose(actual, expected, rel_tol=rel, abs_tol=1e-300)


@pytest.mark.parametrize("chunk", [7, 1000, None])
def test_linear_regression_cost_and_gradient_match_the_closed_form(chunk: int | None) -> None:
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=5000), rng.normal(size=5000)
    w, b = 0.7, -0.2
    r = w * x + b - y
    got = batch.cost(autograph.parse(LINEAR), {"x": x, "y": y}, {"w": w, "b": b}, chunk=chunk)
    assert got.samples == 5000
    assert close(got.value, float(np.mean(0.5 * r * r)))
    assert close(got.gradient["w"], float(np.mean(r * x)))
    assert close(got.gradient["b"], float(np.mean(r)))


@pytest.mark.parametrize("chunk", [13, None])
def test_logistic_regression_cost_and_gradient_match_the_closed_form(chunk: int | None) -> None:
    rng = np.random.default_rng(2)
    x1, x2 = rng.normal(size=4000), rng.normal(size=4000)
    y = (rng.random(4000) < 0.4).astype(float)
    w1, w2, b = 0.5, -1.3, 0.1
    s = 1 / (1 + np.exp(-(w1 * x1 + w2 * x2 + b)))
    data = {"x1": x1, "x2": x2, "y": y}
    got = batch.cost(autograph.parse(LOGISTIC), data, {"w1": w1, "w2": w2, "b": b}, chunk=chunk)
    assert close(got.value, float(-np.mean(y * np.log(s) + (1 - y) * np.log(1 - s))))
    assert close(got.gradient["w1"], float(np.mean((s - y) * x1)))
    assert close(got.gradient["w2"], float(np.mean((s - y) * x2)))
    assert close(got.gradient["b"], float(np.mean(s - y)))


def test_the_one_sample_example_gives_the_worked_numbers() -> None:
    result = batch.backward(autograph.parse(LINEAR), {"x": [-3.0], "y": [5.0]}, {"w": 3, "b": 1})
    assert (result.value, result.gradient) == (84.5, {"w": 39.0, "b": -13.0})


def test_reduce_sum_is_the_mean_times_the_number_of_rows() -> None:
    rng = np.random.default_rng(3)
    data = {"x": rng.normal(size=300), "y": rng.normal(size=300)}
    graph = autograph.parse(LINEAR)
    mean = batch.cost(graph, data, {"w": 2, "b": 1}, chunk=64)
    total = batch.cost(graph, data, {"w": 2, "b": 1}, reduce="sum", chunk=64)
    assert close(total.value, 300 * mean.value)
    assert all(close(total.gradient[n], 300 * mean.gradient[n]) for n in ("w", "b"))


def test_each_nodes_statistics_are_means_of_the_scalar_evaluators_rows() -> None:
    program = "c = w*x; f = c + b; d = f - y; J = 0.5*d^2 + sin(w*y)"
    graph = autograph.parse(program)
    rng = np.random.default_rng(4)
    xs, ys = rng.normal(size=50), rng.normal(size=50)
    at = {"w": 0.3, "b": -1.0}
    result = batch.backward(graph, {"x": xs, "y": ys}, at, chunk=16)
    rows = [
        backward(graph, {**at, "x": x, "y": y}, ["w", "b"]) for x, y in zip(xs, ys, strict=True)
    ]
    for node in range(len(graph)):
        assert close(result.values[node], float(np.mean([r.values[node] for r in rows])))
        adjoints = [r.adjoints[node] for r in rows]
        if adjoints[0] is None:
            assert result.adjoints[node] is None
        else:
            assert close(result.adjoints[node] or 0.0, float(np.mean(adjoints)))  # type: ignore[arg-type]
        for k, partial in enumerate(result.partials[node]):
            expected = [r.partials[node][k] for r in rows]
            if expected[0] is None:
                assert partial is None
            else:
                assert partial is not None and close(partial, float(np.mean(expected)))  # type: ignore[arg-type]


def _op_program(name: str, arity: int) -> str:
    if arity == 1:
        return f"{name}(w*x)" if name not in ("neg",) else "-(w*x)"
    symbol = {"add": "+", "sub": "-", "mul": "*", "div": "/", "pow": "^"}.get(name)
    return f"(w*x) {symbol} (x + w)" if symbol else f"{name}(w*x, x + w)"


@pytest.mark.parametrize("op", OPS, ids=lambda op: op.name)
def test_every_op_agrees_with_the_scalar_evaluator_row_by_row(op: autograph.graph.Op) -> None:
    graph = autograph.parse(_op_program(op.name, op.arity))
    xs = np.array([0.11, 0.23, 0.37, 0.52, 0.68, 0.81, 0.5, 1.0 / 3.0])  # 0.5: a tie for max/min
    at = {"w": 1.0 if op.name in ("max", "min") else 0.9}
    got = batch.backward(graph, {"x": xs}, at, ["w", "x"], chunk=3)
    rows = [backward(graph, {**at, "x": float(x)}, ["w", "x"]) for x in xs]
    assert close(got.value, float(np.mean([r.value for r in rows])), 1e-12)
    for name in ("w", "x"):
        assert close(got.gradient[name], float(np.mean([r.gradient[name] for r in rows])), 1e-12)
    values = list(batch.values(graph, {"x": xs}, at, chunk=5))
    assert np.allclose(np.concatenate(values), [r.value for r in rows], rtol=1e-13, atol=0)


def test_the_array_backend_has_every_function_of_the_scalar_backend() -> None:
    names = {name for name in vars(ScalarMath) if not name.startswith("_")}
    assert names <= {name for name in dir(batch.ArrayMath) if not name.startswith("_")}


@pytest.mark.parametrize("name", ["sigmoid", "softplus"])
def test_sigmoid_and_softplus_over_arrays_are_stable_and_match_the_scalar_ones(name: str) -> None:
    points = [-800.0, -745.5, -720.0, -709.9, -40.0, -1e-3, 0.0, 2.5, 40.0, 709.9, 800.0]
    with batch.raising():
        got = getattr(batch.ArrayMath, name)(np.array(points))
    expected = [getattr(ScalarMath, name)(p) for p in points]
    assert np.all(np.isfinite(got))
    assert np.allclose(got, expected, rtol=1e-15, atol=0)


def test_a_domain_error_names_the_row_and_the_node() -> None:
    x1 = np.zeros(100)
    x1[57] = 40.0  # sigmoid(40) rounds to 1: log(1 - sigmoid) is log(0) in row 58
    data = {"x1": x1, "x2": np.zeros(100), "y": np.zeros(100)}
    with pytest.raises(autograph.MathError) as caught:
        batch.cost(autograph.parse(LOGISTIC), data, {"w1": 1, "w2": 1, "b": 0}, chunk=16)
    err = caught.value
    assert err.kind == "domain" and err.details["row"] == 58
    assert err.message.startswith("row 58: `log(1-sigmoid(w1*x1+w2*x2+b))` is undefined: log(0)")


def test_the_first_failing_row_is_named_even_in_a_later_chunk() -> None:
    xs = np.linspace(1, 2, 1000)
    xs[[700, 900]] = -1.0
    with pytest.raises(autograph.MathError) as caught:
        list(batch.values(autograph.parse("sqrt(x) + w"), {"x": xs}, {"w": 1}, chunk=64))
    assert caught.value.details["row"] == 701 and "sqrt(-1)" in caught.value.message


def test_a_failure_in_the_parameters_alone_names_the_first_row() -> None:
    with pytest.raises(autograph.MathError) as caught:
        batch.cost(autograph.parse("log(w) * x"), {"x": [1.0, 2.0]}, {"w": -1})
    assert caught.value.details["row"] == 1 and "log(-1)" in caught.value.message


def test_an_infinite_derivative_in_one_row_is_an_error_naming_it() -> None:
    with pytest.raises(autograph.MathError) as caught:
        batch.cost(autograph.parse("sqrt(x*w)"), {"x": [4.0, 1.0, 0.0, 2.0]}, {"w": 1})
    assert caught.value.kind == "gradient" and caught.value.details["row"] == 3


def test_a_sum_over_the_rows_that_overflows_is_an_error() -> None:
    with pytest.raises(autograph.MathError) as caught:
        batch.cost(autograph.parse("x*w"), {"x": [1e308] * 4}, {"w": 1.0}, reduce="sum")
    assert caught.value.kind == "overflow"


def test_the_gradient_is_by_default_with_respect_to_the_parameters() -> None:
    got = batch.cost(autograph.parse("w*x + b"), {"x": [1.0, 3.0]}, {"w": 2, "b": 1})
    assert got.gradient == {"w": 2.0, "b": 1.0}


def test_the_gradient_with_respect_to_a_column_is_its_mean_per_sample_adjoint() -> None:
    got = batch.cost(autograph.parse("w*x^2"), {"x": [1.0, 3.0]}, {"w": 2}, ["x", "w"])
    assert got.gradient == {"x": (4.0 + 12.0) / 2, "w": (1.0 + 9.0) / 2}


def test_a_program_that_uses_no_column_is_the_same_in_every_row() -> None:
    got = batch.cost(autograph.parse("w^2"), {"unused": [1.0, 2.0, 3.0]}, {"w": 3}, reduce="sum")
    assert (got.value, got.gradient, got.samples) == (27.0, {"w": 18.0}, 3)


def test_values_streams_a_chunk_at_a_time() -> None:
    taken = []

    def chunks():  # as a file larger than memory would be read
        for start in range(0, 10**9, 100):
            taken.append(start)
            yield {"x": np.arange(start, start + 100, dtype=float)}

    first = next(batch.values(autograph.parse("2*x"), chunks(), {}))
    assert first[:3].tolist() == [0.0, 2.0, 4.0] and len(taken) == 1


def test_an_empty_dataset_has_no_cost() -> None:
    with pytest.raises(autograph.InputError, match="no samples"):
        batch.cost(autograph.parse("x*w"), {"x": []}, {"w": 1})


def test_bind_columns_refuses_unknown_columns_unless_asked() -> None:
    graph = autograph.parse(LINEAR)
    with pytest.raises(autograph.InputError, match="--ignore-extra-columns"):
        batch.bind_columns(graph, ["x", "y", "z"], {"w": 1, "b": 0})
    assert batch.bind_columns(graph, ["x", "y", "z"], {"w": 1, "b": 0}, ignore_extra=True) == [
        "x",
        "y",
    ]


def test_bind_columns_refuses_a_variable_bound_twice_or_not_at_all() -> None:
    graph = autograph.parse(LINEAR)
    with pytest.raises(autograph.InputError, match="both a column"):
        batch.bind_columns(graph, ["x", "y", "w"], {"w": 1, "b": 0})
    with pytest.raises(autograph.InputError, match="no value for b"):
        batch.bind_columns(graph, ["x", "y"], {"w": 1})


@st.composite
def programs(draw: st.DrawFn) -> str:
    """A random expression in x (a column) and w (a parameter), as text."""
    unary = ["sin", "cos", "exp", "log", "sqrt", "tanh", "sigmoid", "softplus", "abs", "relu"]
    terms = [draw(st.sampled_from(["x", "w", "0.5", "2", "-1.5"]))]
    for _ in range(draw(st.integers(1, 6))):
        if draw(st.booleans()):
            terms.append(f"{draw(st.sampled_from(unary))}({terms[-1]})")
        else:
            other = draw(st.sampled_from(["x", "w", "3", "0.25", *terms]))
            terms.append(f"({terms[-1]} {draw(st.sampled_from('+-*/^'))} {other})")
    return terms[-1]


@settings(max_examples=60, deadline=None)
@given(programs(), st.lists(st.floats(-3, 3), min_size=1, max_size=12), st.floats(-2, 2))
def test_random_programs_agree_with_the_scalar_evaluator_or_fail_at_the_same_row(
    program: str, xs: list[float], w: float
) -> None:
    graph = autograph.parse(program)
    if "x" not in graph.variables or "w" not in graph.variables:
        return
    first_failure = None
    rows, bounds = [], []
    for row, x in enumerate(xs, 1):
        try:
            result = forward(graph, {"x": x, "w": w})
        except autograph.MathError:
            first_failure = first_failure or row
            continue
        rows.append(result.value)
        bounds.append(rounding_bound(graph, result.values))
    try:
        got = np.concatenate(list(batch.values(graph, {"x": np.array(xs)}, {"w": w}, chunk=5)))
    except autograph.MathError as err:
        assert err.details["row"] == first_failure
        return
    assert first_failure is None
    for batched, scalar, bound in zip(got, rows, bounds, strict=True):
        assert abs(batched - scalar) <= bound, (batched, scalar, bound)


def rounding_bound(graph: autograph.Graph, values: list[float]) -> float:
    """How far two float64 evaluations of the graph may differ: each node rounds by a few
    ulps (NumPy's and libm's functions differ there), and the output moves by the node's
    error times d(output)/d(node) summed over paths in absolute value (first order)."""
    magnitude = [0.0] * len(graph.ops)
    magnitude[graph.output] = 1.0
    total = 0.0
    for node in range(len(graph.ops) - 1, -1, -1):
        args = graph.inputs[node]
        if not magnitude[node] or not args:
            continue
        total += magnitude[node] * abs(values[node])
        arguments = [values[arg] for arg in args]
        for arg, partial in zip(args, graph.ops[node].partials, strict=True):
            try:
                slope = abs(partial(ScalarMath, *arguments, values[node]))
            except (ArithmeticError, ValueError):
                return math.inf  # at a singular point float64 promises nothing
            magnitude[arg] += magnitude[node] * slope
    return 8 * 2.0**-52 * total + 1e-300


def test_a_nodes_sum_that_overflows_is_an_error_though_the_cost_is_finite() -> None:
    graph = autograph.parse("z = x*1e300; 0*z + w")
    data = {"x": [1e8] * 4}
    assert batch.cost(graph, data, {"w": 1}).value == 1.0
    with pytest.raises(autograph.MathError) as caught:
        batch.backward(graph, data, {"w": 1})
    assert caught.value.kind == "overflow" and "`x*1e300`" in caught.value.message


@pytest.mark.parametrize("bad", [math.nan, math.inf])
def test_a_number_that_is_not_finite_in_the_data_is_bad_input_naming_its_row(bad: float) -> None:
    xs = [1.0, 2.0, bad, 4.0]
    with pytest.raises(autograph.InputError) as caught:
        batch.cost(autograph.parse("w*x"), {"x": xs}, {"w": 1.0})
    assert caught.value.details["row"] == 3 and "not a finite number" in caught.value.message
