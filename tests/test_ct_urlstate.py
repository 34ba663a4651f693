"""URL state of the CT page: links round-trip, and every class of bad value falls back with a warning."""

from __future__ import annotations

from dataclasses import replace

import pytest

from explorer.app.urlstate import CT_ALIASES, CTParams, ct_params_from_query, ct_t_range, params_to_query

DEFAULTS = CTParams()


def test_defaults_round_trip_without_warnings() -> None:
    assert ct_params_from_query(params_to_query(DEFAULTS)) == (DEFAULTS, [])
    assert ct_params_from_query({}) == (DEFAULTS, [])


def test_changed_values_round_trip() -> None:
    changed = replace(DEFAULTS, tab="reconstruction", phantom="shepp-logan", seed=7, n=128, n_angles=60,
                      noise_level=0.02, noise_seed=3, filter="hann", clip_fbp=False, prior="gaussian", alpha=2e-3,
                      method="gd", schedule="linear", t_max=0.5, t_min=1e-4, n_iter=50, step_rule="fixed",
                      step_size=2.5, clip=False, inits=("constant", "zeros", "phantom"), init_seed=9, frame=11)
    assert ct_params_from_query(params_to_query(changed)) == (changed, [])


def test_tuned_values_are_left_out_of_the_link_and_read_back() -> None:
    query = params_to_query(DEFAULTS)
    assert "alpha" not in query and "step_size" not in query
    for word in ("", "tuned"):
        params, warnings = ct_params_from_query({"alpha": word, "step_size": word})
        assert params.alpha is None and params.step_size is None and warnings == []


@pytest.mark.parametrize("key, raw", [
    ("n", "40"),  # not a multiple of 16
    ("n", "512"),  # too large
    ("n", "abc"),
    ("n_angles", "0"),
    ("angles", "1e9"),
    ("noise_level", "nan"),
    ("noise", "-0.1"),
    ("alpha", "inf"),
    ("alpha", "0"),
    ("step_size", "-1"),
    ("step", "-1"),
    ("n_iter", "2.5"),
    ("iters", "0"),
    ("t_max", "5"),
    ("seed", "-3"),
    ("phantom", "brain"),
    ("prior", "diffusion"),
    ("method", "newton"),
    ("step_rule", "wolfe"),
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
    params, warnings = ct_params_from_query({"bogus": "1", "n_angles": ["10", "20"], "embed": "true"})
    assert params.n_angles == 20  # the last of a repeated key, as Streamlit reads it
    assert warnings == ["unknown URL parameter 'bogus' ignored"]


def test_inconsistent_t_range_and_duplicate_starts() -> None:
    params, warnings = ct_params_from_query({"t_min": "0.5", "t_max": "0.1", "inits": "fbp, zeros, fbp"})
    assert params.t_max == 0.1 and params.t_min == DEFAULTS.t_min
    assert len(warnings) == 1 and "t_min" in warnings[0]
    assert params.inits == ("fbp", "zeros")


def test_an_old_link_opens_with_the_same_parameters() -> None:
    """Links made before the rename (angles, noise, iters, rule, step) read as today's names, without warnings."""
    old = {"tab": "reconstruction", "angles": "60", "noise": "0.02", "iters": "50", "rule": "fixed", "step": "2.5",
           "method": "gd"}
    new = {"tab": "reconstruction", "n_angles": "60", "noise_level": "0.02", "n_iter": "50", "step_rule": "fixed",
           "step_size": "2.5", "method": "gd"}
    assert set(CT_ALIASES) == {"angles", "noise", "iters", "rule", "step"}
    params, warnings = ct_params_from_query(old)
    assert warnings == [] and (params, warnings) == ct_params_from_query(new)
    assert (params.n_angles, params.noise_level, params.n_iter, params.step_rule, params.step_size) == (
        60, 0.02, 50, "fixed", 2.5)
    # The link the page writes back uses today's names only, and reads back the same.
    written = params_to_query(params)
    assert not set(written) & set(CT_ALIASES) and ct_params_from_query(written) == (params, [])
    # A link carrying both spellings keeps the new one.
    assert ct_params_from_query({"iters": "10", "n_iter": "20"})[0].n_iter == 20


def test_the_page_mends_a_typed_t_range_by_the_links_rule() -> None:
    assert ct_t_range(0.5, 1e-3) == (0.5, 1e-3, [])
    t_max, t_min, warnings = ct_t_range(1.0, 1.0)
    assert (t_max, t_min) == (1.0, DEFAULTS.t_min) and len(warnings) == 1 and "t_min" in warnings[0]
    params, link_warnings = ct_params_from_query({"t_max": "1.0", "t_min": "1.0"})
    assert (params.t_max, params.t_min) == (t_max, t_min) and link_warnings == warnings
