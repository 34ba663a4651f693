"""Home page: what graduated optimisation with a score-based prior is, and where to look next."""

from __future__ import annotations

import streamlit as st
from streamlit.errors import StreamlitPageNotFoundError

from explorer.app.glossary import glossary_markdown
from explorer.app.lessons import LESSONS

st.title("GNC explorer")
st.markdown(
    "Watch **graduated optimisation** solve linear inverse problems y = A x + noise with a score-based "
    "generative prior, as in Fernsel, Kereta and Denker, *Convergence Properties of Score-Based Models for "
    "Linear Inverse Problems Using Graduated Optimisation* (MLSP 2024). The prior p is smoothed by a "
    "forward SDE: at a large smoothing level t the objective is convex and easy, and as t falls to t_min "
    "it becomes the target f(x) = F(x, t_min), whose stationary points the theory promises. The solver "
    "follows the minimiser along the way:"
)
st.latex(r"F(x, t) = \mathrm{data}(x) + w(t)\, R(x, t), \qquad R(x, t) = -\log p_t(x)")
st.latex(r"x_{k+1} = x_k - b\, t_k \nabla_x F(x_k, t_k), \qquad t_1 > t_2 > \dots > t_N = t_{\min}")
st.markdown(
    "Compare it with the gradient-like method with adaptive smoothing (a step only along descent "
    "directions of f) and with plain gradient descent on f, which sees only the non-convex target and "
    "falls into whichever minimum lies nearest its start."
)
LINKS = (
    ("views/toy.py", "toy", "Toy: the paper's 2D example, path by path", ":material/scatter_plot:"),
    ("views/ct.py", "ct", "CT: sparse-angle tomography with a learned prior", ":material/radiology:"),
    ("views/prior.py", "prior", "Prior: the learned energy and its samples", ":material/blur_on:"),
    ("views/lessons.py", "lessons", f"Lessons: {len(LESSONS)} guided tours for a class, step by step beside the view",
     ":material/school:"),
)  # (page file, URL path set in app.py, label, icon)

for path, url, label, icon in LINKS:
    try:
        st.page_link(path, label=label, icon=icon)
    except StreamlitPageNotFoundError:
        # This file run on its own has no navigation to link into; plain links still lead there.
        st.markdown(f"[{label}](/{url})")

with st.expander("Glossary"):
    st.markdown(glossary_markdown())
