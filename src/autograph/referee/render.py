"""The check for a person (lines and a table under the grad table) and for a script (JSON)."""

from __future__ import annotations

import math
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from autograph.errors import MathError
from autograph.evaluate import format_number
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
    console = console or Console()
    output = check.result.graph.names[check.result.graph.output]
    console.print()
    console.print(f"[bold]check[/]     {DESCRIPTIONS[check.referee]}", soft_wrap=True)
    console.print(f"          {check.reason}", soft_wrap=True, highlight=False)
    if not check.variables:
        console.print("          (no variables to check)")
        return
    console.print()
    console.print(_table(check, output))
    kinks = list(dict.fromkeys(kink for v in check.variables for kink in v.kinks))
    for index, kink in enumerate(kinks):
        label = "[bold]kink[/]" if index == 0 else "    "
        console.print(f"{label}      {kink}", soft_wrap=True, highlight=False)
    if any(v.excused for v in check.variables):
        console.print(f"          {KINK_NOTE}", soft_wrap=True, highlight=False)
    if check.rounding is not None:
        console.print(f"[bold]rounding[/]  {rounding_note(check)}", soft_wrap=True, highlight=False)
    console.print()
    console.print(f"[bold]verdict[/]   {verdict(check)}", soft_wrap=True, highlight=False)


def _table(check: Check, output: str) -> Table:
    table = Table(box=None, header_style="bold", pad_edge=False, padding=(0, 2, 0, 0))
    table.add_column("")
    referee = "SymPy" if check.referee == "sympy" else "mpmath"
    for title in ("reverse mode", referee, "finite diff.", "rev − ref", "rev − fd"):
        table.add_column(title, justify="right", overflow="fold")
    table.add_column("")
    for v in check.variables:
        status = (
            Text("agrees", style="green")
            if v.agrees
            else Text("kink", style="yellow")
            if v.excused
            else Text("DISAGREES", style="bold red")
        )
        value = _short(v.referee, ".12g")
        if v.referee_name != check.referee:
            value += f" ({v.referee_name})"
        table.add_row(
            f"∂{output}/∂{v.variable}",
            format_number(v.reverse_mode),
            value,
            _short(v.finite_difference, ".12g"),
            _short(v.reverse_minus_referee, ".2g"),
            _short(v.reverse_minus_finite_difference, ".2g"),
            status,
        )
    return table


def _short(number: float | None, spec: str) -> str:
    if number is None:
        return "—"
    return "0" if number == 0 else format(number, spec)


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
        f"{error:.2g} from its exact value, so the disagreement may be rounding (an "
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
                f"∂{output}/∂{v.variable} (reverse mode {format_number(v.reverse_mode)}, "
                f"referee {format_number(v.referee)}, relative difference "
                f"{v.relative_difference:.2g})"
            )
    note = f"; {rounding_note(check)}" if check.rounding is not None else ""
    return MathError(
        "check-failed",
        f"reverse mode and {referee} disagree beyond the relative tolerance "
        f"{check.tolerance:g} on " + "; ".join(parts) + note,
        variables=[v.variable for v in check.disagreements],
    )
