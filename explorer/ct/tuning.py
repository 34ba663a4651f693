"""The tuned defaults of CT reconstruction and the experiment that tunes the prior weight.

All values hold on the normalised problem (A~ = A / ||A||), where they barely depend on the image size and
the number of angles. They were chosen on the tuning phantoms TUNING_SEEDS (64 x 64, 30 angles, 5 % noise),
which are neither in the prior's training stream nor among the held-out seeds; docs/ct-tuning.md keeps the
measurements.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Sequence

import numpy as np

from explorer.core.interfaces import Prior
from explorer.core.registry import make_step_rule

if TYPE_CHECKING:  # problem.py reads the tuned values below, so this module imports it only where it runs it
    from explorer.ct.problem import CTSettings

TUNING_SEEDS = (1, 2, 3)  # phantoms the defaults were tuned on (distinct from the held-out ones)
TUNING_INITS = ("zeros", "fbp", "noise", "constant")  # the starts each tuning run averages over

# Prior weight alpha per prior: the best mean final PSNR of `tune_alpha` on TUNING_SEEDS.
# Re-tune whenever the network's weights change.
ALPHA = {
    "gaussian": 1e-3,
    "network": 8e-4,
}
# Fixed GNC step b per prior: the largest step that stays stable without clipping on TUNING_SEEDS
# (the prior term is stiff near t = 1, which bounds b).
FIXED_STEP = {
    "gaussian": 3.0,
    "network": 3.0,
}
# TV weight lambda at 64 x 64, scaled by n / 64 for other sizes (data term ~ n^2, TV ~ n); best mean PSNR of
# Chambolle-Pock run to convergence on TUNING_SEEDS.
TV_LAMBDA = 3e-4


def default_step_size(step_rule: str, prior: str) -> float:
    """The step size b used when none is given: the tuned fixed step, or a line search's own first trial.

    Parameters
    ----------
    step_rule : str
        A key of explorer.core.registry.STEP_RULES.
    prior : str
        A key of FIXED_STEP.
    """
    if step_rule == "fixed":
        return FIXED_STEP[prior]
    return make_step_rule(step_rule).b0


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
    # problem.py reads the tuned values above, so the experiment that produces them imports it late.
    from explorer.ct.problem import CTSettings, initialisations, make_problem, quality, reconstruct

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
