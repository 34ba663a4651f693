"""Properties of the one solver core, on the toy (B, 2) and on small CT images (B, 1, n, n)."""

import math

import pytest
import torch

from explorer.core import schedules
from explorer.priors.gaussian import ellipse_gaussian_prior
from explorer.core.objective import LeastSquares, SmoothedObjective
from explorer.imaging.phantoms import ellipse_batch
from explorer.core.sde import VPSDE
from explorer.core.methods import AdaptiveSmoothing, GNCFlow, GradientDescent, GradientLike
from explorer.core.registry import make_method
from explorer.core.solvers import iterate, solve
from explorer.core.steps import Armijo, BarzilaiBorwein, Fixed
from explorer.problems.tomography import parallel_beam
from explorer.toy.problem import X_STAR, ToyProblem


@pytest.fixture(scope="module")
def toy():
    return ToyProblem()


def _starts(count=12, seed=1):
    g = torch.Generator().manual_seed(seed)
    return 20 * torch.rand(count, 2, generator=g, dtype=torch.float64) - 10


def _ts(x, t):
    return torch.full((x.shape[0],), float(t), dtype=torch.float64)


def test_gnc_step_is_minus_b_t_grad_F(toy):
    obj = toy.objective()
    x0 = _starts(5)
    ts = schedules.linear(2.0, 1e-3, 10)
    state = next(iterate(obj, x0, ts, method=GNCFlow(), step_rule=Fixed(0.7)))
    _, g = obj.value_and_grad(x0, _ts(x0, ts[0]))
    assert torch.allclose(state.x_next, x0 - 0.7 * float(ts[0]) * g)
    assert bool(state.taken.all())


@pytest.mark.parametrize("method", ["gnc", "gradient-like", "adaptive", "gd"])
@pytest.mark.parametrize("rule", [Armijo(), BarzilaiBorwein()])
def test_every_accepted_line_search_step_satisfies_armijo_on_f(toy, method, rule):
    obj = toy.objective()
    ts = schedules.linear(3.0, 1e-3, 60)
    for state in iterate(obj, _starts(), ts, method=make_method(method), step_rule=rule):
        f_next = obj.f(state.x_next)
        slope = state.cos * state.grad_norm  # <grad f, d> / |d|
        d_norm = (state.x_next - state.x).norm(dim=1) / state.step.clamp_min(1e-300)
        bound = state.f + rule.c * state.step * slope * d_norm
        taken = state.taken
        assert bool((f_next[taken] <= bound[taken] + 1e-12).all())
        assert bool((state.step[~taken] == 0).all())
        assert torch.equal(state.x_next[~taken], state.x[~taken])


def test_gradient_like_skips_non_descent_directions(toy):
    obj = toy.objective()
    ts = schedules.linear(5.0, 1e-3, 80)
    skipped = 0
    for state in iterate(obj, _starts(40), ts, method=GradientLike(), step_rule=Fixed(1.0)):
        non_descent = state.cos >= 0
        assert bool((~state.taken[non_descent]).all())
        assert bool(state.taken[~non_descent].all())
        skipped += int(non_descent.sum())
    assert skipped > 0  # the large t_max makes some directions ascend f


def test_adaptive_picks_the_largest_descent_t(toy):
    obj = toy.objective()
    ts = schedules.linear(5.0, 1e-3, 40)
    prev = torch.full((30,), math.inf, dtype=torch.float64)
    for state in iterate(obj, _starts(30), ts, method=AdaptiveSmoothing(), step_rule=Armijo()):
        assert bool((state.t <= prev).all())  # t never increases
        descent = state.cos < 0
        assert bool(descent[state.t > obj.t_min].all())
        # every larger schedule value not above the previous t gives no descent direction
        _, gf = obj.value_and_grad(state.x, _ts(state.x, obj.t_min))
        for i in range(0, 30, 7):
            for t in ts[(ts > state.t[i]) & (ts <= prev[i])]:
                _, g = obj.value_and_grad(state.x[i:i + 1], _ts(state.x[i:i + 1], t))
                assert float((-t * g * gf[i]).sum()) >= 0
        prev = state.t


def test_gradient_descent_uses_t_min_and_minus_grad_f(toy):
    obj = toy.objective()
    ts = schedules.linear(1.0, 1e-3, 5)
    state = next(iterate(obj, _starts(4), ts, method=GradientDescent(), step_rule=Fixed(0.5)))
    assert bool((state.t == obj.t_min).all())
    _, gf = obj.value_and_grad(state.x, _ts(state.x, obj.t_min))
    assert torch.allclose(state.x_next, state.x - 0.5 * gf)
    assert torch.allclose(state.cos, torch.full_like(state.cos, -1.0))


def test_authors_sample_paths(toy):
    obj = toy.objective()
    minima = toy.find_minima()
    gnc = [((-3.94, -7.17), 3.511, 0), ((-5.96, -6.77), 0.3054, 3), ((9.19, 4.14), 0.0756, None)]
    for start, t_max, target in gnc:
        end = solve(obj, torch.tensor([start], dtype=torch.float64), schedules.linear(t_max, 1e-3, 1300)).final[0]
        dist = (minima - end).norm(dim=1)
        if target is None:
            assert float(dist.min()) > 0.1
        else:
            assert float(dist[target]) < 0.1
    end = solve(obj, torch.tensor([[2.12, -5.56]], dtype=torch.float64), schedules.linear(0.1520, 1e-3, 1300),
                method=GradientLike(), step_rule=Armijo()).final[0]
    assert float((end - minima[1]).norm()) < 0.1
    end = solve(obj, torch.tensor([[-5.96, -4.75]], dtype=torch.float64), schedules.linear(3.511, 1e-3, 1300),
                method=GradientLike(), step_rule=Armijo()).final[0]
    assert float((end - X_STAR).norm()) < 0.1


def test_a_batch_of_starts_equals_single_runs(toy):
    obj = toy.objective()
    x0 = _starts(6)
    ts = schedules.geometric(2.0, 1e-3, 50)
    for method, rule in [(GNCFlow(), Fixed(1.0)), (AdaptiveSmoothing(), BarzilaiBorwein())]:
        batch = solve(obj, x0, ts, method=method, step_rule=rule).final
        single = torch.cat([solve(obj, x0[i:i + 1], ts, method=method, step_rule=rule).final for i in range(6)])
        assert torch.allclose(batch, single, rtol=1e-12, atol=1e-12)


def test_diverging_step_stops_with_a_message_and_keeps_the_iterates(toy):
    obj = toy.objective()
    tr = solve(obj, _starts(3), schedules.linear(1.0, 1e-3, 300), method=GradientDescent(),
               step_rule=Fixed(1e6))
    assert tr.status == "diverged"
    assert "NaN or Inf" in tr.message
    assert bool(torch.isfinite(tr.x).all())
    assert tr.n_iter < 300


def test_trajectory_record_shapes_and_stride(toy):
    obj = toy.objective()
    tr = solve(obj, _starts(4), schedules.linear(1.0, 1e-3, 25), record_every=10)
    assert tr.iters.tolist() == [0, 10, 20, 25]
    assert tr.x.shape == (4, 4, 2)
    for name in ("t", "step", "f", "grad_norm", "cos"):
        assert getattr(tr, name).shape == (25, 4)
    assert tr.taken.dtype == torch.bool


def test_callback_can_stop_the_run(toy):
    seen = []
    tr = solve(toy.objective(), _starts(2), schedules.linear(1.0, 1e-3, 100),
               callback=lambda s: seen.append(s.k) or s.k < 9)
    assert tr.status == "stopped" and tr.n_iter == 10 and seen == list(range(10))


def test_same_core_reconstructs_ct_images_with_an_analytic_prior():
    n = 32
    op = parallel_beam(n, 20)
    truth = ellipse_batch(1, n, torch.Generator().manual_seed(5))
    y = op.A(truth)
    prior = ellipse_gaussian_prior(n, count=64, seed=1)
    sde = VPSDE()

    def weight(t):
        return 0.05 * sde.s(t) / sde.m(t)

    obj = SmoothedObjective(LeastSquares(op, y), prior, weight, 1e-3)
    x0 = torch.zeros(2, 1, n, n)
    x0[1] = 0.5
    ts = schedules.geometric(1.0, 1e-3, 60)
    tr = solve(obj, x0, ts, method=GNCFlow(), step_rule=BarzilaiBorwein(), diagnostics_every=10)
    assert tr.final.shape == (2, 1, n, n)
    err0 = (x0 - truth).flatten(1).norm(dim=1)
    err = (tr.final - truth).flatten(1).norm(dim=1)
    assert bool((err < 0.5 * err0).all())
    assert bool((tr.f[-1] < tr.f[0]).all())


def test_plain_bb_costs_one_prior_gradient_per_iteration_and_recovers_the_image():
    """The CT default: no line search, so each iteration evaluates grad F(., t_k) once and nothing else."""
    from explorer import ct
    from explorer.bench.ct import CountingPrior
    from explorer.priors.gaussian import ellipse_gaussian_prior

    counting = CountingPrior(ellipse_gaussian_prior(32))
    settings = ct.settings_from({"n": 32, "n_angles": 16, "prior": "gaussian", "n_iter": 40, "record_every": 40})
    problem = ct.make_problem(settings.problem, counting)
    x0 = ct.initialisations(("zeros", "noise"), problem)
    run = ct.reconstruct(problem, x0, settings.solver)
    # 40 directions, plus f at the recorded iterates (0 and the last).
    assert counting.gradients == 2 * (40 + 2) and counting.values == 0
    psnr, _ = ct.quality(run.final, problem.truth)
    fbp, _ = ct.quality(problem.fbp, problem.truth)
    assert settings.solver.step_rule == "bb-plain" and (psnr > fbp[0]).all()


def test_a_nonmonotone_search_tests_against_the_largest_recent_value():
    from explorer.core.solvers import _Recent

    recent = _Recent(3)
    assert recent.reference(torch.tensor([1.0, 5.0])).tolist() == [1.0, 5.0]
    assert recent.reference(torch.tensor([4.0, 2.0])).tolist() == [4.0, 5.0]
    recent.reference(torch.tensor([0.0, 1.0]))
    assert recent.reference(torch.tensor([0.0, 0.0])).tolist() == [4.0, 2.0]  # 1.0 / 5.0 fell out of the window
    assert _Recent(1).reference(torch.tensor([7.0])).tolist() == [7.0]
