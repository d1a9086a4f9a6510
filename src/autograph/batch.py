"""Forward and reverse passes over many samples at once, vectorised with NumPy.

A *sample* binds the data variables (the columns of a file); the parameters
(``--at``) are the same in every sample. Nodes that depend only on constants and
parameters are *uniform*: they are computed once, as floats, by the scalar
backend. The other nodes *vary* per sample and are computed by ``ArrayMath``,
for all the samples of a chunk at once, into buffers allocated once and reused
chunk after chunk. Chunks small enough for the CPU caches keep every pass in
the cache, and memory stays bounded by the chunk size, not by the data.

The passes read the same op table as the scalar evaluator: an op's forward
function is ``ArrayMath``'s function of the same name, and its partials are the
table's, called with ``ArrayMath`` as the backend. The adjoint of a uniform node
is kept summed over the samples (a parameter's gradient is the sum of its
per-sample adjoints), so reducing onto a parameter is a dot product.

A non-finite number stops the pass: NumPy raises on the floating-point flags,
and the failing chunk is re-run to find the first sample with a non-finite
value; the scalar evaluator then names the node, and the error names the row.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from autograph.backends.numpy import ArrayMath
from autograph.backends.scalar import ScalarMath
from autograph.errors import InputError, MathError, listing, shorten
from autograph.evaluate import Backward, bind
from autograph.evaluate import backward as scalar_backward
from autograph.evaluate import forward as scalar_forward
from autograph.graph import Graph
from autograph.ops import CONST, VAR
from autograph.quoting import PATH

FloatArray = npt.NDArray[np.float64]
Reduce = Literal["mean", "sum"]
Columns = Mapping[str, npt.ArrayLike]
"""One chunk of samples: a column of numbers per data variable, all of one length."""

MAX_CHUNK = 1 << 16
"""At most this many samples per pass."""
CACHE_BUDGET = 1 << 19
"""Numbers (4 MiB) of value buffers that leave room in the L3 cache for the temporaries."""
MEMORY_BUDGET = 1 << 22
"""Numbers (32 MiB) of value buffers a pass may hold at most, however big the graph."""


def chunk_size(graph_nodes: int) -> int:
    """Samples per pass for a graph with this many per-sample nodes.

    Python's cost per NumPy call (about a microsecond) wants big chunks; the caches
    want small ones. Measured on a 2-core EPYC, 2^15 to 2^16 samples per pass run
    the regression losses twice as fast as 2^12. Big graphs get at least 4096
    samples per pass while memory allows, and memory stays bounded by ``MEMORY_BUDGET``.
    """
    nodes = max(1, graph_nodes)
    return max(1, min(MAX_CHUNK, max(CACHE_BUDGET // nodes, min(4096, MEMORY_BUDGET // nodes))))


_FAILURES = (ArithmeticError, ValueError)

MALLOC_MAP_AT = 1 << 22
"""Bytes (4 MiB) from which glibc's malloc maps fresh memory instead of reusing freed memory."""
MALLOC_KEEP = 1 << 26
"""Bytes (64 MiB) of freed memory malloc keeps at the top of its heap."""
_malloc_tuned = False


def reuse_freed_memory() -> None:
    """Let malloc hand a chunk's temporaries the memory the previous chunk's freed.

    A temporary of a full chunk (512 KiB) is above glibc's default mapping
    threshold, so each would be a fresh mapping whose pages the kernel faults
    in and zeroes, then unmaps at free: on this project's 2-core VM that was a
    third of a pass over 10^7 rows. Done once per process, on glibc only.

    The setting is the whole process's, so the command line makes it, not the
    library: a notebook's process keeps its allocator as it is (with the
    threshold fixed, PyTorch's and NumPy's arrays of 8 MB, above it, were
    mapped afresh every time, twice as slow in ``benchmarks/bench_data.py``).
    """
    global _malloc_tuned
    if _malloc_tuned:
        return
    _malloc_tuned = True
    import ctypes
    import sys

    if not sys.platform.startswith("linux"):
        return
    try:
        mallopt = ctypes.CDLL(None).mallopt  # the C library the interpreter runs on
    except (OSError, AttributeError):  # not glibc (musl has no mallopt)
        return
    mallopt(_M_TRIM_THRESHOLD, MALLOC_KEEP)
    mallopt(_M_MMAP_THRESHOLD, MALLOC_MAP_AT)


_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # glibc's malloc.h

Arrays = dict[str, FloatArray]


def raising() -> np.errstate:
    """The NumPy mode in which an overflow, a division by zero or a NaN raises an error."""
    return np.errstate(all="raise", under="ignore")


# Results ----------------------------------------------------------------------------


@dataclass(frozen=True, eq=False, repr=False)
class BatchBackward(Backward):
    """The cost over a dataset: its value and gradient, and each node's statistics.

    ``values`` and ``partials`` are each node's mean over the samples; ``adjoints``,
    the gradient and ``value`` are reduced as asked (the mean or the sum over the
    samples). Without per-node statistics, ``values`` is empty but for the output.
    """

    samples: int = 0
    reduce: Reduce = "mean"
    cost: float = 0.0
    """The output reduced over the samples: the mean (or sum) of the loss."""

    @property
    def value(self) -> float:
        """The cost: the output's mean (or sum) over the samples."""
        return self.cost


# Binding a dataset to a program ------------------------------------------------------


def bind_columns(
    graph: Graph,
    columns: Sequence[str],
    at: Mapping[str, float],
    *,
    ignore_extra: bool = False,
    source: str = "the data",
) -> list[str]:
    """Check that the columns and ``at`` together bind every variable, each once.

    Returns the columns the program uses. A column that names no variable is an
    error unless ``ignore_extra``; so is a variable that is neither a column nor in ``at``.
    """
    names = listing(columns) or "none"
    source = shorten(source, PATH)
    variables = graph.variables
    for name in columns:
        if name in at:
            raise InputError(
                "data-binding",
                f"{shorten(name)!r} is both a column of {source} and given with --at; give it once",
                variable=name,
            )
        if name not in variables and not ignore_extra:
            known = listing(list(variables)) or "none"
            raise InputError(
                "data-binding",
                f"column {shorten(name)!r} of {source} is not a variable of the program "
                f"(variables: {known}); pass --ignore-extra-columns to skip it",
                variable=name,
            )
    given = set(columns)
    missing = [name for name in variables if name not in at and name not in given]
    if missing:
        listed = listing(missing)
        example = ",".join(f"{shorten(name)}=..." for name in missing[:5])
        raise InputError(
            "unbound-variable",
            f"no value for {listed}: not a column of {source} (columns: {names}) "
            f"and not given with --at (give one with --at {example})",
            graph.span(variables[missing[0]]),
            graph.source,
            variables=missing,
        )
    bind(graph, {**at, **dict.fromkeys((c for c in columns if c in variables), 0.0)})
    return [name for name in columns if name in variables]


# The passes --------------------------------------------------------------------------


class _Plan:
    """What one (graph, columns, parameters, wrt) needs before any sample is seen."""

    def __init__(
        self,
        graph: Graph,
        columns: Iterable[str],
        at: Mapping[str, float],
        wrt: tuple[str, ...] | None,
    ) -> None:
        self.graph, self.at, self.wrt = graph, dict(at), wrt
        ops, inputs, size = graph.ops, graph.inputs, len(graph)
        data = set(columns)
        self.varies = varies = [False] * size
        for node, op in enumerate(ops):
            if op is VAR:
                varies[node] = graph.labels[node] in data
            elif op is not CONST:
                varies[node] = any(varies[arg] for arg in inputs[node])
        self.columns = {name: graph.variables[name] for name in graph.variables if name in data}
        self.forward_steps = [
            (node, op.forward(ArrayMath), inputs[node])
            for node, op in enumerate(ops)
            if varies[node] and op is not VAR
        ]
        self.failed = False
        """A uniform node's value or partial is not finite: every sample fails."""
        self.uniform = self._uniform_values()
        self.needs = self._needs_adjoint() if wrt is not None else [False] * size
        self.backward_steps = [
            (
                node,
                [
                    (k, arg, ops[node].partials[k])
                    for k, arg in enumerate(inputs[node])
                    if self.needs[arg]
                ],
            )
            for node in range(graph.output, -1, -1)
            if self.needs[node] and inputs[node]
        ]
        self.uniform_partials = self._uniform_partials()

    def rebind(self, at: Mapping[str, float]) -> None:
        """New parameter values: only the uniform nodes' values and partials change."""
        self.at = dict(at)
        self.failed = False
        self.uniform = self._uniform_values()
        self.uniform_partials = self._uniform_partials()

    def _uniform_values(self) -> list[Any]:
        graph, varies = self.graph, self.varies
        values: list[Any] = [None] * len(graph)
        try:
            for node, op in enumerate(graph.ops):
                if varies[node]:
                    continue
                if op is CONST:
                    values[node] = graph.constants[node]
                elif op is VAR:
                    values[node] = float(self.at[graph.labels[node]])  # type: ignore[index]
                else:
                    value = op.forward(ScalarMath)(*[values[arg] for arg in graph.inputs[node]])
                    if not math.isfinite(value):
                        self.failed = True
                    values[node] = float(value)
        except _FAILURES:
            self.failed = True
        return values

    def _needs_adjoint(self) -> list[bool]:
        """The scalar evaluator's rule: depends on a wrt variable, and the output depends on it."""
        graph, size = self.graph, len(self.graph)
        depends = [False] * size
        for name in self.wrt or ():
            depends[graph.variables[name]] = True
        for node in range(size):
            if not depends[node] and any(depends[arg] for arg in graph.inputs[node]):
                depends[node] = True
        reached = [False] * size
        reached[graph.output] = True
        for node in range(graph.output, -1, -1):
            if reached[node]:
                for arg in graph.inputs[node]:
                    reached[arg] = True
        return [d and r for d, r in zip(depends, reached, strict=True)]

    def _uniform_partials(self) -> dict[int, list[float]]:
        """The local derivatives of uniform nodes: the same in every sample, so computed once."""
        partials: dict[int, list[float]] = {}
        if self.failed:
            return partials
        values = self.uniform
        try:
            for node, edges in self.backward_steps:
                if not self.varies[node]:
                    args = [values[arg] for arg in self.graph.inputs[node]]
                    local = [float(p(ScalarMath, *args, values[node])) for _, _, p in edges]
                    self.failed = self.failed or not all(map(math.isfinite, local))
                    partials[node] = local
        except _FAILURES:
            self.failed = True
        return partials


@dataclass
class _Sums:
    """One chunk's contribution: sums over its samples."""

    value: float
    gradient: list[float]
    values: list[float] | None = None
    adjoints: list[float | None] | None = None
    partials: list[list[float | None]] | None = None

    def finite(self) -> bool:
        """True when every sum is a finite number."""
        numbers = [self.value, *self.gradient, *(self.values or ())]
        numbers += [a for a in self.adjoints or () if a is not None]
        numbers += [p for local in self.partials or () for p in local if p is not None]
        return all(map(math.isfinite, numbers))


class _Pass:
    """The forward and reverse passes over one chunk, in buffers reused chunk after chunk."""

    def __init__(self, plan: _Plan, size: int) -> None:
        self.plan, self.size = plan, size
        self.template: list[Any] = list(plan.uniform)
        for node, _, _ in plan.forward_steps:
            self.template[node] = np.empty(size)
        self.adjoint_buffers: dict[int, FloatArray] = {}

    def rebind(self) -> None:
        """Take the plan's new uniform values (after ``_Plan.rebind``) into the template."""
        varies, uniform = self.plan.varies, self.plan.uniform
        for node, value in enumerate(uniform):
            if not varies[node]:
                self.template[node] = value

    def resized(self, size: int) -> _Pass:
        """The same passes over fewer samples, in views of the same buffers."""
        if size == self.size:
            return self
        smaller = _Pass.__new__(_Pass)
        smaller.plan, smaller.size = self.plan, size
        smaller.template = [v[:size] if isinstance(v, np.ndarray) else v for v in self.template]
        smaller.adjoint_buffers = {n: b[:size] for n, b in self.adjoint_buffers.items()}
        return smaller

    def forward(self, columns: Mapping[str, FloatArray]) -> list[Any]:
        """Every node's value: a float for uniform nodes, an array for the others."""
        values = list(self.template)
        for name, node in self.plan.columns.items():
            values[node] = columns[name]
        for node, function, args in self.plan.forward_steps:
            function(*[values[arg] for arg in args], out=values[node])
        return values

    def backward(self, values: list[Any], check: list[int] | None = None) -> list[Any]:
        """Every needed adjoint: per sample for varying nodes, summed over samples for uniform ones.

        With ``check``, collects the first sample index of every non-finite array.
        """
        plan, size = self.plan, self.size
        varies, inputs = plan.varies, plan.graph.inputs
        adjoints: list[Any] = [None] * len(values)
        owned = [False] * len(values)
        output = plan.graph.output
        adjoints[output] = 1.0 if varies[output] else float(size)
        for node, edges in plan.backward_steps:
            adjoint = adjoints[node]
            if not varies[node]:
                for (_, arg, _), partial in zip(edges, plan.uniform_partials[node], strict=True):
                    adjoints[arg] = adjoint * partial + (adjoints[arg] or 0.0)
                continue
            args = [values[arg] for arg in inputs[node]]
            mine = (*args, values[node])
            for _, arg, partial_of in edges:
                partial = partial_of(ArrayMath, *args, values[node])
                fresh = isinstance(partial, np.ndarray) and all(partial is not v for v in mine)
                if check is not None:
                    _first_bad(partial, check)
                if not varies[arg]:
                    adjoints[arg] = _dot(adjoint, partial, size) + (adjoints[arg] or 0.0)
                    continue
                product, fresh = _times(adjoint, partial, fresh)
                if check is not None:
                    _first_bad(product, check)
                self._accumulate(adjoints, owned, arg, product, fresh)
        return adjoints

    def _accumulate(
        self, adjoints: list[Any], owned: list[bool], arg: int, term: Any, fresh: bool
    ) -> None:
        """Add one path's term to ``arg``'s per-sample adjoint, writing only into memory it owns."""
        held = adjoints[arg]
        if held is None:
            adjoints[arg], owned[arg] = term, fresh
        elif not isinstance(held, np.ndarray) and not isinstance(term, np.ndarray):
            adjoints[arg] = held + term
        elif owned[arg]:
            np.add(held, term, out=held)
        elif fresh:
            adjoints[arg], owned[arg] = np.add(term, held, out=term), True
        else:
            buffer = self.adjoint_buffers.get(arg)
            if buffer is None:
                buffer = self.adjoint_buffers[arg] = np.empty(self.size)
            adjoints[arg], owned[arg] = np.add(held, term, out=buffer), True

    def sums(self, values: list[Any], adjoints: list[Any] | None, per_node: bool) -> _Sums:
        """The chunk's sums: of the output, of the gradient, and per node if asked."""
        plan, size = self.plan, self.size
        graph = plan.graph
        sums = _Sums(_total(values[graph.output], size), [])
        if adjoints is not None:
            # A variable with no path to the output has no adjoint: its gradient is 0.
            variables = [graph.variables[name] for name in plan.wrt or ()]
            sums.gradient = [
                0.0 if adjoints[v] is None else _total(adjoints[v], size, plan.varies[v])
                for v in variables
            ]
        if per_node:
            sums.values = [_total(v, size) for v in values]
            if adjoints is not None:
                sums.adjoints = [
                    None if a is None else _total(a, size, plan.varies[node])
                    for node, a in enumerate(adjoints)
                ]
                sums.partials = self._partial_sums(values)
        return sums

    def _partial_sums(self, values: list[Any]) -> list[list[float | None]]:
        """Each needed local derivative, summed over the chunk (for the per-node table)."""
        plan, size = self.plan, self.size
        inputs = plan.graph.inputs
        partials: list[list[float | None]] = [[None] * len(args) for args in inputs]
        for node, edges in plan.backward_steps:
            if not plan.varies[node]:
                for (k, _, _), partial in zip(edges, plan.uniform_partials[node], strict=True):
                    partials[node][k] = partial * size
                continue
            args = [values[arg] for arg in inputs[node]]
            for k, _, partial_of in edges:
                partials[node][k] = _total(partial_of(ArrayMath, *args, values[node]), size)
        return partials


def _total(value: Any, size: int, per_sample: bool = True) -> float:
    """The sum over a chunk of a per-sample quantity: an array, or a float shared by all."""
    if isinstance(value, np.ndarray):
        return float(value.sum())
    return float(value) * size if per_sample else float(value)


def _dot(adjoint: Any, partial: Any, size: int) -> float:
    """Sum over the samples of adjoint * partial, either of which may be a shared float."""
    if isinstance(adjoint, np.ndarray):
        if isinstance(partial, np.ndarray):
            return float(np.einsum("i,i->", adjoint, partial))  # no BLAS: its threads stall
        return float(partial) * float(adjoint.sum())
    if isinstance(partial, np.ndarray):
        return float(adjoint) * float(partial.sum())
    return float(adjoint) * float(partial) * size


def _times(adjoint: Any, partial: Any, fresh: bool) -> tuple[Any, bool]:
    """adjoint * partial per sample, in place where the partial is a fresh temporary.

    Returns the product and whether it is fresh memory nobody else holds.
    """
    if not isinstance(adjoint, np.ndarray):
        if not isinstance(partial, np.ndarray):
            return adjoint * partial, False
        if adjoint == 1.0:
            return partial, fresh
        return np.multiply(partial, adjoint, out=partial if fresh else None), True
    if not isinstance(partial, np.ndarray):
        if partial == 1.0:
            return adjoint, False
        if partial == -1.0:
            return np.negative(adjoint), True
        return np.multiply(adjoint, partial), True
    return np.multiply(adjoint, partial, out=partial if fresh else None), True


def _first_bad(value: Any, found: list[int]) -> None:
    if isinstance(value, np.ndarray):
        bad = np.flatnonzero(~np.isfinite(value))
        if bad.size:
            found.append(int(bad[0]))
    elif not math.isfinite(value):
        found.append(0)


# Running chunk after chunk --------------------------------------------------------


RowLabel = Callable[[int], str]
"""Says where sample ``row`` (1-based) came from, for messages: "row 3 (data.csv, line 4)"."""


def _row(row: int) -> str:
    return f"row {row}"


class _Runner:
    """Runs the passes piece after piece; turns a floating-point failure into a MathError."""

    def __init__(self, plan: _Plan, chunk: int | None, where: RowLabel) -> None:
        self.chunk = max(1, chunk or chunk_size(len(plan.forward_steps)))
        self.plan, self.where = plan, where
        self.full = _Pass(plan, self.chunk)
        self.rows = 0
        """Samples done before the current piece."""

    def pieces(self, data: Columns | Iterable[Columns]) -> Iterator[tuple[_Pass, Arrays]]:
        """Each chunk of ``data`` cut into pieces of at most the pass size, with their pass."""
        chunks: Iterable[Columns] = [data] if isinstance(data, Mapping) else data
        names = list(self.plan.columns)
        for columns in chunks:
            missing = [name for name in names if name not in columns]
            if missing:
                raise InputError("data", f"no column for {', '.join(missing)} in the data")
            arrays = {name: np.asarray(columns[name], dtype=np.float64) for name in names}
            length = _length(arrays, columns)
            for start in range(0, length, self.chunk):
                stop = min(start + self.chunk, length)
                yield self.full.resized(stop - start), {n: a[start:stop] for n, a in arrays.items()}
                self.rows += stop - start

    def run(
        self, step: _Pass, columns: Arrays, gradient: bool, per_node: bool
    ) -> tuple[list[Any], _Sums]:
        """Both passes (or the forward one) over one piece; a failure is named by its row.

        Call it under ``raising()``, so that NumPy raises on a non-finite result.
        """
        if not self.plan.failed:
            try:
                values = step.forward(columns)
                adjoints = step.backward(values) if gradient else None
                sums = step.sums(values, adjoints, per_node)
                if sums.finite():  # else a NaN or an infinity came in with the data
                    return values, sums
            except _FAILURES:
                pass
        return self._diagnose(step, columns, gradient, per_node)

    def _diagnose(
        self, step: _Pass, columns: Arrays, gradient: bool, per_node: bool
    ) -> tuple[list[Any], _Sums]:
        """Re-run a failed piece to find its first bad sample; the scalar pass names the node."""
        plan = self.plan
        for name, column in columns.items():
            wrong = np.flatnonzero(~np.isfinite(column))
            if wrong.size:
                row = self.rows + int(wrong[0]) + 1
                raise InputError(
                    "data",
                    f"{self.where(row)}: {shorten(name)} is {column[wrong[0]]}, "
                    "not a finite number",
                    row=row,
                    variable=name,
                )
        bad: list[int] = [0] if plan.failed else []  # a parameter-only node fails in every row
        if not plan.failed:
            with np.errstate(all="ignore"):
                values = step.forward(columns)
                for node, _, _ in plan.forward_steps:
                    _first_bad(values[node], bad)
                adjoints = step.backward(values, bad) if gradient else None
                if not bad:  # a flag was raised on the way, but every number is finite
                    return values, step.sums(values, adjoints, per_node)
        index = min(bad)
        row = self.rows + index + 1
        sample = {**plan.at, **{name: float(column[index]) for name, column in columns.items()}}
        where = self.where(row)
        try:
            if gradient:
                scalar_backward(plan.graph, sample, plan.wrt)
            else:
                scalar_forward(plan.graph, sample)
        except MathError as err:
            details = {**err.details, "row": row}
            raise MathError(
                err.kind, f"{where}: {err.message}", err.span, err.source, **details
            ) from None
        raise MathError("nan", f"{where}: a value or derivative is not a finite number", row=row)


def _length(arrays: Arrays, columns: Columns) -> int:
    """The number of samples in a chunk: its columns' common length."""
    shapes = {np.shape(column) for column in (arrays or columns).values()}
    if len(shapes) != 1 or len(next(iter(shapes))) != 1:
        raise InputError("data", "the data's columns must be 1-D and of one length")
    return int(next(iter(shapes))[0])


def _prepare(graph: Graph, at: Mapping[str, float]) -> list[str]:
    """Check ``at``; the variables it leaves free are the data's columns."""
    columns = [name for name in graph.variables if name not in at]
    bind(graph, {**at, **dict.fromkeys(columns, 0.0)})
    return columns


def _check_wrt(graph: Graph, at: Mapping[str, float], wrt: Iterable[str] | None) -> tuple[str, ...]:
    """``wrt`` checked, in order, without repeats; by default the parameters (``at``)."""
    names = [name for name in graph.variables if name in at] if wrt is None else wrt
    names = tuple(dict.fromkeys(names))
    for name in names:
        if name not in graph.variables:
            known = listing(list(graph.variables)) or "none"
            raise InputError(
                "bad-wrt",
                f"--wrt {shorten(name)!r} is not a variable of the program (variables: {known})",
                variable=name,
            )
    return names


# The public functions ----------------------------------------------------------------


def values(
    graph: Graph,
    data: Columns | Iterable[Columns],
    at: Mapping[str, float],
    *,
    where: RowLabel = _row,
    chunk: int | None = None,
) -> Iterator[FloatArray]:
    """The output's value for every sample: an array per piece of ``data``, in order.

    ``data`` maps each variable not in ``at`` to a column of numbers, or is an
    iterable of such mappings read one after the other. Raises ``MathError``
    naming the row of the first sample whose value is not finite.
    """
    return values_of(plan(graph, at, gradient=False), data, where=where, chunk=chunk)


def plan(
    graph: Graph,
    at: Mapping[str, float],
    wrt: Iterable[str] | None = None,
    *,
    gradient: bool = True,
) -> Planned:
    """Everything the passes need before any sample is seen: made once, used on every chunk.

    The variables ``at`` leaves free are the data's columns. With ``gradient``,
    the plan also serves the reverse pass, with respect to ``wrt`` (by default
    the parameters, the variables in ``at``).
    """
    columns = _prepare(graph, at)
    wanted = _check_wrt(graph, at, wrt) if gradient else None
    return Planned(_Plan(graph, columns, at, wanted))


@dataclass(frozen=True)
class Planned:
    """A planned program: what ``plan`` returns, for ``values_of`` and ``sums_of``."""

    plan: _Plan

    @property
    def columns(self) -> list[str]:
        """The data's columns the program reads."""
        return list(self.plan.columns)


def values_of(
    planned: Planned,
    data: Columns | Iterable[Columns],
    *,
    where: RowLabel = _row,
    chunk: int | None = None,
) -> Iterator[FloatArray]:
    """The output's value for every sample of ``data``, with a plan made once."""
    runner = _Runner(planned.plan, chunk, where)
    output = planned.plan.graph.output
    for step, columns in runner.pieces(data):
        with raising():  # not around the yield: the caller's code must not run in this mode
            computed, _ = runner.run(step, columns, gradient=False, per_node=False)
        value = computed[output]
        yield value.copy() if isinstance(value, np.ndarray) else np.full(step.size, value)


@dataclass(frozen=True)
class Cost:
    """The cost over a dataset (the mean or sum of the output) and its gradient."""

    value: float
    gradient: dict[str, float]
    samples: int
    reduce: Reduce


@dataclass
class Sums:
    """Sums over some of the samples: of the output, of the gradient, and per node.

    What a worker returns for its share of the data. Sums of several shares are
    added in a fixed order (``add``), so that the total does not depend on who
    computed which share; ``finish`` turns the total into means.
    """

    wrt: tuple[str, ...]
    rows: int = 0
    value: float = 0.0
    gradient: list[float] = field(default_factory=list)
    values: list[float] | None = None
    adjoints: list[float | None] | None = None
    partials: list[list[float | None]] | None = None

    def add(self, other: Sums) -> None:
        """Add another share's sums (in place)."""
        self._add(other.rows, other)

    def _add(self, rows: int, other: Sums | _Sums) -> None:
        self.rows += rows
        self.value += other.value
        self.gradient = [g + s for g, s in zip(self.gradient, other.gradient, strict=True)]
        if self.values is not None and self.adjoints is not None and self.partials is not None:
            _add_node_sums(other, self.values, self.adjoints, self.partials)


def sums_of(
    planned: Planned,
    data: Columns | Iterable[Columns],
    *,
    per_node: bool = False,
    where: RowLabel = _row,
    chunk: int | None = None,
) -> Sums:
    """The sums over ``data`` of the output and the gradient (and, with ``per_node``, of each node).

    A failing sample raises the error the single pass would, its row counted from
    the start of ``data``.
    """
    plan = planned.plan
    graph = plan.graph
    size = len(graph)
    wrt = plan.wrt or ()
    total = Sums(wrt, gradient=[0.0] * len(wrt))
    if per_node:
        total.values = [0.0] * size
        total.adjoints = [None] * size
        total.partials = [[None] * len(a) for a in graph.inputs]
    runner = _Runner(plan, chunk, where)
    with raising():
        for step, piece in runner.pieces(data):
            _, sums = runner.run(step, piece, gradient=True, per_node=per_node)
            total._add(step.size, sums)
    return total


def finish(graph: Graph, total: Sums, reduce: Reduce = "mean") -> BatchBackward:
    """The cost, gradient and per-node statistics from the sums over every sample.

    Raises ``InputError`` for no samples, ``MathError`` for a sum that overflowed.
    """
    if reduce not in ("mean", "sum"):
        raise InputError("usage", f"reduce must be mean or sum, not {reduce!r}")
    if not total.rows:
        raise InputError("data", "the data has no samples: a cost over no samples is undefined")
    scale = 1.0 / total.rows if reduce == "mean" else 1.0
    mean = 1.0 / total.rows
    cost = total.value * scale
    gradient = {name: g * scale for name, g in zip(total.wrt, total.gradient, strict=True)}
    _check_finite(cost, gradient)
    size = len(graph)
    values = total.values if total.values is not None else [0.0] * size
    adjoints = total.adjoints
    if adjoints is None:  # only the gradient was summed: its variables' adjoints
        adjoints = [None] * size
        for name, g in zip(total.wrt, total.gradient, strict=True):
            adjoints[graph.variables[name]] = g
    partials = total.partials or [[None] * len(a) for a in graph.inputs]
    if total.values is not None:
        _check_node_sums(graph, values, adjoints, partials)
    return BatchBackward(
        graph,
        [v * mean for v in values],
        total.wrt,
        [None if a is None else a * scale for a in adjoints],
        [tuple(None if p is None else p * mean for p in local) for local in partials],
        samples=total.rows,
        reduce=reduce,
        cost=cost,
    )


def cost(
    graph: Graph,
    data: Columns | Iterable[Columns],
    at: Mapping[str, float],
    wrt: Iterable[str] | None = None,
    *,
    reduce: Reduce = "mean",
    where: RowLabel = _row,
    chunk: int | None = None,
) -> Cost:
    """The cost and its gradient, by default with respect to the parameters (``at``)."""
    _check_reduce(reduce)
    total = sums_of(plan(graph, at, wrt), data, where=where, chunk=chunk)
    result = finish(graph, total, reduce)
    return Cost(result.cost, result.gradient, total.rows, reduce)


def backward(
    graph: Graph,
    data: Columns | Iterable[Columns],
    at: Mapping[str, float],
    wrt: Iterable[str] | None = None,
    *,
    reduce: Reduce = "mean",
    where: RowLabel = _row,
    chunk: int | None = None,
) -> BatchBackward:
    """The cost and its gradient, with every node's mean value, partials and reduced adjoint."""
    _check_reduce(reduce)
    total = sums_of(plan(graph, at, wrt), data, per_node=True, where=where, chunk=chunk)
    return finish(graph, total, reduce)


def _check_reduce(reduce: str) -> None:
    if reduce not in ("mean", "sum"):
        raise InputError("usage", f"reduce must be mean or sum, not {reduce!r}")


class Passes:
    """A program planned once over a dataset's columns: its cost and gradient at any parameters.

    What ``cost`` does in one call, split so that a loop over many parameter values
    (``autograph.fit``) plans the program once: each call of ``cost`` computes only
    the nodes that depend on the parameters alone again, then runs the passes over
    ``data``. ``at`` gives the parameters' first values (and fixes which they are).
    """

    def __init__(
        self,
        graph: Graph,
        at: Mapping[str, float],
        wrt: Iterable[str] | None = None,
        *,
        reduce: Reduce = "mean",
        where: RowLabel = _row,
        chunk: int | None = None,
    ) -> None:
        if reduce not in ("mean", "sum"):
            raise InputError("usage", f"reduce must be mean or sum, not {reduce!r}")
        self.graph, self.reduce = graph, reduce
        self.parameters = tuple(at)
        self.wrt = _check_wrt(graph, at, wrt)
        self._plan = _Plan(graph, _prepare(graph, at), at, self.wrt)
        self._runner = _Runner(self._plan, chunk, where)

    def cost(self, data: Columns | Iterable[Columns], at: Mapping[str, float]) -> Cost:
        """The cost over ``data`` and its gradient, at the parameter values ``at``."""
        if set(at) != set(self.parameters):
            raise InputError("usage", "the parameters must be those the passes were planned for")
        bind(self.graph, {**at, **dict.fromkeys(self._plan.columns, 0.0)})
        plan, runner = self._plan, self._runner
        plan.rebind(at)
        runner.full.rebind()
        runner.rows = 0
        total, grad = 0.0, [0.0] * len(self.wrt)
        with raising():
            for step, piece in runner.pieces(data):
                _, sums = runner.run(step, piece, gradient=True, per_node=False)
                total += sums.value
                grad = [g + s for g, s in zip(grad, sums.gradient, strict=True)]
        samples = runner.rows
        if not samples:
            raise InputError("data", "the data has no samples: a cost over no samples is undefined")
        scale = 1.0 / samples if self.reduce == "mean" else 1.0
        gradient = {name: g * scale for name, g in zip(self.wrt, grad, strict=True)}
        _check_finite(total * scale, gradient)
        return Cost(total * scale, gradient, samples, self.reduce)


def _add_node_sums(
    sums: Sums | _Sums,
    values: list[float],
    adjoints: list[float | None],
    partials: list[list[float | None]],
) -> None:
    for node, value in enumerate(sums.values or ()):
        values[node] += value
    for node, adjoint in enumerate(sums.adjoints or ()):
        if adjoint is not None:
            adjoints[node] = (adjoints[node] or 0.0) + adjoint
    for node, local in enumerate(sums.partials or ()):
        for k, partial in enumerate(local):
            if partial is not None:
                partials[node][k] = (partials[node][k] or 0.0) + partial


def _check_finite(cost: float, gradient: Mapping[str, float]) -> None:
    """Sums of finite numbers can still overflow: say so rather than print an infinity."""
    if not math.isfinite(cost):
        raise MathError("overflow", "the output summed over the samples overflows float64")
    for name, g in gradient.items():
        if not math.isfinite(g):
            raise MathError(
                "overflow",
                f"the gradient with respect to {shorten(name)}, summed over the samples, "
                "overflows float64",
            )


def _check_node_sums(
    graph: Graph,
    values: list[float],
    adjoints: list[float | None],
    partials: list[list[float | None]],
) -> None:
    """A node's sum over the samples may overflow although each sample's number is finite."""
    for node in range(len(graph)):
        numbers = [values[node], adjoints[node] or 0.0, *(p or 0.0 for p in partials[node])]
        if not all(map(math.isfinite, numbers)):
            raise MathError(
                "overflow",
                f"`{graph.text(node)}` summed over the samples overflows float64",
                graph.span(node),
                graph.source,
                node=node,
            )
