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
from contextlib import suppress
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
_CACHE_FORMAT = 2


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

    @property
    def tokens(self) -> tuple[re.Pattern[str], re.Pattern[str]]:
        """What ``parse`` reads with: the ignored text (spaces, comments) and the token after
        it in one match, its group naming the terminal (none at the end of the program);
        and the ignored text alone, to find a character no token starts with."""
        ignored = "(?:" + "|".join(r for n, r in self.terminals if n in self.ignore) + ")*+"
        kept = [f"(?P<{name}>{regex})" for name, regex in self.terminals if name not in self.ignore]
        return re.compile(ignored + "(?:" + "|".join([*kept, r"\Z"]) + ")"), re.compile(ignored)


@cache
def tables() -> Tables:
    """The LALR tables: from the on-disk cache if it passes every check, else from Lark.

    A cache is used only when its key (a hash of the grammar, the package version and
    this module's code, which extracts and reads the tables) is ours, its tables hash to
    the digest written beside them, have the shape ``parse`` relies on, and parse a small
    known program to the known result. On any doubt the tables are built afresh and the
    cache rewritten; a bad cache costs one cold start, never a wrong answer or an error.
    """
    text = grammar_path().read_text(encoding="utf-8")
    key = _cache_key(text)
    for place in _cache_places():
        loaded = _load(place, key)
        if loaded is not None:
            return loaded
    built = _from_lark(text)
    _save(built, key)
    return built


_CACHE_LIMIT = 1 << 20
"""Bytes: our tables take about 10 kB; a cache file far larger is not ours."""


def _cache_key(text: str) -> str:
    """What the tables depend on: the grammar, the package version, this module's code."""
    from autograph import __version__

    try:
        code = Path(__file__).read_bytes()
    except OSError:  # run from bytecode alone: the version must do
        code = b""
    parts = (str(_CACHE_FORMAT).encode(), __version__.encode(), text.encode("utf-8"), code)
    return str(_hash(b"\0".join(_hash(part).digest() for part in parts)).hexdigest())


def _hash(data: bytes) -> Any:
    """SHA-256, from CPython's own module if there is one: hashlib loads OpenSSL (4 ms)."""
    try:
        from _sha256 import sha256 as built_in  # type: ignore[import-not-found]
    except ImportError:
        from hashlib import sha256 as built_in
    return built_in(data)


def _load(place: Path, key: str) -> Tables | None:
    """The tables cached at ``place``, or None if there are none or any check fails."""
    try:
        with place.open("rb") as file:
            raw = file.read(_CACHE_LIMIT + 1)
        if len(raw) > _CACHE_LIMIT:
            return None
        header, _, body = raw.partition(b"\n")
        head = json.loads(header)
        if not isinstance(head, dict) or head.get("key") != key:
            return None  # another grammar, version or extraction code: stale
        if head.get("digest") != _hash(body).hexdigest():
            return None  # edited or cut short since it was written
        loaded = _from_json(json.loads(body))
        return loaded if _self_test(loaded) else None
    except Exception:  # noqa: BLE001 -- whatever is wrong with a cache, rebuild it
        return None


def _from_json(data: Any) -> Tables:
    """Tables from their JSON form, checked for the shape ``parse`` relies on (else ValueError)."""
    if not isinstance(data, dict):
        raise ValueError("not an object")
    actions, rules, start, end = data["actions"], data["rules"], data["start"], data["end"]
    terminals, ignore = data["terminals"], data["ignore"]
    _require(isinstance(actions, list) and isinstance(rules, list))
    _require(bool(actions) and bool(rules))
    _require(all(isinstance(v, list) for v in (terminals, ignore)))
    names: set[str] = set()
    for pair in terminals:
        _require(isinstance(pair, list) and len(pair) == 2)
        name, regex = pair
        _require(isinstance(name, str) and name.isidentifier() and isinstance(regex, str))
        _require(name not in names)
        names.add(name)
    _require(all(isinstance(name, str) and name in names for name in ignore))
    checked_rules = []
    for rule in rules:
        _require(isinstance(rule, list) and len(rule) == 6)
        origin, name, size, kind, kept, spliced = rule
        _require(isinstance(origin, str) and isinstance(name, str) and origin not in names)
        _require(_is_int(size) and size >= 0 and _is_int(kind) and PASS <= kind <= CALL)
        _require(isinstance(kept, list) and isinstance(spliced, list))
        _require(all(_is_int(i) and 0 <= i < size for i in kept) and set(spliced) <= set(kept))
        if kind == PASS:
            _require(size == 1 and kept == [0])
        elif kind == CONTAIN:
            _require(size >= 2 and len(kept) == 1)
        checked_rules.append((origin, name, size, kind, tuple(kept), tuple(spliced)))
    origins = {rule[0] for rule in checked_rules}
    symbols = names | origins | {"$END"}
    for row in actions:
        _require(isinstance(row, dict))
        for symbol, action in row.items():
            _require(symbol in symbols and _is_int(action))
            _require(action < len(actions) if action >= 0 else ~action < len(rules))
    _require(all(_is_int(state) and 0 <= state < len(actions) for state in (start, end)))
    return Tables(
        actions=actions,
        rules=checked_rules,
        start=start,
        end=end,
        terminals=[(name, regex) for name, regex in terminals],
        ignore=frozenset(ignore),
    )


def _is_int(value: Any) -> bool:
    return type(value) is int


def _require(condition: bool) -> None:
    if not condition:
        raise ValueError("the cached tables do not have the expected shape")


# A program using every terminal, every ignored pattern and every kind of rule, and what
# ``parse`` must make of it with the handlers of ``_trace``: the self-test of cached tables.
_PROBE = "a = -b^2**+c * (d + 1.5e3) \\\n/ f(x,\n y) - g() # note\n;a"
_PROBE_TRACE = (
    "start(assign(a,=,sub(div(mul(neg(-,pow(name(b),^,pow(number(2),**,pos(+,name(c))))),*,"
    "add(name(d),+,number(1.5e3))),/,call(f,(,name(x),['name(y)'],))),-,call(g,(,)))),"
    "['name(a)'])"
)


def _self_test(candidate: Tables) -> bool:
    """Whether ``candidate`` parses the probe program to the known trace (bounded: no hang)."""
    names = {name for _, name, _, kind, _, _ in candidate.rules if kind == CALL}
    steps = [0]

    def trace(popped: list[Entry]) -> Entry:
        steps[0] += 1
        if steps[0] > 1000:
            raise ValueError("the cached tables do not terminate")
        return (f"({','.join(str(entry[0]) for entry in popped)})", *_span(popped))

    handlers = {name: _named(name, trace) for name in names}
    result: list[str] = []

    def start(popped: list[Entry]) -> Entry:
        entry = _named("start", trace)(popped)
        result.append(entry[0])
        return entry

    handlers["start"] = start
    try:
        parse(_PROBE, handlers, tables_=candidate)
    except (InputError, KeyError, IndexError, TypeError, ValueError, re.error):
        return False
    return result == [_PROBE_TRACE]


def _named(name: str, trace: Handler) -> Handler:
    def handler(popped: list[Entry]) -> Entry:
        traced = trace(popped)
        return (name + traced[0], *traced[1:])

    return handler


def _span(popped: list[Entry]) -> tuple[int, int]:
    return (popped[0][1], popped[-1][2]) if popped else (0, 0)


def _save(built: Tables, key: str) -> None:
    """Write the cache atomically, in the first place that allows it (or nowhere).

    The file is a header line (the key, and the digest of what follows) and the tables.
    It is written to a temporary file beside its place and renamed over it, so a reader
    sees the old cache or the new one, never half of one.
    """
    body = json.dumps(
        {
            "actions": built.actions,
            "rules": built.rules,
            "start": built.start,
            "end": built.end,
            "terminals": built.terminals,
            "ignore": sorted(built.ignore),
        }
    ).encode("utf-8")
    header = json.dumps({"format": _CACHE_FORMAT, "key": key, "digest": _hash(body).hexdigest()})
    data = header.encode("utf-8") + b"\n" + body
    for place in _cache_places():
        partial = place.with_name(f".{place.name}.{os.getpid()}.{os.urandom(4).hex()}")
        try:
            place.parent.mkdir(parents=True, exist_ok=True)
            # As Python writes bytecode: a new file, permissions as the umask allows.
            handle = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
            with os.fdopen(handle, "wb") as file:
                file.write(data)
                file.flush()
                os.fsync(file.fileno())
            os.replace(partial, place)
            return
        except OSError:
            with suppress(OSError):
                partial.unlink()


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


@cache
def _tokens() -> tuple[re.Pattern[str], re.Pattern[str]]:
    return tables().tokens


def parse(
    source: str,
    handlers: Mapping[str, Handler],
    on_shift: Mapping[str, Callable[[list[Entry]], None]] | None = None,
    tables_: Tables | None = None,
) -> None:
    """Parse ``source``, calling ``handlers[name](entries)`` for each rule; syntax errors raise.

    ``on_shift[terminal](entries)`` is called just before that terminal is pushed,
    with the entries before it. Newlines inside parentheses are white space, as
    in Python. Raises ``InputError`` (kind ``syntax``) pointing at the problem.
    ``tables_`` replaces the grammar's tables (the self-test of a cache uses it).
    """
    t = tables() if tables_ is None else tables_
    tokens, ignored = _tokens() if tables_ is None else t.tokens
    match = tokens.match
    actions = t.actions
    hooks = on_shift or {}
    rules = [
        (origin, size, CALL if name in handlers else kind, handlers.get(name), kept, spliced)
        for origin, name, size, kind, kept, spliced in t.rules
    ]
    for origin, _, kind, handler, _, _ in rules:
        if kind == CALL and handler is None:
            raise KeyError(f"no handler for the rule {origin!r}")
    chains: dict[tuple[int, int, str | None], int] = {}
    after: dict[tuple[int, str, str | None], int] = {}
    states = [t.start]
    entries: list[Entry] = []
    state = t.start
    end_state = t.end
    length = len(source)
    position = 0
    depth = 0
    while True:
        found = match(source, position) if position < length else None
        terminal = None if found is None else found.lastgroup
        if terminal is not None:
            position = found.end()  # type: ignore[union-attr]
            text = found.group(terminal)  # type: ignore[union-attr]
            if not text:  # a terminal that matches nothing would loop forever
                raise InputError(
                    "syntax", "unexpected empty token", Span(position, position + 1), source
                )
            if terminal == "_NL":
                if depth:
                    continue
            elif terminal == "LPAR":
                depth += 1
            elif terminal == "RPAR" and depth:
                depth -= 1
            token: Entry = (text, position - len(text), position)
        elif found is None and position < length:
            bad = ignored.match(source, position).end()  # type: ignore[union-attr]
            raise teach(
                InputError(
                    "syntax",
                    f"unexpected character {source[bad]!r}",
                    Span(bad, bad + 1),
                    source,
                ),
                source,
            )
        else:  # the end of the program, perhaps after spaces or a comment
            position = length
            terminal = "$END"
            token = ("", length, length)
        arrival = state
        while True:
            action = actions[state].get(terminal)
            if action is None:
                raise teach(
                    _unexpected(source, terminal, token, actions[state], state == arrival),
                    source,
                )
            if action >= 0:  # shift
                if terminal in hooks:
                    hooks[terminal](entries)
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
            # The goto, and any chain of single-child reductions after it, in one step.
            below = states[-1]
            goto = (below, origin, terminal)
            target = after.get(goto)
            if target is None:
                target = after[goto] = _pass_chain(
                    actions, rules, (below, actions[below][origin], terminal)
                )
            state = target
            states.append(state)
            entries.append(entry)
            if state == end_state and terminal == "$END":
                return


def _pass_chain(
    actions: list[dict[str, int]], rules: list[tuple[Any, ...]], key: tuple[int, int, str | None]
) -> int:
    """The state after every single-child reduction in a row on ``terminal``, from ``state``.

    Such a reduction pops nothing, so the state below stays ``below`` all along. A chain
    visits each state once at most: a longer one is tables gone wrong (ValueError).
    """
    below, state, terminal = key
    for _ in range(len(actions) + 1):
        action = actions[state].get(terminal)  # type: ignore[arg-type]
        if action is None or action >= 0 or rules[~action][2] != PASS:
            return state
        state = actions[below][rules[~action][0]]
    raise ValueError("a chain of single-child reductions that never ends")


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
