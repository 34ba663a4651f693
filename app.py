"""GNC explorer: the Streamlit entry point. Run with `streamlit run app.py`."""

from __future__ import annotations

import streamlit as st

st.set_page_config(page_title="GNC explorer", layout="wide")

PAGES = [
    st.Page("pages/home.py", title="Home", icon=":material/home:", default=True),
    st.Page("pages/toy.py", title="Toy", icon=":material/scatter_plot:", url_path="toy"),
    st.Page("pages/ct.py", title="CT", icon=":material/radiology:", url_path="ct"),
    st.Page("pages/prior.py", title="Prior", icon=":material/blur_on:", url_path="prior"),
]

st.navigation(PAGES).run()
