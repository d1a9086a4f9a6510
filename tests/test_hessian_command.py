"""``autograph hessian``: the matrix, its eigenvalues, H v, --check, JSON and errors.

References: closed forms worked by hand (f = x^2 + x*y + y^2 - 3x has the
Hessian [[2, 1], [1, 2]], eigenvalues 1 and 3, and a minimum at (2, -1)).
"""

from __future__ import annotations

import math

import pytest

import autograph
from autograph.derivatives import Hessian
from autograph.referee import hessian as referee

BOWL = "f = x^2 + x*y + y^2 - 3*x"


def test_hessian_json_follows_the_contract(run) -> None:
    out = run("hessian", BOWL, "--at", "x=2,y=-1", "--json")
    assert out.code == 0, out.stderr
    data = out.json()
    assert data["value"] == -3
    assert data["gradient"] == {"x": 0.0, "y": 0.0}
    assert data["variables"] == ["x", "y"]
    assert data["hessian"] == [[2.0, 1.0], [1.0, 2.0]]
    assert data["eigenvalues"] == pytest.approx([1.0, 3.0], rel=1e-15)
    assert data["definiteness"] == "positive definite"
    assert "local minimum" in data["meaning"]


def test_hessian_rows_and_columns_follow_the_order_of_wrt(run) -> None:
    data = run("hessian", "x^3 * y^2", "--at", "x=1,y=2", "--wrt", "y,x", "--json").json()
    assert data["variables"] == ["y", "x"]
    # d2/dy2 = 2x^3 = 2, d2/dydx = 6x^2 y = 12, d2/dx2 = 6x y^2 = 24
    assert data["hessian"] == [[2.0, 12.0], [12.0, 24.0]]


def test_hessian_names_a_saddle_in_the_table(run) -> None:
    out = run("hessian", "f = x^2 - y^2", "--at", "x=0,y=0")
    assert out.code == 0
    assert "∂²f/∂i∂j" in out.stdout
    assert "eigenvalues  -2, 2" in out.stdout
    assert "indefinite: a saddle point" in out.stdout


def test_hessian_vector_gives_the_product_instead_of_the_matrix(run) -> None:
    data = run("hessian", BOWL, "--at", "x=2,y=-1", "--vector", "x=1", "--json").json()
    assert data["vector"] == {"x": 1.0, "y": 0.0}
    assert data["product"] == {"x": 2.0, "y": 1.0}
    assert "hessian" not in data
    shown = run("hessian", BOWL, "--at", "x=2,y=-1", "--vector", "y=0.5").stdout
    assert "(H v)[x] = 0.5" in shown and "(H v)[y] = 1" in shown


def test_hessian_check_agrees_with_sympy_and_the_central_difference(run) -> None:
    out = run("hessian", "f = sin(x)*y^3 + exp(x*y)", "--at", "x=0.5,y=1.5", "--check", "--json")
    assert out.code == 0, out.stderr
    check = out.json()["check"]
    assert check["agrees"] is True
    assert len(check["entries"]) == 4
    x, y = 0.5, 1.5
    exact = -math.sin(x) * y**3 + y * y * math.exp(x * y)
    first = check["entries"][0]
    assert (first["row"], first["column"], first["judge"]) == ("x", "x", "sympy")
    assert first["sympy"] == pytest.approx(exact, rel=1e-14)
    assert first["finite_difference"] == pytest.approx(exact, rel=1e-6)


def test_hessian_check_of_a_product_checks_each_component(run) -> None:
    out = run("hessian", BOWL, "--at", "x=2,y=-1", "--check", "--vector", "x=1,y=-1")
    assert out.code == 0, out.stderr
    assert "(H v)[x]" in out.stdout and "(H v)[y]" in out.stdout
    assert "every entry agrees with SymPy" in out.stdout


def test_hessian_check_exits_1_when_an_entry_disagrees(run, monkeypatch) -> None:
    def wrong(graph, at, wrt=None, vector=None) -> Hessian:
        right = autograph.hessian(graph, at, wrt, vector)
        assert right.matrix is not None
        matrix = [row[:] for row in right.matrix]
        matrix[0][1] += 1e-3
        return Hessian(
            right.value, right.gradient, right.variables, matrix, right.eigenvalues, "", ""
        )

    monkeypatch.setattr(referee, "hessian", wrong)
    out = run("hessian", BOWL, "--at", "x=2,y=-1", "--check")
    assert out.code == 1
    assert "DISAGREES" in out.stdout
    assert "[x][y]" in out.stderr


def test_hessian_check_falls_back_to_the_central_difference_beyond_sympy() -> None:
    graph = autograph.parse("x*y")
    checked = referee.check_hessian(graph, {"x": 2.0, "y": 3.0}, timeout=1e-9)
    assert checked.agrees
    assert {entry.judge for entry in checked.entries} <= {"sympy", "finite difference"}


def test_hessian_refuses_a_vector_naming_no_variable(run) -> None:
    out = run("hessian", BOWL, "--at", "x=2,y=-1", "--vector", "z=1")
    assert out.code == 2
    assert "'z' is not a variable" in out.stderr
    out = run("hessian", BOWL, "--at", "x=2,y=-1", "--vector", "x")
    assert out.code == 2 and "--vector expects NAME=VALUE" in out.stderr


def test_hessian_tol_needs_check(run) -> None:
    out = run("hessian", BOWL, "--at", "x=2,y=-1", "--tol", "1e-3")
    assert out.code == 2 and "--tol goes with --check" in out.stderr


def test_an_undefined_second_derivative_is_a_math_error(run) -> None:
    out = run("hessian", "sqrt(x)", "--at", "x=0", "--json")
    assert out.code == 1
    assert out.stdout == ""


def test_a_failing_node_of_the_derivative_graph_is_named_by_the_node_it_came_from(run) -> None:
    out = run("hessian", "(-(1e-3/x))^max(tanh(x),2)", "--at", "x=1")
    assert out.code == 1
    assert "a derivative of `(-(1e-3/x))^max(tanh(x),2)` is undefined" in out.stderr
    assert "log_abs_base" not in out.stderr  # internal ops are not shown to the user
