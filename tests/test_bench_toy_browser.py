"""The Toy page's browser benchmark prints every figure it measured (the timing itself runs by hand)."""

from __future__ import annotations

from explorer.bench.browser import cpu_check_ms
from explorer.bench.toy_browser import format_table


def test_the_table_names_every_measurement():
    playing = {"fps": 15.0, "play_through_s": 6.7}
    chart = {"top": 185.0, "bottom": 785.0, "visible_share": 1.0}
    result = {"first_figure_fresh_install_s": 11.2, "first_figure_cold_server_s": 6.0,
              "first_figure_warm_s": [2.9, 2.7, 3.1], "first_figure_returning_s": [2.4, 2.5, 2.3],
              "control_change_s": [0.4, 0.5, 0.45], "playback_fixed_t": playing, "playback_follow_t": playing,
              "chart_1440x900": chart, "chart_1280x720": {**chart, "visible_share": 0.89},
              "cpu_check_ms": [41.0, 43.0]}
    table = format_table(result).splitlines()
    assert len(table) == 12
    values = {line.rsplit("  ", 1)[0].strip(): line.rsplit("  ", 1)[1] for line in table}
    assert values["first figure, warm server, new visitor, median (s)"] == "2.90"
    assert values["first figure, warm server, returning visitor, median (s)"] == "2.40"
    assert values["landscape chart at 1280 x 720 (top-bottom px, share visible)"] == "185-785, 89%"
    assert values["CPU check before / after (ms; the host's speed at the time)"] == "41 / 43"


def test_the_cpu_check_times_real_work():
    assert 0.1 < cpu_check_ms(repeats=2) < 10_000
