"""GNC explorer: the Streamlit entry point. Run with `streamlit run app.py`."""

from __future__ import annotations

import streamlit as st

from explorer.core.allocator import keep_freed_memory

# Solvers reuse freed buffers instead of page-faulting them back every iteration (the default CT run: 9.3-11.4 s
# -> 6.7-7.4 s; explorer/core/allocator.py). Cheap after the first call, so every script run may make it.
keep_freed_memory()

st.set_page_config(page_title="GNC explorer", layout="wide")

# The page scripts live in views/, not pages/: Streamlit still auto-discovers a pages/ folder when the first
# visit to a fresh server is a deep link (say /toy?method=gd), which would bypass this navigation.

PAGES = [
    st.Page("views/home.py", title="Home", icon=":material/home:", default=True),
    st.Page("views/toy.py", title="Toy", icon=":material/scatter_plot:", url_path="toy"),
    st.Page("views/ct.py", title="CT", icon=":material/radiology:", url_path="ct"),
    st.Page("views/prior.py", title="Prior", icon=":material/blur_on:", url_path="prior"),
    st.Page("views/lessons.py", title="Lessons", icon=":material/school:", url_path="lessons"),
]

st.navigation(PAGES).run()
