"""The model card's figures: a loss curve from a training log and a sample grid beside real phantoms."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from explorer.priors.gaussian import ellipse_gaussian_prior
from explorer.priors.modelcard import image_grid, loss_curve_png, read_loss, samples_png


def test_loss_curve_from_a_training_log(tmp_path):
    log = tmp_path / "loss.csv"
    log.write_text("step,loss,ema_loss,seconds,lr\n" + "".join(
        f"{10 * i},{0.5 / i:.5f},{0.6 / i:.5f},{i:.1f},0.0003\n" for i in range(1, 40)))
    steps, loss, ema = read_loss(log)
    assert steps[0] == 10 and len(loss) == len(ema) == 39
    loss_curve_png(steps, loss, ema, tmp_path / "loss.png")
    image = np.asarray(Image.open(tmp_path / "loss.png").convert("RGB"))
    assert image.shape == (360, 640, 3)
    # Both curves are drawn: blue-ish and orange-ish pixels exist.
    assert ((image[..., 2] > 200) & (image[..., 0] < 140)).any()
    assert ((image[..., 0] > 200) & (image[..., 2] < 60)).any()


def test_an_empty_log_is_refused(tmp_path):
    log = tmp_path / "loss.csv"
    log.write_text("step,loss,ema_loss,seconds,lr\n")
    with pytest.raises(ValueError, match="no rows"):
        read_loss(log)


def test_image_grid_tiles_and_scales():
    images = np.stack([np.full((4, 4), v) for v in (0.0, 0.5, 1.0)])
    grid = np.asarray(image_grid(images, columns=2, scale=2, gap=1))
    assert grid.shape == (2 * 8 + 1, 2 * 8 + 1)
    assert grid[0, 0] == 0 and grid[0, 9] == 128 and grid[9, 0] == 255


def test_samples_png_draws_samples_above_phantoms(tmp_path):
    samples = samples_png(ellipse_gaussian_prior(16, count=32), 16, tmp_path / "samples.png", count=4, steps=3,
                          sde_steps=5, columns=4)
    assert set(samples) == {"ode", "sde"}
    for drawn in samples.values():
        assert drawn.shape == (4, 16, 16) and np.isfinite(drawn).all()
    # The ODE is deterministic and the SDE injects noise: same seed, different samples.
    assert not np.allclose(samples["ode"], samples["sde"])
    image = Image.open(tmp_path / "samples.png")
    assert image.size == (4 * 32 + 3 * 2, 3 * (32 + 16))
