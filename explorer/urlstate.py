"""The Toy page's state: the parameters a link carries, their validation, presets and the playback clock.

A URL can ask for anything, so every value read from one is parsed here and checked against the bounds
below; a bad value falls back to its default and produces a one-line warning, never an exception. The
defaults live in `ToyParams` and nowhere else.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace
from typing import Mapping, Sequence

import numpy as np

from .schedules import SCHEDULES
from .solvers import METHODS
from .steps import STEP_RULES
from .toy import WINDOW

START_MODES = ("preset", "random", "typed", "grid")  # how the starts of the trajectories are chosen
SWEEP_SIZES = {"quick": (40, 20), "full": (100, 100)}  # name -> (grid side, number of t_max values)
MAX_STARTS = 20  # most trajectories drawn at once
POINT_BOUND = 50.0  # typed starts must satisfy |x_i| <= this
CANDIDATES = tuple(float(v) for v in np.arange(-8.0, 8.5, 2.0))  # coordinates of the candidate grid
EMBED_KEYS = ("embed", "embed_options")  # Streamlit's own URL keys, never ours

Point = tuple[float, float]


@dataclass(frozen=True)
class Preset:
    """One of the authors' sample paths: a start, the method and t_max they used."""

    label: str  # what the UI shows
    method: str  # key of explorer.solvers.METHODS
    start: Point  # x_0
    t_max: float  # first t of the linear schedule
    rule: str  # key of explorer.steps.STEP_RULES: fixed b = 1 for GNC, Armijo for gradient-like


PRESETS: dict[str, Preset] = {
    "gnc-global": Preset("GNC (-3.94, -7.17), t_max 3.511 -> x*", "gnc", (-3.94, -7.17), 3.511, "fixed"),
    "gnc-local": Preset("GNC (-5.96, -6.77), t_max 0.3054 -> left local minimum", "gnc", (-5.96, -6.77), 0.3054,
                        "fixed"),
    "gnc-stuck": Preset("GNC (9.19, 4.14), t_max 0.0756 -> not converged", "gnc", (9.19, 4.14), 0.0756, "fixed"),
    "gl-global": Preset("Gradient-like (-5.96, -4.75), t_max 3.511", "gradient-like", (-5.96, -4.75), 3.511, "armijo"),
    "gl-local": Preset("Gradient-like (2.12, -5.56), t_max 0.1520", "gradient-like", (2.12, -5.56), 0.1520, "armijo"),
    "gl-small": Preset("Gradient-like (4.14, 8.18), t_max 0.0756", "gradient-like", (4.14, 8.18), 0.0756, "armijo"),
}


@dataclass(frozen=True)
class ToyParams:
    """Everything a link to the Toy page reproduces; the defaults are the authors' first GNC sample path."""

    method: str = "gnc"  # key of explorer.solvers.METHODS
    schedule: str = "linear"  # key of explorer.schedules.SCHEDULES
    t_max: float = 3.511  # first smoothing level t_1
    t_min: float = 1e-3  # last smoothing level t_N (f = F(., t_min))
    n_iter: int = 1300  # N, the number of iterations
    rule: str = "fixed"  # key of explorer.steps.STEP_RULES
    step: float = 1.0  # b: the fixed step, or the first trial of a line search
    data_weight: float = 0.01  # factor of 1/2 ||Ax - y||^2
    prior_weight: float = 0.05  # factor of -log p_t
    starts: str = "preset"  # one of START_MODES
    preset: str = "gnc-global"  # key of PRESETS
    k: int = 5  # number of random starts
    seed: int = 0  # names the random starts
    points: str = "-3.94, -7.17; 9.19, 4.14"  # typed starts "x1, x2; x1, x2"
    picks: str = "-8, -8; 8, 8"  # starts picked from the candidate grid, same format
    follow: bool = True  # the landscape shows F(., t_k) at the shown iteration
    t: float = 1.0  # the landscape's t when not following
    it: int = -1  # shown iteration; -1 means the last
    frame: int = 13  # iterations per step / per frame of playback
    maps: bool = False  # show the basin and convergence-rate maps
    sweep: str = "quick"  # key of SWEEP_SIZES


# Bounds of the numeric fields, inclusive; they keep every run finite in time and memory.
_BOUNDS: dict[str, tuple[float, float]] = {
    "t_max": (1e-4, 100.0),
    "t_min": (1e-6, 1.0),
    "n_iter": (1, 5000),
    "step": (1e-8, 1e9),
    "data_weight": (1e-4, 1.0),
    "prior_weight": (1e-4, 1.0),
    "k": (1, MAX_STARTS),
    "seed": (0, 2**31 - 1),
    "t": (1e-4, 10.0),
    "it": (-1, 5000),
    "frame": (1, 1000),
}
_CHOICES: dict[str, Sequence[str]] = {
    "method": tuple(METHODS),
    "schedule": tuple(SCHEDULES),
    "rule": tuple(STEP_RULES),
    "starts": START_MODES,
    "preset": tuple(PRESETS),
    "sweep": tuple(SWEEP_SIZES),
}
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


def parse_points(text: str, limit: int = MAX_STARTS) -> list[Point]:
    """Points from "x1, x2; x1, x2"; raise ValueError saying what is wrong.

    Each point needs two finite numbers with |x_i| <= POINT_BOUND; at most `limit` points, at least one.
    """
    points: list[Point] = []
    for chunk in text.split(";"):
        if not chunk.strip():
            continue
        # Messages quote a short, escaped piece of the input: it may come from a URL.
        quoted = repr(chunk.strip()[:24])
        parts = chunk.split(",")
        if len(parts) != 2:
            raise ValueError(f"{quoted} is not a pair 'x1, x2'")
        try:
            x = (float(parts[0]), float(parts[1]))
        except ValueError:
            raise ValueError(f"{quoted} is not a pair of numbers") from None
        if not all(math.isfinite(v) and abs(v) <= POINT_BOUND for v in x):
            raise ValueError(f"{quoted} must be finite with |x_i| <= {POINT_BOUND:g}")
        points.append(x)
    if not points:
        raise ValueError("no points given")
    if len(points) > limit:
        raise ValueError(f"at most {limit} points, got {len(points)}")
    return points


def format_points(points: Sequence[Point]) -> str:
    """The inverse of `parse_points`: "x1, x2; x1, x2" with short numbers."""
    return "; ".join(f"{x1:g}, {x2:g}" for x1, x2 in points)


def candidate_names() -> list[str]:
    """Names "x1, x2" of the candidate grid points, row by row from the bottom left."""
    return [format_points([(x1, x2)]) for x2 in CANDIDATES for x1 in CANDIDATES]


def random_starts(k: int, seed: int, window: tuple[float, float] = WINDOW) -> list[Point]:
    """k starts drawn uniformly over the window, named by the seed (no global state)."""
    rng = np.random.default_rng(seed)
    xy = rng.uniform(window[0], window[1], size=(k, 2))
    return [(float(round(a, 2)), float(round(b, 2))) for a, b in xy]


def starts_of(params: ToyParams) -> list[Point]:
    """The starts the parameters describe (they are assumed valid, as `toy_params_from_query` returns)."""
    if params.starts == "preset":
        return [PRESETS[params.preset].start]
    if params.starts == "random":
        return random_starts(params.k, params.seed)
    if params.starts == "typed":
        return parse_points(params.points)
    return parse_points(params.picks)


def advance(iteration: int, n_iter: int, frame: int) -> tuple[int, bool]:
    """One tick of playback: the next shown iteration and whether playback goes on.

    Parameters
    ----------
    iteration : int
        The shown iteration, 0 .. n_iter.
    n_iter : int
        The last iteration.
    frame : int
        Iterations per tick.
    """
    nxt = min(max(iteration, 0) + max(frame, 1), n_iter)
    return nxt, nxt < n_iter


def _parse_one(name: str, raw: str, default):
    """Parse and check one field; raise ValueError with a short reason."""
    if name in _CHOICES:
        if raw not in _CHOICES[name]:
            raise ValueError(f"not one of {', '.join(_CHOICES[name])}")
        return raw
    if isinstance(default, bool):
        low = raw.strip().lower()
        if low in _TRUE:
            return True
        if low in _FALSE:
            return False
        raise ValueError("not a yes/no value")
    if isinstance(default, int):
        try:
            value = int(raw)
        except ValueError:
            raise ValueError("not an integer") from None
    elif isinstance(default, float):
        try:
            value = float(raw)
        except ValueError:
            raise ValueError("not a number") from None
        if not math.isfinite(value):
            raise ValueError("not finite")
    else:
        # Point lists: parse to check, keep the text in a normal form.
        points = parse_points(raw)
        if name == "picks":
            allowed = set(candidate_names())
            outside = [p for p in (format_points([q]) for q in points) if p not in allowed]
            if outside:
                raise ValueError(f"{outside[0]} is not a candidate grid point")
        return format_points(points)
    lo, hi = _BOUNDS[name]
    if not lo <= value <= hi:
        raise ValueError(f"outside [{lo:g}, {hi:g}]")
    return value


def _last(value: str | Sequence[str]) -> str:
    """The last value of a repeated URL key (Streamlit's own rule), or the value itself."""
    if isinstance(value, str):
        return value
    return str(value[-1]) if len(value) else ""


def toy_params_from_query(query: Mapping[str, str | Sequence[str]]) -> tuple[ToyParams, list[str]]:
    """Validated parameters from URL query parameters, and one warning per value that was ignored.

    Unknown keys, values that do not parse, are not finite, lie outside their bounds, are not among the
    choices, and inconsistent pairs (t_min >= t_max, an iteration past N) fall back to the defaults.
    """
    defaults = ToyParams()
    known = {f.name: getattr(defaults, f.name) for f in fields(ToyParams)}
    values: dict[str, object] = {}
    warnings: list[str] = []
    for key, raw_value in query.items():
        if key in EMBED_KEYS:
            continue
        if key not in known:
            warnings.append(f"unknown URL parameter '{key}' ignored")
            continue
        raw = _last(raw_value)
        try:
            values[key] = _parse_one(key, raw, known[key])
        except ValueError as err:
            warnings.append(f"URL parameter {key}={raw[:40]!r} ignored ({err}); using {known[key]!r}")
    params = replace(defaults, **values)
    if params.t_min >= params.t_max:
        warnings.append(f"t_min = {params.t_min:g} is not below t_max = {params.t_max:g}; "
                        f"using t_min = {defaults.t_min:g}")
        params = replace(params, t_min=defaults.t_min)
        if params.t_min >= params.t_max:
            params = replace(params, t_max=defaults.t_max)
    if params.it > params.n_iter:
        warnings.append(f"iteration {params.it} is past N = {params.n_iter}; showing the last")
        params = replace(params, it=defaults.it)
    return params, warnings


def toy_params_to_query(params: ToyParams) -> dict[str, str]:
    """URL query parameters for every field, in a form `toy_params_from_query` reads back unchanged."""
    out: dict[str, str] = {}
    for f in fields(ToyParams):
        value = getattr(params, f.name)
        if isinstance(value, bool):
            out[f.name] = "1" if value else "0"
        elif isinstance(value, float):
            out[f.name] = repr(value)
        else:
            out[f.name] = str(value)
    return out
