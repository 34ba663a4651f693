"""The CT page's tables: final PSNR / SSIM of a run beside its references, and a comparison of methods."""

from __future__ import annotations

import math
from typing import Sequence

import pandas as pd

from explorer.core.registry import METHODS
from explorer.ct.compare import Comparison, References
from explorer.ct.session import LiveRun, final_quality

REFERENCE_LABELS = {"FBP": "FBP (ramp filter)", "TV": "TV, isotropic, Chambolle-Pock"}
EXACT = "exact match"  # what a PSNR of an image equal to the truth reads as (the metric returns inf)


def psnr_text(value: float, unit: str = "") -> str:
    """A PSNR for the page: two decimals and `unit`, "exact match" for an image equal to the truth, "-" for NaN."""
    if math.isnan(value):
        return "-"
    if math.isinf(value):
        return EXACT if value > 0 else f"-∞{unit}"
    return f"{value:.2f}{unit}"


def results_frame(run: LiveRun, refs: References, compared: Comparison | None = None) -> pd.DataFrame:
    """One row per start under the running method (and the compared ones), then the reference (CT: FBP) and TV.

    Columns: method (its registry label), start, PSNR (dB), SSIM.
    """
    p, s = final_quality(run)
    running = METHODS[run.settings.solver.method].label + ("" if run.done else f" (k = {run.iteration})")
    rows = [(running, name, pi, si) for name, pi, si in zip(run.names, p, s)]
    for method in compared.methods if compared else ():
        rows += [(METHODS[method].label + " (compare)", name, pi, si)
                 for name, pi, si in zip(run.names, compared.psnr[method], compared.ssim[method])]
    # The problem's reference (CT: "FBP", deblurring: "Wiener filter", ...) and TV, as References keys them.
    rows += [(REFERENCE_LABELS.get(ref, ref), "-", refs.psnr[ref], refs.ssim[ref]) for ref in refs.psnr]
    return pd.DataFrame(rows, columns=["method", "start", "PSNR (dB)", "SSIM"])


def comparison_frame(compared: Comparison, names: Sequence[str]) -> pd.DataFrame:
    """Final PSNR (dB): one row per method (its registry label), one column per start, and the spread."""
    table = pd.DataFrame({METHODS[m].label: compared.psnr[m] for m in compared.methods}, index=list(names)).T
    table["spread over starts (dB)"] = [compared.spread(m) for m in compared.methods]
    return table
