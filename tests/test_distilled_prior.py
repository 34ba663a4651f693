"""The distilled prior: shipped, catalogued as "network-small", and close to the score it was distilled from."""

from __future__ import annotations

import pytest
import torch

from explorer import ct
from explorer.imaging.phantoms import ellipse_batch
from explorer.priors.catalog import DISTILLED_FROM, load_prior


def test_the_small_prior_is_a_smaller_network_than_its_teacher():
    small, teacher = load_prior("network-small", 64), load_prior("network", 64)
    assert small.model.channels == (16, 32, 64) and teacher.model.channels == (24, 48, 96)
    count = lambda prior: sum(p.numel() for p in prior.model.parameters())  # noqa: E731
    assert count(small) < 0.6 * count(teacher)
    assert DISTILLED_FROM == {"network-small": "network"}


@pytest.mark.parametrize("t", [0.5, 0.05, 0.005])
def test_its_score_follows_the_teachers_on_noisy_phantoms(t):
    """Where it was trained (x_t from phantoms), the student's score is within a few per cent of the teacher's."""
    gen = torch.Generator().manual_seed(123)
    x0 = ellipse_batch(4, 64, gen)
    sde = load_prior("network", 64).model.sde
    tt = torch.full((4,), t, dtype=torch.float64)
    m, s = sde.m(tt).float().view(-1, 1, 1, 1), sde.s(tt).float().view(-1, 1, 1, 1)
    xt = m * x0 + s * torch.randn(x0.shape, generator=gen)
    student, teacher = load_prior("network-small", 64).score(xt, tt), load_prior("network", 64).score(xt, tt)
    relative = float((student - teacher).norm() / teacher.norm())
    assert relative < 0.25, relative
    if t <= 0.05:
        # Where the image, not the noise, makes the score: far closer than the analytic Gaussian prior's score.
        gaussian = load_prior("gaussian", 64).score(xt, tt)
        assert relative < 0.5 * float((gaussian - teacher).norm() / teacher.norm())


def test_a_ct_run_with_the_small_prior_beats_fbp():
    settings = ct.CTSettings(ct.ProblemSettings(prior="network-small", n=64, n_angles=30),
                             ct.SolverSettings(n_iter=40, inits=("zeros",)))
    problem = ct.make_problem(settings.problem, load_prior("network-small", 64))
    x0 = ct.initialisations(settings.solver.inits, problem)
    final = ct.reconstruct(problem, x0, settings.solver).final
    assert ct.quality(final, problem.truth)[0][0] > ct.quality(problem.reference, problem.truth)[0][0] + 2
