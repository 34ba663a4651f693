"""The reconstruction page beyond CT: the Problem select, its operator parameters in the URL and the widgets,
the names of the reference and the measurement view, and links from before the problems still opening unchanged."""

from __future__ import annotations

from dataclasses import replace

import pytest

from tests.ct_pages import open_page as _page, written as _written

from explorer.app.ct_widgets import (apply_problem_defaults, init_label, operator_text, params_from_widgets,
                                     problem_label, problem_settings, seed_widgets, widget_key)
from explorer.app.urlstate import CT_PROBLEMS, CTParams, ct_params_from_query, ct_params_to_query
from explorer.problems import PROBLEMS



# The URL.

@pytest.mark.parametrize("query, expected", [
    ({"problem": "sparse-ct", "n_angles": "12"}, {"n_angles": 12}),
    ({"problem": "limited-angle", "angle_range": "90"}, {"angle_range": 90.0}),
    ({"problem": "deblur", "sigma": "2.5"}, {"sigma": 2.5}),
    ({"problem": "inpaint", "keep": "0.5", "mask": "box", "mask_seed": "3"}, {"keep": 0.5, "mask": "box",
                                                                              "mask_seed": 3}),
    ({"problem": "superres", "factor": "4"}, {"factor": 4}),
    ({"problem": "denoise"}, {}),
])
def test_every_problem_and_its_parameters_come_from_the_url(query, expected) -> None:
    params, warnings = ct_params_from_query(query)
    assert warnings == [] and params.problem == query["problem"]
    assert {name: getattr(params, name) for name in expected} == expected
    assert ct_params_from_query(ct_params_to_query(params)) == (params, [])
    settings = problem_settings(params, n=32)
    assert settings.operator_params() == PROBLEMS[params.problem].defaults | expected


@pytest.mark.parametrize("query, word", [
    ({"problem": "mri"}, "problem"), ({"problem": "deblur", "sigma": "0"}, "sigma"),
    ({"problem": "deblur", "sigma": "inf"}, "sigma"), ({"problem": "inpaint", "keep": "1.5"}, "keep"),
    ({"problem": "inpaint", "mask": "circle"}, "mask"), ({"problem": "superres", "factor": "3"}, "factor"),
    ({"problem": "limited-angle", "angle_range": "270"}, "angle_range"),
    ({"problem": "deblur", "n_angles": "20"}, "n_angles"),  # a parameter the problem does not take
])
def test_bad_problem_values_warn_once_and_fall_back(query, word) -> None:
    params, warnings = ct_params_from_query(query)
    assert len(warnings) == 1 and word in warnings[0] and "\n" not in warnings[0]
    assert problem_settings(params, n=32).operator_params() == PROBLEMS[params.problem].defaults


@pytest.mark.parametrize("query", [
    {"angles": "20", "noise": "0.02", "iters": "12", "rule": "fixed", "step": "2.5"},
    {"tab": "reconstruction", "method": "gnc", "inits": "zeros,fbp,noise,constant"},
    {"n": "32", "n_angles": "60", "filter": "hann", "phantom": "shepp-logan"},
])
def test_links_from_before_the_problems_open_as_ct_unchanged(query) -> None:
    params, warnings = ct_params_from_query(query)
    assert warnings == [] and params.problem == "ct"
    written = ct_params_to_query(params)
    assert "problem" in written and all(key not in written for key in ("sigma", "keep", "factor", "mask"))
    if "inits" in query:
        assert written["inits"] == query["inits"]
    assert ct_params_from_query(written) == (params, [])


def test_the_reference_start_is_the_fbp_start() -> None:
    assert ct_params_from_query({"inits": "zeros,reference"})[0].inits == ("zeros", "fbp")


@pytest.mark.parametrize("problem", CT_PROBLEMS)
def test_links_name_the_reference_start_as_the_problem_does(problem) -> None:
    params, _ = ct_params_from_query({"problem": problem, "inits": "fbp,zeros"})
    written = ct_params_to_query(params)
    # FBP problems keep "fbp" (older links read the same); the others say "reference".
    assert written["inits"] == ("fbp,zeros" if PROBLEMS[problem].reference_name == "FBP" else "reference,zeros")
    assert ct_params_from_query(written) == (params, [])
    assert init_label("fbp", "Wiener filter") == "Wiener filter" and init_label("noise") == "Gaussian noise"


# The widgets.

def test_a_new_problem_resets_its_operator_widgets() -> None:
    state: dict = {}
    seed_widgets(state, CTParams(), ["network", "gaussian"])
    assert state[widget_key("n_angles")] == 30 and state[widget_key("sigma")] == 1.5
    state[widget_key("n_angles")] = 90
    state[widget_key("problem")] = "sparse-ct"
    apply_problem_defaults(state)
    assert state[widget_key("n_angles")] == 15
    state[widget_key("problem")] = "deblur"
    apply_problem_defaults(state)
    params = params_from_widgets(state, CTParams())
    assert params.problem == "deblur" and params.sigma == 1.5 and params.n_angles is None
    assert "n_angles" not in ct_params_to_query(params)


def test_labels_name_the_problem_and_its_operator() -> None:
    assert problem_label("deblur") == "Gaussian deblurring (zero boundary)"
    assert all(problem_label(name)[0].isupper() for name in CT_PROBLEMS)
    text = operator_text(problem_settings(replace(CTParams(), problem="inpaint", mask="box"), n=32))
    assert text.startswith("Inpainting") and "keep 0.3" in text and "mask box" in text


# The page.

@pytest.mark.parametrize("problem, reference", [("deblur", "Wiener filter"), ("inpaint", "Harmonic inpainting"),
                                                ("superres", "Nearest upsampling"), ("denoise", "Noisy image")])
def test_image_problems_show_y_as_an_image_and_name_their_reference(problem, reference) -> None:
    at = _page({"problem": problem, "n": "32"})
    assert not at.exception and not at.error and not at.warning
    assert at.selectbox(key="ct_problem").value == problem
    metrics = {m.label: m.value for m in at.metric}
    assert 0 < float(metrics[f"{reference} PSNR (dB)"]) < 80
    keys = [chart.proto.id for chart in at.get("plotly_chart")]
    assert len(keys) == 3  # truth, measurement, reference; no sinogram
    assert not [box for box in at.selectbox if box.key == "ct_filter"]  # an FBP filter means nothing here
    assert _written(at)["problem"] == problem


def test_ct_kinds_keep_the_sinogram_and_their_parameters() -> None:
    at = _page({"problem": "limited-angle", "n": "32", "angle_range": "90"})
    assert not at.exception and not at.warning
    assert at.slider(key="ct_angle_range").value == 90.0 and at.slider(key="ct_n_angles").value == 60
    assert "FBP PSNR (dB)" in {m.label for m in at.metric}
    assert any("angles over [0, angle_range degrees)" in c.value for c in at.caption)


def test_changing_the_problem_shows_its_widgets_and_writes_the_url() -> None:
    at = _page({"n": "32", "n_angles": "40"})
    assert at.slider(key="ct_n_angles").value == 40
    at.selectbox(key="ct_problem").set_value("deblur").run()
    assert not at.exception and not at.warning
    at.slider(key="ct_sigma").set_value(2.0).run()
    written = _written(at)
    assert (written["problem"], written["sigma"]) == ("deblur", "2.0") and "n_angles" not in written
    assert "Wiener filter PSNR (dB)" in {m.label for m in at.metric}
    at.selectbox(key="ct_problem").set_value("sparse-ct").run()
    assert at.slider(key="ct_n_angles").value == 15 and _written(at)["n_angles"] == "15"


def test_the_reconstruction_tab_runs_a_deblurring_problem() -> None:
    at = _page({"tab": "reconstruction", "problem": "deblur", "n": "32", "prior": "gaussian", "n_iter": "6",
                "inits": "zeros,reference", "frame": "6"})
    assert not at.exception and not at.error
    assert at.multiselect(key="ct_inits").value == ["zeros", "fbp"]
    assert _written(at)["inits"] == "zeros,reference"
    at.button(key="ct_rec_btn_step").click().run()
    assert not at.exception
    table = at.dataframe[0].value
    assert {"Wiener filter", "TV, isotropic, Chambolle-Pock"} <= set(table["method"])
    assert "Wiener filter" in set(table["start"])  # the reference start carries the reference's name
    assert not any("returns the settings" in md.value for md in at.markdown)
