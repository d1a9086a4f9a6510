"""`autograph repl`: lines piped in, and the prompt through a pseudo-terminal."""

from __future__ import annotations

import subprocess
import sys


def test_piped_lines_are_read_plainly() -> None:
    lines = "h = x + 5\ng = h^3 +\ng = h^3 + 1\nf = g^2\n:at x=-3\n:grad\n"
    done = subprocess.run(
        [sys.executable, "-m", "autograph", "repl"],
        input=lines,
        capture_output=True,
        text=True,
        check=True,
    )
    assert "error: unexpected end of the program" in done.stdout
    assert "∂f/∂x = 216" in done.stdout
