"""``hessian``: second derivatives, from the gradient graph differentiated again."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated, Any

import typer

from autograph.cli.app import app
from autograph.cli.options import (
    AtOption,
    DigitsOption,
    Expr,
    FileOption,
    JsonOption,
    WrtOption,
    needs,
    positive,
    read_program,
    use_digits,
)
from autograph.language.points import parse_at, parse_names

if TYPE_CHECKING:
    from rich.console import Console

    from autograph.derivatives import Hessian
    from autograph.referee.hessian import HessianCheck

VectorOption = Annotated[
    list[str] | None,
    typer.Option(
        "--vector",
        metavar="NAME=VALUE,...",
        help="Give the Hessian-vector product H v for this v instead of the whole matrix "
        "(variables not named are 0): one more reverse pass, for programs with many variables.",
        show_default=False,
    ),
]
HessianCheckOption = Annotated[
    bool,
    typer.Option(
        "--check",
        help="Check each second derivative against SymPy's and a central difference of the "
        "gradient; exit 1 when one disagrees.",
    ),
]
HessianTolOption = Annotated[
    float | None,
    typer.Option(
        "--tol",
        metavar="REL",
        help="With --check: the relative tolerance of agreement with SymPy (default 1e-9).",
        show_default=False,
    ),
]
HessianTimeoutOption = Annotated[
    float | None,
    typer.Option(
        "--timeout",
        metavar="SECONDS",
        help="With --check: the seconds SymPy may take before the central difference judges "
        "alone (default 5).",
        show_default=False,
    ),
]


@app.command("hessian")
def hessian_command(
    expr: Expr = None,
    file: FileOption = None,
    at: AtOption = None,
    wrt: WrtOption = None,
    vector: VectorOption = None,
    json: JsonOption = False,
    check: HessianCheckOption = False,
    tol: HessianTolOption = None,
    timeout: HessianTimeoutOption = None,
    digits: DigitsOption = None,
) -> None:
    """Second derivatives: the value, the gradient, the Hessian and what its eigenvalues say.

    Example: autograph hessian "f = x^2 + x*y + y^2 - 3*x" --at x=2,y=-1

    hessian[i][j] is the second derivative by the i-th and the j-th variable.
    With --vector, the Hessian-vector product instead of the matrix.
    """
    from autograph.graph import parse

    needs("--check", check, {"--tol": tol is not None, "--timeout": timeout is not None})
    use_digits(digits)
    graph = parse(read_program(expr, file))
    point = parse_at(at)
    names = parse_names(wrt, "--wrt")
    direction = parse_at(vector, "--vector") if vector is not None else None
    if check:
        from autograph.referee.hessian import check_hessian

        tolerance = positive(1e-9 if tol is None else tol, "--tol", 0, 1)
        seconds = positive(5.0 if timeout is None else timeout)
        checked = check_hessian(graph, point, names, direction, tol=tolerance, timeout=seconds)
        output(checked.result, graph.names[graph.output], json, checked)
        if not checked.agrees:
            sys.stdout.flush()
            raise disagreement(checked)
        return
    from autograph.derivatives import hessian

    output(hessian(graph, point, names, direction), graph.names[graph.output], json)


def output(result: Hessian, name: str, as_json: bool, checked: HessianCheck | None = None) -> None:
    """The result as JSON on stdout, or as lines and tables for a person."""
    if as_json:
        from autograph.report import dumps

        data = to_dict(result)
        if checked is not None:
            data["check"] = check_dict(checked)
        sys.stdout.write(dumps(data) + "\n")
        return
    from rich.console import Console

    console = Console(highlight=False)
    print_hessian(result, name, console)
    if checked is not None:
        print_check(checked, name, console)


def to_dict(result: Hessian) -> dict[str, Any]:
    """``{"value", "gradient", "variables", "hessian", "eigenvalues", ...}`` (issue 9's JSON).

    With a vector: ``"vector"`` and ``"product"`` (H v per variable) instead of the matrix.
    """
    data: dict[str, Any] = {
        "value": result.value,
        "gradient": result.gradient,
        "variables": list(result.variables),
    }
    if result.matrix is None:
        data["vector"] = result.vector
        data["product"] = result.product
        return data
    data["hessian"] = result.matrix
    data["eigenvalues"] = result.eigenvalues
    data["definiteness"] = result.definiteness
    data["meaning"] = result.meaning
    return data


def check_dict(checked: HessianCheck) -> dict[str, Any]:
    """The ``"check"`` object of ``hessian --check --json``."""
    return {
        "reason": checked.reason,
        "tolerance": checked.tolerance,
        "agrees": checked.agrees,
        "entries": [
            {
                "row": entry.row,
                "column": entry.column or None,
                "autograph": entry.autograph,
                "sympy": entry.sympy,
                "finite_difference": entry.finite_difference,
                "judge": entry.judge or None,
                "agrees": entry.agrees,
                "kinks": list(entry.kinks),
            }
            for entry in checked.entries
        ],
    }


def print_hessian(result: Hessian, name: str, console: Console) -> None:
    """Value and gradient, then the matrix with named rows and columns and its eigenvalues."""
    from rich.table import Table

    from autograph.numbers import format_number
    from autograph.quoting import markup
    from autograph.table import print_labelled

    shown = markup(name)
    console.print(f"[bold]value[/]        {shown} = {format_number(result.value)}")
    if not result.variables:
        console.print("[bold]gradient[/]     (no variables)")
        return
    for index, (variable, value) in enumerate(result.gradient.items()):
        label = "[bold]gradient[/]" if index == 0 else "        "
        console.print(f"{label}     ∂{shown}/∂{markup(variable)} = {format_number(value)}")
    console.print()
    if result.matrix is None:
        assert result.vector is not None and result.product is not None
        vector = ", ".join(f"{markup(k)} = {format_number(v)}" for k, v in result.vector.items())
        console.print(f"[bold]vector[/]       v: {vector}")
        for index, (variable, value) in enumerate(result.product.items()):
            label = "[bold]product[/]" if index == 0 else "       "
            console.print(f"{label}      {markup(f'(H v)[{variable}]')} = {format_number(value)}")
        return
    console.print(f"[bold]Hessian[/]      row i, column j: ∂²{shown}/∂i∂j")
    table = Table(box=None, header_style="bold", pad_edge=False, padding=(0, 2, 0, 0))
    table.add_column("")
    for variable in result.variables:
        table.add_column(markup(variable), justify="right", overflow="fold")
    for variable, row in zip(result.variables, result.matrix, strict=True):
        table.add_row(f"[bold]{markup(variable)}[/]", *(format_number(value) for value in row))
    console.print(table)
    console.print()
    eigenvalues = ", ".join(format_number(value) for value in result.eigenvalues or [])
    print_labelled(console, "eigenvalues", eigenvalues, indent=13)
    print_labelled(console, "verdict", result.meaning, indent=13)


def print_check(checked: HessianCheck, name: str, console: Console) -> None:
    """One row per entry: autograph, SymPy, the central difference, who judged, the verdict."""
    from rich.table import Table
    from rich.text import Text

    from autograph.numbers import format_number
    from autograph.quoting import markup

    console.print()
    console.print(
        "[bold]check[/]        SymPy's second derivatives, and a central difference of the "
        "gradient",
        soft_wrap=True,
    )
    console.print(f"             {markup(checked.reason)}", soft_wrap=True)
    console.print()
    table = Table(box=None, header_style="bold", pad_edge=False, padding=(0, 2, 0, 0))
    table.add_column("")
    for title in ("autograph", "SymPy", "finite diff.", "judged by"):
        table.add_column(title, justify="right", overflow="fold")
    table.add_column("")
    shown = markup(name)
    for entry in checked.entries:
        if entry.column:
            label = f"∂²{shown}/∂{markup(entry.row)}∂{markup(entry.column)}"
        else:
            label = markup(f"(H v)[{entry.row}]")
        status = (
            Text("agrees", style="green")
            if entry.agrees
            else Text("kink", style="yellow")
            if entry.excused
            else Text("DISAGREES", style="bold red")
        )
        table.add_row(
            label,
            format_number(entry.autograph),
            _short(entry.sympy),
            _short(entry.finite_difference),
            "SymPy" if entry.judge == "sympy" else entry.judge or "—",
            status,
        )
    console.print(table)
    kinks = list(dict.fromkeys(kink for entry in checked.entries for kink in entry.kinks))
    for index, kink in enumerate(kinks):
        label = "[bold]kink[/]" if index == 0 else "    "
        console.print(f"{label}         {markup(kink)}", soft_wrap=True)
    console.print()
    console.print(f"[bold]verdict[/]      {verdict(checked)}", soft_wrap=True)


def _short(number: float | None) -> str:
    if number is None:
        return "—"
    return "0" if number == 0 else format(number, ".12g")


def verdict(checked: HessianCheck) -> str:
    """One sentence: does every entry agree with its judge?"""
    from autograph.referee.hessian import DIFFERENCE_TOLERANCE

    if not checked.agrees:
        count = len(checked.disagreements)
        return f"{count} of {len(checked.entries)} entries DISAGREE with their judge"
    judged = {entry.judge for entry in checked.entries}
    sympy = f"with SymPy within the relative tolerance {checked.tolerance:g}"
    difference = (
        f"with the central difference within {max(checked.tolerance, DIFFERENCE_TOLERANCE):g}"
    )
    if judged == {"sympy"}:
        sentence = f"every entry agrees {sympy}"
    elif "sympy" in judged:
        sentence = f"every entry agrees {sympy} or, where SymPy cannot say, {difference}"
    else:
        sentence = f"every entry agrees {difference}"
    excused = sum(entry.excused for entry in checked.entries)
    return sentence + (f", except {excused} at a kink" if excused else "")


def disagreement(checked: HessianCheck) -> Any:
    """The error (exit 1) for a Hessian whose check found a disagreement."""
    from autograph.errors import MathError
    from autograph.numbers import format_number

    parts = []
    for entry in checked.disagreements:
        where = f"[{entry.row}][{entry.column}]" if entry.column else f"(H v)[{entry.row}]"
        reference = entry.sympy if entry.sympy is not None else entry.finite_difference
        if reference is None:
            parts.append(f"{where} (neither SymPy nor the central difference can evaluate it)")
        else:
            parts.append(
                f"{where} (autograph {format_number(entry.autograph)}, {entry.judge} "
                f"{format_number(reference)})"
            )
    return MathError(
        "check-failed",
        "the Hessian disagrees with its references on " + "; ".join(parts),
        variables=list(dict.fromkeys(entry.row for entry in checked.disagreements)),
    )
