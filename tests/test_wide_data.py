"""Wide CSV shapes are read in linear time and memory: a header of 100,000 columns, and
one line of a million fields under a header of one. Each runs in a child process under a
CPU-time and memory budget many times what it needs (about a second, under 100 MB), which
the quadratic readers (53 s of CPU; 1.5 GB) overran: a budget, not a timing assert."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from pathlib import Path

CPU_SECONDS = 30
MEMORY = 1 << 30


def _budget() -> None:
    """In the child: at most CPU_SECONDS of CPU time and MEMORY of address space."""
    resource.setrlimit(resource.RLIMIT_CPU, (CPU_SECONDS, CPU_SECONDS))
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "NO_COLOR": "1", "OPENBLAS_NUM_THREADS": "1"}
    return subprocess.run(
        [sys.executable, "-m", "autograph", *args],
        capture_output=True,
        text=True,
        env=environment,
        preexec_fn=_budget,
        timeout=300,
    )


def test_a_header_of_100000_columns_is_read_within_a_small_budget(tmp_path: Path) -> None:
    columns = 100_000
    path = tmp_path / "wide.csv"
    header = ",".join(f"c{k}" for k in range(columns))
    rows = "\n".join(",".join(str(r + k) for k in (0, 1)) + ",0" * (columns - 2) for r in (1, 2))
    path.write_text(f"{header}\n{rows}\n")
    done = _run(
        "eval", f"c0 * c1 + c{columns - 1}", "--data", str(path), "--ignore-extra-columns", "--json"
    )
    assert (done.returncode, done.stderr) == (0, "")
    assert json.loads(done.stdout) == [2, 6]


def test_a_header_of_100000_columns_with_one_named_twice_is_refused_naming_it(
    tmp_path: Path,
) -> None:
    columns = 100_000
    path = tmp_path / "twice.csv"
    path.write_text(",".join(f"c{k}" for k in range(columns)) + ",c7\n" + "1," * columns + "1\n")
    done = _run("eval", "c7", "--data", str(path), "--ignore-extra-columns")
    assert done.returncode == 2
    assert f"line 1, column {columns + 1}: the column 'c7' is named twice" in done.stderr


def test_a_line_of_a_million_fields_under_one_column_is_refused_within_a_small_budget(
    tmp_path: Path,
) -> None:
    path = tmp_path / "long.csv"
    path.write_text("x\n" + ",".join("1" for _ in range(1_000_000)) + "\n")
    done = _run("eval", "x", "--data", str(path))
    assert done.returncode == 2
    assert done.stderr == (
        f"error: {path}, line 2, column 2: an extra field '1'; each line has only 1 field (x)\n"
    )
