"""GNC explorer: graduated optimisation with score-based priors for linear inverse problems.

The library behind the Streamlit app. It follows Fernsel, Kereta and Denker, "Convergence Properties of
Score-Based Models for Linear Inverse Problems Using Graduated Optimisation" (arXiv 2404.18699).
It never imports streamlit.
"""

__version__ = "0.1.0"
