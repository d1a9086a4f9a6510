"""Numbers for people: the one formatter every table, explanation, picture and message uses.

A person reads a rounded number; a script reads ``--json``, which keeps every
digit. The default is ``DEFAULT_DIGITS`` significant digits: enough to tell
apart the numbers of a worked example (-0.644706, 84.5, 2.4e-11) and to hide
float64's noise (0.1 + 0.2 shows as 0.3), short enough that a table of them
fits an 80-column terminal. ``full`` (``digits=None``) is the shortest text
that reads back as the same float64, as Python's ``repr`` writes it.

Whole numbers below 10^16 are written whole in either mode (1234567, not
1.23457e+06): they are exact, and rounding them would hide digits that are
true. Negative zero prints as ``0``, the same in every renderer (JSON keeps
``-0.0``).

The setting is a context variable: the command line sets it once from
``--digits`` (``with digits_shown(n): ...``); the library's renderers read it,
or take ``digits=`` directly. Nothing heavy is imported here.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

DEFAULT_DIGITS = 6
"""Significant digits shown by default: C's ``%g`` and numbat's choice, and a table's width."""
MAX_DIGITS = 17
"""float64 needs at most 17 significant digits to read back exactly; more show nothing new."""

Digits = int | None
"""Significant digits to show, or None for every digit (the shortest round-trip form)."""

_FULL = object()
_current: ContextVar[Digits] = ContextVar("autograph_digits", default=DEFAULT_DIGITS)


def format_number(value: float, digits: Digits | object = _FULL) -> str:
    """``value`` as a person reads it: 81, -13, 84.5, 0.3, 1.5e-07.

    ``digits`` is the number of significant digits, or None for every digit;
    left out, the current setting (``digits_shown``) applies.
    """
    shown = _current.get() if digits is _FULL else digits
    value = float(value)
    if value == 0.0:
        return "0"  # -0.0 too: one way everywhere
    if value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    if not math.isfinite(value) or shown is None:
        return repr(value)
    assert isinstance(shown, int)
    return f"{value:.{shown}g}"


def current_digits() -> Digits:
    """The significant digits the renderers show now (None: every digit)."""
    return _current.get()


@contextmanager
def digits_shown(digits: Digits) -> Iterator[None]:
    """Show ``digits`` significant digits (None: every digit) inside the ``with`` block."""
    token = _current.set(digits)
    try:
        yield
    finally:
        _current.reset(token)


def set_digits(digits: Digits) -> None:
    """Show ``digits`` significant digits from now on (the command line, once per command)."""
    _current.set(digits)


def parse_digits(text: str) -> Digits:
    """``"6"`` to 6 and ``"full"`` to None; raises ValueError with a sentence for anything else."""
    cleaned = text.strip().lower()
    if cleaned == "full":
        return None
    if cleaned.isdigit() and 1 <= int(cleaned) <= MAX_DIGITS:
        return int(cleaned)
    raise ValueError(
        f"takes a number of significant digits from 1 to {MAX_DIGITS}, or full; got {text!r}"
    )
