"""The title row the Toy and CT pages share: the page title, the presentation-mode switch and the page keys."""

from __future__ import annotations

import streamlit as st

from explorer.app.styles import COMPACT_CSS, KEYS_JS, PRESENT_CSS, PRESENT_LESSON_CSS


def title_ui(title: str, present_key: str, lesson_open: bool = False) -> bool:
    """The page title with the presentation-mode switch (widget `present_key`) beside it. In that mode the
    sidebar (unless a lesson is open in it) and the page header are hidden and the type is larger (the figures
    scale their own); otherwise the header is compact. Returns whether it is on."""
    left, right = st.columns([4, 1.3], vertical_alignment="center")
    left.title(title)
    on = right.toggle("Presentation", key=present_key,
                      help="For a projector: larger type; the sidebar hidden; the main figure fitted to 1280 x 720. "
                           "Kept in the link (present=1).")
    st.html((PRESENT_LESSON_CSS if lesson_open else PRESENT_CSS) if on else COMPACT_CSS)
    return on


@st.cache_resource
def _keys_component():
    """The mount command of the script that turns key presses into button clicks (registered once)."""
    return st.components.v2.component("gnc_explorer_page_keys", js=KEYS_JS)


def page_keys(buttons: dict[str, str], key: str) -> None:
    """Keys for buttons: {key name as KeyboardEvent.key: the button's Streamlit key}; ignored while typing."""
    with st.sidebar:  # no room taken on the page
        _keys_component()(key=key, data={"buttons": buttons}, height=0)
