"""Derivatives are graphs: the builder, the gradient graph, and the Hessian made from it.

References: the float reverse pass for the gradient graph; for second derivatives
PyTorch's torch.autograd.functional.hessian in float64 where torch is installed,
else SymPy's second derivatives and a central difference of the gradient; closed
forms for the worked cases.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings

import autograph
from autograph import ops
from autograph.derivatives import gradient, hessian
from autograph.graph import Builder, Graph
from reference_torch import evaluate
from test_properties import FAST, close, graph_and_point, programs

# -- The builder --


def test_the_builder_merges_equal_subexpressions_as_the_parser_does() -> None:
    built = Builder(Graph("x*y + x*y"))
    x, y = built.variable("x"), built.variable("y")
    product = built.apply(ops.BY_NAME["mul"], (x, y))
    assert built.apply(ops.BY_NAME["mul"], (x, y)) == product
    total = built.apply(ops.BY_NAME["add"], (product, product))
    built.graph.output = total
    parsed = autograph.parse("x*y + x*y")
    assert [op.name for op in built.graph.ops] == [op.name for op in parsed.ops]
    assert built.graph.inputs == parsed.inputs
    assert autograph.backward(built.graph, {"x": 2, "y": 3}).gradient == {"x": 6.0, "y": 4.0}


def test_the_builder_refuses_an_input_that_is_not_an_earlier_node() -> None:
    built = Builder(Graph(""))
    x = built.variable("x")
    with pytest.raises(ValueError):
        built.apply(ops.BY_NAME["sin"], (x + 1,))
    with pytest.raises(ValueError):
        built.apply(ops.BY_NAME["add"], (x,))


# -- The gradient graph --


def _outputs(graph: Graph, at: dict[str, float]) -> dict[str, float]:
    values = autograph.forward(graph, at).values
    return {name: values[node] for name, node in graph.outputs.items()}


def test_the_survey_example_gives_the_adjoints_of_table_3() -> None:
    graph = autograph.parse("v1 = ln(x1); v2 = x1*x2; v3 = sin(x2); v4 = v1 + v2; v5 = v4 - v3")
    got = _outputs(gradient(graph), {"x1": 2, "x2": 5})
    assert got == {"grad_x1": 5.5, "grad_x2": pytest.approx(2 - math.cos(5), rel=1e-15)}


def test_the_gradient_graph_keeps_the_value_and_names_a_gradient_per_variable() -> None:
    graph = autograph.parse("((x+5)^3+1)^2 + 0*y")
    result = gradient(graph)
    assert autograph.forward(result, {"x": -3, "y": 1}).value == 81
    assert _outputs(result, {"x": -3, "y": 1}) == {"grad_x": 216.0, "grad_y": 0.0}
    assert list(gradient(graph, ["y"]).outputs) == ["grad_y"]


def test_a_variable_that_does_not_reach_the_output_has_gradient_zero() -> None:
    graph = autograph.parse("a = w; x*2")
    assert _outputs(gradient(graph), {"w": 1, "x": 3}) == {"grad_w": 0.0, "grad_x": 2.0}


def test_applying_gradient_again_gives_higher_derivatives() -> None:
    graph = autograph.parse("x^4")
    first = gradient(graph)
    second = gradient(first, of="grad_x")
    third = gradient(second, of="grad_x")
    at = {"x": 2.0}
    assert _outputs(first, at)["grad_x"] == 32  # 4x^3
    assert _outputs(second, at)["grad_x"] == 48  # 12x^2
    assert _outputs(third, at)["grad_x"] == 48  # 24x


@pytest.mark.parametrize(("source", "x"), [("relu(x)", 0.0), ("relu(x)", 2.0), ("abs(x)", 0.0)])
def test_second_derivatives_at_and_beside_kinks_are_zero_as_in_pytorch(source, x) -> None:
    second = gradient(gradient(autograph.parse(source)), of="grad_x")
    assert _outputs(second, {"x": x})["grad_x"] == 0.0


def test_gradient_of_an_unknown_output_is_an_input_error() -> None:
    with pytest.raises(autograph.InputError) as raised:
        gradient(autograph.parse("x^2"), of="grad_y")
    assert raised.value.kind == "unknown-output"


@FAST
@given(programs())
def test_the_gradient_graph_agrees_with_the_reverse_pass(program) -> None:
    graph, at = graph_and_point(*program)
    expected = autograph.backward(graph, at).gradient
    got = _outputs(gradient(graph), at)
    scale = max(abs(v) for v in autograph.forward(graph, at).values)
    for name, value in expected.items():
        assert close(got[f"grad_{name}"], value, 1e-10, scale), (name, got, expected)


# -- The Hessian --


def test_the_hessian_of_a_saddle_a_minimum_and_a_flat_point() -> None:
    saddle = hessian(autograph.parse("x^2 - y^2"), {"x": 0, "y": 0})
    assert saddle.matrix == [[2.0, 0.0], [0.0, -2.0]]
    assert saddle.eigenvalues == [-2.0, 2.0]
    assert saddle.definiteness == "indefinite" and "saddle" in saddle.meaning
    minimum = hessian(autograph.parse("x^2*y + y^3 - 3*y"), {"x": 0, "y": 1})
    assert minimum.matrix == [[2.0, 0.0], [0.0, 6.0]]
    assert minimum.definiteness == "positive definite" and "local minimum" in minimum.meaning
    flat = hessian(autograph.parse("x^4"), {"x": 0})
    assert flat.definiteness == "zero" and "inconclusive" in flat.meaning
    sloped = hessian(autograph.parse("-(x^2) - y^2 + x"), {"x": 0, "y": 0})
    assert sloped.definiteness == "negative definite" and "not a critical point" in sloped.meaning


def test_the_hessian_vector_product_is_the_matrix_times_the_vector() -> None:
    graph = autograph.parse("x^2*y + y^3 - 3*y + sin(x*y)")
    at = {"x": 1.0, "y": 2.0}
    full = hessian(graph, at)
    assert full.matrix is not None
    product = hessian(graph, at, vector={"x": 0.5, "y": -1.0}).product
    assert product is not None
    for i, name in enumerate(full.variables):
        expected = full.matrix[i][0] * 0.5 + full.matrix[i][1] * -1.0
        assert product[name] == pytest.approx(expected, rel=1e-13)


def _sympy_hessian(graph: Graph, at: dict[str, float]) -> list[list[float]]:
    import sympy as sp

    from autograph import symbolic

    names = symbolic.symbols(graph)
    expr = symbolic.to_sympy(graph, "binary")
    point = symbolic.point_of(names, at)
    rows = []
    for a in graph.variables:
        row = []
        for b in graph.variables:
            value = symbolic.numeric_value(sp.diff(expr, names[a], names[b]), point)
            assert value is not None
            row.append(value)
        rows.append(row)
    return rows


def _difference_hessian(graph: Graph, at: dict[str, float]) -> list[list[float]]:
    """Central differences of the reverse pass's gradient, step 1e-6."""
    rows = []
    for a in graph.variables:
        h = 1e-6 * max(1.0, abs(at[a]))
        up = autograph.backward(graph, {**at, a: at[a] + h}).gradient
        down = autograph.backward(graph, {**at, a: at[a] - h}).gradient
        rows.append([(up[b] - down[b]) / (2 * h) for b in graph.variables])
    return rows


def _torch_hessian(graph: Graph, at: dict[str, float]) -> list[list[float]]:
    torch = pytest.importorskip("torch")
    point = torch.tensor([at[name] for name in graph.variables], dtype=torch.float64)
    hessian = torch.autograd.functional.hessian(lambda p: evaluate(torch, graph, p), point)
    return hessian.tolist()  # type: ignore[no-any-return]


def _torch_installed() -> bool:
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


@settings(FAST, max_examples=60)
@given(programs())
def test_the_hessian_from_the_gradient_graph_agrees_with_a_reference(program) -> None:
    graph, at = graph_and_point(*program)
    if not graph.variables:
        return
    got = hessian(graph, at)
    assert got.matrix is not None
    scale = max(abs(v) for v in autograph.forward(graph, at).values)
    if _torch_installed():
        expected = _torch_hessian(graph, at)
        for got_row, row in zip(got.matrix, expected, strict=True):
            for a, b in zip(got_row, row, strict=True):
                assert close(a, b, 1e-9, scale), (got.matrix, expected)
        return
    differences = _difference_hessian(graph, at)
    for got_row, row in zip(got.matrix, differences, strict=True):
        for a, b in zip(got_row, row, strict=True):
            assert close(a, b, 1e-4, scale), (got.matrix, differences)


@pytest.mark.parametrize(
    ("source", "at"),
    [
        ("x^2*y + y^3 - 3*y", {"x": 1.0, "y": 2.0}),
        (
            "sin(x)*exp(y)/(x^2 + 1) + log(y)*tanh(x) + sigmoid(x*y) + softplus(y - x)",
            {"x": 0.7, "y": 1.3},
        ),
        (
            "sqrt(x*y) + atan(x/y) + asin(x/3) + acos(y/4) + cosh(x) + sinh(y) + x^y",
            {"x": 1.1, "y": 2.2},
        ),
    ],
)
def test_the_hessian_agrees_with_sympy_and_a_difference_of_the_gradient(source, at) -> None:
    graph = autograph.parse(source)
    got = hessian(graph, at).matrix
    assert got is not None
    exact = _sympy_hessian(graph, at)
    differences = _difference_hessian(graph, at)
    for i in range(len(at)):
        for j in range(len(at)):
            assert got[i][j] == pytest.approx(exact[i][j], rel=1e-12, abs=1e-12)
            assert got[i][j] == pytest.approx(differences[i][j], rel=1e-5, abs=1e-6)
