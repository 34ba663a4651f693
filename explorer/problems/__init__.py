"""Linear inverse problems y = A x + noise: parallel-beam CT and the operators beyond it, with their references.

``PROBLEMS`` maps a name to a :class:`ProblemKind`: a factory ``make(n, **params)`` for the operator, the
reference reconstruction a user would pick instead, and the default parameters. The catalogue is data;
code that uses it looks the name up and never branches on it.

Example
-------
>>> op = make_operator("deblur", 32)  # GaussianBlur(sigma=1.5, n=32)
>>> x_ref = reference("deblur", op, op.A(x))  # x of shape (B, 1, 32, 32); a Wiener filter
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch

from explorer.core.interfaces import Operator
from explorer.problems.tomography import ParallelBeam, limited_angles, parallel_beam
from explorer.problems import references
from explorer.problems.operators import Downsample, GaussianBlur, Identity, Inpainting


@dataclass(frozen=True)
class ProblemKind:
    """One kind of inverse problem: how to build its operator and its simple reference reconstruction."""

    description: str  # one line for a user
    make: Callable[..., Operator]  # make(n, **params) -> operator for n x n images
    reference: Callable[[Any, torch.Tensor], torch.Tensor]  # reference(operator, y) -> images
    defaults: dict[str, Any] = field(default_factory=dict)  # parameters of `make` and their defaults


def _limited_angle(n: int, n_angles: int, theta_max: float) -> ParallelBeam:
    return ParallelBeam.build(n, limited_angles(n_angles, theta_max))


def _inpaint(n: int, keep: float, seed: int) -> Inpainting:
    return Inpainting.random_mask(n, keep, seed)


PROBLEMS: dict[str, ProblemKind] = {
    "ct": ProblemKind("parallel-beam CT, angles over [0, pi)", parallel_beam, references.fbp_reference,
                      {"n_angles": 30}),  # the CT page's default
    "sparse-ct": ProblemKind("sparse-view CT: few angles over [0, pi)", parallel_beam,
                             references.fbp_reference, {"n_angles": 15}),
    "limited-angle": ProblemKind("limited-angle CT: angles over [0, theta_max)", _limited_angle,
                                 references.fbp_reference,
                                 {"n_angles": 60, "theta_max": 2 * math.pi / 3}),  # a 60 degree missing wedge
    "deblur": ProblemKind("Gaussian deblurring (zero boundary)", lambda n, sigma: GaussianBlur(sigma, n),
                          references.wiener_reference, {"sigma": 1.5}),  # sigma in pixels
    "inpaint": ProblemKind("inpainting of randomly missing pixels", _inpaint, references.inpaint_reference,
                           {"keep": 0.3, "seed": 0}),  # fraction of pixels observed
    "superres": ProblemKind("super-resolution of block averages", lambda n, factor: Downsample(factor),
                            references.upsample_reference, {"factor": 2}),
    "denoise": ProblemKind("denoising (A = I)", lambda n: Identity(), references.identity_reference),
}


def make_operator(name: str, n: int, **params: Any) -> Operator:
    """The operator of problem ``name`` for n x n images; ``params`` override ``PROBLEMS[name].defaults``."""
    kind = _kind(name)
    unknown = set(params) - set(kind.defaults)
    if unknown:
        raise TypeError(f"problem {name!r} takes no parameter {', '.join(sorted(unknown))}; "
                        f"it takes {', '.join(kind.defaults) or 'none'}")
    return kind.make(n, **{**kind.defaults, **params})


def reference(name: str, operator: Operator, y: torch.Tensor) -> torch.Tensor:
    """The simple reconstruction of problem ``name`` from measurements y = A x of shape (B, 1, ...).

    Returns images of shape (B, 1, n, n), dtype and device of y.
    """
    return _kind(name).reference(operator, y)


def _kind(name: str) -> ProblemKind:
    if name not in PROBLEMS:
        raise ValueError(f"unknown problem {name!r}; choose one of {', '.join(PROBLEMS)}")
    return PROBLEMS[name]


__all__ = ["PROBLEMS", "ProblemKind", "make_operator", "reference"]
