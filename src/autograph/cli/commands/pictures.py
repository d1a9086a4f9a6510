"""``graph`` and ``explain``: the graph drawn, and both passes told in words."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from autograph.cli.app import app
from autograph.cli.options import (
    AtOption,
    DigitsOption,
    Expr,
    FileOption,
    TangentOption,
    WrtOption,
    needs,
    parse_tangent,
    read_program,
    use_digits,
)
from autograph.errors import InputError, shorten
from autograph.language.points import parse_at, parse_names
from autograph.quoting import PATH


class PictureFormat(StrEnum):
    """What ``autograph graph`` draws."""

    text = "text"
    dot = "dot"
    mermaid = "mermaid"
    svg = "svg"
    png = "png"
    html = "html"


class ExplainFormat(StrEnum):
    """How ``autograph explain`` writes."""

    text = "text"
    md = "md"


class ExplainMode(StrEnum):
    """Which second pass ``autograph explain`` tells."""

    reverse = "reverse"
    forward = "forward"


@app.command("graph")
def graph_command(
    expr: Expr = None,
    file: FileOption = None,
    at: AtOption = None,
    grad: Annotated[
        bool, typer.Option("--grad", help="Show each node's adjoint too (needs --at).")
    ] = False,
    wrt: WrtOption = None,
    format: Annotated[
        PictureFormat | None,
        typer.Option(
            "--format",
            help="text: a tree in the terminal; dot: Graphviz source; mermaid: a Mermaid "
            "flowchart; svg, png: pictures drawn by Graphviz; html: a page stepping through both "
            "passes node by node (needs --at). Default: told by the extension "
            "of -o FILE (.txt .dot .gv .mmd .svg .png .html), else text.",
            show_default=False,
        ),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "-o",
            "--output",
            metavar="FILE",
            help="Write to FILE (png needs it); its extension names the format.",
            show_default=False,
        ),
    ] = None,
    digits: DigitsOption = None,
) -> None:
    """Draw the graph: inputs on the left, the output on the right.

    With --at each node shows its value, with --grad also its adjoint.
    svg and png need Graphviz: pip install 'autograph-cli[pictures]', or `dot` on PATH.

    Example: autograph graph "h = x + 5; g = h^3 + 1; f = g^2" --at x=-3 --grad --format svg
    """
    from autograph.graph import parse
    from autograph.pictures import draw, evaluate

    use_digits(digits)
    format = picture_format(format, output)
    if format is PictureFormat.png and output is None:
        raise InputError("usage", "--format png writes a binary file: give -o FILE")
    graph = parse(read_program(expr, file))
    names = parse_names(wrt, "--wrt")
    if format is PictureFormat.html:
        if not at:
            raise InputError(
                "usage", "--format html steps through the passes at a point: give --at"
            )
        from autograph.pictures.page import page

        picture: str | bytes = page(graph, parse_at(at), names)
    elif format is PictureFormat.text and output is None:
        from rich.console import Console

        from autograph.pictures.text import tree

        Console().print(tree(graph, evaluate(graph, parse_at(at) if at else None, grad, names)))
        return
    else:
        picture = draw(graph, parse_at(at) if at else None, grad, names, format.value)
    if output is None:
        sys.stdout.write(picture if isinstance(picture, str) else picture.decode("utf-8"))
        return
    from autograph.atomic import write_atomically

    data = picture.encode("utf-8") if isinstance(picture, str) else picture
    try:
        write_atomically(output, data)  # all of it, or the old file left as it was
    except OSError as err:
        raise InputError(
            "file", f"cannot write {shorten(str(output), PATH)!r}: {err.strerror}"
        ) from None


_EXTENSIONS = {
    ".txt": PictureFormat.text,
    ".dot": PictureFormat.dot,
    ".gv": PictureFormat.dot,
    ".mmd": PictureFormat.mermaid,
    ".mermaid": PictureFormat.mermaid,
    ".svg": PictureFormat.svg,
    ".png": PictureFormat.png,
    ".html": PictureFormat.html,
    ".htm": PictureFormat.html,
}


def picture_format(given: PictureFormat | None, output: Path | None) -> PictureFormat:
    """The format ``--format`` gives, else the one ``-o FILE``'s extension names, else text.

    A format that contradicts a picture's extension (``--format svg -o f.png``) is refused;
    a file with an extension that names no format needs ``--format``.
    """
    extension = output.suffix.lower() if output is not None else ""
    told = _EXTENSIONS.get(extension)
    if given is not None:
        if told is not None and told is not given and extension != ".txt":
            raise InputError(
                "usage",
                f"--format {given.value} contradicts the file name "
                f"{shorten(str(output), PATH)!r}, which "
                f"says {told.value}: drop --format, or name the file *.{given.value}",
            )
        return given
    if told is not None or not extension:
        return told or PictureFormat.text
    known = " ".join(_EXTENSIONS)
    raise InputError(
        "usage",
        f"cannot tell the format from the extension {shorten(extension)!r} of "
        f"{shorten(str(output), PATH)!r}: "
        f"give --format (text, dot, mermaid, svg, png or html), or name the file with one "
        f"of {known}",
    )


@app.command("explain")
def explain_command(
    expr: Expr = None,
    file: FileOption = None,
    at: AtOption = None,
    wrt: WrtOption = None,
    format: Annotated[
        ExplainFormat,
        typer.Option("--format", help="text: for the terminal; md: Markdown with LaTeX math."),
    ] = ExplainFormat.text,
    mode: Annotated[
        ExplainMode,
        typer.Option(
            "--mode",
            help="reverse: the adjoints, right to left (the chain rule of backpropagation); "
            "forward: the tangents along --tangent, left to right (forward mode).",
        ),
    ] = ExplainMode.reverse,
    tangent: TangentOption = None,
    digits: DigitsOption = None,
) -> None:
    """Both passes in words: each node's value, then the chain rule step by step.

    Example: autograph explain "h = x + 5; g = h^3 + 1; f = g^2" --at x=-3

    With --mode forward, the second pass is forward mode: each node's tangent along
    the direction --tangent gives, from its inputs' tangents.
    """
    from autograph.explain import explain, print_explanation, to_markdown
    from autograph.graph import parse

    needs("--mode forward", mode is ExplainMode.forward, {"--tangent": tangent is not None})
    if mode is ExplainMode.forward and wrt is not None:
        raise InputError("usage", "--wrt goes with --mode reverse; forward mode takes --tangent")
    use_digits(digits)
    graph = parse(read_program(expr, file))
    if mode is ExplainMode.forward:
        direction = parse_tangent(tangent, graph.variables)
        explanation = explain(graph, parse_at(at), mode="forward", tangent=direction)
    else:
        explanation = explain(graph, parse_at(at), parse_names(wrt, "--wrt"))
    if format is ExplainFormat.md:
        sys.stdout.write(to_markdown(explanation))
    else:
        print_explanation(explanation)
