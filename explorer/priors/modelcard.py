"""Figures for the prior's model card: the training loss curve and a grid of samples beside real phantoms.

    python -m explorer.priors.modelcard assets/training/prior64/loss.csv \\
        explorer/priors/assets/prior64.safetensors assets/card

writes ``loss.png`` (loss and its EMA against the training step, log scale) and ``samples.png`` (16 samples of the
reverse SDE above 16 training-distribution phantoms), headless, with Pillow.
"""

from __future__ import annotations

import argparse
import csv
import math
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageDraw

from explorer.core.files import atomic_path
from explorer.imaging.phantoms import ellipse_batch
from explorer.priors.sampling import sample

_BLUE, _ORANGE, _GREY, _BLACK = (120, 160, 220), (230, 120, 30), (200, 200, 200), (0, 0, 0)


def read_loss(path: str | Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Steps, losses and EMA losses from a training log CSV (columns step, loss, ema_loss, ...)."""
    with open(path, newline="") as fh:
        rows = [r for r in csv.DictReader(fh)]
    if not rows:
        raise ValueError(f"{path} has no rows")
    return tuple(np.array([float(r[k]) for r in rows]) for k in ("step", "loss", "ema_loss"))


def loss_curve_png(steps: np.ndarray, loss: np.ndarray, ema: np.ndarray, out: str | Path, *,
                   width: int = 640, height: int = 360, title: str = "Denoising score matching loss") -> None:
    """Loss (light) and its EMA (dark) against step on a log y axis, with labelled ticks."""
    img = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(img)
    left, right, top, bottom = 60, width - 20, 30, height - 40
    positive = np.concatenate([loss[loss > 0], ema[ema > 0]])
    lo, hi = math.floor(math.log10(positive.min())), math.ceil(math.log10(positive.max()))
    hi = max(hi, lo + 1)
    s0, s1 = float(steps.min()), float(max(steps.max(), steps.min() + 1))

    def xy(s: float, v: float) -> tuple[float, float]:
        x = left + (s - s0) / (s1 - s0) * (right - left)
        y = bottom - (math.log10(max(v, 10.0**lo)) - lo) / (hi - lo) * (bottom - top)
        return x, y

    for e in range(lo, hi + 1):
        _, y = xy(s0, 10.0**e)
        draw.line([(left, y), (right, y)], fill=_GREY)
        draw.text((8, y - 6), f"1e{e}", fill=_BLACK)
    for frac in (0.0, 0.5, 1.0):
        s = s0 + frac * (s1 - s0)
        x, _ = xy(s, 10.0**lo)
        draw.text((x - 12, bottom + 6), f"{s:.0f}", fill=_BLACK)
    for values, colour in ((loss, _BLUE), (ema, _ORANGE)):
        draw.line([xy(s, v) for s, v in zip(steps, values)], fill=colour, width=2)
    draw.rectangle([left, top, right, bottom], outline=_BLACK)
    draw.text((left, 8), title, fill=_BLACK)
    draw.text((right - 200, 8), "loss (blue), EMA (orange)", fill=_BLACK)
    draw.text(((left + right) // 2 - 30, height - 18), "training step", fill=_BLACK)
    _save_png(img, out)


def _save_png(image: Image.Image, out: str | Path) -> None:
    """Save a PNG atomically: a rerun interrupted part-way leaves the previous card's figure."""
    with atomic_path(out) as tmp:
        image.save(tmp, format="PNG")


def image_grid(images: np.ndarray, columns: int, scale: int = 2, gap: int = 2) -> Image.Image:
    """Greyscale images (K, n, n) in [0, 1] tiled in a grid with white gaps, each scaled up by `scale`."""
    k, n, _ = images.shape
    rows = math.ceil(k / columns)
    side = n * scale
    canvas = Image.new("L", (columns * (side + gap) - gap, rows * (side + gap) - gap), 255)
    for i, image in enumerate(np.clip(images, 0, 1)):
        tile = Image.fromarray((image * 255).round().astype(np.uint8)).resize((side, side), Image.NEAREST)
        canvas.paste(tile, ((i % columns) * (side + gap), (i // columns) * (side + gap)))
    return canvas


def samples_png(prior, n: int, out: str | Path, *, count: int = 16, steps: int = 300, sde_steps: int | None = None,
                seed: int = 0, columns: int = 8) -> dict[str, np.ndarray]:
    """Samples of the prior from both samplers, above as many training phantoms, as one PNG.

    Three bands, each labelled: `steps` Euler steps of the probability-flow ODE, `sde_steps` (default:
    `steps`) Euler-Maruyama steps of the reverse SDE (both from the same seed, ending with Tweedie's
    denoiser), and `count` phantoms of the training distribution. The SDE needs more steps than the ODE:
    with a few hundred, its discretisation leaves a fine grain in the background.

    Returns
    -------
    dict
        ``"ode"`` and ``"sde"``: the samples, each of shape (count, n, n), clipped to [0, 1].
    """
    sde_steps = steps if sde_steps is None else sde_steps
    drawn = {}
    for name, flow, k in (("ode", True, steps), ("sde", False, sde_steps)):
        x = sample(prior, (count, 1, n, n), k, torch.Generator().manual_seed(seed), probability_flow=flow)
        drawn[name] = x.clamp(0, 1)[:, 0].numpy()
    real = ellipse_batch(count, n, torch.Generator().manual_seed(seed + 1))[:, 0].numpy()
    bands = [(f"samples of the prior: probability-flow ODE, {steps} Euler steps, seed {seed}", drawn["ode"]),
             (f"samples of the prior: reverse SDE, {sde_steps} Euler-Maruyama steps, seed {seed}", drawn["sde"]),
             ("random ellipse phantoms (the training distribution)", real)]
    grids = [(label, image_grid(images, columns)) for label, images in bands]
    label_height = 16
    width = grids[0][1].width
    canvas = Image.new("L", (width, sum(g.height + label_height for _, g in grids)), 255)
    draw = ImageDraw.Draw(canvas)
    y = 0
    for label, grid in grids:
        draw.text((2, y + 1), label, fill=0)
        canvas.paste(grid, (0, y + label_height))
        y += grid.height + label_height
    _save_png(canvas, out)
    return drawn


def main(argv: list[str] | None = None) -> int:
    from explorer.priors.unet import NetworkPrior
    from explorer.priors.weights import load_model

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("loss_csv", type=Path)
    parser.add_argument("weights", type=Path)
    parser.add_argument("out", type=Path, help="folder for loss.png and samples.png")
    parser.add_argument("--steps", type=int, default=300, help="probability-flow ODE steps (default 300)")
    parser.add_argument("--sde-steps", type=int, default=1000, help="reverse-SDE steps (default 1000)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    loss_curve_png(*read_loss(args.loss_csv), args.out / "loss.png")
    model = load_model(args.weights)
    samples_png(NetworkPrior(model), 64, args.out / "samples.png", steps=args.steps,
                sde_steps=args.sde_steps, seed=args.seed)
    print(f"wrote {args.out / 'loss.png'} and {args.out / 'samples.png'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
