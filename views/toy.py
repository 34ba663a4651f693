"""Toy page: watch GNC, gradient-like and plain descent on the paper's 2D toy, start by start, step by step.

The page lays out widgets and shows results; the runs, landscapes and figures come from `views.toy_cache`,
the widgets from `views.toy_controls`, the table and maps from `views.toy_results`; what describes each frame
of playback from `explorer.app.toy_frames`, and the state a link carries from `explorer.app.urlstate`.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import streamlit as st

from explorer.app.glossary import glossary_markdown, help_for
from explorer.app.plain import summary
from explorer.app.toy_frames import T_OPTIONS, RunView, exit_notes, frame_iterations, frame_readouts, nearest_t, t_at
from explorer.app.urlstate import ToyParams, starts_of, toy_params_from_query, toy_params_to_query
from explorer.core.registry import METHODS, STEP_RULES
from explorer.toy.problem import WINDOW
from views.lesson_panel import lesson_keys, lesson_panel
from views.page_header import title_ui
from views.toy_cache import (
    cached_backdrop,
    cached_diagnostics,
    cached_frame_eigenvalues,
    cached_landscape,
    cached_minima,
    cached_run,
    cached_threshold,
)
from views.toy_controls import controls_ui, frame_readout, key, seed_widgets, transport_ui
from views.toy_results import maps_view, results_table


def _t_at(view: RunView, iteration: int) -> float:
    """t_k of the first start at the shown iteration (the last t for the final iterate)."""
    return t_at(view.records["t"][0], iteration, view.params.t_min)


def equations_ui(params: ToyParams) -> None:
    """The objective, the chosen method's update and the step rule, in the paper's notation."""
    st.latex(r"F(x, t) = \tfrac{w_d}{2}\|Ax - y\|^2 - w_p \log p_t(x)")
    st.latex(METHODS[params.method].latex)
    st.caption(f"{METHODS[params.method].label}, t_k falling from t_max to t_min, f = F(., t_min); "
               f"step rule: {STEP_RULES[params.step_rule].label}")
    st.latex(STEP_RULES[params.step_rule].latex)


def backdrops(view: RunView, *levels: list[float]) -> tuple[list[str], list[list[int]]]:
    """The backdrop images and which one each frame shows, from each frame's shaded t (a list per panel)."""
    params = view.params
    distinct = sorted(set().union(*levels), reverse=True)
    sources = [cached_backdrop(t, params.data_weight, params.prior_weight) for t in distinct]
    return sources, [[distinct.index(t) for t in panel] for panel in levels]


def live_view(view: RunView) -> None:
    """The landscape with its paths and browser playback beside the equations, the t control and the
    server-side moves; the diagnostics below."""
    state = st.session_state
    params = view.params
    n = params.n_iter
    iteration = int(state[key("it")])
    frames = frame_iterations(n, params.frame, iteration)
    t_k = [_t_at(view, k) for k in frames]
    if view.compare_paths is None:
        chart_box, side = st.columns([1.25, 1])
        equations_box = controls_box = side
    else:
        # Two panels need the page's width; what sat beside the chart goes under it, in two columns.
        chart_box = st.container()
        equations_box, controls_box = st.columns(2)
    with equations_box:
        equations_ui(params)
    with controls_box:
        transport_ui(n, params.frame)
        follow_col, t_col = st.columns([1, 1.4])
        follow = follow_col.toggle("Follow t_k", key=key("follow"),
                                   help="Shade F(., t_k) at each iteration instead of a fixed t.\n\n"
                                        + help_for("smoothing level t"))
        if follow:
            t_col.markdown("Landscape at **t = t_k**, shaded at the nearest of the slider's levels")
            levels = [nearest_t(t) for t in t_k]
        else:
            t = t_col.select_slider("Landscape t", T_OPTIONS, key=key("t"), format_func=lambda v: f"{v:g}")
            levels = [t] * len(frames)
            (lam_t,) = cached_frame_eigenvalues((t,), params.data_weight, params.prior_weight)
            st.caption(f"The shaded F(., t) at t = {t:g}: smallest Hessian eigenvalue over the window {lam_t:.3g} "
                       f"({'convex' if lam_t >= 0 else 'not convex'}).")
    start = frames.index(iteration)
    # The second panel shades its own method's t_k (plain descent stays at t_min), or the same fixed t.
    other_t = view.compare_t if view.compare_t is not None else view.records["t"][0]
    levels2 = [nearest_t(t_at(other_t, k, params.t_min)) for k in frames] if follow else levels
    sources, (which, which2) = backdrops(view, levels, levels2)
    # Following t_k, each frame retitles the chart; at a fixed t the slider under it names the iteration. The
    # moving numbers lead: at 1280 x 720 the chart's toolbar, shown while the pointer is on it, covers the title's end.
    titles = ([f"k = {k}, t_k = {t:.3g}: F(x, t) shaded at t = {s:g}" for k, t, s in zip(frames, t_k, levels)]
              if follow else [f"F(x, t) at t = {levels[0]:g}"] * len(frames))
    with chart_box:
        fig = cached_landscape(tuple(sources), view.minima, view.paths, tuple(frames), tuple(which), tuple(titles),
                               start, view.names, view.note.replace("\n", "<br>"), view.compare_paths,
                               view.panel_titles, params.present, tuple(which2))
        # Both charts style themselves (SELF_STYLED): no Streamlit theme pass in the browser.
        st.plotly_chart(fig, key="toy_landscape", width="stretch", theme=None)
    # The readout after the chart (it lands under the t control all the same): the chart goes to the browser
    # before the per-frame eigenvalues are computed.
    with controls_box:
        lam = cached_frame_eigenvalues(tuple(t_k), params.data_weight, params.prior_weight)
        readouts = frame_readouts(frames, t_k, lam, levels)
        frame_readout(readouts.as_data([str(k) for k in frames]), [tuple(p) for p in view.paths[:, 0].tolist()])
        threshold = cached_threshold(params.data_weight, params.prior_weight)
        st.caption(f"F(., t) is convex over the window for t >= {threshold:.3g}. Play, Pause and the slider under "
                   "the chart run in your browser; the readout above and the diagnostics' cursor follow every "
                   "frame, the table and the link the iteration where you pause. Click on the landscape to add "
                   "a start there, on a start to remove it. Keys: P play / pause, S step, Home reset, End to the end.")
    st.plotly_chart(cached_diagnostics(view.records, iteration, view.names), key="toy_diagnostics",
                    width="stretch", theme=None)


# ---------------------------------------------------------------------------------------------------------------
# The page.


def _run(params: ToyParams, method: str, step_rule: str, starts: tuple[tuple[float, float], ...]):
    """One method from every start: the result, its paths and records (NaN where not finite), and which diverged."""
    with st.spinner("Running ..."):
        result = cached_run(method, step_rule, params.step_size, params.schedule, params.t_max, params.t_min,
                            params.n_iter, params.data_weight, params.prior_weight, starts)
    paths = np.where(np.isfinite(result.path), result.path, np.nan)
    records = {k: np.where(np.isfinite(v), v, np.nan) for k, v in result.records.items()}
    # A NaN or Inf anywhere on a path counts, whichever way the backend flagged it.
    diverged = result.diverged | ~np.isfinite(result.final).all(1) | ~np.isfinite(result.path).all((1, 2))
    return result, paths, records, diverged


def main() -> None:
    """Lay out the Toy page."""
    # Streamlit clears the URL when the user switches pages; coming back restores the last view of the session.
    query = st.query_params.to_dict() or st.session_state.get("toy_last_query", {})
    parsed, warnings = toy_params_from_query(query)
    seed_widgets(parsed)
    title_ui("2D toy", key("present"), lesson_open=bool(lesson_keys("toy")))
    lesson_panel("toy")
    if warnings:
        st.warning(summary(warnings))
    params = controls_ui(parsed)
    state = st.session_state
    if key("it") not in state:
        state[key("it")] = params.n_iter if parsed.it < 0 else parsed.it
    state[key("it")] = int(np.clip(state[key("it")], 0, params.n_iter))

    starts_list = tuple(starts_of(params))
    names = tuple(f"{i + 1}: ({x1:g}, {x2:g})" for i, (x1, x2) in enumerate(starts_list))
    result, paths, records, diverged = _run(params, params.method, params.step_rule, starts_list)
    numbers = [n.replace(":", "") for n in names]  # "1 (-3.94, -7.17)"
    notes = exit_notes(numbers, paths, diverged, WINDOW)
    compared = None
    if params.compare != "none":
        # The second method with its authors' step rule and the same b, so each panel shows the method as published.
        rule = METHODS[params.compare].step_rule
        compared = _run(params, params.compare, rule, starts_list)
        titles = (f"{METHODS[params.method].label}, {STEP_RULES[params.step_rule].label}",
                  f"{METHODS[params.compare].label}, {STEP_RULES[rule].label}")
        notes = ([f"{titles[0]}: {n}" for n in notes]
                 + [f"{titles[1]}: {n}" for n in exit_notes(numbers, compared[1], compared[3], WINDOW)])
    minima = cached_minima(params.data_weight, params.prior_weight, params.t_min)
    view = RunView(replace(params, it=state[key("it")]), paths, records, names, minima, "\n".join(notes),
                   None if compared is None else compared[1], titles if compared else ("", ""),
                   None if compared is None else compared[2]["t"][0])

    if params.maps_first:  # a lesson about the maps opens on them
        maps_view(params, minima)
    live_view(view)
    if notes:  # under the chart, which carries the same note: the picture stays where it is
        text = "; ".join(notes)
        st.warning(text[0].upper() + text[1:] + ". Lower the step b or use a line search (Step rule, sidebar).")
    results_table(view, result, diverged, None if compared is None else (compared[0], compared[3]))
    if params.present:  # secondary material stays out of a projected page
        return _keep_in_url(params)
    with st.expander("About this problem"):
        st.markdown("A = [[1, 1], [0, 0]] and y = A x* with x* = (1, 1): every point of the dashed line "
                    "x1 + x2 = 2 fits the data, and the prior p_t (five Gaussians, smoothed by a VE SDE with "
                    "sigma = 10) decides. The paths follow the update above as t_k falls from t_max to t_min; "
                    "the diagnostics show t_k, the step b_k, f, |grad f| and the descent cosine at every k.")
    if not params.maps_first:
        maps_view(params, minima)
    with st.expander("Glossary: score, SDE, smoothing level t, Armijo, Barzilai-Borwein, ..."):
        st.markdown(glossary_markdown())
    _keep_in_url(params)


def _keep_in_url(params: ToyParams) -> None:
    """Write the view into the URL, so the link reproduces it (and remember it for a return to this page)."""
    state = st.session_state
    final = replace(params, it=state[key("it")], maps=bool(state[key("maps")]), t=state[key("t")],
                    follow=bool(state[key("follow")]), present=bool(state[key("present")]))
    query = {**toy_params_to_query(final), **lesson_keys("toy")}
    state["toy_last_query"] = query
    if st.query_params.to_dict() != query:
        st.query_params.from_dict(query)


main()
