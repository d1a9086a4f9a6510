"""The command line: parse options, call the library, render the result.

Every command reads a program (EXPR, ``-`` for standard input, or ``--file``),
binds ``--at`` values, and prints a Rich table or strict JSON. Errors become an
exit code (2 bad input, 1 math failure) and a message on stderr, as text or,
under ``--json``, as one line of JSON. No traceback ever reaches the user.
"""

from __future__ import annotations

import gc
import math
import os
import re
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

from autograph.errors import AutographError, InputError


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
        '  autograph graph "h = x + 5; f = h^2" --at x=-3 --grad --format svg -o f.svg\n\n'
        "\b\nThe language:\n"
        "  numbers 3 .5 1e-3; names; constants pi e; + - * / and ^ (or **), Python's precedence\n"
        f"{_function_list()}\n"
        "  statements name = expr, separated by ; or newlines; # comments\n\n"
        "Exit codes: 0 success, 1 a math failure, 2 bad input."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["--help"]},
)

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_NUMBER = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?\Z")

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
        "(which then has as long; default 5).",
        show_default=False,
    ),
]


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


@app.command("eval")
def eval_command(
    expr: Expr = None,
    file: FileOption = None,
    at: AtOption = None,
    json: JsonOption = False,
    data: DataOption = None,
    ignore_extra_columns: IgnoreExtraOption = False,
    quiet: QuietOption = False,
) -> None:
    """Forward pass: the value of every node and of the program.

    Example: autograph eval "((x+5)^3+1)^2" --at x=-3
    """
    from autograph.evaluate import forward
    from autograph.graph import parse

    _needs("--data", data is not None, {"--ignore-extra-columns": ignore_extra_columns})
    _needs("--data", data is not None, {"--quiet": quiet})
    graph = parse(read_program(expr, file, data))
    if data is not None:
        _eval_over_data(graph, data, parse_at(at), ignore_extra_columns, quiet, json)
        return
    _print(forward(graph, parse_at(at)), json)


@app.command("grad")
def grad_command(
    expr: Expr = None,
    file: FileOption = None,
    at: AtOption = None,
    wrt: WrtOption = None,
    json: JsonOption = False,
    data: DataOption = None,
    reduce: ReduceOption = None,
    ignore_extra_columns: IgnoreExtraOption = False,
    quiet: QuietOption = False,
    check: CheckOption = False,
    tol: TolOption = None,
    timeout: TimeoutOption = None,
) -> None:
    """Forward and reverse passes: every node's value, adjoint, and the gradient.

    Example: autograph grad "c = w*x; f = c + b; d = f - y; J = 0.5*d^2" --at w=3,b=1,x=-3,y=5

    With --check, each derivative is checked against SymPy and a finite difference.
    """
    from autograph.evaluate import backward
    from autograph.graph import parse

    _needs("--check", check, {"--tol": tol is not None, "--timeout": timeout is not None})
    _needs("--data", data is not None, {"--reduce": reduce is not None})
    _needs("--data", data is not None, {"--ignore-extra-columns": ignore_extra_columns})
    _needs("--data", data is not None, {"--quiet": quiet})
    graph = parse(read_program(expr, file, data))
    names = parse_names(wrt, "--wrt")
    if check:
        if data is not None:
            raise InputError("usage", "--check checks one point: it cannot be used with --data")
        tolerance = _positive(1e-9 if tol is None else tol, "--tol", 0, 1)
        seconds = _positive(5.0 if timeout is None else timeout)
        _check(graph, parse_at(at), names, tolerance, seconds, json)
        return
    if data is not None:
        options = (reduce or "mean", ignore_extra_columns, quiet)
        _print_over_data(_grad_over_data(graph, data, parse_at(at), names, *options), json)
        return
    _print(backward(graph, parse_at(at), names), json)


class PictureFormat(StrEnum):
    """What ``autograph graph`` draws."""

    text = "text"
    dot = "dot"
    mermaid = "mermaid"
    svg = "svg"
    png = "png"


class ExplainFormat(StrEnum):
    """How ``autograph explain`` writes."""

    text = "text"
    md = "md"


@app.command("graph")
def graph_command(
    expr: Expr = None,
    file: FileOption = None,
    at: AtOption = None,
    grad: Annotated[
        bool, typer.Option("--grad", help="Show each node's adjoint too (needs --at).")
    ] = False,
    wrt: WrtOption = None,
    format: Annotated[
        PictureFormat,
        typer.Option(
            "--format",
            help="text: a tree in the terminal; dot: Graphviz source; mermaid: a Mermaid "
            "flowchart; svg, png: pictures drawn by Graphviz.",
        ),
    ] = PictureFormat.text,
    output: Annotated[
        Path | None,
        typer.Option(
            "-o",
            "--output",
            metavar="FILE",
            help="Write to FILE (png needs it).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Draw the graph: inputs on the left, the output on the right.

    With --at each node shows its value, with --grad also its adjoint.
    svg and png need Graphviz: pip install 'autograph[pictures]', or `dot` on PATH.

    Example: autograph graph "h = x + 5; g = h^3 + 1; f = g^2" --at x=-3 --grad --format svg
    """
    from autograph.graph import parse
    from autograph.pictures import draw, evaluate

    if format is PictureFormat.png and output is None:
        raise InputError("usage", "--format png writes a binary file: give -o FILE")
    graph = parse(read_program(expr, file))
    names = parse_names(wrt, "--wrt")
    if format is PictureFormat.text and output is None:
        from rich.console import Console

        from autograph.pictures.text import tree

        Console().print(tree(graph, evaluate(graph, parse_at(at) if at else None, grad, names)))
        return
    picture = draw(graph, parse_at(at) if at else None, grad, names, format.value)
    if output is None:
        sys.stdout.write(picture if isinstance(picture, str) else picture.decode("utf-8"))
        return
    data = picture.encode("utf-8") if isinstance(picture, str) else picture
    try:
        output.write_bytes(data)
    except OSError as err:
        raise InputError("file", f"cannot write {str(output)!r}: {err.strerror}") from None


@app.command("explain")
def explain_command(
    expr: Expr = None,
    file: FileOption = None,
    at: AtOption = None,
    wrt: WrtOption = None,
    format: Annotated[
        ExplainFormat,
        typer.Option("--format", help="text: for the terminal; md: Markdown with LaTeX math."),
    ] = ExplainFormat.text,
) -> None:
    """Both passes in words: each node's value, then the chain rule step by step.

    Example: autograph explain "h = x + 5; g = h^3 + 1; f = g^2" --at x=-3
    """
    from autograph.explain import explain, print_explanation, to_markdown
    from autograph.graph import parse

    graph = parse(read_program(expr, file))
    explanation = explain(graph, parse_at(at), parse_names(wrt, "--wrt"))
    if format is ExplainFormat.md:
        sys.stdout.write(to_markdown(explanation))
    else:
        print_explanation(explanation)


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
) -> None:
    """Symbolic partial derivatives of the output, simplified by SymPy.

    Example: autograph diff "c = w*x; f = c + b; d = f - y; J = 0.5*d^2" --wrt w,b
    """
    from autograph.graph import parse
    from autograph.symbolic import diff, render, to_dict

    graph = parse(read_program(expr, file))
    point = parse_at(at) if at else None
    result = diff(graph, parse_names(wrt, "--wrt"), point, timeout=_positive(timeout))
    if json:
        from autograph.report import dumps

        sys.stdout.write(dumps(to_dict(result)) + "\n")
    else:
        sys.stdout.write(render(result) + "\n")


def _check(
    graph: Any,
    at: dict[str, float],
    wrt: list[str] | None,
    tol: float,
    timeout: float,
    as_json: bool,
) -> None:
    """grad --check: the grad output with the check added; exit 1 on a disagreement."""
    from autograph.referee import check
    from autograph.referee.render import disagreement, print_check
    from autograph.referee.render import to_dict as check_dict

    checked = check(graph, at, wrt, tol=tol, timeout=timeout)
    if as_json:
        from autograph.report import write

        write(checked.result, sys.stdout, check=check_dict(checked))
    else:
        from rich.console import Console

        from autograph.table import print_result

        console = Console()
        print_result(checked.result, console)
        print_check(checked, console)
    if not checked.agrees:
        sys.stdout.flush()
        raise disagreement(checked)


def _needs(option: str, given: bool, dependents: dict[str, bool]) -> None:
    """Refuse an option that means nothing without ``option``, rather than ignore it."""
    for name, used in dependents.items():
        if used and not given:
            raise InputError("usage", f"{name} goes with {option}")


def _positive(
    value: float, option: str = "--timeout", least: float = 1e-3, most: float = 1e6
) -> float:
    """An option value from ``least`` to ``most`` (a timer cannot be set days ahead)."""
    if not (math.isfinite(value) and least <= value <= most):
        raise InputError("usage", f"{option} takes a number from {least:g} to {most:g}")
    return value


def _print(result: object, as_json: bool) -> None:
    from autograph.evaluate import Forward

    assert isinstance(result, Forward)
    if as_json:
        from autograph.report import write

        write(result, sys.stdout)
    else:
        from autograph.table import print_result

        print_result(result)


def _eval_over_data(
    graph: Any, path: str, at: dict[str, float], ignore_extra: bool, quiet: bool, as_json: bool
) -> None:
    """eval --data: the output for every row, streamed as CSV or as a JSON array."""
    from autograph import batch
    from autograph import data as samples

    with samples.open_data(path) as source:
        batch.bind_columns(graph, source.names, at, ignore_extra=ignore_extra, source=source.label)
        chunks = samples.with_progress(source.chunks(), source, _progress_wanted(quiet))
        rows = batch.values(graph, chunks, at, where=source.where)
        # Spooled (in memory, then on disk): on an error at any row, stdout stays empty.
        import shutil
        import tempfile

        with tempfile.SpooledTemporaryFile(max_size=32 << 20, mode="w+") as spool:
            samples.write_values(rows, graph.names[graph.output], as_json, spool)
            spool.seek(0)
            shutil.copyfileobj(spool, sys.stdout)


def _grad_over_data(
    graph: Any,
    path: str,
    at: dict[str, float],
    wrt: list[str] | None,
    reduce: str,
    ignore_extra: bool,
    quiet: bool,
) -> Any:
    """grad --data: the mean (or sum) over the rows of the value and of the gradient."""
    if reduce not in ("mean", "sum"):
        raise InputError("usage", f"--reduce takes mean or sum, not {reduce!r}")
    from autograph import batch
    from autograph import data as samples

    with samples.open_data(path) as source:
        batch.bind_columns(graph, source.names, at, ignore_extra=ignore_extra, source=source.label)
        chunks = samples.with_progress(source.chunks(), source, _progress_wanted(quiet))
        how: Any = reduce
        result = batch.backward(graph, chunks, at, wrt, reduce=how, where=source.where)
        return result, source.label


def _print_over_data(outcome: Any, as_json: bool) -> None:
    """The per-node table (means over the rows), or JSON with ``samples`` added."""
    result, label = outcome
    if as_json:
        from autograph.report import write

        write(result, sys.stdout, samples=result.samples, reduce=result.reduce)
        return
    from rich.console import Console

    from autograph.table import print_result

    console = Console()
    print_result(result, console)
    from rich.markup import escape

    rows = f"{result.samples} row{'s' if result.samples != 1 else ''} of {escape(label)}"
    if result.reduce == "mean":
        line = f"[bold]samples[/]   {rows}; every number is a mean over the rows"
    else:
        line = f"[bold]samples[/]   {rows}; value, gradient, adjoints: sums; rest: means"
    console.print(line, soft_wrap=True)


def _progress_wanted(quiet: bool) -> bool:
    return not quiet and sys.stderr.isatty()


def read_program(expr: str | None, file: Path | None, data_path: str | None = None) -> str:
    """The program text from EXPR, standard input (``-``) or ``--file``."""
    if expr is not None and file is not None:
        raise InputError("usage", "give the program either as EXPR or with --file, not both")
    if expr == "-" and data_path == "-":
        raise InputError("usage", "the program and --data cannot both read standard input")
    if file is not None:
        try:
            data = file.read_bytes()
        except OSError as err:
            raise InputError("file", f"cannot read {str(file)!r}: {err.strerror}") from None
        return _decode(data, str(file))
    if expr == "-":
        return _decode(sys.stdin.buffer.read(), "standard input")
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


def parse_at(items: list[str] | None) -> dict[str, float]:
    """``["w=3,b=1", "x=-3"]`` to ``{"w": 3.0, "b": 1.0, "x": -3.0}``; finite values only."""
    values: dict[str, float] = {}
    for item in items or []:
        for pair in _pieces(item, "--at"):
            name, equals, text = (part.strip() for part in pair.partition("="))
            if not equals or not _NAME.match(name):
                raise InputError(
                    "bad-at", f"--at expects NAME=VALUE pairs such as x=-3, got {pair.strip()!r}"
                )
            if not _NUMBER.match(text):
                raise InputError("bad-at", f"--at {name}: {text!r} is not a number", variable=name)
            value = float(text)
            if not math.isfinite(value):
                raise InputError(
                    "bad-at", f"--at {name}: {text} is too large for float64", variable=name
                )
            if name in values and values[name] != value:
                raise InputError(
                    "bad-at",
                    f"--at gives {name} two values: {values[name]!r} and {value!r}",
                    variable=name,
                )
            values[name] = value
    return values


def parse_names(items: list[str] | None, option: str) -> list[str] | None:
    """``["w", "b,x"]`` to ``["w", "b", "x"]``; None when the option was not given."""
    if items is None:
        return None
    names = [name.strip() for item in items for name in _pieces(item, option)]
    for name in names:
        if not _NAME.match(name):
            raise InputError("bad-wrt", f"{option} expects variable names, got {name!r}")
    return names


def _pieces(item: str, option: str) -> list[str]:
    """The comma-separated pieces of one option value; a trailing comma is forgiven."""
    pieces = [piece for piece in item.split(",") if piece.strip()]
    if not pieces:
        raise InputError("usage", f"{option} was given an empty value")
    return pieces


def protect_expressions(args: list[str], command: Any = None) -> list[str]:
    """Move arguments such as ``-x^2`` behind ``--`` so Click reads them as EXPR, not options."""
    if "--" in args:
        return args
    takes_value: set[str] = set()
    known: set[str] = {"--help"}
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


def main(argv: list[str] | None = None) -> NoReturn:
    """Entry point: run the command line and exit with its code, never with a traceback."""
    args = list(sys.argv[1:] if argv is None else argv) or ["--help"]
    as_json = "--json" in args
    # A big program's graph, results and JSON are millions of objects that hold no cycles;
    # the default thresholds would rescan them all many times over. Collect, but seldom.
    thresholds = gc.get_threshold()
    gc.set_threshold(100_000, 50, 100)
    try:
        from typer.main import get_command

        command = get_command(app)
        args = protect_expressions(args, command)
        code = command.main(args=args, prog_name="autograph", standalone_mode=False)
        sys.stdout.flush()
        _exit(code if isinstance(code, int) else 0)
    except AutographError as err:
        _report(err, as_json)
        _exit(err.exit_code)
    except KeyboardInterrupt:  # quietly, as Typer does inside a command: the shell shows ^C
        _exit(130)
    except BrokenPipeError:
        _silence_stdout()
        _exit(141)
    except SystemExit as done:
        # Typer and Rich turn a closed pipe into exit 1; the convention is 141 (128 + SIGPIPE).
        if isinstance(done.__context__, BrokenPipeError):
            _silence_stdout()
            _exit(141)
        raise
    except Exception as err:  # noqa: BLE001 - the last line of defence against tracebacks
        usage = _usage_error(err)
        if usage is None:
            usage = AutographError("internal", f"internal error (a bug in autograph): {err!r}")
        _report(usage, as_json)
        _exit(usage.exit_code)
    finally:
        gc.set_threshold(*thresholds)  # main() may be called in-process, by tests


def _usage_error(err: Exception) -> AutographError | None:
    """Click's own errors (unknown option, missing value) as an InputError, exit 2."""
    from typer.exceptions import Abort, TyperException

    if isinstance(err, Abort):
        return InputError("interrupted", "aborted")
    if isinstance(err, TyperException):
        return InputError("usage", f"{err.format_message()} (see autograph --help)")
    return None


def _report(err: AutographError, as_json: bool) -> None:
    if as_json:
        from autograph.report import dumps

        text = dumps(err.to_dict())
    else:
        text = err.render()
    try:
        sys.stderr.write(text + "\n")
        sys.stderr.flush()
    except BrokenPipeError:
        pass


def _silence_stdout() -> None:
    """After a closed pipe, point stdout at /dev/null so Python's exit flush stays quiet."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def _exit(code: int) -> NoReturn:
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        _silence_stdout()
        code = 141
    raise SystemExit(code)
