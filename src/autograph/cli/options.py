"""Options and input: the options every command shares, and reading what they say.

The program from EXPR, standard input or ``--file``, and the rules that refuse
an option without the one it needs; ``--at`` and ``--wrt`` values are read by
``autograph.language.points`` (re-exported here).
"""

from __future__ import annotations

import math
import re
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from autograph.errors import InputError, shorten
from autograph.language.points import parse_at
from autograph.limits import read_program_stream
from autograph.quoting import PATH

Expr = Annotated[
    str | None,
    typer.Argument(
        metavar="EXPR",
        help='The formula or program, e.g. "c = w*x; J = 0.5*(c + b - y)^2"; - reads stdin.',
        show_default=False,
    ),
]
FileOption = Annotated[
    Path | None,
    typer.Option(
        "--file", metavar="PATH", help="Read the program from this file.", show_default=False
    ),
]
AtOption = Annotated[
    list[str] | None,
    typer.Option(
        "--at",
        metavar="NAME=VALUE,...",
        help="Values of the free variables: --at w=3,b=1 --at x=-3 (repeat or comma-separate).",
        show_default=False,
    ),
]
JsonOption = Annotated[
    bool, typer.Option("--json", help="Print strict JSON on stdout (errors as JSON on stderr).")
]
WrtOption = Annotated[
    list[str] | None,
    typer.Option(
        "--wrt",
        metavar="NAME,...",
        help="Differentiate with respect to these variables (default: every free variable).",
        show_default=False,
    ),
]
DataOption = Annotated[
    str | None,
    typer.Option(
        "--data",
        metavar="FILE",
        help="A CSV or TSV file of samples (- reads stdin): its header names variables, each "
        "row binds them for one sample, --at binds the rest. grad then gives the mean over the "
        "rows, with respect to the --at variables by default; eval gives one value per row.",
        show_default=False,
    ),
]
ReduceOption = Annotated[
    str | None,
    typer.Option(
        "--reduce",
        metavar="mean|sum",
        help="With --data: the mean (the default) or the sum over the rows.",
        show_default=False,
    ),
]
IgnoreExtraOption = Annotated[
    bool,
    typer.Option("--ignore-extra-columns", help="With --data: skip columns that name no variable."),
]
WorkersOption = Annotated[
    str | None,
    typer.Option(
        "--workers",
        metavar="N|auto",
        help="With --data: read and reduce the data's parts (Parquet row groups, Arrow record "
        "batches, files of a folder) in N processes (auto: one per core); the same result "
        "as one process, to rounding.",
        show_default=False,
    ),
]
SchedulerOption = Annotated[
    str | None,
    typer.Option(
        "--scheduler",
        metavar="ADDRESS",
        help="With --data: reduce the data's parts on the Dask cluster whose scheduler is at "
        "ADDRESS (tcp://HOST:PORT); its workers read the files. Needs autograph-cli[cluster].",
        show_default=False,
    ),
]
ConnectTimeoutOption = Annotated[
    float | None,
    typer.Option(
        "--timeout",
        metavar="SECONDS",
        help="With --scheduler: the seconds to wait for the cluster's scheduler and a worker "
        "(default 10).",
        show_default=False,
    ),
]
QuietOption = Annotated[
    bool, typer.Option("--quiet", help="With --data: no progress bar on stderr.")
]
CheckOption = Annotated[
    bool,
    typer.Option(
        "--check",
        help="Check each derivative against a referee (SymPy's symbolic derivative, or the "
        "graph in 50-digit arithmetic when the formula is too big for SymPy) and a finite "
        "difference; exit 1 when reverse mode and the referee disagree.",
    ),
]
TolOption = Annotated[
    float | None,
    typer.Option(
        "--tol",
        metavar="REL",
        help="With --check: the relative tolerance of agreement (default 1e-9).",
        show_default=False,
    ),
]
TimeoutOption = Annotated[
    float | None,
    typer.Option(
        "--timeout",
        metavar="SECONDS",
        help="With --check: the seconds SymPy may take before the numeric referee takes over "
        "(which then has as long; default 5). With --scheduler: the seconds to wait for the "
        "cluster's scheduler and a worker (default 10).",
        show_default=False,
    ),
]
TangentOption = Annotated[
    list[str] | None,
    typer.Option(
        "--tangent",
        metavar="NAME=VALUE,...",
        help="Forward mode's direction: the tangent of each variable, e.g. --tangent x1=1 "
        "(variables not named have tangent 0; with one variable, 1 by default).",
        show_default=False,
    ),
]
DigitsOption = Annotated[
    str | None,
    typer.Option(
        "--digits",
        metavar="N|full",
        help="Significant digits of the numbers shown (default 6); full: every digit, the "
        "shortest text that reads back as the same float64. --json always has every digit.",
        show_default=False,
    ),
]


def parse_tangent(items: list[str] | None, variables: dict[str, int]) -> dict[str, float] | None:
    """``--tangent``'s direction; None (the library's default) for a program of one variable."""
    if items:
        return parse_at(items, "--tangent")
    if len(variables) > 1:
        listed = ", ".join(list(variables)[:5])
        first = next(iter(variables))
        raise InputError(
            "usage",
            f"the program has several variables ({listed}): give a direction with "
            f"--tangent, e.g. --tangent {first}=1 (the others' tangents are then 0)",
        )
    return None


def use_digits(text: str | None) -> None:
    """Set the digits every renderer shows for this command, from ``--digits``."""
    from autograph import numbers

    try:
        digits = numbers.DEFAULT_DIGITS if text is None else numbers.parse_digits(text)
    except ValueError as err:
        raise InputError("usage", f"--digits {err}") from None
    numbers.set_digits(digits)


def needs(option: str, given: bool, dependents: dict[str, bool]) -> None:
    """Refuse an option that means nothing without ``option``, rather than ignore it."""
    for name, used in dependents.items():
        if used and not given:
            raise InputError("usage", f"{name} goes with {option}")


def positive(
    value: float, option: str = "--timeout", least: float = 1e-3, most: float = 1e6
) -> float:
    """An option value from ``least`` to ``most`` (a timer cannot be set days ahead)."""
    if not (math.isfinite(value) and least <= value <= most):
        raise InputError("usage", f"{option} takes a number from {least:g} to {most:g}")
    return value


def read_program(
    expr: str | None,
    file: Path | None,
    data_path: str | None = None,
    max_bytes: int | None = None,
) -> str:
    """The program text from EXPR, standard input (``-``) or ``--file``.

    A file or standard input is read up to ``max_bytes`` (by default
    ``autograph.limits.program_bytes()``, 64 MiB); a longer one is refused.
    """
    if expr is not None and file is not None:
        raise InputError("usage", "give the program either as EXPR or with --file, not both")
    if expr == "-" and data_path == "-":
        raise InputError("usage", "the program and --data cannot both read standard input")
    if file is not None:
        try:
            with open(file, "rb") as stream:
                data = read_program_stream(stream, str(file), max_bytes)
        except OSError as err:
            raise InputError(
                "file", f"cannot read {shorten(str(file), PATH)!r}: {err.strerror}"
            ) from None
        return _decode(data, shorten(str(file), PATH))
    if expr == "-":
        data = read_program_stream(sys.stdin.buffer, "standard input", max_bytes)
        return _decode(data, "standard input")
    if expr is None:
        raise InputError(
            "usage", "no program given: pass EXPR, - to read standard input, or --file PATH"
        )
    return expr


def _decode(data: bytes, where: str) -> str:
    try:
        return data.decode("utf-8-sig")  # a byte order mark, as Windows editors write, is skipped
    except UnicodeDecodeError as err:
        raise InputError("encoding", f"{where} is not valid UTF-8 (byte {err.start})") from None


def protect_expressions(args: list[str], command: Any = None) -> list[str]:
    """Move arguments such as ``-x^2`` behind ``--`` so Click reads them as EXPR, not options."""
    if "--" in args:
        return args
    takes_value: set[str] = set()
    known: set[str] = {"--help", "-h"}  # exactly -h is help; -h^2 is an expression
    if command is not None and args and args[0] in command.commands:
        for param in command.commands[args[0]].params:
            for opt in (*param.opts, *param.secondary_opts):
                known.add(opt)
                if not getattr(param, "is_flag", False) and param.param_type_name == "option":
                    takes_value.add(opt)
    kept: list[str] = []
    moved: list[str] = []
    skip_next = False
    for index, arg in enumerate(args):
        following = args[index + 1] if index + 1 < len(args) else None
        if skip_next:
            kept.append(arg)
            skip_next = False
        elif arg in known and not (
            # `-o` with no value after it, or an option after it, is the expression -o.
            arg in takes_value
            and not arg.startswith("--")
            and (following is None or following in known)
        ):
            kept.append(arg)
            skip_next = arg in takes_value
        elif arg.startswith("-") and arg != "-" and not re.match(r"--[A-Za-z][\w-]*(=|\Z)", arg):
            moved.append(arg)
        else:
            kept.append(arg)
    return [*kept, "--", *moved] if moved else kept
