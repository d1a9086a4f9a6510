"""The command line: reading programs, --at and --wrt, output forms, errors and exit codes."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import pytest


def test_eval_prints_a_table_and_the_value(run) -> None:
    out = run("eval", "h = x + 5; g = h^3 + 1; f = g^2", "--at", "x=-3")
    assert out.code == 0 and out.stderr == ""
    assert "f = 81" in out.stdout
    assert "h + 5" not in out.stdout and "x + 5" in out.stdout


def test_eval_json_has_value_and_nodes_but_no_gradient(run) -> None:
    data = run("eval", "x * 2", "--at", "x=4", "--json").json()
    assert data["value"] == 8
    assert "gradient" not in data
    assert [n["op"] for n in data["nodes"]] == ["var", "const", "mul"]
    assert all("adjoint" not in n for n in data["nodes"])


def test_grad_json_nodes_follow_the_contract(run) -> None:
    data = run("grad", "sin(x) * x", "--at", "x=1", "--json").json()
    assert set(data) >= {"value", "gradient", "nodes"}
    for node in data["nodes"]:
        assert set(node) >= {"id", "name", "op", "inputs", "value", "adjoint"}
        assert all(i < node["id"] for i in node["inputs"])


def test_a_program_without_variables_has_an_empty_gradient_object(run) -> None:
    assert run("grad", "2 * 3", "--json").json()["gradient"] == {}


@pytest.mark.parametrize(
    "args",
    [
        ("eval", "-x^2", "--at", "x=3"),
        ("eval", "--at", "x=3", "-x^2"),
        ("eval", "--at", "x=3", "-x^2", "--json"),
    ],
)
def test_an_expression_starting_with_a_minus_works_anywhere(run, args) -> None:
    out = run(*args)
    assert out.code == 0, out.stderr
    assert "-9" in out.stdout


def test_minus_softplus_is_not_mistaken_for_options(run) -> None:
    data = run("grad", "--at", "x=3", "-softplus(x)", "--json").json()
    assert data["gradient"]["x"] == pytest.approx(-1 / (1 + 2.718281828459045**-3))


def test_minus_reads_the_program_from_standard_input(run, monkeypatch) -> None:
    import io

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"a = x * 2\na + 1\n")))
    assert run("eval", "-", "--at", "x=2", "--json").json()["value"] == 5


def test_file_reads_the_program_from_a_file(run, tmp_path) -> None:
    program = tmp_path / "loss.ag"
    program.write_text("c = w*x; f = c + b; d = f - y; J = 0.5*d^2\n")
    data = run("grad", "--file", str(program), "--at", "w=3,b=1,x=-3,y=5", "--json").json()
    assert data["value"] == 84.5


def test_invalid_utf8_on_standard_input_is_bad_input(run, monkeypatch) -> None:
    import io

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"x + \xff")))
    out = run("eval", "-", "--at", "x=1")
    assert out.code == 2 and "UTF-8" in out.stderr


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("eval",), "no program given"),
        (("eval", "x", "--file", "f.ag"), "not both"),
        (("eval", "--file", "/no/such/file"), "cannot read"),
        (("eval", "x +", "--at", "x=1"), "unexpected end"),
        (("eval", "foo(x)", "--at", "x=1"), "unknown function"),
        (("eval", "sin(x, x)", "--at", "x=1"), "takes 1 argument"),
        (("eval", "x + y", "--at", "x=1"), "no value for y"),
        (("eval", "x", "--at", "x=inf"), "not a number"),
        (("eval", "x", "--at", "x=nan"), "not a number"),
        (("eval", "x", "--at", "x=1e400"), "too large"),
        (("eval", "x", "--at", "x"), "NAME=VALUE"),
        (("eval", "x", "--at", "1x=2"), "NAME=VALUE"),
        (("eval", "x", "--at", "x=1", "--at", "x=2"), "two values"),
        (("eval", "x", "--at", "x=1,z=2"), "not a variable"),
        (("grad", "x", "--at", "x=1", "--wrt", "z"), "not a variable"),
        (("grad", "x", "--at", "x=1", "--wrt", "1z"), "variable names"),
        (("eval", "", "--at", "x=1"), "empty"),
        (("eval", "x", "--jsn"), "has no option --jsn; did you mean --json?"),
    ],
)
def test_bad_input_exits_2_with_a_message_and_no_stdout(run, args, fragment) -> None:
    out = run(*args)
    assert out.code == 2
    assert out.stdout == ""
    assert fragment in out.stderr
    assert "Traceback" not in out.stderr


def test_a_trailing_comma_in_at_and_wrt_is_forgiven(run) -> None:
    data = run("grad", "x*y", "--at", "x=2,y=3,", "--wrt", "x,", "--json").json()
    assert data["gradient"] == {"x": 3}


def test_an_empty_at_value_is_bad_input(run) -> None:
    out = run("eval", "x", "--at", "")
    assert out.code == 2 and "--at was given an empty value" in out.stderr


def test_the_same_value_given_twice_is_fine(run) -> None:
    assert run("eval", "x", "--at", "x=1", "--at", "x=1.0", "--json").json()["value"] == 1


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("eval", "log(x)", "--at", "x=-1"), "log(-1)"),
        (("eval", "exp(x)", "--at", "x=1000"), "overflows"),
        (("grad", "sqrt(x)", "--at", "x=0"), "derivative"),
        (("grad", "(-2)^x", "--at", "x=2"), "derivative"),
    ],
)
def test_math_failures_exit_1_with_a_message_and_no_stdout(run, args, fragment) -> None:
    out = run(*args)
    assert out.code == 1
    assert out.stdout == ""
    assert fragment in out.stderr


def test_a_syntax_error_shows_the_line_with_a_caret(run) -> None:
    out = run("eval", "x + * 2", "--at", "x=1")
    assert out.stderr.splitlines()[-2:] == ["   | x + * 2", "   |     ^"]


def test_under_json_an_error_is_one_line_of_json_on_stderr(run) -> None:
    out = run("eval", "a = 1\nb = a +* 2", "--json")
    assert out.code == 2 and out.stdout == ""
    error = out.error()
    assert error["kind"] == "syntax"
    assert (error["line"], error["column"]) == (2, 8)
    assert len(out.stderr.strip().splitlines()) == 1


def test_under_json_a_math_error_names_its_node(run) -> None:
    error = run("eval", "y = x - 3; log(y)", "--at", "x=2", "--json").error()
    assert error["kind"] == "domain" and "log(y)" in error["message"]
    assert isinstance(error["node"], int)


def test_json_output_is_strict(run) -> None:
    out = run("grad", "x^2 + sigmoid(x)", "--at", "x=800", "--json")
    json.loads(out.stdout, parse_constant=lambda token: pytest.fail(f"non-strict {token}"))


def test_help_lists_the_commands(run) -> None:
    out = run("--help")
    assert out.code == 0
    assert "eval" in out.stdout and "grad" in out.stdout


def test_the_table_is_readable_without_colour(run) -> None:
    out = run("grad", "c = w*x; J = c^2", "--at", "w=3,x=-3")
    assert "\x1b[" not in out.stdout
    assert "∂J/∂w = 54" in out.stdout


def test_python_dash_m_autograph_runs_the_same_command_line() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "autograph", "grad", "((x+5)^3+1)^2", "--at", "x=-3", "--json"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["gradient"] == {"x": 216}


def test_a_huge_table_shows_its_first_and_last_rows_and_says_what_it_left_out(run) -> None:
    out = run("eval", "+".join(f"x*{i}" for i in range(1, 1001)), "--at", "x=1")
    assert out.code == 0
    lines = out.stdout.splitlines()
    assert any("nodes not shown (--json lists every node)" in line for line in lines)
    assert "value     t1999 = 500500" in out.stdout
    assert len(lines) < 1010


def test_json_written_node_by_node_is_the_same_text_as_the_whole_document() -> None:
    import io

    import autograph
    from autograph.report import dumps, to_dict, write

    result = autograph.backward(autograph.parse("a = sin(x)*y; a + y^2"), {"x": 1, "y": 2})
    stream = io.StringIO()
    write(result, stream, samples=3)
    assert stream.getvalue() == dumps(to_dict(result, samples=3)) + "\n"
    assert json.loads(stream.getvalue())["samples"] == 3


def test_a_piped_table_keeps_every_digit_of_its_numbers_with_digits_full() -> None:
    import os

    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
    args = ["grad", "exp(x)*y", "--at", "x=700.1,y=0.123456789", "--digits", "full"]
    done = subprocess.run(
        [sys.executable, "-m", "autograph", *args],
        capture_output=True,
        text=True,
        env={**env, "NO_COLOR": "1"},
        check=True,
    )
    value = repr(math.exp(700.1) * 0.123456789)
    assert value in done.stdout and "…" not in done.stdout


@pytest.mark.parametrize("args", [("diff", "x^2"), ("grad", "x^2", "--at", "x=1", "--check")])
def test_a_timeout_too_large_for_the_timer_is_bad_input(run, args) -> None:
    out = run(*args, "--timeout", "1e10")
    assert out.code == 2 and "--timeout takes a number from" in out.stderr


@pytest.mark.parametrize(
    ("program", "hint"),
    [("2x", "did you mean 2*x?"), ("sin x", "did you mean sin(x)?"), ("(x)(y)", "multiply")],
)
def test_two_terms_side_by_side_get_a_hint(run, program, hint) -> None:
    out = run("eval", program)
    assert out.code == 2 and hint in out.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("grad", "x", "--at", "x=1", "--tol", "1e-6"), "--tol goes with --check"),
        (("grad", "x", "--at", "x=1", "--timeout", "3"), "--timeout goes with --check"),
        (("grad", "x", "--at", "x=1", "--reduce", "sum"), "--reduce goes with --data"),
        (("eval", "x", "--at", "x=1", "--quiet"), "--quiet goes with --data"),
    ],
)
def test_an_option_that_means_nothing_without_another_is_refused(run, args, message) -> None:
    out = run(*args)
    assert out.code == 2 and message in out.stderr


def test_minus_o_with_no_value_is_the_expression_not_the_output_option(run) -> None:
    out = run("graph", "-o", "--at", "o=2")
    assert out.code == 0, out.stderr
    assert "-o = -2" in out.stdout


def test_a_byte_order_mark_before_a_program_is_skipped(run, tmp_path) -> None:
    program = tmp_path / "bom.ag"
    program.write_bytes("\ufeffx + 1".encode())
    assert run("eval", "--file", str(program), "--at", "x=1", "--json").json()["value"] == 2


@pytest.mark.parametrize("args", [("eval", "１ + 1"), ("eval", "x", "--at", "x=１")])
def test_only_ascii_digits_are_numbers(run, args) -> None:
    assert run(*args).code == 2


def test_version_prints_the_version_of_the_installed_distribution(run) -> None:
    from importlib.metadata import version

    out = run("--version")
    assert out.code == 0 and out.stdout == f"autograph {version('autograph-cli')}\n"


def _autograph(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "autograph", *args],
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_program_leaves_with_every_byte_of_a_big_output_and_its_exit_code() -> None:
    program = " + ".join(f"{k}*x" for k in range(1, 20_001))
    done = _autograph("grad", "-", "--at", "x=2", "--json", stdin=program)
    assert done.returncode == 0, done.stderr
    assert done.stdout.endswith("}]}\n")
    assert json.loads(done.stdout)["gradient"] == {"x": 20_000 * 20_001 / 2}


@pytest.mark.parametrize(
    ("args", "code"),
    [(("grad", "1/x", "--at", "x=0", "--json"), 1), (("grad", "x^", "--json"), 2)],
)
def test_the_program_leaves_with_its_error_on_stderr_and_its_exit_code(args, code) -> None:
    done = _autograph(*args)
    assert done.returncode == code
    assert done.stdout == ""
    assert "error" in json.loads(done.stderr)


def test_the_program_still_runs_exit_handlers_when_it_leaves_without_teardown(tmp_path) -> None:
    marker = tmp_path / "ran"
    script = (
        "import atexit, pathlib, sys\n"
        f"atexit.register(pathlib.Path({str(marker)!r}).write_text, 'yes')\n"
        "sys.argv = ['autograph', 'eval', 'x+1', '--at', 'x=1', '--json']\n"
        "from autograph.cli import main\n"
        "main()\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["value"] == 2
    assert marker.read_text() == "yes"
