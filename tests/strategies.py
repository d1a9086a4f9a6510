"""Hypothesis strategies for program text: valid programs, and programs broken on purpose."""

from __future__ import annotations

from hypothesis import strategies as st

from autograph import ops

NAMES = ["x", "y", "w", "a", "b", "pi", "e", "sin", "t1", "_z"]
NUMBERS = ["0", "1", "2", "3", "0.5", ".5", "7.", "1e-3", "2.5E+4", "1e999", "10"]
UNARY = sorted(name for name, op in ops.FUNCTIONS.items() if op.arity == 1)
BINARY_FUNCTIONS = sorted(name for name, op in ops.FUNCTIONS.items() if op.arity == 2)
OPERATORS = [" + ", " - ", "*", " / ", "^", "**"]


def _combine(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.tuples(children, st.sampled_from(OPERATORS), children).map("".join),
        children.map(lambda c: f"({c})"),
        children.map(lambda c: f"-{c}"),
        children.map(lambda c: f"+{c}"),
        st.tuples(st.sampled_from(UNARY), children).map(lambda t: f"{t[0]}({t[1]})"),
        st.tuples(st.sampled_from(BINARY_FUNCTIONS), children, children).map(
            lambda t: f"{t[0]}({t[1]}, {t[2]})"
        ),
    )


expressions: st.SearchStrategy[str] = st.recursive(
    st.sampled_from(NAMES + NUMBERS), _combine, max_leaves=12
)
"""Formulas of the language (some with mistakes of meaning: ``sin + 1``, ``1e999``)."""


@st.composite
def programs(draw: st.DrawFn) -> str:
    """Programs of statements separated by ``;`` or newlines, with comments now and then."""
    statements = []
    for _ in range(draw(st.integers(1, 4))):
        expression = draw(expressions)
        if draw(st.booleans()):
            expression = f"{draw(st.sampled_from(['a', 'b', 'y', 'pi', 'sin']))} = {expression}"
        if draw(st.integers(0, 5)) == 0:
            expression += "  # note"
        statements.append(expression)
    separators = draw(st.lists(st.sampled_from(["; ", "\n", ";\n"]), min_size=len(statements)))
    return "".join(s + separators[i] for i, s in enumerate(statements)).rstrip(";\n ")


MUTATION_PIECES = ["(", ")", ",", "=", "^", "*", "-", "+", ";", "\n", " ", "1", "x", "$", "\x00"]


@st.composite
def broken_programs(draw: st.DrawFn) -> str:
    """Valid programs with pieces of the language deleted, doubled or dropped in at random."""
    text = draw(programs())
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(text)))
        how = draw(st.sampled_from(["insert", "delete", "double"]))
        if how == "insert":
            text = text[:at] + draw(st.sampled_from(MUTATION_PIECES)) + text[at:]
        elif how == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 3)) :]
        else:
            text = text[:at] + text[at : at + 2] + text[at:]
    return text
