"""The CT page runs headless, and its widgets drive the sinogram, the FBP and the metrics."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

PAGE = Path(__file__).resolve().parents[1] / "views" / "ct.py"


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
    at = AppTest.from_file(str(PAGE), default_timeout=60)
    at.run()
    return at


def test_default_run(app: AppTest) -> None:
    assert not app.exception
    assert len(app.get("plotly_chart")) == 3
    assert _sinogram_angles(app, 2) == 30  # default number of angles
    metrics = _metrics(app)
    assert 20 < float(metrics["FBP PSNR (dB)"]) < 40
    assert 0 < float(metrics["FBP SSIM"]) < 1
    assert any("clipped to [0, 1]" in c.value for c in app.caption)


def test_changing_angles_updates_sinogram_and_metrics(app: AppTest) -> None:
    before = _metrics(app)["FBP PSNR (dB)"]
    app.slider(key="ct_angles").set_value(60).run()
    assert not app.exception
    assert _sinogram_angles(app, 2) == 60
    assert float(_metrics(app)["FBP PSNR (dB)"]) > float(before)


def test_shepp_logan_filter_and_clip(app: AppTest) -> None:
    app.selectbox(key="ct_phantom").set_value("Shepp-Logan").run()
    app.selectbox(key="ct_filter").set_value("hann").run()
    app.checkbox(key="ct_clip").uncheck().run()
    assert not app.exception
    assert any("not clipped" in c.value for c in app.caption)


def test_upload_without_file_asks_for_one(app: AppTest) -> None:
    app.selectbox(key="ct_phantom").set_value("Upload an image").run()
    assert not app.exception
    assert any("Upload a PNG or JPEG" in i.value for i in app.info)
