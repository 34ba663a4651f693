"""Odd uploads in real Chromium: each gets a clear message, and the page keeps working afterwards."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import ARTIFACTS
from test_browser import wait_for_app
from test_phantoms import _encode, _gradient, _png_claiming_size

pytestmark = pytest.mark.browser

UPLOADER = '[data-testid="stFileUploaderDropzoneInput"]'


def _upload(page, name: str, data: bytes, mime: str = "image/png") -> None:
    """Choose a file in the page's uploader and wait until the uploader lists it (a choice made while the
    page re-renders can be dropped, so choose again until it shows)."""
    for _ in range(5):
        page.locator(UPLOADER).first.set_input_files({"name": name, "mimeType": mime, "buffer": data})
        try:
            page.locator('[data-testid="stFileUploader"]', has_text=name).wait_for(timeout=10_000)
            return
        except Exception:
            wait_for_app(page)
    raise AssertionError(f"the uploader never listed {name}")


def _main_text(page) -> str:
    return page.locator('[data-testid="stMain"]').inner_text()


def _wait_for_text(page, text: str, name: str) -> None:
    try:
        page.wait_for_function(
            "(text) => document.querySelector('[data-testid=\"stMain\"]').innerText.includes(text)",
            arg=text, timeout=60_000)
    except Exception as error:
        page.screenshot(path=str(ARTIFACTS / f"upload_failed_{name}.png"))
        raise AssertionError(f"{name}: {text!r} not shown; the page says ...{_main_text(page)[-300:]!r}") from error


def _fbp_psnr_shown(page) -> bool:
    return page.locator('[data-testid="stMetric"]', has_text="FBP PSNR").count() == 1


# name, bytes, a piece of the message the page must show
BAD = [
    ("notes.png", b"this is not an image at all", "not a PNG or JPEG"),
    ("empty.png", b"", "empty"),
    ("dot.png", _encode(np.zeros((1, 1), np.uint8)), "1 x 1 pixels; it needs at least 16"),
    ("wide.png", _encode(np.zeros((4, 300), np.uint8)), "300 x 4 pixels; it needs at least 16"),
    ("bomb.png", _png_claiming_size(30_000, 30_000), "too many pixels"),
    ("half.png", _encode(_gradient(64, 64))[: len(_encode(_gradient(64, 64))) // 2], "damaged"),
]
# Accepted with a note saying what was converted.
CONVERTED = [
    ("rgba.png", _encode(np.dstack([np.full((40, 40, 3), 200, np.uint8), np.tile(np.arange(0, 240, 6, dtype=np.uint8),
                                                                              (40, 1))]), mode="RGBA"),
     "Transparent areas"),
    ("deep.png", _encode((np.arange(48 * 48).reshape(48, 48) * 20).astype(np.uint16)), "rescaled"),
    ("oblong.png", _encode(_gradient(40, 90)), "cropped"),
]


def test_bad_uploads_show_a_message_and_a_good_one_works(page, app_url):
    page.goto(f"{app_url}/ct?phantom=upload")
    wait_for_app(page)
    assert "Upload a PNG or JPEG" in _main_text(page)
    for name, data, expected in BAD:
        _upload(page, name, data)
        _wait_for_text(page, expected, name)
        wait_for_app(page)
        assert page.locator('[data-testid="stException"]').count() == 0, name
        assert not _fbp_psnr_shown(page), name
    for name, data, expected in CONVERTED:
        _upload(page, name, data)
        _wait_for_text(page, expected, name)
        wait_for_app(page)
        page.wait_for_selector('[data-testid="stMetric"]:has-text("FBP PSNR")', timeout=60_000)
        assert page.locator('[data-testid="stException"]').count() == 0, name
    (ARTIFACTS / "screenshots").mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "screenshots" / "ct_upload.png"))


def test_a_file_over_the_configured_limit_is_refused(page, app_url):
    page.goto(f"{app_url}/ct?phantom=upload")
    wait_for_app(page)
    _upload(page, "big.png", b"\x89PNG" + bytes(21 * 1024 * 1024))
    # Streamlit refuses it in the browser (server.maxUploadSize = 20 in .streamlit/config.toml).
    page.wait_for_function(
        "() => document.querySelector('[data-testid=\"stMain\"]').innerText.includes('20.0MB')", timeout=60_000)
    wait_for_app(page)
    assert page.locator('[data-testid="stException"]').count() == 0
    assert "Upload a PNG or JPEG" in _main_text(page)
    # The page still works: a good file afterwards gives a phantom and its FBP.
    _upload(page, "fine.png", _encode(_gradient(64, 64)))
    page.wait_for_selector('[data-testid="stMetric"]:has-text("FBP PSNR")', timeout=60_000)
    assert page.locator('[data-testid="stException"]').count() == 0


def test_the_same_file_as_phantom_and_start_reads_as_an_exact_match(page, app_url):
    """A uniform 16-bit white file keeps its level, and a start equal to the truth shows "exact match", not inf."""
    white = _encode(np.full((48, 48), 65535, np.uint16))
    page.goto(f"{app_url}/ct?phantom=upload&tab=reconstruction&inits=upload&n=32&n_angles=20&prior=gaussian"
              "&n_iter=4")
    wait_for_app(page)
    # The phantom's uploader is on the page, the start's in the sidebar: each is found by its label.
    for label, name in (("PNG, JPEG or DICOM", "truth.png"), ("Start image", "start.png")):
        uploader = page.locator('[data-testid="stFileUploader"]', has_text=label)
        uploader.locator(UPLOADER).set_input_files({"name": name, "mimeType": "image/png", "buffer": white})
        page.locator('[data-testid="stFileUploader"]', has_text=name).wait_for(state="attached", timeout=30_000)
        wait_for_app(page)
    metric = page.locator('[data-testid="stMetric"]', has_text="PSNR uploaded image")
    metric.wait_for(timeout=60_000)
    assert "exact match" in metric.inner_text() and "inf" not in metric.inner_text()
    assert page.locator('[data-testid="stException"]').count() == 0


def test_a_dicom_slice_is_windowed_and_a_broken_one_is_refused(page, app_url):
    from explorer.imaging.dicom import builtin_slice_path

    data = builtin_slice_path().read_bytes()
    page.goto(f"{app_url}/ct?phantom=upload&window=lung")
    wait_for_app(page)
    _upload(page, "slice.dcm", data, "application/dicom")
    _wait_for_text(page, "windowed at centre -600, width 1500", "slice.dcm")
    page.wait_for_selector('[data-testid="stMetric"]:has-text("FBP PSNR")', timeout=60_000)
    assert "never seen anatomy" in _main_text(page)
    assert page.locator('[data-testid="stException"]').count() == 0
    _upload(page, "cut.dcm", data[:700], "application/dicom")
    _wait_for_text(page, "cut short", "cut.dcm")
    wait_for_app(page)
    # The metrics of the good slice go when the run for the broken one ends.
    page.locator('[data-testid="stMetric"]', has_text="FBP PSNR").wait_for(state="detached", timeout=30_000)
    assert page.locator('[data-testid="stException"]').count() == 0
