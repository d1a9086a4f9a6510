"""Every ``console`` example in the README runs and prints exactly what the README shows."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


def console_examples() -> list[tuple[str, str]]:
    """(command, expected output) for each ``$ autograph ...`` line of a console block."""
    examples = []
    for block in re.findall(r"```console\n(.*?)```", README.read_text(encoding="utf-8"), re.S):
        for chunk in re.split(r"^\$ ", block, flags=re.M)[1:]:
            command, _, output = chunk.partition("\n")
            examples.append((command, output))
    return examples


@pytest.mark.parametrize(("command", "expected"), console_examples())
def test_readme_example_prints_what_the_readme_shows(command: str, expected: str) -> None:
    args = shlex.split(command)
    assert args[0] == "autograph"
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "100", "TERM": "dumb"}
    done = subprocess.run(
        [sys.executable, "-m", "autograph", *args[1:]],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    printed = done.stdout + done.stderr
    strip = lambda text: [line.rstrip() for line in text.rstrip().splitlines()]  # noqa: E731
    assert strip(printed) == strip(expected)


def test_readme_python_example_prints_what_its_comments_say() -> None:
    (block,) = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    done = subprocess.run([sys.executable, "-c", block], capture_output=True, text=True, check=True)
    first = done.stdout.splitlines()[0]
    assert first == "84.5 {'w': 39.0, 'b': -13.0}"
