"""Does --workers 2 pay? ``grad --data --workers 2`` beside ``--workers 1``, in one run.

For each of two models it writes a Parquet file of random samples (10^7 rows
by default, in row groups of 2^17 rows): the linear regression of one feature
(2 columns, the lightest pass there is) and the logistic regression of four
(5 columns). It times the whole command, ``python -m autograph grad ... --data
FILE --json``, with one process and with two, taking turns (so a busy machine
slows both alike), the best of --repeat runs each, beside the command on a
two-row file of the same columns (the start-up that no worker can share). It
checks that both print the same value and gradient to 1e-12 relative, and
prints the wall times and their ratio (two / one; below 1 is a gain). Run from
the repository root with the ``data`` extra installed:

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
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

ROW_GROUP = 1 << 17


@dataclass(frozen=True)
class Model:
    """A cost over a dataset, its parameters, and how its samples are drawn."""

    name: str
    program: str
    at: str
    columns: Callable[[np.random.Generator, int], dict[str, np.ndarray]]


def linear(generator: np.random.Generator, rows: int) -> dict[str, np.ndarray]:
    """x ~ N(0, 1), y = 3x + 1 + noise."""
    x = generator.normal(size=rows)
    return {"x": x, "y": 3 * x + 1 + generator.normal(size=rows)}


def logistic(generator: np.random.Generator, rows: int) -> dict[str, np.ndarray]:
    """x1..x4 ~ N(0, 1), y ~ Bernoulli(sigmoid(z)) for a fixed linear z."""
    features = generator.normal(size=(4, rows))
    z = np.array([0.5, -1.0, 2.0, 0.25]) @ features + 0.1
    y = (generator.random(rows) < 1 / (1 + np.exp(-z))).astype(np.float64)
    return {**{f"x{k + 1}": features[k] for k in range(4)}, "y": y}


MODELS = [
    Model("linear regression, 1 feature", "J = 0.5*(w*x + b - y)^2", "w=3,b=1", linear),
    Model(
        "logistic regression, 4 features",
        "z = w1*x1 + w2*x2 + w3*x3 + w4*x4 + b; J = softplus(z) - y*z",
        "w1=0,w2=0,w3=0,w4=0,b=0",
        logistic,
    ),
]


def write_dataset(path: Path, model: Model, rows: int) -> None:
    """The model's samples, written in row groups of ROW_GROUP rows."""
    columns = model.columns(np.random.default_rng(0), rows)
    pq.write_table(pa.table(columns), path, row_group_size=ROW_GROUP)


def run(model: Model, path: Path, workers: int) -> tuple[float, dict[str, Any]]:
    """The wall time of the whole command and its JSON result."""
    command = [sys.executable, "-m", "autograph", "grad", model.program, "--at", model.at]
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
    return float(max(abs(p - q) / max(abs(p), abs(q), 1e-300) for p, q in pairs))


def measure(model: Model, rows: int, repeat: int, folder: Path) -> list[str]:
    """The model's row of the table: sizes, start-up, both wall times, their ratio."""
    path, tiny = folder / "samples.parquet", folder / "two-rows.parquet"
    write_dataset(path, model, rows)
    write_dataset(tiny, model, 2)
    best = {0: float("inf"), 1: float("inf"), 2: float("inf")}
    results: dict[int, dict[str, Any]] = {}
    for _ in range(repeat):
        best[0] = min(best[0], run(model, tiny, 1)[0])
        for workers in (1, 2):
            seconds, results[workers] = run(model, path, workers)
            best[workers] = min(best[workers], seconds)
    difference = agree(results[1], results[2])
    if difference > 1e-12:
        raise SystemExit(f"{model.name}: the results differ by {difference:.1e} relative")
    size = path.stat().st_size / 1e6
    return [
        model.name,
        f"{size:.0f} MB",
        f"{best[0]:.2f} s",
        f"{best[1]:.2f} s",
        f"{best[2]:.2f} s",
        f"**{best[2] / best[1]:.2f}**",
        f"{difference:.1e}",
    ]


def main() -> None:
    """Time --workers 1 and 2 side by side for each model and print the ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        table = [measure(model, options.rows, options.repeat, Path(folder)) for model in MODELS]
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"{platform.machine()}, {cores} cores, Python {platform.python_version()}")
    print(f"{options.rows:,} rows, row groups of {ROW_GROUP:,} rows")
    print(f"best of {options.repeat}, taking turns")
    print("| model | Parquet | 2 rows | 1 worker | 2 workers | ratio 2 / 1 | difference |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for row in table:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
