"""The op table: every operation autograph knows, declared once.

Each entry says how the operation is written (symbol, precedence), how it is
computed (its forward function in each math backend), how it is differentiated,
what its SymPy counterpart is, and where it is defined. The parser, the
evaluators, the referee, the pictures and the explanations all read this table:
adding a function is one entry here.

A local derivative is declared once, as an expression in autograph's own
operations over the op's inputs and its output, as tinygrad and HIPS/autograd
write theirs: ``sin: lambda m, a, out: m.cos(a)``. ``m`` is a *math backend*, a
class with a function per op name, and the values support ``+ - * / **``. The
same line is run over floats (``backends.scalar``, the fast reverse pass), NumPy
arrays (``backends.numpy``, ``--data``), mpmath numbers (``backends.mpmath``, the
referee), formulas (``backends.formula``, what ``explain`` prints) and graph
nodes (``backends.graph``, the gradient as a graph, so derivatives of any order).

Derivatives that need an operation the language does not have use an
*internal* op (``sign``, ``step``, ``share``, ``pow_slope``, ``log_abs_base``):
declared here like any other, with its own derivatives, but not callable by users.

Scalar forward functions may raise ``ValueError``, ``ZeroDivisionError`` or
``OverflowError`` outside their domain; the evaluator turns those into a
``MathError`` that names the node. Partials are only called for inputs that
need a gradient, so ``d(a^b)/db`` is never asked for when ``b`` is a constant.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

# Binding strength when printing; higher binds tighter.
SUM, PRODUCT, UNARY, POWER, ATOM = 1, 2, 3, 4, 5

Partial = Callable[..., Any]
"""``partial(m, *inputs, out)``: one local derivative, over math backend ``m``."""
Column = Callable[..., Any] | str
"""A backend's forward function for an op: the function itself, or its name in the
backend's library; "" where the backend class defines the op itself."""


@dataclass(frozen=True, slots=True, eq=False)
class Op:
    """One operation: how it is written, computed and differentiated."""

    name: str
    """The op's name in JSON output and in the language (for functions)."""
    arity: int
    symbol: str
    """Infix symbol (``+``) for operators, the function name for functions."""
    precedence: int
    partials: tuple[Partial, ...]
    """``partials[k](m, *inputs, out)``: d(out)/d(input k), one per input, over backend ``m``."""
    sympy: Callable[..., Any]
    """``sympy(sp, *inputs)``: the SymPy expression, given the sympy module."""
    domain: str = ""
    """What the inputs must satisfy, said to the user when they do not."""
    kink: str = ""
    """Where the op is not differentiable and which convention autograph follows."""
    scalar: Column = ""
    """The forward function over floats (``math.sin``); "" where ``ScalarMath`` defines it."""
    numpy: Column = ""
    """The NumPy function of the same meaning (``"arcsin"``); "" where ``ArrayMath`` defines it."""
    mpmath: Column = ""
    """The mpmath function (``"asin"``); "" where ``MpMath`` defines it."""
    internal: bool = False
    """True for ops only derivatives use (``sign``, ``step``): not part of the language."""
    masks: bool = False
    """True where a partial that is exactly 0 means the input was not selected (max chose
    the other one, relu's input is negative): nothing flows through it, whatever stands on
    either side, as PyTorch masks it. A 0 of arithmetic (3x^2 at x = 0) does not mask."""

    def forward(self, m: type) -> Callable[..., Any]:
        """The op's forward function in math backend ``m``: the backend's function of that name."""
        function: Callable[..., Any] = getattr(m, self.name)
        return function

    @property
    def is_function(self) -> bool:
        """True for ops written as calls, ``sin(x)``, rather than with a symbol."""
        return self.precedence == ATOM and self.arity > 0


def _op(
    name: str,
    arity: int,
    partials: tuple[Partial, ...],
    sympy: Callable[..., Any],
    domain: str = "",
    *,
    symbol: str = "",
    precedence: int = ATOM,
    kink: str = "",
    scalar: Column = "",
    numpy: Column = "",
    mpmath: Column = "",
    internal: bool = False,
    masks: bool = False,
) -> Op:
    return Op(
        name,
        arity,
        symbol or name,
        precedence,
        partials,
        sympy,
        domain,
        kink,
        scalar,
        numpy,
        mpmath,
        internal,
        masks,
    )


_POW_DOMAIN = "a^b needs a > 0, or an integer b (and b > 0 when a = 0)"

# fmt: off
OPS: tuple[Op, ...] = (
    _op("add", 2, (lambda m, a, b, out: 1.0, lambda m, a, b, out: 1.0),
        lambda sp, a, b: a + b, symbol="+", precedence=SUM,
        scalar=operator.add, numpy="add", mpmath=operator.add),
    _op("sub", 2, (lambda m, a, b, out: 1.0, lambda m, a, b, out: -1.0),
        lambda sp, a, b: a - b, symbol="-", precedence=SUM,
        scalar=operator.sub, numpy="subtract", mpmath=operator.sub),
    _op("mul", 2, (lambda m, a, b, out: b, lambda m, a, b, out: a),
        lambda sp, a, b: a * b, symbol="*", precedence=PRODUCT,
        scalar=operator.mul, numpy="multiply", mpmath=operator.mul),
    _op("div", 2, (lambda m, a, b, out: 1.0 / b, lambda m, a, b, out: -out / b),
        lambda sp, a, b: a / b, "the divisor must not be zero", symbol="/", precedence=PRODUCT,
        scalar=operator.truediv, numpy="divide", mpmath=operator.truediv),
    _op("neg", 1, (lambda m, a, out: -1.0,),
        lambda sp, a: -a, symbol="-", precedence=UNARY,
        scalar=operator.neg, numpy="negative", mpmath=operator.neg),
    _op("pow", 2,
        (lambda m, a, b, out: m.pow_slope(a, b), lambda m, a, b, out: m.log_abs_base(a, out)),
        lambda sp, a, b: a**b, _POW_DOMAIN, symbol="^", precedence=POWER,
        scalar=math.pow, mpmath="power"),
    _op("sin", 1, (lambda m, a, out: m.cos(a),), lambda sp, a: sp.sin(a),
        scalar=math.sin, numpy="sin", mpmath="sin"),
    _op("cos", 1, (lambda m, a, out: -m.sin(a),), lambda sp, a: sp.cos(a),
        scalar=math.cos, numpy="cos", mpmath="cos"),
    _op("tan", 1, (lambda m, a, out: 1.0 + out * out,), lambda sp, a: sp.tan(a),
        scalar=math.tan, numpy="tan", mpmath="tan"),
    _op("asin", 1, (lambda m, a, out: 1.0 / m.sqrt(1.0 - a * a),), lambda sp, a: sp.asin(a),
        "asin needs an argument in [-1, 1]", scalar=math.asin, numpy="arcsin", mpmath="asin"),
    _op("acos", 1, (lambda m, a, out: -1.0 / m.sqrt(1.0 - a * a),), lambda sp, a: sp.acos(a),
        "acos needs an argument in [-1, 1]", scalar=math.acos, numpy="arccos", mpmath="acos"),
    _op("atan", 1, (lambda m, a, out: 1.0 / (1.0 + a * a),), lambda sp, a: sp.atan(a),
        scalar=math.atan, numpy="arctan", mpmath="atan"),
    _op("sinh", 1, (lambda m, a, out: m.cosh(a),), lambda sp, a: sp.sinh(a),
        scalar=math.sinh, numpy="sinh", mpmath="sinh"),
    _op("cosh", 1, (lambda m, a, out: m.sinh(a),), lambda sp, a: sp.cosh(a),
        scalar=math.cosh, numpy="cosh", mpmath="cosh"),
    # tanh' = 1 - tanh^2 and sigmoid' = s(1 - s) cancel to 0 far from zero; these keep every
    # digit (tanh(a) = 2 sigmoid(2a) - 1, so tanh' = 4 sigmoid(2a) sigmoid(-2a)).
    _op("tanh", 1, (lambda m, a, out: 4.0 * m.sigmoid(2.0 * a) * m.sigmoid(-2.0 * a),),
        lambda sp, a: sp.tanh(a), scalar=math.tanh, numpy="tanh", mpmath="tanh"),
    _op("exp", 1, (lambda m, a, out: out,), lambda sp, a: sp.exp(a),
        scalar=math.exp, numpy="exp", mpmath="exp"),
    _op("log", 1, (lambda m, a, out: 1.0 / a,), lambda sp, a: sp.log(a),
        "log needs a positive argument", scalar=math.log, numpy="log", mpmath="ln"),
    _op("log2", 1, (lambda m, a, out: 1.0 / (a * m.log(2.0)),), lambda sp, a: sp.log(a, 2),
        "log2 needs a positive argument", scalar=math.log2, numpy="log2"),
    _op("log10", 1, (lambda m, a, out: 1.0 / (a * m.log(10.0)),),
        lambda sp, a: sp.log(a, 10), "log10 needs a positive argument",
        scalar=math.log10, numpy="log10", mpmath="log10"),
    _op("sqrt", 1, (lambda m, a, out: 1.0 / (2.0 * out),), lambda sp, a: sp.sqrt(a),
        "sqrt needs a non-negative argument", scalar=math.sqrt, numpy="sqrt", mpmath="sqrt"),
    _op("cbrt", 1, (lambda m, a, out: 1.0 / (3.0 * out * out),),
        lambda sp, a: sp.sign(a) * sp.Abs(a) ** sp.Rational(1, 3),
        scalar=math.cbrt, numpy="cbrt"),
    # expm1 and log1p keep the digits exp(a) - 1 and log(1 + a) lose for a near 0.
    _op("expm1", 1, (lambda m, a, out: m.exp(a),), lambda sp, a: sp.exp(a) - 1,
        scalar=math.expm1, numpy="expm1", mpmath="expm1"),
    _op("log1p", 1, (lambda m, a, out: 1.0 / (1.0 + a),), lambda sp, a: sp.log(1 + a),
        "log1p needs an argument greater than -1", scalar=math.log1p, numpy="log1p",
        mpmath="log1p"),
    _op("abs", 1, (lambda m, a, out: m.sign(a),), lambda sp, a: sp.Abs(a),
        kink="abs is not differentiable at 0; autograph uses 0 there, as PyTorch does",
        scalar=abs, numpy="abs", mpmath="fabs"),
    _op("sigmoid", 1, (lambda m, a, out: out * m.sigmoid(-a),),
        lambda sp, a: 1 / (1 + sp.exp(-a))),
    _op("relu", 1, (lambda m, a, out: m.step(a),), lambda sp, a: sp.Max(a, 0),
        kink="relu is not differentiable at 0; autograph uses 0 there, as PyTorch does",
        masks=True),
    _op("softplus", 1, (lambda m, a, out: m.sigmoid(a),), lambda sp, a: sp.log(1 + sp.exp(a))),
    # atan2's partials divide by hypot twice rather than by y^2 + x^2, which overflows
    # (or underflows) long before the partials themselves do. atan2 and hypot are defined
    # everywhere; their partials are not at (0, 0), where the reverse pass says so.
    _op("atan2", 2,
        (lambda m, y, x, out: x / (h := m.hypot(y, x)) / h,
         lambda m, y, x, out: -y / (h := m.hypot(y, x)) / h),
        lambda sp, y, x: sp.atan2(y, x),
        scalar=math.atan2, numpy="arctan2", mpmath="atan2"),
    _op("hypot", 2, (lambda m, a, b, out: a / out, lambda m, a, b, out: b / out),
        lambda sp, a, b: sp.sqrt(a * a + b * b),
        scalar=math.hypot, numpy="hypot", mpmath="hypot"),
    _op("max", 2, (lambda m, a, b, out: m.share(a, b), lambda m, a, b, out: m.share(b, a)),
        lambda sp, a, b: sp.Max(a, b),
        kink="max is not differentiable where a = b; autograph splits the gradient equally "
        "there, as PyTorch does",
        scalar=max, numpy="maximum", mpmath=max, masks=True),
    _op("min", 2, (lambda m, a, b, out: m.share(b, a), lambda m, a, b, out: m.share(a, b)),
        lambda sp, a, b: sp.Min(a, b),
        kink="min is not differentiable where a = b; autograph splits the gradient equally "
        "there, as PyTorch does",
        scalar=min, numpy="minimum", mpmath=min, masks=True),
)
"""The operations of the language, in the order ``--help`` lists them."""

INTERNAL: tuple[Op, ...] = (
    # The derivatives of the kinked ops: flat on each side, so 0 almost everywhere, and 0
    # at the kink too (relu'' = abs'' = 0, as PyTorch has them).
    _op("sign", 1, (lambda m, a, out: 0.0,), lambda sp, a: sp.sign(a), internal=True, masks=True,
        kink="sign is -1, 0 or 1; its derivative is 0 (at 0 too, as PyTorch has abs'')"),
    _op("step", 1, (lambda m, a, out: 0.0,), lambda sp, a: sp.Heaviside(a, 0),
        internal=True, masks=True,
        kink="step is 1 for a > 0, else 0 (relu' at 0 is 0, as in PyTorch); its derivative 0"),
    _op("share", 2, (lambda m, a, b, out: 0.0, lambda m, a, b, out: 0.0),
        lambda sp, a, b: sp.Heaviside(a - b, sp.Rational(1, 2)), internal=True, masks=True,
        kink="share is 1 where a > b, 0 where a < b, 1/2 at a tie; its derivative 0"),
    # pow's partials, guarded: a^0 is the constant 1 (slope 0, even at a = 0), and 0^b is the
    # constant 0 for b > 0 (its slope in b is 0, where log(0) is not defined). A negative base
    # has no log however small a^b is: the guard looks at the base, never at the value.
    _op("pow_slope", 2,
        (lambda m, a, b, out: b * m.pow_slope(a, b - 1.0),
         lambda m, a, b, out: (p := m.pow(a, b - 1.0)) + b * m.log_abs_base(a, p)),
        lambda sp, a, b: b * a ** (b - 1), _POW_DOMAIN, internal=True),
    _op("log_abs_base", 2,
        (lambda m, a, out, r: out / a, lambda m, a, out, r: m.log_abs_base(a, 1.0)),
        lambda sp, a, out: out * sp.log(a), _POW_DOMAIN, internal=True),
)
"""Ops that only derivatives use: not in the language, declared like the others."""
# fmt: on

ALL: tuple[Op, ...] = OPS + INTERNAL
"""Every op, the language's and the internal ones: what each math backend must provide."""


def fill_backend(backend: type, column: str, library: Any = None) -> None:
    """Give a math backend each op's forward function from the table's ``column``.

    An entry is either the function itself or the name of a function of ``library``;
    an empty entry means the backend class defines the op itself. Nothing falls back
    to another backend's function: a backend without an op fails the op-table tests.
    """
    for op in ALL:
        if op.name in vars(backend):
            continue
        entry = getattr(op, column)
        if callable(entry):
            setattr(backend, op.name, staticmethod(entry))
        elif entry:
            setattr(backend, op.name, staticmethod(getattr(library, entry)))


BY_NAME: dict[str, Op] = {op.name: op for op in ALL}
"""Every op by name (operators and internal ops included: ``add``, ``neg``, ``sign``, ...)."""

FUNCTIONS: dict[str, Op] = {op.name: op for op in OPS if op.is_function}
"""The functions a program may call, aliases included (``ln`` is ``log``)."""
FUNCTIONS["ln"] = BY_NAME["log"]
FUNCTIONS["pow"] = BY_NAME["pow"]

DERIVATIVE_FUNCTIONS: dict[str, Op] = {op.name: op for op in INTERNAL}
"""The internal ops, callable too (unlisted): the programs ``grad --emit autograph`` writes
call them, and they parse back. Their names stay free for variables."""

CONSTANTS: dict[str, float] = {"pi": math.pi, "e": math.e}
"""Named constants of the language."""

# Leaves of the graph: a free variable and a number. They have no inputs.
VAR = Op("var", 0, "", ATOM, (), lambda sp: None)
CONST = Op("const", 0, "", ATOM, (), lambda sp: None)
BY_NAME["var"], BY_NAME["const"] = VAR, CONST


def __getattr__(name: str) -> Any:
    """``ops.ScalarMath``, the float backend, now in ``autograph.backends.scalar``."""
    if name == "ScalarMath":
        from autograph.backends.scalar import ScalarMath

        return ScalarMath
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
