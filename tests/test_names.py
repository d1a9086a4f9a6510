"""Names: one rule (graph.names) for every output; a program's own names are kept."""

from __future__ import annotations

from typing import Any

import autograph
from autograph.explain import explain, to_lines
from autograph.pictures import draw


def test_a_name_given_again_gets_primes_then_a_count() -> None:
    graph = autograph.parse("t = x\n" + "t = sin(t)\n" * 6)
    # The first t is x (t = x), so the first new node is the second t: t'.
    assert graph.names == ["x", "t'", "t''", "t'''", "t⁽⁴⁾", "t⁽⁵⁾", "t⁽⁶⁾"]
    assert graph.aliases == {0: ["t"]}


def test_ten_thousand_reassignments_keep_every_name_short_and_distinct() -> None:
    graph = autograph.parse("t = x\n" + "t = sin(t)\n" * 10_000)
    names = graph.names
    assert len(set(names)) == len(names) == 10_001
    assert names[-1] == "t⁽¹⁰⁰⁰⁰⁾" and max(map(len, names)) == len("t⁽¹⁰⁰⁰⁰⁾")


def test_a_named_number_keeps_its_name_in_the_table(run: Any) -> None:
    out = run("grad", "k = 2; y = k*x", "--at", "x=3").stdout
    lines = out.splitlines()
    assert lines[1].split() == ["0", "k", "constant", "2", "—"]
    assert "k * x" in out and "2 * x" not in out


def test_a_named_number_keeps_its_name_in_explain_and_the_dot_picture() -> None:
    graph = autograph.parse("k = 2; y = k*x")
    text = [line for line, _ in to_lines(explain(graph, {"x": 3}))]
    assert "  k = 2" in text and "  y = k * x = 2 * 3 = 6" in text
    dot = draw(graph, {"x": 3}, format="dot")
    assert isinstance(dot, str)
    assert '<font color="#555555">k</font>' in dot and "<b>y</b><br/>k * x" in dot


def test_a_later_literal_does_not_share_a_named_numbers_node() -> None:
    graph = autograph.parse("k = 2; y = k*x^2")
    assert graph.names[:2] == ["k", "x"]
    assert "2" in graph.names  # the exponent is the number 2, not k


def test_a_number_written_before_it_is_named_stays_as_it_was() -> None:
    graph = autograph.parse("y = x^2; k = 2; k*y")
    assert graph.names == ["x", "2", "y", "k", "t1"]


def test_grad_of_a_program_that_only_names_a_number_shows_its_name(run: Any) -> None:
    out = run("grad", "x = 3").stdout
    assert "value     x = 3" in out
    assert out.splitlines()[1].split()[:3] == ["0", "x", "(output)"]


def test_a_node_several_names_denote_shows_the_first_and_lists_the_others(run: Any) -> None:
    graph = autograph.parse("c = w*x; d = c; y = w; d + y")
    assert graph.name_with_aliases(2) == "c (also d)"
    assert graph.name_with_aliases(0) == "w (also y)"
    out = run("eval", "c = w*x; d = c; y = w; d + y", "--at", "w=2,x=3").stdout
    assert "c (also d)" in out and "w (also y)" in out


def test_the_unnamed_output_has_the_same_name_in_grad_diff_and_explain(run: Any) -> None:
    grad = run("grad", "x*y", "--at", "x=1,y=2").stdout
    diff = run("diff", "x*y").stdout
    text = run("explain", "x*y", "--at", "x=1,y=2").stdout
    assert "∂t1/∂x = 2" in grad
    assert diff.startswith("∂t1/∂x = y")
    assert "dt1/dx" in text
