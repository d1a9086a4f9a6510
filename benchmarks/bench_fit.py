"""How fast is fit? 10,000 steps of gradient descent over 10,000 rows, in one run.

The same loop three ways, on the same data, from the same start, at the same rate:

- ``autograph.fit`` (the cost and gradient by the batch passes, planned once);
- hand-written NumPy: the residual, the mean cost and the closed-form gradient;
- PyTorch: float64 tensors, autograd and ``torch.optim.SGD`` (if installed);

and then the whole command, ``autograph fit --data FILE`` with its table and plot,
once, as a user runs it. Each in-process timing is the best of --repeat rounds, the
methods taking turns, so that a busy machine slows all of them alike. The three
must end at the same parameters (to 1e-9 relative), or the numbers mean nothing.
Run from the repository root:

    python benchmarks/bench_fit.py [--steps 10000] [--rows 10000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # before PyTorch starts its threads

import numpy as np

import autograph

LINE = "J = 0.5*(w*x + b - y)^2"
RATE = 1e-4
"""Small enough that 10,000 steps do not converge: every method runs every step."""


def dataset(rows: int) -> dict[str, np.ndarray]:
    """y = 3x + 1 + noise, x ~ N(0, 1)."""
    generator = np.random.default_rng(0)
    x = generator.normal(size=rows)
    return {"x": x, "y": 3 * x + 1 + generator.normal(size=rows)}


def by_autograph(data: dict[str, np.ndarray], steps: int) -> tuple[float, float]:
    graph = autograph.parse(LINE)
    found = autograph.fit(graph, {"w": 0.0, "b": 0.0}, data=data, lr=RATE, steps=steps, tol=0.0)
    assert found.steps == steps, found.reason
    return found.parameters["w"], found.parameters["b"]


def by_numpy(data: dict[str, np.ndarray], steps: int) -> tuple[float, float]:
    x, y = data["x"], data["y"]
    w = b = 0.0
    for _ in range(steps):
        residual = w * x + b - y
        _cost = 0.5 * np.mean(residual * residual)  # computed, as the others do
        w, b = w - RATE * float(np.mean(residual * x)), b - RATE * float(np.mean(residual))
    return w, b


def by_torch(data: dict[str, np.ndarray], steps: int) -> tuple[float, float]:
    import torch

    x, y = torch.from_numpy(data["x"]), torch.from_numpy(data["y"])
    w = torch.zeros((), dtype=torch.float64, requires_grad=True)
    b = torch.zeros((), dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.SGD([w, b], lr=RATE)
    for _ in range(steps):
        optimizer.zero_grad()
        cost = 0.5 * torch.mean((w * x + b - y) ** 2)
        cost.backward()
        optimizer.step()
    return float(w.detach()), float(b.detach())


def command_line(data: dict[str, np.ndarray], steps: int) -> float:
    """Seconds for ``autograph fit --data FILE`` in a fresh process, its output discarded."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "rows.csv"
        np.savetxt(
            path,
            np.column_stack([data["x"], data["y"]]),
            delimiter=",",
            header="x,y",
            comments="",
            fmt="%.17g",
        )
        command = [
            sys.executable,
            "-m",
            "autograph",
            "fit",
            LINE,
            "--data",
            str(path),
            "--at",
            "w=0,b=0",
            "--lr",
            str(RATE),
            "--steps",
            str(steps),
            "--tol",
            "0",
        ]
        start = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
        return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=10_000)
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    options = parser.parse_args()
    data = dataset(options.rows)
    methods: dict[str, Callable[[dict[str, np.ndarray], int], tuple[float, float]]] = {
        "autograph.fit": by_autograph,
        "NumPy by hand": by_numpy,
    }
    try:
        import torch

        torch.set_num_threads(1)  # 10,000 rows: threads cost more than they give
        methods["PyTorch (SGD)"] = by_torch
    except ImportError:
        print("PyTorch is not installed: its column is left out")
    best: dict[str, float] = {}
    ends: dict[str, tuple[float, float]] = {}
    for _ in range(options.repeat):
        for name, method in methods.items():
            start = time.perf_counter()
            ends[name] = method(data, options.steps)
            seconds = time.perf_counter() - start
            best[name] = min(best.get(name, seconds), seconds)
    reference = np.array(ends["NumPy by hand"])
    for name, end in ends.items():
        assert np.allclose(end, reference, rtol=1e-9, atol=0), (name, end, reference)
    whole = command_line(data, options.steps)

    cpus = os.cpu_count()
    print(
        f"{options.steps:,} steps of gd over {options.rows:,} rows "
        f"(Python {platform.python_version()}, {cpus} CPUs, load {os.getloadavg()[0]:.1f}; "
        f"best of {options.repeat})"
    )
    print(f"ends at w = {reference[0]:.9g}, b = {reference[1]:.9g} (all three alike to 1e-9)")
    print(f"{'':16}{'seconds':>9}{'µs per step':>13}{'× NumPy':>9}")
    numpy_seconds = best["NumPy by hand"]
    for name, seconds in best.items():
        per_step = seconds / options.steps * 1e6
        print(f"{name:16}{seconds:9.3f}{per_step:13.1f}{seconds / numpy_seconds:9.2f}")
    print(
        f"{'autograph fit':16}{whole:9.3f}{whole / options.steps * 1e6:13.1f}"
        "   (the command: start-up, CSV, table, plot)"
    )


if __name__ == "__main__":
    main()
