"""The commands, one module per job; importing this package registers them on the app."""

from autograph.cli.commands import fit, hessian, jvp, passes, pictures, repl, symbolic

__all__ = ["fit", "hessian", "jvp", "passes", "pictures", "repl", "symbolic"]
