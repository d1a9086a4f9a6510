"""User text reaches the terminal as text: no escape sequence in a comment, a path or a
column's title can retitle or clear the terminal, no Rich markup in it is obeyed, and a
caret under a source line still points at the character it is about."""

from __future__ import annotations

import io
import json
import re
import sys
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from autograph import data
from autograph.quoting import visible

RAW = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
"""A character that must never reach the terminal raw from user text."""
HOSTILE = "\x1b]0;pwned\x07\x1b[2J\r\u202e[/][link=file:///etc/passwd]"


def test_visible_writes_out_every_control_character_and_keeps_the_rest() -> None:
    assert visible("a\x1b[2J\x07\r\x9b\u202eb") == "a\\x1b[2J\\x07\\x0d\\x9b\\u202eb"
    assert visible("tab\tand\nnewline, é, ∂, [/]") == "tab\tand\nnewline, é, ∂, [/]"


def test_an_escape_sequence_in_a_comment_does_not_reach_the_terminal_in_an_error(run: Any) -> None:
    code, out, err = run("eval", "x + # \x1b]0;pwned\x07\x1b[2J")
    assert code == 2 and out == ""
    assert not RAW.search(err), repr(err)
    assert "# \\x1b]0;pwned\\x07\\x1b[2J" in err


def _caret_points_at(err: str) -> str:
    """The text of the source line above the carets, under the carets."""
    lines = err.splitlines()
    source, carets = lines[-2][len("   | ") :], lines[-1][len("   | ") :]
    return source[carets.index("^") : len(carets)]


def test_the_caret_points_at_the_character_after_control_characters_before_it(run: Any) -> None:
    # Carriage returns are white space to the language, and shown as \x0d (4 characters).
    code, _, err = run("eval", "x +\r\r\r )")
    assert code == 2
    assert not RAW.search(err)
    assert _caret_points_at(err) == ")"


def test_the_caret_spans_a_control_character_the_error_is_about(run: Any) -> None:
    code, _, err = run("eval", "x + \x1b + y")
    assert code == 2
    assert _caret_points_at(err) == "\\x1b"


@pytest.mark.parametrize(
    "args",
    [
        ["eval", "--file", f"/nonexistent/{HOSTILE}.ag"],
        ["grad", "w*x", "--data", f"/nonexistent/{HOSTILE}.csv", "--at", "w=1"],
        ["eval", "x", "--at", f"x={HOSTILE}"],
        ["eval", "x", f"--{HOSTILE}"],
        [f"{HOSTILE}", "x"],
    ],
    ids=["file", "data", "at", "option", "command"],
)
@pytest.mark.parametrize("as_json", [False, True])
def test_user_text_in_any_error_message_is_shown_escaped(
    args: list[str], as_json: bool, run: Any
) -> None:
    code, out, err = run(*args, *(["--json"] if as_json else []))
    assert code == 2 and out == ""
    assert not RAW.search(err), repr(err)
    assert "internal error" not in err
    if as_json:  # strict JSON: every control character a \\u escape, read back exactly
        message = json.loads(err)["error"]["message"]
        assert "\x1b" in message or "\\x1b" in message
    else:
        assert "\\x1b" in err


def test_a_column_title_with_an_escape_sequence_is_shown_escaped(tmp_path: Path, run: Any) -> None:
    path = tmp_path / "hostile.csv"
    path.write_text(f'"{HOSTILE}",x\n1,2\n')
    code, out, err = run("grad", "w*x*q", "--data", str(path), "--at", "w=1")
    assert code == 2 and out == ""
    assert not RAW.search(err), repr(err)


def test_a_comment_in_the_rounding_note_is_text_not_markup_or_escapes() -> None:
    from autograph import parse
    from autograph.referee import check
    from autograph.referee.render import print_check

    program = "(exp(x) # \x1b]0;p\x07 [link=file:///etc/passwd]h[/link] [/]\n - 1)/x"
    checked = check(parse(program), {"x": 1e-9})
    assert checked.rounding is not None
    out = io.StringIO()
    wide = Console(file=out, width=400, force_terminal=True, color_system="truecolor")
    print_check(checked, wide)
    shown = out.getvalue()
    assert "\x1b]0;" not in shown and "\x07" not in shown
    assert "\x1b]8;" not in shown  # no hyperlink
    plain = re.sub(r"\x1b\[[0-9;]*m", "", shown)
    assert "\\x1b]0;p\\x07 [link=file:///etc/passwd]h[/link] [/]" in plain


def test_the_progress_bar_shows_a_data_path_with_markup_and_escapes_as_text(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = iter(range(0, 100, 2))
    monkeypatch.setattr(data.time, "monotonic", lambda: float(next(clock)))
    err = io.StringIO()
    monkeypatch.setattr(sys, "stderr", err)
    monkeypatch.setenv("FORCE_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "120")
    source = data.DataFile(io.BytesIO(b"x\n1\n2\n3\n"), "d[/]\x1b]0;pwned\x07.csv")
    chunks = data.with_progress(source.chunks(block=2), source, enabled=True)
    assert sum(len(c["x"]) for c in chunks) == 3
    shown = err.getvalue()
    assert "d[/]\\x1b]0;pwned\\x07.csv" in shown, repr(shown)
    assert "\x1b]0;" not in shown and "\x07" not in shown


@pytest.mark.parametrize(
    ("program", "pointed_at"),
    [
        ("x + 変数", "変"),  # the unexpected character itself, two columns wide
        ("x + # 日本語のコメント", ""),  # the end of the program, after wide characters
        ("y = 🙂 + x", "🙂"),
        ("x + # café\u0301 )", ""),  # a combining accent takes no column
    ],
)
def test_the_caret_is_under_its_character_in_terminal_columns_after_wide_characters(
    run: Any, program: str, pointed_at: str
) -> None:
    from rich.cells import cell_len  # Rich's own measure of terminal columns: the referee

    code, _, err = run("eval", program)
    assert code == 2
    source, carets = (line[len("   | ") :] for line in err.splitlines()[-2:])
    indent = len(carets) - len(carets.lstrip(" "))
    at = program.index(pointed_at) if pointed_at else len(program)
    assert indent == cell_len(source[:at])
    assert len(carets.strip()) == max(1, cell_len(pointed_at))
