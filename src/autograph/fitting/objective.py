"""The cost the optimisers minimise: the program at a point, or its mean over a dataset.

Planned once: at a point, the graph's own plan (kept on the graph); over a dataset,
``batch.Passes``, whose every call recomputes only the nodes that depend on the
parameters alone. A dataset small enough is read once and kept in memory for every
epoch; a larger one is read again, chunk by chunk, each time the cost is asked for.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from autograph.errors import InputError
from autograph.graph import Graph

FloatArray = npt.NDArray[np.float64]
Columns = Mapping[str, npt.ArrayLike]
Data = Columns | str | Path | Callable[[], Iterable[Columns]]
"""Columns in memory, a file (any format ``--data`` reads), or a function that reads the
data again, chunk after chunk, each time it is called."""

IN_MEMORY = 1 << 25
"""Numbers (256 MiB) of a dataset kept in memory; a bigger one is streamed each epoch."""


class Objective:
    """The cost and its gradient with respect to ``names``, at any values of them."""

    samples: int | None = None
    """Rows of the dataset (None at a point)."""

    def __init__(self, graph: Graph, fixed: Mapping[str, float], names: Sequence[str]) -> None:
        self.graph, self.fixed, self.names = graph, dict(fixed), tuple(names)

    def point(self, values: FloatArray) -> dict[str, float]:
        """The parameters ``values`` by name, with the fixed variables."""
        return {**self.fixed, **dict(zip(self.names, values.tolist(), strict=True))}

    def __call__(self, values: FloatArray, rows: Any = None) -> tuple[float, FloatArray]:
        """The cost and its gradient at ``values`` (over the ``rows`` of a dataset, if given)."""
        from autograph.evaluate import backward

        result = backward(self.graph, self.point(values), self.names)
        gradient = result.gradient
        return result.value, np.array([gradient[name] for name in self.names], dtype=np.float64)


class DataObjective(Objective):
    """The mean (or sum) of the program over a dataset, by the batch passes planned once."""

    def __init__(
        self,
        graph: Graph,
        fixed: Mapping[str, float],
        names: Sequence[str],
        data: Data,
        reduce: str,
        ignore_extra: bool = False,
    ) -> None:
        from autograph import batch

        super().__init__(graph, fixed, names)
        self.where: batch.RowLabel = batch._row
        self.columns: dict[str, FloatArray] | None = None
        self.stream: Callable[[], Iterable[Columns]] | None = None
        if isinstance(data, str | Path):
            self._read(str(data), ignore_extra)
        elif callable(data):
            self.stream = data
        else:
            used = batch.bind_columns(graph, list(data), fixed, ignore_extra=ignore_extra)
            self.columns = {name: np.asarray(data[name], dtype=np.float64) for name in used}
        how: Any = reduce
        self.passes = batch.Passes(graph, fixed, names, reduce=how, where=self.where)
        if self.columns is not None:
            lengths = {len(column) for column in self.columns.values()}
            self.samples = lengths.pop() if len(lengths) == 1 else None

    def _read(self, path: str, ignore_extra: bool) -> None:
        """Read the file once; keep it in memory if it is small enough, else stream it."""
        from autograph import batch
        from autograph import data as samples

        with samples.open_data(path) as source:
            used = batch.bind_columns(
                self.graph, source.names, self.fixed, ignore_extra=ignore_extra, source=source.label
            )
            self.where = source.where
            pieces: dict[str, list[FloatArray]] = {name: [] for name in used}
            held = 0
            for chunk in source.chunks(used or None):
                for name in used:
                    pieces[name].append(np.array(chunk[name], dtype=np.float64))
                held += sum(len(c) for c in chunk.values())
                if held > IN_MEMORY:
                    break
            else:
                self.columns = {
                    name: np.concatenate(parts) if parts else np.empty(0)
                    for name, parts in pieces.items()
                }
                return

        def again() -> Iterator[Columns]:
            with samples.open_data(path) as source:
                yield from source.chunks(used or None)

        self.stream = again

    def __call__(self, values: FloatArray, rows: Any = None) -> tuple[float, FloatArray]:
        """The cost over the data (or over the ``rows`` given, an index array) and its gradient."""
        data: Any
        if self.columns is None:
            assert self.stream is not None
            data = self.stream()
        elif rows is None:
            data = self.columns
        else:
            data = {name: column[rows] for name, column in self.columns.items()}
        cost = self.passes.cost(data, self.point(values))
        gradient = cost.gradient
        if self.samples is None and rows is None:
            self.samples = cost.samples
        return cost.value, np.array([gradient[name] for name in self.names], dtype=np.float64)

    def batches(self, size: int, seed: int) -> Iterator[npt.NDArray[np.int64]]:
        """Row indices of mini-batches of ``size``: a fresh shuffle each epoch, from ``seed``."""
        if self.columns is None or self.samples is None:
            raise InputError(
                "data",
                "mini-batches need the data in memory: it is too big (more than "
                f"{IN_MEMORY:,} numbers); fit over the whole data instead",
            )
        generator = np.random.default_rng(seed)
        while True:
            order = generator.permutation(self.samples)
            for start in range(0, self.samples, size):
                yield order[start : start + size]
