"""The tuning experiment runs on the normalised problem and scores each alpha; the tuned values are where the
settings read them."""

from __future__ import annotations

import math

from explorer import ct


def test_tune_alpha_scores_every_alpha_like_a_run_of_the_settings():
    base = ct.CTSettings(ct.ProblemSettings(n=32, n_angles=12, prior="gaussian"), ct.SolverSettings(n_iter=5))
    prior = ct.load_prior("gaussian", 32)
    scores = ct.tune_alpha(prior, "gaussian", [1e-3, 1e-1], seeds=(1,), inits=("zeros",), base=base)
    assert list(scores) == [1e-3, 1e-1] and all(math.isfinite(v) for v in scores.values())
    problem = ct.make_problem(ct.ProblemSettings(n=32, n_angles=12, prior="gaussian", alpha=1e-3, phantom_seed=1),
                              prior)
    run = ct.reconstruct(problem, ct.initialisations(("zeros",), problem), base.solver, diagnostics_every=0)
    assert scores[1e-3] == ct.quality(run.final, problem.truth)[0][0]


def test_the_settings_resolve_the_tuned_values():
    assert ct.ProblemSettings(prior="gaussian").prior_weight == ct.ALPHA["gaussian"]
    assert ct.ProblemSettings(prior="network", alpha=0.5).prior_weight == 0.5
    assert ct.ProblemSettings(n=128).tv_weight == 2 * ct.TV_LAMBDA
    assert ct.TUNING_SEEDS and min(ct.TUNING_SEEDS) >= 0 and max(ct.TUNING_SEEDS) < ct.HELD_OUT_SEED
