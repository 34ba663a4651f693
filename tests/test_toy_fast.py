"""The fused toy backend agrees with the torch solver core for every method and step rule."""

import numpy as np
import pytest
import torch

from explorer.core import schedules
from explorer.toy import fast as toy_fast
from explorer.core.registry import METHODS, STEP_RULES, make_method
from explorer.core.solvers import solve
from explorer.core.steps import Armijo, BarzilaiBorwein, Fixed, PlainBarzilaiBorwein
from explorer.toy.problem import ToyProblem

RULES = {"fixed": Fixed(1.0), "armijo": Armijo(), "bb": BarzilaiBorwein(), "bb-plain": PlainBarzilaiBorwein()}


def test_every_registered_step_rule_is_checked_here():
    """A rule added to the registry needs a branch in the kernels, and these comparisons catch a missing one."""
    assert set(RULES) == set(STEP_RULES)


@pytest.fixture(scope="module")
def setting():
    g = torch.linspace(-10, 10, 8, dtype=torch.float64)
    return ToyProblem(), torch.cartesian_prod(g, g), schedules.linear(2.0, 1e-3, 200)


@pytest.mark.parametrize("method", list(METHODS))
@pytest.mark.parametrize("rule", list(RULES))
def test_fused_backend_matches_the_solver_core(setting, method, rule):
    problem, x0, ts = setting
    ref = solve(problem.objective(), x0, ts, method=make_method(method), step_rule=RULES[rule])
    fast = toy_fast.run(problem, x0.numpy(), ts.numpy(), make_method(method), RULES[rule], record=True)
    agree = np.abs(ref.x.numpy().transpose(1, 0, 2) - fast.path).max(axis=(1, 2)) < 1e-6
    # Line searches on nearly orthogonal directions (cos ~ -1e-7) can be decided by rounding, so the
    # adaptive rule with BB steps may part ways on a few starts. With unsearched BB steps (up to 1000) its
    # descent test on such directions parts more paths by a few hundredths; their ends still agree.
    needed = {("adaptive", "bb"): 0.8, ("adaptive", "bb-plain"): 0.4}.get((method, rule), 1.0)
    assert agree.mean() >= needed
    if rule == "bb-plain":
        assert np.abs(ref.final.numpy() - fast.final).max() < 1e-2
    same = np.flatnonzero(agree)
    first = ref.t.shape[0]
    assert np.allclose(fast.records["t"][same].T[:first], ref.t.numpy()[:, same], rtol=1e-9)
    assert np.allclose(fast.path[same, -1], fast.final[same])
    assert np.allclose(fast.records["f"][same, 0], ref.f[0].numpy()[same], rtol=1e-10)


def test_gnc_block_kernel_equals_general_kernel(setting):
    problem, x0, ts = setting
    block = toy_fast.run(problem, x0.numpy(), ts.numpy(), make_method("gnc"), Fixed(1.0), stride=7)
    general = toy_fast.run(problem, x0.numpy(), ts.numpy(), make_method("gnc"), Fixed(1.0), stride=7, record=True)
    assert np.allclose(block.final, general.final, rtol=1e-11, atol=1e-11)
    assert block.hits.shape == (64, 29)
    cols = list(range(7, 200, 7)) + [200]
    dist = np.linalg.norm(general.path[:, cols] - np.array([1.0, 1.0]), axis=2)
    assert np.array_equal(block.hits.astype(bool), dist < 0.1)


def test_exp_kernel_accuracy():
    x = -np.concatenate([np.linspace(0, 40, 4001), np.random.default_rng(0).uniform(0, 40, 5000)])
    approx = np.array([toy_fast._exp_neg(v) for v in x])
    assert np.max(np.abs(approx - np.exp(x)) / np.exp(x)) < 1e-13
    # Below the floor the value stays at exp(-40): negligible beside the largest term, which is 1.
    assert toy_fast._exp_neg(-800.0) == pytest.approx(np.exp(-40.0), rel=1e-13)


def test_divergence_is_flagged_per_start():
    problem = ToyProblem()
    x0 = np.array([[3.0, 2.0], [-9.0, 9.0]])
    ts = schedules.constant(1.0, 1e-3, 200).numpy()
    res = toy_fast.run(problem, x0, ts, make_method("gd"), Fixed(1e6), record=True)
    assert res.diverged.all()
    assert np.isfinite(res.final).all()


@pytest.mark.parametrize("method", ["gnc", "gradient-like", "gd"])
@pytest.mark.parametrize("rule", list(RULES))
def test_line_search_block_kernel_matches_one_start_at_a_time(method, rule):
    """Grid runs use the block kernel; it lands every start where the per-start kernel does."""
    from explorer.toy import analysis

    problem = ToyProblem()
    _, starts = analysis.grid_starts(16)
    ts = schedules.linear(1.0, 1e-3, 400).numpy()
    blocks = toy_fast.run(problem, starts, ts, make_method(method), RULES[rule], stride=40)
    single = toy_fast.run(problem, starts, ts, make_method(method), RULES[rule], stride=40, record=True)
    minima = problem.find_minima().numpy()
    assert np.array_equal(analysis.classify(blocks.final, minima), analysis.classify(single.final, minima))
    # Near a flat minimum an Armijo test can be decided by rounding, so positions agree to a tolerance.
    assert np.mean(np.abs(blocks.final - single.final).max(1) < 1e-3) >= 0.98
    assert np.mean(blocks.hits == single.hits) >= 0.99


@pytest.mark.parametrize("method", list(METHODS))
def test_a_recorded_run_before_the_kernels_compile_has_the_kernels_fields(setting, method):
    """The page's first runs after installation use the solver core; they must look like the kernels' runs."""
    problem, _, ts = setting
    x0 = np.array([[-3.94, -7.17], [9.19, 4.14]])
    core = toy_fast._core_recorded(problem, x0, ts.numpy(), make_method(method), Fixed(1.0))
    fast = toy_fast.run(problem, x0, ts.numpy(), make_method(method), Fixed(1.0), record=True)
    assert core is not None
    assert core.path.shape == fast.path.shape and set(core.records) == set(fast.records)
    np.testing.assert_allclose(core.path, fast.path, atol=1e-6)
    np.testing.assert_allclose(core.final, fast.final, atol=1e-6)
    np.testing.assert_allclose(core.f, fast.f, rtol=1e-6)
    np.testing.assert_allclose(core.grad_norm, fast.grad_norm, rtol=1e-4, atol=1e-9)
    for name in ("t", "step", "f", "taken"):
        np.testing.assert_allclose(core.records[name], fast.records[name], rtol=1e-6, atol=1e-9, err_msg=name)
    assert not core.diverged.any()


def test_a_diverging_run_waits_for_the_kernels(setting):
    """The core stops every start at a divergence, the kernels only the one: such runs are left to the kernels."""
    problem, _, ts = setting
    x0 = np.array([[-3.94, -7.17]])
    assert toy_fast._core_recorded(problem, x0, ts.numpy(), make_method("gd"), Fixed(1e6)) is None
    result = toy_fast.run_recorded(problem, x0, ts.numpy(), make_method("gd"), Fixed(1e6))
    assert result.diverged.all()


@pytest.mark.slow
def test_a_child_process_compiles_the_kernels_into_an_empty_cache(tmp_path, monkeypatch):
    """The server's warm-up compiles in a niced child (the GIL and the CPU stay with the page) and then only loads
    what the child cached: the child must run from wherever `explorer` lies and fill the cache."""
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path))
    monkeypatch.chdir(tmp_path)  # the child finds the package by its path, not by the working directory
    assert toy_fast._compile_in_a_child()
    # numba names a cached kernel <module>.<function>-<line>.py311.nbi (its index) and .nbc (the machine code)
    indexed = {p.name.split(".")[1].split("-")[0] for p in tmp_path.rglob("fast.*.nbi")}
    compiled = {p.name.split(".")[1].split("-")[0] for p in tmp_path.rglob("fast.*.nbc")}
    assert {"_general", "_grad_f", "_tables"} <= indexed & compiled, (indexed, compiled)


def test_a_child_that_cannot_start_leaves_the_compiling_to_this_process(monkeypatch):
    monkeypatch.setattr(toy_fast.sys, "executable", "/nonexistent/python")
    assert toy_fast._compile_in_a_child() is False
