"""Relative Gaussian measurement noise: seeded, scaled per measurement, zero level is no noise."""

from __future__ import annotations

import pytest
import torch

from explorer.imaging.noise import add_relative_noise


def _clean() -> torch.Tensor:
    y = torch.rand(2, 1, 60, 91, generator=torch.Generator().manual_seed(0))
    y[1] *= 40.0  # a second measurement on another scale
    return y


def test_same_seed_same_noise() -> None:
    y = _clean()
    a = add_relative_noise(y, 0.05, torch.Generator().manual_seed(1))
    b = add_relative_noise(y, 0.05, torch.Generator().manual_seed(1))
    c = add_relative_noise(y, 0.05, torch.Generator().manual_seed(2))
    assert torch.equal(a, b) and not torch.equal(a, c)
    assert a.shape == y.shape and a.dtype == y.dtype


def test_noise_std_is_level_times_mean_magnitude() -> None:
    y = _clean()
    noisy = add_relative_noise(y, 0.1, torch.Generator().manual_seed(3))
    for i in range(2):
        expected = 0.1 * float(y[i].abs().mean())
        assert float((noisy[i] - y[i]).std()) == pytest.approx(expected, rel=0.05)


def test_zero_level_and_negative_level() -> None:
    y = _clean()
    assert torch.equal(add_relative_noise(y, 0.0, torch.Generator().manual_seed(4)), y)
    with pytest.raises(ValueError):
        add_relative_noise(y, -0.1, torch.Generator())
