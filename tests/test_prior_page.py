"""The prior page runs headless with or without trained weights, and its widgets drive it."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

PAGE = Path(__file__).resolve().parents[1] / "views" / "prior.py"


@pytest.fixture(scope="module")
def app() -> AppTest:
    at = AppTest.from_file(str(PAGE), default_timeout=60)
    at.run()
    return at


def test_default_run(app: AppTest) -> None:
    assert not app.exception
    # Denoising panel and energy curve are drawn without any click.
    assert len(app.get("plotly_chart")) == 2
    if "Learned U-Net (energy)" not in app.radio(key="prior_choice").options:
        assert any("python -m explorer train" in i.value for i in app.info)


def test_gaussian_samples_and_noise_level(app: AppTest) -> None:
    app.radio(key="prior_choice").set_value("Gaussian (analytic)").run()
    app.number_input(key="prior_steps").set_value(10).run()
    app.number_input(key="prior_count").set_value(2).run()
    assert app.checkbox(key="prior_flow").value  # the probability-flow ODE by default: clean shapes
    app.button(key="prior_draw").click().run()
    assert not app.exception
    charts = app.get("plotly_chart")
    assert len(charts) == 3
    assert "10 steps of the probability-flow ODE" in charts[0].proto.spec
    app.checkbox(key="prior_flow").uncheck().run()
    app.button(key="prior_draw").click().run()
    assert "10 steps of the reverse SDE" in app.get("plotly_chart")[0].proto.spec
    app.select_slider(key="prior_t").set_value(1.0).run()
    assert not app.exception


def test_learned_prior_when_weights_load(tmp_path, monkeypatch) -> None:
    import streamlit as st
    import torch

    import explorer.priors.weights
    from explorer.priors.unet import EnergyUNet
    from explorer.priors.weights import model_config, save_weights

    torch.manual_seed(0)  # parameter init only
    model = EnergyUNet((4, 8))
    path = tmp_path / "prior64.safetensors"
    save_weights(model.state_dict(), path, model_config(model, 64, 0))
    monkeypatch.setattr(explorer.priors.weights, "DEFAULT_WEIGHTS", path)
    st.cache_resource.clear()
    try:
        at = AppTest.from_file(str(PAGE), default_timeout=60)
        at.run()
        assert not at.exception
        assert at.radio(key="prior_choice").value == "Learned U-Net (energy)"
        at.number_input(key="prior_steps").set_value(3).run()
        at.number_input(key="prior_count").set_value(1).run()
        at.button(key="prior_draw").click().run()
        assert not at.exception
        assert len(at.get("plotly_chart")) == 3
    finally:
        st.cache_resource.clear()
