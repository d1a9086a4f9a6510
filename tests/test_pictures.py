"""autograph graph: the terminal tree, DOT, Mermaid, SVG and PNG of the worked examples."""

from __future__ import annotations

import json
import os
import re
import shutil
import struct
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree

import pytest

import autograph
from autograph.errors import InputError
from autograph.pictures import draw
from autograph.pictures.dot import to_dot
from autograph.pictures.render import find_engine, render
from test_explain import LINEAR_REGRESSION, ONE_PARAMETER, REGRESSION_AT, check_golden, long_sum

DOCS = Path(__file__).resolve().parents[1] / "docs"
EXAMPLES = {
    "one-parameter": (ONE_PARAMETER, ["--at", "x=-3"]),
    "linear-regression": (LINEAR_REGRESSION, REGRESSION_AT),
}
POINTS = {
    "one-parameter": ({"x": -3}, None),
    "linear-regression": ({"w": 3, "b": 1, "x": -3, "y": 5}, ["w", "b"]),
}


def graphviz_pure() -> Path:
    """The engine the golden SVGs were drawn with (pinned in the test extra)."""
    engine = find_engine()
    assert engine is not None and engine.name == "graphviz-pure", "pip install '.[test]'"
    return engine


def example(name: str, format: str) -> str:
    program, _ = EXAMPLES[name]
    at, wrt = POINTS[name]
    picture = draw(autograph.parse(program), at, grad=True, wrt=wrt, format=format)
    assert isinstance(picture, str)
    return picture


# -- Golden files: every format, both examples --


@pytest.mark.parametrize("name", EXAMPLES)
def test_text_tree_with_values_and_gradients_matches_its_golden_file(run, name) -> None:
    program, at = EXAMPLES[name]
    out = run("graph", program, *at, "--grad")
    assert out.code == 0, out.stderr
    check_golden(f"{name}.txt", out.stdout)


@pytest.mark.parametrize("name", EXAMPLES)
def test_dot_source_matches_its_golden_file(run, name) -> None:
    program, at = EXAMPLES[name]
    out = run("graph", program, *at, "--grad", "--format", "dot")
    assert out.code == 0, out.stderr
    check_golden(f"{name}.dot", out.stdout)


@pytest.mark.parametrize("name", EXAMPLES)
def test_mermaid_flowchart_matches_its_golden_file(run, name) -> None:
    program, at = EXAMPLES[name]
    out = run("graph", program, *at, "--grad", "--format", "mermaid")
    assert out.code == 0, out.stderr
    check_golden(f"{name}.mmd", out.stdout)


@pytest.mark.parametrize("name", EXAMPLES)
def test_svg_matches_the_picture_in_docs(run, name) -> None:
    """The golden SVGs are the ones the README shows, in docs/: they stay current."""
    graphviz_pure()
    program, at = EXAMPLES[name]
    out = run("graph", program, *at, "--grad", "--format", "svg")
    assert out.code == 0, out.stderr
    path = DOCS / f"{name}.svg"
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(out.stdout, encoding="utf-8")
    assert out.stdout == path.read_text(encoding="utf-8")


@pytest.mark.parametrize("name", EXAMPLES)
def test_png_is_a_valid_picture_of_sensible_size(run, tmp_path, name) -> None:
    program, at = EXAMPLES[name]
    target = tmp_path / f"{name}.png"
    out = run("graph", program, *at, "--grad", "--format", "png", "-o", str(target))
    assert out.code == 0, out.stderr
    data = target.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    assert 400 <= width <= 3000 and 200 <= height <= 2000, (width, height)
    assert 5_000 < len(data) < 1_000_000


# -- DOT read by real Graphviz parsers --


@pytest.mark.parametrize("name", EXAMPLES)
def test_dot_is_read_by_graphviz_pure_with_every_node_and_edge(name) -> None:
    graph = autograph.parse(EXAMPLES[name][0])
    laid_out = json.loads(render_json(example(name, "dot"), graphviz_pure()))
    assert len(laid_out["objects"]) == len(graph)
    assert len(laid_out["edges"]) == sum(len(args) for args in graph.inputs)


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")
@pytest.mark.parametrize("name", EXAMPLES)
def test_dot_is_read_by_the_system_graphviz(name) -> None:
    source = example(name, "dot")
    canon = subprocess.run(
        ["dot", "-Tcanon"], input=source, capture_output=True, text=True, check=True
    )
    assert canon.stderr == ""
    graph = autograph.parse(EXAMPLES[name][0])
    assert len(re.findall(r"^\s+n\d+\s+\[", canon.stdout, re.M)) == len(graph)
    svg = render(source, "svg", Path(shutil.which("dot") or "dot"))
    nodes = ElementTree.fromstring(svg).iter("{http://www.w3.org/2000/svg}g")
    assert sum(1 for g in nodes if g.get("class") == "node") == len(graph)


def render_json(source: str, engine: Path) -> str:
    done = subprocess.run(
        [str(engine), "-Tjson"], input=source, capture_output=True, text=True, check=True
    )
    return done.stdout


# -- What the pictures show --


def test_a_node_used_twice_is_drawn_once_and_referred_to_where_reused() -> None:
    text = draw(autograph.parse("y = (x + 1) * (x + 1); y + x"))
    assert isinstance(text, str)
    assert text.count("t1 = x + 1") == 1
    assert "t1  (see above)" in text and "x  (see above)" in text


def test_inputs_are_on_the_left_and_kinds_look_different_in_dot() -> None:
    source = to_dot(autograph.parse(ONE_PARAMETER))
    assert "rankdir=LR;" in source
    cells = dict(re.findall(r'n(\d+) \[label=<.*?<td port="c" ([^>]*)>', source))
    variable, constant, intermediate, output = cells["0"], cells["1"], cells["2"], cells["8"]
    assert len({variable, constant, intermediate, output}) == 4
    assert 'border="2"' in output


def test_without_at_pictures_show_names_and_operations_only() -> None:
    text = draw(autograph.parse(ONE_PARAMETER), format="mermaid")
    assert isinstance(text, str)
    assert 'n2("h = x + 5")' in text and "=" not in text.split("h = x + 5")[1].split('"')[0]
    assert "∂" not in text


def test_svg_and_text_go_to_stdout_and_png_needs_an_output_file(run) -> None:
    out = run("graph", "x * 2", "--format", "png")
    assert out.code == 2 and "-o FILE" in out.stderr and out.stdout == ""
    out = run("graph", "x * 2", "--format", "svg")
    assert out.code == 0 and out.stdout.startswith("<?xml")


def test_output_file_receives_the_picture(run, tmp_path) -> None:
    target = tmp_path / "f.mmd"
    out = run("graph", ONE_PARAMETER, "--format", "mermaid", "-o", str(target))
    assert out.code == 0 and out.stdout == ""
    assert target.read_text(encoding="utf-8").startswith("flowchart LR\n")


def test_without_a_layout_engine_svg_stops_with_how_to_get_one(run, monkeypatch) -> None:
    monkeypatch.setattr("autograph.pictures.render.find_engine", lambda: None)
    out = run("graph", ONE_PARAMETER, "--format", "svg")
    assert out.code == 2 and out.stdout == ""
    assert "pip install 'autograph-cli[pictures]'" in out.stderr
    assert "`dot` is on PATH" in out.stderr


def test_grad_needs_values_for_the_variables(run) -> None:
    out = run("graph", ONE_PARAMETER, "--grad")
    assert out.code == 2 and "--at x=" in out.stderr


# -- Huge graphs: loops, caps, and saying so --


def test_a_100000_node_graph_draws_a_capped_tree_and_full_text_formats() -> None:
    graph = long_sum(100_000)
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(200)  # a recursive walk anywhere would fail loudly
    try:
        text = draw(graph, {"x": 1}, grad=True)
        dot = draw(graph, format="dot")
        mermaid = draw(graph, format="mermaid")
    finally:
        sys.setrecursionlimit(limit)
    assert isinstance(text, str) and isinstance(dot, str) and isinstance(mermaid, str)
    assert len(text.splitlines()) < 600
    assert "of 100,000 nodes drawn" in text
    assert dot.count(" -> ") == mermaid.count(" --> ") == 2 * 99_999


def test_a_huge_graph_is_refused_as_a_rendered_picture() -> None:
    with pytest.raises(InputError, match="limited to"):
        draw(long_sum(5_000), format="svg")


# -- pictures drawn in bounded memory (issue 10, item 14) --


def chain(statements: int) -> autograph.Graph:
    """``a1 = sin(x) + x; a2 = sin(a1) + a1*x; ...``: a long, wide layout, 3 nodes a line."""
    lines = ["a1 = sin(x) + x"]
    lines += [f"a{i} = sin(a{i - 1}) + a{i - 1}*x" for i in range(2, statements + 1)]
    return autograph.parse("\n".join(lines))


def test_a_png_past_its_limit_is_refused_before_drawing_and_names_what_still_works(
    run, tmp_path, monkeypatch
) -> None:
    from autograph.pictures import render as rendering

    def no_drawing(*args: object) -> bytes:
        raise AssertionError("a picture over the limit must not be laid out")

    monkeypatch.setattr(rendering, "render", no_drawing)
    program = (
        "\n".join(f"a{i} = sin(x*{i})" for i in range(150))
        + "\n"
        + " + ".join(f"a{i}" for i in range(150))
    )
    target = tmp_path / "big.png"
    out = run("graph", program, "--format", "png", "-o", str(target))
    assert out.code == 2
    assert "png pictures are limited to 200" in out.stderr
    assert "--format svg draws up to 1,000 nodes, and dot or mermaid any size" in out.stderr
    assert not target.exists()


def test_an_svg_or_html_page_past_its_limit_points_to_dot_and_mermaid(run) -> None:
    program = " + ".join(f"sin(x*{i})" for i in range(400))
    for format in ("svg", "html"):
        out = run("graph", program, "--at", "x=1", "--format", format)
        assert out.code == 2, out.stderr
        assert "are limited to 1,000 (--format dot or mermaid writes any size)" in out.stderr
        assert out.stdout == ""


def test_a_png_is_scaled_down_to_a_bounded_canvas_whatever_its_layout(
    tmp_path, monkeypatch
) -> None:
    from autograph.pictures import render as rendering

    monkeypatch.setattr(rendering, "PNG_MAX_INCHES", 5)
    data = draw(chain(12), format="png")
    assert isinstance(data, bytes) and data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert width <= 5 * rendering.PNG_DPI and height <= 5 * rendering.PNG_DPI, (width, height)
