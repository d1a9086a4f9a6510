"""Every message shortens what it quotes: a megabyte column title, path, value or source
line makes an error of a line or two, as text and as JSON, never one that grows with it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from autograph.errors import InputError
from autograph.quoting import listing, shorten

BIG = 1_000_000
SHORT_ENOUGH = 1_000
"""No error about one thing needs more characters than this."""


def test_shorten_keeps_short_text_and_cuts_long_text_saying_how_long_it_was() -> None:
    assert shorten("column_a") == "column_a"
    cut = shorten("a" * BIG)
    assert cut.startswith("aaaa") and cut.endswith("... (1,000,000 characters)")
    assert len(cut) < 100


def test_a_listing_names_a_handful_and_counts_the_rest() -> None:
    assert listing(["x", "y"]) == "x, y"
    assert listing([f"c{i}" for i in range(10_000)]) == "c0, c1, c2, c3, c4 and 9,995 more"


@pytest.mark.parametrize("as_json", [False, True])
def test_a_megabyte_column_title_is_shortened_in_the_error(
    tmp_path: Path, as_json: bool, run: Any
) -> None:
    path = tmp_path / "wide.csv"
    path.write_text("a" * BIG + ",x\n1,2\n")
    code, out, err = run("grad", "w*x", "--data", str(path), "--at", "w=1", *["--json"] * as_json)
    assert code == 2 and out == ""
    assert len(err) < SHORT_ENOUGH, err[:300]
    message = json.loads(err)["error"]["message"] if as_json else err
    assert "(1,000,000 characters)" in message


def test_ten_thousand_columns_are_not_all_listed_when_a_variable_is_missing(
    tmp_path: Path, run: Any
) -> None:
    path = tmp_path / "many.csv"
    names = [f"c{i}" for i in range(10_000)]
    path.write_text(",".join(names) + "\n" + ",".join("1" * len(names)) + "\n")
    code, _, err = run("grad", "w*q", "--data", str(path), "--at", "w=1", "--ignore-extra-columns")
    assert code == 2
    assert len(err) < SHORT_ENOUGH, err[:300]
    assert "and 9,995 more" in err


@pytest.mark.parametrize(
    "args",
    [
        ["eval", "x", "--at", "x=" + "a" * BIG],
        ["eval", "x", "--at", "a" * BIG],
        ["grad", "x", "--at", "x=1", "--wrt", "a" * BIG],
        ["eval", "--file", "/nonexistent/" + "p" * 10_000],
        ["grad", "w*x", "--data", "/nonexistent/" + "p" * 10_000, "--at", "w=1"],
        ["graph", "x", "-o", "/nonexistent/" + "p" * 10_000 + ".dot"],
    ],
    ids=["at-value", "at-pair", "wrt", "file", "data", "output"],
)
@pytest.mark.parametrize("as_json", [False, True])
def test_a_huge_option_value_is_shortened_in_the_error(
    args: list[str], as_json: bool, run: Any
) -> None:
    code, out, err = run(*args, *["--json"] * as_json)
    assert code == 2 and out == ""
    assert len(err) < SHORT_ENOUGH, err[:300]
    assert "internal error" not in err


def test_a_long_source_line_shows_a_window_around_the_caret(run: Any) -> None:
    program = "x + " * 50_000 + ")" + " + y" * 50_000
    code, _, err = run("eval", program)
    assert code == 2
    assert len(err) < SHORT_ENOUGH
    source, carets = err.splitlines()[-2:]
    assert source[carets.index("^")] == ")"


def test_a_message_that_quotes_something_whole_is_still_cut_to_size() -> None:
    error = InputError("data", f"column {'a' * BIG!r} is wrong", column="b" * BIG)
    assert len(error.render()) < 3_000
    assert len(json.dumps(error.to_dict())) < 3_000
    assert "characters)" in error.message
