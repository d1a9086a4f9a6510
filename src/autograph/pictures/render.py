"""SVG and PNG through a real Graphviz layout engine, never a hand-made layout.

The engine is ``graphviz-pure`` (a port of Graphviz's ``dot`` that installs
from PyPI: ``pip install "autograph-cli[pictures]"``) when present, else the
system's Graphviz (``dot`` on PATH). Without either, rendering stops with an
``InputError`` that says how to get one.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

from autograph.errors import AutographError, InputError

FORMATS = ("svg", "png")
PICTURE_LIMIT = 1000
"""Nodes at most in an SVG picture (and the html page): past that a layout takes long and
shows little."""
PNG_LIMIT = 200
"""Nodes at most in a PNG picture. A raster is as big as the layout: drawn at full size,
Graphviz took 1.6 GB for 240 nodes and 6.6 GB for 480 (docs/benchmarks.md)."""
PNG_DPI = 144
PNG_MAX_INCHES = 60
"""The most a PNG may measure each way, in inches: a bigger layout is scaled down to fit,
so no picture has more than (60 * 144)^2 pixels, whatever its shape."""

HOW_TO_GET_ONE = (
    "svg and png need a Graphviz layout engine: pip install 'autograph-cli[pictures]' "
    "(installs graphviz-pure), or install Graphviz so that `dot` is on PATH "
    "(apt install graphviz, brew install graphviz); --format dot and mermaid need none"
)


def limit(format: str) -> int:
    """The most nodes a picture in ``format`` (``svg``, ``png`` or ``html``) may have."""
    return PNG_LIMIT if format == "png" else PICTURE_LIMIT


def check_size(nodes: int, format: str) -> None:
    """Refuse (``InputError``, kind ``too-large``) a picture too big to draw in bounded memory.

    The message names the formats that still draw the graph.
    """
    most = limit(format)
    if nodes <= most:
        return
    if nodes <= PICTURE_LIMIT:
        still = f"--format svg draws up to {PICTURE_LIMIT:,} nodes, and dot or mermaid any size"
    else:
        still = "--format dot or mermaid writes any size"
    what = "html pages" if format == "html" else f"{format} pictures"
    raise InputError(
        "too-large", f"the graph has {nodes:,} nodes; {what} are limited to {most:,} ({still})"
    )


def find_engine() -> Path | None:
    """graphviz-pure if installed (beside this Python too), else Graphviz's ``dot``, else None."""
    folders = [sysconfig.get_path("scripts"), str(Path(sys.executable).parent)]
    for folder in folders:
        candidate = Path(folder) / "graphviz-pure"
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    for program in ("graphviz-pure", "dot"):
        found = shutil.which(program)
        if found:
            return Path(found)
    return None


def render(dot_source: str, format: str, engine: Path | None = None) -> bytes:
    """Lay out and draw DOT source as ``svg`` or ``png`` bytes with a Graphviz engine."""
    if format not in FORMATS:
        raise InputError("bad-format", f"cannot render {format!r}; choose one of {FORMATS}")
    engine = engine or find_engine()
    if engine is None:
        raise InputError("no-layout-engine", HOW_TO_GET_ONE)
    command = [str(engine), f"-T{format}"]
    if format == "png":
        command += [f"-Gdpi={PNG_DPI}", f"-Gsize={PNG_MAX_INCHES},{PNG_MAX_INCHES}"]
    try:
        done = subprocess.run(
            command, input=dot_source.encode("utf-8"), capture_output=True, timeout=300, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as err:
        raise AutographError("render", f"{engine.name} could not draw the graph: {err}") from None
    if done.returncode != 0 or not done.stdout:
        detail = done.stderr.decode("utf-8", "replace").strip() or f"exit code {done.returncode}"
        raise AutographError("render", f"{engine.name} could not draw the graph: {detail}")
    return done.stdout
