"""Starts placed by clicking on the landscape: checked input, add, remove, limits."""

import math

import pytest

from explorer.app.toy_starts import PICK_RADIUS, clicked_point, toggle_start
from explorer.app.urlstate import MAX_STARTS, parse_points, format_points


@pytest.mark.parametrize("payload", [None, "1,2", {"x": 1}, {"x": "1", "y": 2}, {"x": math.nan, "y": 0},
                                     {"x": math.inf, "y": 0}, {"x": 11, "y": 0}, {"x": True, "y": 0}, [1, 2]])
def test_a_click_report_that_is_not_a_point_in_the_window_is_ignored(payload):
    assert clicked_point(payload) is None


def test_a_click_is_rounded_to_hundredths():
    assert clicked_point({"x": 1.23456, "y": -0.004}) == (1.23, 0.0)


def test_a_click_adds_a_start_and_a_click_on_it_removes_it():
    starts, said = toggle_start([(-3.94, -7.17)], (2.0, 3.0))
    assert starts == [(-3.94, -7.17), (2.0, 3.0)] and "Added" in said
    starts, said = toggle_start(starts, (2.0 + PICK_RADIUS / 2, 3.0))
    assert starts == [(-3.94, -7.17)] and "Removed" in said
    # The result reads back as typed starts.
    assert parse_points(format_points(starts)) == starts


def test_the_last_start_stays_and_the_limit_holds():
    starts, said = toggle_start([(1.0, 1.0)], (1.1, 1.0))
    assert starts == [(1.0, 1.0)] and "only start" in said
    full = [(float(i) - 9, 0.0) for i in range(MAX_STARTS)]
    starts, said = toggle_start(full, (5.0, 5.0))
    assert starts == full and f"At most {MAX_STARTS}" in said
