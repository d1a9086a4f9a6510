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
