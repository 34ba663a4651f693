"""Phantoms for CT: random ellipses (seeded), the Shepp-Logan phantom and a user's image file.

Every phantom is a float32 image of shape (n, n) with values in [0, 1]; row 0 is the image's top.
"""

from __future__ import annotations

import io
import math
import warnings

import numpy as np
import torch
from PIL import Image, ImageOps, UnidentifiedImageError
from skimage.data import shepp_logan_phantom
from skimage.transform import resize

# Limits for uploaded files: a few MB is plenty for a phantom, and checking the pixel count before
# decoding stops decompression bombs (small files that expand to gigabytes).
MAX_FILE_BYTES = 20_000_000  # bytes of the encoded file
MAX_PIXELS = 4096 * 4096  # width x height before decoding
MIN_SIDE = 16  # pixels; anything smaller carries no usable structure
FORMATS = ("PNG", "JPEG")  # what Pillow may decode
_DAMAGED = "The image data is damaged or incomplete and cannot be read."
# Full scale of the high-bit-depth modes: a uniform image has no range of its own to rescale by, so its level
# is read against the file's bit depth (Pillow opens 16-bit PNGs as "I;16*" or "I"; "F" holds floats in [0, 1]).
_FULL_SCALE = {"I;16": 65535.0, "I;16B": 65535.0, "I;16L": 65535.0, "I": 65535.0, "F": 1.0}


class PhantomError(ValueError):
    """An image file that cannot be used as a phantom; the message is one sentence for the user."""


def random_ellipses(n: int, generator: torch.Generator, *, mean_count: float = 20.0,
                    intensity_rate: float = 0.4) -> torch.Tensor:
    """One random ellipse phantom of shape (n, n), float32, values in [0, 1].

    The number of ellipses is Poisson(mean_count) (at least one), each ellipse has intensity
    Exp(intensity_rate), semi-axes |U(-0.5, 0.5)| and centre U(-0.5, 0.5)^2 in unit coordinates
    ([-1, 1]^2 is the image), and rotation U(0, 2 pi). The sum is divided by its maximum.

    Parameters
    ----------
    n : int
        Image side in pixels.
    generator : torch.Generator
        Source of randomness; the same seed gives the same phantom.
    """
    count = max(1, int(torch.poisson(torch.tensor([mean_count]), generator=generator).item()))
    u = torch.rand(count, 6, generator=generator, dtype=torch.float64)
    intensity = -torch.log1p(-u[:, 0]) / intensity_rate
    a = (u[:, 1] - 0.5).abs().clamp_min(1e-3)
    b = (u[:, 2] - 0.5).abs().clamp_min(1e-3)
    cx, cy = u[:, 3] - 0.5, u[:, 4] - 0.5
    phi = 2 * math.pi * u[:, 5]
    coords = torch.linspace(-1.0, 1.0, n, dtype=torch.float64)
    yy, xx = torch.meshgrid(coords, coords, indexing="ij")
    dx = xx[None] - cx[:, None, None]
    dy = yy[None] - cy[:, None, None]
    c, s = torch.cos(phi)[:, None, None], torch.sin(phi)[:, None, None]
    u_rot = (c * dx + s * dy) / a[:, None, None]
    v_rot = (-s * dx + c * dy) / b[:, None, None]
    inside = (u_rot**2 + v_rot**2 <= 1.0).to(torch.float64)
    image = (intensity[:, None, None] * inside).sum(0)
    peak = image.max()
    if peak > 0:
        image = image / peak
    return image.to(torch.float32)


def ellipse_batch(batch: int, n: int, generator: torch.Generator) -> torch.Tensor:
    """A batch of random ellipse phantoms, shape (batch, 1, n, n), float32 in [0, 1]."""
    return torch.stack([random_ellipses(n, generator) for _ in range(batch)])[:, None]


def _to_array(image: np.ndarray) -> np.ndarray:
    return np.clip(image, 0.0, 1.0).astype(np.float32)


def _resize(image: np.ndarray, n: int) -> np.ndarray:
    # Anti-aliasing only when shrinking; bilinear interpolation either way.
    return resize(image, (n, n), order=1, anti_aliasing=image.shape[0] > n, preserve_range=True)


def shepp_logan(n: int) -> torch.Tensor:
    """The Shepp-Logan phantom (scikit-image's version), shape (n, n), float32 in [0, 1]."""
    return torch.from_numpy(_to_array(_resize(shepp_logan_phantom(), n)))


def _open(data: bytes, max_bytes: int, max_pixels: int) -> Image.Image:
    """Open and decode untrusted bytes as a PNG or JPEG, raising PhantomError on any problem."""
    if len(data) == 0:
        raise PhantomError("The file is empty.")
    if len(data) > max_bytes:
        raise PhantomError(f"The file has {len(data) / 1e6:.1f} MB; files up to "
                           f"{max_bytes / 1e6:.0f} MB are accepted.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=FORMATS)
    except UnidentifiedImageError:
        raise PhantomError("This file is not a PNG or JPEG image.") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise PhantomError(f"The image has too many pixels; at most {max_pixels:,} are accepted."
                           ) from None
    # A header can be broken in many ways (OSError, SyntaxError, struct and zlib errors).
    except Exception:
        raise PhantomError(_DAMAGED) from None
    width, height = image.size
    if width * height > max_pixels:
        raise PhantomError(f"The image is {width} x {height} pixels; at most {max_pixels:,} pixels "
                           f"are accepted.")
    if min(width, height) < MIN_SIDE:
        raise PhantomError(f"The image is {width} x {height} pixels; it needs at least {MIN_SIDE} "
                           f"pixels on each side.")
    try:
        image.load()
        return ImageOps.exif_transpose(image)
    except Exception:
        raise PhantomError(_DAMAGED) from None


def _is_colour(rgb: Image.Image) -> bool:
    bands = [np.asarray(band) for band in rgb.split()]
    return not (np.array_equal(bands[0], bands[1]) and np.array_equal(bands[1], bands[2]))


def _greyscale(image: Image.Image, notes: list[str]) -> np.ndarray:
    """Values in [0, 1] of one greyscale channel, float64, with each conversion noted."""
    if image.mode in _FULL_SCALE:
        values = np.asarray(image, dtype=np.float64)
        low, high = float(values.min()), float(values.max())
        if high > low:
            notes.append(f"The {image.mode} image was rescaled from [{low:g}, {high:g}] to [0, 1].")
            return (values - low) / (high - low)
        scale = _FULL_SCALE[image.mode]
        level = min(max(low / scale, 0.0), 1.0)
        notes.append(f"The {image.mode} image is uniform; its level {low:g} of {scale:g} became {level:.3g}.")
        return np.full_like(values, level)
    if image.mode in ("1", "L"):
        return np.asarray(image.convert("L"), dtype=np.float64) / 255.0
    rgba = image.convert("RGBA")
    if _is_colour(rgba.convert("RGB")):
        notes.append("The colour image was converted to greyscale.")
    grey = np.asarray(rgba.convert("L"), dtype=np.float64) / 255.0
    alpha = np.asarray(rgba.getchannel("A"), dtype=np.float64) / 255.0
    if alpha.min() < 1.0:
        # Transparent means "nothing there", so it becomes 0 (no attenuation) rather than white.
        notes.append("Transparent areas were set to black (0).")
        grey = grey * alpha
    return grey


def load_image(data: bytes, n: int, *, max_bytes: int = MAX_FILE_BYTES,
               max_pixels: int = MAX_PIXELS) -> tuple[torch.Tensor, list[str]]:
    """A phantom from the bytes of a PNG or JPEG file: greyscale, centre-cropped, resized to n.

    Colour becomes luminance, transparent areas become 0, 16-bit images are rescaled by their
    minimum and maximum (a uniform one is divided by 65535 instead), 8-bit images are divided by 255,
    and a non-square image is cropped to its centre square before resizing.
    Each such conversion is reported in the returned notes.

    Parameters
    ----------
    data : bytes
        The file's contents (untrusted).
    n : int
        Side of the returned image in pixels.
    max_bytes, max_pixels : int
        Largest accepted file size and width x height.

    Returns
    -------
    image : torch.Tensor, shape (n, n), float32 in [0, 1]
    notes : list of str
        One sentence per conversion applied, for the user.

    Raises
    ------
    PhantomError
        Empty, too large, too small, damaged or not a PNG/JPEG; the message says which.
    """
    image = _open(data, max_bytes, max_pixels)
    notes: list[str] = []
    values = _greyscale(image, notes)
    return fit_square(values, n, notes), notes


def fit_square(values: np.ndarray, n: int, notes: list[str]) -> torch.Tensor:
    """An image in [0, 1] cropped to its centre square and resized to n x n, float32; each change is noted."""
    height, width = values.shape
    side = min(height, width)
    if height != width:
        top, left = (height - side) // 2, (width - side) // 2
        values = values[top:top + side, left:left + side]
        notes.append(f"The {width} x {height} image was cropped to its centre {side} x {side}.")
    if side != n:
        values = _resize(values, n)
        notes.append(f"The image was resized from {side} x {side} to {n} x {n} pixels.")
    return torch.from_numpy(_to_array(values))
