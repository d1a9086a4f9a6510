"""The optimisers: each one's update rule, in code and in words, with PyTorch's defaults.

Each rule is written as ``torch.optim`` writes it (``SGD``, ``SGD(momentum=...)`` and
``Adam``, no weight decay, no dampening), so a trajectory matches PyTorch's step by
step; ``tests/test_fit.py`` checks both against the rules written out in NumPy and
against PyTorch itself. ``lbfgs`` is not here: it is SciPy's (``fitting/lbfgs.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

NAMES = ("gd", "momentum", "adam", "lbfgs")
DEFAULT_LR = {"gd": 0.01, "momentum": 0.01, "adam": 1e-3}
"""A rate a learner can start from; Adam's is PyTorch's default."""


@dataclass
class Optimizer:
    """One optimiser with its settings: ``step`` turns parameters and gradient into new ones."""

    name: str
    lr: float
    momentum: float = 0.9
    betas: tuple[float, float] = (0.9, 0.999)
    eps: float = 1e-8
    steps_taken: int = 0
    state: dict[str, FloatArray] = field(default_factory=dict)

    def settings(self) -> dict[str, Any]:
        """The name and every setting the rule uses (the ``optimizer`` object of the JSON)."""
        if self.name == "gd":
            return {"name": "gd", "lr": self.lr}
        if self.name == "momentum":
            return {"name": "momentum", "lr": self.lr, "momentum": self.momentum}
        return {
            "name": "adam",
            "lr": self.lr,
            "betas": list(self.betas),
            "eps": self.eps,
        }

    def step(self, parameters: FloatArray, gradient: FloatArray) -> FloatArray:
        """The parameters after one step against ``gradient``."""
        self.steps_taken += 1
        if self.name == "gd":
            return parameters - self.lr * gradient
        if self.name == "momentum":
            velocity = self.state.get("velocity")
            # PyTorch starts the buffer at the first gradient: mu * 0 + g is the same number.
            velocity = gradient.copy() if velocity is None else self.momentum * velocity + gradient
            self.state["velocity"] = velocity
            return parameters - self.lr * velocity
        beta1, beta2 = self.betas
        t = self.steps_taken
        mean = self.state.get("mean", np.zeros_like(parameters))
        square = self.state.get("square", np.zeros_like(parameters))
        mean = beta1 * mean + (1 - beta1) * gradient
        square = beta2 * square + (1 - beta2) * gradient * gradient
        self.state["mean"], self.state["square"] = mean, square
        step_size = self.lr / (1 - beta1**t)
        denominator = np.sqrt(square) / (1 - beta2**t) ** 0.5 + self.eps
        moved: FloatArray = parameters - step_size * mean / denominator
        return moved


def rule(settings: dict[str, Any]) -> tuple[str, str]:
    """The update rule of an optimiser's ``settings``: in words, and in symbols."""
    from autograph.numbers import format_number as n

    name = settings["name"]
    if name == "gd":
        return (
            "gradient descent: each step moves every parameter against its derivative of "
            "the cost, by the learning rate times it",
            f"θ ← θ − lr·∇J   (lr = {n(settings['lr'])})",
        )
    if name == "momentum":
        return (
            "gradient descent with momentum (heavy ball): a velocity adds up the gradients, "
            "shrinking by the momentum each step, and the parameters move against it",
            f"v ← μ·v + ∇J;  θ ← θ − lr·v   (lr = {n(settings['lr'])}, "
            f"μ = {n(settings['momentum'])})",
        )
    if name == "adam":
        beta1, beta2 = settings["betas"]
        return (
            "Adam (Kingma and Ba): each parameter's step is the running mean of its "
            "derivative over the root of the running mean of its square, both bias-corrected",
            "m ← β₁m + (1−β₁)g;  v ← β₂v + (1−β₂)g²;  θ ← θ − lr·m̂/(√v̂ + ε), "
            "m̂ = m/(1−β₁ᵗ), v̂ = v/(1−β₂ᵗ)   "
            f"(lr = {n(settings['lr'])}, β₁ = {n(beta1)}, β₂ = {n(beta2)}, "
            f"ε = {n(settings['eps'])})",
        )
    return (
        "L-BFGS-B (SciPy): a quasi-Newton method; it builds a picture of the curvature from "
        "the last gradients and searches along the direction it gives",
        "θ ← θ − α·H⁻¹∇J, H from the last m steps, α by a line search",
    )
