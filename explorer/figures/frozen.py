"""Finished figures, converted to plain data once.

A Streamlit page converts a plotly figure with `to_dict()` on every script run, even when the figure itself is
kept between runs: plotly copies the whole figure and encodes each numpy array in it again. For the Toy page's
landscape (101 frames, ~420 arrays) that cost 40-120 ms of the server's time on every visit, before the chart
could be sent. A frozen figure makes its plain form once and answers every later `to_dict()` with it.
"""

from __future__ import annotations

import plotly.graph_objects as go


class FrozenFigure(go.Figure):
    """A figure that is not changed again: `to_dict()` returns (a shallow copy of) the form made when frozen.

    Made by `freeze`; changing it afterwards would not change what it sends.
    """

    _plain: dict

    def to_dict(self) -> dict:
        return dict(self._plain)


def freeze(fig: go.Figure) -> FrozenFigure:
    """`fig` itself, frozen: its plain form made now, once, for every later `to_dict()` and JSON conversion."""
    plain = go.Figure.to_dict(fig)
    fig.__class__ = FrozenFigure  # the same object and layout; only `to_dict` differs
    fig._plain = plain
    return fig
