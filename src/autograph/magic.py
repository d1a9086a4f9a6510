"""The IPython extension: ``%load_ext autograph``, then ``%%autograph COMMAND OPTIONS``.

The cell is the program; the line is a command of the command line and its
options, read by the command's own option parser, so every option means what
it means there::

    %%autograph grad --at w=3,b=1,x=-3,y=5 --wrt w,b -o res
    c = w*x; f = c + b; d = f - y
    J = 0.5*d^2

The magic returns the result object (which displays itself, see display.py),
never printed text, and ``-o NAME`` also binds it to ``NAME``. As a line
magic, the program is the command's EXPR: ``%autograph eval "x^2" --at x=3``.
An error prints its message, as the command line does, without a traceback.
``graph`` writes a file with ``--output FILE`` (``-o`` is the magic's).
"""

from __future__ import annotations

import shlex
import sys
from typing import Any

from autograph.errors import AutographError, InputError, shorten
from autograph.quoting import PATH

COMMANDS = ("eval", "grad", "graph", "explain", "diff")


class HelpShown(Exception):
    """``--help`` printed a command's help: there is no result."""


def load(ipython: Any) -> None:
    """Register ``%autograph`` and ``%%autograph`` on an IPython shell."""

    def autograph(line: str, cell: str | None = None) -> Any:
        """Run an autograph command on the cell's program; display and return the result.

        %%autograph grad --at x=-3 [--wrt NAME,...] [-o NAME]
        """
        try:
            name, args = _output_name(shlex.split(line))
            result = run(args, cell)
        except HelpShown:
            return None
        except AutographError as err:
            sys.stderr.write(err.render() + "\n")
            return None
        except ValueError as err:  # shlex: an unclosed quote
            sys.stderr.write(f"error: cannot read the magic's line: {err}\n")
            return None
        if name is not None:
            ipython.user_ns[name] = result
        return result

    ipython.register_magic_function(autograph, magic_kind="line_cell", magic_name="autograph")


def _output_name(args: list[str]) -> tuple[str | None, list[str]]:
    """Take ``-o NAME`` out of the arguments: the Python name the result is bound to."""
    if "-o" not in args:
        return None, args
    index = args.index("-o")
    if index + 1 >= len(args) or not args[index + 1].isidentifier():
        raise InputError("usage", "-o takes a Python name to bind the result to: -o res")
    return args[index + 1], args[:index] + args[index + 2 :]


def run(args: list[str], program: str | None = None) -> Any:
    """Run ``autograph ARGS`` on ``program`` (or on the EXPR in ``args``); return the result.

    ``eval`` gives a ``Forward``, ``grad`` a ``Backward`` (a ``Check`` with
    ``--check``), ``graph`` a ``Picture`` (svg where Graphviz is at hand, else
    Mermaid, unless ``--format`` says), ``explain`` an ``Explanation``, ``diff``
    ``Derivatives``. Raises the usual ``AutographError``.
    """
    if not args or args[0] not in COMMANDS:
        raise InputError("usage", f"give a command first, one of {', '.join(COMMANDS)}")
    name, options = args[0], args[1:]
    params, given = _parse(name, options, program)
    from autograph.cli.options import read_program
    from autograph.graph import parse
    from autograph.language.points import parse_at, parse_names

    graph = parse(read_program(params.get("expr"), params.get("file")))
    # Click gives a repeatable option that was not used as an empty tuple.
    at = parse_at(list(params.get("at") or ()))
    wrt = parse_names(list(params["wrt"]) if params.get("wrt") else None, "--wrt")
    if name == "eval":
        return _eval(graph, at, params)
    if name == "grad":
        return _grad(graph, at, wrt, params)
    if name == "graph":
        from autograph.pictures import picture

        format = (
            str(getattr(params["format"], "value", params["format"])) if "format" in given else None
        )
        drawn = picture(graph, at or None, bool(params.get("grad")), wrt, format)
        if params.get("output") is not None:
            from autograph.atomic import write_atomically

            data = drawn.data.encode("utf-8") if isinstance(drawn.data, str) else drawn.data
            try:
                write_atomically(params["output"], data)  # all of it, or nothing changed
            except OSError as err:
                where = shorten(str(params["output"]), PATH)
                raise InputError("file", f"cannot write {where!r}: {err.strerror}") from None
        return drawn
    if name == "explain":
        from autograph.explain import explain

        return explain(graph, at, wrt)
    from autograph.cli.options import positive
    from autograph.symbolic import diff

    derivatives = diff(graph, wrt, at or None, timeout=positive(params["timeout"]))
    if params.get("json"):
        from autograph.report import dumps
        from autograph.symbolic import to_dict

        sys.stdout.write(dumps(to_dict(derivatives)) + "\n")
    return derivatives


def _parse(name: str, options: list[str], program: str | None) -> tuple[dict[str, Any], set[str]]:
    """The command's options as its own Click parser reads them, and which were given."""
    from typer.exceptions import Exit, TyperException
    from typer.main import get_command

    from autograph.cli import commands  # noqa: F401 - registers the commands on the app
    from autograph.cli.app import app
    from autograph.cli.options import protect_expressions

    group: Any = get_command(app)
    if program is None:
        options = protect_expressions([name, *options], group)[1:]
    elif "--" in options:
        raise InputError("usage", "the cell is the program: give no EXPR on the magic's line")
    else:
        options = [*options, "--", program]
    try:
        context = group.commands[name].make_context(name, options)
    except Exit:  # --help: the command's help is printed, and that is all
        raise HelpShown from None
    except TyperException as err:
        raise InputError("usage", err.format_message()) from None
    sources = {key: context.get_parameter_source(key) for key in context.params}
    given = {key for key, source in sources.items() if getattr(source, "name", "") == "COMMANDLINE"}
    return dict(context.params), given


def _eval(graph: Any, at: dict[str, float], params: dict[str, Any]) -> Any:
    from autograph.evaluate import forward

    if params.get("data") is not None:
        raise InputError(
            "usage", "eval --data writes one value per row: run it on the command line"
        )
    result = forward(graph, at)
    if params.get("json"):
        from autograph.report import write

        write(result, sys.stdout)
    return result


def _grad(graph: Any, at: dict[str, float], wrt: list[str] | None, params: dict[str, Any]) -> Any:
    from autograph.cli.options import positive

    if params.get("check"):
        from autograph.referee import check

        tol = positive(params.get("tol") or 1e-9, "--tol", 0, 1)
        checked = check(graph, at, wrt, tol=tol, timeout=positive(params.get("timeout") or 5.0))
        if params.get("json"):
            from autograph.referee.render import to_dict
            from autograph.report import write

            write(checked.result, sys.stdout, check=to_dict(checked))
        return checked
    if params.get("data") is not None:
        from autograph.cli.commands.passes import grad_over_data

        options = (params.get("reduce") or "mean", bool(params.get("ignore_extra_columns")), True)
        result, _ = grad_over_data(graph, params["data"], at, wrt, *options)
    else:
        from autograph.evaluate import backward

        result = backward(graph, at, wrt)
    if params.get("json"):
        from autograph.report import write

        extra = {"samples": result.samples, "reduce": result.reduce} if params.get("data") else {}
        write(result, sys.stdout, **extra)
    return result
