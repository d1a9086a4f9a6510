"""The parser of autograph's language: Lark's LALR tables, driven by a small loop.

The grammar lives beside this module, in ``autograph.lark``. Lark turns it into LALR parse
tables once; they are cached on disk as JSON (in ``__pycache__`` beside this
module, or in the user's cache directory), so a warm start does not import Lark
at all. ``parse`` then runs a plain shift-reduce
loop over those tables with one regular expression for the tokens, and calls
a handler per rule instead of building a parse tree: nothing is walked by
recursion, and no tree is ever held in memory.

What a handler sees follows Lark's tree semantics. Each entry of the parse
stack is ``(value, start, end)``: a token's text and place, or whatever a
handler returned. A rule written ``?rule`` with one child passes that child
through (widening its span over parentheses, as Lark's ``propagate_positions``
does); a rule whose name starts with ``_`` collects its children in a list;
every other rule (and any rule with a handler of its name, such as ``statement``)
calls the handler named after its alias or its name with the rule's entries,
tokens included, and pushes the entry it returns.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from autograph.errors import InputError, Span

if TYPE_CHECKING:
    from lark import Lark, Token

Entry = tuple[Any, ...]
"""A parse-stack entry: ``(value, start, end, ...)``."""
Handler = Callable[[list[Entry]], Entry]

_HERE = Path(__file__).resolve().parent
_GRAMMAR_PLACES = (_HERE / "autograph.lark",)
_CACHE_NAME = "autograph-lalr.json"
_CACHE_FORMAT = 1


def _cache_places() -> list[Path]:
    """Beside the bytecode, as Python caches it; else in the user's cache directory."""
    user = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return [_HERE / "__pycache__" / _CACHE_NAME, Path(user) / "autograph" / _CACHE_NAME]


# What a rule does on reduce (see the module docstring).
PASS, CONTAIN, COLLECT, CALL = 0, 1, 2, 3

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


@dataclass(frozen=True)
class Tables:
    """The grammar compiled to LALR tables: plain data, cheap to load from JSON."""

    actions: list[dict[str, int]]
    """Per state, per symbol: a shift (or goto) to state ``n >= 0``, or reduce rule ``~n``."""
    rules: list[tuple[str, str, int, int, tuple[int, ...], tuple[int, ...]]]
    """Per rule: origin, handler name, length, kind (PASS ...), kept and spliced positions."""
    start: int
    end: int
    terminals: list[tuple[str, str]]
    """(name, regular expression), in the order Lark's lexer tries them."""
    ignore: frozenset[str]

    @property
    def pattern(self) -> re.Pattern[str]:
        """One regular expression for every token: the match's group names its terminal."""
        return re.compile("|".join(f"(?P<{name}>{regex})" for name, regex in self.terminals))


@cache
def tables() -> Tables:
    """The LALR tables, from the on-disk cache when it matches the grammar, else from Lark."""
    text = grammar_path().read_text(encoding="utf-8")
    for place in _cache_places():
        try:
            data = json.loads(place.read_text(encoding="utf-8"))
            if data.get("format") == _CACHE_FORMAT and data.get("grammar") == text:
                return _from_json(data)
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            continue  # no cache, or not one of ours: build the tables afresh
    built = _from_lark(text)
    _save(built, text)
    return built


def _from_json(data: dict[str, Any]) -> Tables:
    return Tables(
        actions=data["actions"],
        rules=[
            (origin, name, size, kind, tuple(kept), tuple(spliced))
            for origin, name, size, kind, kept, spliced in data["rules"]
        ],
        start=data["start"],
        end=data["end"],
        terminals=[(name, regex) for name, regex in data["terminals"]],
        ignore=frozenset(data["ignore"]),
    )


def _save(built: Tables, text: str) -> None:
    """Write the cache atomically, in the first place that allows it (or nowhere)."""
    data = json.dumps(
        {
            "format": _CACHE_FORMAT,
            "grammar": text,
            "actions": built.actions,
            "rules": built.rules,
            "start": built.start,
            "end": built.end,
            "terminals": built.terminals,
            "ignore": sorted(built.ignore),
        }
    )
    for place in _cache_places():
        partial = place.with_name(f"{place.name}.{os.getpid()}")
        try:
            place.parent.mkdir(parents=True, exist_ok=True)
            partial.write_text(data, encoding="utf-8")
            os.replace(partial, place)
            return
        except OSError:
            partial.unlink(missing_ok=True)


def _from_lark(text: str) -> Tables:
    """Ask Lark for the tables of the grammar ``text`` (imports Lark: a cold start only)."""
    from lark import Lark

    lark = Lark(text, parser="lalr", lexer="basic", maybe_placeholders=False)
    table = lark.parser.parser.parser.parse_table
    states = sorted(table.states)
    number = {state: index for index, state in enumerate(states)}
    rule_number = {rule: index for index, rule in enumerate(lark.rules)}
    actions: list[dict[str, int]] = []
    for state in states:
        row = {}
        for symbol, (action, argument) in table.states[state].items():
            if action.name == "Shift":
                row[symbol] = number[argument]
            else:
                row[symbol] = ~rule_number[argument]
        actions.append(row)
    rules = []
    for rule in lark.rules:
        origin = rule.origin.name
        kept = tuple(
            i
            for i, symbol in enumerate(rule.expansion)
            if not (symbol.is_term and symbol.filter_out)  # type: ignore[attr-defined]
        )
        spliced = tuple(i for i in kept if rule.expansion[i].name.startswith("_"))
        if origin.startswith("_"):
            kind = COLLECT
        elif rule.options.expand1 and not rule.alias and len(kept) == 1:
            kind = PASS if len(rule.expansion) == 1 else CONTAIN
        else:
            kind = CALL
        rules.append((origin, str(rule.alias or origin), len(rule.expansion), kind, kept, spliced))
    terminals = sorted(
        lark.terminals,
        key=lambda t: (-t.priority, -t.pattern.max_width, -len(t.pattern.value), t.name),
    )
    return Tables(
        actions=actions,
        rules=rules,
        start=number[table.start_states["start"]],
        end=number[table.end_states["start"]],
        terminals=[(t.name, t.pattern.to_regexp()) for t in terminals],
        ignore=frozenset(lark.lexer_conf.ignore),
    )


@cache
def _pattern() -> re.Pattern[str]:
    return tables().pattern


def parse(
    source: str,
    handlers: Mapping[str, Handler],
    on_shift: Mapping[str, Callable[[list[Entry]], None]] | None = None,
) -> None:
    """Parse ``source``, calling ``handlers[name](entries)`` for each rule; syntax errors raise.

    ``on_shift[terminal](entries)`` is called just before that terminal is pushed,
    with the entries before it. Newlines inside parentheses are white space, as
    in Python. Raises ``InputError`` (kind ``syntax``) pointing at the problem.
    """
    t = tables()
    match = _pattern().match
    actions = t.actions
    ignore = t.ignore
    hooks = on_shift or {}
    rules = [
        (origin, size, CALL if name in handlers else kind, handlers.get(name), kept, spliced)
        for origin, name, size, kind, kept, spliced in t.rules
    ]
    for origin, _, kind, handler, _, _ in rules:
        if kind == CALL and handler is None:
            raise KeyError(f"no handler for the rule {origin!r}")
    chains: dict[tuple[int, int, str | None], int] = {}
    states = [t.start]
    entries: list[Entry] = []
    state = t.start
    end_state = t.end
    length = len(source)
    position = 0
    depth = 0
    while True:
        if position < length:
            found = match(source, position)
            if found is None:
                raise teach(
                    InputError(
                        "syntax",
                        f"unexpected character {source[position]!r}",
                        Span(position, position + 1),
                        source,
                    ),
                    source,
                )
            terminal = found.lastgroup
            start, position = position, found.end()
            if position == start:  # a terminal that matches nothing would loop forever
                raise InputError("syntax", "unexpected empty token", Span(start, start + 1), source)
            if terminal in ignore:
                continue
            if terminal == "_NL":
                if depth:
                    continue
            elif terminal == "LPAR":
                depth += 1
            elif terminal == "RPAR" and depth:
                depth -= 1
            token: Entry = (found.group(), start, position)
        else:
            terminal = "$END"
            token = ("", length, length)
        arrival = state
        while True:
            action = actions[state].get(terminal)  # type: ignore[arg-type]
            if action is None:
                raise teach(
                    _unexpected(source, terminal, token, actions[state], state == arrival),  # type: ignore[arg-type]
                    source,
                )
            if action >= 0:  # shift
                if terminal in hooks:
                    hooks[terminal](entries)  # type: ignore[index]
                states.append(action)
                entries.append(token)
                state = action
                break
            origin, size, kind, handler, kept, spliced = rules[~action]
            if kind == PASS:  # ?rule: child -- the child stands for the rule
                # A chain of them (atom -> power -> unary -> product) is one step: where
                # it ends depends only on the state below, this state and the terminal.
                key = (states[-2], state, terminal)
                target = chains.get(key)
                if target is None:
                    target = chains[key] = _pass_chain(actions, rules, key)
                state = states[-1] = target
                continue
            if size:
                popped = entries[-size:]
                del entries[-size:]
                del states[-size:]
            else:
                popped = []
            if kind == CALL:
                entry = handler(popped)  # type: ignore[misc]
            elif kind == CONTAIN:  # ?rule: "(" child ")" -- the child, its span widened
                child = popped[kept[0]]
                entry = (child[0], popped[0][1], popped[-1][2], *child[3:])
            else:
                values = _collect(popped, kept, spliced)
                entry = (values, popped[0][1], popped[-1][2]) if popped else (values, 0, 0)
            state = actions[states[-1]][origin]
            states.append(state)
            entries.append(entry)
            if state == end_state and terminal == "$END":
                return


def _pass_chain(
    actions: list[dict[str, int]], rules: list[tuple[Any, ...]], key: tuple[int, int, str | None]
) -> int:
    """The state after every single-child reduction in a row on ``terminal``, from ``state``.

    Such a reduction pops nothing, so the state below stays ``below`` all along.
    """
    below, state, terminal = key
    while True:
        action = actions[state].get(terminal)  # type: ignore[arg-type]
        if action is None or action >= 0 or rules[~action][2] != PASS:
            return state
        state = actions[below][rules[~action][0]]


def check(source: str) -> None:
    """Raise the syntax error of ``source``, if it has one; build nothing."""
    names = {name for _, name, _, kind, _, _ in tables().rules if kind == CALL}
    parse(source, dict.fromkeys(names, _nothing))


def _nothing(popped: list[Entry]) -> Entry:
    return (None, popped[0][1], popped[-1][2]) if popped else (None, 0, 0)


def _collect(popped: list[Entry], kept: tuple[int, ...], spliced: tuple[int, ...]) -> list[Any]:
    """The children of an inlined ``_rule``, splicing inlined children's own lists (in place)."""
    values: list[Any] | None = None
    for index in kept:
        value = popped[index][0]
        if index in spliced:
            if values is None:
                values = value
            else:
                values.extend(value)
        elif values is None:
            values = [value]
        else:
            values.append(value)
    return [] if values is None else values


def _unexpected(
    source: str, terminal: str, token: Entry, row: dict[str, int], on_arrival: bool
) -> InputError:
    """The syntax error for ``token`` in a state whose acceptable symbols are ``row``.

    As with Lark's contextual lexer, a token refused by the state it arrived in
    lists what the state expects; a token refused only after some reductions
    lists the end of the program among them when the state accepts it.
    """
    if terminal == "$END":
        end = len(source.rstrip())
        return InputError("syntax", "unexpected end of the program", Span(end, end + 1), source)
    lexed = on_arrival and terminal != "_NL"
    accepted = {s for s in row if s.isupper() and s != "_NL" and not (lexed and s == "$END")}
    expected = sorted({_TOKEN_WORDS.get(s, s) for s in accepted})
    hint = f"; expected {_join(expected)}" if expected and len(expected) <= 6 else ""
    text, start, end = token[:3]
    shown = "end of the line" if terminal == "_NL" else repr(text)
    juxtaposed = _juxtaposed(source, start, end) if terminal in ("NAME", "NUMBER", "LPAR") else ""
    return InputError("syntax", f"unexpected {shown}{hint}{juxtaposed}", Span(start, end), source)


def teach(error: InputError, source: str) -> InputError:
    """A syntax error as a person can act on it: a pasted character, an unclosed parenthesis.

    ``unexpected character '−'`` says what the character is and what to type instead. An
    error at the end of the program, or on a later line than a ``(`` still open there, is
    that parenthesis never closed: the error points at it, on its own line.
    """
    if error.kind != "syntax" or error.span is None:
        return error
    at = error.span.start
    if error.message.startswith("unexpected character"):
        from autograph.language.pasted import advice

        told = advice(source, at) if at < len(source) else None
        if told is None:
            return error
        return InputError("syntax", f"unexpected character {told}", error.span, source)
    opened = _open_parenthesis(source, at)
    if opened is None:
        return error
    at_end = error.message.startswith("unexpected end")
    at_semicolon = error.message.startswith("unexpected ';'")
    if not (at_end or at_semicolon) and source.count("\n", opened, at) == 0:
        return error
    if at_end:
        why = "the program ends inside it"
    elif at_semicolon:
        line = source.count("\n", 0, at) + 1
        why = (
            f"its statement ends inside it, at the ';' of line {line}, column {_column(source, at)}"
        )
    else:
        why = f"line {source.count(chr(10), 0, at) + 1} is read as inside it"
    return InputError(
        "syntax", f"unclosed '(': {why}; add the missing ')'", Span(opened, opened + 1), source
    )


def _column(source: str, at: int) -> int:
    return at - (source.rfind("\n", 0, at) + 1) + 1


def _open_parenthesis(source: str, before: int) -> int | None:
    """Where the innermost ``(`` still open at offset ``before`` is, if one is."""
    match = _pattern().match
    opened: list[int] = []
    position = 0
    while position < before:
        found = match(source, position)
        if found is None or found.end() == position:
            break
        if found.lastgroup == "LPAR":
            opened.append(position)
        elif found.lastgroup == "RPAR" and opened:
            opened.pop()
        position = found.end()
    return opened[-1] if opened else None


def _juxtaposed(source: str, start: int, end: int) -> str:
    """For ``2x`` or ``sin x``, two terms side by side: what the user probably meant."""
    left = re.search(r"(\w+|\))$", source[:start].rstrip())
    if left is None:
        return ""
    from autograph.ops import FUNCTIONS

    word, right = left.group(), source[start:end]
    if word in FUNCTIONS:
        return f"; did you mean {word}({right})?"
    if word == ")":
        return "; did you mean to multiply? Write * between the two"
    return f"; did you mean {word}*{right}?"


def _join(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


class _NewlinesInsideParentheses:
    """Lark post-lexer that drops newlines inside parentheses, as ``parse`` does."""

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


def lark_parser() -> Lark:
    """Lark's own parser for the grammar, building parse trees: the reference ``parse`` follows."""
    from lark import Lark

    return Lark(
        grammar_path().read_text(encoding="utf-8"),
        parser="lalr",
        lexer="contextual",
        postlex=_NewlinesInsideParentheses(),
        propagate_positions=True,
        maybe_placeholders=False,
    )
