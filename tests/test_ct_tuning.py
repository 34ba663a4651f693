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


def test_tune_tv_lambda_scores_every_weight_like_the_tv_baseline_of_the_problem():
    from explorer.ct.tuning import tune_tv_lambda

    base = ct.CTSettings(ct.ProblemSettings(problem="deblur", n=16, prior="gaussian"))
    scores = tune_tv_lambda([1e-4, 1e-1], seeds=(1,), base=base)
    problem = ct.make_problem(ct.ProblemSettings(problem="deblur", n=16, prior="gaussian", phantom_seed=1),
                              ct.load_prior("gaussian", 16))
    assert list(scores) == [1e-4, 1e-1]
    assert scores[1e-1] == ct.quality(ct.tv_reconstruction(problem, 1e-1).image, problem.truth)[0][0]
    assert scores[1e-4] > scores[1e-1]  # a weight this large flattens the phantom


def test_each_problem_resolves_its_tuned_tv_weight_scaled_with_n():
    from explorer.problems import PROBLEMS

    for name, kind in PROBLEMS.items():
        tuned = ct.TV_LAMBDA if kind.tv_lambda is None else kind.tv_lambda
        assert ct.ProblemSettings(problem=name, n=32).tv_weight == tuned / 2
    assert ct.ProblemSettings(problem="superres").tv_weight == PROBLEMS["superres"].tv_lambda != ct.TV_LAMBDA
    assert ct.ProblemSettings(problem="superres", tv_lambda=1e-4).tv_weight == 1e-4


def test_each_problem_resolves_its_tuned_alpha_per_prior():
    from explorer.problems import PROBLEMS

    for name, kind in PROBLEMS.items():
        for prior in ("gaussian", "network"):
            expected = kind.alpha.get(prior, ct.ALPHA[prior])
            assert ct.ProblemSettings(problem=name, prior=prior).prior_weight == expected
            assert ct.ProblemSettings(problem=name, prior=prior, alpha=0.25).prior_weight == 0.25
    assert ct.ProblemSettings().prior_weight == ct.ALPHA["network"]  # CT keeps its own tuned value
    assert set(PROBLEMS["ct"].alpha) == set()
    assert any(kind.alpha for kind in PROBLEMS.values())  # some problem needs its own weight
    # The distilled network takes its teacher's tuned weight per problem, and CT's own where there is none.
    small = ct.ProblemSettings(problem="superres", prior="network-small")
    assert small.prior_weight == PROBLEMS["superres"].alpha["network"] != ct.ALPHA["network"]
    assert ct.ProblemSettings(prior="network-small").prior_weight == ct.ALPHA["network-small"]
    assert set(ct.PRIORS) <= set(ct.ALPHA)
