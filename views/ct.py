"""CT page: phantom -> noisy sinogram -> filtered backprojection, as in the paper's CT setting."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st
import torch

from explorer.fbp import FILTERS, fbp
from explorer.figures.ct import image_figure, sinogram_figure
from explorer.metrics import psnr, ssim
from explorer.noise import add_relative_noise
from explorer.phantoms import PhantomError, load_image, random_ellipses, shepp_logan
from explorer.tomography import ParallelBeam, parallel_beam

PHANTOMS = ("Random ellipses", "Shepp-Logan", "Upload an image")


@dataclass(frozen=True)
class ForwardModelParams:
    """What the forward-model view simulates; defaults are the interactive preset of the spec."""

    phantom: str = PHANTOMS[0]  # one of PHANTOMS
    seed: int = 0  # names the random ellipse phantom
    n: int = 64  # image side in pixels
    n_angles: int = 30  # projection angles, evenly spaced over [0, pi)
    noise_level: float = 0.05  # relative Gaussian noise: level * mean(|A x|)
    noise_seed: int = 0  # names the noise draw
    filter_name: str = "ramp"  # FBP filter, one of explorer.fbp.FILTERS
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


def forward_model_ui() -> tuple[ForwardModelParams, bytes | None]:
    """Widgets for the forward model; returns the parameters and the uploaded file's bytes."""
    defaults = ForwardModelParams()
    left, middle, right = st.columns(3)
    with left:
        phantom = st.selectbox("Phantom", PHANTOMS, key="ct_phantom")
        upload = None
        seed = defaults.seed
        if phantom == "Random ellipses":
            seed = int(st.number_input("Phantom seed", 0, 2**31 - 1, defaults.seed, key="ct_seed"))
        elif phantom == "Upload an image":
            file = st.file_uploader("PNG or JPEG", type=["png", "jpg", "jpeg"], key="ct_upload")
            upload = None if file is None else file.getvalue()
    with middle:
        n = st.slider("Image size n (pixels)", 32, 256, defaults.n, step=16, key="ct_n")
        n_angles = st.slider("Number of angles", 1, 360, defaults.n_angles, key="ct_angles",
                             help="Evenly spaced over [0°, 180°).")
    with right:
        noise_level = st.slider("Noise level", 0.0, 0.2, defaults.noise_level, step=0.005,
                                format="%.3f", key="ct_noise",
                                help="y = A x + level · mean(|A x|) · N(0, I)")
        noise_seed = int(st.number_input("Noise seed", 0, 2**31 - 1, defaults.noise_seed,
                                         key="ct_noise_seed"))
        filter_name = st.selectbox("FBP filter", FILTERS, index=FILTERS.index(defaults.filter_name),
                                   key="ct_filter")
        clip = st.checkbox("Clip FBP to [0, 1] for PSNR / SSIM", defaults.clip, key="ct_clip")
    params = ForwardModelParams(phantom, seed, n, n_angles, noise_level, noise_seed, filter_name,
                                clip)
    return params, upload


def make_phantom(params: ForwardModelParams, upload: bytes | None
                 ) -> tuple[torch.Tensor, list[str]]:
    """The ground truth image (n, n) for the chosen phantom, with notes on any file conversion."""
    if params.phantom == "Shepp-Logan":
        return shepp_logan(params.n), []
    if params.phantom == "Upload an image":
        return load_image(upload, params.n)
    return random_ellipses(params.n, torch.Generator().manual_seed(params.seed)), []


def forward_model_view() -> ForwardModel | None:
    """The "Forward model" tab: controls, phantom beside its FBP, the sinogram, and metrics."""
    params, upload = forward_model_ui()
    if params.phantom == "Upload an image" and upload is None:
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


st.title("CT: parallel-beam tomography")
(forward_tab,) = st.tabs(["Forward model"])
with forward_tab:
    forward_model_view()
