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


def test_the_page_opens_on_the_shipped_pictures(app: AppTest) -> None:
    # Without any click: the samples' mosaic and the phantom, x_t / m(t) and x0_hat, above every control.
    assert not app.exception and not app.warning
    assert len(app.get("image")) == 4
    captions = [c.value for c in app.caption]
    assert any("samples of the learned prior" in c for c in captions)
    assert any(c.startswith("Tweedie x0_hat: ") and c.endswith(" dB") for c in captions)
    main = list(app.main.children.values())
    kinds = [node.type for node in main]
    assert kinds[:3] == ["title", "markdown", "flex_container"]  # title, what a prior is, the pictures
    assert "learned prior is a neural network" in main[1].value


def test_terms_are_explained_where_they_appear(app: AppTest) -> None:
    from explorer.app.glossary import GLOSSARY, help_for

    assert GLOSSARY["probability-flow ODE"].definition in app.checkbox(key="prior_flow").help
    assert app.select_slider(key="prior_t").help == help_for("smoothing level t", "x_t / m(t)")
    helps = " ".join(c.proto.help for c in app.caption)
    for name in ("Tweedie", "x_t / m(t)", "energy", "PSNR"):
        assert GLOSSARY[name].definition in helps, name
    (glossary,) = [e for e in app.expander if e.label == "Glossary"]
    assert all(f"**{entry.term}**" in glossary.markdown[0].value for entry in GLOSSARY.values())


@pytest.mark.parametrize("content", [None, b"PK\x03\x04 not a whole archive"])
def test_a_missing_or_damaged_preview_is_named_not_raised(tmp_path, monkeypatch, content) -> None:
    import explorer.priors.preview

    path = tmp_path / "prior64_preview.npz"
    if content is not None:
        path.write_bytes(content)
    monkeypatch.setattr(explorer.priors.preview, "PREVIEW_FILE", path)
    at = AppTest.from_file(str(PAGE), default_timeout=60)
    at.run()
    assert not at.exception
    (warning,) = at.warning
    assert "cannot be shown" in warning.value and "python -m explorer.priors.preview" in warning.value
    assert "missing" in warning.value if content is None else "damaged" in warning.value
    assert not at.get("image")
    assert at.button(key="prior_draw")  # fresh samples are still on offer
    assert len(at.get("plotly_chart")) == 2


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
