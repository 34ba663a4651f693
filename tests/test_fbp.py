"""FBP reconstructs Shepp-Logan well and agrees with scikit-image's iradon."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from skimage.transform import iradon, radon

from explorer.problems.fbp import FILTERS, fbp, filter_response
from explorer.imaging.metrics import psnr
from explorer.imaging.phantoms import shepp_logan
from explorer.problems.tomography import parallel_beam

N, ANGLES = 128, 180


@pytest.fixture(scope="module")
def phantom() -> torch.Tensor:
    return shepp_logan(N)


@pytest.fixture(scope="module")
def sinogram(phantom: torch.Tensor) -> torch.Tensor:
    return parallel_beam(N, ANGLES).A(phantom[None, None])


def _inside_circle(n: int) -> np.ndarray:
    # iradon(circle=True) reconstructs only the inscribed disc.
    coords = np.arange(n) - (n - 1) / 2
    return np.hypot(coords[:, None], coords[None, :]) < n / 2 - 1


def test_fbp_of_shepp_logan(phantom: torch.Tensor, sinogram: torch.Tensor) -> None:
    x = fbp(parallel_beam(N, ANGLES), sinogram, "ramp")
    assert x.shape == (1, 1, N, N) and x.dtype == torch.float32
    assert psnr(x, phantom)[0] > 29.0
    # Mass is conserved: the ramp keeps the mean.
    assert float(x.mean()) == pytest.approx(float(phantom.mean()), rel=1e-3)


@pytest.mark.parametrize("filter_name", FILTERS)
def test_fbp_close_to_iradon(filter_name: str, phantom: torch.Tensor,
                             sinogram: torch.Tensor) -> None:
    truth = phantom.numpy().astype(np.float64)
    theta = np.arange(ANGLES) * 180.0 / ANGLES
    reference = iradon(radon(truth, theta, circle=True), theta, filter_name=filter_name,
                       circle=True)
    ours = fbp(parallel_beam(N, ANGLES), sinogram, filter_name)[0, 0].numpy()
    mask = _inside_circle(N)
    assert np.corrcoef(ours[mask], reference[mask])[0, 1] > 0.995
    assert psnr(ours, truth)[0] > psnr(reference, truth)[0] - 0.5


def test_ramp_response() -> None:
    response = filter_response(91, "ramp")
    f = torch.fft.rfftfreq(2 * (response.numel() - 1), dtype=torch.float64)
    assert abs(float(response[0])) < 1e-3  # no DC: FBP of a constant sinogram is not a constant
    low = f < 0.25
    torch.testing.assert_close(response[low], f[low], rtol=0.05, atol=2e-3)


def test_windows_damp_high_frequencies() -> None:
    ramp = filter_response(64, "ramp")
    for name in ("shepp-logan", "cosine", "hann"):
        windowed = filter_response(64, name)
        assert torch.all(windowed <= ramp + 1e-12)
        assert windowed[-1] < 0.7 * ramp[-1]


def test_unknown_filter() -> None:
    with pytest.raises(ValueError, match="ramp"):
        filter_response(64, "butterworth")
