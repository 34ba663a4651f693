"""A grid of images on fixed colour ranges: the one image-grid builder of the explorer (data in, plotly figure out)."""

from __future__ import annotations

import math
import textwrap
from typing import Sequence

import numpy as np
import plotly.colors as pcolors
import plotly.graph_objects as go
import torch
from plotly.subplots import make_subplots

from explorer.imaging.arrays import as_images


def tile(images: torch.Tensor | np.ndarray, columns: int) -> np.ndarray:
    """A stack of B images, shape (B, H, W) or (B, 1, H, W), laid out in rows of `columns`: (R, C, H, W).

    Cells after the last image are NaN, which the grid leaves blank.
    """
    stack = as_images(images)
    cols = max(1, min(columns, stack.shape[0]))
    rows = math.ceil(stack.shape[0] / cols)
    grid = np.full((rows * cols, *stack.shape[1:]), np.nan)
    grid[: stack.shape[0]] = stack
    return grid.reshape(rows, cols, *stack.shape[1:])


GAP = 2  # blank pixels between the images of a row
LABEL_CHARS = 16  # row labels wrap to lines of at most this many characters
LABEL_FONT = 13  # font size (px) of column titles and row labels
CHAR_WIDTH = 7.5  # a generous width (px) of one character at LABEL_FONT, to size the margin of the row labels


def row_label_lines(label: str) -> list[str]:
    """A row label broken at spaces into lines of at most LABEL_CHARS characters (a longer word keeps its line)."""
    return textwrap.wrap(label, LABEL_CHARS, break_long_words=False) or [""]


def explicit_colorscale(name: str) -> list[list]:
    """A named plotly colour scale as explicit "rgb(r, g, b)" stops.

    Streamlit's plotly theme marks its category colours with the hex codes #000001 ... #00000a and swaps them for
    its own palette in the browser, so a scale that names one of them (inferno and magma begin at #000004) would
    show pink where it should be black. rgb() strings are left alone.
    """
    scale = []
    for stop, colour in pcolors.get_colorscale(name):
        if colour.startswith("#"):
            colour = "rgb({}, {}, {})".format(*pcolors.hex_to_rgb(colour))
        scale.append([stop, colour])
    return scale


def image_grid_figure(images: torch.Tensor | np.ndarray, titles: Sequence[str], title: str = "", *,
                      row_labels: Sequence[str] | None = None,
                      zranges: Sequence[tuple[float, float]] | None = None,
                      colorscales: Sequence[str] | None = None, cell_height: int = 190) -> go.Figure:
    """A grid of images, one colour scale per row on a fixed range, square pixels, row 0 of each image on top.

    Each row is one heatmap of its images side by side (GAP blank pixels apart) on one pair of axes: the
    browser lays out and redraws R plots instead of R x C, which is most of a live frame's drawing time.
    Hovering shows the row's label, the pixel's row and its value.

    Parameters
    ----------
    images : tensor or array, shape (R, C, H, W)
        R rows (e.g. iterates, |error| maps) of C images (e.g. one per start); NaN cells stay blank
        (see :func:`tile` for a flat stack).
    titles : sequence of str
        Image titles row by row; give C for column titles over the first row.
    title : str
        Figure title.
    row_labels : sequence of str, optional
        R row names, written left of each row (wrapped to lines of LABEL_CHARS characters); the left margin
        widens to hold them.
    zranges : sequence of (zmin, zmax), optional
        Colour range of each row; default (0, 1) for every row, so images compare by eye.
    colorscales : sequence of str, optional
        Plotly colour scale of each row; default grey.
    cell_height : int
        Pixels per row of images.

    Notes
    -----
    Rows that share their colour range and scale share one colour bar; otherwise each row has its own beside
    it. Colour bars carry no titles: a title on a bar as short as a row ran into the next bar's and past the
    figure's edge, and the row labels say what each row is.
    """
    rows, cols = images.shape[:2]
    images = as_images(images).reshape(rows, cols, *images.shape[-2:])
    height, width = images.shape[-2:]
    zranges = list(zranges or [(0.0, 1.0)] * rows)
    colorscales = list(colorscales or ["gray"] * rows)
    titles = list(titles)[: rows * cols]
    fig = make_subplots(rows=rows, cols=1, vertical_spacing=(0.1 if rows > 1 else 0.0) / max(rows - 1, 1))
    # Which image each column of a row's strip shows (-1: the NaN gap between two images).
    span = cols * width + (cols - 1) * GAP
    owner = np.full(span, -1)
    for c in range(cols):
        owner[c * (width + GAP): c * (width + GAP) + width] = c
    notes = []
    one_bar = len({(tuple(z), scale) for z, scale in zip(zranges, colorscales)}) == 1
    for r in range(rows):
        label = row_labels[r] if row_labels else ""
        axis = "" if r == 0 else str(r + 1)
        if row_labels:
            # Right-aligned just left of the row's images; "x domain" follows the domain that square pixels narrow.
            notes.append(dict(text="<br>".join(row_label_lines(label)), x=0, y=0.5, xref=f"x{axis} domain",
                              yref=f"y{axis} domain", xanchor="right", yanchor="middle", xshift=-6, align="right",
                              showarrow=False, font=dict(size=LABEL_FONT)))
        strip = np.full((height, span), np.nan, dtype=np.float32)
        for c in range(cols):
            strip[:, owner == c] = images[r, c]
            index = r * cols + c if len(titles) > cols else c
            name = titles[index] if index < len(titles) else ""
            if len(titles) > cols or r == 0:
                notes.append(dict(text=name, x=c * (width + GAP) + (width - 1) / 2, y=1, xref=f"x{axis}",
                                  yref=f"y{axis} domain", xanchor="center", yanchor="bottom", showarrow=False,
                                  font=dict(size=LABEL_FONT)))
        bottom, top = fig.layout[f"yaxis{axis}"].domain
        bar = (dict(thickness=10, len=0.8, y=0.5) if one_bar else
               dict(thickness=10, len=top - bottom, y=(top + bottom) / 2, yanchor="middle"))
        fig.add_trace(go.Heatmap(
            # float32 goes to the browser as a typed array, half the bytes of float64 and no loss a viewer sees.
            z=strip, zmin=zranges[r][0], zmax=zranges[r][1], colorscale=explicit_colorscale(colorscales[r]),
            showscale=r == 0 or not one_bar, colorbar=bar,
            hovertemplate=f"{label}<br>row %{{y}}<br>%{{z:.3f}}<extra></extra>",
        ), row=r + 1, col=1)
    fig.update_xaxes(showticklabels=False, showgrid=False, zeroline=False, constrain="domain")
    fig.update_yaxes(showticklabels=False, showgrid=False, zeroline=False, autorange="reversed", constrain="domain")
    for r in range(1, rows + 1):
        # Square pixels against the row's own x axis.
        fig.layout[f"yaxis{'' if r == 1 else r}"].scaleanchor = f"x{'' if r == 1 else r}"
    widest = max((len(line) for label in row_labels or () for line in row_label_lines(label)), default=0)
    left = 10 + (round(widest * CHAR_WIDTH) + 6 if row_labels else 0)
    fig.update_layout(title=title or None, height=cell_height * rows + 60 + 20 * rows,
                      margin=dict(l=left, r=10, t=80, b=10), uirevision=title, annotations=notes)
    return fig
