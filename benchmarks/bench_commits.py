"""Forward plus reverse per node: this tree beside another checkout of autograph, in one run.

    git worktree add /tmp/base b1dd180
    python benchmarks/bench_commits.py --base /tmp/base [--min 1000] [--max 100000] [--rounds 5]

Both trees run the same generated programs (bench_scale's shapes: chain, sum,
dag), each timing in a fresh child process that imports autograph from its
tree's ``src``. The two trees take turns, round after round, so a load that
comes and goes on the machine falls on both alike; each cell is the fastest of
all rounds (each round itself the best of a few runs). The parse is not timed:
only ``autograph.backward`` (the forward and the reverse pass) on a built graph.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
X = 0.3


def worker(source_dir: str, shape: str, nodes: int, runs: int) -> None:
    """In the child: build the program with the tree's autograph, print the best timings."""
    import gc

    sys.path.insert(0, source_dir)
    import autograph

    assert autograph.__file__ is not None and autograph.__file__.startswith(source_dir)
    sys.path.insert(0, str(HERE))
    from bench_scale import SHAPES

    graph = autograph.parse(SHAPES[shape](nodes))
    autograph.backward(graph, {"x": X})  # warm: the plan, caches
    forward = both = float("inf")
    for _ in range(runs):
        gc.collect()
        started = time.perf_counter()
        autograph.forward(graph, {"x": X})
        forward = min(forward, time.perf_counter() - started)
        gc.collect()
        started = time.perf_counter()
        autograph.backward(graph, {"x": X})
        both = min(both, time.perf_counter() - started)
    print(json.dumps({"nodes": len(graph.ops), "forward": forward, "both": both}))


def measure(tree: Path, shape: str, nodes: int, runs: int, cache: str) -> dict[str, float]:
    source = str(tree / "src")
    env = {**os.environ, "PYTHONPATH": source, "XDG_CACHE_HOME": cache}
    command = [sys.executable, __file__, "--worker", source, shape, str(nodes), str(runs)]
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=True)
    result: dict[str, float] = json.loads(done.stdout)
    return result


def label(tree: Path) -> str:
    done = subprocess.run(
        ["git", "-C", str(tree), "log", "-1", "--format=%h"], capture_output=True, text=True
    )
    return done.stdout.strip() or str(tree)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", type=Path, required=False, help="the other checkout")
    parser.add_argument("--max", type=int, default=100_000, help="largest size (nodes)")
    parser.add_argument("--min", type=int, default=1_000, help="smallest size (nodes)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--runs", type=int, default=5, help="runs per child process")
    parser.add_argument("--worker", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        source, shape, nodes, runs = args.worker
        worker(source, shape, int(nodes), int(runs))
        return
    if args.base is None:
        parser.error("--base is required")
    trees = [args.base.resolve(), HERE.parent]
    names = [label(tree) for tree in trees]
    sizes = [size for size in (1_000, 10_000, 100_000, 1_000_000) if args.min <= size <= args.max]
    print(f"forward+reverse, µs per node: {names[0]} (base) beside {names[1]} (this tree)")
    print()
    print(
        f"| shape | nodes | {names[0]} fwd | {names[1]} fwd | {names[0]} fwd+rev "
        f"| {names[1]} fwd+rev | ratio |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    with tempfile.TemporaryDirectory() as base_cache, tempfile.TemporaryDirectory() as cache:
        caches = [base_cache, cache]
        for shape in ("chain", "sum", "dag"):
            for size in sizes:
                runs = max(2, min(args.runs, 3_000_000 // (size * 10)))
                fastest = [{"forward": float("inf"), "both": float("inf")} for _ in trees]
                count = 0
                for round_ in range(args.rounds):
                    order = [0, 1] if round_ % 2 == 0 else [1, 0]
                    for index in order:
                        timing = measure(trees[index], shape, size, runs, caches[index])
                        count = int(timing["nodes"])
                        for key in ("forward", "both"):
                            fastest[index][key] = min(fastest[index][key], timing[key])
                per = [{k: v / count * 1e6 for k, v in f.items()} for f in fastest]
                ratio = per[1]["both"] / per[0]["both"]
                print(
                    f"| {shape} | {count:,} | {per[0]['forward']:.3f} | {per[1]['forward']:.3f} "
                    f"| {per[0]['both']:.3f} | {per[1]['both']:.3f} | {ratio:.2f} |",
                    flush=True,
                )


if __name__ == "__main__":
    main()
