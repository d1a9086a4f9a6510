"""``eval`` and ``grad``: the forward and reverse passes, at a point or over a dataset."""

from __future__ import annotations

import sys
from collections.abc import Generator
from contextlib import ExitStack, closing
from typing import Annotated, Any

import typer

from autograph.cli.app import app
from autograph.cli.options import (
    AtOption,
    CheckOption,
    ConnectTimeoutOption,
    DataOption,
    DigitsOption,
    Expr,
    FileOption,
    IgnoreExtraOption,
    JsonOption,
    QuietOption,
    ReduceOption,
    SchedulerOption,
    TimeoutOption,
    TolOption,
    WorkersOption,
    WrtOption,
    needs,
    positive,
    read_program,
    use_digits,
)
from autograph.cli.output import print_over_data, progress_wanted, show
from autograph.errors import InputError
from autograph.language.points import parse_at, parse_names

EmitOption = Annotated[
    str | None,
    typer.Option(
        "--emit",
        metavar="autograph|python|numpy",
        help="Print the gradient as a program instead of computing it: in autograph's own "
        "language (grad_v = ... per variable), or a Python module (standard library only) or a "
        "NumPy one defining value_and_grad(**point).",
        show_default=False,
    ),
]


@app.command("eval")
def eval_command(
    expr: Expr = None,
    file: FileOption = None,
    at: AtOption = None,
    json: JsonOption = False,
    data: DataOption = None,
    ignore_extra_columns: IgnoreExtraOption = False,
    workers: WorkersOption = None,
    scheduler: SchedulerOption = None,
    timeout: ConnectTimeoutOption = None,
    quiet: QuietOption = False,
    digits: DigitsOption = None,
) -> None:
    """Forward pass: the value of every node and of the program.

    Example: autograph eval "((x+5)^3+1)^2" --at x=-3
    """
    from autograph.evaluate import forward
    from autograph.graph import parse

    needs("--data", data is not None, {"--ignore-extra-columns": ignore_extra_columns})
    needs("--data", data is not None, {"--quiet": quiet, "--workers": workers is not None})
    needs("--data", data is not None, {"--scheduler": scheduler is not None})
    needs("--scheduler", scheduler is not None, {"--timeout": timeout is not None})
    one_of_workers_or_scheduler(workers, scheduler, data)
    use_digits(digits)
    graph = parse(read_program(expr, file, data))
    if data is not None:
        seconds = None if timeout is None else positive(timeout)
        options = (ignore_extra_columns, quiet, workers, scheduler, seconds)
        eval_over_data(graph, data, parse_at(at), *options, as_json=json)
        return
    show(forward(graph, parse_at(at)), json)


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
    workers: WorkersOption = None,
    scheduler: SchedulerOption = None,
    quiet: QuietOption = False,
    check: CheckOption = False,
    tol: TolOption = None,
    timeout: TimeoutOption = None,
    digits: DigitsOption = None,
    emit: EmitOption = None,
) -> None:
    """Forward and reverse passes: every node's value, adjoint, and the gradient.

    Example: autograph grad "c = w*x; f = c + b; d = f - y; J = 0.5*d^2" --at w=3,b=1,x=-3,y=5

    With --check, each derivative is checked against SymPy and a finite difference.
    With --emit, the gradient is printed as a program instead: in autograph's language,
    or as Python (standard library only) or NumPy code defining value_and_grad(**point).
    """
    from autograph.evaluate import backward
    from autograph.graph import parse

    if emit is not None:
        used = {"--data": data is not None, "--check": check, "--json": json}
        clash = [option for option, given in used.items() if given]
        if clash:
            raise InputError("usage", f"--emit prints a program: it cannot be used with {clash[0]}")
        emit_gradient(
            parse(read_program(expr, file)), emit, parse_at(at), parse_names(wrt, "--wrt")
        )
        return

    needs("--check", check, {"--tol": tol is not None})
    needs(
        "--check or --scheduler", check or scheduler is not None, {"--timeout": timeout is not None}
    )
    needs("--data", data is not None, {"--reduce": reduce is not None})
    needs("--data", data is not None, {"--ignore-extra-columns": ignore_extra_columns})
    needs("--data", data is not None, {"--quiet": quiet, "--workers": workers is not None})
    needs("--data", data is not None, {"--scheduler": scheduler is not None})
    one_of_workers_or_scheduler(workers, scheduler, data)
    use_digits(digits)
    graph = parse(read_program(expr, file, data))
    names = parse_names(wrt, "--wrt")
    if check:
        if data is not None:
            raise InputError("usage", "--check checks one point: it cannot be used with --data")
        tolerance = positive(1e-9 if tol is None else tol, "--tol", 0, 1)
        seconds = positive(5.0 if timeout is None else timeout)
        check_point(graph, parse_at(at), names, tolerance, seconds, json)
        return
    if data is not None:
        wait = None if timeout is None else positive(timeout)
        options = (reduce or "mean", ignore_extra_columns, quiet, workers, scheduler, wait)
        print_over_data(grad_over_data(graph, data, parse_at(at), names, *options), json)
        return
    show(backward(graph, parse_at(at), names), json)


def emit_gradient(graph: Any, language: str, at: dict[str, float], wrt: list[str] | None) -> None:
    """grad --emit: the gradient as a program in autograph's language, Python or NumPy."""
    from autograph.emit import LANGUAGES, emit

    if language not in LANGUAGES:
        raise InputError("usage", f"--emit takes {', '.join(LANGUAGES)}, not {language!r}")
    if at:
        from autograph.evaluate import bind

        bind(graph, at)  # the program needs no point, but a point given must fit it
    sys.stdout.write(emit(graph, wrt, language))


def check_point(
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

        from autograph.table import print_result as print_table

        console = Console()
        print_table(checked.result, console)
        print_check(checked, console)
    if not checked.agrees:
        sys.stdout.flush()
        raise disagreement(checked)


def one_of_workers_or_scheduler(
    workers: str | None, scheduler: str | None, data: str | None
) -> None:
    """Refuse --workers with --scheduler (the cluster's workers are the processes), and
    --scheduler or more than one worker with standard input (workers read files)."""
    if workers is not None and scheduler is not None:
        raise InputError(
            "usage", "give --workers or --scheduler, not both (the cluster has workers)"
        )
    if scheduler is not None and data == "-":
        raise InputError(
            "usage", "--scheduler: the cluster's workers read files, not standard input"
        )
    if workers is not None and data == "-":
        from autograph import workers as processes

        if processes.count(workers) > 1:
            raise InputError(
                "usage",
                "--workers: standard input is read by one process; "
                "give the data as a file to share the reading",
            )


def eval_over_data(
    graph: Any,
    path: str,
    at: dict[str, float],
    ignore_extra: bool,
    quiet: bool,
    workers: str | None = None,
    scheduler: str | None = None,
    timeout: float | None = None,
    *,
    as_json: bool,
) -> None:
    """eval --data: the output for every row, streamed as CSV or as a JSON array."""
    from autograph import batch
    from autograph import data as samples
    from autograph import workers as processes

    count = processes.count(workers)
    batch.reuse_freed_memory()
    with samples.open_data(path) as source, ExitStack() as stack:
        used = batch.bind_columns(
            graph, source.names, at, ignore_extra=ignore_extra, source=source.label
        )
        planned = batch.plan(graph, at, gradient=False)
        rows: Any
        if count > 1 or scheduler:
            job = processes.Job(graph, at, None, tuple(used), gradient=False, per_node=False)
            parts = source.parts()
            done = stack.enter_context(closing(shared(job, parts, count, scheduler, timeout)))
            shown = samples.with_part_progress(
                done, parts, source.label, progress_wanted(quiet), processes.rows_of
            )
            rows = processes.values(shown)
        else:
            chunks = samples.with_progress(
                source.chunks(used or None), source, progress_wanted(quiet)
            )
            rows = batch.values_of(planned, chunks, where=source.where)
        # Spooled (in memory, then on disk): on an error at any row, stdout stays empty.
        import shutil
        import tempfile

        with tempfile.SpooledTemporaryFile(max_size=32 << 20, mode="w+") as spool:
            samples.write_values(rows, graph.names[graph.output], as_json, spool)
            spool.seek(0)
            shutil.copyfileobj(spool, sys.stdout)


def grad_over_data(
    graph: Any,
    path: str,
    at: dict[str, float],
    wrt: list[str] | None,
    reduce: str,
    ignore_extra: bool,
    quiet: bool,
    workers: str | None = None,
    scheduler: str | None = None,
    timeout: float | None = None,
) -> Any:
    """grad --data: the mean (or sum) over the rows of the value and of the gradient."""
    if reduce not in ("mean", "sum"):
        raise InputError("usage", f"--reduce takes mean or sum, not {reduce!r}")
    from autograph import batch
    from autograph import data as samples
    from autograph import workers as processes

    count = processes.count(workers)
    batch.reuse_freed_memory()
    how: Any = reduce
    with samples.open_data(path) as source, ExitStack() as stack:
        used = batch.bind_columns(
            graph, source.names, at, ignore_extra=ignore_extra, source=source.label
        )
        planned = batch.plan(graph, at, wrt)
        if count > 1 or scheduler:
            wrt_names = planned.plan.wrt
            job = processes.Job(graph, at, wrt_names, tuple(used))
            parts = source.parts()
            done = stack.enter_context(closing(shared(job, parts, count, scheduler, timeout)))
            outcomes = samples.with_part_progress(
                done, parts, source.label, progress_wanted(quiet), processes.rows_of
            )
            total = processes.reduce(outcomes, job.wrt or (), True, graph)
        else:
            chunks = samples.with_progress(
                source.chunks(used or None), source, progress_wanted(quiet)
            )
            total = batch.sums_of(planned, chunks, per_node=True, where=source.where)
        return batch.finish(graph, total, how), source.label


def shared(
    job: Any, parts: list[Any], count: int, scheduler: str | None, timeout: float | None = None
) -> Generator[Any, None, None]:
    """The parts' outcomes, in order: from a Dask cluster, or from ``count`` local processes."""
    from autograph import workers as processes

    if not scheduler:
        yield from processes.outcomes(job, parts, count)
        return
    from autograph import cluster

    seconds = cluster.CONNECT_TIMEOUT if timeout is None else timeout
    client = cluster.connect(scheduler, seconds)
    try:
        yield from cluster.outcomes(client, job, parts, seconds)
    finally:
        client.close()
