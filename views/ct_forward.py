"""The CT page's Forward model tab: the problem and its operator, the phantom, the noise, and what they give.

Laid out by views/ct.py; the forward model comes from `explorer.ct`, the texts from `explorer.app.ct_page`.
"""

from __future__ import annotations

import streamlit as st
import torch

from explorer import ct
from explorer.app.ct_page import MASK_LABELS, REAL_SLICE_NOTE, forward_caption, reference_label, reference_title
from explorer.app.ct_tables import psnr_text
from explorer.app.ct_widgets import (
    PHANTOM_LABELS,
    apply_problem_defaults,
    apply_window_preset,
    is_tomography,
    mark_custom_window,
    problem_label,
    widget_key,
)
from explorer.app.plain import summary
from explorer.app.uploads import TYPES as UPLOAD_TYPES
from explorer.app.uploads import Decoded, decode_file, decode_upload
from explorer.app.urlstate import CT_PHANTOMS, CT_PROBLEMS, CT_WINDOWS, REAL_SLICES, CTParams, problem_takes
from explorer.ct.problem import FACTORS, MAX_SIGMA
from explorer.figures.ct import image_figure, sinogram_figure
from explorer.imaging.dicom import CENTER_RANGE, WIDTH_RANGE, WINDOW_LABELS, ct_slice
from explorer.imaging.phantoms import PhantomError
from explorer.problems import INPAINT_MASKS
from explorer.problems.fbp import FILTERS

Window = tuple[float, float]  # (centre, width) in Hounsfield units


def uploaded(column, label: str, key: str, n: int, window: Window) -> Decoded | None:
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
        upload = uploaded(left, "PNG, JPEG or DICOM (.dcm)", "ct_upload", n, window)
    operator = operator_ui(middle, problem)
    noise_level = right.slider("Noise level", 0.0, 0.2, step=0.005, format="%.3f", key=widget_key("noise_level"),
                               help="y = A x + level · mean(|A x|) · N(0, I)")
    noise_seed = int(right.number_input("Noise seed", 0, 2**31 - 1, key=widget_key("noise_seed")))
    filter_name = st.session_state.get(widget_key("filter"), CTParams.filter)
    if is_tomography(problem):
        filter_name = right.selectbox("FBP filter", FILTERS, key=widget_key("filter"))
    clip = right.checkbox("Clip the reference to [0, 1] for PSNR / SSIM", key=widget_key("clip_fbp"))
    # A real slice or an upload comes as the truth; the settings keep the default phantom for them.
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
    shown = model.reference.clamp(0, 1) if settings.clip_metrics else model.reference
    if is_tomography(settings.problem):
        left, right = st.columns(2)
        left.plotly_chart(image_figure(model.truth, "Ground truth x"), key="ct_truth", width="stretch")
        right.plotly_chart(image_figure(shown, reference_title(model)), key="ct_fbp", width="stretch")
        st.plotly_chart(sinogram_figure(model.y, model.operator.angles, "Noisy sinogram y = A x + noise"),
                        key="ct_sinogram", width="stretch")
    else:
        # Image-shaped measurements (a blurred, masked, block-averaged or noisy image) are shown as images.
        left, middle, right = st.columns(3)
        left.plotly_chart(image_figure(model.truth, "Ground truth x", height=320), key="ct_truth", width="stretch")
        middle.plotly_chart(image_figure(model.y, "Measurement y = A x + noise", height=320), key="ct_measurement",
                            width="stretch")
        right.plotly_chart(image_figure(shown, reference_title(model), height=320), key="ct_fbp", width="stretch")
    ref = reference_label(model.reference_name)
    a, b, c = st.columns(3)
    a.metric(f"{ref} PSNR (dB)", psnr_text(model.reference_psnr))
    b.metric(f"{ref} SSIM", f"{model.reference_ssim:.3f}")
    c.metric("Operator norm ||A||", f"{model.operator.norm():.3g}",
             help="Largest singular value, by power iteration; the reconstruction divides A and y by it.")
    st.caption(forward_caption(model))
    return model, real
