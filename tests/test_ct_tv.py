"""The TV baseline: it beats FBP and converges, and its divergence is minus the adjoint of its gradient."""

from __future__ import annotations

import math

import pytest
import torch

from explorer import ct
from explorer.ct import tv as tv_module

N = 32  # small images keep every test to a second or two


@pytest.fixture(scope="module")
def problem():
    settings = ct.ProblemSettings(n=N, n_angles=20, prior="gaussian", phantom_seed=ct.HELD_OUT_SEED)
    return ct.make_problem(settings, ct.load_prior("gaussian", N))


def test_tv_baseline_beats_fbp_and_converges(problem):
    tv = ct.tv_reconstruction(problem)
    tv_psnr, tv_ssim = ct.quality(tv.image, problem.truth)
    fbp_psnr, fbp_ssim = ct.quality(problem.fbp, problem.truth)
    assert tv_psnr[0] > fbp_psnr[0] + 2.0 and tv_ssim[0] > fbp_ssim[0]
    assert tv.rel_change < 1e-5 and tv.n_iter < problem.settings.tv_iters
    assert tv.image.min() >= 0 and tv.image.max() <= 1
    # The TV objective does not go up once the iteration has settled.
    assert all(b <= a * (1 + 1e-6) for a, b in zip(tv.history[1:], tv.history[2:]))


def test_the_references_are_fbp_and_tv(problem):
    refs = ct.references(problem)
    assert refs.psnr["FBP"] == pytest.approx(float(ct.quality(problem.fbp, problem.truth)[0][0]))
    assert refs.psnr["TV"] == pytest.approx(float(ct.quality(refs.tv_image, problem.truth)[0][0]))
    assert refs.psnr["TV"] > refs.psnr["FBP"] and refs.ssim["TV"] > refs.ssim["FBP"]


def test_tv_divergence_is_minus_the_adjoint_of_the_gradient():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(2, 1, 7, 9, generator=g, dtype=torch.float64)
    p = torch.randn(2, 2, 7, 9, generator=g, dtype=torch.float64)
    lhs = (tv_module._gradient(x) * p).sum()
    rhs = -(x * tv_module._divergence(p)).sum()
    assert math.isclose(float(lhs), float(rhs), rel_tol=1e-12, abs_tol=1e-12)
