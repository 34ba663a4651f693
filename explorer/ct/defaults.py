"""The tuned defaults of CT reconstruction: prior weight, fixed step and TV weight.

All values hold on the normalised problem (A~ = A / ||A||), where they barely depend on the image size and
the number of angles. They were chosen on the tuning phantoms TUNING_SEEDS (64 x 64, 30 angles, 5 % noise),
which are neither in the prior's training stream nor among the held-out seeds, by the experiments of
`explorer.ct.tuning`; docs/ct-tuning.md keeps the measurements.
"""

from __future__ import annotations

from explorer.core.registry import make_step_rule

TUNING_SEEDS = (1, 2, 3)  # phantoms the defaults were tuned on (distinct from the held-out ones)
TUNING_INITS = ("zeros", "fbp", "noise", "constant")  # the starts each tuning run averages over

# Prior weight alpha per prior: the best mean final PSNR of `tune_alpha` on TUNING_SEEDS.
# Re-tune whenever the network's weights change.
ALPHA = {
    "gaussian": 1e-3,
    "network": 8e-4,
    "network-small": 8e-4,
}
# Fixed GNC step b per prior: the largest step that stays stable without clipping on TUNING_SEEDS
# (the prior term is stiff near t = 1, which bounds b).
FIXED_STEP = {
    "gaussian": 3.0,
    "network": 3.0,
    "network-small": 3.0,
}
# TV weight lambda at 64 x 64, scaled by n / 64 for other sizes (data term ~ n^2, TV ~ n); best mean PSNR of
# Chambolle-Pock run to convergence on TUNING_SEEDS.
TV_LAMBDA = 3e-4
TV_ITERS = 1000  # most Chambolle-Pock iterations; at the default lambda the tolerance stops it earlier


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
