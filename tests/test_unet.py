"""The energy U-Net: the score it reports is minus the gradient of its energy; shapes and batching."""

import pytest
import torch

from explorer.core.interfaces import Prior
from explorer.priors.unet import EnergyUNet, NetworkPrior


@pytest.fixture(scope="module")
def model() -> EnergyUNet:
    torch.manual_seed(0)  # parameter init only; the library itself never seeds globally
    net = EnergyUNet((4, 8, 16)).eval()
    for p in net.parameters():
        p.requires_grad_(False)
    return net


def test_is_a_prior(model):
    assert isinstance(NetworkPrior(model), Prior)


def test_shapes_and_dtypes(model):
    prior = NetworkPrior(model)
    x = torch.rand(3, 1, 16, 16, dtype=torch.float64)
    t = torch.tensor([1e-3, 0.5, 1.0], dtype=torch.float64)
    energy, grad = prior.energy_and_grad(x, t)
    assert energy.shape == (3,) and grad.shape == x.shape
    assert energy.dtype == torch.float64 and grad.dtype == torch.float64
    assert prior.score(x, t).shape == x.shape
    assert torch.isfinite(energy).all() and torch.isfinite(grad).all()


def test_grad_is_minus_score_and_matches_finite_differences(model):
    prior = NetworkPrior(model)
    x = torch.rand(2, 1, 16, 16)
    t = torch.tensor([0.2, 0.7], dtype=torch.float64)
    energy, grad = prior.energy_and_grad(x, t)
    torch.testing.assert_close(prior.score(x, t), -grad)
    direction = torch.randn(x.shape, generator=torch.Generator().manual_seed(1))
    h = 1e-2
    # Central difference of the energy along a direction; the energy is near quadratic, so its
    # error is float32 rounding, well inside the tolerance.
    with torch.no_grad():
        fd = (model(x + h * direction, t) - model(x - h * direction, t)) / (2 * h)
    expected = (grad * direction).flatten(1).sum(1)
    torch.testing.assert_close(fd, expected, rtol=1e-2, atol=1e-2 * float(expected.abs().max()))


def test_works_under_no_grad(model):
    prior = NetworkPrior(model)
    x = torch.rand(1, 1, 16, 16)
    with torch.no_grad():
        energy, grad = prior.energy_and_grad(x, torch.tensor([0.3]))
    assert not energy.requires_grad and not grad.requires_grad
    assert grad.abs().sum() > 0


def test_batch_consistency(model):
    prior = NetworkPrior(model)
    x = torch.rand(4, 1, 16, 16)
    t = torch.tensor([0.01, 0.1, 0.4, 0.9], dtype=torch.float64)
    energy, grad = prior.energy_and_grad(x, t)
    for b in range(4):
        e1, g1 = prior.energy_and_grad(x[b : b + 1], t[b : b + 1])
        torch.testing.assert_close(e1, energy[b : b + 1], rtol=1e-4, atol=1e-4)
        torch.testing.assert_close(g1, grad[b : b + 1], rtol=1e-4, atol=1e-4)


def test_untrained_score_is_near_tweedie_of_skip(model):
    # The preconditioning makes the untrained score at large t close to that of N(0, I).
    prior = NetworkPrior(model)
    x = torch.randn(2, 1, 16, 16)
    score = prior.score(x, torch.tensor([1.0, 1.0]))
    assert torch.allclose(score, -x, atol=0.2)


def test_any_image_side(model):
    prior = NetworkPrior(model)
    x = torch.rand(2, 1, 18, 18)
    energy, grad = prior.energy_and_grad(x, torch.tensor([0.1, 0.2]))
    assert energy.shape == (2,) and grad.shape == x.shape
