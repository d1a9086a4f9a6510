"""Shared helpers: run the command line in-process and capture what it prints."""

from __future__ import annotations

import json
import os
from typing import Any, NamedTuple

import pytest
from hypothesis import settings

from autograph.cli import main

# Property tests draw the same examples on every run (CI and here alike), so a run never
# fails by chance; HYPOTHESIS_PROFILE=explore draws new ones, to hunt for bugs.
settings.register_profile("derandomized", derandomize=True, print_blob=True)
settings.register_profile("explore", derandomize=False, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "derandomized"))


class Run(NamedTuple):
    """What one in-process run left: unpacks as ``code, stdout, stderr``."""

    code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)

    def error(self) -> Any:
        return json.loads(self.stderr)["error"]


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Any:
    """Call ``autograph ARGS...`` in-process; returns its exit code, stdout and stderr."""
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "120")

    def invoke(*args: str) -> Run:
        with pytest.raises(SystemExit) as exited:
            main(list(args))
        out, err = capsys.readouterr()
        return Run(int(exited.value.code or 0), out, err)

    return invoke
