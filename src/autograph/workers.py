"""``--workers N``: the passes over a dataset's parts, in N processes on this machine.

A dataset cuts itself into parts (Parquet row groups, Arrow record batches,
row ranges of a NumPy array, whole text files), each of which a process opens
and reads by itself. This process computes its share of the parts, and the
others are forked from it once the program is planned, so a worker costs a
few milliseconds to start, not an interpreter's import of NumPy and pyarrow.
Every part comes back as its sums (``batch.Sums``: cost, gradient, row count,
per-node sums) or its values, and the parent adds the sums in the parts'
order. So the result does not depend on the number of processes, and agrees
with the one-process pass to rounding. A ``Job`` also pickles, for the Dask
workers of ``autograph.cluster``.

A part that fails comes back as its error, with the row counted within the
part; the parent counts the rows of the parts before it, so the error names
the same file, row and column as the one-process pass does. Nothing is
returned as a whole unless every part came back.
"""

from __future__ import annotations

import contextlib
import copyreg
import dataclasses
import os
import pickle
import signal
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, BinaryIO

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

    This process is one of them; the others are forked from it, so they start in
    a few milliseconds with the program planned and every module imported. Part
    ``k`` goes to process ``k mod workers``: each child writes its outcomes, in
    order, to its own pipe, and waits while the pipe is full, so the parts' order
    is kept and memory stays bounded without any queue. A child that dies is a
    ``MathError``; when the parent stops early, the children are stopped too.
    """
    workers = max(1, min(workers, len(parts)))
    _plan_of(job)  # planned once, here: the children inherit the plan
    children: list[_Child] = []
    try:
        for first in range(1, workers):
            children.append(_Child.fork(job, parts[first::workers], children))
        for k, part in enumerate(parts):
            who = k % workers
            yield run_part(job, part) if who == 0 else children[who - 1].receive()
    finally:
        for child in children:
            child.stop()


class _Child:
    """A forked process that computes its share of the parts and pickles each outcome to a pipe."""

    def __init__(self, pid: int, reader: BinaryIO) -> None:
        self.pid, self.reader = pid, reader

    @staticmethod
    def fork(job: Job, parts: Sequence[Part], siblings: Sequence[_Child]) -> _Child:
        """Start a child computing ``parts``; ``siblings`` are the children already started."""
        if not hasattr(os, "fork"):
            raise InputError("usage", "more than one worker needs fork (Linux or macOS)")
        read_end, write_end = os.pipe()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # Python 3.12: fork with threads
            pid = os.fork()
        if pid == 0:  # the child: compute, write, and leave without running the parent's exit code
            status = 1
            try:
                signal.signal(signal.SIGINT, signal.SIG_DFL)
                os.close(read_end)
                for sibling in siblings:
                    sibling.reader.close()
                with os.fdopen(write_end, "wb") as out:
                    for part in parts:
                        pickle.dump(run_part(job, part), out, pickle.HIGHEST_PROTOCOL)
                        out.flush()
                status = 0
            finally:
                os._exit(status)
        os.close(write_end)
        return _Child(pid, os.fdopen(read_end, "rb"))

    def receive(self) -> Outcome:
        """The child's next outcome; a ``MathError`` if it died before sending it."""
        try:
            outcome: Outcome = pickle.load(self.reader)
        except (EOFError, pickle.UnpicklingError):
            raise MathError(
                "worker", "a worker process died before it finished its part of the data"
            ) from None
        return outcome

    def stop(self) -> None:
        """End the child (it may have finished already) and collect its exit status."""
        self.reader.close()
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)
        os.waitpid(self.pid, 0)


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
