"""The math backend over NumPy arrays of float64: a pass over many samples at once (``--data``)."""

from __future__ import annotations

from typing import Any

import numpy as np

from autograph.ops import fill_backend


def _pow(a: Any, b: Any, out: Any = None) -> Any:
    """a^b; a square is a product and a first power the base itself, both exact."""
    if isinstance(b, float) and b == 2.0:
        return np.multiply(a, a, out=out)
    if isinstance(b, float) and b == 1.0 and out is None:
        return a
    return np.power(a, b, out=out)


def _sigmoid(a: Any, out: Any = None) -> Any:
    """1 / (1 + e^-a) for every a at once, without overflow."""
    try:
        with np.errstate(over="raise"):
            e = np.exp(np.negative(a, out=out), out=out)
    except FloatingPointError:  # some a < -709: e^-a overflows, so use e^a / (1 + e^a) there
        z = np.exp(-np.abs(a))
        return np.divide(np.where(np.greater_equal(a, 0.0), 1.0, z), 1.0 + z, out=out)
    buffer = e if isinstance(e, np.ndarray) else None  # a number for a number
    return np.divide(1.0, np.add(e, 1.0, out=buffer), out=buffer)


def _softplus(a: Any, out: Any = None) -> Any:
    """log(1 + e^a) for every a at once, without overflow."""
    return np.logaddexp(a, 0.0, out=out)


def _share(a: Any, b: Any) -> Any:
    """1 where a wins against b, 0 where it loses, 1/2 at a tie (max and min)."""
    return np.greater(a, b) + 0.5 * np.equal(a, b)


def _pow_slope(a: Any, b: Any) -> Any:
    """d(a^b)/da = b * a^(b - 1); 0 where b = 0, since a^0 is the constant 1 (even at a = 0)."""
    if isinstance(b, float):  # one exponent for every sample, as in (w*x + b - y)^2
        if b == 0.0 or b == 1.0:
            return b
        return np.multiply(a, 2.0) if b == 2.0 else b * np.power(a, b - 1.0)
    zero = np.equal(b, 0.0)
    return np.where(zero, 0.0, b * np.power(np.where(zero, 1.0, a), b - 1.0))


def _log_abs_base(a: Any, out: Any) -> Any:
    """d(a^b)/db = a^b * log(a); 0 where a = 0 and a^b = 0 (0^b, the constant 0 for b > 0).

    The guard looks at the base too: a negative base has no log, however small a^b is.
    """
    zero = np.logical_and(np.equal(out, 0.0), np.equal(a, 0.0))
    return np.multiply(out, np.log(np.where(zero, 1.0, a)))


def _relu(a: Any, out: Any = None) -> Any:
    """max(a, 0) for every a at once."""
    return np.maximum(a, 0.0, out=out)


def _step(a: Any) -> Any:
    """1 where a > 0, else 0: relu's derivative, 0 at the kink as in PyTorch."""
    return np.heaviside(a, 0.0)


class ArrayMath:
    """The math backend over NumPy arrays of float64: one function per name of ``ScalarMath``.

    Forward functions take ``out=`` to write into a reused buffer. A function may
    return its input itself (``pow(a, 1.0)``) but never a view of it.
    """

    # The NumPy functions the op table names (its ``numpy`` column) are set below by
    # fill_backend; these are the ones it cannot name.
    pow = staticmethod(_pow)
    sigmoid = staticmethod(_sigmoid)
    softplus = staticmethod(_softplus)
    relu = staticmethod(_relu)
    step = staticmethod(_step)
    sign = staticmethod(np.sign)
    share = staticmethod(_share)
    pow_slope = staticmethod(_pow_slope)
    log_abs_base = staticmethod(_log_abs_base)


fill_backend(ArrayMath, "numpy", np)
