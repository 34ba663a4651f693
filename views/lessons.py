"""Lessons page: short guided lessons for teaching, each opening the Toy or CT page set up for it.

The lessons themselves are data in `explorer.app.lessons`; this page only picks one (from ?lesson=slug or the
picker), shows it and links to the view it describes. The target page's controls stay live.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import streamlit as st
from streamlit.errors import StreamlitPageNotFoundError

from explorer.app.plain import summary
from explorer.app.lessons import LESSONS, Lesson, deep_link, find_lesson, lesson_links, target_query

PAGE_FILES = {"toy": "views/toy.py", "ct": "views/ct.py"}  # lesson.page -> page script registered in app.py
PAGE_NAMES = {"toy": "Toy", "ct": "CT"}  # lesson.page -> the page's title in the navigation
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
    """A button for each view the lesson opens, and the same links as text for slides."""
    links = lesson_links(lesson)
    for label, query in links:
        try:
            st.page_link(PAGE_FILES[lesson.page], label=label, icon=":material/open_in_new:",
                         query_params=target_query(lesson, query), help=f"Opens the {PAGE_NAMES[lesson.page]} page "
                         "set up for this lesson")
        except StreamlitPageNotFoundError:
            # This file run on its own has no navigation to link into; a plain link still leads there.
            st.markdown(f"[{label}]({deep_link(lesson, query=query)})")
    st.caption("The same link, to paste into slides or notes:" if len(links) == 1 else
               "The same links, to paste into slides or notes:")
    for _, query in links:
        st.code(deep_link(lesson, _base_url(), query), language=None, wrap_lines=True)


def main() -> None:
    """Lay out the Lessons page."""
    st.title("Lessons")
    st.caption("Short guided tours of graduated optimisation for a class. Each lesson opens a page with its "
               "controls set; everything there stays live, so move anything you like.")
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
        st.info(f"**Try this.** {lesson.try_this}", icon=":material/touch_app:")
        open_link(lesson)


main()
