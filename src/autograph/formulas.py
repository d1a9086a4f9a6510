"""Small symbolic expressions: the language the op table's derivative formulas are written in.

The op table declares each local partial derivative once, as an expression over
the op's inputs and output; run over ``Expr`` values (the formula backend,
``backends.formula``), ``lambda m, a, b, out: -out / b`` gives ``-a / b^2``. Arithmetic on ``Expr``
simplifies as it builds (numbers folded, like terms and equal factors
collected), so composing formulas through a statement gives what a teacher
writes: ``3h^2`` for d(h^3 + 1)/dh, ``d`` for d(0.5*d^2)/dd.

Two kinds of tree share the ``Expr`` type. *Simplified* trees, built by
arithmetic, use the heads ``add``, ``mul`` (n-ary, number first) and ``pow``.
*As-typed* trees, built by ``as_typed`` to show a statement the way the user
wrote it, use the operator symbols ``+ - * / ^`` and ``neg``. Both have leaves
``num`` and ``sym`` and function calls (``cos``, ``sign``, ``greater``, ...).

``show`` prints either kind in ``plain`` (``0.5 * d^2``), ``compact``
(``3h^2``) or ``latex`` style; ``evaluate`` gives the number; ``numbers``
writes a simplified tree with the values put in, factor by factor (``3 * 4``).
The explanation caps the size of the statements it builds trees for, so the
recursive walks here never see user-sized depth.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass

from autograph.backends.scalar import ScalarMath
from autograph.numbers import format_number as number_text
from autograph.ops import ATOM, BY_NAME, OPS, POWER, PRODUCT, SUM, UNARY, Op

LEAVES = ("num", "sym")
"""Heads without arguments: a number, or a named quantity that has a value."""


@dataclass(frozen=True, slots=True)
class Expr:
    """A symbolic expression: a head (``num``, ``sym``, ``add``, ``cos``, ...) and arguments."""

    head: str
    args: tuple[Expr, ...] = ()
    value: float = 0.0
    """A number's value, or a symbol's value at the point being explained."""
    text: str = ""
    """How a number or a symbol is written: ``0.5``, ``pi``, ``h``."""

    def __add__(self, other: Expr | float) -> Expr:
        return add(self, lift(other))

    def __radd__(self, other: float) -> Expr:
        return add(lift(other), self)

    def __sub__(self, other: Expr | float) -> Expr:
        return add(self, multiply(number(-1.0), lift(other)))

    def __rsub__(self, other: float) -> Expr:
        return add(lift(other), multiply(number(-1.0), self))

    def __mul__(self, other: Expr | float) -> Expr:
        return multiply(self, lift(other))

    def __rmul__(self, other: float) -> Expr:
        return multiply(lift(other), self)

    def __truediv__(self, other: Expr | float) -> Expr:
        return multiply(self, power(lift(other), number(-1.0)))

    def __rtruediv__(self, other: float) -> Expr:
        return multiply(lift(other), power(self, number(-1.0)))

    def __pow__(self, other: Expr | float) -> Expr:
        return power(self, lift(other))

    def __neg__(self) -> Expr:
        return multiply(number(-1.0), self)

    def __str__(self) -> str:
        return show(self, "compact")


def number(value: float, text: str | None = None) -> Expr:
    """A number; ``text`` keeps how the user wrote it (``1e-3``, ``-3``)."""
    value = float(value)
    return Expr("num", value=value, text=number_text(value) if text is None else text)


def symbol(name: str, value: float = 0.0) -> Expr:
    """A named quantity (a node of the graph, or ``pi``) with its value at the point."""
    return Expr("sym", value=value, text=name)


def lift(item: Expr | float) -> Expr:
    """Numbers become ``num`` expressions; expressions stay."""
    return item if isinstance(item, Expr) else number(item)


def call(name: str, *args: Expr) -> Expr:
    """A function applied to arguments: ``cos(a)``, ``sign(a)``, ``greater(a, b)``."""
    return Expr(name, args)


# Iverson brackets, which the formulas of the kinked ops' derivatives are written with.
_EXTRA: dict[str, Callable[..., float]] = {
    "greater": lambda a, b: 1.0 if a > b else 0.0,
    "equal": lambda a, b: 1.0 if a == b else 0.0,
}
_BRACKETS = {"greater": ">", "equal": "="}  # printed as Iverson brackets, [a > b]

# As-typed trees: operators by their symbol (``neg`` for the unary minus).
_OPERATORS: dict[str, Op] = {op.symbol: op for op in OPS if not op.is_function and op.arity == 2}
_OPERATORS["neg"] = BY_NAME["neg"]


def as_typed(op: Op, *args: Expr) -> Expr:
    """The op applied as the user wrote it, not simplified: ``0.5 * d^2`` stays so."""
    if op.is_function:
        return Expr(op.name, args)
    return Expr("neg" if op.arity == 1 else op.symbol, args)


# --- Building with simplification ------------------------------------------------------------


def add(*terms: Expr) -> Expr:
    """The sum, flattened, with numbers folded and like terms collected (``x + x`` is ``2x``)."""
    collected: dict[Expr, float] = {}  # a term without its number -> the sum of the numbers
    stack = list(reversed(terms))
    while stack:
        term = stack.pop()
        if term.head == "add":
            stack.extend(reversed(term.args))
        else:
            coefficient, rest = split_coefficient(term)
            collected[rest] = collected.get(rest, 0.0) + coefficient
    parts = [multiply(number(c), rest) for rest, c in collected.items() if c != 0.0]
    if not parts:
        return number(0.0)
    return parts[0] if len(parts) == 1 else Expr("add", tuple(parts))


def multiply(*factors: Expr) -> Expr:
    """The product, flattened, numbers folded into a leading one, equal bases merged."""
    exponents: dict[Expr, list[Expr]] = {}
    coefficient = 1.0
    stack = list(reversed(factors))
    while stack:
        factor = stack.pop()
        if factor.head == "mul":
            stack.extend(reversed(factor.args))
        elif factor.head == "num":
            coefficient *= factor.value
        elif factor.head == "pow":
            exponents.setdefault(factor.args[0], []).append(factor.args[1])
        else:
            exponents.setdefault(factor, []).append(number(1.0))
    if coefficient == 0.0:
        return number(0.0)
    parts: list[Expr] = []
    for base, powers in exponents.items():
        merged = power(base, add(*powers)) if len(powers) > 1 else _pow(base, powers[0])
        inner, rest = split_coefficient(merged)
        coefficient *= inner  # (2x)^2 comes back as 4x^2: keep the 4 in front
        if rest.head == "mul":
            parts.extend(rest.args)
        elif not is_number(rest, 1.0):
            parts.append(rest)
    if not parts:
        return number(coefficient)
    if coefficient == 1.0 and len(parts) == 1:
        return parts[0]
    lead = [] if coefficient == 1.0 else [number(coefficient)]
    return Expr("mul", (*lead, *parts))


def power(base: Expr, exponent: Expr) -> Expr:
    """``base^exponent``, simplified: x^1 is x, x^0 is 1, (x^2)^3 is x^6, 2^3 is 8."""
    if exponent.head == "num":
        k = exponent.value
        if k == 0.0:
            return number(1.0)
        if k == 1.0:
            return base
        if base.head == "num" and k.is_integer():
            try:
                folded = base.value**k
            except (OverflowError, ZeroDivisionError):
                return _pow(base, exponent)
            if isinstance(folded, float) and math.isfinite(folded):
                return number(folded)
        if k.is_integer() and base.head == "pow" and base.args[1].head == "num":
            return power(base.args[0], number(base.args[1].value * k))
        if k.is_integer() and k > 0 and base.head == "mul":
            return multiply(*(power(factor, exponent) for factor in base.args))
    return _pow(base, exponent)


def _pow(base: Expr, exponent: Expr) -> Expr:
    if is_number(exponent, 1.0):
        return base
    if is_number(exponent, 0.0):
        return number(1.0)
    return Expr("pow", (base, exponent))


def is_number(expr: Expr, value: float | None = None) -> bool:
    """True for a ``num`` (equal to ``value`` when given)."""
    return expr.head == "num" and (value is None or expr.value == value)


def split_coefficient(expr: Expr) -> tuple[float, Expr]:
    """``3h^2`` to (3, h^2); ``h`` to (1, h); a number to (its value, 1)."""
    if expr.head == "num":
        return expr.value, number(1.0)
    if expr.head == "mul" and expr.args[0].head == "num":
        rest = expr.args[1:]
        return expr.args[0].value, rest[0] if len(rest) == 1 else Expr("mul", rest)
    return 1.0, expr


def apply(op: Op, *args: Expr) -> Expr:
    """The op applied to simplified arguments, simplified: ``x + x`` gives ``2x``."""
    operator = op.symbol if not op.is_function else ""
    if operator == "+":
        return add(*args)
    if operator == "-":
        return args[0] - args[1] if op.arity == 2 else -args[0]
    if operator == "*":
        return multiply(*args)
    if operator == "/":
        return args[0] / args[1]
    if operator == "^":
        return power(*args)
    return call(op.name, *args)


def derivative(op: Op, index: int, args: tuple[Expr, ...]) -> Expr:
    """The op's local partial derivative with respect to input ``index``, as a formula.

    It is the op table's one declaration of that derivative, run over formulas
    (``backends.formula``), so what ``explain`` prints is what the passes compute.
    """
    from autograph.backends import formula

    return formula.derivative(op, index, args)


# --- Numbers ----------------------------------------------------------------------------------


def evaluate(expr: Expr) -> float:
    """The expression's value, with every symbol at its value (float64, as the evaluator)."""
    head, args = expr.head, expr.args
    if head in LEAVES:
        return expr.value
    values = [evaluate(arg) for arg in args]
    if head == "add":
        return math.fsum(values)
    if head == "mul":
        return math.prod(values)
    if head == "pow":
        return math.pow(*values)
    if head in _EXTRA:
        return _EXTRA[head](*values)
    op = _OPERATORS.get(head) or BY_NAME[head]
    result: float = op.forward(ScalarMath)(*values)
    return result


def times(style: str) -> str:
    """The multiplication sign of a style: `` * `` or ``\\cdot``."""
    return r" \cdot " if style == "latex" else " * "


def factor_text(value: float, style: str, first: bool = False) -> str:
    """A number as a factor: in LaTeX a negative one after the first is bracketed, (-3)."""
    text = number_text(value)
    return f"({text})" if style == "latex" and not first and value < 0 else text


def numbers(expr: Expr, style: str = "plain") -> str:
    """A simplified expression with the numbers put in, factor by factor: ``3h^2`` to ``3 * 4``."""
    if expr.head == "add":
        out = numbers(expr.args[0], style)
        for term in expr.args[1:]:
            coefficient, rest = split_coefficient(term)
            if coefficient < 0:
                out += " - " + numbers(multiply(number(-coefficient), rest), style)
            else:
                out += " + " + numbers(term, style)
        return out
    coefficient, rest = split_coefficient(expr)
    above, below = _fraction(rest)
    values = [evaluate(factor) for factor in above]
    if coefficient == -1.0 and values:
        first = factor_text(values[0], style, first=True)
        lead = [f"-({first})" if values[0] < 0 else f"-{first}"]
        shown = lead + [factor_text(v, style) for v in values[1:]]
    else:
        if coefficient != 1.0 or not values:
            values.insert(0, coefficient)
        shown = [factor_text(v, style, first=i == 0) for i, v in enumerate(values)]
    text = times(style).join(shown)
    if not below:
        return text
    under = [factor_text(evaluate(factor), style, first=i == 0) for i, factor in enumerate(below)]
    if style == "latex":
        return rf"\frac{{{text}}}{{{times(style).join(under)}}}"
    return f"{text} / ({' * '.join(under)})" if len(under) > 1 else f"{text} / {under[0]}"


def _fraction(expr: Expr) -> tuple[list[Expr], list[Expr]]:
    """A simplified product's factors above and below the line: x * y^-2 to ([x], [y^2])."""
    factors = list(expr.args) if expr.head == "mul" else [expr]
    above: list[Expr] = []
    below: list[Expr] = []
    for factor in factors:
        if is_number(factor, 1.0):
            continue
        if factor.head == "pow" and factor.args[1].head == "num" and factor.args[1].value < 0:
            below.append(power(factor.args[0], number(-factor.args[1].value)))
        else:
            above.append(factor)
    return above, below


# --- Printing ---------------------------------------------------------------------------------

_LATEX_FUNCTIONS = {
    "sin": r"\sin", "cos": r"\cos", "tan": r"\tan", "sinh": r"\sinh", "cosh": r"\cosh",
    "tanh": r"\tanh", "exp": r"\exp", "log": r"\log", "asin": r"\arcsin", "acos": r"\arccos",
    "atan": r"\arctan", "log2": r"\log_{2}", "log10": r"\log_{10}", "max": r"\max",
    "min": r"\min",
}  # fmt: skip
_GREEK = {
    "alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa",
    "lambda", "mu", "nu", "xi", "rho", "sigma", "tau", "phi", "chi", "psi", "omega", "pi",
}  # fmt: skip
_INDEXED = re.compile(r"([A-Za-z])_?(\d+)\Z")


def latex_name(name: str) -> str:
    """A name in LaTeX: ``x``, ``t_{1}`` for t1, ``\\theta``, ``\\mathit{loss}``."""
    if len(name) == 1:
        return name
    if name in _GREEK:
        return "\\" + name
    indexed = _INDEXED.match(name)
    if indexed:
        return f"{indexed[1]}_{{{indexed[2]}}}"
    return r"\mathit{" + name.replace("_", r"\_") + "}"


def precedence(expr: Expr) -> int:
    """How tightly the expression's text binds (the language's levels, Python's order)."""
    head = expr.head
    if head == "num":
        return UNARY if expr.text.startswith("-") else ATOM
    if head == "add":
        return SUM
    if head == "mul":
        return PRODUCT
    if head == "pow":
        negative = expr.args[1].head == "num" and expr.args[1].value < 0
        return PRODUCT if negative else POWER  # printed as a fraction, 1 / b
    if head in _OPERATORS:
        return _OPERATORS[head].precedence
    return ATOM


def show(expr: Expr, style: str = "plain") -> str:
    """Print in ``plain`` (the language), ``compact`` (``3h^2``) or ``latex`` style."""
    return _Printer(style).show(expr)


def typed_numbers(expr: Expr, style: str = "plain") -> str:
    r"""An as-typed tree with every name's value put in: ``w * x`` to ``3 * -3``.

    A negative number after ``+`` or ``-`` turns the sign (``-9 - 5``, never
    ``-9 + -5``), after a unary minus it is bracketed, ``-(-3)``, and in LaTeX
    after ``\cdot`` too, ``3 \cdot (-3)``, as ``numbers`` writes factors.
    """
    return _Printer(style, put_in=True).show(_put_in(expr))


def _put_in(expr: Expr) -> Expr:
    if expr.head == "sym":
        return number(expr.value)
    if not expr.args:
        return expr
    return Expr(expr.head, tuple(_put_in(arg) for arg in expr.args))


def _is_negative(expr: Expr) -> bool:
    return expr.head == "num" and expr.value < 0


class _Printer:
    def __init__(self, style: str, put_in: bool = False) -> None:
        self.style = style
        self.latex = style == "latex"
        self.put_in = put_in  # numbers put in for the names: signs turned, never doubled

    def show(self, expr: Expr) -> str:
        head, args = expr.head, expr.args
        if head == "num":
            return expr.text
        if head == "sym":
            return latex_name(expr.text) if self.latex else expr.text
        if head == "add":
            return self._sum(expr)
        if head == "mul" or (head == "pow" and precedence(expr) == PRODUCT):
            return self._product(expr)
        if head in ("pow", "^"):
            return self._power(*args)
        if head == "neg":
            inner = precedence(args[0]) < UNARY or (self.put_in and _is_negative(args[0]))
            return "-" + self._wrap(args[0], inner)
        if head in _OPERATORS:
            return self._binary(expr)
        return self._call(head, args)

    def _wrap(self, expr: Expr, parens: bool) -> str:
        text = self.show(expr)
        if not parens:
            return text
        return rf"\left({text}\right)" if self.latex else f"({text})"

    def _binary(self, expr: Expr) -> str:
        """An as-typed ``a + b``, ``a * b``, ``a / b``: left-associative, as the printer does."""
        left, right = expr.args
        mine = precedence(expr)
        if self.latex and expr.head == "/":
            return rf"\frac{{{self.show(left)}}}{{{self.show(right)}}}"
        symbol = times(self.style) if expr.head == "*" else f" {expr.head} "
        bracket = precedence(right) <= mine
        if self.put_in and _is_negative(right):
            if expr.head in ("+", "-"):  # 2 - 5, not 2 + -5; 2 + 5, not 2 - -5
                symbol = " - " if expr.head == "+" else " + "
                right = number(-right.value)
            else:
                bracket = bracket or self.latex
        return self._wrap(left, precedence(left) < mine) + symbol + self._wrap(right, bracket)

    def _power(self, base: Expr, exponent: Expr) -> str:
        left = self._wrap(base, precedence(base) <= POWER)
        if self.latex:
            return f"{left}^{{{self.show(exponent)}}}"
        return left + "^" + self._wrap(exponent, precedence(exponent) < UNARY)

    def _sum(self, expr: Expr) -> str:
        out = self._wrap(expr.args[0], precedence(expr.args[0]) < SUM)
        for term in expr.args[1:]:
            coefficient, rest = split_coefficient(term)
            if coefficient < 0:
                negated = multiply(number(-coefficient), rest)
                out += " - " + self._wrap(negated, precedence(negated) <= SUM)
            else:
                out += " + " + self._wrap(term, precedence(term) <= SUM)
        return out

    def _product(self, expr: Expr) -> str:
        """A simplified product: number first, then factors, then what is below the line."""
        coefficient, rest = split_coefficient(expr)
        above, below = _fraction(rest)
        sign, magnitude = ("-", -coefficient) if coefficient < 0 else ("", coefficient)
        text = times(self.style).join(self._wrap(f, precedence(f) < PRODUCT) for f in above)
        if magnitude != 1.0 or not above:
            lead = number_text(magnitude)
            if not above:
                text = lead
            elif self._juxtapose(above[0]):
                text = lead + (" " if self.latex else "") + text
            else:
                text = lead + times(self.style) + text
        if below:
            under = multiply(*below)
            if self.latex:
                text = rf"\frac{{{text}}}{{{self.show(under)}}}"
            else:
                text = f"{text} / {self._wrap(under, precedence(under) <= PRODUCT)}"
        return sign + text

    def _juxtapose(self, factor: Expr) -> bool:
        """``3h^2`` and ``2g`` in compact style, ``2 * t1`` and ``0.5 * d`` in plain."""
        base = factor.args[0] if factor.head == "pow" else factor
        if self.latex:
            return base.head != "num"
        return self.style == "compact" and base.head == "sym" and len(base.text) == 1

    def _call(self, head: str, args: tuple[Expr, ...]) -> str:
        if head in _BRACKETS:
            return f"[{self.show(args[0])} {_BRACKETS[head]} {self.show(args[1])}]"
        inner = ", ".join(self.show(arg) for arg in args)
        if not self.latex:
            return f"{head}({inner})"
        if head == "sqrt":
            return rf"\sqrt{{{inner}}}"
        if head == "abs":
            return rf"\left|{inner}\right|"
        name = _LATEX_FUNCTIONS.get(head, r"\operatorname{" + head + "}")
        return rf"{name}\left({inner}\right)"


def formula_text(op: Op, index: int) -> str:
    """The op's formula for input ``index`` as text in its inputs a and b: ``b * a^(b - 1)``."""
    inputs = tuple(symbol(name) for name in "ab"[: op.arity])
    return show(derivative(op, index, inputs), "compact")
