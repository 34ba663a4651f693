"""Small PNG renderings of 2D maps with Pillow, so figures can be written headless without a browser."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

from explorer.core.files import atomic_path

# Perceptually ordered ramp (dark blue -> teal -> yellow), sampled at 5 stops and interpolated.
_RAMP = np.array([[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]], dtype=float)


def ramp_colours(values: np.ndarray, vmin: float, vmax: float) -> np.ndarray:
    """Map values to RGB uint8 along the ramp; NaN becomes grey. Shape (..., 3)."""
    u = np.clip((values - vmin) / max(vmax - vmin, 1e-300), 0, 1)
    pos = u * (len(_RAMP) - 1)
    lo = np.floor(pos).astype(int).clip(0, len(_RAMP) - 2)
    frac = (pos - lo)[..., None]
    rgb = _RAMP[lo] * (1 - frac) + _RAMP[lo + 1] * frac
    rgb[~np.isfinite(values)] = 128
    return rgb.astype(np.uint8)


def write_map_png(path: str, rgb: np.ndarray, *, title: str, x_label: str, y_label: str,
                  legend: list[tuple[str, tuple[int, int, int]]] | None = None, width: int = 480) -> None:
    """Write an (H, W, 3) uint8 map as a PNG with a title, axis names and an optional colour legend.

    Row 0 of `rgb` is drawn at the bottom (the y axis points up); cells are scaled up to about `width` pixels.
    """
    sx = max(1, round(width / rgb.shape[1]))
    sy = max(sx, round(width / 2 / rgb.shape[0]))  # few rows (a t_max sweep) still get a readable height
    image = Image.fromarray(np.ascontiguousarray(rgb[::-1])).resize(
        (rgb.shape[1] * sx, min(rgb.shape[0] * sy, 3 * width // 2)), Image.NEAREST)
    margin, legend_h = 60, 22 * (len(legend) if legend else 0)
    probe = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    text_w = int(probe.textlength(title)) + 2 * margin
    canvas = Image.new("RGB", (max(image.width + 2 * margin, text_w), image.height + 2 * margin + legend_h), "white")
    canvas.paste(image, (margin, margin))
    draw = ImageDraw.Draw(canvas)
    draw.text((margin, 12), title, fill="black")
    draw.text((margin, margin + image.height + 6), f"horizontal: {x_label}", fill="black")
    draw.text((margin, margin - 18), f"vertical: {y_label} (up)", fill="black")
    for i, (name, colour) in enumerate(legend or []):
        top = margin + image.height + 26 + 22 * i
        draw.rectangle([margin, top, margin + 14, top + 14], fill=colour)
        draw.text((margin + 20, top + 2), name, fill="black")
    with atomic_path(path) as tmp:
        canvas.save(tmp, format="PNG")
