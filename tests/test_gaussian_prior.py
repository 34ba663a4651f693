"""The analytic Gaussian prior: closed-form score against autograd of log p_t, energy against a dense
covariance, and exact samples against the reverse SDE."""

import math

import pytest
import torch

from explorer.priors.gaussian import GaussianPrior, ellipse_gaussian_prior
from explorer.core.interfaces import Prior
from explorer.imaging.phantoms import ellipse_batch
from explorer.priors.sampling import sample, tweedie_denoise


@pytest.fixture(scope="module")
def prior() -> GaussianPrior:
    return GaussianPrior.fit(ellipse_batch(64, 8, torch.Generator().manual_seed(3)))


def dense_dft(n: int) -> torch.Tensor:
    """Orthonormal 2D DFT matrix acting on row-major flattened n x n images."""
    k = torch.arange(n, dtype=torch.float64)
    f1 = torch.exp(-2j * math.pi * k[:, None] * k[None] / n) / math.sqrt(n)
    return torch.kron(f1, f1)


def test_is_a_prior(prior):
    assert isinstance(prior, Prior)


@pytest.mark.parametrize("t", [1e-3, 0.05, 0.3, 1.0])
def test_score_is_autograd_of_log_density(prior, t):
    x = torch.randn(3, 1, 8, 8, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    tt = torch.full((3,), t, dtype=torch.float64)
    xg = x.clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(prior.log_density(xg, tt).sum(), xg)
    torch.testing.assert_close(prior.score(x, tt), grad, rtol=1e-9, atol=1e-9)
    energy, grad_e = prior.energy_and_grad(x, tt)
    torch.testing.assert_close(grad_e, -grad, rtol=1e-9, atol=1e-9)
    torch.testing.assert_close(energy, prior.energy(x, tt))


def test_energy_matches_dense_covariance(prior):
    n = prior.n
    f = dense_dft(n)
    cov = (f.conj().T @ torch.diag(prior.spectrum.flatten().to(torch.complex128)) @ f)
    assert cov.imag.abs().max() < 1e-10
    cov = cov.real
    x = torch.rand(4, 1, n, n, generator=torch.Generator().manual_seed(2), dtype=torch.float64)
    t = torch.tensor([1e-3, 0.1, 0.5, 0.9], dtype=torch.float64)
    m, s = prior.sde.m(t), prior.sde.s(t)
    for b in range(4):
        r = x[b].flatten() - m[b] * prior.mean.flatten()
        sigma = m[b] ** 2 * cov + s[b] ** 2 * torch.eye(n * n, dtype=torch.float64)
        expected = 0.5 * r @ torch.linalg.solve(sigma, r)
        torch.testing.assert_close(prior.energy(x[b : b + 1], t[b : b + 1])[0], expected, rtol=1e-8, atol=1e-8)


def test_float32_in_float32_out(prior):
    x = torch.rand(2, 1, 8, 8)
    energy, grad = prior.energy_and_grad(x, torch.tensor([0.2, 0.4]))
    assert energy.shape == (2,) and energy.dtype == torch.float32
    assert grad.shape == x.shape and grad.dtype == torch.float32


@pytest.mark.parametrize("probability_flow", [False, True])
def test_sampler_matches_exact_samples(prior, probability_flow):
    gen = torch.Generator().manual_seed(5)
    exact = prior.sample(400, 1e-3, gen)
    calls = []
    drawn = sample(prior, (400, 1, 8, 8), 300, gen, denoise_last=False, probability_flow=probability_flow,
                   callback=lambda k, n, x: calls.append((k, n, x.shape)))
    assert calls[0] == (1, 300, (400, 1, 8, 8)) and calls[-1][0] == 300 and len(calls) == 300
    # Per-pixel mean and the total variance agree within sampling and discretisation error.
    assert (exact.mean(0) - drawn.mean(0)).abs().max() < 0.08
    assert abs(exact.var(0).sum() / drawn.var(0).sum() - 1) < 0.15


def test_tweedie_is_posterior_mean(prior):
    # For a Gaussian, Tweedie's formula gives the exact posterior mean (a Wiener filter).
    x0 = prior.sample(1, 0.0 + 1e-9, torch.Generator().manual_seed(4))
    t = torch.tensor([0.3], dtype=torch.float64)
    m, s = prior.sde.m(t), prior.sde.s(t)
    x_t = m * x0 + s * torch.randn(x0.shape, generator=torch.Generator().manual_seed(6), dtype=torch.float64)
    coeff = torch.fft.fft2(x_t[0, 0] - m * prior.mean, norm="ortho")
    wiener = prior.mean + torch.fft.ifft2(coeff * m * prior.spectrum / (m**2 * prior.spectrum + s**2),
                                          norm="ortho").real
    torch.testing.assert_close(tweedie_denoise(prior, x_t, t)[0, 0], wiener, rtol=1e-8, atol=1e-8)


def test_fitting_is_fast_and_seeded():
    import time

    start = time.perf_counter()
    a = ellipse_gaussian_prior(32, 128, 7)
    assert time.perf_counter() - start < 10
    b = GaussianPrior.fit(ellipse_batch(128, 32, torch.Generator().manual_seed(7)))
    torch.testing.assert_close(a.spectrum, b.spectrum)


def test_energy_curve_shapes_and_growth(prior):
    from explorer.priors.sampling import energy_curve

    x0 = ellipse_batch(1, 8, torch.Generator().manual_seed(9)).double()
    ts = torch.logspace(-3, 0, 7, dtype=torch.float64)
    clean, noisy = energy_curve(prior, x0, ts, torch.Generator().manual_seed(1))
    assert clean.shape == noisy.shape == (7,)
    # A noised phantom at t has energy about n^2 / 2 (a chi-square in whitened coordinates).
    assert 0.2 * 32 < float(noisy[-1]) < 3 * 32
    # Smoothing lowers the energy of the clean phantom over the small-t range.
    assert (clean[:4] >= clean[1:5]).all()
