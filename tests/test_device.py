"""Every tensor the solver core makes follows the device of the starts (the library never assumes CPU).

On a machine without a GPU the check runs with PyTorch's default device set to "meta" while the starts and the
problem live on the CPU: a tensor made without an explicit device would land on "meta", and mixing it with the
CPU tensors raises, or it shows up in the results.
"""

from __future__ import annotations

import sys

import pytest
import torch
from torch.overrides import TorchFunctionMode
from torch.utils._device import _device_constructors

from explorer import ct
from explorer.core import schedules
from explorer.core.registry import METHODS, STEP_RULES, make_method, make_step_rule
from explorer.core.solvers import solve
from explorer.priors.gaussian import ellipse_gaussian_prior
from explorer.toy import ToyProblem


def _devices(trajectory) -> set[str]:
    return {str(value.device) for value in vars(trajectory).values() if isinstance(value, torch.Tensor)}


@pytest.mark.parametrize("method", list(METHODS))
@pytest.mark.parametrize("step_rule", list(STEP_RULES))
def test_the_toy_solve_makes_no_tensor_on_a_fixed_device(method, step_rule):
    problem = ToyProblem()
    x0 = torch.tensor([[-3.94, -7.17], [9.19, 4.14]], dtype=torch.float64)
    ts = schedules.linear(2.0, 1e-3, 15)
    with torch.device("meta"):
        trajectory = solve(problem.objective(), x0, ts, method=make_method(method),
                           step_rule=make_step_rule(step_rule))
    assert _devices(trajectory) == {"cpu"}
    assert torch.isfinite(trajectory.final).all()


class _Factories(TorchFunctionMode):
    """Records tensor factory calls made directly by the library without a device (`torch.zeros(3)`, ...)."""

    def __init__(self) -> None:
        super().__init__()
        self.undevised: list[str] = []

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        converts = func in (torch.as_tensor, torch.asarray) and args and isinstance(args[0], torch.Tensor)
        if func in _device_constructors() and kwargs.get("device") is None and not converts:
            caller = sys._getframe(1)
            if "/explorer/" in caller.f_code.co_filename.replace("\\", "/"):
                self.undevised.append(f"{caller.f_code.co_filename.rsplit('/', 1)[-1]}:{caller.f_lineno}")
        return func(*args, **kwargs)


@pytest.mark.parametrize("method", ["gnc", "adaptive", "gd"])
def test_a_ct_solve_makes_no_tensor_on_a_fixed_device(method):
    """The CT objective (operator, Gaussian prior, weight) runs through torch internals that the meta trap above
    would trip inside torch itself, so here every factory call the library makes without a device is listed."""
    settings = ct.settings_from({"n": 32, "n_angles": 8, "prior": "gaussian", "method": method, "n_iter": 4})
    problem = ct.make_problem(settings.problem, ellipse_gaussian_prior(32))
    x0 = ct.initialisations(("zeros", "fbp"), problem)
    ts = settings.smoothing_schedule()
    with _Factories() as watch:
        trajectory = solve(problem.objective, x0, ts, method=make_method(method), step_rule=make_step_rule("bb"),
                           clip=(0.0, 1.0))
    assert watch.undevised == []
    assert _devices(trajectory) == {"cpu"} and torch.isfinite(trajectory.final).all()


def test_the_check_would_catch_a_tensor_made_on_the_default_device():
    """The trap works: code that forgets the device fails under it."""
    x = torch.zeros(3)
    with torch.device("meta"), pytest.raises((RuntimeError, NotImplementedError)):
        (x + torch.ones(3)).tolist()
