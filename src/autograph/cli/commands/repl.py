"""``repl``: a prompt where each line adds a statement or runs a command (autograph.session)."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from autograph.cli.app import app
from autograph.errors import InputError

HISTORY_VARIABLE = "AUTOGRAPH_HISTORY"
"""The environment variable naming the history file (tests point it at a temporary one)."""


@app.command("repl")
def repl_command() -> None:
    """A prompt: each line is a statement added to the program, or a :command.

    Example session:  h = x + 5,  g = h^3 + 1,  f = g^2,  :at x=-3,  :grad

    :help lists the commands. ans is the last result. History is kept in
    $XDG_STATE_HOME/autograph/history (or $AUTOGRAPH_HISTORY). Ctrl-C clears the
    line, Ctrl-D leaves. With standard input not a terminal, lines are read plainly.
    """
    from autograph.session import Session

    session = Session()
    if not sys.stdin.isatty():
        while True:  # scriptable: one line read at a time, as typed
            try:
                line = input()
            except EOFError:
                return
            except KeyboardInterrupt:
                continue
            _show(session.run(line))
    _prompt_loop(session)


def _show(text: str) -> None:
    if text:
        sys.stdout.write(text + "\n")
        sys.stdout.flush()


def history_path() -> Path:
    """The history file: $AUTOGRAPH_HISTORY, else the XDG state directory's autograph/history."""
    given = os.environ.get(HISTORY_VARIABLE)
    if given:
        return Path(given)
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state) / "autograph" / "history"


def _prompt_loop(session: Any) -> None:
    try:
        from prompt_toolkit import PromptSession
        from prompt_toolkit.history import FileHistory, InMemoryHistory
    except ImportError:
        raise InputError(
            "missing-extra",
            "autograph repl needs prompt_toolkit: pip install 'autograph-cli[repl]'",
        ) from None
    path = history_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        history: Any = FileHistory(str(path))
    except OSError:
        history = InMemoryHistory()
    prompt: Any = PromptSession(history=history, completer=_completer(session))
    sys.stdout.write("autograph: a statement a line, :help for the commands, Ctrl-D leaves\n")
    while True:
        try:
            line = prompt.prompt("> ")
        except KeyboardInterrupt:
            continue
        except EOFError:
            return
        _show(session.run(line))


def _completer(session: Any) -> Any:
    """Completion of the op table's functions, the session's names and the commands."""
    from prompt_toolkit.completion import Completer, Completion

    from autograph.ops import FUNCTIONS
    from autograph.session import COMMANDS

    class Words(Completer):
        def get_completions(self, document: Any, complete_event: Any) -> Iterable[Any]:
            word = document.get_word_before_cursor(WORD=True)
            if word.startswith(":") and document.text_before_cursor.lstrip() == word:
                words: list[str] = list(COMMANDS)
            else:
                word = document.get_word_before_cursor()
                if not word:
                    return
                names = session.variables() if session.lines else []
                words = [*names, *FUNCTIONS, "ans"]
            for candidate in dict.fromkeys(words):
                if candidate.startswith(word) and candidate != word:
                    yield Completion(candidate, start_position=-len(word))

    return Words()
