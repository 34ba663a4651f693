"""CT reconstruction with graduated optimisation: the problem, the starts, the GNC run and the baselines.

The problem is y = A x + noise with the parallel-beam operator of :mod:`explorer.ct.operator`. A is used
**normalised once**: A~ = A / ||A||_2 and y~ = y / ||A||_2, so ||A~|| = 1 whatever the image size and the
number of angles (unnormalised, ||A|| is about 43 at 64 x 64 with 30 angles and grows with both). The
data term 1/2 ||A~ x - y~||^2 then has a gradient Lipschitz constant of 1, and the prior weight alpha
and the step sizes keep their meaning across sizes and angle counts (measured: see ``ALPHA``; the TV
weight grows like n, see ``TV_LAMBDA``, and is scaled for it). (Relative to
the unnormalised problem, alpha here equals alpha_unnormalised / ||A||^2: the authors' alpha = 10 with
pixel size 1 would be about 0.005 at 64 x 64 with 30 angles.)

The smoothed objective (SPEC, CT) is

    F(x, t) = 1/2 ||A~ x - y~||^2 + alpha (s(t) / m(t)) E(x, t),     f = F(., t_min),

with the VP SDE's m and s and the prior's energy E. `reconstruct` runs the one solver core
(:func:`explorer.core.solvers.solve`) on a batch of starts at once; `tv_reconstruction` is the classical
baseline (isotropic TV, Chambolle-Pock) on the same normalised operator.

Tuned defaults (all in :class:`CTConfig`; measured with :func:`tune_alpha` and by hand on tuning
phantoms, ellipse seeds 1, 2 and 3 (neither the training stream nor the held-out seeds >= 10 000 of the
benchmark), 64 x 64, 30 angles, 5 % noise): see the comments at ``ALPHA``, ``FIXED_STEP`` and
``TV_LAMBDA``.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field, replace
from typing import Callable, Sequence

import numpy as np
import torch

from explorer.core import schedules
from explorer.ct.fbp import fbp
from explorer.priors.gaussian import ellipse_gaussian_prior
from explorer.core.interfaces import Prior
from explorer.imaging.metrics import psnr, ssim
from explorer.imaging.noise import add_relative_noise
from explorer.core.objective import LeastSquares, SmoothedObjective
from explorer.imaging.phantoms import random_ellipses, shepp_logan
from explorer.core.sde import VPSDE
from explorer.core.registry import METHODS, STEP_RULES, make_method, make_step_rule
from explorer.core.solvers import Step, Trajectory, solve
from explorer.core.steps import StepRule
from explorer.ct.operator import ParallelBeam, parallel_beam

PHANTOMS = ("ellipses", "shepp-logan")
PRIORS = ("gaussian", "network")
INITS = ("zeros", "constant", "fbp", "noise", "phantom", "upload")
HELD_OUT_SEED = 10_000  # ellipse seeds from here on are never drawn in training (it uses seed 0's stream)
TUNING_SEEDS = (1, 2, 3)  # phantoms the defaults were tuned on (distinct from the held-out ones)

# Prior weight alpha on the normalised problem, per prior. Tuned by `tune_alpha` (GNC, BB + Armijo,
# 200 iterations, geometric 1 -> 1e-3, clipped; mean final PSNR over TUNING_SEEDS x the four starts
# zeros / fbp / noise / constant, 64 x 64, 30 angles, 5 % noise):
#   gaussian: alpha 3e-4 30.42 dB, 6e-4 30.81, 1e-3 30.85, 1.5e-3 30.79, 2e-3 30.68, 3e-3 30.47,
#             5e-3 30.08 (TV 33.68, FBP 28.18 on the same phantoms); at 32 x 32: 3e-4 31.87,
#             1e-3 31.66, 3e-3 30.54, so alpha barely depends on n once A is normalised.
#   network, the shipped weights (7918 training steps; start zeros, the network being slow on 2 cores), mean
#   final PSNR on seeds 1 / 2 / 3: alpha 5e-4 34.81 dB, 6e-4 35.08, 7e-4 35.21, 8e-4 35.26, 9e-4 35.23,
#   1e-3 35.17 (TV 33.68 mean). Earlier weights moved the best value: 3e-3 after 330 steps (these lose 4 dB
#   there), 7e-4 after 3436 steps (35.01 dB). Re-tune whenever the weights change.
ALPHA = {
    "gaussian": 1e-3,
    "network": 8e-4,
}
# Fixed GNC step b (d_k = -t_k grad F, x <- x + b d_k). The prior term is stiff at t near 1
# (w(t) grad E has a Lipschitz constant of about alpha / m(t) ~ 150 alpha there), which bounds b.
#   gaussian, mean final PSNR over TUNING_SEEDS x four starts, clipped iterates: b 1 26.64 dB,
#   2 29.25, 3 30.41, 5 30.46, 20 30.37 (clipping hides the instability); unclipped: b 3 27.51, while
#   b 5 blows up (3.6 dB) and b 20 diverges to NaN. b = 3 is the largest step safe either way.
#   network (interim weights, seed 2, starts zeros and noise, alpha 3e-3): unclipped b 3 31.00 dB,
#   b 10 diverges; clipped b 3 31.63, b 10 32.09 (BB + Armijo: 33.51). Same choice.
FIXED_STEP = {
    "gaussian": 3.0,
    "network": 3.0,
}
# TV weight on the normalised problem at 64 x 64, scaled by n / 64 for other sizes: the data term of a
# given scene grows like n^2 (bins x pixels per ray / ||A||^2) while its TV grows like n (edge length in
# pixels), so lambda ~ n keeps the balance. Tuned on TUNING_SEEDS (Chambolle-Pock to convergence),
# mean PSNR / SSIM: lambda 1e-4 32.27 / 0.889, 2e-4 33.37 / 0.918, 3e-4 33.68 / 0.932,
# 5e-4 33.61 / 0.944, 8e-4 33.16 / 0.947 (FBP 28.18 / 0.560). At 32 x 32 the best was 1.5e-4
# (+5.63 dB over FBP; 3e-4 gave +5.25 dB), as the n / 64 rule predicts.
TV_LAMBDA = 3e-4
TV_ITERS = 1000  # most Chambolle-Pock iterations; at the default lambda it stops earlier (about 500), by TV_TOL
TV_TOL = 1e-6  # stop when ||x_k - x_{k-1}|| / ||x_k|| falls below this
# Primal / dual step ratio sqrt(tau / sigma) of Chambolle-Pock: the image lives in [0, 1] and the dual
# of the data term in sinogram units of about 1e-2, so a larger primal step balances them. With 10,
# the TV objective is within 1e-6 (relative) of its limit after 800 iterations at 64 x 64, against
# more than 4000 with tau = sigma.
TV_BALANCE = 10.0


@dataclass(frozen=True)
class CTConfig:
    """Every setting of a CT reconstruction, with the explorer's defaults (SPEC, CT)."""

    size: int = 64  # image side n in pixels
    angles: int = 30  # projection angles, evenly spaced over [0, pi)
    noise: float = 0.05  # relative noise level: y = A x + noise * mean(|A x|) * N(0, I)
    noise_seed: int = 0  # seed of the measurement noise
    phantom: str = "ellipses"  # "ellipses" (random, seeded) or "shepp-logan"
    phantom_seed: int = HELD_OUT_SEED  # seed of the ellipse phantom; held out from training by default
    prior: str = "network"  # "network" (the shipped energy U-Net) or "gaussian" (analytic, fitted to ellipses)
    alpha: float | None = None  # prior weight; None: the tuned ALPHA of the prior
    method: str = "gnc"  # one of explorer.core.registry.METHODS
    schedule: str = "geometric"  # one of explorer.core.schedules.SCHEDULES
    t_max: float = 1.0  # first smoothing level
    t_min: float = 1e-3  # last smoothing level; f = F(., t_min)
    iters: int = 200  # iterations N (the schedule has N levels)
    step_rule: str = "bb"  # "bb" (Barzilai-Borwein x 4, then Armijo halving), "armijo" or "fixed"
    step_size: float | None = None  # fixed step b, or the first trial step; None: FIXED_STEP / 1
    clip: bool = True  # project every iterate onto [0, 1]
    inits: tuple[str, ...] = ("zeros",)  # starts, any of INITS; one batched run
    init_seed: int = 0  # seed of the "noise" start (the "phantom" start uses phantom_seed + 1000)
    record_every: int = 10  # keep every this many iterates (PSNR / SSIM histories use them)
    clip_metrics: bool = True  # PSNR / SSIM of images clipped to [0, 1] (FBP, TV and the iterates alike)
    tv_lambda: float | None = None  # TV weight; None: TV_LAMBDA * size / 64
    tv_iters: int = TV_ITERS  # Chambolle-Pock iterations of the TV baseline

    def __post_init__(self) -> None:
        checks = [
            (self.size >= 8, f"size must be at least 8 pixels, got {self.size}"),
            (self.angles >= 1, f"need at least one angle, got {self.angles}"),
            (math.isfinite(self.noise) and self.noise >= 0, f"noise must be >= 0, got {self.noise}"),
            (self.phantom in PHANTOMS, f"unknown phantom {self.phantom!r}; choose one of {', '.join(PHANTOMS)}"),
            (self.prior in PRIORS, f"unknown prior {self.prior!r}; choose one of {', '.join(PRIORS)}"),
            (self.alpha is None or (math.isfinite(self.alpha) and self.alpha >= 0),
             f"alpha must be >= 0, got {self.alpha}"),
            (self.method in METHODS, f"unknown method {self.method!r}; choose one of {', '.join(METHODS)}"),
            (self.schedule in schedules.SCHEDULES,
             f"unknown schedule {self.schedule!r}; choose one of {', '.join(schedules.SCHEDULES)}"),
            (self.iters >= 1, f"iters must be >= 1, got {self.iters}"),
            (self.step_rule in STEP_RULES,
             f"unknown step rule {self.step_rule!r}; choose one of {', '.join(STEP_RULES)}"),
            (self.step_size is None or (math.isfinite(self.step_size) and self.step_size > 0),
             f"step size must be > 0, got {self.step_size}"),
            (len(self.inits) >= 1, "need at least one start"),
            (all(name in INITS for name in self.inits),
             f"unknown start in {list(self.inits)}; choose from {', '.join(INITS)}"),
            (self.record_every >= 1, f"record_every must be >= 1, got {self.record_every}"),
            (self.tv_lambda is None or (math.isfinite(self.tv_lambda) and self.tv_lambda >= 0),
             f"TV weight must be >= 0, got {self.tv_lambda}"),
            (self.tv_iters >= 1, f"tv_iters must be >= 1, got {self.tv_iters}"),
        ]
        for ok, message in checks:
            if not ok:
                raise ValueError(message)
        schedules.make(self.schedule, self.t_max, self.t_min, 1)  # raises on a bad (t_max, t_min)

    @property
    def prior_weight(self) -> float:
        """alpha, the prior weight in F (the tuned default of the prior when `alpha` is None)."""
        return ALPHA[self.prior] if self.alpha is None else float(self.alpha)

    @property
    def tv_weight(self) -> float:
        """lambda of the TV baseline (TV_LAMBDA * size / 64 when `tv_lambda` is None)."""
        return TV_LAMBDA * self.size / 64 if self.tv_lambda is None else float(self.tv_lambda)

    def step(self) -> StepRule:
        """The step rule object; a fixed step defaults to the value tuned for the prior (FIXED_STEP)."""
        size = self.step_size
        if size is None and self.step_rule == "fixed":
            size = FIXED_STEP[self.prior]
        return make_step_rule(self.step_rule, size)

    def smoothing_schedule(self) -> torch.Tensor:
        """t_1 > ... > t_N, float64 (N = iters)."""
        return schedules.make(self.schedule, self.t_max, self.t_min, self.iters)

    def to_dict(self) -> dict:
        """Plain JSON-ready settings, with the resolved alpha, step and TV weight."""
        d = asdict(self)
        d["inits"] = list(self.inits)
        d["alpha_used"] = self.prior_weight
        rule = self.step()
        d["step_rule_params"] = {k: v for k, v in vars(rule).items() if k != "searches"}
        d["tv_lambda_used"] = self.tv_weight
        return d


@dataclass(frozen=True)
class NormalisedOperator:
    """A / scale with the matching adjoint; with scale = ||A||_2 its norm is 1 (the module docstring)."""

    base: ParallelBeam  # the unnormalised operator
    scale: float  # ||A||_2 of the base operator

    def A(self, x: torch.Tensor) -> torch.Tensor:
        """A~ x = A x / scale, images (..., n, n) to sinograms (..., n_angles, n_detectors)."""
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
    """w(t) = alpha s(t) / m(t), the CT prior weight of F (SPEC), float64 (B,) for t (B,)."""

    alpha: float
    sde: VPSDE = VPSDE()

    def __call__(self, t: torch.Tensor) -> torch.Tensor:
        t = torch.as_tensor(t, dtype=torch.float64)
        return self.alpha * self.sde.s(t) / self.sde.m(t)


@dataclass(frozen=True, eq=False)
class CTProblem:
    """One CT problem: truth, normalised data, operator, the smoothed objective and the FBP image.

    Shapes: images (1, 1, n, n) float32; y (1, 1, n_angles, n_detectors) float32, already divided
    by ||A||.
    """

    config: CTConfig
    truth: torch.Tensor  # x, (1, 1, n, n)
    y: torch.Tensor  # y~ = y / ||A||, (1, 1, n_angles, n_detectors)
    operator: NormalisedOperator  # A~ = A / ||A||
    objective: SmoothedObjective  # F(x, t) on the normalised problem
    fbp: torch.Tensor  # filtered backprojection (ramp) of the unnormalised data, not clipped, (1, 1, n, n)

    @property
    def n(self) -> int:
        """Image side."""
        return self.truth.shape[-1]


def make_phantom(config: CTConfig) -> torch.Tensor:
    """The ground truth named by the config: (n, n) float32 in [0, 1]."""
    if config.phantom == "shepp-logan":
        return shepp_logan(config.size)
    return random_ellipses(config.size, torch.Generator().manual_seed(config.phantom_seed))


def load_prior(name: str, n: int, weights: str | None = None) -> Prior:
    """The prior called `name`: "gaussian" (fitted to 256 training ellipses of side n) or "network".

    The network is loaded from `weights` (default: the shipped file) once per process; a missing or
    broken file raises :class:`explorer.priors.weights.WeightsError`.
    """
    if name == "gaussian":
        return ellipse_gaussian_prior(n)
    if name == "network":
        from explorer.priors.unet import NetworkPrior
        from explorer.priors.weights import DEFAULT_WEIGHTS, cached_model

        return NetworkPrior(cached_model(weights or DEFAULT_WEIGHTS))
    raise ValueError(f"unknown prior {name!r}; choose one of {', '.join(PRIORS)}")


def default_prior_name() -> str:
    """"network" when the shipped weights load, else "gaussian"."""
    from explorer.priors.weights import WeightsError

    try:
        load_prior("network", 64)
    except WeightsError:
        return "gaussian"
    return "network"


def make_problem(config: CTConfig, prior: Prior, truth: torch.Tensor | None = None) -> CTProblem:
    """Build the CT problem of a config: phantom, noisy normalised data, objective and FBP.

    Parameters
    ----------
    config : CTConfig
        Size, angles, noise, phantom and alpha are used.
    prior : Prior
        Energy prior E(x, t) (e.g. from :func:`load_prior`).
    truth : torch.Tensor, optional
        Ground truth of shape (n, n) in [0, 1] (e.g. an uploaded image) instead of the config's phantom.
    """
    truth = make_phantom(config) if truth is None else truth.to(torch.float32).reshape(config.size, config.size)
    operator = normalised_operator(config.size, config.angles)
    x = truth[None, None]
    with torch.no_grad():
        clean = operator.base.A(x)
        # Noise relative to the mean of |A x|, drawn on the unnormalised sinogram (the same at any scale).
        y_raw = add_relative_noise(clean, config.noise, torch.Generator().manual_seed(config.noise_seed))
        image_fbp = fbp(operator.base, y_raw)
    y = y_raw / operator.scale
    objective = SmoothedObjective(LeastSquares(operator, y), prior, PriorWeight(config.prior_weight),
                                  t_min=config.t_min)
    return CTProblem(config, x, y, operator, objective, image_fbp)


def initialisations(names: Sequence[str], problem: CTProblem, config: CTConfig | None = None,
                    upload: torch.Tensor | None = None) -> torch.Tensor:
    """The starts x_0 named, stacked in order: shape (K, 1, n, n), float32.

    - "zeros": the zero image.
    - "constant": 0.5 everywhere (the middle of the data range).
    - "fbp": the FBP image, not clipped (the first step clips when the config does).
    - "noise": N(0, 1) per pixel from ``init_seed``, not clipped: far from any image, the start on which
      plain gradient descent fails and GNC should not (SPEC).
    - "phantom": another random ellipse phantom, seed ``phantom_seed + 1000``.
    - "upload": the image `upload` of shape (n, n).
    """
    config = config or problem.config
    n = problem.n
    starts = []
    for name in names:
        if name == "zeros":
            x0 = torch.zeros(n, n)
        elif name == "constant":
            x0 = torch.full((n, n), 0.5)
        elif name == "fbp":
            x0 = problem.fbp[0, 0]
        elif name == "noise":
            x0 = torch.randn(n, n, generator=torch.Generator().manual_seed(config.init_seed))
        elif name == "phantom":
            x0 = random_ellipses(n, torch.Generator().manual_seed(config.phantom_seed + 1000))
        elif name == "upload":
            if upload is None:
                raise ValueError("the 'upload' start needs an image")
            x0 = upload.reshape(n, n)
        else:
            raise ValueError(f"unknown start {name!r}; choose from {', '.join(INITS)}")
        starts.append(x0.to(torch.float32))
    return torch.stack(starts)[:, None]


def reconstruct(problem: CTProblem, x0: torch.Tensor, config: CTConfig | None = None, *,
                callback: Callable[[Step], bool | None] | None = None, diagnostics_every: int = 1
                ) -> Trajectory:
    """Solve the CT problem from every start at once with the config's method, schedule and step rule.

    One call of :func:`explorer.core.solvers.solve` on the batch; a step that produces NaN or Inf stops the
    run with the solver's message ("NaN or Inf detected ...") and keeps the iterates before it.

    Parameters
    ----------
    problem : CTProblem
        From :func:`make_problem`.
    x0 : torch.Tensor, shape (K, 1, n, n)
        Starts (e.g. from :func:`initialisations`).
    config : CTConfig, optional
        Solver settings (default: the problem's config).
    callback : callable, optional
        Receives every :class:`explorer.core.solvers.Step`; returning False stops the run.
    diagnostics_every : int
        f and the descent cosine every this many iterations (line searches compute them always).

    Returns
    -------
    Trajectory
        Iterates every ``config.record_every`` iterations, shape (R, K, 1, n, n), and diagnostics.
    """
    config = config or problem.config
    return solve(problem.objective, x0.to(torch.float32), config.smoothing_schedule(),
                 method=make_method(config.method), step_rule=config.step(), n_iter=config.iters,
                 record_every=config.record_every, diagnostics_every=diagnostics_every,
                 clip=(0.0, 1.0) if config.clip else None, callback=callback)


def quality(images: torch.Tensor, truth: torch.Tensor, clip: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """PSNR (dB) and SSIM of each image against the truth, data range 1: two arrays of shape (B,).

    images (B, 1, n, n) or (n, n); truth (n, n) or (1, 1, n, n). Non-finite images score NaN.
    """
    images = images.reshape(-1, *images.shape[-2:])
    finite = torch.isfinite(images.flatten(1)).all(1).numpy()
    safe = torch.where(torch.isfinite(images), images, torch.zeros_like(images))
    p, s = psnr(safe, truth, clip=clip), ssim(safe, truth, clip=clip)
    return np.where(finite, p, np.nan), np.where(finite, s, np.nan)


def _gradient(x: torch.Tensor) -> torch.Tensor:
    """Forward differences with Neumann boundary: (B, 1, n, n) -> (B, 2, n, n)."""
    gx = torch.zeros_like(x)
    gy = torch.zeros_like(x)
    gx[..., :, :-1] = x[..., :, 1:] - x[..., :, :-1]
    gy[..., :-1, :] = x[..., 1:, :] - x[..., :-1, :]
    return torch.cat([gx, gy], dim=1)


def _divergence(p: torch.Tensor) -> torch.Tensor:
    """-(adjoint of _gradient): (B, 2, n, n) -> (B, 1, n, n)."""
    px, py = p[:, :1], p[:, 1:]
    dx = torch.zeros_like(px)
    dy = torch.zeros_like(py)
    dx[..., :, 0] = px[..., :, 0]
    dx[..., :, 1:-1] = px[..., :, 1:-1] - px[..., :, :-2]
    dx[..., :, -1] = -px[..., :, -2]
    dy[..., 0, :] = py[..., 0, :]
    dy[..., 1:-1, :] = py[..., 1:-1, :] - py[..., :-2, :]
    dy[..., -1, :] = -py[..., -2, :]
    return dx + dy


@dataclass
class TVResult:
    """A TV reconstruction (1, 1, n, n) float32 with how its Chambolle-Pock run ended."""

    image: torch.Tensor
    iters: int  # iterations run
    rel_change: float  # ||x_k - x_{k-1}|| / ||x_k|| at the end
    objective: float  # 1/2 ||A~ x - y~||^2 + lam TV(x) at the end
    seconds: float
    history: list[float] = field(default_factory=list)  # objective every 50 iterations


def tv_reconstruction(problem: CTProblem, lam: float | None = None, iters: int | None = None, *,
                      tol: float = TV_TOL, box: bool = True) -> TVResult:
    """The TV baseline: argmin_x 1/2 ||A~ x - y~||^2 + lam TV(x) over x in [0, 1]^(n x n).

    Isotropic TV with forward differences, solved by Chambolle-Pock (PDHG) in float64 on the
    normalised operator, with tau sigma ||K||^2 < 1, ||K||^2 <= ||A~||^2 + ||grad||^2 <= 1 + 8, and
    tau / sigma = TV_BALANCE^2 (measured: 10x fewer iterations than tau = sigma at 64 x 64).
    Stops after `iters` iterations or when the relative change of x falls below `tol`.

    Parameters
    ----------
    problem : CTProblem
        The problem (its normalised operator and data).
    lam : float, optional
        TV weight (default: the config's, i.e. TV_LAMBDA).
    iters : int, optional
        Most iterations (default: the config's tv_iters).
    box : bool
        Constrain x to [0, 1].
    """
    lam = problem.config.tv_weight if lam is None else float(lam)
    iters = problem.config.tv_iters if iters is None else int(iters)
    op = problem.operator
    y = problem.y.to(torch.float64)
    tau, sigma = 0.99 * TV_BALANCE / 3.0, 0.99 / (3.0 * TV_BALANCE)
    start = time.perf_counter()
    x = problem.fbp.to(torch.float64).clamp(0, 1) if box else problem.fbp.to(torch.float64)
    x_bar = x.clone()
    p = torch.zeros_like(y)  # dual of the data term
    q = torch.zeros(1, 2, problem.n, problem.n, dtype=torch.float64)  # dual of TV
    rel = math.inf
    history = []
    k = 0

    def energy(z: torch.Tensor) -> float:
        r = op.A(z) - y
        g = _gradient(z)
        return float(0.5 * (r * r).sum() + lam * g.pow(2).sum(1).sqrt().sum())

    with torch.no_grad():
        for k in range(1, iters + 1):
            # Dual ascent: prox of (1/2||. - y||^2)^* and projection onto the lam-ball of each pixel's gradient.
            p = (p + sigma * (op.A(x_bar) - y)) / (1 + sigma)
            q = q + sigma * _gradient(x_bar)
            q = q / (q.pow(2).sum(1, keepdim=True).sqrt() / max(lam, 1e-300)).clamp_min(1.0)
            # Primal descent on x, then the box.
            x_new = x - tau * (op.A_adjoint(p) - _divergence(q))
            if box:
                x_new = x_new.clamp(0, 1)
            x_bar = 2 * x_new - x
            rel = float((x_new - x).norm() / x_new.norm().clamp_min(1e-300))
            x = x_new
            if k % 50 == 0:
                history.append(energy(x))
            if rel < tol:
                break
    return TVResult(x.to(torch.float32), k, rel, energy(x), time.perf_counter() - start, history)


def tune_alpha(prior: Prior, prior_name: str, alphas: Sequence[float], *, seeds: Sequence[int] = TUNING_SEEDS,
               inits: Sequence[str] = ("zeros", "fbp", "noise", "constant"), base: CTConfig | None = None
               ) -> dict[float, float]:
    """Mean final PSNR (dB) of GNC over tuning phantoms and starts, for each alpha (the tuning experiment)."""
    base = base or CTConfig(prior=prior_name)
    result = {}
    for alpha in alphas:
        values = []
        for seed in seeds:
            config = replace(base, prior=prior_name, alpha=alpha, phantom_seed=seed, inits=tuple(inits))
            problem = make_problem(config, prior)
            traj = reconstruct(problem, initialisations(config.inits, problem), config, diagnostics_every=0)
            values.extend(quality(traj.final, problem.truth, config.clip_metrics)[0].tolist())
        result[alpha] = float(np.mean(values))
    return result


def trajectory_quality(trajectory: Trajectory, truth: torch.Tensor, clip: bool = True
                       ) -> tuple[np.ndarray, np.ndarray]:
    """PSNR and SSIM of every recorded iterate: two arrays of shape (R, K) (R recorded iterates, K starts).

    Only the recorded iterates (every ``record_every`` iterations, see ``trajectory.iters``) are scored,
    which keeps the history cheap.
    """
    frames, batch = trajectory.x.shape[:2]
    p, s = quality(trajectory.x.reshape(frames * batch, *trajectory.x.shape[2:]), truth, clip)
    return p.reshape(frames, batch), s.reshape(frames, batch)
