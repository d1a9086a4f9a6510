"""The math backend over formulas: the op table's derivatives as the text ``explain`` prints.

Run over ``formulas.Expr`` values, a derivative declaration such as
``lambda m, a, b, out: -out / b`` builds the formula ``-a / b^2`` (the output is
given as the op applied to its inputs, and arithmetic on ``Expr`` simplifies).
An op of the language becomes a call of that name, ``cos(a)``; an internal op is
written out as a teacher writes it: pow's slope as ``b * a^(b - 1)``, relu's step
as the Iverson bracket ``[a > 0]``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from autograph.formulas import Expr, apply, call, lift
from autograph.ops import ALL, Op


class FormulaMath:
    """The math backend over ``Expr``: each op builds its formula."""

    @staticmethod
    def step(a: Any) -> Expr:
        """relu's derivative, the bracket ``[a > 0]``."""
        return call("greater", lift(a), lift(0.0))

    @staticmethod
    def share(a: Any, b: Any) -> Expr:
        """max's derivative, ``[a > b] + [a = b] / 2``."""
        a, b = lift(a), lift(b)
        return call("greater", a, b) + call("equal", a, b) / 2

    @staticmethod
    def pow_slope(a: Any, b: Any) -> Expr:
        """d(a^b)/da, ``b * a^(b - 1)``."""
        return lift(b) * lift(a) ** (lift(b) - 1)

    @staticmethod
    def log_abs_base(a: Any, out: Any) -> Expr:
        """d(a^b)/db, ``a^b * log(a)``."""
        return lift(out) * call("log", lift(a))


def _applied(op: Op) -> Callable[..., Expr]:
    return lambda *args: apply(op, *(lift(arg) for arg in args))


for _op in ALL:
    if _op.name not in vars(FormulaMath):
        setattr(FormulaMath, _op.name, staticmethod(_applied(_op)))


def derivative(op: Op, index: int, args: tuple[Expr, ...]) -> Expr:
    """The op's local partial derivative with respect to input ``index``, as a formula."""
    out = apply(op, *args)
    return lift(op.partials[index](FormulaMath, *args, out))
