"""The block JSON writer writes exactly the bytes of the per-node dictionaries' JSON.

``report.write`` formats nodes column by column, in blocks; the reference is
``dumps(to_dict(...))``, which builds one dictionary per node and lets the
standard library's encoder write it. Both are compared byte for byte and as
parsed JSON, on random programs and on the edge cases of the encoding.
"""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import autograph
from autograph import report
from autograph.errors import AutographError
from autograph.evaluate import Forward
from strategies import programs


def written(result: Forward, **extra: Any) -> str:
    stream = io.StringIO()
    report.write(result, stream, **extra)
    return stream.getvalue()


def assert_same_as_dictionaries(result: Forward, **extra: Any) -> None:
    expected = report.dumps(report.to_dict(result, **extra)) + "\n"
    text = written(result, **extra)
    assert json.loads(text) == json.loads(expected)
    assert text == expected


def results(source: str, at: dict[str, float]) -> list[Forward]:
    graph = autograph.parse(source)
    point = {name: at.get(name, 0.7) for name in graph.variables}
    return [autograph.forward(graph, point), autograph.backward(graph, point)]


@pytest.fixture(params=[1, 3, 4096], ids=["blocks-of-1", "blocks-of-3", "blocks-of-4096"])
def block(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> int:
    size: int = request.param
    monkeypatch.setattr(report, "BLOCK", size)
    return size


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(source=programs(), x=st.floats(-3, 3), extra=st.booleans())
def test_random_programs_are_written_byte_for_byte_as_the_dictionaries_are(
    block: int, source: str, x: float, extra: bool
) -> None:
    try:
        found = results(source, {"x": x})
    except AutographError:
        assume(False)
        return
    for result in found:
        if extra:
            assert_same_as_dictionaries(result, samples=3, reduce="mean")
        else:
            assert_same_as_dictionaries(result)


@pytest.mark.parametrize(
    "source, at",
    [
        ("a = x; a = a + 1; a = a * 2; a = a - 3; a = a / 5; a = a^2", {"x": 2.0}),  # a⁽⁴⁾
        ("y = -0.0 * x + 0 * x", {"x": 3.0}),  # -0.0 values and partials
        ("1e300 * x * 1e-300 + 5e-324 * x", {"x": 1e8}),  # huge and subnormal numbers
        ("x^2 + 1.2345678901234567 * x - 0.1", {"x": 1.0000000000000002}),  # every digit
        ("max(x, y) + relu(-x) + abs(y)", {"x": 1.0, "y": -2.0}),  # masked partials
        ("k = 2; k2 = k; f = k * k2 * x", {"x": 1.5}),  # named numbers and aliases
        ("f = x", {"x": -0.0}),
    ],
)
def test_edge_cases_are_written_byte_for_byte_as_the_dictionaries_are(
    block: int, source: str, at: dict[str, float]
) -> None:
    for result in results(source, at):
        assert_same_as_dictionaries(result, check={"agrees": True, "note": 'é ⁽⁴⁾ "q"'})


def test_a_name_beyond_three_primes_is_escaped_as_the_standard_encoder_escapes_it() -> None:
    text = written(results("a = x; a = a + 1; a = a * 2; a = a - 3; a = a / 5", {"x": 1})[1])
    assert "\\u207d\\u2074\\u207e" in text  # a⁽⁴⁾
    assert text.isascii()


def test_numbers_that_are_not_floats_are_written_as_the_standard_encoder_writes_them(
    block: int,
) -> None:
    result = results("x * 2 + 1", {"x": 1.0})[1]
    values: list[Any] = list(result.values)
    values[0] = 3  # an int, and a float subclass with a repr of its own
    values[1] = type("Wrapped", (float,), {"__repr__": lambda self: "Wrapped"})(2.5)
    odd = type(result)(result.graph, values, result.wrt, result.adjoints, result.partials)
    assert_same_as_dictionaries(odd)


def test_a_non_finite_number_is_refused_as_dumps_refuses_it(block: int) -> None:
    result = results("x * 2", {"x": 1.0})[1]
    values = [float("nan"), *result.values[1:]]
    broken = type(result)(result.graph, values, result.wrt, result.adjoints, result.partials)
    with pytest.raises(ValueError, match="JSON compliant"):
        report.dumps(report.to_dict(broken))
    with pytest.raises(ValueError, match="JSON compliant"):
        written(broken)
