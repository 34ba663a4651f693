"""The Toy page's results: where each start ended, and the basin and convergence-rate maps."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import streamlit as st

from explorer.app.tables import html_table
from explorer.app.toy_frames import RunView
from explorer.app.urlstate import SWEEP_SIZES, ToyParams, format_points
from explorer.figures.toy import START_GLYPHS, basin_figure, rate_figure, reach_figure, start_style
from explorer.toy import analysis
from explorer.toy import fast as toy_fast
from views.toy_cache import cached_basin, sweep_with_progress
from views.toy_controls import key, show_maps


def results_table(view: RunView, result: toy_fast.FastResult, diverged: np.ndarray,
                  compared: tuple[toy_fast.FastResult, np.ndarray] | None = None) -> None:
    """Where each start ended: the minimum it reached, f and |grad f| there; each start in its charts' colour.

    With `compared` (the second panel's result and which of its starts diverged), a column says where the
    compared method ended from the same start."""
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
    if compared is not None:
        other, gone = compared
        table[f"ends at, {view.panel_titles[1]}"] = [analysis.describe_end(f, view.minima, d)
                                                     for f, d in zip(other.final, gone)]
    # Static HTML (at most 20 rows), not `st.table`: see explorer/app/tables.py.
    st.html(html_table(table, colours={"": [colour for colour, _ in styles]}, right=("f(x_N)", "|grad f(x_N)|")))


def maps_view(params: ToyParams, minima: np.ndarray) -> None:
    """Basin map at this t_max, reach share over a t_max sweep and the convergence-rate map."""
    st.subheader("Basin and convergence-rate maps")
    state = st.session_state
    if not state[key("maps")]:
        st.button("Compute the basin and convergence-rate maps", key="toy_btn_maps", type="primary",
                  on_click=show_maps, args=(True,))
        st.caption("Every start of a grid over the window, the chosen method and step rule, over a sweep of t_max.")
        return
    # The maps first, their settings and numbers under them: a lesson on the maps shows them on the first screen.
    charts = st.container()
    left, right = st.columns([2, 1])
    left.radio("Sweep", list(SWEEP_SIZES), horizontal=True, key=key("sweep"),
               format_func=lambda s: f"{s}: grid {SWEEP_SIZES[s][0]}^2, {SWEEP_SIZES[s][1]} t_max values")
    right.button("Hide the maps", key="toy_btn_hide_maps", on_click=show_maps, args=(False,))
    grid, count = SWEEP_SIZES[state[key("sweep")]]
    common = (params.method, params.step_rule, params.step_size, params.schedule)
    weights = (params.data_weight, params.prior_weight)
    basin = cached_basin(*common, params.t_max, params.t_min, params.n_iter, *weights, grid)
    sweep = sweep_with_progress(*common, params.t_min, params.n_iter, *weights, grid, count)
    shares = [float(np.mean(basin.labels == v)) for v in (0, 1, 2, 3, analysis.NOT_CONVERGED)]
    st.caption(f"At t_max = {params.t_max:g}, after {params.n_iter} iterations: {shares[0]:.0%} of starts end within "
               f"0.1 of x* (green), {sum(shares[1:4]):.0%} within 0.1 of a local minimum, {shares[4]:.0%} near none "
               f"(grey). The authors' stationarity test |grad f| <= 0.1 holds for {basin.frac_stationary:.0%}: "
               "f is so flat far from its minima that the test also passes grey starts near none of them. "
               f"Sweep of {len(sweep.t_max)} t_max values took {sweep.seconds:.1f} s.")
    cols = charts.columns(2)
    cols[0].plotly_chart(basin_figure(sweep.coords, basin.labels, minima,
                                      title=f"Where each start ends, t_max = {params.t_max:g}"),
                         key="toy_basin", width="stretch")
    cols[1].plotly_chart(reach_figure(sweep.coords, sweep.reach_share, minima,
                                      title="Share of the swept t_max reaching x*"),
                         key="toy_reach", width="stretch")
    st.plotly_chart(rate_figure(sweep.iterations, sweep.t_max, sweep.rate, mark_t_max=params.t_max,
                                title="Convergence rate: share of starts within 0.1 of x*"),
                    key="toy_rate", width="stretch")


