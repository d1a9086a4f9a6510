"""autograph fit for a person: the cost's plot in the terminal (and nothing of it in --json)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from typing import Any

import pytest
from rich.cells import cell_len

from autograph.fitting.plots import terminal_plot

LINE = "J = 0.5*(w*x + b - y)^2"
FIT = ("fit", LINE, "--data", "examples/samples.csv", "--at", "w=0,b=0", "--lr", "0.05")


def plot_lines(text: str) -> list[str]:
    """The lines of the plot in ``text``: from its top border to its x label."""
    lines = text.splitlines()
    top = next(i for i, line in enumerate(lines) if "┌" in line)
    bottom = next(i for i, line in enumerate(lines) if "└" in line)
    return lines[top : bottom + 3]


def canvas(plot: str) -> list[str]:
    """The rows inside the plot's frame, without the frame."""
    rows = plot_lines(plot)[1:-3]
    return [row[row.index("│" if "│" in row[:20] else "┤") + 1 : row.rindex("│")] for row in rows]


@pytest.fixture(autouse=True)
def _in_the_repository(monkeypatch: pytest.MonkeyPatch, request: Any) -> None:
    monkeypatch.chdir(request.config.rootpath)


def test_piped_the_plot_is_drawn_80_columns_wide_without_columns(
    run: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("COLUMNS")  # the fixture set it; Rich reads it at each run
    plot = plot_lines(run(*FIT).stdout)
    assert max(cell_len(line) for line in plot) == 80
    assert cell_len(plot[0]) == 80  # the top border reaches the last column


def test_columns_sets_the_plots_width(run: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "100")
    done = run(*FIT)
    assert cell_len(plot_lines(done.stdout)[0]) == 100


def test_no_line_of_the_output_ends_in_white_space(run: Any) -> None:
    done = run(*FIT)
    assert done.code == 0, done.stderr
    assert "┌" in done.stdout
    assert all(line == line.rstrip() for line in done.stdout.splitlines())


def test_json_is_the_json_alone_without_the_plot(run: Any) -> None:
    done = run(*FIT, "--json")
    assert json.loads(done.stdout)["converged"] is True
    assert not any(mark in done.stdout for mark in "┌└│▀▄")


def test_json_does_not_import_plotext() -> None:
    command = [sys.executable, "-X", "importtime", "-m", "autograph", *FIT, "--json"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=True)
    imported = re.findall(r"^import time:\s+\d+ \|\s+\d+ \|\s*([\w.]+)$", done.stderr, re.M)
    assert "numpy" in imported  # the pattern reads this Python's report
    assert not any(name.split(".")[0] == "plotext" for name in imported)


def test_the_same_fit_draws_the_same_plot_twice(run: Any) -> None:
    assert run(*FIT).stdout == run(*FIT).stdout


def test_no_step_taken_draws_no_plot(run: Any) -> None:
    done = run(*FIT, "--steps", "0")
    assert done.code == 0, done.stderr
    assert "┌" not in done.stdout


def test_a_falling_cost_starts_top_left_and_ends_bottom_right() -> None:
    rows = canvas(terminal_plot([9.5 - 0.5 * step for step in range(12)], "J", 60))
    assert rows[0].lstrip() != "" and rows[0][0] != " "
    assert rows[-1].rstrip()[-1] != " " and len(rows[-1].rstrip()) == len(rows[-1])
    assert all(row[0] == " " for row in rows[1:])


def test_a_cost_falling_a_millionfold_is_drawn_on_a_log_scale_with_powers_of_ten() -> None:
    plot = terminal_plot([10.0 ** (2 - step) for step in range(7)], "J", 60)
    assert "J (log scale)" in plot
    ticks = [line.split("┤")[0].strip() for line in plot.splitlines() if "┤" in line]
    assert ticks and all(tick in {"1e-04", "0.01", "1", "100", "0.0001"} for tick in ticks)


def test_a_cost_falling_tenfold_is_drawn_on_a_linear_scale_with_round_ticks() -> None:
    plot = terminal_plot([10.0 - step for step in range(10)], "J", 60)
    assert "log scale" not in plot
    ticks = [float(line.split("┤")[0]) for line in plot.splitlines() if "┤" in line]
    assert sorted(ticks) == [2.0, 4.0, 6.0, 8.0, 10.0]


def test_the_x_axis_is_labelled_by_whole_steps() -> None:
    plot = terminal_plot([1.0 / (1 + step) for step in range(301)], "J", 80)
    steps = plot.splitlines()[-2].split()
    assert steps == [str(step) for step in range(0, 301, 50)]


def test_a_long_history_is_thinned_to_each_runs_lowest_and_highest_points() -> None:
    from autograph.fitting.plots import _thinned

    ys = [float((step * 7919) % 101) for step in range(10_000)]
    xs, kept = _thinned(list(range(10_000)), ys, 100)
    assert len(xs) <= 201 and xs[0] == 0 and xs[-1] == 9_999
    for bucket in range(100):
        run = ys[bucket * 100 : (bucket + 1) * 100]
        inside = [
            y for x, y in zip(xs, kept, strict=True) if bucket * 100 <= x < (bucket + 1) * 100
        ]
        assert min(inside) == min(run) and max(inside) == max(run)
    assert _thinned([0, 1, 2], [3.0, 2.0, 1.0], 100) == ([0, 1, 2], [3.0, 2.0, 1.0])
