import pytest
import torch

from explorer.toy.problem import LOCAL_MINIMA, X_STAR, GaussianMixturePrior, ToyProblem

TS = [1e-3, 0.05, 0.5, 1.0, 3.0]


@pytest.fixture
def points():
    g = torch.Generator().manual_seed(0)
    return 20 * torch.rand(64, 2, generator=g, dtype=torch.float64) - 10


def _t(points, t):
    return torch.full((points.shape[0],), t, dtype=torch.float64)


@pytest.mark.parametrize("t", TS)
def test_score_matches_autograd_of_log_density(points, t):
    prior = GaussianMixturePrior()
    x = points.clone().requires_grad_(True)
    log_p = prior.log_density(x, _t(points, t))
    (grad,) = torch.autograd.grad(log_p.sum(), x)
    assert torch.allclose(prior.score(points, _t(points, t)), grad, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("t", TS)
def test_density_is_the_smoothed_mixture(t):
    prior = GaussianMixturePrior()
    x = torch.tensor([[0.3, -0.7]], dtype=torch.float64)
    c = prior.variances + prior.sde.variance(torch.tensor(t, dtype=torch.float64))
    dens = sum(
        0.2 * torch.exp(-((x[0] - prior.means[k]) ** 2).sum() / (2 * c[k])) / (2 * torch.pi * c[k])
        for k in range(5)
    )
    assert float(prior.log_density(x, _t(x, t))) == pytest.approx(float(torch.log(dens)), rel=1e-12)


@pytest.mark.parametrize("t", TS)
def test_hessian_matches_autograd(points, t):
    problem = ToyProblem()
    objective = problem.objective()
    for p in points[:8]:
        h_auto = torch.autograd.functional.hessian(
            lambda z: objective.value(z[None], torch.tensor([t], dtype=torch.float64)).sum(), p
        )
        h = problem.hessian(p[None], torch.tensor([t], dtype=torch.float64))[0]
        assert torch.allclose(h, h_auto, rtol=1e-8, atol=1e-10)


def test_minima_are_stationary_and_match_the_spec():
    problem = ToyProblem()
    minima = problem.find_minima()
    assert torch.allclose(minima[0], X_STAR, atol=1e-3)
    assert torch.allclose(minima[1:], LOCAL_MINIMA, atol=2e-4)
    _, g = problem.objective().value_and_grad(minima, _t(minima, problem.t_min))
    assert float(g.norm(dim=1).max()) < 1e-9
    eig = torch.linalg.eigvalsh(problem.hessian(minima, _t(minima, problem.t_min)))
    assert bool((eig > 0).all())
    f = problem.objective().f(minima)
    assert int(f.argmin()) == 0


def test_smoothing_convexifies_near_t_099():
    problem = ToyProblem()
    assert problem.min_eigenvalue(1e-3) < 0
    assert problem.min_eigenvalue(2.0) > 0
    assert problem.convexity_threshold() == pytest.approx(0.99, abs=0.03)


def test_landscape_shape_and_orientation():
    problem = ToyProblem()
    xs, ys, values = problem.landscape(0.5, grid=41)
    assert values.shape == (41, 41)
    i, j = 30, 5
    direct = problem.objective().value(torch.tensor([[xs[j], ys[i]]]), torch.tensor([0.5], dtype=torch.float64))
    assert float(values[i, j]) == pytest.approx(float(direct))
