"""The CT page's words and derived values without a server (explorer.app.ct_page and the state helpers)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import torch

from explorer import ct
from explorer.app.ct_page import (KEEP_FRAMES, RECONSTRUCTION_FIELDS, chosen_starts, forward_caption, keep_every,
                                  prior_fallback_note, reconstruction_caption, reconstruction_settings,
                                  reference_label, reference_panels, reference_title, resend_reconstruction_widgets,
                                  run_names, truth_digest, usable_priors, window_of)
from explorer.app.ct_widgets import widget_key
from explorer.app.urlstate import CTParams
from explorer.priors.weights import REBUILD_COMMAND


@pytest.fixture(scope="module")
def ct_model() -> ct.ForwardModel:
    return ct.forward_model(ct.ProblemSettings(n=32, n_angles=12), filter_name="hann")


@pytest.fixture(scope="module")
def deblur_model() -> ct.ForwardModel:
    return ct.forward_model(ct.ProblemSettings(problem="deblur", n=32, clip_metrics=False))


def test_the_priors_offered_are_those_that_load_and_the_note_names_the_stand_in():
    assert usable_priors(True, True) == ["network", "network-small", "gaussian"]
    assert usable_priors(False, True) == ["network-small", "gaussian"]
    assert usable_priors(False, False) == ["gaussian"]
    small, gaussian = prior_fallback_note(["network-small", "gaussian"]), prior_fallback_note(["gaussian"])
    assert "the small distilled U-Net is used" in small and "analytic Gaussian prior" in gaussian
    assert all(REBUILD_COMMAND in note and "\n" not in note for note in (small, gaussian))


def test_the_forward_model_tab_titles_its_reference_and_describes_the_operator(ct_model, deblur_model):
    assert reference_label("FBP") == "FBP" and reference_label("wiener filter") == "Wiener filter"
    assert reference_title(ct_model) == "FBP of y (hann filter)"
    assert "filter)" not in reference_title(deblur_model) and reference_title(deblur_model).endswith(" of y")
    caption = forward_caption(ct_model)
    assert caption.startswith("FBP clipped to [0, 1] before PSNR / SSIM")
    assert "12 angles × " in caption and "Joseph's interpolating projector" in caption and caption.endswith(".")
    caption = forward_caption(deblur_model)
    assert "not clipped: PSNR / SSIM of the raw image" in caption and "angles" not in caption
    assert "sigma 1.5" in caption


def test_the_reconstruction_caption_says_where_the_solver_runs():
    settings = ct.ProblemSettings(n=48, noise_level=0.02)
    cpu, gpu = reconstruction_caption(settings, "cpu", 6), reconstruction_caption(settings, "cuda", 6)
    assert "size (48 × 48)" in cpu and "noise (0.02)" in cpu
    assert cpu.endswith("on the CPU (6 threads).") and gpu.endswith("on the GPU.")


def test_a_run_uses_the_chosen_starts_or_the_default_one_and_keeps_about_keep_frames_iterates():
    assert chosen_starts(["fbp", "noise"]) == ["fbp", "noise"]
    assert chosen_starts([]) == list(CTParams.inits[:1])
    problem = ct.ProblemSettings(n=32)
    solver = ct.SolverSettings(n_iter=250, inits=["fbp", "zeros"])
    settings = reconstruction_settings(problem, prior="gaussian", alpha=0.5, t_min=0.01, solver=solver)
    assert (settings.problem.prior, settings.problem.alpha, settings.problem.t_min) == ("gaussian", 0.5, 0.01)
    assert settings.problem.n == 32 and settings.solver is solver
    assert run_names(settings, "Wiener filter") == ("Wiener filter", "zeros")
    assert keep_every(1) == 1 and keep_every(KEEP_FRAMES * 3 + 7) == 3


def test_a_given_truth_is_named_by_its_pixels():
    image = torch.rand(8, 8)
    assert truth_digest(None) == ""
    assert truth_digest(image) == truth_digest(image.clone()) != truth_digest(image + 1e-3)
    assert len(truth_digest(image)) == 64


def _problem(kind: str, clip: bool) -> SimpleNamespace:
    """What reference_panels reads of a problem, with a reference outside [0, 1] and data up to 3."""
    settings = ct.ProblemSettings(problem=kind, n=8, clip_metrics=clip)
    return SimpleNamespace(settings=settings, truth=torch.rand(1, 1, 8, 8), y=torch.full((1, 1, 8, 8), 3.0),
                           reference=torch.full((1, 1, 8, 8), 1.5))


def test_the_reference_panels_name_their_psnr_and_show_image_data_only():
    refs = ct.References({"Wiener filter": 21.234, "TV": float("inf")}, {"Wiener filter": 0.5, "TV": 1.0},
                         torch.zeros(1, 1, 8, 8), "Wiener filter")
    panels = reference_panels(_problem("deblur", clip=True), refs)
    assert [(title, key, top) for _, title, key, top in panels] == [
        ("Ground truth x", "ct_rec_truth", 1.0), ("Normalised data y~ = y / ||A||", "ct_rec_measurement", 3.0),
        ("Wiener filter: 21.23 dB", "ct_rec_fbp", 1.0), ("TV: exact match", "ct_rec_tv", 1.0)]
    assert float(panels[2][0].max()) == 1.0  # clipped as the metrics are
    refs = ct.References({"FBP": 20.0, "TV": 25.0}, {"FBP": 0.5, "TV": 0.6}, torch.zeros(1, 1, 8, 8), "FBP")
    panels = reference_panels(_problem("ct", clip=False), refs)
    assert [key for _, _, key, _ in panels] == ["ct_rec_truth", "ct_rec_fbp", "ct_rec_tv"]  # a sinogram is no image
    assert float(panels[1][0].max()) == 1.5


def test_the_window_comes_from_its_widgets_and_reopening_keeps_the_reconstruction_values():
    assert window_of({}) == (CTParams.window_center, CTParams.window_width)
    assert window_of({widget_key("window_center"): 40, widget_key("window_width"): 400}) == (40.0, 400.0)
    class Recorded(dict):
        """Session state that notes which keys were assigned."""

        assigned: list[str] = []

        def __setitem__(self, key, value):
            self.assigned.append(key)
            super().__setitem__(key, value)

    state = Recorded({widget_key("n_iter"): 37, widget_key("inits"): ["fbp"], widget_key("n"): 64})
    resend_reconstruction_widgets(state)
    # Each Reconstruction widget with a value is assigned it again (so Streamlit sends it); others are left alone.
    assert sorted(state.assigned) == [widget_key("inits"), widget_key("n_iter")]
    assert state == {widget_key("n_iter"): 37, widget_key("inits"): ["fbp"], widget_key("n"): 64}
    assert {"n_iter", "inits", "prior", "frame"} <= set(RECONSTRUCTION_FIELDS) and "n" not in RECONSTRUCTION_FIELDS
