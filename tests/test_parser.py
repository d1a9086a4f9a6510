"""The fast parser builds exactly the graph, and reports exactly the error, that Lark's tree does.

The reference is Lark's own LALR parser building a parse tree (with
``propagate_positions``), walked by the straightforward builder autograph
started with. ``autograph.parse`` drives Lark's tables itself and builds the
graph during the parse; every node, span, label and error must agree.
"""

from __future__ import annotations

import math
from functools import cache
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

import autograph
from autograph import InputError, ops
from autograph.errors import Span
from autograph.language.grammar import lark_parser, teach
from strategies import broken_programs, programs

Description = tuple[Any, ...]


def describe(graph: autograph.Graph) -> Description:
    nodes = list(
        zip(
            [op.name for op in graph.ops],
            graph.inputs,
            graph.constants,
            graph.labels,
            graph.starts,
            graph.ends,
            strict=True,
        )
    )
    return nodes, dict(graph.variables), graph.statements, graph.output


@cache
def _lark() -> Any:
    return lark_parser()


def reference(source: str) -> Description:
    """The graph by way of Lark's parse tree; raises InputError like autograph.parse.

    Lark's syntax error is then taught as autograph teaches its own (``grammar.teach``:
    a pasted character named, an unclosed parenthesis pointed at).
    """
    try:
        return _reference(source)
    except InputError as error:
        raise teach(InputError(error.kind, error.message, error.span, source), source) from None


def _reference(source: str) -> Description:
    from lark.exceptions import UnexpectedCharacters, UnexpectedToken

    try:
        tree = _lark().parse(source)
    except UnexpectedCharacters as err:
        at = err.pos_in_stream or 0
        raise InputError(
            "syntax", f"unexpected character {source[at]!r}", Span(at, at + 1)
        ) from None
    except UnexpectedToken as err:
        token = err.token
        if token.type == "$END":
            end = len(source.rstrip())
            raise InputError(
                "syntax", "unexpected end of the program", Span(end, end + 1)
            ) from None
        words = {"NUMBER": "a number", "NAME": "a name", "LPAR": "'('", "RPAR": "')'"}
        words |= {"PLUS": "'+'", "MINUS": "'-'", "STAR": "'*'", "SLASH": "'/'", "_POW": "'^'"}
        words |= {"EQUAL": "'='", "COMMA": "','", "SEMICOLON": "';'", "_NL": "a new line"}
        words |= {"$END": "the end of the program"}
        expected = sorted({words.get(t, t) for t in err.expected if t != "_NL"})
        if expected and len(expected) <= 6:
            hint = "; expected " + (
                expected[0]
                if len(expected) == 1
                else ", ".join(expected[:-1]) + " or " + expected[-1]
            )
        else:
            hint = ""
        shown = "end of the line" if token.type == "_NL" else repr(str(token))
        start = token.start_pos or 0
        raise InputError(
            "syntax", f"unexpected {shown}{hint}", Span(start, token.end_pos)
        ) from None
    return _TreeBuilder().build(tree)


class _TreeBuilder:
    """The original builder: walks the parse tree with an explicit stack."""

    def __init__(self) -> None:
        self.nodes: list[tuple[Any, ...]] = []
        self.variables: dict[str, int] = {}
        self.statements: list[tuple[str | None, int]] = []
        self.env: dict[str, int] = {}
        self.index: dict[tuple[object, ...], int] = {}
        self.named: set[int] = set()

    def build(self, tree: Any) -> Description:
        if not tree.children:
            raise InputError("empty-program", "the program is empty")
        for statement in tree.children:
            if statement.data == "assign":
                token, expr = statement.children
                name = str(token)
                if name in ops.CONSTANTS or name in ops.FUNCTIONS:
                    what = "a constant" if name in ops.CONSTANTS else "a function"
                    raise InputError(
                        "assign-to-reserved",
                        f"cannot assign to {name!r}: it is {what}",
                        Span(token.start_pos, token.end_pos),
                    )
                before = len(self.nodes)
                node = self.expression(expr)
                if self.nodes[node][0] == "const" and node not in self.named:
                    # k = 2: the number gets a node of its own, which a later 2 does not share
                    if node >= before:
                        value = self.nodes[node][2]
                        del self.index[("const", value, math.copysign(1.0, value))]
                    else:
                        self.nodes.append(self.nodes[node])
                        node = len(self.nodes) - 1
                self.named.add(node)
                if self.nodes[node][3] is None:
                    self.nodes[node] = (*self.nodes[node][:3], name, *self.nodes[node][4:])
                self.env[name] = node
                self.statements.append((name, node))
            else:
                self.statements.append((None, self.expression(statement)))
        return self.nodes, self.variables, self.statements, self.statements[-1][1]

    def expression(self, tree: Any) -> int:
        results: list[int] = []
        stack: list[tuple[Any, bool]] = [(tree, False)]
        while stack:
            item, expanded = stack.pop()
            kind = item.data
            if kind == "number":
                token = item.children[0]
                span = (token.start_pos, token.end_pos)
                results.append(self.leaf("const", self.number(token), str(token), span))
            elif kind == "name":
                results.append(self.name(item.children[0]))
            elif kind == "pos" and expanded:
                pass
            elif kind == "neg" and item.children[0].data == "number":
                token = item.children[0].children[0]
                span = (item.meta.start_pos, item.meta.end_pos)
                results.append(self.leaf("const", -self.number(token), f"-{token}", span))
            elif not expanded:
                stack.append((item, True))
                children = item.children[1:] if kind == "call" else item.children
                stack.extend((child, False) for child in reversed(children))
            else:
                span = (item.meta.start_pos, item.meta.end_pos)
                if kind == "call":
                    token = item.children[0]
                    op = self.function(token, len(item.children) - 1, span)
                else:
                    op = ops.BY_NAME[kind]
                args = tuple(results[len(results) - op.arity :])
                del results[len(results) - op.arity :]
                results.append(self.node(op.name, args, span))
        return results[-1]

    def function(self, token: Any, given: int, span: tuple[int, int]) -> ops.Op:
        name = str(token)
        op = ops.FUNCTIONS.get(name)
        if op is None:
            if name in self.env or name in self.variables:
                message = f"{name!r} is a variable, not a function"
            else:
                message = f"unknown function {name!r}"
            raise InputError("unknown-function", message, Span(token.start_pos, token.end_pos))
        if given != op.arity:
            plural = "s" if op.arity != 1 else ""
            message = f"{name} takes {op.arity} argument{plural}, got {given}"
            raise InputError("arity", message, Span(*span))
        return op

    def number(self, token: Any) -> float:
        value = float(token)
        if not math.isfinite(value):
            raise InputError("number-too-large", "", Span(token.start_pos, token.end_pos))
        return value

    def name(self, token: Any) -> int:
        name, span = str(token), (token.start_pos, token.end_pos)
        if name in self.env:
            return self.env[name]
        if name in ops.CONSTANTS:
            return self.leaf("const", ops.CONSTANTS[name], name, span)
        if name in ops.FUNCTIONS:
            raise InputError("function-as-value", "", Span(*span))
        node = self.leaf("var", 0.0, name, span)
        self.variables.setdefault(name, node)
        return node

    def leaf(self, op: str, value: float, label: str, span: tuple[int, int]) -> int:
        key = (op, label) if op == "var" else (op, value, math.copysign(1.0, value))
        if key not in self.index:
            self.index[key] = len(self.nodes)
            self.nodes.append((op, (), value, label, *span))
        return self.index[key]

    def node(self, op: str, args: tuple[int, ...], span: tuple[int, int]) -> int:
        key = (op, *args)
        if key not in self.index:
            self.index[key] = len(self.nodes)
            self.nodes.append((op, args, 0.0, None, *span))
        return self.index[key]


def outcome(parse: Any, source: str) -> Any:
    """What parsing does: the graph's description, or the error's kind, place and message."""
    try:
        result = parse(source)
    except InputError as error:
        span = (error.span.start, error.span.end) if error.span else None
        # The reference builder does not spell out every message of meaning.
        message = error.message if error.kind in ("syntax", "assign-to-reserved", "arity") else ""
        return ("error", error.kind, span, message.split("; did you mean")[0].split("; known")[0])
    return describe(result) if parse is autograph.parse else result


def agree(source: str) -> None:
    assert outcome(autograph.parse, source) == outcome(reference, source), source


TRICKY = [
    "-(3)",
    "-((3))",
    "-(3)*2",
    "(3)+x",
    "-+3",
    "+-3",
    "--3",
    "3 + -(3)",
    "-3^2",
    "-(3)^2",
    "2^-1",
    "x*-3",
    "-x^-2",
    "sin( x )*(y)",
    "max(x, -2) + min(-2, x)",
    "a = (x)\na",
    "a = x; a = a * a; a",
    "y = (x +\n 1) * (2\n)\ny",
    "# c\na = x + 1  # d\na",
    "x + 1;\n\n",
    "(x+1)*(x+1)",
    "-0 + 0",
    "1e999",
    "-1e999",
    "x $ 2",
    "2 3",
    "x + (",
    "sin(x,)",
    "x ** * 2",
    "(x\n+1",
    "x\n\n)",
    "a =",
    "",
    "  # only a comment\n",
    "sin = foo(x)",
    "foo(x) + )",
    "sin(x, 2)",
    "max(x)",
    "max(x, y, x, y)",
    "pi = 3",
    "a = 2; a(3)",
    "sin + 1",
    "x = 1 = 2",
    "f(\n",
    "\\\nx",
    "x;;;y",
]


@pytest.mark.parametrize("source", TRICKY)
def test_tricky_programs_parse_exactly_as_lark_trees_do(source: str) -> None:
    agree(source)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(programs())
def test_random_programs_build_the_same_graph_as_lark_trees_do(source: str) -> None:
    agree(source)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(broken_programs())
def test_broken_programs_fail_exactly_as_lark_trees_do(source: str) -> None:
    agree(source)
