"""The cost per step as a picture: in the terminal (plotext), or in a file (matplotlib).

``terminal_plot`` draws the curve in text at a given width: the same costs and
width always give the same characters, no colour and no white space at the end
of a line, so a pipe, a file and the README read it as a terminal does. The
ticks are round numbers, written by ``autograph.numbers``. A cost that falls
over two orders of magnitude or more is drawn on a log scale (its log10 on a
linear axis, with the ticks at powers of ten: plotext 6.1 misplaces explicit
ticks on its own log axis).

``write_plot`` writes the same curve to an SVG or a PNG through matplotlib, an optional
extra (``pip install "autograph-cli[plot]"``); the same costs write the same bytes.

plotext and matplotlib are imported here only, and this module only by ``fit``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from autograph.errors import InputError
from autograph.numbers import format_number

__all__ = ["cost_figure", "plot_format", "require_matplotlib", "terminal_plot", "write_plot"]

FILE_FORMATS = ("svg", "png")

HEIGHT = 14
"""Rows of the terminal plot, the axis and its labels included."""
MIN_WIDTH = 40
"""Narrower than this, the plot's labels run into each other: it is drawn this wide."""
LOG_RATIO = 100.0
"""A positive cost whose largest value is at least this many times its smallest is drawn on a
log scale."""


def terminal_plot(costs: Sequence[float], cost_name: str, width: int, height: int = HEIGHT) -> str:
    """The cost per step (``costs[0]`` at step 0) as a plot in text, ``width`` columns wide."""
    import plotext

    width = max(width, MIN_WIDTH)
    steps = list(range(len(costs)))
    log = uses_log_scale(costs)
    ys = [math.log10(cost) for cost in costs] if log else [float(cost) for cost in costs]
    figure = plotext.figure
    figure.clear()
    plotext.terminal.limit(False, False)  # the width asked for, not plotext's own guess
    xs, ys = _thinned(steps, ys, 4 * width)
    figure.draw(figure.signal(xs, ys).lines())
    figure.plot_size(width, height)
    figure.theme("clear")
    figure.label("step", "x")
    figure.label(f"{cost_name} (log scale)" if log else cost_name, "y")
    x_ticks = _round_ticks(0.0, float(steps[-1]), 5, whole=True)
    figure.ruler("x").ticks(x_ticks, [str(int(tick)) for tick in x_ticks])
    low, high = min(ys), max(ys)
    if log:
        y_ticks = _round_ticks(math.floor(low), math.ceil(high), 4, whole=True)
        y_ticks = [tick for tick in y_ticks if low <= tick <= high] or [low]
        labels = _labels([10.0**tick for tick in y_ticks])
    else:
        y_ticks = _round_ticks(low, high, 4)
        labels = _labels(y_ticks)
    figure.ruler("y").ticks(y_ticks, labels)
    text: str = figure.build().string(colorless=True)
    figure.clear()
    return "\n".join(line.rstrip() for line in text.splitlines())


def _thinned(xs: list[int], ys: list[float], buckets: int) -> tuple[list[int], list[float]]:
    """At most two points (the lowest and the highest) in each of ``buckets`` runs of steps.

    A column of the plot shows a few points at most: drawing 10,000 takes seconds and
    shows the same line. A series of at most twice ``buckets`` points is kept whole.
    """
    if len(xs) <= 2 * buckets:
        return xs, ys
    kept: list[int] = []
    size = len(xs) / buckets
    for bucket in range(buckets):
        run = range(round(bucket * size), round((bucket + 1) * size))
        low = min(run, key=ys.__getitem__)
        high = max(run, key=ys.__getitem__)
        kept.extend(sorted({low, high}))
    if kept[-1] != len(xs) - 1:
        kept.append(len(xs) - 1)
    return [xs[i] for i in kept], [ys[i] for i in kept]


def uses_log_scale(costs: Sequence[float]) -> bool:
    """Whether the cost is drawn on a log scale: positive, and falling or rising 100-fold."""
    return min(costs) > 0 and max(costs) >= LOG_RATIO * min(costs)


def _round_ticks(low: float, high: float, count: int, whole: bool = False) -> list[float]:
    """About ``count`` ticks at multiples of a round step (1, 2 or 5 times a power of ten).

    The step is the round one that divides the range into the nearest to ``count`` parts.
    """
    if not high - low > 1e-12 * max(abs(low), abs(high)):
        return [low]  # flat, to float64's noise
    raw = (high - low) / count
    power = 10.0 ** math.floor(math.log10(raw))
    span = high - low
    step = min((m * power for m in (1, 2, 5, 10)), key=lambda step: abs(span / step - count))
    if whole:
        step = max(1.0, float(round(step)))
    first = math.ceil(low / step)
    ticks = []
    for k in range(first, math.floor(high / step) + 1):
        tick = k * step
        # k * step, written with the digits the step has: 0.30000000000000004 is 0.3.
        ticks.append(round(tick, max(0, -math.floor(math.log10(step))) + 1))
    return ticks or [low]


def _labels(values: Sequence[float]) -> list[str]:
    """The fewest significant digits (at least 3) that tell ``values`` apart."""
    for digits in range(3, 18):
        labels = [format_number(value, digits) for value in values]
        if len(set(labels)) == len(labels):
            return labels
    return labels


def require_matplotlib() -> None:
    """Raise an InputError saying what to install when matplotlib is not installed."""
    try:
        import matplotlib.figure  # noqa: F401
    except ImportError:
        raise InputError(
            "missing-extra",
            "the plot's file is drawn by matplotlib, which is not installed: "
            'pip install "autograph-cli[plot]" (or pip install matplotlib)',
        ) from None


def cost_figure(costs: Sequence[float], cost_name: str) -> Any:
    """A matplotlib ``Figure`` of the cost per step (log scale as in the terminal plot)."""
    require_matplotlib()
    from matplotlib.figure import Figure

    figure = Figure(figsize=(6.4, 4.0), layout="constrained")
    axes = figure.add_subplot()
    axes.plot(range(len(costs)), costs, linewidth=1.5)
    if uses_log_scale(costs):
        axes.set_yscale("log")
    axes.set_xlabel("step")
    axes.set_ylabel(cost_name)
    axes.set_title(f"{cost_name} per step")
    axes.grid(True, alpha=0.3)
    return figure


def write_plot(costs: Sequence[float], cost_name: str, path: str | Path) -> None:
    """Write the cost per step to ``path``: an SVG or a PNG, by its suffix (matplotlib).

    The SVG carries no date and fixed ids, so the same costs write the same bytes.
    """
    suffix = plot_format(path)
    figure = cost_figure(costs, cost_name)
    import matplotlib

    with matplotlib.rc_context({"svg.hashsalt": "autograph", "svg.fonttype": "path"}):
        metadata = {"Date": None} if suffix == "svg" else {"Software": None}
        figure.savefig(path, format=suffix, metadata=metadata, dpi=100)


def plot_format(path: str | Path) -> str:
    """``svg`` or ``png`` from the path's suffix; anything else is an InputError."""
    suffix = Path(path).suffix.lower().lstrip(".")
    if suffix not in FILE_FORMATS:
        raise InputError(
            "usage",
            f"the plot is written as .svg or .png, by the file's name: not {Path(path).name!r}",
        )
    return suffix
