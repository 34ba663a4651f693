"""Figure builders for the prior view: noise-and-denoise panels and energy against t."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import torch

from explorer.figures.images import image_grid_figure, tile

_MARGIN = dict(l=10, r=10, t=50, b=10)


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
    return image_grid_figure(tile(images, 3), titles, "Noise a phantom to t, then denoise it", cell_height=300)


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
