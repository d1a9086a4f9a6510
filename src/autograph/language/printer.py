"""Graph back to text: one node's operation, or a whole program that parses to the same graph.

Parentheses are the fewest that keep the meaning under the language's
precedence rules (Python's, with ``^`` for ``**``). Emission uses an explicit
stack, so a formula 100,000 deep prints like any other.
"""

from __future__ import annotations

from collections.abc import Callable

from autograph.graph import Graph
from autograph.ops import ATOM, CONST, POWER, UNARY, VAR, Op

Ref = Callable[[int], "str | None"]
Spelling = Callable[[Op], tuple[str, bool]]
"""How an op is written in the target language: its symbol or function name, and whether
it is a call (``("math.sin", True)``, ``("+", False)``)."""


def _as_typed(op: Op) -> tuple[str, bool]:
    return op.symbol, op.is_function


def precedence(graph: Graph, node: int) -> int:
    """How tightly the node's text binds: a negative number binds like a unary minus."""
    op = graph.ops[node]
    if op is CONST:
        return (
            UNARY
            if graph.constants[node] < 0 or (graph.labels[node] or "").startswith("-")
            else ATOM
        )
    return op.precedence


def expression(graph: Graph, node: int, names: list[str] | None = None) -> str:
    """The node's own operation, its inputs shown by name: ``h^3``, ``sin(t1)``, ``w * x``."""
    shown = graph.names if names is None else names
    op = graph.ops[node]
    args = graph.inputs[node]
    if not args:
        return graph.labels[node] or ""
    if op.is_function:
        return f"{op.symbol}({', '.join([shown[arg] for arg in args])})"
    # An input shown by name binds like an atom, except a leaf, which shows its own text
    # (a number the program named, k in k = -2, is shown by its name).
    ops = graph.ops
    named = graph.assigned
    levels = [
        precedence(graph, a) if (ops[a] is VAR or ops[a] is CONST) and a not in named else ATOM
        for a in args
    ]
    if op.arity == 1:
        sign = "" if args[0] in named else _literal_guard(graph, node, args[0])
        return op.symbol + sign + _parenthesized(shown[args[0]], levels[0] < UNARY)
    mine = op.precedence
    if mine == POWER:
        left = _parenthesized(shown[args[0]], levels[0] <= POWER)
        return left + op.symbol + _parenthesized(shown[args[1]], levels[1] < UNARY)
    left = _parenthesized(shown[args[0]], levels[0] < mine)
    return f"{left} {op.symbol} " + _parenthesized(shown[args[1]], levels[1] <= mine)


def expressions(graph: Graph, first: int, last: int, names: list[str]) -> list[str]:
    """``expression`` of each node from ``first`` to ``last - 1``, a leaf shown by its name.

    The JSON writer's column for a million nodes: the common case (an operator between
    two inputs that need no parentheses) is written here in one loop, the rest by
    ``expression``.
    """
    ops, inputs, constants, labels, named = (
        graph.ops, graph.inputs, graph.constants, graph.labels, graph.assigned
    )  # fmt: skip

    def plain(a: int) -> bool:  # shown with no parentheses next to any operator
        op = ops[a]
        if op.arity or op is VAR or a in named:
            return True
        return constants[a] >= 0 and not (labels[a] or "").startswith("-")

    infixes: dict[Op, str | None] = {}
    """Per op: `` + `` for an operator between two inputs below a power, else None."""
    texts: list[str] = []
    for node in range(first, last):
        args = inputs[node]
        if not args:
            texts.append(names[node])
            continue
        op = ops[node]
        infix = infixes.get(op, "")
        if infix == "":
            simple = len(args) == 2 and not op.is_function and op.precedence != POWER
            infix = infixes[op] = f" {op.symbol} " if simple else None
        if infix is not None:
            a, b = args
            if (ops[a].arity or plain(a)) and (ops[b].arity or plain(b)):
                texts.append(names[a] + infix + names[b])
                continue
        if op.is_function:
            texts.append(f"{op.symbol}({', '.join([names[arg] for arg in args])})")
        else:
            texts.append(expression(graph, node, names))
    return texts


def _literal_guard(graph: Graph, node: int, arg: int) -> str:
    """``+`` between a minus and a number: ``-3`` would read back as the constant -3, while
    the node is the negation of the constant 3 (written ``-+3``)."""
    label = graph.labels[arg] or ""
    is_number = graph.ops[arg] is CONST and label[:1] != "" and label[:1] in "0123456789."
    return "+" if is_number and graph.ops[node].symbol == "-" else ""


def _parenthesized(text: str, parens: bool) -> str:
    return f"({text})" if parens else text


def program(graph: Graph) -> str:
    """Program text that parses back to the same graph (same nodes, inputs and output)."""
    bound: dict[str, int] = {}
    first_statement: dict[int, int] = {}
    for index, (name, node) in enumerate(graph.statements):
        if name is not None and graph.labels[node] == name:
            first_statement.setdefault(node, index)

    def by_name(node: int) -> str | None:
        label = graph.labels[node]
        if graph.ops[node] is CONST:  # a number the program named is written by its name
            named = [name for name in graph.assigned.get(node, ()) if bound.get(name) == node]
            return named[0] if named else label
        if graph.ops[node] is VAR:
            return label
        if label is not None and bound.get(label) == node:
            return label
        # Another name the program gave this node, if it still denotes it (x in x = -x,
        # where -x was already s0's node): its first definition's text would now mean more.
        named = [name for name in graph.assigned.get(node, ()) if bound.get(name) == node]
        return named[0] if named else None

    lines = []
    for index, (name, node) in enumerate(graph.statements):
        if first_statement.get(node) == index:
            text = _emit(graph, node, _defining(node, by_name))
        else:
            text = _emit(graph, node, by_name)
        lines.append(text if name is None else f"{name} = {text}")
        if name is not None:
            bound[name] = node
    return "\n".join(lines)


def _defining(root: int, by_name: Ref) -> Ref:
    """Refer to every node by name except ``root``, whose definition is being printed."""
    return lambda node: None if node == root else by_name(node)


def emit(graph: Graph, root: int, ref: Ref, spell: Spelling = _as_typed) -> str:
    """Text of ``root``; ``ref(node)`` gives a name to print instead of inlining, or None.

    ``spell`` writes each op in another language of the same precedence rules (Python's):
    the emitted gradient programs use it.
    """
    return _emit(graph, root, ref, spell)


def _emit(graph: Graph, root: int, ref: Ref, spell: Spelling = _as_typed) -> str:
    """Text of ``root``; ``ref(node)`` gives a name to print instead of inlining, or None."""
    out: list[str] = []
    stack: list[int | str] = [root]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            out.append(item)
            continue
        node = item
        name = ref(node)
        op = graph.ops[node]
        if name is not None:
            out.append(name)
            continue
        if op is VAR or op is CONST:
            out.append(graph.labels[node] or "")
            continue
        args = graph.inputs[node]
        pieces: list[int | str]
        symbol, is_function = spell(op)
        if is_function:
            pieces = [f"{symbol}("]
            for position, arg in enumerate(args):
                if position:
                    pieces.append(", ")
                pieces.append(arg)
            pieces.append(")")
        elif op.arity == 1:
            arg = args[0]
            sign = _literal_guard(graph, node, arg)
            pieces = [symbol + sign, *_wrapped(arg, _level(graph, arg, ref) < UNARY)]
        else:
            left, right = args
            mine = op.precedence
            if op.precedence == POWER:
                left_parens = _level(graph, left, ref) <= POWER
                right_parens = _level(graph, right, ref) < UNARY
            else:
                left_parens = _level(graph, left, ref) < mine
                right_parens = _level(graph, right, ref) <= mine
            pieces = [
                *_wrapped(left, left_parens),
                f" {symbol} " if op.precedence != POWER else symbol,
                *_wrapped(right, right_parens),
            ]
        stack.extend(reversed(pieces))
    return "".join(out)


def _level(graph: Graph, node: int, ref: Ref) -> int:
    return (
        ATOM
        if graph.ops[node] is not VAR and graph.ops[node] is not CONST and ref(node) is not None
        else precedence(graph, node)
    )


def _wrapped(node: int, parens: bool) -> list[int | str]:
    return ["(", node, ")"] if parens else [node]
