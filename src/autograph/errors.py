"""One family of typed errors: a kind, a message, and where in the source.

The command line maps ``InputError`` to exit code 2 and ``MathError`` to exit
code 1, and renders either as text (with the source line and a caret) or as
one line of JSON.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from autograph.quoting import bounded, listing, shorten, visible, visible_line

__all__ = ["AutographError", "InputError", "MathError", "OutputError", "Span", "listing", "shorten"]


@dataclass(frozen=True, slots=True)
class Span:
    """A stretch of the program text, as character offsets [start, end)."""

    start: int
    end: int


class AutographError(Exception):
    """Base of every error autograph reports to a user."""

    exit_code = 1

    def __init__(
        self,
        kind: str,
        message: str,
        span: Span | None = None,
        source: str | None = None,
        **details: Any,
    ) -> None:
        message = bounded(message)
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.span = span
        self.source = source
        # A detail quoting user text (a column's title, a path) is shortened as messages are.
        self.details = {
            key: bounded(value) if isinstance(value, str) else value
            for key, value in details.items()
        }

    def position(self) -> tuple[int, int] | None:
        """The 1-based (line, column) where the span starts, if known."""
        if self.span is None or self.source is None:
            return None
        start = min(self.span.start, len(self.source))
        line = self.source.count("\n", 0, start) + 1
        column = start - (self.source.rfind("\n", 0, start) + 1) + 1
        return line, column

    def to_dict(self) -> dict[str, Any]:
        """The JSON form: ``{"error": {"kind", "message", "line", "column", ...}}``."""
        body: dict[str, Any] = {"kind": self.kind, "message": self.message}
        where = self.position()
        if where is not None:
            body["line"], body["column"] = where
        body.update(self.details)
        return {"error": body}

    def render(self) -> str:
        """Human-readable text: the message, then the source line with a caret."""
        message = visible(self.message)
        where = self.position()
        if where is None or self.source is None or self.span is None:
            return f"error: {message}"
        line_no, column = where
        line = self.source.split("\n")[line_no - 1] if self.source else ""
        width = max(1, min(self.span.end, len(self.source)) - self.span.start)
        width = min(width, max(1, len(line) - column + 1))
        # Control characters are shown written out, several characters wide: the caret
        # moves with them, and spans what the underlined characters became.
        safe, start = visible_line(line, column - 1)
        width = max(1, visible_line(line, column - 1 + width)[1] - start)
        shown, caret_at = _clip(safe, start)
        under = shown[caret_at : caret_at + min(width, len(shown) - caret_at + 1)]
        # A wide character (CJK, most emoji) takes two columns of the terminal.
        indent, carets = _columns(shown[:caret_at]), max(1, _columns(under))
        return (
            f"error: {message}\n"
            f"  --> line {line_no}, column {column}\n"
            f"   | {shown}\n"
            f"   | {' ' * indent}{'^' * carets}"
        )


def _columns(text: str) -> int:
    """How many terminal columns ``text`` takes: two per wide character, none per combining one."""
    if text.isascii():
        return len(text)
    import unicodedata

    return sum(
        0 if unicodedata.combining(c) else 2 if unicodedata.east_asian_width(c) in "WF" else 1
        for c in text
    )


def _clip(line: str, column: int, room: int = 100) -> tuple[str, int]:
    """A window of at most ``room`` characters around ``column`` of a long line."""
    if len(line) <= room:
        return line, column
    start = max(0, min(column - room // 2, len(line) - room))
    shown = line[start : start + room]
    prefix, suffix = ("..." if start > 0 else ""), ("..." if start + room < len(line) else "")
    return prefix + shown + suffix, column - start + len(prefix)


class InputError(AutographError):
    """The input is wrong: a syntax error, an unknown name, a bad option (exit 2)."""

    exit_code = 2


class MathError(AutographError):
    """The input is fine but the math fails: a domain error, an overflow (exit 1)."""

    exit_code = 1


class OutputError(AutographError):
    """The output could not be written: a full disk, a device gone (exit 74, EX_IOERR)."""

    exit_code = 74
