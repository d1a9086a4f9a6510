"""The REPL's session (autograph.session): statements, commands, ans and :save."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from autograph.session import COMMANDS, Session

EXAMPLE = ["h = x + 5", "g = h^3 + 1", "f = g^2", ":at x=-3"]


def session_of(lines: list[str]) -> Session:
    session = Session()
    for line in lines:
        session.run(line)
    return session


def test_the_one_parameter_example_line_by_line_has_gradient_216() -> None:
    # closed form: d/dx ((x+5)^3+1)^2 = 2((x+5)^3+1) * 3(x+5)^2 = 2*9*3*4 = 216 at x = -3
    shown = session_of(EXAMPLE).run(":grad")
    assert "∂f/∂x = 216" in shown
    assert "f = 81" in shown


def test_setting_the_point_shows_the_programs_value_and_makes_it_ans() -> None:
    session = session_of(EXAMPLE[:3])
    assert session.run(":at x=-3") == "f = 81"
    assert session.ans == 81.0
    assert session.run("k = ans + 1") == "k = 82"


def test_a_line_that_fails_is_reported_and_not_added() -> None:
    session = session_of(["h = x + 5"])
    shown = session.run("g = h^3 +")
    assert shown.startswith("error: ")
    assert "line 1, column 10" in shown
    assert session.lines == ["h = x + 5"]


def test_an_unknown_command_and_a_command_without_a_program_are_errors_not_exceptions() -> None:
    session = Session()
    assert "unknown command" in session.run(":bogus")
    assert "no program yet" in session.run(":grad")
    assert "--at" not in session.run(":at x=")


def test_wrt_restricts_the_gradient_of_the_linear_regression_example() -> None:
    session = session_of(["c = w*x", "f = c + b", "J = 0.5*(f - y)^2", ":at w=3,b=1,x=-3,y=5"])
    session.run(":wrt w,b")
    shown = session.run(":grad")
    # by hand: f - y = -13, dJ/dw = -13 * x = 39, dJ/db = -13
    assert "∂J/∂w = 39" in shown and "∂J/∂b = -13" in shown
    assert "∂J/∂x" not in shown


def test_explain_graph_and_check_speak_of_the_session_program() -> None:
    session = session_of(EXAMPLE)
    assert "df/dx = df/dh * dh/dx = 216 * 1 = 216" in session.run(":explain")
    assert "∂f/∂x = 216" in session.run(":graph")
    assert "agree" in session.run(":check").lower()


def test_reset_forgets_everything() -> None:
    session = session_of(EXAMPLE)
    session.run(":reset")
    assert (session.lines, session.at, session.wrt, session.ans) == ([], {}, None, None)


def test_help_lists_every_command() -> None:
    shown = Session().run(":help")
    assert all(command in shown for command in COMMANDS)


def test_variables_lists_free_variables_and_assigned_names() -> None:
    assert session_of(EXAMPLE).variables() == ["x", "h", "g", "f"]


def test_save_writes_the_lines_that_worked(tmp_path: Path) -> None:
    session = session_of(["h = x + 5", "g = h^3 +", "g = h^3 + 1", "f = g^2"])
    target = tmp_path / "f.ag"
    assert session.run(f":save {target}") == f"saved 3 lines to {target}"
    assert target.read_text() == "h = x + 5\ng = h^3 + 1\nf = g^2\n"


def test_a_saved_program_is_what_grad_file_reads_back_with_gradient_216(tmp_path: Path) -> None:
    import json

    session = session_of(["h = x + 5", "g = h^3 +", "g = h^3 + 1", "f = g^2"])
    target = tmp_path / "f.ag"
    session.run(f":save {target}")
    command = [sys.executable, "-m", "autograph", "grad", "--file", str(target), "--at", "x=-3"]
    done = subprocess.run([*command, "--json"], capture_output=True, text=True, check=True)
    # closed form: 2((x+5)^3+1) * 3(x+5)^2 = 216 at x = -3
    assert json.loads(done.stdout)["gradient"] == {"x": 216.0}


def test_ans_is_written_into_the_program_as_a_number(tmp_path: Path) -> None:
    session = session_of(EXAMPLE)
    assert session.run("k = 2*ans") == "k = 162"
    assert session.lines[-2:] == ["ans = 81.0", "k = 2*ans"]


def test_ans_before_any_result_is_an_error_and_the_line_is_not_added() -> None:
    session = Session()
    assert session.run("k = ans + 1").startswith("error: ")
    assert session.lines == []


def test_a_session_reads_points_and_names_without_the_command_line() -> None:
    # The REPL's library, as a notebook would use it: no Typer, no Click, no cli package.
    code = (
        "import sys\n"
        "from autograph.session import Session\n"
        "s = Session()\n"
        "assert s.run(':at x=2') == 'at x = 2'\n"
        "assert s.run(':wrt x') == 'wrt x'\n"
        "loaded = [m for m in ('typer', 'click', 'autograph.cli') if m in sys.modules]\n"
        "assert not loaded, loaded\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
