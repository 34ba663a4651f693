"""Linear inverse problems y = A x + noise: parallel-beam CT and the operators beyond it, with their references.

``PROBLEMS`` maps a name to a :class:`ProblemKind`: a factory ``make(n, **params)`` for the operator, the
reference reconstruction a user would pick instead (and its name), and the default parameters. The
catalogue is data; code that uses it looks the name up and never branches on it. Parameter names are
those of the reconstruction settings (``n_angles``, ``angle_range`` in degrees, ``sigma`` in pixels,
``keep``, ``mask``, ``mask_seed``, ``factor``), so settings pass them through unchanged.

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
    reference: Callable[..., torch.Tensor]  # reference(operator, y) -> images
    reference_name: str  # what a user calls the reference, e.g. "FBP" or "Wiener filter"
    defaults: dict[str, Any] = field(default_factory=dict)  # parameters of `make` and their defaults
    reference_filters: bool = False  # the reference takes an FBP filter: reference(operator, y, filter_name)
    # TV weight at 64 x 64 on the normalised problem (scaled by n / 64 like CT's); None: CT's tuned default.
    # Each is the best mean PSNR of a grid on the tuning phantoms (docs/ct-tuning.md).
    tv_lambda: float | None = None
    # Prior weight alpha on the normalised problem, per prior name; a prior missing here uses CT's tuned alpha.
    # The learned prior needs more weight where A~ keeps most of the image (docs/ct-tuning.md).
    alpha: dict[str, float] = field(default_factory=dict)


INPAINT_MASKS = ("random", "box")  # the masks of "inpaint"


def _limited_angle(n: int, n_angles: int, angle_range: float) -> ParallelBeam:
    """n_angles angles over [0, angle_range degrees)."""
    return ParallelBeam.build(n, limited_angles(n_angles, math.radians(angle_range)))


def _inpaint(n: int, keep: float, mask: str, mask_seed: int) -> Inpainting:
    """A random mask keeping each pixel with probability keep, or a centred square hole of area about 1 - keep.

    The box keeps at least one pixel row around the hole, whatever keep; mask_seed only draws the random mask.
    """
    if mask not in INPAINT_MASKS:
        raise ValueError(f"unknown mask {mask!r}; choose one of {', '.join(INPAINT_MASKS)}")
    if mask == "box":
        return Inpainting.box_mask(n, min(n - 1, round(n * math.sqrt(1 - keep))))
    return Inpainting.random_mask(n, keep, mask_seed)


PROBLEMS: dict[str, ProblemKind] = {
    "ct": ProblemKind("parallel-beam CT, angles over [0, pi)", parallel_beam, references.fbp_reference, "FBP",
                      {"n_angles": 30}, reference_filters=True),  # the CT page's default
    "sparse-ct": ProblemKind("sparse-view CT: few angles over [0, pi)", parallel_beam,
                             references.fbp_reference, "FBP", {"n_angles": 15}, reference_filters=True,
                             tv_lambda=7e-4),  # fewer angles, more streaks: more TV
    "limited-angle": ProblemKind("limited-angle CT: angles over [0, angle_range degrees)", _limited_angle,
                                 references.fbp_reference, "FBP", {"n_angles": 60, "angle_range": 120.0},
                                 reference_filters=True, tv_lambda=2e-4,  # a 60 degree missing wedge
                                 alpha={"network": 4e-4}),
    "deblur": ProblemKind("Gaussian deblurring (zero boundary)", lambda n, sigma: GaussianBlur(sigma, n),
                          references.wiener_reference, "Wiener filter", {"sigma": 1.5}),  # sigma in pixels
    "inpaint": ProblemKind("inpainting of missing pixels (random or a centred box)", _inpaint,
                           references.inpaint_reference, "harmonic inpainting",
                           {"keep": 0.3, "mask": "random", "mask_seed": 0},  # keep: fraction of pixels observed
                           tv_lambda=5e-5,  # the observed pixels carry little noise: they need little smoothing
                           alpha={"network": 2.56e-2}),
    "superres": ProblemKind("super-resolution of block averages", lambda n, factor: Downsample(factor),
                            references.upsample_reference, "nearest upsampling", {"factor": 2}, tv_lambda=5e-3,
                            alpha={"network": 3.2e-3}),
    "denoise": ProblemKind("denoising (A = I)", lambda n: Identity(), references.identity_reference, "noisy image",
                           tv_lambda=3e-3, alpha={"network": 6.4e-3}),
}


def make_operator(name: str, n: int, **params: Any) -> Operator:
    """The operator of problem ``name`` for n x n images; ``params`` override ``PROBLEMS[name].defaults``."""
    kind = _kind(name)
    unknown = set(params) - set(kind.defaults)
    if unknown:
        raise TypeError(f"problem {name!r} takes no parameter {', '.join(sorted(unknown))}; "
                        f"it takes {', '.join(kind.defaults) or 'none'}")
    return kind.make(n, **{**kind.defaults, **params})


def reference(name: str, operator: Operator, y: torch.Tensor, filter_name: str = "ramp") -> torch.Tensor:
    """The simple reconstruction of problem ``name`` from measurements y = A x of shape (B, 1, ...).

    ``filter_name`` (one of explorer.problems.fbp.FILTERS) is used by the FBP references only.
    Returns images of shape (B, 1, n, n), dtype and device of y.
    """
    kind = _kind(name)
    if kind.reference_filters:
        return kind.reference(operator, y, filter_name)
    return kind.reference(operator, y)


def _kind(name: str) -> ProblemKind:
    if name not in PROBLEMS:
        raise ValueError(f"unknown problem {name!r}; choose one of {', '.join(PROBLEMS)}")
    return PROBLEMS[name]


__all__ = ["INPAINT_MASKS", "PROBLEMS", "ProblemKind", "make_operator", "reference"]
