"""Figure builders for CT: images and sinograms (data in, plotly figure out)."""

from __future__ import annotations

import numpy as np
import plotly.express as px
import plotly.graph_objects as go
import torch

_MARGIN = dict(l=10, r=10, t=40, b=10)


def _array(x: torch.Tensor | np.ndarray) -> np.ndarray:
    """A 2D float array from (H, W), (1, H, W) or (1, 1, H, W)."""
    if isinstance(x, torch.Tensor):
        x = x.detach().cpu().numpy()
    x = np.asarray(x, dtype=np.float64)
    return x.reshape(x.shape[-2:])


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
    fig = px.imshow(_array(image), zmin=zmin, zmax=zmax, color_continuous_scale="gray",
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
    values = _array(sinogram)
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
