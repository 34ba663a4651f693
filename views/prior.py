"""Prior page: what the CT prior has learned: shipped pictures first, then live samples, denoising at a chosen t
and energy against t."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st
import torch

from explorer.app.glossary import glossary_markdown, help_for
from explorer.figures.images import image_grid_figure, tile
from explorer.figures.prior import denoise_figure, energy_curve_figure
from explorer.priors.gaussian import GaussianPrior, ellipse_gaussian_prior
from explorer.imaging.metrics import psnr
from explorer.imaging.phantoms import random_ellipses
from explorer.priors.preview import PreviewError, is_current, load_preview, mosaic
from explorer.priors.sampling import energy_curve, noise_and_denoise, sample
from explorer.core.sde import VPSDE
from explorer.priors.unet import NetworkPrior
from explorer.priors.weights import DEFAULT_WEIGHTS, WeightsError, cached_model, read_sidecar

LEARNED, GAUSSIAN = "Learned U-Net (energy)", "Gaussian (analytic)"
N = 64  # image side of the shipped prior
T_LEVELS = [round(v, 4) for v in torch.logspace(-3, 0, 25, dtype=torch.float64).tolist()]


@dataclass(frozen=True)
class SampleParams:
    """How to draw samples from the prior."""

    steps: int = 100  # Euler(-Maruyama) steps from t = 1 to 1e-3
    seed: int = 0  # names the noise of the sampler
    count: int = 4  # number of samples drawn at once
    probability_flow: bool = True  # deterministic ODE (clean shapes) instead of the reverse SDE (grainier)


@dataclass(frozen=True)
class DenoiseParams:
    """Which phantom to noise, and how much."""

    phantom_seed: int = 0  # names the ellipse phantom
    t: float = 0.1  # noise level
    noise_seed: int = 0  # names the noise draw


@st.cache_resource(show_spinner="Loading the learned prior ...")
def learned_prior() -> NetworkPrior:
    """The shipped network prior, loaded once per process (raises WeightsError if unusable)."""
    return NetworkPrior(cached_model(DEFAULT_WEIGHTS))


@st.cache_resource(show_spinner="Fitting the Gaussian prior to ellipse phantoms ...")
def gaussian_prior(n: int) -> GaussianPrior:
    """The analytic Gaussian prior fitted to seeded ellipse phantoms of side n."""
    return ellipse_gaussian_prior(n)


def prior_ui() -> tuple[str, object]:
    """Choose the prior; the learned one only when its weights load, else say how to make them."""
    try:
        network = learned_prior()
    except WeightsError as error:
        network = None
        st.info(f"The learned prior is not available: {error}")
    options = [LEARNED, GAUSSIAN] if network is not None else [GAUSSIAN]
    name = st.radio("Prior", options, horizontal=True, key="prior_choice")
    if name == LEARNED:
        try:
            config = read_sidecar(DEFAULT_WEIGHTS)
        except (OSError, ValueError, TypeError):  # changed on disk since the model was loaded: say less
            config = {}
        weights = {True: "; the EMA of its weights", False: "; its raw weights (no EMA)"}.get(config.get("ema"), "")
        trained = f", trained for {config['steps']} steps" if isinstance(config.get("steps"), int) else ""
        st.caption(f"An energy U-Net E(x, t){trained}{weights}.", help=help_for("energy", "EMA"))
        return name, network
    return name, gaussian_prior(N)


def sample_ui() -> SampleParams:
    """Widgets for drawing samples."""
    d = SampleParams()
    a, b, c, e = st.columns(4)
    steps = int(a.number_input("Sampler steps", 2, 1000, d.steps, key="prior_steps"))
    seed = int(b.number_input("Sampler seed", 0, 2**31 - 1, d.seed, key="prior_sample_seed"))
    count = int(c.number_input("Samples", 1, 16, d.count, key="prior_count"))
    flow = e.checkbox("Probability-flow ODE", d.probability_flow, key="prior_flow",
                      help="On: Euler steps of the deterministic probability-flow ODE (clean shapes). "
                           "Off: Euler-Maruyama steps of the reverse SDE, which leave a fine grain at "
                           "a few hundred steps.\n\n" + help_for("probability-flow ODE", "SDE"))
    return SampleParams(steps, seed, count, flow)


def samples_view(name: str, prior) -> None:
    """Draw samples on request, with a progress bar, and show the last ones drawn."""
    params = sample_ui()
    key = (name, params)
    if st.button("Draw samples", key="prior_draw"):
        bar = st.progress(0.0, text="Sampling ...")

        def report(k: int, n: int, x: torch.Tensor) -> None:
            bar.progress(k / n, text=f"Sampling: step {k} of {n}")

        x = sample(prior, (params.count, 1, N, N), params.steps,
                   torch.Generator().manual_seed(params.seed),
                   probability_flow=params.probability_flow, callback=report)
        bar.empty()
        st.session_state["prior_samples"] = (key, x)
    stored = st.session_state.get("prior_samples")
    if stored is None or stored[0] != key:
        st.caption("Press *Draw samples* to sample from the prior by integrating from t = 1 to 1e-3.")
        return
    x = stored[1]
    method = "probability-flow ODE" if params.probability_flow else "reverse SDE"
    titles = [f"sample {i + 1}" for i in range(x.shape[0])]
    st.plotly_chart(image_grid_figure(tile(x, 4), titles, f"{name}: {params.steps} steps of the {method}",
                                      cell_height=230),
                    key="prior_samples_chart", width="stretch")
    st.caption("Shown on [0, 1]; the last step is Tweedie's denoiser at t = 1e-3.", help=help_for("Tweedie"))


def denoise_ui() -> DenoiseParams:
    """Widgets for the noise-and-denoise view."""
    d = DenoiseParams()
    a, b, c = st.columns(3)
    seed = int(a.number_input("Phantom seed", 0, 2**31 - 1, d.phantom_seed, key="prior_phantom"))
    t = float(b.select_slider("Noise level t", T_LEVELS, value=min(T_LEVELS, key=lambda v: abs(v - d.t)),
                              key="prior_t", help=help_for("smoothing level t", "x_t / m(t)")))
    noise_seed = int(c.number_input("Noise seed", 0, 2**31 - 1, d.noise_seed, key="prior_noise_seed"))
    return DenoiseParams(seed, t, noise_seed)


def denoise_view(prior) -> None:
    """Noise an ellipse phantom to t, denoise it with Tweedie's formula, and plot energy against t."""
    params = denoise_ui()
    sde = VPSDE()
    x0 = random_ellipses(N, torch.Generator().manual_seed(params.phantom_seed))[None, None]
    x_t, x0_hat = noise_and_denoise(prior, x0, params.t, torch.Generator().manual_seed(params.noise_seed))
    shown = x_t / float(sde.m(params.t))
    fig = denoise_figure(x0, shown, x0_hat, params.t, float(psnr(shown, x0)[0]), float(psnr(x0_hat, x0)[0]))
    st.plotly_chart(fig, key="prior_denoise_chart", width="stretch")
    st.caption("PSNR with data range 1, not clipped.", help=help_for("x_t / m(t)", "Tweedie", "PSNR"))
    ts = torch.logspace(-3, 0, 16, dtype=torch.float64)
    clean, noisy = energy_curve(prior, x0, ts, torch.Generator().manual_seed(params.noise_seed))
    st.plotly_chart(energy_curve_figure(ts, {"E(x0, t): the clean phantom": clean,
                                             "E(m x0 + s z, t): noised to t": noisy}),
                    key="prior_energy_chart", width="stretch")
    st.caption("E(m x0 + s z, t) is the energy of x_t = m(t) x0 + s(t) z, the phantom noised to t. Energies are "
               "up to a constant in x; they grow like 1 / s(t)^2 as t shrinks.", help=help_for("energy", "x_t / m(t)"))


def preview_view() -> None:
    """The shipped pictures of the prior, shown before anything is computed; a plain note if they are unusable."""
    try:
        shown = load_preview()
    except PreviewError as error:
        st.warning(f"The ready-made pictures of the prior cannot be shown. {error} "
                   "Press *Draw samples* below to draw fresh ones.")
        return
    made = shown.settings
    left, right = st.columns([4, 3], gap="large")
    # Pictures enlarged by repeating pixels (see `mosaic`), so the browser only ever shrinks them, and sent as PNG
    # (Streamlit would pick JPEG for a grey array, which blurs pixel edges and the noise): edges stay sharp.
    left.image(mosaic(shown.samples, 4), width="stretch", output_format="PNG")
    left.caption(f"{made.count} samples of the learned prior: {made.steps} steps of the probability-flow ODE from "
                 "pure noise at t = 1, then Tweedie's step.", help=help_for("probability-flow ODE", "Tweedie"))
    images = (shown.x0, shown.shown_noisy, shown.x0_hat)
    labels = (("phantom x0", ("x_t / m(t)",)),
              (f"x_t / m(t) at t = {made.t:g}: {shown.psnr_noisy:.1f} dB",
               ("x_t / m(t)", "smoothing level t", "PSNR")),
              (f"Tweedie x0_hat: {shown.psnr_denoised:.1f} dB", ("Tweedie", "PSNR")))
    for column, image, (label, terms) in zip(right.columns(3), images, labels):
        column.image(mosaic(image[None], 1), width="stretch", output_format="PNG")
        column.caption(label, help=help_for(*terms))
    right.caption("A fresh ellipse phantom, noised to t and denoised again by Tweedie's formula from the prior's "
                  "score alone. Drawn ahead of time; the controls below compute afresh.")
    if not is_current(shown, DEFAULT_WEIGHTS):
        st.caption(f"These pictures were drawn from other weights than {DEFAULT_WEIGHTS.name}, the file the "
                   "learned prior below is loaded from.")


st.title("The CT prior")
st.markdown(
    "A learned prior is a neural network that has seen many example images (here random ellipse phantoms) and "
    "tells, for any image, which small change would make it look more like them. Following that advice from pure "
    "noise draws new images like those below, and a reconstruction uses it to prefer plausible images among all "
    "that fit the measurements.")
preview_view()
st.subheader("Draw your own")
name, prior = prior_ui()
samples_tab, denoise_tab = st.tabs(["Samples", "Denoising and energy"])
with samples_tab:
    samples_view(name, prior)
with denoise_tab:
    denoise_view(prior)
with st.expander("Glossary"):
    st.markdown(glossary_markdown())
