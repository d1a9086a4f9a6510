"""The math backend over Python floats (IEEE float64): what ``eval`` and ``grad`` run."""

from __future__ import annotations

import math

from autograph.ops import fill_backend


class ScalarMath:
    """The math backend over Python floats (IEEE float64).

    Every op's forward function comes from the op table (its ``scalar`` column),
    set below by ``fill_backend``; the functions here are those no library has.
    Operators are the operator module's C functions, not lambdas: the forward pass
    calls one per node, and a C call costs a third of a Python one.
    """

    @staticmethod
    def sigmoid(a: float) -> float:
        """1 / (1 + e^-a), computed without overflow for any finite a."""
        if a >= 0:
            return 1.0 / (1.0 + math.exp(-a))
        z = math.exp(a)
        return z / (1.0 + z)

    @staticmethod
    def softplus(a: float) -> float:
        """log(1 + e^a), computed without overflow for any finite a."""
        return max(a, 0.0) + math.log1p(math.exp(-abs(a)))

    @staticmethod
    def relu(a: float) -> float:
        """max(a, 0)."""
        return a if a > 0 else 0.0

    @staticmethod
    def step(a: float) -> float:
        """1 where a > 0, else 0: relu's derivative, 0 at the kink as in PyTorch."""
        return 1.0 if a > 0 else 0.0

    @staticmethod
    def sign(a: float) -> float:
        """-1, 0 or 1: abs's derivative, 0 at the kink as in PyTorch."""
        return (a > 0) - (a < 0) + 0.0

    @staticmethod
    def share(a: float, b: float) -> float:
        """1 where a wins against b, 0 where it loses, 1/2 at a tie (max and min)."""
        return 1.0 if a > b else 0.5 if a == b else 0.0

    @staticmethod
    def pow_slope(a: float, b: float) -> float:
        """d(a^b)/da = b * a^(b - 1); 0 where b = 0, since a^0 is the constant 1 (even at a = 0)."""
        return 0.0 if b == 0.0 else b * math.pow(a, b - 1.0)

    @staticmethod
    def log_abs_base(a: float, out: float) -> float:
        """d(a^b)/db = a^b * log(a); 0 where a = 0 and a^b = 0 (0^b is the constant 0 for b > 0).

        The guard looks at the base too, not only the value: (-2)^-2000 underflows
        to 0, but the log of its negative base is still undefined, so this raises.
        """
        if out == 0.0 and a == 0.0:
            return 0.0
        return out * math.log(a)


fill_backend(ScalarMath, "scalar")
