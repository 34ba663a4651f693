"""The paper's CT claim as an experiment: the same starts under several methods, and the classical references."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable, Sequence

import numpy as np
import torch

from explorer.ct.problem import CTProblem, SolverSettings, quality, reconstruct
from explorer.ct.tv import tv_reconstruction

Progress = Callable[[float, str, int], None]  # (share of all iterations done, method, its iterations done)


@dataclass(frozen=True, eq=False)
class Comparison:
    """Where each method ends from the same K starts, with the quality of each end."""

    methods: tuple[str, ...]  # keys of explorer.core.registry.METHODS, in the order run
    finals: dict[str, np.ndarray]  # method -> final iterates, (K, n, n) float32
    psnr: dict[str, np.ndarray]  # method -> PSNR (dB) of each final iterate, (K,)
    ssim: dict[str, np.ndarray]  # method -> SSIM of each final iterate, (K,)
    status: dict[str, str]  # method -> "finished" or "diverged"

    def spread(self, method: str) -> float:
        """Largest minus smallest final PSNR (dB) over the starts: small when the end forgets the start."""
        return float(np.nanmax(self.psnr[method]) - np.nanmin(self.psnr[method]))


def compare_methods(problem: CTProblem, x0: torch.Tensor, solver: SolverSettings,
                    methods: Sequence[str] = ("gnc", "gd"), *, progress: Progress | None = None) -> Comparison:
    """Run the starts x0 under each method with the same schedule, step rule and iterations.

    Parameters
    ----------
    problem : CTProblem
        The problem; its settings say whether PSNR / SSIM clip to [0, 1].
    x0 : torch.Tensor, shape (K, 1, n, n)
        The starts, one batched run per method.
    solver : SolverSettings
        Everything but the method, which each run replaces.
    methods : sequence of str
        Keys of explorer.core.registry.METHODS.
    progress : callable, optional
        Called after every iteration as progress(share of all iterations done, method, iterations done).
    """
    finals, psnr, ssim, status = {}, {}, {}, {}
    total = len(methods) * solver.n_iter
    for i, method in enumerate(methods):
        def report(step, i=i, method=method) -> None:
            progress((i * solver.n_iter + step.k + 1) / total, method, step.k + 1)

        run = reconstruct(problem, x0, replace(solver, method=method, record_every=solver.n_iter),
                          callback=report if progress else None, diagnostics_every=0)
        finals[method] = run.final[:, 0].numpy()
        psnr[method], ssim[method] = quality(run.final, problem.truth, problem.settings.clip_metrics)
        status[method] = run.status
    return Comparison(tuple(methods), finals, psnr, ssim, status)


@dataclass(frozen=True, eq=False)
class References:
    """The classical reconstructions a run is measured against: the problem's reference (CT: FBP) and TV."""

    psnr: dict[str, float]  # reference_name ("FBP", "Wiener filter", ...) and "TV" -> PSNR (dB)
    ssim: dict[str, float]  # reference_name and "TV" -> SSIM
    tv_image: torch.Tensor  # the TV reconstruction, (1, 1, n, n)
    reference_name: str = "FBP"  # the key of the problem's reference in psnr and ssim


def references(problem: CTProblem) -> References:
    """PSNR and SSIM of the problem's reference image and of its TV reconstruction (Chambolle-Pock, tuned weight).

    The reference is keyed by its name, so CT's stays "FBP".
    """
    clip = problem.settings.clip_metrics
    tv = tv_reconstruction(problem).image
    (ref_p, tv_p), (ref_s, tv_s) = quality(torch.cat([problem.reference, tv]), problem.truth, clip)
    name = problem.reference_name
    return References({name: float(ref_p), "TV": float(tv_p)}, {name: float(ref_s), "TV": float(tv_s)}, tv, name)
