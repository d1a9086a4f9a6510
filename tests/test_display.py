"""Results display themselves in notebooks (IPython's display protocol), and repr stays short."""

from __future__ import annotations

import threading
import time

import pytest

import autograph
from autograph import display, pictures
from autograph.explain import explain

REGRESSION = "c = w*x; f = c + b; d = f - y; J = 0.5*d^2"
POINT = {"w": 3.0, "b": 1.0, "x": -3.0, "y": 5.0}


def test_repr_of_a_9000_node_result_is_one_short_line() -> None:
    program = "\n".join(["a0 = x"] + [f"a{i} = sin(a{i - 1}) + x" for i in range(1, 4501)])
    result = autograph.backward(autograph.parse(program), {"x": 0.5})
    assert len(result.graph) >= 9000
    text = repr(result)
    assert "\n" not in text and len(text) < 120
    assert text.startswith("<Backward: 9,00") and "gradient {x: " in text
    assert repr(result.graph).startswith("<Graph: 9,00")


def test_a_backward_result_bundles_an_html_table_with_the_gradient() -> None:
    result = autograph.backward(autograph.parse(REGRESSION), POINT, ["w", "b"])
    data = result._repr_mimebundle_()
    assert data["text/plain"] == "<Backward: 11 nodes, J = 84.5, gradient {w: 39, b: -13}>"
    html = data["text/html"]
    assert "<th>adjoint</th>" in html and "<td>39</td>" in html
    assert "∂J/∂w = 39" in html and "∂J/∂b = -13" in html
    assert result._repr_html_() == html


def test_a_check_bundles_both_tables_and_the_verdict() -> None:
    from autograph.referee import check

    checked = check(autograph.parse(REGRESSION), POINT, ["w", "b"])
    html = display.bundle(checked)["text/html"]
    assert "<th>reverse mode</th>" in html and '<td class="text">∂J/∂w</td>' in html
    assert "agree within the relative tolerance" in html
    assert repr(checked) == "<Check: sympy, reverse mode agrees, 2 variables>"


def test_a_graph_shows_mermaid_when_no_layout_engine_is_found(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("autograph.pictures.render.find_engine", lambda: None)
    data = autograph.parse("h = x + 5; f = h^2")._repr_mimebundle_()
    assert "image/svg+xml" not in data
    assert data["text/markdown"].startswith("```mermaid\nflowchart LR\n")
    assert pictures.picture(autograph.parse("x^2"), {"x": 3}).format == "mermaid"


def test_an_explanation_is_markdown_with_latex() -> None:
    explanation = explain(autograph.parse("h = x + 5; g = h^3 + 1; f = g^2"), {"x": -3})
    markdown = explanation._repr_markdown_()
    assert markdown is not None and r"\frac{\partial f}{\partial h}" in markdown
    assert repr(explanation) == "<Explanation of f = 81>"


def test_sympys_time_budget_stops_work_outside_the_main_thread() -> None:
    from autograph.symbolic import SymbolicLimit, within_budget

    def endless() -> int:
        while True:
            sum(range(100))

    outcome: dict[str, object] = {}

    def work() -> None:
        start = time.monotonic()
        try:
            within_budget(0.2, endless)
        except SymbolicLimit as limit:
            outcome["kind"] = limit.kind
        outcome["seconds"] = time.monotonic() - start
        outcome["after"] = within_budget(0.2, lambda: 42)

    thread = threading.Thread(target=work)
    thread.start()
    thread.join(10)
    assert outcome["kind"] == "timeout"
    assert 0.2 <= float(str(outcome["seconds"])) < 3
    assert outcome["after"] == 42
