"""``fit``: train the parameters by gradient descent (or L-BFGS), and watch the cost fall."""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated

import typer

from autograph.cli.app import app
from autograph.cli.options import (
    AtOption,
    DataOption,
    DigitsOption,
    Expr,
    FileOption,
    IgnoreExtraOption,
    JsonOption,
    QuietOption,
    ReduceOption,
    WrtOption,
    needs,
    read_program,
    use_digits,
)
from autograph.errors import InputError
from autograph.language.points import parse_at, parse_names

if TYPE_CHECKING:
    from rich.console import Console

    from autograph.fitting import Fit

OptimizerOption = Annotated[
    str,
    typer.Option(
        "--optimizer",
        metavar="gd|momentum|adam|lbfgs",
        help="gd: w <- w - lr*grad; momentum: heavy ball (--momentum); adam: Kingma and Ba, "
        "PyTorch's defaults; lbfgs: SciPy's L-BFGS-B (pip install 'autograph-cli[fit]').",
    ),
]
LrOption = Annotated[
    float | None,
    typer.Option(
        "--lr",
        metavar="RATE",
        help="The learning rate (default 0.01; adam 0.001, as PyTorch).",
        show_default=False,
    ),
]
MomentumOption = Annotated[
    float,
    typer.Option("--momentum", metavar="MU", help="With --optimizer momentum: the momentum."),
]
StepsOption = Annotated[int, typer.Option("--steps", metavar="N", help="At most this many steps.")]
FitTolOption = Annotated[
    float,
    typer.Option(
        "--tol",
        metavar="T",
        help="Stop when the gradient's norm is at most T (or when the cost stops changing).",
    ),
]
BatchSizeOption = Annotated[
    int | None,
    typer.Option(
        "--batch-size",
        metavar="B",
        help="With --data: each step over B rows, shuffled each epoch; stops after --steps.",
        show_default=False,
    ),
]
SeedOption = Annotated[
    int | None,
    typer.Option(
        "--seed",
        metavar="S",
        help="With --batch-size: the seed of the shuffle (default 0: runs repeat exactly).",
        show_default=False,
    ),
]
EveryOption = Annotated[
    int | None,
    typer.Option(
        "--every",
        metavar="K",
        help="A row of the table every K steps (default: about ten rows).",
        show_default=False,
    ),
]

PlotOption = Annotated[
    str | None,
    typer.Option(
        "--plot",
        metavar="FILE.svg|FILE.png",
        help="Also write the cost per step to this file, SVG or PNG by its name "
        "(matplotlib: pip install 'autograph-cli[plot]').",
        show_default=False,
    ),
]


@app.command("fit")
def fit_command(
    expr: Expr = None,
    file: FileOption = None,
    at: AtOption = None,
    wrt: WrtOption = None,
    data: DataOption = None,
    reduce: ReduceOption = None,
    ignore_extra_columns: IgnoreExtraOption = False,
    optimizer: OptimizerOption = "gd",
    lr: LrOption = None,
    momentum: MomentumOption = 0.9,
    steps: StepsOption = 1000,
    tol: FitTolOption = 1e-6,
    batch_size: BatchSizeOption = None,
    seed: SeedOption = None,
    every: EveryOption = None,
    plot: PlotOption = None,
    quiet: QuietOption = False,
    json: JsonOption = False,
    digits: DigitsOption = None,
) -> None:
    """Fit the parameters: step against the gradient until the cost stops falling.

    Example: autograph fit "c = w*x; f = c + b; d = f - y; J = 0.5*d^2" --at w=3,b=1,x=-3,y=5
    --wrt w,b --lr 0.01 --steps 1

    The cost is the program's output at --at, or with --data its mean over the rows
    (--reduce sum: the sum); the parameters are --wrt (by default, with --data, the
    --at variables). It stops after --steps, when the gradient's norm is at most
    --tol, or when the cost stops changing, and says which. Exit 1 if it diverges.
    """
    from autograph.cli.output import progress_wanted
    from autograph.fitting import fit
    from autograph.graph import parse

    needs("--data", data is not None, {"--reduce": reduce is not None})
    needs("--data", data is not None, {"--ignore-extra-columns": ignore_extra_columns})
    needs("--data", data is not None, {"--batch-size": batch_size is not None})
    needs("--batch-size", batch_size is not None, {"--seed": seed is not None})
    needs("--optimizer momentum", optimizer == "momentum", {"--momentum": momentum != 0.9})
    if every is not None and every < 1:
        raise InputError("usage", "--every takes a number of steps, at least 1")
    if optimizer == "lbfgs" and lr is not None:
        raise InputError("usage", "--lr goes with gd, momentum and adam: lbfgs finds its own steps")
    if plot is not None:  # before the fit, which may take long: a bad name fails now
        from autograph.fitting.plots import plot_format, require_matplotlib

        plot_format(plot)
        require_matplotlib()
    use_digits(digits)
    graph = parse(read_program(expr, file, data))
    with step_bar(steps, progress_wanted(quiet)) as on_step:
        result = fit(
            graph,
            parse_at(at),
            parse_names(wrt, "--wrt"),
            data=data,
            optimizer=optimizer,
            lr=lr,
            momentum=momentum,
            steps=steps,
            tol=tol,
            batch_size=batch_size,
            seed=seed or 0,
            reduce=reduce or "mean",
            ignore_extra=ignore_extra_columns,
            on_step=on_step,
        )
    if plot is not None:
        from autograph.fitting.plots import write_plot

        write_plot(result.history.cost, graph.names[graph.output], plot)
    if json:
        from autograph.report import dumps

        sys.stdout.write(dumps(result.to_dict()) + "\n")
    else:
        from rich.console import Console

        from autograph.table import trimmed

        console = Console(highlight=False)
        with trimmed(console):
            print_fit(result, graph.names[graph.output], every, console, reduce or "mean")
    if result.reason == "interrupted":
        sys.stdout.flush()
        raise typer.Exit(130)


@contextmanager
def step_bar(
    steps: int, wanted: bool, console: Console | None = None
) -> Iterator[Callable[[int, float, float], None] | None]:
    """A progress bar of the steps on stderr while the block runs, if ``wanted``.

    Yields the ``on_step`` callback that moves it (None when not wanted). The bar is
    redrawn at most 20 times a second, and is gone when the block ends.
    """
    if not wanted:
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from autograph.numbers import format_number

    bar = Progress(
        TextColumn("fitting"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("steps  cost {task.fields[cost]}", markup=False),
        TimeElapsedColumn(),
        console=console or Console(stderr=True),
        transient=True,
        # Nothing prints while it runs; swapping sys.stdout would hide a closed pipe from main.
        redirect_stdout=False,
        redirect_stderr=False,
    )
    task = bar.add_task("fit", total=max(steps, 1), cost="")
    shown = [0.0]

    def on_step(step: int, cost: float, norm: float) -> None:
        now = time.monotonic()
        if now - shown[0] >= 0.05:
            shown[0] = now
            bar.update(task, completed=step, cost=format_number(cost))

    with bar:
        yield on_step


def print_fit(
    result: Fit, cost_name: str, every: int | None, console: Console, reduce: str = "mean"
) -> None:
    """The rule, a table every ``every`` steps, the cost's plot, and the result, for a person.

    The plot is drawn at the console's width: a terminal's, or 80 columns (COLUMNS) for a pipe.
    """
    from rich.table import Table

    from autograph.fitting.optimizers import rule
    from autograph.numbers import format_number as n
    from autograph.quoting import markup, visible
    from autograph.table import print_labelled

    words, symbols = rule(result.optimizer)
    print_labelled(console, "optimizer", f"{result.optimizer['name']}, {words}", indent=12)
    print_labelled(console, "rule", symbols, indent=12)
    if result.samples is not None:
        batches = (
            f", in mini-batches of {result.batch_size} rows"
            if result.batch_size is not None
            else ""
        )
        over = f"the {reduce} of {cost_name} over {result.samples} rows{batches}"
        print_labelled(console, "cost", over, indent=12)
    console.print()
    history = result.history
    count = len(history.cost)
    every = every or max(1, math.ceil((count - 1) / 10))
    shown = [*range(0, count, every)]
    if shown[-1] != count - 1:
        shown.append(count - 1)
    table = Table(box=None, header_style="bold", pad_edge=False, padding=(0, 2, 0, 0))
    names = list(result.parameters)
    for title in ("step", markup(cost_name), "|∇|", *map(markup, names)):
        table.add_column(title, justify="right", no_wrap=True)
    for step in shown:
        table.add_row(
            str(step),
            n(history.cost[step]),
            n(history.gradient_norm[step]),
            *(n(value) for value in history.parameters[step]),
        )
    console.print(table)
    console.print()
    if count > 1:
        from rich.text import Text

        from autograph.fitting.plots import terminal_plot

        plot = terminal_plot(history.cost, visible(cost_name), console.width)
        console.print(Text(plot), soft_wrap=True)
        console.print()
    plural = "s" if result.steps != 1 else ""
    verdict = "converged" if result.converged else "not converged"
    print_labelled(
        console,
        "result",
        f"{verdict} after {result.steps} step{plural}: {result.message}",
        indent=12,
    )
    parameters = ", ".join(f"{k} = {n(v)}" for k, v in result.parameters.items())
    print_labelled(console, "parameters", parameters, indent=12)
    print_labelled(console, "cost", f"{cost_name} = {n(result.cost)}", indent=12)


__all__ = ["fit_command", "print_fit", "step_bar"]
