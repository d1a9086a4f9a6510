"""Nothing typed can break the command line: exit 0, 1 or 2, strict JSON or nothing on stdout,
a clear message on stderr, never a traceback; pathological input ends quickly; a closed pipe
and Ctrl-C end quietly with the conventional exit codes."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from autograph.cli import main
from strategies import broken_programs, expressions, programs

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@dataclass
class Outcome:
    code: int
    stdout: str
    stderr: str


def call(*args: str, stdin: bytes = b"") -> Outcome:
    """Run ``autograph ARGS`` in-process, with ``stdin`` as its standard input."""
    out, err = io.StringIO(), io.StringIO()
    fake_stdin = io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8")
    environment = {"NO_COLOR": "1", "COLUMNS": "100"}
    with (
        redirect_stdout(out),
        redirect_stderr(err),
        mock.patch.object(sys, "stdin", fake_stdin),
        mock.patch.dict(os.environ, environment),
        pytest.raises(SystemExit) as exited,
    ):
        main(list(args))
    return Outcome(int(exited.value.code or 0), out.getvalue(), err.getvalue())


def _refuse(token: str) -> Any:
    raise ValueError(f"not strict JSON: {token}")


def assert_well_behaved(outcome: Outcome, as_json: bool) -> None:
    """The contract for any input: a known exit code, clean streams, no traceback."""
    assert outcome.code in (0, 1, 2), outcome
    assert "Traceback" not in outcome.stderr and "Traceback" not in outcome.stdout
    assert "internal error" not in outcome.stderr
    if outcome.code == 0:
        assert outcome.stdout
        if as_json:
            json.loads(outcome.stdout, parse_constant=_refuse)
    else:
        assert outcome.stdout == ""
        assert outcome.stderr.strip()
        if as_json:
            assert outcome.stderr.count("\n") == 1
            error = json.loads(outcome.stderr, parse_constant=_refuse)["error"]
            assert error["kind"] and error["message"]
        else:
            assert outcome.stderr.startswith("error: ")


AT = st.lists(
    st.one_of(
        st.text(max_size=12),
        st.tuples(st.sampled_from(["x", "y", "w", "a", "é", ""]), st.text(max_size=6)).map(
            "=".join
        ),
        st.sampled_from(["x=1", "x=-3,y=2", "x=1e400", "x=nan", "x=inf", "x=1,x=2", "=", ","]),
    ),
    max_size=3,
)
WRT = st.lists(st.one_of(st.text(max_size=8), st.sampled_from(["x", "y", "x,y", ",", "1x"])))


def command_line(
    program: str, at: list[str], wrt: list[str], command: str, as_json: bool
) -> list[str]:
    args = [command, program]
    for item in at:
        args += ["--at", item]
    if command == "grad":
        for item in wrt:
            args += ["--wrt", item]
    return [*args, "--json"] if as_json else args


@FUZZ
@given(
    st.one_of(st.text(max_size=40), programs(), broken_programs(), expressions),
    AT,
    WRT,
    st.sampled_from(["eval", "grad"]),
    st.booleans(),
)
def test_any_program_and_options_end_in_a_result_or_a_clear_error(
    program: str, at: list[str], wrt: list[str], command: str, as_json: bool
) -> None:
    if "\x00" in program or "\ud800" <= min(program, default="a") <= "\udfff":
        program = program.replace(
            "\x00", ""
        )  # the OS refuses NUL in arguments; stdin has its own test
    try:
        program.encode("utf-8")
    except UnicodeEncodeError:
        program = program.encode("utf-8", "replace").decode("utf-8")
    assert_well_behaved(call(*command_line(program, at, wrt, command, as_json)), as_json)


@FUZZ
@given(st.binary(max_size=60), st.sampled_from(["eval", "grad"]), st.booleans())
def test_any_bytes_on_standard_input_end_in_a_result_or_a_clear_error(
    data: bytes, command: str, as_json: bool
) -> None:
    args = [command, "-", "--at", "x=1"] + (["--json"] if as_json else [])
    assert_well_behaved(call(*args, stdin=data), as_json)


@pytest.mark.parametrize(
    "data",
    [b"x + \xff", b"\x00", b"x\x00+1", b"\xef\xbb\xbfx + 1", b"\xc3", b"x + 1\r\n", b"\x1b[31m"],
)
def test_invalid_utf8_nul_and_control_bytes_are_clear_errors(data: bytes) -> None:
    outcome = call("eval", "-", "--at", "x=1", "--json", stdin=data)
    assert_well_behaved(outcome, as_json=True)


@pytest.mark.parametrize(
    ("program", "code", "kind"),
    [
        ("10^10^10", 1, "overflow"),
        ("1e999", 2, "number-too-large"),
        ("-" * 10_000 + "x", 0, None),
        ("-" * 10_001 + "3", 0, None),
        ("(" * 5_000 + "x" + ")" * 5_000, 0, None),
        ("exp(exp(exp(x)))", 1, "overflow"),
        ("x^x^x^x^x^x^x^x", 1, "overflow"),
        ("1e308 * 10 - 1e308 * 10", 1, "overflow"),
        ("sin(1e308 * 10)", 1, "overflow"),
        ("max(" + "x, " * 10_000 + "x)", 2, "arity"),
        ("sinn(" * 1_000 + "x" + ")" * 1_000, 2, "unknown-function"),
        ("x" + " + x" * 20_000 + " +", 2, "syntax"),
    ],
)
def test_pathological_programs_end_quickly_with_a_result_or_a_clear_error(
    program: str, code: int, kind: str | None
) -> None:
    started = time.perf_counter()
    at = ["--at", "x=3"] if "x" in program else []
    outcome = call("grad", program, *at, "--json")
    assert time.perf_counter() - started < 10
    assert_well_behaved(outcome, as_json=True)
    assert outcome.code == code, outcome.stderr
    if kind:
        assert json.loads(outcome.stderr)["error"]["kind"] == kind


def test_ten_thousand_minus_signs_compute_the_right_sign() -> None:
    even = json.loads(call("grad", "-" * 10_000 + "x", "--at", "x=3", "--json").stdout)
    odd = json.loads(call("grad", "-" * 10_001 + "x", "--at", "x=3", "--json").stdout)
    assert (even["value"], even["gradient"]["x"]) == (3.0, 1.0)
    assert (odd["value"], odd["gradient"]["x"]) == (-3.0, -1.0)


def test_an_overflow_is_reported_where_it_happens_not_where_it_first_breaks_a_function() -> None:
    outcome = call("eval", "y = 1e308 * 10; sin(y)", "--json")
    error = json.loads(outcome.stderr)["error"]
    assert outcome.code == 1 and error["kind"] == "overflow"
    assert "1e308 * 10" in error["message"]


def test_a_name_of_100000_characters_works_and_long_names_are_shortened_in_messages() -> None:
    name = "v" * 100_000
    data = json.loads(call("grad", f"{name} * 2", "--at", f"{name}=1.5", "--json").stdout)
    assert data["value"] == 3.0 and data["gradient"] == {name: 2.0}
    outcome = call("eval", f"{name} * 2")
    assert outcome.code == 2
    assert len(outcome.stderr) < 1_000
    assert "vvv..." in outcome.stderr


def test_a_ten_megabyte_program_file_is_read_and_run(tmp_path: Path) -> None:
    program = tmp_path / "big.ag"
    padding = "#" + "-" * 10_000_000 + "\n"
    program.write_text(f"a = x * 2\n{padding}a + 1\n", encoding="utf-8")
    data = json.loads(call("grad", "--file", str(program), "--at", "x=3", "--json").stdout)
    assert data["value"] == 7.0 and data["gradient"] == {"x": 2.0}


# Real processes: closed pipes and Ctrl-C.

AUTOGRAPH = [sys.executable, "-m", "autograph"]
# Under PYTHONUNBUFFERED, Python drops the unwritten rest of a partial write to a closed
# pipe without an error, so there is no closed pipe to notice: test the normal setting.
ENVIRONMENT = {
    **{k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"},
    "NO_COLOR": "1",
    "COLUMNS": "100",
}


def _piped_into_head(args: list[str], program: str, head: str = "-1") -> tuple[int, str]:
    """Run autograph on ``program`` (on stdin) with stdout into ``head``: exit code, stderr."""
    producer = subprocess.Popen(
        [*AUTOGRAPH, args[0], "-", *args[1:]],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=ENVIRONMENT,
    )
    assert producer.stdin and producer.stdout and producer.stderr
    producer.stdin.write(program.encode())
    producer.stdin.close()
    subprocess.run(["head", head], stdin=producer.stdout, capture_output=True, check=True)
    producer.stdout.close()
    stderr = producer.stderr.read().decode()
    return producer.wait(timeout=60), stderr


def test_a_large_table_piped_into_head_ends_quietly_with_exit_code_141() -> None:
    # 1,000 rows shown of 3,000 nodes, 100 kB: more than a pipe holds, so head closes it early.
    program = "; ".join(f"a_rather_long_name_{i} = sin(x) * {i}" for i in range(1_500))
    code, stderr = _piped_into_head(["grad", "--at", "x=1"], program)
    assert (code, stderr) == (141, "")


def test_large_json_piped_into_head_c_ends_quietly_with_exit_code_141() -> None:
    program = " + ".join(f"{i}*x" for i in range(1, 5_001))  # 2 MB of JSON
    code, stderr = _piped_into_head(["grad", "--at", "x=1", "--json"], program, "-c100")
    assert (code, stderr) == (141, "")


def _interruptible() -> None:
    """In the child: Ctrl-C acts by default, even where the suite runs with it ignored
    (a background job of a shell without job control inherits SIGINT ignored)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _waiting_for_input(pid: int) -> bool:
    """True once the process sleeps in a read of its (never-closed) standard input."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
        channel = Path(f"/proc/{pid}/wchan").read_text()
    except OSError:
        return False
    return state == "S" and "pipe" in channel


def test_ctrl_c_while_reading_standard_input_ends_quietly_with_exit_code_130() -> None:
    process = subprocess.Popen(
        [*AUTOGRAPH, "eval", "-"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=ENVIRONMENT,
        preexec_fn=_interruptible,
    )
    deadline = time.monotonic() + 10  # without /proc/PID/wchan, interrupt anyway
    while not _waiting_for_input(process.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=30)
    assert (process.returncode, out, err) == (130, b"", b"")


def test_ctrl_c_during_a_long_computation_ends_quietly_with_exit_code_130() -> None:
    lines = (f"a{i} = sin(x) * {i} + a{i - 1}" for i in range(1, 400_000))
    program = "\n".join(lines).encode()
    process = subprocess.Popen(
        [*AUTOGRAPH, "grad", "-", "--at", "a0=1,x=2", "--json"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=ENVIRONMENT,
        preexec_fn=_interruptible,
    )
    # Events, not sleeps: once it waits on its input it is past start-up; once it has
    # taken the whole program it is computing (seconds of work) when the signal comes.
    deadline = time.monotonic() + 10
    while not _waiting_for_input(process.pid) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert process.stdin is not None
    process.stdin.write(program)
    process.stdin.close()
    process.send_signal(signal.SIGINT)
    assert process.stdout is not None and process.stderr is not None
    process.wait(timeout=60)
    out, err = process.stdout.read(), process.stderr.read()
    assert (process.returncode, out, err) == (130, b"", b"")


# Issue 10: what a stress test broke.


def test_a_parameter_with_no_path_to_the_output_has_gradient_zero_over_a_dataset(
    tmp_path: Path,
) -> None:
    import numpy as np

    from autograph import batch, parse

    data = tmp_path / "x.csv"
    data.write_text("x\n1\n2\n", encoding="utf-8")
    outcome = call("grad", "a = w; x*2", "--data", str(data), "--at", "w=1", "--json")
    assert outcome.code == 0, outcome
    assert json.loads(outcome.stdout)["gradient"] == {"w": 0.0}
    got = batch.cost(parse("a = w; x*2"), {"x": np.array([1.0, 2.0])}, {"w": 1.0})
    assert (got.value, got.gradient) == (3.0, {"w": 0.0})


def test_a_constant_sympy_cannot_print_is_a_clean_error_not_an_internal_one() -> None:
    outcome = call("diff", "x*1e-5000")
    assert outcome.code == 1 and "internal" not in outcome.stderr, outcome
    assert outcome.stderr.startswith("error: SymPy could not handle this formula")


def _closed_pipe_run(args: list[str]) -> tuple[int, bytes]:
    """Run autograph with stdout a pipe whose reader has already gone: exit code, stderr."""
    reader, writer = os.pipe()
    os.close(reader)
    try:
        done = subprocess.run(
            [*AUTOGRAPH, *args], stdout=writer, stderr=subprocess.PIPE, env=ENVIRONMENT, timeout=60
        )
    finally:
        os.close(writer)
    return done.returncode, done.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["eval", "x", "--at", "x=1"],
        ["eval", "x", "--at", "x=1", "--json"],
        ["grad", "x", "--at", "x=1"],
        ["grad", "x", "--at", "x=1", "--json"],
        ["jvp", "x", "--at", "x=1", "--tangent", "x=1"],
        ["hessian", "x^2", "--at", "x=1"],
        ["diff", "x"],
        ["diff", "x", "--json"],
        ["graph", "x"],
        ["graph", "x", "--format", "dot"],
        ["graph", "x", "--format", "mermaid"],
        ["explain", "x", "--at", "x=1"],
        ["explain", "x", "--at", "x=1", "--format", "md"],
        ["--help"],
        ["--version"],
    ],
    ids=" ".join,
)
def test_every_command_and_format_into_a_closed_pipe_ends_quietly_with_exit_code_141(
    args: list[str],
) -> None:
    assert _closed_pipe_run(args) == (141, b"")


@pytest.mark.parametrize("form", ["dot", "mermaid"])
def test_a_big_picture_cut_short_by_head_ends_with_exit_code_141_not_0(form: str) -> None:
    # One write of 1 MB to a pipe closed part-way used to end as if all of it were written.
    program = "t = x\n" + "t = sin(t)*t\n" * 2_000
    code, stderr = _piped_into_head(["graph", "--format", form], program, "-c10")
    assert (code, stderr) == (141, "")


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
@pytest.mark.parametrize("as_json", [False, True])
def test_a_full_disk_is_an_io_error_with_its_own_message_and_exit_code_74(as_json: bool) -> None:
    with open("/dev/full", "w") as full:
        args = ["eval", "x+1", "--at", "x=1"] + (["--json"] if as_json else [])
        done = subprocess.run(
            [*AUTOGRAPH, *args], stdout=full, stderr=subprocess.PIPE, env=ENVIRONMENT, timeout=60
        )
    assert done.returncode == 74
    message = "cannot write the output: No space left on device"
    if as_json:
        assert json.loads(done.stderr) == {"error": {"kind": "io", "message": message}}
    else:
        assert done.stderr.decode() == f"error: {message}\n"
