"""A page that steps through both passes: the graph's SVG with controls, in one HTML file.

The picture is the SVG ``draw`` makes with values and adjoints; the page's script hides
them and shows them one step at a time: the forward pass node by node (each value over
its node), then the reverse pass (each adjoint under its node, with the chain-rule line
``explain`` writes). The step is in the URL (``#step=7``). Nothing is fetched: the
script and the style are inline.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable, Mapping

from autograph.explain import ChainStep, Definition, chain_text, definition_text, explain
from autograph.graph import Graph

VALUE_COLOUR = "#1f5fa8"
"""The fill of a value's text in the SVG (pictures/dot.py)."""
ADJOINT_COLOUR = "#c0392b"
"""The fill of an adjoint's text in the SVG."""


def page(graph: Graph, at: Mapping[str, float], wrt: Iterable[str] | None = None) -> str:
    """The self-contained HTML page stepping through the forward and reverse passes."""
    from autograph.pictures import draw
    from autograph.pictures.nodes import CONSTANT, describe
    from autograph.pictures.render import check_size

    check_size(len(graph), "html")
    names = list(wrt) if wrt is not None else None
    picture = draw(graph, at, True, names, "svg")
    svg = picture.decode("utf-8") if isinstance(picture, bytes) else picture
    svg = svg[svg.index("<svg") :]
    told = explain(graph, at, names)
    definitions = {line.name: line for line in told.forward if isinstance(line, Definition)}
    chains = {line.name: line for line in told.reverse if isinstance(line, ChainStep)}
    views = describe(graph, _result(graph, at, names))
    steps: list[dict[str, str]] = []
    drawn = [view for view in views if view.kind != CONSTANT]
    for view in drawn:
        if view.value is not None:
            line = definitions.get(view.name)
            text = definition_text(line) if line else f"{view.title} = {view.value}"
            steps.append({"node": f"n{view.id}", "kind": "value", "text": text})
    for view in reversed(drawn):
        if view.adjoint is not None:
            chain = chains.get(view.name)
            adjoint = f"∂{told.output}/∂{view.name} = {view.adjoint}"
            text = chain_text(chain, told.output) if chain else adjoint
            steps.append({"node": f"n{view.id}", "kind": "adjoint", "text": text})
    from autograph.numbers import format_number

    gradient = ", ".join(
        f"∂{told.output}/∂{name} = {format_number(value)}" for name, value in told.gradient.items()
    )
    data = json.dumps({"steps": steps, "gradient": gradient}, ensure_ascii=True)
    data = data.replace("</", "<\\/")  # nothing in the data closes the script element
    title = html.escape(f"{told.output}: forward and reverse passes")
    return _TEMPLATE.format(
        title=title,
        svg=svg,
        data=data,
        value=VALUE_COLOUR,
        adjoint=ADJOINT_COLOUR,
    )


def _result(graph: Graph, at: Mapping[str, float], wrt: list[str] | None):  # type: ignore[no-untyped-def]
    from autograph.pictures import evaluate

    return evaluate(graph, at, True, wrt)


_TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title}</title>
<style>
body {{ font-family: Helvetica, Arial, sans-serif; margin: 1.5em; color: #222; }}
#controls button {{ font-size: 1em; margin-right: .4em; }}
#caption {{ font-family: monospace; font-size: 1.05em; min-height: 1.5em; margin: .8em 0; }}
#gradient {{ font-weight: bold; min-height: 1.5em; }}
#picture svg {{ max-width: 100%; height: auto; }}
.hidden {{ visibility: hidden; }}
.current {{ font-weight: bold; }}
</style>
</head>
<body>
<h1>{title}</h1>
<div id="controls">
<button id="first" type="button">&laquo; start</button>
<button id="back" type="button">&#x25C0; back</button>
<button id="next" type="button">next &#x25B6;</button>
<button id="last" type="button">end &raquo;</button>
<span id="counter"></span>
</div>
<p>Arrow keys step too: &#x2192; next, &#x2190; back.</p>
<div id="caption"></div>
<div id="gradient"></div>
<div id="picture">
{svg}
</div>
<script>
"use strict";
const DATA = {data};
const steps = DATA.steps;
const shown = [];
for (const step of steps) {{
  const group = Array.from(document.querySelectorAll("g.node")).find(
    (g) => g.querySelector("title").textContent === step.node);
  const colour = step.kind === "value" ? "{value}" : "{adjoint}";
  const texts = group ? Array.from(group.querySelectorAll("text")).filter(
    (t) => t.getAttribute("fill") === colour) : [];
  for (const t of texts) {{ t.classList.add("hidden", "step-" + step.kind); }}
  shown.push(texts);
}}
let current = 0;
function readStep() {{
  const match = /step=(\\d+)/.exec(window.location.hash);
  return match ? Math.min(parseInt(match[1], 10), steps.length) : 0;
}}
function render() {{
  shown.forEach((texts, index) => {{
    for (const t of texts) {{
      t.classList.toggle("hidden", index >= current);
      t.classList.toggle("current", index === current - 1);
    }}
  }});
  const step = steps[current - 1];
  const pass = step ? (step.kind === "value" ? "forward pass: " : "reverse pass: ") : "";
  const caption = step ? pass + step.text : "press next or \\u2192";
  document.getElementById("caption").textContent = caption;
  document.getElementById("counter").textContent = "step " + current + " of " + steps.length;
  document.getElementById("gradient").textContent =
    current === steps.length ? "gradient: " + DATA.gradient : "";
}}
function go(step) {{
  current = Math.max(0, Math.min(step, steps.length));
  if (readStep() !== current) {{ history.replaceState(null, "", "#step=" + current); }}
  render();
}}
document.getElementById("first").addEventListener("click", () => go(0));
document.getElementById("back").addEventListener("click", () => go(current - 1));
document.getElementById("next").addEventListener("click", () => go(current + 1));
document.getElementById("last").addEventListener("click", () => go(steps.length));
document.addEventListener("keydown", (event) => {{
  if (event.key === "ArrowRight") {{ go(current + 1); }}
  if (event.key === "ArrowLeft") {{ go(current - 1); }}
}});
window.addEventListener("hashchange", () => go(readStep()));
go(readStep());
</script>
</body>
</html>
"""
