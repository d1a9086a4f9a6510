"""The size limits on what autograph reads, and reading a stream within one.

A program (from ``--file`` or standard input) may be up to 64 MiB, one line of a
data file up to 16 MiB. Either limit can be raised or lowered through an
environment variable (``AUTOGRAPH_MAX_PROGRAM_BYTES``, ``AUTOGRAPH_MAX_LINE_BYTES``)
or a parameter of the function that reads. Streams are read in bounded pieces,
so ``/dev/zero`` is refused after the limit, having cost no more than the limit.
"""

from __future__ import annotations

import os
from typing import IO

from autograph.errors import InputError

PROGRAM_BYTES = 64 << 20
"""A program's size, by default: a million-statement program is about 30 MB."""
LINE_BYTES = 16 << 20
"""One line of a data file, by default: well past any real row (100,000 full-precision
numbers are 2.5 MB), and refusing a file with no newline costs 16 MiB, not the machine."""

PROGRAM_VARIABLE = "AUTOGRAPH_MAX_PROGRAM_BYTES"
LINE_VARIABLE = "AUTOGRAPH_MAX_LINE_BYTES"
_PIECE = 1 << 20


def program_bytes(given: int | None = None) -> int:
    """The limit on a program's size: ``given``, else the environment's, else 64 MiB."""
    return _limit(given, PROGRAM_VARIABLE, PROGRAM_BYTES)


def line_bytes(given: int | None = None) -> int:
    """The limit on one line of a data file: ``given``, else the environment's, else 16 MiB."""
    return _limit(given, LINE_VARIABLE, LINE_BYTES)


def _limit(given: int | None, variable: str, default: int) -> int:
    if given is not None:
        if given < 1:
            raise InputError("usage", f"a size limit is a positive number of bytes, not {given}")
        return given
    text = os.environ.get(variable)
    if text is None or not text.strip():
        return default
    try:
        value = int(text.strip().replace("_", ""))
    except ValueError:
        value = 0
    if value < 1:
        raise InputError(
            "usage", f"{variable} must be a positive whole number of bytes, not {text[:40]!r}"
        )
    return value


def size(count: int) -> str:
    """A limit as a message names it: ``64 MiB``, or ``1,000 bytes``."""
    if count >= 1 << 20 and count % (1 << 20) == 0:
        return f"{count >> 20} MiB"
    return f"{count:,} byte{'s' if count != 1 else ''}"


def read_program_stream(stream: IO[bytes], where: str, limit: int | None = None) -> bytes:
    """All of ``stream``, a program, in pieces; ``InputError`` (kind ``too-big``) past the limit."""
    most = program_bytes(limit)
    read = bytearray()
    while True:
        piece = stream.read(min(_PIECE, most + 1 - len(read)))
        if not piece:
            return bytes(read)
        read += piece
        if len(read) > most:
            raise InputError(
                "too-big",
                f"{where} is larger than {size(most)}, the limit on a program's size: "
                f"set {PROGRAM_VARIABLE} to a larger number of bytes to read it",
                file=where,
                limit=most,
            )


def line_too_long(label: str, line: int, limit: int) -> InputError:
    """The error for a line of a data file longer than ``limit`` bytes."""
    return InputError(
        "too-big",
        f"{label}, line {line}: the line is longer than {size(limit)}, the limit on one "
        f"line of a data file (is it a text file of samples?): set {LINE_VARIABLE} to a "
        "larger number of bytes to read it",
        file=label,
        line=line,
        limit=limit,
    )


def first_line(stream: IO[bytes], label: str, limit: int) -> bytes:
    """The first line of a data file (with its newline), read no further than ``limit`` bytes."""
    raw = stream.readline(limit + 1)
    if len(raw) > limit and not raw.endswith(b"\n"):
        raise line_too_long(label, 1, limit)
    return raw


def check_joined(before: bytes, joined: bytes, limit: int, label: str, line: int) -> None:
    """Refuse the line that runs from the end of ``before`` into ``joined`` (``before`` and
    a new block) if it is longer than ``limit``; ``line`` is the number of ``before``'s first.

    Every other line of ``joined`` lies wholly in ``before`` (checked when it was read)
    or in the new block, which is never longer than ``limit``.
    """
    start = before.rfind(b"\n") + 1
    end = joined.find(b"\n", len(before))
    if (len(joined) if end < 0 else end) - start > limit:
        raise line_too_long(label, line + before.count(b"\n"), limit)
