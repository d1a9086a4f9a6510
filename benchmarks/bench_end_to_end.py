"""``autograph grad - --at x=2 --json`` on a big sum, end to end, beside a minimal script.

Each run is a fresh process reading the program (bench_scale's sum shape) on
stdin and writing JSON. The anchor is minimal_pipeline.py, which reads,
evaluates and writes the same bytes with nothing else: by default hand-written
for this one shape (one regular expression, no parser), and, as a second
reference, with ``--general``, a minimal parser of formulas (tokens, operator
precedence, merging, forward and reverse passes). Every output is checked once,
byte for byte, before timing. They take turns, round after round; the table shows the
median and fastest microseconds per node (wall clock), the median CPU time (user
and system, steadier on a busy machine), and the verdicts on the wall-clock medians.

    python benchmarks/bench_end_to_end.py [--nodes 1000000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_scale import wide  # noqa: E402


def commands() -> dict[str, list[str]]:
    python = sys.executable
    autograph = shutil.which("autograph")
    return {
        "autograph grad --json": ([autograph] if autograph else [python, "-m", "autograph"])
        + ["grad", "-", "--at", "x=2", "--json"],
        "minimal script": [python, str(HERE / "minimal_pipeline.py"), "2"],
        "minimal script, general parser": [
            python,
            str(HERE / "minimal_pipeline.py"),
            "2",
            "--general",
        ],
    }


def run(command: list[str], program: Path, output: str) -> tuple[float, float]:
    """Wall-clock seconds and CPU seconds (user and system) of one run."""
    with program.open("rb") as stdin, open(output, "wb") as stdout:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        subprocess.run(command, stdin=stdin, stdout=stdout, check=True)
        wall = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=5)
    options = parser.parse_args()
    contenders = commands()
    with tempfile.TemporaryDirectory() as scratch:
        program = Path(scratch) / "sum.txt"
        program.write_text(wide(options.nodes))
        outputs = {
            name: os.path.join(scratch, f"{index}.json") for index, name in enumerate(contenders)
        }
        for name, command in contenders.items():
            run(command, program, outputs[name])
        texts = [Path(path).read_bytes() for path in outputs.values()]
        assert all(text == texts[0] for text in texts), "the minimal script's JSON differs"
        nodes = texts[0].count(b'{"id": ')
        load = os.getloadavg()[0]
        times: dict[str, list[float]] = {name: [] for name in contenders}
        cpu: dict[str, list[float]] = {name: [] for name in contenders}
        for _ in range(options.rounds):
            for name, command in contenders.items():
                wall, used = run(command, program, os.devnull)
                times[name].append(wall)
                cpu[name].append(used)
    after = os.getloadavg()[0]
    print(
        f"End to end, {nodes:,} nodes, {options.rounds} rounds; load average {load:.2f} "
        f"before, {after:.2f} after (the same {len(texts[0]):,} bytes of JSON from both)\n"
    )
    print("| command | median µs/node | fastest µs/node | median CPU µs/node |")
    print("| --- | ---: | ---: | ---: |")
    median = {name: statistics.median(runs) / nodes * 1e6 for name, runs in times.items()}
    for name, runs in times.items():
        used = statistics.median(cpu[name]) / nodes * 1e6
        print(f"| {name} | {median[name]:.2f} | {min(runs) / nodes * 1e6:.2f} | {used:.2f} |")
    ours, anchor = median["autograph grad --json"], median["minimal script"]
    print()
    print(_verdict("at most 7 µs per node", ours, 7, " µs"))
    print(_verdict("at most 1.7x the minimal script", ours / anchor, 1.7, "x"))
    general = ours / median["minimal script, general parser"]
    print(f"- beside the minimal script with a general parser: {general:.2f}x (no target)")


def _verdict(target: str, value: float, bound: float, unit: str) -> str:
    return f"- {target}: {value:.2f}{unit} ({'met' if value <= bound else 'NOT met'})"


if __name__ == "__main__":
    main()
