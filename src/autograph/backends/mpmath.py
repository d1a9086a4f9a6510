"""The math backend over mpmath numbers, at the numeric referee's working precision."""

from __future__ import annotations

from typing import Any

import mpmath

from autograph.ops import fill_backend

DIGITS = 50
"""Working precision, in significant decimal digits."""

ctx = mpmath.MPContext()
ctx.dps = DIGITS


class MpMath:
    """The math backend over mpmath numbers (the referee's context, ``ctx``).

    The mpmath functions the op table names (its ``mpmath`` column) are set below
    by ``fill_backend``; these are the ones mpmath does not have.
    """

    @staticmethod
    def log2(a: Any) -> Any:
        """The base-2 logarithm."""
        return ctx.log(a, 2)

    @staticmethod
    def cbrt(a: Any) -> Any:
        """The real cube root, negative arguments included (mpmath's is the principal root)."""
        root = ctx.cbrt(abs(a))
        return -root if a < 0 else root

    @staticmethod
    def sigmoid(a: Any) -> Any:
        """1 / (1 + e^-a)."""
        return 1 / (1 + ctx.exp(-a))

    @staticmethod
    def softplus(a: Any) -> Any:
        """log(1 + e^a)."""
        return ctx.log1p(ctx.exp(a))

    @staticmethod
    def relu(a: Any) -> Any:
        """max(a, 0)."""
        return a if a > 0 else ctx.zero

    @staticmethod
    def step(a: Any) -> Any:
        """1 where a > 0, else 0 (relu's derivative)."""
        return ctx.one if a > 0 else ctx.zero

    @staticmethod
    def sign(a: Any) -> Any:
        """-1, 0 or 1 (abs's derivative)."""
        return ctx.mpf(ctx.sign(a))

    @staticmethod
    def share(a: Any, b: Any) -> Any:
        """1 where a wins against b, 0 where it loses, 1/2 at a tie (max and min)."""
        return ctx.one if a > b else ctx.mpf(0.5) if a == b else ctx.zero

    @staticmethod
    def pow_slope(a: Any, b: Any) -> Any:
        """d(a^b)/da = b * a^(b - 1); 0 where b = 0."""
        return ctx.zero if b == 0 else b * ctx.power(a, b - 1)

    @staticmethod
    def log_abs_base(a: Any, out: Any) -> Any:
        """d(a^b)/db = a^b * log(a); 0 where a = 0 and a^b = 0. A negative base raises."""
        if out == 0 and a == 0:
            return ctx.zero
        if a < 0:
            raise ValueError("the log of a negative base is not real")
        return out * ctx.ln(a)


fill_backend(MpMath, "mpmath", ctx)
