"""The check for a person (lines and a table under the grad table) and for a script (JSON)."""

from __future__ import annotations

import math
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from autograph.errors import MathError
from autograph.numbers import Digits, current_digits, format_number
from autograph.quoting import visible
from autograph.referee import DESCRIPTIONS, Check, VariableCheck

REFEREE_NAMES = {"sympy": "SymPy", "mpmath": "the numeric referee"}
KINK_NOTE = "at a kink the referees legitimately differ; autograph follows PyTorch's convention"


def to_dict(check: Check) -> dict[str, Any]:
    """The ``"check"`` object of ``grad --check --json``."""
    return {
        "referee": check.referee,
        "description": DESCRIPTIONS[check.referee],
        "reason": check.reason,
        "tolerance": check.tolerance,
        "agrees": check.agrees,
        "variables": {v.variable: _variable_dict(v) for v in check.variables},
        "rounding": _rounding_dict(check),
    }


def _rounding_dict(check: Check) -> dict[str, Any] | None:
    if check.rounding is None:
        return None
    node, error = check.rounding
    return {"node": node, "text": check.result.graph.text(node), "relative_error": error}


def _variable_dict(v: VariableCheck) -> dict[str, Any]:
    entry = {
        "reverse_mode": v.reverse_mode,
        "referee": v.referee,
        "referee_name": v.referee_name,
        "referee_error": v.referee_error,
        "finite_difference": v.finite_difference,
        "reverse_minus_referee": v.reverse_minus_referee,
        "relative_difference": v.relative_difference,
        "reverse_minus_finite_difference": v.reverse_minus_finite_difference,
        "agrees": v.agrees,
        "kinks": list(v.kinks),
    }
    # A difference of two numbers near the float64 limit can overflow: strict JSON has no inf.
    return {key: _finite(value) for key, value in entry.items()}


def _finite(value: Any) -> Any:
    return None if isinstance(value, float) and not math.isfinite(value) else value


def print_check(check: Check, console: Console | None = None) -> None:
    """The referee and why, one row per variable, kink notes, and the verdict."""
    from autograph.table import trimmed

    console = console or Console()
    with trimmed(console):
        _print_check(check, console)


def _print_check(check: Check, console: Console) -> None:
    from autograph.table import print_labelled

    output = check.result.graph.names[check.result.graph.output]
    console.print()
    print_labelled(console, "check", DESCRIPTIONS[check.referee])
    print_labelled(console, "", check.reason)
    if not check.variables:
        print_labelled(console, "", "(no variables to check)")
        return
    console.print()
    console.print(_table(check, output))
    kinks = list(dict.fromkeys(kink for v in check.variables for kink in v.kinks))
    for index, kink in enumerate(kinks):
        print_labelled(console, "kink" if index == 0 else "", kink)
    if any(v.excused for v in check.variables):
        print_labelled(console, "", KINK_NOTE)
    if check.rounding is not None:
        print_labelled(console, "rounding", rounding_note(check))
    console.print()
    print_labelled(console, "verdict", verdict(check))


def _table(check: Check, output: str) -> Table:
    table = Table(box=None, header_style="bold", pad_edge=False, padding=(0, 2, 0, 0))
    table.add_column("")
    referee = "SymPy" if check.referee == "sympy" else "mpmath"
    for title in ("reverse mode", referee, "finite diff.", "rev − ref", "rev − fd"):
        table.add_column(title, justify="right", no_wrap=True)  # a number is never split
    table.add_column("")
    # A finite difference is an estimate good to about ten digits: never shown to more than 12.
    shown = current_digits()
    estimate = 12 if shown is None else min(shown, 12)
    for v in check.variables:
        status = (
            Text("agrees", style="green")
            if v.agrees
            else Text("kink", style="yellow")
            if v.excused
            else Text("DISAGREES", style="bold red")
        )
        value = _short(v.referee, shown)
        if v.referee_name != check.referee:
            value += f" ({v.referee_name})"
        table.add_row(
            Text(visible(f"∂{output}/∂{v.variable}")),
            format_number(v.reverse_mode),
            Text(value),
            _short(v.finite_difference, estimate),
            _short(v.reverse_minus_referee, 2),
            _short(v.reverse_minus_finite_difference, 2),
            status,
        )
    return table


def _short(number: float | None, digits: Digits) -> str:
    """A number of the check's table, or — where there is none."""
    return "—" if number is None else format_number(number, digits)


def verdict(check: Check) -> str:
    """One sentence: do reverse mode and the referee agree?"""
    referee = REFEREE_NAMES[check.referee]
    tolerance = f"{check.tolerance:g}"
    if not check.agrees:
        return f"reverse mode and {referee} DISAGREE beyond the relative tolerance {tolerance}"
    if any(v.excused for v in check.variables):
        return (
            f"reverse mode and {referee} agree within the relative tolerance {tolerance}, "
            "except at a kink"
        )
    return f"reverse mode and {referee} agree within the relative tolerance {tolerance}"


def rounding_note(check: Check) -> str:
    """Where float64 itself lost accuracy, which may explain a disagreement."""
    if check.rounding is None:
        return ""
    node, error = check.rounding
    return (
        f"float64 loses accuracy here: `{check.result.graph.text(node)}` is off by a relative "
        f"{format_number(error, 2)} from its exact value, so the disagreement may be rounding (an "
        "ill-conditioned point) rather than a wrong derivative"
    )


def disagreement(check: Check) -> MathError:
    """The error (exit 1) for a check where reverse mode and the referee disagree."""
    output = check.result.graph.names[check.result.graph.output]
    referee = REFEREE_NAMES[check.referee]
    parts = []
    for v in check.disagreements:
        if v.referee is None:
            parts.append(f"∂{output}/∂{v.variable} (the referee cannot evaluate it here)")
        else:
            parts.append(
                # Every digit: rounded, two numbers that disagree could read the same.
                f"∂{output}/∂{v.variable} (reverse mode {format_number(v.reverse_mode, None)}, "
                f"referee {format_number(v.referee, None)}, relative difference "
                f"{_short(v.relative_difference, 2)})"
            )
    note = f"; {rounding_note(check)}" if check.rounding is not None else ""
    return MathError(
        "check-failed",
        f"reverse mode and {referee} disagree beyond the relative tolerance "
        f"{check.tolerance:g} on " + "; ".join(parts) + note,
        variables=[v.variable for v in check.disagreements],
    )
