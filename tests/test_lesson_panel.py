"""The lesson panel (views/lesson_panel.py) on small stand-in pages that keep the Toy and CT pages' rules: widgets
seeded from the URL only while their session-state key is absent, the last query kept for a page switch, and
the URL written back with the lesson's keys after every run."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from explorer.app.lessons import LESSONS, target_query

TIMEOUT = 60
# A stand-in for a page: `{page}` is "toy" or "ct"; its widgets hold the fields named in FIELDS.
PAGE = '''
from dataclasses import replace

import streamlit as st

from explorer.app.urlstate import ct_params_from_query, ct_params_to_query, toy_params_from_query, toy_params_to_query
from views.lesson_panel import lesson_keys, lesson_panel

page = "{page}"
read, write = (toy_params_from_query, toy_params_to_query) if page == "toy" else (ct_params_from_query,
                                                                                 ct_params_to_query)
fields = {fields}
st.title("Stand-in")
lesson_panel(page)
state = st.session_state
query = st.query_params.to_dict() or state.get(f"{{page}}_last_query", {{}})
parsed, warnings = read(query)
if warnings:
    st.warning("; ".join(warnings))
for name in fields:
    state.setdefault(f"{{page}}_{{name}}", str(getattr(parsed, name)))
    st.text_input(name, key=f"{{page}}_{{name}}")
# A page's own state (a run, a cache): a new view must start it afresh.
state[f"{{page}}_runs"] = state.get(f"{{page}}_runs", 0) + 1
shown = replace(parsed, **{{name: type(getattr(parsed, name))(state[f"{{page}}_{{name}}"]) for name in fields}})
query = {{**write(shown), **lesson_keys(page)}}
state[f"{{page}}_last_query"] = query
if st.query_params.to_dict() != query:
    st.query_params.from_dict(query)
'''
FIELDS = {"toy": ("method", "seed", "n_iter"), "ct": ("problem", "method", "prior")}


def _by_slug(slug: str):
    return next(lesson for lesson in LESSONS if lesson.slug == slug)


def _page(page: str, query: dict[str, str]) -> AppTest:
    at = AppTest.from_string(PAGE.format(page=page, fields=FIELDS[page]), default_timeout=TIMEOUT)
    for key, value in query.items():
        at.query_params[key] = value
    return at.run()


def _url(at: AppTest) -> dict[str, str]:
    """The URL's query, one value per key (AppTest keeps lists once the page has written them)."""
    return {key: value if isinstance(value, str) else value[-1] for key, value in at.query_params.items()}


def _value(at: AppTest, page: str, name: str) -> str:
    return at.text_input(key=f"{page}_{name}").value


def _panel(at: AppTest):
    """The lesson panel's expander, or None."""
    return next((e for e in at.sidebar.expander if e.label.startswith("Lesson")), None)


def test_without_a_lesson_the_panel_shows_nothing():
    at = _page("toy", {"method": "gd"})
    assert not at.exception and not at.warning
    assert _panel(at) is None and "lesson" not in _url(at)


def test_the_panel_shows_the_lesson_with_its_current_step():
    lesson = _by_slug("trapped")
    at = _page("toy", target_query(lesson, 1))
    assert not at.exception and not at.warning
    panel = _panel(at)
    assert panel is not None and panel.label == "Lesson: step 1 of 4"
    assert f"**{lesson.title}**" in [m.value for m in panel.markdown]
    assert lesson.lead in [c.value for c in panel.caption]
    assert [i.value for i in panel.info] == [f"**1.** {lesson.steps[0].text}"]
    assert [c.value for c in panel.caption if c.value.startswith("**")] == [
        f"**{n}.** {step.text}" for n, step in enumerate(lesson.steps, 1) if n != 1]
    assert at.button(key="lesson_panel_prev").disabled and not at.button(key="lesson_panel_next").disabled
    assert (_url(at)["lesson"], _url(at)["step"]) == ("trapped", "1")


def test_next_within_a_view_keeps_the_students_changes_and_next_to_another_view_loads_it():
    at = _page("toy", target_query(_by_slug("trapped"), 1))
    at.text_input(key="toy_seed").set_value("3").run()
    at.button(key="lesson_panel_next").click().run()
    assert not at.exception
    assert _url(at)["step"] == "2" and _url(at)["seed"] == "3" and _value(at, "toy", "seed") == "3"
    assert _panel(at).label == "Lesson: step 2 of 4" and at.session_state["toy_runs"] > 2
    # Step 3 has its own view: GNC with N = 5000 from the first seed, seeded afresh into every widget.
    at.button(key="lesson_panel_next").click().run()
    assert not at.exception and not at.warning
    assert (_value(at, "toy", "method"), _value(at, "toy", "n_iter"), _value(at, "toy", "seed")) == ("gnc", "5000",
                                                                                                    "1")
    assert (_url(at)["step"], _url(at)["method"], _url(at)["n_iter"], _url(at)["lesson"]) == ("3", "gnc", "5000",
                                                                                             "trapped")
    assert at.session_state["toy_runs"] == 1
    # Back to step 2: its view is step 1's.
    at.button(key="lesson_panel_prev").click().run()
    assert (_url(at)["step"], _value(at, "toy", "method"), _value(at, "toy", "n_iter")) == ("2", "gd", "1300")


def test_the_last_step_has_no_next():
    lesson = _by_slug("trapped")
    at = _page("toy", target_query(lesson, 4))
    assert at.button(key="lesson_panel_next").disabled and not at.button(key="lesson_panel_prev").disabled
    assert [i.value for i in _panel(at).info] == [f"**4.** {lesson.steps[3].text}"]


def test_close_drops_the_lesson_and_keeps_the_view():
    at = _page("toy", target_query(_by_slug("trapped"), 3))
    at.text_input(key="toy_seed").set_value("7").run()
    at.button(key="lesson_panel_close").click().run()
    assert not at.exception and _panel(at) is None
    url = _url(at)
    assert "lesson" not in url and "step" not in url and (url["method"], url["seed"]) == ("gnc", "7")
    assert "lesson" not in at.session_state["toy_last_query"]


def test_after_a_page_switch_the_last_query_brings_the_lesson_back_and_close_ends_it():
    at = _page("toy", target_query(_by_slug("trapped"), 2))
    at.query_params.clear()  # Streamlit clears the URL when the visitor switches pages
    at.run()
    assert _panel(at).label == "Lesson: step 2 of 4" and _url(at)["lesson"] == "trapped"
    at.query_params.clear()
    at.button(key="lesson_panel_close").click().run()
    assert _panel(at) is None and "lesson" not in _url(at) and _url(at)["method"] == "gd"


@pytest.mark.parametrize("step", ["0", "9", "abc"])
def test_a_bad_step_warns_and_shows_step_one(step):
    at = _page("toy", {**target_query(_by_slug("trapped"), 1), "step": step})
    assert not at.exception
    assert len(at.warning) == 1 and "step 1" in at.warning[0].value
    assert _panel(at).label == "Lesson: step 1 of 4" and _url(at)["step"] == "1"


@pytest.mark.parametrize("slug, says", [("no-such-lesson", "no lesson"), ("ct-starts", "CT page")])
def test_an_unknown_lesson_or_one_of_another_page_warns_and_the_page_opens_without_it(slug, says):
    at = _page("toy", {"method": "gd", "lesson": slug, "step": "2"})
    assert not at.exception
    assert len(at.warning) == 1 and says in at.warning[0].value
    assert _panel(at) is None and "lesson" not in _url(at) and "step" not in _url(at)
    assert _value(at, "toy", "method") == "gd"


def test_on_the_ct_page_next_loads_each_problem_and_starts_the_page_afresh():
    lesson = _by_slug("three-problems")
    at = _page("ct", target_query(lesson, 1))
    assert not at.exception and not at.warning
    assert _value(at, "ct", "problem") == "sparse-ct" and _panel(at).label == "Lesson: step 1 of 3"
    at.button(key="lesson_panel_next").click().run()
    assert not at.exception and not at.warning
    assert _value(at, "ct", "problem") == "deblur" and _url(at)["sigma"] == "2.0" and _url(at)["step"] == "2"
    assert at.session_state["ct_runs"] == 1
    at.button(key="lesson_panel_next").click().run()
    assert _value(at, "ct", "problem") == "inpaint" and _url(at)["keep"] == "0.3"
    assert at.button(key="lesson_panel_next").disabled


def test_the_panel_escapes_what_the_url_says():
    at = _page("toy", {"lesson": "[x](http://example.com)", "step": "1"})
    assert "](" not in at.warning[0].value and "http://" not in at.warning[0].value
