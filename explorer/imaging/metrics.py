"""Image quality against the ground truth: PSNR and SSIM (scikit-image) with data range 1."""

from __future__ import annotations

import numpy as np
import torch
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from explorer.imaging.arrays import as_images

DATA_RANGE = 1.0  # images live in [0, 1]; scikit-image would otherwise guess from the dtype


def _images(x: torch.Tensor | np.ndarray, clip: bool) -> np.ndarray:
    """A stack of 2D float64 images (B, H, W), clipped to [0, 1] when asked."""
    x = as_images(x)
    return np.clip(x, 0.0, 1.0) if clip else x


def psnr(estimate: torch.Tensor | np.ndarray, truth: torch.Tensor | np.ndarray, *,
         clip: bool = False) -> np.ndarray:
    """Peak signal-to-noise ratio in dB of each image, data range 1.

    Parameters
    ----------
    estimate, truth : tensor or array, shape (H, W), (B, H, W) or (B, 1, H, W)
        Reconstructions and ground truth; ``truth`` may be a single image for the whole batch.
    clip : bool
        Clip the estimate to [0, 1] first.

    Returns
    -------
    np.ndarray, shape (B,)
        PSNR per image (inf where they are equal).
    """
    est, ref = np.broadcast_arrays(_images(estimate, clip), _images(truth, False))
    with np.errstate(divide="ignore"):
        return np.array([peak_signal_noise_ratio(r, e, data_range=DATA_RANGE)
                         for e, r in zip(est, ref)])


def ssim(estimate: torch.Tensor | np.ndarray, truth: torch.Tensor | np.ndarray, *,
         clip: bool = False) -> np.ndarray:
    """Structural similarity of each image (scikit-image defaults: 7 x 7 window), data range 1.

    Shapes as in :func:`psnr`; returns an array of shape (B,).
    """
    est, ref = np.broadcast_arrays(_images(estimate, clip), _images(truth, False))
    return np.array([structural_similarity(r, e, data_range=DATA_RANGE) for e, r in zip(est, ref)])
