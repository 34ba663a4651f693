"""PSNR and SSIM with data range 1, batched, clipped or not."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from explorer.imaging.metrics import psnr, ssim


def _image(seed: int, shape: tuple[int, ...] = (1, 1, 32, 32)) -> torch.Tensor:
    return torch.rand(shape, generator=torch.Generator().manual_seed(seed))


def test_psnr_matches_its_definition() -> None:
    truth = _image(0)
    estimate = truth + 0.1
    expected = 10 * math.log10(1.0 / 0.01)
    assert psnr(estimate, truth)[0] == pytest.approx(expected, rel=1e-5)
    assert psnr(truth, truth)[0] == math.inf


def test_batched_against_one_truth() -> None:
    truth = _image(1)
    batch = torch.cat([truth, truth + 0.05, truth * 0.5])
    values = psnr(batch, truth[0, 0])
    assert isinstance(values, np.ndarray) and values.shape == (3,)
    assert values[0] == math.inf and values[1] > values[2]
    scores = ssim(batch, truth)
    assert scores.shape == (3,) and scores[0] == pytest.approx(1.0)
    assert np.all(scores[1:] < 1.0)


def test_clip_only_touches_the_estimate() -> None:
    truth = _image(2) * 0.5 + 0.25  # in [0.25, 0.75]
    estimate = truth.clone()
    estimate[..., :4, :] = 1.5  # overshoot that clipping partly removes
    assert psnr(estimate, truth, clip=True)[0] > psnr(estimate, truth)[0]
    assert ssim(estimate, truth, clip=True)[0] >= ssim(estimate, truth)[0]


def test_accepts_numpy_and_values_outside_unit_range() -> None:
    # scikit-image would guess the range from the dtype and reject values outside [-1, 1].
    truth = np.zeros((16, 16))
    estimate = np.full((16, 16), 2.0)
    assert psnr(estimate, truth)[0] == pytest.approx(10 * math.log10(1 / 4.0))
    assert ssim(estimate, truth).shape == (1,)
