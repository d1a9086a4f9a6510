"""``autograph explain``: the forward and the reverse pass in words, one named node at a time.

The explanation works at the level a teacher writes on the board: one line per
*step*, a node that has a name. Steps are the variables, the assigned names
(``h = x + 5``), the output, and any unnamed node used more than once; an
unnamed node used once is folded into the statement that uses it, so
``g = h^3 + 1`` is one step although it is two graph nodes. A program typed
as a single formula, ``((x+5)^3+1)^2``, is explained node by node with the
generated names (t1, t2, ...) the table and the pictures use.

For each step the reverse pass composes the op table's formulas into the
step's local derivative (dg/dh = 3h^2), puts the numbers in, and multiplies by
the adjoint from the step's users, summing term by term over several users.
The numbers it ends on are the evaluator's own adjoints.

In forward mode (``mode="forward"``) the second pass goes left to right
instead: each step's tangent (``dv``, how fast v moves along the direction)
is the sum over the steps it reads of its local derivative times their
tangents, as the survey of Baydin et al. (2018, Table 2) traces it; the
numbers it ends on are ``tangents.jvp``'s own.

Everything here is a loop over the graph; a statement of more than
``STATEMENT_LIMIT`` nodes is explained node by node, and only the first and
last ``limit / 2`` lines of each pass are built, so a 100,000-node graph
explains quickly and says how many lines it left out.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from autograph import formulas
from autograph.display import Displayed
from autograph.evaluate import Backward, Forward, backward
from autograph.formulas import Expr, show
from autograph.graph import Graph
from autograph.numbers import format_number as number_text
from autograph.ops import CONST, CONSTANTS, VAR

if TYPE_CHECKING:
    from rich.console import Console

STATEMENT_LIMIT = 24
"""Unnamed nodes folded into one step at most; a larger statement is explained node by node."""
LINE_LIMIT = 400
"""Lines shown per pass by default; the middle of a longer pass is left out, and said so."""
TERM_LIMIT = 8
"""Terms of the chain rule written out per line; a node with more users says how many more."""
KINK_WIDTH = 76
"""Columns of a kink's note, indented under its step: 80 in all, as piped output is drawn."""


@dataclass(frozen=True)
class Definition:
    """A forward-pass line: ``h = x + 5 = 2``; a variable has no formula, ``x = -3``."""

    name: str
    formula: Expr | None
    """The step as typed, its inputs by name; None for a variable."""
    value: float


@dataclass(frozen=True)
class Path:
    """One term of the chain rule: d(output)/d(user) * d(user)/d(node)."""

    user: str
    is_output: bool
    """True when the user is the output itself, whose adjoint is 1 and goes unsaid."""
    adjoint: float
    """d(output)/d(user)."""
    local: Expr
    """d(user)/d(node): the op table's formulas composed through the user's statement."""


@dataclass(frozen=True)
class ChainStep:
    """A reverse-pass line: d(output)/d(node) as the sum over the node's users."""

    name: str
    paths: tuple[Path, ...]
    adjoint: float
    """The evaluator's adjoint of the node, the number the line ends on."""
    more: int = 0
    """Terms left out of the sum (beyond ``TERM_LIMIT``); the adjoint includes them."""
    kinks: tuple[str, ...] = ()
    """The op table's convention for each kinked op on the way that sits at its kink."""


@dataclass(frozen=True)
class TangentTerm:
    """One term of a forward-mode step: d(node)/d(input) * d(input)."""

    input: str
    local: Expr
    """d(node)/d(input): the op table's formulas composed through the node's statement."""
    tangent: float
    """The input's tangent."""


@dataclass(frozen=True)
class TangentStep:
    """A forward-mode line: a node's tangent from its inputs' (a variable's is given)."""

    name: str
    terms: tuple[TangentTerm, ...]
    """Empty for a variable, whose tangent is its component of the direction."""
    tangent: float
    """``tangents.jvp``'s tangent of the node, the number the line ends on."""
    more: int = 0
    kinks: tuple[str, ...] = ()
    """As for ``ChainStep``: the conventions used at a kink on the way."""


@dataclass(frozen=True)
class Gap:
    """Lines left out of a long pass."""

    count: int


@dataclass(frozen=True, repr=False)
class Explanation(Displayed):
    """Both passes of a program at a point, step by step."""

    output: str
    value: float
    at: dict[str, float]
    forward: list[Definition | Gap]
    reverse: list[ChainStep | Gap]
    gradient: dict[str, float]
    mode: str = "reverse"
    """``reverse`` (adjoints, right to left) or ``forward`` (tangents, left to right)."""
    tangents: list[TangentStep | Gap] = field(default_factory=list)
    """Forward mode's lines; empty in reverse mode."""
    direction: dict[str, float] = field(default_factory=dict)
    """Forward mode's direction: each variable's tangent."""
    tangent: float = 0.0
    """Forward mode's result: the output's tangent, grad . direction."""


def explain(
    graph: Graph,
    at: Mapping[str, float],
    wrt: Iterable[str] | None = None,
    limit: int = LINE_LIMIT,
    *,
    mode: str = "reverse",
    tangent: Mapping[str, float] | None = None,
) -> Explanation:
    """Run both passes and explain them step by step; ``limit`` caps the lines of each pass.

    ``mode="forward"`` explains forward mode along ``tangent`` (a number per
    variable, 0 for those not named; see ``tangents.jvp``) instead of the reverse pass.
    """
    if mode == "forward":
        from autograph.tangents import jvp

        return _Explainer(jvp(graph, at, tangent)).explain_tangents(limit)
    if mode != "reverse":
        raise ValueError(f"mode is 'reverse' or 'forward', not {mode!r}")
    result = backward(graph, at, wrt)
    return _Explainer(result).explain(limit)


class _Explainer:
    def __init__(self, result: Forward) -> None:
        self.result = result  # a Backward, or for forward mode a Tangents
        self.adjoints: list[float | None] = (
            result.adjoints if isinstance(result, Backward) else [None] * len(result.graph)
        )
        self.graph = graph = result.graph
        self.is_step = _steps(graph)
        self.names = graph.names
        self.leaves, self.regions = _statements(graph, self.is_step)
        self.users: dict[int, list[int]] = {}
        for user, leaves in self.leaves.items():
            for leaf in leaves:
                self.users.setdefault(leaf, []).append(user)

    def _forward_order(self) -> tuple[list[int], list[int]]:
        """The variables (and named numbers), then the other steps, left to right."""
        graph = self.graph
        variables = list(graph.variables.values())
        variables += sorted(n for n in graph.assigned if graph.ops[n] is CONST)  # k = 2
        defined = [
            n for n in range(len(graph)) if self.is_step[n] and graph.ops[n] not in (VAR, CONST)
        ]
        return variables, defined

    def _definitions(self, limit: int) -> list[Definition | Gap]:
        variables, defined = self._forward_order()
        return [
            n if isinstance(n, Gap) else self._definition(n)
            for n in _window(variables + defined, limit)
        ]

    def explain(self, limit: int) -> Explanation:
        graph, result = self.graph, self.result
        assert isinstance(result, Backward)
        forward = self._definitions(limit)
        reverse: list[ChainStep | Gap] = [
            n if isinstance(n, Gap) else self._chain_step(n)
            for n in _window(self._reverse_order(), limit)
        ]
        return Explanation(
            output=self.names[graph.output],
            value=result.value,
            at={name: result.values[node] for name, node in graph.variables.items()},
            forward=forward,
            reverse=reverse,
            gradient=result.gradient,
        )

    def explain_tangents(self, limit: int) -> Explanation:
        from autograph.tangents import Tangents

        graph, result = self.graph, self.result
        assert isinstance(result, Tangents)
        variables, defined = self._forward_order()
        variables = [n for n in variables if graph.ops[n] is VAR]
        tangents: list[TangentStep | Gap] = [
            n if isinstance(n, Gap) else self._tangent_step(n, result.tangents)
            for n in _window(variables + defined, limit)
        ]
        return Explanation(
            output=self.names[graph.output],
            value=result.value,
            at={name: result.values[node] for name, node in graph.variables.items()},
            forward=self._definitions(limit),
            reverse=[],
            gradient={},
            mode="forward",
            tangents=tangents,
            direction=result.direction,
            tangent=result.tangent,
        )

    def _tangent_step(self, node: int, tangents: list[float | None]) -> TangentStep:
        tangent = tangents[node] or 0.0
        if self.graph.ops[node] is VAR:
            return TangentStep(self.names[node], (), tangent)
        moving = [leaf for leaf in self.leaves.get(node, []) if self.moves[leaf]]
        terms = tuple(
            TangentTerm(self.names[leaf], self._local_derivative(node, leaf), tangents[leaf] or 0.0)
            for leaf in moving[:TERM_LIMIT]
        )
        kinks = self._kinks((node, leaf) for leaf in moving[:TERM_LIMIT])
        return TangentStep(self.names[node], terms, tangent, len(moving) - len(terms), kinks)

    @cached_property
    def moves(self) -> bytearray:
        """Per node, 1 where it depends on some variable: a term of forward mode's sums."""
        from autograph import analysis

        return analysis.depends(self.graph, self.graph.variables)

    # -- the forward pass --

    def _definition(self, node: int) -> Definition:
        value = self.result.values[node]
        if self.graph.ops[node] in (VAR, CONST):  # a variable, or a number given a name
            return Definition(self.names[node], None, value)
        typed: dict[int, Expr] = {}
        for inner in [*self.regions[node], node]:
            op = self.graph.ops[inner]
            args = [
                typed[arg] if arg in typed else self._leaf(arg) for arg in self.graph.inputs[inner]
            ]
            typed[inner] = formulas.as_typed(op, *args)
        return Definition(self.names[node], typed[node], value)

    def _leaf(self, node: int) -> Expr:
        """A step by its name and value, a number as typed, pi and e by name."""
        graph, value = self.graph, self.result.values[node]
        label = graph.labels[node] or ""
        if graph.ops[node] is CONST and label not in CONSTANTS and not self.is_step[node]:
            return formulas.number(value, label)
        return formulas.symbol(self.names[node] if self.is_step[node] else label, value)

    # -- the reverse pass --

    def _reverse_order(self) -> list[int]:
        """Steps with an adjoint, from the output back: each once all its users are done."""
        adjoints, output = self.adjoints, self.graph.output
        pending = [0] * len(self.graph)
        for user, leaves in self.leaves.items():
            if adjoints[user] is not None:
                for leaf in leaves:
                    pending[leaf] += 1
        order: list[int] = []
        queue = deque([output] if adjoints[output] is not None else [])
        while queue:
            user = queue.popleft()
            if user != output:
                order.append(user)
            for leaf in self.leaves.get(user, ()):
                if adjoints[leaf] is None:
                    continue
                pending[leaf] -= 1
                if pending[leaf] == 0:
                    queue.append(leaf)
        return order

    def _chain_step(self, node: int) -> ChainStep:
        adjoints = self.adjoints
        users = [user for user in self.users.get(node, []) if adjoints[user] is not None]
        paths = []
        for user in users[:TERM_LIMIT]:
            local = self._local_derivative(user, node)
            is_output = user == self.graph.output
            paths.append(Path(self.names[user], is_output, adjoints[user] or 0.0, local))
        more = len(users) - len(paths)
        kinks = self._kinks((user, node) for user in users[:TERM_LIMIT])
        return ChainStep(self.names[node], tuple(paths), adjoints[node] or 0.0, more, kinks)

    def _kinks(self, ways: Iterable[tuple[int, int]]) -> tuple[str, ...]:
        """The kink conventions used on the ways (user, node): ops at their kink between them.

        An op of the user's statement that depends on the node and whose inputs
        sit exactly at its kink (relu and abs at 0, max and min at a tie) used
        the op table's convention for its derivative there.
        """
        from autograph.referee.kinks import SWITCHES, side

        graph, values = self.graph, self.result.values
        found: dict[str, None] = {}
        for user, node in ways:
            reached = {node}
            for inner in [*self.regions[user], user]:
                if not any(arg in reached for arg in graph.inputs[inner]):
                    continue
                reached.add(inner)
                op = graph.ops[inner]
                if op.kink and op.name in SWITCHES and side(graph, inner, values) == 0:
                    found[op.kink] = None
        return tuple(found)

    def _local_derivative(self, user: int, node: int) -> Expr:
        """d(user)/d(node) through the user's statement: forward mode over its few nodes."""
        graph = self.graph
        simplified: dict[int, Expr] = {}
        slopes: dict[int, Expr] = {node: formulas.number(1.0)}
        for inner in [*self.regions[user], user]:
            op, args = graph.ops[inner], graph.inputs[inner]
            values = tuple(simplified[a] if a in simplified else self._leaf(a) for a in args)
            simplified[inner] = formulas.apply(op, *values)
            total: Expr | None = None
            for index, arg in enumerate(args):
                slope = slopes.get(arg)
                if slope is None:
                    continue
                term = formulas.derivative(op, index, values) * slope
                total = term if total is None else total + term
            if total is not None:
                slopes[inner] = total
        return slopes.get(user, formulas.number(0.0))


def _steps(graph: Graph) -> list[bool]:
    """Which nodes get a line of their own (see the module's docstring)."""
    uses = [0] * len(graph)
    for args in graph.inputs:
        for arg in args:
            uses[arg] += 1
    is_step = [
        op is VAR
        or (op is CONST and node in graph.assigned)  # k = 2: a number the program names
        or (op is not CONST and (graph.labels[node] is not None or uses[node] != 1))
        or node == graph.output
        for node, op in enumerate(graph.ops)
    ]
    bare = [node for name, node in graph.statements if name is None]
    for root in bare:  # a formula typed without names: every node is a step
        for inner in _region(graph, is_step, root):
            is_step[inner] = True
    for node in range(len(graph)):
        if is_step[node] and graph.ops[node] not in (VAR, CONST):
            region = _region(graph, is_step, node)
            if len(region) > STATEMENT_LIMIT:
                for inner in region:
                    is_step[inner] = True
    return is_step


def _region(graph: Graph, is_step: list[bool], root: int) -> list[int]:
    """The unnamed nodes folded into step ``root``, in topological order."""
    found: list[int] = []
    stack = list(graph.inputs[root])
    while stack:
        node = stack.pop()
        if is_step[node] or graph.ops[node] is CONST:
            continue
        found.append(node)
        stack.extend(graph.inputs[node])
    return sorted(set(found))


def _statements(graph: Graph, is_step: list[bool]) -> tuple[dict[int, list[int]], list[list[int]]]:
    """For each step: the steps it reads (in order of use) and its folded-in unnamed nodes."""
    leaves: dict[int, list[int]] = {}
    regions: list[list[int]] = [[] for _ in range(len(graph))]
    for node in range(len(graph)):
        if not is_step[node] or graph.ops[node] in (VAR, CONST):
            continue
        region = _region(graph, is_step, node)
        regions[node] = region
        read: dict[int, None] = {}
        for inner in [*region, node]:
            for arg in graph.inputs[inner]:
                if is_step[arg]:
                    read[arg] = None
        leaves[node] = list(read)
    return leaves, regions


def _window(items: list[int], limit: int) -> list[int | Gap]:
    """The first and last ``limit / 2`` items, with a Gap for what is left out between."""
    if len(items) <= limit:
        return list(items)
    head = max(1, limit // 2)
    tail = max(1, limit - head)
    return [*items[:head], Gap(len(items) - head - tail), *items[-tail:]]


# --- Rendering -------------------------------------------------------------------------------


def definition_text(line: Definition, style: str = "plain") -> str:
    """``c = w * x = 3 * -3 = -9``: the formula, the numbers put in, the value; ``x = -3``."""
    name = _name(line.name, style)
    value = number_text(line.value)
    if line.formula is None:
        return f"{name} = {value}"
    parts = [name, show(line.formula, style), formulas.typed_numbers(line.formula, style), value]
    return " = ".join(_distinct(parts))


def _distinct(parts: list[str]) -> list[str]:
    """The parts of an equation, each said once: ``y = x = 3``, not ``y = x = 3 = 3``."""
    return [part for index, part in enumerate(parts) if index == 0 or part != parts[index - 1]]


def chain_text(step: ChainStep, output: str, style: str = "plain") -> str:
    """``df/dh = df/dg * dg/dh = 18 * 3h^2 = 18 * 3 * 4 = 216``: symbols, formulas, numbers.

    Of a sum, the term through the output's own formula is labelled
    ``∂c/∂a (direct)``; a negative term is subtracted, ``- 0.24``, never ``+ -0.24``.
    """
    latex = style == "latex"
    compact = "latex" if latex else "compact"
    times = formulas.times(style)
    symbolic, with_formulas, with_numbers = [], [], []
    for path in step.paths:
        local_formula = show(path.local, compact)
        try:
            local_numbers = formulas.numbers(path.local, style)
        except (ArithmeticError, ValueError):
            local_numbers = local_formula
        if path.is_output and _swallowed(path.local, local_numbers):
            local_numbers = formulas.typed_numbers(path.local, style)  # [0 > 0], sign(0)
        if path.is_output:
            several = len(step.paths) > 1 or step.more
            symbolic.append(_direct(output, step.name, style) if several else local_formula)
            with_formulas.append(local_formula)
            with_numbers.append(local_numbers)
        else:
            adjoint = formulas.factor_text(path.adjoint, style, first=True) + times
            through = _derivative(output, path.user, style)
            symbolic.append(f"{through}{times}{_derivative(path.user, step.name, style)}")
            with_formulas.append(adjoint + _operand(local_formula, path.local, latex))
            with_numbers.append(adjoint + _operand(local_numbers, path.local, latex))
    if step.more:
        more = f" + ... ({step.more:,} more terms)"
        more = rf" + \dots\text{{ ({step.more:,} more terms)}}" if latex else more
        for terms in (symbolic, with_formulas, with_numbers):
            terms[-1] += more
    parts = [
        _derivative(output, step.name, style),
        " + ".join(symbolic),
        _signed_sum(with_formulas),
        _signed_sum(with_numbers),
        number_text(step.adjoint),
    ]
    return " = ".join(_distinct(parts))


def _swallowed(local: Expr, numbers: str) -> bool:
    """True when the numbers of a formula with a function in it came out as one number.

    ``[b - 4 > 0]`` evaluated factor by factor is just ``0``, the step's own
    result: the numbers put in (``[4 - 4 > 0]``) are then shown instead.
    """
    if local.head in ("num", "sym", "add", "mul", "pow"):
        return False
    try:
        float(numbers)
    except ValueError:
        return False
    return True


def _direct(top: str, bottom: str, style: str) -> str:
    """The output's own partial in a sum: ``∂c/∂a (direct)``."""
    if style == "latex":
        return rf"{_derivative(top, bottom, style)}\,\text{{(direct)}}"
    return f"∂{top}/∂{bottom} (direct)"


def tangent_text(step: TangentStep, style: str = "plain") -> str:
    """``dv2 = dv2/dx1 * dx1 + dv2/dx2 * dx2 = x2 * 1 + x1 * 0 = 5 * 1 + 2 * 0 = 5``."""
    latex = style == "latex"
    compact = "latex" if latex else "compact"
    times = formulas.times(style)
    if not step.terms and not step.more:
        return f"{_tangent(step.name, style)} = {number_text(step.tangent)}"
    symbolic, with_formulas, with_numbers = [], [], []
    for term in step.terms:
        local_formula = show(term.local, compact)
        try:
            local_numbers = formulas.numbers(term.local, style)
        except (ArithmeticError, ValueError):
            local_numbers = local_formula
        shown = number_text(term.tangent)
        factor = times + (f"({shown})" if term.tangent < 0 else shown)
        symbolic.append(
            f"{_derivative(step.name, term.input, style)}{times}{_tangent(term.input, style)}"
        )
        with_formulas.append(_operand(local_formula, term.local, latex) + factor)
        with_numbers.append(_operand(local_numbers, term.local, latex) + factor)
    if step.more:
        more = f" + ... ({step.more:,} more terms)"
        more = rf" + \dots\text{{ ({step.more:,} more terms)}}" if latex else more
        for terms in (symbolic, with_formulas, with_numbers):
            terms[-1] += more
    parts = [
        _tangent(step.name, style),
        " + ".join(symbolic),
        _signed_sum(with_formulas),
        _signed_sum(with_numbers),
        number_text(step.tangent),
    ]
    return " = ".join(_distinct(parts))


def _signed_sum(terms: list[str]) -> str:
    """Terms joined by + or -: ``1 * 5.5 - 1 * 0``, never ``+ -1 * 0``."""
    if not terms:
        return ""
    out = terms[0]
    for term in terms[1:]:
        out += f" - {term[1:]}" if term.startswith("-") else f" + {term}"
    return out


def direction_text(explanation: Explanation, style: str = "plain") -> str:
    """``dx1 = 1, dx2 = 0``: the direction forward mode moves along."""
    return ", ".join(
        f"{_tangent(name, style)} = {number_text(value)}"
        for name, value in explanation.direction.items()
    )


def summary_text(explanation: Explanation, style: str = "plain") -> str:
    """``f = 81 and df/dx = 216 at x = -3``."""
    dollars = "$" if style == "latex" else ""
    output = explanation.output
    facts = [f"{_name(output, style)} = {number_text(explanation.value)}"]
    if explanation.mode == "forward":
        facts.append(f"{_tangent(output, style)} = {number_text(explanation.tangent)}")
    for name, value in explanation.gradient.items():
        facts.append(f"{_derivative(output, name, style)} = {number_text(value)}")
    shown = [f"{dollars}{fact}{dollars}" for fact in facts]
    said = shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " and " + shown[-1]
    point = ", ".join(
        f"{dollars}{_name(name, style)} = {number_text(value)}{dollars}"
        for name, value in explanation.at.items()
    )
    along = ""
    if explanation.mode == "forward":
        along = f" along {dollars}{direction_text(explanation, style)}{dollars}"
    return f"So {said}{along}" + (f" at {point}." if point else ".")


def kink_texts(step: ChainStep | TangentStep, width: int = KINK_WIDTH) -> list[str]:
    """``at a kink: relu is not differentiable at 0; ...``, wrapped to ``width`` columns."""
    import textwrap

    lines: list[str] = []
    for convention in step.kinks:
        lines += textwrap.wrap(f"at a kink: {convention}", width, subsequent_indent="  ")
    return lines


def gap_text(gap: Gap) -> str:
    """What a long pass leaves out."""
    plural = "s" if gap.count != 1 else ""
    return f"... {gap.count:,} more line{plural}, left out to keep this readable ..."


_FORWARD = "Forward pass, left to right: the value of each node"
_REVERSE = "Reverse pass, right to left: the derivative of {output} with respect to each node"
_NO_GRADIENT = "Reverse pass: no variable to differentiate"
_TANGENTS = "Forward mode, left to right: each node's tangent along {direction}"
_NOTHING_BETWEEN = (
    "Reverse pass: the output is the variable {output} itself, so d{output}/d{output} = 1"
)
_INDEPENDENT = "Reverse pass: {output} does not depend on {names}, so {derivatives} = 0"


def _nothing_text(explanation: Explanation, style: str = "plain") -> str:
    """Why the reverse pass has no step: no variable, the output a variable, or a constant."""
    out, gradient = explanation.output, explanation.gradient
    if not gradient:
        return _NO_GRADIENT
    if out in gradient:
        return _NOTHING_BETWEEN.format(output=out)
    names = list(gradient)
    said = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]
    derivatives = " = ".join(_derivative(out, name, style) for name in names)
    return _INDEPENDENT.format(output=out, names=said, derivatives=derivatives)


def to_lines(explanation: Explanation) -> list[tuple[str, bool]]:
    """The terminal form as (text, is_heading) lines, without styling."""
    out = explanation.output
    lines: list[tuple[str, bool]] = [(_FORWARD, True)]
    for line in explanation.forward:
        lines.append(
            ("  " + (gap_text(line) if isinstance(line, Gap) else definition_text(line)), False)
        )
    lines.append(("", False))
    if explanation.mode == "forward":
        lines.append((_TANGENTS.format(direction=direction_text(explanation)), True))
        for tangent in explanation.tangents:
            text = gap_text(tangent) if isinstance(tangent, Gap) else tangent_text(tangent)
            lines.append(("  " + text, False))
            if not isinstance(tangent, Gap):
                lines.extend(("    " + kink, False) for kink in kink_texts(tangent))
    elif explanation.reverse:
        lines.append((_REVERSE.format(output=out), True))
        for step in explanation.reverse:
            text = gap_text(step) if isinstance(step, Gap) else chain_text(step, out)
            lines.append(("  " + text, False))
            if not isinstance(step, Gap):
                lines.extend(("    " + kink, False) for kink in kink_texts(step))
    else:
        lines.append((_nothing_text(explanation), True))
    lines.append(("", False))
    lines.append((summary_text(explanation), False))
    return lines


def to_markdown(explanation: Explanation) -> str:
    """Markdown with LaTeX math (``$$ ... $$``), ready to paste into notes."""
    out = explanation.output
    blocks = ["**Forward pass**, left to right: the value of each node."]
    for line in explanation.forward:
        blocks.append(
            _gap_md(line) if isinstance(line, Gap) else f"$${definition_text(line, 'latex')}$$"
        )
    if explanation.mode == "forward":
        direction = f"${direction_text(explanation, 'latex')}$"
        blocks.append(
            _TANGENTS.format(direction=direction).replace("Forward mode", "**Forward mode**") + "."
        )
        for tangent in explanation.tangents:
            if isinstance(tangent, Gap):
                blocks.append(_gap_md(tangent))
            else:
                blocks.append(f"$${tangent_text(tangent, 'latex')}$$")
                blocks.extend(_kinks_md(tangent))
    elif explanation.reverse:
        blocks.append(
            f"**Reverse pass**, right to left: the derivative of ${_name(out, 'latex')}$ with "
            "respect to each node, by the chain rule."
        )
        for step in explanation.reverse:
            if isinstance(step, Gap):
                blocks.append(_gap_md(step))
            else:
                blocks.append(f"$${chain_text(step, out, 'latex')}$$")
                blocks.extend(_kinks_md(step))
    else:
        nothing = _nothing_text(explanation)
        blocks.append(nothing.replace("Reverse pass", "**Reverse pass**") + ".")
    blocks.append(summary_text(explanation, "latex"))
    return "\n\n".join(blocks) + "\n"


def _gap_md(gap: Gap) -> str:
    return f"*{gap_text(gap)}*"


def _kinks_md(step: ChainStep | TangentStep) -> list[str]:
    return [f"*At a kink:* {convention}." for convention in step.kinks]


def _name(name: str, style: str) -> str:
    """A step's name in the style; the primes of a reassigned name stay primes."""
    if style != "latex":
        return name
    bare = name.rstrip("'")
    return formulas.latex_name(bare) + name[len(bare) :]


def _derivative(top: str, bottom: str, style: str) -> str:
    """``df/dg``, or in LaTeX ``\\frac{\\partial f}{\\partial g}``."""
    if style == "latex":
        return rf"\frac{{\partial {_name(top, style)}}}{{\partial {_name(bottom, style)}}}"
    return f"d{top}/d{bottom}"


def _tangent(name: str, style: str) -> str:
    r"""A node's tangent: ``dv1``, or in LaTeX ``\dot{v_1}`` (the survey's notation)."""
    if style == "latex":
        return rf"\dot{{{_name(name, style)}}}"
    return f"d{name}"


def _operand(text: str, expr: Expr, latex: bool) -> str:
    """A factor after ``adjoint *``: a sum, or in LaTeX a leading minus, gets parentheses."""
    parens = expr.head == "add" or (latex and text.startswith("-"))
    return f"({text})" if parens else text


def print_explanation(explanation: Explanation, console: Console | None = None) -> None:
    """Print the terminal form with Rich: headings in bold, long lines left unwrapped."""
    from rich.console import Console
    from rich.text import Text

    from autograph.quoting import visible

    console = console or Console()
    for text, is_heading in to_lines(explanation):
        console.print(Text(visible(text), style="bold" if is_heading else ""), soft_wrap=True)
