"""URL state of the Toy page: every class of bad value falls back to its default with a warning."""

from __future__ import annotations

from dataclasses import fields, replace

import pytest

from explorer.app.urlstate import (CANDIDATES, MAX_STARTS, PRESETS, ToyParams, candidate_names, format_points,
                                   next_frame, parse_points, random_starts, starts_of, toy_params_from_query,
                                   toy_params_to_query)

DEFAULTS = ToyParams()


def test_defaults_round_trip_without_warnings() -> None:
    params, warnings = toy_params_from_query(toy_params_to_query(DEFAULTS))
    assert params == DEFAULTS
    assert warnings == []


def test_empty_query_gives_defaults() -> None:
    assert toy_params_from_query({}) == (DEFAULTS, [])


def test_changed_values_round_trip() -> None:
    changed = replace(DEFAULTS, method="gradient-like", step_rule="bb", schedule="cosine", t_max=0.3054, t_min=0.01,
                      n_iter=200, step_size=0.5, data_weight=0.02, prior_weight=0.1, starts="typed", k=7, seed=42,
                      points="1, 2; -3.5, 4", picks="-8, 0", follow=False, t=0.25, it=17, frame=5, maps=True,
                      sweep="full")
    params, warnings = toy_params_from_query(toy_params_to_query(changed))
    assert warnings == []
    assert params == changed


def test_query_values_are_all_strings() -> None:
    assert all(isinstance(v, str) for v in toy_params_to_query(DEFAULTS).values())
    assert set(toy_params_to_query(DEFAULTS)) == {f.name for f in fields(ToyParams)}


@pytest.mark.parametrize(
    "key, raw",
    [
        ("t_max", "nan"), ("t_max", "NaN"), ("t_max", "inf"), ("t_max", "-inf"), ("t_max", "1e400"),
        ("t_max", "-1"), ("t_max", "1e9"), ("t_max", "abc"), ("t_max", ""),
        ("t_min", "0"), ("t_min", "-0.001"), ("t_min", "nan"),
        ("n_iter", "0"), ("n_iter", "-5"), ("n_iter", "10000000000000000000000"), ("n_iter", "1.5"),
        ("n_iter", "many"),
        ("step_size", "0"), ("step_size", "-1"), ("step_size", "inf"), ("step_size", "1e300"), ("step", "0"),
        ("data_weight", "-0.01"), ("data_weight", "0"), ("prior_weight", "nan"), ("prior_weight", "5"),
        ("k", "0"), ("k", str(MAX_STARTS + 1)), ("k", "two"),
        ("seed", "-1"), ("seed", str(2**40)), ("seed", "0x10"),
        ("t", "0"), ("t", "1e6"), ("t", "inf"),
        ("it", "-2"), ("it", "999999"), ("frame", "0"), ("frame", "nan"),
        ("follow", "maybe"), ("follow", "2"), ("maps", "yes please"),
        ("method", "newton"), ("method", "GNC"), ("schedule", "exponential"), ("step_rule", "wolfe"),
        ("rule", "wolfe"),
        ("starts", "everywhere"), ("preset", "gnc-best"), ("sweep", "huge"),
        ("points", "1, 2, 3"), ("points", "a, b"), ("points", "nan, 1"), ("points", "1e3, 1"), ("points", ";"),
        ("picks", "1, 1"), ("picks", "-8, -8; 3, 3"), ("picks", "inf, 0"),
    ],
)
def test_bad_value_falls_back_with_one_warning(key: str, raw: str) -> None:
    params, warnings = toy_params_from_query({key: raw})
    assert params == DEFAULTS
    assert len(warnings) == 1
    assert key in warnings[0]


def test_unknown_keys_warn_and_are_ignored() -> None:
    params, warnings = toy_params_from_query({"foo": "1", "method": "gd", "__proto__": "x"})
    assert params == replace(DEFAULTS, method="gd")
    assert warnings == ["2 unknown URL parameters ignored: foo, __proto__"]


def test_many_unknown_keys_give_one_short_summary() -> None:
    query = {f"k{i}": "1" for i in range(1000)}
    params, warnings = toy_params_from_query(query)
    assert params == DEFAULTS
    assert len(warnings) == 1 and len(warnings[0]) < 200
    assert warnings[0].startswith("1000 unknown URL parameters ignored: k0, k1") and warnings[0].endswith("995 more")


def test_streamlit_embed_keys_are_not_ours_and_not_warned_about() -> None:
    assert toy_params_from_query({"embed": "true", "embed_options": "light_theme"}) == (DEFAULTS, [])


def test_repeated_key_takes_the_last_value() -> None:
    params, warnings = toy_params_from_query({"method": ["gd", "adaptive"]})
    assert params.method == "adaptive" and warnings == []


def test_wrong_python_types_do_not_raise() -> None:
    params, warnings = toy_params_from_query({"t_max": [], "n_iter": ["12", "x"]})
    assert params == DEFAULTS
    assert len(warnings) == 2


def test_t_min_not_below_t_max_falls_back() -> None:
    params, warnings = toy_params_from_query({"t_max": "0.5", "t_min": "0.7"})
    assert params.t_max == 0.5 and params.t_min == DEFAULTS.t_min
    assert len(warnings) == 1 and "t_min" in warnings[0]
    params, warnings = toy_params_from_query({"t_max": "0.5", "t_min": "0.5"})
    assert params.t_min < params.t_max


def test_t_max_below_the_default_t_min_falls_back_to_both_defaults() -> None:
    params, warnings = toy_params_from_query({"t_max": "0.0005", "t_min": "0.0009"})
    assert (params.t_max, params.t_min) == (DEFAULTS.t_max, DEFAULTS.t_min)
    assert warnings


def test_iteration_past_n_falls_back_to_the_last() -> None:
    params, warnings = toy_params_from_query({"n_iter": "100", "it": "500"})
    assert params.n_iter == 100 and params.it == -1
    assert len(warnings) == 1


def test_good_and_bad_values_mix() -> None:
    params, warnings = toy_params_from_query({"method": "gd", "t_max": "nan", "seed": "7"})
    assert (params.method, params.t_max, params.seed) == ("gd", DEFAULTS.t_max, 7)
    assert len(warnings) == 1


def test_warnings_are_one_line_and_short() -> None:
    _, warnings = toy_params_from_query({"points": "x" * 10_000})
    assert len(warnings) == 1 and "\n" not in warnings[0] and len(warnings[0]) < 300


def test_points_parse_and_format() -> None:
    assert parse_points("1, 2; -3.5,4 ;") == [(1.0, 2.0), (-3.5, 4.0)]
    assert parse_points(format_points([(1.0, 2.0), (-3.5, 4.0)])) == [(1.0, 2.0), (-3.5, 4.0)]
    with pytest.raises(ValueError):
        parse_points("")


def test_candidates_cover_the_window_and_parse() -> None:
    names = candidate_names()
    assert len(names) == len(CANDIDATES) ** 2
    assert all(len(parse_points(n)) == 1 for n in names)


def test_random_starts_are_named_by_the_seed() -> None:
    a, b, c = random_starts(5, 3), random_starts(5, 3), random_starts(5, 4)
    assert a == b and a != c
    assert all(-10 <= v <= 10 for p in a for v in p)


def test_presets_are_valid_and_their_starts_are_used() -> None:
    for name, preset in PRESETS.items():
        params, warnings = toy_params_from_query({"preset": name, "method": preset.method,
                                                  "step_rule": preset.step_rule, "t_max": repr(preset.t_max)})
        assert warnings == []
        assert starts_of(params) == [preset.start]


def test_starts_of_each_mode() -> None:
    assert starts_of(replace(DEFAULTS, starts="random", k=3)) == random_starts(3, DEFAULTS.seed)
    assert starts_of(replace(DEFAULTS, starts="typed", points="1, 2")) == [(1.0, 2.0)]
    assert starts_of(replace(DEFAULTS, starts="grid", picks="-8, 8")) == [(-8.0, 8.0)]


def test_advance_moves_by_a_frame_and_stops_at_the_end() -> None:
    assert next_frame(0, 100, 13) == (13, True)
    assert next_frame(90, 100, 13) == (100, False)
    assert next_frame(100, 100, 13) == (100, False)
    assert next_frame(-5, 100, 0) == (1, True)


def test_links_made_before_the_rename_still_open() -> None:
    """`rule` and `step` were the Toy page's URL keys; old links keep their meaning, new links use the new names."""
    params, warnings = toy_params_from_query({"rule": "armijo", "step": "0.5"})
    assert warnings == [] and (params.step_rule, params.step_size) == ("armijo", 0.5)
    query = toy_params_to_query(params)
    assert query["step_rule"] == "armijo" and "rule" not in query and "step" not in query
    both, _ = toy_params_from_query({"step_rule": "bb", "rule": "armijo"})
    assert both.step_rule == "bb"  # the field's own key wins over the old one


def test_one_bad_typed_pair_is_reported_and_the_others_kept():
    params, warnings = toy_params_from_query({"starts": "typed", "points": "1, 2; 3, x; 4, 5; 100, 1"})
    assert params.points == "1, 2; 4, 5"
    assert len(warnings) == 2 and all("left out" in w and "the other 2 typed starts kept" in w for w in warnings)
    assert "'3, x'" in warnings[0] and "'100, 1'" in warnings[1]
    # Too many pairs: the first MAX_STARTS are kept, with one warning for the rest.
    params, warnings = toy_params_from_query({"points": "; ".join(["1, 1"] * (MAX_STARTS + 1))})
    assert params.points == "; ".join(["1, 1"] * MAX_STARTS) and len(warnings) == 1 and "1 left out" in warnings[0]
    # With no good pair at all the field falls back to its default, as before.
    params, warnings = toy_params_from_query({"starts": "typed", "points": "a; b"})
    assert params.points == ToyParams().points and len(warnings) == 1


def test_minus_zero_in_a_link_is_zero():
    params, warnings = toy_params_from_query({"starts": "grid", "picks": "-0, 8; 8, -0.0"})
    assert not warnings and params.picks == "0, 8; 8, 0"
