"""Errors that teach: each says what is wrong, where, and what to type instead (exact text)."""

from __future__ import annotations

import pytest


def error_of(run, *args: str) -> str:
    out = run(*args)
    assert out.code == 2 and out.stdout == "", out
    return out.stderr


def test_an_unclosed_parenthesis_is_named_at_the_open_paren_on_its_line(run) -> None:
    assert error_of(run, "eval", "a = (x +\n1\nb = a", "--at", "x=1") == (
        "error: unclosed '(': line 3 is read as inside it; add the missing ')'\n"
        "  --> line 1, column 5\n"
        "   | a = (x +\n"
        "   |     ^\n"
    )


def test_a_parenthesis_still_open_at_the_end_of_the_program_is_pointed_at(run) -> None:
    assert error_of(run, "eval", "f = sin((x + 1)", "--at", "x=1") == (
        "error: unclosed '(': the program ends inside it; add the missing ')'\n"
        "  --> line 1, column 8\n"
        "   | f = sin((x + 1)\n"
        "   |        ^\n"
    )


def test_a_statement_ending_inside_a_parenthesis_points_at_the_parenthesis(run) -> None:
    assert error_of(run, "eval", "a = (x + 1; b = 2*a", "--at", "x=1") == (
        "error: unclosed '(': its statement ends inside it, at the ';' of line 1, column 11; "
        "add the missing ')'\n"
        "  --> line 1, column 5\n"
        "   | a = (x + 1; b = 2*a\n"
        "   |     ^\n"
    )


def test_an_error_on_the_line_of_an_open_parenthesis_is_reported_where_it_is(run) -> None:
    assert error_of(run, "eval", "(x + 1 2)", "--at", "x=1") == (
        "error: unexpected '2'; did you mean 1*2?\n"
        "  --> line 1, column 8\n"
        "   | (x + 1 2)\n"
        "   |        ^\n"
    )


@pytest.mark.parametrize(
    ("program", "column", "told"),
    [
        ("x \u2212 3", 3, "'−' (U+2212, a typographic minus): type - instead"),
        ("x \u2013 3", 3, "'–' (U+2013, an en dash): type - instead"),
        ("2 \u00d7 x", 3, "'×' (U+00D7, a multiplication sign): type * instead"),
        ("2\u00b7x", 2, "'·' (U+00B7, a middle dot): type * instead"),
        ("x\u00b2 + 1", 2, "'²' (U+00B2, a superscript 2): type ^2 instead"),
        ("x\u00b3", 2, "'³' (U+00B3, a superscript 3): type ^3 instead"),
        ("1 + \u221ax", 5, "'√' (U+221A, a square root sign): type sqrt(x) instead"),
        ("x \u00f7 2", 3, "'÷' (U+00F7, a division sign): type / instead"),
        (
            "\u03b1*x",
            1,
            "'α' (U+03B1, a Greek letter): names are ASCII letters, digits and _; "
            "type alpha instead",
        ),
        (
            "2*\u03c0*x",
            3,
            "'π' (U+03C0, a Greek letter): names are ASCII letters, digits and _; type pi instead",
        ),
        (
            "caf\u00e9",
            4,
            "'é' (U+00E9, not an ASCII letter): names are ASCII letters, digits and _",
        ),
    ],
)
def test_a_character_pasted_from_a_slide_gets_a_hint(run, program, column, told) -> None:
    assert error_of(run, "eval", program, "--at", "x=1") == (
        f"error: unexpected character {told}\n"
        f"  --> line 1, column {column}\n"
        f"   | {program}\n"
        f"   | {' ' * (column - 1)}^\n"
    )


def test_a_character_nothing_is_known_about_is_only_named(run) -> None:
    assert error_of(run, "eval", "x $ 2", "--at", "x=1").startswith(
        "error: unexpected character '$'\n  --> line 1, column 3\n"
    )


def test_a_typographic_minus_in_at_gets_the_option_to_type(run) -> None:
    assert error_of(run, "eval", "x", "--at", "x=\u22123") == (
        "error: --at x: '−3' is not a number; '−' (U+2212, a typographic minus): type --at x=-3\n"
    )


def test_a_greek_name_in_at_is_spelled_out(run) -> None:
    assert error_of(run, "eval", "x", "--at", "\u03b8=1") == (
        "error: --at expects NAME=VALUE pairs such as x=-3, got 'θ=1'; 'θ' (U+03B8, a Greek "
        "letter): names are ASCII letters, digits and _; type theta instead\n"
    )


def test_a_missing_command_is_said_to_be_missing(run) -> None:
    assert error_of(run, "x^2", "--at", "x=1") == (
        "error: a command is missing: autograph eval 'x^2' ..., autograph grad 'x^2' ... "
        "(the commands: diff, eval, explain, fit, grad, graph, hessian, jvp, repl; "
        "see autograph --help)\n"
    )


def test_a_misspelt_command_gets_the_command_meant(run) -> None:
    assert error_of(run, "gard", "x") == (
        "error: unknown command 'gard'; did you mean grad? "
        "(the commands: diff, eval, explain, fit, grad, graph, hessian, jvp, repl)\n"
    )


def test_an_unknown_option_suggests_nothing_far_from_it(run) -> None:
    assert error_of(run, "grad", "x", "--foo") == (
        "error: autograph grad has no option --foo (see autograph grad --help)\n"
    )


@pytest.mark.parametrize(("typed", "meant"), [("--wtr", "--wrt"), ("--to", "--tol")])
def test_an_option_one_slip_away_is_suggested(run, typed, meant) -> None:
    assert error_of(run, "grad", "x", typed) == (
        f"error: autograph grad has no option {typed}; did you mean {meant}? "
        "(see autograph grad --help)\n"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("grad", "x", "--tol", "abc"), "--tol takes a number, got 'abc'"),
        (
            ("graph", "x", "--format", "jpg"),
            "--format takes one of text, dot, mermaid, svg, png, html, got 'jpg'",
        ),
        (("grad", "x", "--digits"), "--digits needs a value (see autograph COMMAND --help)"),
        (
            ("grad", "x", "+", "y"),
            "autograph grad takes the program as one argument, and got more: '+ y'; "
            'quote the whole program, e.g. autograph grad "x + y"',
        ),
    ],
)
def test_click_s_usage_errors_are_said_in_autograph_s_words(run, args, message) -> None:
    assert error_of(run, *args) == f"error: {message}\n"


@pytest.mark.parametrize("args", [("-h",), ("grad", "-h"), ("eval", "--at", "x=1", "-h")])
def test_minus_h_is_help_everywhere(run, args) -> None:
    out = run(*args)
    assert out.code == 0 and out.stdout.startswith("Usage: autograph")


def test_an_expression_starting_with_minus_h_is_still_an_expression(run) -> None:
    out = run("eval", "-h^2", "--at", "h=3", "--json")
    assert out.code == 0 and out.json()["value"] == -9


def test_two_values_for_one_variable_are_reported_as_typed(run) -> None:
    assert error_of(run, "eval", "x", "--at", "x=1", "--at", "x=2") == (
        "error: --at gives x two values: 1 and 2\n"
    )
    assert error_of(run, "eval", "x", "--at", "x=1.0,x=1e0", "--at", "x=0.10") == (
        "error: --at gives x two values: 1.0 and 0.10\n"
    )
