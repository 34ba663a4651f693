"""Benchmark beyond CT: the same learned prior on every problem of the catalogue.

For each problem (CT for reference, then sparse-view and limited-angle CT, deblurring, inpainting,
super-resolution and denoising) at the explorer's defaults (64 x 64, 5 % noise, the catalogue's operator
parameters), on held-out ellipse phantoms (seeds HELD_OUT_SEED, HELD_OUT_SEED + 1, ...): mean PSNR / SSIM of
the problem's reference reconstruction (FBP, Wiener filter, ...), the TV baseline, plain gradient descent
on f and GNC, the last two from four starts (zeros, reference, noise, constant; one batched run per method
with the same schedule, step rule and iterations), and the spread (max - min) of the final PSNR across
starts. The prior is the same for every problem: it was trained on ellipse phantoms only, never on an
operator. Times are wall-clock on `threads` torch threads.
"""

from __future__ import annotations

import platform
import time
from dataclasses import replace
from typing import Any, Callable, Sequence

import numpy as np
import torch

from explorer import ct
from explorer.core.files import atomic_write_json

PROBLEM_ORDER = ("ct", "sparse-ct", "limited-angle", "deblur", "inpaint", "superres", "denoise")
STARTS = ("zeros", "reference", "noise", "constant")  # the four starts of every comparison
METHODS = ("gnc", "gd")  # the methods run from the starts, in this order
ROWS = ("reference", "tv", "gd", "gnc")  # the rows of the table, for each problem


def _problem_quality(settings: ct.CTSettings, prior, phantoms: int) -> dict[str, Any]:
    """Means over `phantoms` held-out phantoms of one problem: reference, TV, GD and GNC (every start)."""
    rows: dict[str, list[np.ndarray]] = {name: [] for name in ROWS}
    per_phantom = []
    start = time.perf_counter()
    for i in range(phantoms):
        seed = ct.HELD_OUT_SEED + i
        problem = ct.make_problem(replace(settings.problem, phantom_seed=seed), prior)
        x0 = ct.initialisations(settings.solver.inits, problem, init_seed=settings.solver.init_seed)
        refs = ct.references(problem)
        compared = ct.compare_methods(problem, x0, settings.solver, METHODS)
        for name, key in (("reference", refs.reference_name), ("tv", "TV")):
            rows[name].append(np.array([[refs.psnr[key], refs.ssim[key]]]))
        for name in METHODS:
            rows[name].append(np.stack([compared.psnr[name], compared.ssim[name]], 1))
        per_phantom.append({
            "seed": seed, "reference_psnr": refs.psnr[refs.reference_name], "tv_psnr": refs.psnr["TV"],
            "gnc_psnr": compared.psnr["gnc"].tolist(), "gd_psnr": compared.psnr["gd"].tolist(),
            "gnc_status": compared.status["gnc"], "gd_status": compared.status["gd"],
        })
    summary: dict[str, Any] = {
        "operator_params": settings.problem.operator_params(), "reference_name": settings.problem.reference_name,
        "alpha": settings.problem.prior_weight, "tv_lambda": settings.problem.tv_weight,
        "phantom_seeds": [p["seed"] for p in per_phantom],
    }
    for name, values in rows.items():
        v = np.stack(values)  # (phantoms, starts or 1, 2)
        summary[f"{name}_psnr"] = float(np.nanmean(v[..., 0]))
        summary[f"{name}_ssim"] = float(np.nanmean(v[..., 1]))
        if name in METHODS:
            summary[f"{name}_psnr_by_start"] = dict(zip(settings.solver.inits, np.nanmean(v[..., 0], 0).tolist()))
            spread = np.nanmax(v[..., 0], 1) - np.nanmin(v[..., 0], 1)
            summary[f"{name}_spread_mean_db"] = float(np.mean(spread))
            summary[f"{name}_spread_max_db"] = float(np.max(spread))
    summary["per_phantom"] = per_phantom
    summary["seconds"] = time.perf_counter() - start
    return summary


def run(json_path: str | None = None, *, threads: int = 2, prior: str | None = None, weights: str | None = None,
        n: int = 64, noise_level: float = 0.05, phantoms: int = 3, n_iter: int | None = None,
        problems: Sequence[str] = PROBLEM_ORDER, progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Run the benchmark over `problems`; write it as JSON to json_path if given (atomically), and return it.

    Parameters
    ----------
    json_path : str, optional
        Where to write the result.
    threads : int
        torch threads for the run (restored afterwards).
    prior : {"gaussian", "network", "network-small"}, optional
        Default: the network when the shipped weights load, else the Gaussian prior.
    weights : str, optional
        Weights file of the network prior (default: the shipped one).
    n, noise_level, phantoms :
        Image side, relative noise level and number of held-out phantoms per problem.
    n_iter : int, optional
        Iterations of GD and GNC (default: the solver settings' default); every other solver setting is
        the default of :class:`explorer.ct.SolverSettings`.
    problems : sequence of str
        Keys of explorer.problems.PROBLEMS, run in this order.
    progress : callable, optional
        Receives one line after each problem (e.g. print).

    Returns
    -------
    dict
        ``environment``, ``prior``, ``settings`` (the solver part and the shared problem fields),
        ``problems`` (problem -> means, per start, spreads, per phantom, seconds), ``gnc_at_least_tv``
        (the problems on which GNC's mean PSNR is at least TV's) and ``total_s``.
    """
    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        prior_name = prior or ("network" if weights else ct.default_prior_name())
        solver = ct.SolverSettings(inits=STARTS) if n_iter is None else ct.SolverSettings(inits=STARTS, n_iter=n_iter)
        base = ct.CTSettings(ct.ProblemSettings(n=n, noise_level=noise_level, prior=prior_name), solver)
        model = ct.load_prior(prior_name, n, weights)
        start = time.perf_counter()
        results: dict[str, Any] = {}
        for name in problems:
            settings = replace(base, problem=replace(base.problem, problem=name))
            results[name] = _problem_quality(settings, model, phantoms)
            if progress:
                progress(format_row(name, results[name]))
        result: dict[str, Any] = {
            "environment": {"python": platform.python_version(), "torch": torch.__version__,
                            "torch_threads": threads, "machine": platform.machine()},
            "prior": prior_name, "weights": weights, "phantoms": phantoms,
            "settings": base.to_dict() | {"problem": {"n": n, "noise_level": noise_level, "prior": prior_name}},
            "problems": results,
            "gnc_at_least_tv": [name for name, r in results.items() if r["gnc_psnr"] >= r["tv_psnr"]],
        }
        result["total_s"] = time.perf_counter() - start
    finally:
        torch.set_num_threads(previous)
    if json_path:
        atomic_write_json(json_path, result)
    return result


HEADER = (f"{'problem':14s} {'reference':20s} {'ref':>12s} {'TV':>12s} {'GD':>12s} {'GNC':>12s}  "
          "GNC spread (mean / max dB)")


def format_row(name: str, r: dict[str, Any]) -> str:
    """One problem's line of the table: PSNR dB / SSIM of each row, and GNC's spread across starts."""
    cells = " ".join(f"{r[row + '_psnr']:6.2f}/{r[row + '_ssim']:.3f}"[:12].rjust(12) for row in ROWS)
    return (f"{name:14s} {r['reference_name']:20s} {cells}  "
            f"{r['gnc_spread_mean_db']:.2f} / {r['gnc_spread_max_db']:.2f}")


def format_table(result: dict[str, Any]) -> str:
    """A plain-text summary of a :func:`run` result: one line per problem, PSNR (dB) / SSIM per method."""
    problem, solver = result["settings"]["problem"], result["settings"]["solver"]
    lines = [f"prior {result['prior']}, {result['phantoms']} held-out phantoms per problem, {problem['n']} px, "
             f"noise {problem['noise_level']}, {solver['n_iter']} iterations, starts {', '.join(solver['inits'])}",
             "mean PSNR (dB) / SSIM; GD and GNC averaged over the starts",
             HEADER]
    lines += [format_row(name, r) for name, r in result["problems"].items()]
    at_least = result["gnc_at_least_tv"]
    lines.append(f"GNC >= TV (mean PSNR) on {len(at_least)} of {len(result['problems'])}: "
                 + (", ".join(at_least) or "none"))
    return "\n".join(lines)
