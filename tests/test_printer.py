"""Graph back to text: a node's own operation, and whole programs that parse back to the graph."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings

import autograph
from autograph import InputError
from autograph.language import printer
from strategies import programs

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _graph(source: str) -> autograph.Graph | None:
    try:
        return autograph.parse(source)
    except InputError:
        return None


@SETTINGS
@given(programs())
def test_a_nodes_expression_is_what_the_general_emitter_prints_with_inputs_by_name(
    source: str,
) -> None:
    graph = _graph(source)
    if graph is None:
        return
    names = graph.names
    for node in range(len(graph)):
        general = printer._emit(
            graph, node, lambda child, node=node: names[child] if child != node else None
        )
        assert printer.expression(graph, node) == general


@SETTINGS
@given(programs())
def test_a_printed_program_parses_back_to_the_same_graph(source: str) -> None:
    graph = _graph(source)
    if graph is None:
        return
    again = autograph.parse(printer.program(graph))
    assert [op.name for op in again.ops] == [op.name for op in graph.ops]
    assert again.inputs == graph.inputs and again.output == graph.output


def test_a_node_known_by_a_second_name_is_printed_by_the_name_that_still_denotes_it() -> None:
    # x = -x merges with s0's first node; after s0 is reassigned only x still names it.
    graph = autograph.parse("s0 = -x; s0 = -s0; x = -x; s0 + x")
    again = autograph.parse(printer.program(graph))
    assert again.inputs == graph.inputs
    assert printer.program(graph).splitlines()[-1] == "s0 + x"
