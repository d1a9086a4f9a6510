"""``jvp``: forward mode, every node's tangent along a direction, left to right."""

from __future__ import annotations

from autograph.cli.app import app
from autograph.cli.options import (
    AtOption,
    DigitsOption,
    Expr,
    FileOption,
    JsonOption,
    TangentOption,
    parse_tangent,
    read_program,
    use_digits,
)
from autograph.cli.output import show
from autograph.language.points import parse_at


@app.command("jvp")
def jvp_command(
    expr: Expr = None,
    file: FileOption = None,
    at: AtOption = None,
    tangent: TangentOption = None,
    json: JsonOption = False,
    digits: DigitsOption = None,
) -> None:
    """Forward mode: every node's value and tangent; the output's is the directional derivative.

    Example: autograph jvp "v1 = ln(x1); v2 = x1*x2; v3 = sin(x2); v4 = v1 + v2; v5 = v4 - v3"
    --at x1=2,x2=5 --tangent x1=1

    The tangent of a node is how fast it changes as the variables move along the
    direction: one pass gives grad(output) . direction, whatever the number of variables.
    """
    from autograph.graph import parse
    from autograph.tangents import jvp

    use_digits(digits)
    graph = parse(read_program(expr, file))
    show(jvp(graph, parse_at(at), parse_tangent(tangent, graph.variables)), json)
