"""Output: results printed as a Rich table or as strict JSON."""

from __future__ import annotations

import sys
from typing import Any

_held: list[object] = []
"""The result shown last. Held past the command's return: the process then leaves without
taking it apart (``cli.main``), which for a million-node graph costs more than writing it."""


def show(result: object, as_json: bool) -> None:
    """The result of ``eval`` or ``grad`` at one point: a table, or strict JSON."""
    from autograph.evaluate import Forward

    _held[:] = [result]

    assert isinstance(result, Forward)
    if as_json:
        from autograph.report import write

        write(result, sys.stdout)
    else:
        from autograph.table import print_result as print_table

        print_table(result)


def progress_wanted(quiet: bool) -> bool:
    return not quiet and sys.stderr.isatty()


def print_over_data(outcome: Any, as_json: bool) -> None:
    """The per-node table (means over the rows), or JSON with ``samples`` added."""
    result, label = outcome
    if as_json:
        from autograph.report import write

        write(result, sys.stdout, samples=result.samples, reduce=result.reduce)
        return
    from rich.console import Console

    from autograph.table import print_result as print_table

    console = Console()
    print_table(result, console)
    from autograph.quoting import markup

    rows = f"{result.samples} row{'s' if result.samples != 1 else ''} of {markup(label)}"
    if result.reduce == "mean":
        line = f"[bold]samples[/]   {rows}; every number is a mean over the rows"
    else:
        line = f"[bold]samples[/]   {rows}; value, gradient, adjoints: sums; rest: means"
    console.print(line, soft_wrap=True)
