"""``autograph repl`` driven through a real pseudo-terminal (pexpect), prompt_toolkit and all.

The teaching note's one-parameter example, typed line by line: df/dx = 216 at x = -3.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest


def test_the_repl_in_a_pseudo_terminal_recovers_from_an_error_and_saves(tmp_path: Path) -> None:
    pexpect = pytest.importorskip("pexpect")
    pytest.importorskip("prompt_toolkit")
    env = {**os.environ, "AUTOGRAPH_HISTORY": str(tmp_path / "history"), "NO_COLOR": "1"}
    env["PROMPT_TOOLKIT_NO_CPR"] = "1"  # no cursor-position query to wait on
    child = pexpect.spawn(
        sys.executable, ["-m", "autograph", "repl"], env=env, encoding="utf-8", timeout=60
    )
    saved = tmp_path / "s.ag"
    child.expect(">")
    for line, answer in [
        ("h = x + 5", None),
        ("g = (h^3 + 1", "unclosed"),
        ("g = h^3 + 1", None),
        ("f = g^2", None),
        (":at x=-3", "f = 81"),
        (":grad", "216"),
        (f":save {saved}", "saved 3 lines"),
    ]:
        child.sendline(line)
        if answer is not None:
            child.expect(answer)
        child.expect(">")  # the next prompt: a key sent before it could be lost
    child.sendcontrol("d")
    child.expect(pexpect.EOF)
    assert saved.read_text(encoding="utf-8") == "h = x + 5\ng = h^3 + 1\nf = g^2\n"
