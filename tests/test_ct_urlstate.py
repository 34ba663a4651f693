"""URL state of the CT page: links round-trip, and every class of bad value falls back with a warning."""

from __future__ import annotations

from dataclasses import replace

import pytest

from explorer.app.urlstate import CTParams, ct_params_from_query, params_to_query

DEFAULTS = CTParams()


def test_defaults_round_trip_without_warnings() -> None:
    assert ct_params_from_query(params_to_query(DEFAULTS)) == (DEFAULTS, [])
    assert ct_params_from_query({}) == (DEFAULTS, [])


def test_changed_values_round_trip() -> None:
    changed = replace(DEFAULTS, tab="reconstruction", phantom="shepp-logan", seed=7, n=128, angles=60, noise=0.02,
                      noise_seed=3, filter="hann", clip_fbp=False, prior="gaussian", alpha=2e-3, method="gd",
                      schedule="linear", t_max=0.5, t_min=1e-4, iters=50, rule="fixed", step=2.5, clip=False,
                      inits=("constant", "zeros", "phantom"), init_seed=9, frame=11)
    assert ct_params_from_query(params_to_query(changed)) == (changed, [])


def test_tuned_values_are_left_out_of_the_link_and_read_back() -> None:
    query = params_to_query(DEFAULTS)
    assert "alpha" not in query and "step" not in query
    for word in ("", "tuned"):
        params, warnings = ct_params_from_query({"alpha": word, "step": word})
        assert params.alpha is None and params.step is None and warnings == []


@pytest.mark.parametrize("key, raw", [
    ("n", "40"),  # not a multiple of 16
    ("n", "512"),  # too large
    ("n", "abc"),
    ("angles", "0"),
    ("angles", "1e9"),
    ("noise", "nan"),
    ("noise", "-0.1"),
    ("alpha", "inf"),
    ("alpha", "0"),
    ("step", "-1"),
    ("iters", "2.5"),
    ("iters", "0"),
    ("t_max", "5"),
    ("seed", "-3"),
    ("phantom", "brain"),
    ("prior", "diffusion"),
    ("method", "newton"),
    ("rule", "wolfe"),
    ("tab", "settings"),
    ("inits", "zeros,ones"),
    ("inits", ","),
    ("clip", "maybe"),
    ("frame", "1000"),
])
def test_bad_values_fall_back_with_a_warning(key: str, raw: str) -> None:
    params, warnings = ct_params_from_query({key: raw})
    assert params == DEFAULTS
    assert len(warnings) == 1 and key in warnings[0]


def test_unknown_keys_repeated_keys_and_embed_keys() -> None:
    params, warnings = ct_params_from_query({"bogus": "1", "angles": ["10", "20"], "embed": "true"})
    assert params.angles == 20  # the last of a repeated key, as Streamlit reads it
    assert warnings == ["unknown URL parameter 'bogus' ignored"]


def test_inconsistent_t_range_and_duplicate_starts() -> None:
    params, warnings = ct_params_from_query({"t_min": "0.5", "t_max": "0.1", "inits": "fbp, zeros, fbp"})
    assert params.t_max == 0.1 and params.t_min == DEFAULTS.t_min
    assert len(warnings) == 1 and "t_min" in warnings[0]
    assert params.inits == ("fbp", "zeros")
