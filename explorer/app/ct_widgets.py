"""The CT page's widgets without streamlit: their labels, their session-state keys, and CTParams to and from them.

Every control's value lives in its widget's session-state entry; the URL mirrors them (:mod:`explorer.app.urlstate`).
The functions take the session state as a plain mapping, so they are tested without a server.
"""

from __future__ import annotations

import os
from dataclasses import fields, replace
from typing import Mapping, MutableMapping, Sequence

import torch

from explorer.app.urlstate import CTParams, problem_takes
from explorer.ct.problem import OPERATOR_PARAMS, ProblemSettings
from explorer.imaging.dicom import WINDOWS
from explorer.problems import PROBLEMS

TAB_LABELS = {"forward": "Forward model", "reconstruction": "Reconstruction"}
PHANTOM_LABELS = {"ellipses": "Random ellipses", "shepp-logan": "Shepp-Logan", "ct-slice": "Real CT slice (built-in)",
                  "upload": "Upload an image or DICOM slice"}

PRIOR_LABELS = {"network": "Learned energy U-Net", "network-small": "Learned U-Net, small (distilled, faster)",
                "gaussian": "Analytic Gaussian"}
# A value for each operator parameter's widget when the chosen problem does not set one (the first problem's
# default that takes it): the widget is hidden then, and the URL leaves the parameter out.
PARAM_FALLBACKS = {name: next(kind.defaults[name] for kind in PROBLEMS.values() if name in kind.defaults)
                   for name in OPERATOR_PARAMS}
INIT_LABELS = {"zeros": "zeros", "constant": "constant 0.5", "fbp": "FBP", "noise": "Gaussian noise",
               "phantom": "another phantom", "upload": "uploaded image"}


def widget_key(name: str) -> str:
    """Session-state key of the widget that holds the CTParams field `name` (for "tab": the tabs' own key)."""
    return f"ct_{name}"


DEVICE_VARIABLE = "GNC_EXPLORER_DEVICE"  # "cpu" or "cuda": where the page's solver runs (default: CUDA when present)


def page_device(environ: Mapping[str, str] = os.environ) -> str:
    """Where the CT page runs its solver: the GPU when one is present, unless GNC_EXPLORER_DEVICE says "cpu".

    A value other than "cpu" or "cuda", or "cuda" without a GPU, gives the CPU: the page must always run.
    """
    wanted = environ.get(DEVICE_VARIABLE, "").strip().lower()
    if wanted == "cpu":
        return "cpu"
    return "cuda" if torch.cuda.is_available() else "cpu"


def problem_label(name: str) -> str:
    """What the Problem select shows: the catalogue's description, capitalised."""
    text = PROBLEMS[name].description
    return text[:1].upper() + text[1:]


def is_tomography(problem: str) -> bool:
    """Whether the problem measures a sinogram (the CT kinds: they take projection angles)."""
    return "n_angles" in PROBLEMS[problem].defaults


def init_label(name: str, reference_name: str = "FBP") -> str:
    """A start's label; the "fbp" start is the problem's reference image and carries its name."""
    return reference_name if name in ("fbp", "reference") else INIT_LABELS[name]


def operator_text(settings: ProblemSettings) -> str:
    """The operator and its resolved parameters in one line, e.g. "Gaussian deblurring (zero boundary); sigma 1.5"."""
    params = ", ".join(f"{name.replace('_', ' ')} {value:g}" if isinstance(value, (int, float)) else
                       f"{name.replace('_', ' ')} {value}" for name, value in settings.operator_params().items())
    return problem_label(settings.problem) + (f"; {params}" if params else "")


def operator_value(params: CTParams, name: str):
    """The value of an operator parameter's widget: the link's, else the problem's default, else PARAM_FALLBACKS."""
    value = getattr(params, name)
    if value is None:
        value = PROBLEMS[params.problem].defaults.get(name, PARAM_FALLBACKS[name])
    return value


def apply_problem_defaults(state: MutableMapping) -> None:
    """The Problem select changed: every operator widget takes the new problem's default."""
    problem = state.get(widget_key("problem"), CTParams.problem)
    for name, value in PROBLEMS[problem].defaults.items():
        state[widget_key(name)] = value


def seed_widgets(state: MutableMapping, parsed: CTParams, priors: Sequence[str]) -> None:
    """Give every widget without state its value from the parsed URL (first visit, or after it was hidden).

    A prior that cannot be used here (`priors` lists those that can) gives way to the first usable one;
    an operator parameter the link leaves out takes the problem's default.
    """
    for f in fields(CTParams):
        value = getattr(parsed, f.name)
        if f.name in OPERATOR_PARAMS:
            value = operator_value(parsed, f.name)
        elif f.name == "tab":
            value = TAB_LABELS[value]
        elif f.name == "inits":
            value = list(value)
        elif f.name == "prior" and value not in priors:
            value = priors[0]
        state.setdefault(widget_key(f.name), value)


def params_from_widgets(state: MutableMapping, shown: CTParams) -> CTParams:
    """The parameters the widgets hold now; `shown` (what the URL said) for widgets without state.

    The Reconstruction tab's widgets are only laid out while it is open, so the URL keeps their values while
    the user works in the Forward model tab.
    """
    values = {f.name: state[widget_key(f.name)] for f in fields(CTParams) if widget_key(f.name) in state}
    if "tab" in values:
        values["tab"] = next((name for name, label in TAB_LABELS.items() if label == values["tab"]), CTParams.tab)
    if "inits" in values:
        values["inits"] = tuple(values["inits"]) or CTParams.inits[:1]
    params = replace(shown, **values)
    # The link carries only the parameters of the chosen problem.
    takes = problem_takes(params.problem)
    return replace(params, **{name: None for name in OPERATOR_PARAMS if name not in takes})


def problem_settings(params: CTParams, **values) -> ProblemSettings:
    """The ProblemSettings of the page's problem and its operator parameters (the others left out), and `values`."""
    takes = problem_takes(params.problem)
    return ProblemSettings(problem=params.problem, **{name: operator_value(params, name) for name in takes}, **values)


def apply_window_preset(state: MutableMapping) -> None:
    """The window select changed: a preset sets the centre and width widgets to its values ("custom" keeps them)."""
    preset = WINDOWS.get(state.get(widget_key("window")))
    if preset is not None:
        state[widget_key("window_center")], state[widget_key("window_width")] = preset


def mark_custom_window(state: MutableMapping) -> None:
    """A centre or width was typed: the window select says "custom" unless the pair is still its preset's."""
    pair = (state.get(widget_key("window_center")), state.get(widget_key("window_width")))
    if WINDOWS.get(state.get(widget_key("window"))) != pair:
        state[widget_key("window")] = "custom"
