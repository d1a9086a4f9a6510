"""The computational graph: nodes in flat arrays, in topological order.

A node is an op from the op table applied to earlier nodes. Node ``i`` only
ever uses nodes ``j < i``, so a forward pass is a loop from first to last and
a reverse pass a loop from last to first. Equal subexpressions are merged into
one node while building (hash-consing), so ``(x+1)*(x+1)`` has one ``x+1``.

Building walks Lark's parse tree with an explicit stack: a formula nested
100,000 deep builds like any other.
"""

from __future__ import annotations

import gc
import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from autograph import ops
from autograph.errors import InputError, Span
from autograph.ops import CONST, VAR, Op

if TYPE_CHECKING:
    from lark import Token, Tree

BINARY_RULES = {"add": "add", "sub": "sub", "mul": "mul", "div": "div", "pow": "pow"}


@dataclass(eq=False)
class Graph:
    """A program as a DAG of operations, stored as parallel lists indexed by node id."""

    source: str
    """The program text the graph was built from."""
    ops: list[Op] = field(default_factory=list)
    inputs: list[tuple[int, ...]] = field(default_factory=list)
    constants: list[float] = field(default_factory=list)
    """The value of each ``const`` node (0.0 for other nodes)."""
    labels: list[str | None] = field(default_factory=list)
    """Variable name, assigned name or number text; None for unnamed intermediates."""
    starts: list[int] = field(default_factory=list)
    ends: list[int] = field(default_factory=list)
    variables: dict[str, int] = field(default_factory=dict)
    """Free variables (names never assigned before use), in order of first use."""
    statements: list[tuple[str | None, int]] = field(default_factory=list)
    """Each statement's assigned name (None for a bare expression) and its node."""
    output: int = -1
    """The node of the last statement: the program's result."""

    def __len__(self) -> int:
        return len(self.ops)

    def span(self, node: int) -> Span:
        """Where in the source the node was first written."""
        return Span(self.starts[node], self.ends[node])

    def text(self, node: int, limit: int = 60) -> str:
        """The node's source text as the user typed it, shortened past ``limit``."""
        text = " ".join(self.source[self.starts[node] : self.ends[node]].split())
        return text if len(text) <= limit else text[: limit - 3] + "..."

    @cached_property
    def names(self) -> list[str]:
        """A display name per node: its label, or a short generated one (t1, t2, ...)."""
        taken = {label for label in self.labels if label is not None}
        names: list[str] = []
        counter = 0
        for label in self.labels:
            if label is None:
                counter += 1
                while f"t{counter}" in taken:
                    counter += 1
                label = f"t{counter}"
            names.append(label)
        return names

    def users(self) -> list[list[int]]:
        """For each node, the nodes that take it as an input (in order, repeats kept)."""
        users: list[list[int]] = [[] for _ in self.ops]
        for node, args in enumerate(self.inputs):
            for arg in args:
                users[arg].append(node)
        return users


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause the garbage collector: building allocates millions of objects it need not scan."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def parse(source: str) -> Graph:
    """Parse program text into a graph; raises ``InputError`` on bad input."""
    from autograph.grammar import parse_tree

    with _collector_paused():
        tree = parse_tree(source)
        return _Builder(source).build(tree)


class _Builder:
    """Turns a parse tree into a Graph, merging equal subexpressions."""

    def __init__(self, source: str) -> None:
        self.graph = Graph(source)
        self.env: dict[str, int] = {}
        self.index: dict[tuple[object, ...], int] = {}

    def build(self, tree: Tree[Token]) -> Graph:
        graph = self.graph
        if not tree.children:
            raise InputError("empty-program", "the program is empty", None, graph.source)
        statement: Any
        for statement in tree.children:
            if statement.data == "assign":
                name_token, expr = statement.children
                name = str(name_token)
                self._check_assignable(name, name_token)
                node = self._expression(expr)
                if graph.labels[node] is None:
                    graph.labels[node] = name
                self.env[name] = node
                graph.statements.append((name, node))
            else:
                graph.statements.append((None, self._expression(statement)))
        graph.output = graph.statements[-1][1]
        return graph

    def _check_assignable(self, name: str, token: Token) -> None:
        what = (
            "a constant"
            if name in ops.CONSTANTS
            else "a function"
            if name in ops.FUNCTIONS
            else None
        )
        if what:
            raise InputError(
                "assign-to-reserved",
                f"cannot assign to {name!r}: it is {what}",
                _token_span(token),
                self.graph.source,
            )

    def _expression(self, tree: Any) -> int:
        """Build the nodes of one expression bottom-up, without recursion."""
        results: list[int] = []
        stack: list[tuple[Any, bool]] = [(tree, False)]
        while stack:
            item, expanded = stack.pop()
            kind = item.data
            if kind == "number":
                results.append(self._number(item.children[0]))
            elif kind == "name":
                results.append(self._name(item.children[0]))
            elif kind == "pos" and expanded:
                pass  # unary plus is the identity: its operand's node stands
            elif kind == "neg" and item.children[0].data == "number":
                results.append(self._negative_number(item))
            elif not expanded:
                stack.append((item, True))
                children = item.children
                if kind == "call":
                    children = children[1:]
                stack.extend((child, False) for child in reversed(children))
            else:
                results.append(self._operation(item, results))
        return results[-1]

    def _operation(self, tree: Tree[Token], results: list[int]) -> int:
        kind = str(tree.data)
        meta = tree.meta
        span = (meta.start_pos, meta.end_pos)
        if kind == "call":
            name_token: Any = tree.children[0]
            op = self._function(name_token, len(tree.children) - 1, span)
        elif kind == "neg":
            op = ops.BY_NAME["neg"]
        else:
            op = ops.BY_NAME[BINARY_RULES[kind]]
        args = tuple(results[len(results) - op.arity :])
        del results[len(results) - op.arity :]
        return self._node(op, args, span)

    def _function(self, token: Token, given: int, span: tuple[int, int]) -> Op:
        name = str(token)
        op = ops.FUNCTIONS.get(name)
        source = self.graph.source
        if op is None:
            if name in self.env or name in self.graph.variables:
                message = f"{name!r} is a variable, not a function"
            else:
                message = f"unknown function {name!r}" + _suggest(name)
            raise InputError("unknown-function", message, _token_span(token), source)
        if given != op.arity:
            plural = "s" if op.arity != 1 else ""
            raise InputError(
                "arity",
                f"{name} takes {op.arity} argument{plural}, got {given}",
                Span(*span),
                source,
            )
        return op

    def _number(self, token: Token) -> int:
        value = self._number_value(token)
        return self._leaf(CONST, value, str(token), (token.start_pos or 0, token.end_pos or 0))

    def _number_value(self, token: Token) -> float:
        value = float(token)
        if not math.isfinite(value):
            raise InputError(
                "number-too-large",
                f"the number {_short(str(token))} is too large for float64",
                _token_span(token),
                self.graph.source,
            )
        return value

    def _negative_number(self, tree: Tree[Token]) -> int:
        """``-3`` is the number -3, not an operation on 3."""
        token: Any = tree.children[0].children[0]  # type: ignore[union-attr]
        value = -self._number_value(token)
        span = (tree.meta.start_pos, tree.meta.end_pos)
        return self._leaf(CONST, value, f"-{token}", span)

    def _name(self, token: Token) -> int:
        name = str(token)
        span = (token.start_pos or 0, token.end_pos or 0)
        if name in self.env:
            return self.env[name]
        if name in ops.CONSTANTS:
            return self._leaf(CONST, ops.CONSTANTS[name], name, span)
        if name in ops.FUNCTIONS:
            raise InputError(
                "function-as-value",
                f"{name!r} is a function: call it, as in {name}(x)",
                Span(*span),
                self.graph.source,
            )
        node = self._leaf(VAR, 0.0, name, span)
        self.graph.variables.setdefault(name, node)
        return node

    def _leaf(self, op: Op, value: float, label: str, span: tuple[int, int]) -> int:
        key = (op.name, label) if op is VAR else (op.name, value, math.copysign(1.0, value))
        node = self.index.get(key)
        if node is None:
            node = self._append(op, (), value, label, span)
            self.index[key] = node
        return node

    def _node(self, op: Op, args: tuple[int, ...], span: tuple[int, int]) -> int:
        key = (op.name, *args)
        node = self.index.get(key)
        if node is None:
            node = self._append(op, args, 0.0, None, span)
            self.index[key] = node
        return node

    def _append(
        self, op: Op, args: tuple[int, ...], value: float, label: str | None, span: tuple[int, int]
    ) -> int:
        graph = self.graph
        graph.ops.append(op)
        graph.inputs.append(args)
        graph.constants.append(value)
        graph.labels.append(label)
        graph.starts.append(span[0])
        graph.ends.append(span[1])
        return len(graph.ops) - 1


def _token_span(token: Token) -> Span:
    start = token.start_pos or 0
    return Span(start, token.end_pos or start + 1)


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _suggest(name: str) -> str:
    import difflib

    close = difflib.get_close_matches(name, list(ops.FUNCTIONS), n=1)
    known = ", ".join(sorted(ops.FUNCTIONS))
    return f"; did you mean {close[0]!r}?" if close else f"; known functions: {known}"
