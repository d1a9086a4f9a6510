"""The command line: a thin layer that parses options, calls the library and renders.

- ``app``: the Typer application, its help and its own options;
- ``options``: the shared options, and reading the program and ``--at``/``--wrt``;
- ``commands``: one module per job, each registering its commands on the app;
- ``output``: results as a table or as JSON;
- ``main``: the entry point, where every failure becomes an exit code and a message.
"""

from autograph.cli.main import main

__all__ = ["main"]
