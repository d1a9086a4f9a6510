"""fit while it runs: a progress bar on a terminal only, and Ctrl-C keeps where it got to."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from rich.console import Console

import autograph
from autograph.cli.commands.fit import step_bar

LINE = "J = 0.5*(w*x + b - y)^2"
ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "examples" / "samples.csv"
X, Y = np.array([-3.0, -1.0, 0.0, 2.0]), np.array([5.0, 1.0, 1.0, 7.0])


def gd_steps(count: int, lr: float) -> np.ndarray:
    """w and b after ``count`` steps of gradient descent on the mean cost, written out."""
    w = b = 0.0
    for _ in range(count):
        residual = w * X + b - Y
        w, b = w - lr * np.mean(residual * X), b - lr * np.mean(residual)
    return np.array([w, b])


def interrupt_at(step: int) -> Any:
    """An ``on_step`` that presses Ctrl-C (raises KeyboardInterrupt) once, at ``step``."""
    pressed = []

    def on_step(reached: int, cost: float, norm: float) -> None:
        if reached == step and not pressed:
            pressed.append(reached)
            raise KeyboardInterrupt

    return on_step


@pytest.mark.parametrize("optimizer", ["gd", "momentum", "adam"])
def test_ctrl_c_returns_the_point_the_last_whole_step_reached(optimizer: str) -> None:
    graph = autograph.parse(LINE)
    data = {"x": X, "y": Y}
    whole = autograph.fit(graph, {"w": 0, "b": 0}, data=data, optimizer=optimizer, steps=5)
    cut = autograph.fit(
        graph, {"w": 0, "b": 0}, data=data, optimizer=optimizer, on_step=interrupt_at(5)
    )
    assert cut.reason == "interrupted" and not cut.converged and cut.steps == 5
    assert cut.parameters == whole.parameters
    assert cut.cost == whole.cost
    assert len(cut.history.cost) == len(cut.history.parameters) == 6


def test_ctrl_c_in_mini_batches_ends_with_the_cost_over_all_the_rows() -> None:
    graph = autograph.parse(LINE)
    data = {"x": X, "y": Y}
    settings: dict[str, Any] = {"data": data, "batch_size": 2, "seed": 3}
    whole = autograph.fit(graph, {"w": 0, "b": 0}, steps=4, **settings)
    cut = autograph.fit(graph, {"w": 0, "b": 0}, on_step=interrupt_at(4), **settings)
    assert cut.reason == "interrupted" and cut.steps == 4
    assert cut.parameters == whole.parameters
    assert cut.history.cost == whole.history.cost


def test_ctrl_c_in_lbfgs_returns_the_last_iterate() -> None:
    pytest.importorskip("scipy")
    graph = autograph.parse(LINE)
    cut = autograph.fit(
        graph, {"w": 0, "b": 0}, data={"x": X, "y": Y}, optimizer="lbfgs", on_step=interrupt_at(2)
    )
    assert cut.reason == "interrupted" and cut.steps == 2
    assert tuple(cut.parameters.values()) == cut.history.parameters[2]


def test_a_real_sigint_prints_the_parameters_reached_and_exits_130() -> None:
    # The child sends itself SIGINT when step 3 is recorded: a real signal, at a known step.
    child = (
        "import os, signal, sys\n"
        "import autograph.fitting as fitting\n"
        "record = fitting._Loop._record\n"
        "def record_then_interrupt(self, step, *rest):\n"
        "    record(self, step, *rest)\n"
        "    if step == 3:\n"
        "        os.kill(os.getpid(), signal.SIGINT)\n"
        "fitting._Loop._record = record_then_interrupt\n"
        "from autograph.cli import main\n"
        "sys.argv[0] = 'autograph'\n"
        "main(sys.argv[1:])\n"
    )
    args = [LINE, "--data", str(SAMPLES), "--at", "w=0,b=0", "--lr", "0.05", "--tol", "0"]
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "80", "PYTHONPATH": str(ROOT / "src")}
    done = subprocess.run(
        [sys.executable, "-c", child, "fit", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 130, done.stderr
    assert done.stderr == ""  # piped: no progress bar
    w, b = gd_steps(3, 0.05)
    assert "interrupted (Ctrl-C)" in done.stdout
    line = next(line for line in done.stdout.splitlines() if line.startswith("parameters"))
    shown = dict(part.split(" = ") for part in line.removeprefix("parameters").strip().split(", "))
    assert float(shown["w"]) == pytest.approx(w, rel=1e-5)
    assert float(shown["b"]) == pytest.approx(b, rel=1e-5)


def test_on_a_terminal_a_progress_bar_shows_the_step_and_the_cost() -> None:
    screen = io.StringIO()
    console = Console(file=screen, force_terminal=True, width=80, color_system=None)
    with step_bar(1000, True, console) as on_step:
        assert on_step is not None
        on_step(0, 9.5, 3.5)
    assert "fitting" in screen.getvalue()
    assert "0/1000" in screen.getvalue() and "cost 9.5" in screen.getvalue()


def test_piped_or_quiet_there_is_no_bar() -> None:
    with step_bar(1000, False) as on_step:
        assert on_step is None


def test_piped_stderr_stays_empty(run: Any) -> None:
    done = run("fit", LINE, "--data", str(SAMPLES), "--at", "w=0,b=0", "--lr", "0.05")
    assert done.code == 0 and done.stderr == ""


def test_on_a_terminal_the_bar_is_drawn_and_ctrl_c_stops_the_fit() -> None:
    pexpect = pytest.importorskip("pexpect")
    args = ["fit", LINE, "--data", str(SAMPLES), "--at", "w=0,b=0", "--lr", "1e-6"]
    env = {**os.environ, "TERM": "xterm", "COLUMNS": "100", "PYTHONPATH": str(ROOT / "src")}
    child = pexpect.spawn(
        sys.executable,
        ["-m", "autograph", *args, "--steps", "100000000", "--tol", "0"],
        env=env,
        encoding="utf-8",
        timeout=120,
    )
    child.expect(r"fitting.*steps\s+cost \d")  # the bar, once a step has been taken
    child.sendintr()
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 130
    assert "interrupted (Ctrl-C)" in child.before
    assert "parameters" in child.before
