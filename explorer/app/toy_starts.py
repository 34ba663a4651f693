"""Starts placed by hand: a click on the Toy page's landscape adds a start there or removes the one under it.

The browser reports the clicked point in data coordinates; everything it sends is checked here (a page's
script can send anything), and the result is the "x1, x2; ..." text the URL keeps as typed starts.
"""

from __future__ import annotations

import math
from typing import Mapping, Sequence

from explorer.app.urlstate import MAX_STARTS, Point, format_points
from explorer.toy.problem import WINDOW

PICK_RADIUS = 0.4  # a click this close to a start (in x units, ~8 px on the default chart) removes it


def clicked_point(payload: object, window: tuple[float, float] = WINDOW) -> Point | None:
    """The point a click reported ({"x": .., "y": ..}), rounded to 0.01; None unless two finite numbers in the window."""
    if not isinstance(payload, Mapping):
        return None
    x, y = payload.get("x"), payload.get("y")
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in (x, y)):
        return None
    if not all(window[0] <= v <= window[1] for v in (x, y)):
        return None
    return (round(float(x), 2) + 0.0, round(float(y), 2) + 0.0)


def toggle_start(starts: Sequence[Point], point: Point, radius: float = PICK_RADIUS,
                 limit: int = MAX_STARTS) -> tuple[list[Point], str]:
    """The starts after a click at `point`, and what happened, in words.

    The nearest start within `radius` is removed (the last one stays: a run needs a start); otherwise the
    point is added, up to `limit` starts.
    """
    starts = list(starts)
    if starts:
        dist = [math.hypot(a - point[0], b - point[1]) for a, b in starts]
        nearest = min(range(len(starts)), key=dist.__getitem__)
        if dist[nearest] <= radius:
            if len(starts) == 1:
                return starts, "The only start stays: a run needs one. Click elsewhere to add another first."
            gone = starts.pop(nearest)
            return starts, f"Removed the start {format_points([gone])}."
    if len(starts) >= limit:
        return starts, f"At most {limit} starts: click on one to remove it first."
    starts.append(point)
    return starts, f"Added a start at {format_points([point])}."
