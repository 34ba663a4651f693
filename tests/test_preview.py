"""The Prior page's shipped pictures: the file holds what the page shows, is current, and fails plainly."""

from __future__ import annotations

import io
import zipfile

import numpy as np
import pytest

from explorer.priors import preview as pv
from explorer.priors.gaussian import ellipse_gaussian_prior
from explorer.priors.weights import SHIPPED_WEIGHTS


@pytest.fixture(scope="module")
def shipped() -> pv.Preview:
    return pv.load_preview()


def test_the_shipped_file_is_small_and_holds_the_pictures(shipped):
    assert pv.PREVIEW_FILE.stat().st_size < 300_000
    count, n = shipped.settings.count, 64
    assert shipped.samples.shape == (count, n, n)
    assert shipped.x0.shape == shipped.x_t.shape == shipped.x0_hat.shape == (n, n)
    assert shipped.x0.min() >= 0 and shipped.x0.max() <= 1  # a phantom lives in [0, 1]
    # Samples and Tweedie's estimate overshoot [0, 1] a little, never by much.
    for images in (shipped.samples, shipped.x0_hat):
        assert images.min() > -0.5 and images.max() < 1.5
        assert images.std() > 0.05  # pictures, not a blank
    assert shipped.psnr_denoised > shipped.psnr_noisy + 10  # the denoiser denoises


def test_the_shipped_file_shows_the_shipped_prior(shipped):
    assert pv.is_current(shipped, SHIPPED_WEIGHTS), f"weights changed: remake it with {pv.REGENERATE_COMMAND}"
    assert not pv.is_current(shipped, SHIPPED_WEIGHTS.with_name("missing.safetensors"))


def test_the_noisy_image_is_the_phantom_noised_to_t(shipped):
    from explorer.core.sde import VPSDE

    assert shipped.m == pytest.approx(float(VPSDE().m(shipped.settings.t)))
    assert shipped.s == pytest.approx(float(VPSDE().s(shipped.settings.t)))
    z = (shipped.x_t - shipped.m * shipped.x0) / shipped.s
    assert abs(z.mean()) < 0.1 and z.std() == pytest.approx(1.0, abs=0.1)


def test_make_save_load_round_trip_is_reproducible(tmp_path):
    prior = ellipse_gaussian_prior(16)
    settings = pv.PreviewSettings(count=2, steps=3)
    first = pv.make_preview(prior, settings, "a" * 64, n=16)
    again = pv.make_preview(prior, settings, "a" * 64, n=16)
    np.testing.assert_array_equal(first.samples, again.samples)  # seeded: the same pictures
    np.testing.assert_array_equal(first.x0_hat, again.x0_hat)
    pv.save_preview(first, tmp_path / "p.npz")
    loaded = pv.load_preview(tmp_path / "p.npz")
    assert loaded.settings == settings and loaded.weights_sha256 == "a" * 64
    np.testing.assert_allclose(loaded.samples, first.samples, atol=2e-3)  # float16 on disk


def _rewrite(source, target, **changes) -> None:
    with np.load(source, allow_pickle=False) as archive:
        arrays = {key: archive[key] for key in archive.files}
    arrays.update(changes)
    for key in [k for k, v in changes.items() if v is None]:
        del arrays[key]
    np.savez(target, **arrays)


@pytest.mark.parametrize("damage, message", [
    (lambda path: None, "missing"),
    (lambda path: path.write_bytes(pv.PREVIEW_FILE.read_bytes()[:5000]), "damaged"),
    (lambda path: path.write_bytes(b"not a zip at all"), "damaged"),
    (lambda path: path.mkdir(), "cannot be read"),
    (lambda path: _rewrite(pv.PREVIEW_FILE, path, samples=None), "no samples"),
    (lambda path: _rewrite(pv.PREVIEW_FILE, path, x0=np.zeros((32, 32), np.float16)), "shape"),
    (lambda path: _rewrite(pv.PREVIEW_FILE, path, x0_hat=np.full((64, 64), np.nan, np.float16)), "NaN"),
    (lambda path: _rewrite(pv.PREVIEW_FILE, path, samples=np.zeros((2, 64, 64), object)), "damaged"),
    (lambda path: _rewrite(pv.PREVIEW_FILE, path, settings=np.str_('{"count": 8}')), "settings"),
    (lambda path: _rewrite(pv.PREVIEW_FILE, path, format=np.int64(99)), "format"),
])
def test_a_damaged_file_gives_one_clear_error(tmp_path, damage, message):
    path = tmp_path / "prior64_preview.npz"
    damage(path)
    with pytest.raises(pv.PreviewError, match=message) as error:
        pv.load_preview(path)
    text = str(error.value)
    assert "\n" not in text and pv.REGENERATE_COMMAND in text


def test_a_file_over_the_size_cap_is_refused_before_it_is_read(tmp_path):
    path = tmp_path / "big.npz"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("samples.npy", b"\0" * (pv.MAX_PREVIEW_BYTES + 1))
    with pytest.raises(pv.PreviewError, match="cannot be read"):
        pv.load_preview(path)


def test_a_header_asking_for_gigabytes_is_refused_before_numpy_allocates(tmp_path):
    path = tmp_path / "bomb.npz"
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "<f4", "fortran_order": False, "shape": (10**5, 64, 64)})
    with zipfile.ZipFile(pv.PREVIEW_FILE) as source, zipfile.ZipFile(path, "w") as archive:
        for name in source.namelist():
            archive.writestr(name, header.getvalue() if name == "samples.npy" else source.read(name))
    with pytest.raises(pv.PreviewError, match="claims shape"):
        pv.load_preview(path)


def test_mosaic_enlarges_by_repeating_pixels():
    images = np.array([[[0.0, 1.0], [0.5, 2.0]], [[-1.0, 0.25], [0.0, 0.0]]])
    picture = pv.mosaic(images, columns=2, scale=3, gap=1)
    assert picture.dtype == np.uint8 and picture.shape == (6, 13)
    assert (picture[:3, :3] == 0).all() and (picture[:3, 3:6] == 255).all()  # pixel (0, 1) as a 3 x 3 block
    assert (picture[3:, 3:6] == 255).all()  # 2.0 clipped to white
    assert (picture[:, 6] == 255).all()  # the gap
    assert picture[0, 7] == 0 and picture[0, 10] == 64  # -1 clipped to black; 0.25 -> 64


@pytest.mark.slow  # 8 samples x 200 steps, even of a tiny network: about 2 CPU-minutes
def test_the_command_writes_a_preview_of_the_given_weights(tmp_path, capsys):
    import torch

    from explorer.priors.unet import EnergyUNet
    from explorer.priors.weights import model_config, save_weights

    torch.manual_seed(0)  # parameter init only
    model = EnergyUNet((4, 8))
    sha = save_weights(model.state_dict(), tmp_path / "w.safetensors", model_config(model, 64, 0))
    assert pv.main(["--weights", str(tmp_path / "w.safetensors"), "--out", str(tmp_path / "p.npz")]) == 0
    made = pv.load_preview(tmp_path / "p.npz")
    assert made.weights_sha256 == sha and made.settings == pv.PreviewSettings()
    assert pv.main(["--weights", str(tmp_path / "missing.safetensors"), "--out", str(tmp_path / "q.npz")]) == 2
    assert capsys.readouterr().err.startswith("error: ") and not (tmp_path / "q.npz").exists()
