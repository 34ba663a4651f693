"""Lessons: their steps set what their texts claim, lesson mode's URL keys are read and checked, the Lessons page
runs for each lesson, and each lesson's link opens its page cleanly."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from explorer.app.lessons import (
    LESSONS,
    PAGES,
    Position,
    deep_link,
    find_lesson,
    lesson_params,
    move,
    read_position,
    target_query,
    view_numbers,
    view_step,
    without_lesson,
)
from explorer.app.urlstate import (
    LESSON_KEYS,
    CTParams,
    ToyParams,
    ct_params_from_query,
    starts_of,
    toy_params_from_query,
)

ROOT = Path(__file__).resolve().parents[1]
LESSONS_PAGE = ROOT / "views" / "lessons.py"
TOY_PAGE = ROOT / "views" / "toy.py"
CT_PAGE = ROOT / "views" / "ct.py"
TIMEOUT = 60
TOY_LESSONS = [lesson for lesson in LESSONS if lesson.page == "toy"]
CT_LESSONS = [lesson for lesson in LESSONS if lesson.page == "ct"]
READERS = {"toy": toy_params_from_query, "ct": ct_params_from_query}
# (lesson, step number) of every step that sets up a view of its own.
VIEWS = [(lesson, number) for lesson in LESSONS for number in view_numbers(lesson)]
# Toy page widgets by the ToyParams field they hold: (AppTest accessor, widget key).
TOY_WIDGETS = {
    "method": "selectbox", "step_rule": "selectbox", "preset": "selectbox", "schedule": "selectbox",
    "starts": "radio", "k": "number_input", "seed": "number_input", "step_size": "number_input",
    "t_max": "number_input", "t_min": "number_input", "n_iter": "number_input", "follow": "toggle",
    "t": "select_slider",
}


def _by_slug(slug: str):
    return next(lesson for lesson in LESSONS if lesson.slug == slug)


def _view_id(item) -> str:
    lesson, number = item
    return f"{lesson.slug}-{number}"


# The lessons as data.


def test_the_lessons_are_well_formed():
    assert len(LESSONS) >= 6
    assert len({lesson.slug for lesson in LESSONS}) == len(LESSONS)
    assert {lesson.page for lesson in LESSONS} == set(PAGES)
    for lesson in LESSONS:
        assert lesson.title and lesson.text and lesson.equation and lesson.lead
        assert len(lesson.steps) >= 2, lesson.slug
        assert lesson.steps[0].view is not None and lesson.query == lesson.steps[0].view
        for step in lesson.steps:
            assert step.text and len(step.text) <= 260, (lesson.slug, step.text)
            assert step.view is None or not set(step.view) & set(LESSON_KEYS), lesson.slug


def test_lesson_texts_hold_no_control_characters():
    # A "\t" or "\f" meant for LaTeX but written in a plain string becomes a tab or a form feed and breaks the formula.
    for lesson in LESSONS:
        for text in (lesson.title, lesson.text, lesson.equation, *(step.text for step in lesson.steps)):
            assert text.isprintable(), lesson.slug


@pytest.mark.parametrize("item", VIEWS, ids=_view_id)
def test_every_step_view_parses_without_warnings_to_its_values(item):
    lesson, number = item
    view = lesson.steps[number - 1].view
    params, warnings = READERS[lesson.page](view)
    assert warnings == []
    link = target_query(lesson, number)
    for key, value in view.items():
        assert link[key] == value, key
    # The link carries every field and lesson mode's keys, and reads back to the same parameters without a warning.
    assert (link["lesson"], link["step"]) == (lesson.slug, str(number))
    assert READERS[lesson.page](link) == (params, [])
    assert parse_qs(urlsplit(deep_link(lesson, "http://host:1", number)).query) == {k: [v] for k, v in link.items()}
    assert deep_link(lesson, number=number).startswith(f"/{lesson.page}?")


def test_each_view_step_shows_another_view_than_the_one_before():
    for lesson, number in VIEWS:
        if number > 1:
            before = target_query(lesson, view_step(lesson, number - 1))
            assert without_lesson(target_query(lesson, number)) != without_lesson(before), (lesson.slug, number)


def test_the_lessons_claim_what_their_texts_say():
    def params(slug: str, number: int):
        lesson = _by_slug(slug)
        return READERS[lesson.page](lesson.steps[view_step(lesson, number) - 1].view)[0]

    assert (params("trapped", 1).method, params("trapped", 1).starts, params("trapped", 1).k) == ("gd", "random", 6)
    assert params("trapped", 3).method == "gnc" and params("trapped", 3).n_iter == 5000
    assert [params("smoothing", i).t for i in (1, 2, 3, 4)] == [0.1, 0.5, 1.0, 0.001]
    assert not any(params("smoothing", i).follow for i in (1, 2, 3, 4))
    assert [(params("gnc-flow", i).t_max, params("gnc-flow", i).maps) for i in (1, 2, 3)] == [
        (1.0, True), (0.3, True), (5.0, True)]
    assert all(params("gnc-flow", i).maps_first for i in (1, 2, 3))  # a lesson on the maps opens on them
    assert {params("gradient-like", i).step_rule for i in (1, 2, 3)} == {"armijo"}
    assert [params("gradient-like", i).t_max for i in (1, 2, 3)] == [0.152, ToyParams.t_max, 0.3]
    assert [(params("step-sizes", i).step_rule, params("step-sizes", i).step_size) for i in (1, 2, 3, 4)] == [
        ("fixed", 30.0), ("fixed", 60.0), ("armijo", 30.0), ("bb", 30.0)]
    starts = params("ct-starts", 1)
    assert starts.tab == "reconstruction" and starts.method == "gnc" and len(starts.inits) >= 4
    assert params("ct-starts", 2) == starts and params("ct-starts", 3).prior == "gaussian"
    three = [params("three-problems", i) for i in (1, 2, 3)]
    assert [p.problem for p in three] == ["sparse-ct", "deblur", "inpaint"]
    assert {(p.tab, p.method, p.inits) for p in three} == {("reconstruction", "gnc", ("zeros", "fbp", "noise",
                                                                                       "constant"))}


def _ends(slug: str, number: int, **changes):
    """Where each start of a toy step's view ends (the Toy page's words), |grad f| there and the largest |x_i| on
    the way."""
    from explorer.core import schedules
    from explorer.core.registry import make_method, make_step_rule
    from explorer.toy import analysis
    from explorer.toy import fast as toy_fast
    from explorer.toy.problem import ToyProblem

    lesson = _by_slug(slug)
    view = {**lesson.steps[view_step(lesson, number) - 1].view, **changes}
    p, _ = toy_params_from_query(view)
    problem = ToyProblem(data_weight=p.data_weight, prior_weight=p.prior_weight, t_min=p.t_min)
    ts = schedules.make(p.schedule, p.t_max, p.t_min, p.n_iter).numpy()
    run = toy_fast.run_recorded(problem, np.array(starts_of(p), dtype=float), ts, make_method(p.method),
                                make_step_rule(p.step_rule, p.step_size))
    minima = problem.find_minima().numpy()
    diverged = run.diverged | ~np.isfinite(run.final).all(1) | ~np.isfinite(run.path).all((1, 2))
    ends = [analysis.describe_end(f, minima, d) for f, d in zip(run.final, diverged)]
    return ends, run.grad_norm, np.nanmax(np.abs(run.path), axis=(1, 2))


@pytest.mark.slow
def test_the_toy_steps_end_where_they_say():
    ends, _, _ = _ends("trapped", 1)
    assert len(ends) == 6 and all(end.startswith("local min") for end in ends)
    assert _ends("trapped", 3)[0] == ["x*"] * 6
    assert sum(end == "x*" for end in _ends("trapped", 4, n_iter="1300")[0]) == 3
    ends, grad, _ = _ends("gradient-like", 1)
    assert ends == ["local min 1"] and grad[0] < 0.01
    assert _ends("gradient-like", 2)[0] == ["x*"]
    ends, grad, _ = _ends("gradient-like", 3)
    assert ends == ["local min 3"] and grad[0] < 0.05
    ends, _, reach = _ends("step-sizes", 1)
    assert ends == ["x*"] and reach[0] > 10  # it leaves the window [-10, 10]^2 before settling
    assert _ends("step-sizes", 2)[0] == ["diverged"]
    assert _ends("step-sizes", 3)[0] == ["local min 1"]
    ends, _, reach = _ends("step-sizes", 4)
    assert ends == ["x*"] and reach[0] <= 10


@pytest.mark.slow
def test_the_gnc_flow_steps_give_the_shares_they_say():
    from explorer.core.registry import make_method, make_step_rule
    from explorer.toy import analysis
    from explorer.toy.problem import ToyProblem

    lesson = _by_slug("gnc-flow")
    shares = {}
    for number in (1, 2, 3):
        p, _ = toy_params_from_query(lesson.steps[number - 1].view)
        # The quick sweep's grid, as the Toy page computes the basin map (views/toy_results.py).
        basin = analysis.run_grid(ToyProblem(t_min=p.t_min), make_method(p.method),
                                  make_step_rule(p.step_rule, p.step_size), t_max=p.t_max, n_iter=p.n_iter, grid=40)
        shares[number] = [float(np.mean(basin.labels == v)) for v in (0, 1, 2, 3, analysis.NOT_CONVERGED)]
    assert round(shares[1][0], 2) == 0.87
    assert round(shares[2][0], 2) == 0.13 and 0.7 < sum(shares[2][1:4]) < 0.8  # "three starts in four"
    assert round(shares[3][0], 2) == 0.25 and shares[3][4] > 0.5


def test_the_smoothing_steps_show_what_they_say():
    from explorer.toy.problem import ToyProblem

    problem = ToyProblem()
    assert problem.min_eigenvalue(0.1, grid=61) < 0 and problem.min_eigenvalue(0.5, grid=61) < 0
    assert problem.min_eigenvalue(1.0, grid=61) > 0
    assert 0.9 < problem.convexity_threshold(grid=41) < 1.0


# Lesson mode: reading and moving.


def test_a_position_names_its_step():
    position = Position(_by_slug("trapped"), 2)
    assert (position.count, position.label) == (4, "Step 2 of 4")


def test_view_step_is_the_nearest_step_with_a_view():
    lesson = _by_slug("trapped")  # views at steps 1 and 3
    assert view_numbers(lesson) == (1, 3)
    assert [view_step(lesson, number) for number in (1, 2, 3, 4)] == [1, 1, 3, 3]


def test_read_position_takes_the_lesson_and_step_of_the_url():
    trapped = _by_slug("trapped")
    assert read_position({}, "toy") == (None, None)
    assert read_position({"method": "gd"}, "toy") == (None, None)
    assert read_position({"lesson": "trapped"}, "toy") == (Position(trapped, 1), None)
    assert read_position({"lesson": "trapped", "step": "3"}, "toy") == (Position(trapped, 3), None)
    # A repeated key counts by its last value, as Streamlit reads it.
    assert read_position({"lesson": ["smoothing", "trapped"], "step": ["1", "4"]}, "toy") == (Position(trapped, 4),
                                                                                             None)


@pytest.mark.parametrize("step", ["0", "5", "-1", "2.0", "two", "", "9" * 40])
def test_a_step_outside_the_lesson_warns_and_falls_back_to_step_one(step):
    position, warning = read_position({"lesson": "trapped", "step": step}, "toy")
    assert position == Position(_by_slug("trapped"), 1)
    assert "steps 1 to 4" in warning and "step 1" in warning


def test_an_unknown_lesson_or_one_of_another_page_warns_and_opens_without_a_lesson():
    position, warning = read_position({"lesson": "no-such-lesson", "step": "2"}, "toy")
    assert position is None and "no-such-lesson" in warning
    position, warning = read_position({"lesson": "ct-starts"}, "toy")
    assert position is None and "CT page" in warning
    long = "x" * 500
    assert len(read_position({"lesson": long}, "ct")[1]) < 120  # user text is cut short


def test_lesson_params_keep_only_a_valid_lesson_and_step():
    assert lesson_params({"method": "gd"}, "toy") == {}
    assert lesson_params({"lesson": "trapped", "step": "2", "method": "gd"}, "toy") == {"lesson": "trapped",
                                                                                       "step": "2"}
    assert lesson_params({"lesson": "trapped", "step": "99"}, "toy") == {"lesson": "trapped", "step": "1"}
    assert lesson_params({"lesson": "trapped"}, "ct") == {}
    assert lesson_params({"lesson": "bogus", "step": "1"}, "toy") == {}
    assert without_lesson({"lesson": "trapped", "step": "2", "method": "gd"}) == {"method": "gd"}


def test_move_keeps_the_view_within_one_and_loads_another():
    lesson = _by_slug("trapped")  # views at steps 1 and 3
    assert move(Position(lesson, 1), 1) == (Position(lesson, 2), None)
    assert move(Position(lesson, 2), 1) == (Position(lesson, 3), target_query(lesson, 3))
    assert move(Position(lesson, 3), -1) == (Position(lesson, 2), target_query(lesson, 2))
    assert target_query(lesson, 2) == {**target_query(lesson, 1), "step": "2"}
    assert move(Position(lesson, 4), -1) == (Position(lesson, 3), None)
    # The ends stay put.
    assert move(Position(lesson, 1), -1) == (Position(lesson, 1), None)
    assert move(Position(lesson, 4), 1) == (Position(lesson, 4), None)


def test_every_lesson_can_be_walked_through_and_back():
    for lesson in LESSONS:
        position = Position(lesson, 1)
        for number in range(2, len(lesson.steps) + 1):
            position, view = move(position, 1)
            assert position.number == number
            assert (view is None) == (lesson.steps[number - 1].view is None)
        for _ in lesson.steps:
            position, _ = move(position, -1)
        assert position.number == 1


# Lesson mode's keys in the pages' URL validators.


def test_lesson_keys_beside_a_lesson_raise_no_warning_on_either_page():
    for lesson in LESSONS:
        query = target_query(lesson, len(lesson.steps))
        assert READERS[lesson.page](query)[1] == []
    assert toy_params_from_query({"lesson": "trapped"}) == (ToyParams(), [])
    assert ct_params_from_query({"lesson": "ct-starts", "step": "2"}) == (CTParams(), [])


def test_step_without_a_lesson_is_still_an_old_links_step_size():
    params, warnings = toy_params_from_query({"step": "0.5"})
    assert params.step_size == 0.5 and warnings == []
    params, warnings = ct_params_from_query({"step": "0.5"})
    assert params.step_size == 0.5 and warnings == []
    # Beside a lesson, "step" is the lesson's step and step_size keeps its own key.
    params, _ = ct_params_from_query({"lesson": "ct-starts", "step": "3"})
    assert params.step_size is None


# The Lessons page (the index).


def test_an_unknown_slug_falls_back_to_the_first_lesson():
    assert find_lesson(None) == (0, None)
    assert find_lesson(LESSONS[2].slug) == (2, None)
    index, warning = find_lesson("no-such-lesson")
    assert index == 0 and "no-such-lesson" in warning


def _lesson_in_url(at: AppTest) -> str:
    """The page's ?lesson= value (AppTest keeps a list once the page has written it)."""
    value = at.query_params["lesson"]
    return value if isinstance(value, str) else value[-1]


def _lessons_page(slug: str | None = None) -> AppTest:
    at = AppTest.from_file(str(LESSONS_PAGE), default_timeout=TIMEOUT)
    if slug is not None:
        at.query_params["lesson"] = slug
    return at.run()


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda lesson: lesson.slug)
def test_the_lessons_page_shows_each_lesson_with_its_steps_and_links(lesson):
    at = _lessons_page(lesson.slug)
    assert not at.exception and not at.warning
    assert [h.value for h in at.header] == [lesson.title]
    assert at.radio(key="lessons_pick").value == LESSONS.index(lesson)
    assert len(at.latex) == 1
    (info,) = at.info
    assert "Try this" in info.value
    for number, step in enumerate(lesson.steps, 1):
        assert f"{number}. {step.text}" in info.value
    # Run on its own the page has no navigation: "Open this lesson" is a plain link to step 1.
    assert f"[Open this lesson]({deep_link(lesson)})" in [m.value for m in at.markdown]
    assert "lesson=" in deep_link(lesson) and "step=1" in deep_link(lesson)
    assert [code.value for code in at.code] == [deep_link(lesson, number=n) for n in view_numbers(lesson)]
    assert _lesson_in_url(at) == lesson.slug


def test_next_and_previous_move_through_the_lessons():
    at = _lessons_page()
    assert at.header[0].value == LESSONS[0].title
    at.button(key="lessons_next").click().run()
    at.button(key="lessons_next").click().run()
    assert at.header[0].value == LESSONS[2].title
    assert _lesson_in_url(at) == LESSONS[2].slug
    at.button(key="lessons_prev").click().run()
    assert at.header[0].value == LESSONS[1].title
    assert not at.exception


def test_an_unknown_lesson_warns_and_shows_the_first():
    at = _lessons_page("bogus")
    assert not at.exception
    assert at.warning and "bogus" in at.warning[0].value
    assert at.header[0].value == LESSONS[0].title
    assert _lesson_in_url(at) == LESSONS[0].slug


# Each lesson's link opens its page cleanly (lesson and step in the URL too).


def _open_lesson_link(lesson, page, timeout: int, number: int = 1) -> AppTest:
    """The lesson's target page opened with the link of step `number`, checked to run without exception or
    warning."""
    at = AppTest.from_file(str(page), default_timeout=timeout)
    for key, value in target_query(lesson, number).items():
        at.query_params[key] = value
    at.run()
    assert not at.exception
    # Notes on a path that leaves the window are the page's own (lesson 5 is about them); the link raises none.
    warnings = [w.value for w in at.warning if "the window" not in w.value]
    assert not warnings, warnings
    return at


@pytest.mark.parametrize("lesson", TOY_LESSONS, ids=lambda lesson: lesson.slug)
def test_a_toy_lesson_link_opens_the_toy_page_with_its_values(lesson):
    at = _open_lesson_link(lesson, TOY_PAGE, 120)
    params, _ = toy_params_from_query(lesson.query)
    for name in lesson.query:
        if name == "maps":
            # The maps are shown, not offered behind their button.
            assert not [b for b in at.button if b.key == "toy_btn_maps"]
            continue
        if name == "maps_first":  # no widget: the link keeps it
            assert at.query_params["maps_first"] in ("1", ["1"])
            continue
        widget = getattr(at, TOY_WIDGETS[name])(key=f"toy_{name}")
        assert widget.value == getattr(params, name), name


@pytest.mark.parametrize("lesson", CT_LESSONS, ids=lambda lesson: lesson.slug)
def test_a_ct_lesson_link_opens_the_ct_page_with_its_values(lesson):
    at = _open_lesson_link(lesson, CT_PAGE, 300)
    params, _ = ct_params_from_query(lesson.query)
    assert at.session_state["ct_tab"] == "Reconstruction"
    assert at.multiselect(key="ct_inits").value == list(params.inits)
    assert at.selectbox(key="ct_method").value == params.method
    assert at.selectbox(key="ct_problem").value == params.problem
    # The run is set up with every start and ready to play.
    assert [m.label for m in at.metric if m.label.startswith("PSNR ")] == [
        f"PSNR {name} (dB)" for name in ("zeros", "FBP", "Gaussian noise", "constant 0.5")]


CT_LATER_VIEWS = [(lesson, number) for lesson, number in VIEWS if lesson.page == "ct" and number > 1]


@pytest.mark.parametrize("item", CT_LATER_VIEWS, ids=_view_id)
def test_each_later_ct_view_opens_the_ct_page_cleanly(item):
    lesson, number = item
    at = _open_lesson_link(lesson, CT_PAGE, 300, number)
    assert not at.error
    params, _ = ct_params_from_query(lesson.steps[number - 1].view)
    assert at.selectbox(key="ct_problem").value == params.problem
    assert at.selectbox(key="ct_prior").value == params.prior
    assert at.multiselect(key="ct_inits").value == list(params.inits)
