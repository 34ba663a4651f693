"""What the Toy page says about each frame of playback: computed once per run, one entry per frame."""

import numpy as np
import pytest
import torch

from explorer.app.toy_frames import (FRAME_JS, MAX_FRAMES, T_OPTIONS, frame_iterations, frame_readouts, nearest_t,
                                     t_at)
from explorer.toy.problem import ToyProblem


def test_frame_iterations_bound_the_count_and_keep_the_shown_and_last():
    frames = frame_iterations(1300, 13, 211)
    assert frames[0] == 0 and frames[-1] == 1300 and 211 in frames
    assert len(frames) <= MAX_FRAMES + 2 and frames == sorted(set(frames))
    assert len(frame_iterations(5000, 1, 0)) <= MAX_FRAMES + 2


def test_t_at_reads_the_frames_own_t_and_falls_back_to_t_min():
    record = np.array([3.5, 2.0, np.nan, 0.5])
    assert t_at(record, 1, 1e-3) == 2.0
    assert t_at(record, 2, 1e-3) == 1e-3  # a skipped iteration records no t
    assert t_at(record, 10, 1e-3) == 0.5  # x_N: the last t
    assert t_at(np.array([]), 0, 1e-3) == 1e-3


def test_nearest_t_is_a_slider_value_on_a_log_scale():
    assert nearest_t(3.51) == 4.0 and nearest_t(1e-3) == 1e-3 and nearest_t(0.0105) == 0.01
    assert all(nearest_t(v) == v for v in T_OPTIONS)


def test_batched_eigenvalues_agree_with_one_t_at_a_time():
    problem = ToyProblem()
    ts = [0.01, 0.3, 0.97, 1.0, 3.5]
    batched = problem.min_eigenvalues(ts, grid=41)
    # Against eigvalsh of the general Hessian (autograd-checked elsewhere), one t at a time.
    xs = torch.linspace(-10, 10, 41, dtype=torch.float64)
    pts = torch.cartesian_prod(xs, xs)
    single = [float(torch.linalg.eigvalsh(problem.hessian(pts, torch.full((len(pts),), t, dtype=torch.float64))).min())
              for t in ts]
    assert np.allclose(batched.numpy(), single, rtol=1e-6, atol=1e-9)
    # Chunked work gives the same numbers.
    assert torch.allclose(problem.min_eigenvalues(ts, grid=41, chunk=1000), batched)


def test_readouts_follow_each_frame_with_its_own_t_and_verdict():
    problem = ToyProblem()
    threshold = problem.convexity_threshold(grid=41)
    frames, t_k = [0, 10, 20], [3.51, threshold * 1.01, 0.1]
    lam = problem.min_eigenvalues(t_k, grid=41).tolist()
    readouts = frame_readouts(frames, t_k, lam, [4.0, 1.0, 0.1])
    data = readouts.as_data(["0", "10", "20"])
    assert data["0"]["t"] == "3.51" and data["0"]["k"] == "0" and data["0"]["shaded"] == "4"
    # The verdict is the frame's own: convex just above the threshold, not at t = 0.1.
    assert data["10"]["verdict"] == "convex" and data["20"]["verdict"] == "not convex"
    assert float(data["20"]["lam"]) < 0 <= float(data["10"]["lam"])


def test_readout_script_sets_text_never_markup():
    # User text never reaches the readout, but the script keeps it that way: text nodes only.
    assert "textContent" in FRAME_JS and "innerHTML" not in FRAME_JS


@pytest.mark.parametrize("name", ["k", "t", "lam", "verdict", "shaded"])
def test_every_readout_field_has_a_place_in_the_panel(name):
    from explorer.app.toy_frames import FRAME_HTML

    assert f'data-field="{name}"' in FRAME_HTML


def test_exit_notes_say_when_a_start_left_the_window_and_whether_it_came_back():
    from explorer.app.toy_frames import exit_notes
    from explorer.toy.analysis import first_exit

    inside = np.zeros((4, 2))
    back = np.array([[0, 0], [12, 0], [1, 1], [1, 1]], dtype=float)
    away = np.array([[0, 0], [1, 1], [-30, 0], [2e16, 0]], dtype=float)
    blown = np.array([[0, 0], [1e300, 0], [np.nan, np.nan], [np.nan, np.nan]])
    paths = np.stack([inside, back, away, blown])
    assert [first_exit(p, (-10, 10)) for p in paths] == [None, 1, 2, 1]
    notes = exit_notes(["1", "2", "3", "4"], paths, np.array([False, False, False, True]), (-10, 10))
    assert notes == ["start 2 left the window at k = 1 and came back",
                     "start 3 left the window at k = 2 and ended outside it (|x_N| = 2e+16)",
                     "start 4 diverged: out of the window at k = 1, then overflowed"]


def test_a_start_that_ends_outside_the_window_is_not_called_not_converged():
    from explorer.toy.analysis import describe_end

    minima = ToyProblem().find_minima().numpy()
    assert describe_end(np.array([2e16, -2e16]), minima).startswith("left the window")
