"""``--workers N``: the passes over a dataset's parts, in N processes on this machine.

A dataset cuts itself into parts (Parquet row groups, Arrow record batches,
row ranges of a NumPy array, whole text files), each of which a process opens
and reads by itself. The program is planned once per process (the ``Job``
travels once, with the process's start), every part comes back as its sums
(``batch.Sums``: cost, gradient, row count, per-node sums) or its values, and
the parent adds the sums in the parts' order. So the result does not depend on
the number of processes, and agrees with the one-process pass to rounding.

A part that fails comes back as its error, with the row counted within the
part; the parent counts the rows of the parts before it, so the error names
the same file, row and column as the one-process pass does. Nothing is
returned as a whole unless every part came back.
"""

from __future__ import annotations

import copyreg
import dataclasses
import os
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from autograph import batch
from autograph.data import FloatArray, Part, open_part
from autograph.errors import AutographError, InputError, MathError, Span
from autograph.graph import Graph
from autograph.ops import BY_NAME, Op


def _op_named(name: str) -> Op:
    return BY_NAME[name]


def _reduce_op(op: Op) -> tuple[Callable[[str], Op], tuple[str]]:
    """Ops travel by name: their functions are the op table's, the same in every process."""
    if BY_NAME.get(op.name) is not op:
        raise TypeError(f"op {op.name!r} is not in the op table")
    return _op_named, (op.name,)


copyreg.pickle(Op, _reduce_op)


def portable(graph: Graph) -> Graph:
    """The graph without what it caches (its plan holds the backends' functions)."""
    return dataclasses.replace(graph)


@dataclass(frozen=True)
class Job:
    """What every part's pass needs: the program, the parameters, and what to compute."""

    graph: Graph
    at: dict[str, float]
    wrt: tuple[str, ...] | None
    columns: tuple[str, ...]
    """The data's columns the program reads."""
    gradient: bool = True
    """Sums of the cost and gradient; False: the output's value for every row."""
    per_node: bool = True
    chunk: int | None = None
    key: int = field(default_factory=lambda: int.from_bytes(os.urandom(8), "little"))
    """Tells one job from another in a process that serves many (a Dask worker)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "graph", portable(self.graph))


@dataclass(frozen=True)
class Failure:
    """A part's error, as data (an exception's own pickling loses its fields)."""

    bad_input: bool
    kind: str
    message: str
    span: Span | None
    source: str | None
    details: dict[str, Any]

    @staticmethod
    def of(err: AutographError) -> Failure:
        """The error as it can travel between processes."""
        bad_input = isinstance(err, InputError)
        return Failure(bad_input, err.kind, err.message, err.span, err.source, dict(err.details))

    def error(self, rows_before: int) -> AutographError:
        """The error again, its row counted from the start of the dataset."""
        details = dict(self.details)
        if isinstance(details.get("row"), int):
            details["row"] += rows_before
        kind = InputError if self.bad_input else MathError
        return kind(self.kind, self.message, self.span, self.source, **details)


Outcome = batch.Sums | FloatArray | Failure

_planned: dict[int, batch.Planned] = {}


def _plan_of(job: Job) -> batch.Planned:
    """The job's plan, made once in this process."""
    planned = _planned.get(job.key)
    if planned is None:
        _planned.clear()
        planned = _planned[job.key] = batch.plan(job.graph, job.at, job.wrt, gradient=job.gradient)
    return planned


def run_part(job: Job, part: Part) -> Outcome:
    """One part's sums (or values), or its error: run in a worker process, or anywhere."""
    import numpy as np

    try:
        planned = _plan_of(job)
        with open_part(part) as source:
            chunks = source.chunks(list(job.columns) or None, part)

            def where(row: int) -> str:
                return source.where(part.start + row)

            if not job.gradient:
                pieces = list(batch.values_of(planned, chunks, where=where, chunk=job.chunk))
                return np.concatenate(pieces) if pieces else np.empty(0)
            return batch.sums_of(
                planned, chunks, per_node=job.per_node, where=where, chunk=job.chunk
            )
    except AutographError as err:
        return Failure.of(err)


_job: Job | None = None


def _install(job: Job) -> None:
    global _job
    _job = job
    _plan_of(job)


def _run_installed(part: Part) -> Outcome:
    assert _job is not None
    return run_part(_job, part)


def count(workers: str | int | None) -> int:
    """The number of processes ``--workers`` asks for: a positive number, or ``auto``."""
    if workers is None:
        return 1
    if workers == "auto":
        try:
            return max(1, len(os.sched_getaffinity(0)))
        except AttributeError:  # not on Linux
            return max(1, os.cpu_count() or 1)
    try:
        number = int(workers)
    except ValueError:
        number = 0
    if number < 1:
        raise InputError("usage", f"--workers takes a positive number or auto, not {workers!r}")
    return number


def outcomes(job: Job, parts: Sequence[Part], workers: int) -> Iterator[Outcome]:
    """Each part's outcome, in the parts' order, computed by ``workers`` processes.

    At most twice as many parts as processes are in flight, so memory stays
    bounded. A process that dies is a ``MathError``; the rest are then stopped.
    """
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    context = multiprocessing.get_context("forkserver")
    preload = ["autograph.workers", "numpy"]
    if any(part.format in ("parquet", "arrow") for part in parts):
        preload.append("pyarrow.parquet")  # imported once, not once per worker
    context.set_forkserver_preload(preload)
    pool = ProcessPoolExecutor(
        max_workers=min(workers, len(parts)) or 1,
        mp_context=context,
        initializer=_install,
        initargs=(job,),
    )
    try:
        waiting: deque[Any] = deque()
        queue = iter(parts)
        for part in queue:
            waiting.append(pool.submit(_run_installed, part))
            if len(waiting) >= 2 * workers:
                break
        while waiting:
            try:
                outcome = waiting.popleft().result()
            except BrokenProcessPool:
                raise MathError(
                    "worker", "a worker process died before it finished its part of the data"
                ) from None
            for part in queue:
                waiting.append(pool.submit(_run_installed, part))
                break
            yield outcome
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def rows_of(outcome: Outcome) -> int:
    """The rows a part's outcome covers (none for a failure: it ends the pass)."""
    if isinstance(outcome, batch.Sums):
        return outcome.rows
    if isinstance(outcome, Failure):
        return 0
    return len(outcome)


def reduce(
    outcomes: Iterator[Outcome], wrt: tuple[str, ...], per_node: bool, graph: Graph
) -> batch.Sums:
    """The parts' sums added in order; the first part's error, if any, with its dataset row."""
    total = batch.Sums(wrt, gradient=[0.0] * len(wrt))
    if per_node:
        total.values = [0.0] * len(graph)
        total.adjoints = [None] * len(graph)
        total.partials = [[None] * len(a) for a in graph.inputs]
    for outcome in outcomes:
        if isinstance(outcome, Failure):
            raise outcome.error(total.rows)
        assert isinstance(outcome, batch.Sums)
        total.add(outcome)
    return total


def values(outcomes: Iterator[Outcome]) -> Iterator[FloatArray]:
    """The parts' values in order; the first part's error, if any, with its dataset row."""
    rows = 0
    for outcome in outcomes:
        if isinstance(outcome, Failure):
            raise outcome.error(rows)
        assert not isinstance(outcome, batch.Sums)
        rows += len(outcome)
        yield outcome
