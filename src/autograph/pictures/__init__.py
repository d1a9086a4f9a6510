"""Pictures of a computational graph: a tree in the terminal, DOT, Mermaid, SVG and PNG.

``draw`` is the one entry point: it runs the passes the picture needs (values
with ``at``, adjoints with ``grad``) and returns the picture as text or, for
svg and png, bytes. Each format lives in its own module; all of them describe
nodes through ``nodes.describe`` so they agree.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping

from autograph.display import Picture
from autograph.errors import InputError
from autograph.evaluate import Forward, backward, forward
from autograph.graph import Graph

FORMATS = ("text", "dot", "mermaid", "svg", "png")


def draw(
    graph: Graph,
    at: Mapping[str, float] | None = None,
    grad: bool = False,
    wrt: Iterable[str] | None = None,
    format: str = "text",
    width: int = 100,
) -> str | bytes:
    """The graph as a picture in ``format``; values when ``at`` is given, adjoints with ``grad``.

    ``text`` is the Rich tree without colour, ``width`` columns wide.
    """
    if format not in FORMATS:
        raise InputError("bad-format", f"unknown format {format!r}; choose one of {FORMATS}")
    if format in ("svg", "png"):
        from autograph.pictures.render import check_size

        check_size(len(graph), format)  # before any work on a picture that will not be drawn
    result = evaluate(graph, at, grad, wrt)
    if format == "text":
        return tree_text(graph, result, width)
    if format == "mermaid":
        from autograph.pictures.mermaid import to_mermaid

        return to_mermaid(graph, result)
    from autograph.pictures.dot import to_dot

    source = to_dot(graph, result)
    if format == "dot":
        return source
    from autograph.pictures.render import render

    return render(source, format)


def evaluate(
    graph: Graph,
    at: Mapping[str, float] | None,
    grad: bool,
    wrt: Iterable[str] | None = None,
) -> Forward | None:
    """The passes a picture needs: none, forward (values), or forward and reverse (adjoints)."""
    if grad or wrt is not None:
        return backward(graph, at or {}, wrt)
    if at is not None:
        return forward(graph, at)
    return None


def tree_text(graph: Graph, result: Forward | None, width: int = 100) -> str:
    """The terminal tree as plain text, without colour."""
    from rich.console import Console

    from autograph.pictures.text import tree

    out = io.StringIO()
    Console(width=width, no_color=True, color_system=None, file=out).print(
        tree(graph, result), soft_wrap=True
    )
    return out.getvalue()


def picture(
    graph: Graph,
    at: Mapping[str, float] | None = None,
    grad: bool = False,
    wrt: Iterable[str] | None = None,
    format: str | None = None,
) -> Picture:
    """``draw`` as an object a notebook displays; ``format=None`` picks the best one there is:
    svg when a Graphviz engine is at hand and the graph is small enough, else mermaid."""
    from autograph.pictures.render import PICTURE_LIMIT, find_engine

    if format is None:
        small = len(graph) <= PICTURE_LIMIT
        format = "svg" if small and find_engine() is not None else "mermaid"
    return Picture(graph, format, draw(graph, at, grad, wrt, format))
