"""Reconstruction with graduated optimisation: the settings, the forward model, the problem and its starts.

The problem is y = A x + noise with the operator of one problem of the catalogue :data:`explorer.problems.PROBLEMS`:
parallel-beam CT (the default, :mod:`explorer.problems.tomography`), sparse-view or limited-angle CT,
deblurring, inpainting, super-resolution or denoising. The settings name the problem and its operator
parameters; everything below only looks them up, so it never branches on the problem. A is used
**normalised once**: A~ = A / ||A||_2 and y~ = y / ||A||_2, so ||A~|| = 1 whatever the operator, the image size
and the number of angles (unnormalised, the CT ||A|| is about 43 at 64 x 64 with 30 angles and grows with
both). The data term 1/2 ||A~ x - y~||^2 then has a gradient Lipschitz constant of 1, and the prior weight
alpha and the step sizes keep their meaning across operators, sizes and angle counts (the TV weight grows
like n and is scaled for it). Relative to the unnormalised problem, alpha here equals
alpha_unnormalised / ||A||^2.

The smoothed objective is

    F(x, t) = 1/2 ||A~ x - y~||^2 + alpha (s(t) / m(t)) E(x, t),     f = F(., t_min),

with the VP SDE's m and s and the prior's energy E. `reconstruct` runs the one solver core
(:func:`explorer.core.solvers.solve`) on a batch of starts at once. The tuned defaults live in
:mod:`explorer.ct.defaults`, the TV baseline in :mod:`explorer.ct.tv`.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields
from typing import Callable, Mapping, Sequence

import numpy as np
import torch

from explorer.core import schedules
from explorer.core.interfaces import Prior
from explorer.core.objective import LeastSquares, SmoothedObjective
from explorer.core.registry import METHODS, STEP_RULES, make_method, make_step_rule
from explorer.core.sde import VPSDE
from explorer.core.solvers import Step, Trajectory, solve
from explorer.core.steps import StepRule
from explorer.core.interfaces import Operator
from explorer.problems import INPAINT_MASKS, PROBLEMS, make_operator, reference
from explorer.problems.fbp import FILTERS
from explorer.problems.tomography import parallel_beam
from explorer.ct.defaults import ALPHA, TV_ITERS, TV_LAMBDA, default_step_size
from explorer.imaging.dicom import ct_slice_phantom
from explorer.imaging.metrics import psnr, ssim
from explorer.imaging.noise import add_relative_noise
from explorer.imaging.phantoms import random_ellipses, shepp_logan
from explorer.priors.catalog import DISTILLED_FROM, PRIORS

PHANTOMS = ("ellipses", "shepp-logan", "ct-slice")  # ct-slice: a real CT slice (explorer.imaging.dicom)
INITS = ("zeros", "constant", "reference", "fbp", "noise", "phantom", "upload")  # "fbp": old name of "reference"
# The operator parameters of the settings: each problem of the catalogue takes some of them (its `defaults`).
OPERATOR_PARAMS = ("n_angles", "angle_range", "sigma", "keep", "mask", "mask_seed", "factor")
MAX_SIGMA = 8.0  # pixels; wider blurs leave nothing a 64 x 64 prior could restore
FACTORS = (2, 4)  # super-resolution factors
HELD_OUT_SEED = 10_000  # ellipse seeds from here on are never drawn in training (it uses seed 0's stream)


def _check(checks: Sequence[tuple[bool, str]]) -> None:
    """Raise ValueError with the message of the first failed check."""
    for ok, message in checks:
        if not ok:
            raise ValueError(message)


def _non_negative(value: float | None) -> bool:
    return value is None or (math.isfinite(value) and value >= 0)


def _in_range(value, low, high, *, low_open: bool = False) -> bool:
    """None (not set), or a finite number within [low, high] ((low, high] with low_open)."""
    if value is None:
        return True
    return math.isfinite(value) and (value > low if low_open else value >= low) and value <= high


@dataclass(frozen=True)
class ProblemSettings:
    """What the problem depends on: the operator, the scene, the measurement, the prior and f = F(., t_min).

    Two problems with equal settings (and the same uploaded truth, if any) are the same problem, so these
    settings are the key under which a built problem is cached. The operator parameters (OPERATOR_PARAMS)
    are None for the catalogue's default of the chosen problem; a problem takes only some of them, and
    setting one it does not take is an error. :meth:`operator_params` gives the resolved ones.
    """

    problem: str = "ct"  # a key of explorer.problems.PROBLEMS
    n: int = 64  # image side in pixels
    n_angles: int | None = None  # CT kinds: projection angles (ct 30, sparse-ct 15, limited-angle 60)
    angle_range: float | None = None  # limited-angle: the angles cover [0, angle_range) degrees (default 120)
    sigma: float | None = None  # deblur: standard deviation of the Gaussian blur in pixels (default 1.5)
    keep: float | None = None  # inpaint: fraction of the pixels observed (default 0.3)
    mask: str | None = None  # inpaint: "random" pixels or a centred "box" hole (default random)
    mask_seed: int | None = None  # inpaint: seed of the random mask (default 0)
    factor: int | None = None  # superres: side of the averaged blocks, 2 or 4 (default 2)
    noise_level: float = 0.05  # relative noise level: y = A x + noise_level * mean(|A x|) * N(0, I)
    noise_seed: int = 0  # seed of the measurement noise
    phantom: str = "ellipses"  # "ellipses" (random, seeded) or "shepp-logan"
    phantom_seed: int = HELD_OUT_SEED  # seed of the ellipse phantom; held out from training by default
    prior: str = "network"  # "network" (the shipped energy U-Net) or "gaussian" (analytic, fitted to ellipses)
    alpha: float | None = None  # prior weight; None: the tuned alpha of the problem and prior (CT: ALPHA)
    t_min: float = 1e-3  # last smoothing level; f = F(., t_min)
    clip_metrics: bool = True  # PSNR / SSIM of images clipped to [0, 1] (FBP, TV and the iterates alike)
    tv_lambda: float | None = None  # TV weight; None: the problem's tuned weight at 64 x 64 (CT: TV_LAMBDA) * n / 64
    tv_iters: int = TV_ITERS  # Chambolle-Pock iterations of the TV baseline

    def __post_init__(self) -> None:
        _check([(self.problem in PROBLEMS, f"unknown problem {self.problem!r}; choose one of {', '.join(PROBLEMS)}")])
        takes = PROBLEMS[self.problem].defaults
        _check([(getattr(self, name) is None or name in takes,
                 f"problem {self.problem!r} takes no parameter {name}"
                 + (f" (it takes {', '.join(takes)})" if takes else " (it takes none)"))
                for name in OPERATOR_PARAMS])
        _check([
            (self.n >= 8, f"image side n must be at least 8 pixels, got {self.n}"),
            (self.n_angles is None or self.n_angles >= 1, f"need at least one angle, got {self.n_angles}"),
            (_in_range(self.angle_range, 0, 180, low_open=True),
             f"angle_range must lie in (0, 180] degrees, got {self.angle_range}"),
            (_in_range(self.sigma, 0, MAX_SIGMA, low_open=True),
             f"sigma must lie in (0, {MAX_SIGMA:g}] pixels, got {self.sigma}"),
            (_in_range(self.keep, 0, 1, low_open=True), f"keep must lie in (0, 1], got {self.keep}"),
            (self.mask is None or self.mask in INPAINT_MASKS,
             f"unknown mask {self.mask!r}; choose one of {', '.join(INPAINT_MASKS)}"),
            (self.mask_seed is None or self.mask_seed >= 0, f"mask_seed must be >= 0, got {self.mask_seed}"),
            (self.factor is None or self.factor in FACTORS,
             f"factor must be one of {', '.join(map(str, FACTORS))}, got {self.factor}"),
            (self.factor is None or self.n % self.factor == 0,
             f"factor {self.factor} must divide the image side n = {self.n}"),
            (math.isfinite(self.noise_level) and self.noise_level >= 0,
             f"noise level must be >= 0, got {self.noise_level}"),
            (self.phantom in PHANTOMS, f"unknown phantom {self.phantom!r}; choose one of {', '.join(PHANTOMS)}"),
            (self.prior in PRIORS, f"unknown prior {self.prior!r}; choose one of {', '.join(PRIORS)}"),
            (_non_negative(self.alpha), f"alpha must be >= 0, got {self.alpha}"),
            (math.isfinite(self.t_min) and self.t_min > 0, f"t_min must be positive, got {self.t_min}"),
            (_non_negative(self.tv_lambda), f"TV weight must be >= 0, got {self.tv_lambda}"),
            (self.tv_iters >= 1, f"tv_iters must be >= 1, got {self.tv_iters}"),
        ])

    def operator_params(self) -> dict[str, object]:
        """The parameters of the chosen problem's operator, each set value or else the catalogue's default.

        E.g. {"n_angles": 30} for the default CT problem, {"sigma": 1.5} for "deblur", {} for "denoise".
        """
        return {name: default if getattr(self, name) is None else getattr(self, name)
                for name, default in PROBLEMS[self.problem].defaults.items()}

    @property
    def angles_used(self) -> int | None:
        """The number of projection angles of a CT kind (resolved), None for a problem without angles."""
        return self.operator_params().get("n_angles")

    @property
    def reference_name(self) -> str:
        """What the simple reconstruction of the problem is called: "FBP", "Wiener filter", ..."""
        return PROBLEMS[self.problem].reference_name

    @property
    def prior_weight(self) -> float:
        """alpha, the prior weight in F; when `alpha` is None, the problem's tuned alpha for the prior (the
        catalogue's), else CT's tuned ALPHA of the prior."""
        if self.alpha is not None:
            return float(self.alpha)
        tuned = PROBLEMS[self.problem].alpha
        return tuned.get(self.prior, tuned.get(DISTILLED_FROM.get(self.prior, ""), ALPHA[self.prior]))

    @property
    def tv_weight(self) -> float:
        """lambda of the TV baseline; when `tv_lambda` is None, the problem's tuned weight at 64 x 64 (the
        catalogue's, else CT's TV_LAMBDA) times n / 64."""
        if self.tv_lambda is not None:
            return float(self.tv_lambda)
        tuned = PROBLEMS[self.problem].tv_lambda
        return (TV_LAMBDA if tuned is None else tuned) * self.n / 64


@dataclass(frozen=True)
class SolverSettings:
    """How the problem is solved: method, schedule of t, step rule and the batch of starts."""

    method: str = "gnc"  # one of explorer.core.registry.METHODS
    schedule: str = "geometric"  # one of explorer.core.schedules.SCHEDULES
    t_max: float = 1.0  # first smoothing level
    n_iter: int = 200  # iterations N (the schedule has N levels)
    step_rule: str = "bb-plain"  # one of explorer.core.registry.STEP_RULES; one gradient per iteration (README)
    step_size: float | None = None  # fixed step b, or the first trial step; None: default_step_size
    clip: bool = True  # project every iterate onto [0, 1]
    inits: tuple[str, ...] = ("zeros",)  # starts, any of INITS; one batched run
    init_seed: int = 0  # seed of the "noise" start (the "phantom" start uses phantom_seed + 1000)
    record_every: int = 10  # keep every this many iterates (PSNR / SSIM histories use them)

    def __post_init__(self) -> None:
        object.__setattr__(self, "inits", tuple(self.inits))  # hashable, whatever sequence was given
        _check([
            (self.method in METHODS, f"unknown method {self.method!r}; choose one of {', '.join(METHODS)}"),
            (self.schedule in schedules.SCHEDULES,
             f"unknown schedule {self.schedule!r}; choose one of {', '.join(schedules.SCHEDULES)}"),
            (math.isfinite(self.t_max) and self.t_max > 0, f"t_max must be positive, got {self.t_max}"),
            (self.n_iter >= 1, f"n_iter must be >= 1, got {self.n_iter}"),
            (self.step_rule in STEP_RULES,
             f"unknown step rule {self.step_rule!r}; choose one of {', '.join(STEP_RULES)}"),
            (self.step_size is None or (math.isfinite(self.step_size) and self.step_size > 0),
             f"step size must be > 0, got {self.step_size}"),
            (len(self.inits) >= 1, "need at least one start"),
            (all(name in INITS for name in self.inits),
             f"unknown start in {list(self.inits)}; choose from {', '.join(INITS)}"),
            (self.record_every >= 1, f"record_every must be >= 1, got {self.record_every}"),
        ])


@dataclass(frozen=True)
class CTSettings:
    """Every setting of a CT reconstruction: the problem part and the solver part, checked together."""

    problem: ProblemSettings = field(default_factory=ProblemSettings)  # what is reconstructed
    solver: SolverSettings = field(default_factory=SolverSettings)  # how

    def __post_init__(self) -> None:
        schedules.make(self.solver.schedule, self.solver.t_max, self.problem.t_min, 1)  # raises on a bad pair

    def step_rule(self) -> StepRule:
        """The step rule object; without a step size, the default of the rule and prior (default_step_size)."""
        size = self.solver.step_size
        if size is None:
            size = default_step_size(self.solver.step_rule, self.problem.prior)
        return make_step_rule(self.solver.step_rule, size)

    def smoothing_schedule(self) -> torch.Tensor:
        """t_1 > ... > t_N from t_max to t_min, float64 of shape (N,), N = n_iter."""
        return schedules.make(self.solver.schedule, self.solver.t_max, self.problem.t_min, self.solver.n_iter)

    def to_dict(self) -> dict:
        """Plain JSON-ready settings in two parts, with the resolved operator parameters, alpha, step rule, TV weight.

        The problem part holds every field, with the parameters of the chosen problem resolved (None only for
        those it does not take), and ``operator_params`` with the resolved ones alone; `settings_from` on the
        flattened parts gives settings that build the same problem.
        """
        params = self.problem.operator_params()
        problem = asdict(self.problem) | params | {"operator_params": params,
                                                   "reference_name": self.problem.reference_name,
                                                   "alpha_used": self.problem.prior_weight,
                                                   "tv_lambda_used": self.problem.tv_weight}
        rule = self.step_rule()
        solver = asdict(self.solver) | {"inits": list(self.solver.inits),
                                        "step_rule_params": {k: v for k, v in vars(rule).items() if k != "searches"}}
        return {"problem": problem, "solver": solver}


def settings_from(values: Mapping[str, object]) -> CTSettings:
    """CTSettings from flat values named like the fields (parsed flags, URL parameters); the rest keep defaults."""
    def part(cls):
        return cls(**{f.name: values[f.name] for f in fields(cls) if f.name in values})

    return CTSettings(part(ProblemSettings), part(SolverSettings))


@dataclass(frozen=True)
class NormalisedOperator:
    """A / scale with the matching adjoint; with scale = ||A||_2 its norm is 1 (the module docstring)."""

    base: Operator  # the unnormalised operator (ParallelBeam for the CT kinds)
    scale: float  # ||A||_2 of the base operator

    def A(self, x: torch.Tensor) -> torch.Tensor:
        """A~ x = A x / scale, images (..., n, n) to measurements (e.g. sinograms (..., n_angles, n_detectors))."""
        return self.base.A(x) / self.scale

    def A_adjoint(self, y: torch.Tensor) -> torch.Tensor:
        """A~^T y = A^T y / scale."""
        return self.base.A_adjoint(y) / self.scale


def normalised_operator(n: int, n_angles: int) -> NormalisedOperator:
    """The parallel-beam operator for n x n images and n_angles angles, divided by its spectral norm."""
    base = parallel_beam(n, n_angles)
    return NormalisedOperator(base, base.norm())


@dataclass(frozen=True)
class PriorWeight:
    """w(t) = alpha s(t) / m(t), the CT prior weight of F, float64 (B,) for t (B,)."""

    alpha: float  # the prior weight
    sde: VPSDE = VPSDE()  # gives m(t) and s(t)

    def __call__(self, t: torch.Tensor) -> torch.Tensor:
        t = torch.as_tensor(t, dtype=torch.float64)
        return self.alpha * self.sde.s(t) / self.sde.m(t)


def make_phantom(settings: ProblemSettings, truth: torch.Tensor | None = None) -> torch.Tensor:
    """The ground truth: `truth` (e.g. an uploaded image) when given, else the phantom the settings name.

    Returns an (n, n) float32 image in [0, 1]; a given truth must hold n * n pixels.
    """
    if truth is not None:
        return truth.to(torch.float32).reshape(settings.n, settings.n)
    if settings.phantom == "shepp-logan":
        return shepp_logan(settings.n)
    if settings.phantom == "ct-slice":
        return ct_slice_phantom(settings.n)
    return random_ellipses(settings.n, torch.Generator().manual_seed(settings.phantom_seed))


@dataclass(frozen=True, eq=False)
class ForwardModel:
    """The simulated measurement: truth, operator, noisy data, its reference reconstruction and how good that is.

    ``fbp``, ``fbp_psnr`` and ``fbp_ssim`` are the older names of the reference's fields (the reference of
    the CT kinds is the FBP).
    """

    settings: ProblemSettings  # what was simulated
    truth: torch.Tensor  # x, (1, 1, n, n) float32
    operator: Operator  # A, unnormalised (CT: line integrals in pixel units)
    y: torch.Tensor  # y = A x + noise, (1, 1, ...) (CT: (1, 1, n_angles, n_detectors)), unnormalised
    reference: torch.Tensor  # the problem's reference reconstruction of y, not clipped, (1, 1, n, n)
    reference_name: str  # what it is: "FBP", "Wiener filter", ...
    filter_name: str  # FBP filter of the CT references, one of explorer.problems.fbp.FILTERS
    reference_psnr: float  # PSNR (dB) of the reference, clipped first when settings.clip_metrics
    reference_ssim: float  # SSIM of the reference, likewise

    @property
    def fbp(self) -> torch.Tensor:
        """The reference image (the FBP for the CT kinds): the older name of `reference`."""
        return self.reference

    @property
    def fbp_psnr(self) -> float:
        """The older name of `reference_psnr`."""
        return self.reference_psnr

    @property
    def fbp_ssim(self) -> float:
        """The older name of `reference_ssim`."""
        return self.reference_ssim


def forward_model(settings: ProblemSettings, truth: torch.Tensor | None = None, *,
                  filter_name: str = "ramp") -> ForwardModel:
    """Simulate the measurement of the settings: phantom, y = A x + noise, its reference and the reference's quality.

    Parameters
    ----------
    settings : ProblemSettings
        problem, the operator parameters, n, noise_level, noise_seed, phantom, phantom_seed and clip_metrics
        are used.
    truth : torch.Tensor, shape (n, n), optional
        Ground truth in [0, 1] (e.g. an uploaded image) instead of the settings' phantom.
    filter_name : str
        FBP filter, one of explorer.problems.fbp.FILTERS; used by the CT kinds' reference only.
    """
    if filter_name not in FILTERS:
        raise ValueError(f"unknown filter {filter_name!r}; choose one of {', '.join(FILTERS)}")
    x = make_phantom(settings, truth)[None, None]
    operator = make_operator(settings.problem, settings.n, **settings.operator_params())
    with torch.no_grad():
        # Noise relative to the mean of |A x|, drawn on the unnormalised data (the same at any scale).
        y = add_relative_noise(operator.A(x), settings.noise_level,
                               torch.Generator().manual_seed(settings.noise_seed))
        image = reference(settings.problem, operator, y, filter_name)
    p, s = quality(image, x, settings.clip_metrics)
    return ForwardModel(settings, x, operator, y, image, settings.reference_name, filter_name,
                        float(p[0]), float(s[0]))


@dataclass(frozen=True, eq=False)
class CTProblem:
    """One reconstruction problem (CT or any other of the catalogue): truth, normalised data, operator, the
    smoothed objective and the reference image.

    Shapes: images (1, 1, n, n) float32; y float32 of the operator's measurement shape (CT:
    (1, 1, n_angles, n_detectors)), already divided by ||A||.
    """

    settings: ProblemSettings  # the settings it was built from (with any uploaded truth)
    truth: torch.Tensor  # x, (1, 1, n, n)
    y: torch.Tensor  # y~ = y / ||A||, (1, 1, ...)
    operator: NormalisedOperator  # A~ = A / ||A||
    objective: SmoothedObjective  # F(x, t) on the normalised problem
    reference: torch.Tensor  # the reference reconstruction (CT: ramp FBP) of the unnormalised data, not clipped
    reference_name: str  # what it is: "FBP", "Wiener filter", ...

    @property
    def n(self) -> int:
        """Image side."""
        return self.truth.shape[-1]

    @property
    def fbp(self) -> torch.Tensor:
        """The reference image (the FBP for the CT kinds): the older name of `reference`."""
        return self.reference


def make_problem(settings: ProblemSettings, prior: Prior, truth: torch.Tensor | None = None, *,
                 device: str | torch.device = "cpu") -> CTProblem:
    """Build the problem of the settings: phantom, noisy normalised data, objective and reference image.

    Parameters
    ----------
    settings : ProblemSettings
        The problem part of the settings.
    prior : Prior
        Energy prior E(x, t) (e.g. from :func:`explorer.priors.catalog.load_prior`).
    truth : torch.Tensor, optional
        Ground truth of shape (n, n) in [0, 1] (e.g. an uploaded image) instead of the settings' phantom.
    device : str or torch.device
        Where the problem's images and data live (the measurement is simulated on the CPU, so it is the same
        everywhere); the prior must be on the same device (`load_prior(..., device=)`), and the operators
        follow their input's device.
    """
    model = forward_model(settings, truth)
    operator = NormalisedOperator(model.operator, model.operator.norm())
    y = (model.y / operator.scale).to(device)
    objective = SmoothedObjective(LeastSquares(operator, y), prior, PriorWeight(settings.prior_weight),
                                  t_min=settings.t_min)
    return CTProblem(settings, model.truth.to(device), y, operator, objective, model.reference.to(device),
                     model.reference_name)


def initialisations(names: Sequence[str], problem: CTProblem, *, init_seed: int = 0,
                    upload: torch.Tensor | None = None) -> torch.Tensor:
    """The starts x_0 named, stacked in order: shape (K, 1, n, n), float32.

    - "zeros": the zero image.
    - "constant": 0.5 everywhere (the middle of the data range).
    - "reference": the problem's reference image (CT: the FBP), not clipped (the first step clips when the
      solver does); "fbp" is its older name and gives the same start.
    - "noise": N(0, 1) per pixel from `init_seed`, not clipped: far from any image, the start on which
      plain gradient descent fails and GNC should not.
    - "phantom": another random ellipse phantom, seed ``phantom_seed + 1000``.
    - "upload": the image `upload` of shape (n, n).
    """
    n = problem.n
    starts = []
    for name in names:
        if name == "zeros":
            x0 = torch.zeros(n, n)
        elif name == "constant":
            x0 = torch.full((n, n), 0.5)
        elif name in ("reference", "fbp"):
            x0 = problem.reference[0, 0]
        elif name == "noise":
            x0 = torch.randn(n, n, generator=torch.Generator().manual_seed(init_seed))
        elif name == "phantom":
            x0 = random_ellipses(n, torch.Generator().manual_seed(problem.settings.phantom_seed + 1000))
        elif name == "upload":
            if upload is None:
                raise ValueError("the 'upload' start needs an image")
            x0 = upload.reshape(n, n)
        else:
            raise ValueError(f"unknown start {name!r}; choose from {', '.join(INITS)}")
        starts.append(x0.to(torch.float32))
    return torch.stack(starts)[:, None].to(problem.truth.device)


def reconstruct(problem: CTProblem, x0: torch.Tensor, solver: SolverSettings, *,
                callback: Callable[[Step], bool | None] | None = None, diagnostics_every: int | None = None
                ) -> Trajectory:
    """Solve the CT problem from every start at once with the solver settings' method, schedule and step rule.

    One call of :func:`explorer.core.solvers.solve` on the batch; a step that produces NaN or Inf stops the
    run with the solver's message ("NaN or Inf detected ...") and keeps the iterates before it.

    Parameters
    ----------
    problem : CTProblem
        From :func:`make_problem`.
    x0 : torch.Tensor, shape (K, 1, n, n)
        Starts (e.g. from :func:`initialisations`).
    solver : SolverSettings
        Method, schedule (down to the problem's t_min), step rule, clipping and record stride.
    callback : callable, optional
        Receives every :class:`explorer.core.solvers.Step`; returning False stops the run.
    diagnostics_every : int, optional
        f and the descent cosine every this many iterations (line searches compute them always); default the
        record stride, so that a rule without a search costs one gradient of F per iteration.

    Returns
    -------
    Trajectory
        Iterates every ``solver.record_every`` iterations, shape (R, K, 1, n, n), and diagnostics.
    """
    settings = CTSettings(problem.settings, solver)
    return solve(problem.objective, x0.to(torch.float32), settings.smoothing_schedule(),
                 method=make_method(solver.method), step_rule=settings.step_rule(), n_iter=solver.n_iter,
                 record_every=solver.record_every,
                 diagnostics_every=solver.record_every if diagnostics_every is None else diagnostics_every,
                 clip=(0.0, 1.0) if solver.clip else None, callback=callback)


def quality(images: torch.Tensor, truth: torch.Tensor, clip: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """PSNR (dB) and SSIM of each image against the truth, data range 1: two arrays of shape (B,).

    images (B, 1, n, n) or (n, n); truth (n, n) or (1, 1, n, n). Non-finite images score NaN.
    """
    images = images.reshape(-1, *images.shape[-2:])
    finite = torch.isfinite(images.flatten(1)).all(1).numpy()
    safe = torch.where(torch.isfinite(images), images, torch.zeros_like(images))
    p, s = psnr(safe, truth, clip=clip), ssim(safe, truth, clip=clip)
    return np.where(finite, p, np.nan), np.where(finite, s, np.nan)


def trajectory_quality(trajectory: Trajectory, truth: torch.Tensor, clip: bool = True
                       ) -> tuple[np.ndarray, np.ndarray]:
    """PSNR and SSIM of every recorded iterate: two arrays of shape (R, K) (R recorded iterates, K starts).

    Only the recorded iterates (every ``record_every`` iterations, see ``trajectory.iters``) are scored,
    which keeps the history cheap.
    """
    frames, batch = trajectory.x.shape[:2]
    p, s = quality(trajectory.x.reshape(frames * batch, *trajectory.x.shape[2:]), truth, clip)
    return p.reshape(frames, batch), s.reshape(frames, batch)
