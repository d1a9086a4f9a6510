"""A calculator session: the program typed line by line, and the commands that run it.

``Session.run(line)`` takes one line as a person types it at ``autograph repl`` and
returns the text to print. A statement of the language (``h = x + 5``) is added to
the session's program; a line that fails to parse leaves the program as it was and
returns the error. Lines starting with ``:`` are commands::

    >>> session = Session()
    >>> for line in ["h = x + 5", "g = h^3 + 1", "f = g^2", ":at x=-3"]:
    ...     _ = session.run(line)
    >>> session.ans
    81.0

``ans`` in a statement is the last result's value, written into the program as a
number (``ans = 81.0``), so a saved program reads back the same.
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from autograph.errors import AutographError, InputError, shorten
from autograph.quoting import PATH

if TYPE_CHECKING:
    from rich.console import Console

    from autograph.evaluate import Forward
    from autograph.graph import Graph

COMMANDS: dict[str, str] = {
    ":at": ":at x=-3,y=5   give variables values (kept until changed)",
    ":wrt": ":wrt w,b       differentiate with respect to these (no names: every variable)",
    ":eval": ":eval          forward pass: every node's value",
    ":grad": ":grad          forward and reverse passes: values, adjoints, the gradient",
    ":explain": ":explain       both passes told step by step, with the chain rule",
    ":graph": ":graph         draw the graph (with values and adjoints once :at binds all)",
    ":check": ":check         the gradient checked against SymPy and a finite difference",
    ":reset": ":reset         forget the program, the values and ans",
    ":save": ":save FILE     write the program (autograph grad --file FILE reads it)",
    ":help": ":help          this list",
}
"""The colon commands and their one-line help, in the order ``:help`` lists them."""

_HELP_HEAD = (
    "Type statements of the language, one a line (h = x + 5; # comments); each is added\n"
    "to the program and the last is its output. ans is the last result's value.\n"
    "Commands:\n"
)
_HELP_TAIL = "\nCtrl-C clears the line, Ctrl-D leaves."
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class Session:
    """The state of one REPL: the program's accepted lines, the point, ``--wrt`` and ``ans``."""

    def __init__(self, width: int = 80, color: bool = False) -> None:
        self.lines: list[str] = []
        """The program's lines, in order, without the lines that failed."""
        self.at: dict[str, float] = {}
        """The values given with ``:at``."""
        self.wrt: list[str] | None = None
        """The variables of ``:wrt``; None: every free variable."""
        self.ans: float | None = None
        """The last result's value (of a statement, ``:eval`` or ``:grad``)."""
        self.width = width
        self.color = color

    @property
    def program(self) -> str:
        """The program as a file holds it: the accepted lines, newline-terminated."""
        return "".join(line + "\n" for line in self.lines)

    def variables(self) -> list[str]:
        """The names the program defines or uses (for completion)."""
        if not self.lines:
            return []
        try:
            graph = self._graph()
        except AutographError:
            return []
        assigned = [name for name, _ in graph.statements if name is not None]
        return list(dict.fromkeys([*graph.variables, *assigned]))

    def run(self, line: str) -> str:
        """Run one line; return the text to print (empty for nothing), errors included."""
        text = line.strip()
        if not text or text.startswith("#"):
            return ""
        try:
            if text.startswith(":"):
                return self._command(text)
            return self._statement(text)
        except AutographError as err:
            return err.render()
        except RecursionError:
            return "error: the line is nested too deeply"

    # Statements

    def _statement(self, text: str) -> str:
        from autograph.graph import parse

        alone = parse(text)  # a syntax error's caret points into the line typed
        added = [text]
        if "ans" in alone.variables:
            if self.ans is None:
                raise InputError("no-ans", "ans is the last result, and there is none yet")
            added.insert(0, f"ans = {self.ans!r}")
        graph = parse(_joined([*self.lines, *added]))
        self.lines.extend(added)
        if any(name not in self.at for name in graph.variables):
            return ""  # not every variable has a value yet: nothing to compute
        result = self._forward(graph)
        return f"{graph.names[graph.output]} = {_number(result.value)}"

    # Commands

    def _command(self, text: str) -> str:
        name, _, rest = text.partition(" ")
        rest = rest.strip()
        handlers = {
            ":at": self._at,
            ":wrt": self._wrt,
            ":save": self._save,
        }
        if name in handlers:
            return handlers[name](rest)
        plain = {
            ":eval": self._eval,
            ":grad": self._grad,
            ":explain": self._explain,
            ":graph": self._draw,
            ":check": self._check,
            ":reset": self._reset,
            ":help": self._help,
        }
        if name not in plain:
            return _unknown(name)
        if rest:
            raise InputError("usage", f"{name} takes nothing after it; {COMMANDS[name].strip()}")
        return plain[name]()

    def _at(self, rest: str) -> str:
        from autograph.language.points import parse_at

        if not rest:
            if not self.at:
                return "no values yet: give them with :at x=-3"
            return "at " + ", ".join(f"{name} = {_number(v)}" for name, v in self.at.items())
        given = parse_at([rest], ":at")
        self.at.update(given)
        shown = ", ".join(f"{name} = {_number(value)}" for name, value in given.items())
        if not self.lines:
            return f"at {shown}"
        graph = self._graph()
        if any(name not in self.at for name in graph.variables):
            return f"at {shown}"
        result = self._forward(graph)
        return f"{graph.names[graph.output]} = {_number(result.value)}"

    def _wrt(self, rest: str) -> str:
        from autograph.language.points import parse_names

        self.wrt = parse_names([rest], ":wrt") if rest else None
        if self.wrt is None:
            return "wrt every variable"
        return "wrt " + ", ".join(self.wrt)

    def _eval(self) -> str:
        from autograph.table import print_result

        result = self._forward(self._graph())
        return self._render(lambda console: print_result(result, console))

    def _grad(self) -> str:
        from autograph.evaluate import backward
        from autograph.table import print_result

        result = backward(self._graph(), self._point(), self.wrt)
        self.ans = result.value
        return self._render(lambda console: print_result(result, console))

    def _explain(self) -> str:
        from autograph.explain import explain, to_lines

        explanation = explain(self._graph(), self._point(), self.wrt)
        return "\n".join(text for text, _ in to_lines(explanation)).rstrip()

    def _draw(self) -> str:
        from autograph.pictures import evaluate
        from autograph.pictures.text import tree

        graph = self._graph()
        bound = all(name in self.at for name in graph.variables)
        point = self._point() if bound else None
        result = evaluate(graph, point, bound, self.wrt if bound else None)
        return self._render(lambda console: console.print(tree(graph, result), soft_wrap=True))

    def _check(self) -> str:
        from autograph.referee import check
        from autograph.referee.render import print_check
        from autograph.table import print_result

        checked = check(self._graph(), self._point(), self.wrt, tol=1e-9, timeout=5.0)
        self.ans = checked.result.value

        def show(console: Console) -> None:
            print_result(checked.result, console)
            print_check(checked, console)

        return self._render(show)

    def _reset(self) -> str:
        self.lines.clear()
        self.at.clear()
        self.wrt = None
        self.ans = None
        return "the program, the values and ans are forgotten"

    def _save(self, rest: str) -> str:
        if not rest:
            raise InputError("usage", ":save takes a file name, e.g. :save program.ag")
        if not self.lines:
            raise InputError("empty", "no program yet to save: type a statement such as f = x^2")
        from autograph.atomic import write_atomically

        try:
            write_atomically(Path(rest), self.program.encode("utf-8"))
        except OSError as err:
            raise InputError(
                "file", f"cannot write {shorten(rest, PATH)!r}: {err.strerror}"
            ) from None
        count = len(self.lines)
        return f"saved {count} line{'s' if count != 1 else ''} to {rest}"

    def _help(self) -> str:
        return _HELP_HEAD + "\n".join("  " + line for line in COMMANDS.values()) + _HELP_TAIL

    # Shared

    def _graph(self) -> Graph:
        from autograph.graph import parse

        if not self.lines:
            raise InputError("empty", "no program yet: type a statement such as f = x^2")
        return parse(_joined(self.lines))

    def _point(self) -> dict[str, float]:
        """The values of ``:at`` that the program uses (others are kept for later lines)."""
        graph = self._graph()
        return {name: value for name, value in self.at.items() if name in graph.variables}

    def _forward(self, graph: Graph) -> Forward:
        from autograph.evaluate import forward

        point = {name: value for name, value in self.at.items() if name in graph.variables}
        result = forward(graph, point)
        self.ans = result.value
        return result

    def _render(self, draw: Any) -> str:
        from rich.console import Console

        out = io.StringIO()
        console = Console(
            file=out,
            width=self.width,
            force_terminal=self.color,
            no_color=not self.color,
            color_system="standard" if self.color else None,
        )
        draw(console)
        return out.getvalue().rstrip("\n")


def _joined(lines: list[str]) -> str:
    return "\n".join(lines)


def _number(value: float) -> str:
    from autograph.numbers import format_number

    return format_number(value)


def _unknown(name: str) -> str:
    import difflib

    close = difflib.get_close_matches(name, list(COMMANDS), n=1)
    hint = f"; did you mean {close[0]}?" if close else "; :help lists the commands"
    return f"error: unknown command {name[:40]!r}{hint}"
