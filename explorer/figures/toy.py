"""Figure builders for the 2D toy: landscape with paths, per-iteration diagnostics, basin and rate maps.

Pure functions, data in and plotly figure out. Points are (x1, x2); heatmaps and contours take values with
rows along x2 and columns along x1, as `ToyProblem.landscape` and `analysis.grid_starts` lay them out.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.colors import qualitative
from plotly.subplots import make_subplots

PATH_COLOURS = qualitative.D3  # one colour per start, cycled
MINIMA_NAMES = ("x*", "local min 1", "local min 2", "local min 3")  # order of ToyProblem.find_minima
LABEL_COLOURS = ("#d9d9d9", "#2ca02c", "#1f77b4", "#ff7f0e", "#9467bd")  # not converged, x*, local 1..3
LANDSCAPE_COLOURS = [[0.0, "#f7fbff"], [0.5, "#c6cfdb"], [1.0, "#4a5568"]]  # light at low F: paths stand out
_MARGIN = dict(l=10, r=10, t=40, b=10)
_EPS = 1e-3  # offset of the log-scaled contours, so the minima show as distinct rings


def _equal_aspect(fig: go.Figure, window: tuple[float, float]) -> None:
    """Square axes over the window: one unit on x1 is one unit on x2."""
    fig.update_xaxes(range=list(window), constrain="domain", title_text="x1")
    fig.update_yaxes(range=list(window), scaleanchor="x", scaleratio=1, constrain="domain", title_text="x2")


def _solution_line(window: tuple[float, float]) -> go.Scatter:
    """The solutions of A x = y: the line x1 + x2 = 2, clipped to the window."""
    lo, hi = window
    x1 = np.array([max(lo, 2.0 - hi), min(hi, 2.0 - lo)])
    return go.Scatter(x=x1, y=2.0 - x1, mode="lines", name="Ax = y", line=dict(color="black", dash="dash", width=1.5),
                      hoverinfo="skip")


def _minima_traces(minima: np.ndarray) -> list[go.Scatter]:
    """x* as a star and the local minima of f as crosses."""
    minima = np.asarray(minima, dtype=float)
    text = list(MINIMA_NAMES[: len(minima)])
    return [
        go.Scatter(x=minima[:1, 0], y=minima[:1, 1], mode="markers", name="x*", text=text[:1],
                   marker=dict(symbol="star", size=16, color="gold", line=dict(color="black", width=1)),
                   hovertemplate="%{text}: (%{x:.3f}, %{y:.3f})<extra></extra>"),
        go.Scatter(x=minima[1:, 0], y=minima[1:, 1], mode="markers", name="local minima of f", text=text[1:],
                   marker=dict(symbol="x", size=11, color="white", line=dict(color="black", width=1.5)),
                   hovertemplate="%{text}: (%{x:.3f}, %{y:.3f})<extra></extra>"),
    ]


def landscape_figure(xs: np.ndarray, ys: np.ndarray, values: np.ndarray, *, t: float, minima: np.ndarray,
                     paths: Sequence[np.ndarray] = (), iteration: int = 0, names: Sequence[str] | None = None,
                     window: tuple[float, float] = (-10.0, 10.0), height: int = 560) -> go.Figure:
    """Contours of F(., t), the line Ax = y, the minima of f, and each start's path up to `iteration`.

    Parameters
    ----------
    xs, ys : ndarray, shape (G,)
        Grid coordinates along x1 and x2.
    values : ndarray, shape (G, G)
        values[i, j] = F((xs[j], ys[i]), t). Shown as log10(F - min F + 1e-3) so the shallow minima show.
    t : float
        The smoothing level, for the title.
    minima : ndarray, shape (M, 2)
        x* first, then the local minima of f.
    paths : sequence of ndarray, each shape (N + 1, 2)
        Every iterate of each start (NaN after a divergence).
    iteration : int
        The iterate shown as the current point; the path is drawn solid up to it and faint after.
    names : sequence of str, optional
        One label per path.
    """
    values = np.asarray(values, dtype=float)
    # float32 halves what goes to the browser on every frame of playback, with no visible difference.
    z = np.log10(values - np.nanmin(values) + _EPS).astype(np.float32)
    fig = go.Figure()
    fig.add_trace(go.Contour(
        x=np.asarray(xs), y=np.asarray(ys), z=z, customdata=values.astype(np.float32), name="F(x, t)", ncontours=28,
        colorscale=LANDSCAPE_COLOURS, contours=dict(coloring="heatmap", showlines=True),
        line=dict(width=0.6, color="rgba(255,255,255,0.6)"),
        colorbar=dict(title=dict(text="log10(F - min F + 0.001)", side="right"), thickness=10, len=0.8),
        hovertemplate="x = (%{x:.2f}, %{y:.2f})<br>F = %{customdata:.4g}<extra></extra>",
    ))
    fig.add_trace(_solution_line(window))
    for trace in _minima_traces(minima):
        fig.add_trace(trace)
    names = list(names) if names is not None else [f"start {i + 1}" for i in range(len(paths))]
    for i, path in enumerate(paths):
        path = np.asarray(path, dtype=np.float32)
        k = int(np.clip(iteration, 0, len(path) - 1))
        colour = PATH_COLOURS[i % len(PATH_COLOURS)]
        fig.add_trace(go.Scatter(x=path[:, 0], y=path[:, 1], mode="lines", line=dict(color=colour, width=1, dash="dot"),
                                 opacity=0.45, legendgroup=names[i], showlegend=False, hoverinfo="skip"))
        fig.add_trace(go.Scatter(x=path[: k + 1, 0], y=path[: k + 1, 1], mode="lines", name=names[i],
                                 line=dict(color=colour, width=2.5), legendgroup=names[i],
                                 hovertemplate=f"{names[i]}<br>(%{{x:.3f}}, %{{y:.3f}})<extra></extra>"))
        fig.add_trace(go.Scatter(x=path[:1, 0], y=path[:1, 1], mode="markers", legendgroup=names[i], showlegend=False,
                                 marker=dict(symbol="circle-open", size=10, color=colour, line=dict(width=2)),
                                 hovertemplate=f"{names[i]}: x_0 = (%{{x:.3f}}, %{{y:.3f}})<extra></extra>"))
        fig.add_trace(go.Scatter(x=path[k : k + 1, 0], y=path[k : k + 1, 1], mode="markers", legendgroup=names[i],
                                 showlegend=False,
                                 marker=dict(size=11, color=colour, line=dict(color="white", width=1.5)),
                                 hovertemplate=f"{names[i]}: x_{k} = (%{{x:.3f}}, %{{y:.3f}})<extra></extra>"))
    fig.update_layout(
        title=dict(text=f"F(x, t) at t = {t:.4g}, iteration k = {iteration}", x=0.01),
        height=height, margin=_MARGIN, uirevision="toy-landscape",
        legend=dict(orientation="h", yanchor="top", y=-0.08, x=0),
    )
    _equal_aspect(fig, window)
    return fig


DIAGNOSTICS = (
    ("t", "t_k", False),
    ("step", "step b_k", True),
    ("f", "f(x_k)", False),
    ("grad_norm", "|grad f(x_k)|", True),
    ("cos", "cos(d_k, grad f)", False),
)  # (record name, axis label, log axis)


def diagnostics_figure(records: Mapping[str, np.ndarray], iteration: int, *, names: Sequence[str] | None = None,
                       height: int = 560) -> go.Figure:
    """Per-iteration diagnostics of every start on shared-x subplots, a vertical line at `iteration`.

    Parameters
    ----------
    records : mapping of str to ndarray, shape (B, N)
        The fused backend's records: t, step (0 where no step was taken), f, grad_norm and cos
        (the cosine of the angle between d_k and grad f(x_k); below 0 means a descent direction).
    iteration : int
        The shown iteration k.
    """
    rows = len(DIAGNOSTICS)
    fig = make_subplots(rows=rows, cols=1, shared_xaxes=True, vertical_spacing=0.025,
                        subplot_titles=[label for _, label, _ in DIAGNOSTICS])
    n_starts, n = np.asarray(records["t"]).shape
    names = list(names) if names is not None else [f"start {i + 1}" for i in range(n_starts)]
    k = np.arange(n, dtype=np.int32)
    for row, (key, label, log) in enumerate(DIAGNOSTICS, start=1):
        # float32 halves what goes to the browser; values beyond its range (a diverging run) become inf.
        with np.errstate(over="ignore"):
            data = np.asarray(records[key], dtype=np.float32)
        if log:
            # Zero steps (skipped iterations) and zero gradients have no place on a log axis.
            data = np.where(data > 0, data, np.nan)
        for i in range(n_starts):
            colour = PATH_COLOURS[i % len(PATH_COLOURS)]
            fig.add_trace(go.Scattergl(x=k, y=data[i], mode="lines", name=names[i], legendgroup=names[i],
                                       showlegend=row == 1, line=dict(color=colour, width=1.5),
                                       hovertemplate=f"{names[i]}<br>k = %{{x}}<br>{label} = %{{y:.4g}}"
                                                     "<extra></extra>"),
                          row=row, col=1)
        if log:
            fig.update_yaxes(type="log", nticks=3, exponentformat="power", row=row, col=1)
    fig.add_hline(y=0, line=dict(color="grey", width=1, dash="dot"), row=rows, col=1)
    fig.update_yaxes(range=[-1.05, 1.05], row=rows, col=1)
    fig.add_shape(type="line", x0=iteration, x1=iteration, xref="x", yref="paper", y0=0, y1=1,
                  line=dict(color="crimson", width=1.5))
    fig.update_xaxes(title_text="iteration k", row=rows, col=1)
    fig.update_annotations(font_size=12, x=0.0, xanchor="left")
    fig.update_layout(height=height, margin=_MARGIN, uirevision="toy-diagnostics", showlegend=False)
    return fig


def basin_figure(coords: np.ndarray, labels: np.ndarray, minima: np.ndarray, *, title: str,
                 window: tuple[float, float] = (-10.0, 10.0), height: int = 460) -> go.Figure:
    """Where each start of the grid ends: x*, one of the local minima, or not converged.

    Parameters
    ----------
    coords : ndarray, shape (G,)
        Grid coordinates along both axes.
    labels : ndarray, shape (G, G)
        labels[i, j] for the start (coords[j], coords[i]): 0 is x*, 1..3 the local minima, -1 not converged.
    """
    n = len(LABEL_COLOURS)
    # A stepwise colour scale: each integer label -1..3 gets one flat band.
    scale = []
    for i, colour in enumerate(LABEL_COLOURS):
        scale += [[i / n, colour], [(i + 1) / n, colour]]
    names = ("not converged",) + MINIMA_NAMES
    fig = go.Figure(go.Heatmap(
        x=coords, y=coords, z=np.asarray(labels, dtype=float), zmin=-1.5, zmax=n - 1.5, colorscale=scale,
        customdata=np.asarray(names, dtype=object)[np.asarray(labels, dtype=int) + 1], name="basin",
        colorbar=dict(tickvals=list(range(-1, n - 1)), ticktext=list(names), thickness=12, len=0.9),
        hovertemplate="start (%{x:.2f}, %{y:.2f}) -> %{customdata}<extra></extra>",
    ))
    fig.add_trace(_solution_line(window))
    for trace in _minima_traces(minima):
        fig.add_trace(trace)
    fig.update_layout(title=dict(text=title, x=0.01), height=height, margin=_MARGIN, uirevision="toy-basin",
                      showlegend=False)
    _equal_aspect(fig, window)
    return fig


def reach_figure(coords: np.ndarray, reach_share: np.ndarray, minima: np.ndarray, *, title: str,
                 window: tuple[float, float] = (-10.0, 10.0), height: int = 460) -> go.Figure:
    """Per start, the share of the swept t_max values that bring it within 0.1 of x*.

    Parameters
    ----------
    coords : ndarray, shape (G,)
        Grid coordinates along both axes.
    reach_share : ndarray, shape (G, G)
        Values in [0, 1], laid out as the basin labels.
    """
    fig = go.Figure(go.Heatmap(
        x=coords, y=coords, z=np.asarray(reach_share, dtype=float), zmin=0.0, zmax=1.0, colorscale="Viridis",
        name="reach share", colorbar=dict(title=dict(text="share of t_max", side="right"), thickness=12, len=0.9),
        hovertemplate="start (%{x:.2f}, %{y:.2f}): %{z:.0%} of t_max reach x*<extra></extra>",
    ))
    fig.add_trace(_solution_line(window))
    for trace in _minima_traces(minima):
        fig.add_trace(trace)
    fig.update_layout(title=dict(text=title, x=0.01), height=height, margin=_MARGIN, uirevision="toy-reach",
                      showlegend=False)
    _equal_aspect(fig, window)
    return fig


def rate_figure(iterations: np.ndarray, t_max: np.ndarray, rate: np.ndarray, *, title: str,
                mark_t_max: float | None = None, height: int = 380) -> go.Figure:
    """Share of starts within 0.1 of x* against iteration (x) and t_max (y, log axis).

    Parameters
    ----------
    iterations : ndarray, shape (R,)
        Iteration numbers of the recorded columns.
    t_max : ndarray, shape (T,)
        The swept t_max values (any order).
    rate : ndarray, shape (T, R)
        rate[i, j]: share of starts within 0.1 of x* after iterations[j] iterations with t_max[i].
    mark_t_max : float, optional
        Draw a horizontal line at this t_max (the one of the current run).
    """
    t_max = np.asarray(t_max, dtype=float)
    order = np.argsort(t_max)
    fig = go.Figure(go.Heatmap(
        x=np.asarray(iterations), y=t_max[order], z=np.asarray(rate, dtype=float)[order], zmin=0.0, zmax=1.0,
        colorscale="Viridis", name="rate",
        colorbar=dict(title=dict(text="share within 0.1 of x*", side="right"), thickness=12, len=0.9),
        hovertemplate="k = %{x}<br>t_max = %{y:.4g}<br>%{z:.1%} within 0.1 of x*<extra></extra>",
    ))
    if mark_t_max is not None:
        fig.add_hline(y=mark_t_max, line=dict(color="white", width=1.5, dash="dash"),
                      annotation_text=f"t_max = {mark_t_max:.4g}", annotation_font_color="white")
    # A heatmap on a log axis autoranges past its last row; pin the range to the swept values.
    fig.update_yaxes(type="log", title_text="t_max", range=[np.log10(t_max.min()), np.log10(t_max.max())])
    fig.update_xaxes(title_text="iteration k")
    fig.update_layout(title=dict(text=title, x=0.01), height=height, margin=_MARGIN, uirevision="toy-rate")
    return fig
