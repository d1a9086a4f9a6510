"""The Lark parser for autograph's language, built once and cached.

The grammar itself lives in ``grammars/autograph.lark``. This module finds it
(inside the installed package, or in a source checkout), builds an LALR parser
with Lark's on-disk cache, and turns Lark's exceptions into ``InputError``.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from autograph.errors import InputError, Span

if TYPE_CHECKING:
    from lark import Lark, Token, Tree

_HERE = Path(__file__).resolve().parent
_GRAMMAR_PLACES = (
    _HERE / "grammars" / "autograph.lark",  # installed wheel
    _HERE.parents[1] / "grammars" / "autograph.lark",  # source checkout, editable install
)

_OPENERS, _CLOSERS = "(", ")"

_TOKEN_WORDS = {
    "NUMBER": "a number",
    "NAME": "a name",
    "LPAR": "'('",
    "RPAR": "')'",
    "PLUS": "'+'",
    "MINUS": "'-'",
    "STAR": "'*'",
    "SLASH": "'/'",
    "_POW": "'^'",
    "EQUAL": "'='",
    "COMMA": "','",
    "SEMICOLON": "';'",
    "_NL": "a new line",
    "$END": "the end of the program",
}


def grammar_path() -> Path:
    """Where the grammar file is: in the package when installed, else in the checkout."""
    for place in _GRAMMAR_PLACES:
        if place.is_file():
            return place
    raise FileNotFoundError("autograph.lark not found; is autograph installed correctly?")


class _NewlinesInsideParentheses:
    """Post-lexer that drops newlines inside parentheses, as Python does."""

    always_accept = ("_NL",)

    def process(self, stream: Iterator[Token]) -> Iterator[Token]:
        depth = 0
        for token in stream:
            if token.type == "_NL":
                if depth:
                    continue
            elif token.type == "LPAR":
                depth += 1
            elif token.type == "RPAR":
                depth = max(0, depth - 1)
            yield token


@cache
def parser() -> Lark:
    """The LALR parser, built from the grammar once per process (and cached on disk)."""
    from lark import Lark

    return Lark(
        grammar_path().read_text(encoding="utf-8"),
        parser="lalr",
        lexer="contextual",
        postlex=_NewlinesInsideParentheses(),
        propagate_positions=True,
        maybe_placeholders=False,
        cache=True,
    )


def parse_tree(source: str) -> Tree[Token]:
    """Parse program text into a Lark tree, or raise ``InputError`` pointing at the problem."""
    from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedToken

    try:
        return parser().parse(source)
    except UnexpectedCharacters as err:
        at = err.pos_in_stream or 0
        char = source[at] if at < len(source) else ""
        raise InputError(
            "syntax",
            f"unexpected character {char!r}",
            Span(at, at + 1),
            source,
        ) from None
    except UnexpectedEOF:
        end = len(source)
        raise InputError(
            "syntax", "unexpected end of the program", Span(end, end + 1), source
        ) from None
    except UnexpectedToken as err:
        token = err.token
        if token.type == "$END":
            end = len(source.rstrip())
            raise InputError(
                "syntax", "unexpected end of the program", Span(end, end + 1), source
            ) from None
        expected = sorted({_TOKEN_WORDS.get(t, t) for t in err.expected if t != "_NL"})
        hint = f"; expected {_join(expected)}" if expected and len(expected) <= 6 else ""
        start = token.start_pos or 0
        shown = (
            _TOKEN_WORDS.get(token.type, repr(str(token)))
            if token.type == "_NL"
            else repr(str(token))
        )
        raise InputError(
            "syntax",
            f"unexpected {shown}{hint}",
            Span(start, token.end_pos or start + 1),
            source,
        ) from None


def _join(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]
