"""The table for a person, rendered into a fixed-width Console: it fits, and no number splits."""

from __future__ import annotations

import io
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from rich.console import Console

import autograph
from autograph.evaluate import Backward, Forward
from autograph.explain import explain, print_explanation
from autograph.numbers import format_number
from autograph.table import print_result

ONE_PARAMETER = "h = x + 5; g = h^3 + 1; f = g^2"
REGRESSION = "c = w*x; f = c + b; d = f - y; J = 0.5*d^2"
# 30 nodes with long names and numbers of every size, from 1e-7 to 1e+12.
THIRTY = "; ".join(
    [
        "learning_rate = 0.001",
        "weight_one = w1 * 123456.789",
        "weight_two = w2 / 7",
        "activation = sigmoid(weight_one * weight_two - 0.3333)",
        "hidden_layer = tanh(activation) * exp(w1 * 20)",
        "residual = hidden_layer - y_target",
        "loss = 0.5 * residual^2 + learning_rate * (w1^2 + w2^2) - 1e-7 * cos(w2 + 4)",
    ]
)
POINT = {"w1": 1.2345678, "w2": -0.000987654321, "y_target": 0.1}


def rendered(result: Forward, width: int) -> str:
    console = Console(width=width, file=io.StringIO(), color_system=None, force_terminal=False)
    print_result(result, console)
    assert isinstance(console.file, io.StringIO)
    return console.file.getvalue()


def numbers_of(result: Forward) -> set[str]:
    shown = {format_number(value) for value in result.values}
    if isinstance(result, Backward):
        shown |= {format_number(a) for a in result.adjoints if a is not None}
        shown |= {format_number(p) for ps in result.partials for p in ps if p is not None}
    return shown


CASES = [
    (ONE_PARAMETER, {"x": -3.0}),
    (REGRESSION, {"w": 3.0, "b": 1.0, "x": -3.0, "y": 5.0}),
    (THIRTY, POINT),
]


@pytest.mark.parametrize("width", [80, 60])
@pytest.mark.parametrize(("program", "at"), CASES)
def test_no_number_is_split_and_the_table_fits(
    program: str, at: dict[str, float], width: int
) -> None:
    graph = autograph.parse(program)
    for result in (autograph.forward(graph, at), autograph.backward(graph, at)):
        text = rendered(result, width)
        lines = text.splitlines()
        assert max(len(line) for line in lines) <= width
        assert all(line == line.rstrip() for line in lines)
        assert not re.findall(r"(?<![\w.])-?[0-9.][0-9.e+-]*…", text)  # no number is cut short
        tokens = set(re.findall(r"-?[0-9][0-9.e+-]*", text))
        for number in numbers_of(result):
            assert number in tokens, f"{number} is not whole on one line at {width} columns"


def test_the_thirty_node_program_has_thirty_nodes_and_more() -> None:
    assert len(autograph.parse(THIRTY)) >= 30


def test_at_sixty_columns_the_local_derivatives_move_under_their_operation() -> None:
    graph = autograph.parse(REGRESSION)
    text = rendered(autograph.backward(graph, {"w": 3, "b": 1, "x": -3, "y": 5}), 60)
    lines = text.splitlines()
    assert lines[0].split() == ["#", "node", "operation", "value", "adjoint"]
    assert lines[4] == "                   ∂/∂w = -3"
    assert lines[5] == "                   ∂/∂x = 3"


def test_names_are_cut_only_while_they_still_differ() -> None:
    program = "; ".join(f"a_very_long_variable_name_{i} = x * {i}" for i in range(1, 4))
    graph = autograph.parse(program + "; a_very_long_variable_name_1 + a_very_long_variable_name_3")
    text = rendered(autograph.backward(graph, {"x": 1.5}), 40)
    names = [line.split()[0] for line in text.splitlines()[1:8] if line.strip()]
    cut = [name for name in names if name.endswith("…")]
    assert len(set(cut)) == len(cut)
    assert "a_very_long_variable_name_1" not in text or not cut


def test_explain_fits_sixty_columns_without_splitting_a_number() -> None:
    graph = autograph.parse(REGRESSION)
    console = Console(width=60, file=io.StringIO(), color_system=None, force_terminal=False)
    print_explanation(explain(graph, {"w": 3, "b": 1, "x": -3, "y": 5}, ["w", "b"]), console)
    assert isinstance(console.file, io.StringIO)
    text = console.file.getvalue()
    assert "dJ/dw = dJ/dc * dc/dw = -13 * x = -13 * -3 = 39" in text.replace("\n", " ")
    for number in ("84.5", "-13", "39", "-3"):
        assert number in text


def test_a_huge_gradient_lists_its_first_and_last_variables_only(run) -> None:  # type: ignore[no-untyped-def]
    program = "+".join(f"v{i}" for i in range(1500))
    out = run("grad", program, "--at", ",".join(f"v{i}=1" for i in range(1500)))
    assert out.code == 0
    assert "… 500 more (--json lists every one)" in out.stdout
    assert "∂t1499/∂v1499 = 1" in out.stdout


README = Path(__file__).resolve().parents[1] / "README.md"
GOLDEN = Path(__file__).parent / "golden" / "readme-piped"


def readme_commands() -> list[str]:
    text = README.read_text(encoding="utf-8")
    blocks = re.findall(r"```console\n(.*?)```", text, re.S)
    return [line[2:] for block in blocks for line in block.splitlines() if line.startswith("$ ")]


def golden_name(command: str) -> str:
    """A golden file per command, named by its text: adding an example renames no other."""
    import hashlib

    words = re.sub(r"[^a-z0-9]+", "-", command.lower().removeprefix("autograph "))[:40]
    return f"{words.strip('-')}-{hashlib.sha1(command.encode()).hexdigest()[:8]}.txt"


@pytest.mark.parametrize("command", readme_commands())
def test_piped_readme_examples_fit_80_columns_and_match_their_golden_files(command: str) -> None:
    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
    done = subprocess.run(
        [sys.executable, "-m", "autograph", *shlex.split(command)[1:]],
        capture_output=True,
        text=True,
        env={**env, "NO_COLOR": "1", "TERM": "dumb"},
        check=False,
    )
    printed = done.stdout + done.stderr
    golden = GOLDEN / golden_name(command)
    if os.environ.get("UPDATE_GOLDEN"):
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(f"$ {command}\n{printed}", encoding="utf-8")
    lines = printed.splitlines()
    if "--json" not in command:  # one line of JSON is as long as it is
        assert max((len(line) for line in done.stdout.splitlines()), default=0) <= 80
    assert all(line == line.rstrip() for line in lines)
    assert golden.read_text(encoding="utf-8") == f"$ {command}\n{printed}"


# -- big tables: what is not shown is not built, and laying out is not quadratic (issue 10) --


def reference_fit(table, width: int) -> None:
    """The layout as first written: names cut one character at a time (the reference)."""
    from rich.cells import cell_len

    from autograph import table as tables

    layout = table.layout
    for step in ["partials_below", "numbered"] if table.grad else ["numbered"]:
        if table.width() <= width:
            return
        if step == "partials_below":
            layout.partials_below = True
        else:
            layout.numbered = False
    excess = table.width() - width
    if excess <= 0:
        return
    operation = table.widths()[1]
    layout.operation_width = max(tables.SHORTEST, cell_len("operation"), operation - excess)
    cuttable = [cell_len(row.name) for row in table.rows if row.cuttable]
    longest = max(cuttable, default=0)
    for cut in range(longest - 1, tables.SHORTEST - 1, -1):
        if table.width() <= width:
            return
        layout.name_width = cut
        if not table.names_differ():
            layout.name_width = cut + 1 if cut + 1 < longest else None
            return


LONG_NAMES = [
    "a_rather_long_variable_name_for_a_weight * another_rather_long_name + b",
    "first_long_name_alpha = x*2; first_long_name_beta = x*3; "
    "first_long_name_alpha + first_long_name_beta",
    "\n".join(f"alias_number_{i} = x" for i in range(40)) + "\nalias_number_0 * 2",
    "same_prefix_but_then_one = w; same_prefix_but_then_two = w*w; "
    "same_prefix_but_then_one - same_prefix_but_then_two",
    "x",
]


@pytest.mark.parametrize("width", [30, 40, 52, 60, 80, 120])
@pytest.mark.parametrize("program", LONG_NAMES)
def test_names_are_cut_exactly_as_one_character_at_a_time_would_cut_them(
    monkeypatch, program: str, width: int
) -> None:
    from autograph import table as tables

    graph = autograph.parse(program)
    result = autograph.backward(graph, dict.fromkeys(graph.variables, 1.5))
    drawn = tables.node_table(result, width=width).plain
    monkeypatch.setattr(tables, "_fit", reference_fit)
    assert drawn == tables.node_table(result, width=width).plain


def test_a_node_with_hundreds_of_aliases_is_laid_out_in_a_few_tries(monkeypatch) -> None:
    from autograph import table as tables

    program = "\n".join(f"a{i} = x" for i in range(300)) + "\na0 * 2"
    graph = autograph.parse(program)
    result = autograph.backward(graph, {"x": 1.0})
    tries = 0
    real_width = tables._Table.width

    def width(self) -> int:
        nonlocal tries
        tries += 1
        return real_width(self)

    monkeypatch.setattr(tables._Table, "width", width)
    drawn = tables.node_table(result, width=80).plain
    assert tries < 40  # one character at a time: about 1,800
    assert max(len(line) for line in drawn.splitlines()) <= 80
    assert "x (also a0, a1" in drawn


def test_a_capped_table_formats_no_row_it_does_not_show(monkeypatch) -> None:
    from autograph import table as tables

    graph = autograph.parse(" + ".join(f"x{i}" for i in range(600)))
    result = autograph.backward(graph, {f"x{i}": float(i) for i in range(600)})
    formatted: list[float] = []
    real = tables.format_number

    def counting(value: float, *args, **kwargs) -> str:
        formatted.append(value)
        return real(value, *args, **kwargs)

    monkeypatch.setattr(tables, "format_number", counting)
    drawn = tables.node_table(result, max_rows=20, width=80).plain
    lines = drawn.splitlines()
    assert "… 1,179 nodes not shown (--json lists every node)" in drawn
    assert len(lines) < 60
    # a value, an adjoint and at most two partials for each of the 20 rows shown
    assert len(formatted) <= 20 * 4
