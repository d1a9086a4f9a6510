"""The language: numbers, names, precedence (Python's, with ^ for **), programs, comments."""

from __future__ import annotations

import math

import pytest

import autograph
from autograph import InputError


def value(source: str, **at: float) -> float:
    graph = autograph.parse(source)
    return autograph.forward(graph, {k: v for k, v in at.items() if k in graph.variables}).value


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("-x^2", -9.0),
        ("2^3^2", 512.0),
        ("2**3**2", 512.0),
        ("2^-1", 0.5),
        ("2*-3", -6.0),
        ("8/2/2", 2.0),
        ("1-2-3", -4.0),
        ("2+3*4", 14.0),
        ("(2+3)*4", 20.0),
        ("-2^2", -4.0),
        ("(-2)^2", 4.0),
        ("2^-x", 2.0**-3),
        ("-x*2", -6.0),
        ("+x", 3.0),
        ("--x", 3.0),
        ("x^2^-1", 3.0 ** (2.0**-1)),
        ("2*x^2", 18.0),
        ("1/2*x", 1.5),
        ("-x^-2", -(3.0**-2)),
    ],
)
def test_precedence_and_associativity_follow_python(source: str, expected: float) -> None:
    assert value(source, x=3) == pytest.approx(expected, rel=1e-15)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("3", 3.0), ("3.5", 3.5), (".5", 0.5), ("1e-3", 1e-3), ("2.5E+4", 2.5e4), ("7.", 7.0)],
)
def test_number_literals_are_read_as_float64(text: str, expected: float) -> None:
    assert value(text) == expected


def test_pi_and_e_are_constants() -> None:
    assert value("pi") == math.pi
    assert value("e") == math.e


def test_log_is_natural_and_ln_is_its_alias() -> None:
    assert value("log(e)") == 1.0
    assert value("ln(e^2)") == 2.0


def test_statements_are_separated_by_semicolons_or_newlines() -> None:
    assert value("a = x + 1; b = a * 2\nb + 1", x=1) == 5.0


def test_newlines_inside_parentheses_are_plain_white_space() -> None:
    assert value("y = (x +\n 1) * (2\n)\ny", x=1) == 4.0


def test_comments_run_to_the_end_of_the_line() -> None:
    assert value("# a comment\na = x + 1  # the input plus one\na", x=1) == 2.0


def test_a_trailing_separator_is_allowed() -> None:
    assert value("x + 1;\n\n", x=1) == 2.0


def test_reassignment_makes_later_uses_see_the_new_value() -> None:
    assert value("a = x; a = a * a; a = a * a; a", x=2) == 16.0


def test_the_output_is_the_last_statement_even_when_it_is_an_assignment() -> None:
    graph = autograph.parse("a = x + 1; b = a * 3")
    assert graph.names[graph.output] == "b"


def test_equal_subexpressions_become_one_node() -> None:
    graph = autograph.parse("(x+1)*(x+1)")
    assert [op.name for op in graph.ops].count("add") == 1


def test_a_negative_literal_is_a_constant_not_a_negation() -> None:
    graph = autograph.parse("x * -3")
    assert [op.name for op in graph.ops] == ["var", "const", "mul"]


@pytest.mark.parametrize(
    ("source", "kind", "fragment"),
    [
        ("", "empty-program", "empty"),
        ("   # only a comment\n", "empty-program", "empty"),
        ("x +", "syntax", "end of the program"),
        ("x + * 2", "syntax", "unexpected '*'"),
        ("x $ 2", "syntax", "unexpected character '$'"),
        ("foo(x)", "unknown-function", "unknown function 'foo'"),
        ("sinn(x)", "unknown-function", "did you mean 'sin'"),
        ("sin(x, 2)", "arity", "sin takes 1 argument, got 2"),
        ("max(x)", "arity", "max takes 2 arguments, got 1"),
        ("sin()", "arity", "got 0"),
        ("pi = 3", "assign-to-reserved", "constant"),
        ("sin = 3", "assign-to-reserved", "function"),
        ("sin + 1", "function-as-value", "is a function"),
        ("a = 2; a(3)", "unknown-function", "variable, not a function"),
        ("1e999", "number-too-large", "too large"),
    ],
)
def test_bad_programs_raise_input_errors(source: str, kind: str, fragment: str) -> None:
    with pytest.raises(InputError) as raised:
        autograph.parse(source)
    assert raised.value.kind == kind
    assert fragment in raised.value.message


def test_a_syntax_error_points_at_its_line_and_column() -> None:
    with pytest.raises(InputError) as raised:
        autograph.parse("a = x + 1\nb = a * * 2")
    assert raised.value.position() == (2, 9)
    assert raised.value.render().endswith("   | b = a * * 2\n   |         ^")


def test_an_error_at_the_end_of_input_points_past_the_end() -> None:
    with pytest.raises(InputError) as raised:
        autograph.parse("x + 1 *")
    assert raised.value.render().endswith("   | x + 1 *\n   |        ^")


def test_a_reassigned_name_labels_its_next_node_with_a_prime() -> None:
    graph = autograph.parse("a = x*x; a = a*a; a = a + 1")
    assert [name for name in graph.names if name.startswith("a")] == ["a", "a'", "a''"]
    assert len(set(graph.names)) == len(graph.names)
