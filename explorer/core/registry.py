"""The one registry of methods and step rules: their names, labels and defaults.

Every list of choices (the pages' select boxes, the URL validators, the CLI's flags) and every construction
from a name goes through here, so a method or a step rule is named and labelled the same way everywhere.
The compiled toy backend derives its integer codes from the order below.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from explorer.core.methods import AdaptiveSmoothing, GNCFlow, GradientDescent, GradientLike, Method
from explorer.core.steps import Armijo, BarzilaiBorwein, Fixed, PlainBarzilaiBorwein, StepRule


@dataclass(frozen=True)
class MethodSpec:
    """A method under its name: how to build it, how to call it, which step rule the authors used with it."""

    name: str  # the vocabulary key (URL values, CLI flags, JSON reports)
    label: str  # what a person reads
    factory: Callable[[], Method]
    step_rule: str  # the authors' step rule for it on the toy (a key of STEP_RULES)
    latex: str  # its update in the paper's notation, for display


@dataclass(frozen=True)
class StepRuleSpec:
    """A step rule under its name; `factory(step_size)` builds it (None: the rule's own default)."""

    name: str
    label: str
    factory: Callable[[float | None], StepRule]
    latex: str  # how the step size b_k is chosen, for display


def _fixed(step_size: float | None) -> Fixed:
    return Fixed() if step_size is None else Fixed(step_size)


def _armijo(step_size: float | None) -> Armijo:
    return Armijo() if step_size is None else Armijo(b0=step_size)


def _bb(step_size: float | None) -> BarzilaiBorwein:
    return BarzilaiBorwein() if step_size is None else BarzilaiBorwein(b0=step_size)


def _bb_plain(step_size: float | None) -> PlainBarzilaiBorwein:
    return PlainBarzilaiBorwein() if step_size is None else PlainBarzilaiBorwein(b0=step_size)


METHODS: dict[str, MethodSpec] = {spec.name: spec for spec in (
    MethodSpec("gnc", "GNC flow (Algorithm 1)", GNCFlow, "fixed",
               r"x_{k+1} = x_k - b_k\, t_k \nabla_x F(x_k, t_k)"),
    MethodSpec("gradient-like", "Gradient-like, authors' variant (Algorithm 2)", GradientLike, "armijo",
               r"\begin{aligned} d_k &= -t_k \nabla_x F(x_k, t_k) \\ x_{k+1} &= x_k + b_k d_k "
               r"\ \text{if } \langle \nabla f(x_k), d_k \rangle < 0, \text{ else } x_k \end{aligned}"),
    MethodSpec("adaptive", "Gradient-like, adaptive smoothing (Algorithm 2)", AdaptiveSmoothing, "armijo",
               r"\begin{aligned} t_k &= \max\{t \le t_{k-1} : \langle \nabla f(x_k), \nabla_x F(x_k, t) "
               r"\rangle > 0\} \\ x_{k+1} &= x_k - b_k\, t_k \nabla_x F(x_k, t_k) \end{aligned}"),
    MethodSpec("gd", "Gradient descent on f (baseline)", GradientDescent, "fixed",
               r"x_{k+1} = x_k - b_k \nabla f(x_k)"),
)}

STEP_RULES: dict[str, StepRuleSpec] = {spec.name: spec for spec in (
    StepRuleSpec("fixed", "Fixed step b", _fixed, r"b_k = b"),
    StepRuleSpec("armijo", "Armijo backtracking", _armijo,
                 r"\begin{aligned} b_k &= b\, r^{l}, \ l \text{ the first with} \\ f(x_k + b_k d_k) &\le "
                 r"f(x_k) + c\, b_k \langle \nabla f(x_k), d_k \rangle \end{aligned}"),
    StepRuleSpec("bb", "Barzilai-Borwein, then Armijo", _bb,
                 r"b_k = 4\, \frac{\langle s, s \rangle}{\langle s, \Delta g \rangle}\, r^{l}, \quad "
                 r"s = x_k - x_{k-1}"),
    StepRuleSpec("bb-plain", "Barzilai-Borwein, no line search", _bb_plain,
                 r"b_k = \frac{\langle s, s \rangle}{\langle s, \Delta g \rangle}, \quad s = x_k - x_{k-1}, "
                 r"\ \Delta g = d_{k-1} - d_k"),
)}


def make_method(name: str) -> Method:
    """The method called `name`; ValueError names the choices."""
    if name not in METHODS:
        raise ValueError(f"unknown method {name!r}; choose one of {', '.join(METHODS)}")
    return METHODS[name].factory()


def make_step_rule(name: str, step_size: float | None = None) -> StepRule:
    """The step rule called `name` with step size b (the fixed step, or a line search's first trial)."""
    if name not in STEP_RULES:
        raise ValueError(f"unknown step rule {name!r}; choose one of {', '.join(STEP_RULES)}")
    return STEP_RULES[name].factory(step_size)


def method_name(method: Method) -> str:
    """The registry name of a method object."""
    return next(spec.name for spec in METHODS.values() if type(method) is spec.factory)


def step_rule_name(rule: StepRule) -> str:
    """The registry name of a step rule object."""
    return next(name for name, cls in (("fixed", Fixed), ("armijo", Armijo), ("bb", BarzilaiBorwein),
                                       ("bb-plain", PlainBarzilaiBorwein)) if type(rule) is cls)


def method_code(method: Method) -> int:
    """The method's position in METHODS: its code in compiled kernels."""
    return list(METHODS).index(method_name(method))


def step_rule_code(rule: StepRule) -> int:
    """The step rule's position in STEP_RULES: its code in compiled kernels."""
    return list(STEP_RULES).index(step_rule_name(rule))
