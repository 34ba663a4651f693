"""The experiments that tune the prior weight alpha and the TV weight (their results: explorer.ct.defaults for CT,
the catalogue explorer.problems.PROBLEMS for the other problems)."""

from __future__ import annotations

from dataclasses import replace
from typing import Sequence

import numpy as np

from explorer.core.interfaces import Prior
from explorer.ct.defaults import TUNING_INITS, TUNING_SEEDS
from explorer.ct.problem import CTSettings, initialisations, make_problem, quality, reconstruct
from explorer.ct.tv import tv_reconstruction
from explorer.priors.catalog import load_prior


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


def tune_tv_lambda(lambdas: Sequence[float], *, seeds: Sequence[int] = TUNING_SEEDS,
                   base: CTSettings | None = None) -> dict[float, float]:
    """Mean PSNR (dB) of the TV baseline over tuning phantoms, for each TV weight at the base settings' size.

    Parameters
    ----------
    lambdas : sequence of float
        TV weights to try (the weight itself, not scaled by n / 64).
    seeds : sequence of int
        Tuning phantoms.
    base : CTSettings, optional
        Every other setting, the problem included (default: the explorer's defaults, CT).

    Returns
    -------
    dict of float to float
        lambda -> mean PSNR in dB of the TV reconstructions (clipped like the settings say).
    """
    base = base or CTSettings()
    prior = load_prior("gaussian", base.problem.n)  # TV ignores the prior; any prior builds the problem
    models = [make_problem(replace(base.problem, phantom_seed=seed), prior) for seed in seeds]
    return {lam: float(np.mean([quality(tv_reconstruction(problem, lam).image, problem.truth,
                                        base.problem.clip_metrics)[0][0] for problem in models]))
            for lam in lambdas}
