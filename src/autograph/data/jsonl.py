"""JSON Lines: one JSON object per line, the same keys in each, every value a number.

The first line's keys name the columns. A line that is not an object, lacks a
key or has an extra one, or holds a value that is not a number (a string, a
boolean, null) is an error naming the file, the line and the column. An empty
last line is allowed, as text editors write it. The file is read in blocks and
each block parsed by one call to the C JSON parser; only a block with an error
is gone through line by line, to name it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from typing import IO, Any

import numpy as np

from autograph import limits
from autograph.data.source import Chunk, Part, TextSource
from autograph.errors import InputError, shorten
from autograph.quoting import PATH

BLOCK = 1 << 22
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


class JsonLinesSource(TextSource):
    """An open JSON Lines file."""

    format = "jsonl"

    def __init__(
        self,
        stream: IO[bytes],
        label: str,
        size: int | None = None,
        max_line: int | None = None,
    ) -> None:
        super().__init__(stream, label, size, max_line)
        self.pending = b""
        first = limits.first_line(self.stream, self.label, self.max_line)
        self.pending = first
        self.bytes_read += len(first)
        record = self._object(first.strip(), 1) if first.strip() else None
        if record is None:
            raise self._error('is empty: the first line must be an object such as {"x": 1}', 1)
        for column, name in enumerate(record, 1):
            if not _NAME.match(name):
                shown = repr(shorten(name, 30))
                raise self._error(f"the key {shown} is not a variable name", 1, column)
        self.names = tuple(record)

    def where(self, row: int) -> str:
        return f"row {row} ({shorten(self.label, PATH)}, line {row})"

    def _error(self, message: str, line: int, column: int | None = None) -> InputError:
        place = f"{shorten(self.label, PATH)}, line {line}" + (
            f", column {column}" if column else ""
        )
        details: dict[str, Any] = {"file": self.label, "line": line}
        if column:
            details["column"] = column
        return InputError("data", f"{place}: {message}", **details)

    def _object(self, line: bytes, number: int) -> dict[str, Any]:
        try:
            record = json.loads(line)
        except (ValueError, UnicodeDecodeError) as err:
            raise self._error(f"not valid JSON ({err})", number) from None
        if not isinstance(record, dict):
            raise self._error('each line must be a JSON object such as {"x": 1}', number)
        return record

    def chunks(
        self, columns: Sequence[str] | None = None, part: Part | None = None
    ) -> Iterator[Chunk]:
        """The rows, a block of lines at a time, as float64 columns (every line is checked)."""
        self._check_columns(columns)
        rest, line = self.pending, 1
        block = min(BLOCK, self.max_line)  # a line begun in an earlier block is checked
        while True:
            data = self.stream.read(block)
            self.bytes_read += len(data)
            if data:
                before, data = rest, rest + data
                limits.check_joined(before, data, self.max_line, self.label, line)
                cut = data.rfind(b"\n") + 1
                body, rest = data[:cut], data[cut:]
            else:
                body, rest = rest + b"\n" if rest else b"", b""
            lines = body.split(b"\n")
            lines.pop()  # the body ends with a newline
            blank = 0
            while len(lines) > blank and not lines[-1 - blank].strip():
                blank += 1
            if blank:  # empty lines are allowed at the end of the file only
                lines = lines[:-blank]
                if data:
                    rest = b"\n" * blank + rest
            if lines:
                yield self._parse(lines, line)
                line += len(lines)
            if not data:
                break

    def _parse(self, lines: list[bytes], first: int) -> Chunk:
        names, width = self.names, len(self.names)
        try:
            records = json.loads(b"[" + b",".join(lines) + b"]")
        except (ValueError, UnicodeDecodeError):
            records = [
                self._object(text, first + k) if text.strip() else None
                for k, text in enumerate(lines)
            ]
        out: Chunk = {}
        for k, record in enumerate(records):
            if not isinstance(record, dict) or len(record) != width:
                self._check(record, first + k)
        for column, name in enumerate(names, 1):
            try:
                values = [record[name] for record in records]
            except KeyError:
                bad = next(k for k, r in enumerate(records) if name not in r)
                self._check(records[bad], first + bad)
                raise
            if not all(type(v) is float or type(v) is int for v in values):
                bad = next(
                    k for k, v in enumerate(values) if not (type(v) is float or type(v) is int)
                )
                shown = shorten(json.dumps(values[bad]), 30)
                raise self._error(f"{shown} is not a number (column {name!r})", first + bad, column)
            try:
                out[name] = np.array(values, dtype=np.float64)
            except OverflowError:
                bad = next(k for k, v in enumerate(values) if abs(v) > 1.8e308)
                raise self._error(
                    f"{shorten(str(values[bad]), 30)} is too large for float64 (column {name!r})",
                    first + bad,
                    column,
                ) from None
        self.rows_read += len(records)
        return out

    def _check(self, record: Any, line: int) -> None:
        if record is None:
            raise self._error("the line is empty; each line is one JSON object", line)
        if not isinstance(record, dict):
            raise self._error('each line must be a JSON object such as {"x": 1}', line)
        for column, name in enumerate(self.names, 1):
            if name not in record:
                raise self._error(f"the key {name!r} is missing", line, column)
        known = set(self.names)
        extra = next(key for key in record if key not in known)
        raise self._error(
            f"an extra key {shorten(extra, 30)!r}; each line has only {', '.join(self.names)}",
            line,
            len(self.names) + 1,
        )
