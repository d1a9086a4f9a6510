"""The differential test: random programs, autograph's gradient beside PyTorch's.

PyTorch (float64, its own autograd rules) computes each drawn program node by node
from the same graph; the gradients must agree. Where torch is not installed, the
numeric referee (mpmath at high precision) takes its place. The programs are those of
test_properties.py: every op of the table, shared nodes, reassigned names. The draws
are derandomized, so every run checks the same programs.
"""

from __future__ import annotations

import pytest
from hypothesis import assume, given, settings

import autograph
from autograph.referee import check
from reference_torch import evaluate
from test_properties import FAST, close, graph_and_point, programs, well_conditioned

try:
    import torch
except ImportError:  # pragma: no cover - the referee stands in
    torch = None


def torch_gradient(graph: autograph.Graph, at: dict[str, float]) -> dict[str, float]:
    """PyTorch's float64 gradient of the graph's output at ``at``."""
    assert torch is not None
    point = torch.tensor([at[name] for name in graph.variables], dtype=torch.float64)
    point.requires_grad_(True)
    output = evaluate(torch, graph, point)
    if not output.requires_grad:  # the output depends on no variable
        return dict.fromkeys(graph.variables, 0.0)
    (slopes,) = torch.autograd.grad(output, point)
    return dict(zip(graph.variables, slopes.tolist(), strict=True))


@settings(FAST, max_examples=300)
@given(programs())
def test_the_gradient_of_random_programs_agrees_with_pytorch_or_the_referee(program) -> None:
    graph, at = graph_and_point(*program)
    assume(graph.variables and well_conditioned(graph, at))
    gradient = autograph.backward(graph, at).gradient
    if torch is None:
        result = check(graph, at, tol=1e-9, referee="mpmath", timeout=None)
        assert result.agrees, result.disagreements
        return
    expected = torch_gradient(graph, at)
    scale = max(abs(v) for v in expected.values())
    for name, slope in expected.items():
        assert close(gradient[name], slope, 1e-9, scale), (name, gradient[name], slope)


@pytest.mark.skipif(torch is None, reason="PyTorch is not installed")
def test_the_differential_test_sees_a_wrong_gradient() -> None:
    graph = autograph.parse("sin(x) * y")
    expected = torch_gradient(graph, {"x": 0.5, "y": 2.0})
    assert expected["y"] == pytest.approx(0.479425538604203, rel=1e-15)  # sin(0.5)
    assert expected["x"] == pytest.approx(2 * 0.8775825618903728, rel=1e-15)  # 2 cos(0.5)
