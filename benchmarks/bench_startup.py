"""How fast does ``autograph grad`` start? Beside Python, bare Click and Typer apps, PyTorch, SymPy.

Each contender is a fresh process computing (or, for the yardsticks, pretending
to compute) ((x+5)^3+1)^2 and its derivative at x = -3. They take turns, round
after round, so a busy machine slows all of them alike; the table shows the
median and the fastest run of each, and the ratios of the medians.

    python benchmarks/bench_startup.py [--rounds 20]
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
FORMULA = "((x+5)^3+1)^2"


def contenders() -> dict[str, list[str]]:
    """Name -> command line. PyTorch and SymPy only when installed."""
    python = sys.executable
    autograph = shutil.which("autograph") or ""
    found = {
        "python3 -c pass": [python, "-c", "pass"],
        "bare Click app": [python, str(HERE / "bare_click.py"), "grad", FORMULA, "--at", "x=-3"],
        "bare Typer app": [python, str(HERE / "bare_typer.py"), "grad", FORMULA, "--at", "x=-3"],
        "autograph grad": ([autograph] if autograph else [python, "-m", "autograph"])
        + ["grad", FORMULA, "--at", "x=-3", "--json"],
    }
    found["bare Typer app"].append("--json")
    found["bare Click app"].append("--json")
    if importlib.util.find_spec("torch"):
        found["PyTorch script"] = [python, str(HERE / "startup_torch.py")]
    if importlib.util.find_spec("sympy"):
        found["SymPy script"] = [python, str(HERE / "startup_sympy.py")]
    return found


def measure(rounds: int) -> dict[str, list[float]]:
    """Seconds per run of each contender, ``rounds`` runs each, taking turns."""
    commands = contenders()
    # As installed by pip, modules are compiled once: let Python cache bytecode even where
    # the environment says not to (this machine sets PYTHONDONTWRITEBYTECODE).
    environment = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    environment["OMP_WAIT_POLICY"] = "PASSIVE"  # PyTorch's threads must not spin
    times: dict[str, list[float]] = {name: [] for name in commands}
    for round_number in range(rounds + 2):
        for name, command in commands.items():
            started = time.perf_counter()
            subprocess.run(command, stdout=subprocess.DEVNULL, env=environment, check=True)
            if round_number >= 2:  # the first two rounds warm the disk cache
                times[name].append(time.perf_counter() - started)
    return times


def table(times: dict[str, list[float]]) -> str:
    """A Markdown table: median and fastest per contender, and ratios to autograph."""
    ours = statistics.median(times["autograph grad"])
    lines = [
        "| command | median ms | fastest ms | autograph ÷ this (median) |",
        "| --- | ---: | ---: | ---: |",
    ]
    for name, runs in times.items():
        median = statistics.median(runs)
        lines.append(
            f"| {name} | {median * 1e3:.0f} | {min(runs) * 1e3:.0f} | {ours / median:.2f} |"
        )
    return "\n".join(lines)


def verdicts(times: dict[str, list[float]]) -> list[str]:
    """The start-up targets of issue 6, each met or not, from the medians."""
    median = {name: statistics.median(runs) for name, runs in times.items()}
    ours = median["autograph grad"]
    said = [
        _verdict("at most 2x the bare Click app", ours / median["bare Click app"], 2, "x"),
        _verdict("at most 1.2x the bare Typer app", ours / median["bare Typer app"], 1.2, "x"),
    ]
    if "PyTorch script" in median:
        faster = median["PyTorch script"] / ours
        said.append(_verdict("at least 7x faster than PyTorch", faster, 7, "x faster", least=True))
    if "SymPy script" in median:
        faster = median["SymPy script"] / ours
        said.append(_verdict("at least 2x faster than SymPy", faster, 2, "x faster", least=True))
    return said


def _verdict(target: str, value: float, bound: float, unit: str, least: bool = False) -> str:
    met = value >= bound if least else value <= bound
    return f"- {target}: {value:.2f}{unit} ({'met' if met else 'NOT met'})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    rounds = parser.parse_args().rounds
    load = os.getloadavg()[0]
    times = measure(rounds)
    after = os.getloadavg()[0]
    print(f"Start-up, {rounds} rounds; load average {load:.2f} before, {after:.2f} after\n")
    print(table(times))
    print()
    print("\n".join(verdicts(times)))


if __name__ == "__main__":
    main()
