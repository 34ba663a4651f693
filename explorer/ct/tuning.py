"""The experiment that tunes the prior weight alpha of CT reconstruction (its results: explorer.ct.defaults)."""

from __future__ import annotations

from dataclasses import replace
from typing import Sequence

import numpy as np

from explorer.core.interfaces import Prior
from explorer.ct.defaults import TUNING_INITS, TUNING_SEEDS
from explorer.ct.problem import CTSettings, initialisations, make_problem, quality, reconstruct


def tune_alpha(prior: Prior, prior_name: str, alphas: Sequence[float], *, seeds: Sequence[int] = TUNING_SEEDS,
               inits: Sequence[str] = TUNING_INITS, base: CTSettings | None = None) -> dict[float, float]:
    """Mean final PSNR (dB) of GNC over tuning phantoms and starts, for each alpha (the tuning experiment).

    Parameters
    ----------
    prior : Prior
        The prior's energy model.
    prior_name : str
        Its name in ALPHA.
    alphas : sequence of float
        Prior weights to try.
    seeds, inits : sequences
        Tuning phantoms and starts; each (alpha, seed) is one batched run over the starts.
    base : CTSettings, optional
        Every other setting (default: the explorer's defaults).

    Returns
    -------
    dict of float to float
        alpha -> mean final PSNR in dB.
    """

    base = base or CTSettings()
    result = {}
    for alpha in alphas:
        values = []
        for seed in seeds:
            settings = replace(base, problem=replace(base.problem, prior=prior_name, alpha=alpha, phantom_seed=seed),
                               solver=replace(base.solver, inits=tuple(inits)))
            problem = make_problem(settings.problem, prior)
            x0 = initialisations(settings.solver.inits, problem, init_seed=settings.solver.init_seed)
            trajectory = reconstruct(problem, x0, settings.solver, diagnostics_every=0)
            values.extend(quality(trajectory.final, problem.truth, settings.problem.clip_metrics)[0].tolist())
        result[alpha] = float(np.mean(values))
    return result
