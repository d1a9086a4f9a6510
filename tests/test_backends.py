"""The math backends: every op of the table in every backend, none borrowed from another."""

from __future__ import annotations

import pytest

from autograph import ops
from autograph.backends.formula import FormulaMath
from autograph.backends.mpmath import MpMath, ctx
from autograph.backends.numpy import ArrayMath
from autograph.backends.scalar import ScalarMath
from autograph.plan import CALL, CONSTANT, SELECT, _read

BACKENDS = [ScalarMath, ArrayMath, MpMath, FormulaMath]


@pytest.mark.parametrize("backend", BACKENDS, ids=lambda b: b.__name__)
@pytest.mark.parametrize("op", ops.ALL, ids=lambda op: op.name)
def test_every_backend_has_every_op_of_the_table(backend: type, op: ops.Op) -> None:
    assert callable(getattr(backend, op.name, None)), f"{backend.__name__} lacks {op.name}"


@pytest.mark.parametrize("op", ops.ALL, ids=lambda op: op.name)
def test_the_graph_backend_has_every_op_of_the_table(op: ops.Op) -> None:
    from autograph.backends.graph import GraphMath

    assert callable(getattr(GraphMath, op.name, None)), f"GraphMath lacks {op.name}"


def _functions(backend: type) -> dict[str, object]:
    return {op.name: vars(backend)[op.name].__func__ for op in ops.ALL if op.name in vars(backend)}


@pytest.mark.parametrize(("one", "other"), [(ArrayMath, ScalarMath), (MpMath, ScalarMath)])
def test_no_backend_borrows_a_python_function_written_for_another(one: type, other: type) -> None:
    ours, theirs = _functions(one), _functions(other)
    shared = [
        name
        for name, function in ours.items()
        if function is theirs.get(name)
        and getattr(function, "__module__", "").startswith("autograph")
    ]
    assert shared == []


def test_the_table_names_no_function_a_backend_would_take_from_another_column() -> None:
    # A column left empty must be defined by the backend class itself: filled from nowhere else.
    for op in ops.ALL:
        for backend, column in [(ScalarMath, "scalar"), (ArrayMath, "numpy"), (MpMath, "mpmath")]:
            if not getattr(op, column):
                assert op.name in vars(backend), (backend.__name__, op.name)


def test_fast_path_tags_are_read_from_the_one_declaration() -> None:
    by = ops.BY_NAME
    assert [_read(p) for p in by["sub"].partials] == [(CONSTANT, 1.0), (CONSTANT, -1.0)]
    assert [_read(p) for p in by["exp"].partials] == [(SELECT, 1)]  # the output itself
    assert [_read(p) for p in by["sin"].partials] == [(CALL, None)]
    assert [_read(p) for p in by["sign"].partials] == [(CONSTANT, 0.0)]


def test_the_internal_ops_are_not_part_of_the_language() -> None:
    for op in ops.INTERNAL:
        assert op.internal and op.name not in ops.FUNCTIONS


def test_a_negative_base_has_no_log_even_when_its_power_underflows() -> None:
    assert ScalarMath.pow(-2.0, -2000.0) == 0.0
    with pytest.raises(ValueError):
        ScalarMath.log_abs_base(-2.0, 0.0)
    with pytest.raises(ValueError):
        MpMath.log_abs_base(ctx.mpf(-2), ctx.zero)
    assert ScalarMath.log_abs_base(0.0, 0.0) == 0.0  # 0^b for b > 0 is the constant 0
    assert ScalarMath.log_abs_base(0.5, 0.0) == 0.0  # an underflow of a positive base is fine
