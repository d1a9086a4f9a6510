"""``autograph.fit``: move the parameters against the gradient until the cost stops falling.

The cost is the program's output at a point, or its mean (or sum) over a dataset;
the parameters are the variables asked for. Each step evaluates the cost and its
gradient once (the program is planned once, the data read once when it fits in
memory) and hands the gradient to an optimiser (``optimizers.py``: gd, momentum,
adam, written as PyTorch writes them), or to SciPy's L-BFGS-B (``lbfgs.py``).
It stops after the steps asked for, when the gradient's norm falls below ``tol``,
or when the cost no longer changes, and says which.

NumPy (and SciPy, for lbfgs) are imported here only: ``eval`` and ``grad`` never import this.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from autograph.errors import InputError, MathError, listing, shorten
from autograph.graph import Graph

__all__ = ["Fit", "History", "fit"]

REASONS = {
    "gradient-norm": "the gradient's norm fell below the tolerance",
    "cost-unchanged": "the cost stopped changing",
    "steps": "the steps ran out before it converged",
    "interrupted": "interrupted (Ctrl-C) before it converged",
    "lbfgs": "SciPy's L-BFGS-B stopped",
}


@dataclass(frozen=True)
class History:
    """Per evaluation, from the starting point (index 0) to the last step."""

    cost: list[float] = field(default_factory=list)
    gradient_norm: list[float] = field(default_factory=list)
    parameters: list[tuple[float, ...]] = field(default_factory=list)


@dataclass(frozen=True)
class Fit:
    """Where a fit ended: the parameters, the cost there, and how it got there."""

    parameters: dict[str, float]
    cost: float
    gradient: dict[str, float]
    steps: int
    converged: bool
    reason: str
    """``gradient-norm``, ``cost-unchanged``, ``steps``, ``interrupted`` or ``lbfgs``."""
    message: str
    """Why it stopped, in a sentence."""
    optimizer: dict[str, Any]
    """The optimiser's name and settings: ``{"name": "gd", "lr": 0.01}``."""
    history: History
    samples: int | None = None
    """Rows of the dataset (None for a fit at a point)."""
    batch_size: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """The strict JSON of ``fit --json``."""
        return {
            "parameters": self.parameters,
            "cost": self.cost,
            "steps": self.steps,
            "converged": self.converged,
            "reason": self.reason,
            "optimizer": self.optimizer,
            "history": {"cost": self.history.cost, "gradient_norm": self.history.gradient_norm},
        }


StepCallback = Callable[[int, float, float], None]
"""Called after each evaluation with the step, the cost and the gradient's norm."""


def fit(
    graph: Graph,
    at: Mapping[str, float],
    wrt: Iterable[str] | None = None,
    *,
    data: Any = None,
    optimizer: str = "gd",
    lr: float | None = None,
    momentum: float = 0.9,
    betas: tuple[float, float] = (0.9, 0.999),
    eps: float = 1e-8,
    steps: int = 1000,
    tol: float = 1e-6,
    cost_tol: float = 1e-15,
    batch_size: int | None = None,
    seed: int = 0,
    reduce: str = "mean",
    ignore_extra: bool = False,
    on_step: StepCallback | None = None,
) -> Fit:
    """Fit the parameters ``wrt`` of ``graph``, starting from ``at``.

    ``data`` (columns by name, a file, or a function yielding chunks again each call)
    makes the cost the output's mean (``reduce="sum"``: sum) over its rows, and the
    parameters by default every variable of ``at``; without it the cost is the output
    at ``at``, and the parameters by default every variable. ``optimizer`` is gd,
    momentum, adam (PyTorch's rules and defaults; ``lr`` by default 0.01, Adam's 1e-3)
    or lbfgs (SciPy). With ``batch_size``, each step takes the gradient over that many
    rows, shuffled each epoch by ``seed``, and only ``steps`` stops it. Stops after
    ``steps`` steps, when the gradient's norm is at most ``tol``, or when the cost
    changes by at most ``cost_tol`` relative. A cost that stops being a finite number
    raises ``MathError`` naming the step; KeyboardInterrupt returns where it got to.
    """
    import numpy as np

    from autograph.fitting.objective import DataObjective, Objective
    from autograph.fitting.optimizers import DEFAULT_LR, NAMES, Optimizer

    if optimizer not in NAMES:
        raise InputError("usage", f"the optimizer is one of {', '.join(NAMES)}, not {optimizer!r}")
    if reduce not in ("mean", "sum"):
        raise InputError("usage", f"reduce is mean or sum, not {reduce!r}")
    _check_settings(optimizer, lr, momentum, betas, eps, steps, tol, batch_size, data)
    names = _parameters(graph, at, wrt, data is not None)
    objective: Objective = (
        Objective(graph, at, names)
        if data is None
        else DataObjective(graph, at, names, data, reduce, ignore_extra)
    )
    start = np.array([float(at[name]) for name in names], dtype=np.float64)
    if optimizer == "lbfgs":
        from autograph.fitting.lbfgs import minimize

        found: Fit = minimize(objective, start, steps, tol, cost_tol, on_step)
        return found
    rate = DEFAULT_LR[optimizer] if lr is None else lr
    rule = Optimizer(optimizer, rate, momentum, tuple(betas), eps)  # type: ignore[arg-type]
    loop = _Loop(objective, rule, on_step)
    if batch_size is None:
        return loop.full_batch(start, steps, tol, cost_tol)
    assert isinstance(objective, DataObjective)
    return loop.mini_batch(start, steps, objective.batches(batch_size, seed), batch_size)


def _check_settings(
    optimizer: str,
    lr: float | None,
    momentum: float,
    betas: Sequence[float],
    eps: float,
    steps: int,
    tol: float,
    batch_size: int | None,
    data: Any,
) -> None:
    if lr is not None and not (math.isfinite(lr) and lr > 0):
        raise InputError("usage", f"the learning rate must be a positive number, not {lr!r}")
    if optimizer == "lbfgs" and lr is not None:
        raise InputError("usage", "lbfgs chooses its own step lengths: it takes no learning rate")
    if not 0 <= momentum < 1:
        raise InputError("usage", f"the momentum must be from 0 to below 1, not {momentum!r}")
    if len(betas) != 2 or not all(0 <= beta < 1 for beta in betas):
        raise InputError("usage", "Adam's betas must be two numbers from 0 to below 1")
    if not (math.isfinite(eps) and eps > 0):
        raise InputError("usage", "Adam's eps must be a positive number")
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 0:
        raise InputError("usage", f"the number of steps must be a whole number >= 0, not {steps!r}")
    if not (math.isfinite(tol) and tol >= 0):
        raise InputError("usage", f"the tolerance must be a number >= 0, not {tol!r}")
    if batch_size is not None:
        if data is None:
            raise InputError("usage", "mini-batches are batches of rows: they need data")
        if optimizer == "lbfgs":
            raise InputError("usage", "lbfgs needs the full gradient: it takes no mini-batches")
        if batch_size < 1:
            raise InputError("usage", f"the batch size must be at least 1, not {batch_size!r}")


def _parameters(
    graph: Graph, at: Mapping[str, float], wrt: Iterable[str] | None, over_data: bool
) -> tuple[str, ...]:
    """The parameters: ``wrt``; by default ``at``'s variables (over data) or every variable."""
    if wrt is None:
        names = [name for name in graph.variables if name in at or not over_data]
    else:
        names = list(dict.fromkeys(wrt))
    for name in names:
        if name not in graph.variables:
            known = listing(list(graph.variables)) or "none"
            raise InputError(
                "bad-wrt",
                f"{shorten(name)!r} is not a variable of the program (variables: {known})",
                variable=name,
            )
        if name not in at:
            raise InputError(
                "unbound-variable",
                f"the parameter {name} needs a starting value (give one with --at {name}=...)",
                variable=name,
            )
    if not names:
        raise InputError("usage", "there is no parameter to fit: name one with --wrt")
    return tuple(names)


class _Loop:
    """The first-order optimisers' loop: evaluate, record, test for a stop, step."""

    def __init__(self, objective: Any, optimizer: Any, on_step: StepCallback | None) -> None:
        self.objective, self.optimizer, self.on_step = objective, optimizer, on_step
        self.history = History()

    def _evaluate(self, values: Any, step: int, rows: Any = None) -> tuple[float, Any, float]:
        """Cost, gradient and its norm at ``values``; a failure named by its step."""
        import numpy as np

        try:
            cost, gradient = self.objective(values, rows)
        except MathError as err:
            raise self._failure(step, err.message, err) from None
        with np.errstate(all="ignore"):
            norm = float(np.sqrt(np.dot(gradient, gradient)))
        if not math.isfinite(norm):
            raise self._failure(step, "the gradient's norm overflows float64", None)
        return cost, gradient, norm

    def _failure(self, step: int, what: str, err: MathError | None) -> MathError:
        lr = self.optimizer.lr
        if step == 0:
            message = f"at the starting point: {what}"
        else:
            message = (
                f"step {step}: {what}. The steps diverged: the learning rate {lr:g} is too "
                f"large for this cost; try a smaller one (say {lr / 10:g})"
            )
        details = dict(err.details) if err is not None else {}
        details["step"] = step
        span, source = (err.span, err.source) if err is not None else (None, None)
        return MathError(
            "diverged" if step else (err.kind if err else "nan"), message, span, source, **details
        )

    def _record(self, step: int, cost: float, norm: float, values: Any) -> None:
        self.history.cost.append(cost)
        self.history.gradient_norm.append(norm)
        self.history.parameters.append(tuple(values.tolist()))
        if self.on_step is not None:
            self.on_step(step, cost, norm)

    def _complete_records(self, keep: int | None = None) -> None:
        """Drop a record that an interrupt cut short (and every one from ``keep`` on)."""
        history = self.history
        whole = min(len(history.cost), len(history.gradient_norm), len(history.parameters))
        whole = whole if keep is None else min(whole, keep)
        for column in (history.cost, history.gradient_norm, history.parameters):
            del column[whole:]

    def _moved(self, values: Any, gradient: Any, step: int) -> Any:
        import numpy as np

        with np.errstate(all="ignore"):
            moved = self.optimizer.step(values, gradient)
        if not np.all(np.isfinite(moved)):
            bad = self.objective.names[int(np.flatnonzero(~np.isfinite(moved))[0])]
            raise self._failure(step, f"the parameter {bad} is no longer a finite number", None)
        return moved

    def full_batch(self, values: Any, steps: int, tol: float, cost_tol: float) -> Fit:
        """Steps over the whole cost until one of the three stops."""
        import numpy as np

        step, reason = 0, "steps"
        last: tuple[Any, float, Any] = (values, math.nan, None)
        try:
            cost, gradient, norm = self._evaluate(values, 0)
            last = (values, cost, gradient)
            self._record(0, cost, norm, values)
            while True:
                if norm <= tol:
                    reason = "gradient-norm"
                    break
                costs = self.history.cost
                if step and abs(costs[-1] - costs[-2]) <= cost_tol * max(
                    abs(costs[-1]), abs(costs[-2])
                ):
                    reason = "cost-unchanged"
                    break
                if step >= steps:
                    break
                values = self._moved(values, gradient, step + 1)
                step += 1
                cost, gradient, norm = self._evaluate(values, step)
                last = (values, cost, gradient)
                self._record(step, cost, norm, values)
        except KeyboardInterrupt:
            self._complete_records()
            if not self.history.cost:
                raise  # nothing reached yet to report
            reason = "interrupted"
            step = len(self.history.cost) - 1
            # The last point recorded whole; its gradient, if it was the last one computed.
            reached = self.history.parameters[-1]
            known = last[2] if tuple(last[0].tolist()) == reached else None
            last = (np.array(reached, dtype=np.float64), self.history.cost[-1], known)
        return self._result(last[0], last[1], last[2], step, reason)

    def mini_batch(self, values: Any, steps: int, batches: Any, size: int) -> Fit:
        """``steps`` steps, each over the next mini-batch; then the cost over all the data."""
        reason, step, taken = "steps", 0, 0
        try:
            for step in range(1, steps + 1):
                rows = next(batches)
                cost, gradient, norm = self._evaluate(values, step - 1, rows)
                self._record(step - 1, cost, norm, values)
                # One assignment: an interrupt cannot fall between the point and its count.
                values, taken = self._moved(values, gradient, step), step
        except KeyboardInterrupt:
            # ``values`` is the point ``taken`` steps reached: its cost over all the data
            # is recorded as step ``taken``, after the mini-batch costs of the steps before.
            reason, step = "interrupted", taken
            self._complete_records(taken)
        cost, gradient, norm = self._evaluate(values, step)
        self._record(step, cost, norm, values)
        return self._result(values, cost, gradient, step, reason, size)

    def _result(
        self, values: Any, cost: float, gradient: Any, step: int, reason: str, size: Any = None
    ) -> Fit:
        names = self.objective.names
        return Fit(
            parameters=dict(zip(names, values.tolist(), strict=True)),
            cost=cost,
            gradient={} if gradient is None else dict(zip(names, gradient.tolist(), strict=True)),
            steps=step,
            converged=reason in ("gradient-norm", "cost-unchanged"),
            reason=reason,
            message=REASONS[reason],
            optimizer=self.optimizer.settings(),
            history=self.history,
            samples=self.objective.samples,
            batch_size=size,
        )
