"""Every speed benchmark in one run: start-up, end to end, then throughput and memory by size.

    python benchmarks/run.py [--quick] [--base PATH]

--quick stops at 10^5 nodes and runs fewer start-up rounds. --base PATH (another
checkout, e.g. ``git worktree add /tmp/base b1dd180``) adds forward plus reverse
per node with that tree beside this one, taking turns (bench_commits.py). PyTorch is timed
when it is installed (it is not a dependency: ``pip install torch`` to compare).
bench_data.py, for --data, is run on its own.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> None:
    quick = "--quick" in sys.argv[1:]
    startup = [sys.executable, str(HERE / "bench_startup.py"), "--rounds", "10" if quick else "20"]
    scale = [sys.executable, str(HERE / "bench_scale.py")]
    scale += ["--max", "100000", "--timeout", "20"] if quick else ["--timeout", "60"]
    end_to_end = [sys.executable, str(HERE / "bench_end_to_end.py")]
    end_to_end += ["--nodes", "100000", "--rounds", "3"] if quick else []
    commands = [startup, end_to_end]
    if "--base" in sys.argv[1:]:
        base = sys.argv[sys.argv.index("--base") + 1]
        commands.append([sys.executable, str(HERE / "bench_commits.py"), "--base", base])
    commands.append(scale)  # the longest, last
    for command in commands:
        subprocess.run(command, check=True)
        print()


if __name__ == "__main__":
    main()
