"""A missing, corrupt or mismatched weights file never breaks a page: the page names the rebuild command and
keeps working with the analytic prior."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import streamlit as st
import torch
from streamlit.testing.v1 import AppTest

import explorer.priors.weights
from explorer.priors.unet import EnergyUNet
from explorer.priors.weights import REBUILD_COMMAND, model_config, save_weights, sidecar_path

ROOT = Path(__file__).resolve().parents[1]


def _good(path: Path) -> None:
    torch.manual_seed(0)  # parameter init only
    model = EnergyUNet((4, 8))
    save_weights(model.state_dict(), path, model_config(model, 64, 0))


def _missing(path: Path) -> None:
    pass


def _flipped_byte(path: Path) -> None:
    _good(path)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


def _wrong_hash(path: Path) -> None:
    _good(path)
    side = sidecar_path(path)
    side.write_text(json.dumps(json.loads(side.read_text()) | {"sha256": "0" * 64}))


def _no_sidecar(path: Path) -> None:
    _good(path)
    sidecar_path(path).unlink()


def _not_safetensors(path: Path) -> None:
    _good(path)
    path.write_bytes(b"PK\x03\x04 a pickle in a zip is not welcome here")
    side = sidecar_path(path)
    side.write_text(json.dumps(json.loads(side.read_text()) | {"sha256": explorer.priors.weights.file_sha256(path)}))


def _wrong_shapes(path: Path) -> None:
    _good(path)
    side = sidecar_path(path)
    side.write_text(json.dumps(json.loads(side.read_text()) | {"channels": [8, 16]}))


def _sidecar_a_list(path: Path) -> None:
    _good(path)
    sidecar_path(path).write_text("[24, 48, 96]")


def _sidecar_nested(path: Path) -> None:
    _good(path)
    sidecar_path(path).write_text("[" * 100_000 + "]" * 100_000)


def _weights_a_folder(path: Path) -> None:
    path.mkdir()


def _negative_channels(path: Path) -> None:
    _good(path)
    side = sidecar_path(path)
    side.write_text(json.dumps(json.loads(side.read_text()) | {"channels": [-4, 8]}))


# Hostile files, checked on the CT page only: the weights module's tests cover every kind.
HOSTILE = {"sidecar a list": _sidecar_a_list, "sidecar nested 100,000 deep": _sidecar_nested,
           "weights a folder": _weights_a_folder, "negative channels": _negative_channels}

BROKEN = {"missing": (_missing, "not found"), "flipped byte": (_flipped_byte, "corrupt"),
          "wrong hash": (_wrong_hash, "corrupt"), "no sidecar": (_no_sidecar, "Sidecar"),
          "not safetensors": (_not_safetensors, "do not fit"), "wrong shapes": (_wrong_shapes, "do not fit")}


@pytest.fixture
def weights_at(tmp_path, monkeypatch):
    """Point the app at a weights file made by `make`, with fresh caches before and after."""
    def use(make, keep_small: bool = False) -> Path:
        path = tmp_path / "prior64.safetensors"
        make(path)
        monkeypatch.setattr(explorer.priors.weights, "DEFAULT_WEIGHTS", path)
        if not keep_small:  # the distilled network is shipped beside it, and would stand in for it
            monkeypatch.setattr(explorer.priors.weights, "SHIPPED_SMALL_WEIGHTS", path)
        explorer.priors.weights._CACHE.clear()
        st.cache_resource.clear()
        return path

    yield use
    explorer.priors.weights._CACHE.clear()
    st.cache_resource.clear()


def _infos(at: AppTest) -> str:
    return " ".join(i.value for i in at.info)


@pytest.mark.parametrize("kind", list(BROKEN) + list(HOSTILE))
def test_the_ct_page_explains_and_runs_with_the_gaussian_prior(weights_at, kind):
    make = BROKEN[kind][0] if kind in BROKEN else HOSTILE[kind]
    weights_at(make)
    at = AppTest.from_file(str(ROOT / "views" / "ct.py"), default_timeout=180)
    for key, value in {"tab": "reconstruction", "n": "32", "n_iter": "6", "inits": "zeros", "frame": "3"}.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception
    assert REBUILD_COMMAND in _infos(at)
    assert sum(REBUILD_COMMAND in i.value and "\n" not in i.value for i in at.info) == 1
    assert at.selectbox(key="ct_prior").options == ["Analytic Gaussian"]
    at.button(key="ct_rec_btn_step").click().run()
    assert not at.exception
    assert {m.label: m.value for m in at.metric}["Iteration"] == "3 / 6"


@pytest.mark.parametrize("kind", list(BROKEN))
def test_the_prior_page_explains_and_offers_the_gaussian_prior(weights_at, kind):
    make, words = BROKEN[kind]
    weights_at(make)
    at = AppTest.from_file(str(ROOT / "views" / "prior.py"), default_timeout=120)
    at.run()
    assert not at.exception
    assert words in _infos(at) and "python -m explorer train" in _infos(at)
    assert at.radio(key="prior_choice").options == ["Gaussian (analytic)"]
    assert len(at.get("plotly_chart")) == 2


def test_a_good_file_offers_the_learned_prior_on_the_ct_page(weights_at):
    weights_at(_good)
    at = AppTest.from_file(str(ROOT / "views" / "ct.py"), default_timeout=180)
    at.query_params["tab"] = "reconstruction"
    at.query_params["n"] = "32"
    at.query_params["n_iter"] = "4"
    at.query_params["inits"] = "zeros"
    at.run()
    assert not at.exception
    assert REBUILD_COMMAND not in _infos(at)
    assert at.selectbox(key="ct_prior").value == "network"


def test_without_the_large_network_the_small_one_stands_in(weights_at):
    weights_at(_missing, keep_small=True)
    at = AppTest.from_file(str(ROOT / "views" / "ct.py"), default_timeout=180)
    for key, value in {"tab": "reconstruction", "n": "32", "n_iter": "4", "inits": "zeros", "frame": "2"}.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception
    assert at.selectbox(key="ct_prior").options == ["Learned U-Net, small (distilled, faster)", "Analytic Gaussian"]
    assert at.selectbox(key="ct_prior").value == "network-small"
    assert "the small distilled U-Net is used" in _infos(at) and REBUILD_COMMAND in _infos(at)
    at.button(key="ct_rec_btn_step").click().run()
    assert not at.exception and {m.label: m.value for m in at.metric}["Iteration"] == "2 / 4"
