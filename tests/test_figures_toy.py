"""Toy figure builders return figures with the expected traces, layout and data."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import pytest

from explorer.figures.toy import (DIAGNOSTICS, basin_figure, diagnostics_figure, landscape_figure, rate_figure,
                                  reach_figure)

MINIMA = np.array([[1.0, 1.0], [1.0142, -1.8494], [6.6719, -0.8377], [-6.6691, 3.6986]])


@pytest.fixture
def landscape() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    xs = np.linspace(-10, 10, 21)
    xx, yy = np.meshgrid(xs, xs)
    return xs, xs, 0.01 * ((xx - 1) ** 2 + (yy - 1) ** 2) + 0.05


def _path(n: int, start: tuple[float, float]) -> np.ndarray:
    s = np.linspace(0.0, 1.0, n + 1)[:, None]
    return (1 - s) * np.array(start) + s * np.array([1.0, 1.0])


def test_landscape_has_contour_line_minima_and_paths(landscape) -> None:
    paths = [_path(10, (-5, -5)), _path(10, (5, 8))]
    fig = landscape_figure(*landscape, t=0.5, minima=MINIMA, paths=paths, iteration=4, names=["a", "b"])
    assert isinstance(fig, go.Figure)
    kinds = [type(tr).__name__ for tr in fig.data]
    assert kinds[0] == "Contour"
    names = [tr.name for tr in fig.data]
    assert "Ax = y" in names and "x*" in names and "local minima of f" in names
    assert "a" in names and "b" in names
    # Four traces per path: full path, travelled part, start, current iterate.
    assert len(fig.data) == 4 + 4 * len(paths)
    travelled = next(tr for tr in fig.data if tr.name == "a")
    assert len(travelled.x) == 5
    current = fig.data[4 + 3]
    np.testing.assert_allclose([current.x[0], current.y[0]], paths[0][4])
    assert fig.layout.yaxis.scaleanchor == "x"
    assert fig.layout.uirevision
    assert "t = 0.5" in fig.layout.title.text


def test_landscape_line_is_x1_plus_x2_equals_2(landscape) -> None:
    fig = landscape_figure(*landscape, t=1.0, minima=MINIMA)
    line = next(tr for tr in fig.data if tr.name == "Ax = y")
    np.testing.assert_allclose(np.asarray(line.x) + np.asarray(line.y), 2.0)
    assert min(line.x) >= -10 and max(line.x) <= 10 and min(line.y) >= -10 and max(line.y) <= 10


def test_landscape_log_scale_keeps_its_minimum_finite(landscape) -> None:
    fig = landscape_figure(*landscape, t=1.0, minima=MINIMA)
    z = np.asarray(fig.data[0].z)
    assert np.isfinite(z).all()
    assert z.min() == pytest.approx(-3.0)


def test_landscape_clamps_the_iteration_and_takes_nan_paths(landscape) -> None:
    path = _path(5, (0, 0))
    path[3:] = np.nan
    fig = landscape_figure(*landscape, t=1.0, minima=MINIMA, paths=[path], iteration=99)
    assert len(fig.data) == 8
    assert "iteration k = 99" in fig.layout.title.text


def _records(b: int, n: int) -> dict[str, np.ndarray]:
    k = np.arange(n, dtype=float)
    return {
        "t": np.tile(np.linspace(1, 1e-3, n), (b, 1)),
        "step": np.where(k % 2 == 0, 1.0, 0.0) * np.ones((b, 1)),
        "f": np.tile(1 / (1 + k), (b, 1)),
        "grad_norm": np.tile(np.exp(-k / 10), (b, 1)),
        "cos": -np.ones((b, n)),
        "taken": np.ones((b, n)),
    }


def test_diagnostics_has_one_trace_per_start_and_row_and_a_shared_x() -> None:
    fig = diagnostics_figure(_records(3, 50), 20, names=["a", "b", "c"])
    assert len(fig.data) == 3 * len(DIAGNOSTICS)
    assert all(tr.x[-1] == 49 for tr in fig.data)
    assert fig.layout.yaxis2.type == "log" and fig.layout.yaxis4.type == "log"
    # Shared x: every axis follows the bottom one.
    rows = len(DIAGNOSTICS)
    assert all(fig.layout[f"xaxis{i if i > 1 else ''}"].matches == f"x{rows}" for i in range(1, rows))
    lines = [s for s in fig.layout.shapes if s.type == "line" and s.x0 == s.x1 == 20]
    assert len(lines) == 1 and lines[0].yref == "paper"
    assert fig.layout.uirevision


def test_diagnostics_hide_zero_steps_on_the_log_axis() -> None:
    fig = diagnostics_figure(_records(1, 10), 0)
    steps = np.asarray(fig.data[1].y, dtype=float)
    assert np.isnan(steps[1::2]).all() and (steps[::2] == 1).all()


def test_basin_map_has_labels_and_minima() -> None:
    coords = np.linspace(-10, 10, 5)
    labels = np.array([[-1, 0, 1, 2, 3]] * 5)
    fig = basin_figure(coords, labels, MINIMA, title="basin")
    assert type(fig.data[0]).__name__ == "Heatmap"
    np.testing.assert_array_equal(np.asarray(fig.data[0].z), labels)
    assert fig.data[0].customdata[0][0] == "not converged" and fig.data[0].customdata[0][1] == "x*"
    assert {"x*", "local minima of f", "Ax = y"} <= {tr.name for tr in fig.data}
    assert fig.layout.yaxis.scaleanchor == "x"


def test_reach_map_is_a_share() -> None:
    coords = np.linspace(-10, 10, 4)
    fig = reach_figure(coords, np.full((4, 4), 0.25), MINIMA, title="reach")
    heat = fig.data[0]
    assert (heat.zmin, heat.zmax) == (0.0, 1.0)
    assert fig.layout.yaxis.scaleanchor == "x"


def test_rate_map_sorts_t_max_and_pins_the_log_range() -> None:
    t_max = np.logspace(1, -2, 6)
    rate = np.linspace(0, 1, 6)[:, None] * np.ones((1, 4))
    fig = rate_figure(np.array([10, 20, 30, 40]), t_max, rate, title="rate", mark_t_max=1.0)
    heat = fig.data[0]
    assert list(heat.y) == sorted(t_max)
    np.testing.assert_allclose(np.asarray(heat.z)[0], rate[-1])
    assert fig.layout.yaxis.type == "log"
    np.testing.assert_allclose(fig.layout.yaxis.range, [-2, 1])
    assert any(s.y0 == 1.0 for s in fig.layout.shapes)
