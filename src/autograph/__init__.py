"""autograph: a calculator for computational graphs.

Parse a formula or a short program into a DAG of operations, run the forward
pass (every node's value) and the reverse pass (every node's adjoint)::

    >>> import autograph
    >>> graph = autograph.parse("((x+5)^3+1)^2")
    >>> result = autograph.backward(graph, {"x": -3})
    >>> result.value, result.gradient
    (81.0, {'x': 216.0})
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from autograph.derivatives import Hessian, gradient, hessian
    from autograph.errors import AutographError, InputError, MathError, Span
    from autograph.evaluate import Backward, Forward, backward, forward
    from autograph.fitting import Fit, fit
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


_HOMES = {
    "AutographError": "errors",
    "InputError": "errors",
    "MathError": "errors",
    "Span": "errors",
    "Graph": "graph",
    "Builder": "graph",
    "parse": "graph",
    "Forward": "evaluate",
    "Backward": "evaluate",
    "forward": "evaluate",
    "backward": "evaluate",
    "Hessian": "derivatives",
    "gradient": "derivatives",
    "hessian": "derivatives",
    "Tangents": "tangents",
    "jvp": "tangents",
    "Fit": "fitting",
    "fit": "fitting",
}
"""Where each public name lives. A name is imported when first used, so that
``import autograph.errors`` (the command line does, on every start) loads
just that module, and ``autograph.fit`` loads NumPy only when it is asked for."""


def __getattr__(name: str) -> Any:
    """The public names of the package, each imported from its module when first used."""
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'autograph' has no attribute {name!r}")
    value = getattr(import_module(f"autograph.{home}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
