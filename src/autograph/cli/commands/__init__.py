"""The commands, one module per job; importing this package registers them on the app."""

from autograph.cli.commands import hessian, passes, pictures, symbolic

__all__ = ["hessian", "passes", "pictures", "symbolic"]
