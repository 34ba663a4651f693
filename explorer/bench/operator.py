"""Benchmark of the CT operator: A and A^T timings, adjointness and build time, beside alternatives.

Times the explorer's sparse-matrix operator (batch 1 and 16) at 64, 128 and 256 pixels with 60 and
180 angles, scikit-image's radon / iradon on one image, and deepinv's Tomography when it can be
imported. Each timing is the median of repeated calls after one warm-up call, on 2 torch threads.
"""

from __future__ import annotations

import importlib.util
import platform
import statistics
import time
from typing import Any, Callable

import numpy as np
import skimage
import torch
from skimage.transform import iradon, radon

from explorer.core.files import atomic_write_json
from explorer.imaging.phantoms import shepp_logan
from explorer.problems.tomography import ParallelBeam, uniform_angles

SIZES = (64, 128, 256)  # image sides in pixels
ANGLES = (60, 180)  # projection counts
BATCHES = (1, 16)  # images per call
THREADS = 2  # torch threads: a laptop-class CPU


def _median_ms(fn: Callable[[], object], *, budget_s: float = 0.25, min_repeats: int = 3,
               max_repeats: int = 50) -> float:
    """Median wall time of fn() in milliseconds: one warm-up, then repeats filling ~budget_s."""
    start = time.perf_counter()
    fn()
    first = time.perf_counter() - start
    repeats = int(min(max_repeats, max(min_repeats, budget_s / max(first, 1e-6))))
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return 1e3 * statistics.median(times)


def _adjoint_error(forward: Callable[[torch.Tensor], torch.Tensor],
                   adjoint: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor,
                   y: torch.Tensor) -> float:
    """|<A x, y> - <x, A^T y>| / (||A x|| ||y||), the relative adjointness error."""
    ax = forward(x).double()
    lhs = float((ax * y.double()).sum())
    rhs = float((x.double() * adjoint(y).double()).sum())
    return abs(lhs - rhs) / (float(ax.norm()) * float(y.double().norm()))


def _explorer_case(n: int, n_angles: int, generator: torch.Generator) -> dict[str, Any]:
    start = time.perf_counter()
    op = ParallelBeam.build(n, uniform_angles(n_angles))
    build_s = time.perf_counter() - start
    case: dict[str, Any] = {
        "n": n, "angles": n_angles, "detectors": op.n_detectors, "nnz": op.nnz,
        "build_s": build_s,
    }
    for batch in BATCHES:
        x = torch.rand(batch, 1, n, n, generator=generator)
        y = torch.rand(batch, 1, *op.sinogram_shape, generator=generator)
        with torch.no_grad():
            case[f"A_ms_batch{batch}"] = _median_ms(lambda: op.A(x))
            case[f"A_adjoint_ms_batch{batch}"] = _median_ms(lambda: op.A_adjoint(y))
        if batch == 1:
            case["adjoint_rel_error"] = _adjoint_error(op.A, op.A_adjoint, x, y - 0.5)
    return case


def _skimage_case(n: int, n_angles: int) -> dict[str, Any]:
    image = shepp_logan(n).numpy().astype(np.float64)
    theta = np.degrees(uniform_angles(n_angles).numpy())
    sinogram = radon(image, theta, circle=True)
    return {
        "n": n, "angles": n_angles,
        "radon_ms": _median_ms(lambda: radon(image, theta, circle=True), min_repeats=1),
        "iradon_ms": _median_ms(lambda: iradon(sinogram, theta, filter_name="ramp", circle=True),
                                min_repeats=1),
    }


def _deepinv_cases(generator: torch.Generator) -> list[dict[str, Any]] | str:
    """deepinv's Tomography at every size, or why it could not be measured."""
    if importlib.util.find_spec("deepinv") is None:
        return "not installed"
    try:
        from deepinv.physics import Tomography
    # deepinv imports torchvision, which may fail beside a CPU torch wheel in any number of ways.
    except Exception as error:
        return f"import failed: {type(error).__name__}: {error}"
    cases = []
    for n in SIZES:
        for n_angles in ANGLES:
            physics = Tomography(angles=n_angles, img_width=n, circle=False, device="cpu")
            x = torch.rand(1, 1, n, n, generator=generator)
            with torch.no_grad():
                y = physics.A(x)
                y = torch.rand(y.shape, generator=generator)
                cases.append({
                    "n": n, "angles": n_angles,
                    "A_ms_batch1": _median_ms(lambda: physics.A(x)),
                    "A_adjoint_ms_batch1": _median_ms(lambda: physics.A_adjoint(y)),
                    "adjoint_rel_error": _adjoint_error(physics.A, physics.A_adjoint, x, y),
                })
    return cases


def run(json_path: str | None = None, *, threads: int = THREADS) -> dict[str, Any]:
    """Run the operator benchmark; write it as JSON to json_path if given, and return it.

    ``threads`` sets torch's thread count for the run (restored afterwards); on a machine whose
    cores are busy with other work, 1 thread gives steadier numbers than 2.

    Returns
    -------
    dict
        ``environment`` (versions, threads), ``explorer`` (one entry per size and angle count:
        build time, nnz, A / A^T milliseconds at batch 1 and 16, adjointness error), ``skimage``
        (radon / iradon milliseconds, one image) and ``deepinv`` (entries, or why there are none).
    """
    previous_threads = torch.get_num_threads()
    torch.set_num_threads(threads)
    generator = torch.Generator().manual_seed(0)
    try:
        start = time.perf_counter()
        result: dict[str, Any] = {
            "environment": {
                "python": platform.python_version(), "torch": torch.__version__,
                "scikit-image": skimage.__version__, "torch_threads": threads,
                "machine": platform.machine(),
            },
            "explorer": [_explorer_case(n, a, generator) for n in SIZES for a in ANGLES],
            "skimage": [_skimage_case(n, a) for n in SIZES for a in ANGLES],
            "deepinv": _deepinv_cases(generator),
        }
        result["total_s"] = time.perf_counter() - start
    finally:
        torch.set_num_threads(previous_threads)
    if json_path is not None:
        atomic_write_json(json_path, result)
    return result


def format_table(result: dict[str, Any]) -> str:
    """A plain-text table of a :func:`run` result, one line per (n, angles)."""
    lines = ["   n  angles  build s   A b1 ms  AT b1 ms  A b16 ms  AT b16 ms  adj err   "
             "radon ms  iradon ms"]
    for ours, sk in zip(result["explorer"], result["skimage"]):
        lines.append(
            f"{ours['n']:4d}  {ours['angles']:6d}  {ours['build_s']:7.3f}  "
            f"{ours['A_ms_batch1']:8.3f}  {ours['A_adjoint_ms_batch1']:8.3f}  "
            f"{ours['A_ms_batch16']:8.3f}  {ours['A_adjoint_ms_batch16']:9.3f}  "
            f"{ours['adjoint_rel_error']:8.1e}  {sk['radon_ms']:8.1f}  {sk['iradon_ms']:9.1f}")
    deepinv = result["deepinv"]
    lines.append(f"deepinv: {deepinv if isinstance(deepinv, str) else f'{len(deepinv)} cases'}")
    return "\n".join(lines)
