"""The passes' fast loops agree with the plainest reading of the op table.

The reverse pass takes some partial derivatives without calling them (a constant
such as d(a+b)/da = 1, or an input's value such as d(a*b)/da = b), found by
reading the partial's code. These tests hold it to the straightforward
algorithm: call every partial the op table gives, edge by edge.
"""

from __future__ import annotations

import math
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import autograph
from autograph import AutographError, ops
from autograph.ops import ScalarMath
from autograph.plan import CALL, CONSTANT, SELECT, _read
from strategies import programs


@pytest.mark.parametrize("op", ops.OPS, ids=lambda op: op.name)
def test_a_partial_read_as_a_constant_or_an_input_is_what_calling_it_gives(op: ops.Op) -> None:
    rng = random.Random(op.name)
    for index, partial in enumerate(op.partials):
        how, what = _read(partial)
        for _ in range(20):
            arguments = [rng.uniform(0.1, 0.9) for _ in range(op.arity + 1)]  # inputs, out
            called = partial(ScalarMath, *arguments)
            if how == CONSTANT:
                assert called == what, (op.name, index)
            elif how == SELECT:
                assert called == arguments[what], (op.name, index)
            else:
                assert how == CALL


def test_the_partials_of_add_and_mul_are_declared_constants_and_arguments() -> None:
    add, mul = ops.BY_NAME["add"], ops.BY_NAME["mul"]
    assert [_read(p) for p in add.partials] == [(CONSTANT, 1.0), (CONSTANT, 1.0)]
    assert [_read(p) for p in mul.partials] == [(SELECT, 1), (SELECT, 0)]  # b, then a


def plain_backward(graph: autograph.Graph, at: dict[str, float], wrt: list[str]) -> tuple:
    """The textbook reverse pass: every needed partial called from the op table."""
    values = autograph.forward(graph, at).values
    size = len(graph)
    depends = [False] * size
    for name in wrt:
        depends[graph.variables[name]] = True
    for node in range(size):
        depends[node] = depends[node] or any(depends[arg] for arg in graph.inputs[node])
    reached = [False] * size
    reached[graph.output] = True
    for node in range(size - 1, -1, -1):
        if reached[node]:
            for arg in graph.inputs[node]:
                reached[arg] = True
    adjoints = [0.0 if depends[n] and reached[n] else None for n in range(size)]
    partials: list[tuple] = [(None,) * len(args) for args in graph.inputs]
    if adjoints[graph.output] is not None:
        adjoints[graph.output] = 1.0
    for node in range(size - 1, -1, -1):
        adjoint, args = adjoints[node], graph.inputs[node]
        if adjoint is None or not args:
            continue
        arg_values = [values[arg] for arg in args]
        local = []
        for index, arg in enumerate(args):
            if adjoints[arg] is None:
                local.append(None)
                continue
            partial = graph.ops[node].partials[index](ScalarMath, *arg_values, values[node])
            local.append(partial)
            adjoints[arg] += adjoint * partial
        partials[node] = tuple(local)
    return adjoints, partials


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(programs(), st.data())
def test_the_reverse_pass_matches_the_textbook_one_for_any_program_and_wrt(
    source: str, data: st.DataObject
) -> None:
    try:
        graph = autograph.parse(source)
    except AutographError:
        return
    names = list(graph.variables)
    at = {name: data.draw(st.sampled_from([-1.5, -0.5, 0.25, 0.5, 2.0])) for name in names}
    wrt = data.draw(st.lists(st.sampled_from(names), unique=True)) if names else []
    try:
        fast = autograph.backward(graph, at, wrt)
        adjoints, partials = plain_backward(graph, at, wrt)
    except AutographError:
        return
    assert len(fast.adjoints) == len(adjoints)
    for mine, theirs in zip(fast.adjoints, adjoints, strict=True):
        assert (mine is None) == (theirs is None)
        assert mine is None or math.isclose(mine, theirs, rel_tol=1e-12, abs_tol=1e-300)
    assert fast.partials == partials


@pytest.mark.parametrize("source", ["-((0)); -((0))", "-3; -3; x*-3", "-x; -(2); x - -2"])
def test_a_negated_literal_taken_back_leaves_no_trace_in_the_passes_lists(source: str) -> None:
    graph = autograph.parse(source)
    at = dict.fromkeys(graph.variables, 1.5)
    result = autograph.backward(graph, at)
    assert len(result.adjoints) == len(result.partials) == len(graph)
    assert len(graph.plan.live) == len(graph)
