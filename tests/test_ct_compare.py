"""Comparing methods from the same starts: GNC forgets its start more than plain gradient descent does, and
progress goes out through the callback."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch

from explorer import ct

N = 32  # small images keep every test to a second or two


@pytest.fixture(scope="module")
def setup():
    settings = ct.CTSettings(ct.ProblemSettings(n=N, n_angles=20, prior="gaussian"),
                             ct.SolverSettings(n_iter=30, inits=("zeros", "fbp", "noise"), step_rule="bb"))
    problem = ct.make_problem(settings.problem, ct.load_prior("gaussian", N))
    return problem, ct.initialisations(settings.solver.inits, problem), settings.solver


def test_gnc_ends_closer_together_over_the_starts_than_gd(setup):
    problem, x0, solver = setup
    calls = []
    result = ct.compare_methods(problem, x0, solver, progress=lambda share, method, k: calls.append((share, method, k)))
    assert result.methods == ("gnc", "gd") and result.status == {"gnc": "finished", "gd": "finished"}
    for method in result.methods:
        assert result.finals[method].shape == (3, N, N) and result.finals[method].dtype == np.float32
        assert result.psnr[method].shape == (3,) and result.ssim[method].shape == (3,)
    assert result.spread("gnc") < result.spread("gd")
    assert result.spread("gnc") == pytest.approx(np.ptp(result.psnr["gnc"]))
    # The same run as `reconstruct` with that method.
    gd = ct.reconstruct(problem, x0, replace(solver, method="gd"), diagnostics_every=0)
    np.testing.assert_allclose(result.finals["gd"], gd.final[:, 0].numpy(), atol=1e-6)
    # One call per iteration of each method, the share rising to 1.
    assert len(calls) == 2 * solver.n_iter
    shares = [share for share, _, _ in calls]
    assert shares == sorted(shares) and shares[-1] == 1.0
    assert calls[0][1:] == ("gnc", 1) and calls[-1][1:] == ("gd", solver.n_iter)


def test_other_methods_and_no_callback(setup):
    problem, x0, solver = setup
    result = ct.compare_methods(problem, x0[:1], solver, methods=("adaptive",))
    assert result.methods == ("adaptive",) and np.isfinite(result.psnr["adaptive"]).all()
    assert torch.isfinite(torch.from_numpy(result.finals["adaptive"])).all()
