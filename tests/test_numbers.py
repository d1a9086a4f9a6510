"""Numbers for people: one formatter, rounded by default, every digit on request, JSON untouched."""

from __future__ import annotations

import math
from typing import Any

import pytest

from autograph.numbers import DEFAULT_DIGITS, digits_shown, format_number, parse_digits


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (81.0, "81"),
        (-13.0, "-13"),
        (84.5, "84.5"),
        (0.1 + 0.2, "0.3"),
        (0.6000000000000001, "0.6"),
        (-0.6447060657980646, "-0.644706"),
        (2.4e-11, "2.4e-11"),
        (1234567.0, "1234567"),
        (1234567.5, "1.23457e+06"),
        (1e20, "1e+20"),
    ],
)
def test_the_default_rounds_to_six_significant_digits(value: float, text: str) -> None:
    assert DEFAULT_DIGITS == 6
    assert format_number(value) == text


def test_full_digits_are_the_shortest_text_that_reads_back_the_same() -> None:
    assert format_number(0.1 + 0.2, None) == "0.30000000000000004"
    with digits_shown(None):
        assert format_number(-0.6447060657980646) == "-0.6447060657980646"
    assert format_number(0.1 + 0.2) == "0.3"  # the setting ends with the block


def test_negative_zero_prints_as_zero_in_every_mode() -> None:
    assert format_number(-0.0) == format_number(0.0) == "0"
    assert format_number(-0.0, None) == "0"
    assert format_number(-0.0, 3) == "0"


def test_digits_are_a_count_or_full() -> None:
    assert parse_digits("3") == 3
    assert parse_digits("full") is None
    for bad in ("0", "18", "-1", "six", ""):
        with pytest.raises(ValueError, match="from 1 to 17, or full"):
            parse_digits(bad)


def test_non_finite_numbers_still_print() -> None:
    assert format_number(math.inf) == "inf"
    assert format_number(-math.inf, 3) == "-inf"


def test_the_table_shows_point_three_and_full_digits_on_request(run: Any) -> None:
    rounded = run("eval", "a = 0.1; b = 0.2; a + b")
    assert "0.3\n" in rounded.stdout
    assert "0.30000000000000004" not in rounded.stdout
    full = run("eval", "a = 0.1; b = 0.2; a + b", "--digits", "full")
    assert "value     t1 = 0.30000000000000004" in full.stdout


def test_json_keeps_every_digit_whatever_digits_says(run: Any) -> None:
    plain = run("grad", "x*0.1 + 0.2", "--at", "x=1", "--json")
    rounded = run("grad", "x*0.1 + 0.2", "--at", "x=1", "--json", "--digits", "2")
    assert plain.stdout == rounded.stdout
    assert plain.json()["value"] == 0.30000000000000004


@pytest.mark.parametrize("command", ["eval", "grad", "explain", "graph", "diff"])
def test_every_command_that_prints_numbers_takes_digits(run: Any, command: str) -> None:
    done = run(command, "x/3", "--at", "x=1", "--digits", "3")
    assert done.code == 0, done.stderr
    assert "0.333" in done.stdout
    assert "0.3333" not in done.stdout


def test_a_bad_digits_value_is_a_usage_error(run: Any) -> None:
    done = run("eval", "x", "--at", "x=1", "--digits", "many")
    assert done.code == 2
    assert done.stderr == (
        "error: --digits takes a number of significant digits from 1 to 17, or full; got 'many'\n"
    )


def test_check_rounds_its_table_but_keeps_its_differences(run: Any) -> None:
    done = run("grad", "x/3", "--at", "x=1", "--check", "--digits", "3")
    assert done.code == 0, done.stderr
    row = next(line for line in done.stdout.splitlines() if line.startswith("∂t1/∂x"))
    assert row.split()[1:4] == ["0.333", "0.333", "0.333"]
