"""Toy page: watch GNC, gradient-like and plain descent on the paper's 2D toy, start by start, step by step.

The page lays out widgets and shows results; the runs come from `explorer.toy.fast`, the maps from
`explorer.toy.analysis`, the figures from `explorer.figures.toy`, and the state a link carries from
`explorer.app.urlstate`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace

import numpy as np
import pandas as pd
import streamlit as st

from explorer.toy import analysis
from explorer.core import schedules
from explorer.toy import fast as toy_fast
from explorer.app.memo import Memo
from explorer.app.plain import summary
from explorer.app.tables import html_table
from explorer.figures.frozen import freeze
from explorer.figures.toy import (START_GLYPHS, backdrop_source, basin_figure, diagnostics_figure,
                                  landscape_figure, rate_figure, reach_figure, start_style)
from explorer.core.registry import METHODS, STEP_RULES, make_method, make_step_rule
from explorer.toy.problem import ToyProblem
from explorer.app.urlstate import (PRESETS, START_MODES, SWEEP_SIZES, ToyParams, candidate_names, format_points,
                                   next_frame, parse_points, starts_of, toy_params_from_query, toy_params_to_query)

MODE_LABELS = {"preset": "Authors' paths", "random": "Random", "typed": "Typed", "grid": "Candidate grid"}
MAX_FRAMES = 200  # frames of browser playback at most: long runs play every few iterations
LANDSCAPE_HEIGHT = 600  # px: with the title above, the whole chart fits a 900 px high window
# The landscape t slider: round values, about evenly spaced on a log scale, from 0.001 to 10.
T_OPTIONS = tuple(float(f"{m * 10.0**e:.3g}") for e in range(-3, 1) for m in (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8))
T_OPTIONS += (10.0,)
BACKDROP_GRID = 101  # F(., t) is evaluated on this many points a side for the landscape image
# Playback and the chart's slider run in the browser; this script, mounted beside the chart, tells the server
# the iteration shown once the picture stops (playback ended or paused, slider let go), so the diagnostics, the
# table and the link follow it. Debounced: dragging the slider sends one value, not one per step.
# Play continues from plotly's current frame, the name Plotly.animate writes to _fullLayout._currentFrame as
# each frame shows. A figure opens on the shown iteration without animating to it, so the script names that
# frame itself, at once, whenever a chart mounts (Step, Reset and End mount a new one): a deferred
# Plotly.animate here raced a quick click on Play and stopped the playback it had just started.
SYNC_JS = """
export default function (component) {
  const { setTriggerValue } = component;
  let hooked = null, shown = null, sent = null, timer = null;
  const settle = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      if (shown !== null && shown !== sent) { sent = shown; setTriggerValue("shown", shown); }
    }, 300);
  };
  const hook = () => {
    const chart = document.querySelector(".st-key-toy_landscape .js-plotly-plot");
    if (!chart || chart === hooked || !chart.on || !chart._fullLayout) return;
    const slider = (chart._fullLayout.sliders || [])[0];
    if (!slider || !slider.steps || !slider.steps[slider.active]) return;
    hooked = chart;
    shown = sent = Number(slider.steps[slider.active].value);
    chart._fullLayout._currentFrame = String(shown);
    chart.on("plotly_animatingframe", (e) => { shown = Number(e.name); });
    chart.on("plotly_sliderchange", (e) => { shown = Number(e.step.value); settle(); });
    chart.on("plotly_animated", settle);
    chart.on("plotly_animationinterrupted", settle);
  };
  // Hooked as soon as plotly draws the chart, before a click can reach its Play button; hook() at once for a
  // chart drawn before this script mounted; the poll for one whose layout was ready only after its last DOM change.
  const observer = new MutationObserver(hook);
  observer.observe(document.body, { childList: true, subtree: true });
  hook();
  const poll = setInterval(hook, 400);
  return () => { observer.disconnect(); clearInterval(poll); clearTimeout(timer); };
}
"""
CONVEXITY_GRID = 41  # grid side for the convexity threshold bisection (the threshold agrees with 101 here)


def _key(name: str) -> str:
    """Session-state key of the widget that holds the ToyParams field `name`."""
    return f"toy_{name}"


def _nearest_t(t: float) -> float:
    """The slider value closest to t on a log scale."""
    return min(T_OPTIONS, key=lambda v: abs(math.log(v) - math.log(t)))


# ---------------------------------------------------------------------------------------------------------------
# Cached computations: small hashable arguments, numpy results.


@st.cache_data(max_entries=64, show_spinner=False)
def cached_run(method: str, step_rule: str, step_size: float, schedule: str, t_max: float, t_min: float, n_iter: int,
               data_weight: float, prior_weight: float, starts: tuple[tuple[float, float], ...]) -> toy_fast.FastResult:
    """Every iterate and diagnostic of the chosen method from each start (see toy_fast.run_recorded)."""
    problem = ToyProblem(data_weight=data_weight, prior_weight=prior_weight, t_min=t_min)
    ts = schedules.make(schedule, t_max, t_min, n_iter).numpy()
    rule = make_step_rule(step_rule, step_size)
    return toy_fast.run_recorded(problem, np.array(starts, dtype=float), ts, make_method(method), rule)


@st.cache_data(max_entries=256, show_spinner=False)
def cached_backdrop(t: float, data_weight: float, prior_weight: float) -> str:
    """F(., t) on the plotted window as an image (a data URI), shared by all sessions."""
    _, _, values = ToyProblem(data_weight=data_weight, prior_weight=prior_weight).landscape(t, grid=BACKDROP_GRID)
    return backdrop_source(values.numpy())


@st.cache_data(max_entries=16, show_spinner=False)
def cached_minima(data_weight: float, prior_weight: float, t_min: float) -> np.ndarray:
    """x* and the local minima of f, shape (4, 2)."""
    return ToyProblem(data_weight=data_weight, prior_weight=prior_weight, t_min=t_min).find_minima().numpy()


@st.cache_data(max_entries=16, show_spinner="Finding where F(., t) turns convex ...")
def cached_threshold(data_weight: float, prior_weight: float) -> float:
    """The smallest t above which F(., t) is convex over the window."""
    return ToyProblem(data_weight=data_weight, prior_weight=prior_weight).convexity_threshold(grid=CONVEXITY_GRID)


@st.cache_data(max_entries=512, show_spinner=False)
def cached_min_eigenvalue(t: float, data_weight: float, prior_weight: float) -> float:
    """Smallest eigenvalue of the Hessian of F(., t) over the window."""
    return ToyProblem(data_weight=data_weight, prior_weight=prior_weight).min_eigenvalue(t, grid=61)


@st.cache_data(max_entries=16, show_spinner=False)
def cached_basin(method: str, step_rule: str, step_size: float, schedule: str, t_max: float, t_min: float, n_iter: int,
                 data_weight: float, prior_weight: float, grid: int) -> analysis.RunSummary:
    """Where every start of a grid x grid lattice ends at one t_max."""
    problem = ToyProblem(data_weight=data_weight, prior_weight=prior_weight, t_min=t_min)
    rule = make_step_rule(step_rule, step_size)
    return analysis.run_grid(problem, make_method(method), rule, t_max=t_max, n_iter=n_iter,
                             grid=grid, schedule=schedule)


# The figures, kept as built: a new visitor, a link or a control set back shows a figure already made (building
# the landscape, 101 frames of a default run, took ~0.1 s, and the server's time then slowed the browser's
# download of the chart script on a 2-core machine). Resources, not data: a cached plotly figure would be
# rebuilt, and validated again, on every unpickling. `st.plotly_chart` only reads them, and frozen (see
# explorer/figures/frozen.py) they are converted for sending once, not on every run.
@st.cache_resource(max_entries=8, show_spinner=False)
def cached_landscape(sources: tuple[str, ...], minima: np.ndarray, paths: np.ndarray, frames: tuple[int, ...],
                     which: tuple[int, ...], titles: tuple[str, ...], start: int, names: tuple[str, ...]):
    return freeze(landscape_figure(sources, minima=minima, paths=list(paths), frame_iters=frames,
                                   frame_backdrop=which, titles=titles, start=start, names=names,
                                   height=LANDSCAPE_HEIGHT))


@st.cache_resource(max_entries=16, show_spinner=False)
def cached_diagnostics(records: dict[str, np.ndarray], iteration: int, names: tuple[str, ...]):
    return freeze(diagnostics_figure(records, iteration, names=names))


@st.cache_resource
def sweep_memo() -> Memo[analysis.Sweep]:
    """Sweeps by their parameters, shared by all sessions. Not `st.cache_data`: the sweep reports progress to a
    bar made outside it, which a cache hit could not replay."""
    return Memo(max_entries=8)


def sweep_with_progress(method: str, step_rule: str, step_size: float, schedule: str, t_min: float, n_iter: int,
                        data_weight: float, prior_weight: float, grid: int, count: int) -> analysis.Sweep:
    """The basin and rate maps over `count` t_max values log-spaced from 10 to 0.01 (those above t_min).

    Computed once per parameter set, with a progress bar while it runs.
    """
    key = (method, step_rule, step_size, schedule, t_min, n_iter, data_weight, prior_weight, grid, count)
    memo = sweep_memo()
    found = memo.get(key)
    if found is not None:
        return found
    problem = ToyProblem(data_weight=data_weight, prior_weight=prior_weight, t_min=t_min)
    values = analysis.default_t_max_values(count)
    bar = st.progress(0.0, text="Sweeping t_max ...")

    def progress(i: int, total: int) -> None:
        bar.progress(i / total, text=f"Sweeping t_max: {i} of {total}")

    rule = make_step_rule(step_rule, step_size)
    result = analysis.sweep(problem, make_method(method), rule, t_max_values=values[values > t_min],
                            n_iter=n_iter, grid=grid, schedule=schedule, progress=progress)
    bar.empty()
    return memo.put(key, result)


# ---------------------------------------------------------------------------------------------------------------
# Widgets: each *_ui function returns the values it owns.


def _seed_widgets(parsed: ToyParams) -> None:
    """Give every widget without state its value from the parsed URL (first visit, or after it was hidden)."""
    state = st.session_state
    for f in fields(ToyParams):
        key = _key(f.name)
        if key in state or f.name in ("it", "maps"):
            continue
        value = getattr(parsed, f.name)
        if f.name == "t":
            value = _nearest_t(value)
        elif f.name == "picks":
            # The multiselect holds a list of names; the URL keeps them as one "x1, x2; ..." string.
            names = set(candidate_names())
            value = [p for p in (format_points([q]) for q in parse_points(value)) if p in names]
        state[key] = value
    state.setdefault(_key("maps"), parsed.maps)


def _value(name: str, parsed: ToyParams):
    """A field's value: its widget's state when the widget exists, else the parsed URL's."""
    value = st.session_state.get(_key(name), getattr(parsed, name))
    if name == "picks" and isinstance(value, list):
        return "; ".join(value)
    return value


def _preset_settings(name: str) -> dict[str, object]:
    """The settings a preset stands for: the authors' method, step rule and t_max, with the default schedule."""
    preset, defaults = PRESETS[name], ToyParams()
    return {"method": preset.method, "step_rule": preset.step_rule, "t_max": preset.t_max,
            "step_size": defaults.step_size, "schedule": "linear", "t_min": defaults.t_min,
            "n_iter": defaults.n_iter}


def _apply_preset() -> None:
    """A preset also sets the method, the step rule and the schedule the authors used."""
    for name, value in _preset_settings(st.session_state[_key("preset")]).items():
        st.session_state[_key(name)] = value


def _changed_from_preset(name: str) -> list[str]:
    """The settings the user changed since choosing the preset (their widget labels' names)."""
    state = st.session_state
    return [field for field, value in _preset_settings(name).items() if state.get(_key(field)) != value]


def solver_ui() -> None:
    """Sidebar widgets for the method, step rule, schedule and weights."""
    with st.sidebar:
        st.subheader("Solver")
        st.selectbox("Method", list(METHODS), format_func=lambda name: METHODS[name].label, key=_key("method"))
        st.selectbox("Step rule", list(STEP_RULES), format_func=lambda name: STEP_RULES[name].label,
                     key=_key("step_rule"))
        st.number_input("b (fixed step, or first trial of the line search)", min_value=1e-8, max_value=1e9,
                        step=0.1, format="%g", key=_key("step_size"))
        st.subheader(r"Schedule $t_1 > \dots > t_N$")
        st.selectbox("Schedule", list(schedules.SCHEDULES), key=_key("schedule"))
        st.number_input("t_max", min_value=1e-4, max_value=100.0, step=0.1, format="%g", key=_key("t_max"))
        st.number_input("t_min", min_value=1e-6, max_value=1.0, step=1e-3, format="%g", key=_key("t_min"))
        st.number_input("N iterations", min_value=1, max_value=5000, step=100, key=_key("n_iter"))
        st.number_input("Iterations per step", min_value=1, max_value=1000, key=_key("frame"),
                        help="Iterations per press of Step and per frame of playback")
        st.subheader("Objective weights")
        st.caption("F(x, t) = w_d / 2 ||Ax - y||^2 - w_p log p_t(x)")
        st.number_input("w_d (data weight)", min_value=1e-4, max_value=1.0, step=0.005, format="%g",
                        key=_key("data_weight"))
        st.number_input("w_p (prior weight)", min_value=1e-4, max_value=1.0, step=0.005, format="%g",
                        key=_key("prior_weight"))


def starts_ui() -> None:
    """Sidebar widgets that choose the starts: a preset, random starts, typed points or candidate grid points."""
    with st.sidebar:
        st.subheader("Starts")
        _starts_widgets()


def _starts_widgets() -> None:
    mode = st.radio("Starts", START_MODES, format_func=MODE_LABELS.get, horizontal=True, key=_key("starts"))
    if mode == "preset":
        st.selectbox("Sample path (also sets method, step rule and t_max)", list(PRESETS),
                     format_func=lambda name: PRESETS[name].label, key=_key("preset"), on_change=_apply_preset)
        changed = _changed_from_preset(st.session_state[_key("preset")])
        if changed:
            # The preset's label names the authors' outcome; with other settings only its start still holds.
            x1, x2 = PRESETS[st.session_state[_key("preset")]].start
            st.caption(f"Now the start ({x1:g}, {x2:g}) with your own {', '.join(changed)}: the outcome above "
                       "is the authors', not necessarily this run's.")
    elif mode == "random":
        left, right = st.columns(2)
        left.number_input("K random starts", min_value=1, max_value=20, key=_key("k"))
        right.number_input("Seed", min_value=0, max_value=2**31 - 1, key=_key("seed"))
    elif mode == "typed":
        st.text_input("Starts 'x1, x2; x1, x2' (at most 20)", key=_key("points"))
    else:
        st.multiselect("Candidate starts (x1, x2) on a grid over the window", candidate_names(), key=_key("picks"),
                       max_selections=20)


def controls_ui(parsed: ToyParams) -> ToyParams:
    """All parameter widgets; returns the validated parameters they describe.

    Widgets can still combine into something inconsistent (t_min above t_max, a bad typed point): the URL
    validator is the one place that decides, and its warnings show here.
    """
    starts_ui()
    solver_ui()
    values = {f.name: _value(f.name, parsed) for f in fields(ToyParams)}
    values["it"] = ToyParams.it
    params, problems = toy_params_from_query(toy_params_to_query(ToyParams(**values)))
    if problems:
        st.warning(summary([p.replace("URL parameter ", "") for p in problems]))
    return params


def transport_ui(n_iter: int, frame: int) -> None:
    """Step / Reset / End: server-side moves of the shown iteration (Play and Pause run in the browser)."""
    cols = st.columns(3)
    cols[0].button("Step", key="toy_btn_step", on_click=_step, args=(n_iter, frame), width="stretch",
                   help="Iterations per step: set in the sidebar")
    cols[1].button("Reset", key="toy_btn_reset", on_click=_reset, width="stretch")
    cols[2].button("End", key="toy_btn_end", on_click=_to_end, args=(n_iter,), width="stretch")


@st.cache_resource
def iteration_sync():
    """The mount command of the component that reports the iteration the browser shows (registered once)."""
    return st.components.v2.component("gnc_explorer_toy_iteration_sync", js=SYNC_JS)


def adopt_browser_iteration() -> None:
    """Take the iteration the browser shows when playback or the chart's slider stopped on one."""
    with st.sidebar:  # no room taken above the chart
        shown = iteration_sync()(key="toy_sync", height=0).get("shown")
    if isinstance(shown, (int, float)) and math.isfinite(shown) and shown >= 0:
        st.session_state[_key("it")] = int(shown)


def _step(n_iter: int, frame: int) -> None:
    st.session_state[_key("it")], _ = next_frame(st.session_state.get(_key("it"), 0), n_iter, frame)


def _reset() -> None:
    st.session_state[_key("it")] = 0


def _to_end(n_iter: int) -> None:
    st.session_state[_key("it")] = n_iter


def _show_maps(show: bool) -> None:
    st.session_state[_key("maps")] = show


# ---------------------------------------------------------------------------------------------------------------
# Views.


@dataclass(frozen=True)
class RunView:
    """What the live view needs from a run."""

    params: ToyParams
    paths: np.ndarray  # (B, N + 1, 2), NaN after a divergence
    records: dict[str, np.ndarray]  # (B, N) each
    names: tuple[str, ...]  # one label per start
    minima: np.ndarray  # (4, 2)


def _t_at(view: RunView, iteration: int) -> float:
    """t_k of the first start at the shown iteration (the last t for the final iterate)."""
    t = view.records["t"][0]
    k = min(iteration, t.shape[0] - 1)
    value = float(t[k])
    return value if math.isfinite(value) and value > 0 else view.params.t_min


def equations_ui(params: ToyParams) -> None:
    """The objective, the chosen method's update and the step rule, in the paper's notation."""
    st.latex(r"F(x, t) = \tfrac{w_d}{2}\|Ax - y\|^2 - w_p \log p_t(x)")
    st.latex(METHODS[params.method].latex)
    st.caption(f"{METHODS[params.method].label}, t_k falling from t_max to t_min, f = F(., t_min); "
               f"step rule: {STEP_RULES[params.step_rule].label}")
    st.latex(STEP_RULES[params.step_rule].latex)


def frame_iterations(n_iter: int, frame: int, shown: int) -> list[int]:
    """The iterations playback shows: every `frame`-th (at most MAX_FRAMES of them), the last and the shown one."""
    stride = max(int(frame), math.ceil(n_iter / MAX_FRAMES))
    return sorted(set(range(0, n_iter + 1, stride)) | {n_iter, int(np.clip(shown, 0, n_iter))})


def backdrops(view: RunView, frames: list[int], follow: bool, t_fixed: float) -> tuple[list[str], list[int]]:
    """The backdrop images and which one each frame shows: one for a fixed t, one per level of t_k when following."""
    params = view.params
    levels = [_nearest_t(_t_at(view, k)) for k in frames] if follow else [t_fixed] * len(frames)
    distinct = sorted(set(levels), reverse=True)
    sources = [cached_backdrop(t, params.data_weight, params.prior_weight) for t in distinct]
    return sources, [distinct.index(t) for t in levels]


def live_view(view: RunView) -> None:
    """The landscape with its paths and browser playback beside the equations, the t control and the
    server-side moves; the diagnostics below."""
    state = st.session_state
    params = view.params
    n = params.n_iter
    iteration = int(state[_key("it")])
    left, right = st.columns([1.25, 1])
    with right:
        equations_ui(params)
        transport_ui(n, params.frame)
        follow_col, t_col = st.columns([1, 1.4])
        follow = follow_col.toggle("Follow t_k", key=_key("follow"),
                                   help="Show F(., t_k) at each iteration instead of a fixed t")
        if follow:
            t = _nearest_t(_t_at(view, iteration))
            t_col.markdown(f"Landscape at **t = t_k** (now {_t_at(view, iteration):.3g})")
        else:
            t = t_col.select_slider("Landscape t", T_OPTIONS, key=_key("t"), format_func=lambda v: f"{v:g}")
        lam = cached_min_eigenvalue(t, params.data_weight, params.prior_weight)
        threshold = cached_threshold(params.data_weight, params.prior_weight)
        st.caption(f"Smallest Hessian eigenvalue of F(., t) over the window at t = {t:g}: {lam:.3g} "
                   f"({'convex' if lam >= 0 else 'not convex'}); F(., t) is convex for t >= {threshold:.3g}.")
        st.caption("Play, Pause and the slider under the chart run in your browser; the link and the "
                   "diagnostics below follow the iteration where you pause.")
    frames = frame_iterations(n, params.frame, iteration)
    start = frames.index(iteration)
    sources, which = backdrops(view, frames, follow, t)
    # Following t_k, each frame retitles the chart; at a fixed t the slider under it names the iteration. The
    # moving numbers lead: at 1280 x 720 the chart's toolbar, shown while the pointer is on it, covers the title's end.
    titles = ([f"k = {k}, t_k = {_t_at(view, k):.3g}: F(x, t) at t = t_k" for k in frames] if follow
              else [f"F(x, t) at t = {t:g}"] * len(frames))
    with left:
        fig = cached_landscape(tuple(sources), view.minima, view.paths, tuple(frames), tuple(which), tuple(titles),
                               start, view.names)
        # Both charts style themselves (SELF_STYLED): no Streamlit theme pass in the browser.
        st.plotly_chart(fig, key="toy_landscape", width="stretch", theme=None)
    st.plotly_chart(cached_diagnostics(view.records, iteration, view.names), key="toy_diagnostics",
                    width="stretch", theme=None)


def results_table(view: RunView, result: toy_fast.FastResult, diverged: np.ndarray) -> None:
    """Where each start ended: the minimum it reached, f and |grad f| there; each start in its charts' colour."""
    styles = [start_style(i) for i in range(len(view.names))]

    def number(value: float, spec: str) -> str:
        return "-" if not math.isfinite(value) else format(value, spec)

    table = pd.DataFrame({
        "": [START_GLYPHS[symbol] for _, symbol in styles],
        "start": view.names,
        "x_N": [format_points([tuple(p)]) if np.isfinite(p).all() else "-" for p in result.final.round(4)],
        "f(x_N)": ["-" if d else number(v, ".4g") for v, d in zip(result.f, diverged)],
        "|grad f(x_N)|": ["-" if d else number(v, ".3g") for v, d in zip(result.grad_norm, diverged)],
        "ends at": [analysis.describe_end(f, view.minima, d) for f, d in zip(result.final, diverged)],
    })
    # Static HTML (at most 20 rows), not `st.table`: see explorer/app/tables.py.
    st.html(html_table(table, colours={"": [colour for colour, _ in styles]}, right=("f(x_N)", "|grad f(x_N)|")))


def maps_view(params: ToyParams, minima: np.ndarray) -> None:
    """Basin map at this t_max, reach share over a t_max sweep and the convergence-rate map."""
    st.subheader("Basin and convergence-rate maps")
    state = st.session_state
    if not state[_key("maps")]:
        st.button("Compute the basin and convergence-rate maps", key="toy_btn_maps", type="primary",
                  on_click=_show_maps, args=(True,))
        st.caption("Every start of a grid over the window, the chosen method and step rule, over a sweep of t_max.")
        return
    left, right = st.columns([2, 1])
    left.radio("Sweep", list(SWEEP_SIZES), horizontal=True, key=_key("sweep"),
               format_func=lambda s: f"{s}: grid {SWEEP_SIZES[s][0]}^2, {SWEEP_SIZES[s][1]} t_max values")
    right.button("Hide the maps", key="toy_btn_hide_maps", on_click=_show_maps, args=(False,))
    grid, count = SWEEP_SIZES[state[_key("sweep")]]
    common = (params.method, params.step_rule, params.step_size, params.schedule)
    weights = (params.data_weight, params.prior_weight)
    basin = cached_basin(*common, params.t_max, params.t_min, params.n_iter, *weights, grid)
    sweep = sweep_with_progress(*common, params.t_min, params.n_iter, *weights, grid, count)
    st.caption(f"At t_max = {params.t_max:g}: {basin.frac_global:.0%} of starts reach x*, "
               f"{basin.frac_stationary:.0%} end at a stationary point of f (|grad f| <= 0.1). "
               f"Sweep of {len(sweep.t_max)} t_max values took {sweep.seconds:.1f} s.")
    cols = st.columns(2)
    cols[0].plotly_chart(basin_figure(sweep.coords, basin.labels, minima,
                                      title=f"Basin map: where each start ends, t_max = {params.t_max:g}"),
                         key="toy_basin", width="stretch")
    cols[1].plotly_chart(reach_figure(sweep.coords, sweep.reach_share, minima,
                                      title="Share of the swept t_max values that bring each start to x*"),
                         key="toy_reach", width="stretch")
    st.plotly_chart(rate_figure(sweep.iterations, sweep.t_max, sweep.rate, mark_t_max=params.t_max,
                                title="Convergence rate: share of starts within 0.1 of x*"),
                    key="toy_rate", width="stretch")


# ---------------------------------------------------------------------------------------------------------------
# The page.


def main() -> None:
    """Lay out the Toy page."""
    st.title("2D toy")
    # Streamlit clears the URL when the user switches pages; coming back restores the last view of the session.
    query = st.query_params.to_dict() or st.session_state.get("toy_last_query", {})
    parsed, warnings = toy_params_from_query(query)
    _seed_widgets(parsed)
    if warnings:
        st.warning(summary(warnings))
    params = controls_ui(parsed)
    state = st.session_state
    if _key("it") not in state:
        state[_key("it")] = params.n_iter if parsed.it < 0 else parsed.it
    adopt_browser_iteration()
    state[_key("it")] = int(np.clip(state[_key("it")], 0, params.n_iter))

    starts_list = tuple(starts_of(params))
    names = tuple(f"{i + 1}: ({x1:g}, {x2:g})" for i, (x1, x2) in enumerate(starts_list))
    with st.spinner("Running ..."):
        result = cached_run(params.method, params.step_rule, params.step_size, params.schedule, params.t_max,
                            params.t_min, params.n_iter, params.data_weight, params.prior_weight, starts_list)
    paths = np.where(np.isfinite(result.path), result.path, np.nan)
    records = {k: np.where(np.isfinite(v), v, np.nan) for k, v in result.records.items()}
    # A NaN or Inf anywhere on a path counts, whichever way the backend flagged it.
    diverged = result.diverged | ~np.isfinite(result.final).all(1) | ~np.isfinite(result.path).all((1, 2))
    if diverged.any():
        which = ", ".join(names[i] for i in np.flatnonzero(diverged))
        st.warning(f"Diverged (the iterates overflowed) from start {which}: lower the step b or use a line search.")
    minima = cached_minima(params.data_weight, params.prior_weight, params.t_min)
    view = RunView(replace(params, it=state[_key("it")]), paths, records, names, minima)

    live_view(view)
    results_table(view, result, diverged)
    with st.expander("About this problem"):
        st.markdown("A = [[1, 1], [0, 0]] and y = A x* with x* = (1, 1): every point of the dashed line "
                    "x1 + x2 = 2 fits the data, and the prior p_t (five Gaussians, smoothed by a VE SDE with "
                    "sigma = 10) decides. The paths follow the update above as t_k falls from t_max to t_min; "
                    "the diagnostics show t_k, the step b_k, f, |grad f| and the descent cosine at every k.")
    maps_view(params, minima)

    final = replace(params, it=state[_key("it")], maps=bool(state[_key("maps")]), t=state[_key("t")],
                    follow=bool(state[_key("follow")]))
    query = toy_params_to_query(final)
    state["toy_last_query"] = query
    if st.query_params.to_dict() != query:
        st.query_params.from_dict(query)


main()
