"""Guided lessons: short texts for a student, each with an equation, a prompt and a link that sets up the view.

A lesson is data. Its `query` holds the URL parameters of the target page that set every control the text
talks about; the rest keep their defaults. A lesson that compares several views lists them in `links`, each a
label and a query of the same page (the first is `query`). The Toy and CT pages read them through
`explorer.app.urlstate`, so a lesson link is an ordinary deep link a teacher can paste into slides.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping
from urllib.parse import urlencode

from explorer.app.plain import quoted
from explorer.app.urlstate import ct_params_from_query, ct_params_to_query, toy_params_from_query, toy_params_to_query

PAGES = ("toy", "ct")  # URL paths of the pages a lesson can open (set in app.py)


@dataclass(frozen=True)
class Lesson:
    """One lesson: what to read, the equation it is about, what to try and where."""

    slug: str  # names the lesson in the Lessons page's URL (?lesson=slug)
    title: str  # one line
    text: str  # a few sentences (Markdown) for a student meeting the idea for the first time
    equation: str  # LaTeX in the notation of the paper and the app
    try_this: str  # what to do on the target page, naming the control to move
    page: str  # one of PAGES
    query: Mapping[str, str]  # URL parameters of the target page, in the form the page writes them
    links: tuple[tuple[str, Mapping[str, str]], ...] = ()  # (label, query) of each view, when there are several


_SAME_STARTS = "zeros,fbp,noise,constant"  # the starts of the CT lessons ("fbp": the problem's reference image)
_THREE_PROBLEMS = (
    ("Sparse-view CT (15 angles)", {"tab": "reconstruction", "problem": "sparse-ct", "method": "gnc",
                                    "inits": _SAME_STARTS}),
    ("Deblurring (Gaussian blur, σ = 2 pixels)", {"tab": "reconstruction", "problem": "deblur", "sigma": "2.0",
                                                   "method": "gnc", "inits": _SAME_STARTS}),
    ("Inpainting (30 % of the pixels observed)", {"tab": "reconstruction", "problem": "inpaint", "keep": "0.3",
                                                  "method": "gnc", "inits": _SAME_STARTS}),
)

LESSONS: tuple[Lesson, ...] = (
    Lesson(
        slug="trapped",
        title="1. A non-convex prior traps gradient descent",
        text=(
            "The data alone cannot decide: with A = [[1, 1], [0, 0]] every point of the line x1 + x2 = 2 fits "
            "y exactly. The prior p, a mixture of five Gaussians, picks the answer x* = (1, 1). But -log p has "
            "several valleys, so the target f has local minima besides x*. Plain gradient descent only looks "
            "downhill from where it stands: each start rolls into the valley it happens to begin in. Here six "
            "random starts run 1300 steps of gradient descent on f; look at the table under the plot to see "
            "where each one ended."
        ),
        equation=(r"f(x) = \frac{w_d}{2}\,\|Ax - y\|^2 - w_p \log p_{t_{\min}}(x), \qquad "
                  r"x_{k+1} = x_k - b\,\nabla f(x_k)"),
        try_this=(
            "Change the **Seed** (under Starts) a few times: most random starts end in a local minimum. Then set "
            "**Method** (sidebar) to *GNC flow (Algorithm 1)* and watch the same starts reach x*."
        ),
        page="toy",
        query={"method": "gd", "starts": "random", "k": "6", "seed": "1"},
    ),
    Lesson(
        slug="smoothing",
        title="2. Smoothing makes the objective convex",
        text=(
            "Running the forward SDE to time t blurs the prior: p_t is p convolved with a Gaussian whose "
            "variance grows with t. Blur it enough and the valleys of -log p_t merge into one bowl, and "
            "F(., t) becomes convex: one minimum, which any descent method finds. The landscape here is "
            "frozen at t = 0.1, where F is still bumpy. The number beside it is the smallest eigenvalue of "
            "the Hessian of F(., t) over the window: negative means not convex. Somewhere just below t = 1 "
            "it turns positive, and the caption gives that t."
        ),
        equation=(r"F(\cdot, t) \text{ convex} \iff "
                  r"\lambda_{\min}\big(\nabla_x^2 F(x, t)\big) \ge 0 \text{ for every } x"),
        try_this=(
            "Move the **Landscape t** slider from 0.1 up past 1 and watch the valleys merge and the minimum "
            "eigenvalue turn positive. Then go back down to 0.001: that is f itself."
        ),
        page="toy",
        query={"follow": "0", "t": "0.1", "starts": "random", "k": "6", "seed": "1"},
    ),
    Lesson(
        slug="gnc-flow",
        title="3. The GNC flow and the choice of t_max",
        text=(
            "Graduated optimisation starts where F is easy and follows its minimiser as the smoothing is "
            "taken away: t_k falls from t_max to t_min and each iterate takes one step on F(., t_k). If "
            "t_max is too small, the first landscape is still bumpy and a start can be caught before the "
            "valleys separate. If t_max is very large, the gradients at large t are tiny and the fixed number "
            "of iterations runs out before the path arrives. The basin map colours every start of a grid "
            "by the minimum it ends in."
        ),
        equation=r"x_{k+1} = x_k - b\, t_k \nabla_x F(x_k, t_k), \qquad t_1 = t_{\max} > t_2 > \dots > t_N = t_{\min}",
        try_this=(
            "Read the share of starts that reach x* above the basin map at t_max = 1. Then set **t_max** "
            "(sidebar) to 0.3, and then to 5, and compare the maps; the rate plot below shows every t_max at once."
        ),
        page="toy",
        query={"method": "gnc", "step_rule": "fixed", "step_size": "1.0", "t_max": "1.0", "maps": "1"},
    ),
    Lesson(
        slug="gradient-like",
        title="4. Gradient-like steps with a line search (Algorithm 2)",
        text=(
            "The gradient-like method keeps the smoothed direction d_k = -t_k grad F(x_k, t_k) but only steps "
            "when d_k also points downhill on the target f, and then chooses the step length by an Armijo line "
            "search on f. So f never increases, and the theory promises that the iterates approach a "
            "stationary point of f. It does not promise the global minimum: this authors' path, with a small "
            "t_max of 0.152, settles in the local minimum near (1.01, -1.85), where the gradient of f is zero "
            "but f is not at its lowest."
        ),
        equation=(r"\langle \nabla f(x_k), d_k \rangle < 0, \qquad "
                  r"f(x_k + b\, d_k) \le f(x_k) + c\, b\, \langle \nabla f(x_k), d_k \rangle, \; c = 10^{-3}"),
        try_this=(
            "Look at |grad f| in the table: it is near zero although x_N is not x*. Now raise **t_max** "
            "(sidebar) to 3.5, or pick the sample path *Gradient-like (-5.96, -4.75), t_max 3.511*."
        ),
        page="toy",
        query={"method": "gradient-like", "step_rule": "armijo", "starts": "preset", "preset": "gl-local",
               "t_max": "0.152"},
    ),
    Lesson(
        slug="step-sizes",
        title="5. Step sizes: fixed, Armijo, Barzilai-Borwein",
        text=(
            "A fixed step b is simple but has to suit the steepest part of the whole path. Here b = 30 is "
            "far too large at the start, where t_k is large: the iterate overshoots the minimum, bounces from "
            "side to side and flies out of the window. It only settles once t_k has shrunk enough that b t_k "
            "is small again; a slightly larger b never recovers. A line search avoids this: Armijo "
            "backtracking shrinks each trial step until f decreases enough, and Barzilai-Borwein guesses a "
            "step from the last two iterates before backtracking."
        ),
        equation=(r"b_{\mathrm{BB}} = \frac{\langle s_k, s_k \rangle}{\langle s_k, g_k \rangle}, \quad "
                  r"s_k = x_k - x_{k-1}, \; g_k = \nabla f(x_k) - \nabla f(x_{k-1}), \qquad "
                  r"b = b_0\, r^{l}"),
        try_this=(
            "Press **Reset** and then **Play** to watch the bouncing. Set **b** (sidebar) to 50 and the run "
            "diverges. Then change **Step rule** to *Armijo backtracking*, then to *Barzilai-Borwein, then Armijo*, "
            "with the same b."
        ),
        page="toy",
        query={"method": "gnc", "step_rule": "fixed", "step_size": "30.0", "starts": "preset", "preset": "gnc-global"},
    ),
    Lesson(
        slug="ct-starts",
        title="6. CT: the GNC result does not depend on the start",
        text=(
            "In sparse-angle tomography x is a whole image, the prior is a learned energy, and nobody can draw "
            "the landscape. The paper's claim can still be tested: start the reconstruction from very "
            "different images and compare where the methods end. GNC begins with heavy smoothing, where "
            "every start sees nearly the same convex problem, so its results agree to a fraction of a "
            "decibel. Plain gradient descent on f sees only the non-convex target, and its result "
            "remembers where it began. (With the analytic Gaussian prior E is quadratic, so F is convex at "
            "every t and both methods agree: it is the non-convex learned prior that makes the start matter.)"
        ),
        equation=(r"F(x, t) = \tfrac12 \|\tilde A x - \tilde y\|^2 + \alpha\, \frac{s(t)}{m(t)}\, E(x, t), "
                  r"\qquad f(x) = F(x, t_{\min})"),
        try_this=(
            "The link opens the **Reconstruction** tab with four starts: *zeros*, *FBP*, *Gaussian noise* and "
            "*constant 0.5*. Press **Play** to watch them converge, then press **Run the same starts under GNC "
            "and plain gradient descent** and compare the column *spread over starts (dB)* of the two rows."
        ),
        page="ct",
        query={"tab": "reconstruction", "method": "gnc", "inits": "zeros,fbp,noise,constant"},
    ),
    Lesson(
        slug="three-problems",
        title="7. The same prior on three problems",
        text=(
            "Nothing in graduated optimisation is specific to tomography. The objective has two parts: the data "
            "term measures how well A x explains the measurement y, and the prior term, smoothed by t, says "
            "what images look like. Change A and you have another inverse problem (a few projections, a blurred "
            "photo, an image with most pixels missing) while the learned prior, the schedule of t and the solver "
            "stay exactly the same. Each problem also has its own simple reconstruction to beat: the FBP, a "
            "Wiener filter, harmonic inpainting."
        ),
        equation=(r"F(x, t) = \tfrac12 \|A x - y\|^2 + \alpha\, \frac{s(t)}{m(t)}\, E(x, t), \quad "
                  r"A \in \{\text{projections},\ \text{blur},\ \text{mask}\}"),
        try_this=(
            "Open each of the three links. On each, press **Run the same starts under GNC and plain gradient "
            "descent** and compare the column *spread over starts (dB)*: on sparse-view CT GNC's four starts end "
            "0.1 dB apart and about 2 dB above plain gradient descent's (0.4 dB apart); on deblurring GNC ends "
            "0.4 dB apart, plain gradient descent 2.5 dB (the noise start lags). On inpainting the prior alone "
            "must fill 70 % of the pixels: plain gradient descent from the noise and the constant start never "
            "gets there (20 dB apart), GNC ends within 0.1 dB of itself."
        ),
        page="ct",
        query=_THREE_PROBLEMS[0][1],
        links=_THREE_PROBLEMS,
    ),
)


def lesson_links(lesson: Lesson) -> tuple[tuple[str, Mapping[str, str]], ...]:
    """(label, query) of every view the lesson opens: its `links`, or its one `query`."""
    return lesson.links or (("Open this lesson", lesson.query),)


def find_lesson(slug: str | None) -> tuple[int, str | None]:
    """Index of the lesson named `slug` and a warning when there is none (then the first lesson).

    The warning quotes the slug cut short but not escaped; the page escapes it when it shows it.
    """
    if slug is None:
        return 0, None
    for i, lesson in enumerate(LESSONS):
        if lesson.slug == slug:
            return i, None
    return 0, f"There is no lesson {quoted(slug)}; showing the first one."


def target_query(lesson: Lesson, query: Mapping[str, str] | None = None) -> dict[str, str]:
    """Every URL parameter of the target page: the lesson's values (or `query`, one of its links) over the
    page's defaults."""
    reader, writer = ((toy_params_from_query, toy_params_to_query) if lesson.page == "toy"
                      else (ct_params_from_query, ct_params_to_query))
    params, _ = reader(lesson.query if query is None else query)
    return writer(params)


def deep_link(lesson: Lesson, base: str = "", query: Mapping[str, str] | None = None) -> str:
    """The link that opens the lesson's view (or the view of `query`, one of its links): `base` + "/page?query"
    (base: scheme and host, or empty)."""
    query = target_query(lesson, query)
    return f"{base.rstrip('/')}/{lesson.page}" + (f"?{urlencode(query)}" if query else "")
