"""The lesson panel of the Toy and CT pages: the lesson a link opened, its steps, and Previous / Next / Close.

A page script calls `lesson_panel(page)` once near its top, before it lays out its own widgets, and adds
`lesson_keys(page)` to the query it writes into its URL. The lessons and the rules for moving through them are
data and pure functions in `explorer.app.lessons`; this module shows them and changes the page's state. The
pages seed a widget from the URL only while its session-state key is absent, so a step with another view is
loaded by writing that view's URL and deleting the page's keys.
"""

from __future__ import annotations

import streamlit as st
from streamlit.errors import StreamlitPageNotFoundError

from explorer.app.lessons import Lesson, Position, lesson_params, move, read_position, without_lesson
from explorer.app.plain import summary

PREFIXES = {"toy": "toy_", "ct": "ct_"}  # page -> the prefix of all its session-state keys, widgets' and its own
# page -> the key of the query it last wrote: it reads that one when a page switch has cleared the URL.
LAST_QUERY = {"toy": "toy_last_query", "ct": "ct_last_query"}
KEY = "lesson_panel"  # prefix of the panel's widget keys: no page's prefix, so loading a view keeps them
INDEX = "views/lessons.py"  # the Lessons page, as registered in app.py


def _query(page: str) -> dict[str, str]:
    """The page's query as the page itself reads it: the URL's, else (after a page switch) the last it wrote."""
    return st.query_params.to_dict() or dict(st.session_state.get(LAST_QUERY[page], {}))


def lesson_keys(page: str) -> dict[str, str]:
    """`lesson` and `step` for the page to add to the query it writes after each run; empty without a lesson.

    The page replaces the whole URL with its own parameters, which would drop the lesson. Read from the query
    the panel and the page read (the URL's, else the last written), checked: a bad step is written as 1.
    """
    return lesson_params(_query(page), page)


def _go(page: str, position: Position, delta: int) -> None:
    """Previous / Next. A button's callback: it runs before the rerun it causes, so before the page seeds its
    widgets, and needs no st.rerun of its own."""
    target, view = move(position, delta)
    if view is None:
        # The same view: whatever the student changed stays; only the step moves. The whole query is written,
        # not just `step`: a URL holding `step` without `lesson` reads as an old link's step size.
        st.query_params.from_dict({**_query(page), "step": str(target.number)})
        return
    state = st.session_state
    # The page's widgets, its caches of the last view and run, and its last query (it has the page's prefix
    # too): with them gone the page takes everything from the new URL, as on a first visit.
    for key in [key for key in state if key.startswith(PREFIXES[page])]:
        del state[key]
    st.query_params.from_dict(view)


def _close(page: str) -> None:
    """Close lesson: the page keeps its view, without lesson mode's keys in its URL or its last query."""
    st.query_params.from_dict(without_lesson(_query(page)))
    last = st.session_state.get(LAST_QUERY[page])
    if last:
        # Else an empty URL would fall back to a last query that still names the lesson.
        st.session_state[LAST_QUERY[page]] = without_lesson(last)


def _index_link(lesson: Lesson) -> None:
    """A link back to this lesson on the Lessons page."""
    try:
        st.page_link(INDEX, label="All lessons", icon=":material/school:", query_params={"lesson": lesson.slug})
    except StreamlitPageNotFoundError:
        # A page script run on its own (tests) has no navigation to link into; a plain link still leads there.
        st.markdown(f"[All lessons](/lessons?lesson={lesson.slug})")


def lesson_panel(page: str) -> None:
    """The lesson the page's URL names, in a foldable panel at the top of the sidebar; nothing without one.

    Shows the lesson's title and the gist of its text (the whole of it one click away), Previous / Next, which
    move through the steps and load each step's view on the page, the numbered steps with the current one
    highlighted, and Close lesson, which drops the lesson from the URL. A lesson or step the URL gets wrong
    gives a warning above the page and a safe fallback (no lesson, or step 1). Call it once, before the page's
    widgets.

    Parameters
    ----------
    page : str
        The calling page's URL path: "toy" or "ct" (a key of explorer.app.lessons.PAGES).
    """
    position, warning = read_position(_query(page), page)
    if warning:
        st.warning(summary([warning]))
    if position is None:
        return
    lesson = position.lesson
    # In the sidebar, not above the page: the page's key figure stays where it is on the first screen.
    with st.sidebar.expander(f"Lesson: {position.label.lower()}", expanded=True, icon=":material/school:"):
        st.markdown(f"**{lesson.title}**")
        st.caption(lesson.lead)
        # Previous / Next above the steps, so that they stay on a 720 px high screen below the navigation.
        back, forward = st.columns(2)
        back.button("Previous", key=f"{KEY}_prev", on_click=_go, args=(page, position, -1), width="stretch",
                    disabled=position.number == 1)
        forward.button("Next", key=f"{KEY}_next", on_click=_go, args=(page, position, 1), width="stretch",
                       disabled=position.number == position.count, type="primary")
        for number, step in enumerate(lesson.steps, 1):
            if number == position.number:
                st.info(f"**{number}.** {step.text}", icon=":material/arrow_forward:")
            else:
                st.caption(f"**{number}.** {step.text}")
        with st.popover("Read the whole lesson", icon=":material/menu_book:", width="stretch"):
            st.markdown(lesson.text)
            st.latex(lesson.equation)
        _index_link(lesson)
        st.button("Close lesson", key=f"{KEY}_close", on_click=_close, args=(page,), width="stretch",
                  icon=":material/close:", help="The page keeps its view; the lesson leaves the URL")
