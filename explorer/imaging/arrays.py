"""Images as numpy arrays: the one conversion from tensors (any device, with or without grad) for metrics and plots."""

from __future__ import annotations

import numpy as np
import torch


def as_images(x: torch.Tensor | np.ndarray) -> np.ndarray:
    """A stack of 2D float64 images (B, H, W) from (H, W), (B, H, W), (B, 1, H, W) or any leading shape."""
    if isinstance(x, torch.Tensor):
        x = x.detach().cpu().numpy()
    x = np.asarray(x, dtype=np.float64)
    return x.reshape(-1, *x.shape[-2:])
