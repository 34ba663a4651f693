"""The Toy page runs headless: its widgets drive the run, the shown iteration, the landscape and the maps."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from explorer.app.tables import read_html_table
from explorer.app.urlstate import ToyParams, toy_params_to_query
from explorer.figures.toy import NEUTRAL_TEXT

PAGE = Path(__file__).resolve().parents[1] / "views" / "toy.py"
TIMEOUT = 120


def _page(query: dict[str, str] | None = None) -> AppTest:
    at = AppTest.from_file(str(PAGE), default_timeout=TIMEOUT)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    return at.run()


def _charts(at: AppTest) -> dict[str, dict]:
    """Plotly figures by their uirevision (stable names for the page's charts)."""
    specs = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    return {s["layout"].get("uirevision"): s for s in specs}


def _array(value) -> np.ndarray:
    """A plotly JSON array, plain or base64 typed buffer (plotly 6+)."""
    if isinstance(value, dict) and "bdata" in value:
        data = np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"]))
        shape = value.get("shape")
        if isinstance(shape, str):
            shape = [int(n) for n in shape.split(",")]
        return data.reshape(shape) if shape else data
    return np.asarray(value, dtype=float)


def _iteration(at: AppTest) -> int:
    """The iteration the page shows (the figure opens on it; the diagnostics and the link use it)."""
    return int(at.session_state["toy_it"])


def _opening_frame(at: AppTest) -> int:
    """The iteration of the frame the landscape chart opens on (its slider's active step)."""
    slider = _charts(at)["toy-landscape"]["layout"]["sliders"][0]
    return int(slider["steps"][slider.get("active", 0)]["value"])


def _results(at: AppTest):
    """The results table's cells, as the page shows them."""
    return read_html_table(next(h.proto.body for h in at.html if "<table" in h.proto.body))


def _warnings(at: AppTest) -> list[str]:
    # Pages escape the text of warnings; the words are what the reader sees.
    return [w.value.replace("\\", "").replace("\u2060", "") for w in at.warning]


@pytest.fixture(scope="module")
def app() -> AppTest:
    return _page()


def test_default_run(app: AppTest) -> None:
    assert not app.exception
    charts = _charts(app)
    assert {"toy-landscape", "toy-diagnostics"} <= set(charts)
    assert _iteration(app) == ToyParams().n_iter
    assert _warnings(app) == []
    assert _results(app)["ends at"].tolist() == ["x*"]  # the authors' first GNC path reaches x*
    # Headings are Markdown, where t_1 ... t_N as plain text lost its underscores: the schedule's is typeset.
    assert "Schedule $t_1 > \\dots > t_N$" in [heading.value for heading in app.subheader]
    # Following t_k the title names the iteration first: at 1280 x 720 the chart's toolbar covers the title's end.
    assert _charts(app)["toy-landscape"]["layout"]["title"]["text"].startswith(f"k = {ToyParams().n_iter}, t_k = ")


def test_both_charts_are_sent_self_styled_without_streamlits_theme(app: AppTest) -> None:
    themes = {json.loads(c.proto.spec)["layout"].get("uirevision"): c.proto.theme for c in app.get("plotly_chart")}
    assert themes["toy-landscape"] == "" and themes["toy-diagnostics"] == ""
    for name in ("toy-landscape", "toy-diagnostics"):
        layout = _charts(app)[name]["layout"]
        # Transparent paper and one grey for the text: readable on a light and a dark page without the theme.
        assert layout["paper_bgcolor"] == "rgba(0,0,0,0)" and layout["font"]["color"] == NEUTRAL_TEXT, name
        # Plotly's empty "none" template, not Streamlit's (whose placeholder colours only its theme pass replaces).
        assert "layout" not in layout["template"] and "#000001" not in json.dumps(layout), name


def test_a_second_visitor_gets_the_figures_already_built(app: AppTest, monkeypatch) -> None:
    """The first figure of a new session on a warm server comes from the figure cache, not a rebuild."""
    import explorer.figures.toy as figures

    def refuse(*args, **kwargs):
        raise AssertionError("figure rebuilt")

    monkeypatch.setattr(figures, "landscape_figure", refuse)
    monkeypatch.setattr(figures, "diagnostics_figure", refuse)
    again = _page()
    assert not again.exception
    assert _charts(again) == _charts(app)
    changed = _page({"t_max": "2.5"})  # other settings: built anew, so the refusal shows
    assert changed.exception


def test_a_second_visitor_gets_the_figures_already_converted(app: AppTest, monkeypatch) -> None:
    """The kept figures are frozen: a new session sends their plain form as made, without plotly converting them
    (for the landscape a copy and 400-odd array encodings) again."""
    import plotly.graph_objects as go

    def refuse(self):
        raise AssertionError("figure converted again")

    monkeypatch.setattr(go.Figure, "to_dict", refuse)
    again = _page()
    assert not again.exception
    assert _charts(again) == _charts(app)


def test_default_run_writes_its_state_to_the_url(app: AppTest) -> None:
    query = {k: v for k, v in app.query_params.items()}
    assert query["method"] in ("gnc", ["gnc"])
    assert set(query) == set(toy_params_to_query(ToyParams()))


def test_step_reset_and_end_move_the_shown_iteration(app: AppTest) -> None:
    frame = ToyParams().frame
    app.button(key="toy_btn_reset").click().run()
    assert _iteration(app) == 0 and _opening_frame(app) == 0
    for i in range(1, 4):
        app.button(key="toy_btn_step").click().run()
        assert not app.exception
        assert _iteration(app) == i * frame and _opening_frame(app) == i * frame
    app.button(key="toy_btn_end").click().run()
    assert _iteration(app) == ToyParams().n_iter == _opening_frame(app)


def test_playback_frames_cover_the_run_in_the_browser() -> None:
    """One plotly frame every `frame` iterations, the last iteration and the shown one; Play animates them."""
    at = _page({"n_iter": "40", "frame": "15", "it": "20", "follow": "0"})
    spec = _charts(at)["toy-landscape"]
    assert [f["name"] for f in spec["frames"]] == ["0", "15", "20", "30", "40"]
    play = spec["layout"]["updatemenus"][0]["buttons"][0]
    assert play["label"] == "Play" and play["method"] == "animate"
    # Each frame moves the travelled path and the current point of every start, nothing else at a fixed t.
    moving = spec["frames"][-1]["traces"]
    assert len(moving) == 2 and not spec["frames"][-1].get("layout")
    long = _page({"n_iter": "5000", "frame": "1"})
    frames = _charts(long)["toy-landscape"]["frames"]
    assert len(frames) <= 202  # at most MAX_FRAMES, plus the last and the shown one
    # Following t_k, a frame also switches the visible backdrop (a flag: the images are sent once) and the title.
    flags = [image["visible"] for image in frames[-1]["layout"]["images"]]
    assert flags.count(True) == 1 and "k = 5000" in frames[-1]["layout"]["title"]["text"]


def test_scrubbing_to_the_start_puts_the_current_point_on_x0(app: AppTest) -> None:
    app.button(key="toy_btn_reset").click().run()
    spec = _charts(app)["toy-landscape"]
    start = [t for t in spec["data"] if str(t.get("marker", {}).get("symbol", "")).endswith("-open")][0]
    current = spec["data"][-1]
    np.testing.assert_allclose(_array(current["x"]), _array(start["x"]))


def test_changing_method_reruns(app: AppTest) -> None:
    before = _array(_charts(app)["toy-diagnostics"]["data"][0]["y"])
    app.selectbox(key="toy_method").set_value("gd").run()
    assert not app.exception
    after = _array(_charts(app)["toy-diagnostics"]["data"][0]["y"])
    assert not np.allclose(before, after, equal_nan=True)
    assert np.allclose(after, ToyParams().t_min)  # plain descent runs at t_min throughout
    app.selectbox(key="toy_method").set_value("gnc").run()


def test_changing_t_reshapes_the_landscape_and_the_convexity_indicator(app: AppTest) -> None:
    app.toggle(key="toy_follow").set_value(False).run()
    app.select_slider(key="toy_t").set_value(0.01).run()
    assert not app.exception
    small = _charts(app)["toy-landscape"]["layout"]["images"][0]["source"]
    assert any("(not convex)" in c.value for c in app.caption)  # at small t
    app.select_slider(key="toy_t").set_value(2.0).run()
    large = _charts(app)["toy-landscape"]["layout"]["images"][0]["source"]
    assert small.startswith("data:image/") and large.startswith("data:image/") and small != large
    assert any("(convex)" in c.value for c in app.caption)  # above the threshold (about 0.98)
    assert any("t >= 0.98" in c.value for c in app.caption)


def test_preset_sets_method_and_t_max() -> None:
    at = _page()
    at.selectbox(key="toy_preset").set_value("gl-local").run()
    assert not at.exception
    assert at.selectbox(key="toy_method").value == "gradient-like"
    assert at.selectbox(key="toy_step_rule").value == "armijo"
    assert at.number_input(key="toy_t_max").value == pytest.approx(0.152)
    assert _results(at)["start"].tolist() == ["1: (2.12, -5.56)"]


def test_random_typed_and_grid_starts() -> None:
    at = _page({"n_iter": "100"})
    at.radio(key="toy_starts").set_value("random").run()
    at.number_input(key="toy_k").set_value(4).run()
    assert not at.exception and len(_results(at)) == 4
    first = _results(at)["start"].tolist()
    at.number_input(key="toy_seed").set_value(1).run()
    assert _results(at)["start"].tolist() != first
    at.radio(key="toy_starts").set_value("typed").run()
    at.text_input(key="toy_points").input("1, 2; -3, 4; 5, 5").run()
    assert not at.exception and len(_results(at)) == 3
    at.text_input(key="toy_points").input("1, 2, 3").run()
    assert not at.exception and any("points" in w for w in _warnings(at))
    at.radio(key="toy_starts").set_value("grid").run()
    at.multiselect(key="toy_picks").set_value(["-8, -8", "0, 4", "8, 8"]).run()
    assert not at.exception
    assert _results(at)["start"].tolist() == ["1: (-8, -8)", "2: (0, 4)", "3: (8, 8)"]


def test_maps_button_shows_basin_reach_and_rate() -> None:
    at = _page({"n_iter": "150"})
    assert "toy-basin" not in _charts(at)
    at.button(key="toy_btn_maps").click().run()
    assert not at.exception
    charts = _charts(at)
    assert {"toy-basin", "toy-reach", "toy-rate"} <= set(charts)
    labels = _array(charts["toy-basin"]["data"][0]["z"])
    assert labels.min() >= -1 and labels.max() <= 3
    assert at.query_params["maps"] in ("1", ["1"])


def test_maps_survive_reruns_and_control_changes() -> None:
    """A cache hit on the sweep must not replay a progress bar made outside it (CacheReplayClosureError)."""
    at = _page({"n_iter": "150"})
    at.button(key="toy_btn_maps").click().run()
    assert not at.exception
    first = _array(_charts(at)["toy-rate"]["data"][0]["z"])
    at.run()
    assert not at.exception, at.exception
    at.run()
    assert not at.exception, at.exception
    assert np.array_equal(_array(_charts(at)["toy-rate"]["data"][0]["z"]), first, equal_nan=True)
    at.number_input(key="toy_t_max").set_value(2.0).run()
    assert not at.exception, at.exception
    at.run()
    assert not at.exception, at.exception
    assert {"toy-basin", "toy-reach", "toy-rate"} <= set(_charts(at))


def test_query_params_reproduce_the_view() -> None:
    wanted = {"method": "gradient-like", "rule": "armijo", "t_max": "0.152", "n_iter": "300", "starts": "typed",
              "points": "2.12, -5.56; 4, 4", "it": "120", "follow": "0", "t": "0.5", "frame": "7"}
    at = _page(wanted)
    assert not at.exception and _warnings(at) == []
    assert at.selectbox(key="toy_method").value == "gradient-like"
    assert at.selectbox(key="toy_step_rule").value == "armijo"
    assert at.number_input(key="toy_n_iter").value == 300
    assert _iteration(at) == 120
    assert at.select_slider(key="toy_t").value == 0.5
    assert "t = 0.5" in _charts(at)["toy-landscape"]["layout"]["title"]["text"]
    assert _opening_frame(at) == 120
    assert _results(at)["start"].tolist() == ["1: (2.12, -5.56)", "2: (4, 4)"]
    # The URL written back names the same view, so a copied link reproduces it.
    again = _page({k: (v[-1] if isinstance(v, list) else v) for k, v in at.query_params.items()})
    assert _iteration(again) == 120
    np.testing.assert_allclose(_array(_charts(again)["toy-landscape"]["data"][-1]["x"]),
                               _array(_charts(at)["toy-landscape"]["data"][-1]["x"]))


def test_bad_query_params_warn_and_fall_back() -> None:
    at = _page({"t_max": "nan", "n_iter": "-4", "method": "newton", "bogus": "1", "t_min": "5", "it": "1e9",
                "points": "inf, 0", "starts": "typed"})
    assert not at.exception
    warnings = _warnings(at)
    assert len(warnings) == 1  # one line
    for word in ("t_max", "n_iter", "method", "bogus", "it", "points"):
        assert word in warnings[0]
    assert at.selectbox(key="toy_method").value == ToyParams().method
    assert _iteration(at) == ToyParams().n_iter


def test_divergent_step_warns_naming_the_starts() -> None:
    at = _page({"step": "1e6", "starts": "typed", "points": "-3.94, -7.17; 9.19, 4.14", "n_iter": "200"})
    assert not at.exception
    diverged = [w for w in _warnings(at) if "diverged" in w.lower()]
    assert len(diverged) == 1
    assert "(-3.94, -7.17)" in diverged[0] and "(9.19, 4.14)" in diverged[0]
    assert set(_results(at)["ends at"]) == {"diverged"}


def test_inconsistent_widgets_warn_instead_of_raising() -> None:
    at = _page()
    at.number_input(key="toy_t_min").set_value(0.9).run()
    at.number_input(key="toy_t_max").set_value(0.5).run()
    assert not at.exception
    assert any("t_min" in w for w in _warnings(at))


def test_coming_back_without_a_url_restores_the_last_view() -> None:
    at = _page({"n_iter": "100"})
    at.selectbox(key="toy_method").set_value("gd").run()
    last = at.session_state["toy_last_query"]
    assert last["method"] == "gd" and last["n_iter"] == "100"
    # Switching pages clears the URL and the page's widgets; only the session's memory of the view is left.
    back = AppTest.from_file(str(PAGE), default_timeout=TIMEOUT)
    back.session_state["toy_last_query"] = last
    back.run()
    assert not back.exception
    assert back.selectbox(key="toy_method").value == "gd"
    assert back.number_input(key="toy_n_iter").value == 100


def test_the_equations_follow_the_method_and_step_rule() -> None:
    """The objective, the chosen method's update and its step rule show as LaTeX beside the landscape."""
    from explorer.core.registry import METHODS, STEP_RULES

    at = _page({"n_iter": "50"})
    shown = [e.value.strip("$\n") for e in at.latex]
    assert METHODS["gnc"].latex in shown and STEP_RULES["fixed"].latex in shown
    at.selectbox(key="toy_method").set_value("gd").run()
    at.selectbox(key="toy_step_rule").set_value("armijo").run()
    shown = [e.value.strip("$\n") for e in at.latex]
    assert METHODS["gd"].latex in shown and STEP_RULES["armijo"].latex in shown
    assert METHODS["gnc"].latex not in shown


def test_the_preset_says_when_its_settings_were_changed() -> None:
    at = _page({"n_iter": "1300"})

    def notes() -> list[str]:
        return [c.value for c in at.sidebar.caption if "your own" in c.value]

    assert notes() == []
    at.number_input(key="toy_t_max").set_value(2.0).run()
    assert not at.exception
    assert len(notes()) == 1 and "(-3.94, -7.17)" in notes()[0] and "t_max" in notes()[0]
    at.number_input(key="toy_t_max").set_value(3.511).run()
    assert notes() == []


def test_a_run_that_leaves_the_window_says_so_in_the_chart_the_table_and_a_warning() -> None:
    at = _page({"method": "gradient-like", "step_rule": "fixed", "step_size": "1000", "preset": "gl-global"})
    assert not at.exception
    assert any("left the window" in w.value for w in at.warning)
    notes = [a["text"] for a in _charts(at)["toy-landscape"]["layout"].get("annotations", [])]
    assert any("left the window at k = " in text for text in notes)
    assert any("left the window" in h.proto.body for h in at.get("html"))


def test_changing_the_method_offers_the_authors_step_rule_in_one_click() -> None:
    at = _page()
    assert not [b for b in at.sidebar.button if b.key == "toy_btn_authors_rule"]  # GNC with its fixed step
    at.selectbox(key="toy_method").set_value("gradient-like").run()
    at.button(key="toy_btn_authors_rule").click().run()
    assert at.selectbox(key="toy_step_rule").value == "armijo" and at.number_input(key="toy_step_size").value == 1.0
    assert not [b for b in at.sidebar.button if b.key == "toy_btn_authors_rule"] and not at.exception


def test_a_bad_typed_pair_is_reported_and_the_others_run() -> None:
    at = _page({"starts": "typed", "points": "1, 2; 3, x; 4, 5"})
    assert not at.exception
    assert any("3, x" in w.value and "kept" in w.value for w in at.warning)
    table = next(h.proto.body for h in at.get("html") if "<table" in h.proto.body)
    assert "1: (1, 2)" in table and "2: (4, 5)" in table and "3: (" not in table


def test_compare_runs_a_second_method_from_the_same_starts_in_a_synced_panel() -> None:
    at = _page({"compare": "gd", "starts": "random", "k": "3", "it": "650"})
    assert not at.exception
    fig = _charts(at)["toy-landscape"]
    panels = {t.get("xaxis", "x") for t in fig["data"]}
    assert panels == {"x", "x2"}  # two panels
    # One set of frames moves both panels: each frame carries every start's path and iterate in each.
    assert all(len(f["data"]) == 2 * 2 * 3 for f in fig["frames"])
    texts = [a["text"] for a in fig["layout"]["annotations"]]
    assert any(text.startswith("GNC flow") for text in texts) and any(text.startswith("Gradient descent") for text in texts)
    # The second panel shades plain descent's own landscape, f = F(., t_min): its image differs from the first's.
    images = fig["layout"]["images"]
    first = [im["source"] for im in images if im["xref"] == "x" and im["visible"]]
    second = [im["source"] for im in images if im["xref"] == "x2" and im["visible"]]
    assert first and second and first != second
    assert any(h.startswith("ends at, Gradient descent") for h in _results(at).columns)
    assert at.query_params["compare"] == "gd"


def test_presentation_mode_is_kept_in_the_link_and_hides_the_secondary_parts() -> None:
    at = _page({"present": "1"})
    assert not at.exception and at.toggle(key="toy_present").value
    assert at.query_params["present"] == "1"
    assert not [b for b in at.button if b.key == "toy_btn_maps"]  # the maps stay off a projected page
    layout = _charts(at)["toy-landscape"]["layout"]
    assert layout["font"]["size"] == round(12 * 1.4) and layout["height"] == 640


def test_maps_first_puts_the_maps_above_the_live_view() -> None:
    at = _page({"maps": "1", "maps_first": "1", "sweep": "quick"})
    assert not at.exception
    order = [json.loads(c.proto.spec)["layout"].get("uirevision") for c in at.get("plotly_chart")]
    assert order.index("toy-basin") < order.index("toy-landscape")
    assert at.query_params["maps_first"] == "1"


def test_presentation_mode_keeps_an_open_lessons_panel() -> None:
    from explorer.app.styles import PRESENT_CSS, PRESENT_LESSON_CSS

    alone = _page({"present": "1"})
    with_lesson = _page({"present": "1", "lesson": "trapped", "step": "1"})
    css = [h.proto.body for h in alone.html] + ["|"] + [h.proto.body for h in with_lesson.html]
    assert PRESENT_CSS in css[: css.index("|")]  # the sidebar hidden
    assert PRESENT_LESSON_CSS in css[css.index("|"):] and 'stSidebar"]' not in PRESENT_LESSON_CSS
    assert any("1. A non-convex prior" in m.value for m in with_lesson.sidebar.markdown)
