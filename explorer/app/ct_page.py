"""The CT page's words and derived values without streamlit: notes, captions, titles, the usable priors and the
settings a run starts from.

views/ct.py and views/ct_forward.py lay out widgets and show what these functions return, so every text and
every choice the page makes is tested without a server.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, MutableMapping, Sequence
from dataclasses import replace

import torch

from explorer.app.ct_tables import psnr_text
from explorer.app.ct_widgets import init_label, is_tomography, operator_text, widget_key
from explorer.app.urlstate import CTParams
from explorer.ct.compare import References
from explorer.ct.problem import CTProblem, CTSettings, ForwardModel, ProblemSettings, SolverSettings
from explorer.priors.weights import REBUILD_COMMAND

KEEP_FRAMES = 100  # about this many iterates are kept for the scrubber and the export
MASK_LABELS = {"random": "random pixels", "box": "a centred square hole"}
REAL_SLICE_NOTE = (
    "**A real CT slice.** The learned prior was trained on random ellipse phantoms and has never seen anatomy. "
    "To see what that costs, open the **Reconstruction** tab, run GNC with the learned prior and compare its PSNR "
    "with the *TV* row of the table; then set **Prior** to *Analytic Gaussian* and run again."
)
REAL_SLICE_RUN_NOTE = (
    "**A real CT slice; the learned prior only ever saw ellipse phantoms.** Compare the methods here: the table "
    "lists the TV reconstruction beside each start. Run to the end with the learned prior, then switch **Prior** "
    "to *Analytic Gaussian* and run again."
)


def usable_priors(network: bool, small_network: bool) -> list[str]:
    """The priors the page offers: each learned one only when its weights load, the analytic Gaussian always.

    Parameters
    ----------
    network, small_network : bool
        Whether the energy U-Net's and the distilled U-Net's shipped weights load.
    """
    usable = {"network": network, "network-small": small_network, "gaussian": True}
    return [name for name, loads in usable.items() if loads]


def prior_fallback_note(priors: Sequence[str]) -> str:
    """What the page says when the learned U-Net does not load: which prior stands in, and how to rebuild it."""
    fallback = ("the small distilled U-Net" if "network-small" in priors
                else "the analytic Gaussian prior (fitted to ellipse phantoms)")
    return (f"The learned energy U-Net is not available, so {fallback} is used. Rebuild the network with: "
            f"`{REBUILD_COMMAND}`.")


def reference_label(name: str) -> str:
    """A reference's name at the start of a label: "FBP", "Wiener filter", "Harmonic ..." ."""
    return name[:1].upper() + name[1:]


def reference_title(model: ForwardModel) -> str:
    """Title of the reference image in the Forward model tab; CT's names its FBP filter."""
    tomography = is_tomography(model.settings.problem)
    return f"{reference_label(model.reference_name)} of y" + (f" ({model.filter_name} filter)" if tomography else "")


def forward_caption(model: ForwardModel) -> str:
    """The Forward model tab's last line: how PSNR / SSIM treat the reference, and the operator in words."""
    settings, ref = model.settings, reference_label(model.reference_name)
    detail = (f": {model.operator.n_angles} angles × {model.operator.n_detectors} detector bins, unit pixels, "
              "Joseph's interpolating projector with exact adjoint" if is_tomography(settings.problem) else "")
    clipping = (f"{ref} clipped to [0, 1] before PSNR / SSIM (data range 1). " if settings.clip_metrics
                else f"{ref} not clipped: PSNR / SSIM of the raw image (data range 1). ")
    return clipping + f"Operator: {operator_text(settings)}{detail}."


def reconstruction_caption(settings: ProblemSettings, device: str, threads: int) -> str:
    """The Reconstruction tab's first line: what comes from the other tab, where the settings are and the solver runs.

    Parameters
    ----------
    settings : ProblemSettings
        The Forward model tab's problem.
    device : str
        "cuda" or "cpu", where the solver runs.
    threads : int
        CPU threads the solver uses on the CPU.
    """
    where = "The solver runs on the GPU." if device == "cuda" else f"The solver runs on the CPU ({threads} threads)."
    return (f"Problem ({operator_text(settings)}), phantom, size ({settings.n} × {settings.n}) and noise "
            f"({settings.noise_level:g}) come from the Forward model tab; prior, method, starts, schedule and step "
            "rule are in the sidebar. The data are normalised once: A~ = A / ||A||, y~ = y / ||A||. " + where)


def chosen_starts(chosen: Sequence[str]) -> list[str]:
    """The starts a run uses: those chosen, or the link's default first start when none is."""
    return list(chosen) or list(CTParams.inits[:1])


def reconstruction_settings(problem: ProblemSettings, *, prior: str, alpha: float | None, t_min: float,
                            solver: SolverSettings) -> CTSettings:
    """The settings of a run: the Forward model tab's problem under the sidebar's prior, alpha and t_min."""
    return CTSettings(replace(problem, prior=prior, alpha=alpha, t_min=t_min), solver)


def run_names(settings: CTSettings, reference_name: str) -> tuple[str, ...]:
    """The labels of a run's starts, in its batch's order; the reference start carries the problem's reference name."""
    return tuple(init_label(name, reference_name) for name in settings.solver.inits)


def keep_every(n_iter: int) -> int:
    """Every how many iterations a run keeps its iterate, so that about KEEP_FRAMES are kept."""
    return max(1, n_iter // KEEP_FRAMES)


def truth_digest(truth: torch.Tensor | None) -> str:
    """The SHA-256 of a given truth's pixels, naming it in cache keys ("" for a simulated phantom)."""
    return "" if truth is None else hashlib.sha256(truth.numpy().tobytes()).hexdigest()


def reference_panels(problem: CTProblem, refs: References) -> list[tuple[torch.Tensor, str, str, float]]:
    """The images beside a run: (image, title, chart key, top of its colour range) for each, left to right.

    The truth, the normalised data when they are an image (not a sinogram), the problem's reference (clipped
    when the metrics clip) and TV, titled with their PSNR. The data can exceed 1 and are shown up to their maximum.
    """
    reference = problem.reference.clamp(0, 1) if problem.settings.clip_metrics else problem.reference
    ref_title, tv_title = (f"{name}: {psnr_text(refs.psnr[name], ' dB')}" for name in (refs.reference_name, "TV"))
    panels = [(problem.truth, "Ground truth x", "ct_rec_truth", 1.0), (reference, ref_title, "ct_rec_fbp", 1.0),
              (refs.tv_image, tv_title, "ct_rec_tv", 1.0)]
    if not is_tomography(problem.settings.problem):
        y = problem.y
        panels.insert(1, (y, "Normalised data y~ = y / ||A||", "ct_rec_measurement", max(float(y.max()), 1.0)))
    return panels


def window_of(state: Mapping) -> tuple[float, float]:
    """The display window (centre, width) in Hounsfield units that the Forward model tab's widgets hold."""
    return (float(state.get(widget_key("window_center"), CTParams.window_center)),
            float(state.get(widget_key("window_width"), CTParams.window_width)))


# The fields whose widgets the Reconstruction tab lays out (only while it is open).
RECONSTRUCTION_FIELDS = ("prior", "alpha", "method", "schedule", "t_max", "t_min", "step_rule", "step_size", "n_iter",
                         "clip", "inits", "init_seed", "frame")


def resend_reconstruction_widgets(state: MutableMapping) -> None:
    """The Reconstruction tab opened again: assign each of its widgets' values to itself.

    Its widgets mount anew. Where their values outlived the hidden tab on the server, Streamlit would not send
    them, and a browser that dropped them shows the widget's minimum (CI saw Iterations N at 1 while the run used
    37). Assigning through the Session State API always sends them.
    """
    for name in RECONSTRUCTION_FIELDS:
        if widget_key(name) in state:
            state[widget_key(name)] = state[widget_key(name)]
