"""The commands, one module per job; importing this package registers them on the app."""

from autograph.cli.commands import hessian, jvp, passes, pictures, symbolic

__all__ = ["hessian", "jvp", "passes", "pictures", "symbolic"]
