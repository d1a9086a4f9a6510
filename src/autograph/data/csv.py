"""Reading samples from a CSV or TSV file, chunk after chunk.

The first line names the columns; every other line is one sample, one number
per column. The delimiter is read off the header: a tab if the header has tabs
and no commas, else a comma (the file's extension, ``.tsv`` or ``.csv``, only
breaks a tie); a header split by ``;``, ``|`` or spaces is refused, naming what it
found. Empty lines at the end of the file are skipped, and nothing else: an empty
line before a sample, a missing, extra or non-numeric field, or a number that is
not finite stops the reading with an error naming the file, the line and the column.

The file is read in blocks of a few megabytes, so memory stays bounded whatever
its size. A large block is parsed by pandas' C parser (about 300 MB/s); a small
one, or one the fast parser balks at, by the exact line-by-line parser below,
which is the reference: the fast path only ever accepts what it accepts, and
any doubt sends the block back to it for the precise error.
"""

from __future__ import annotations

import io
import re
import warnings
from collections.abc import Iterator, Sequence
from typing import IO, Any

import numpy as np

from autograph import limits
from autograph.data.source import Chunk, FloatArray, Part, TextSource
from autograph.errors import InputError, shorten
from autograph.quoting import PATH

BLOCK = 1 << 22
"""Bytes read at a time (4 MiB): about 100,000 rows of three numbers."""
FAST_MIN = 1 << 18
"""Blocks smaller than this (256 KiB) skip the fast parser and the cost of importing it."""

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_NUMBER = re.compile(rb"\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*\Z")
_BOM = b"\xef\xbb\xbf"


class DataFile(TextSource):
    """An open CSV or TSV file of samples: the header's names, then the rows in chunks."""

    format = "csv"

    def __init__(
        self,
        stream: IO[bytes],
        label: str,
        size: int | None = None,
        max_line: int | None = None,
    ) -> None:
        super().__init__(stream, label, size, max_line)
        self.names, self.delimiter = self._read_header()

    @property
    def delimiter_name(self) -> str:
        """``comma`` or ``tab``: what the header said."""
        return "tab" if self.delimiter == b"\t" else "comma"

    def where(self, row: int) -> str:
        """Where sample ``row`` (1-based) is: ``row 3 (data.csv, line 4)``."""
        return f"row {row} ({shorten(self.label, PATH)}, line {row + 1})"

    def _error(self, message: str, line: int, column: int | None = None) -> InputError:
        place = f"{shorten(self.label, PATH)}, line {line}" + (
            f", column {column}" if column else ""
        )
        details: dict[str, Any] = {"file": self.label, "line": line}
        if column:
            details["column"] = column
        return InputError("data", f"{place}: {message}", **details)

    def _read_header(self) -> tuple[tuple[str, ...], bytes]:
        raw = limits.first_line(self.stream, self.label, self.max_line)
        self.bytes_read += len(raw)
        if not raw.strip():
            what = "is empty" if not raw else "has an empty first line"
            raise self._error(f"{what}: the first line must name the columns, e.g. x,y", 1)
        text = raw.removeprefix(_BOM).rstrip(b"\r\n")
        try:
            header = text.decode("utf-8")
        except UnicodeDecodeError as err:
            raise self._error(f"the header is not valid UTF-8 (byte {err.start})", 1) from None
        tabs, commas = "\t" in header, "," in header
        if tabs != commas:
            delimiter = "\t" if tabs else ","
        else:
            delimiter = "\t" if self.label.lower().endswith((".tsv", ".tab")) else ","
            if not tabs:
                self._refuse_other_delimiter(header)
        names: list[str] = []
        seen: set[str] = set()  # a set: a header of 10^5 names is checked in linear time
        for column, field in enumerate(header.split(delimiter), 1):
            name = field.strip()
            if len(name) >= 2 and name[0] == name[-1] == '"':
                name = name[1:-1].strip()
            if not _NAME.match(name):
                shown = repr(shorten(field, 30))
                raise self._error(
                    f"{shown} is not a variable name "
                    "(letters, digits and _, not starting with a digit)",
                    1,
                    column,
                )
            if name in seen:
                raise self._error(f"the column {name!r} is named twice", 1, column)
            names.append(name)
            seen.add(name)
        return tuple(names), delimiter.encode()

    def _refuse_other_delimiter(self, header: str) -> None:
        """A header of several names split by ``;``, ``|`` or spaces: say what was found."""
        for found, called in ((";", "';'"), ("|", "'|'"), (" ", "spaces")):
            pieces = [piece for piece in header.strip().split(found) if piece.strip()]
            if len(pieces) > 1 and all(_NAME.match(piece.strip()) for piece in pieces):
                raise self._error(
                    f"the columns are separated by {called}: autograph reads a CSV file "
                    "separated by commas, or a TSV file separated by tabs",
                    1,
                )

    def chunks(
        self,
        columns: Sequence[str] | None = None,
        part: Part | None = None,
        *,
        block: int = BLOCK,
    ) -> Iterator[Chunk]:
        """The rows, a block of lines at a time, as columns of float64 numbers.

        Every field is read and checked, whichever ``columns`` are asked for; a
        CSV file is one part. Raises ``InputError`` (kind ``data``) on a
        malformed line, and when the file has a header but no rows.
        """
        self._check_columns(columns)
        # A line wholly inside a block is no longer than the block, one begun before is checked.
        block = min(block, self.max_line)
        rest = blank = b""  # blank: empty lines at the end of what is read so far
        while True:
            data = self.stream.read(block)
            self.bytes_read += len(data)
            if data:
                before, data = rest, rest + data
                line = self.rows_read + blank.count(b"\n") + 2  # the number of before's line
                limits.check_joined(before, data, self.max_line, self.label, line)
                cut = data.rfind(b"\n") + 1
                body, rest = data[:cut], data[cut:]
            else:
                body, rest = rest + b"\n" if rest else b"", b""
            # Empty lines at the end of the file are no samples; before a sample, an error.
            body = blank + body
            kept = len(body.rstrip(b" \t\r\n"))
            kept = body.index(b"\n", kept) + 1 if kept else 0
            body, blank = body[:kept], body[kept:]
            if body:
                values = self._parse(body)
                self.rows_read += values.shape[0]
                yield {
                    name: np.ascontiguousarray(values[:, k]) for k, name in enumerate(self.names)
                }
            if not data:
                break
        if not self.rows_read:
            raise self._error("has a header but no rows: there are no samples to compute over", 2)

    def _parse(self, body: bytes) -> FloatArray:
        """A block of whole lines to a (rows, columns) array; the fast parser where it can."""
        # pandas makes a column of every field of the first line: only when it has the header's.
        first = body[: body.find(b"\n")]
        if len(body) >= FAST_MIN and first.count(self.delimiter) == len(self.names) - 1:
            values = _parse_fast(body, len(self.names), self.delimiter)
            if values is not None:
                return values
        return self._parse_exact(body)

    def _parse_exact(self, body: bytes) -> FloatArray:
        """The reference parser: line by line, each field a float, or an error that points at it."""
        lines = body.split(b"\n")
        lines.pop()  # the block ends with a newline
        width, delimiter = len(self.names), self.delimiter
        values = np.empty((len(lines), width))
        strict = b"_" in body  # float() reads 1_000; a number in a file may not
        first = self.rows_read + 2  # line number of the block's first line
        for index, line in enumerate(lines):
            fields = line.split(delimiter)
            if len(fields) != width or strict:
                self._check_line(fields, first + index)
            try:
                row = [float(field) for field in fields]
            except ValueError:
                self._check_line(fields, first + index)
                raise
            values[index] = row
        if not np.isfinite(values).all():
            index = int(np.flatnonzero(~np.isfinite(values).all(axis=1))[0])
            self._check_line(lines[index].split(delimiter), first + index)
        return values

    def _check_line(self, fields: list[bytes], line: int) -> None:
        """Raise the error that a line with these fields deserves."""
        names = self.names
        width = len(names)
        if fields == [b""] or fields == [b"\r"]:
            raise self._error(f"the line is empty; each line needs {_fields(names)}", line)
        if len(fields) < width:
            column = len(fields) + 1
            raise self._error(
                f"the field for {names[column - 1]!r} is missing; each line needs {_fields(names)}",
                line,
                column,
            )
        if len(fields) > width:
            extra = shorten(fields[width].decode("utf-8", "replace").strip(), 30)
            raise self._error(
                f"an extra field {extra!r}; each line has only {_fields(names)}", line, width + 1
            )
        for column, field in enumerate(fields, 1):
            shown = shorten(field.decode("utf-8", "replace").strip(), 30)
            if not _NUMBER.match(field):
                what = "a field is empty" if not shown else f"{shown!r} is not a number"
                raise self._error(f"{what} (column {names[column - 1]!r})", line, column)
            if not np.isfinite(float(field)):
                raise self._error(
                    f"{shown} is too large for float64 (column {names[column - 1]!r})", line, column
                )


def _fields(names: tuple[str, ...]) -> str:
    count = len(names)
    return f"{count} field{'s' if count != 1 else ''} ({', '.join(names)})"


def _parse_fast(body: bytes, width: int, delimiter: bytes) -> FloatArray | None:
    """pandas' C parser over a block; None where anything is off (the exact parser decides)."""
    try:
        import pandas
    except ImportError:  # pragma: no cover - pandas is a dependency; the exact parser still works
        return None
    import csv

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            frame = pandas.read_csv(
                io.BytesIO(body),
                sep=delimiter.decode(),
                header=None,
                dtype=np.float64,
                engine="c",
                na_filter=False,
                skip_blank_lines=False,
                quoting=csv.QUOTE_NONE,
            )
    except (ValueError, OverflowError):
        return None
    values: FloatArray = frame.to_numpy(dtype=np.float64)
    if values.shape != (body.count(b"\n"), width) or b"_" in body:
        return None
    if not np.isfinite(values).all():
        return None
    return values
