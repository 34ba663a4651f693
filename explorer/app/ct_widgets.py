"""The CT page's widgets without streamlit: their labels, their session-state keys, and CTParams to and from them.

Every control's value lives in its widget's session-state entry; the URL mirrors them (:mod:`explorer.app.urlstate`).
The functions take the session state as a plain mapping, so they are tested without a server.
"""

from __future__ import annotations

from dataclasses import fields, replace
from typing import MutableMapping, Sequence

from explorer.app.urlstate import CTParams
from explorer.imaging.dicom import WINDOWS

TAB_LABELS = {"forward": "Forward model", "reconstruction": "Reconstruction"}
PHANTOM_LABELS = {"ellipses": "Random ellipses", "shepp-logan": "Shepp-Logan", "ct-slice": "Real CT slice (built-in)",
                  "upload": "Upload an image or DICOM slice"}

PRIOR_LABELS = {"network": "Learned energy U-Net", "gaussian": "Analytic Gaussian"}
INIT_LABELS = {"zeros": "zeros", "constant": "constant 0.5", "fbp": "FBP", "noise": "Gaussian noise",
               "phantom": "another phantom", "upload": "uploaded image"}


def widget_key(name: str) -> str:
    """Session-state key of the widget that holds the CTParams field `name` (for "tab": the tabs' own key)."""
    return f"ct_{name}"


def seed_widgets(state: MutableMapping, parsed: CTParams, priors: Sequence[str]) -> None:
    """Give every widget without state its value from the parsed URL (first visit, or after it was hidden).

    A prior that cannot be used here (`priors` lists those that can) gives way to the first usable one.
    """
    for f in fields(CTParams):
        value = getattr(parsed, f.name)
        if f.name == "tab":
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
    return replace(shown, **values)


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
