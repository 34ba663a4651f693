"""The Toy page's frames: which iterations playback shows, and what the page says about each one.

Playback runs in the browser (plotly frames), so everything that describes the shown frame (k, t_k, the
convexity of F(., t_k) and its smallest Hessian eigenvalue, the diagnostics' cursor) is computed here once per
run and sent with the page; the script in `FRAME_JS` shows frame j's readout while plotly shows frame j. The
readouts are plain text, set with `textContent` in the browser: nothing here is ever markup.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from explorer.app.urlstate import ToyParams
from explorer.toy.analysis import first_exit

MAX_FRAMES = 200  # frames of browser playback at most: long runs play every few iterations
# The landscape t slider: round values, about evenly spaced on a log scale, from 0.001 to 10.
T_OPTIONS = tuple(float(f"{m * 10.0**e:.3g}") for e in range(-3, 1) for m in (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8))
T_OPTIONS += (10.0,)


def nearest_t(t: float) -> float:
    """The slider value (one of T_OPTIONS) closest to t on a log scale."""
    return min(T_OPTIONS, key=lambda v: abs(math.log(v) - math.log(t)))


def frame_iterations(n_iter: int, frame: int, shown: int) -> list[int]:
    """The iterations playback shows: every `frame`-th (at most MAX_FRAMES of them), the last and the shown one."""
    stride = max(int(frame), math.ceil(n_iter / MAX_FRAMES))
    return sorted(set(range(0, n_iter + 1, stride)) | {n_iter, int(np.clip(shown, 0, n_iter))})


def t_at(t_record: np.ndarray, iteration: int, t_min: float) -> float:
    """t_k of iteration k from one start's record of t (shape (N,)); the last t for the final iterate x_N.

    Iterations a method skipped record no t; they and the end of an empty record read as t_min.
    """
    if t_record.shape[0] == 0:
        return t_min
    value = float(t_record[min(iteration, t_record.shape[0] - 1)])
    return value if math.isfinite(value) and value > 0 else t_min


@dataclass(frozen=True)
class FrameReadouts:
    """What the page says about each frame, as text; one entry per frame, in frame order."""

    k: tuple[str, ...]  # the iteration
    t: tuple[str, ...]  # t_k, the frame's own smoothing level
    lam: tuple[str, ...]  # smallest Hessian eigenvalue of F(., t_k) over the window
    verdict: tuple[str, ...]  # "convex" or "not convex", from the sign of lam
    shaded: tuple[str, ...]  # the t whose F the landscape shades in that frame

    def as_data(self, frame_names: Sequence[str]) -> dict[str, dict[str, str]]:
        """{frame name: {field: text}}, the form the browser script reads."""
        rows = zip(self.k, self.t, self.lam, self.verdict, self.shaded)
        return {name: dict(zip(("k", "t", "lam", "verdict", "shaded"), row)) for name, row in zip(frame_names, rows)}


def frame_readouts(frames: Sequence[int], t_k: Sequence[float], lam: Sequence[float],
                   shaded: Sequence[float]) -> FrameReadouts:
    """The readouts of each frame from its iteration, t_k, lambda_min(t_k) and the shaded landscape's t.

    Parameters
    ----------
    frames : sequence of int
        The iteration of each frame.
    t_k : sequence of float
        The smoothing level of each frame's iteration.
    lam : sequence of float
        Smallest Hessian eigenvalue of F(., t_k) over the window, per frame.
    shaded : sequence of float
        The t of the backdrop each frame shows (t_k rounded to a slider value, or the fixed t).
    """
    return FrameReadouts(
        k=tuple(str(int(k)) for k in frames),
        t=tuple(f"{t:.3g}" for t in t_k),
        lam=tuple(f"{v:.3g}" for v in lam),
        verdict=tuple("convex" if v >= 0 else "not convex" for v in lam),
        shaded=tuple(f"{t:g}" for t in shaded),
    )


@dataclass(frozen=True)
class RunView:
    """What the live view needs from a run."""

    params: ToyParams
    paths: np.ndarray  # (B, N + 1, 2), NaN after a divergence
    records: dict[str, np.ndarray]  # (B, N) each
    names: tuple[str, ...]  # one label per start
    minima: np.ndarray  # (4, 2)
    note: str = ""  # starts that diverged or left the window, one per line (plain text)
    compare_paths: np.ndarray | None = None  # (B, N + 1, 2): the compared method's paths from the same starts
    panel_titles: tuple[str, str] = ("", "")  # what each panel shows when there are two
    compare_t: np.ndarray | None = None  # (N,): the compared method's t_k from its first start


def exit_notes(names: Sequence[str], paths: np.ndarray, diverged: np.ndarray,
               window: tuple[float, float]) -> list[str]:
    """One line per start whose path diverged or left the window: when, and whether it came back.

    Parameters
    ----------
    names : sequence of str
        One label per start (made by the page from numbers, never user markup).
    paths : ndarray, shape (B, N + 1, 2)
        Every iterate of each start, NaN after a divergence.
    diverged : ndarray of bool, shape (B,)
        The iterates overflowed.
    """
    lo, hi = window
    notes = []
    for name, path, blew_up in zip(names, paths, diverged):
        k = first_exit(path, window)
        if k is None:
            continue
        end = path[-1]
        if blew_up or not np.isfinite(end).all():
            notes.append(f"start {name} diverged: out of the window at k = {k}, then overflowed")
        elif ((end < lo) | (end > hi)).any():
            notes.append(f"start {name} left the window at k = {k} and ended outside it (|x_N| = {np.abs(end).max():.2g})")
        else:
            notes.append(f"start {name} left the window at k = {k} and came back")
    return notes


# The readout beside the landscape. Its fields are filled from the frame data by FRAME_JS (textContent only).
FRAME_HTML = """
<div class="readout" role="status" aria-live="off">
  <div class="row"><span class="big">k = <b data-field="k"></b></span>
       <span class="big">t<sub>k</sub> = <b data-field="t"></b></span></div>
  <div class="row">F(&middot;, t<sub>k</sub>) is <b data-field="verdict"></b>: smallest Hessian eigenvalue
       <b data-field="lam"></b> over the window</div>
  <div class="row dim">Landscape shaded at t = <span data-field="shaded"></span></div>
</div>
"""
FRAME_CSS = """
.readout { font-family: "Source Sans", "Source Sans Pro", sans-serif; font-size: 0.95rem; line-height: 1.5;
           border-left: 3px solid #808495; padding: 0.2rem 0 0.2rem 0.7rem; }
.readout .big { font-size: 1.15rem; margin-right: 1.2rem; font-variant-numeric: tabular-nums; }
.readout .dim { opacity: 0.75; font-size: 0.85rem; }
.readout b[data-verdict="convex"] { color: #2ca02c; }
.readout b[data-verdict="not convex"] { color: #d55e00; }
"""
# The browser side of the frame: plotly's frame events drive the readout and the diagnostics' cursor, and the
# iteration where the picture stops (playback ended or paused, slider let go) goes back to the server, debounced,
# so the table and the link follow it. Play continues from plotly's current frame, the name Plotly.animate
# writes to _fullLayout._currentFrame as each frame shows; a figure opens on the shown iteration without
# animating to it, so the script names that frame itself, at once, whenever a chart mounts (Step, Reset and End
# mount a new one): a deferred Plotly.animate here raced a quick click on Play and stopped the playback it had
# just started. The cursor moves by a CSS transform of its SVG path: Plotly.relayout of the diagnostics took
# ~150 ms a frame in headless Chromium, a transform costs nothing measurable.
FRAME_JS = """
export default function (component) {
  const { setTriggerValue, parentElement, data } = component;
  const frames = (data && data.frames) || {};
  let hooked = null, shown = null, sent = null, timer = null, playing = false;
  const show = (name) => {
    const row = frames[String(name)];
    if (!row) return;
    for (const el of parentElement.querySelectorAll("[data-field]")) {
      el.textContent = row[el.dataset.field] ?? "";
      if (el.dataset.field === "verdict") el.dataset.verdict = row.verdict;
    }
    const diag = document.querySelector(".st-key-toy_diagnostics .js-plotly-plot");
    if (!diag || !diag._fullLayout || !diag._fullLayout.xaxis || !diag.layout.shapes) return;
    const index = diag.layout.shapes.findIndex((s) => s.name === "cursor");
    const path = diag.querySelector(`.shapelayer path[data-index="${index}"]`);
    if (index < 0 || !path) return;
    const xa = diag._fullLayout.xaxis;
    path.style.transform = `translateX(${xa.l2p(Number(row.k)) - xa.l2p(diag.layout.shapes[index].x0)}px)`;
  };
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
    show(shown);
    chart.on("plotly_animatingframe", (e) => { playing = true; shown = Number(e.name); show(e.name); });
    chart.on("plotly_sliderchange", (e) => { shown = Number(e.step.value); show(shown); settle(); });
    chart.on("plotly_animated", () => { playing = false; settle(); });
    chart.on("plotly_animationinterrupted", () => { playing = false; settle(); });
    chart.addEventListener("mousedown", press, true);
  };
  // A click on the plot area (not a drag, not a double click, which resets plotly's zoom) reports its point
  // in data coordinates; the server adds a start there, or removes the start under it. Plotly puts a cover
  // over the page while the button is down, so the release is heard on the document.
  let down = null, clickTimer = null;
  const press = (e) => {
    clearTimeout(clickTimer);
    const area = e.target.closest && e.target.closest(".nsewdrag");
    down = area && e.button === 0 ? { x: e.clientX, y: e.clientY, at: Date.now(), area } : null;
  };
  const release = (e) => {
    if (!down || !hooked) return;
    const { x, y, at, area } = down;
    down = null;
    if (Math.hypot(e.clientX - x, e.clientY - y) > 5 || Date.now() - at > 600) return;
    const box = area.getBoundingClientRect();
    const plot = hooked._fullLayout._plots[area.getAttribute("data-subplot") || "xy"];  // either panel
    if (!plot) return;
    const xa = plot.xaxis, ya = plot.yaxis;
    const point = { x: xa.p2l(x - box.left), y: ya.p2l(y - box.top) };
    clickTimer = setTimeout(() => setTriggerValue("click", point), 350);
  };
  document.addEventListener("mouseup", release, true);
  // Keys: P plays or pauses (the chart's own buttons); Streamlit's shortcuts serve Step, Reset and End.
  const key = (e) => {
    const typing = e.target.closest && e.target.closest("input, textarea, select, [contenteditable]");
    if (typing || e.ctrlKey || e.metaKey || e.altKey || (e.key !== "p" && e.key !== "P") || !hooked) return;
    const buttons = hooked.querySelectorAll(".updatemenu-button");
    const target = buttons[playing ? 1 : 0];
    if (target) target.dispatchEvent(new MouseEvent("click", { bubbles: true }));
  };
  document.addEventListener("keydown", key);
  // Hooked as soon as plotly draws the chart, before a click can reach its Play button; hook() at once for a
  // chart drawn before this script mounted; the poll for one whose layout was ready only after its last DOM change.
  const observer = new MutationObserver(hook);
  observer.observe(document.body, { childList: true, subtree: true });
  hook();
  const poll = setInterval(hook, 400);
  return () => {
    observer.disconnect(); clearInterval(poll); clearTimeout(timer); clearTimeout(clickTimer);
    document.removeEventListener("mouseup", release, true);
    document.removeEventListener("keydown", key);
  };
}
"""
