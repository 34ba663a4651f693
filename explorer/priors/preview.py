"""Pictures of the shipped prior computed ahead of time, so that the Prior page opens on them at once.

Drawing samples live takes about 13 s on a 2-core CPU; the page instead shows a small shipped file,
explorer/priors/assets/prior64_preview.npz, made by

    python -m explorer.priors.preview [--weights FILE] [--out FILE]

from the shipped weights (about 5 minutes of CPU time). It holds `PreviewSettings().count` samples of the
prior (the probability-flow ODE from t = 1 to 1e-3, then Tweedie's step) and one denoising example: an
ellipse phantom x0, its noised version x_t = m(t) x0 + s(t) z and Tweedie's estimate x0_hat of x0 from x_t.
Every random draw is named by a seed of `PreviewSettings`, so a rerun with the same weights writes the same
pictures (to float rounding, which may differ with the CPU and its thread count). Images are stored as
float16: 64 x 64 pixels in [0, 1] need no more, and the file stays near 80 KB. Rerun it whenever the shipped
weights change; a test compares the SHA-256 of the weights recorded in the file with the shipped sidecar's.

The file is a NumPy .npz read with ``allow_pickle=False``: arrays, numbers and strings only, never objects.
"""

from __future__ import annotations

import argparse
import io
import json
import math
import os
import sys
from dataclasses import asdict, dataclass, fields
from importlib import resources
from pathlib import Path

import numpy as np
import torch

from explorer.core.files import atomic_path, one_line, read_regular_file
from explorer.core.sde import VPSDE
from explorer.imaging.metrics import psnr
from explorer.imaging.phantoms import random_ellipses
from explorer.priors import catalog, weights
from explorer.priors.sampling import noise_and_denoise, sample

# Package data beside the shipped weights, so an installed wheel opens the page on it too.
PREVIEW_FILE = Path(str(resources.files("explorer.priors") / "assets" / "prior64_preview.npz"))
REGENERATE_COMMAND = "python -m explorer.priors.preview"
FORMAT = 1  # version of the file's layout, bumped when the arrays it holds change
MAX_PREVIEW_BYTES = 2 * 1024 * 1024  # the shipped file is about 80 KB
MAX_ARRAY_BYTES = 8 * 1024 * 1024  # one array unpacked: 64 samples of 256 x 256 float32 would fill half of it
MAX_SAMPLES = 64
SIDES = (8, 256)  # smallest and largest image side a file may hold
VP_SDE = VPSDE()  # the SDE of the CT priors, unless a network's sidecar names another
_KEYS = ("format", "samples", "x0", "x_t", "x0_hat", "m", "s", "settings", "weights_sha256")


class PreviewError(RuntimeError):
    """The preview file is missing or unusable; the message is one line and names the command that remakes it."""


@dataclass(frozen=True)
class PreviewSettings:
    """What the preview shows; every random draw is named by a seed, so a rerun draws the same pictures."""

    count: int = 8  # samples drawn
    steps: int = 200  # Euler steps of the probability-flow ODE from t = 1 to 1e-3 (the page's default is 100)
    seed: int = 0  # names the sampler's starting noise
    phantom_seed: int = 0  # names the ellipse phantom (as on the page's denoising tab by default)
    t: float = 0.1  # smoothing level of the denoising example (the page's default)
    noise_seed: int = 0  # names the noise z of x_t


@dataclass(frozen=True)
class Preview:
    """Samples of a prior and one denoising example, images as float32 arrays of side n."""

    samples: np.ndarray  # (count, n, n)
    x0: np.ndarray  # (n, n) the clean phantom
    x_t: np.ndarray  # (n, n) m(t) x0 + s(t) z
    x0_hat: np.ndarray  # (n, n) Tweedie's estimate of x0 from x_t
    m: float  # m(t) of the denoising example
    s: float  # s(t) of the denoising example
    settings: PreviewSettings
    weights_sha256: str  # SHA-256 of the weights file the pictures were made with

    @property
    def shown_noisy(self) -> np.ndarray:
        """x_t / m(t): the noisy image on the scale of x0, as the page shows it."""
        return self.x_t / self.m

    @property
    def psnr_noisy(self) -> float:
        """PSNR in dB of x_t / m(t) against x0 (data range 1, not clipped)."""
        return float(psnr(self.shown_noisy, self.x0)[0])

    @property
    def psnr_denoised(self) -> float:
        """PSNR in dB of x0_hat against x0 (data range 1, not clipped)."""
        return float(psnr(self.x0_hat, self.x0)[0])


def make_preview(prior, settings: PreviewSettings = PreviewSettings(), weights_sha256: str = "",
                 n: int = 64, sde=VP_SDE) -> Preview:
    """Draw the preview's samples and denoising example from `prior` (see `PreviewSettings`).

    Parameters
    ----------
    prior : Prior
        Gives score(x, t) for images of shape (B, 1, n, n).
    settings : PreviewSettings
        Counts, steps, seeds and the smoothing level t.
    weights_sha256 : str
        SHA-256 of the prior's weights file, recorded so that a stale preview can be told apart.
    n : int
        Image side in pixels.
    sde : object with m(t) and s(t)
        The forward SDE the prior was trained with.
    """
    with torch.no_grad():
        samples = sample(prior, (settings.count, 1, n, n), settings.steps,
                         torch.Generator().manual_seed(settings.seed), sde=sde, probability_flow=True)
        x0 = random_ellipses(n, torch.Generator().manual_seed(settings.phantom_seed))[None, None]
        x_t, x0_hat = noise_and_denoise(prior, x0, settings.t, torch.Generator().manual_seed(settings.noise_seed),
                                        sde)
    t = torch.tensor(settings.t, dtype=torch.float64)

    def image(x: torch.Tensor) -> np.ndarray:
        return x.detach().cpu().numpy().astype(np.float32).reshape(-1, n, n)

    return Preview(image(samples), image(x0)[0], image(x_t)[0], image(x0_hat)[0], float(sde.m(t)),
                   float(sde.s(t)), settings, weights_sha256)


def save_preview(preview: Preview, path: str | os.PathLike = PREVIEW_FILE) -> None:
    """Write `preview` as a compressed .npz atomically (a temporary file beside `path`, then a rename)."""
    arrays = {name: getattr(preview, name).astype(np.float16) for name in ("samples", "x0", "x_t", "x0_hat")}
    buffer = io.BytesIO()
    np.savez_compressed(buffer, format=np.int64(FORMAT), m=np.float64(preview.m), s=np.float64(preview.s),
                        settings=np.str_(json.dumps(asdict(preview.settings))),
                        weights_sha256=np.str_(preview.weights_sha256), **arrays)
    with atomic_path(path) as tmp:
        tmp.write_bytes(buffer.getvalue())


def _settings(text: str) -> PreviewSettings:
    values = json.loads(text)
    names = [f.name for f in fields(PreviewSettings)]
    if not isinstance(values, dict):
        raise TypeError("settings are not a JSON object")
    if sorted(values) != sorted(names):
        raise ValueError(f"settings must name exactly {', '.join(names)}")
    for name, value in values.items():
        allowed = (int, float) if name == "t" else int
        if isinstance(value, bool) or not isinstance(value, allowed):
            raise TypeError(f"setting {name} is {value!r}, not a number")
    return PreviewSettings(**values)


def _array(archive, name: str) -> np.ndarray:
    # The header names the shape numpy allocates before it reads: a damaged one could ask for gigabytes from a
    # few compressed bytes, so it is checked first.
    with archive.zip.open(f"{name}.npy") as handle:
        major, _ = np.lib.format.read_magic(handle)
        read_header = np.lib.format.read_array_header_1_0 if major == 1 else np.lib.format.read_array_header_2_0
        shape, _, dtype = read_header(handle)
    if math.prod(shape) * dtype.itemsize > MAX_ARRAY_BYTES:
        raise ValueError(f"{name} claims shape {shape}, more than {MAX_ARRAY_BYTES} bytes")
    return archive[name]


def _image(archive, name: str, shape: tuple[int, ...]) -> np.ndarray:
    array = _array(archive, name)
    if array.dtype not in (np.float16, np.float32) or array.shape != shape:
        raise ValueError(f"{name} is {array.dtype} of shape {array.shape}, not float16 of shape {shape}")
    array = array.astype(np.float32)
    if not np.isfinite(array).all():
        raise ValueError(f"{name} holds NaN or infinite values")
    return array


def _read(data: bytes) -> Preview:
    with np.load(io.BytesIO(data), allow_pickle=False) as archive:
        missing = [key for key in _KEYS if key not in archive.files]
        if missing:
            raise ValueError(f"no {', '.join(missing)}")
        version = _array(archive, "format")
        if version.shape != () or int(version) != FORMAT:
            raise ValueError(f"format {version!r} is not {FORMAT}")
        samples = _array(archive, "samples")
        if samples.ndim != 3 or not 1 <= samples.shape[0] <= MAX_SAMPLES or samples.shape[1] != samples.shape[2] \
                or not SIDES[0] <= samples.shape[1] <= SIDES[1]:
            raise ValueError(f"samples have shape {samples.shape}, not (count, n, n)")
        n = samples.shape[1]
        images = [_image(archive, name, shape) for name, shape in
                  (("samples", samples.shape), ("x0", (n, n)), ("x_t", (n, n)), ("x0_hat", (n, n)))]
        m, s = float(_array(archive, "m")), float(_array(archive, "s"))
        if not (0 < m <= 1 and 0 <= s <= 1):  # the VP SDE's m(t) and s(t); also refuses NaN
            raise ValueError(f"m = {m}, s = {s} are not a VP SDE's")
        sha = str(_array(archive, "weights_sha256"))
        if len(sha) != 64 or any(c not in "0123456789abcdef" for c in sha):
            raise ValueError("weights_sha256 is not 64 hex digits")
        return Preview(*images, m, s, _settings(str(_array(archive, "settings"))), sha)


def load_preview(path: str | os.PathLike | None = None) -> Preview:
    """The preview in `path` (default: PREVIEW_FILE, read at call time so a test can point it elsewhere).

    Raises
    ------
    PreviewError
        The file is missing, not a small regular file, not an .npz, or does not hold a preview of the
        layout `save_preview` writes (shapes, float16 or float32 finite images, the settings, a SHA-256).
    """
    path = Path(path or PREVIEW_FILE)
    hint = f" Remake it with: {REGENERATE_COMMAND}"
    try:
        data = read_regular_file(path, MAX_PREVIEW_BYTES)
    except FileNotFoundError:
        raise PreviewError(f"The preview file {path.name} is missing.{hint}") from None
    except (OSError, ValueError) as exc:
        raise PreviewError(f"The preview file {path.name} cannot be read ({one_line(exc)}).{hint}") from None
    try:
        return _read(data)
    except Exception as exc:  # noqa: BLE001 - a damaged zip raises zipfile, zlib, numpy and key errors alike
        raise PreviewError(f"The preview file {path.name} is damaged ({one_line(exc)}).{hint}") from None


def is_current(preview: Preview, weights_path: str | os.PathLike) -> bool:
    """Whether `preview` was made with the weights at `weights_path` (by the SHA-256 in their sidecar)."""
    try:
        return weights.read_sidecar(weights_path)["sha256"] == preview.weights_sha256
    except (OSError, ValueError, TypeError):
        return False


def mosaic(images: np.ndarray, columns: int, scale: int = 4, gap: int = 2) -> np.ndarray:
    """Images (B, n, n) on [0, 1] as one uint8 grey picture: rows of `columns`, each pixel `scale` x `scale`.

    The picture is enlarged here by repeating pixels, because a browser that enlarges a small image
    smooths it and blurs the edges a prior should keep sharp. Gaps and unused cells are white.
    """
    count, n = images.shape[0], images.shape[-1]
    rows = -(-count // columns)
    cell = n * scale
    out = np.full((rows * cell + (rows - 1) * gap, columns * cell + (columns - 1) * gap), 255, dtype=np.uint8)
    grey = np.round(np.clip(images, 0.0, 1.0) * 255).astype(np.uint8)
    for k in range(count):
        r, c = divmod(k, columns)
        top, left = r * (cell + gap), c * (cell + gap)
        out[top:top + cell, left:left + cell] = np.kron(grey[k], np.ones((scale, scale), dtype=np.uint8))
    return out


def main(argv: list[str] | None = None) -> int:
    """`python -m explorer.priors.preview`: one `error:` line and status 2 when the weights cannot be used."""
    parser = argparse.ArgumentParser(description="Draw the Prior page's shipped pictures from the shipped prior.")
    parser.add_argument("--weights", type=Path, default=weights.SHIPPED_WEIGHTS, help="weights file of the prior")
    parser.add_argument("--out", type=Path, default=PREVIEW_FILE, help="the .npz to write")
    cli = parser.parse_args(argv)
    try:
        prior = catalog.load_prior("network", 64, str(cli.weights))
        sha = weights.read_sidecar(cli.weights)["sha256"]
    except (weights.WeightsError, OSError, ValueError, TypeError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    preview = make_preview(prior, weights_sha256=sha, sde=prior.model.sde)  # the SDE it was trained with
    save_preview(preview, cli.out)
    print(f"{cli.out}: {cli.out.stat().st_size} bytes; PSNR of x_t / m(t) {preview.psnr_noisy:.1f} dB, "
          f"of x0_hat {preview.psnr_denoised:.1f} dB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
