"""The CT page's comparison of GNC and plain GD in real Chromium: labelled rows, nothing overlapping or clipped.

Its two colour bars' titles once ran into each other and past the chart's edge, and its rows said nothing of
which method they showed. The test reads the boxes the browser drew for the chart's title, its annotations (the
column titles and the row labels), its colour bars and their titles, and its images.
"""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from conftest import ARTIFACTS
from explorer.core.registry import METHODS
from explorer.figures.images import row_label_lines
from test_browser import wait_for_app

pytestmark = pytest.mark.browser

# A quick comparison: 32 x 32, 20 angles, the analytic prior, 8 iterations from two starts.
QUICK = {"tab": "reconstruction", "n": "32", "n_angles": "20", "prior": "gaussian", "n_iter": "8", "frame": "4",
         "inits": "zeros,noise"}
CHART = ".st-key-ct_rec_compare_grid .js-plotly-plot"

# The boxes (viewport pixels) of what plotly drew in the chart; a colour bar's own title is inside its box, so
# each title says which bar it belongs to.
BOXES = """(selector) => {
    const gd = document.querySelector(selector);
    const box = (e) => { const r = e.getBoundingClientRect();
                         return {left: r.left, top: r.top, right: r.right, bottom: r.bottom}; };
    const bars = [...gd.querySelectorAll('.colorbar')];
    const drawn = (items) => items.filter((b) => b.right - b.left > 0 && b.bottom - b.top > 0);
    return {
        chart: box(gd),
        title: drawn([...gd.querySelectorAll('.gtitle')].map((e) => ({...box(e), text: e.textContent}))),
        annotation: drawn([...gd.querySelectorAll('.annotation')].map((e) => ({...box(e), text: e.textContent}))),
        colorbar: drawn(bars.map((e, i) => ({...box(e), bar: i}))),
        cbtitle: drawn([...gd.querySelectorAll('.colorbar .cbtitle')].map((e) => (
            {...box(e), bar: bars.indexOf(e.closest('.colorbar')), text: e.textContent}))),
        image: drawn([...gd.querySelectorAll('.hm image')].map(box)),
    };
}"""
SLACK = 0.5  # px: boxes that only touch do not overlap


def _overlap(a: dict, b: dict) -> bool:
    return (min(a["right"], b["right"]) - max(a["left"], b["left"]) > SLACK
            and min(a["bottom"], b["bottom"]) - max(a["top"], b["top"]) > SLACK)


def _inside(a: dict, chart: dict) -> bool:
    return (a["left"] >= chart["left"] - SLACK and a["right"] <= chart["right"] + SLACK
            and a["top"] >= chart["top"] - SLACK and a["bottom"] <= chart["bottom"] + SLACK)


def _stable_boxes(page) -> dict:
    """The chart's boxes once two reads 300 ms apart agree: Streamlit sizes the chart to its column after drawing."""
    last = None
    for _ in range(40):
        boxes = page.evaluate(BOXES, CHART)
        if boxes == last:
            return boxes
        last = boxes
        page.wait_for_timeout(300)
    return last


@pytest.mark.parametrize("width, height", [(1280, 720), (1440, 900)])
def test_the_comparison_labels_its_rows_and_nothing_overlaps_or_is_clipped(browser, app_url, width, height):
    context = browser.new_context(viewport={"width": width, "height": height})
    try:
        page = context.new_page()
        page.goto(f"{app_url}/ct?{urlencode(QUICK)}")
        wait_for_app(page, timeout_ms=300_000)
        assert page.locator('[data-testid="stException"]').count() == 0
        page.get_by_role("button", name="Run the same starts under GNC and plain gradient descent").click()
        page.wait_for_function("(s) => { const gd = document.querySelector(s); return gd && gd._fullLayout; }",
                               arg=CHART, timeout=300_000)
        wait_for_app(page, timeout_ms=300_000)
        assert page.locator('[data-testid="stException"]').count() == 0
        chart = page.locator(CHART)
        chart.scroll_into_view_if_needed()
        boxes = _stable_boxes(page)

        # Each row names its method (the registry's label, wrapped), and the starts title the columns.
        texts = [a["text"] for a in boxes["annotation"]]
        for method in ("gnc", "gd"):
            assert "".join(row_label_lines(METHODS[method].label)) in texts, texts
        assert {"zeros", "Gaussian noise"} <= set(texts), texts
        assert len(boxes["title"]) == 1 and len(boxes["colorbar"]) >= 1 and len(boxes["image"]) == 2, boxes

        named = [(kind, i, b) for kind in ("title", "annotation", "colorbar", "cbtitle")
                 for i, b in enumerate(boxes[kind])]
        for kind, i, b in named:
            assert _inside(b, boxes["chart"]), (kind, b, boxes["chart"])
        for n, (kind_a, i, a) in enumerate(named):
            for kind_b, j, b in named[n + 1:]:
                own_title = {kind_a, kind_b} == {"colorbar", "cbtitle"} and a["bar"] == b["bar"]
                assert own_title or not _overlap(a, b), (kind_a, a, kind_b, b)
            for image in boxes["image"]:
                assert not _overlap(a, image), (kind_a, a, image)

        ARTIFACTS.mkdir(exist_ok=True)
        chart.screenshot(path=str(ARTIFACTS / f"ct_compare_{width}.png"))
    finally:
        context.close()
