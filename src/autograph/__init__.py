"""autograph: a calculator for computational graphs.

Parse a formula or a short program into a DAG of operations, run the forward
pass (every node's value) and the reverse pass (every node's adjoint)::

    >>> import autograph
    >>> graph = autograph.parse("((x+5)^3+1)^2")
    >>> result = autograph.backward(graph, {"x": -3})
    >>> result.value, result.gradient
    (81.0, {'x': 216.0})
"""

from typing import Any

from autograph.derivatives import Hessian, gradient, hessian
from autograph.errors import AutographError, InputError, MathError, Span
from autograph.evaluate import Backward, Forward, backward, forward
from autograph.graph import Builder, Graph, parse
from autograph.tangents import Tangents, jvp

__all__ = [
    "AutographError",
    "Backward",
    "Builder",
    "Fit",
    "Forward",
    "Graph",
    "Hessian",
    "InputError",
    "MathError",
    "Span",
    "Tangents",
    "backward",
    "fit",
    "forward",
    "gradient",
    "hessian",
    "jvp",
    "load_ipython_extension",
    "parse",
]
__version__ = "0.1.0"


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext autograph``: the ``%%autograph`` cell magic (see autograph.magic)."""
    from autograph.magic import load

    load(ipython)


def __getattr__(name: str) -> Any:
    """``autograph.fit`` and ``autograph.Fit``, imported when first used (they need NumPy)."""
    if name in ("fit", "Fit"):
        from autograph import fitting

        return getattr(fitting, name)
    raise AttributeError(f"module 'autograph' has no attribute {name!r}")
