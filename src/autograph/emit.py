"""The gradient as a program (``grad --emit``): the reverse pass written out as code.

``autograph.gradient`` turns a program's graph into the graph of its gradient;
this module prints that graph as a program, as a source-transformation tool
(Tapenade) prints an adjoint: in autograph's own language (statements computing
the value and a ``grad_v = ...`` per variable, which ``autograph eval`` runs),
as a Python module that needs only the standard library, or as one over NumPy
arrays. The two Python forms define ``value_and_grad(**point)``, returning the
value and ``{variable: derivative}``.

Every form comes from the one graph and the one printer (``language.printer``,
given each language's spelling of the ops); the functions no library has
(sigmoid, relu's step, ...) are copied from autograph's own backends, so the
emitted code computes exactly what ``grad`` computes. An undefined or
non-finite value raises ``ValueError`` naming its statement, never NaN.

A node is a statement of its own when it has a name (the program's, or
``grad_h`` for the adjoint of ``h``), is used more than once, or would nest
too deep; the rest is written inline.
"""

from __future__ import annotations

import inspect
import keyword
import re
import textwrap
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from autograph import __version__, analysis
from autograph.derivatives import adjoint_graph, gradient_name
from autograph.graph import Graph
from autograph.language import printer
from autograph.ops import ATOM, CONST, VAR, Op

LANGUAGES = ("autograph", "python", "numpy")
"""What ``grad --emit`` writes."""

INLINE_DEPTH = 8
"""Nodes nested in one statement at most: deeper, a node gets a statement of its own (so
emitted Python never nests past the parser's limits, however deep the program)."""

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_PYTHON_RESERVED = {"math", "np", "point", "columns", "shape", "float", "value_and_grad"}


@dataclass
class _Layout:
    """The gradient graph and how it is written: which nodes are statements, and names."""

    graph: Graph
    original: int
    """Nodes below this are the program's own; the rest the reverse pass added."""
    steps: list[int]
    names: dict[int, str]
    variables: dict[str, str]
    """Each variable's identifier in the code (its name, unless the language forbids it)."""
    outputs: dict[str, int]
    """Each variable's derivative: the node of d output / d variable."""
    printed: str
    """The program as the printer writes it, for the emitted code's heading."""


def emit(graph: Graph, wrt: Iterable[str] | None = None, language: str = "autograph") -> str:
    """The gradient of ``graph`` (with respect to ``wrt``, default all) as program text."""
    if language not in LANGUAGES:
        raise ValueError(f"language is one of {', '.join(LANGUAGES)}, not {language!r}")
    layout = _layout(graph, wrt, python=language != "autograph")
    if language == "autograph":
        return _autograph(layout)
    return _python(layout, numpy=language == "numpy")


def _layout(graph: Graph, wrt: Iterable[str] | None, python: bool) -> _Layout:
    derived, adjoint_of = adjoint_graph(graph, wrt)
    outputs = {
        name[len(gradient_name("")) :]: node
        for name, node in derived.outputs.items()
        if name.startswith(gradient_name(""))
    }
    roots = [derived.output, *outputs.values()]
    needed = analysis.needed(derived, roots)
    needed[: len(graph)] = b"\x01" * len(graph)  # all the program's own, as grad computes them
    uses = [0] * len(derived)
    for node, args in enumerate(derived.inputs):
        if needed[node]:
            for arg in args:
                uses[arg] += 1
    adjoint_nodes: dict[int, int] = {}  # the node nearest the output whose adjoint it is
    for node, adjoint in adjoint_of.items():
        adjoint_nodes.setdefault(adjoint, node)
    named_constants = {node for node in graph.assigned if graph.ops[node] is CONST}
    depth = [0] * len(derived)
    steps = []
    for node, op in enumerate(derived.ops):
        if not needed[node] or op is VAR or (op is CONST and node not in named_constants):
            continue
        deepest = max((depth[arg] for arg in derived.inputs[node]), default=0)
        if (
            op is CONST
            or uses[node] != 1
            or node in roots
            or (node < len(graph) and graph.labels[node] is not None)
            or node in adjoint_nodes
            or deepest >= INLINE_DEPTH
        ):
            steps.append(node)
        else:
            depth[node] = deepest + 1
    taken: set[str] = set()
    names: dict[int, str] = {}
    allowed = _python_name if python else _autograph_name

    def give(node: int, wanted: str) -> None:
        if node in names:
            return
        base = allowed(wanted)
        name, count = base, 1
        while name in taken or (name != base and name in graph.variables):
            count += 1
            name = f"{base}_{count}"
        taken.add(name)
        names[node] = name

    for name, node in graph.variables.items():
        give(node, name)
    variables = {name: names[node] for name, node in graph.variables.items()}
    is_step = set(steps)
    for name, node in outputs.items():
        if node in is_step:
            give(node, gradient_name(name))
    for node in steps:
        if node < len(graph):  # the program's own nodes keep the names every output uses
            give(node, graph.names[node])
    for node in steps:
        if node in adjoint_nodes:
            give(
                node,
                gradient_name(names.get(adjoint_nodes[node], graph.names[adjoint_nodes[node]])),
            )
    taken.update(graph.names)
    counter = 0
    for node in steps:
        if node not in names:
            counter += 1
            while f"t{counter}" in taken:
                counter += 1
            give(node, f"t{counter}")
    printed = printer.program(graph)
    return _Layout(derived, len(graph), steps, names, variables, outputs, printed)


_REUSED = re.compile(r"(?P<base>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<primes>'+)|⁽(?P<count>[⁰-⁹]+)⁾)\Z")
_DIGITS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹", "0123456789")


def _autograph_name(name: str) -> str:
    """A name the language reads: a name given again, ``t''`` or ``t⁽⁴⁾``, is ``t_2`` or ``t_4``."""
    if _IDENTIFIER.match(name):
        return name
    reused = _REUSED.match(name)
    if reused is None:
        return "t_"
    count = len(reused["primes"] or "") or int(reused["count"].translate(_DIGITS))
    return f"{reused['base']}_{count}"


def _python_name(name: str) -> str:
    name = _autograph_name(name)
    return f"{name}_" if keyword.iskeyword(name) or name in _PYTHON_RESERVED else name


def _constant(graph: Graph, node: int, python: bool) -> str:
    value = graph.constants[node]
    label = graph.labels[node]
    text = label if not python and label is not None and node < len(graph) else repr(value)
    if text.startswith("-") and value == 0.0:
        return f"({text})"  # -0.0 binds like a number, not like a minus
    return text


def _expression(layout: _Layout, node: int, spell: printer.Spelling, python: bool) -> str:
    """The text of ``node``'s operation, its inputs by name or inline."""
    graph, names = layout.graph, layout.names

    def ref(inner: int) -> str | None:
        if inner == node and graph.ops[inner] is not CONST:
            return None
        if inner in names:
            return names[inner]
        if graph.ops[inner] is CONST:
            return _constant(graph, inner, python)
        return None

    if graph.ops[node] is CONST:
        return _constant(graph, node, python)
    return printer.emit(graph, node, ref, spell)


def _result(layout: _Layout, node: int, spell: printer.Spelling, python: bool) -> str:
    """A value the code returns: its name, or its text (a constant, or inline)."""
    if node in layout.names:
        return layout.names[node]
    return _expression(layout, node, spell, python)


def _describe(layout: _Layout, node: int) -> str:
    """What a statement computes, for the error message the emitted code raises."""
    graph = layout.graph
    where = f"`{graph.text(node)}`" if graph.ends[node] > graph.starts[node] else "a constant"
    return where if node < layout.original else f"a derivative of {where}"


# --- autograph's own language ------------------------------------------------------------


def _autograph(layout: _Layout) -> str:
    spell: printer.Spelling = lambda op: (op.symbol, op.is_function)  # noqa: E731
    lines = [
        f"# The gradient of a program, written out by autograph {__version__} (grad --emit):",
        f"#   {_first_line(layout)}",
        f"# grad_v is d{_name_of_output(layout)}/dv; `autograph eval` at a point shows every "
        "adjoint as a node.",
    ]
    for node in layout.steps:
        lines.append(f"{layout.names[node]} = {_expression(layout, node, spell, False)}")
    if layout.graph.output not in layout.steps:  # the program is a variable or a number
        lines.append(_result(layout, layout.graph.output, spell, False))
    for name, node in layout.outputs.items():
        target = gradient_name(layout.variables[name])
        if layout.names.get(node) != target:
            lines.append(f"{target} = {_result(layout, node, spell, False)}")
    return "\n".join(lines) + "\n"


def _name_of_output(layout: _Layout) -> str:
    return layout.names.get(layout.graph.output, "out")


def _shortened(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


# --- Python: the standard library, or NumPy ------------------------------------------------


def _python(layout: _Layout, numpy: bool) -> str:
    helpers: dict[str, str] = {}
    spell = _numpy_spelling(helpers) if numpy else _scalar_spelling(helpers)
    statements = []  # (identifier, what it is, its Python expression)
    for name, identifier in layout.variables.items():
        read = f"columns[{name!r}]" if numpy else f"float(point[{name!r}])"
        statements.append((identifier, f"the variable {name}", read))
    for node in layout.steps:
        text = _expression(layout, node, spell, True)
        statements.append((layout.names[node], _describe(layout, node), text))
    value = _result(layout, layout.graph.output, spell, True)
    gradient = [
        f"        {name!r}: {_result(layout, node, spell, True)},"
        for name, node in layout.outputs.items()
    ]
    output = _name_of_output(layout)
    emitted = "numpy" if numpy else "python"
    takes = "NumPy arrays (a column per variable) or numbers" if numpy else "floats"
    lines = [
        f'"""The value and gradient of a program, written out by autograph {__version__}'
        f" (grad --emit {emitted}):",
        "",
        f"    {_first_line(layout)}",
        "",
        f"value_and_grad(**point) takes {takes} and returns the value of",
        f"{output} and {{variable: d{output}/dvariable}}. A value or a derivative that is",
        "undefined or not finite raises ValueError naming it, as autograph does: never NaN.",
        '"""',
        "",
        "from __future__ import annotations",
        "",
        *(["from typing import Any", "", "import numpy as np"] if numpy else ["import math"]),
        "",
        f"VARIABLES = {tuple(layout.variables)!r}",
        "_STATEMENTS = (",
        *[f"    ({identifier!r}, {what!r})," for identifier, what, _ in statements],
        ")",
        "",
        "",
    ]
    if numpy:
        lines += [
            "def value_and_grad(**point: Any) -> tuple[Any, dict[str, Any]]:",
            f'    """The value of {output} at ``point`` and its derivative by each variable."""',
            "    _check(point)",
            "    shape = np.broadcast_shapes(*(np.shape(point[name]) for name in VARIABLES))",
            "    columns = {name: np.atleast_1d(np.asarray(point[name], dtype=np.float64))"
            " for name in VARIABLES}",
            "    try:",
            '        with np.errstate(divide="raise", over="raise", invalid="raise",'
            ' under="ignore"):',
            *[f"            {identifier} = {text}" for identifier, _, text in statements],
        ]
    else:
        lines += [
            "def value_and_grad(**point: float) -> tuple[float, dict[str, float]]:",
            f'    """The value of {output} at ``point`` and its derivative by each variable."""',
            "    _check(point)",
            "    try:",
            *[f"        {identifier} = {text}" for identifier, _, text in statements],
        ]
    lines += [
        "    except (ArithmeticError, ValueError) as error:",
        "        _failed(locals(), error)",
        "        raise",
        "    _finite(locals())",
        "    gradient = {",
        *gradient,
        "    }",
    ]
    if numpy:
        lines += [
            "    every = {name: _shaped(number, shape) for name, number in gradient.items()}",
            f"    return _shaped({value}, shape), every",
        ]
    else:
        lines.append(f"    return {value}, gradient")
    lines += ["", "", _NUMPY_SUPPORT if numpy else _SCALAR_SUPPORT]
    for text in helpers.values():
        lines += ["", "", text.rstrip()]
    return "\n".join(lines) + "\n"


def _first_line(layout: _Layout) -> str:
    """The program on one line as the printer writes it (no comment: safe in any code)."""
    return _shortened("; ".join(layout.printed.splitlines()), 70)


_COMMON_SUPPORT = '''def _check(point: dict[str, object]) -> None:
    """Every variable given, and nothing else."""
    unknown = [name for name in point if name not in VARIABLES]
    if unknown:
        raise ValueError(f"{unknown[0]!r} is not a variable (variables: {', '.join(VARIABLES)})")
    missing = [name for name in VARIABLES if name not in point]
    if missing:
        raise ValueError(f"no value for {', '.join(missing)}")


def _failed(scope: dict[str, object], error: Exception) -> None:
    """After a math error: the first statement that did not finish is the one that failed."""
    overflow = isinstance(error, OverflowError) or "overflow" in str(error)
    said = "is not finite: it overflows float64" if overflow else "is undefined"
    for name, what in _STATEMENTS:
        if name not in scope:
            raise ValueError(f"{what} ({name}) {said} at this point") from None
'''

_SCALAR_SUPPORT = (
    _COMMON_SUPPORT
    + '''

def _finite(scope: dict[str, object]) -> None:
    """Every value finite: an overflow or a NaN is an error naming its statement."""
    for name, what in _STATEMENTS:
        value = scope[name]
        if not math.isfinite(value):  # type: ignore[arg-type]
            raise ValueError(f"{what} ({name}) is not finite at this point: {value}")'''
)

_NUMPY_SUPPORT = (
    _COMMON_SUPPORT
    + '''

def _finite(scope: dict[str, object]) -> None:
    """Every value finite: an overflow or a NaN is an error naming its statement."""
    for name, what in _STATEMENTS:
        if not np.all(np.isfinite(scope[name])):  # type: ignore[call-overload]
            raise ValueError(f"{what} ({name}) is not finite at this point")


def _shaped(number: Any, shape: tuple[int, ...]) -> Any:
    """A value or a derivative as an array of every row's (a constant too), in the shape
    the point's arrays broadcast to (a number for numbers)."""
    array = np.asarray(number, dtype=np.float64)
    return np.broadcast_to(array, shape or (1,)).reshape(shape).copy()'''
)


def _scalar_spelling(helpers: dict[str, str]) -> printer.Spelling:
    """Ops as Python over floats: the float backend's own functions, by where they live."""
    from autograph.backends.scalar import ScalarMath

    def spell(op: Op) -> tuple[str, bool]:
        function = getattr(ScalarMath, op.name)
        module = getattr(function, "__module__", None)
        if op.name == "pow":
            return "math.pow", True  # ** would give a complex number for (-8) ** (1/3)
        if op.precedence != ATOM:
            return op.symbol, False
        if module == "math":
            return f"math.{function.__name__}", True
        if module == "builtins":
            return function.__name__, True
        name = f"_{op.name}"
        helpers.setdefault(name, _copied(function, name))
        return name, True

    return spell


def _numpy_spelling(helpers: dict[str, str]) -> printer.Spelling:
    """Ops as NumPy over arrays: the array backend's own functions, by where they live."""
    import numpy as np

    from autograph.backends.numpy import ArrayMath

    def spell(op: Op) -> tuple[str, bool]:
        function = getattr(ArrayMath, op.name)
        if op.precedence != ATOM and op.name != "pow":
            return op.symbol, False
        if isinstance(function, np.ufunc):
            return f"np.{function.__name__}", True
        name = function.__name__
        helpers.setdefault(name, _copied(function, name))
        return name, True

    return spell


def _copied(function: Callable[..., object], name: str) -> str:
    """A backend's function as source text, named ``name`` (a method becomes a function)."""
    lines = textwrap.dedent(inspect.getsource(function)).splitlines()
    lines = [line for line in lines if line.strip() != "@staticmethod"]
    lines[0] = re.sub(r"def \w+\(", f"def {name}(", lines[0], count=1)
    return "\n".join(lines)
