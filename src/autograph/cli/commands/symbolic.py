"""``diff``: the symbolic partial derivatives, by SymPy."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from autograph.cli.app import app
from autograph.cli.options import (
    DigitsOption,
    Expr,
    FileOption,
    WrtOption,
    positive,
    read_program,
    use_digits,
)
from autograph.language.points import parse_at, parse_names


@app.command("diff")
def diff_command(
    expr: Expr = None,
    file: FileOption = None,
    wrt: WrtOption = None,
    at: Annotated[
        list[str] | None,
        typer.Option(
            "--at",
            metavar="NAME=VALUE,...",
            help="Also give each derivative's value at this point.",
            show_default=False,
        ),
    ] = None,
    json: Annotated[
        bool,
        typer.Option(
            "--json", help="Print JSON: each derivative as SymPy's plain string and as LaTeX."
        ),
    ] = False,
    timeout: Annotated[
        float,
        typer.Option(
            "--timeout",
            metavar="SECONDS",
            help="The seconds SymPy may take; a derivative it had no time to simplify is "
            "printed as it is.",
        ),
    ] = 5.0,
    digits: DigitsOption = None,
) -> None:
    """Symbolic partial derivatives of the output, simplified by SymPy.

    Example: autograph diff "c = w*x; f = c + b; d = f - y; J = 0.5*d^2" --wrt w,b
    """
    from autograph.graph import parse
    from autograph.symbolic import diff, render, to_dict

    use_digits(digits)
    graph = parse(read_program(expr, file))
    point = parse_at(at) if at else None
    result = diff(graph, parse_names(wrt, "--wrt"), point, timeout=positive(timeout))
    if json:
        from autograph.report import dumps

        sys.stdout.write(dumps(to_dict(result)) + "\n")
    else:
        sys.stdout.write(render(result) + "\n")
