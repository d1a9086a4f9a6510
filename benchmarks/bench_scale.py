"""How does autograph scale? Microseconds per node, 10^3 to 10^6 nodes, beside PyTorch and SymPy.

Three shapes of generated program, each about N nodes:

- chain: one formula nested N/1.5 parentheses deep, ``((((x - 0) + 1)*1.0001 - 2) ...)``;
- sum:   a sum of N/3 terms, ``1*x + 2*x + 3*x + ...``;
- dag:   N/3 statements sharing everything, ``a1 = sin(x) + x; a2 = sin(a1) + a1*x; ...``.

For each it times, in one process, the best of a few runs of: parsing alone
(``grammar.check``), parsing and building the graph (``autograph.parse``), the
forward pass, and the forward and reverse passes (``autograph.backward``). Each
column is a timing of its own: building alone and the reverse pass alone would be
differences of two best-of-N timings, which on a busy machine can come out
negative, so they are not shown. Beside them, on the same graphs: PyTorch's
autograd over scalar (0-d) tensors, one op per node (forward, then backward);
and SymPy building the expression from the op table, differentiating it and
evaluating the derivative, in a child process stopped after --timeout seconds.
Peak memory per node is measured in a child process (peak RSS of parse and
both passes, less the RSS before).

    python benchmarks/bench_scale.py [--max 1000000] [--timeout 60] [--no-torch] [--no-sympy]
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # before PyTorch starts its threads

import autograph
from autograph.language import grammar
from autograph.ops import CONST, VAR

X = 0.3


def chain(nodes: int) -> str:
    depth = max(1, int(nodes / 1.5))
    steps = (f" + {k % 7})*1.0001" if k % 2 else f" - {k % 5})" for k in range(depth))
    return "(" * depth + "x" + "".join(steps)


def wide(nodes: int) -> str:
    return " + ".join(f"{k}*x" for k in range(1, max(2, nodes // 3) + 1))


def dag(nodes: int) -> str:
    lines = ["a1 = sin(x) + x"]
    lines += [f"a{i} = sin(a{i - 1}) + a{i - 1}*x" for i in range(2, max(2, nodes // 3) + 1)]
    return "\n".join(lines)


SHAPES: dict[str, Callable[[int], str]] = {"chain": chain, "sum": wide, "dag": dag}


def best(work: Callable[[], Any], runs: int) -> tuple[float, Any]:
    """The fastest of ``runs`` timings of ``work()``, and its last result."""
    fastest, result = float("inf"), None
    for _ in range(runs):
        gc.collect()
        started = time.perf_counter()
        result = work()
        fastest = min(fastest, time.perf_counter() - started)
    return fastest, result


def autograph_timings(source: str, runs: int) -> dict[str, float]:
    """Seconds for parse alone, parse+build, forward, and forward+reverse; and the node count."""
    parse_only, _ = best(lambda: grammar.check(source), runs)
    build, graph = best(lambda: autograph.parse(source), runs)
    forward, _ = best(lambda: autograph.forward(graph, {"x": X}), runs)
    both, _ = best(lambda: autograph.backward(graph, {"x": X}), runs)
    return {
        "nodes": len(graph),
        "parse": parse_only,
        "parse+build": build,
        "forward": forward,
        "forward+reverse": both,
    }


def torch_timings(graph: autograph.Graph, runs: int) -> dict[str, float]:
    """PyTorch scalar autograd on the same graph: one 0-d tensor op per node."""
    import torch

    torch.set_num_threads(1)
    functions: dict[str, Callable[..., Any]] = {
        "add": torch.add,
        "sub": torch.sub,
        "mul": torch.mul,
        "div": torch.div,
        "neg": torch.neg,
        "pow": torch.pow,
    }

    def build() -> tuple[Any, Any]:
        x = torch.tensor(X, dtype=torch.float64, requires_grad=True)
        values: list[Any] = []
        for op, args, constant in zip(graph.ops, graph.inputs, graph.constants, strict=True):
            if op is VAR:
                values.append(x)
            elif op is CONST:
                values.append(torch.tensor(constant, dtype=torch.float64))
            else:
                function = functions.get(op.name) or getattr(torch, op.name)
                values.append(function(*[values[arg] for arg in args]))
        return x, values[graph.output]

    forward, _ = best(build, runs)

    def both() -> None:
        build()[1].backward()

    total, _ = best(both, runs)
    return {"forward": forward, "reverse": total - forward, "forward+reverse": total}


def sympy_worker(shape: str, nodes: int) -> None:
    """In a child process: SymPy builds, differentiates and evaluates; prints JSON timings."""
    import sympy

    graph = autograph.parse(SHAPES[shape](nodes))
    x = sympy.Symbol("x")
    started = time.perf_counter()
    expressions: list[Any] = []
    for op, args, constant in zip(graph.ops, graph.inputs, graph.constants, strict=True):
        if op is VAR:
            expressions.append(x)
        elif op is CONST:
            expressions.append(sympy.Float(constant))
        else:
            expressions.append(op.sympy(sympy, *[expressions[arg] for arg in args]))
    output = expressions[graph.output]
    built = time.perf_counter()
    derivative = sympy.diff(output, x)
    differentiated = time.perf_counter()
    float(derivative.evalf(subs={x: X}))
    evaluated = time.perf_counter()
    print(
        json.dumps(
            {
                "build": built - started,
                "diff": differentiated - built,
                "evaluate": evaluated - differentiated,
            }
        )
    )


def sympy_timings(shape: str, nodes: int, timeout: float) -> dict[str, Any]:
    """SymPy's timings, or what stopped it: "timeout", "RecursionError", ..."""
    command = [sys.executable, __file__, "--sympy-worker", shape, str(nodes)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"failed": f"timeout ({timeout:.0f} s)"}
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["crashed"])[-1]
        return {"failed": last.split(":")[0][:40]}
    timings: dict[str, Any] = json.loads(done.stdout)
    return timings


def memory_worker(shape: str, nodes: int) -> None:
    """In a child process: peak RSS of parse and both passes, less the RSS before them."""
    source = SHAPES[shape](nodes)
    grammar.tables()
    before = _rss_now()
    graph = autograph.parse(source)
    autograph.backward(graph, {"x": X})
    print(json.dumps({"bytes_per_node": (_peak_rss() - before) / len(graph)}))


def _rss_now() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _peak_rss() -> int:
    """VmHWM: unlike ru_maxrss, it starts afresh at exec instead of keeping the parent's."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def memory_per_node(shape: str, nodes: int) -> float:
    command = [sys.executable, __file__, "--memory-worker", shape, str(nodes)]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    per_node: float = json.loads(done.stdout)["bytes_per_node"]
    return per_node


def us(seconds: float, nodes: int) -> str:
    return f"{seconds / nodes * 1e6:.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max", type=int, default=1_000_000, help="largest size (nodes)")
    parser.add_argument("--timeout", type=float, default=60.0, help="SymPy's time per run")
    parser.add_argument("--no-torch", action="store_true")
    parser.add_argument("--no-sympy", action="store_true")
    parser.add_argument("--sympy-worker", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--memory-worker", nargs=2, help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.sympy_worker:
        sympy_worker(options.sympy_worker[0], int(options.sympy_worker[1]))
        return
    if options.memory_worker:
        memory_worker(options.memory_worker[0], int(options.memory_worker[1]))
        return
    with_torch = not options.no_torch and importlib.util.find_spec("torch") is not None
    with_sympy = not options.no_sympy
    sizes = [n for n in (1_000, 10_000, 100_000, 1_000_000) if n <= options.max]
    grammar.tables()
    print(f"Throughput, µs per node; load average {os.getloadavg()[0]:.2f} at the start\n")
    header = "| shape | nodes | parse | parse+build | forward | fwd+rev |"
    rule = "| --- | ---: | ---: | ---: | ---: | ---: |"
    if with_torch:
        header += " PyTorch fwd+rev | PyTorch ÷ autograph |"
        rule += " ---: | ---: |"
    if with_sympy:
        header += " SymPy build+diff+eval |"
        rule += " ---: |"
    print(header)
    print(rule)
    worst = {"parse+build": 0.0, "forward+reverse": 0.0}
    for shape, make in SHAPES.items():
        for size in sizes:
            source = make(size)
            runs = 3 if size <= 100_000 else 2
            ours = autograph_timings(source, runs)
            nodes = int(ours["nodes"])
            worst["parse+build"] = max(worst["parse+build"], ours["parse+build"] / nodes)
            worst["forward+reverse"] = max(
                worst["forward+reverse"], ours["forward+reverse"] / nodes
            )
            cells = [shape, f"{nodes:,}"]
            columns = ("parse", "parse+build", "forward", "forward+reverse")
            cells += [us(ours[k], nodes) for k in columns]
            if with_torch:
                theirs = torch_timings(autograph.parse(source), 1 if size > 100_000 else runs)
                cells.append(us(theirs["forward+reverse"], nodes))
                cells.append(f"{theirs['forward+reverse'] / ours['forward+reverse']:.0f}x")
            if with_sympy:
                sympy = sympy_timings(shape, size, options.timeout)
                if "failed" in sympy:
                    cells.append(sympy["failed"])
                else:
                    total = sympy["build"] + sympy["diff"] + sympy["evaluate"]
                    cells.append(us(total, nodes))
            print("| " + " | ".join(cells) + " |", flush=True)
    largest = sizes[-1]
    memory = {shape: memory_per_node(shape, largest) for shape in SHAPES}
    print(f"\nload average {os.getloadavg()[0]:.2f} at the end\n")
    print(f"Peak memory at {largest:,} nodes (parse and both passes), bytes per node: ", end="")
    print(", ".join(f"{shape} {value:.0f}" for shape, value in memory.items()))
    print()
    print(_verdict("forward+reverse at most 0.3 µs/node", worst["forward+reverse"] * 1e6, 0.3))
    print(_verdict("parse+build at most 15 µs/node", worst["parse+build"] * 1e6, 15))
    print(_verdict("peak memory at most 1.5 KB/node", max(memory.values()) / 1024, 1.5, "KB"))


def _verdict(target: str, worst: float, bound: float, unit: str = "µs") -> str:
    return f"- {target}: worst {worst:.2f} {unit} ({'met' if worst <= bound else 'NOT met'})"


if __name__ == "__main__":
    main()
