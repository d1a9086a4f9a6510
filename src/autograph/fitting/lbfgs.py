"""lbfgs: SciPy's L-BFGS-B, given autograph's cost and gradient (``jac=True``).

SciPy is an optional extra (``pip install "autograph-cli[fit]"``), imported only here.
One step is one iteration of L-BFGS-B; its line search may evaluate the cost more than
once per step, and the history keeps the point each iteration ends at.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from autograph.errors import InputError, MathError


def minimize(
    objective: Any,
    start: Any,
    steps: int,
    tol: float,
    cost_tol: float,
    on_step: Any,
) -> Any:
    """Run L-BFGS-B from ``start`` for at most ``steps`` iterations; return the ``Fit``."""
    try:
        from scipy.optimize import minimize as scipy_minimize
    except ImportError:
        raise InputError(
            "missing-extra",
            "lbfgs is SciPy's L-BFGS-B, and SciPy is not installed: "
            'pip install "autograph-cli[fit]" (or pip install scipy)',
        ) from None
    from autograph.fitting import REASONS, Fit, History

    history = History()
    seen: dict[bytes, tuple[float, Any]] = {}
    evaluations = [0]

    def cost(values: Any) -> tuple[float, Any]:
        key = values.tobytes()
        if key not in seen:
            evaluations[0] += 1
            try:
                seen.clear()
                seen[key] = objective(np.array(values, dtype=np.float64))
            except MathError as err:
                step = len(history.cost)
                where = "at the starting point" if step == 0 else f"step {step}"
                details = {**err.details, "step": step}
                raise MathError(
                    err.kind, f"{where}: {err.message}", err.span, err.source, **details
                ) from None
        return seen[key]

    def record(values: Any) -> None:
        value, gradient = cost(values)
        norm = float(np.sqrt(np.dot(gradient, gradient)))
        history.cost.append(value)
        history.gradient_norm.append(norm)
        history.parameters.append(tuple(values.tolist()))
        if on_step is not None:
            on_step(len(history.cost) - 1, value, norm)

    def after_iteration(intermediate_result: Any) -> None:
        record(intermediate_result.x)

    record(start)
    reason, message = "lbfgs", ""
    values = start
    if history.gradient_norm[0] <= tol:
        reason, message = "gradient-norm", REASONS["gradient-norm"]
    elif steps > 0:
        try:
            found = scipy_minimize(
                cost,
                start,
                jac=True,
                method="L-BFGS-B",
                callback=after_iteration,
                # gtol is on the largest component: the norm test is ours, below.
                options={"maxiter": steps, "gtol": tol / math.sqrt(len(start)), "ftol": cost_tol},
            )
        except KeyboardInterrupt:
            reason, message = "interrupted", REASONS["interrupted"]
            values = np.array(history.parameters[-1])
        else:
            values = found.x
            message = f"{REASONS['lbfgs']}: {found.message}"
            if history.parameters[-1] != tuple(values.tolist()):
                record(values)
            if history.gradient_norm[-1] <= tol:
                reason = "gradient-norm"
            elif found.status == 1:
                reason, message = "steps", REASONS["steps"]
            elif found.success:
                reason = "cost-unchanged"
    value, gradient = cost(values)
    names = objective.names
    return Fit(
        parameters=dict(zip(names, values.tolist(), strict=True)),
        cost=value,
        gradient=dict(zip(names, gradient.tolist(), strict=True)),
        steps=len(history.cost) - 1,
        converged=reason in ("gradient-norm", "cost-unchanged"),
        reason=reason,
        message=message or REASONS[reason],
        optimizer={"name": "lbfgs", "method": "L-BFGS-B", "evaluations": evaluations[0]},
        history=history,
        samples=objective.samples,
    )
