"""The Toy page's widgets: starts, solver, schedule and weights in the sidebar, and the server-side moves.

Each *_ui function lays out widgets and returns what they describe; the URL validator
(`explorer.app.urlstate`) is the one place that decides what a combination of them means.
"""

from __future__ import annotations

import math
from dataclasses import fields

import streamlit as st

from explorer.app.glossary import help_for
from explorer.app.plain import summary
from explorer.app.toy_frames import FRAME_CSS, FRAME_HTML, FRAME_JS, nearest_t
from explorer.app.toy_starts import clicked_point, toggle_start
from explorer.app.urlstate import (
    PRESETS,
    START_MODES,
    ToyParams,
    candidate_names,
    format_points,
    next_frame,
    parse_points,
    toy_params_from_query,
    toy_params_to_query,
)
from explorer.core import schedules
from explorer.core.registry import METHODS, STEP_RULES

MODE_LABELS = {"preset": "Authors' paths", "random": "Random", "typed": "Typed", "grid": "Candidate grid"}


def key(name: str) -> str:
    """Session-state key of the widget that holds the ToyParams field `name`."""
    return f"toy_{name}"


def seed_widgets(parsed: ToyParams) -> None:
    """Give every widget without state its value from the parsed URL (first visit, or after it was hidden)."""
    state = st.session_state
    for f in fields(ToyParams):
        name_key = key(f.name)
        if name_key in state or f.name in ("it", "maps"):
            continue
        value = getattr(parsed, f.name)
        if f.name == "t":
            value = nearest_t(value)
        elif f.name == "picks":
            # The multiselect holds a list of names; the URL keeps them as one "x1, x2; ..." string.
            names = set(candidate_names())
            value = [p for p in (format_points([q]) for q in parse_points(value)) if p in names]
        state[name_key] = value
    state.setdefault(key("maps"), parsed.maps)


def _value(name: str, parsed: ToyParams):
    """A field's value: its widget's state when the widget exists, else the parsed URL's."""
    value = st.session_state.get(key(name), getattr(parsed, name))
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
    for name, value in _preset_settings(st.session_state[key("preset")]).items():
        st.session_state[key(name)] = value


def _changed_from_preset(name: str) -> list[str]:
    """The settings the user changed since choosing the preset (their widget labels' names)."""
    state = st.session_state
    return [field for field, value in _preset_settings(name).items() if state.get(key(field)) != value]


def solver_ui() -> None:
    """Sidebar widgets for the method, step rule, schedule and weights."""
    with st.sidebar:
        st.subheader("Solver")
        st.selectbox("Method", list(METHODS), format_func=lambda name: METHODS[name].label, key=key("method"),
                     help=help_for("GNC"))
        st.selectbox("Compare with (a second panel, same starts)", ["none", *METHODS], key=key("compare"),
                     format_func=lambda name: "nothing" if name == "none" else METHODS[name].label,
                     help="Runs a second method from the same starts, with its authors' step rule and the same b, "
                          "in a panel beside the first; one Play moves both.")
        st.selectbox("Step rule", list(STEP_RULES), format_func=lambda name: STEP_RULES[name].label,
                     key=key("step_rule"), help=help_for("Armijo", "Barzilai-Borwein"))
        authors = METHODS[st.session_state[key("method")]].step_rule
        if st.session_state[key("step_rule")] != authors:
            st.caption(f"The authors ran this method with {STEP_RULES[authors].label}, not the rule chosen here.")
            st.button(f"Use the authors' rule: {STEP_RULES[authors].label}, b = 1", key="toy_btn_authors_rule",
                      on_click=_use_authors_rule, args=(authors,), width="stretch")
        st.number_input("b (fixed step, or first trial of the line search)", min_value=1e-8, max_value=1e9,
                        step=0.1, format="%g", key=key("step_size"))
        st.subheader(r"Schedule $t_1 > \dots > t_N$")
        st.selectbox("Schedule", list(schedules.SCHEDULES), key=key("schedule"), help=help_for("smoothing level t"))
        st.number_input("t_max", min_value=1e-4, max_value=100.0, step=0.1, format="%g", key=key("t_max"))
        st.number_input("t_min", min_value=1e-6, max_value=1.0, step=1e-3, format="%g", key=key("t_min"))
        st.number_input("N iterations", min_value=1, max_value=5000, step=100, key=key("n_iter"))
        st.number_input("Iterations per step", min_value=1, max_value=1000, key=key("frame"),
                        help="Iterations per press of Step and per frame of playback")
        st.subheader("Objective weights")
        st.caption("F(x, t) = w_d / 2 ||Ax - y||^2 - w_p log p_t(x)")
        st.number_input("w_d (data weight)", min_value=1e-4, max_value=1.0, step=0.005, format="%g",
                        key=key("data_weight"))
        st.number_input("w_p (prior weight)", min_value=1e-4, max_value=1.0, step=0.005, format="%g",
                        key=key("prior_weight"))


def starts_ui() -> None:
    """Sidebar widgets that choose the starts: a preset, random starts, typed points or candidate grid points."""
    with st.sidebar:
        st.subheader("Starts")
        _starts_widgets()


def _starts_widgets() -> None:
    mode = st.radio("Starts", START_MODES, format_func=MODE_LABELS.get, horizontal=True, key=key("starts"))
    if mode == "preset":
        st.selectbox("Sample path (also sets method, step rule and t_max)", list(PRESETS),
                     format_func=lambda name: PRESETS[name].label, key=key("preset"), on_change=_apply_preset)
        changed = _changed_from_preset(st.session_state[key("preset")])
        if changed:
            # The preset's label names the authors' outcome; with other settings only its start still holds.
            x1, x2 = PRESETS[st.session_state[key("preset")]].start
            st.caption(f"Now the start ({x1:g}, {x2:g}) with your own {', '.join(changed)}: the outcome above "
                       "is the authors', not necessarily this run's.")
    elif mode == "random":
        left, right = st.columns(2)
        left.number_input("K random starts", min_value=1, max_value=20, key=key("k"))
        right.number_input("Seed", min_value=0, max_value=2**31 - 1, key=key("seed"))
    elif mode == "typed":
        st.text_input("Starts 'x1, x2; x1, x2' (at most 20)", key=key("points"))
    else:
        st.multiselect("Candidate starts (x1, x2) on a grid over the window", candidate_names(), key=key("picks"),
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
                   help="Iterations per step: set in the sidebar. Key: S", shortcut="S")
    cols[1].button("Reset", key="toy_btn_reset", on_click=_reset, width="stretch", help="Key: Home", shortcut="Home")
    cols[2].button("End", key="toy_btn_end", on_click=_to_end, args=(n_iter,), width="stretch", help="Key: End",
                   shortcut="End")


@st.cache_resource
def frame_component():
    """The mount command of the readout that follows the shown frame and reports where it stops (registered once)."""
    return st.components.v2.component("gnc_explorer_toy_frame", html=FRAME_HTML, css=FRAME_CSS, js=FRAME_JS)


def _adopt_shown() -> None:
    """Take the iteration the browser shows when playback or the chart's slider stopped on one (before the run)."""
    shown = (st.session_state.get("toy_readout") or {}).get("shown")
    if isinstance(shown, (int, float)) and math.isfinite(shown) and shown >= 0:
        st.session_state[key("it")] = int(shown)


def _clicked() -> None:
    """A click on the landscape: add a start there or remove the one under it; the starts become typed ones."""
    state = st.session_state
    point = clicked_point((state.get("toy_readout") or {}).get("click"))
    if point is None:
        return
    starts, said = toggle_start(state.get("toy_starts_shown", []), point)
    state[key("starts")] = "typed"
    state[key("points")] = format_points(starts)
    state["toy_click_said"] = said


def frame_readout(frames: dict[str, dict[str, str]], starts: list[tuple[float, float]]) -> None:
    """The readout of the shown frame (k, t_k, convexity at t_k), filled and moved on by the browser; it also
    hears clicks on the landscape (adding or removing a start among `starts`, the ones shown)."""
    st.session_state["toy_starts_shown"] = starts
    frame_component()(key="toy_readout", data={"frames": frames}, on_shown_change=_adopt_shown,
                      on_click_change=_clicked)
    said = st.session_state.pop("toy_click_said", None)
    if said:
        st.toast(said)


def _use_authors_rule(rule: str) -> None:
    st.session_state[key("step_rule")] = rule
    st.session_state[key("step_size")] = 1.0


def _step(n_iter: int, frame: int) -> None:
    st.session_state[key("it")], _ = next_frame(st.session_state.get(key("it"), 0), n_iter, frame)


def _reset() -> None:
    st.session_state[key("it")] = 0


def _to_end(n_iter: int) -> None:
    st.session_state[key("it")] = n_iter


def show_maps(show: bool) -> None:
    st.session_state[key("maps")] = show

