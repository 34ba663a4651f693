"""Reconstruction page: phantom -> noisy measurement y = A x + noise (CT by default, or deblurring, inpainting, ...)
-> the problem's reference reconstruction, then a live GNC reconstruction from many starts.

The page lays out widgets and shows results: the Forward model tab is views/ct_forward.py, the live-run panel
views/ct_parts.py; the forward model, the problem, the comparison and the TV reference come from `explorer.ct`,
live runs from `explorer.ct.session`, figures from `explorer.figures`, the page's texts and derived values from
`explorer.app.ct_page`, and the state a link carries from `explorer.app.urlstate`.
"""

from __future__ import annotations

import streamlit as st
import torch

from explorer import ct
from explorer.app.ct_page import (
    REAL_SLICE_RUN_NOTE,
    chosen_starts,
    keep_every,
    prior_fallback_note,
    reconstruction_caption,
    reconstruction_settings,
    reference_panels,
    resend_reconstruction_widgets,
    run_names,
    truth_digest,
    usable_priors,
    window_of,
)
from explorer.app.ct_widgets import (
    INIT_LABELS,
    PRIOR_LABELS,
    TAB_LABELS,
    init_label,
    is_tomography,
    page_device,
    params_from_widgets,
    seed_widgets,
    widget_key,
)
from explorer.app.glossary import glossary_markdown, help_for
from explorer.app.plain import summary
from explorer.app.uploads import Decoded
from explorer.app.urlstate import REAL_SLICES, CTParams, ct_params_from_query, ct_params_to_query, ct_t_range
from explorer.core import schedules
from explorer.core.registry import METHODS, STEP_RULES
from explorer.ct import session as ct_session
from explorer.figures.ct import image_figure, sinogram_figure
from explorer.priors.weights import WeightsError
from views.ct_forward import Window, forward_model_view, uploaded
from views.ct_parts import (
    REPORT_EVERY,
    at_most_every,
    compare_view,
    export_ui,
    live_view,
    transport_ui,
    update_comparison,
)
from views.lesson_panel import lesson_keys, lesson_panel
from views.page_header import title_ui

PLAY_INTERVAL = 0.6  # seconds between frames of playback


@st.cache_resource(show_spinner="Looking for the learned prior ...")
def network_problem() -> str | None:
    """Why the learned energy U-Net cannot be used (the WeightsError message), or None when it loads."""
    try:
        ct.load_prior("network", 64)
    except WeightsError as error:
        return str(error)
    return None


@st.cache_resource(max_entries=8, show_spinner="Building the problem (a Gaussian prior takes a few seconds) ...")
def cached_problem(settings: ct.ProblemSettings, digest: str, _truth: torch.Tensor | None) -> ct.CTProblem:
    """The problem of the settings (and of the uploaded truth named by its digest), shared by all sessions."""
    return ct.make_problem(settings, ct.load_prior(settings.prior, settings.n), _truth)


@st.cache_resource(max_entries=2, show_spinner="Moving the problem to the GPU ...")
def cached_device_problem(settings: ct.ProblemSettings, digest: str, _truth: torch.Tensor | None,
                          device: str) -> ct.CTProblem:
    """The same problem on `device`, where the solver runs; the page scores and draws from the CPU one."""
    prior = ct.load_prior(settings.prior, settings.n, device=device)
    return ct.make_problem(settings, prior, _truth, device=device)


@st.cache_resource(max_entries=8, show_spinner="Computing the TV reference (Chambolle-Pock) ...")
def cached_references(settings: ct.ProblemSettings, digest: str, _problem: ct.CTProblem) -> ct.References:
    """PSNR and SSIM of the problem's reference and TV reconstructions, and the TV image."""
    return ct.references(_problem)


@st.cache_resource(show_spinner="Looking for the small learned prior ...")
def small_network_loads() -> bool:
    """Whether the distilled U-Net's shipped weights load."""
    try:
        ct.load_prior("network-small", 64)
    except WeightsError:
        return False
    return True


def available_priors() -> list[str]:
    """The priors that can be used here: each network only when its weights load."""
    return usable_priors(not network_problem(), small_network_loads())


def reconstruction_ui(problem: ct.ProblemSettings, window: Window) -> tuple[ct.CTSettings, Decoded | None]:
    """Widgets of the prior, the solver and the starts; returns the settings and the uploaded start, decoded."""
    ref = problem.reference_name
    if network_problem():
        st.info(prior_fallback_note(available_priors()))
    # The settings sit in the sidebar while this tab is open, so that Play, the metrics and the iterates are on
    # the first screen (at 1440 x 900 they began at y = 945 px below three rows of settings).
    bar = st.sidebar
    bar.subheader("Reconstruction settings")
    prior = bar.selectbox("Prior", available_priors(), key=widget_key("prior"), format_func=PRIOR_LABELS.get,
                          help=help_for("energy", "score", "EMA"))
    alpha = bar.number_input("Prior weight alpha", min_value=1e-8, max_value=10.0, format="%.2e",
                             key=widget_key("alpha"), placeholder=f"tuned: {ct.ALPHA[prior]:.0e}",
                             help="F(x, t) = ½||A~x − y~||² + alpha · s(t)/m(t) · E(x, t), A~ = A/||A||. "
                                  "Empty: the value tuned for this prior.")
    method = bar.selectbox("Method", list(METHODS), key=widget_key("method"), format_func=lambda m: METHODS[m].label,
                           help=help_for("GNC"))
    chosen = bar.multiselect("Starts x_0 (run together as one batch)", list(INIT_LABELS),
                             format_func=lambda name: init_label(name, ref), key=widget_key("inits"))
    inits = chosen_starts(chosen)
    if not chosen:
        bar.caption(f"No start chosen: using {init_label(inits[0], ref)}.")
    init_seed = CTParams.init_seed
    if "noise" in inits:
        init_seed = int(bar.number_input("Noise start seed", 0, 2**31 - 1, key=widget_key("init_seed")))
    upload = uploaded(bar, "Start image", "ct_rec_upload", problem.n, window) if "upload" in inits else None
    schedule = bar.selectbox("Schedule of t", list(schedules.SCHEDULES), key=widget_key("schedule"),
                             help=help_for("smoothing level t", "SDE"))
    a, b = bar.columns(2)
    t_max = a.number_input("t_max", 1e-3, 1.0, format="%.3g", key=widget_key("t_max"))
    t_min = b.number_input("t_min", 1e-5, 1.0, format="%.3g", key=widget_key("t_min"))
    t_max, t_min, warnings = ct_t_range(t_max, t_min)
    for warning in warnings:
        bar.warning(warning)
    n_iter = int(bar.number_input("Iterations N", 1, 2000, key=widget_key("n_iter")))
    rule = bar.selectbox("Step rule", list(STEP_RULES), key=widget_key("step_rule"),
                         format_func=lambda r: STEP_RULES[r].label, help=help_for("Armijo", "Barzilai-Borwein"))
    step_size = bar.number_input("Step size b (first trial step for line searches)", min_value=1e-6,
                                 max_value=1e9, format="%.3g", key=widget_key("step_size"),
                                 placeholder=f"tuned: {ct.default_step_size(rule, prior):g}")
    clip = bar.checkbox("Project iterates onto [0, 1]", key=widget_key("clip"))
    solver = ct.SolverSettings(method=method, schedule=schedule, t_max=t_max, n_iter=n_iter, step_rule=rule,
                               step_size=step_size, clip=clip, inits=inits, init_seed=init_seed)
    return reconstruction_settings(problem, prior=prior, alpha=alpha, t_min=t_min, solver=solver), upload


def _new_run(settings: ct.CTSettings, problem: ct.CTProblem, x0: torch.Tensor, digest: str,
             truth: torch.Tensor | None) -> ct_session.LiveRun:
    device = page_device()
    solve_on = None if device == "cpu" else cached_device_problem(settings.problem, digest, truth, device)
    return ct_session.start_run(problem, x0, settings.solver, run_names(settings, problem.reference_name),
                                keep_every=keep_every(settings.solver.n_iter), solve_on=solve_on)


def references_ui(problem, refs, settings) -> None:
    """The ground truth, the data, the problem's reference reconstruction and TV, folded."""
    with st.expander(f"Ground truth, data, {problem.reference_name} and TV", expanded=False):
        panels = reference_panels(problem, refs)
        for col, (image, title, key, zmax) in zip(st.columns(len(panels)), panels):
            col.plotly_chart(image_figure(image, title, zmax=zmax, height=300), key=key, width="stretch")
        if is_tomography(settings.problem.problem):
            st.plotly_chart(sinogram_figure(problem.y, problem.operator.base.angles,
                                            "Normalised sinogram y~ = y / ||A||", height=240),
                            key="ct_rec_sinogram", width="stretch")


def reconstruction_view(model: ct.ForwardModel | None, real: bool) -> None:
    """The "Reconstruction" tab: solver controls, a live batched run, the compare view and the exports."""
    if model is None:
        st.info("Choose a phantom in the Forward model tab first.")
        return
    presenting = bool(st.session_state.get(widget_key("present")))  # a projected page: the run, nothing else
    if not presenting:
        st.caption(reconstruction_caption(model.settings, page_device(), torch.get_num_threads()))
    if real:
        st.info(REAL_SLICE_RUN_NOTE, icon=":material/compare:")
    state = st.session_state
    settings, upload = reconstruction_ui(model.settings, window_of(state))
    # Uploads and the built-in slice (in the chosen window) come with their truth; the cache key names it.
    truth = model.truth[0, 0] if state[widget_key("phantom")] in REAL_SLICES else None
    digest = truth_digest(truth)
    start_image = None
    if upload is None and "upload" in settings.solver.inits:
        st.info("Upload an image to use it as a start, or untick that start.")
        return
    if upload is not None:
        if upload.error:
            st.error(summary([upload.error]))
            return
        start_image = upload.image
    problem = cached_problem(settings.problem, digest, truth)
    x0 = ct.initialisations(settings.solver.inits, problem, init_seed=settings.solver.init_seed, upload=start_image)
    signature = (settings, digest, upload.digest if upload is not None else "")

    state.setdefault("ct_rec_playing", False)
    if state.get("ct_rec_sig") != signature or state.pop("ct_rec_restart", False) or "ct_rec_run" not in state:
        state["ct_rec_run"] = _new_run(settings, problem, x0, digest, truth)
        state["ct_rec_sig"] = signature
        state.pop("ct_rec_show", None)
    run: ct_session.LiveRun = state["ct_rec_run"]
    if state.pop("ct_rec_to_end", False):
        n_iter = settings.solver.n_iter
        bar = st.progress(0.0, text=f"Running to iteration {n_iter} ...")

        # Each report is a Streamlit call, where Streamlit stops the script of a tab that closed or moved on:
        # without them the run would go on burning CPU for nobody until its last iteration.
        def report(live: ct_session.LiveRun) -> None:
            bar.progress(min(live.iteration / n_iter, 1.0), text=f"Running: iteration {live.iteration} of {n_iter}")

        ct_session.run_to_end(run, progress=at_most_every(REPORT_EVERY, report))
        bar.empty()

    refs = cached_references(settings.problem, digest, problem)
    if not presenting:
        references_ui(problem, refs, settings)

    update_comparison(settings, problem, x0, signature)
    transport_ui(run)
    st.fragment(run_every=PLAY_INTERVAL if state["ct_rec_playing"] else None)(live_view)(run, refs)
    compare_view(run.names)
    export_ui(run, refs)


def main() -> None:
    """Lay out the CT page: its state comes from the URL on a first visit and goes back to it after each run."""
    state = st.session_state
    # Streamlit clears the URL when the user switches pages; coming back restores the session's last view.
    query = st.query_params.to_dict() or state.get("ct_last_query", {})
    parsed, warnings = ct_params_from_query(query)
    # Without the network's weights the Gaussian prior stands in; the Reconstruction tab says so.
    seed_widgets(st.session_state, parsed, available_priors())
    title_ui("Reconstruction: CT and other inverse problems", widget_key("present"),
             lesson_open=bool(lesson_keys("ct")))
    lesson_panel("ct")
    if warnings:
        st.warning(summary(warnings))
    # The tabs rerun the page when switched, and only the open one does its work: the Forward model tab stays
    # quick, and the Reconstruction tab builds its problem and TV reference only when it is looked at.
    forward_tab, reconstruction_tab = st.tabs(list(TAB_LABELS.values()), key=widget_key("tab"), on_change="rerun")
    if reconstruction_tab.open and not state.get("ct_rec_was_open", True):
        resend_reconstruction_widgets(state)
    state["ct_rec_was_open"] = reconstruction_tab.open
    with forward_tab:
        forward_model, real = forward_model_view()
    if reconstruction_tab.open:
        with reconstruction_tab:
            reconstruction_view(forward_model, real)
    else:
        state["ct_rec_playing"] = False
    with st.expander("Glossary: score, SDE, smoothing level t, Armijo, Barzilai-Borwein, EMA, PSNR / SSIM, ..."):
        st.markdown(glossary_markdown())
    if not state.get("ct_rec_playing", False):
        query = {**ct_params_to_query(params_from_widgets(state, parsed)), **lesson_keys("ct")}
        state["ct_last_query"] = query
        if st.query_params.to_dict() != query:
            st.query_params.from_dict(query)


main()
