"""Shell completion: Typer's --show-completion and --install-completion, commands and options."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

AUTOGRAPH = f"{shlex.quote(sys.executable)} -m autograph"
needs_bash = pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")


def in_bash(command: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Run ``command`` as bash's own child, so the shell autograph detects is bash.

    Followed by another command, so bash forks for it rather than replacing itself
    with it: otherwise autograph's parent would be whatever started the tests (sh, say).
    """
    return subprocess.run(
        ["bash", "-c", f"{command}; exit $?"],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=60,
        check=False,
    )


def completions(*words: str) -> list[str]:
    """What bash completion offers for the last of ``words`` after ``autograph``."""
    done = subprocess.run(
        [sys.executable, "-m", "autograph"],
        capture_output=True,
        text=True,
        env={
            **os.environ,
            "_AUTOGRAPH_COMPLETE": "complete_bash",
            "COMP_WORDS": " ".join(("autograph", *words)),
            "COMP_CWORD": str(len(words)),
        },
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


@needs_bash
def test_show_completion_prints_the_bash_script_for_the_autograph_command() -> None:
    done = in_bash(f"{AUTOGRAPH} --show-completion")
    assert done.returncode == 0, done.stderr
    assert "_AUTOGRAPH_COMPLETE=complete_bash" in done.stdout
    assert "complete -o default -F _autograph_completion autograph" in done.stdout


@needs_bash
def test_install_completion_adds_the_script_to_bash_s_start_up(tmp_path: Path) -> None:
    done = in_bash(f"{AUTOGRAPH} --install-completion", HOME=str(tmp_path))
    assert done.returncode == 0, done.stderr
    script = tmp_path / ".bash_completions" / "autograph.sh"
    assert "_AUTOGRAPH_COMPLETE=complete_bash" in script.read_text()
    assert str(script) in (tmp_path / ".bashrc").read_text()


def test_command_names_complete() -> None:
    assert completions("gr") == ["grad", "graph"]
    assert completions("ex") == ["explain"]


def test_option_names_of_a_command_complete() -> None:
    assert completions("grad", "--wr") == ["--wrt"]
    assert sorted(completions("grad", "--w")) == ["--workers", "--wrt"]
    assert "--digits" in completions("eval", "x", "--")


def test_the_help_mentions_completion(run) -> None:
    out = run("--help")
    assert "--install-completion" in out.stdout and "--show-completion" in out.stdout
