"""How fast is --data? autograph beside hand-written NumPy and PyTorch, in one run.

For 10^6 samples (and 10^7 with --full) of two losses, linear regression and
logistic regression, it times:

- computing, the samples already in memory: the cost and its gradient by
  ``autograph.batch.cost``; the same by a hand-written NumPy forward and backward
  pass (the closed-form gradient); and by PyTorch's autograd, if installed;
- reading, apart: the CSV file parsed by ``autograph.data`` (MB/s), and the
  whole ``grad --data`` path (read, both passes, per-node means) in-process.

Each timing is the best of --repeat runs, the methods taking turns, so that a
busy machine slows all of them alike. PyTorch's threads wait passively between
operations (OMP_WAIT_POLICY=PASSIVE), else they spin on a core the others need.
Run from the repository root:

    python benchmarks/bench_data.py [--full] [--repeat 5]
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # before PyTorch starts its threads

import numpy as np

import autograph
from autograph import batch, data

LINEAR = "0.5*(w*x+b-y)^2"
LOGISTIC = "-(y*log(sigmoid(w1*x1+w2*x2+b)) + (1-y)*log(1-sigmoid(w1*x1+w2*x2+b)))"
PARAMETERS = {"linear": {"w": 3.0, "b": 1.0}, "logistic": {"w1": 0.5, "w2": -0.3, "b": 0.1}}


def dataset(loss: str, m: int) -> dict[str, np.ndarray]:
    """Random samples: x ~ N(0, 1); y = 3x + 1 + noise, or y in {0, 1}."""
    rng = np.random.default_rng(0)
    if loss == "linear":
        x = rng.normal(size=m)
        return {"x": x, "y": 3 * x + 1 + rng.normal(size=m)}
    x1, x2 = rng.normal(size=m), rng.normal(size=m)
    return {"x1": x1, "x2": x2, "y": (rng.random(m) < 0.5).astype(np.float64)}


def numpy_by_hand(loss: str, d: dict[str, np.ndarray]) -> Callable[[], Any]:
    """The forward and backward pass as a person writes them, over whole columns."""
    if loss == "linear":
        x, y = d["x"], d["y"]

        def linear() -> Any:
            r = 3.0 * x + 1.0 - y
            return 0.5 * np.mean(r * r), np.mean(r * x), np.mean(r)

        return linear
    x1, x2, y = d["x1"], d["x2"], d["y"]

    def logistic() -> Any:
        s = 1.0 / (1.0 + np.exp(-(0.5 * x1 - 0.3 * x2 + 0.1)))
        cost = -np.mean(y * np.log(s) + (1.0 - y) * np.log(1.0 - s))
        g = s - y
        return cost, np.mean(g * x1), np.mean(g * x2), np.mean(g)

    return logistic


def pytorch(loss: str, d: dict[str, np.ndarray]) -> Callable[[], Any] | None:
    """The same loss through PyTorch's autograd, float64, its default threads."""
    try:
        import torch
    except ImportError:
        return None
    t = {name: torch.from_numpy(column) for name, column in d.items()}

    def run() -> Any:
        p = {
            name: torch.tensor(value, dtype=torch.float64, requires_grad=True)
            for name, value in PARAMETERS[loss].items()
        }
        if loss == "linear":
            cost = (0.5 * (p["w"] * t["x"] + p["b"] - t["y"]) ** 2).mean()
        else:
            s = torch.sigmoid(p["w1"] * t["x1"] + p["w2"] * t["x2"] + p["b"])
            cost = (-(t["y"] * torch.log(s) + (1 - t["y"]) * torch.log(1 - s))).mean()
        cost.backward()
        return cost.item(), [v.grad.item() for v in p.values()]  # type: ignore[union-attr]

    return run


def best_of(methods: dict[str, Callable[[], Any]], repeat: int) -> dict[str, float]:
    """Seconds per call, the best of ``repeat`` rounds in which the methods take turns."""
    best = dict.fromkeys(methods, float("inf"))
    for _ in range(repeat):
        for name, method in methods.items():
            start = time.perf_counter()
            method()
            best[name] = min(best[name], time.perf_counter() - start)
    return best


def write_csv(path: Path, d: dict[str, np.ndarray]) -> None:
    """The samples as CSV, every number in its shortest exact form (repr)."""
    names = list(d)
    with path.open("w") as out:
        out.write(",".join(names) + "\n")
        step = 10**6
        for start in range(0, len(d[names[0]]), step):
            columns = [d[n][start : start + step].tolist() for n in names]
            rows = zip(*columns, strict=True)
            out.write("".join(",".join(map(repr, row)) + "\n" for row in rows))


def read_all(path: Path) -> int:
    with data.open_data(path) as source:
        return sum(len(chunk[source.names[0]]) for chunk in source.chunks())


def grad_file(graph: autograph.Graph, path: Path, at: dict[str, float]) -> float:
    """What ``autograph grad EXPR --data FILE --at ...`` computes, without printing."""
    with data.open_data(path) as source:
        batch.bind_columns(graph, source.names, at, source=source.label)
        return batch.backward(graph, source.chunks(), at, where=source.where).value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--full", action="store_true", help="also 10^7 samples (slower)")
    parser.add_argument("--repeat", type=int, default=5, help="rounds per timing (default 5)")
    parser.add_argument("--no-read", action="store_true", help="skip the CSV reading timings")
    args = parser.parse_args()
    sizes = [10**6, 10**7] if args.full else [10**6]
    have_torch = pytorch("linear", dataset("linear", 10)) is not None
    threads = ""
    if have_torch:
        import torch

        threads = f", PyTorch {torch.__version__} with {torch.get_num_threads()} threads"
    print(
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores; "
        f"NumPy {np.__version__}{threads}; best of {args.repeat}\n"
    )
    print("Computing, samples in memory (ns per sample; lower is better):\n")
    print("| loss | samples | autograph | NumPy by hand | PyTorch | autograph / NumPy |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for m in sizes:
        for loss, program in (("linear", LINEAR), ("logistic", LOGISTIC)):
            d = dataset(loss, m)
            graph = autograph.parse(program)
            at = PARAMETERS[loss]
            methods: dict[str, Callable[[], Any]] = {
                "autograph": lambda graph=graph, d=d, at=at: batch.cost(graph, d, at),
                "numpy": numpy_by_hand(loss, d),
            }
            torch_run = pytorch(loss, d)
            if torch_run is not None:
                methods["torch"] = torch_run
            ns = {k: v / m * 1e9 for k, v in best_of(methods, args.repeat).items()}
            shown = f"{ns['torch']:.1f}" if "torch" in ns else "not installed"
            ratio = ns["autograph"] / ns["numpy"]
            print(
                f"| {loss} | 10^{len(str(m)) - 1} | {ns['autograph']:.1f} | {ns['numpy']:.1f} "
                f"| {shown} | {ratio:.2f} |"
            )
    if args.no_read:
        return
    print("\nReading a CSV file (shortest exact decimals), and the whole grad --data path:\n")
    print("| loss | rows | file | read | read rate | grad --data in-process |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    with tempfile.TemporaryDirectory() as folder:
        for m in sizes:
            for loss, program in (("linear", LINEAR), ("logistic", LOGISTIC)):
                path = Path(folder) / f"{loss}-{m}.csv"
                write_csv(path, dataset(loss, m))
                size = path.stat().st_size
                graph = autograph.parse(program)
                at = PARAMETERS[loss]
                runs = {
                    "read": lambda path=path: read_all(path),
                    "grad": lambda graph=graph, path=path, at=at: grad_file(graph, path, at),
                }
                seconds = best_of(runs, max(1, args.repeat // 2))
                print(
                    f"| {loss} | 10^{len(str(m)) - 1} | {size / 1e6:.0f} MB "
                    f"| {seconds['read']:.2f} s | {size / seconds['read'] / 1e6:.0f} MB/s "
                    f"| {seconds['grad']:.2f} s |"
                )
                path.unlink()


if __name__ == "__main__":
    main()
