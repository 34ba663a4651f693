"""Phantoms: seeded ellipses, Shepp-Logan, and image files good and bad."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pytest
import torch
from PIL import Image

from explorer.imaging.phantoms import (MAX_FILE_BYTES, MIN_SIDE, PhantomError, ellipse_batch, load_image,
                               random_ellipses, shepp_logan)


def _encode(array: np.ndarray, fmt: str = "PNG", mode: str | None = None) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array, mode=mode).save(buffer, fmt)
    return buffer.getvalue()


def _png_claiming_size(width: int, height: int) -> bytes:
    """A tiny valid-looking PNG whose header claims width x height pixels: a decompression bomb."""
    data = bytearray(_encode(np.zeros((16, 16), np.uint8)))
    # The IHDR chunk starts at byte 8: length (4), type (4), width (4), height (4), ..., CRC.
    data[16:24] = struct.pack(">II", width, height)
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))
    return bytes(data)


def _gradient(height: int, width: int) -> np.ndarray:
    return (np.arange(height * width).reshape(height, width) % 256).astype(np.uint8)


# Ellipses and Shepp-Logan.

def test_ellipses_are_deterministic_per_seed() -> None:
    a = random_ellipses(64, torch.Generator().manual_seed(3))
    b = random_ellipses(64, torch.Generator().manual_seed(3))
    c = random_ellipses(64, torch.Generator().manual_seed(4))
    assert torch.equal(a, b) and not torch.equal(a, c)
    assert a.shape == (64, 64) and a.dtype == torch.float32
    assert float(a.min()) >= 0.0 and float(a.max()) == pytest.approx(1.0)


def test_ellipse_batch() -> None:
    batch = ellipse_batch(3, 32, torch.Generator().manual_seed(0))
    assert batch.shape == (3, 1, 32, 32) and batch.dtype == torch.float32
    assert 0.0 <= float(batch.min()) and float(batch.max()) <= 1.0


@pytest.mark.parametrize("n", [32, 64, 101, 256])
def test_shepp_logan(n: int) -> None:
    x = shepp_logan(n)
    assert x.shape == (n, n) and x.dtype == torch.float32
    # Anti-aliased resizing blurs the thin bright skull ring at small n.
    assert float(x.min()) >= 0.0 and 0.7 <= float(x.max()) <= 1.0
    assert float(x[0, 0]) == 0.0  # background outside the head


# Good image files.

def test_grey_png_of_the_right_size_is_taken_as_is() -> None:
    array = _gradient(64, 64)
    image, notes = load_image(_encode(array), 64)
    assert notes == []
    assert image.dtype == torch.float32 and image.shape == (64, 64)
    np.testing.assert_allclose(image.numpy(), array / 255.0, atol=1e-7)


def test_jpeg_colour_non_square_is_converted_with_notes() -> None:
    rgb = np.zeros((60, 90, 3), np.uint8)
    rgb[..., 0] = 200  # red: clearly colour
    image, notes = load_image(_encode(rgb, "JPEG"), 32)
    assert image.shape == (32, 32)
    text = " ".join(notes)
    assert "greyscale" in text and "cropped" in text and "resized" in text


def test_rgba_transparent_becomes_black() -> None:
    rgba = np.full((32, 32, 4), 255, np.uint8)
    rgba[:, :16, 3] = 0  # left half transparent
    image, notes = load_image(_encode(rgba), 32)
    assert any("Transparent" in note for note in notes)
    assert float(image[:, :16].max()) == 0.0 and float(image[:, 16:].min()) == 1.0


def test_sixteen_bit_is_rescaled() -> None:
    array = (1000 + 10 * np.arange(32 * 32).reshape(32, 32)).astype(np.uint16)
    image, notes = load_image(_encode(array), 32)
    assert any("rescaled" in note for note in notes)
    assert float(image.min()) == 0.0 and float(image.max()) == 1.0


@pytest.mark.parametrize(("dtype", "value", "level"), [
    (np.uint8, 255, 1.0), (np.uint8, 0, 0.0), (np.uint8, 128, 128 / 255),
    (np.uint16, 65535, 1.0), (np.uint16, 0, 0.0), (np.uint16, 32768, 32768 / 65535),
])
def test_uniform_images_keep_their_level(dtype, value: int, level: float) -> None:
    # A uniform image has no range to rescale by: all-white must stay 1, not become 0 (all black).
    image, _ = load_image(_encode(np.full((40, 40), value, dtype)), 32)
    assert torch.allclose(image, torch.full((32, 32), level), atol=1e-6)


# Bad files: each gives a PhantomError with one clear sentence, never a Pillow/numpy traceback.

def _bad_files() -> dict[str, tuple[bytes, str]]:
    full = _encode(_gradient(64, 64))
    return {
        "empty": (b"", "empty"),
        "text": (b"this is not an image at all", "not a PNG or JPEG"),
        "gif": (_encode(_gradient(32, 32), "GIF"), "not a PNG or JPEG"),
        "huge file": (b"\x89PNG" + bytes(MAX_FILE_BYTES), "MB"),
        "huge dimensions": (_png_claiming_size(30_000, 30_000), "pixels"),
        "pillow bomb": (_png_claiming_size(60_000, 60_000), "pixels"),
        "one pixel": (_encode(np.zeros((1, 1), np.uint8)), f"at least {MIN_SIDE}"),
        "thin": (_encode(np.zeros((4, 300), np.uint8)), f"at least {MIN_SIDE}"),
        "truncated": (full[: len(full) // 2], "damaged"),
    }


@pytest.mark.parametrize("name", list(_bad_files()))
def test_bad_files_are_rejected_with_a_message(name: str) -> None:
    data, expected = _bad_files()[name]
    with pytest.raises(PhantomError) as caught:
        load_image(data, 64)
    message = str(caught.value)
    assert expected in message
    assert message.endswith(".") and message.count(". ") == 0 and "\n" not in message
    assert isinstance(caught.value, ValueError)
    # No chained Pillow exception reaches the user.
    error = caught.value
    assert error.__cause__ is None and (error.__context__ is None or error.__suppress_context__)
