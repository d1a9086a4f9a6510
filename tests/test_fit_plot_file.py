"""fit --plot FILE: the cost per step written to an SVG or a PNG (matplotlib, extra ``plot``)."""

from __future__ import annotations

import json
import struct
import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path
from typing import Any

import pytest

LINE = "J = 0.5*(w*x + b - y)^2"
SAMPLES = str(Path(__file__).resolve().parents[1] / "examples" / "samples.csv")
FIT = ("fit", LINE, "--data", SAMPLES, "--at", "w=0,b=0", "--lr", "0.05")


def test_an_svg_file_is_written_and_json_still_goes_to_stdout(run: Any, tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    path = tmp_path / "loss.svg"
    done = run(*FIT, "--plot", str(path), "--json")
    assert done.code == 0, done.stderr
    assert json.loads(done.stdout)["converged"] is True
    assert ElementTree.parse(path).getroot().tag.endswith("svg")


def test_a_png_file_is_a_png_of_640_by_400_pixels(run: Any, tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    path = tmp_path / "loss.png"
    assert run(*FIT, "--plot", str(path)).code == 0
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", head[16:24]) == (640, 400)


def test_the_same_fit_writes_the_same_svg_bytes(run: Any, tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    first, second = tmp_path / "a.svg", tmp_path / "b.svg"
    run(*FIT, "--plot", str(first))
    run(*FIT, "--plot", str(second))
    assert first.read_bytes() == second.read_bytes()


def test_the_figures_line_is_the_cost_at_every_step_on_a_log_scale_when_it_falls_far() -> None:
    pytest.importorskip("matplotlib")
    from autograph.fitting.plots import cost_figure

    costs = [10.0 ** (2 - step) for step in range(7)]
    (axes,) = cost_figure(costs, "J").axes
    (line,) = axes.lines
    assert list(line.get_xdata()) == list(range(7))
    assert list(line.get_ydata()) == costs
    assert axes.get_yscale() == "log" and axes.get_ylabel() == "J"
    (linear,) = cost_figure([3.0, 2.0, 1.5], "J").axes
    assert linear.get_yscale() == "linear"


def test_a_name_that_is_neither_svg_nor_png_is_refused_before_the_fit(
    run: Any, tmp_path: Path
) -> None:
    done = run(*FIT, "--plot", str(tmp_path / "loss.pdf"))
    assert done.code == 2
    assert ".svg or .png" in done.stderr and "loss.pdf" in done.stderr
    assert done.stdout == ""


def test_without_matplotlib_it_says_what_to_install(
    run: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in [name for name in sys.modules if name.startswith("matplotlib")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib fails
    done = run(*FIT, "--plot", str(tmp_path / "loss.svg"))
    assert done.code == 2
    assert 'pip install "autograph-cli[plot]"' in done.stderr
    assert done.stdout == "" and not (tmp_path / "loss.svg").exists()
