"""Reconstruction page: phantom -> noisy measurement y = A x + noise (CT by default, or deblurring, inpainting, ...)
-> the problem's reference reconstruction, then a live GNC reconstruction from many starts.

The page lays out widgets and shows results: the forward model, the problem, the comparison and the TV reference
come from `explorer.ct`, live runs from `explorer.ct.session`, figures from `explorer.figures`, and the state a
link carries from `explorer.app.urlstate`.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace

import streamlit as st
import torch

from explorer import ct
from explorer.app.ct_widgets import (INIT_LABELS, PHANTOM_LABELS, PRIOR_LABELS, TAB_LABELS, apply_problem_defaults,
                                     apply_window_preset, init_label, is_tomography, mark_custom_window,
                                     operator_text, page_device, params_from_widgets, problem_label, seed_widgets,
                                     widget_key)
from explorer.app.ct_tables import psnr_text
from explorer.app.plain import summary
from explorer.app.uploads import TYPES as UPLOAD_TYPES, Decoded, decode_file, decode_upload
from explorer.app.urlstate import (CT_PHANTOMS, CT_PROBLEMS, CT_WINDOWS, REAL_SLICES, CTParams, ct_params_from_query,
                                   ct_params_to_query, ct_t_range, problem_takes)
from explorer.core import schedules
from explorer.core.registry import METHODS, STEP_RULES
from explorer.ct import session as ct_session
from explorer.ct.problem import FACTORS, MAX_SIGMA
from explorer.problems import INPAINT_MASKS
from explorer.problems.fbp import FILTERS
from explorer.figures.ct import image_figure, sinogram_figure
from explorer.imaging.dicom import CENTER_RANGE, WIDTH_RANGE, WINDOW_LABELS, ct_slice
from explorer.imaging.phantoms import PhantomError
from explorer.priors.weights import REBUILD_COMMAND, WeightsError
from views.ct_parts import (REPORT_EVERY, at_most_every, compare_view, export_ui, live_view, transport_ui,
                            update_comparison)

PLAY_INTERVAL = 0.6  # seconds between frames of playback
KEEP_FRAMES = 100  # about this many iterates are kept for the scrubber and the export
Window = tuple[float, float]  # (centre, width) in Hounsfield units
MASK_LABELS = {"random": "random pixels", "box": "a centred square hole"}
REAL_SLICE_NOTE = (
    "**A real CT slice.** The learned prior was trained on random ellipse phantoms and has never seen anatomy. "
    "To see what that costs, open the **Reconstruction** tab, run GNC with the learned prior and compare its PSNR "
    "with the *TV* row of the table; then set **Prior** to *Analytic Gaussian* and run again."
)


def _uploaded(column, label: str, key: str, n: int, window: Window) -> Decoded | None:
    """The file chosen in an uploader, decoded at side n once per file, size and window (reruns reuse it).

    PNG and JPEG images are read as they are; DICOM files (by content or name) are windowed at `window`.
    """
    file = column.file_uploader(label, type=list(UPLOAD_TYPES), key=key)
    if file is None:
        return None
    center, width = window

    def decode(data: bytes, size: int):
        return decode_file(data, size, name=file.name, center=center, width=width)

    return decode_upload(st.session_state.setdefault("ct_decoded_uploads", {}), file.file_id, file.getvalue, n,
                         decode=decode, variant=window)


def window_ui(column) -> Window:
    """The display window of a real CT slice: a preset, or centre and width typed in Hounsfield units."""
    state = st.session_state
    column.selectbox("Window", CT_WINDOWS, format_func=WINDOW_LABELS.get, key=widget_key("window"),
                     on_change=apply_window_preset, args=(state,),
                     help="Which Hounsfield units become the image's 0 to 1: centre ± width / 2. Air is -1000 HU, "
                          "water 0, soft tissue 20 to 80, bone 400 and more. Applies to DICOM files only.")
    a, b = column.columns(2)
    center = a.number_input("Centre (HU)", *CENTER_RANGE, step=10.0, format="%g", key=widget_key("window_center"),
                            on_change=mark_custom_window, args=(state,))
    width = b.number_input("Width (HU)", *WIDTH_RANGE, step=10.0, format="%g", key=widget_key("window_width"),
                           on_change=mark_custom_window, args=(state,))
    return float(center), float(width)


@st.cache_data(max_entries=16, show_spinner=False)
def builtin_slice(n: int, center: float, width: float) -> tuple[torch.Tensor, list[str]]:
    """The built-in real CT slice at side n in the window (centre, width)."""
    return ct_slice(n, center, width)


def operator_ui(column, problem: str) -> dict[str, object]:
    """Widgets of the parameters the chosen problem takes (only those); returns their values."""
    takes, state, values = problem_takes(problem), st.session_state, {}
    if "n_angles" in takes:
        values["n_angles"] = column.slider(
            "Number of angles", 1, 360, key=widget_key("n_angles"),
            help="Evenly spaced over [0°, 180°)" + (", or over the angular range below." if "angle_range" in takes
                                                    else "."))
    if "angle_range" in takes:
        values["angle_range"] = column.slider("Angular range (degrees)", 1.0, 180.0, step=1.0, format="%g°",
                                              key=widget_key("angle_range"),
                                              help="The angles cover [0°, range); the rest is a missing wedge.")
    if "sigma" in takes:
        values["sigma"] = column.slider("Blur width σ (pixels)", 0.1, MAX_SIGMA, step=0.1, key=widget_key("sigma"),
                                        help="Standard deviation of the Gaussian blur; zero outside the image.")
    if "keep" in takes:
        values["keep"] = column.slider("Observed fraction of pixels", 0.01, 1.0, step=0.01, key=widget_key("keep"))
    if "mask" in takes:
        values["mask"] = column.selectbox("Missing pixels", INPAINT_MASKS, format_func=MASK_LABELS.get,
                                          key=widget_key("mask"))
        if values["mask"] == "random":
            values["mask_seed"] = int(column.number_input("Mask seed", 0, 2**31 - 1, key=widget_key("mask_seed")))
        else:
            values["mask_seed"] = int(state.get(widget_key("mask_seed"), 0))
    if "factor" in takes:
        values["factor"] = column.selectbox("Block side (downsampling factor)", FACTORS, key=widget_key("factor"),
                                            help="y holds the means of factor × factor blocks.")
    return values


def forward_model_ui() -> tuple[ct.ProblemSettings, str, str, Decoded | None, Window]:
    """Widgets of the forward model: the problem and its operator, the phantom, the noise and the reference's filter.

    Returns the settings, the FBP filter, the phantom choice, an uploaded file and the window.
    """
    problem = st.selectbox("Problem", CT_PROBLEMS, format_func=problem_label, key=widget_key("problem"),
                           on_change=apply_problem_defaults, args=(st.session_state,),
                           help="The operator A of y = A x + noise. The prior and the solver stay the same.")
    left, middle, right = st.columns(3)
    phantom = left.selectbox("Phantom", CT_PHANTOMS, format_func=PHANTOM_LABELS.get, key=widget_key("phantom"))
    seed, upload, window = CTParams.seed, None, (CTParams.window_center, CTParams.window_width)
    n = middle.slider("Image size n (pixels)", 32, 256, step=16, key=widget_key("n"))
    if phantom == "ellipses":
        seed = int(left.number_input("Phantom seed", 0, 2**31 - 1, key=widget_key("seed")))
    if phantom in REAL_SLICES:
        window = window_ui(left)
    if phantom == "upload":
        upload = _uploaded(left, "PNG, JPEG or DICOM (.dcm)", "ct_upload", n, window)
    operator = operator_ui(middle, problem)
    noise_level = right.slider("Noise level", 0.0, 0.2, step=0.005, format="%.3f", key=widget_key("noise_level"),
                               help="y = A x + level · mean(|A x|) · N(0, I)")
    noise_seed = int(right.number_input("Noise seed", 0, 2**31 - 1, key=widget_key("noise_seed")))
    filter_name = st.session_state.get(widget_key("filter"), CTParams.filter)
    if is_tomography(problem):
        filter_name = right.selectbox("FBP filter", FILTERS, key=widget_key("filter"))
    clip = right.checkbox("Clip the reference to [0, 1] for PSNR / SSIM", key=widget_key("clip_fbp"))
    settings = ct.ProblemSettings(problem=problem, n=n, **operator, noise_level=noise_level, noise_seed=noise_seed,
                                  phantom=phantom if phantom in ct.PHANTOMS else "ellipses",
                                  phantom_seed=seed, clip_metrics=clip)
    return settings, filter_name, phantom, upload, window


def forward_model_view() -> tuple[ct.ForwardModel | None, bool]:
    """The "Forward model" tab: controls, the phantom, the measurement y and the reference, and metrics.

    Returns the forward model (None without a usable phantom) and whether its truth is a real CT slice.
    """
    settings, filter_name, phantom, upload, window = forward_model_ui()
    truth, notes = None, ()
    if phantom == "upload":
        if upload is None:
            st.info("Upload a PNG or JPEG image, or a DICOM CT slice (.dcm), to use it as the phantom.")
            return None, False
        if upload.error:
            st.error(summary([upload.error]))
            return None, False
        truth, notes = upload.image, upload.notes
    elif phantom == "ct-slice":
        try:
            truth, notes = builtin_slice(settings.n, *window)
        except PhantomError as error:
            st.error(summary([str(error)]))
            return None, False
    real = phantom == "ct-slice" or (upload is not None and upload.dicom)
    if real:
        st.info(REAL_SLICE_NOTE, icon=":material/info:")
    for note in notes:
        st.caption(summary([note]))
    with st.spinner("Building the operator ..."):
        model = ct.forward_model(settings, truth, filter_name=filter_name)
    ref = model.reference_name[:1].upper() + model.reference_name[1:]  # "FBP", "Wiener filter", "Harmonic ..."
    shown = model.reference.clamp(0, 1) if settings.clip_metrics else model.reference
    ref_title = f"{ref} of y" + (f" ({filter_name} filter)" if is_tomography(settings.problem) else "")
    if is_tomography(settings.problem):
        left, right = st.columns(2)
        left.plotly_chart(image_figure(model.truth, "Ground truth x"), key="ct_truth", width="stretch")
        right.plotly_chart(image_figure(shown, ref_title), key="ct_fbp", width="stretch")
        st.plotly_chart(sinogram_figure(model.y, model.operator.angles, "Noisy sinogram y = A x + noise"),
                        key="ct_sinogram", width="stretch")
    else:
        # Image-shaped measurements (a blurred, masked, block-averaged or noisy image) are shown as images.
        left, middle, right = st.columns(3)
        left.plotly_chart(image_figure(model.truth, "Ground truth x", height=320), key="ct_truth", width="stretch")
        middle.plotly_chart(image_figure(model.y, "Measurement y = A x + noise", height=320), key="ct_measurement",
                            width="stretch")
        right.plotly_chart(image_figure(shown, ref_title, height=320), key="ct_fbp", width="stretch")
    a, b, c = st.columns(3)
    a.metric(f"{ref} PSNR (dB)", psnr_text(model.reference_psnr))
    b.metric(f"{ref} SSIM", f"{model.reference_ssim:.3f}")
    c.metric("Operator norm ||A||", f"{model.operator.norm():.3g}",
             help="Largest singular value, by power iteration; the reconstruction divides A and y by it.")
    detail = (f": {model.operator.n_angles} angles × {model.operator.n_detectors} detector bins, unit pixels, "
              "Joseph's interpolating projector with exact adjoint" if is_tomography(settings.problem) else "")
    st.caption((f"{ref} clipped to [0, 1] before PSNR / SSIM (data range 1). " if settings.clip_metrics
                else f"{ref} not clipped: PSNR / SSIM of the raw image (data range 1). ")
               + f"Operator: {operator_text(settings)}{detail}.")
    return model, real


# ---------------------------------------------------------------------------------------------------------------
# Reconstruction tab.


@st.cache_resource(show_spinner="Looking for the learned prior ...")
def network_problem() -> str | None:
    """Why the learned energy U-Net cannot be used (the WeightsError message), or None when it loads."""
    try:
        ct.load_prior("network", 64)
    except WeightsError as error:
        return str(error)
    return None


@st.cache_resource(max_entries=8, show_spinner="Building the problem (a Gaussian prior takes a few seconds) ...")
def cached_problem(settings: ct.ProblemSettings, truth_digest: str, _truth: torch.Tensor | None) -> ct.CTProblem:
    """The problem of the settings (and of the uploaded truth named by its digest), shared by all sessions."""
    return ct.make_problem(settings, ct.load_prior(settings.prior, settings.n), _truth)


@st.cache_resource(max_entries=2, show_spinner="Moving the problem to the GPU ...")
def cached_device_problem(settings: ct.ProblemSettings, truth_digest: str, _truth: torch.Tensor | None,
                          device: str) -> ct.CTProblem:
    """The same problem on `device`, where the solver runs; the page scores and draws from the CPU one."""
    prior = ct.load_prior(settings.prior, settings.n, device=device)
    return ct.make_problem(settings, prior, _truth, device=device)


@st.cache_resource(max_entries=8, show_spinner="Computing the TV reference (Chambolle-Pock) ...")
def cached_references(settings: ct.ProblemSettings, truth_digest: str, _problem: ct.CTProblem) -> ct.References:
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
    return ([] if network_problem() else ["network"]) + (["network-small"] if small_network_loads() else []) + [
        "gaussian"]


# The fields whose widgets the Reconstruction tab lays out (only while it is open).
RECONSTRUCTION_FIELDS = ("prior", "alpha", "method", "schedule", "t_max", "t_min", "step_rule", "step_size", "n_iter",
                         "clip", "inits", "init_seed", "frame")


def reconstruction_ui(problem: ct.ProblemSettings, window: Window) -> tuple[ct.CTSettings, Decoded | None]:
    """Widgets of the prior, the solver and the starts; returns the settings and the uploaded start, decoded."""
    ref = problem.reference_name
    if network_problem():
        fallback = ("the small distilled U-Net" if "network-small" in available_priors()
                    else "the analytic Gaussian prior (fitted to ellipse phantoms)")
        st.info(f"The learned energy U-Net is not available, so {fallback} is used. Rebuild the network with: "
                f"`{REBUILD_COMMAND}`.")
    # The settings sit in the sidebar while this tab is open, so that Play, the metrics and the iterates are on
    # the first screen (at 1440 x 900 they began at y = 945 px below three rows of settings).
    bar = st.sidebar
    bar.subheader("Reconstruction settings")
    prior = bar.selectbox("Prior", available_priors(), key=widget_key("prior"), format_func=PRIOR_LABELS.get)
    alpha = bar.number_input("Prior weight alpha", min_value=1e-8, max_value=10.0, format="%.2e",
                             key=widget_key("alpha"), placeholder=f"tuned: {ct.ALPHA[prior]:.0e}",
                             help="F(x, t) = ½||A~x − y~||² + alpha · s(t)/m(t) · E(x, t), A~ = A/||A||. "
                                  "Empty: the value tuned for this prior.")
    method = bar.selectbox("Method", list(METHODS), key=widget_key("method"), format_func=lambda m: METHODS[m].label)
    chosen = bar.multiselect("Starts x_0 (run together as one batch)", list(INIT_LABELS),
                             format_func=lambda name: init_label(name, ref), key=widget_key("inits"))
    inits = chosen or list(CTParams.inits[:1])
    if not chosen:
        bar.caption(f"No start chosen: using {init_label(inits[0], ref)}.")
    init_seed = CTParams.init_seed
    if "noise" in inits:
        init_seed = int(bar.number_input("Noise start seed", 0, 2**31 - 1, key=widget_key("init_seed")))
    upload = _uploaded(bar, "Start image", "ct_rec_upload", problem.n, window) if "upload" in inits else None
    schedule = bar.selectbox("Schedule of t", list(schedules.SCHEDULES), key=widget_key("schedule"))
    a, b = bar.columns(2)
    t_max = a.number_input("t_max", 1e-3, 1.0, format="%.3g", key=widget_key("t_max"))
    t_min = b.number_input("t_min", 1e-5, 1.0, format="%.3g", key=widget_key("t_min"))
    t_max, t_min, warnings = ct_t_range(t_max, t_min)
    for warning in warnings:
        bar.warning(warning)
    n_iter = int(bar.number_input("Iterations N", 1, 2000, key=widget_key("n_iter")))
    rule = bar.selectbox("Step rule", list(STEP_RULES), key=widget_key("step_rule"),
                         format_func=lambda r: STEP_RULES[r].label)
    step_size = bar.number_input("Step size b (first trial step for line searches)", min_value=1e-6,
                                 max_value=1e9, format="%.3g", key=widget_key("step_size"),
                                 placeholder=f"tuned: {ct.default_step_size(rule, prior):g}")
    clip = bar.checkbox("Project iterates onto [0, 1]", key=widget_key("clip"))
    solver = ct.SolverSettings(method=method, schedule=schedule, t_max=t_max, n_iter=n_iter, step_rule=rule,
                               step_size=step_size, clip=clip, inits=inits, init_seed=init_seed)
    return ct.CTSettings(replace(problem, prior=prior, alpha=alpha, t_min=t_min), solver), upload


def _new_run(settings: ct.CTSettings, problem: ct.CTProblem, x0: torch.Tensor, truth_digest: str,
             truth: torch.Tensor | None) -> ct_session.LiveRun:
    names = tuple(init_label(name, problem.reference_name) for name in settings.solver.inits)
    keep_every = max(1, settings.solver.n_iter // KEEP_FRAMES)
    device = page_device()
    solve_on = None if device == "cpu" else cached_device_problem(settings.problem, truth_digest, truth, device)
    return ct_session.start_run(problem, x0, settings.solver, names, keep_every=keep_every, solve_on=solve_on)


def reconstruction_view(model: ct.ForwardModel | None, real: bool) -> None:
    """The "Reconstruction" tab: solver controls, a live batched run, the compare view and the exports."""
    if model is None:
        st.info("Choose a phantom in the Forward model tab first.")
        return
    fm = model.settings
    st.caption(f"Problem ({operator_text(fm)}), phantom, size ({fm.n} × {fm.n}) and noise ({fm.noise_level:g}) come "
               "from the Forward model tab; prior, method, starts, schedule and step rule are in the sidebar. "
               "The data are normalised once: A~ = A / ||A||, y~ = y / ||A||. "
               + ("The solver runs on the GPU." if page_device() == "cuda" else
                  f"The solver runs on the CPU ({torch.get_num_threads()} threads)."))
    if real:
        st.info("**A real CT slice; the learned prior only ever saw ellipse phantoms.** Compare the methods here: "
                "the table lists the TV reconstruction beside each start. Run to the end with the learned prior, "
                "then switch **Prior** to *Analytic Gaussian* and run again.", icon=":material/compare:")
    state = st.session_state
    window = (float(state.get(widget_key("window_center"), CTParams.window_center)),
              float(state.get(widget_key("window_width"), CTParams.window_width)))
    settings, upload = reconstruction_ui(fm, window)
    # Uploads and the built-in slice (in the chosen window) come with their truth; the cache key names it.
    given_truth = state[widget_key("phantom")] in REAL_SLICES
    truth = model.truth[0, 0] if given_truth else None
    truth_digest = hashlib.sha256(truth.numpy().tobytes()).hexdigest() if given_truth else ""
    start_image = None
    if upload is None and "upload" in settings.solver.inits:
        st.info("Upload an image to use it as a start, or untick that start.")
        return
    if upload is not None:
        if upload.error:
            st.error(summary([upload.error]))
            return
        start_image = upload.image
    problem = cached_problem(settings.problem, truth_digest, truth)
    x0 = ct.initialisations(settings.solver.inits, problem, init_seed=settings.solver.init_seed, upload=start_image)
    signature = (settings, truth_digest, upload.digest if upload is not None else "")

    state.setdefault("ct_rec_playing", False)
    if state.get("ct_rec_sig") != signature or state.pop("ct_rec_restart", False) or "ct_rec_run" not in state:
        state["ct_rec_run"] = _new_run(settings, problem, x0, truth_digest, truth)
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

    refs = cached_references(settings.problem, truth_digest, problem)
    with st.expander(f"Ground truth, data, {problem.reference_name} and TV", expanded=False):
        cols = st.columns(4 if not is_tomography(settings.problem.problem) else 3)
        ref_shown = problem.reference.clamp(0, 1) if settings.problem.clip_metrics else problem.reference
        ref_title, tv_title = (f"{ref}: {psnr_text(refs.psnr[ref], ' dB')}" for ref in (refs.reference_name, "TV"))
        shown = [(problem.truth, "Ground truth x", "ct_rec_truth"), (ref_shown, ref_title, "ct_rec_fbp"),
                 (refs.tv_image, tv_title, "ct_rec_tv")]
        if not is_tomography(settings.problem.problem):
            y = problem.y
            shown.insert(1, (y, "Normalised data y~ = y / ||A||", "ct_rec_measurement"))
        for col, (image, title, key) in zip(cols, shown):
            zmax = max(float(image.max()), 1.0) if key == "ct_rec_measurement" else 1.0
            col.plotly_chart(image_figure(image, title, zmax=zmax, height=300), key=key, width="stretch")
        if is_tomography(settings.problem.problem):
            st.plotly_chart(sinogram_figure(problem.y, problem.operator.base.angles,
                                            "Normalised sinogram y~ = y / ||A||", height=240),
                            key="ct_rec_sinogram", width="stretch")

    update_comparison(settings, problem, x0, signature)
    transport_ui(run)
    st.fragment(run_every=PLAY_INTERVAL if state["ct_rec_playing"] else None)(live_view)(run, refs)
    compare_view(run.names)
    export_ui(run, refs)


def main() -> None:
    """Lay out the CT page: its state comes from the URL on a first visit and goes back to it after each run."""
    st.title("Reconstruction: CT and other inverse problems")
    state = st.session_state
    # Streamlit clears the URL when the user switches pages; coming back restores the session's last view.
    query = st.query_params.to_dict() or state.get("ct_last_query", {})
    parsed, warnings = ct_params_from_query(query)
    # Without the network's weights the Gaussian prior stands in; the Reconstruction tab says so.
    seed_widgets(st.session_state, parsed, available_priors())
    if warnings:
        st.warning(summary(warnings))
    # The tabs rerun the page when switched, and only the open one does its work: the Forward model tab stays
    # quick, and the Reconstruction tab builds its problem and TV reference only when it is looked at.
    forward_tab, reconstruction_tab = st.tabs(list(TAB_LABELS.values()), key=widget_key("tab"), on_change="rerun")
    if reconstruction_tab.open and not state.get("ct_rec_was_open", True):
        # The tab was opened again and its widgets mount anew. Where their values outlived the hidden tab on the
        # server, Streamlit would not send them, and a browser that dropped them shows the widget's minimum (CI
        # saw Iterations N at 1 while the run used 37). Assigning through the Session State API always sends them.
        for name in RECONSTRUCTION_FIELDS:
            if widget_key(name) in state:
                state[widget_key(name)] = state[widget_key(name)]
    state["ct_rec_was_open"] = reconstruction_tab.open
    with forward_tab:
        forward_model, real = forward_model_view()
    if reconstruction_tab.open:
        with reconstruction_tab:
            reconstruction_view(forward_model, real)
    else:
        state["ct_rec_playing"] = False
    if not state.get("ct_rec_playing", False):
        query = ct_params_to_query(params_from_widgets(state, parsed))
        state["ct_last_query"] = query
        if st.query_params.to_dict() != query:
            st.query_params.from_dict(query)


main()
