"""The CT page's live-run panel: transport buttons, iterates and charts, the method comparison and the exports.

Laid out by views/ct.py inside its Reconstruction tab; the run itself lives in session state as an
:class:`explorer.ct.session.LiveRun`.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import numpy as np
import streamlit as st
import torch

from explorer import ct
from explorer.app.ct_tables import comparison_frame, psnr_text, results_frame
from explorer.app.ct_widgets import widget_key
from explorer.app.glossary import help_for
from explorer.core.registry import METHODS
from explorer.ct import session as ct_session
from explorer.figures.ct import comparison_figure, history_figure
from explorer.figures.images import image_grid_figure
from views.page_header import page_keys

COMPARED = ("gnc", "gd")  # the paper's claim: GNC ends nearly independent of the start, plain GD does not
ERROR_MAX = 0.5  # |error| maps share the colour range [0, ERROR_MAX]
REPORT_EVERY = 0.25  # seconds between progress reports of a long run: each is a point where a closed tab stops it


def at_most_every(seconds: float, action: Callable[[ct_session.LiveRun], None]) -> Callable[[ct_session.LiveRun], None]:
    """A progress callback that calls `action(run)` at most once per `seconds` (and at the run's end).

    Each call is a Streamlit call, where Streamlit stops the script of a tab that closed or moved on; a few a
    second are enough for that without flooding the browser with updates.
    """
    last = -math.inf

    def report(run: ct_session.LiveRun) -> None:
        nonlocal last
        now = time.monotonic()
        if now - last >= seconds or run.done:
            last = now
            action(run)

    return report


def _toggle_play() -> None:
    state = st.session_state
    if not state["ct_rec_playing"] and state["ct_rec_run"].done:
        state["ct_rec_restart"] = True
    state["ct_rec_playing"] = not state["ct_rec_playing"]


def _step() -> None:
    st.session_state["ct_rec_playing"] = False
    ct_session.advance(st.session_state["ct_rec_run"], int(st.session_state[widget_key("frame")]))


def _request(flag: str) -> None:
    st.session_state["ct_rec_playing"] = False
    st.session_state[flag] = True


def transport_ui(run: ct_session.LiveRun) -> None:
    """Play / pause, step, run to the end and restart; they act on the run in session state."""
    cols = st.columns([1, 1, 1, 1, 2], vertical_alignment="bottom")
    playing = st.session_state["ct_rec_playing"]
    cols[0].button("Pause" if playing else ("Play again" if run.done else "Play"), key="ct_rec_btn_play",
                   on_click=_toggle_play, type="primary", width="stretch")
    cols[1].button("Step", key="ct_rec_btn_step", on_click=_step, disabled=run.done, width="stretch")
    cols[2].button("Run to the end", key="ct_rec_btn_end", on_click=_request, args=("ct_rec_to_end",),
                   disabled=run.done, width="stretch")
    cols[3].button("Restart", key="ct_rec_btn_restart", on_click=_request, args=("ct_rec_restart",), width="stretch")
    cols[4].number_input("Iterations per step", 1, 200, key=widget_key("frame"),
                         help="Iterations per press of Step and per frame of playback. Keys: P play / pause, "
                              "S step, End run to the end, Home restart.")
    page_keys({"p": "ct_rec_btn_play", "s": "ct_rec_btn_step", "End": "ct_rec_btn_end", "Home": "ct_rec_btn_restart"},
              key="ct_rec_keys")


def live_view(run: ct_session.LiveRun, refs: ct.References) -> None:
    """The current iterates and |error| maps, the scrubber, the metrics and the diagnostics charts.

    Runs as a fragment: during playback it reruns alone every PLAY_INTERVAL seconds and advances the run.
    """
    state = st.session_state
    if state["ct_rec_playing"]:
        # A frame can be many iterations: an empty element between chunks is a point where Streamlit can stop
        # the run when the tab closes or the visitor presses Pause.
        beat = st.empty()
        until = run.iteration + int(state[widget_key("frame")])
        ct_session.run_to_end(run, until=until, progress=at_most_every(REPORT_EVERY, lambda _: beat.empty()))
        if run.done:
            state["ct_rec_playing"] = False
            # Only a full rerun re-registers the fragment without its timer (and refreshes the table and exports).
            st.rerun()
    iters, _ = run.kept()
    follow_col, slider_col = st.columns([1, 4], vertical_alignment="bottom")
    shown = iters[-1]
    if not follow_col.toggle("Follow the newest iterate", True, key="ct_rec_follow") and len(iters) > 1:
        if state.get("ct_rec_show") not in iters:
            state["ct_rec_show"] = iters[-1]
        shown = slider_col.select_slider(
            f"Shown iterate x_k (kept every {run.keep_every} iteration{'s' if run.keep_every > 1 else ''})",
            options=iters, key="ct_rec_show")
    if run.status == "diverged":
        st.error(f"{run.message} Lower the step size or use a line search (Armijo or BB).")
    psnr_rows = run.history("psnr")
    cols = st.columns(1 + min(len(run.names), 5))
    cols[0].metric("Iteration", f"{run.iteration} / {run.settings.solver.n_iter}",
                   help=f"{run.seconds:.1f} s of solver time; status: {run.status}")
    for col, name, now, start in zip(cols[1:], run.names, psnr_rows[-1], psnr_rows[0]):
        gain = now - start
        col.metric(f"PSNR {name} (dB)", psnr_text(now), f"{gain:+.2f} since x_0" if np.isfinite(gain) else None,
                   help=help_for("PSNR"))
    x = ct_session.frame_at(run, shown)[:, 0].numpy()
    grid = np.stack([x, np.abs(x - run.problem.truth[0, 0].numpy())])
    titles = [f"{n}: {psnr_text(p, ' dB')}" for n, p in zip(run.names, psnr_rows[shown])]
    st.plotly_chart(image_grid_figure(grid, titles,
                                      row_labels=["x_k", "|x_k − x|"], zranges=[(0.0, 1.0), (0.0, ERROR_MAX)],
                                      colorscales=["gray", "inferno"], cell_height=max(160, 420 // len(run.names)),
                                      title=f"Iterates at k = {shown} and their errors (|error| on [0, {ERROR_MAX}])"),
                    key="ct_rec_grid", width="stretch")
    references = {"psnr": refs.psnr, "ssim": refs.ssim}
    records = {name: run.history(name) for name in ct_session.RECORD_FIELDS}
    st.plotly_chart(history_figure(records, run.names, mark=shown, references=references),
                    key="ct_rec_history", width="stretch")
    st.caption("Row k of the charts: PSNR, SSIM (every few iterations) and data fit of x_k; t_k, b_k, f(x_k) and "
               "the descent cosine of the step taken from x_k (cos < 0: a descent direction of f). PSNR / SSIM "
               + ("of iterates clipped to [0, 1]" if run.settings.problem.clip_metrics else "of the raw iterates")
               + ", data range 1.")
    compared = state.get("ct_rec_compared")
    table = results_frame(run, refs, compared["result"] if compared else None)
    st.dataframe(table.style.format({"PSNR (dB)": psnr_text, "SSIM": "{:.3f}"}), hide_index=True, width="stretch")


def update_comparison(settings: ct.CTSettings, problem: ct.CTProblem, x0: torch.Tensor, signature: tuple) -> None:
    """Run the same starts under GNC and plain GD when asked (one batched run each); drop stale results."""
    state = st.session_state
    if state.pop("ct_rec_compare", False):
        n_iter, count = settings.solver.n_iter, x0.shape[0]
        bar = st.progress(0.0, text=f"Running {count} starts under GNC and plain GD ...")

        def progress(share: float, method: str, k: int) -> None:
            if k % 5 == 0 or share == 1.0:
                bar.progress(share, text=f"{METHODS[method].label}: iteration {k} of {n_iter} ({count} starts)")

        result = ct.compare_methods(problem, x0, settings.solver, COMPARED, progress=progress)
        bar.empty()
        state["ct_rec_compared"] = {"signature": signature, "result": result}
    if state.get("ct_rec_compared", {}).get("signature", signature) != signature:
        del state["ct_rec_compared"]


def compare_view(names: tuple[str, ...]) -> None:
    """GNC and plain GD from the same starts, side by side: final images and a PSNR table."""
    st.subheader("Compare methods")
    st.button("Run the same starts under GNC and plain gradient descent", key="ct_rec_btn_compare",
              on_click=_request, args=("ct_rec_compare",))
    compared = st.session_state.get("ct_rec_compared")
    if compared is None:
        st.caption("The paper's claim: the GNC result is nearly independent of the start; plain gradient descent "
                   "on f (t = t_min throughout) is not. Both use the step rule and iterations chosen above.")
        return
    result: ct.Comparison = compared["result"]
    st.plotly_chart(comparison_figure(result.finals, result.methods, names), key="ct_rec_compare_grid",
                    width="stretch")
    st.dataframe(comparison_frame(result, names).style.format(psnr_text), width="stretch")


def export_ui(run: ct_session.LiveRun, refs: ct.References) -> None:
    """Download buttons for the run (NPZ), its metrics (CSV) and its settings (JSON)."""
    extra = {"references": {"psnr": refs.psnr, "ssim": refs.ssim}}
    downloads = (("Run (NPZ: iterates, truth, reference, records)", lambda: ct_session.export_npz(run, extra),
                  "ct_run.npz", "application/octet-stream", "ct_rec_dl_npz"),
                 ("Metrics (CSV)", lambda: ct_session.metrics_csv(run), "ct_metrics.csv", "text/csv", "ct_rec_dl_csv"),
                 ("Configuration (JSON)", lambda: ct_session.config_json(run, extra), "ct_config.json",
                  "application/json", "ct_rec_dl_json"))
    for col, (label, data, name, mime, key) in zip(st.columns(3), downloads):
        col.download_button(label, data, file_name=name, mime=mime, on_click="ignore", key=key, width="stretch")
    st.caption("Figures: use the camera icon of each chart's toolbar for a PNG.")
