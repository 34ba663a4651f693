"""Guided lessons: short texts for a student, each with an equation and numbered steps that set up the views.

A lesson is data. Each of its steps is a short instruction and, where the step needs another view, the URL
parameters of the target page that set every control the step talks about (the rest keep their defaults); a
step without a view keeps the previous one, with whatever the student changed. The Toy and CT pages read these
parameters through `explorer.app.urlstate`, so a step's link is an ordinary deep link a teacher can paste into
slides; it also carries `lesson=<slug>&step=<i>` (urlstate.LESSON_KEYS), which the lesson panel on the page
reads through `read_position` to show the lesson and move through its steps (`move`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urlencode

from explorer.app.plain import quoted
from explorer.app.urlstate import (
    LESSON_KEYS,
    ct_params_from_query,
    ct_params_to_query,
    toy_params_from_query,
    toy_params_to_query,
)

PAGES = {"toy": "Toy", "ct": "CT"}  # URL path of each page a lesson can open (set in app.py) -> its title


@dataclass(frozen=True)
class Step:
    """One numbered step of a lesson: what to do, and the view it shows."""

    text: str  # one or two sentences (Markdown) naming the control to look at or move
    view: Mapping[str, str] | None = None  # URL parameters of the target page; None: the previous step's view stays


@dataclass(frozen=True)
class Lesson:
    """One lesson: what to read, the equation it is about, and its steps on one page."""

    slug: str  # names the lesson in URLs (?lesson=slug)
    title: str  # one line
    text: str  # a few sentences (Markdown) for a student meeting the idea for the first time
    equation: str  # LaTeX in the notation of the paper and the app
    page: str  # one of PAGES
    steps: tuple[Step, ...]  # in order; the first has a view

    @property
    def query(self) -> Mapping[str, str]:
        """URL parameters of the lesson's first view, in the form the page writes them."""
        return self.steps[0].view

    @property
    def lead(self) -> str:
        """The text's first sentence: its gist, for the lesson panel."""
        head, dot, _ = self.text.partition(". ")
        return head + dot.strip()


_CT_STARTS = {"tab": "reconstruction", "method": "gnc", "inits": "zeros,fbp,noise,constant"}  # the CT lessons' starts
# The same starts where the problem's reference image is not an FBP: the page writes that start "reference".
_OTHER_STARTS = {**_CT_STARTS, "inits": "zeros,reference,noise,constant"}
_COMPARE = "**Run the same starts under GNC and plain gradient descent**"  # the CT page's button
_GNC_FLOW = {"method": "gnc", "step_rule": "fixed", "step_size": "1.0", "maps": "1", "maps_first": "1"}
_FROM_GNC_GLOBAL = {"method": "gnc", "starts": "preset", "preset": "gnc-global"}

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
        page="toy",
        steps=(
            Step("Six random starts run plain gradient descent on f. Read the column *ends at* in the table "
                 "under the plot: every start ends in a local minimum, none at x*.",
                 {"method": "gd", "starts": "random", "k": "6", "seed": "1"}),
            Step("Change the **Seed** (sidebar, under Starts) a few times: nearly every random start ends in a "
                 "local minimum."),
            Step("The same six starts under *GNC flow (Algorithm 1)* (**Method**, sidebar), with **N iterations** "
                 "raised to 5000: all six reach x*.",
                 {"method": "gnc", "starts": "random", "k": "6", "seed": "1", "n_iter": "5000"}),
            Step("Set **N iterations** back to 1300: three of the six have not arrived yet. The schedule took "
                 "t_k down too fast for them; lesson 3 is about choosing where it starts."),
        ),
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
        page="toy",
        steps=(
            Step("The landscape is frozen at t = 0.1. The caption under the **Landscape t** slider gives the "
                 "smallest Hessian eigenvalue of F(., t) over the window: negative, so F(., 0.1) is not convex.",
                 {"follow": "0", "t": "0.1", "starts": "random", "k": "6", "seed": "1"}),
            Step("At t = 0.5 the valleys are merging, but the eigenvalue is still negative.",
                 {"follow": "0", "t": "0.5", "starts": "random", "k": "6", "seed": "1"}),
            Step("At t = 1 one bowl is left and the eigenvalue is positive: F(., 1) is convex. The caption below "
                 "gives the t where convexity begins, just under 1.",
                 {"follow": "0", "t": "1.0", "starts": "random", "k": "6", "seed": "1"}),
            Step("t = 0.001 is f itself: x* and three local minima, each in a valley of its own.",
                 {"follow": "0", "t": "0.001", "starts": "random", "k": "6", "seed": "1"}),
            Step("Move the **Landscape t** slider yourself, or switch **Follow t_k** on and press **Play** under "
                 "the chart to watch the landscape sharpen as t_k falls."),
        ),
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
        page="toy",
        steps=(
            Step("The basin map at the top colours every start of a 40 × 40 grid by where GNC takes it with "
                 "t_max = 1. The caption under the maps gives the shares: about 87 % end at x*.",
                 {**_GNC_FLOW, "t_max": "1.0"}),
            Step("t_max = 0.3: the first landscape is still bumpy, and about three starts in four are caught in "
                 "a local minimum before the valleys separate; 13 % reach x*.",
                 {**_GNC_FLOW, "t_max": "0.3"}),
            Step("t_max = 5: the gradients at large t are tiny and the 1300 iterations run out first: about 25 % "
                 "reach x*, and most of the rest end near no minimum at all (grey).",
                 {**_GNC_FLOW, "t_max": "5.0"}),
            Step("The convergence-rate map under the basin maps shows every t_max of the sweep at once: find the "
                 "band of t_max where most starts reach x*, and how soon."),
        ),
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
        page="toy",
        steps=(
            Step("The authors' path from (2.12, -5.56) with t_max = 0.152 ends in local min 1. Read "
                 "|grad f(x_N)| in the table: near zero, a stationary point of f as promised, yet x_N is not x*.",
                 {"method": "gradient-like", "step_rule": "armijo", "starts": "preset", "preset": "gl-local",
                  "t_max": "0.152"}),
            Step("The authors' path from (-5.96, -4.75) with t_max = 3.511 reaches x*: with more smoothing at "
                 "the start, d_k leads past the valleys.",
                 {"method": "gradient-like", "step_rule": "armijo", "starts": "preset", "preset": "gl-global"}),
            Step("The same start with **t_max** (sidebar) at 0.3 stops in local min 3, again with |grad f| near "
                 "zero: the guarantee is a stationary point of f, and which one depends on the start and t_max.",
                 {"method": "gradient-like", "step_rule": "armijo", "starts": "preset", "preset": "gl-global",
                  "t_max": "0.3"}),
        ),
    ),
    Lesson(
        slug="step-sizes",
        title="5. Step sizes: fixed, Armijo, Barzilai-Borwein",
        text=(
            "A fixed step b is simple but has to suit the steepest part of the whole path. Here b = 30 is "
            "far too large at the start, where t_k is large: the iterate overshoots the minimum, bounces from "
            "side to side and flies out of the window. It only settles once t_k has shrunk enough that b t_k "
            "is small again; twice that b never recovers. A line search avoids this: Armijo "
            "backtracking shrinks each trial step until f decreases enough, and Barzilai-Borwein guesses a "
            "step from the last two iterates before backtracking."
        ),
        equation=(r"b_{\mathrm{BB}} = \frac{\langle s_k, s_k \rangle}{\langle s_k, g_k \rangle}, \quad "
                  r"s_k = x_k - x_{k-1}, \; g_k = \nabla f(x_k) - \nabla f(x_{k-1}), \qquad "
                  r"b = b_0\, r^{l}"),
        page="toy",
        steps=(
            Step("Press **Reset** and then **Play**: with b = 30 the iterate bounces from side to side and leaves "
                 "the window, and settles at x* only after about 130 iterations, once b t_k is small.",
                 {**_FROM_GNC_GLOBAL, "step_rule": "fixed", "step_size": "30.0"}),
            Step("With **b** (sidebar) at 60 the iterates never come back: they overflow, and the page says the "
                 "run diverged.",
                 {**_FROM_GNC_GLOBAL, "step_rule": "fixed", "step_size": "60.0"}),
            Step("**Step rule** *Armijo backtracking*, first trial b = 30: a step is shrunk until f decreases "
                 "enough, so nothing bounces. But every step must now lower f itself, and this start ends in "
                 "local min 1.",
                 {**_FROM_GNC_GLOBAL, "step_rule": "armijo", "step_size": "30.0"}),
            Step("**Step rule** *Barzilai-Borwein, then Armijo*, b = 30: each first trial comes from the last "
                 "two iterates, and the path reaches x* without leaving the window.",
                 {**_FROM_GNC_GLOBAL, "step_rule": "bb", "step_size": "30.0"}),
        ),
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
        page="ct",
        steps=(
            Step("The **Reconstruction** tab with four starts under GNC: *zeros*, *FBP*, *Gaussian noise* and "
                 "*constant 0.5*. Press **Play** and watch their PSNRs come together.", _CT_STARTS),
            Step(f"Press {_COMPARE} and compare the column *spread over starts (dB)* of the two rows: GNC's "
                 "spread is a small fraction of plain gradient descent's (about 0.02 dB against 0.4 dB)."),
            Step(f"**Prior** (sidebar) set to *Analytic Gaussian*, so F is convex at every t: press {_COMPARE} "
                 "again, and neither row has any spread to speak of.", {**_CT_STARTS, "prior": "gaussian"}),
        ),
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
        page="ct",
        steps=(
            Step(f"Sparse-view CT (15 angles). Press {_COMPARE} and compare the column *spread over starts (dB)*: "
                 "GNC's four starts end 0.1 dB apart and about 2 dB above plain gradient descent's (0.4 dB apart).",
                 {**_CT_STARTS, "problem": "sparse-ct"}),
            Step("Deblurring (Gaussian blur, σ = 2 pixels): press the same button. GNC ends 0.4 dB apart, plain "
                 "gradient descent 2.5 dB (the noise start lags).",
                 {**_OTHER_STARTS, "problem": "deblur", "sigma": "2.0"}),
            Step("Inpainting (30 % of the pixels observed): the prior alone must fill 70 % of the pixels. Press "
                 "the button once more: plain gradient descent from the noise and the constant start never gets "
                 "there (20 dB apart), GNC ends within 0.1 dB of itself.",
                 {**_OTHER_STARTS, "problem": "inpaint", "keep": "0.3"}),
        ),
    ),
)


@dataclass(frozen=True)
class Position:
    """Where a student is in a lesson: the lesson and the number of the step shown (1 .. its number of steps)."""

    lesson: Lesson
    number: int

    @property
    def count(self) -> int:
        """The lesson's number of steps."""
        return len(self.lesson.steps)

    @property
    def label(self) -> str:
        """The counter "Step i of n"."""
        return f"Step {self.number} of {self.count}"


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


def view_step(lesson: Lesson, number: int) -> int:
    """The number of the step whose view step `number` shows: itself, or the nearest earlier step with a view."""
    return max(i for i in range(1, number + 1) if lesson.steps[i - 1].view is not None)


def view_numbers(lesson: Lesson) -> tuple[int, ...]:
    """The numbers of the steps that set up a view of their own (the first is 1)."""
    return tuple(i for i, step in enumerate(lesson.steps, 1) if step.view is not None)


def target_query(lesson: Lesson, number: int = 1) -> dict[str, str]:
    """Every URL parameter of the target page at step `number`: the view it shows over the page's defaults,
    then `lesson` and `step`."""
    reader, writer = ((toy_params_from_query, toy_params_to_query) if lesson.page == "toy"
                      else (ct_params_from_query, ct_params_to_query))
    params, _ = reader(lesson.steps[view_step(lesson, number) - 1].view)
    return {**writer(params), "lesson": lesson.slug, "step": str(number)}


def deep_link(lesson: Lesson, base: str = "", number: int = 1) -> str:
    """The link that opens the lesson at step `number`: `base` + "/page?query" (base: scheme and host, or empty)."""
    return f"{base.rstrip('/')}/{lesson.page}?{urlencode(target_query(lesson, number))}"


def _last(value: str | Sequence[str]) -> str:
    """The last value of a repeated URL key (Streamlit's own rule), or the value itself."""
    return value if isinstance(value, str) else (str(value[-1]) if len(value) else "")


def read_position(query: Mapping[str, str | Sequence[str]], page: str) -> tuple[Position | None, str | None]:
    """The lesson and step that the URL `query` of `page` asks for, and a warning when it asks for something
    that is not there.

    No `lesson` key: no lesson and no warning. An unknown slug, or a lesson of another page: no lesson (the page
    shows its view without one) and a warning. No `step`: step 1. A step that is not a number of the lesson's
    steps: step 1 and a warning. Warnings quote user text cut short but not escaped; the page escapes them.
    """
    if "lesson" not in query:
        return None, None
    slug = _last(query["lesson"])
    lesson = next((lesson for lesson in LESSONS if lesson.slug == slug), None)
    if lesson is None:
        return None, f"There is no lesson {quoted(slug)}; the page opens without one."
    if lesson.page != page:
        return None, f"The lesson {quoted(slug)} is on the {PAGES[lesson.page]} page; this page opens without it."
    position = Position(lesson, 1)
    if "step" not in query:
        return position, None
    raw = _last(query["step"])
    number = int(raw) if raw.strip().isdecimal() else 0
    if 1 <= number <= position.count:
        return Position(lesson, number), None
    return position, f"Lesson {quoted(slug)} has steps 1 to {position.count}, not {quoted(raw)}; showing step 1."


def lesson_params(query: Mapping[str, str | Sequence[str]], page: str) -> dict[str, str]:
    """The `lesson` and `step` a page keeps in its URL when it writes its own parameters: those of `query`,
    checked by `read_position` (an unknown lesson is dropped, a bad step becomes 1), or none."""
    position, _ = read_position(query, page)
    return {} if position is None else {"lesson": position.lesson.slug, "step": str(position.number)}


def without_lesson(query: Mapping[str, str]) -> dict[str, str]:
    """`query` without lesson mode's keys: the page's own view, as "Close lesson" leaves it."""
    return {key: value for key, value in query.items() if key not in LESSON_KEYS}


def move(position: Position, delta: int) -> tuple[Position, dict[str, str] | None]:
    """Previous (-1) / Next (+1): the position `delta` steps on, kept within the lesson, and every URL parameter
    of the page there when that step shows another view than this one (None: only the step number changes)."""
    target = Position(position.lesson, min(max(position.number + delta, 1), position.count))
    lesson = position.lesson
    if view_step(lesson, target.number) == view_step(lesson, position.number):
        return target, None
    return target, target_query(lesson, target.number)
