"""The computational graph: nodes in flat arrays, in topological order.

A node is an op from the op table applied to earlier nodes. Node ``i`` only
ever uses nodes ``j < i``, so a forward pass is a loop from first to last and
a reverse pass a loop from last to first. Equal subexpressions are merged into
one node while building (hash-consing), so ``(x+1)*(x+1)`` has one ``x+1``.

The graph is built while the parser reduces (see ``grammar.parse``), without a
parse tree and without recursion: a formula nested 100,000 deep builds like any
other. Once built, a graph lays out a ``Plan`` when a pass first asks: its operation
nodes as parallel lists, which is what the forward and reverse passes loop over.
"""

from __future__ import annotations

import gc
import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from autograph import ops
from autograph.display import Displayed
from autograph.errors import InputError, Span, shorten
from autograph.ops import CONST, VAR, Op
from autograph.plan import Plan, lay_out

if TYPE_CHECKING:
    from autograph.language.grammar import Entry, Handler

BINARY_RULES = {"add": "add", "sub": "sub", "mul": "mul", "div": "div", "pow": "pow"}


@dataclass(eq=False, repr=False)
class Graph(Displayed):
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
    """The program's result: the node of the last statement (of a gradient graph, the value)."""
    outputs: dict[str, int] = field(default_factory=dict)
    """Named results besides ``output``: a gradient graph's ``grad_v`` per variable ``v``;
    empty for a parsed program."""
    assigned: dict[int, list[str]] = field(default_factory=dict)
    """The names statements gave each node, in the program's order (``k = 2; y = x``)."""

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
        """A name per node, each different: the one rule every output follows.

        A variable is its name; a node a statement names is the first name it was
        given (``k`` in ``k = 2``, not ``2``); a number is its text as written;
        any other node gets a generated one (t1, t2, ...). A name assigned again
        labels its next node with a prime (a, a', a''), up to three primes, then
        with a count (``a⁽⁴⁾``), so names stay short and are made in linear time.
        """
        return self._naming[0]

    @cached_property
    def aliases(self) -> dict[int, list[str]]:
        """The other names of a node several names denote: ``y`` for ``x`` in ``y = x``.

        They follow the same rule as ``names`` (primes for a name given again).
        """
        return self._naming[1]

    @cached_property
    def _naming(self) -> tuple[list[str], dict[int, list[str]]]:
        taken = {label for label in self.labels if label is not None}
        taken.update(name for names in self.assigned.values() for name in names)
        uses: dict[str, int] = {}

        def unique(name: str) -> str:
            count = uses.get(name, 0)
            uses[name] = count + 1
            return name if count == 0 else name + _primes(count)

        # A generated name (t1, t2, ...) skips the names the program uses, so it is never
        # used twice: it needs no count. Only a program using names like t7 needs a check.
        generated_could_clash = any(label.startswith("t") for label in taken)
        names: list[str] = []
        aliases: dict[int, list[str]] = {}
        counter = 0
        assigned, ops_ = self.assigned, self.ops
        for node, label in enumerate(self.labels):
            if label is None and not generated_could_clash and node not in assigned:
                counter += 1
                names.append(f"t{counter}")
                continue
            given = assigned.get(node)
            if given and ops_[node] is CONST:
                label = given[0]
            elif label is None:
                counter += 1
                while f"t{counter}" in taken:
                    counter += 1
                label = f"t{counter}"
            count = uses.get(label, 0)  # unique(label), inlined: this loop runs per node
            uses[label] = count + 1
            names.append(label if count == 0 else label + _primes(count))
            if given:
                others = [unique(name) for name in given if name != label]
                if others:
                    aliases[node] = others
        return names, aliases

    def name_with_aliases(self, node: int) -> str:
        """The node's name, with its other names after it: ``x (also y)``."""
        others = self.aliases.get(node)
        return self.names[node] if not others else f"{self.names[node]} (also {', '.join(others)})"

    @cached_property
    def plan(self) -> Plan:
        """The graph laid out for fast forward and reverse passes (built once, then kept)."""
        return lay_out(self.ops, self.inputs, self.variables.values())

    def users(self) -> list[list[int]]:
        """For each node, the nodes that take it as an input (in order, repeats kept)."""
        users: list[list[int]] = [[] for _ in self.ops]
        for node, args in enumerate(self.inputs):
            for arg in args:
                users[arg].append(node)
        return users


class Builder:
    """Appends nodes to a graph, merging equal subexpressions: the one way to add a node.

    ``apply(op, *inputs)`` gives the node of ``op`` applied to earlier nodes, the one
    already there if it was made before (hash-consing, so ``(x+1)*(x+1)`` has one
    ``x+1``); ``variable`` and ``constant`` give leaves. The parser builds every
    graph through one, and so does ``autograph.gradient``. Spans say where in the
    graph's source a node was written (0, 0 for a node written nowhere).
    """

    def __init__(self, graph: Graph) -> None:
        self.graph = graph
        self.index: dict[tuple[object, ...], int] = {}
        """Each node's key (op name and inputs, or the leaf's name or value): the merging."""
        for node in range(len(graph.ops)):
            self.index.setdefault(self._key(node), node)

    def _key(self, node: int) -> tuple[object, ...]:
        graph = self.graph
        op = graph.ops[node]
        if op is VAR:
            return (VAR.name, graph.labels[node])
        if op is CONST:
            value = graph.constants[node]
            if node in graph.assigned:  # ``k = 2`` is k: a later 2 is a node of its own
                return (CONST.name, value, math.copysign(1.0, value), node)
            return (CONST.name, value, math.copysign(1.0, value))
        return (op.name, *graph.inputs[node])

    def variable(self, name: str, start: int = 0, end: int = 0) -> int:
        """The node of free variable ``name`` (made at its first use)."""
        node = self.graph.variables.get(name)
        if node is None:
            node = self.leaf(VAR, 0.0, name, start, end)[0]
            self.graph.variables[name] = node
        return node

    def constant(self, value: float, label: str | None = None, start: int = 0, end: int = 0) -> int:
        """The node of the number ``value``, written as ``label`` (by default its digits)."""
        if label is None:
            label = repr(value) if not value.is_integer() or abs(value) >= 1e16 else str(int(value))
        return self.leaf(CONST, value, label, start, end)[0]

    def leaf(self, op: Op, value: float, label: str, start: int, end: int) -> tuple[int, bool]:
        """A variable or constant node, and whether it is new."""
        key = (op.name, label) if op is VAR else (op.name, value, math.copysign(1.0, value))
        node = self.index.get(key)
        if node is not None:
            return node, False
        node = self.index[key] = self.append(op, (), value, label, start, end)
        return node, True

    def apply(self, op: Op, inputs: tuple[int, ...], start: int = 0, end: int = 0) -> int:
        """The node of ``op`` applied to the nodes ``inputs``, merged with an equal one."""
        key = (op.name, *inputs)
        node = self.index.get(key)
        if node is None:
            if len(inputs) != op.arity or (
                inputs and (min(inputs) < 0 or max(inputs) >= len(self.graph.ops))
            ):
                raise ValueError(f"{op.name} takes {op.arity} earlier nodes, got {inputs}")
            node = self.index[key] = self.append(op, inputs, 0.0, None, start, end)
        return node

    def append(
        self, op: Op, args: tuple[int, ...], value: float, label: str | None, start: int, end: int
    ) -> int:
        """Add a node without merging (``apply`` and ``leaf`` merge first)."""
        graph = self.graph
        node = len(graph.ops)
        graph.ops.append(op)
        graph.inputs.append(args)
        graph.constants.append(value)
        graph.labels.append(label)
        graph.starts.append(start)
        graph.ends.append(end)
        made = graph.__dict__  # a plan or names made before this node are out of date
        if "plan" in made or "_naming" in made:
            for cached in ("plan", "names", "aliases", "_naming"):
                made.pop(cached, None)
        return node

    def remove_last(self, node: int) -> None:
        """Take back the newest node, a constant (the parser's literal that turned out negated)."""
        graph = self.graph
        assert node == len(graph.ops) - 1 and graph.ops[node] is CONST
        del self.index[self._key(node)]
        for column in (graph.ops, graph.inputs, graph.constants, graph.labels, graph.starts):
            column.pop()
        graph.ends.pop()


def copy(graph: Graph) -> Graph:
    """A graph with the same nodes, variables, statements and outputs, to append nodes to."""
    return Graph(
        graph.source,
        list(graph.ops),
        list(graph.inputs),
        list(graph.constants),
        list(graph.labels),
        list(graph.starts),
        list(graph.ends),
        dict(graph.variables),
        list(graph.statements),
        graph.output,
        dict(graph.outputs),
        {node: list(names) for node, names in graph.assigned.items()},
    )


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the garbage collector: a big graph's passes allocate millions of objects
    that hold no cycles, and scanning them again and again costs more than the work.

    When the pause ends, what it allocated joins the oldest generation without a scan
    (``freeze`` then ``unfreeze`` moves every object there and resets the counts), so
    no collection runs over the new graph the moment the collector is back; a full
    collection, when one comes, still frees any cycle among them.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.freeze()
            gc.unfreeze()
            gc.enable()


def parse(source: str) -> Graph:
    """Parse program text into a graph; raises ``InputError`` on bad input.

    A syntax error anywhere is reported before a mistake of meaning (an unknown
    function, say) in an earlier statement, as a reader checks a program.
    """
    from autograph.language import grammar

    with collector_paused():
        builder = _Builder(source)
        try:
            grammar.parse(source, builder.handlers, {"EQUAL": builder.assigning})
        except InputError as error:
            if error.kind != "syntax":
                grammar.check(source)
            raise
        finally:
            # The handlers are the builder's bound methods: a cycle that would keep the
            # builder and its merge index (a key per node) alive until a collection.
            builder.handlers.clear()
        return builder.graph


class _Builder:
    """Builds the Graph while the parser reduces rules, merging equal subexpressions.

    An expression's parse-stack entry is ``(node, start, end)``; a number literal's
    carries two more items, ``(is_new, text)``, so that ``-3`` can become the
    constant -3 rather than an operation on 3.
    """

    def __init__(self, source: str) -> None:
        self.graph = Graph(source)
        self.nodes = Builder(self.graph)
        self.env: dict[str, int] = {}
        self.handlers: dict[str, Handler] = {
            "start": self.start,
            "assign": self.assign,
            "statement": self.statement,
            "number": self.number,
            "name": self.name,
            "call": self.call,
            "neg": self.negate,
            "pos": self.plus,
        }
        for rule in BINARY_RULES:
            self.handlers[rule] = self._binary(ops.BY_NAME[BINARY_RULES[rule]])

    # Statements

    def start(self, entries: list[Entry]) -> Entry:
        if not self.graph.statements:
            raise InputError("empty-program", "the program is empty", None, self.graph.source)
        self.graph.output = self.graph.statements[-1][1]
        return (None, 0, 0)

    def assigning(self, entries: list[Entry]) -> None:
        """Before ``=`` is read: the name on its left must not be reserved."""
        name, start, end = entries[-1][:3]
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
                f"cannot assign to {shorten(name)!r}: it is {what}",
                Span(start, end),
                self.graph.source,
            )

    def assign(self, entries: list[Entry]) -> Entry:
        name = entries[0][0]
        node = entries[2][0]
        graph = self.graph
        if graph.ops[node] is CONST and node not in graph.assigned:
            node = self._named_constant(node, entries[2][1])
        if graph.labels[node] is None:
            graph.labels[node] = name
        graph.assigned.setdefault(node, []).append(name)
        self.env[name] = node
        graph.statements.append((name, node))
        return (None, entries[0][1], entries[2][2])

    def statement(self, entries: list[Entry]) -> Entry:
        (expression,) = entries
        self.graph.statements.append((None, expression[0]))
        return (None, expression[1], expression[2])

    def _named_constant(self, node: int, start: int) -> int:
        """``k = 2``: a number with a name of its own, which a later ``2`` does not share.

        A number first written in this statement becomes ``k``'s node; one written
        before (``y = x^2; k = 2``) stays as it was, and ``k`` gets a node of its own.
        """
        graph = self.graph
        if graph.starts[node] >= start:
            value = graph.constants[node]
            self.nodes.index.pop((CONST.name, value, math.copysign(1.0, value)), None)
            return node
        label = graph.labels[node]
        return self.nodes.append(
            CONST, (), graph.constants[node], label, graph.starts[node], graph.ends[node]
        )

    # Expressions

    def _binary(self, op: Op) -> Handler:
        # Builder.apply, without its checks of the inputs: the parser's are earlier nodes.
        index, append, name = self.nodes.index, self.nodes.append, op.name

        def build(entries: list[Entry]) -> Entry:
            left, _, right = entries
            start, end = left[1], right[2]
            key = (name, left[0], right[0])
            node = index.get(key)
            if node is None:
                node = index[key] = append(op, (left[0], right[0]), 0.0, None, start, end)
            return (node, start, end)

        return build

    def negate(self, entries: list[Entry]) -> Entry:
        sign, operand = entries
        start, end = sign[1], operand[2]
        if len(operand) > 3:  # -3 is the number -3, not an operation on 3
            node, is_new, text = operand[0], operand[3], operand[4]
            if is_new:
                self.nodes.remove_last(node)
            value = -self._number_value(text, operand) if is_new else -self.graph.constants[node]
            return (self.nodes.leaf(CONST, value, f"-{text}", start, end)[0], start, end)
        return (self._node(ops.BY_NAME["neg"], (operand[0],), start, end), start, end)

    def plus(self, entries: list[Entry]) -> Entry:
        """Unary plus is the identity: its operand's node stands."""
        sign, operand = entries
        return (operand[0], sign[1], operand[2])

    def call(self, entries: list[Entry]) -> Entry:
        name_token = entries[0]
        start, end = name_token[1], entries[-1][2]
        args: list[int] = []
        for entry in entries[2:-1]:
            if isinstance(entry[0], list):  # the rest of the arguments, collected
                args.extend(entry[0])
            else:
                args.append(entry[0])
        op = self._function(name_token, len(args), start, end)
        return (self._node(op, tuple(args), start, end), start, end)

    def _function(self, token: Entry, given: int, start: int, end: int) -> Op:
        name = token[0]
        op = ops.FUNCTIONS.get(name) or ops.DERIVATIVE_FUNCTIONS.get(name)
        source = self.graph.source
        if op is None:
            if name in self.env or name in self.graph.variables:
                message = f"{name!r} is a variable, not a function"
            else:
                message = f"unknown function {name!r}" + _suggest(name)
            raise InputError("unknown-function", message, Span(token[1], token[2]), source)
        if given != op.arity:
            plural = "s" if op.arity != 1 else ""
            raise InputError(
                "arity",
                f"{name} takes {op.arity} argument{plural}, got {given}",
                Span(start, end),
                source,
            )
        return op

    def number(self, entries: list[Entry]) -> Entry:
        (token,) = entries
        text, start, end = token
        node, is_new = self.nodes.leaf(CONST, self._number_value(text, token), text, start, end)
        return (node, start, end, is_new, text)

    def _number_value(self, text: str, token: Entry) -> float:
        value = float(text)
        if not math.isfinite(value):
            raise InputError(
                "number-too-large",
                f"the number {shorten(text)} is too large for float64",
                Span(token[1], token[2]),
                self.graph.source,
            )
        return value

    def name(self, entries: list[Entry]) -> Entry:
        (token,) = entries
        name, start, end = token
        node = self.env.get(name)
        if node is None:
            node = self.graph.variables.get(name)  # a variable used before: the common case
        if node is not None:
            return (node, start, end)
        if name in ops.CONSTANTS:
            return (self.nodes.leaf(CONST, ops.CONSTANTS[name], name, start, end)[0], start, end)
        if name in ops.FUNCTIONS:
            raise InputError(
                "function-as-value",
                f"{shorten(name)!r} is a function: call it, as in {shorten(name)}(x)",
                Span(start, end),
                self.graph.source,
            )
        return (self.nodes.variable(name, start, end), start, end)

    # Nodes

    def _node(self, op: Op, args: tuple[int, ...], start: int, end: int) -> int:
        return self.nodes.apply(op, args, start, end)


_SUPERSCRIPTS = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def _primes(count: int) -> str:
    """The mark of a name's ``count``-th reuse: one to three primes, then a count: ⁽⁴⁾."""
    return "'" * count if count <= 3 else f"⁽{count}⁾".translate(_SUPERSCRIPTS)


def _suggest(name: str) -> str:
    import difflib

    close = difflib.get_close_matches(name, list(ops.FUNCTIONS), n=1)
    known = ", ".join(sorted(ops.FUNCTIONS))
    return f"; did you mean {close[0]!r}?" if close else f"; known functions: {known}"
