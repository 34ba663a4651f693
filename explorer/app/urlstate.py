"""The pages' state in their URLs: the parameters a link carries, their validation, presets and the playback clock.

A URL can ask for anything, so every value read from one is parsed here and checked against the bounds
below; a bad value falls back to its default and produces a one-line warning, never an exception, and all
unknown keys share one warning. Warnings quote user text cut short (:mod:`explorer.app.plain`); the pages escape
them before showing them. The defaults live in `ToyParams` and `CTParams` and nowhere else.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields, replace

import numpy as np

from explorer.app.plain import clip, list_summary, quoted
from explorer.core.registry import METHODS, STEP_RULES
from explorer.core.schedules import SCHEDULES
from explorer.ct.problem import FACTORS, HELD_OUT_SEED, INITS, MAX_SIGMA, OPERATOR_PARAMS, SolverSettings
from explorer.imaging.dicom import CENTER_RANGE, DEFAULT_WINDOW, WIDTH_RANGE, WINDOWS
from explorer.priors.catalog import PRIORS
from explorer.problems import INPAINT_MASKS, PROBLEMS
from explorer.problems.fbp import FILTERS
from explorer.toy.problem import WINDOW

START_MODES = ("preset", "random", "typed", "grid")  # how the starts of the trajectories are chosen
SWEEP_SIZES = {"quick": (40, 20), "full": (100, 100)}  # name -> (grid side, number of t_max values)
MAX_STARTS = 20  # most trajectories drawn at once
POINT_BOUND = 50.0  # typed starts must satisfy |x_i| <= this
CANDIDATES = tuple(float(v) for v in np.arange(-8.0, 8.5, 2.0))  # coordinates of the candidate grid
EMBED_KEYS = ("embed", "embed_options")  # Streamlit's own URL keys, never ours
# Lesson mode's URL keys (explorer.app.lessons), read by the lesson panel, not by the pages. "step" is also an old
# name of step_size (TOY_ALIASES, CT_ALIASES): it names the lesson's step only beside "lesson".
LESSON_KEYS = ("lesson", "step")

Point = tuple[float, float]


@dataclass(frozen=True)
class Preset:
    """One of the authors' sample paths: a start, the method and t_max they used."""

    label: str  # what the UI shows
    method: str  # key of explorer.core.registry.METHODS
    start: Point  # x_0
    t_max: float  # first t of the linear schedule
    step_rule: str  # key of explorer.core.registry.STEP_RULES: fixed b = 1 for GNC, Armijo for gradient-like


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

    method: str = "gnc"  # key of explorer.core.registry.METHODS
    schedule: str = "linear"  # key of explorer.core.schedules.SCHEDULES
    t_max: float = 3.511  # first smoothing level t_1
    t_min: float = 1e-3  # last smoothing level t_N (f = F(., t_min))
    n_iter: int = 1300  # N, the number of iterations
    step_rule: str = "fixed"  # key of explorer.core.registry.STEP_RULES
    step_size: float = 1.0  # b: the fixed step, or the first trial of a line search
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
    compare: str = "none"  # a second method run from the same starts beside the first ("none": no second panel)
    present: bool = False  # presentation mode: larger type and lines, the sidebar folded, the figure fitted
    maps_first: bool = False  # the basin and rate maps above the live view (a lesson about the maps)


# URL keys of links made before the names were unified -> today's field names.
TOY_ALIASES = {"rule": "step_rule", "step": "step_size"}

# Bounds of the numeric fields, inclusive; they keep every run finite in time and memory.
_BOUNDS: dict[str, tuple[float, float]] = {
    "t_max": (1e-4, 100.0),
    "t_min": (1e-6, 1.0),
    "n_iter": (1, 5000),
    "step_size": (1e-8, 1e9),
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
    "step_rule": tuple(STEP_RULES),
    "starts": START_MODES,
    "preset": tuple(PRESETS),
    "sweep": tuple(SWEEP_SIZES),
    "compare": ("none", *METHODS),
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
        # Messages quote a short piece of the input on one line: it may come from a URL.
        piece = quoted(chunk.strip(), 24)
        parts = chunk.split(",")
        if len(parts) != 2:
            raise ValueError(f"{piece} is not a pair 'x1, x2'")
        try:
            x = (float(parts[0]), float(parts[1]))
        except ValueError:
            raise ValueError(f"{piece} is not a pair of numbers") from None
        if not all(math.isfinite(v) and abs(v) <= POINT_BOUND for v in x):
            raise ValueError(f"{piece} must be finite with |x_i| <= {POINT_BOUND:g}")
        points.append(x)
    if not points:
        raise ValueError("no points given")
    if len(points) > limit:
        raise ValueError(f"at most {limit} points, got {len(points)}")
    return points


def parse_points_keeping_good(text: str, limit: int = MAX_STARTS) -> tuple[list[Point], list[str]]:
    """The good points of "x1, x2; x1, x2" and one reason per pair left out: one bad pair drops only itself.

    Pairs past the first `limit` good ones are left out too, with one reason for all of them.
    """
    points: list[Point] = []
    problems: list[str] = []
    for chunk in text.split(";"):
        if not chunk.strip():
            continue
        try:
            points += parse_points(chunk, limit=1)
        except ValueError as err:
            problems.append(str(err))
    if len(points) > limit:
        problems.append(f"at most {limit} points: {len(points) - limit} left out")
        points = points[:limit]
    return points, problems


def format_points(points: Sequence[Point]) -> str:
    """The inverse of `parse_points`: "x1, x2; x1, x2" with short numbers (-0 written 0)."""
    return "; ".join(f"{x1 + 0.0:g}, {x2 + 0.0:g}" for x1, x2 in points)


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


def next_frame(iteration: int, n_iter: int, frame: int) -> tuple[int, bool]:
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


def _parse_value(name: str, raw: str, default, bounds: Mapping[str, tuple[float, float]],
                 choices: Mapping[str, Sequence[str]]):
    """Parse and check one value of a field whose default is `default`; raise ValueError with a short reason."""
    if name in choices:
        if raw not in choices[name]:
            raise ValueError(f"not one of {', '.join(choices[name])}")
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
    else:
        try:
            value = float(raw)
        except ValueError:
            raise ValueError("not a number") from None
        if not math.isfinite(value):
            raise ValueError("not finite")
    lo, hi = bounds[name]
    if not lo <= value <= hi:
        raise ValueError(f"outside [{lo:g}, {hi:g}]")
    return value


def _parse_toy_field(name: str, raw: str, default):
    """One Toy field: point lists are parsed to check them and kept as text in a normal form."""
    if name not in ("points", "picks"):
        return _parse_value(name, raw, default, _BOUNDS, _CHOICES)
    points = parse_points(raw)
    if name == "picks":
        allowed = set(candidate_names())
        outside = [p for p in (format_points([q]) for q in points) if p not in allowed]
        if outside:
            raise ValueError(f"{outside[0]} is not a candidate grid point")
    return format_points(points)


def _last(value: str | Sequence[str]) -> str:
    """The last value of a repeated URL key (Streamlit's own rule), or the value itself."""
    if isinstance(value, str):
        return value
    return str(value[-1]) if len(value) else ""


def parse_query(defaults, query: Mapping[str, str | Sequence[str]], parse,
                aliases: Mapping[str, str] | None = None,
                none_means: Mapping[str, str] | None = None) -> tuple[dict, list[str]]:
    """The fields of the dataclass instance `defaults` that `query` sets, and warnings about what was ignored.

    `parse(name, raw, default)` returns a field's value or raises ValueError with a short reason; values that
    do not parse are left out, each with a warning naming the default used instead, and all unknown keys share
    one warning. The warnings quote user text cut short but not escaped: pages escape them when they show them.
    `aliases` maps the keys of older links to today's field names, so links made before a rename still open.
    Streamlit's keys (EMBED_KEYS) are never read, lesson mode's (LESSON_KEYS) not when the query names a lesson.
    `none_means` says what a field's default None stands for in a warning (else "the tuned value").
    """
    known = {f.name: getattr(defaults, f.name) for f in fields(defaults)}
    values: dict[str, object] = {}
    warnings: list[str] = []
    unknown: list[str] = []
    aliases = aliases or {}
    # An alias never overrides the field's own key when a link carries both.
    items = sorted(query.items(), key=lambda item: item[0] not in aliases)
    skipped = EMBED_KEYS + (LESSON_KEYS if "lesson" in query else ())
    for given, raw_value in items:
        if given in skipped:
            continue
        key = aliases.get(given, given)
        if key not in known:
            unknown.append(given)
            continue
        raw = _last(raw_value)
        try:
            values[key] = parse(key, raw, known[key])
        except ValueError as err:
            default = (none_means or {}).get(key, "the tuned value") if known[key] is None else repr(known[key])
            warnings.append(f"URL parameter {clip(given)}={quoted(raw)} ignored ({err}); using {default}")
    if len(unknown) == 1:
        warnings.insert(0, f"unknown URL parameter {quoted(unknown[0])} ignored")
    elif unknown:
        warnings.insert(0, list_summary(unknown, "unknown URL parameters"))
    return values, warnings


def params_to_query(params) -> dict[str, str]:
    """URL query parameters for every field of a dataclass instance, in a form the parsers read back unchanged.

    Fields that are None (meaning "the tuned default") are left out; tuples become comma lists.
    """
    out: dict[str, str] = {}
    for f in fields(params):
        value = getattr(params, f.name)
        if value is None:
            continue
        if isinstance(value, bool):
            out[f.name] = "1" if value else "0"
        elif isinstance(value, float):
            out[f.name] = repr(value)
        elif isinstance(value, tuple):
            out[f.name] = ",".join(value)
        else:
            out[f.name] = str(value)
    return out


def _ordered_t_range(params, defaults, warnings: list[str]):
    """`params` with t_min below t_max: an inconsistent pair falls back to the defaults, with a warning."""
    if params.t_min < params.t_max:
        return params
    warnings.append(f"t_min = {params.t_min:g} is not below t_max = {params.t_max:g}; using t_min = {defaults.t_min:g}")
    params = replace(params, t_min=defaults.t_min)
    return params if params.t_min < params.t_max else replace(params, t_max=defaults.t_max)


def _good_typed_points(query: Mapping[str, str | Sequence[str]]) -> tuple[dict, list[str]]:
    """`query` with its typed starts cut to the pairs that parse, and a warning naming each pair left out.

    A typo in one pair keeps the others; only when no pair is good does the field fall back to its default.
    """
    query = dict(query)
    if "points" not in query:
        return query, []
    points, problems = parse_points_keeping_good(_last(query["points"]))
    if not points or not problems:
        return query, []
    query["points"] = format_points(points)
    return query, [f"typed start left out: {p}; the other {len(points)} typed starts kept" for p in problems]


def toy_params_from_query(query: Mapping[str, str | Sequence[str]]) -> tuple[ToyParams, list[str]]:
    """Validated parameters from URL query parameters, one warning per ignored value, one for all unknown keys.

    Unknown keys, values that do not parse, are not finite, lie outside their bounds, are not among the
    choices, and inconsistent pairs (t_min >= t_max, an iteration past N) fall back to the defaults.
    """
    defaults = ToyParams()
    query, kept = _good_typed_points(query)
    values, warnings = parse_query(defaults, query, _parse_toy_field, TOY_ALIASES)
    warnings += kept
    params = _ordered_t_range(replace(defaults, **values), defaults, warnings)
    if params.it > params.n_iter:
        warnings.append(f"iteration {params.it} is past N = {params.n_iter}; showing the last")
        params = replace(params, it=defaults.it)
    return params, warnings


def toy_params_to_query(params: ToyParams) -> dict[str, str]:
    """URL query parameters for every field, in a form `toy_params_from_query` reads back unchanged."""
    return params_to_query(params)


# ---------------------------------------------------------------------------------------------------------------
# The CT page.

CT_TABS = ("forward", "reconstruction")  # the CT page's tabs, in order
CT_PHANTOMS = ("ellipses", "shepp-logan", "ct-slice", "upload")  # what the Forward model tab simulates
CT_WINDOWS = (*WINDOWS, "custom")  # display windows of a real CT slice: the presets, or centre and width as typed
REAL_SLICES = ("ct-slice", "upload")  # phantoms that can be a real CT slice (an upload when it is a DICOM file)
CT_METHODS = tuple(METHODS)  # the CT page offers every method
CT_MAX_STARTS = len(INITS)  # each start kind at most once
CT_PROBLEMS = tuple(PROBLEMS)  # the inverse problems the page reconstructs; "ct" first


@dataclass(frozen=True)
class CTParams:
    """Everything a link to the CT page reproduces; the defaults are the page's."""

    tab: str = "forward"  # one of CT_TABS: the tab shown first
    problem: str = "ct"  # one of CT_PROBLEMS (explorer.problems.PROBLEMS)
    phantom: str = "ellipses"  # one of CT_PHANTOMS
    seed: int = HELD_OUT_SEED  # seed of the random ellipse phantom
    window: str = DEFAULT_WINDOW  # one of CT_WINDOWS: display window of a real CT slice (built-in or DICOM upload)
    window_center: float = WINDOWS[DEFAULT_WINDOW][0]  # its centre in HU (the preset's unless window is "custom")
    window_width: float = WINDOWS[DEFAULT_WINDOW][1]  # its width in HU
    n: int = 64  # image side in pixels, a multiple of 16
    # The operator's parameters (OPERATOR_PARAMS); None: the problem's default. Each problem takes some of them.
    n_angles: int | None = None  # CT kinds: projection angles (ct 30, sparse-ct 15, limited-angle 60)
    angle_range: float | None = None  # limited-angle: degrees covered by the angles
    sigma: float | None = None  # deblur: width of the Gaussian blur in pixels
    keep: float | None = None  # inpaint: fraction of the pixels observed
    mask: str | None = None  # inpaint: "random" or "box"
    mask_seed: int | None = None  # inpaint: seed of the random mask
    factor: int | None = None  # superres: block side, one of FACTORS
    noise_level: float = 0.05  # relative noise level
    noise_seed: int = 0  # seed of the noise draw
    filter: str = "ramp"  # FBP filter, one of explorer.problems.fbp.FILTERS
    clip_fbp: bool = True  # clip images to [0, 1] before PSNR / SSIM
    prior: str = "network"  # "network" or "gaussian"; the page falls back to "gaussian" without weights
    alpha: float | None = None  # prior weight; None: tuned for the prior
    method: str = "gnc"  # one of CT_METHODS
    schedule: str = "geometric"  # key of explorer.core.schedules.SCHEDULES
    t_max: float = 1.0  # first smoothing level
    t_min: float = 1e-3  # last smoothing level
    n_iter: int = 200  # iterations N
    step_rule: str = SolverSettings().step_rule  # key of explorer.core.registry.STEP_RULES
    step_size: float | None = None  # fixed step or first trial step; None: tuned for the prior and rule
    clip: bool = True  # project iterates onto [0, 1]
    inits: tuple[str, ...] = ("zeros", "fbp", "noise")  # starts, run as one batch
    init_seed: int = 0  # seed of the noise start
    frame: int = 10  # iterations per Step press and per frame of playback (a frame draws in ~1 s on 2 cores)
    present: bool = False  # presentation mode: larger type, the sidebar (and its settings) hidden


# URL keys of links made before the names were unified -> today's field names.
CT_ALIASES = {"angles": "n_angles", "noise": "noise_level", "iters": "n_iter", "rule": "step_rule",
              "step": "step_size"}

_CT_BOUNDS: dict[str, tuple[float, float]] = {
    "seed": (0, 2**31 - 1),
    "window_center": CENTER_RANGE,
    "window_width": WIDTH_RANGE,
    "n": (32, 256),
    "n_angles": (1, 360),
    "angle_range": (1.0, 180.0),
    "sigma": (0.1, MAX_SIGMA),
    "keep": (0.01, 1.0),
    "mask_seed": (0, 2**31 - 1),
    "noise_level": (0.0, 0.2),
    "noise_seed": (0, 2**31 - 1),
    "alpha": (1e-8, 10.0),
    "t_max": (1e-3, 1.0),
    "t_min": (1e-5, 1.0),
    "n_iter": (1, 2000),
    "step_size": (1e-6, 1e9),
    "init_seed": (0, 2**31 - 1),
    "frame": (1, 200),
}
_CT_CHOICES: dict[str, Sequence[str]] = {
    "tab": CT_TABS,
    "problem": CT_PROBLEMS,
    "mask": INPAINT_MASKS,
    "phantom": CT_PHANTOMS,
    "window": CT_WINDOWS,
    "filter": FILTERS,
    "prior": PRIORS,
    "method": CT_METHODS,
    "schedule": tuple(SCHEDULES),
    "step_rule": tuple(STEP_RULES),
}
_TUNED = ("", "tuned", "none")  # what an optional number may say to mean "the tuned value"


def _parse_ct_field(name: str, raw: str, default):
    """One CT field: start lists, optional numbers and multiples of 16 need their own checks."""
    if name == "inits":
        names = [part.strip() for part in raw.split(",") if part.strip()]
        unknown = [part for part in names if part not in INITS]
        if unknown:
            raise ValueError(f"{quoted(unknown[0], 24)} is not one of {', '.join(INITS)}")
        if not names:
            raise ValueError("no start given")
        # "reference" (the problem's reference image) is today's name of the start the page calls "fbp".
        names = ["fbp" if part == "reference" else part for part in names]
        return tuple(dict.fromkeys(names))  # each start once, in the given order
    if name in ("alpha", "step_size"):
        if raw.strip().lower() in _TUNED:
            return None
        return _parse_value(name, raw, 0.0, _CT_BOUNDS, _CT_CHOICES)
    if name in OPERATOR_PARAMS:
        if raw.strip().lower() in (*_TUNED, "default"):
            return None  # the problem's default
        if name == "factor":
            value = _parse_value(name, raw, 0, {name: (min(FACTORS), max(FACTORS))}, {})
            if value not in FACTORS:
                raise ValueError(f"not one of {', '.join(map(str, FACTORS))}")
            return value
        return _parse_value(name, raw, 0 if name in ("n_angles", "mask_seed") else 0.0, _CT_BOUNDS, _CT_CHOICES)
    value = _parse_value(name, raw, default, _CT_BOUNDS, _CT_CHOICES)
    if name == "n" and value % 16:
        raise ValueError("not a multiple of 16")
    return value


def ct_params_from_query(query: Mapping[str, str | Sequence[str]]) -> tuple[CTParams, list[str]]:
    """Validated CT parameters from URL query parameters, one warning per ignored value, one for all unknown keys.

    Links made before the rename (angles, noise, iters, rule, step) still open: CT_ALIASES maps their keys.
    """
    defaults = CTParams()
    values, warnings = parse_query(defaults, query, _parse_ct_field, CT_ALIASES,
                                   none_means={name: "the problem's default" for name in OPERATOR_PARAMS})
    params = _ordered_t_range(replace(defaults, **values), defaults, warnings)
    params = _taken_operator_params(params, warnings)
    return _consistent_window(params, "window" in values), warnings


def ct_params_to_query(params: CTParams) -> dict[str, str]:
    """URL query parameters of the CT page, read back unchanged by `ct_params_from_query`.

    The start from the problem's reference image is written "fbp" where that reference is FBP (the CT kinds,
    and every link made before the other problems) and "reference" elsewhere, so that a deblurring link does
    not name a reconstruction it never makes.
    """
    query = params_to_query(params)
    if PROBLEMS[params.problem].reference_name != "FBP":
        query["inits"] = ",".join("reference" if name == "fbp" else name for name in params.inits)
    return query


def problem_takes(problem: str) -> tuple[str, ...]:
    """The operator parameters (of OPERATOR_PARAMS) that `problem` takes, in the catalogue's order."""
    return tuple(PROBLEMS[problem].defaults)


def _taken_operator_params(params: CTParams, warnings: list[str]) -> CTParams:
    """Operator parameters the chosen problem does not take are dropped, each with a warning."""
    takes = problem_takes(params.problem)
    extra = [name for name in OPERATOR_PARAMS if name not in takes and getattr(params, name) is not None]
    for name in extra:
        warnings.append(f"URL parameter {name} ignored: the problem {params.problem} takes "
                        + (", ".join(takes) if takes else "no parameters"))
    return replace(params, **{name: None for name in extra})


def _consistent_window(params: CTParams, named: bool) -> CTParams:
    """A preset window's centre and width are the preset's; numbers without a window name make it "custom"."""
    if params.window == "custom":
        return params
    center, width = WINDOWS[params.window]
    if not named and (params.window_center, params.window_width) != (center, width):
        return replace(params, window="custom")
    return replace(params, window_center=center, window_width=width)


def ct_t_range(t_max: float, t_min: float) -> tuple[float, float, list[str]]:
    """(t_max, t_min) with t_min below t_max by the links' rule, and its warning when the pair was changed.

    The CT page applies it to its widgets too, so a typed pair and a linked pair are mended alike.
    """
    warnings: list[str] = []
    defaults = CTParams()
    params = _ordered_t_range(replace(defaults, t_max=float(t_max), t_min=float(t_min)), defaults, warnings)
    return params.t_max, params.t_min, warnings
