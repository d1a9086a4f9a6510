"""Characters pasted from slides and PDFs that look like autograph's and are not: what to type.

A minus sign (U+2212) or an en dash reads as ``-`` to a person, not to the parser; ``×`` and
``·`` are ``*``, ``²`` is ``^2``, ``√x`` is ``sqrt(x)``, ``÷`` is ``/``. Names are ASCII: a
Greek letter is spelled out (``α`` is ``alpha``, ``π`` the constant ``pi``).
"""

from __future__ import annotations

import re

_SUPERSCRIPTS = "⁰¹²³⁴⁵⁶⁷⁸⁹"

# character: (what it is, what to type instead)
_KNOWN: dict[str, tuple[str, str]] = {
    "\u2212": ("a typographic minus", "-"),
    "\u2013": ("an en dash", "-"),
    "\u2014": ("an em dash", "-"),
    "\u2010": ("a hyphen", "-"),
    "\u2011": ("a non-breaking hyphen", "-"),
    "\ufe63": ("a small hyphen-minus", "-"),
    "\uff0d": ("a full-width hyphen-minus", "-"),
    "\u00d7": ("a multiplication sign", "*"),
    "\u00b7": ("a middle dot", "*"),
    "\u22c5": ("a dot operator", "*"),
    "\u2219": ("a bullet operator", "*"),
    "\u2217": ("an asterisk operator", "*"),
    "\u00f7": ("a division sign", "/"),
    "\u2215": ("a division slash", "/"),
    "\u00a0": ("a no-break space", " "),
    "\u2009": ("a thin space", " "),
    "\u202f": ("a narrow no-break space", " "),
    **{digit: (f"a superscript {n}", f"^{n}") for n, digit in enumerate(_SUPERSCRIPTS)},
}
_OPERAND = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*|[0-9.]+)")


def advice(text: str, at: int) -> str | None:
    """What the character ``text[at]`` is and what to type instead; None if nothing is known.

    E.g. ``"'−' (U+2212, a typographic minus): type - instead"``.
    """
    char = text[at]
    code = f"{char!r} (U+{ord(char):04X}"
    names = "names are ASCII letters, digits and _"
    if char in _KNOWN:
        what, instead = _KNOWN[char]
        shown = "an ordinary space" if instead == " " else instead
        return f"{code}, {what}): type {shown} instead"
    if char == "\u221a":
        operand = _OPERAND.match(text, at + 1)
        inside = operand.group(1) if operand else "..."
        return f"{code}, a square root sign): type sqrt({inside}) instead"
    if char.isalpha():
        spelled = _spelled_greek(char)
        if spelled is not None:
            return f"{code}, a Greek letter): {names}; type {spelled} instead"
        return f"{code}, not an ASCII letter): {names}"
    return None


def typed(text: str) -> str | None:
    """``text`` with every pasted character replaced by what to type; None if none is known."""
    if text.isascii():
        return None
    out = []
    for char in text:
        if char in _KNOWN:
            out.append(_KNOWN[char][1])
        elif char.isascii():
            out.append(char)
        else:
            return None
    return "".join(out)


def _spelled_greek(char: str) -> str | None:
    """``α`` to ``alpha``, ``Δ`` to ``Delta``, ``λ`` to ``lambda``; None for other letters."""
    import unicodedata

    name = unicodedata.name(char, "")
    match = re.fullmatch(r"GREEK (SMALL|CAPITAL) LETTER ([A-Z]+)", name)
    if match is None:
        return None
    word = match.group(2).lower().replace("lamda", "lambda")
    return word if match.group(1) == "SMALL" else word.capitalize()
