"""Every op of the language at negative, zero, edge-of-domain and large arguments.

Each op is probed on a grid far wider than (0, 1): -1e10 to 1e10, subnormal-small
values, both sides of 0, the edges of asin's and log1p's domains, overflow. The
references are SymPy (the formula evaluated exactly at the float64 point, with
the point written out to 1000 digits, so no cancellation in ``log(1 + x)`` fools it) and,
where installed, PyTorch's float64 autograd. The rules:

- where SymPy's value and every partial derivative are finite real numbers,
  autograph gives them to 1e-12 (relative);
- where one is not (a complex value, an infinite slope, 0/0), autograph stops
  with a ``MathError``, except where a documented convention gives a number:
  ``0^b`` has slope 0 in b for b > 0 (as in PyTorch);
- at a kink (relu and abs at 0, a tie of max or min) the derivative follows
  PyTorch: 0 for relu and abs, the gradient split equally for max and min;
- where autograph gives numbers, PyTorch gives the same numbers.
"""

from __future__ import annotations

import itertools
import math

import pytest
import sympy as sp

import autograph
from autograph import MathError, ops
from autograph.referee.kinks import SWITCHES
from autograph.symbolic import symbols, to_sympy
from reference_torch import torch_op

UNARY_GRID = [-1e10, -800.0, -8.0, -1.0, -0.5, -1e-300, 0.0, 1e-300, 0.5, 1.0, 8.0, 800.0, 1e10]
BINARY_GRID = [-1e10, -8.0, -0.5, 0.0, 0.5, 3.0, 1e10]
POWER_GRID = [-8.0, -0.5, 0.0, 0.5, 3.0, 700.0]
"""pow's grid stops at 700 (3^700 overflows float64): SymPy raises exact powers exactly."""

KINK_SLOPES = {"relu": (0.0,), "abs": (0.0,), "max": (0.5, 0.5), "min": (0.5, 0.5)}
"""PyTorch's derivatives at the kinks."""


def _program(op: ops.Op) -> str:
    if op.is_function:
        return f"{op.name}({', '.join(['x', 'y'][: op.arity])})"
    return f"{op.symbol}x" if op.arity == 1 else f"x {op.symbol} y"


def _points(op: ops.Op) -> list[tuple[float, ...]]:
    if op.arity == 1:
        return [(value,) for value in UNARY_GRID]
    grid = POWER_GRID if op.name == "pow" else BINARY_GRID
    return list(itertools.product(grid, repeat=2))


DIGITS = 1000
"""SymPy evaluates at the float64 point written out to this many digits: enough that
log(1 + 1e-300) and exp(-1e-300) - 1 lose nothing to cancellation."""


def _finite(number: sp.Basic) -> float | None:
    value = number.evalf(30)
    if not value.is_number:
        return None
    real, imaginary = value.as_real_imag()
    try:
        re_value, im_value = float(real), float(imaginary)
    except (TypeError, ValueError):
        return None
    if not math.isfinite(re_value) or im_value != 0:
        return None
    return re_value


def _sympy(graph: autograph.Graph, args: tuple[float, ...]) -> list[float | None]:
    """SymPy's value and partial derivatives at the float64 point, evaluated to 1000 digits."""
    names = symbols(graph)
    function = to_sympy(graph, "binary")
    point = {names[name]: sp.Float(value, DIGITS) for name, value in zip(names, args, strict=True)}
    expressions = [function, *(sp.diff(function, names[name]) for name in names)]
    return [_finite(expression.subs(point).evalf(DIGITS)) for expression in expressions]


def _torch(op: ops.Op, args: tuple[float, ...]) -> list[float] | None:
    torch = pytest.importorskip("torch")
    inputs = [torch.tensor(value, dtype=torch.float64, requires_grad=True) for value in args]
    out = torch_op(op.name)(torch, *inputs)
    grads = torch.autograd.grad(out, inputs, allow_unused=True)
    return [float(out.detach()), *(0.0 if grad is None else float(grad) for grad in grads)]


def _close(a: float, b: float, absolute: float = 0.0) -> bool:
    return abs(a - b) <= 1e-12 * max(abs(a), abs(b)) + absolute or a == b


def _at_kink(op: ops.Op, args: tuple[float, ...]) -> bool:
    return op.name in SWITCHES and SWITCHES[op.name](*args) == 0


def _convention(op: ops.Op, args: tuple[float, ...]) -> bool:
    """``0^b`` for b > 0: the constant 0 in b, so its slope in b is 0 (log(0) is not needed)."""
    return op.name == "pow" and args[0] == 0 and args[1] > 0


def _by_convention(args: tuple[float, ...]) -> list[float] | None:
    """``0^b``, b > 0: value 0, slope b 0^(b - 1) in a (infinite for b < 1: refused), 0 in b."""
    b = args[1]
    return [0.0, b * 0.0 ** (b - 1), 0.0] if b >= 1 else None


def _autograph(op: ops.Op, args: tuple[float, ...]) -> list[float] | None:
    graph = autograph.parse(_program(op))
    at = dict(zip(graph.variables, args, strict=True))
    try:
        result = autograph.backward(graph, at)
    except MathError:
        return None
    return [result.value, *result.gradient.values()]


@pytest.mark.parametrize("op", ops.OPS, ids=lambda op: op.name)
def test_every_op_agrees_with_sympy_far_outside_zero_to_one(op: ops.Op) -> None:
    graph = autograph.parse(_program(op))
    for args in _points(op):
        ours = _autograph(op, args)
        exact = _sympy(graph, args)
        if _at_kink(op, args):
            assert ours is not None and ours[0] == exact[0], (op.name, args)
            assert tuple(ours[1:]) == KINK_SLOPES[op.name], (op.name, args, ours)
        elif all(value is not None for value in exact):
            assert ours is not None, (op.name, args, "refused, but SymPy has", exact)
            for got, expected in zip(ours, exact, strict=True):
                assert expected is not None and _close(got, expected), (op.name, args, ours, exact)
        elif _convention(op, args):
            assert ours == _by_convention(args), (op.name, args, ours)
        else:
            assert ours is None, (op.name, args, "gave", ours, "but SymPy has", exact)


@pytest.mark.parametrize("op", ops.OPS, ids=lambda op: op.name)
def test_every_op_agrees_with_pytorch_wherever_it_gives_numbers(op: ops.Op) -> None:
    pytest.importorskip("torch")
    for args in _points(op):
        ours = _autograph(op, args)
        if ours is None:
            continue
        theirs = _torch(op, args)
        assert theirs is not None
        for got, expected in zip(ours, theirs, strict=True):
            # PyTorch's own formulas cancel (tanh' = 1 - tanh^2): its error is up to eps absolute.
            assert _close(got, expected, 1e-15), (op.name, args, ours, theirs)


def test_cbrt_is_the_real_cube_root_with_its_derivative() -> None:
    result = autograph.backward(autograph.parse("cbrt(x)"), {"x": -8})
    assert result.value == -2.0
    assert result.gradient["x"] == pytest.approx(1 / 12, rel=1e-15)
    with pytest.raises(MathError):  # the slope at 0 is infinite
        autograph.backward(autograph.parse("cbrt(x)"), {"x": 0})


def test_expm1_and_log1p_keep_the_digits_near_zero() -> None:
    tiny = 1e-17
    assert autograph.forward(autograph.parse("expm1(x)"), {"x": tiny}).value == tiny
    assert autograph.forward(autograph.parse("log1p(x)"), {"x": tiny}).value == tiny
    assert autograph.forward(autograph.parse("exp(x) - 1"), {"x": tiny}).value == 0.0


def test_atan2_and_hypot_neither_overflow_nor_underflow_in_their_derivatives() -> None:
    for scale in (1e-200, 1e200):
        result = autograph.backward(autograph.parse("atan2(y, x)"), {"y": scale, "x": scale})
        assert result.value == pytest.approx(math.pi / 4, rel=1e-15)
        assert result.gradient["x"] == pytest.approx(-0.5 / scale, rel=1e-15)
        assert result.gradient["y"] == pytest.approx(0.5 / scale, rel=1e-15)
        result = autograph.backward(
            autograph.parse("hypot(a, b)"), {"a": 3 * scale, "b": 4 * scale}
        )
        assert result.value == pytest.approx(5 * scale, rel=1e-15)
        assert result.gradient == pytest.approx({"a": 0.6, "b": 0.8}, rel=1e-15)
