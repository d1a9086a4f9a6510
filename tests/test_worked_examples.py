"""The two worked examples of the teaching note, node by node, through the API and the CLI."""

from __future__ import annotations

import autograph

ONE_PARAMETER = "h = x + 5; g = h^3 + 1; f = g^2"
LINEAR_REGRESSION = "c = w*x; f = c + b; d = f - y; J = 0.5*d^2"
REGRESSION_POINT = {"x": -3.0, "y": 5.0, "w": 3.0, "b": 1.0}


def by_name(result: autograph.Forward) -> dict[str, int]:
    return {name: node for node, name in enumerate(result.graph.names)}


def test_one_parameter_forward_values_are_2_9_81() -> None:
    result = autograph.forward(autograph.parse(ONE_PARAMETER), {"x": -3})
    node = by_name(result)
    assert [result.values[node[n]] for n in "hgf"] == [2, 9, 81]


def test_one_parameter_adjoints_are_18_216_216() -> None:
    result = autograph.backward(autograph.parse(ONE_PARAMETER), {"x": -3})
    node = by_name(result)
    assert result.adjoints[node["f"]] == 1
    assert result.adjoints[node["g"]] == 18
    assert result.adjoints[node["h"]] == 216
    assert result.adjoints[node["x"]] == 216
    assert result.gradient == {"x": 216}


def test_one_parameter_as_a_single_formula_gives_the_same_numbers() -> None:
    result = autograph.backward(autograph.parse("((x+5)^3+1)^2"), {"x": -3})
    assert result.value == 81
    assert result.gradient == {"x": 216}


def test_linear_regression_forward_values() -> None:
    result = autograph.forward(autograph.parse(LINEAR_REGRESSION), REGRESSION_POINT)
    node = by_name(result)
    assert [result.values[node[n]] for n in "cfdJ"] == [-9, -8, -13, 84.5]


def test_linear_regression_adjoints_and_gradient() -> None:
    result = autograph.backward(autograph.parse(LINEAR_REGRESSION), REGRESSION_POINT, ["w", "b"])
    node = by_name(result)
    assert [result.adjoints[node[n]] for n in "Jdfcbw"] == [1, -13, -13, -13, -13, 39]
    assert result.gradient == {"w": 39, "b": -13}


def test_cli_grad_json_reproduces_the_linear_regression_example(run) -> None:
    out = run(
        "grad",
        LINEAR_REGRESSION,
        "--at",
        "w=3,b=1",
        "--at",
        "x=-3",
        "--at",
        "y=5",
        "--wrt",
        "w",
        "--wrt",
        "b",
        "--json",
    )
    assert out.code == 0
    data = out.json()
    assert data["value"] == 84.5
    assert data["gradient"] == {"w": 39, "b": -13}
    nodes = {n["name"]: n for n in data["nodes"]}
    assert {n: nodes[n]["value"] for n in "cfdJ"} == {"c": -9, "f": -8, "d": -13, "J": 84.5}
    assert {n: nodes[n]["adjoint"] for n in "cfdJ"} == {"c": -13, "f": -13, "d": -13, "J": 1}


def test_cli_grad_table_shows_every_node_of_the_one_parameter_example(run) -> None:
    out = run("grad", ONE_PARAMETER, "--at", "x=-3")
    assert out.code == 0
    rows = {
        line.split()[1]: line.split()
        for line in out.stdout.splitlines()[1:]
        if line.strip() and line.split()[0].isdigit()
    }
    assert rows["h"][-1] == "216" and rows["g"][-1] == "18"
    assert "∂f/∂x = 216" in out.stdout
    assert "f = 81" in out.stdout
