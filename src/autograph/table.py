"""The per-node table for a person: one row per node, in topological order.

Rich is imported here and only here for tables, so the JSON path never pays
for it. Without colour (NO_COLOR, a pipe) the table stays plain readable text.
"""

from __future__ import annotations

import os

from rich.console import Console
from rich.table import Table
from rich.text import Text

from autograph.evaluate import Backward, Forward, format_number
from autograph.language.printer import expression
from autograph.ops import CONST, VAR

MAX_ROWS = 1000
"""A table longer than this shows its first and last rows: beyond it no one reads on."""


def node_table(result: Forward, max_rows: int = MAX_ROWS) -> Table:
    """One row per node: name, operation, value; after a reverse pass, partials and adjoint.

    A graph of more than ``max_rows`` nodes shows its first and last ``max_rows // 2``.
    """
    graph = result.graph
    names = graph.names
    backward = result if isinstance(result, Backward) else None
    table = Table(box=None, header_style="bold", pad_edge=False, padding=(0, 2, 0, 0))
    table.add_column("#", justify="right", style="dim")
    table.add_column("node")
    table.add_column("operation")
    # Numbers fold onto a second line rather than lose digits to an ellipsis.
    table.add_column("value", justify="right", overflow="fold")
    if backward is not None:
        table.add_column("local derivatives", overflow="fold")
        table.add_column("adjoint", justify="right", overflow="fold")
    size = len(graph.ops)
    shown: range | list[int] = range(size)
    if size > max_rows:
        half = max_rows // 2
        shown = [*range(half), -1, *range(size - half, size)]
    for node in shown:
        if node < 0:
            hidden = f"… {size - 2 * (max_rows // 2):,} nodes not shown (--json lists every node)"
            table.add_row("", Text(hidden, style="dim"))
            continue
        op = graph.ops[node]
        if op is VAR:
            operation = Text("variable", style="cyan")
        elif op is CONST:
            operation = Text("constant", style="dim")
        else:
            operation = Text(expression(graph, node, names))
        name = Text(names[node], style="bold" if node == graph.output else "")
        if node == graph.output:
            name.append("  (output)", style="dim")
        row: list[str | Text] = [str(node), name, operation, format_number(result.values[node])]
        if backward is not None:
            partials = [
                f"∂/∂{names[arg]} = {format_number(partial)}"
                for arg, partial in zip(graph.inputs[node], backward.partials[node], strict=True)
                if partial is not None
            ]
            adjoint = backward.adjoints[node]
            row += ["\n".join(partials), "—" if adjoint is None else format_number(adjoint)]
        table.add_row(*row)
    return table


def print_result(result: Forward, console: Console | None = None) -> None:
    """Print the node table, then the value and (after a reverse pass) the gradient."""
    console = console or Console()
    graph = result.graph
    output_name = graph.names[graph.output]
    table = node_table(result)
    if not console.is_terminal and "COLUMNS" not in os.environ:
        # Nothing limits a pipe's width: give the table all it needs, digits unfolded.
        natural = console.measure(table, options=console.options.update_width(100_000))
        console.width = max(console.width, natural.maximum)
    console.print(table)
    console.print()
    console.print(f"[bold]value[/]     {output_name} = {format_number(result.value)}")
    if isinstance(result, Backward):
        if not result.wrt:
            console.print("[bold]gradient[/]  (no variables)")
        for index, (name, value) in enumerate(result.gradient.items()):
            label = "[bold]gradient[/]" if index == 0 else "        "
            console.print(f"{label}  ∂{output_name}/∂{name} = {format_number(value)}")
