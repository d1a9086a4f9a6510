"""The parser-table cache is a convenience, never a source of truth (issue 10, item 9).

Whatever is in the cache file, the command computes the right answer and prints no
error: a cache that fails any check is ignored, the tables are built again from the
grammar, and the cache is rewritten, whole or not at all.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

import autograph
from autograph.language import grammar

# As they appear in the cache's JSON, and exchanged.
PLUS, MINUS = '["PLUS", "\\\\+"]', '["MINUS", "\\\\-"]'
SWAPPED_PLUS, SWAPPED_MINUS = '["PLUS", "\\\\-"]', '["MINUS", "\\\\+"]'


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The only place the tables are cached, holding a cache as autograph writes it."""
    place = tmp_path / "autograph-lalr.json"
    monkeypatch.setattr(grammar, "_cache_places", lambda: [place])
    forget()
    grammar.tables()  # a cold start writes the cache
    forget()
    assert place.is_file()
    yield place
    forget()


def forget() -> None:
    """Start as a new process would: no tables in memory."""
    grammar.tables.cache_clear()
    grammar._pattern.cache_clear()


def swap_plus_and_minus(text: str) -> str:
    """The cache with the patterns of '+' and '-' exchanged: still valid JSON, still LALR."""
    assert PLUS in text and MINUS in text
    return text.replace(PLUS, "@").replace(MINUS, SWAPPED_MINUS).replace("@", SWAPPED_PLUS)


def two_plus_one(run) -> float:
    done = run("eval", "2+1", "--json")
    assert done.code == 0, done.stderr
    assert done.stderr == ""
    return done.json()["value"]


def test_a_cache_with_plus_and_minus_swapped_does_not_make_2_plus_1_equal_1(run, cache) -> None:
    cache.write_text(swap_plus_and_minus(cache.read_text()))
    assert two_plus_one(run) == 3
    forget()
    assert two_plus_one(run) == 3  # and the next run too: the cache was rewritten
    assert SWAPPED_PLUS not in cache.read_text()


def test_a_swapped_cache_with_its_digest_recomputed_fails_the_self_test(run, cache) -> None:
    header, body = cache.read_bytes().split(b"\n", 1)
    body = swap_plus_and_minus(body.decode()).encode()
    head = json.loads(header)
    head["digest"] = grammar._hash(body).hexdigest()
    cache.write_bytes(json.dumps(head).encode() + b"\n" + body)
    assert two_plus_one(run) == 3
    assert PLUS in cache.read_text()


def garbage(text: str) -> list[str]:
    """Caches broken in their structure: cut short, junk rows, wrong types, not JSON."""
    return [
        text[: len(text) // 2],
        text.replace('"actions": [', '"actions": [{"x": "y"}, ', 1),
        text.replace('"actions": [', '"actions": [{"NUMBER": 100000}, ', 1),
        text.replace('"rules": [', '"rules": [["start", "start", 4, 9, [0], []], ', 1),
        text.replace('"terminals": [', '"terminals": [["NUMBER", "("], ', 1),
        text.replace('"start": ', '"start": -9', 1),
        "[]",
        "not json",
        "",
        "\x00" * 100,
    ]


@pytest.mark.parametrize("case", range(10))
def test_a_structurally_broken_cache_is_rebuilt_without_an_error(run, cache, case) -> None:
    broken = garbage(cache.read_text())[case]
    cache.write_text(broken)
    assert two_plus_one(run) == 3
    forget()
    assert describe(autograph.parse("a = x*2; a - 1")) == ["mul", "sub"]
    assert cache.read_text() != broken


def describe(graph: autograph.Graph) -> list[str]:
    return [op.name for op in graph.ops if op.name not in ("var", "const")]


def test_a_cache_from_another_grammar_or_version_is_not_used(cache, monkeypatch) -> None:
    written = cache.read_text()
    monkeypatch.setattr(autograph, "__version__", "0.0.0-another")
    assert grammar._load(cache, grammar._cache_key("start: NAME")) is None
    assert grammar._load(cache, grammar._cache_key(grammar.grammar_path().read_text())) is None
    monkeypatch.undo()
    key = grammar._cache_key(grammar.grammar_path().read_text())
    assert grammar._load(cache, key) is not None  # the same grammar, version and code
    assert cache.read_text() == written


def test_tables_built_from_the_grammar_pass_the_self_test() -> None:
    assert grammar._self_test(grammar._from_lark(grammar.grammar_path().read_text()))


def test_the_cache_is_written_by_renaming_a_whole_file_over_it(cache, monkeypatch) -> None:
    cache.write_text("old")
    renamed: list[tuple[str, str]] = []
    real_replace = grammar.os.replace

    def replace(source, target) -> None:
        assert Path(source).parent == cache.parent and Path(source) != cache
        assert grammar._load(Path(source), grammar._cache_key(grammar.grammar_path().read_text()))
        renamed.append((str(source), str(target)))
        real_replace(source, target)

    monkeypatch.setattr(grammar.os, "replace", replace)
    grammar.tables()
    assert renamed and renamed[0][1] == str(cache)
    assert sorted(p.name for p in cache.parent.iterdir()) == [cache.name]
