"""Every operator of the problem catalogue: adjointness, shapes, batching, dtype/device, norm, references."""

from __future__ import annotations

import math

import pytest
import torch

from explorer.problems.fbp import fbp
from explorer.problems.tomography import estimate_norm, limited_angles, uniform_angles
from explorer.imaging.phantoms import shepp_logan
from explorer.problems import PROBLEMS, make_operator, reference
from explorer.problems.operators import GaussianBlur, Inpainting

N = 32
NAMES = sorted(PROBLEMS)


@pytest.fixture(scope="module", params=NAMES)
def named_operator(request):
    return request.param, make_operator(request.param, N)


def _random(shape, seed: int, dtype=torch.float64) -> torch.Tensor:
    return torch.randn(shape, generator=torch.Generator().manual_seed(seed), dtype=dtype)


def _measurement_shape(operator) -> tuple[int, ...]:
    return tuple(operator.A(torch.zeros(1, 1, N, N, dtype=torch.float64)).shape)


def test_adjointness_float64(named_operator):
    """<A x, y> = <x, A^T y> to float64 precision."""
    _, op = named_operator
    x = _random((2, 1, N, N), 0)
    y = _random((2, *_measurement_shape(op)[1:]), 1)
    lhs = (op.A(x) * y).sum()
    rhs = (x * op.A_adjoint(y)).sum()
    assert abs(float(lhs - rhs)) < 1e-10 * abs(float(lhs))


def test_shapes_and_batching(named_operator):
    """A maps (B, 1, n, n) to (B, ...) and A^T back; a batch of 3 equals three single calls."""
    _, op = named_operator
    x = _random((3, 1, N, N), 2)
    ax = op.A(x)
    assert ax.shape[0] == 3
    back = op.A_adjoint(ax)
    assert back.shape == x.shape
    singles_a = torch.cat([op.A(x[i:i + 1]) for i in range(3)])
    singles_t = torch.cat([op.A_adjoint(ax[i:i + 1]) for i in range(3)])
    torch.testing.assert_close(ax, singles_a, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(back, singles_t, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_dtype_and_device_follow_input(named_operator, dtype):
    _, op = named_operator
    x = _random((1, 1, N, N), 3, dtype)
    ax = op.A(x)
    back = op.A_adjoint(ax)
    for out in (ax, back):
        assert out.dtype == dtype and out.device == x.device


def test_no_tensor_on_the_default_device(named_operator):
    """Under a meta default device, CPU inputs still work: nothing is created without an explicit device."""
    _, op = named_operator
    x = _random((2, 1, N, N), 4)
    y = op.A(x)
    with torch.device("meta"):
        ax = op.A(x)
        back = op.A_adjoint(y)
    assert ax.device.type == "cpu" and back.device.type == "cpu"
    torch.testing.assert_close(ax, y)


def test_norm_matches_power_iteration(named_operator):
    _, op = named_operator
    estimate = estimate_norm(op, _random((1, 1, N, N), 5), n_iter=1000, tol=1e-10)
    assert op.norm() == pytest.approx(estimate, rel=0.01)


@pytest.fixture(scope="module")
def smooth_phantom() -> torch.Tensor:
    # Shepp-Logan blurred a little, so that interpolating references have something smooth to work on.
    return GaussianBlur(1.0, N).A(shepp_logan(N).to(torch.float64)[None, None])


def _error(estimate: torch.Tensor, truth: torch.Tensor) -> float:
    return float((estimate - truth).norm() / truth.norm())


def test_reference_has_image_shape_and_beats_back_projection(named_operator, smooth_phantom):
    """The reference reconstruction is no worse than A^T y, and strictly better unless A = I."""
    name, op = named_operator
    y = op.A(smooth_phantom)
    ref = reference(name, op, y)
    assert ref.shape == smooth_phantom.shape and ref.dtype == smooth_phantom.dtype
    ref_error, adjoint_error = _error(ref, smooth_phantom), _error(op.A_adjoint(y), smooth_phantom)
    if name == "denoise":
        assert ref_error == adjoint_error == 0.0
    else:
        assert ref_error < 0.9 * adjoint_error, (ref_error, adjoint_error)


def test_inpainting_reference_beats_zero_filling(smooth_phantom):
    for op in (Inpainting.random_mask(N, 0.3, seed=1), Inpainting.box_mask(N, 8)):
        y = op.A(smooth_phantom)
        filled = reference("inpaint", op, y)
        assert _error(filled, smooth_phantom) < 0.5 * _error(y, smooth_phantom)
        observed = op.mask.bool()
        torch.testing.assert_close(filled[0, 0][observed], smooth_phantom[0, 0][observed])


def test_masks():
    op = Inpainting.random_mask(64, 0.3, seed=7)
    assert op.mask.mean().item() == pytest.approx(0.3, abs=0.05)
    assert torch.equal(op.mask, Inpainting.random_mask(64, 0.3, seed=7).mask)
    box = Inpainting.box_mask(N, 8)
    assert int((box.mask == 0).sum()) == 64 and box.mask[N // 2, N // 2] == 0 and box.mask[0, 0] == 1


def test_wiener_inverts_blur_away_from_edges(smooth_phantom):
    op = make_operator("deblur", N)
    restored = reference("deblur", op, op.A(smooth_phantom))
    inner = (slice(None), slice(None), slice(8, -8), slice(8, -8))
    assert _error(restored[inner], smooth_phantom[inner]) < 0.05


def test_limited_angles():
    torch.testing.assert_close(limited_angles(30, math.pi), uniform_angles(30))
    angles = make_operator("limited-angle", N).angles
    assert angles.numel() == 60 and float(angles.max()) < 2 * math.pi / 3
    with pytest.raises(ValueError):
        limited_angles(10, 4.0)


def test_fbp_reference_weights_each_angle_by_its_step(smooth_phantom):
    """Full-range angles give plain FBP; over [0, theta_max) the weights shrink by theta_max / pi."""
    full = make_operator("ct", N)
    y = full.A(smooth_phantom)
    torch.testing.assert_close(reference("ct", full, y), fbp(full, y))
    wedge = make_operator("limited-angle", N)
    y = wedge.A(smooth_phantom)
    torch.testing.assert_close(reference("limited-angle", wedge, y), fbp(wedge, y) * (2 / 3))


def test_catalogue_rejects_unknown_names_and_parameters():
    with pytest.raises(ValueError, match="unknown problem"):
        make_operator("mri", N)
    with pytest.raises(TypeError, match="sigma"):
        make_operator("inpaint", N, sigma=2.0)
    assert make_operator("sparse-ct", N).n_angles == 15
    assert make_operator("superres", N, factor=4).norm() == 0.25
