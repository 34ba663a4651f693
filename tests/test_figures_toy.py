"""Toy figure builders return figures with the expected traces, layout and data."""

from __future__ import annotations

import base64
import io

import numpy as np
import plotly.graph_objects as go
import pytest
from PIL import Image

from explorer.figures.toy import (DIAGNOSTICS, PATH_COLOURS, backdrop_source, basin_figure, diagnostics_figure,
                                  landscape_figure, rate_figure, reach_figure, start_dash, start_style)

MINIMA = np.array([[1.0, 1.0], [1.0142, -1.8494], [6.6719, -0.8377], [-6.6691, 3.6986]])


@pytest.fixture
def landscape() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    xs = np.linspace(-10, 10, 21)
    xx, yy = np.meshgrid(xs, xs)
    return xs, xs, 0.01 * ((xx - 1) ** 2 + (yy - 1) ** 2) + 0.05


def _path(n: int, start: tuple[float, float]) -> np.ndarray:
    s = np.linspace(0.0, 1.0, n + 1)[:, None]
    return (1 - s) * np.array(start) + s * np.array([1.0, 1.0])


def test_backdrop_is_an_image_of_the_log_landscape(landscape) -> None:
    source = backdrop_source(landscape[2])
    assert source.startswith("data:image/webp;base64,")
    image = Image.open(io.BytesIO(base64.b64decode(source.split(",", 1)[1])))
    pixels = np.asarray(image.convert("L"), dtype=float)
    # Light where F is low: the bowl's minimum (1, 1) lies near the middle, the corners are dark.
    centre = pixels[pixels.shape[0] // 2 - 20 : pixels.shape[0] // 2, pixels.shape[1] // 2 : pixels.shape[1] // 2 + 20]
    assert centre.mean() > pixels[:20, :20].mean() + 40
    flat = backdrop_source(np.zeros((21, 21)))  # a constant landscape has no contour to draw and no NaN
    assert flat.startswith("data:image/webp;base64,")


def test_landscape_has_line_minima_paths_and_playback(landscape) -> None:
    paths = [_path(10, (-5, -5)), _path(10, (5, 8))]
    fig = landscape_figure([backdrop_source(landscape[2])], minima=MINIMA, paths=paths, frame_iters=[0, 4, 10],
                           start=1, names=["a", "b"])
    assert isinstance(fig, go.Figure)
    names = [tr.name for tr in fig.data]
    assert "Ax = y" in names and "x*" in names and "local minima of f" in names
    assert "a" in names and "b" in names
    # Three static traces, then two per path (full path, start) and two per path that frames move.
    assert len(fig.data) == 3 + 4 * len(paths)
    travelled = next(tr for tr in fig.data if tr.name == "a")
    assert len(travelled.x) == 5  # iterates 0..4: the figure opens on frame 1
    current = fig.data[3 + 2 * len(paths) + 1]
    np.testing.assert_allclose([current.x[0], current.y[0]], paths[0][4])
    assert [f.name for f in fig.frames] == ["0", "4", "10"]
    assert list(fig.frames[2].traces) == list(range(3 + 2 * len(paths), len(fig.data)))
    np.testing.assert_allclose(fig.frames[2].data[1].x, [paths[0][10][0]], rtol=1e-6)
    assert fig.layout.sliders[0].active == 1 and [s.value for s in fig.layout.sliders[0].steps] == ["0", "4", "10"]
    assert fig.layout.images[0].source.startswith("data:image/") and fig.layout.images[0].layer == "below"
    assert fig.layout.yaxis.scaleanchor == "x"
    assert fig.layout.uirevision


def test_landscape_follows_t_by_switching_backdrops(landscape) -> None:
    sources = [backdrop_source(landscape[2]), backdrop_source(landscape[2] ** 2)]
    fig = landscape_figure(sources, minima=MINIMA, paths=[_path(10, (0, 0))], frame_iters=[0, 5, 10],
                           frame_backdrop=[0, 0, 1], titles=["t0", "t5", "t10"])
    assert [img.visible for img in fig.layout.images] == [True, False]
    last = fig.frames[2].layout
    assert [img.visible for img in last.images] == [False, True] and last.title.text == "t10"
    play = fig.layout.updatemenus[0].buttons[0]
    assert play.args[1]["frame"]["redraw"] is True  # a new backdrop needs a redraw


def test_landscape_line_is_x1_plus_x2_equals_2(landscape) -> None:
    fig = landscape_figure([backdrop_source(landscape[2])], minima=MINIMA)
    line = next(tr for tr in fig.data if tr.name == "Ax = y")
    np.testing.assert_allclose(np.asarray(line.x) + np.asarray(line.y), 2.0)
    assert min(line.x) >= -10 and max(line.x) <= 10 and min(line.y) >= -10 and max(line.y) <= 10


def test_landscape_bounds_what_a_frame_sends_and_takes_nan_paths(landscape) -> None:
    long = _path(5000, (-5, -5))
    long[4000:] = np.nan
    fig = landscape_figure([backdrop_source(landscape[2])], minima=MINIMA, paths=[long],
                           frame_iters=[0, 2500, 5000], start=2, most_points=100)
    assert all(len(frame.data[0].x) <= 101 for frame in fig.frames)
    assert len(fig.data) == 7


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


def test_diagnostics_label_every_few_decades_where_values_span_many() -> None:
    records = _records(1, 200)
    records["grad_norm"] = np.tile(np.logspace(0, -16, 200), (1, 1))  # a gradient falling to 1e-16
    fig = diagnostics_figure(records, 0)
    grad_axis = fig.layout.yaxis4
    assert grad_axis.type == "log" and grad_axis.dtick >= 4  # at most ~5 labels, not 17 on top of each other
    assert fig.layout.yaxis2.dtick == 1  # the step spans one decade: every power of ten


def test_basin_map_has_labels_and_minima() -> None:
    coords = np.linspace(-10, 10, 5)
    labels = np.array([[-1, 0, 1, 2, 3]] * 5)
    fig = basin_figure(coords, labels, MINIMA, title="basin")
    assert type(fig.data[0]).__name__ == "Heatmap"
    np.testing.assert_array_equal(np.asarray(fig.data[0].z), labels)
    assert fig.data[0].customdata[0][0] == "not converged" and fig.data[0].customdata[0][1] == "x*"
    assert {"x*", "local minima of f", "Ax = y"} <= {tr.name for tr in fig.data}
    assert fig.layout.yaxis.scaleanchor == "x"


def test_basin_legend_names_every_colour_with_its_share() -> None:
    coords = np.linspace(-10, 10, 4)
    fig = basin_figure(coords, np.array([[0, 0, 2, -1]] * 4), MINIMA, title="basin")
    bar = fig.data[0].colorbar
    # Five colours in the scale, five named ticks: the absent outcomes too, at 0 %.
    assert list(bar.tickvals) == [-1, 0, 1, 2, 3]
    assert list(bar.ticktext) == ["not converged (25%)", "x* (50%)", "local min 1 (0%)", "local min 2 (25%)",
                                  "local min 3 (0%)"]


def test_every_start_of_twenty_has_its_own_colour_and_shape() -> None:
    styles = {start_style(i) for i in range(20)}
    assert len(styles) == 20
    # Diagnostics lines have no markers: there the pass shows as the dash, so colour and dash tell them apart.
    assert len({(start_style(i)[0], start_dash(i)) for i in range(20)}) == 20
    assert "#000000" not in PATH_COLOURS  # the paths cross dark shading


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


def test_the_iteration_shown_is_named_at_a_fixed_t_and_following_t(landscape) -> None:
    """Following t_k, each frame's title names k (the slider has no labels to draw); at a fixed t the frames do not
    retitle the chart, so the slider's current value names it."""
    paths = [_path(10, (0, 0))]
    fixed = landscape_figure([backdrop_source(landscape[2])], minima=MINIMA, paths=paths, frame_iters=[0, 5, 10])
    slider = fixed.layout.sliders[0]
    assert slider.currentvalue.visible is not False and [s.label for s in slider.steps] == ["0", "5", "10"]
    assert all(frame.layout.title.text is None for frame in fixed.frames)
    sources = [backdrop_source(landscape[2]), backdrop_source(landscape[2] ** 2)]
    following = landscape_figure(sources, minima=MINIMA, paths=paths, frame_iters=[0, 5, 10], frame_backdrop=[0, 0, 1],
                                 titles=["k = 0", "k = 5", "k = 10"])
    slider = following.layout.sliders[0]
    assert slider.currentvalue.visible is False and {s.label for s in slider.steps} == {""}
    assert [frame.layout.title.text for frame in following.frames] == ["k = 0", "k = 5", "k = 10"]
    assert [s.value for s in slider.steps] == ["0", "5", "10"]  # what the page reads, either way
