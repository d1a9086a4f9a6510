"""``grad --emit``: the gradient as a program, in autograph's language, Python and NumPy.

Each emitted form is run (the autograph program by autograph itself, the Python
modules by Python) and compared with ``grad``'s reverse pass: on the worked
examples exactly, on random programs over every op to 1e-12 relative.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given

import autograph
from autograph.emit import emit
from test_properties import FAST, graph_and_point, programs

REGRESSION = "c = w*x; f = c + b; d = f - y; J = 0.5*d^2"
REGRESSION_AT = {"w": 3.0, "b": 1.0, "x": -3.0, "y": 5.0}


def module(text: str) -> dict[str, Any]:
    """The namespace of an emitted Python module (autograph's output, not user text)."""
    namespace: dict[str, Any] = {}
    exec(compile(text, "<emitted>", "exec"), namespace)
    return namespace


def run_autograph_form(graph: autograph.Graph, at: dict[str, float]) -> dict[str, float]:
    emitted = autograph.parse(emit(graph, language="autograph"))
    values = autograph.forward(emitted, at).values
    named = dict(emitted.statements)
    return {name: values[named[f"grad_{name}"]] for name in graph.variables}


def test_the_autograph_form_of_the_regression_example_evaluates_to_its_gradient() -> None:
    graph = autograph.parse(REGRESSION)
    assert run_autograph_form(graph, REGRESSION_AT) == {
        "w": 39.0,
        "x": -39.0,
        "b": -13.0,
        "y": 13.0,
    }


def test_the_autograph_form_names_each_adjoint_after_its_node(run) -> None:
    out = run("grad", "h = x + 5; g = h^3 + 1; f = g^2", "--emit", "autograph")
    assert out.code == 0
    lines = out.stdout.splitlines()
    assert lines[3:] == [
        "h = x + 5",
        "g = h^3 + 1",
        "f = g^2",
        "grad_g = 2 * g",
        "grad_x = grad_g * (3 * h^2)",
    ]
    assert lines[1] == "#   h = x + 5; g = h^3 + 1; f = g^2"


def test_the_python_form_needs_only_the_standard_library_and_gives_the_gradient(run) -> None:
    out = run("grad", REGRESSION, "--emit", "python")
    assert "import numpy" not in out.stdout
    value, gradient = module(out.stdout)["value_and_grad"](**REGRESSION_AT)
    assert value == 84.5 and gradient == {"w": 39.0, "x": -39.0, "b": -13.0, "y": 13.0}


def test_the_numpy_form_gives_every_rows_gradient(run) -> None:
    out = run("grad", REGRESSION, "--emit", "numpy", "--wrt", "w,b")
    rows = module(out.stdout)["value_and_grad"](w=3.0, b=1.0, x=np.array([-3.0, 1.0]), y=5.0)
    value, gradient = rows
    assert value.tolist() == [84.5, 0.5]
    assert set(gradient) == {"w", "b"}
    assert gradient["w"].tolist() == [39.0, -1.0] and gradient["b"].tolist() == [-13.0, -1.0]


@pytest.mark.parametrize("language", ["python", "numpy"])
def test_an_undefined_derivative_raises_a_value_error_naming_it_never_nan(language) -> None:
    value_and_grad = module(emit(autograph.parse("(-2)^x"), language=language))["value_and_grad"]
    with pytest.raises(ValueError, match=r"a derivative of `\(-2\)\^x` \(grad_x\) is undefined"):
        value_and_grad(x=2.0)


@pytest.mark.parametrize("language", ["python", "numpy"])
def test_an_overflow_raises_a_value_error_naming_its_statement(language) -> None:
    value_and_grad = module(emit(autograph.parse("y = exp(x)*exp(x)"), language=language))
    with pytest.raises(ValueError, match=r"\(y\) is not finite"):
        value_and_grad["value_and_grad"](x=400.0)


@pytest.mark.parametrize("language", ["python", "numpy"])
def test_a_missing_or_unknown_variable_is_a_value_error(language) -> None:
    value_and_grad = module(emit(autograph.parse("x*y"), language=language))["value_and_grad"]
    with pytest.raises(ValueError, match="no value for y"):
        value_and_grad(x=1.0)
    with pytest.raises(ValueError, match="'z' is not a variable"):
        value_and_grad(x=1.0, y=2.0, z=3.0)


def test_emit_refuses_options_that_compute_instead(run) -> None:
    out = run("grad", "x^2", "--emit", "python", "--json")
    assert out.code == 2 and "--emit prints a program: it cannot be used with --json" in out.stderr
    out = run("grad", "x^2", "--emit", "fortran")
    assert out.code == 2 and "--emit takes autograph, python, numpy, not 'fortran'" in out.stderr


def test_names_python_forbids_and_reassigned_names_are_renamed_consistently() -> None:
    graph = autograph.parse("lambda = math*2; t = sin(lambda); t = t*t; t = t + np")
    at = {"math": 0.3, "np": 1.5}
    expected = autograph.backward(graph, at).gradient
    for language in ("python", "numpy"):
        _, gradient = module(emit(graph, language=language))["value_and_grad"](**at)
        assert {k: float(v) for k, v in gradient.items()} == pytest.approx(expected, rel=1e-15)
    assert run_autograph_form(graph, at) == pytest.approx(expected, rel=1e-15)


def test_a_deep_formula_is_emitted_as_statements_python_can_compile() -> None:
    formula = "x" + "".join(f"*sin(x + {k})" for k in range(3000))
    graph = autograph.parse(formula)
    expected = autograph.backward(graph, {"x": 0.5}).gradient["x"]
    _, gradient = module(emit(graph, language="python"))["value_and_grad"](x=0.5)
    assert gradient["x"] == pytest.approx(expected, rel=1e-12)


def agree(emitted: float, reverse: float, scale: float) -> bool:
    return abs(emitted - reverse) <= 1e-12 * max(abs(emitted), abs(reverse), scale)


@FAST
@given(programs())
def test_every_emitted_form_run_agrees_with_grad(program) -> None:
    graph, at = graph_and_point(*program)
    result = autograph.backward(graph, at)
    # The forms sum the chain rule's terms in other orders: rounding relative to the terms.
    scale = max(
        (
            abs(a) * max(abs(p) for p in ps if p is not None)
            for a, ps in zip(result.adjoints, result.partials, strict=True)
            if a is not None and any(p is not None for p in ps)
        ),
        default=0.0,
    )
    # NumPy's float64 functions may round differently from the math module's (with AVX-512,
    # NumPy's own SIMD expm1, cos, ... are a few ULP off): a difference of rounding at node
    # i moves the value by about its adjoint times that rounding, so the value is compared
    # relative to the largest |adjoint * value| as well as to itself.
    value_scale = max(
        (abs(a * v) for a, v in zip(result.adjoints, result.values, strict=True) if a is not None),
        default=0.0,
    )
    forms = {"autograph": run_autograph_form(graph, at)}
    for language in ("python", "numpy"):
        value, gradient = module(emit(graph, language=language))["value_and_grad"](**at)
        if language == "python":  # the same math functions as grad's: the same number
            assert math.isclose(float(value), result.value, rel_tol=1e-15, abs_tol=1e-300)
        else:
            assert agree(float(value), result.value, value_scale)
        forms[language] = {name: float(number) for name, number in gradient.items()}
    for language, gradient in forms.items():
        for name, reverse in result.gradient.items():
            assert agree(gradient[name], reverse, scale), (language, name, gradient[name], reverse)
