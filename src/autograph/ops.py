"""The op table: every operation autograph knows, declared once.

Each entry says how the operation is written (symbol, precedence), how it is
computed (forward), how it is differentiated (one partial derivative per input,
as a number and as a formula), what its SymPy counterpart is, and where it is
defined. The parser, the evaluators, the referee, the pictures and the
explanations all read this table: adding a function is one entry here.

The forward function of op ``add`` is the function ``add`` of a *math backend*
``m``: ``ScalarMath`` below over Python floats (another backend can work over
NumPy arrays). Partials are written once against the backend, so the same line
serves every evaluator.

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
    """``partials[k](m, *inputs, out)``: d(out)/d(input k), one per input."""
    formulas: tuple[Partial, ...]
    """``formulas[k](s, *inputs)``: the same partials as formulas (``autograph.formulas``)."""
    sympy: Callable[..., Any]
    """``sympy(sp, *inputs)``: the SymPy expression, given the sympy module."""
    domain: str
    """What the inputs must satisfy, said to the user when they do not."""
    kink: str = ""
    """Where the op is not differentiable and which convention autograph follows."""
    scalar: Callable[..., Any] | None = None
    """The forward function over floats (``math.sin``); None where ``ScalarMath`` defines it."""
    numpy: str = ""
    """The NumPy function of the same meaning (``"arcsin"``); "" where the backend defines it."""
    mpmath: str = ""
    """The mpmath function (``"asin"``); "" where ``scalar`` works on mpmath numbers too."""

    def forward(self, m: type) -> Callable[..., Any]:
        """The op's forward function in math backend ``m``: the backend's function of that name."""
        function: Callable[..., Any] = getattr(m, self.name)
        return function

    @property
    def is_function(self) -> bool:
        """True for ops written as calls, ``sin(x)``, rather than with a symbol."""
        return self.precedence == ATOM and self.arity > 0


class ScalarMath:
    """The math backend over Python floats (IEEE float64)."""

    # Every op's forward function comes from the table (its ``scalar`` column), set
    # below by ``fill_backend``; the functions here are those the table cannot name.
    # Operators are the operator module's C functions, not lambdas: the forward pass
    # calls one per node, and a C call costs a third of a Python one.

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
        """d(a^b)/db = a^b * log(a); 0 where a^b is the constant 0 (a = 0, b > 0)."""
        if out == 0.0:
            return 0.0
        return out * math.log(a)


@dataclass(frozen=True, slots=True)
class Constant:
    """A partial derivative that is the same number everywhere: d(a + b)/da = 1.

    Callable like any partial; the passes read ``value`` instead of calling it.
    """

    value: float

    def __call__(self, m: type, *arguments: Any) -> float:
        return self.value


@dataclass(frozen=True, slots=True)
class Argument:
    """A partial derivative that is one of its arguments: d(a * b)/da = b, d(e^a)/da = e^a.

    ``index`` counts the op's inputs, then its output: for ``mul``, 1 is ``b``; for
    ``exp``, 1 is ``out``. Callable like any partial; the passes read the value directly.
    """

    index: int

    def __call__(self, m: type, *arguments: Any) -> Any:
        return arguments[self.index]


def _op(
    name: str,
    arity: int,
    partials: tuple[Partial, ...],
    formulas: tuple[Partial, ...],
    sympy: Callable[..., Any],
    domain: str = "",
    *,
    symbol: str = "",
    precedence: int = ATOM,
    kink: str = "",
    scalar: Callable[..., Any] | None = None,
    numpy: str = "",
    mpmath: str = "",
) -> Op:
    return Op(
        name,
        arity,
        symbol or name,
        precedence,
        partials,
        formulas,
        sympy,
        domain,
        kink,
        scalar,
        numpy,
        mpmath,
    )


# fmt: off
OPS: tuple[Op, ...] = (
    _op("add", 2, (Constant(1.0), Constant(1.0)),
        (lambda s, a, b: 1, lambda s, a, b: 1),
        lambda sp, a, b: a + b, symbol="+", precedence=SUM,
        scalar=operator.add, numpy="add"),
    _op("sub", 2, (Constant(1.0), Constant(-1.0)),
        (lambda s, a, b: 1, lambda s, a, b: -1),
        lambda sp, a, b: a - b, symbol="-", precedence=SUM,
        scalar=operator.sub, numpy="subtract"),
    _op("mul", 2, (Argument(1), Argument(0)),
        (lambda s, a, b: b, lambda s, a, b: a),
        lambda sp, a, b: a * b, symbol="*", precedence=PRODUCT,
        scalar=operator.mul, numpy="multiply"),
    _op("div", 2, (lambda m, a, b, out: 1.0 / b, lambda m, a, b, out: -out / b),
        (lambda s, a, b: 1 / b, lambda s, a, b: -a / b**2),
        lambda sp, a, b: a / b, "the divisor must not be zero", symbol="/", precedence=PRODUCT,
        scalar=operator.truediv, numpy="divide"),
    _op("neg", 1, (Constant(-1.0),), (lambda s, a: -1,),
        lambda sp, a: -a, symbol="-", precedence=UNARY,
        scalar=operator.neg, numpy="negative"),
    _op("pow", 2,
        (lambda m, a, b, out: m.pow_slope(a, b), lambda m, a, b, out: m.log_abs_base(a, out)),
        (lambda s, a, b: b * a ** (b - 1), lambda s, a, b: a**b * s.log(a)),
        lambda sp, a, b: a**b,
        "a^b needs a > 0, or an integer b (and b > 0 when a = 0)", symbol="^", precedence=POWER,
        scalar=math.pow, mpmath="power"),
    _op("sin", 1, (lambda m, a, out: m.cos(a),), (lambda s, a: s.cos(a),),
        lambda sp, a: sp.sin(a),
        scalar=math.sin, numpy="sin", mpmath="sin"),
    _op("cos", 1, (lambda m, a, out: -m.sin(a),), (lambda s, a: -s.sin(a),),
        lambda sp, a: sp.cos(a),
        scalar=math.cos, numpy="cos", mpmath="cos"),
    _op("tan", 1, (lambda m, a, out: 1.0 + out * out,), (lambda s, a: 1 + s.tan(a) ** 2,),
        lambda sp, a: sp.tan(a),
        scalar=math.tan, numpy="tan", mpmath="tan"),
    _op("asin", 1, (lambda m, a, out: 1.0 / m.sqrt(1.0 - a * a),),
        (lambda s, a: 1 / s.sqrt(1 - a**2),),
        lambda sp, a: sp.asin(a), "asin needs an argument in [-1, 1]",
        scalar=math.asin, numpy="arcsin", mpmath="asin"),
    _op("acos", 1, (lambda m, a, out: -1.0 / m.sqrt(1.0 - a * a),),
        (lambda s, a: -1 / s.sqrt(1 - a**2),),
        lambda sp, a: sp.acos(a), "acos needs an argument in [-1, 1]",
        scalar=math.acos, numpy="arccos", mpmath="acos"),
    _op("atan", 1, (lambda m, a, out: 1.0 / (1.0 + a * a),),
        (lambda s, a: 1 / (1 + a**2),), lambda sp, a: sp.atan(a),
        scalar=math.atan, numpy="arctan", mpmath="atan"),
    _op("sinh", 1, (lambda m, a, out: m.cosh(a),), (lambda s, a: s.cosh(a),),
        lambda sp, a: sp.sinh(a),
        scalar=math.sinh, numpy="sinh", mpmath="sinh"),
    _op("cosh", 1, (lambda m, a, out: m.sinh(a),), (lambda s, a: s.sinh(a),),
        lambda sp, a: sp.cosh(a),
        scalar=math.cosh, numpy="cosh", mpmath="cosh"),
    # tanh' = 1 - tanh^2 and sigmoid' = s(1 - s) cancel to 0 far from zero; these keep every digit.
    _op("tanh", 1, (lambda m, a, out: 4.0 * (t := m.exp(-2.0 * m.abs(a))) / (1.0 + t) ** 2,),
        (lambda s, a: 1 - s.tanh(a) ** 2,), lambda sp, a: sp.tanh(a),
        scalar=math.tanh, numpy="tanh", mpmath="tanh"),
    _op("exp", 1, (Argument(1),), (lambda s, a: s.exp(a),),
        lambda sp, a: sp.exp(a),
        scalar=math.exp, numpy="exp", mpmath="exp"),
    _op("log", 1, (lambda m, a, out: 1.0 / a,), (lambda s, a: 1 / a,),
        lambda sp, a: sp.log(a), "log needs a positive argument",
        scalar=math.log, numpy="log", mpmath="ln"),
    _op("log2", 1, (lambda m, a, out: 1.0 / (a * math.log(2.0)),),
        (lambda s, a: 1 / (a * s.log(2)),),
        lambda sp, a: sp.log(a, 2), "log2 needs a positive argument",
        scalar=math.log2, numpy="log2"),
    _op("log10", 1, (lambda m, a, out: 1.0 / (a * math.log(10.0)),),
        (lambda s, a: 1 / (a * s.log(10)),),
        lambda sp, a: sp.log(a, 10), "log10 needs a positive argument",
        scalar=math.log10, numpy="log10", mpmath="log10"),
    _op("sqrt", 1, (lambda m, a, out: 0.5 / out,), (lambda s, a: 1 / (2 * s.sqrt(a)),),
        lambda sp, a: sp.sqrt(a), "sqrt needs a non-negative argument",
        scalar=math.sqrt, numpy="sqrt", mpmath="sqrt"),
    _op("abs", 1, (lambda m, a, out: m.sign(a),), (lambda s, a: s.sign(a),),
        lambda sp, a: sp.Abs(a), kink="abs is not differentiable at 0; autograph uses 0 there, "
        "as PyTorch does",
        scalar=abs, numpy="abs", mpmath="fabs"),
    _op("sigmoid", 1, (lambda m, a, out: out * m.sigmoid(-a),),
        (lambda s, a: s.sigmoid(a) * (1 - s.sigmoid(a)),), lambda sp, a: 1 / (1 + sp.exp(-a))),
    _op("relu", 1, (lambda m, a, out: m.step(a),), (lambda s, a: s.greater(a, 0),),
        lambda sp, a: sp.Max(a, 0), kink="relu is not differentiable at 0; autograph uses 0 "
        "there, as PyTorch does"),
    _op("softplus", 1, (lambda m, a, out: m.sigmoid(a),),
        (lambda s, a: s.sigmoid(a),), lambda sp, a: sp.log(1 + sp.exp(a))),
    _op("max", 2, (lambda m, a, b, out: m.share(a, b), lambda m, a, b, out: m.share(b, a)),
        (lambda s, a, b: s.greater(a, b) + s.equal(a, b) / 2,
         lambda s, a, b: s.greater(b, a) + s.equal(a, b) / 2), lambda sp, a, b: sp.Max(a, b),
        kink="max is not differentiable where a = b; autograph splits the gradient equally "
        "there, as PyTorch does",
        scalar=max, numpy="maximum"),
    _op("min", 2, (lambda m, a, b, out: m.share(b, a), lambda m, a, b, out: m.share(a, b)),
        (lambda s, a, b: s.greater(b, a) + s.equal(a, b) / 2,
         lambda s, a, b: s.greater(a, b) + s.equal(a, b) / 2), lambda sp, a, b: sp.Min(a, b),
        kink="min is not differentiable where a = b; autograph splits the gradient equally "
        "there, as PyTorch does",
        scalar=min, numpy="minimum"),
)
# fmt: on


def fill_backend(backend: type, library: Any = None, column: str = "scalar") -> None:
    """Give a math backend each op's forward function from the table, where it has none.

    ``column`` names the table's column for this backend (``"numpy"``, ``"mpmath"``)
    and ``library`` the module it names functions of; an empty entry falls back to
    the op's ``scalar`` function, as do backends without a library.
    """
    for op in OPS:
        if op.name in vars(backend):
            continue
        name = getattr(op, column) if library is not None else ""
        function = getattr(library, name) if name else op.scalar
        if function is not None:
            setattr(backend, op.name, staticmethod(function))


fill_backend(ScalarMath)

BY_NAME: dict[str, Op] = {op.name: op for op in OPS}
"""Every op by name (operators included: ``add``, ``neg``, ...)."""

FUNCTIONS: dict[str, Op] = {op.name: op for op in OPS if op.is_function}
"""The functions a program may call, aliases included (``ln`` is ``log``)."""
FUNCTIONS["ln"] = BY_NAME["log"]
FUNCTIONS["pow"] = BY_NAME["pow"]

CONSTANTS: dict[str, float] = {"pi": math.pi, "e": math.e}
"""Named constants of the language."""

# Leaves of the graph: a free variable and a number. They have no inputs.
VAR = Op("var", 0, "", ATOM, (), (), lambda sp: None, "")
CONST = Op("const", 0, "", ATOM, (), (), lambda sp: None, "")
BY_NAME["var"], BY_NAME["const"] = VAR, CONST
