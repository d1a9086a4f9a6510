"""The per-node table for a person: one row per node, in topological order.

Rich is imported here and only here for tables, so the JSON path never pays
for it. Without colour (NO_COLOR, a pipe) the table stays plain readable text.

The table is laid out to fit a width (the terminal's, or 80 columns for a pipe
or a file unless COLUMNS says otherwise, as Rich measures it), and a number is
never split across lines or cut: the number columns keep their full width.
When the table is too wide, first the local derivatives move under each
node's operation, on lines of their own; then the ``#`` column goes; then long
operations and names are cut short with ``…``, names only as far as two cut
names still differ (and a number's name never). Only when even that does not
fit is the table wider than asked. No line ends in white space.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.cells import cell_len
from rich.console import Console
from rich.text import Text

from autograph.evaluate import Backward, Forward
from autograph.language.printer import expression
from autograph.numbers import format_number
from autograph.ops import CONST, VAR
from autograph.quoting import visible
from autograph.tangents import Tangents

if TYPE_CHECKING:
    from rich.table import Table

MAX_ROWS = 1000
"""A table longer than this shows its first and last rows: beyond it no one reads on."""
GAP = 2
"""Spaces between two columns."""
SHORTEST = 8
"""A cut-short operation or name keeps at least this many characters."""
OUTPUT_MARK = "  (output)"
INDENT = 2
"""How far a local derivative on a line of its own is indented under its operation."""


@dataclass
class _Row:
    """One node's cells as plain text (styles are added when the table is drawn)."""

    node: int
    number: str
    name: str
    cuttable: bool
    """False for a number's name (2, -0.5): a number is never cut."""
    operation: str
    style: str
    value: str
    partials: list[str]
    adjoint: str


def _rows(result: Forward, shown: list[int]) -> list[_Row]:
    """The cells of the rows shown, and only those: a capped table builds no hidden row."""
    graph = result.graph
    names = graph.names
    backward = result if isinstance(result, Backward) else None
    rows = []
    for node in shown:
        op = graph.ops[node]
        if op is VAR:
            operation, style = "variable", "cyan"
        elif op is CONST:
            operation, style = "constant", "dim"
        else:
            operation, style = visible(expression(graph, node, names)), ""
        partials: list[str] = []
        adjoint = ""
        if isinstance(result, Tangents):
            tangent = result.tangents[node]
            adjoint = "—" if tangent is None else format_number(tangent)
        if backward is not None:
            partials = [
                f"∂/∂{names[arg]} = {format_number(partial)}"
                for arg, partial in zip(graph.inputs[node], backward.partials[node], strict=True)
                if partial is not None
            ]
            value = backward.adjoints[node]
            adjoint = "—" if value is None else format_number(value)
        cuttable = not (op is CONST and node not in graph.assigned)
        value_text = format_number(result.values[node])
        name = visible(graph.name_with_aliases(node))
        rows.append(
            _Row(node, str(node), name, cuttable, operation, style, value_text, partials, adjoint)
        )
    return rows


def _cut(text: str, width: int) -> str:
    """``text`` in at most ``width`` cells, ending in … when it was cut."""
    if cell_len(text) <= width:
        return text
    return text[: max(1, width - 1)] + "…"


def _cut_operation(text: str, width: int) -> str:
    """An operation cut short between two tokens, so no number in it is cut."""
    if cell_len(text) <= width:
        return text
    end = max(1, width - 1)
    while end > 1 and _in_token(text, end):
        end -= 1
    return text[:end].rstrip() + "…"


def _in_token(text: str, index: int) -> bool:
    """True when ``index`` falls inside a name or a number of ``text``."""
    joined = re.compile(r"[\w.']")
    before, after = text[index - 1], text[index]
    if before == "-" and after.isdigit():  # the sign of a negative number
        return True
    return bool(joined.match(before) and joined.match(after))


@dataclass
class _Layout:
    numbered: bool = True
    partials_below: bool = False
    operation_width: int | None = None
    name_width: int | None = None
    """Names cut to this many characters (the output's mark comes after)."""


@dataclass
class _Table:
    """The rows, the layout chosen for them, and what it needs: enough to draw any line."""

    rows: list[_Row]
    grad: bool
    output: int
    layout: _Layout
    last: str = "adjoint"
    """The title of the last column: the adjoint, after a reverse pass; the tangent, after
    forward mode (which has no local-derivative column); "" after a forward pass."""

    def names(self) -> list[str]:
        cut = self.layout.name_width
        if cut is None:
            return [row.name for row in self.rows]
        return [_cut(row.name, cut) if row.cuttable else row.name for row in self.rows]

    def names_differ(self) -> bool:
        return len(set(self.names())) == len({row.name for row in self.rows})

    def columns(self) -> list[tuple[str, bool, list[str]]]:
        """Each column: its title, whether it is right-justified, and its cells."""
        rows, layout = self.rows, self.layout
        marks = [OUTPUT_MARK * (row.node == self.output) for row in rows]
        operations = [row.operation for row in rows]
        if layout.operation_width is not None:
            operations = [_cut_operation(text, layout.operation_width) for text in operations]
        columns = [("#", True, [row.number for row in rows])] if layout.numbered else []
        columns += [
            ("node", False, [name + mark for name, mark in zip(self.names(), marks, strict=True)]),
            ("operation", False, operations),
            ("value", True, [row.value for row in rows]),
        ]
        if self.grad and not layout.partials_below:
            columns.append(("local derivatives", False, ["\n".join(r.partials) for r in rows]))
        if self.last:
            columns.append((self.last, True, [row.adjoint for row in rows]))
        return columns

    def widths(self) -> list[int]:
        return [
            max([cell_len(title), *(cell_len(line) for c in cells for line in c.split("\n"))])
            for title, _, cells in self.columns()
        ]

    def partial_width(self) -> int:
        """The longest local derivative on a line of its own, with its indent."""
        if not self.layout.partials_below:
            return 0
        return max([INDENT + cell_len(p) for row in self.rows for p in row.partials], default=0)

    def width(self) -> int:
        widths = self.widths()
        return max(sum(widths) + GAP * (len(widths) - 1), self.partial_width())


def _fit(table: _Table, width: int) -> None:
    """Choose the layout, in order of what a reader loses least, whose table fits ``width``."""
    layout = table.layout
    steps = ["partials_below", "numbered"] if table.grad else ["numbered"]
    for step in steps:
        if table.width() <= width:
            return
        if step == "partials_below":
            layout.partials_below = True
        else:
            layout.numbered = False
    excess = table.width() - width
    if excess <= 0:
        return
    operation = table.widths()[1]  # the # column is gone: node, operation, ...
    layout.operation_width = max(SHORTEST, cell_len("operation"), operation - excess)
    longest = (
        max(cell_len(row.name) for row in table.rows if row.cuttable)
        if any(row.cuttable for row in table.rows)
        else 0
    )
    # Names are cut to the longest width at which the table fits, or one more than the
    # width at which two names would read the same; never below SHORTEST. Shortening the
    # cut only makes both likelier, so the width is found by bisection: a name of 100,000
    # characters costs 17 layouts, not 100,000 (issue 10: 1,000 aliases took 42 s).

    def enough(cut: int) -> bool:
        layout.name_width = cut if cut < longest else None
        if table.width() <= width:
            return True
        layout.name_width = cut - 1
        return not table.names_differ()

    if longest <= SHORTEST:
        return
    if enough(longest):
        layout.name_width = None
        return
    if not enough(SHORTEST + 1):
        layout.name_width = SHORTEST
        return
    low, high = SHORTEST + 1, longest  # enough(low) holds, enough(high) does not
    while high - low > 1:
        middle = (low + high) // 2
        if enough(middle):
            low = middle
        else:
            high = middle
    layout.name_width = low


def _draw(table: _Table, hidden: int, width: int) -> Text:
    """The table as lines of text, each justified column by column, none ending in a space."""
    columns = table.columns()
    widths = table.widths()
    numbered = table.layout.numbered
    name_column = 1 if numbered else 0
    # Under the operation, or further left where the longest would not fit.
    under_operation = sum(widths[: name_column + 1]) + GAP * (name_column + 1) + INDENT
    longest = table.partial_width() - INDENT
    indent = max(INDENT, min(under_operation, width - longest))
    lines: list[Text] = []

    def line(cells: list[tuple[str, str]]) -> Text:
        text = Text()
        for position, ((cell, style), (_, right, _), column_width) in enumerate(
            zip(cells, columns, widths, strict=True)
        ):
            pad = " " * (column_width - cell_len(cell))
            if position:
                text.append(" " * GAP)
            if right:
                text.append(pad)
            text.append(cell, style=style)
            if not right:
                text.append(pad)
        text.rstrip()
        return text

    lines.append(line([(title, "bold") for title, _, _ in columns]))
    for index, row in enumerate(table.rows):
        if hidden and index == len(table.rows) // 2:
            lines.append(Text(f"… {hidden:,} nodes not shown (--json lists every node)", "dim"))
        cells_per_line = [cells[index].split("\n") for _, _, cells in columns]
        height = max(len(cells) for cells in cells_per_line)
        for depth in range(height):
            cells = [(c[depth] if depth < len(c) else "", "") for c in cells_per_line]
            if depth == 0:
                styled = []
                for position, (cell, _) in enumerate(cells):
                    title = columns[position][0]
                    style = "dim" if title == "#" else row.style if title == "operation" else ""
                    if title == "node" and row.node == table.output:
                        style = "bold"
                    styled.append((cell, style))
                cells = styled
            lines.append(line(cells))
        if table.layout.partials_below:
            lines += [Text(" " * indent + partial) for partial in row.partials]
    drawn = Text("\n").join(lines)
    drawn.no_wrap = True
    return drawn


def _kind(result: Forward) -> tuple[bool, str]:
    """Whether the table has local derivatives, and the title of its last column."""
    if isinstance(result, Backward):
        return True, "adjoint"
    return False, "tangent" if isinstance(result, Tangents) else ""


def node_table(result: Forward, max_rows: int = MAX_ROWS, width: int = 80) -> Text:
    """One row per node: name, operation, value; after a reverse pass, partials and adjoint.

    The table fits ``width`` columns where it can without splitting a number (see
    the module's docstring). A graph of more than ``max_rows`` nodes shows its
    first and last ``max_rows // 2``.
    """
    graph = result.graph
    size = len(graph.ops)
    hidden = 0
    shown = list(range(size))
    if size > max_rows:
        half = max_rows // 2
        hidden = size - 2 * half
        shown = [*range(half), *range(size - half, size)]
    grad, last = _kind(result)
    table = _Table(_rows(result, shown), grad, graph.output, _Layout(), last)
    _fit(table, width)
    return _draw(table, hidden, width)


def node_grid(result: Forward, max_rows: int = MAX_ROWS) -> Table:
    """The same rows and cells as ``node_table``, as a Rich ``Table`` not fitted to a width.

    For a renderer that lays out columns itself (a notebook's HTML table).
    """
    from rich.table import Table

    graph = result.graph
    size = len(graph.ops)
    shown = list(range(size))
    half = max_rows // 2
    if size > max_rows:
        shown = [*range(half), *range(size - half, size)]
    grad, last = _kind(result)
    table = _Table(_rows(result, shown), grad, graph.output, _Layout(), last)
    grid = Table(box=None, header_style="bold", pad_edge=False, padding=(0, 2, 0, 0))
    columns = table.columns()
    for title, right, _ in columns:
        grid.add_column(title, justify="right" if right else "left")
    for index in range(len(table.rows)):
        if size > max_rows and index == half:
            note = f"… {size - 2 * half:,} nodes not shown (--json lists every node)"
            grid.add_row(*["" if c else note for c in range(len(columns))])
        grid.add_row(*(cells[index] for _, _, cells in columns))
    return grid


def print_labelled(console: Console, label: str, text: str, indent: int = 10) -> None:
    """``label`` in bold, then ``text`` wrapped to the console's width under a hanging indent."""
    import textwrap

    width = max(console.width - indent, 30)
    lines = textwrap.wrap(visible(text), width, break_long_words=False, break_on_hyphens=False) or [
        ""
    ]
    for index, line in enumerate(lines):
        head = Text(label.ljust(indent) if index == 0 else " " * indent, style="bold")
        console.print(head + Text(line), soft_wrap=True, highlight=False)


_TRAILING = re.compile(r"[ \t]+((?:\x1b\[[0-9;]*m)*)$", re.M)


@contextmanager
def trimmed(console: Console) -> Iterator[None]:
    """Print to ``console`` inside the block with no white space at the end of any line."""
    with console.capture() as captured:
        yield
    console.file.write(_TRAILING.sub(r"\1", captured.get()))


def print_result(result: Forward, console: Console | None = None) -> None:
    """Print the node table, then the value and (after a reverse pass) the gradient.

    A pipe or a file is drawn at 80 columns, or at COLUMNS when it is set, as Rich
    does; a terminal at its own width.
    """
    console = console or Console()
    graph = result.graph
    output_name = graph.names[graph.output]
    with trimmed(console):
        console.print(node_table(result, width=console.width), soft_wrap=True)
        console.print()
        line = Text("value", style="bold")
        line.append(f"     {visible(output_name)} = {format_number(result.value)}", style="")
        console.print(line, soft_wrap=True)
        if isinstance(result, Backward):
            _print_gradient(result, output_name, console)
        if isinstance(result, Tangents):
            _print_tangent(result, output_name, console)


def _print_tangent(result: Tangents, output_name: str, console: Console) -> None:
    """The directional derivative, and the direction it is taken along."""
    items = list(result.direction.items())
    if len(items) > 6:  # past a handful, the ones that move
        items = [(name, value) for name, value in items if value != 0.0]
    along = ", ".join(f"d{name} = {format_number(value)}" for name, value in items[:6])
    along += ", …" if len(items) > 6 else ""
    line = Text("tangent", style="bold")
    line.append(
        visible(f"   d{output_name} = {format_number(result.tangent)}  (along {along})"), style=""
    )
    console.print(line, soft_wrap=True)


def _print_gradient(result: Backward, output_name: str, console: Console) -> None:
    """The gradient's lines, capped like the table (the first and last ``MAX_ROWS // 2``)."""
    items = list(result.gradient.items())
    if not items:
        console.print(Text("gradient", style="bold") + Text("  (no variables)"))
    half = MAX_ROWS // 2
    shown = items if len(items) <= MAX_ROWS else [*items[:half], None, *items[-half:]]
    for index, item in enumerate(shown):
        label = Text("gradient" if index == 0 else "        ", style="bold")
        if item is None:
            label.append(f"  … {len(items) - 2 * half:,} more (--json lists every one)", "dim")
        else:
            label.append(
                visible(f"  ∂{output_name}/∂{item[0]} = {format_number(item[1])}"), style=""
            )
        console.print(label, soft_wrap=True)
