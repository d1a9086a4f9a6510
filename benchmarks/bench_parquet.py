"""Parquet beside CSV, and ``grad --data`` beside a hand-written pyarrow + NumPy script.

It writes the same random samples (10^7 rows by default) for the
linear-regression cost as CSV (shortest exact decimals) and as Parquet (row
groups of 2^17 rows), then times, in one run, the methods taking turns (so a
busy machine slows all alike), the best of --repeat runs each:

- reading: every row of each file through ``autograph.data`` (MB/s of the file
  and million rows per second), and the Parquet file by ``pyarrow.parquet``
  alone, for reference;
- the whole command, ``python -m autograph grad ... --data FILE.parquet --json``
  (start-up, reading, both passes, the per-node JSON), beside a script a
  person writes with pyarrow and NumPy (read the two columns, the closed-form
  gradient), each a fresh process. It checks that both give the same value and
  gradient to 1e-12 relative and prints the ratio (autograph / script; the
  issue's target is at most 1.3).

Run from the repository root with the ``data`` extra installed:

    python benchmarks/bench_parquet.py [--rows 10000000] [--repeat 3]
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
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from autograph import data

PROGRAM = "J = 0.5*(w*x + b - y)^2"
AT = "w=3,b=1"
ROW_GROUP = 1 << 17

# What a person writes without autograph: the two columns, the closed-form gradient.
BY_HAND = """
import json, sys
import numpy as np
import pyarrow.parquet as pq

table = pq.read_table(sys.argv[1], columns=["x", "y"])
x = table.column("x").to_numpy()
y = table.column("y").to_numpy()
w, b = 3.0, 1.0
r = w * x + b - y
print(json.dumps({"value": float(np.mean(0.5 * r * r)),
                  "gradient": {"w": float(np.mean(r * x)), "b": float(np.mean(r))}}))
"""


def write_files(folder: Path, rows: int) -> tuple[Path, Path]:
    """x ~ N(0, 1), y = 3x + 1 + noise, as CSV and as Parquet."""
    generator = np.random.default_rng(0)
    x = generator.normal(size=rows)
    y = 3 * x + 1 + generator.normal(size=rows)
    parquet, csv = folder / "d.parquet", folder / "d.csv"
    pq.write_table(pa.table({"x": x, "y": y}), parquet, row_group_size=ROW_GROUP)
    with csv.open("w") as out:
        out.write("x,y\n")
        step = 10**6
        for start in range(0, rows, step):
            piece = slice(start, start + step)
            pairs = zip(x[piece].tolist(), y[piece].tolist(), strict=True)
            out.write("".join(f"{a!r},{b!r}\n" for a, b in pairs))
    return csv, parquet


def read_all(path: Path) -> int:
    """Every row of the file through autograph's reader (the program's two columns)."""
    with data.open_data(path) as source:
        return sum(len(chunk["x"]) for chunk in source.chunks(["x", "y"]))


def read_pyarrow(path: Path) -> int:
    return pq.read_table(path, columns=["x", "y"]).num_rows


def command(argv: list[str]) -> Callable[[], dict[str, Any]]:
    def run() -> dict[str, Any]:
        done = subprocess.run(argv, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise SystemExit(f"{argv[:4]} failed: {done.stderr}")
        return dict(json.loads(done.stdout))

    return run


def best_of(methods: dict[str, Callable[[], Any]], repeat: int) -> tuple[dict[str, float], dict]:
    """Seconds per call, the best of ``repeat`` rounds in which the methods take turns."""
    best = dict.fromkeys(methods, float("inf"))
    last: dict[str, Any] = {}
    for _ in range(repeat):
        for name, method in methods.items():
            start = time.perf_counter()
            last[name] = method()
            best[name] = min(best[name], time.perf_counter() - start)
    return best, last


def agree(a: dict[str, Any], b: dict[str, Any]) -> float:
    """The largest relative difference between two results' value and gradient."""
    pairs = [(a["value"], b["value"])]
    pairs += [(a["gradient"][name], b["gradient"][name]) for name in b["gradient"]]
    return max(abs(p - q) / max(abs(p), abs(q), 1e-300) for p, q in pairs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10**7, help="rows (default 10^7)")
    parser.add_argument("--repeat", type=int, default=3, help="rounds per timing (default 3)")
    args = parser.parse_args()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"pyarrow {pa.__version__}; load average {load:.1f}; {args.rows:,} rows; "
        f"best of {args.repeat}\n"
    )
    with tempfile.TemporaryDirectory() as folder:
        csv, parquet = write_files(Path(folder), args.rows)
        reads = {
            "autograph, CSV": lambda: read_all(csv),
            "autograph, Parquet": lambda: read_all(parquet),
            "pyarrow alone, Parquet": lambda: read_pyarrow(parquet),
        }
        seconds, _ = best_of(reads, args.repeat)
        sizes = {"CSV": csv.stat().st_size, "Parquet": parquet.stat().st_size}
        print("| reading | file | time | MB/s | million rows/s |")
        print("| --- | ---: | ---: | ---: | ---: |")
        for name, spent in seconds.items():
            size = sizes[name.rsplit(", ", 1)[1]]
            print(
                f"| {name} | {size / 1e6:.0f} MB | {spent:.2f} s | {size / spent / 1e6:,.0f} "
                f"| {args.rows / spent / 1e6:.1f} |"
            )
        ours = [sys.executable, "-m", "autograph", "grad", PROGRAM, "--at", AT]
        ours += ["--data", str(parquet), "--json", "--quiet"]
        whole = {
            "autograph grad --data": command(ours),
            "pyarrow + NumPy script": command([sys.executable, "-c", BY_HAND, str(parquet)]),
        }
        seconds, results = best_of(whole, args.repeat)
        print("\n| whole command, Parquet | wall time |")
        print("| --- | ---: |")
        for name, spent in seconds.items():
            print(f"| {name} | {spent:.2f} s |")
        ratio = seconds["autograph grad --data"] / seconds["pyarrow + NumPy script"]
        difference = agree(results["autograph grad --data"], results["pyarrow + NumPy script"])
        print(f"\nratio autograph / script: {ratio:.2f} (target at most 1.3)")
        print(f"largest relative difference of value and gradient: {difference:.1e}")
        if difference > 1e-12:
            raise SystemExit("the results differ by more than 1e-12 relative")


if __name__ == "__main__":
    main()
