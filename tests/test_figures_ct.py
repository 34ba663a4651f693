"""The CT page's diagnostics figure: one panel per record, its marker and reference lines on the right axes."""

from __future__ import annotations

import numpy as np
import pytest

from explorer.core.registry import METHODS
from explorer.figures.ct import HISTORY_PANELS, comparison_figure, history_figure
from explorer.figures.images import GAP, LABEL_CHARS, image_grid_figure, row_label_lines


def _records(iterations: int = 12, starts: int = 3) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    return {name: rng.uniform(0.1, 1.0, (iterations + 1, starts)) for name, _, _ in HISTORY_PANELS}


def test_the_marker_and_the_references_sit_on_their_own_panels() -> None:
    fig = history_figure(_records(), ["a", "b", "c"], mark=7, references={"psnr": {"FBP": 0.4, "TV": 0.6}})
    panels = len(HISTORY_PANELS)
    assert len(fig.data) == panels * 3 and [t.name for t in fig.data[:3]] == ["a", "b", "c"]
    marks = [s for s in fig.layout.shapes if s.x0 == 7 and s.x1 == 7]
    assert sorted(s.xref for s in marks) == sorted(["x"] + [f"x{i}" for i in range(2, panels + 1)])
    assert all(s.yref == f"y{s.xref[1:]} domain" for s in marks)
    psnr_axis = [i for i, p in enumerate(HISTORY_PANELS) if p[0] == "psnr"][0] + 1
    psnr_y = "y" if psnr_axis == 1 else f"y{psnr_axis}"
    refs = [s for s in fig.layout.shapes if s.yref == psnr_y]
    assert sorted(s.y0 for s in refs) == [0.4, 0.6]
    labels = {a.text: a.y for a in fig.layout.annotations if a.yref == psnr_y}
    assert labels == {"FBP": 0.4, "TV": 0.6}
    # The panel titles are still there beside the reference labels.
    assert {p[1] for p in HISTORY_PANELS} <= {a.text for a in fig.layout.annotations}


def test_no_marker_without_a_mark_and_non_finite_references_are_left_out() -> None:
    fig = history_figure(_records(), ["a"], references={"psnr": {"FBP": float("nan")}})
    assert len(fig.layout.shapes) == 0


def test_an_image_grid_is_one_strip_per_row_with_its_titles_and_colour_scales() -> None:
    rng = np.random.default_rng(1)
    images = rng.random((2, 3, 8, 8))
    fig = image_grid_figure(images, ["a", "b", "c"], row_labels=["x_k", "error"], zranges=[(0, 1), (0, 0.5)],
                            colorscales=["gray", "inferno"])
    assert len(fig.data) == 2  # one heatmap per row, whatever the number of images
    width = 3 * 8 + 2 * GAP
    for r, trace in enumerate(fig.data):
        z = np.asarray(trace.z)
        assert z.dtype == np.float32 and z.shape == (8, width)  # float32: a typed array half the bytes
        for c in range(3):
            np.testing.assert_allclose(z[:, c * (8 + GAP): c * (8 + GAP) + 8], images[r, c], rtol=1e-6)
        assert np.isnan(z[:, 8:8 + GAP]).all()
    assert fig.data[1].zmax == 0.5
    # Column titles over the first row, centred on their images.
    titles = {a.text: a.x for a in fig.layout.annotations if not a.xref.endswith("domain")}
    assert titles == {"a": 3.5, "b": 3.5 + 8 + GAP, "c": 3.5 + 2 * (8 + GAP)}
    # Each row is labelled left of its images, and its own colour bar (no title) spans its row.
    labels = {a.text: (a.xref, a.yref, a.x, a.xanchor) for a in fig.layout.annotations if a.xref.endswith("domain")}
    assert labels == {"x_k": ("x domain", "y domain", 0, "right"), "error": ("x2 domain", "y2 domain", 0, "right")}
    for trace, axis in zip(fig.data, (fig.layout.yaxis, fig.layout.yaxis2)):
        bottom, top = axis.domain
        assert trace.showscale and trace.colorbar.title.text is None
        assert (trace.colorbar.y, trace.colorbar.len) == pytest.approx(((top + bottom) / 2, top - bottom))
    assert '"dtype":"f4"' in fig.to_json().replace(" ", "")


def test_a_title_per_image_and_blank_cells() -> None:
    images = np.full((2, 2, 4, 4), 0.5)
    images[1, 1] = np.nan  # tile() leaves cells after the last image blank
    fig = image_grid_figure(images, ["p", "q", "r", "s"])
    assert sorted(a.text for a in fig.layout.annotations) == ["p", "q", "r", "s"]
    assert sorted(a.yref for a in fig.layout.annotations) == ["y domain", "y domain", "y2 domain", "y2 domain"]
    assert np.isnan(np.asarray(fig.data[1].z)[:, 4 + GAP:]).all()


def test_colour_scales_never_name_streamlits_placeholder_colours() -> None:
    """Streamlit swaps #000001-#00000a for its palette in the browser; inferno begins at #000004 (black)."""
    from streamlit.elements.lib import streamlit_plotly_theme as theme

    placeholders = {value.lower() for name, value in vars(theme).items()
                    if name.startswith("CATEGORY_") and isinstance(value, str)}
    assert "#000004" in placeholders
    fig = image_grid_figure(np.zeros((2, 2, 4, 4)), ["a", "b"], colorscales=["gray", "inferno"])
    for trace in fig.data:
        colours = [str(colour).lower() for _, colour in trace.colorscale]
        assert not placeholders & set(colours) and all(c.startswith("rgb(") for c in colours)
    assert list(fig.data[1].colorscale[0]) == [0.0, "rgb(0, 0, 4)"]  # still inferno's black


def test_long_row_labels_wrap_and_widen_the_left_margin() -> None:
    assert row_label_lines("Gradient descent on f (baseline)") == ["Gradient descent", "on f (baseline)"]
    assert row_label_lines("x_k") == ["x_k"] and row_label_lines("") == [""]
    assert all(len(line) <= LABEL_CHARS for line in row_label_lines("GNC flow (Algorithm 1)"))
    short = image_grid_figure(np.zeros((2, 1, 4, 4)), ["a"], row_labels=["x", "y"])
    long = image_grid_figure(np.zeros((2, 1, 4, 4)), ["a"], row_labels=["x", "Gradient descent on f"])
    plain = image_grid_figure(np.zeros((2, 1, 4, 4)), ["a"])
    assert plain.layout.margin.l < short.layout.margin.l < long.layout.margin.l
    assert "Gradient descent<br>on f" in {a.text for a in long.layout.annotations}


def test_the_comparison_labels_each_row_with_its_method_and_shares_one_colour_bar() -> None:
    rng = np.random.default_rng(2)
    finals = {"gnc": rng.random((3, 8, 8)), "gd": rng.random((3, 8, 8))}
    fig = comparison_figure(finals, ("gnc", "gd"), ["zeros", "FBP", "noise"])
    labels = [a.text for a in fig.layout.annotations if a.xref.endswith("domain")]
    assert labels == ["<br>".join(row_label_lines(METHODS[m].label)) for m in ("gnc", "gd")]
    assert [a.text for a in fig.layout.annotations if not a.xref.endswith("domain")] == ["zeros", "FBP", "noise"]
    # Both rows are final images on [0, 1] in grey: one colour bar for the grid.
    assert [bool(t.showscale) for t in fig.data] == [True, False]
    assert all((t.zmin, t.zmax) == (0.0, 1.0) for t in fig.data)
    np.testing.assert_allclose(np.asarray(fig.data[1].z)[:, :8], finals["gd"][0], rtol=1e-6)
    assert "GNC" not in fig.layout.title.text  # the rows say which is which, not the title
