"""How user text is shown on a terminal: the one rule every renderer follows.

A name, a path, a column's title, a comment or a source line is data. Printed
raw, an escape sequence in it could retitle or clear the terminal, a carriage
return could overwrite what came before, a bidi override could make a line read
differently from what it is, and Rich markup in it (``[/]``, ``[link=...]``)
would be obeyed. So every piece of user text goes through ``visible`` (control
characters written out as ``\\x1b``, ``\\u202e``) and, where it meets a Rich
markup string, ``markup``; a Rich ``Text`` is never parsed as markup, so text
put in one needs only ``visible``.

JSON output needs neither: it is strict JSON with every non-ASCII and control
character written as a ``\\u`` escape.
"""

from __future__ import annotations

import re

_UNSAFE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f"  # C0 but tab and newline, DEL, C1
    "\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]"  # bidi marks, separators
)


def _written_out(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text: str) -> str:
    """``text`` with every control character written out (ESC as ``\\x1b``); tabs and
    newlines stay as they are. Text without one is returned as it is."""
    return _UNSAFE.sub(_written_out, text)


def visible_line(line: str, column: int) -> tuple[str, int]:
    """One line of source shown safely, and where ``column`` (0-based) falls in it.

    A tab becomes a space and a control character its written-out form, which is
    several characters wide, so the column is moved by what came before it: a caret
    under the returned column points at the same character.
    """
    line = line.replace("\t", " ")
    if not _UNSAFE.search(line):
        return line, column
    return visible(line), len(visible(line[:column]))


def markup(text: str) -> str:
    """``text`` made safe inside a Rich markup string: visible, and its brackets escaped."""
    from rich.markup import escape

    return escape(visible(text))
