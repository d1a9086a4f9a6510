"""How user text is shown: the one rule every renderer and every message follows.

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

A message quotes user text through ``shorten`` (and a list of names through
``listing``), so a 10 MB column title makes a message of a line, not of 10 MB,
as text or as JSON.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

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


SHORT = 60
"""How many characters of a name, a path or a value a message quotes."""
PATH = 240
"""How many characters of a path a message quotes (a path is often long and still fine)."""
SHOWN = 5
"""How many names a message lists before it says how many more there are."""


def shorten(text: str, limit: int = SHORT) -> str:
    """``text`` as a message quotes it: past ``limit`` characters, its start, ``...`` and
    its length (``aaaa... (100,000 characters)``), so no message grows with the input."""
    if len(text) <= limit:
        return text
    return f"{text[: max(1, limit - 3)]}... ({len(text):,} characters)"


def listing(names: Sequence[str], shown: int = SHOWN) -> str:
    """``x, y, z``, each shortened; past ``shown`` names, ``and 95 more``."""
    listed = ", ".join(shorten(name) for name in names[:shown])
    return listed + (f" and {len(names) - shown:,} more" if len(names) > shown else "")


MESSAGE_LIMIT = 2_000
"""A message longer than this has every long run of characters in it cut short."""
_LONG_RUN = re.compile(r"\S{201,}")


def bounded(message: str) -> str:
    """The last line of defence: a message that quoted something whole anyway is cut to
    size (each run of 200 characters or more without a space shortened)."""
    if len(message) <= MESSAGE_LIMIT:
        return message
    message = _LONG_RUN.sub(lambda run: shorten(run.group()), message)
    if len(message) > MESSAGE_LIMIT:
        message = shorten(message, MESSAGE_LIMIT)
    return message
