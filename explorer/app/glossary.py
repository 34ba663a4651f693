"""Plain-language definitions of the explorer's terms, in the paper's notation, for tooltips and a glossary panel.

A page explains a term where it appears with ``help=help_for("Tweedie")`` on the widget or caption that names
it, and lists every term in a folded panel with ``st.markdown(glossary_markdown())``. The text is Markdown
(Streamlit renders tooltips as Markdown too) without HTML, dollar signs (which Streamlit reads as LaTeX) or
tildes (strike-through), so it shows the same in a tooltip and in the panel.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Term:
    """A term as a reader sees it, and what it means in two or three sentences."""

    term: str  # the name shown in bold, e.g. "Tweedie's formula (x0_hat)"
    definition: str  # plain Markdown, no HTML


GLOSSARY: dict[str, Term] = {
    "GNC": Term(
        "GNC (graduated optimisation)",
        "Graduated non-convexity: minimise a family of smoothed objectives F(x, t_k) for smoothing levels falling "
        "from t_1 to t_N = t_min, each from where the previous one ended. At a large t the objective is "
        "convex and has one minimiser; following it as t falls leads towards a good stationary point of the "
        "non-convex target f(x) = F(x, t_min)."),
    "smoothing level t": Term(
        "Smoothing level t",
        "How much the prior is blurred: p_t is the density of x_t, the image after time t of the forward SDE. "
        "At t near 1 it is almost a Gaussian and F(x, t) = data(x) + w(t) R(x, t) is easy to minimise; at "
        "t_min = 0.001 it is almost the prior itself, with all its local minima."),
    "SDE": Term(
        "SDE (VE / VP)",
        "The forward stochastic differential equation that adds noise little by little: "
        "x_t = m(t) x_0 + s(t) z with z drawn from N(0, I). The variance-exploding (VE) SDE keeps m(t) = 1 and "
        "lets s(t) grow (the 2D toy); the variance-preserving (VP) SDE fades the image as the noise grows, "
        "m(t)^2 + s(t)^2 = 1 (the CT prior)."),
    "x_t / m(t)": Term(
        "x_t and m(t)",
        "x_t = m(t) x_0 + s(t) z is the clean image x_0 noised to smoothing level t; m(t) is the mean scale "
        "and s(t) the noise's standard deviation. Dividing by m(t) gives x_0 + (s(t) / m(t)) z, the noisy image "
        "on the scale of x_0, so it can be compared with x_0 by eye and by PSNR."),
    "score": Term(
        "Score",
        "The gradient of the log-density, grad_x log p_t(x): at every image, the direction in which it becomes "
        "more probable under the smoothed prior. A score-based prior is a network trained to give it; here it "
        "is minus the gradient of the energy, -grad_x E(x, t)."),
    "energy": Term(
        "Energy E(x, t)",
        "The prior's regulariser R(x, t) = -log p_t(x), known up to a constant: low for images like the "
        "training data, high for noise. The learned prior computes it as E(x, t) = ||U(x, t)||^2 / (2 s(t)) "
        "with a U-Net U, so the solver has a value to compare in line searches as well as the score."),
    "Tweedie": Term(
        "Tweedie's formula (x0_hat)",
        "The best guess of the clean image given a noisy one, from the score alone: "
        "x0_hat = (x_t + s(t)^2 grad_x log p_t(x_t)) / m(t), the mean of x_0 given x_t. Where the noise leaves "
        "doubt it averages the possibilities, so x0_hat is smoother than any one clean image."),
    "probability-flow ODE": Term(
        "Probability-flow ODE",
        "A deterministic equation, dx = [f(t) x - g(t)^2 score / 2] dt with f and g the forward SDE's drift and "
        "diffusion, whose solutions have the same densities p_t as the noisy SDE. Run backwards from pure noise at t = 1 to t = 0.001 it turns noise into a sample "
        "of the prior, with cleaner shapes than the reverse SDE gives in the same number of steps."),
    "Armijo": Term(
        "Armijo line search",
        "Backtracking: try a step size b and shrink it by a factor r until the objective falls enough, "
        "f(x + b d) ≤ f(x) + c b grad f(x) · d. Every accepted step decreases f, at the cost of one extra "
        "evaluation of f per try."),
    "Barzilai-Borwein": Term(
        "Barzilai-Borwein step",
        "A step size guessed from the last move s = x_k - x_(k-1) and the change Δg of the gradient: "
        "b = (s · s) / (s · Δg), the inverse curvature along s. It grows as t falls and the objective flattens, "
        "where a fixed step would crawl; it is taken as it is or checked by Armijo halving."),
    "EMA": Term(
        "EMA (exponential moving average)",
        "While the prior trains, a second copy of its weights follows them slowly: θ_EMA ← d θ_EMA + (1 - d) θ "
        "with decay d = 0.999 per step. The shipped prior is this average, which forgets the noise of single "
        "training steps and gives cleaner samples."),
    "PSNR": Term(
        "PSNR",
        "Peak signal-to-noise ratio against the true image, 10 log10(1 / mean squared error) in dB for images "
        "on [0, 1]. Higher is better; 6 dB more halves the typical pixel error."),
    "SSIM": Term(
        "SSIM",
        "Structural similarity against the true image, from local means, contrasts and correlations; 1 means "
        "identical. It follows what the eye notices (edges, texture, contrast) more closely than PSNR does."),
}


def help_for(*names: str) -> str:
    """The definitions of the named terms, each led by its name in bold: Markdown for a widget's ``help=``.

    Parameters
    ----------
    *names : str
        Keys of GLOSSARY, e.g. ``help_for("Tweedie", "x_t / m(t)")``.

    Raises
    ------
    KeyError
        A name is not in GLOSSARY (a typo would otherwise show an empty tooltip).
    ValueError
        No name is given.
    """
    if not names:
        raise ValueError("name at least one term of the glossary")
    unknown = [name for name in names if name not in GLOSSARY]
    if unknown:
        raise KeyError(f"not in the glossary: {', '.join(unknown)}; known: {', '.join(GLOSSARY)}")
    return "\n\n".join(f"**{GLOSSARY[name].term}**: {GLOSSARY[name].definition}" for name in names)


def glossary_markdown() -> str:
    """Every term of GLOSSARY as a Markdown list, for a glossary panel (``st.expander("Glossary")``)."""
    return "\n".join(f"- **{entry.term}**: {entry.definition}" for entry in GLOSSARY.values())
