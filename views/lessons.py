"""Lessons page: the index of the guided lessons for teaching, each opening the Toy or CT page in lesson mode.

The lessons themselves are data in `explorer.app.lessons`; this page only picks one (from ?lesson=slug or the
picker), shows it with its steps and links to its first step. The target page shows the lesson in its panel
(`views.lesson_panel`) and keeps its controls live.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import streamlit as st
from streamlit.errors import StreamlitPageNotFoundError

from explorer.app.lessons import LESSONS, PAGES, Lesson, deep_link, find_lesson, target_query, view_numbers
from explorer.app.plain import summary

PAGE_FILES = {"toy": "views/toy.py", "ct": "views/ct.py"}  # lesson.page -> page script registered in app.py
PICK = "lessons_pick"  # session-state key of the picker (an index into LESSONS)
LAST = "lessons_last"  # the slug last shown; outlives the picker's state when the user visits another page


def _move(delta: int) -> None:
    """Previous / Next: step through the lessons, staying within the list."""
    st.session_state[PICK] = min(max(st.session_state[PICK] + delta, 0), len(LESSONS) - 1)


def _base_url() -> str:
    """Scheme and host of this app as the browser sees it, so the shown link can be pasted elsewhere."""
    url = st.context.url
    if not url:
        return ""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def picker_ui() -> int:
    """The lesson list and the Previous / Next buttons; returns the chosen lesson's index."""
    state = st.session_state
    if PICK not in state:
        # Streamlit clears the URL on a page switch; coming back shows the lesson last seen in this session.
        index, warning = find_lesson(st.query_params.get("lesson", state.get(LAST)))
        if warning:
            st.warning(summary([warning]))
        state[PICK] = index
    index = st.radio("Lesson", range(len(LESSONS)), format_func=lambda i: LESSONS[i].title, key=PICK)
    prev_col, next_col = st.columns(2)
    prev_col.button("Previous", key="lessons_prev", on_click=_move, args=(-1,), disabled=index == 0,
                    width="stretch", icon=":material/arrow_back:")
    next_col.button("Next", key="lessons_next", on_click=_move, args=(1,), disabled=index == len(LESSONS) - 1,
                    width="stretch", icon=":material/arrow_forward:")
    return index


def open_link(lesson: Lesson) -> None:
    """The button that opens the lesson at step 1, and as text for slides the link to each step with a view."""
    try:
        st.page_link(PAGE_FILES[lesson.page], label="Open this lesson", icon=":material/open_in_new:",
                     query_params=target_query(lesson), help=f"Opens the {PAGES[lesson.page]} page at step 1 of "
                     "this lesson, with the lesson beside it")
    except StreamlitPageNotFoundError:
        # This file run on its own has no navigation to link into; a plain link still leads there.
        st.markdown(f"[Open this lesson]({deep_link(lesson)})")
    numbers = view_numbers(lesson)
    st.caption("The same link, to paste into slides or notes:" if len(numbers) == 1 else
               "The links to the steps that set up a view (steps " + ", ".join(map(str, numbers))
               + "), to paste into slides or notes:")
    for number in numbers:
        st.code(deep_link(lesson, _base_url(), number), language=None, wrap_lines=True)


def main() -> None:
    """Lay out the Lessons page."""
    st.title("Lessons")
    st.caption("Short guided tours of graduated optimisation for a class. Each lesson opens a page with its "
               "controls set and the lesson's steps in the sidebar; Next sets up each step's view, and "
               "everything stays live, so move anything you like.")
    left, right = st.columns([1, 2.2], gap="large")
    with left:
        index = picker_ui()
    lesson = LESSONS[index]
    st.session_state[LAST] = lesson.slug
    if st.query_params.get("lesson") != lesson.slug:
        st.query_params["lesson"] = lesson.slug
    with right:
        st.header(lesson.title, divider="gray")
        st.markdown(lesson.text)
        st.latex(lesson.equation)
        steps = "\n".join(f"{i}. {step.text}" for i, step in enumerate(lesson.steps, 1))
        st.info(f"**Try this, step by step.**\n\n{steps}", icon=":material/touch_app:")
        open_link(lesson)


main()
