"""Command line: `gnc-explorer {toy,maps,solve,ct,bench,train,app} ...`, also `python -m explorer ...`.

Bad input gives a one-line error on stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from pathlib import Path

import numpy as np

from explorer.toy import analysis
from explorer.core import schedules
from explorer.core.allocator import keep_freed_memory
from explorer.core.files import atomic_path, atomic_write_json, staged_folder
from explorer.core.registry import METHODS, STEP_RULES, make_method, make_step_rule, step_rule_name
from explorer.toy.problem import ToyProblem

MODULE_PROG = "python -m explorer"  # the command's name in messages when run as a module

# The authors' toy settings: the defaults of every toy command.
TOY_DEFAULTS = {"t_max": 1.0, "n_iter": 1300, "grid": 100, "schedule": "linear"}


class CommandError(Exception):
    """A user-facing error: printed as one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors (no usage block)."""

    def error(self, message: str):
        self.exit(2, f"error: {message} (see `{self.prog} --help`)\n")


def _number(kind, *, low=None, high=None, low_open=False, name="value"):
    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name} must be a {kind.__name__}, got {text!r}") from None
        if kind is float and not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"{name} must be finite, got {text!r}")
        if low is not None and (value <= low if low_open else value < low):
            raise argparse.ArgumentTypeError(f"{name} must be {'>' if low_open else '>='} {low}, got {text}")
        if high is not None and value > high:
            raise argparse.ArgumentTypeError(f"{name} must be <= {high}, got {text}")
        return value
    return parse


def _path(name: str):
    """An argparse type for a path flag: refuses an empty or blank name (which would mean the current folder)."""
    def parse(text: str) -> str:
        if not text.strip():
            raise argparse.ArgumentTypeError(f"{name} must name a path, got {text!r}")
        return text
    return parse


def _add_toy_solver_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--method", choices=list(METHODS), default="gnc", help="solver (default gnc)")
    p.add_argument("--schedule", choices=list(schedules.SCHEDULES), default=TOY_DEFAULTS["schedule"],
                   help="smoothing schedule (default linear)")
    p.add_argument("--step-rule", "--step", dest="step_rule", choices=list(STEP_RULES), default=None,
                   help="step rule (default: the authors' for the method: "
                        + ", ".join(f"{m.step_rule} for {m.name}" for m in METHODS.values()) + ")")
    p.add_argument("--step-size", type=_number(float, low=0, low_open=True, high=1e12, name="--step-size"),
                   default=None, help="fixed step b, or the first trial step of a line search")
    p.add_argument("--n-iter", "--iters", dest="n_iter", type=_number(int, low=1, high=100_000, name="--n-iter"),
                   default=TOY_DEFAULTS["n_iter"], help="iterations N (default 1300)")
    p.add_argument("--grid", type=_number(int, low=2, high=1000, name="--grid"), default=TOY_DEFAULTS["grid"],
                   help="G: starts on a G x G grid over [-10, 10]^2 (default 100)")
    p.add_argument("--t-min", type=_number(float, low=0, low_open=True, high=100, name="--t-min"), default=1e-3,
                   help="t_min (default 1e-3)")
    p.add_argument("--threads", type=_number(int, low=1, high=256, name="--threads"), default=2,
                   help="compute threads (default 2)")


def _solver(args):
    method = make_method(args.method)
    rule = make_step_rule(args.step_rule or METHODS[args.method].step_rule, args.step_size)
    return method, rule


def _problem(args) -> ToyProblem:
    return ToyProblem(t_min=args.t_min)


def cmd_toy(args) -> int:
    from explorer.toy import fast as toy_fast

    if args.t_max < args.t_min:
        raise CommandError(f"--t-max ({args.t_max}) must not be below --t-min ({args.t_min})")
    _check_writable(args.json)
    toy_fast.set_threads(args.threads)
    method, rule = _solver(args)
    problem = _problem(args)
    summary = analysis.run_grid(problem, method, rule, t_max=args.t_max, n_iter=args.n_iter, grid=args.grid,
                                schedule=args.schedule)
    report = {
        "frac_global": summary.frac_global,
        "frac_stationary": summary.frac_stationary,
        "seconds": summary.seconds,
        "frac_local_minima": [float(np.mean(summary.labels == i)) for i in (1, 2, 3)],
        "frac_not_converged": float(np.mean(summary.labels == analysis.NOT_CONVERGED)),
        "config": {"method": args.method, "t_max": args.t_max, "t_min": args.t_min, "n_iter": args.n_iter,
                   "grid": args.grid, "schedule": args.schedule, "step_rule": step_rule_name(rule),
                   "step_rule_params": {k: v for k, v in vars(rule).items() if k != "searches"},
                   "threads": args.threads},
    }
    _write_json(args.json, report)
    print(f"{args.method}: frac_global {summary.frac_global:.4f}  frac_stationary {summary.frac_stationary:.4f}"
          f"  ({summary.seconds:.2f} s)")
    return 0


def cmd_maps(args) -> int:
    from explorer.toy import fast as toy_fast

    toy_fast.set_threads(args.threads)
    method, rule = _solver(args)
    problem = _problem(args)
    values = analysis.default_t_max_values(args.t_max_count)
    values = values[values >= args.t_min]
    if len(values) == 0:
        raise CommandError("no t_max value of the sweep lies above --t-min")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    sweep = analysis.sweep(problem, method, rule, t_max_values=values, n_iter=args.n_iter, grid=args.grid,
                           schedule=args.schedule)
    at = analysis.run_grid(problem, method, rule, t_max=args.t_max, n_iter=args.n_iter, grid=args.grid,
                           schedule=args.schedule)
    written = _write_maps(out, args.format, sweep, at, args.method, problem)
    summary = {"seconds": time.perf_counter() - t0, "files": [str(p) for p in written],
               "frac_global_by_t_max": {f"{r.t_max:.6g}": r.frac_global for r in sweep.runs}}
    _write_json(str(out / "maps.json"), summary)
    print("\n".join(str(p) for p in written))
    return 0


def _write_maps(out: Path, formats: list[str], sweep, at, method: str, problem: ToyProblem) -> list[Path]:
    from explorer.imaging import raster

    written: list[Path] = []
    colours = {0: (220, 50, 47), 1: (38, 139, 210), 2: (133, 153, 0), 3: (181, 137, 0),
               analysis.NOT_CONVERGED: (200, 200, 200)}
    names = {0: "x* (1, 1)", 1: "local min (1.01, -1.85)", 2: "local min (6.67, -0.84)",
             3: "local min (-6.67, 3.70)", analysis.NOT_CONVERGED: "not converged"}
    if "png" in formats:
        rgb = np.zeros(at.labels.shape + (3,), dtype=np.uint8)
        for label, colour in colours.items():
            rgb[at.labels == label] = colour
        p = out / "basin_map.png"
        raster.write_map_png(str(p), rgb, title=f"{method}: where each start ends (t_max = {at.t_max:g})",
                             x_label="x1 in [-10, 10]", y_label="x2",
                             legend=[(names[k], colours[k]) for k in colours])
        written.append(p)
        p = out / "reach_map.png"
        raster.write_map_png(str(p), raster.ramp_colours(sweep.reach_share, 0, 1),
                             title=f"{method}: share of {len(sweep.t_max)} t_max values reaching x* "
                                   "(dark 0, yellow 1)", x_label="x1 in [-10, 10]", y_label="x2")
        written.append(p)
        # Rows: t_max from small (bottom) to large (top) on a log axis.
        order = np.argsort(sweep.t_max)
        p = out / "rate_map.png"
        raster.write_map_png(str(p), raster.ramp_colours(sweep.rate[order], 0, 1),
                             title=f"{method}: share within 0.1 of x* (dark 0, yellow 1)",
                             x_label=f"iteration 0..{int(sweep.iterations[-1])}",
                             y_label=f"t_max {sweep.t_max.min():g}..{sweep.t_max.max():g}")
        written.append(p)
    if "html" in formats:
        from explorer.figures import toy as toy_figures

        minima = problem.find_minima().numpy()
        figures = {
            "basin_map": toy_figures.basin_figure(sweep.coords, at.labels, minima,
                                                  title=f"{method}: where each start ends, t_max = {at.t_max:g}"),
            "reach_map": toy_figures.reach_figure(sweep.coords, sweep.reach_share, minima,
                                                  title=f"{method}: share of {len(sweep.t_max)} t_max values "
                                                        "reaching x*"),
            "rate_map": toy_figures.rate_figure(sweep.iterations, sweep.t_max, sweep.rate,
                                                title=f"{method}: share of starts within 0.1 of x*"),
        }
        for name, fig in figures.items():
            p = out / f"{name}.html"
            with atomic_path(p) as tmp:
                fig.write_html(str(tmp), include_plotlyjs=True, full_html=True)
            written.append(p)
    return written


# The files `solve` may write; "fbp.npy" (the reference under its older name) only when the reference is the FBP.
SOLVE_OUTPUTS = ("report.json", "truth.npy", "recon.npy", "reference.npy", "fbp.npy", "history.csv")
CT_OUTPUTS = SOLVE_OUTPUTS  # the files `ct` writes: all of them


def cmd_solve(args) -> int:
    """Reconstruct one problem (`--problem`, CT for `ct`) from one or more starts; write report, images and
    history to --out."""
    import torch

    from explorer import ct
    from explorer.ct.export import history_csv, trajectory_records
    from explorer.priors.weights import WeightsError

    if len(set(args.inits)) != len(args.inits):
        raise CommandError(f"--init names a start twice: {' '.join(args.inits)}")
    if args.device == "cuda" and not torch.cuda.is_available():
        raise CommandError("--device cuda: no CUDA device is available on this machine (use --device cpu)")
    torch.set_num_threads(args.threads)
    if args.prior is None:
        args.prior = "network" if args.weights else ct.default_prior_name()
        if args.prior == "gaussian":
            print("note: shipped prior weights not found; using the analytic Gaussian prior (--prior gaussian)",
                  file=sys.stderr)
    # The flags are named like the settings' fields, so the settings read them directly.
    settings = ct.settings_from(vars(args))
    problem_settings, solver = settings.problem, settings.solver
    # The files are written to a sibling folder that replaces --out only when all are written: a failure
    # leaves the previous run's files. Making that folder now checks --out is writable before the solve.
    with staged_folder(args.out, SOLVE_OUTPUTS) as out:
        try:
            prior = ct.load_prior(problem_settings.prior, problem_settings.n, args.weights)
            device_prior = prior if args.device == "cpu" else ct.load_prior(
                problem_settings.prior, problem_settings.n, args.weights, device=args.device)
        except WeightsError as err:
            raise CommandError(str(err)) from None
        problem = ct.make_problem(problem_settings, prior)
        x0 = ct.initialisations(solver.inits, problem, init_seed=solver.init_seed)
        clip = problem_settings.clip_metrics
        start_psnr, start_ssim = ct.quality(x0, problem.truth, clip)
        # The solve runs on --device; the problem used for the metrics and the files stays on the CPU.
        on_device = problem if args.device == "cpu" else ct.make_problem(problem_settings, device_prior,
                                                                         device=args.device)
        trajectory = ct.reconstruct(on_device, x0.to(args.device), solver).to("cpu")
        seconds = float(trajectory.seconds[-1]) if trajectory.n_iter else 0.0
        records = trajectory_records(problem, trajectory)
        final_psnr, final_ssim = ct.quality(trajectory.final, problem.truth, clip)
        ref_psnr, ref_ssim = ct.quality(problem.reference, problem.truth, clip)
        tv = ct.tv_reconstruction(problem)
        tv_psnr, tv_ssim = ct.quality(tv.image, problem.truth, clip)
        is_fbp = problem.reference_name == "FBP"  # the CT kinds: also under the older keys and file name
        report = {
            "problem": problem_settings.problem, "operator_params": problem_settings.operator_params(),
            "inits": list(solver.inits),
            "psnr": final_psnr.tolist(), "ssim": final_ssim.tolist(),
            "start_psnr": start_psnr.tolist(), "start_ssim": start_ssim.tolist(),
            "reference_name": problem.reference_name,
            "reference_psnr": float(ref_psnr[0]), "reference_ssim": float(ref_ssim[0]),
            **({"fbp_psnr": float(ref_psnr[0]), "fbp_ssim": float(ref_ssim[0])} if is_fbp else {}),
            "tv_psnr": float(tv_psnr[0]), "tv_ssim": float(tv_ssim[0]),
            "tv": {"lambda": problem_settings.tv_weight, "n_iter": tv.n_iter, "rel_change": tv.rel_change,
                   "seconds": tv.seconds},
            "seconds": seconds, "iterations_run": trajectory.n_iter,
            "status": trajectory.status, "message": trajectory.message,
            "metrics_clipped": clip, "operator_norm": problem.operator.scale,
            "weights": str(args.weights) if problem_settings.prior == "network" and args.weights else None,
            "threads": args.threads, "device": args.device, "settings": settings.to_dict(),
        }
        _write_json(str(out / "report.json"), report)
        np.save(out / "truth.npy", problem.truth[0, 0].numpy())
        np.save(out / "recon.npy", trajectory.final[:, 0].numpy())
        np.save(out / "reference.npy", problem.reference[0, 0].numpy())
        if is_fbp:
            np.save(out / "fbp.npy", problem.reference[0, 0].numpy())
        note = (f"psnr, ssim and data_fit (clipped to [0, 1]: {clip}) are computed on the recorded iterates only, "
                f"every {solver.record_every} iterations and the last; empty elsewhere. Row iteration = k: t, step, "
                "f = F(x_k, t_min), cos and seconds of the step taken from x_k; f and cos on the same rows only, "
                "unless the step rule searches (then on every row).")
        (out / "history.csv").write_bytes(history_csv(solver.inits, records, note))
    for name, p, s in zip(solver.inits, report["psnr"], report["ssim"]):
        print(f"{solver.method} from {name}: PSNR {p:.2f} dB  SSIM {s:.4f}")
    print(f"{problem.reference_name}: PSNR {report['reference_psnr']:.2f} dB  TV: PSNR {report['tv_psnr']:.2f} dB"
          f"  ({seconds:.2f} s)")
    if trajectory.status == "diverged":
        print(f"error: {trajectory.message}", file=sys.stderr)
        return 1
    return 0


def cmd_bench(args) -> int:
    if args.what in ("ct", "problems") and (args.weights is not None or args.prior is not None):
        from explorer.priors.catalog import load_prior
        from explorer.priors.weights import WeightsError

        try:  # before the long run: weights that do not load are one line, not a traceback minutes later
            load_prior(args.prior or "network", 64, args.weights)
        except WeightsError as err:
            raise CommandError(str(err)) from None
    if args.what == "toy":
        from explorer.bench import toy as bench

        result = bench.run(args.json, threads=args.threads, sweep_count=args.sweep_count)
    elif args.what == "ct":
        from explorer.bench import ct as bench

        result = bench.run(args.json, threads=args.threads, prior=args.prior, weights=args.weights)
    elif args.what == "toy-browser":
        from explorer.bench import toy_browser as bench

        result = bench.run(args.json)
    elif args.what == "ct-browser":
        from explorer.bench import ct_browser as bench

        result = bench.run(args.json)
    elif args.what == "problems":
        from explorer.bench import problems as bench

        _check_writable(args.json)  # before the long run, not after it
        result = bench.run(args.json, threads=args.threads, phantoms=args.phantoms, n_iter=args.n_iter,
                           prior=args.prior, weights=args.weights,
                           progress=lambda line: print(line, file=sys.stderr, flush=True))
    else:
        from explorer.bench import operator as bench

        result = bench.run(args.json, threads=args.threads)
    print(bench.format_table(result))
    return 0


def cmd_train(args) -> int:
    from explorer.priors import training

    return training.run(args)


def cmd_app(args) -> int:
    from explorer.app import launch

    try:
        return launch.run(args.streamlit_args)
    except launch.AppNotFound as err:
        raise CommandError(str(err)) from None


def _check_writable(path: str | None) -> None:
    if path and not Path(path).resolve().parent.is_dir():
        raise CommandError(f"cannot write {path}: the folder {Path(path).parent} does not exist")


def _write_json(path: str | None, data: dict) -> None:
    if not path:
        return
    _check_writable(path)
    atomic_write_json(path, data)


def _catalogue_defaults(name: str, problem: str | None) -> str:
    """"ct 30, sparse-ct 15, ...": the catalogue's default of operator parameter `name` for each problem taking it
    (only "30" when `problem` is given)."""
    from explorer.problems import PROBLEMS

    shown = {key: kind.defaults[name] for key, kind in PROBLEMS.items()
             if name in kind.defaults and problem in (None, key)}
    if problem is not None:
        return f"{shown[problem]:g}" if isinstance(shown[problem], float) else str(shown[problem])
    return ", ".join(f"{key} {value:g}" if isinstance(value, float) else f"{key} {value}"
                     for key, value in shown.items())


def _add_operator_args(p: argparse.ArgumentParser, names: tuple[str, ...], problem: str | None = None) -> None:
    """The operator parameter flags `names` (fields of ct.ProblemSettings), each None unless given.

    `problem`: the one problem the command solves (its defaults alone are shown), or None for --problem.

    Only the ranges argparse can check cheaply are checked here; ct.ProblemSettings refuses a parameter the
    problem does not take and every other bad value with a one-line ValueError.
    """
    flags = {
        "n_angles": (("--n-angles", "--angles"), _number(int, low=1, high=720, name="--n-angles"),
                     "projection angles of the CT kinds"),
        "angle_range": (("--angle-range",), _number(float, low=0, low_open=True, high=180, name="--angle-range"),
                        "limited-angle: the angles cover [0, this) degrees"),
        "sigma": (("--sigma",), _number(float, low=0, low_open=True, name="--sigma"),
                  "deblur: blur standard deviation in pixels"),
        "keep": (("--keep",), _number(float, low=0, low_open=True, high=1, name="--keep"),
                 "inpaint: fraction of pixels observed"),
        "mask": (("--mask",), None, "inpaint: random pixels or a centred box hole of area 1 - keep"),
        "mask_seed": (("--mask-seed",), _number(int, low=0, high=2**63 - 1, name="--mask-seed"),
                      "inpaint: seed of the random mask"),
        "factor": (("--factor",), _number(int, low=1, name="--factor"), "superres: block side, 2 or 4"),
    }
    from explorer.problems import INPAINT_MASKS

    for name in names:
        options, kind, text = flags[name]
        extra = {"choices": list(INPAINT_MASKS)} if name == "mask" else {"type": kind}
        p.add_argument(*options, dest=name, default=None, **extra,
                       help=f"{text} (default {_catalogue_defaults(name, problem)})")


def _add_solve_parser(sub, command: str) -> None:
    """The parser of `solve` (any problem, --problem) or `ct` (the same command for the CT problem)."""
    from explorer import ct
    from explorer.problems import PROBLEMS

    d, s = ct.ProblemSettings(), ct.SolverSettings()
    if command == "ct":
        p = sub.add_parser("ct", help="reconstruct a CT phantom with GNC (or another method) from several starts"
                                      " (the same as `solve --problem ct`)")
        p.set_defaults(problem="ct")
        _add_operator_args(p, ("n_angles",), "ct")
    else:
        p = sub.add_parser("solve", help="reconstruct a phantom of any problem (CT, deblurring, inpainting, ...)"
                                         " with GNC (or another method) from several starts")
        p.add_argument("--problem", choices=list(PROBLEMS), default=d.problem,
                       help="; ".join(f"{key}: {kind.description}" for key, kind in PROBLEMS.items())
                            + f" (default {d.problem})")
        _add_operator_args(p, ct.OPERATOR_PARAMS)
    # Each dest is a field of ct.ProblemSettings or ct.SolverSettings; the second option strings are the old names.
    p.add_argument("--n", "--size", dest="n", type=_number(int, low=8, high=256, name="--n"), default=d.n,
                   help=f"image side n (default {d.n})")
    p.add_argument("--noise-level", "--noise", dest="noise_level",
                   type=_number(float, low=0, high=10, name="--noise-level"), default=d.noise_level,
                   help=f"relative noise level (default {d.noise_level})")
    p.add_argument("--noise-seed", type=_number(int, low=0, high=2**63 - 1, name="--noise-seed"),
                   default=d.noise_seed, help=f"seed of the measurement noise (default {d.noise_seed})")
    p.add_argument("--phantom", choices=list(ct.PHANTOMS), default=d.phantom, help=f"(default {d.phantom})")
    p.add_argument("--seed", dest="phantom_seed", type=_number(int, low=0, high=2**63 - 1, name="--seed"),
                   default=d.phantom_seed,
                   help=f"seed of the ellipse phantom (default {d.phantom_seed}, held out from training)")
    p.add_argument("--init", dest="inits", nargs="+", choices=[name for name in ct.INITS if name != "upload"],
                   default=list(s.inits),
                   help="starts, run as one batch; reference: the problem's reference image, fbp: its older name"
                        " (default zeros)")
    p.add_argument("--init-seed", type=_number(int, low=0, high=2**63 - 1, name="--init-seed"),
                   default=s.init_seed, help=f"seed of the noise start (default {s.init_seed})")
    p.add_argument("--method", choices=list(METHODS), default=s.method, help=f"solver (default {s.method})")
    p.add_argument("--n-iter", "--iters", dest="n_iter", type=_number(int, low=1, high=100_000, name="--n-iter"),
                   default=s.n_iter, help=f"iterations N (default {s.n_iter})")
    p.add_argument("--schedule", choices=list(schedules.SCHEDULES), default=s.schedule,
                   help=f"smoothing schedule (default {s.schedule})")
    p.add_argument("--t-max", type=_number(float, low=0, low_open=True, high=1, name="--t-max"), default=s.t_max,
                   help=f"t_max (default {s.t_max:g})")
    p.add_argument("--t-min", type=_number(float, low=0, low_open=True, high=1, name="--t-min"), default=d.t_min,
                   help=f"t_min (default {d.t_min:g})")
    p.add_argument("--prior", choices=list(ct.PRIORS), default=None,
                   help="prior (default: network when the shipped weights load, else gaussian)")
    p.add_argument("--weights", default=None, help="weights file of the network prior (default: the shipped one)")
    p.add_argument("--alpha", type=_number(float, low=0, high=1e6, name="--alpha"), default=None,
                   help="prior weight on the normalised problem (default: tuned per prior, "
                        + ", ".join(f"{k} {v:g}" for k, v in ct.ALPHA.items()) + ")")
    p.add_argument("--step-rule", "--step", dest="step_rule", choices=list(STEP_RULES), default=s.step_rule,
                   help="step rule: " + ", ".join(f"{k} ({v.label})" for k, v in STEP_RULES.items())
                        + f" (default {s.step_rule})")
    p.add_argument("--step-size", type=_number(float, low=0, low_open=True, high=1e12, name="--step-size"),
                   default=None, help="fixed step b, or the first trial step of a line search (default: tuned)")
    p.add_argument("--clip", action=argparse.BooleanOptionalAction, default=s.clip,
                   help="project iterates onto [0, 1] (default on)")
    p.add_argument("--record-every", type=_number(int, low=1, high=100_000, name="--record-every"),
                   default=s.record_every, help=f"PSNR / SSIM history stride (default {s.record_every})")
    p.add_argument("--threads", type=_number(int, low=1, high=256, name="--threads"), default=2,
                   help="compute threads (default 2)")
    p.add_argument("--device", choices=("cpu", "cuda"), default="cpu",
                   help="where the solve runs: the prior, the data and every iterate (default cpu)")
    p.add_argument("--out", required=True, type=_path("--out"),
                   help="output folder (created if missing; replaced as a whole, so it may hold only these files)")
    p.set_defaults(func=cmd_solve)


def build_parser(prog: str = MODULE_PROG) -> argparse.ArgumentParser:
    """The parser of every subcommand; `prog` is how the user started the command (named in errors)."""
    from explorer.priors.catalog import PRIORS

    parser = _Parser(prog=prog, description="GNC explorer: graduated optimisation with score-based priors.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    p = sub.add_parser("toy", help="solve the 2D toy from a grid of starts; report shares reaching x*")
    _add_toy_solver_args(p)
    p.add_argument("--t-max", type=_number(float, low=0, low_open=True, high=100, name="--t-max"),
                   default=TOY_DEFAULTS["t_max"], help="t_max (default 1)")
    p.add_argument("--json", type=_path("--json"),
                   help="write the report (frac_global, frac_stationary, seconds, ...) here")
    p.set_defaults(func=cmd_toy)

    p = sub.add_parser("maps", help="draw the basin, reach and convergence-rate maps to PNG and/or HTML")
    _add_toy_solver_args(p)
    p.add_argument("--t-max", type=_number(float, low=0, low_open=True, high=100, name="--t-max"),
                   default=TOY_DEFAULTS["t_max"], help="t_max of the basin map (default 1)")
    p.add_argument("--t-max-count", type=_number(int, low=1, high=1000, name="--t-max-count"), default=100,
                   help="t_max values of the sweep, log-spaced 10 .. 0.01 (default 100)")
    p.add_argument("--format", nargs="+", choices=["png", "html"], default=["png", "html"])
    p.add_argument("--out", required=True, type=_path("--out"), help="output folder")
    p.set_defaults(func=cmd_maps)

    _add_solve_parser(sub, "solve")
    _add_solve_parser(sub, "ct")

    p = sub.add_parser("bench", help="benchmarks: toy solves, the CT operator, CT reconstruction or every problem")
    p.add_argument("what", choices=["toy", "operator", "ct", "toy-browser", "ct-browser", "problems"],
                   help="toy-browser / ct-browser: the Toy page / the CT page's playback in headless Chromium (need "
                        "the test requirements and Chromium); "
                        "problems: reference, TV, GD and GNC on every problem of the catalogue")
    p.add_argument("--json", type=_path("--json"), help="write the results here")
    p.add_argument("--threads", type=_number(int, low=1, high=256, name="--threads"), default=2)
    p.add_argument("--sweep-count", type=_number(int, low=1, high=1000, name="--sweep-count"), default=100,
                   help="t_max values in the toy sweep (default 100)")
    p.add_argument("--phantoms", type=_number(int, low=1, high=1000, name="--phantoms"), default=3,
                   help="problems: held-out phantoms per problem (default 3)")
    p.add_argument("--n-iter", "--iters", dest="n_iter", type=_number(int, low=1, high=100_000, name="--n-iter"),
                   default=None, help="problems: iterations of GD and GNC (default: the solver's default)")
    p.add_argument("--weights", type=_path("--weights"), default=None,
                   help="ct, problems: the network prior's weights (default: the shipped file)")
    p.add_argument("--prior", choices=list(PRIORS), default=None,
                   help="ct, problems: the prior (default: the network when its weights load)")
    p.set_defaults(func=cmd_bench)

    from explorer.priors import training

    p = sub.add_parser("train", help="train the CT prior by denoising score matching")
    training.add_arguments(p)
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("app", help="start the Streamlit app; further arguments go to `streamlit run`",
                       description="Start the Streamlit app. Arguments after `app` go to `streamlit run`, "
                                   "e.g. --server.port=8502.")
    p.set_defaults(func=cmd_app)
    return parser


def main(argv: list[str] | None = None, prog: str = MODULE_PROG) -> int:
    """Entry point; returns the exit status. `prog` names the command in usage and error lines.

    Bad flags end in argparse's SystemExit(2) after the one-line error; every other failure is returned.
    """
    keep_freed_memory()
    parser = build_parser(prog)
    # Only `app` takes arguments the parser does not know: it hands them to `streamlit run`.
    args, extra = parser.parse_known_args(argv)
    if extra and args.command != "app":
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    args.streamlit_args = extra
    try:
        return int(args.func(args) or 0)
    except (CommandError, ValueError, OSError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def console() -> None:
    """The `gnc-explorer` console command: like `python -m explorer`, named as the user typed it."""
    name = Path(sys.argv[0]).name if sys.argv and sys.argv[0] else ""
    name = name.removesuffix(".exe") if os.name == "nt" else name
    sys.exit(main(prog=name or "gnc-explorer"))
