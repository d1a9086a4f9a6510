"""autograph fit: steps against the gradient, checked against the update rules written out."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import autograph

NOTE = "c = w*x; f = c + b; d = f - y; J = 0.5*d^2"
LINE = "J = 0.5*(w*x + b - y)^2"


def regression_data(rows: int = 50, seed: int = 1) -> dict[str, Any]:
    generator = np.random.default_rng(seed)
    x = generator.normal(size=rows)
    y = 2.0 * x - 0.5 + 0.1 * generator.normal(size=rows)
    return {"x": x, "y": y}


def line_gradient(w: float, b: float, x: Any, y: Any) -> np.ndarray:
    """d/d(w, b) of mean(0.5*(w*x + b - y)^2), written out."""
    residual = w * x + b - y
    return np.array([np.mean(residual * x), np.mean(residual)])


def test_one_gd_step_of_the_notes_example_moves_w_and_b_against_the_gradient() -> None:
    graph = autograph.parse(NOTE)
    result = autograph.fit(graph, {"w": 3, "b": 1, "x": -3, "y": 5}, ["w", "b"], lr=0.01, steps=1)
    assert result.parameters == pytest.approx({"w": 3 - 0.01 * 39, "b": 1 + 0.01 * 13}, rel=1e-15)
    assert result.history.cost[0] == 84.5
    assert result.steps == 1 and result.reason == "steps" and not result.converged


def test_the_command_prints_the_rule_the_steps_and_w_2_61_b_1_13(run: Any) -> None:
    done = run(
        "fit", NOTE, "--at", "w=3,b=1,x=-3,y=5", "--wrt", "w,b", "--lr", "0.01", "--steps", "1"
    )
    assert done.code == 0, done.stderr
    assert "θ ← θ − lr·∇J" in done.stdout
    assert "parameters  w = 2.61, b = 1.13" in done.stdout
    assert "not converged after 1 step" in done.stdout


def test_json_follows_the_issues_contract_with_the_starting_cost_first(run: Any) -> None:
    done = run("fit", NOTE, "--at", "w=3,b=1,x=-3,y=5", "--wrt", "w,b", "--steps", "3", "--json")
    data = done.json()
    assert set(data) == {
        "parameters",
        "cost",
        "steps",
        "converged",
        "reason",
        "optimizer",
        "history",
    }
    assert data["optimizer"] == {"name": "gd", "lr": 0.01}
    assert data["history"]["cost"][0] == 84.5
    assert data["history"]["gradient_norm"][0] == pytest.approx(np.hypot(39, 13), rel=1e-15)
    assert len(data["history"]["cost"]) == 4 and data["steps"] == 3
    assert data["cost"] == data["history"]["cost"][-1]


def test_a_learning_rate_that_diverges_exits_1_naming_the_step_with_nothing_on_stdout(
    run: Any,
) -> None:
    done = run("fit", LINE, "--at", "w=3,b=1,x=-3,y=5", "--lr", "1", "--steps", "5000")
    assert done.code == 1
    assert done.stdout == ""
    assert "step " in done.stderr and "smaller" in done.stderr
    assert "Traceback" not in done.stderr


def test_the_gradient_norm_below_tol_stops_it_and_says_converged() -> None:
    graph = autograph.parse("J = (w - 2)^2")
    result = autograph.fit(graph, {"w": 0}, lr=0.1, tol=1e-9, steps=10_000)
    assert result.converged and result.reason == "gradient-norm"
    assert result.history.gradient_norm[-1] <= 1e-9 < result.history.gradient_norm[-2]
    assert result.parameters["w"] == pytest.approx(2, abs=1e-9)


def test_a_cost_that_no_longer_changes_stops_it_though_the_gradient_does_not_vanish() -> None:
    graph = autograph.parse("J = abs(w) + 1")  # from 0.5 to -0.5 and back: J stays 1.5
    result = autograph.fit(graph, {"w": 0.5}, lr=1.0, steps=100)
    assert result.reason == "cost-unchanged" and result.steps == 1 and result.converged
    assert result.history.gradient_norm == [1.0, 1.0]


def numpy_trajectory(
    name: str, start: np.ndarray, data: dict[str, Any], steps: int, lr: float
) -> list[np.ndarray]:
    """The update rules of torch.optim written out in NumPy, over the full data."""
    theta = start.copy()
    path = [theta.copy()]
    velocity = np.zeros(2)
    m, v = np.zeros(2), np.zeros(2)
    beta1, beta2, eps = 0.9, 0.999, 1e-8
    for t in range(1, steps + 1):
        g = line_gradient(theta[0], theta[1], data["x"], data["y"])
        if name == "gd":
            theta = theta - lr * g
        elif name == "momentum":
            velocity = 0.9 * velocity + g
            theta = theta - lr * velocity
        else:
            m = beta1 * m + (1 - beta1) * g
            v = beta2 * v + (1 - beta2) * g**2
            m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
            theta = theta - lr * m_hat / (np.sqrt(v_hat) + eps)
        path.append(theta.copy())
    return path


@pytest.mark.parametrize(("name", "lr"), [("gd", 0.1), ("momentum", 0.05), ("adam", 0.05)])
def test_trajectories_equal_the_update_rules_written_out_in_numpy(name: str, lr: float) -> None:
    data = regression_data()
    graph = autograph.parse(LINE)
    result = autograph.fit(
        graph, {"w": 0.5, "b": 0.0}, data=data, optimizer=name, lr=lr, steps=60, tol=0
    )
    expected = numpy_trajectory(name, np.array([0.5, 0.0]), data, result.steps, lr)
    assert result.steps == 60
    np.testing.assert_allclose(
        np.array(result.history.parameters), np.array(expected), rtol=1e-10, atol=1e-12
    )


def test_over_data_the_cost_is_the_mean_of_the_rows_and_sum_is_the_sum() -> None:
    data = regression_data(rows=7)
    graph = autograph.parse(LINE)
    mean = autograph.fit(graph, {"w": 1, "b": 0}, data=data, steps=0)
    total = autograph.fit(graph, {"w": 1, "b": 0}, data=data, steps=0, reduce="sum")
    residual = data["x"] - data["y"]
    assert mean.cost == pytest.approx(np.mean(0.5 * residual**2), rel=1e-14)
    assert total.cost == pytest.approx(np.sum(0.5 * residual**2), rel=1e-14)
    assert mean.samples == 7


def test_a_csv_file_is_read_once_and_fit_like_the_same_columns_in_memory(
    tmp_path: Any, run: Any
) -> None:
    data = regression_data(rows=20)
    path = tmp_path / "line.csv"
    pairs = zip(data["x"].tolist(), data["y"].tolist(), strict=True)
    rows = "\n".join(f"{x!r},{y!r}" for x, y in pairs)
    path.write_text("x,y\n" + rows + "\n")
    graph = autograph.parse(LINE)
    in_memory = autograph.fit(graph, {"w": 0, "b": 0}, data=data, steps=25, lr=0.1)
    done = run(
        "fit",
        LINE,
        "--data",
        str(path),
        "--at",
        "w=0,b=0",
        "--steps",
        "25",
        "--lr",
        "0.1",
        "--json",
    )
    assert done.code == 0, done.stderr
    assert done.json()["parameters"] == pytest.approx(in_memory.parameters, rel=1e-13)


def test_options_that_mean_nothing_alone_are_refused(run: Any) -> None:
    assert run("fit", LINE, "--at", "w=0,b=0,x=1,y=2", "--batch-size", "2").code == 2
    assert run("fit", LINE, "--at", "w=0,b=0,x=1,y=2", "--optimizer", "sgd").code == 2
    assert run("fit", LINE, "--at", "w=0,b=0,x=1,y=2", "--lr", "-1").code == 2
    done = run("fit", LINE, "--at", "w=0,b=0,x=1,y=2", "--wrt", "q")
    assert done.code == 2 and "q" in done.stderr


def linear_rows(rows: int = 1000, seed: int = 7) -> dict[str, Any]:
    generator = np.random.default_rng(seed)
    x1, x2 = generator.normal(size=rows), generator.uniform(-2, 2, size=rows)
    y = 1.5 * x1 - 0.7 * x2 + 0.3 + 0.2 * generator.normal(size=rows)
    return {"x1": x1, "x2": x2, "y": y}


TWO = "J = 0.5*(a*x1 + c*x2 + b - y)^2"


def least_squares(data: dict[str, Any]) -> np.ndarray:
    design = np.column_stack([data["x1"], data["x2"], np.ones(len(data["y"]))])
    solution, *_ = np.linalg.lstsq(design, data["y"], rcond=None)
    return solution


def test_gd_reaches_the_least_squares_solution_of_lstsq_on_1000_rows() -> None:
    data = linear_rows()
    result = autograph.fit(
        autograph.parse(TWO), {"a": 0, "c": 0, "b": 0}, data=data, lr=0.3, steps=5000, tol=1e-10
    )
    found = [result.parameters[name] for name in ("a", "c", "b")]
    np.testing.assert_allclose(found, least_squares(data), atol=1e-6)
    assert result.converged


def test_lbfgs_reaches_the_least_squares_solution_to_1e_8() -> None:
    pytest.importorskip("scipy")
    data = linear_rows()
    result = autograph.fit(
        autograph.parse(TWO), {"a": 0, "c": 0, "b": 0}, data=data, optimizer="lbfgs", tol=1e-12
    )
    found = [result.parameters[name] for name in ("a", "c", "b")]
    np.testing.assert_allclose(found, least_squares(data), atol=1e-8)
    assert result.steps < 50


def test_lbfgs_on_logistic_regression_reaches_newtons_optimum_to_1e_6() -> None:
    pytest.importorskip("scipy")
    generator = np.random.default_rng(3)
    x = generator.normal(size=400)
    y = (generator.uniform(size=400) < 1 / (1 + np.exp(-(2 * x - 0.5)))).astype(float)
    program = "z = w*x + b; J = softplus(z) - y*z"  # the log-loss of sigmoid(z)
    result = autograph.fit(
        autograph.parse(program),
        {"w": 0, "b": 0},
        data={"x": x, "y": y},
        optimizer="lbfgs",
        tol=1e-12,
    )
    theta = np.zeros(2)  # Newton's method, written out
    design = np.column_stack([x, np.ones_like(x)])
    for _ in range(50):
        p = 1 / (1 + np.exp(-design @ theta))
        gradient = design.T @ (p - y) / len(y)
        hessian = (design * (p * (1 - p))[:, None]).T @ design / len(y)
        theta = theta - np.linalg.solve(hessian, gradient)
    np.testing.assert_allclose([result.parameters["w"], result.parameters["b"]], theta, atol=1e-6)


@pytest.mark.parametrize("name", ["gd", "momentum", "adam"])
def test_trajectories_equal_torch_optims_step_by_step(name: str) -> None:
    torch = pytest.importorskip("torch")
    data = regression_data(rows=40)
    lr = {"gd": 0.1, "momentum": 0.05, "adam": 0.05}[name]
    result = autograph.fit(
        autograph.parse(LINE),
        {"w": 0.5, "b": 0.0},
        data=data,
        optimizer=name,
        lr=lr,
        steps=50,
        tol=0,
    )
    w = torch.tensor(0.5, dtype=torch.float64, requires_grad=True)
    b = torch.tensor(0.0, dtype=torch.float64, requires_grad=True)
    if name == "adam":
        optimiser = torch.optim.Adam([w, b], lr=lr)
    else:
        optimiser = torch.optim.SGD([w, b], lr=lr, momentum=0.9 if name == "momentum" else 0)
    x, y = torch.tensor(data["x"]), torch.tensor(data["y"])
    path = [(0.5, 0.0)]
    for _ in range(50):
        optimiser.zero_grad()
        (0.5 * (w * x + b - y) ** 2).mean().backward()
        optimiser.step()
        path.append((w.item(), b.item()))
    np.testing.assert_allclose(np.array(result.history.parameters), np.array(path), rtol=1e-10)


def test_mini_batches_with_a_seed_repeat_exactly_and_another_seed_differs(run: Any) -> None:
    data = regression_data(rows=30)
    graph = autograph.parse(LINE)
    common: dict[str, Any] = {"data": data, "lr": 0.1, "steps": 20, "batch_size": 8}
    first = autograph.fit(graph, {"w": 0, "b": 0}, seed=5, **common)
    again = autograph.fit(graph, {"w": 0, "b": 0}, seed=5, **common)
    other = autograph.fit(graph, {"w": 0, "b": 0}, seed=6, **common)
    assert first.history.parameters == again.history.parameters
    assert first.history.parameters != other.history.parameters
    # each step is gd over the batch the seed's shuffle gives, written out here
    generator = np.random.default_rng(5)
    theta = np.zeros(2)
    order = generator.permutation(30)
    for step in range(4):  # the first epoch: batches of 8, 8, 8, 6
        rows = order[8 * step : 8 * step + 8]
        theta = theta - 0.1 * line_gradient(theta[0], theta[1], data["x"][rows], data["y"][rows])
        np.testing.assert_allclose(first.history.parameters[step + 1], theta, rtol=1e-12)


def test_lbfgs_without_scipy_says_which_extra_to_install(monkeypatch: Any) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "scipy.optimize", None)
    graph = autograph.parse("J = (w - 1)^2")
    with pytest.raises(autograph.InputError, match=r"autograph-cli\[fit\]"):
        autograph.fit(graph, {"w": 0}, optimizer="lbfgs")
