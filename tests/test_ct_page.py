"""The CT page runs headless: its widgets drive the sinogram, the FBP and the metrics, and the reconstruction
tab steps a live batched run, compares GNC with plain GD and reports a diverging step."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from tests.ct_pages import PAGE
from tests.ct_pages import open_page as _page


def _sinogram_angles(at: AppTest, index: int) -> int:
    """Number of x values (angles) of the heatmap in the index-th chart."""
    trace = json.loads(at.get("plotly_chart")[index].proto.spec)["data"][0]
    x = trace["x"]
    if isinstance(x, dict):  # plotly 6+ ships arrays as base64 typed buffers
        return len(np.frombuffer(base64.b64decode(x["bdata"]), dtype=np.dtype(x["dtype"])))
    return len(x)


def _metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


@pytest.fixture(scope="module")
def app() -> AppTest:
    at = AppTest.from_file(str(PAGE), default_timeout=180)
    at.run()
    return at


def test_default_run(app: AppTest) -> None:
    assert not app.exception
    assert len(app.get("plotly_chart")) >= 3  # the forward-model tab's three come first
    assert _sinogram_angles(app, 2) == 30  # default number of angles
    metrics = _metrics(app)
    assert 20 < float(metrics["FBP PSNR (dB)"]) < 40
    assert 0 < float(metrics["FBP SSIM"]) < 1
    assert any("clipped to [0, 1]" in c.value for c in app.caption)


def test_changing_angles_updates_sinogram_and_metrics(app: AppTest) -> None:
    before = _metrics(app)["FBP PSNR (dB)"]
    app.slider(key="ct_n_angles").set_value(60).run()
    assert not app.exception
    assert _sinogram_angles(app, 2) == 60
    assert float(_metrics(app)["FBP PSNR (dB)"]) > float(before)


def test_shepp_logan_filter_and_clip(app: AppTest) -> None:
    app.selectbox(key="ct_phantom").set_value("shepp-logan").run()
    app.selectbox(key="ct_filter").set_value("hann").run()
    app.checkbox(key="ct_clip_fbp").uncheck().run()
    assert not app.exception
    assert any("not clipped" in c.value for c in app.caption)


def test_the_reconstruction_tab_works_only_when_open(app: AppTest) -> None:
    # On the Forward model tab nothing of the reconstruction is built; the link still carries its settings.
    assert app.session_state["ct_tab"] == "Forward model"
    assert not [b for b in app.button if b.key == "ct_rec_btn_step"]
    assert app.query_params["n_iter"] in ("200", ["200"])


def test_upload_without_file_asks_for_one(app: AppTest) -> None:
    app.selectbox(key="ct_phantom").set_value("upload").run()
    assert not app.exception
    assert any("Upload a PNG or JPEG" in i.value for i in app.info)


@pytest.fixture(scope="module")
def recon() -> AppTest:
    """The page at 32 x 32 with a 20-iteration GNC run and two starts."""
    at = AppTest.from_file(str(PAGE), default_timeout=180)
    at.query_params["tab"] = "reconstruction"
    at.run()
    at.slider(key="ct_n").set_value(32).run()
    at.number_input(key="ct_n_iter").set_value(20).run()
    at.multiselect(key="ct_inits").set_value(["zeros", "noise"]).run()
    return at


def test_reconstruction_steps_raise_psnr(recon: AppTest) -> None:
    assert not recon.exception
    metrics = _metrics(recon)
    assert metrics["Iteration"] == "0 / 20"
    start = float(metrics["PSNR zeros (dB)"])
    recon.number_input(key="ct_frame").set_value(3).run()
    for _ in range(3):
        recon.button(key="ct_rec_btn_step").click().run()
    assert not recon.exception
    metrics = _metrics(recon)
    assert metrics["Iteration"] == "9 / 20"
    assert float(metrics["PSNR zeros (dB)"]) > start + 5
    assert float(metrics["PSNR Gaussian noise (dB)"]) > 10
    table = recon.dataframe[0].value
    assert {"FBP (ramp filter)", "TV, isotropic, Chambolle-Pock"} <= set(table["method"])


def test_compare_methods_shows_gnc_and_gd(recon: AppTest) -> None:
    recon.button(key="ct_rec_btn_compare").click().run()
    assert not recon.exception
    compare = recon.dataframe[1].value
    assert list(compare.index) == ["GNC flow (Algorithm 1)", "Gradient descent on f (baseline)"]
    assert "spread over starts (dB)" in compare.columns
    assert np.isfinite(compare.to_numpy(dtype=float)).all()


def test_a_diverging_step_shows_an_error_not_a_traceback(recon: AppTest) -> None:
    recon.selectbox(key="ct_step_rule").set_value("fixed").run()
    recon.number_input(key="ct_step_size").set_value(1e6).run()
    recon.checkbox(key="ct_clip").uncheck().run()
    recon.button(key="ct_rec_btn_end").click().run()
    assert not recon.exception
    assert any("NaN or Inf detected" in e.value for e in recon.error)
    assert recon.button(key="ct_rec_btn_step").disabled


def test_query_params_set_every_control_and_are_written_back() -> None:
    wanted = {"tab": "reconstruction", "phantom": "ellipses", "seed": "5", "n": "32", "n_angles": "20",
              "noise_level": "0.02", "prior": "gaussian", "alpha": "0.002", "method": "gd", "step_rule": "armijo",
              "n_iter": "20", "inits": "constant,zeros", "frame": "4", "t_max": "0.5"}
    at = _page(wanted)
    assert not at.exception and not at.warning
    assert at.session_state["ct_tab"] == "Reconstruction"
    assert at.number_input(key="ct_seed").value == 5
    assert at.slider(key="ct_n").value == 32 and at.slider(key="ct_n_angles").value == 20
    assert at.selectbox(key="ct_method").value == "gd"
    assert at.number_input(key="ct_alpha").value == 0.002
    assert at.multiselect(key="ct_inits").value == ["constant", "zeros"]
    assert _metrics(at)["Iteration"] == "0 / 20"
    assert _sinogram_angles(at, 2) == 20
    # The URL now names the whole view; opening it again gives the same controls.
    written = {k: (v[-1] if isinstance(v, list) else v) for k, v in at.query_params.items()}
    assert {k: written[k] for k in wanted} == wanted | {"noise_level": "0.02", "alpha": "0.002", "t_max": "0.5"}
    again = _page(written)
    assert not again.exception and not again.warning
    assert again.multiselect(key="ct_inits").value == ["constant", "zeros"]
    # A control changed in the page goes into the URL.
    again.selectbox(key="ct_step_rule").set_value("fixed").run()
    assert again.query_params["step_rule"] in ("fixed", ["fixed"])


def test_an_old_link_sets_the_same_controls_and_is_rewritten_in_todays_names() -> None:
    at = _page({"tab": "reconstruction", "n": "32", "prior": "gaussian", "angles": "20", "noise": "0.02",
                "iters": "12", "rule": "fixed", "step": "2.5", "inits": "zeros"})
    assert not at.exception and not at.warning
    assert at.slider(key="ct_n_angles").value == 20 and at.slider(key="ct_noise_level").value == 0.02
    assert at.number_input(key="ct_n_iter").value == 12 and at.selectbox(key="ct_step_rule").value == "fixed"
    assert at.number_input(key="ct_step_size").value == 2.5
    written = {k: (v[-1] if isinstance(v, list) else v) for k, v in at.query_params.items()}
    assert {"angles", "noise", "iters", "rule", "step"}.isdisjoint(written)
    assert (written["n_angles"], written["n_iter"], written["step_rule"]) == ("20", "12", "fixed")


def test_bad_query_params_warn_once_and_fall_back() -> None:
    at = _page({"n": "40", "angles": "nan", "method": "newton", "inits": "zeros,ones", "bogus": "1",
                "t_min": "0.9", "t_max": "0.1"})
    assert not at.exception
    assert len(at.warning) == 1
    for word in ("'n'", "angles", "method", "inits", "bogus", "t_min"):
        assert word.strip("'") in at.warning[0].value.replace("\\", "").replace("\u2060", "")
    assert at.slider(key="ct_n").value == 64 and at.slider(key="ct_n_angles").value == 30


def test_switching_tabs_keeps_the_reconstruction_settings() -> None:
    at = _page({"tab": "reconstruction", "n": "32", "n_iter": "37", "method": "gd", "inits": "fbp,constant"})
    assert at.number_input(key="ct_n_iter").value == 37
    at.session_state["ct_tab"] = "Forward model"
    at.run()
    assert not at.exception
    assert at.query_params["n_iter"] in ("37", ["37"]) and at.query_params["tab"] in ("forward", ["forward"])
    at.slider(key="ct_n_angles").set_value(12).run()
    at.session_state["ct_tab"] = "Reconstruction"
    at.run()
    assert not at.exception
    assert at.number_input(key="ct_n_iter").value == 37
    assert at.selectbox(key="ct_method").value == "gd"
    assert at.multiselect(key="ct_inits").value == ["fbp", "constant"]
    assert _sinogram_angles(at, 2) == 12


def test_presentation_mode_on_the_ct_page_is_kept_in_the_link() -> None:
    from streamlit.testing.v1 import AppTest

    from explorer.app.styles import PRESENT_CSS

    at = AppTest.from_file(str(Path(__file__).resolve().parents[1] / "views" / "ct.py"), default_timeout=180)
    at.query_params["present"] = "1"
    at.run()
    assert not at.exception and at.toggle(key="ct_present").value
    assert any(h.proto.body == PRESENT_CSS for h in at.html)
    assert at.query_params["present"] == "1"
