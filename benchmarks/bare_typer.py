"""A bare Typer app with the options of ``autograph grad``: it parses them and prints, no more.

The yardstick for autograph's start-up: what any Typer command line costs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(add_completion=False)


@app.command("grad")
def grad(
    expr: Annotated[str | None, typer.Argument()] = None,
    file: Annotated[Path | None, typer.Option("--file")] = None,
    at: Annotated[list[str] | None, typer.Option("--at")] = None,
    wrt: Annotated[list[str] | None, typer.Option("--wrt")] = None,
    json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Print the options."""
    print(expr, file, at, wrt, json)


@app.command("eval")
def evaluate(expr: Annotated[str | None, typer.Argument()] = None) -> None:
    """A second command, so that the app is a group as autograph's is."""
    print(expr)


if __name__ == "__main__":
    app()
