"""Parquet and Arrow IPC (Feather) files, read with pyarrow.

Only the columns the program uses are read, a record batch at a time, so memory
stays bounded by the batch, not the file. A Parquet file's parts are its row
groups; an Arrow file's, its record batches. A column must hold numbers
(integers, floats or booleans, read as float64); a null is an error naming its
row, row group and column.

pyarrow is an optional extra (``pip install "autograph-cli[data]"``), imported
only when such a file is read.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from autograph.data.source import ROWS, Chunk, FloatArray, Part, Source
from autograph.errors import InputError, shorten
from autograph.quoting import PATH

INSTALL = 'pip install "autograph-cli[data]"'


def _pyarrow(label: str, what: str) -> Any:
    try:
        import pyarrow
        import pyarrow.ipc
        import pyarrow.parquet
    except ImportError:
        raise InputError(
            "missing-extra",
            f"{label} is {what}: reading it needs pyarrow ({INSTALL})",
            file=label,
        ) from None
    return pyarrow


def _floats(column: Any) -> FloatArray:
    """A numeric Arrow array with no nulls as float64, read from its buffers.

    Not ``Array.to_numpy``: there pyarrow imports pandas, a third of a second.
    A float64 column is not copied.
    """
    import pyarrow

    kind, length, offset = column.type, len(column), column.offset
    if length == 0:
        return np.empty(0)
    data = column.buffers()[1]
    if pyarrow.types.is_boolean(kind):
        packed = np.frombuffer(data, np.uint8)
        bits = np.unpackbits(packed, count=offset + length, bitorder="little")
        return bits[offset:].astype(np.float64)
    code = "f" if pyarrow.types.is_floating(kind) else "i"
    if pyarrow.types.is_unsigned_integer(kind):
        code = "u"
    width = kind.bit_width // 8
    values = np.frombuffer(data, np.dtype(f"<{code}{width}"), count=length, offset=offset * width)
    return values.astype(np.float64, copy=False)


class _ArrowSource(Source):
    """What Parquet and Arrow files share: a schema, numeric columns, row offsets of the pieces."""

    piece = "record batch"
    starts: list[int]
    """The first row (0-based) of each piece, and the row count at the end."""

    def _names_from(self, schema: Any) -> tuple[str, ...]:
        names = tuple(schema.names)
        if len(set(names)) != len(names):
            twice = next(n for n in names if names.count(n) > 1)
            raise self.error(f"the column {twice!r} is named twice")
        self.types = {field.name: field.type for field in schema}
        return names

    def _check_types(self, columns: list[str]) -> None:
        pa = _pyarrow(self.label, "")
        for name in columns:
            kind = self.types[name]
            if not (
                pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_boolean(kind)
            ):
                raise self.error(f"column {name!r} holds {kind}, not numbers", column=name)

    def where(self, row: int) -> str:
        piece = bisect.bisect_right(self.starts, row - 1) - 1
        return f"row {row} ({shorten(self.label, PATH)}, {self.piece} {max(piece, 0)})"

    def parts(self) -> list[Part]:
        path, starts = self.label, self.starts
        return [
            Part(path, self.format, starts[k], starts[k + 1], starts[k + 1] - starts[k])
            for k in range(len(starts) - 1)
        ]

    def _pieces(self, part: Part | None) -> range:
        if part is None:
            return range(len(self.starts) - 1)
        first = self.starts.index(part.start)
        last = len(self.starts) - 1 if part.stop is None else self.starts.index(part.stop)
        return range(first, last)

    def _columns(self, batch: Any, columns: list[str], first_row: int) -> Chunk:
        """A record batch as float64 columns; a null is an error naming its row."""
        out: Chunk = {}
        for name in columns:
            column = batch.column(name)
            if column.null_count:
                index = int(np.flatnonzero(~np.asarray(column.is_valid()))[0])
                row = first_row + index + 1
                raise InputError(
                    "data",
                    f"{self.where(row)}: column {name!r} has no value (null)",
                    file=self.label,
                    row=row,
                    column=name,
                )
            out[name] = _floats(column)
        self.rows_read += batch.num_rows
        self.bytes_read += sum(out[name].nbytes for name in columns)
        return out


class ParquetSource(_ArrowSource):
    """A Parquet file: its schema's names; rows in record batches, only the columns asked for."""

    format = "parquet"
    piece = "row group"

    def __init__(self, path: str) -> None:
        super().__init__()
        pa = _pyarrow(path, "a Parquet file")
        self.label, self.size = path, Path(path).stat().st_size
        try:
            self.file = pa.parquet.ParquetFile(path)
        except (pa.ArrowException, OSError) as err:
            raise InputError("data", f"{path}: not a readable Parquet file ({err})") from None
        self.names = self._names_from(self.file.schema_arrow)
        meta = self.file.metadata
        self.starts = [0]
        for group in range(meta.num_row_groups):
            self.starts.append(self.starts[-1] + meta.row_group(group).num_rows)

    def close(self) -> None:
        self.file.close()

    def chunks(
        self, columns: Sequence[str] | None = None, part: Part | None = None
    ) -> Iterator[Chunk]:
        """The rows of ``part`` (or all), a record batch at a time, only ``columns``."""
        wanted = self._check_columns(columns)
        self._check_types(wanted)
        for group in self._pieces(part):
            row = self.starts[group]
            for batch in self.file.iter_batches(
                batch_size=ROWS, row_groups=[group], columns=wanted, use_threads=False
            ):
                yield self._columns(batch, wanted, row)
                row += batch.num_rows


class ArrowSource(_ArrowSource):
    """An Arrow IPC file (Feather version 2), memory-mapped; its parts are its record batches."""

    format = "arrow"

    def __init__(self, path: str) -> None:
        super().__init__()
        pa = _pyarrow(path, "an Arrow (Feather) file")
        self.label, self.size = path, Path(path).stat().st_size
        try:
            self.mapped = pa.memory_map(path, "r")
            self.reader = pa.ipc.open_file(self.mapped)
        except (pa.ArrowException, OSError) as err:
            raise InputError("data", f"{path}: not a readable Arrow file ({err})") from None
        self.names = self._names_from(self.reader.schema)
        self.starts = [0]
        for index in range(self.reader.num_record_batches):
            self.starts.append(self.starts[-1] + self.reader.get_batch(index).num_rows)

    def close(self) -> None:
        self.mapped.close()

    def chunks(
        self, columns: Sequence[str] | None = None, part: Part | None = None
    ) -> Iterator[Chunk]:
        """The rows of ``part`` (or all), a record batch at a time, only ``columns``."""
        wanted = self._check_columns(columns)
        self._check_types(wanted)
        for index in self._pieces(part):
            batch = self.reader.get_batch(index)
            for start in range(0, batch.num_rows, ROWS):
                piece = batch.slice(start, ROWS)
                yield self._columns(piece, wanted, self.starts[index] + start)
