"""Forward mode (``jvp``, ``explain --mode forward``): tangents carried left to right.

The references are the survey of automatic differentiation by Baydin,
Pearlmutter, Radul and Siskind (JMLR 2018), whose Tables 2 and 3 trace
f(x1, x2) = ln(x1) + x1*x2 - sin(x2) at (2, 5) in both modes, closed forms,
and on random programs the reverse pass: for any direction u, the tangent of
the output is the gradient dotted with u (the adjoint dot-product test).
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

import autograph
from autograph.tangents import jvp
from test_explain import check_golden
from test_properties import FAST, close, graph_and_point, programs

SURVEY = "v1 = ln(x1); v2 = x1*x2; v3 = sin(x2); v4 = v1 + v2; v5 = v4 - v3"
SURVEY_AT = "x1=2,x2=5"


def test_the_surveys_forward_trace_has_the_tangents_of_its_table_2(run) -> None:
    out = run("jvp", SURVEY, "--at", SURVEY_AT, "--tangent", "x1=1,x2=0", "--json")
    assert out.code == 0, out.stderr
    result = out.json()
    tangents = {node["name"]: node["tangent"] for node in result["nodes"]}
    assert [tangents[f"v{k}"] for k in range(1, 6)] == [0.5, 5.0, 0.0, 5.5, 5.5]
    assert tangents["x1"] == 1.0 and tangents["x2"] == 0.0
    assert result["tangent"] == 5.5
    assert result["direction"] == {"x1": 1.0, "x2": 0.0}
    assert result["value"] == pytest.approx(math.log(2) + 10 - math.sin(5), rel=1e-15)
    node = result["nodes"][1]
    assert set(node) == {"id", "name", "op", "inputs", "value", "tangent", "expression"}


def test_the_surveys_reverse_trace_has_the_adjoints_of_its_table_3(run) -> None:
    out = run("grad", SURVEY, "--at", SURVEY_AT, "--json")
    gradient = out.json()["gradient"]
    assert gradient["x1"] == 5.5  # 1/x1 + x2
    assert gradient["x2"] == pytest.approx(2 - math.cos(5), rel=1e-15)  # x1 - cos(x2) = 1.716
    assert f"{gradient['x2']:.3f}" == "1.716"


def test_the_surveys_forward_trace_matches_its_golden_files(run) -> None:
    args = ("--at", SURVEY_AT, "--tangent", "x1=1")
    check_golden("jvp-survey.txt", run("jvp", SURVEY, *args).stdout)
    check_golden(
        "explain-forward-survey.txt", run("explain", SURVEY, *args, "--mode", "forward").stdout
    )
    markdown = run("explain", SURVEY, *args, "--mode", "forward", "--format", "md").stdout
    check_golden("explain-forward-survey.md", markdown)


def test_the_forward_explanation_says_each_tangent_by_the_chain_rule(run) -> None:
    out = run("explain", SURVEY, "--at", SURVEY_AT, "--tangent", "x1=1", "--mode", "forward")
    assert "dv1 = dv1/dx1 * dx1 = 1 / x1 * 1 = 1 / 2 * 1 = 0.5" in out.stdout
    assert "dv2 = dv2/dx1 * dx1 + dv2/dx2 * dx2 = x2 * 1 + x1 * 0 = 5 * 1 + 2 * 0 = 5" in out.stdout
    assert "1 * 5.5 - 1 * 0 = 5.5" in out.stdout  # a sign, never "+ -1"
    assert "So v5 = 11.6521 and dv5 = 5.5 along dx1 = 1, dx2 = 0 at x1 = 2, x2 = 5." in out.stdout


def test_one_variable_moves_with_tangent_one_by_default(run) -> None:
    out = run("jvp", "((x+5)^3+1)^2", "--at", "x=-3", "--json")
    assert out.json()["tangent"] == 216.0  # 6 (x+5)^2 ((x+5)^3 + 1) at -3


def test_several_variables_without_a_direction_say_how_to_give_one(run) -> None:
    out = run("jvp", "x*y", "--at", "x=1,y=2")
    assert out.code == 2 and out.stdout == ""
    assert "give a direction with --tangent, e.g. --tangent x=1" in out.stderr


def test_a_tangent_for_a_name_that_is_not_a_variable_is_refused(run) -> None:
    out = run("jvp", "x*y", "--at", "x=1,y=2", "--tangent", "z=1", "--json")
    assert out.code == 2
    assert out.error()["message"].startswith("'z' is not a variable of the program")


def test_tangent_without_forward_mode_is_refused_by_explain(run) -> None:
    out = run("explain", "x*y", "--at", "x=1,y=2", "--tangent", "x=1")
    assert out.code == 2 and "--tangent goes with --mode forward" in out.stderr


def test_an_undefined_derivative_on_the_way_to_the_output_is_an_error_naming_it(run) -> None:
    out = run("jvp", "y = sqrt(x); y + 1", "--at", "x=0", "--json")
    assert out.code == 1 and out.stdout == ""
    error = out.error()
    assert error["kind"] == "tangent" and error["node"] == 1
    assert "sqrt(x)" in error["message"]


def test_an_undefined_derivative_the_output_does_not_need_is_no_error() -> None:
    graph = autograph.parse("a = sqrt(x); x^2")
    result = jvp(graph, {"x": 0.0})
    assert result.tangent == 0.0
    assert result.tangents[graph.variables["x"] + 1] is None  # a's tangent: undefined, unused


def test_an_input_max_did_not_choose_passes_no_tangent_as_in_reverse_mode() -> None:
    graph = autograph.parse("max(2, sqrt(x))")
    assert jvp(graph, {"x": 0.0}).tangent == 0.0
    assert autograph.backward(graph, {"x": 0.0}).gradient == {"x": 0.0}


def test_a_direction_of_zeros_gives_every_tangent_zero() -> None:
    graph = autograph.parse("sin(x)*y")
    result = jvp(graph, {"x": 1.0, "y": 2.0}, {"x": 0.0})
    assert result.tangent == 0.0 and result.direction == {"x": 0.0, "y": 0.0}


directions = st.lists(st.floats(-3, 3, allow_nan=False), min_size=8, max_size=8)


@FAST
@given(programs(), directions)
def test_the_tangent_is_the_gradient_dotted_with_the_direction(program, components) -> None:
    """The adjoint dot-product test: forward mode's <grad, u> is reverse mode's g . u."""
    graph, at = graph_and_point(*program)
    direction = dict(zip(graph.variables, components, strict=False))
    gradient = autograph.backward(graph, at).gradient
    tangents = jvp(graph, at, direction)
    dotted = math.fsum(gradient[name] * direction.get(name, 0.0) for name in gradient)
    scale = math.fsum(abs(gradient[name] * direction.get(name, 0.0)) for name in gradient)
    assert close(tangents.tangent, dotted, 1e-12, scale), (tangents.tangent, dotted)


@FAST
@given(programs())
def test_each_unit_direction_gives_that_component_of_the_gradient(program) -> None:
    graph, at = graph_and_point(*program)
    gradient = autograph.backward(graph, at).gradient
    for name in graph.variables:
        tangent = jvp(graph, at, {name: 1.0}).tangent
        assert close(tangent, gradient[name], 1e-12, 1e-300), (name, tangent, gradient[name])


def test_the_streamed_json_of_forward_mode_is_the_json_of_its_dictionary() -> None:
    import io

    from autograph import report

    graph = autograph.parse("a = sqrt(x); b = a + 1; x^2 + y")
    result = jvp(graph, {"x": 0.0, "y": 1.0}, {"x": 1.0})  # a's and b's tangents are None
    stream = io.StringIO()
    report.write(result, stream)
    assert stream.getvalue() == report.dumps(report.to_dict(result)) + "\n"
    assert [node["tangent"] for node in report.to_dict(result)["nodes"]][1] is None
