"""Start-up: ``eval`` and ``grad`` import nothing they do not use."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

# Heavy libraries, each used only by other commands or options: --data (NumPy, pandas),
# --check and diff (SymPy, mpmath), fit's plot (plotext); Lark only computes the grammar
# tables once, on a cold start; pydantic is used by nothing in autograph.
UNUSED = (
    "pydantic",
    "pydantic_core",
    "numpy",
    "pandas",
    "sympy",
    "mpmath",
    "lark",
    "rich",
    "plotext",
)


def imported_modules(*args: str) -> set[str]:
    """Every module a fresh ``autograph ARGS`` process imports (``-X importtime``)."""
    command = [sys.executable, "-X", "importtime", "-m", "autograph", *args]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    names = re.findall(r"^import time:\s+\d+ \|\s+\d+ \|\s*([\w.]+)$", done.stderr, re.M)
    assert names, "python -X importtime printed nothing"
    return set(names)


def imported_packages(*args: str) -> set[str]:
    """The top-level packages a fresh ``autograph ARGS`` process imports."""
    return {name.split(".")[0] for name in imported_modules(*args)}


@pytest.mark.parametrize(
    "args",
    [
        ("grad", "((x+5)^3+1)^2", "--at", "x=-3", "--json"),
        ("grad", "c = w*x; J = 0.5*(c - y)^2", "--at", "w=3,x=-3,y=5", "--wrt", "w"),
        ("eval", "sin(x) * x", "--at", "x=1", "--json"),
        ("eval", "sin(x) * x", "--at", "x=1"),
    ],
)
def test_eval_and_grad_import_no_library_they_do_not_use(args: tuple[str, ...]) -> None:
    imported_packages(*args)  # a cold start may build and cache the grammar tables (Lark)
    unused = set(UNUSED)
    if "--json" not in args:
        unused.discard("rich")  # the table is drawn by Rich
    assert imported_packages(*args) & unused == set()


def test_grad_loads_none_of_autographs_modules_for_other_commands() -> None:
    args = ("grad", "((x+5)^3+1)^2", "--at", "x=-3", "--json")
    imported_modules(*args)  # a cold start may build and cache the grammar tables
    modules = imported_modules(*args)
    assert "autograph.graph" in modules and "autograph.evaluate" in modules
    # Second derivatives, training and the referees are other commands' (``import
    # autograph.errors`` no longer loads the whole public API); HTML is for notebooks.
    others = {"autograph.derivatives", "autograph.fitting", "autograph.referee", "html"}
    assert modules & others == set()


def test_the_public_names_are_there_when_asked_for() -> None:
    code = (
        "import autograph; "
        "print(sorted(n for n in autograph.__all__ if getattr(autograph, n, None) is None))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
