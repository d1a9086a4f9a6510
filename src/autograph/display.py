"""How results show themselves in Jupyter, through IPython's display protocol.

Every result class inherits ``Displayed``: IPython asks it for a MIME bundle
(``_repr_mimebundle_``) and gets what the existing renderers make, in the form
a notebook shows best:

- a ``Graph`` or a ``Picture``: the SVG that Graphviz lays out (pictures/render.py),
  or, with no layout engine, a Mermaid flowchart in Markdown (JupyterLab renders it);
- a ``Forward`` or ``Backward``: table.py's per-node columns as an HTML table, with
  the value and the gradient under it;
- an ``Explanation``: explain's Markdown with LaTeX;
- a ``Check``: the node table and the referee's table, as HTML;
- ``Derivatives`` (``diff``): each derivative as LaTeX.

Plain ``repr`` is one summary line, whatever the size of the graph. This
module imports only the standard library at the top, so the result classes can
inherit from it without the command line paying for Rich's HTML or IPython;
IPython itself is never imported here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.table import Table

    from autograph.evaluate import Forward
    from autograph.graph import Graph

MAX_HTML_ROWS = 200
"""Rows of a node table in a notebook; a bigger graph shows its first and last 100."""

_STYLE = (
    "<style>"
    ".autograph-table td, .autograph-table th {text-align: right; padding: 2px 10px;"
    " font-family: monospace; white-space: pre;}"
    ".autograph-table td.text, .autograph-table th.text {text-align: left;}"
    "</style>"
)


def escape(text: str) -> str:
    """``text`` as HTML (the html module is imported only when HTML is made)."""
    from html import escape as html_escape

    return html_escape(text)


class Displayed:
    """Mixin for result classes: a short ``repr`` and a MIME bundle for notebooks."""

    __slots__ = ()

    def __repr__(self) -> str:
        return summary(self)

    def _repr_mimebundle_(
        self, include: Any = None, exclude: Any = None, **kwargs: Any
    ) -> dict[str, str]:
        return bundle(self)

    def _repr_html_(self) -> str | None:
        return bundle(self).get("text/html")

    def _repr_markdown_(self) -> str | None:
        return bundle(self).get("text/markdown")

    def _repr_svg_(self) -> str | None:
        return bundle(self).get("image/svg+xml")


@dataclass(frozen=True, eq=False, repr=False)
class Picture(Displayed):
    """A picture of a graph (``autograph graph``): its format and its text or bytes."""

    graph: Graph
    format: str
    data: str | bytes

    def text(self) -> str:
        """The picture as text (every format but png)."""
        return self.data if isinstance(self.data, str) else self.data.decode("utf-8")


def summary(obj: object) -> str:
    """One line: what the object is, how big, and its headline numbers."""
    from autograph.evaluate import Backward, Forward
    from autograph.graph import Graph
    from autograph.numbers import format_number

    kind = type(obj).__name__
    if isinstance(obj, Graph):
        return f"<Graph: {_size(obj)}, output {obj.names[obj.output]}>"
    if isinstance(obj, Picture):
        return f"<Picture: {obj.format}, {_size(obj.graph)}>"
    if isinstance(obj, Forward):
        numbers = f"{obj.graph.names[obj.graph.output]} = {format_number(obj.value)}"
        if isinstance(obj, Backward):
            gradient = ", ".join(f"{k}: {format_number(v)}" for k, v in obj.gradient.items())
            numbers += f", gradient {{{gradient}}}"
        return f"<{kind}: {_size(obj.graph)}, {numbers}>"
    from autograph.explain import Explanation

    if isinstance(obj, Explanation):
        return f"<Explanation of {obj.output} = {format_number(obj.value)}>"
    from autograph.referee import Check

    if isinstance(obj, Check):
        verdict = "agrees" if obj.agrees else "DISAGREES"
        count = len(obj.variables)
        variables = f"{count} variable{'s' if count != 1 else ''}"
        return f"<Check: {obj.referee}, reverse mode {verdict}, {variables}>"
    from autograph.symbolic import Derivatives

    if isinstance(obj, Derivatives):
        names = ", ".join(d.variable for d in obj.derivatives)
        return f"<Derivatives: of {obj.output_name or 'the output'} with respect to {names}>"
    return f"<{kind}>"


def _size(graph: Graph) -> str:
    return f"{len(graph):,} node{'s' if len(graph) != 1 else ''}"


def bundle(obj: object) -> dict[str, str]:
    """The MIME bundle IPython displays for ``obj``; always with a ``text/plain`` summary."""
    from autograph.evaluate import Forward
    from autograph.graph import Graph

    data = {"text/plain": summary(obj)}
    if isinstance(obj, Graph):
        data.update(picture_bundle(obj, None))
    elif isinstance(obj, Picture):
        data.update(_picture_of(obj))
    elif isinstance(obj, Forward):
        data["text/html"] = result_html(obj)
    else:
        data.update(_other_bundle(obj))
    return data


def _other_bundle(obj: object) -> dict[str, str]:
    from autograph.explain import Explanation, to_markdown
    from autograph.referee import Check

    if isinstance(obj, Explanation):
        return {"text/markdown": to_markdown(obj)}
    if isinstance(obj, Check):
        return {"text/html": check_html(obj)}
    from autograph.symbolic import Derivatives

    if isinstance(obj, Derivatives):
        return {"text/markdown": derivatives_markdown(obj)}
    return {}


def picture_bundle(graph: Graph, result: Forward | None) -> dict[str, str]:
    """SVG when a Graphviz engine is at hand and the graph is small enough, else Mermaid."""
    from autograph.errors import AutographError
    from autograph.pictures.render import PICTURE_LIMIT, find_engine

    if len(graph) <= PICTURE_LIMIT and find_engine() is not None:
        from autograph.pictures.dot import to_dot
        from autograph.pictures.render import render

        try:
            return {"image/svg+xml": render(to_dot(graph, result), "svg").decode("utf-8")}
        except AutographError:
            pass  # a failed layout still leaves the Mermaid picture
    from autograph.pictures.mermaid import to_mermaid

    return {"text/markdown": f"```mermaid\n{to_mermaid(graph, result)}```\n"}


def _picture_of(picture: Picture) -> dict[str, str]:
    if picture.format == "svg":
        return {"image/svg+xml": picture.text()}
    if picture.format == "png":
        import base64

        data = picture.data if isinstance(picture.data, bytes) else picture.data.encode()
        return {"image/png": base64.b64encode(data).decode("ascii")}
    if picture.format == "mermaid":
        return {"text/markdown": f"```mermaid\n{picture.text()}```\n"}
    return {"text/html": f"<pre>{escape(picture.text())}</pre>"}


def table_html(table: Table) -> str:
    """A Rich table as an HTML ``<table>``: the same columns and cells, without the styling."""
    columns = table.columns
    cells = [list(column.cells) for column in columns]
    head = "".join(
        f"<th{_align(column.justify)}>{escape(str(column.header))}</th>" for column in columns
    )
    rows = []
    for index in range(table.row_count):
        row = "".join(
            f"<td{_align(column.justify)}>{_cell(cells[number][index])}</td>"
            for number, column in enumerate(columns)
        )
        rows.append(f"<tr>{row}</tr>")
    return (
        f'<table class="autograph-table"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def _align(justify: str) -> str:
    return "" if justify == "right" else ' class="text"'


def _cell(cell: object) -> str:
    from rich.text import Text

    text = cell.plain if isinstance(cell, Text) else str(cell)
    return "<br>".join(escape(line) for line in text.split("\n"))


def result_html(result: Forward) -> str:
    """table.py's node table as HTML, then the value and (after a reverse pass) the gradient."""
    from autograph.evaluate import Backward
    from autograph.numbers import format_number
    from autograph.table import node_grid

    graph = result.graph
    output = escape(graph.names[graph.output])
    lines = [f"<b>value</b> {output} = {format_number(result.value)}"]
    if isinstance(result, Backward):
        for name, value in result.gradient.items():
            lines.append(f"<b>gradient</b> ∂{output}/∂{escape(name)} = {format_number(value)}")
        if not result.wrt:
            lines.append("<b>gradient</b> (no variables)")
    table = table_html(node_grid(result, MAX_HTML_ROWS))
    return f"{_STYLE}{table}<p>{'<br>'.join(lines)}</p>"


def check_html(check: Any) -> str:
    """The node table, then the check: the referee and why, its table, and the verdict."""
    from autograph.referee import DESCRIPTIONS
    from autograph.referee.render import _table, verdict

    result = check.result
    output = result.graph.names[result.graph.output]
    parts = [
        result_html(result),
        f"<p><b>check</b> {escape(DESCRIPTIONS[check.referee])}<br>{escape(check.reason)}</p>",
    ]
    if check.variables:
        parts.append(table_html(_table(check, output)))
    kinks = dict.fromkeys(kink for v in check.variables for kink in v.kinks)
    parts.extend(f"<p><b>kink</b> {escape(kink)}</p>" for kink in kinks)
    parts.append(f"<p><b>verdict</b> {escape(verdict(check))}</p>")
    return "".join(parts)


def derivatives_markdown(result: Any) -> str:
    """Each partial derivative as a LaTeX equation, with its value when there is one."""
    from autograph.formulas import latex_name
    from autograph.numbers import format_number

    output = latex_name(result.output_name) if result.output_name else "f"
    lines = []
    for derivative in result.derivatives:
        equation = (
            rf"\frac{{\partial {output}}}{{\partial {latex_name(derivative.variable)}}}"
            f" = {derivative.latex}"
        )
        if derivative.value is not None:
            equation += f" = {format_number(derivative.value)}"
        lines.append(f"$${equation}$$")
    return "\n\n".join(lines) + "\n"
