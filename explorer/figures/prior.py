"""Figure builders for the prior view: sample grids, noise-and-denoise panels, energy against t."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import torch
from plotly.subplots import make_subplots

_MARGIN = dict(l=10, r=10, t=50, b=10)


def _images(x: torch.Tensor | np.ndarray) -> np.ndarray:
    """Images as a float array (B, H, W) from (B, 1, H, W), (B, H, W) or (H, W)."""
    if isinstance(x, torch.Tensor):
        x = x.detach().cpu().numpy()
    x = np.asarray(x, dtype=np.float64)
    return x.reshape((-1,) + x.shape[-2:])


def image_grid_figure(images: torch.Tensor | np.ndarray, titles: list[str], title: str, *,
                      columns: int = 4, zmin: float = 0.0, zmax: float = 1.0,
                      height_per_row: int = 230) -> go.Figure:
    """Greyscale images side by side on one fixed colour range, row 0 of each image at the top.

    Parameters
    ----------
    images : tensor or array, shape (B, 1, H, W) or (B, H, W)
        Images; values outside [zmin, zmax] saturate, so panels compare by eye.
    titles : list of str
        One title per image, length B.
    title : str
        Figure title.
    columns : int
        Images per row.
    """
    stack = _images(images)
    count = stack.shape[0]
    cols = max(1, min(columns, count))
    rows = -(-count // cols)
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=titles,
                        horizontal_spacing=0.02, vertical_spacing=0.08)
    for i, image in enumerate(stack):
        fig.add_trace(go.Heatmap(z=image, zmin=zmin, zmax=zmax, colorscale="gray",
                                 coloraxis="coloraxis",
                                 hovertemplate="row %{y}, col %{x}: %{z:.3f}<extra></extra>"),
                      row=i // cols + 1, col=i % cols + 1)
    fig.update_xaxes(showticklabels=False, constrain="domain")
    fig.update_yaxes(showticklabels=False, autorange="reversed", scaleanchor="x", constrain="domain")
    for i in range(2, count + 1):
        # Each panel keeps square pixels against its own x axis.
        fig.layout[f"yaxis{i}"].scaleanchor = f"x{i}"
    fig.update_layout(title=title, height=rows * height_per_row + 60, margin=_MARGIN,
                      coloraxis=dict(colorscale="gray", cmin=zmin, cmax=zmax,
                                     colorbar=dict(thickness=10, len=0.8)),
                      uirevision=title)
    return fig


def denoise_figure(x0: torch.Tensor, x_t: torch.Tensor, x0_hat: torch.Tensor, t: float,
                   psnr_noisy: float, psnr_denoised: float) -> go.Figure:
    """Clean phantom, its noised version x_t and Tweedie's estimate of x0, side by side.

    Parameters
    ----------
    x0, x_t, x0_hat : torch.Tensor
        Images of shape (1, 1, n, n). x_t is shown divided by m(t) by the caller if wanted.
    t : float
        Noise level, for the titles.
    psnr_noisy, psnr_denoised : float
        PSNR in dB of the shown x_t and of x0_hat against x0.
    """
    images = torch.cat([x0, x_t, x0_hat]).detach()
    titles = ["phantom x0", f"x_t / m(t), t = {t:.3g} ({psnr_noisy:.1f} dB)",
              f"Tweedie x0_hat ({psnr_denoised:.1f} dB)"]
    return image_grid_figure(images, titles, "Noise a phantom to t, then denoise it", columns=3,
                             height_per_row=300)


def energy_curve_figure(ts: torch.Tensor | np.ndarray, curves: dict[str, torch.Tensor | np.ndarray],
                        title: str = "Energy of a phantom as noise grows") -> go.Figure:
    """Energies against the noise level t, both axes logarithmic.

    Parameters
    ----------
    ts : tensor or array, shape (T,)
        Noise levels, positive.
    curves : dict of str to tensor or array, each shape (T,)
        Named energy curves, e.g. E(x0, t) and E(x_t, t).
    """
    t = np.asarray(ts.detach().cpu() if isinstance(ts, torch.Tensor) else ts, dtype=np.float64)
    fig = go.Figure()
    for name, values in curves.items():
        v = np.asarray(values.detach().cpu() if isinstance(values, torch.Tensor) else values,
                       dtype=np.float64)
        fig.add_trace(go.Scatter(x=t, y=v, mode="lines+markers", name=name,
                                 hovertemplate="t = %{x:.3g}<br>E = %{y:.4g}<extra></extra>"))
    fig.update_xaxes(type="log", title_text="noise level t")
    fig.update_yaxes(type="log", title_text="energy E (up to a constant)")
    fig.update_layout(title=title, height=380, margin=_MARGIN, uirevision=title,
                      legend=dict(orientation="h", yanchor="bottom", y=1.0, x=0))
    return fig
