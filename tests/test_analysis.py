"""The authors' toy figures, reproduced qualitatively from the 100 x 100 grid of starts."""

import numpy as np
import pytest

from explorer.core import schedules
from explorer.toy import analysis
from explorer.toy import fast as toy_fast
from explorer.core.registry import make_method
from explorer.core.steps import Armijo, Fixed
from explorer.toy.problem import ToyProblem


@pytest.fixture(scope="module")
def problem():
    return ToyProblem()


def test_grid_order_is_heatmap_order():
    coords, starts = analysis.grid_starts(5)
    assert np.allclose(starts[7], [coords[2], coords[1]])


@pytest.mark.parametrize("t_max,low,high", [(1.0, 0.8, 0.95), (2.0, 0.8, 0.95), (0.5, 0.35, 0.65),
                                            (0.05, 0.0, 0.15), (10.0, 0.0, 0.15)])
def test_gnc_reaches_x_star_as_in_the_authors_figure(problem, t_max, low, high):
    run = analysis.run_grid(problem, make_method("gnc"), Fixed(1.0), t_max=t_max)
    assert low <= run.frac_global <= high
    assert run.labels.shape == (100, 100)


@pytest.mark.slow
def test_gradient_like_reaches_stationary_points_not_x_star(problem):
    gnc = analysis.run_grid(problem, make_method("gnc"), Fixed(1.0), t_max=1.0, grid=50)
    gl = analysis.run_grid(problem, make_method("gradient-like"), Armijo(), t_max=1.0, grid=50)
    assert gl.frac_global < 0.5 * gnc.frac_global
    assert gl.frac_stationary > 0.75
    assert set(np.unique(gl.labels)) >= {0, 1, 2, 3}


def test_sweep_maps(problem):
    values = np.array([5.0, 1.0, 0.2])
    sw = analysis.sweep(problem, make_method("gnc"), Fixed(1.0), t_max_values=values, grid=20, n_iter=300,
                        stride=30)
    assert sw.reach_share.shape == (20, 20) and sw.rate.shape == (3, 10)
    assert np.allclose(sw.reach_share, np.mean([r.labels == 0 for r in sw.runs], axis=0))
    assert np.allclose(sw.rate[:, -1], [r.frac_global for r in sw.runs])
    assert sw.iterations[-1] == 300


def test_classify_labels_not_converged():
    minima = np.array([[1.0, 1.0], [5.0, 5.0]])
    labels = analysis.classify(np.array([[1.05, 1.0], [5.0, 4.95], [3.0, 3.0], [np.nan, 0.0]]), minima)
    assert labels.tolist() == [0, 1, analysis.NOT_CONVERGED, analysis.NOT_CONVERGED]


def test_a_start_is_described_as_the_basin_map_labels_it(problem) -> None:
    """The Toy page's results table and the basin map use one rule for where a start ended."""
    minima = problem.find_minima().numpy()
    coords, starts = analysis.grid_starts(9)
    run = analysis.run_grid(problem, make_method("gnc"), Fixed(1.0), t_max=0.3, n_iter=400, grid=9)
    ts = schedules.make("linear", 0.3, problem.t_min, 400).numpy()
    finals = toy_fast.run(problem, starts, ts, make_method("gnc"), Fixed(1.0)).final
    words = [analysis.describe_end(f, minima) for f in finals]
    expected = ["not converged" if lab < 0 else analysis.MINIMA_NAMES[lab] for lab in run.labels.ravel()]
    assert [w.split(" (")[0] for w in words] == expected
    assert len(set(expected)) >= 2  # the grid shows more than one outcome
    assert analysis.describe_end(np.array([np.nan, 0.0]), minima) == "diverged"
    far = analysis.describe_end(np.array([9.0, 9.0]), minima)
    assert far.startswith("not converged (") and "from" in far
