"""Real CT slices on the CT page: the built-in slice, its window in the URL, DICOM uploads and the prior's note."""

from __future__ import annotations


import pytest
import torch

from tests.ct_pages import open_page as _page, written as _written

from explorer.app.ct_widgets import apply_window_preset, mark_custom_window, widget_key
from explorer.app.uploads import Decoded, decode_file, decode_upload
from explorer.app.urlstate import CTParams, ct_params_from_query, params_to_query
from explorer.imaging.dicom import WINDOWS, builtin_slice_path, ct_slice
from explorer.imaging.phantoms import PhantomError



# The URL.

def test_the_window_is_kept_in_the_url() -> None:
    params, warnings = ct_params_from_query({"phantom": "ct-slice", "window": "lung"})
    assert warnings == [] and params.phantom == "ct-slice"
    assert (params.window, params.window_center, params.window_width) == ("lung", -600.0, 1500.0)
    custom = CTParams(phantom="ct-slice", window="custom", window_center=-100.0, window_width=900.0)
    assert ct_params_from_query(params_to_query(custom)) == (custom, [])
    # A preset's numbers are the preset's; numbers without a window name make a custom window.
    assert ct_params_from_query({"window": "bone", "window_center": "7"})[0].window_center == 400.0
    typed, warnings = ct_params_from_query({"window_center": "60", "window_width": "350"})
    assert warnings == [] and (typed.window, typed.window_center, typed.window_width) == ("custom", 60.0, 350.0)


@pytest.mark.parametrize("query, word", [({"window": "liver"}, "window"), ({"window_width": "0"}, "window_width"),
                                         ({"window_center": "nan"}, "window_center")])
def test_bad_windows_warn_and_fall_back(query, word) -> None:
    params, warnings = ct_params_from_query(query)
    assert len(warnings) == 1 and word in warnings[0]
    assert (params.window, params.window_center, params.window_width) == ("soft-tissue", 40.0, 400.0)


def test_the_window_widgets_follow_presets_and_typed_numbers() -> None:
    state = {widget_key("window"): "bone", widget_key("window_center"): 40.0, widget_key("window_width"): 400.0}
    apply_window_preset(state)
    assert (state[widget_key("window_center")], state[widget_key("window_width")]) == WINDOWS["bone"]
    mark_custom_window(state)
    assert state[widget_key("window")] == "bone"  # still the preset's pair
    state[widget_key("window_width")] = 1000.0
    mark_custom_window(state)
    assert state[widget_key("window")] == "custom"
    apply_window_preset(state)  # custom keeps the typed numbers
    assert state[widget_key("window_width")] == 1000.0


# Uploads are routed by content or name.

def test_uploads_are_routed_to_dicom_or_image_decoding() -> None:
    data = builtin_slice_path().read_bytes()
    image, notes = decode_file(data, 32, center=-600.0, width=1500.0)
    assert torch.equal(image, ct_slice(32, -600.0, 1500.0)[0]) and "Hounsfield" in notes[0]
    with pytest.raises(PhantomError, match="not a DICOM file"):
        decode_file(b"not really", 32, name="slice.DCM")  # the name says DICOM: the message says what is missing
    with pytest.raises(PhantomError, match="PNG or JPEG"):
        decode_file(b"not really", 32, name="photo.png")


def test_a_dicom_upload_is_decoded_again_for_another_window() -> None:
    data = builtin_slice_path().read_bytes()
    cache: dict = {}
    decoded = []
    for window in ((40.0, 400.0), (-600.0, 1500.0), (40.0, 400.0)):
        result = decode_upload(cache, "f", lambda: data, 32, variant=window,
                               decode=lambda d, n, w=window: decode_file(d, n, center=w[0], width=w[1]))
        decoded.append(result)
    assert isinstance(decoded[0], Decoded) and decoded[0].dicom and decoded[0].error is None
    assert not torch.equal(decoded[0].image, decoded[1].image)
    assert decoded[2] is decoded[0] and len(cache) == 2
    bad = decode_upload({}, "g", lambda: data[:600], 32, decode=decode_file)
    assert bad.dicom and bad.image is None and "cut short" in bad.error


# The page.

def test_the_builtin_slice_renders_with_its_note_and_window() -> None:
    at = _page({"phantom": "ct-slice", "n": "64", "window": "bone"})
    assert not at.exception and not at.error and not at.warning
    assert at.selectbox(key="ct_window").value == "bone"
    assert at.number_input(key="ct_window_center").value == 400.0
    assert any("never seen anatomy" in info.value for info in at.info)
    assert any("Hounsfield" in caption.value for caption in at.caption)
    # Choosing another preset sets the numbers and goes into the URL.
    at.selectbox(key="ct_window").set_value("lung").run()
    assert not at.exception
    assert at.number_input(key="ct_window_center").value == -600.0
    written = _written(at)
    assert (written["phantom"], written["window"], written["window_center"]) == ("ct-slice", "lung", "-600.0")
    # Typing a width makes the window custom, and the link says so.
    at.number_input(key="ct_window_width").set_value(700.0).run()
    assert at.selectbox(key="ct_window").value == "custom" and _written(at)["window_width"] == "700.0"


def test_the_reconstruction_tab_on_the_builtin_slice_compares_priors() -> None:
    at = _page({"tab": "reconstruction", "phantom": "ct-slice", "n": "32", "prior": "gaussian", "n_iter": "10",
                "inits": "zeros"})
    assert not at.exception and not at.error
    assert any("only ever saw ellipse phantoms" in info.value for info in at.info)
    assert at.selectbox(key="ct_prior").value == "gaussian"


def test_ellipses_show_no_window_and_no_note() -> None:
    at = _page({"n": "32"})
    assert not at.exception
    assert not at.get("selectbox") or all(box.key != "ct_window" for box in at.selectbox)
    assert not any("anatomy" in info.value for info in at.info)
