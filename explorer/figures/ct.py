"""Figure builders for CT: images, sinograms and run diagnostics (data in, plotly figure out)."""

from __future__ import annotations

import math
from typing import Mapping, Sequence

import numpy as np
import plotly.express as px
import plotly.graph_objects as go
import torch
from plotly.subplots import make_subplots

from explorer.core.registry import METHODS
from explorer.figures.images import image_grid_figure
from explorer.imaging.arrays import as_images

_MARGIN = dict(l=10, r=10, t=40, b=10)


def image_figure(image: torch.Tensor | np.ndarray, title: str, *, zmin: float = 0.0,
                 zmax: float = 1.0, height: int = 380) -> go.Figure:
    """A greyscale image on a fixed colour range, square pixels, row 0 at the top.

    Parameters
    ----------
    image : tensor or array, shape (H, W), (1, H, W) or (1, 1, H, W)
        Values shown from ``zmin`` (black) to ``zmax`` (white); values outside are saturated, so
        images on the same range compare by eye.
    title : str
        Figure title.
    """
    fig = px.imshow(as_images(image)[0], zmin=zmin, zmax=zmax, color_continuous_scale="gray",
                    origin="upper", title=title)
    fig.update_xaxes(showticklabels=False)
    fig.update_yaxes(showticklabels=False)
    fig.update_layout(height=height, margin=_MARGIN, uirevision=title,
                      coloraxis_colorbar=dict(thickness=10, len=0.8))
    return fig


def sinogram_figure(sinogram: torch.Tensor | np.ndarray, angles: torch.Tensor | np.ndarray,
                    title: str = "Sinogram y", *, zmin: float | None = None,
                    zmax: float | None = None, height: int = 300) -> go.Figure:
    """A sinogram as a heatmap: projection angle in degrees across, detector position s up.

    Parameters
    ----------
    sinogram : tensor or array, shape (n_angles, n_detectors) (leading 1s allowed)
        Line integrals in pixel units.
    angles : tensor or array, shape (n_angles,)
        Projection angles in radians.
    zmin, zmax : float, optional
        Colour range; by default 0 to the sinogram's maximum.
    """
    values = as_images(sinogram)[0]
    n_detectors = values.shape[1]
    s = np.arange(n_detectors) - (n_detectors - 1) / 2
    degrees = np.degrees(np.asarray(angles, dtype=np.float64))
    fig = go.Figure(go.Heatmap(
        z=values.T, x=degrees, y=s, colorscale="gray",
        zmin=0.0 if zmin is None else zmin,
        zmax=float(values.max()) if zmax is None else zmax,
        colorbar=dict(thickness=10, len=0.8),
        hovertemplate="angle = %{x:.1f}°<br>s = %{y:.1f}<br>y = %{z:.3g}<extra></extra>",
    ))
    fig.update_xaxes(title_text="angle (degrees)")
    fig.update_yaxes(title_text="detector position s (pixels)")
    fig.update_layout(title=title, height=height, margin=_MARGIN, uirevision=title)
    return fig


HISTORY_PANELS = (  # (record, axis title, log y)
    ("psnr", "PSNR (dB)", False),
    ("ssim", "SSIM", False),
    ("t", "smoothing level t_k", True),
    ("step", "step size b_k", True),
    ("f", "f(x_k)", True),
    ("data_fit", "data fit ½||A~x − y~||²", True),
    ("cos", "cos ∠(d_k, ∇f(x_k))", False),
)


def history_figure(records: Mapping[str, np.ndarray], names: Sequence[str], *, mark: int | None = None,
                   references: Mapping[str, Mapping[str, float]] | None = None,
                   height: int = 620) -> go.Figure:
    """Diagnostics against the iteration k, one panel per record, one coloured line per start.

    Parameters
    ----------
    records : mapping of str to np.ndarray, shape (J + 1, K)
        The records named in HISTORY_PANELS (row j: iterate x_j); NaN entries are gaps, bridged for the
        sparse SSIM record; non-positive values are left out of log panels.
    names : sequence of str
        K start labels.
    mark : int, optional
        Iteration to mark with a vertical line (the one shown in the image grid).
    references : mapping, optional
        Horizontal reference lines per record, e.g. {"psnr": {"FBP": 28.1, "TV": 33.6}}.
    """
    panels = [p for p in HISTORY_PANELS if p[0] in records]
    cols = 2
    rows = math.ceil(len(panels) / cols)
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=[p[1] for p in panels],
                        vertical_spacing=0.09, horizontal_spacing=0.08)
    colours = px.colors.qualitative.Plotly
    shapes: list[dict] = []
    notes: list[dict] = []
    for i, (name, _, log) in enumerate(panels):
        r, c = divmod(i, cols)
        values = np.asarray(records[name], dtype=np.float64)
        k = np.arange(values.shape[0])
        for s, label in enumerate(names):
            v = values[:, s]
            if log:
                v = np.where(v > 0, v, np.nan)
            keep = np.isfinite(v)
            fig.add_trace(go.Scatter(
                x=k[keep], y=v[keep], mode="lines+markers" if keep.sum() < 3 else "lines",
                line=dict(color=colours[s % len(colours)], width=1.6), name=label, legendgroup=label,
                showlegend=i == 0, hovertemplate=f"{label}<br>k = %{{x}}<br>%{{y:.4g}}<extra></extra>",
            ), row=r + 1, col=c + 1)
        # Lines and their labels go in as plain layout dicts, all at once: add_hline / add_vline cost ~20 ms each,
        # a third of a playback frame's figure time.
        axis = "" if i == 0 else str(i + 1)
        for ref_name, value in (references or {}).get(name, {}).items():
            if math.isfinite(value):
                shapes.append(dict(type="line", xref=f"x{axis} domain", yref=f"y{axis}", x0=0, x1=1, y0=value,
                                   y1=value, line=dict(color="grey", dash="dot", width=1)))
                notes.append(dict(text=ref_name, xref=f"x{axis} domain", yref=f"y{axis}", x=1, y=value,
                                  xanchor="right", yanchor="top", showarrow=False))
        if log:
            fig.update_yaxes(type="log", row=r + 1, col=c + 1)
        if mark is not None:
            shapes.append(dict(type="line", xref=f"x{axis}", yref=f"y{axis} domain", x0=mark, x1=mark, y0=0, y1=1,
                               line=dict(color="black", width=1, dash="dash")))
    fig.update_layout(shapes=shapes, annotations=[*fig.layout.annotations, *notes])
    fig.update_xaxes(title_text="iteration k", row=rows)
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=70, b=10), uirevision="ct_history",
                      legend=dict(orientation="h", y=1.04, yanchor="bottom", x=0))
    return fig


def comparison_figure(finals: Mapping[str, np.ndarray], methods: Sequence[str], names: Sequence[str]) -> go.Figure:
    """Where each method ends from the same starts: one row per method, named by its label, one column per start.

    Parameters
    ----------
    finals : mapping of str to np.ndarray, shape (K, n, n)
        Each method's final iterates, shown on [0, 1] in grey (one colour bar serves all rows).
    methods : sequence of str
        Keys of explorer.core.registry.METHODS, in the order of the rows.
    names : sequence of str
        K start labels, the column titles.
    """
    images = np.stack([finals[m] for m in methods])
    return image_grid_figure(images, list(names), "Final iterates of each method from the same starts",
                             row_labels=[METHODS[m].label for m in methods], cell_height=max(150, 400 // len(names)))
