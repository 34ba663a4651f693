"""Controls at their extremes: the pages run, say what happened, and stay usable afterwards."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from explorer.app.tables import read_html_table
from explorer.app.urlstate import MAX_STARTS

ROOT = Path(__file__).resolve().parents[1]


def _page(name: str, query: dict[str, str]) -> AppTest:
    at = AppTest.from_file(str(ROOT / "views" / f"{name}.py"), default_timeout=300)
    for key, value in query.items():
        at.query_params[key] = value
    return at.run()


def _shown(warning) -> str:
    """A warning's words as the reader sees them: pages escape the text of warnings."""
    return warning.value.replace("\\", "").replace("\u2060", "")


def _metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


# Toy page.

def test_toy_most_starts_at_once():
    at = _page("toy", {"starts": "random", "k": str(MAX_STARTS), "n_iter": "200"})
    assert not at.exception and not at.warning
    assert len(read_html_table(next(h.proto.body for h in at.html if "<table" in h.proto.body))) == MAX_STARTS


def test_toy_one_iteration_and_the_smallest_step():
    at = _page("toy", {"n_iter": "1", "step": "1e-8", "frame": "1000"})
    assert not at.exception and not at.warning
    at.button(key="toy_btn_step").click().run()
    assert not at.exception


def test_toy_zero_iterations_warn_and_fall_back():
    at = _page("toy", {"n_iter": "0"})
    assert not at.exception
    assert len(at.warning) == 1 and "n_iter" in _shown(at.warning[0])
    assert at.number_input(key="toy_n_iter").value == 1300


def test_toy_huge_step_with_every_rule():
    for rule in ("fixed", "armijo", "bb"):
        at = _page("toy", {"rule": rule, "step": "1e9", "n_iter": "100"})
        assert not at.exception, rule
        if rule == "fixed":
            assert any("diverged" in w.value.lower() for w in at.warning)
        else:  # a line search shrinks any first trial to a safe step
            assert not at.warning, rule


# CT page (32 x 32 keeps these quick).

SMALL = {"tab": "reconstruction", "n": "32", "prior": "gaussian", "n_iter": "6", "frame": "6"}


def test_ct_every_start_at_once():
    inits = "zeros,constant,fbp,noise,phantom"
    at = _page("ct", SMALL | {"inits": inits})
    assert not at.exception and not at.warning
    at.button(key="ct_rec_btn_step").click().run()
    assert not at.exception
    psnr = {k: v for k, v in _metrics(at).items() if k.startswith("PSNR ")}
    assert len(psnr) == 5
    assert _metrics(at)["Iteration"] == "6 / 6"


def test_ct_one_iteration_one_start_one_angle_no_noise():
    at = _page("ct", SMALL | {"n_iter": "1", "inits": "zeros", "n_angles": "1", "noise_level": "0"})
    assert not at.exception and not at.warning
    at.button(key="ct_rec_btn_step").click().run()
    assert not at.exception
    assert _metrics(at)["Iteration"] == "1 / 1"
    assert at.button(key="ct_rec_btn_step").disabled


def test_ct_zero_iterations_and_huge_values_in_the_link_warn():
    at = _page("ct", SMALL | {"n_iter": "0", "n_angles": "100000", "noise_level": "5", "step_size": "1e300"})
    assert not at.exception
    assert len(at.warning) == 1
    for word in ("n_iter", "n_angles", "noise_level", "step_size"):
        assert word in _shown(at.warning[0])
    assert _metrics(at)["Iteration"] == "0 / 200"


def test_ct_huge_fixed_step_stops_with_a_message_and_the_page_recovers():
    at = _page("ct", SMALL | {"step_rule": "fixed", "step_size": "1e6", "clip": "0", "inits": "zeros,noise",
                              "n_iter": "40"})
    at.button(key="ct_rec_btn_end").click().run()
    assert not at.exception
    assert any("NaN or Inf detected" in e.value for e in at.error)
    # Back to a sane step: a new run starts and steps normally.
    at.number_input(key="ct_step_size").set_value(1.0).run()
    at.button(key="ct_rec_btn_step").click().run()
    assert not at.exception and not at.error
    assert _metrics(at)["Iteration"] == "6 / 40"


def test_ct_inconsistent_t_range_from_the_widgets_warns():
    at = _page("ct", SMALL)
    at.number_input(key="ct_t_min").set_value(1.0).run()
    assert not at.exception
    # The links' rule mends the pair: t_min falls back to its default, with the same warning a link gets.
    assert any("is not below t_max" in _shown(w) for w in at.warning)
    at.button(key="ct_rec_btn_step").click().run()
    assert not at.exception


@pytest.mark.parametrize("n, angles", [(256, 1), (32, 360)])
def test_ct_forward_model_at_the_slider_ends(n, angles):
    at = _page("ct", {"n": str(n), "n_angles": str(angles)})
    assert not at.exception and not at.warning
    assert float(_metrics(at)["FBP PSNR (dB)"]) > 0
