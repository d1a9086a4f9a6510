"""Does --workers 2 pay? ``grad --data --workers 2`` beside ``--workers 1``, in one run.

It writes a Parquet file of random samples (10^7 rows by default, in row groups
of 2^17 rows) for the linear-regression cost, then times the whole command,
``python -m autograph grad ... --data FILE --json``, with one process and with
two, taking turns (so a busy machine slows both alike), the best of --repeat
runs each. It checks that both print the same value and gradient to 1e-12
relative, and prints the wall times and their ratio (two / one; below 1 is a
gain). Run from the repository root with the ``data`` extra installed:

    python benchmarks/bench_workers.py [--rows 10000000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

PROGRAM = "J = 0.5*(w*x + b - y)^2"
AT = "w=3,b=1"
ROW_GROUP = 1 << 17


def write_dataset(path: Path, rows: int) -> None:
    """x ~ N(0, 1), y = 3x + 1 + noise, written in row groups of ROW_GROUP rows."""
    generator = np.random.default_rng(0)
    x = generator.normal(size=rows)
    y = 3 * x + 1 + generator.normal(size=rows)
    pq.write_table(pa.table({"x": x, "y": y}), path, row_group_size=ROW_GROUP)


def run(path: Path, workers: int) -> tuple[float, dict[str, Any]]:
    """The wall time of the whole command and its JSON result."""
    command = [sys.executable, "-m", "autograph", "grad", PROGRAM, "--at", AT]
    command += ["--data", str(path), "--json", "--quiet", "--workers", str(workers)]
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"--workers {workers} failed: {done.stderr}")
    return seconds, json.loads(done.stdout)


def agree(a: dict[str, Any], b: dict[str, Any]) -> float:
    """The largest relative difference between two results' value and gradient."""
    pairs = [(a["value"], b["value"])]
    pairs += [(a["gradient"][name], b["gradient"][name]) for name in a["gradient"]]
    return max(abs(p - q) / max(abs(p), abs(q), 1e-300) for p, q in pairs)


def main() -> None:
    """Time --workers 1 and 2 side by side and print the ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "samples.parquet"
        write_dataset(path, options.rows)
        size = path.stat().st_size / 1e6
        best = {1: float("inf"), 2: float("inf")}
        results: dict[int, dict[str, Any]] = {}
        for _ in range(options.repeat):
            for workers in (1, 2):
                seconds, results[workers] = run(path, workers)
                best[workers] = min(best[workers], seconds)
    difference = agree(results[1], results[2])
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"{platform.machine()}, {cores} cores, Python {platform.python_version()}")
    print(f"{options.rows:,} rows, Parquet {size:.0f} MB, row groups of {ROW_GROUP:,} rows")
    print(f"best of {options.repeat}, taking turns")
    print("| workers | wall time |")
    print("| ---: | ---: |")
    for workers in (1, 2):
        print(f"| {workers} | {best[workers]:.2f} s |")
    print(f"ratio (2 / 1): {best[2] / best[1]:.2f}")
    print(f"largest relative difference of the results: {difference:.1e}")
    if difference > 1e-12:
        raise SystemExit("the results differ by more than 1e-12 relative")


if __name__ == "__main__":
    main()
