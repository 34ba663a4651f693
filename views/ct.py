"""CT page: phantom -> noisy sinogram -> filtered backprojection, then a live GNC reconstruction from many starts."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, fields, replace

import numpy as np
import pandas as pd
import streamlit as st
import torch

from explorer import ct
from explorer.ct import session as ct_session
from explorer.core import schedules
from explorer.ct.fbp import FILTERS, fbp
from explorer.figures.ct import history_figure, image_figure, image_grid_figure, sinogram_figure
from explorer.core.steps import Armijo, BarzilaiBorwein
from explorer.priors.weights import REBUILD_COMMAND, WeightsError
from explorer.imaging.metrics import psnr, ssim
from explorer.imaging.noise import add_relative_noise
from explorer.imaging.phantoms import PhantomError, load_image, random_ellipses, shepp_logan
from explorer.ct.operator import ParallelBeam, parallel_beam
from explorer.app.urlstate import CT_PHANTOMS, CTParams, ct_params_from_query, params_to_query

PHANTOM_LABELS = {"ellipses": "Random ellipses", "shepp-logan": "Shepp-Logan", "upload": "Upload an image"}
TAB_LABELS = {"forward": "Forward model", "reconstruction": "Reconstruction"}
# CTParams field -> session-state key of the widget holding it (the tab's state is the tabs' own key).
WIDGET_KEYS = {
    "tab": "ct_tab", "phantom": "ct_phantom", "seed": "ct_seed", "n": "ct_n", "angles": "ct_angles",
    "noise": "ct_noise", "noise_seed": "ct_noise_seed", "filter": "ct_filter", "clip_fbp": "ct_clip",
    "prior": "ct_rec_prior", "alpha": "ct_rec_alpha", "method": "ct_rec_method", "schedule": "ct_rec_schedule",
    "t_max": "ct_rec_tmax", "t_min": "ct_rec_tmin", "iters": "ct_rec_iters", "rule": "ct_rec_rule",
    "step": "ct_rec_step", "clip": "ct_rec_clip", "inits": "ct_rec_inits", "init_seed": "ct_rec_init_seed",
    "frame": "ct_rec_frame",
}


@dataclass(frozen=True)
class ForwardModelParams:
    """What the forward-model view simulates; defaults are the interactive preset of the spec."""

    phantom: str = "ellipses"  # one of explorer.app.urlstate.CT_PHANTOMS
    seed: int = ct.HELD_OUT_SEED  # names the random ellipse phantom; never drawn in the prior's training
    n: int = 64  # image side in pixels
    n_angles: int = 30  # projection angles, evenly spaced over [0, pi)
    noise_level: float = 0.05  # relative Gaussian noise: level * mean(|A x|)
    noise_seed: int = 0  # names the noise draw
    filter_name: str = "ramp"  # FBP filter, one of explorer.ct.fbp.FILTERS
    clip: bool = True  # clip the FBP to [0, 1] before PSNR / SSIM


@dataclass(frozen=True)
class ForwardModel:
    """The simulated data, for this view and the tabs after it."""

    params: ForwardModelParams
    operator: ParallelBeam
    x: torch.Tensor  # ground truth, (1, 1, n, n)
    y: torch.Tensor  # noisy sinogram, (1, 1, n_angles, n_detectors)
    x_fbp: torch.Tensor  # FBP of y, not clipped, (1, 1, n, n)


@st.cache_resource(max_entries=4, show_spinner="Building the CT geometry ...")
def cached_operator(n: int, n_angles: int) -> ParallelBeam:
    """The parallel-beam operator, built once per (n, n_angles) and shared by all sessions."""
    return parallel_beam(n, n_angles)


# ---------------------------------------------------------------------------------------------------------------
# The state a link carries: every control's value lives in its widget; the URL mirrors them (explorer.app.urlstate).


def _seed_widgets(parsed: CTParams, priors: list[str]) -> None:
    """Give every widget without state its value from the parsed URL (first visit, or after it was hidden)."""
    state = st.session_state
    for f in fields(CTParams):
        key = WIDGET_KEYS[f.name]
        if key in state:
            continue
        value = getattr(parsed, f.name)
        if f.name == "tab":
            value = TAB_LABELS[value]
        elif f.name == "inits":
            value = list(value)
        elif f.name == "prior" and value not in priors:
            value = priors[0]
        state[key] = value


def current_params(shown: CTParams) -> CTParams:
    """The parameters the widgets hold now; `shown` (what the URL said) for widgets not on screen.

    The Reconstruction tab's widgets are only laid out while it is open, so the URL keeps their values
    while the user works in the Forward model tab.
    """
    state = st.session_state
    values = {}
    for f in fields(CTParams):
        key = WIDGET_KEYS[f.name]
        if key not in state:
            continue
        value = state[key]
        if f.name == "tab":
            value = next((name for name, label in TAB_LABELS.items() if label == value), CTParams.tab)
        elif f.name == "inits":
            value = tuple(value) or CTParams.inits[:1]
        values[f.name] = value
    return replace(shown, **values)


def forward_model_ui() -> tuple[ForwardModelParams, bytes | None]:
    """Widgets for the forward model; returns the parameters and the uploaded file's bytes."""
    left, middle, right = st.columns(3)
    with left:
        phantom = st.selectbox("Phantom", CT_PHANTOMS, format_func=PHANTOM_LABELS.get, key="ct_phantom")
        upload = None
        seed = CTParams.seed
        if phantom == "ellipses":
            seed = int(st.number_input("Phantom seed", 0, 2**31 - 1, key="ct_seed"))
        elif phantom == "upload":
            file = st.file_uploader("PNG or JPEG", type=["png", "jpg", "jpeg"], key="ct_upload")
            upload = None if file is None else file.getvalue()
    with middle:
        n = st.slider("Image size n (pixels)", 32, 256, step=16, key="ct_n")
        n_angles = st.slider("Number of angles", 1, 360, key="ct_angles", help="Evenly spaced over [0°, 180°).")
    with right:
        noise_level = st.slider("Noise level", 0.0, 0.2, step=0.005, format="%.3f", key="ct_noise",
                                help="y = A x + level · mean(|A x|) · N(0, I)")
        noise_seed = int(st.number_input("Noise seed", 0, 2**31 - 1, key="ct_noise_seed"))
        filter_name = st.selectbox("FBP filter", FILTERS, key="ct_filter")
        clip = st.checkbox("Clip FBP to [0, 1] for PSNR / SSIM", key="ct_clip")
    params = ForwardModelParams(phantom, seed, n, n_angles, noise_level, noise_seed, filter_name,
                                clip)
    return params, upload


def make_phantom(params: ForwardModelParams, upload: bytes | None
                 ) -> tuple[torch.Tensor, list[str]]:
    """The ground truth image (n, n) for the chosen phantom, with notes on any file conversion."""
    if params.phantom == "shepp-logan":
        return shepp_logan(params.n), []
    if params.phantom == "upload":
        return load_image(upload, params.n)
    return random_ellipses(params.n, torch.Generator().manual_seed(params.seed)), []


def forward_model_view() -> ForwardModel | None:
    """The "Forward model" tab: controls, phantom beside its FBP, the sinogram, and metrics."""
    params, upload = forward_model_ui()
    if params.phantom == "upload" and upload is None:
        st.info("Upload a PNG or JPEG image to use it as the phantom.")
        return None
    try:
        image, notes = make_phantom(params, upload)
    except PhantomError as error:
        st.error(str(error))
        return None
    for note in notes:
        st.caption(note)

    operator = cached_operator(params.n, params.n_angles)
    x = image[None, None]
    y = add_relative_noise(operator.A(x), params.noise_level,
                           torch.Generator().manual_seed(params.noise_seed))
    x_fbp = fbp(operator, y, params.filter_name)

    scores = (float(psnr(x_fbp, x, clip=params.clip)[0]),
              float(ssim(x_fbp, x, clip=params.clip)[0]))
    shown = x_fbp.clamp(0, 1) if params.clip else x_fbp
    left, right = st.columns(2)
    with left:
        st.plotly_chart(image_figure(x, "Ground truth x"), key="ct_truth", width="stretch")
    with right:
        st.plotly_chart(image_figure(shown, f"FBP of y ({params.filter_name} filter)"),
                        key="ct_fbp", width="stretch")
    st.plotly_chart(sinogram_figure(y, operator.angles, "Noisy sinogram y = A x + noise"),
                    key="ct_sinogram", width="stretch")
    a, b, c = st.columns(3)
    a.metric("FBP PSNR (dB)", f"{scores[0]:.2f}")
    b.metric("FBP SSIM", f"{scores[1]:.3f}")
    c.metric("Operator norm ||A||", f"{operator.norm():.1f}",
             help="Largest singular value, by power iteration; sets default step sizes.")
    st.caption(("FBP clipped to [0, 1] before PSNR / SSIM (data range 1). "
                if params.clip else "FBP not clipped: PSNR / SSIM of the raw FBP (data range 1). ")
               + f"Operator: {operator.n_angles} angles × {operator.n_detectors} detector bins, "
               "unit pixels, Joseph's interpolating projector with exact adjoint.")
    return ForwardModel(params, operator, x, y, x_fbp)


# ---------------------------------------------------------------------------------------------------------------
# Reconstruction tab.

METHOD_LABELS = {
    "gnc": "GNC flow (Algorithm 1)",
    "adaptive": "Gradient-like, adaptive smoothing (Algorithm 2)",
    "gradient-like": "Gradient-like, authors' variant (Algorithm 2)",
    "gd": "Plain gradient descent on f",
}
RULE_LABELS = {"fixed": "Fixed step b", "armijo": "Armijo backtracking", "bb": "Barzilai-Borwein, then Armijo"}
INIT_LABELS = {"zeros": "zeros", "constant": "constant 0.5", "fbp": "FBP", "noise": "Gaussian noise",
               "phantom": "another phantom", "upload": "uploaded image"}
DEFAULT_INITS = ("zeros", "fbp", "noise")
COMPARED = ("gnc", "gd")  # the paper's claim: GNC ends nearly independent of the start, plain GD does not
PLAY_INTERVAL = 0.6  # seconds between frames of playback
KEEP_FRAMES = 100  # about this many iterates are kept for the scrubber and the export
ERROR_MAX = 0.5  # |error| maps share the colour range [0, ERROR_MAX]


@st.cache_resource(show_spinner="Looking for the learned prior ...")
def network_problem() -> str | None:
    """Why the learned energy U-Net cannot be used (the WeightsError message), or None when it loads."""
    try:
        ct.load_prior("network", 64)
    except WeightsError as error:
        return str(error)
    return None


@st.cache_resource(max_entries=4, show_spinner="Preparing the prior (fitting the Gaussian takes a few seconds) ...")
def cached_prior(name: str, n: int):
    """The prior `name` for n x n images, built once per process."""
    return ct.load_prior(name, n)


@st.cache_resource(max_entries=8, show_spinner="Building the CT problem ...")
def cached_problem(config: ct.CTConfig, truth_digest: str, _truth: torch.Tensor | None) -> ct.CTProblem:
    """The CT problem of the config (and of the uploaded truth named by its digest), shared by all sessions."""
    return ct.make_problem(config, cached_prior(config.prior, config.size), _truth)


@st.cache_resource(max_entries=8, show_spinner="Computing the TV reference (Chambolle-Pock) ...")
def cached_tv(config: ct.CTConfig, truth_digest: str, _problem: ct.CTProblem) -> tuple[float, float, torch.Tensor]:
    """PSNR, SSIM and image of the TV reconstruction of the problem."""
    result = ct.tv_reconstruction(_problem)
    p, s = ct.quality(result.image, _problem.truth, config.clip_metrics)
    return float(p[0]), float(s[0]), result.image


def _digest(data: bytes | None) -> str:
    return "" if data is None else hashlib.sha256(data).hexdigest()


def available_priors() -> list[str]:
    """The priors that can be used here: the network only when its weights load."""
    return ["gaussian"] if network_problem() else ["network", "gaussian"]


def reconstruction_ui(fm: ForwardModelParams) -> tuple[ct.CTConfig, bytes | None]:
    """Widgets of the solver and the starts; returns the full config and the uploaded start's bytes."""
    unavailable = network_problem()
    priors = available_priors()
    if unavailable:
        st.info("The learned energy U-Net is not available, so the analytic Gaussian prior (fitted to ellipse "
                f"phantoms) is used. Rebuild the network with: `{REBUILD_COMMAND}`.")
    left, middle, right = st.columns(3)
    with left:
        prior = st.selectbox("Prior", priors, key="ct_rec_prior",
                             format_func=lambda p: {"network": "Learned energy U-Net",
                                                    "gaussian": "Analytic Gaussian"}[p])
        alpha = st.number_input("Prior weight alpha", min_value=1e-8, max_value=10.0, format="%.2e",
                                key="ct_rec_alpha", placeholder=f"tuned: {ct.ALPHA[prior]:.0e}",
                                help="F(x, t) = ½||A~x − y~||² + alpha · s(t)/m(t) · E(x, t), A~ = A/||A||. "
                                     "Empty: the value tuned for this prior.")
        method = st.selectbox("Method", list(METHOD_LABELS), format_func=METHOD_LABELS.get, key="ct_rec_method")
    with middle:
        schedule = st.selectbox("Schedule of t", list(schedules.SCHEDULES), key="ct_rec_schedule")
        a, b = st.columns(2)
        t_max = a.number_input("t_max", 1e-3, 1.0, format="%.3g", key="ct_rec_tmax")
        t_min = b.number_input("t_min", 1e-5, 1.0, format="%.3g", key="ct_rec_tmin")
        if t_min >= t_max:
            b.warning(f"t_min must lie below t_max; using t_min = {t_max / 10:.3g}.")
            t_min = t_max / 10
        iters = int(st.number_input("Iterations N", 1, 2000, key="ct_rec_iters"))
    with right:
        rule = st.selectbox("Step rule", list(RULE_LABELS), format_func=RULE_LABELS.get, key="ct_rec_rule")
        tuned = {"fixed": ct.FIXED_STEP[prior], "armijo": Armijo().b0, "bb": BarzilaiBorwein().b0}[rule]
        step = st.number_input("Step size b (first trial step for line searches)", min_value=1e-6, max_value=1e9,
                               format="%.3g", key="ct_rec_step", placeholder=f"tuned: {tuned:g}")
        clip = st.checkbox("Project iterates onto [0, 1]", key="ct_rec_clip")
    a, b, c = st.columns([2, 1, 1])
    inits = a.multiselect("Starts x_0 (run together as one batch)", list(INIT_LABELS), format_func=INIT_LABELS.get,
                          key="ct_rec_inits")
    if not inits:
        a.caption(f"No start chosen: using {INIT_LABELS[DEFAULT_INITS[0]]}.")
    init_seed = CTParams.init_seed
    if "noise" in inits:
        init_seed = int(b.number_input("Noise start seed", 0, 2**31 - 1, key="ct_rec_init_seed"))
    upload = None
    if "upload" in inits:
        file = c.file_uploader("Start image", type=["png", "jpg", "jpeg"], key="ct_rec_upload")
        upload = None if file is None else file.getvalue()
    config = ct.CTConfig(
        size=fm.n, angles=fm.n_angles, noise=fm.noise_level, noise_seed=fm.noise_seed,
        phantom="shepp-logan" if fm.phantom == "shepp-logan" else "ellipses", phantom_seed=fm.seed,
        prior=prior, alpha=alpha, method=method, schedule=schedule, t_max=float(t_max), t_min=float(t_min),
        iters=iters, step_rule=rule, step_size=step, clip=clip, inits=tuple(inits) or DEFAULT_INITS[:1],
        init_seed=init_seed, clip_metrics=fm.clip)
    return config, upload


def _problem_config(config: ct.CTConfig) -> ct.CTConfig:
    """Only the fields the problem depends on, so solver settings do not rebuild it."""
    base = ct.CTConfig()
    return replace(base, size=config.size, angles=config.angles, noise=config.noise, noise_seed=config.noise_seed,
                   phantom=config.phantom, phantom_seed=config.phantom_seed, prior=config.prior,
                   alpha=config.alpha, t_min=config.t_min, clip_metrics=config.clip_metrics)


def _new_run(config: ct.CTConfig, problem: ct.CTProblem, x0: torch.Tensor) -> ct_session.LiveRun:
    names = tuple(INIT_LABELS[name] for name in config.inits)
    return ct_session.start_run(problem, x0, config, names, keep_every=max(1, config.iters // KEEP_FRAMES))


def _toggle_play() -> None:
    state = st.session_state
    if state["ct_rec_playing"]:
        state["ct_rec_playing"] = False
        return
    if state["ct_rec_run"].done:
        state["ct_rec_restart"] = True
    state["ct_rec_playing"] = True


def _step() -> None:
    state = st.session_state
    state["ct_rec_playing"] = False
    ct_session.advance(state["ct_rec_run"], int(state["ct_rec_frame"]))


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
    cols[3].button("Restart", key="ct_rec_btn_restart", on_click=_request, args=("ct_rec_restart",),
                   width="stretch")
    cols[4].number_input("Iterations per step", 1, 200, key="ct_rec_frame",
                         help="Iterations per press of Step and per frame of playback")


def live_view(run: ct_session.LiveRun, references: dict[str, dict[str, float]]) -> None:
    """The current iterates and |error| maps, the scrubber, the metrics and the diagnostics charts.

    Runs as a fragment: during playback it reruns alone every PLAY_INTERVAL seconds and advances the run.
    """
    state = st.session_state
    if state["ct_rec_playing"]:
        ct_session.advance(run, int(state["ct_rec_frame"]))
        if run.done:
            state["ct_rec_playing"] = False
            # Only a full rerun re-registers the fragment without its timer (and refreshes the table and exports).
            st.rerun()
    iters, _ = run.kept()
    follow_col, slider_col = st.columns([1, 4], vertical_alignment="bottom")
    follow = follow_col.toggle("Follow the newest iterate", True, key="ct_rec_follow")
    if follow or len(iters) == 1:
        shown = iters[-1]
    else:
        if state.get("ct_rec_show") not in iters:
            state["ct_rec_show"] = iters[-1]
        shown = slider_col.select_slider(
            f"Shown iterate x_k (kept every {run.keep_every} iteration{'s' if run.keep_every > 1 else ''})",
            options=iters, key="ct_rec_show")
    if run.status == "diverged":
        st.error(f"{run.message} Lower the step size or use a line search (Armijo or BB).")
    psnr_rows = run.history("psnr")
    cols = st.columns(1 + min(len(run.names), 5))
    cols[0].metric("Iteration", f"{run.iteration} / {run.config.iters}",
                   help=f"{run.seconds:.1f} s of solver time; status: {run.status}")
    for col, name, now, start in zip(cols[1:], run.names, psnr_rows[-1], psnr_rows[0]):
        col.metric(f"PSNR {name} (dB)", f"{now:.2f}", f"{now - start:+.2f} since x_0")

    x = ct_session.frame_at(run, shown)[:, 0].numpy()
    truth = run.problem.truth[0, 0].numpy()
    p_shown = psnr_rows[shown]
    grid = np.stack([x, np.abs(x - truth)])
    st.plotly_chart(image_grid_figure(grid, ["x_k", "|x_k − x|"],
                                      [f"{n}: {p:.2f} dB" for n, p in zip(run.names, p_shown)],
                                      zranges=[(0.0, 1.0), (0.0, ERROR_MAX)], colorscales=["gray", "inferno"],
                                      title=f"Iterates at k = {shown} and their errors (|error| on [0, {ERROR_MAX}])",
                                      cell_height=max(160, 420 // len(run.names))),
                    key="ct_rec_grid", width="stretch")
    records = {name: run.history(name) for name in ct_session.RECORD_FIELDS}
    st.plotly_chart(history_figure(records, run.names, mark=shown, references=references),
                    key="ct_rec_history", width="stretch")
    st.caption("Row k of the charts: PSNR, SSIM (every few iterations) and data fit of x_k; t_k, b_k, f(x_k) and "
               "the descent cosine of the step taken from x_k (cos < 0: a descent direction of f). PSNR / SSIM "
               + ("of iterates clipped to [0, 1]" if run.config.clip_metrics else "of the raw iterates")
               + ", data range 1.")
    results_table(run, references, state.get("ct_rec_compared"))


def results_table(run: ct_session.LiveRun, references: dict[str, dict[str, float]],
                  compared: dict | None) -> None:
    """PSNR / SSIM of every start under the running method (and the compared ones), with FBP and TV."""
    p, s = ct_session.final_quality(run)
    rows = [{"method": METHOD_LABELS[run.config.method] + ("" if run.done else f" (k = {run.iteration})"),
             "start": name, "PSNR (dB)": pi, "SSIM": si} for name, pi, si in zip(run.names, p, s)]
    for method, (finals_p, finals_s) in (compared or {}).get("quality", {}).items():
        rows += [{"method": METHOD_LABELS[method] + " (compare)", "start": name, "PSNR (dB)": pi, "SSIM": si}
                 for name, pi, si in zip(run.names, finals_p, finals_s)]
    for ref in ("FBP", "TV"):
        rows.append({"method": ref + (" (ramp filter)" if ref == "FBP" else ", isotropic, Chambolle-Pock"),
                     "start": "-", "PSNR (dB)": references["psnr"][ref], "SSIM": references["ssim"][ref]})
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch",
                 column_config={"PSNR (dB)": st.column_config.NumberColumn(format="%.2f"),
                                "SSIM": st.column_config.NumberColumn(format="%.3f")})


def update_comparison(config: ct.CTConfig, problem: ct.CTProblem, x0: torch.Tensor, names: tuple[str, ...],
                      signature: tuple) -> dict | None:
    """Run the same starts under GNC and plain GD when asked (one complete batched run each); drop stale results."""
    state = st.session_state
    if state.pop("ct_rec_compare", False):
        finals, quality = {}, {}
        total = len(COMPARED) * config.iters
        bar = st.progress(0.0, text=f"Running {len(names)} starts under GNC and plain GD ...")
        for i, method in enumerate(COMPARED):
            def progress(step, i=i, method=method) -> None:
                done = i * config.iters + step.k + 1
                if step.k % 5 == 0 or done == total:
                    bar.progress(min(done / total, 1.0), text=f"{METHOD_LABELS[method]}: iteration {step.k + 1} of "
                                                              f"{config.iters} ({len(names)} starts in one batch)")

            cfg = replace(config, method=method, record_every=config.iters)
            trajectory = ct.reconstruct(problem, x0, cfg, callback=progress, diagnostics_every=0)
            finals[method] = trajectory.final[:, 0].numpy()
            quality[method] = ct.quality(trajectory.final, problem.truth, config.clip_metrics)
        bar.empty()
        state["ct_rec_compared"] = {"signature": signature, "finals": finals, "quality": quality}
    compared = state.get("ct_rec_compared")
    if compared is not None and compared["signature"] != signature:
        del state["ct_rec_compared"]
        return None
    return compared


def compare_view(compared: dict | None, names: tuple[str, ...]) -> None:
    """GNC and plain GD from the same starts, side by side: final images and a PSNR table."""
    st.subheader("Compare methods")
    st.button("Run the same starts under GNC and plain gradient descent", key="ct_rec_btn_compare",
              on_click=_request, args=("ct_rec_compare",))
    if compared is None:
        st.caption("The paper's claim: the GNC result is nearly independent of the start; plain gradient descent "
                   "on f (t = t_min throughout) is not. Both use the step rule and iterations chosen above.")
        return
    images = np.stack([compared["finals"][m] for m in COMPARED])
    st.plotly_chart(image_grid_figure(images, ["GNC", "plain GD"], list(names),
                                      title="Final iterates: GNC (top) and plain GD (bottom), one column per start",
                                      cell_height=max(150, 400 // len(names))),
                    key="ct_rec_compare_grid", width="stretch")
    table = pd.DataFrame({METHOD_LABELS[m]: compared["quality"][m][0] for m in COMPARED}, index=list(names)).T
    table["spread over starts (dB)"] = table.max(axis=1) - table.min(axis=1)
    st.dataframe(table.style.format("{:.2f}"), width="stretch")


def reconstruction_view(model: ForwardModel | None) -> None:
    """The "Reconstruction" tab: solver controls, a live batched run, the compare view and the exports."""
    if model is None:
        st.info("Choose a phantom in the Forward model tab first.")
        return
    fm = model.params
    st.caption(f"Phantom, size ({fm.n} × {fm.n}), angles ({fm.n_angles}) and noise ({fm.noise_level:g}) come from "
               "the Forward model tab. The data are normalised once: A~ = A / ||A||, y~ = y / ||A||.")
    config, upload = reconstruction_ui(fm)
    truth, truth_digest = None, ""
    if fm.phantom == "upload":
        truth = model.x[0, 0]
        truth_digest = hashlib.sha256(truth.numpy().tobytes()).hexdigest()
    start_image = None
    if "upload" in config.inits:
        if upload is None:
            st.info("Upload an image to use it as a start, or untick that start.")
            return
        try:
            start_image, _ = load_image(upload, config.size)
        except PhantomError as error:
            st.error(str(error))
            return
    problem_config = _problem_config(config)
    problem = cached_problem(problem_config, truth_digest, truth)
    x0 = ct.initialisations(config.inits, problem, config, start_image)
    names = tuple(INIT_LABELS[name] for name in config.inits)
    signature = (config, truth_digest, _digest(upload))

    state = st.session_state
    state.setdefault("ct_rec_playing", False)
    if state.get("ct_rec_sig") != signature or state.pop("ct_rec_restart", False) or "ct_rec_run" not in state:
        state["ct_rec_run"] = _new_run(config, problem, x0)
        state["ct_rec_sig"] = signature
        state.pop("ct_rec_show", None)
    run: ct_session.LiveRun = state["ct_rec_run"]
    if state.pop("ct_rec_to_end", False):
        with st.spinner(f"Running to iteration {config.iters} ..."):
            ct_session.run_to_end(run)

    fbp_p, fbp_s = ct.quality(problem.fbp, problem.truth, config.clip_metrics)
    tv_p, tv_s, tv_image = cached_tv(problem_config, truth_digest, problem)
    references = {"psnr": {"FBP": float(fbp_p[0]), "TV": tv_p}, "ssim": {"FBP": float(fbp_s[0]), "TV": tv_s}}
    with st.expander("Ground truth, data, FBP and TV", expanded=False):
        cols = st.columns(3)
        fbp_shown = problem.fbp.clamp(0, 1) if config.clip_metrics else problem.fbp
        cols[0].plotly_chart(image_figure(problem.truth, "Ground truth x", height=300), key="ct_rec_truth",
                             width="stretch")
        cols[1].plotly_chart(image_figure(fbp_shown, f"FBP: {references['psnr']['FBP']:.2f} dB", height=300),
                             key="ct_rec_fbp", width="stretch")
        cols[2].plotly_chart(image_figure(tv_image, f"TV: {tv_p:.2f} dB", height=300), key="ct_rec_tv",
                             width="stretch")
        st.plotly_chart(sinogram_figure(problem.y, problem.operator.base.angles,
                                        "Normalised sinogram y~ = y / ||A||", height=240),
                        key="ct_rec_sinogram", width="stretch")

    compared = update_comparison(config, problem, x0, names, signature)
    transport_ui(run)
    st.fragment(run_every=PLAY_INTERVAL if state["ct_rec_playing"] else None)(live_view)(run, references)
    compare_view(compared, names)
    export_ui(run, references)


def export_ui(run: ct_session.LiveRun, references: dict[str, dict[str, float]]) -> None:
    """Download buttons for the run (NPZ), its metrics (CSV) and its configuration (JSON)."""
    extra = {"references": references}
    cols = st.columns(3)
    cols[0].download_button("Run (NPZ: iterates, truth, FBP, records)", lambda: ct_session.export_npz(run, extra),
                            file_name="ct_run.npz", mime="application/octet-stream", on_click="ignore",
                            key="ct_rec_dl_npz", width="stretch")
    cols[1].download_button("Metrics (CSV)", lambda: ct_session.metrics_csv(run), file_name="ct_metrics.csv",
                            mime="text/csv", on_click="ignore", key="ct_rec_dl_csv", width="stretch")
    cols[2].download_button("Configuration (JSON)", lambda: ct_session.config_json(run, extra),
                            file_name="ct_config.json", mime="application/json", on_click="ignore",
                            key="ct_rec_dl_json", width="stretch")
    st.caption("Figures: use the camera icon of each chart's toolbar for a PNG.")


def main() -> None:
    """Lay out the CT page: its state comes from the URL on a first visit and goes back to it after each run."""
    st.title("CT: parallel-beam tomography")
    state = st.session_state
    # Streamlit clears the URL when the user switches pages; coming back restores the session's last view.
    query = st.query_params.to_dict() or state.get("ct_last_query", {})
    parsed, warnings = ct_params_from_query(query)
    # Without the network's weights the Gaussian prior stands in; the Reconstruction tab says so.
    _seed_widgets(parsed, available_priors())
    if warnings:
        st.warning("; ".join(warnings))
    # The tabs rerun the page when switched, and only the open one does its work: the Forward model tab stays
    # quick, and the Reconstruction tab builds its problem and TV reference only when it is looked at.
    forward_tab, reconstruction_tab = st.tabs(list(TAB_LABELS.values()), key=WIDGET_KEYS["tab"], on_change="rerun")
    with forward_tab:
        forward_model = forward_model_view()
    if reconstruction_tab.open:
        with reconstruction_tab:
            reconstruction_view(forward_model)
    else:
        state["ct_rec_playing"] = False
    if not state.get("ct_rec_playing", False):
        query = params_to_query(current_params(parsed))
        state["ct_last_query"] = query
        if st.query_params.to_dict() != query:
            st.query_params.from_dict(query)


main()
