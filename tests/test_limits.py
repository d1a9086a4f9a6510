"""Unbounded input is bounded: a program past its size limit, a data line past its
limit, ``/dev/zero`` and ``/dev/urandom`` are refused with a clear error (exit 2) that
names the file and the limit, after reading no more than the limit; a FIFO is read
once, and one with no writer ends quietly on Ctrl-C. The limits are set small here,
through the environment or a parameter, so the tests stay fast."""

from __future__ import annotations

import io
import json
import os
import resource
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from autograph import InputError, data, limits
from autograph.cli.options import read_program
from autograph.data.jsonl import JsonLinesSource

AUTOGRAPH = [sys.executable, "-m", "autograph"]


def _environment(**limits_set: str) -> dict[str, str]:
    return {**os.environ, "NO_COLOR": "1", "COLUMNS": "100", **limits_set}


def _bounded_child() -> None:
    """In the child: Ctrl-C acts by default; 2 GiB of address space at most, so a reader
    that does not stop fails fast (MemoryError) instead of taking the machine."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))


def _run(*args: str, **limits_set: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*AUTOGRAPH, *args],
        capture_output=True,
        text=True,
        env=_environment(**limits_set),
        preexec_fn=_bounded_child,
        timeout=120,
    )


# The program's size


def test_a_program_file_past_the_limit_is_refused_naming_the_file_and_the_limit(
    run: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    program = tmp_path / "big.ag"
    program.write_text("x + " * 300 + "x")
    monkeypatch.setenv(limits.PROGRAM_VARIABLE, "1000")
    result = run("eval", "--file", str(program), "--at", "x=1", "--json")
    assert result.code == 2 and result.stdout == ""
    error = json.loads(result.stderr)["error"]
    assert error["kind"] == "too-big" and error["limit"] == 1000
    assert error["file"] == str(program)
    assert "1,000 bytes" in error["message"] and limits.PROGRAM_VARIABLE in error["message"]


def test_a_program_at_the_limit_is_read(
    run: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    program = tmp_path / "just.ag"
    program.write_text("x + " * 249 + "x")  # 1,000 bytes
    monkeypatch.setenv(limits.PROGRAM_VARIABLE, "1000")
    result = run("eval", "--file", str(program), "--at", "x=1", "--json")
    assert result.code == 0 and json.loads(result.stdout)["value"] == 250


def test_a_program_on_standard_input_past_the_limit_is_refused(
    run: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    stdin = io.TextIOWrapper(io.BytesIO(b"x + " * 300 + b"x"), encoding="utf-8")
    monkeypatch.setattr(sys, "stdin", stdin)
    monkeypatch.setenv(limits.PROGRAM_VARIABLE, "1000")
    result = run("eval", "-", "--at", "x=1")
    assert result.code == 2
    assert result.stderr.startswith("error: standard input is larger than 1,000 bytes")


def test_the_library_reads_a_program_up_to_the_limit_it_is_given(tmp_path: Path) -> None:
    program = tmp_path / "p.ag"
    program.write_text("x^2 + 1")
    assert read_program(None, program, max_bytes=7) == "x^2 + 1"
    with pytest.raises(InputError) as caught:
        read_program(None, program, max_bytes=6)
    assert caught.value.kind == "too-big" and caught.value.exit_code == 2


def test_a_limit_in_the_environment_that_is_no_number_is_a_usage_error(
    run: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(limits.PROGRAM_VARIABLE, "lots")
    result = run("eval", "--file", "/dev/null")
    assert result.code == 2
    assert "AUTOGRAPH_MAX_PROGRAM_BYTES must be a positive whole number" in result.stderr


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
def test_an_endless_device_as_the_program_is_refused_at_the_limit(device: str) -> None:
    done = _run("eval", "--file", device, **{limits.PROGRAM_VARIABLE: str(1 << 20)})
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr == (
        f"error: {device} is larger than 1 MiB, the limit on a program's size: "
        f"set {limits.PROGRAM_VARIABLE} to a larger number of bytes to read it\n"
    )


# One line of a data file


def test_data_with_no_newline_past_the_line_limit_is_refused_naming_line_1(
    run: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "one.csv"
    path.write_bytes(b"x" * 5000)
    monkeypatch.setenv(limits.LINE_VARIABLE, "1000")
    result = run("eval", "x", "--data", str(path), "--json")
    assert result.code == 2
    error = json.loads(result.stderr)["error"]
    assert (error["kind"], error["file"], error["line"], error["limit"]) == (
        "too-big",
        str(path),
        1,
        1000,
    )
    assert "the line is longer than 1,000 bytes" in error["message"]
    assert limits.LINE_VARIABLE in error["message"]


def test_endless_zeros_as_data_are_refused_at_the_line_limit() -> None:
    done = _run("eval", "x", "--data", "/dev/zero", **{limits.LINE_VARIABLE: str(1 << 20)})
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.startswith("error: /dev/zero, line 1: the line is longer than 1 MiB")


def _lines(max_line: int, block: int, lines: bytes, jsonl: bool = False) -> int:
    source: data.Source
    if jsonl:
        source = JsonLinesSource(io.BytesIO(lines), "d.jsonl", max_line=max_line)
        return sum(len(chunk["x"]) for chunk in source.chunks())
    source = data.DataFile(io.BytesIO(lines), "d.csv", max_line=max_line)
    return sum(len(chunk["x"]) for chunk in source.chunks(block=block))


@pytest.mark.parametrize("block", [3, 7, 64, 1 << 20])
def test_a_long_line_among_short_ones_is_refused_by_its_number_whatever_the_blocks(
    block: int,
) -> None:
    body = b"x\n1\n2\n" + b"3" * 40 + b"\n4\n"
    with pytest.raises(InputError) as caught:
        _lines(30, block, body)
    assert caught.value.kind == "too-big" and caught.value.details["line"] == 4
    assert _lines(40, block, body) == 4  # 40 bytes is at the limit, not past it


@pytest.mark.parametrize("block", [3, 64])
def test_an_unended_last_line_past_the_limit_is_refused(block: int) -> None:
    with pytest.raises(InputError) as caught:
        _lines(30, block, b"x\n1\n" + b"2" * 31)
    assert caught.value.details["line"] == 3


def test_a_long_line_of_json_lines_is_refused_by_its_number() -> None:
    body = b'{"x": 1}\n{"x": 2}\n{"x": ' + b"3" * 40 + b"}\n"
    with pytest.raises(InputError) as caught:
        _lines(30, 0, body, jsonl=True)
    assert caught.value.kind == "too-big" and caught.value.details["line"] == 3
    with pytest.raises(InputError) as caught:
        _lines(30, 0, b'{"x": 1}\n\n' + b"3" * 40, jsonl=True)
    assert caught.value.details["line"] == 3


# FIFOs


def test_data_from_a_fifo_is_read_once_from_its_first_byte(tmp_path: Path) -> None:
    fifo = tmp_path / "samples"
    os.mkfifo(fifo)

    def write() -> None:
        with open(fifo, "wb") as out:
            out.write(b"x\n1\n2\n3\n")

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    done = _run("eval", "x*2", "--data", str(fifo), "--json")
    writer.join(timeout=5)
    assert (done.returncode, json.loads(done.stdout), done.stderr) == (0, [2, 4, 6], "")


def _waiting_for_a_writer(pid: int) -> bool:
    """True once the process sleeps opening a FIFO that nobody writes to."""
    try:
        channel = Path(f"/proc/{pid}/wchan").read_text()
    except OSError:
        return False
    return "fifo" in channel or "partner" in channel


@pytest.mark.parametrize("option", ["--file", "--data"])
def test_ctrl_c_while_a_fifo_waits_for_its_writer_ends_quietly_with_exit_code_130(
    tmp_path: Path, option: str
) -> None:
    fifo = tmp_path / "nobody"
    os.mkfifo(fifo)
    args = ["eval", *(["x"] if option == "--data" else []), option, str(fifo)]
    process = subprocess.Popen(
        [*AUTOGRAPH, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=_environment(),
        preexec_fn=_bounded_child,
    )
    deadline = time.monotonic() + 30  # without /proc/PID/wchan, interrupt anyway
    while not _waiting_for_a_writer(process.pid) and time.monotonic() < deadline:
        time.sleep(0.02)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=30)
    assert (process.returncode, out, err) == (130, b"", b"")
