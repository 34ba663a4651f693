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

(c) The default run, as `python -m explorer ct --init zeros fbp noise constant` makes it (64 x 64, 30 angles,
four starts in one batch, 200 iterations, the default step rule): seconds (median of `repeats` runs) and
prior evaluations per iteration and start, with and without a gradient.

(c') The same run as the issue states it: the command itself, in a fresh process each time (so nothing is warm),
its report.json `seconds`, on held-out phantoms HELD_OUT_SEED, +1, ...; once as shipped and once with glibc's
default malloc thresholds (GNC_EXPLORER_ALLOCATOR=default, see `explorer.core.allocator`), interleaved.

(d) The levers tried to make (c) interactive, side by side on the same held-out phantoms: the authors'
Barzilai-Borwein + Armijo rule, a nonmonotone Armijo search (GLL), the plain Barzilai-Borwein step (no search)
at 200, 100 and 50 iterations; and the cost of one batched energy gradient for smaller (untrained) U-Nets.

(e) A larger problem: 128 x 128, 60 angles, one start, 200 iterations.
Times are wall-clock on `threads` torch threads, medians after a warm-up where repeated.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from dataclasses import replace
from typing import Any, Callable

import numpy as np
import torch

from explorer.core.allocator import SWITCH
from explorer.core.files import atomic_write_json
from explorer.core.registry import make_method
from explorer.core.solvers import solve
from explorer.core.steps import BarzilaiBorwein, PlainBarzilaiBorwein, StepRule
from explorer import ct
from explorer.priors.unet import EnergyUNet, NetworkPrior

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


class CountingPrior:
    """A prior that counts the images it evaluates, with and without a gradient (the cost of a run)."""

    def __init__(self, prior) -> None:
        self.prior = prior
        self.gradients = 0  # images whose energy gradient was computed
        self.values = 0  # images whose energy alone was computed

    def energy(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        self.values += x.shape[0]
        return self.prior.energy(x, t)

    def energy_and_grad(self, x: torch.Tensor, t: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        self.gradients += x.shape[0]
        return self.prior.energy_and_grad(x, t)

    def score(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        return -self.energy_and_grad(x, t)[1]

    def per_iteration(self, iterations: int, starts: int) -> dict[str, float]:
        """Evaluations per iteration and start since the counts were last reset, and reset them."""
        share = max(iterations * starts, 1)
        result = {"gradients_per_iteration": self.gradients / share, "values_per_iteration": self.values / share}
        self.gradients = self.values = 0
        return result


def _default_run(settings: ct.CTSettings, prior, repeats: int) -> dict[str, Any]:
    counting = CountingPrior(prior)
    problem = ct.make_problem(replace(settings.problem, phantom_seed=ct.HELD_OUT_SEED), counting)
    solver = replace(settings.solver, inits=STARTS)
    x0 = ct.initialisations(solver.inits, problem, init_seed=solver.init_seed)
    ct.reconstruct(problem, x0, replace(solver, n_iter=3))  # warm-up
    counting.per_iteration(1, 1)
    seconds, run = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        run = ct.reconstruct(problem, x0, solver)
        seconds.append(time.perf_counter() - start)
    evaluations = counting.per_iteration(repeats * solver.n_iter, len(STARTS))
    psnr, _ = ct.quality(run.final, problem.truth, settings.problem.clip_metrics)
    return {"seconds": statistics.median(seconds), "seconds_all": seconds, "n_iter": solver.n_iter,
            "starts": list(STARTS), "step_rule": solver.step_rule, "psnr_by_start": dict(zip(STARTS, psnr.tolist())),
            **evaluations}


def _command_runs(settings: ct.CTSettings, prior_name: str, weights: str | None, repeats: int,
                  threads: int) -> dict[str, Any]:
    """(c'): the default run as a command in a fresh process, as shipped and with glibc's default allocator."""
    p = settings.problem
    seconds: dict[str, list[float]] = {"shipped": [], "glibc_default_allocator": []}
    psnr = {}
    with tempfile.TemporaryDirectory(prefix="bench-ct-") as tmp:
        for i in range(repeats):
            seed = ct.HELD_OUT_SEED + i
            for label in seconds:
                out = Path(tmp) / f"{label}-{seed}"
                command = [sys.executable, "-m", "explorer", "ct", "--size", str(p.n), "--angles", str(p.n_angles),
                           "--noise", str(p.noise_level), "--phantom", "ellipses", "--seed", str(seed),
                           "--init", *STARTS, "--method", "gnc", "--iters", str(settings.solver.n_iter),
                           "--prior", prior_name, "--threads", str(threads), "--out", str(out)]
                if weights:
                    command += ["--weights", weights]
                env = {k: v for k, v in os.environ.items() if k != SWITCH}
                if label != "shipped":
                    env[SWITCH] = "default"
                subprocess.run(command, env=env, check=True, capture_output=True)
                report = json.loads((out / "report.json").read_text())
                seconds[label].append(report["seconds"])
                psnr.setdefault(label, []).append(report["psnr"])
    shown = ["python" if a == sys.executable else "S" if a == str(seed) else "DIR" if a == str(out) else a
             for a in command]
    return {"command": " ".join(shown), "seeds": [ct.HELD_OUT_SEED + i for i in range(repeats)],
            "seconds": {k: statistics.median(v) for k, v in seconds.items()}, "seconds_all": seconds,
            "same_psnr": psnr["shipped"] == psnr["glibc_default_allocator"], "psnr_by_seed": psnr["shipped"]}


# The levers of (d): a label, the step rule and the iteration count. The first is the authors' rule.
LEVERS: tuple[tuple[str, StepRule, int], ...] = (
    ("BB x4 + Armijo (authors', monotone), 200 it", BarzilaiBorwein(), 200),
    ("BB x1 + nonmonotone Armijo (GLL, M = 10), 200 it", BarzilaiBorwein(scale=1.0, memory=10), 200),
    ("plain BB, no search, 200 it", PlainBarzilaiBorwein(), 200),
    ("plain BB, no search, 100 it", PlainBarzilaiBorwein(), 100),
    ("plain BB, no search, 50 it", PlainBarzilaiBorwein(), 50),
)
SMALLER_NETS = ((24, 48, 96), (16, 32, 64), (12, 24, 48))  # the shipped channels first


def _levers(settings: ct.CTSettings, prior, phantoms: int) -> dict[str, Any]:
    counting = CountingPrior(prior)
    rows = []
    for label, rule, n_iter in LEVERS:
        psnr, spread, seconds, evaluations = [], [], [], []
        for i in range(phantoms):
            problem = ct.make_problem(replace(settings.problem, phantom_seed=ct.HELD_OUT_SEED + i), counting)
            x0 = ct.initialisations(STARTS, problem, init_seed=settings.solver.init_seed)
            schedule = ct.CTSettings(problem.settings, replace(settings.solver, n_iter=n_iter)).smoothing_schedule()
            counting.per_iteration(1, 1)
            start = time.perf_counter()
            run = solve(problem.objective, x0, schedule, method=make_method("gnc"), step_rule=rule, n_iter=n_iter,
                        record_every=n_iter, diagnostics_every=0, clip=(0.0, 1.0))
            seconds.append(time.perf_counter() - start)
            evaluations.append(counting.per_iteration(n_iter, len(STARTS)))
            p, _ = ct.quality(run.final, problem.truth, settings.problem.clip_metrics)
            psnr.append(float(np.mean(p)))
            spread.append(float(np.max(p) - np.min(p)))
        rows.append({"lever": label, "n_iter": n_iter,
                     "step_rule": {"type": type(rule).__name__,
                                   **{k: v for k, v in vars(rule).items() if k != "searches"}},
                     "seconds": statistics.median(seconds), "gnc_psnr": float(np.mean(psnr)),
                     "spread_mean_db": float(np.mean(spread)), "spread_max_db": float(np.max(spread)),
                     "gradients_per_iteration": float(np.mean([e["gradients_per_iteration"] for e in evaluations])),
                     "values_per_iteration": float(np.mean([e["values_per_iteration"] for e in evaluations]))})
    x = torch.rand(len(STARTS), 1, settings.problem.n, settings.problem.n, generator=torch.Generator().manual_seed(0))
    t = torch.full((len(STARTS),), 0.1, dtype=torch.float64)
    nets = []
    for channels in SMALLER_NETS:
        model = EnergyUNet(channels).eval().to(memory_format=torch.channels_last)
        for parameter in model.parameters():
            parameter.requires_grad_(False)
        net = NetworkPrior(model)
        nets.append({"channels": list(channels), "parameters": sum(q.numel() for q in model.parameters()),
                     "energy_grad_batch_ms": _median_ms(lambda: net.energy_and_grad(x, t), repeats=11)})
    return {"phantoms": phantoms, "starts": list(STARTS), "rows": rows, "network_cost": nets}


def _larger(settings: ct.CTSettings, prior_name: str, weights: str | None) -> dict[str, Any]:
    problem_settings = replace(settings.problem, n=128, n_angles=60, phantom_seed=ct.HELD_OUT_SEED)
    problem = ct.make_problem(problem_settings, ct.load_prior(prior_name, 128, weights))
    x0 = ct.initialisations(("zeros",), problem)
    start = time.perf_counter()
    run = ct.reconstruct(problem, x0, replace(settings.solver, inits=("zeros",)))
    seconds = time.perf_counter() - start
    psnr, _ = ct.quality(run.final, problem.truth, problem_settings.clip_metrics)
    return {"n": 128, "n_angles": 60, "starts": 1, "n_iter": settings.solver.n_iter, "seconds": seconds,
            "psnr": float(psnr[0]), "step_rule": settings.solver.step_rule}


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
        batch_iters: int = 50, lever_phantoms: int = 5, repeats: int = 3) -> dict[str, Any]:
    """Run the CT benchmark; write it as JSON to json_path if given, and return it.

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
    n, n_angles, noise_level, phantoms, n_iter :
        Problem and run sizes of the quality part; the defaults are the explorer's.
    batch_iters : int
        Iterations of the batched-against-looped timing.
    lever_phantoms : int
        Held-out phantoms of the lever comparison (d).
    repeats : int
        Timed repetitions of the default run (c).

    Returns
    -------
    dict
        ``environment``, ``settings`` (the CTSettings used), ``default_run``, ``quality`` (means, per start,
        spreads, per phantom), ``levers``, ``speed`` and ``larger`` (see the module docstring).
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
            "default_run": _default_run(settings, model, repeats),
            "command": _command_runs(settings, prior_name, weights, repeats, threads),
            "quality": _quality(settings, model, phantoms),
            "levers": _levers(settings, model, lever_phantoms),
            "speed": _speed(settings, model, n_iter, batch_iters),
            "larger": _larger(settings, prior_name, weights),
        }
        result["total_s"] = time.perf_counter() - start
    finally:
        torch.set_num_threads(previous)
    if json_path:
        atomic_write_json(json_path, result)
    return result


def _command_line(command: dict[str, Any] | None) -> str:
    if not command:
        return "the command in a fresh process: not measured in this result"
    sec = command["seconds"]
    return (f"the command in a fresh process (report.json seconds, median of {len(command['seeds'])}): "
            f"{sec['shipped']:.2f} s as shipped, {sec['glibc_default_allocator']:.2f} s with glibc's default "
            f"allocator (same PSNR: {command['same_psnr']})")


def format_table(result: dict[str, Any]) -> str:
    """A plain-text summary of a :func:`run` result."""
    q, s, run = result["quality"], result["speed"], result["default_run"]
    problem = result["settings"]["problem"]
    lines = [f"default run ({len(run['starts'])} starts, {run['n_iter']} iterations, step rule {run['step_rule']}): "
             f"{run['seconds']:.2f} s, {run['gradients_per_iteration']:.2f} gradients and "
             f"{run['values_per_iteration']:.2f} values of the prior per iteration and start",
             _command_line(result.get("command")),
             f"prior {result['prior']}, {len(q['phantom_seeds'])} held-out phantoms, "
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
    levers = result["levers"]
    lines.append(f"levers (GNC, {levers['phantoms']} held-out phantoms, {len(levers['starts'])} starts):")
    lines.append("  lever                                               s/run  grad/it  value/it  PSNR dB  spread dB")
    for row in levers["rows"]:
        lines.append(f"  {row['lever']:50s} {row['seconds']:6.2f}  {row['gradients_per_iteration']:7.2f}  "
                     f"{row['values_per_iteration']:8.2f}  {row['gnc_psnr']:7.2f}  {row['spread_mean_db']:5.2f}")
    costs = ", ".join(f"{'-'.join(map(str, net['channels']))} {net['energy_grad_batch_ms']:.1f} ms"
                      for net in levers["network_cost"])
    lines.append(f"  energy gradient, batch of {len(levers['starts'])}: {costs}")
    big = result["larger"]
    lines.append(f"{big['n']} x {big['n']}, {big['n_angles']} angles, {big['starts']} start, {big['n_iter']} "
                 f"iterations: {big['seconds']:.2f} s, PSNR {big['psnr']:.2f} dB")
    return "\n".join(lines)
