"""A bare Click app with the options of ``autograph grad``: it parses them and prints, no more.

The yardstick under Typer: what the command-line library underneath costs.
"""

from __future__ import annotations

import click


@click.group()
def app() -> None:
    """A group of commands, as autograph's is."""


@app.command("grad")
@click.argument("expr", required=False)
@click.option("--file", type=click.Path())
@click.option("--at", multiple=True)
@click.option("--wrt", multiple=True)
@click.option("--json", "as_json", is_flag=True)
def grad(
    expr: str | None, file: str | None, at: tuple[str, ...], wrt: tuple[str, ...], as_json: bool
) -> None:
    """Print the options."""
    print(expr, file, at, wrt, as_json)


@app.command("eval")
@click.argument("expr", required=False)
def evaluate(expr: str | None) -> None:
    """A second command."""
    print(expr)


if __name__ == "__main__":
    app()
