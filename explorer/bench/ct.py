"""Benchmark of CT reconstruction: quality of GNC against FBP, TV and plain GD, and what an iteration costs.

(a) Quality at the interactive default (64 x 64, 30 angles, 5 % noise) on held-out ellipse phantoms
(seeds HELD_OUT_SEED, HELD_OUT_SEED + 1, ...; training draws its phantoms from the generator seeded
with 0, sequentially): mean PSNR / SSIM of FBP, the tuned TV baseline, GNC from four starts (zeros,
fbp, noise, constant; one batched run) and plain gradient descent on f from the same starts with the
same step rule and iteration count; and the spread (max - min) of the final PSNR across starts, which
the paper predicts to be small for GNC.

(b) Speed for one start: one evaluation of grad_x F (the energy gradient dominates it) against one GNC
iteration with a fixed step (diagnostics off, so an iteration is one gradient plus the update), 200
fixed-step iterations, and K = 4 starts batched in one run against the same four run one by one.
Times are wall-clock on `threads` torch threads, medians after a warm-up where repeated.
"""

from __future__ import annotations

import platform
import statistics
import time
from dataclasses import replace
from typing import Any, Callable

import numpy as np
import torch

from explorer.core.files import atomic_write_json
from explorer import ct

STARTS = ("zeros", "fbp", "noise", "constant")  # the four starts of the quality comparison
SPEED_STARTS = 4  # K of the batched-against-looped timing


def _median_ms(fn: Callable[[], object], repeats: int = 7) -> float:
    fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return 1e3 * statistics.median(times)


def _quality(settings: ct.CTSettings, prior, phantoms: int) -> dict[str, Any]:
    rows: dict[str, list] = {"fbp": [], "tv": [], "gnc": [], "gd": []}
    per_phantom = []
    solver = replace(settings.solver, inits=STARTS)
    for i in range(phantoms):
        seed = ct.HELD_OUT_SEED + i
        problem = ct.make_problem(replace(settings.problem, phantom_seed=seed), prior)
        x0 = ct.initialisations(solver.inits, problem, init_seed=solver.init_seed)
        refs = ct.references(problem)
        compared = ct.compare_methods(problem, x0, solver, ("gnc", "gd"))
        for name, ref in (("fbp", "FBP"), ("tv", "TV")):
            rows[name].append(np.array([[refs.psnr[ref], refs.ssim[ref]]]))
        for name in ("gnc", "gd"):
            rows[name].append(np.stack([compared.psnr[name], compared.ssim[name]], 1))
        per_phantom.append({
            "seed": seed, "fbp_psnr": refs.psnr["FBP"], "tv_psnr": refs.psnr["TV"],
            "gnc_psnr": compared.psnr["gnc"].tolist(), "gd_psnr": compared.psnr["gd"].tolist(),
            "gnc_status": compared.status["gnc"], "gd_status": compared.status["gd"],
        })
    summary: dict[str, Any] = {"phantom_seeds": [p["seed"] for p in per_phantom], "starts": list(STARTS)}
    for name, values in rows.items():
        v = np.stack(values)  # (phantoms, starts or 1, 2)
        summary[f"{name}_psnr"] = float(np.nanmean(v[..., 0]))
        summary[f"{name}_ssim"] = float(np.nanmean(v[..., 1]))
        if name in ("gnc", "gd"):
            summary[f"{name}_psnr_by_start"] = dict(zip(STARTS, np.nanmean(v[..., 0], 0).tolist()))
            spread = np.nanmax(v[..., 0], 1) - np.nanmin(v[..., 0], 1)
            summary[f"{name}_spread_mean_db"] = float(np.mean(spread))
            summary[f"{name}_spread_max_db"] = float(np.max(spread))
    summary["per_phantom"] = per_phantom
    return summary


def _speed(settings: ct.CTSettings, prior, iters: int, batch_iters: int) -> dict[str, Any]:
    cfg = replace(settings.solver, step_rule="fixed", inits=STARTS)
    problem = ct.make_problem(replace(settings.problem, phantom_seed=ct.HELD_OUT_SEED), prior)
    x0 = ct.initialisations(cfg.inits, problem, init_seed=cfg.init_seed)
    one = x0[:1]
    t = torch.full((1,), 0.1, dtype=torch.float64)
    with torch.no_grad():
        grad_ms = _median_ms(lambda: problem.objective.value_and_grad(one, t), repeats=21)
        prior_grad_ms = _median_ms(lambda: problem.objective.prior.energy_and_grad(one, t), repeats=21)
    ct.reconstruct(problem, one, replace(cfg, n_iter=5), diagnostics_every=0)  # warm-up
    run = ct.reconstruct(problem, one, replace(cfg, n_iter=iters), diagnostics_every=0)
    # The median step time of the long run: robust to other work on the machine.
    step_ms = 1e3 * float(torch.diff(run.seconds, prepend=run.seconds.new_zeros(1)).median())
    many = replace(cfg, n_iter=batch_iters)
    batched = float(ct.reconstruct(problem, x0[:SPEED_STARTS], many, diagnostics_every=0).seconds[-1])
    looped = sum(float(ct.reconstruct(problem, x0[k:k + 1], many, diagnostics_every=0).seconds[-1])
                 for k in range(SPEED_STARTS))
    return {
        "grad_F_ms": grad_ms, "prior_energy_grad_ms": prior_grad_ms, "gnc_fixed_step_iteration_ms": step_ms,
        "gnc_fixed_run_s": float(run.seconds[-1]), "iters": iters,
        "batch_iters": batch_iters, "starts": SPEED_STARTS,
        "batched_s": batched, "looped_s": looped, "batch_speedup": looped / batched,
    }


def run(json_path: str | None = None, *, threads: int = 2, prior: str | None = None, weights: str | None = None,
        n: int = 64, n_angles: int = 30, noise_level: float = 0.05, phantoms: int = 10, n_iter: int = 200,
        batch_iters: int = 50) -> dict[str, Any]:
    """Run the CT benchmark; write it as JSON to json_path if given, and return it.

    Parameters
    ----------
    json_path : str, optional
        Where to write the result.
    threads : int
        torch threads for the run (restored afterwards).
    prior : {"gaussian", "network"}, optional
        Default: the network when the shipped weights load, else the Gaussian prior.
    weights : str, optional
        Weights file of the network prior (default: the shipped one).
    n, n_angles, noise_level, phantoms, n_iter :
        Problem and run sizes of the quality part; the defaults are the explorer's.
    batch_iters : int
        Iterations of the batched-against-looped timing.

    Returns
    -------
    dict
        ``environment``, ``settings`` (the CTSettings used), ``quality`` (means, per start, spreads, per
        phantom) and ``speed`` (milliseconds and seconds, see the module docstring).
    """
    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        prior_name = prior or ("network" if weights else ct.default_prior_name())
        settings = ct.CTSettings(ct.ProblemSettings(n=n, n_angles=n_angles, noise_level=noise_level, prior=prior_name),
                                 ct.SolverSettings(n_iter=n_iter))
        model = ct.load_prior(prior_name, n, weights)
        start = time.perf_counter()
        result: dict[str, Any] = {
            "environment": {"python": platform.python_version(), "torch": torch.__version__,
                            "torch_threads": threads, "machine": platform.machine()},
            "prior": prior_name, "weights": weights, "settings": settings.to_dict(),
            "quality": _quality(settings, model, phantoms),
            "speed": _speed(settings, model, n_iter, batch_iters),
        }
        result["total_s"] = time.perf_counter() - start
    finally:
        torch.set_num_threads(previous)
    if json_path:
        atomic_write_json(json_path, result)
    return result


def format_table(result: dict[str, Any]) -> str:
    """A plain-text summary of a :func:`run` result."""
    q, s = result["quality"], result["speed"]
    problem = result["settings"]["problem"]
    lines = [f"prior {result['prior']}, {len(q['phantom_seeds'])} held-out phantoms, "
             f"{problem['n']} px, {problem['n_angles']} angles, noise {problem['noise_level']}",
             "method   PSNR dB   SSIM   spread across starts (mean / max dB)"]
    for name in ("fbp", "tv", "gnc", "gd"):
        spread = (f"{q[name + '_spread_mean_db']:.2f} / {q[name + '_spread_max_db']:.2f}"
                  if name + "_spread_mean_db" in q else "")
        lines.append(f"{name:6s}  {q[name + '_psnr']:7.2f}  {q[name + '_ssim']:6.3f}   {spread}")
    for name in ("gnc", "gd"):
        lines.append(f"{name} by start: " + ", ".join(f"{k} {v:.2f}" for k, v in q[name + "_psnr_by_start"].items()))
    lines.append(f"grad F {s['grad_F_ms']:.2f} ms (prior {s['prior_energy_grad_ms']:.2f} ms), one GNC fixed-step "
                 f"iteration {s['gnc_fixed_step_iteration_ms']:.2f} ms, {s['iters']} iterations "
                 f"{s['gnc_fixed_run_s']:.2f} s")
    lines.append(f"K = {s['starts']} starts x {s['batch_iters']} iterations: batched {s['batched_s']:.2f} s, "
                 f"looped {s['looped_s']:.2f} s ({s['batch_speedup']:.2f}x)")
    return "\n".join(lines)
