"""Figure builders for the 2D toy: landscape with paths, per-iteration diagnostics, basin and rate maps.

Pure functions, data in and plotly figure out. Points are (x1, x2); heatmaps and contours take values with
rows along x2 and columns along x1, as `ToyProblem.landscape` and `analysis.grid_starts` lay them out.
"""

from __future__ import annotations

import base64
import io
import math
from typing import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go
from PIL import Image
from plotly.subplots import make_subplots

from explorer.toy.analysis import MINIMA_NAMES

# Okabe and Ito's colour-blind-safe palette (black left out: the paths cross dark shading), each colour with a
# marker shape of its own on every pass, so 21 starts stay distinct by colour and shape together.
PATH_COLOURS = ("#E69F00", "#56B4E9", "#009E73", "#D55E00", "#0072B2", "#CC79A7", "#F0E442")
PATH_SYMBOLS = ("circle", "square", "diamond")
PATH_DASHES = ("solid", "dash", "dot")  # the lines of the diagnostics, by the same pass
START_GLYPHS = {"circle": "●", "square": "■", "diamond": "◆"}  # the marker shapes as text, for tables
LABEL_COLOURS = ("#d9d9d9", "#2ca02c", "#1f77b4", "#ff7f0e", "#9467bd")  # not converged, x*, local 1..3
_BACKDROP_PX = 320  # side of the landscape image in pixels; the browser smooths it to the chart's size
_MARGIN = dict(l=10, r=10, t=40, b=10)
# The landscape's margins where plotly settles them for the controls and legend below the plot and the axes'
# tick labels (automargins): starting there, the chart draws once when it mounts instead of twice (~70 ms of a
# new visitor's first figure). They still grow where a long legend needs more room.
LANDSCAPE_MARGIN = dict(l=57, r=19, t=40, b=124)
_EPS = 1e-3  # offset of the log-scaled contours, so the minima show as distinct rings
# The landscape and the diagnostics style themselves, for `st.plotly_chart(..., theme=None)`: Streamlit's chart
# theme cost the browser ~0.2 s on the first figure (new visitors on a warm server, README) and painted a white
# frame around the landscape on a dark page. A transparent paper and one mid grey for every label read on light
# and dark pages alike.
NEUTRAL_TEXT = "#808495"
NEUTRAL_GRID = "rgba(128, 132, 149, 0.25)"
# The modebar (shown on hover) too: without the theme plotly gave it an opaque grey box over the chart's title.
SELF_STYLED = dict(template="none", paper_bgcolor="rgba(0,0,0,0)",
                   font=dict(family='"Source Sans", "Source Sans Pro", sans-serif', color=NEUTRAL_TEXT),
                   modebar=dict(bgcolor="rgba(0,0,0,0)", color=NEUTRAL_TEXT, activecolor="#ff4b4b"))


def start_style(i: int) -> tuple[str, str]:
    """Colour and marker shape of start i: shared by every chart and the results table."""
    return PATH_COLOURS[i % len(PATH_COLOURS)], PATH_SYMBOLS[(i // len(PATH_COLOURS)) % len(PATH_SYMBOLS)]


def start_dash(i: int) -> str:
    """Line dash of start i in the diagnostics: changes where the colours start over, as the shape does."""
    return PATH_DASHES[(i // len(PATH_COLOURS)) % len(PATH_DASHES)]


def _equal_aspect(fig: go.Figure, window: tuple[float, float], xaxis: str = "x", yaxis: str = "y") -> None:
    """Square axes over the window: one unit on x1 is one unit on x2 (the panel of `xaxis` and `yaxis`)."""
    fig.layout[xaxis.replace("x", "xaxis")].update(range=list(window), constrain="domain", title_text="x1")
    fig.layout[yaxis.replace("y", "yaxis")].update(range=list(window), scaleanchor=xaxis, scaleratio=1,
                                                    constrain="domain", title_text="x2")


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


def backdrop_source(values: np.ndarray, *, levels: int = 28) -> str:
    """F(., t) as a shaded image with light contour bands: a data URI (WebP) for a plotly layout image.

    Shown as log10(F - min F + 1e-3) so the shallow minima show. An image, not a contour trace: plotly keeps
    layout images while frames animate with redraw=False, and drops heatmaps and contours after the first one.

    Parameters
    ----------
    values : ndarray, shape (G, G)
        values[i, j] = F((xs[j], ys[i]), t) on an evenly spaced grid over the window, rows along x2.
    levels : int
        Number of contour bands.
    """
    values = np.asarray(values, dtype=float)
    z = np.log10(values - np.nanmin(values) + _EPS)
    u = (z - np.nanmin(z)) / max(float(np.nanmax(z) - np.nanmin(z)), 1e-12)
    # Bands are cut after upsampling, so their edges are thin smooth curves rather than grid steps.
    u = np.asarray(Image.fromarray(u[::-1].astype(np.float32), mode="F").resize((_BACKDROP_PX,) * 2, Image.BICUBIC))
    u = np.clip(u, 0.0, 1.0)
    stops = np.array([[0.0, 247, 251, 255], [0.5, 198, 207, 219], [1.0, 74, 85, 104]])  # light at low F
    rgb = np.stack([np.interp(u, stops[:, 0], stops[:, c]) for c in (1, 2, 3)], axis=-1)
    band = np.floor(u * levels)
    edge = np.zeros_like(u, dtype=bool)
    edge[:, 1:] |= band[:, 1:] != band[:, :-1]
    edge[1:, :] |= band[1:, :] != band[:-1, :]
    rgb[edge] = 0.5 * rgb[edge] + 0.5 * 255
    out = io.BytesIO()
    Image.fromarray(rgb.astype(np.uint8)).save(out, format="WEBP", quality=75)
    return "data:image/webp;base64," + base64.b64encode(out.getvalue()).decode()


def _decimated(path: np.ndarray, k: int, most: int) -> np.ndarray:
    """The iterates 0..k of a path, at most about `most` of them (evenly strided), always ending at x_k."""
    stride = max(1, int(np.ceil((k + 1) / most)))
    head = path[: k + 1 : stride]
    return head if (k % stride == 0) else np.concatenate([head, path[k : k + 1]])


def landscape_figure(backdrops: Sequence[str], *, minima: np.ndarray, paths: Sequence[np.ndarray] = (),
                     frame_iters: Sequence[int] = (0,), frame_backdrop: Sequence[int] | None = None,
                     titles: Sequence[str] | None = None, start: int = 0, names: Sequence[str] | None = None,
                     window: tuple[float, float] = (-10.0, 10.0), height: int = 560,
                     frame_ms: int = 60, most_points: int = 150, note: str = "",
                     compare_paths: Sequence[np.ndarray] | None = None,
                     panel_titles: tuple[str, str] = ("", ""), compare_backdrop: Sequence[int] | None = None,
                     emphasis: float = 1.0) -> go.Figure:
    """F(., t) behind the line Ax = y, the minima of f and each start's path, with playback in the browser.

    One plotly frame per entry of `frame_iters`: frame j draws every path up to iteration frame_iters[j]
    (its current iterate marked) over the backdrop `frame_backdrop[j]`. Play / Pause and the slider run
    client-side; the figure opens on frame `start`. With `compare_paths`, a second panel beside the first
    shows another method's paths from the same starts, moved by the same frames (one Play for both).

    Parameters
    ----------
    backdrops : sequence of str
        Images of F(., t) from `backdrop_source`: one for a fixed t, or one per smoothing level shown.
    minima : ndarray, shape (M, 2)
        x* first, then the local minima of f.
    paths : sequence of ndarray, each shape (N + 1, 2)
        Every iterate of each start (NaN after a divergence).
    frame_iters : sequence of int
        The iteration shown by each frame, increasing.
    frame_backdrop : sequence of int, optional
        Index into `backdrops` for each frame (default: the first backdrop throughout).
    titles : sequence of str, optional
        One title per frame.
    start : int
        Index of the frame shown first.
    names : sequence of str, optional
        One label per path.
    frame_ms : int
        Milliseconds per frame of playback.
    most_points : int
        Iterates drawn per travelled path and frame, at most (what a screen can show; bounds the payload).
    note : str
        A warning drawn on the plot in every frame (a start that diverged or left the window); plain text.
    compare_paths : sequence of ndarray, optional
        The second method's paths from the same starts, in the same order (shape as `paths`).
    panel_titles : (str, str)
        What each panel shows, when there are two.
    compare_backdrop : sequence of int, optional
        Index into `backdrops` for each frame of the second panel (default: the first panel's): a method that
        smooths otherwise (plain descent works on f throughout) shows its own landscape.
    emphasis : float
        Factor on type sizes, line widths and markers (presentation mode: read from the back of a room).
    """
    frame_iters = [int(k) for k in frame_iters]
    frame_backdrop = list(frame_backdrop) if frame_backdrop is not None else [0] * len(frame_iters)
    titles = list(titles) if titles is not None else [f"iteration k = {k}" for k in frame_iters]
    start = int(np.clip(start, 0, len(frame_iters) - 1))
    names = list(names) if names is not None else [f"start {i + 1}" for i in range(len(paths))]
    panels = [[np.asarray(p, dtype=np.float32) for p in paths]]
    if compare_paths is not None:
        panels.append([np.asarray(p, dtype=np.float32) for p in compare_paths])
    axes = [("x", "y"), ("x2", "y2")][: len(panels)]
    shown = [frame_backdrop, list(compare_backdrop) if compare_backdrop is not None else frame_backdrop]
    lo, hi = window

    def images(j: int) -> list[dict]:
        """Every backdrop of every panel as a layout image, only frame j's visible."""
        return [dict(source=src, xref=xa, yref=ya, x=lo, y=hi, sizex=hi - lo, sizey=hi - lo, sizing="stretch",
                     layer="below", visible=shown[p][j] == b)
                for p, (xa, ya) in enumerate(axes) for b, src in enumerate(backdrops)]

    def moving(j: int) -> list[dict]:
        """The traces a frame changes: each path travelled so far and its current iterate, panel by panel.

        Plain dicts: plotly validates them once when they join the figure; building a graph object per trace
        and frame (hundreds of them) took most of a rerun's time on the server.
        """
        traces = []
        for panel in panels:
            for i, path in enumerate(panel):
                k = int(np.clip(frame_iters[j], 0, len(path) - 1))
                head = _decimated(path, k, most_points)
                traces.append(dict(type="scatter", x=head[:, 0], y=head[:, 1]))
                traces.append(dict(type="scatter", x=path[k : k + 1, 0], y=path[k : k + 1, 1],
                                   hovertemplate=f"{names[i]}: x_{k} = (%{{x:.3f}}, %{{y:.3f}})<extra></extra>"))
        return traces

    fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.07) if len(panels) == 2 else go.Figure()
    for p, (panel, (xa, ya)) in enumerate(zip(panels, axes)):
        first = p == 0  # the legend names each start once
        line = _solution_line(window).update(xaxis=xa, yaxis=ya, showlegend=first)
        fig.add_trace(line)
        for trace in _minima_traces(minima):
            fig.add_trace(trace.update(xaxis=xa, yaxis=ya, showlegend=first))
        for i, path in enumerate(panel):
            colour, symbol = start_style(i)
            full = _decimated(path, len(path) - 1, 4 * most_points)
            fig.add_trace(go.Scatter(x=full[:, 0], y=full[:, 1], mode="lines", xaxis=xa, yaxis=ya,
                                     line=dict(color=colour, width=1, dash="dot"), opacity=0.5,
                                     legendgroup=names[i], showlegend=False, hoverinfo="skip"))
            fig.add_trace(go.Scatter(x=path[:1, 0], y=path[:1, 1], mode="markers", legendgroup=names[i],
                                     showlegend=False, xaxis=xa, yaxis=ya,
                                     marker=dict(symbol=f"{symbol}-open", size=10, color=colour, line=dict(width=2)),
                                     hovertemplate=f"{names[i]}: x_0 = (%{{x:.3f}}, %{{y:.3f}})<extra></extra>"))
    first_moving = len(fig.data)
    per_panel = 2 * len(panels[0])
    for i, trace in enumerate(moving(start)):
        colour, symbol = start_style((i % per_panel) // 2)
        name = names[(i % per_panel) // 2]
        xa, ya = axes[i // per_panel]
        trace.update(xaxis=xa, yaxis=ya)
        if i % 2 == 0:
            trace.update(mode="lines", name=name, legendgroup=name, line=dict(color=colour, width=2.5),
                         showlegend=i < per_panel, hovertemplate=f"{name}<br>(%{{x:.3f}}, %{{y:.3f}})<extra></extra>")
        else:
            trace.update(mode="markers", legendgroup=name, showlegend=False,
                         marker=dict(symbol=symbol, size=12, color=colour, line=dict(color="white", width=1.5)))
        fig.add_trace(trace)
    moving_indices = list(range(first_moving, len(fig.data)))
    # Following t_k, a frame switches which backdrop is visible (a flag, not the image: the images go to the
    # browser once) and needs a redraw for it; with one backdrop, frames move the paths alone.
    redraw = len(backdrops) > 1
    named = not redraw  # the slider names the iteration where no frame retitles the chart

    def frame(j: int) -> dict:
        """Frame j as a plain dict (validated once with the others, like the traces of `moving`)."""
        out = dict(name=str(frame_iters[j]), data=moving(j), traces=moving_indices)
        if redraw:
            out["layout"] = dict(images=[dict(visible=shown[p][j] == b) for p in range(len(axes))
                                         for b in range(len(backdrops))],
                                 title=dict(text=titles[j]))
        return out

    fig.frames = [frame(j) for j in range(len(frame_iters))]
    play = dict(frame=dict(duration=frame_ms, redraw=redraw), transition=dict(duration=0), fromcurrent=True,
                mode="immediate")
    pause = dict(frame=dict(duration=0, redraw=False), transition=dict(duration=0), mode="immediate")
    fig.update_layout(
        images=images(start),
        title=dict(text=titles[start], x=0.01),
        # Larger type needs more room under the plot for the tick labels and the x1 title above the controls.
        height=height, margin=dict(LANDSCAPE_MARGIN, b=round(LANDSCAPE_MARGIN["b"] * emphasis)),
        uirevision="toy-landscape",
        plot_bgcolor="white", **SELF_STYLED,
        legend=dict(orientation="h", yanchor="top", y=-0.19 * emphasis, x=0),
        updatemenus=[dict(type="buttons", direction="left", x=0.0, y=-0.085 * emphasis, xanchor="left",
                          yanchor="top", pad=dict(t=0, r=6), showactive=False,
                          buttons=[dict(label="Play", method="animate", args=[None, play]),
                                   dict(label="Pause", method="animate", args=[[None], pause])])],
        # A step's value is its iteration (the page reads it). Following t_k every frame retitles the chart with
        # its k, so the steps need no labels and the slider no current-value text: plotly draws and measures a
        # label for each of the 101 steps on every draw (~75 ms of a new visitor's first figure). At a fixed t
        # the frames only move the paths, and the slider's current value names the iteration (labels hidden).
        sliders=[dict(active=start, x=0.28, len=0.72, y=-0.07 * emphasis, yanchor="top",
                      pad=dict(t=0 if named else 24, b=0),
                      currentvalue=dict(prefix="k = ", visible=named, xanchor="right", font=dict(color=NEUTRAL_TEXT)),
                      font=dict(color="rgba(0,0,0,0)"), ticklen=0, minorticklen=0, tickcolor="rgba(0,0,0,0)",
                      steps=[dict(label=str(k) if named else "", value=str(k), method="animate",
                                  args=[[str(k)], dict(frame=dict(duration=0, redraw=redraw),
                                                       transition=dict(duration=0), mode="immediate")])
                             for k in frame_iters])],
    )
    if note:
        fig.add_annotation(text=note, xref="paper", yref="paper", x=0.01, y=0.99, xanchor="left", yanchor="top",
                           showarrow=False, align="left", font=dict(color="#b2182b", size=13),
                           bgcolor="rgba(255,255,255,0.85)", bordercolor="#b2182b", borderwidth=1)
    for xa, ya in axes:
        _equal_aspect(fig, window, xa, ya)
    for p, text in enumerate(panel_titles[: len(axes)] if len(axes) == 2 else ()):
        domain = fig.layout[f"xaxis{p + 1 if p else ''}"].domain
        fig.add_annotation(text=text, xref="paper", yref="paper", x=(domain[0] + domain[1]) / 2, y=1.0,
                           xanchor="center", yanchor="bottom", showarrow=False, font=dict(size=14))
    # Without a theme the tick labels sit on the axes, and the two -10s would meet at the corner; automargin keeps
    # them inside the chart where it is narrow (at 1280 x 720 the y labels were cut off).
    fig.update_xaxes(showgrid=False, zeroline=False, ticklabelstandoff=4, automargin=True)
    fig.update_yaxes(showgrid=False, zeroline=False, ticklabelstandoff=12, automargin=True)
    if emphasis != 1.0:
        fig.update_layout(font_size=round(12 * emphasis))
        for trace in fig.data:
            if trace.line is not None and trace.line.width is not None:
                trace.line.width *= emphasis
            if trace.marker is not None and trace.marker.size is not None:
                trace.marker.size *= emphasis
    return fig


DIAGNOSTICS = (
    ("t", "t_k", False),
    ("step", "step b_k", True),
    ("f", "f(x_k)", False),
    ("grad_norm", "|grad f(x_k)|", True),
    ("cos", "cos(d_k, grad f)", False),
)  # (record name, axis label, log axis)


def diagnostics_figure(records: Mapping[str, np.ndarray], iteration: int, *, names: Sequence[str] | None = None,
                       height: int = 620) -> go.Figure:
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
    # Room between the panels so no axis's tick labels run into the next panel's.
    fig = make_subplots(rows=rows, cols=1, shared_xaxes=True, vertical_spacing=0.06,
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
            colour, _ = start_style(i)
            fig.add_trace(go.Scatter(x=k, y=data[i], mode="lines", name=names[i], legendgroup=names[i],
                                     showlegend=row == 1, line=dict(color=colour, width=1.5, dash=start_dash(i)),
                                     hovertemplate=f"{names[i]}<br>k = %{{x}}<br>{label} = %{{y:.4g}}"
                                                   "<extra></extra>"),
                          row=row, col=1)
        if log:
            # Powers of ten only (the 2 and 5 between them crowd a short panel), and every few of them where the
            # values span many decades (a gradient falling to 1e-16 gave 17 labels on top of each other).
            positive = data[np.isfinite(data) & (data > 0)]
            decades = float(np.log10(positive.max() / positive.min())) if positive.size else 0.0
            fig.update_yaxes(type="log", dtick=max(1, math.ceil(decades / 5)), exponentformat="power", row=row, col=1)
    fig.add_hline(y=0, line=dict(color="grey", width=1, dash="dot"), row=rows, col=1)
    fig.update_yaxes(range=[-1.05, 1.05], row=rows, col=1)
    fig.add_shape(type="line", name="cursor", x0=iteration, x1=iteration, xref="x", yref="paper", y0=0, y1=1,
                  line=dict(color="crimson", width=1.5))
    fig.update_xaxes(title_text="iteration k", row=rows, col=1)
    fig.update_annotations(font_size=12, x=0.0, xanchor="left")
    # Self-styled like the landscape; the empty template leaves margins and grid to us. Fixed margins that fit
    # the short tick labels here (powers of ten, t, f, a cosine) rather than automargins: sizing ten axes'
    # margins from their labels took plotly ~50 ms of a new visitor's first figure.
    fig.update_xaxes(showgrid=False, zeroline=False, automargin=False)
    fig.update_yaxes(tickfont_size=10, gridcolor=NEUTRAL_GRID, zeroline=False, automargin=False)
    fig.update_layout(height=height, margin=dict(_MARGIN, l=44, b=40), uirevision="toy-diagnostics", showlegend=False,
                      plot_bgcolor="rgba(0,0,0,0)", **SELF_STYLED)
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
    ints = np.asarray(labels, dtype=int)
    # Every colour of the scale is named in the legend, with the share of starts it covers (0 % included), so
    # the caption's numbers can be read off the picture.
    ticks = list(range(-1, n - 1))
    ticktext = [f"{names[v + 1]} ({np.mean(ints == v):.0%})" for v in ticks]
    fig = go.Figure(go.Heatmap(
        x=coords, y=coords, z=np.asarray(labels, dtype=float), zmin=-1.5, zmax=n - 1.5, colorscale=scale,
        customdata=np.asarray(names, dtype=object)[np.asarray(labels, dtype=int) + 1], name="basin",
        colorbar=dict(tickvals=ticks, ticktext=ticktext, thickness=12, len=0.9),
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
