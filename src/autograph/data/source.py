"""What every reader of samples offers: column names, then the rows in chunks.

A reader opens one file of one format. It knows its column names as soon as it
is open (a CSV header, a Parquet schema, the keys of an ``.npz``) and yields its
rows as chunks, a float64 column per name. It can also cut itself into *parts*
(Parquet row groups, Arrow record batches, row ranges of a NumPy array; a whole
file for the text formats) that another process opens and reads on its own:
that is how ``--workers`` and ``--scheduler`` share the reading.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import IO, Any

import numpy as np
import numpy.typing as npt

from autograph import limits
from autograph.errors import InputError, listing, shorten
from autograph.quoting import PATH

FloatArray = npt.NDArray[np.float64]
Chunk = dict[str, FloatArray]
"""One block of samples: a column of float64 numbers per name."""

ROWS = 1 << 16
"""Rows per chunk for the binary formats (a Parquet or Arrow record batch)."""


@dataclass(frozen=True)
class Part:
    """A piece of one file that a process can open and read by itself.

    ``start`` and ``stop`` are rows of the file (``stop`` None: to the end).
    """

    path: str
    format: str
    start: int = 0
    stop: int | None = None
    rows: int | None = None
    """How many rows, where the file's metadata says so before reading."""


class Source:
    """An open source of samples (a file, or many as one dataset)."""

    format = "csv"
    label: str
    size: int | None = None
    """Bytes on disk, when known (for a progress bar)."""
    names: tuple[str, ...] = ()

    def __init__(self) -> None:
        self.bytes_read = 0
        """Bytes consumed so far (for a progress bar)."""
        self.rows_read = 0
        """Rows yielded so far."""

    def __enter__(self) -> Source:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, err: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        """Release the file."""

    def where(self, row: int) -> str:
        """Where sample ``row`` (1-based) is, for messages: ``row 3 (data.parquet)``."""
        return f"row {row} ({self.label})"

    def chunks(
        self, columns: Sequence[str] | None = None, part: Part | None = None
    ) -> Iterator[Chunk]:
        """The rows (of ``part``, or all) as chunks; only ``columns`` where the format allows."""
        raise NotImplementedError

    def parts(self) -> list[Part]:
        """The pieces another process can read by itself, in order; by default the whole file."""
        return [Part(self.label, self.format)]

    def _check_columns(self, columns: Sequence[str] | None) -> list[str]:
        """The columns asked for (all by default), each of which the file must have."""
        if columns is None:
            return list(self.names)
        known = set(self.names)
        missing = [name for name in columns if name not in known]
        if missing:
            have = listing(self.names) or "none"
            wanted = ", ".join(repr(shorten(name)) for name in missing[:5])
            raise InputError(
                "data",
                f"{shorten(self.label, PATH)} has no column {wanted} (its columns: {have})",
                file=self.label,
                column=missing[0],
            )
        return list(columns)

    def error(self, message: str, **details: Any) -> InputError:
        """A data error about this file."""
        return InputError(
            "data", f"{shorten(self.label, PATH)}: {message}", file=self.label, **details
        )


class TextSource(Source):
    """A text format read line by line (CSV, JSON Lines), from a file or standard input."""

    def __init__(
        self, stream: IO[bytes], label: str, size: int | None = None, max_line: int | None = None
    ) -> None:
        super().__init__()
        self.stream, self.label, self.size = stream, label, size
        self.max_line = limits.line_bytes(max_line)
        """The longest line read, in bytes (``autograph.limits``); a longer one is refused."""

    def close(self) -> None:
        """Close the file (standard input stays open)."""
        if self.stream is not sys.stdin.buffer:
            self.stream.close()
