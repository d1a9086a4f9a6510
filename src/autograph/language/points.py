"""Points and names typed as text: ``w=3,b=1`` and ``w,b``.

The little language of ``--at`` and ``--wrt``, which the REPL's ``:at`` and
``:wrt`` and the notebook magic read too; messages name the option or command
the text came from (``option``), so each interface speaks in its own words.
"""

from __future__ import annotations

import math
import re

from autograph.errors import InputError, shorten

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_NUMBER = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?\Z")


def parse_at(items: list[str] | None, option: str = "--at") -> dict[str, float]:
    """``["w=3,b=1", "x=-3"]`` to ``{"w": 3.0, "b": 1.0, "x": -3.0}``; finite values only."""
    values: dict[str, float] = {}
    typed: dict[str, str] = {}
    for item in items or []:
        for pair in _pieces(item, option):
            name, equals, text = (part.strip() for part in pair.partition("="))
            if not equals or not _NAME.match(name):
                raise InputError(
                    "bad-at",
                    f"{option} expects NAME=VALUE pairs such as x=-3, got {shorten(pair.strip())!r}"
                    + _pasted(pair.strip()),
                )
            if not _NUMBER.match(text):
                raise InputError(
                    "bad-at",
                    f"{option} {shorten(name)}: {shorten(text)!r} is not a number"
                    + _pasted(text, f"{option} {name}="),
                    variable=name,
                )
            value = float(text)
            if not math.isfinite(value):
                raise InputError(
                    "bad-at",
                    f"{option} {shorten(name)}: {shorten(text)} is too large for float64",
                    variable=name,
                )
            if name in values and values[name] != value:
                raise InputError(
                    "bad-at",
                    f"{option} gives {shorten(name)} two values: "
                    f"{shorten(typed[name])} and {shorten(text)}",
                    variable=name,
                )
            values[name] = value
            typed.setdefault(name, text)
    return values


def _pasted(text: str, before: str = "") -> str:
    """A hint for a character pasted from a slide (``−3`` for ``-3``), else nothing."""
    from autograph.language.pasted import advice, typed

    odd = next((at for at, char in enumerate(text) if not char.isascii()), None)
    if odd is None:
        return ""
    told = advice(text, odd)
    if told is None:
        return ""
    instead = typed(text)
    if instead is not None and _NUMBER.match(instead.strip()):
        return f"; {told.rsplit(':', 1)[0]}: type {before}{instead.strip()}"
    return f"; {told}"


def parse_names(items: list[str] | None, option: str) -> list[str] | None:
    """``["w", "b,x"]`` to ``["w", "b", "x"]``; None when the option was not given."""
    if items is None:
        return None
    names = [name.strip() for item in items for name in _pieces(item, option)]
    for name in names:
        if not _NAME.match(name):
            raise InputError(
                "bad-wrt", f"{option} expects variable names, got {shorten(name)!r}{_pasted(name)}"
            )
    return names


def _pieces(item: str, option: str) -> list[str]:
    """The comma-separated pieces of one option value; a trailing comma is forgiven."""
    pieces = [piece for piece in item.split(",") if piece.strip()]
    if not pieces:
        raise InputError("usage", f"{option} was given an empty value")
    return pieces
