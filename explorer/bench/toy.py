"""Benchmark of the toy solves: the authors' grid (10^4 starts x 1300 iterations) and the t_max sweep.

Each case is compared with the authors' code on the same grid (`AUTHORS_SECONDS`). Timings here are wall
times of the fused backend after a warm-up (compilation) run, with the thread count set explicitly.
"""

from __future__ import annotations

import os
import platform
import time
from typing import Any

import numpy as np
import torch

from explorer.core.files import atomic_write_json
from explorer.toy import analysis
from explorer.core import schedules
from explorer.toy import fast as toy_fast
from explorer.core.registry import make_method
from explorer.core.solvers import solve
from explorer.core.steps import Armijo, Fixed
from explorer.toy.problem import ToyProblem

# Reference wall times of the authors' code for one t_max on a 2-core machine: the speedups are relative to them.
AUTHORS_SECONDS = {"gnc": 2.0, "gradient-like": 16.9}


def _best_of(fn, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def machine() -> dict[str, Any]:
    """What the numbers were measured on."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as fh:
            names = [line.split(":", 1)[1].strip() for line in fh if line.startswith("model name")]
        cpu = names[0] if names else cpu
    except OSError:
        pass
    return {"cpu": cpu, "logical_cores": os.cpu_count(), "python": platform.python_version(),
            "torch": torch.__version__, "platform": platform.platform()}


def run(json_path: str | None = None, *, threads: int = 2, sweep_count: int = 100, repeats: int = 3,
        reference_starts: int = 400) -> dict[str, Any]:
    """Time GNC and gradient-like on the 100 x 100 grid at t_max = 1 and the GNC sweep over t_max.

    Also times the torch solver core on `reference_starts` starts, scaled to the full grid, to show what the
    fused backend buys. Writes JSON to json_path when given, and returns the result.
    """
    toy_fast.set_threads(threads)
    torch_threads = torch.get_num_threads()
    torch.set_num_threads(threads)
    problem = ToyProblem()
    gnc, gl = make_method("gnc"), make_method("gradient-like")
    t0 = time.perf_counter()
    analysis.run_grid(problem, gnc, Fixed(1.0), t_max=1.0, grid=8)
    analysis.run_grid(problem, gl, Armijo(), t_max=1.0, grid=8)
    compile_s = time.perf_counter() - t0
    result: dict[str, Any] = {"machine": machine(), "threads": threads, "warmup_compile_s": compile_s,
                              "starts": 10_000, "iterations": 1300, "cases": []}
    for name, method, rule in (("gnc", gnc, Fixed(1.0)), ("gradient-like", gl, Armijo())):
        summary = {}

        def once():
            summary["run"] = analysis.run_grid(problem, method, rule, t_max=1.0)

        seconds = _best_of(once, repeats)
        result["cases"].append({
            "method": name, "t_max": 1.0, "seconds": seconds, "authors_seconds": AUTHORS_SECONDS[name],
            "speedup": AUTHORS_SECONDS[name] / seconds, "frac_global": summary["run"].frac_global,
            "frac_stationary": summary["run"].frac_stationary,
        })
    values = analysis.default_t_max_values(sweep_count)
    sweep = analysis.sweep(problem, gnc, Fixed(1.0), t_max_values=values)
    result["sweep"] = {"method": "gnc", "t_max_values": sweep_count, "seconds": sweep.seconds,
                       "best_frac_global": float(max(r.frac_global for r in sweep.runs))}
    _, starts = analysis.grid_starts(100)
    pick = np.random.default_rng(0).choice(len(starts), reference_starts, replace=False)
    x0 = torch.as_tensor(starts[pick])
    ts = schedules.linear(1.0, problem.t_min, 1300)
    objective = problem.objective()
    ref = _best_of(lambda: solve(objective, x0, ts, method=gnc, step_rule=Fixed(1.0), diagnostics_every=0,
                                 record_every=10**9), 1)
    result["torch_core_gnc"] = {"starts": reference_starts, "seconds": ref,
                                "seconds_per_10k_starts": ref * 10_000 / reference_starts}
    torch.set_num_threads(torch_threads)
    if json_path:
        atomic_write_json(json_path, result)
    return result


def format_table(result: dict[str, Any]) -> str:
    """Plain-text summary of a `run` result."""
    lines = [f"machine: {result['machine']['cpu']}, {result['threads']} threads; "
             f"first-call compilation {result['warmup_compile_s']:.1f} s"]
    for case in result["cases"]:
        lines.append(f"{case['method']:>14}  10^4 starts x 1300 it: {case['seconds']:.3f} s "
                     f"(authors {case['authors_seconds']} s, {case['speedup']:.1f}x)  "
                     f"frac_global {case['frac_global']:.4f}")
    sw = result["sweep"]
    lines.append(f"{'gnc sweep':>14}  {sw['t_max_values']} t_max values: {sw['seconds']:.2f} s")
    ref = result["torch_core_gnc"]
    lines.append(f"{'torch core':>14}  GNC {ref['starts']} starts: {ref['seconds']:.2f} s "
                 f"(~{ref['seconds_per_10k_starts']:.1f} s per 10^4 starts)")
    return "\n".join(lines)
