"""Command line: `python -m explorer {toy,maps,bench,train} ...`.

Bad input gives a one-line error on stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

import numpy as np

from . import analysis, schedules
from .solvers import METHODS
from .steps import Armijo, BarzilaiBorwein, Fixed
from .toy import ToyProblem

# The authors' toy settings: the defaults of every toy command.
TOY_DEFAULTS = {"t_max": 1.0, "iters": 1300, "grid": 100, "schedule": "linear", "gnc_step": 1.0}
DEFAULT_RULE = {"gnc": "fixed", "gradient-like": "armijo", "adaptive": "armijo", "gd": "fixed"}


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


def step_rule(name: str, step: float | None):
    """The step rule object for a CLI name; `step` is the fixed step or the first trial step."""
    if name == "fixed":
        return Fixed(TOY_DEFAULTS["gnc_step"] if step is None else step)
    if name == "armijo":
        return Armijo() if step is None else Armijo(b0=step)
    return BarzilaiBorwein() if step is None else BarzilaiBorwein(b0=step)


def _add_toy_solver_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--method", choices=list(METHODS), default="gnc", help="solver (default gnc)")
    p.add_argument("--schedule", choices=list(schedules.SCHEDULES), default=TOY_DEFAULTS["schedule"],
                   help="smoothing schedule (default linear)")
    p.add_argument("--step", choices=["fixed", "armijo", "bb"], default=None,
                   help="step rule (default: fixed for gnc and gd, armijo for gradient-like and adaptive)")
    p.add_argument("--step-size", type=_number(float, low=0, low_open=True, high=1e12, name="--step-size"),
                   default=None, help="fixed step b, or the first trial step of a line search")
    p.add_argument("--iters", type=_number(int, low=1, high=100_000, name="--iters"),
                   default=TOY_DEFAULTS["iters"], help="iterations N (default 1300)")
    p.add_argument("--grid", type=_number(int, low=2, high=1000, name="--grid"), default=TOY_DEFAULTS["grid"],
                   help="G: starts on a G x G grid over [-10, 10]^2 (default 100)")
    p.add_argument("--t-min", type=_number(float, low=0, low_open=True, high=100, name="--t-min"), default=1e-3,
                   help="t_min (default 1e-3)")
    p.add_argument("--threads", type=_number(int, low=1, high=256, name="--threads"), default=2,
                   help="compute threads (default 2)")


def _solver(args):
    method = METHODS[args.method]()
    rule = step_rule(args.step or DEFAULT_RULE[args.method], args.step_size)
    return method, rule


def _problem(args) -> ToyProblem:
    return ToyProblem(t_min=args.t_min)


def cmd_toy(args) -> int:
    from . import toy_fast

    if args.t_max < args.t_min:
        raise CommandError(f"--t-max ({args.t_max}) must not be below --t-min ({args.t_min})")
    _check_writable(args.json)
    toy_fast.set_threads(args.threads)
    method, rule = _solver(args)
    problem = _problem(args)
    summary = analysis.run_grid(problem, method, rule, t_max=args.t_max, n_iter=args.iters, grid=args.grid,
                                schedule=args.schedule)
    report = {
        "frac_global": summary.frac_global,
        "frac_stationary": summary.frac_stationary,
        "seconds": summary.seconds,
        "frac_local_minima": [float(np.mean(summary.labels == i)) for i in (1, 2, 3)],
        "frac_not_converged": float(np.mean(summary.labels == analysis.NOT_CONVERGED)),
        "config": {"method": args.method, "t_max": args.t_max, "t_min": args.t_min, "iters": args.iters,
                   "grid": args.grid, "schedule": args.schedule, "step_rule": type(rule).__name__,
                   "step_rule_params": {k: v for k, v in vars(rule).items() if k != "searches"},
                   "threads": args.threads},
    }
    _write_json(args.json, report)
    print(f"{args.method}: frac_global {summary.frac_global:.4f}  frac_stationary {summary.frac_stationary:.4f}"
          f"  ({summary.seconds:.2f} s)")
    return 0


def cmd_maps(args) -> int:
    from . import toy_fast

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
    sweep = analysis.sweep(problem, method, rule, t_max_values=values, n_iter=args.iters, grid=args.grid,
                           schedule=args.schedule)
    at = analysis.run_grid(problem, method, rule, t_max=args.t_max, n_iter=args.iters, grid=args.grid,
                           schedule=args.schedule)
    written = _write_maps(out, args.format, sweep, at, args.method)
    summary = {"seconds": time.perf_counter() - t0, "files": [str(p) for p in written],
               "frac_global_by_t_max": {f"{r.t_max:.6g}": r.frac_global for r in sweep.runs}}
    _write_json(str(out / "maps.json"), summary)
    print("\n".join(str(p) for p in written))
    return 0


def _write_maps(out: Path, formats: list[str], sweep, at, method: str) -> list[Path]:
    from . import raster

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
        raster.write_map_png(str(p), raster.ramp_colours(sweep.rate[order], 0, 1), scale=3,
                             title=f"{method}: share within 0.1 of x* (dark 0, yellow 1)",
                             x_label=f"iteration 0..{int(sweep.iterations[-1])}",
                             y_label=f"t_max {sweep.t_max.min():g}..{sweep.t_max.max():g}")
        written.append(p)
    if "html" in formats:
        from .figures import toy as toy_figures

        figures = {
            "basin_map": toy_figures.basin_figure(sweep.coords, at.labels, title=f"{method}, t_max = {at.t_max:g}"),
            "reach_map": toy_figures.reach_figure(sweep.coords, sweep.reach_share),
            "rate_map": toy_figures.rate_figure(sweep.iterations, sweep.t_max, sweep.rate),
        }
        for name, fig in figures.items():
            p = out / f"{name}.html"
            fig.write_html(str(p), include_plotlyjs=True, full_html=True)
            written.append(p)
    return written


def cmd_bench(args) -> int:
    if args.what == "toy":
        from .bench import toy as bench

        result = bench.run(args.json, threads=args.threads, sweep_count=args.sweep_count)
    else:
        from .bench import operator as bench

        result = bench.run(args.json, threads=args.threads)
    print(bench.format_table(result))
    return 0


def cmd_train(args) -> int:
    from . import training

    return training.run(args)


def _check_writable(path: str | None) -> None:
    if path and not Path(path).resolve().parent.is_dir():
        raise CommandError(f"cannot write {path}: the folder {Path(path).parent} does not exist")


def _write_json(path: str | None, data: dict) -> None:
    if not path:
        return
    _check_writable(path)
    with open(path, "w") as fh:
        json.dump(data, fh, indent=2)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m explorer",
                                     description="GNC explorer: graduated optimisation with score-based priors.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    p = sub.add_parser("toy", help="solve the 2D toy from a grid of starts; report shares reaching x*")
    _add_toy_solver_args(p)
    p.add_argument("--t-max", type=_number(float, low=0, low_open=True, high=100, name="--t-max"),
                   default=TOY_DEFAULTS["t_max"], help="t_max (default 1)")
    p.add_argument("--json", help="write the report (frac_global, frac_stationary, seconds, ...) here")
    p.set_defaults(func=cmd_toy)

    p = sub.add_parser("maps", help="draw the basin, reach and convergence-rate maps to PNG and/or HTML")
    _add_toy_solver_args(p)
    p.add_argument("--t-max", type=_number(float, low=0, low_open=True, high=100, name="--t-max"),
                   default=TOY_DEFAULTS["t_max"], help="t_max of the basin map (default 1)")
    p.add_argument("--t-max-count", type=_number(int, low=1, high=1000, name="--t-max-count"), default=100,
                   help="t_max values of the sweep, log-spaced 10 .. 0.01 (default 100)")
    p.add_argument("--format", nargs="+", choices=["png", "html"], default=["png", "html"])
    p.add_argument("--out", required=True, help="output folder")
    p.set_defaults(func=cmd_maps)

    p = sub.add_parser("bench", help="benchmarks: toy solves or the CT operator")
    p.add_argument("what", choices=["toy", "operator"])
    p.add_argument("--json", help="write the results here")
    p.add_argument("--threads", type=_number(int, low=1, high=256, name="--threads"), default=2)
    p.add_argument("--sweep-count", type=_number(int, low=1, high=1000, name="--sweep-count"), default=100,
                   help="t_max values in the toy sweep (default 100)")
    p.set_defaults(func=cmd_bench)

    from . import training

    p = sub.add_parser("train", help="train the CT prior by denoising score matching")
    training.add_arguments(p)
    p.set_defaults(func=cmd_train)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except (CommandError, ValueError, OSError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
