"""Mistakes in the command line itself, said in autograph's words rather than Click's.

A missing command (``autograph "x^2" --at x=1``), a misspelt one, an unknown option, an
option without its value, a value of the wrong kind, a program in several pieces: each
becomes an ``InputError`` (exit 2) that says what to type.
"""

from __future__ import annotations

from typing import Any

from autograph.errors import InputError, shorten


def check_command(args: list[str], command: Any) -> None:
    """Refuse a first argument that is no command: say the command is missing, or misspelt."""
    if not args or args[0].startswith("-") or args[0] in command.commands:
        return
    first = args[0]
    names = sorted(command.commands)
    near = _near(first, names)
    if near:
        raise InputError(
            "usage",
            f"unknown command {shorten(first)!r}; did you mean {near}? "
            f"(the commands: {', '.join(names)})",
        )
    raise InputError(
        "usage",
        f"a command is missing: autograph eval {_quoted(first)} ..., autograph grad "
        f"{_quoted(first)} ... (the commands: {', '.join(names)}; see autograph --help)",
    )


def translate(err: Exception) -> InputError | None:
    """Click's usage error ``err`` as autograph's InputError; None if it is not one."""
    from typer._click import exceptions as click

    if not isinstance(err, click.UsageError):
        return None
    path = err.ctx.command_path if err.ctx is not None else "autograph"
    see = f"see {path} --help"
    if isinstance(err, click.NoSuchOption):
        options = _long_options(err.ctx)
        near = _near(err.option_name, options)
        hint = f"; did you mean {near}?" if near else ""
        return InputError("usage", f"{path} has no option {shorten(err.option_name)}{hint} ({see})")
    if isinstance(err, click.BadOptionUsage) and "requires an argument" in err.message:
        return InputError("usage", f"{err.option_name} needs a value (see {_help(err)})")
    if isinstance(err, click.BadOptionUsage) and "does not take a value" in err.message:
        return InputError("usage", f"{err.option_name} takes no value (see {_help(err)})")
    if isinstance(err, click.MissingParameter):
        return InputError("usage", f"{path} needs {err.format_message()[len('Missing ') :]}")
    if isinstance(err, click.BadParameter):
        return InputError("usage", _bad_value(err))
    if err.message.startswith("Got unexpected extra argument"):
        extra = err.message.rpartition("(")[2].rstrip(")")
        return InputError(
            "usage",
            f"{path} takes the program as one argument, and got more: {shorten(extra)!r}; "
            f'quote the whole program, e.g. {path} "x + y"',
        )
    return InputError("usage", f"{err.format_message()} ({see})")


def _bad_value(err: Any) -> str:
    """``--format jpg``: the values the option takes; ``--tol abc``: that it takes a number."""
    param = err.param
    hint = err.param_hint if isinstance(err.param_hint, str) else None
    name = hint or (param.opts[0] if param is not None and param.opts else "a value")
    name = name.strip("'")
    kind = getattr(getattr(param, "type", None), "name", "")
    given = err.message.split("'")[1] if err.message.count("'") >= 2 else None
    got = f", got {shorten(given)!r}" if given is not None else ""
    choices = getattr(getattr(param, "type", None), "choices", None)
    if choices:
        return f"{name} takes one of {', '.join(map(str, choices))}{got}"
    if kind == "float":
        return f"{name} takes a number{got}"
    if kind == "integer":
        return f"{name} takes a whole number{got}"
    return f"{name}: {err.message}"


def _help(err: Any) -> str:
    path = err.ctx.command_path if err.ctx is not None else "autograph COMMAND"
    return f"{path} --help"


def _long_options(ctx: Any) -> list[str]:
    if ctx is None:
        return []
    return sorted(
        opt
        for param in ctx.command.params
        for opt in (*param.opts, *param.secondary_opts)
        if opt.startswith("--")
    )


def _near(typed: str, known: list[str]) -> str | None:
    """The one known word ``typed`` is a slip of: a prefix, or one letter off; else None."""
    bare = typed.lstrip("-")
    if len(bare) < 2:
        return None
    prefixed = [word for word in known if word.lstrip("-").startswith(bare)]
    if len(prefixed) == 1:
        return prefixed[0]
    slips = [word for word in known if _one_slip(bare, word.lstrip("-"))]
    return slips[0] if len(slips) == 1 else None


def _one_slip(a: str, b: str) -> bool:
    """True when ``a`` and ``b`` differ by one letter changed, added, dropped or swapped."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        swapped = (
            len(diff) == 2
            and diff[1] == diff[0] + 1
            and (a[diff[0]], a[diff[1]]) == (b[diff[1]], b[diff[0]])
        )
        return len(diff) == 1 or swapped
    short, long = (a, b) if len(a) < len(b) else (b, a)
    return any(long[:i] + long[i + 1 :] == short for i in range(len(long)))


def _quoted(text: str) -> str:
    import shlex

    return shlex.quote(shorten(text))
