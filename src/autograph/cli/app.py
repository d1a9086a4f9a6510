"""The Typer application: autograph's name, its help, and its own options.

The commands register themselves on ``app`` from ``autograph.cli.commands``;
``autograph.cli.main`` runs it.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer


def _function_list() -> str:
    """The functions of the op table, for --help: adding a function adds it here too."""
    from autograph.ops import FUNCTIONS

    one = [name for name, op in FUNCTIONS.items() if op.arity == 1 and name != "ln"]
    two = [name for name, op in FUNCTIONS.items() if op.arity == 2]
    half = (len(one) + 1) // 2
    one[one.index("log")] = "log (ln)"
    return f"  {' '.join(one[:half])}\n  {' '.join(one[half:])}; {' '.join(two)} (two arguments)"


app = typer.Typer(
    name="autograph",
    help=(
        "A calculator for computational graphs: the value of every node (forward pass) "
        "and its adjoint by the chain rule (reverse pass).\n\n"
        "\b\nExamples:\n"
        '  autograph eval "((x+5)^3+1)^2" --at x=-3\n'
        '  autograph grad "c = w*x; f = c + b; J = 0.5*(f - y)^2" --at w=3,b=1,x=-3,y=5\n'
        '  autograph grad "sin(x)*y" --at x=1,y=2 --wrt x --json | jq .gradient\n'
        '  autograph grad "((x+5)^3+1)^2" --at x=-3 --check\n'
        '  autograph diff "c = w*x; J = 0.5*(c + b - y)^2" --wrt w,b\n'
        '  autograph explain "h = x + 5; g = h^3 + 1; f = g^2" --at x=-3\n'
        '  autograph jvp "ln(x1) + x1*x2 - sin(x2)" --at x1=2,x2=5 --tangent x1=1\n'
        '  autograph hessian "x^2 + x*y + y^2" --at x=1,y=2\n'
        '  autograph grad "c = w*x; J = 0.5*(c + b - y)^2" --emit python > cost.py\n'
        '  autograph graph "h = x + 5; f = h^2" --at x=-3 --grad --format svg -o f.svg\n\n'
        "\b\nThe language:\n"
        "  numbers 3 .5 1e-3; names; constants pi e; + - * / and ^ (or **), Python's precedence\n"
        f"{_function_list()}\n"
        "  statements name = expr, separated by ; or newlines; # comments\n\n"
        "Exit codes: 0 success, 1 a math failure, 2 bad input."
    ),
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _show_version(wanted: bool) -> None:
    if wanted:
        from autograph import __version__

        sys.stdout.write(f"autograph {__version__}\n")
        raise typer.Exit()


@app.callback()
def _options(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_show_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Options of autograph itself, before the command."""
