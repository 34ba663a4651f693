"""A frozen figure sends what it was when frozen, and is not converted again."""

import json

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio

from explorer.figures.frozen import FrozenFigure, freeze


def _figure() -> go.Figure:
    fig = go.Figure(go.Scatter(x=np.arange(5.0), y=np.arange(5.0) ** 2, name="a"))
    fig.frames = [go.Frame(name=str(k), data=[go.Scatter(x=np.arange(k + 1.0))]) for k in range(3)]
    fig.update_layout(title="t")
    return fig


def test_a_frozen_figure_is_the_same_figure_with_the_same_json() -> None:
    before = pio.to_json(_figure(), validate=False)
    fig = _figure()
    frozen = freeze(fig)
    assert frozen is fig and isinstance(frozen, FrozenFigure) and isinstance(frozen, go.Figure)
    assert pio.to_json(frozen, validate=False) == before
    assert json.loads(before)["frames"][2]["name"] == "2"


def test_a_frozen_figure_is_converted_once(monkeypatch) -> None:
    fig = freeze(_figure())
    calls = []
    original = go.Figure.to_dict
    monkeypatch.setattr(go.Figure, "to_dict", lambda self: calls.append(1) or original(self))
    for _ in range(3):
        pio.to_json(fig, validate=False)
    assert calls == []


def test_what_a_caller_does_to_the_dict_it_gets_does_not_change_the_figure() -> None:
    fig = freeze(_figure())
    first = fig.to_dict()
    first["layout"] = {"title": {"text": "changed"}}
    assert fig.to_dict()["layout"]["title"]["text"] == "t"
