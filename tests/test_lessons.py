"""Lessons: their links set what their texts claim, the Lessons page runs for each, and each link opens cleanly."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from explorer.app.lessons import LESSONS, PAGES, deep_link, find_lesson, lesson_links, target_query
from explorer.app.urlstate import CTParams, ToyParams, ct_params_from_query, toy_params_from_query, toy_params_to_query

ROOT = Path(__file__).resolve().parents[1]
LESSONS_PAGE = ROOT / "views" / "lessons.py"
TOY_PAGE = ROOT / "views" / "toy.py"
CT_PAGE = ROOT / "views" / "ct.py"
TIMEOUT = 60
TOY_LESSONS = [lesson for lesson in LESSONS if lesson.page == "toy"]
CT_LESSONS = [lesson for lesson in LESSONS if lesson.page == "ct"]
# Toy page widgets by the ToyParams field they hold: (AppTest accessor, widget key).
TOY_WIDGETS = {
    "method": "selectbox", "step_rule": "selectbox", "preset": "selectbox", "schedule": "selectbox",
    "starts": "radio", "k": "number_input", "seed": "number_input", "step_size": "number_input",
    "t_max": "number_input", "t_min": "number_input", "n_iter": "number_input", "follow": "toggle",
    "t": "select_slider",
}


def test_the_lessons_are_well_formed():
    assert len(LESSONS) >= 6
    assert len({lesson.slug for lesson in LESSONS}) == len(LESSONS)
    for lesson in LESSONS:
        assert lesson.page in PAGES
        assert lesson.title and lesson.text and lesson.equation and lesson.try_this
    assert {lesson.page for lesson in LESSONS} == set(PAGES)


@pytest.mark.parametrize("lesson", TOY_LESSONS, ids=lambda lesson: lesson.slug)
def test_a_toy_lesson_query_parses_without_warnings_to_its_values(lesson):
    params, warnings = toy_params_from_query(lesson.query)
    assert warnings == []
    written = toy_params_to_query(params)
    for key, value in lesson.query.items():
        assert written[key] == value, key
    # The link carries every field, and reads back to the same parameters.
    assert toy_params_from_query(target_query(lesson)) == (params, [])
    assert deep_link(lesson).startswith("/toy?") and f"method={params.method}" in deep_link(lesson)


def test_the_lessons_claim_what_their_texts_say():
    by_slug = {lesson.slug: toy_params_from_query(lesson.query)[0] for lesson in TOY_LESSONS}
    trapped = by_slug["trapped"]
    assert (trapped.method, trapped.starts, trapped.k) == ("gd", "random", 6)
    smoothing = by_slug["smoothing"]
    assert not smoothing.follow and smoothing.t < 1
    flow = by_slug["gnc-flow"]
    assert (flow.method, flow.t_max, flow.maps) == ("gnc", 1.0, True)
    armijo = by_slug["gradient-like"]
    assert armijo.method in ("gradient-like", "adaptive") and armijo.step_rule == "armijo" and armijo.starts == "preset"
    steps = by_slug["step-sizes"]
    assert steps.step_rule == "fixed" and steps.step_size > ToyParams.step_size
    starts = ct_params_from_query(next(lesson for lesson in CT_LESSONS if lesson.slug == "ct-starts").query)[0]
    assert starts.tab == "reconstruction" and starts.method == "gnc" and len(starts.inits) >= 4


@pytest.mark.parametrize("lesson", CT_LESSONS, ids=lambda lesson: lesson.slug)
def test_a_ct_lesson_query_parses_without_warnings_to_its_values(lesson):
    params, warnings = ct_params_from_query(lesson.query)
    assert warnings == [] and params != CTParams()
    written = target_query(lesson)
    for key, value in lesson.query.items():
        assert written[key] == value, key
    assert ct_params_from_query(written) == (params, [])
    assert deep_link(lesson).startswith("/ct?") and "tab=reconstruction" in deep_link(lesson)


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
def test_the_lessons_page_shows_each_lesson(lesson):
    at = _lessons_page(lesson.slug)
    assert not at.exception
    assert [h.value for h in at.header] == [lesson.title]
    assert at.radio(key="lessons_pick").value == LESSONS.index(lesson)
    assert len(at.latex) == 1 and "Try this" in at.info[0].value
    assert not at.warning
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


def _open_lesson_link(lesson, page, timeout: int) -> AppTest:
    """The lesson's target page opened with its link's query, checked to run without exception or warning."""
    at = AppTest.from_file(str(page), default_timeout=timeout)
    for key, value in target_query(lesson).items():
        at.query_params[key] = value
    at.run()
    assert not at.exception
    assert not at.warning, [w.value for w in at.warning]
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
        widget = getattr(at, TOY_WIDGETS[name])(key=f"toy_{name}")
        assert widget.value == getattr(params, name), name


@pytest.mark.parametrize("lesson", CT_LESSONS, ids=lambda lesson: lesson.slug)
def test_a_ct_lesson_link_opens_the_ct_page_with_its_values(lesson):
    at = _open_lesson_link(lesson, CT_PAGE, 300)
    params, _ = ct_params_from_query(lesson.query)
    assert at.session_state["ct_tab"] == "Reconstruction"
    assert at.multiselect(key="ct_inits").value == list(params.inits)
    assert at.selectbox(key="ct_method").value == params.method
    # The run is set up with every start and ready to play.
    assert [m.label for m in at.metric if m.label.startswith("PSNR ")] == [
        f"PSNR {name} (dB)" for name in ("zeros", "FBP", "Gaussian noise", "constant 0.5")]


# Lessons with several links.

MULTI_LINK = [lesson for lesson in LESSONS if lesson.links]


def test_every_link_of_every_lesson_parses_without_warnings():
    for lesson in LESSONS:
        reader = toy_params_from_query if lesson.page == "toy" else ct_params_from_query
        links = lesson_links(lesson)
        assert links[0][1] == lesson.query and len({label for label, _ in links}) == len(links)
        for label, query in links:
            params, warnings = reader(query)
            assert warnings == [], (lesson.slug, label)
            assert reader(target_query(lesson, query)) == (params, [])
            assert deep_link(lesson, query=query).startswith(f"/{lesson.page}?")


def test_the_three_problems_lesson_compares_gnc_and_gd_on_three_problems():
    lesson = next(lesson for lesson in LESSONS if lesson.slug == "three-problems")
    params = [ct_params_from_query(query)[0] for _, query in lesson_links(lesson)]
    assert [p.problem for p in params] == ["sparse-ct", "deblur", "inpaint"]
    assert {(p.tab, p.method, p.inits) for p in params} == {("reconstruction", "gnc",
                                                             ("zeros", "fbp", "noise", "constant"))}
    assert "GNC" in lesson.try_this and "gradient descent" in lesson.try_this
    assert r"\|A x - y\|^2" in lesson.equation and "E(x, t)" in lesson.equation


@pytest.mark.parametrize("lesson", MULTI_LINK, ids=lambda lesson: lesson.slug)
def test_the_lessons_page_shows_every_link(lesson):
    at = _lessons_page(lesson.slug)
    assert not at.exception and not at.warning
    shown = [code.value for code in at.code]
    assert shown == [deep_link(lesson, query=query) for _, query in lesson_links(lesson)]


@pytest.mark.parametrize("index", range(3))
def test_each_link_of_the_three_problems_lesson_opens_the_page_cleanly(index):
    lesson = next(lesson for lesson in LESSONS if lesson.slug == "three-problems")
    label, query = lesson_links(lesson)[index]
    at = AppTest.from_file(str(CT_PAGE), default_timeout=300)
    for key, value in target_query(lesson, query).items():
        at.query_params[key] = value
    at.run()
    assert not at.exception and not at.warning and not at.error, label
    assert at.selectbox(key="ct_problem").value == query["problem"]
    assert at.multiselect(key="ct_inits").value == ["zeros", "fbp", "noise", "constant"]


def test_lesson_texts_hold_no_control_characters():
    # A "\t" or "\f" meant for LaTeX but written in a plain string becomes a tab or a form feed and breaks the formula.
    for lesson in LESSONS:
        for text in (lesson.title, lesson.text, lesson.equation, lesson.try_this):
            assert text.isprintable(), lesson.slug
