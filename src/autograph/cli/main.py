"""The entry point: run a command, turn every failure into an exit code and a message.

Errors become exit code 2 (bad input) or 1 (a math failure) and a message on
stderr, as text or, under ``--json``, as one line of JSON; a closed pipe is 141
and Ctrl-C 130, both quiet; output that cannot be written (a full disk) is
exit 74 with its own message; running out of memory is a message, exit 1.
No traceback ever reaches the user.
"""

from __future__ import annotations

import atexit
import contextlib
import gc
import os
import sys
import threading
from typing import Any, NoReturn

from autograph.cli import commands  # noqa: F401 - registers the commands on the app
from autograph.cli.app import app
from autograph.cli.options import protect_expressions
from autograph.cli.usage import check_command
from autograph.errors import AutographError, InputError, MathError, OutputError

MEMORY_MESSAGE = (
    "out of memory: the program or the data is too big for this machine "
    "(see the README, 'Big programs, hostile input, speed')"
)


def main(argv: list[str] | None = None) -> NoReturn:
    """Entry point: run the command line and exit with its code, never with a traceback.

    Called as the program (no ``argv``), it leaves without freeing what it built: a
    million-node graph takes seconds to take apart, just before the process ends
    anyway. Output is flushed, exit handlers run and files are closed first; called
    with ``argv`` (in-process, by tests), it raises ``SystemExit`` as usual.
    """
    global _leave_fast
    _leave_fast = argv is None
    args = list(sys.argv[1:] if argv is None else argv) or ["--help"]
    as_json = "--json" in args
    # A big program's graph, results and JSON are millions of objects that hold no cycles;
    # the default thresholds would rescan them all many times over. Collect, but seldom.
    thresholds = gc.get_threshold()
    gc.set_threshold(100_000, 50, 100)
    stdout = sys.stdout
    sys.stdout = _InPieces(stdout)
    try:
        command = _click_command(args)
        check_command(args, command)
        args = protect_expressions(args, command)
        code = command.main(args=args, prog_name="autograph", standalone_mode=False)
        if _pacified(stdout):  # Click met a closed pipe, said nothing and returned 0
            _silence_stdout()
            _exit(141)
        sys.stdout.flush()
        _exit(code if isinstance(code, int) else 0)
    except AutographError as err:
        _report(err, as_json)
        _exit(err.exit_code)
    except KeyboardInterrupt:  # quietly, as Typer does inside a command: the shell shows ^C
        _exit(130)
    except BrokenPipeError:
        _silence_stdout()
        _exit(141)
    except SystemExit as done:
        # Typer and Rich turn a closed pipe into exit 1; the convention is 141 (128 + SIGPIPE).
        if isinstance(done.__context__, BrokenPipeError) or _pacified(stdout):
            _silence_stdout()
            _exit(141)
        raise
    except OSError as err:  # a full disk, a device gone: the output could not be written
        _silence_stdout()
        _report(OutputError("io", f"cannot write the output: {err.strerror or err}"), as_json)
        _exit(OutputError.exit_code)
    except MemoryError:
        _report(MathError("memory", MEMORY_MESSAGE), as_json)
        _exit(MathError.exit_code)
    except Exception as err:  # noqa: BLE001 - the last line of defence against tracebacks
        usage = _usage_error(err)
        if usage is None:
            usage = AutographError("internal", f"internal error (a bug in autograph): {err!r}")
        _report(usage, as_json)
        _exit(usage.exit_code)
    finally:
        gc.set_threshold(*thresholds)  # main() may be called in-process, by tests
        if isinstance(sys.stdout, _InPieces):
            sys.stdout = stdout


def _click_command(args: list[str]) -> Any:
    """The app as Click runs it. For ``autograph grad ...``, a group holding only ``grad``:
    Typer reads every command's signature and options to build its Click command, about
    7 ms of start-up for the commands that are not run. Help, completion and a first
    argument that is no command get the whole app."""
    from typer.main import get_command

    every = app.registered_commands
    wanted = [info for info in every if args and info.name == args[0]]
    if not wanted or "_AUTOGRAPH_COMPLETE" in os.environ:
        return get_command(app)
    app.registered_commands = wanted
    try:
        return get_command(app)
    finally:
        app.registered_commands = every


def _usage_error(err: Exception) -> AutographError | None:
    """Click's own errors (unknown option, missing value) as an InputError, exit 2."""
    from typer.exceptions import Abort, TyperException

    from autograph.cli.usage import translate

    if isinstance(err, Abort):
        return InputError("interrupted", "aborted")
    if isinstance(err, TyperException):
        return translate(err) or InputError(
            "usage", f"{err.format_message()} (see autograph --help)"
        )
    return None


def _report(err: AutographError, as_json: bool) -> None:
    if as_json:
        from autograph.report import dumps

        text = dumps(err.to_dict())
    else:
        text = err.render()
    try:
        sys.stderr.write(text + "\n")
        sys.stderr.flush()
    except BrokenPipeError:
        pass


class _InPieces:
    """stdout, written in pieces of 64 KiB.

    One big write to a pipe its reader closes part-way is cut short without an error
    (CPython's buffered writer counts the partial write as done), so the command would
    exit 0 with half its output; piece by piece, the next write raises BrokenPipeError.
    """

    PIECE = 1 << 16

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        """Write ``text`` piece by piece; returns its length."""
        piece = self.PIECE
        if len(text) <= piece:
            return int(self._stream.write(text))
        for start in range(0, len(text), piece):
            self._stream.write(text[start : start + piece])
        return len(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def _pacified(stdout: Any) -> bool:
    """Whether Click swapped stdout for its wrapper, which it does on a closed pipe."""
    if sys.stdout is stdout or isinstance(sys.stdout, _InPieces):
        return False
    sys.stdout, sys.stderr = stdout, sys.__stderr__ or sys.stderr
    return True


def _silence_stdout() -> None:
    """After a closed pipe, point stdout at /dev/null so Python's exit flush stays quiet."""
    try:
        fileno = sys.stdout.fileno()
    except (OSError, ValueError, AttributeError):  # a test's in-memory stream
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, fileno)
    with contextlib.suppress(OSError):  # what the buffer still holds goes to /dev/null
        sys.stdout.flush()


_leave_fast = False
"""Whether ``_exit`` may end the process at once (main was called as the program)."""


def _exit(code: int) -> NoReturn:
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        _silence_stdout()
        code = 141
    except OSError as err:
        _silence_stdout()
        _report(OutputError("io", f"cannot write the output: {err.strerror or err}"), False)
        code = OutputError.exit_code
    if _leave_fast and threading.active_count() == 1:
        _leave(code)
    raise SystemExit(code)


def _leave(code: int) -> NoReturn:
    """End the process now: what interpreter shutdown does that matters, but no teardown."""
    atexit._run_exitfuncs()  # tempfile's and others' clean-ups, as at a normal exit
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # closed: nothing can reach it
            stream.flush()
    os._exit(code)
