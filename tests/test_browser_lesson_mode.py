"""Lesson mode end to end in Chromium: a lesson's link opens the Toy or CT page with the lesson panel in the
sidebar, Next moves through the steps (loading a step's view where it has one), and the panel leaves the page's
key figure where it was on the first screen of a 1280 x 720 window."""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from conftest import ARTIFACTS

from explorer.app.lessons import LESSONS, deep_link, target_query, without_lesson
from explorer.bench.browser import wait_idle

pytestmark = pytest.mark.browser

WIDTH, HEIGHT = 1280, 720
PANEL = '[data-testid="stSidebar"] [data-testid="stExpander"]'
LANDSCAPE = ".st-key-toy_landscape"
CT_GRID = ".st-key-ct_rec_grid"
ITERATION = '[data-testid="stMetric"]:has-text("Iteration")'  # the Reconstruction tab's first metric


def _lesson(slug: str):
    return next(lesson for lesson in LESSONS if lesson.slug == slug)


def _url_params(page) -> dict[str, str]:
    return {key: values[-1] for key, values in parse_qs(urlsplit(page.url).query).items()}


def _panel(page):
    return page.locator(PANEL).filter(has_text="Lesson: step")


def _open(page, url: str, timeout_ms: int = 300_000) -> None:
    page.set_viewport_size({"width": WIDTH, "height": HEIGHT})
    page.goto(url)
    wait_idle(page, timeout_ms, quiet_ms=1500)
    assert page.locator('[data-testid="stException"]').count() == 0


def _wait_for_chart(page, selector: str) -> None:
    """Wait until plotly has drawn the chart: the page can be idle while plotly's script is still loading."""
    page.wait_for_function(f"""() => {{ const gd = document.querySelector('{selector} .js-plotly-plot');
        return gd && gd._fullLayout; }}""", timeout=300_000)


def _box(page, selector: str) -> dict:
    box = page.locator(selector).first.bounding_box()
    assert box is not None, selector
    return box


def _next(page, step: int) -> None:
    """Press Next in the panel and wait until the URL names `step` and the page has settled."""
    _panel(page).get_by_role("button", name="Next").click()
    page.wait_for_function(f"() => new URLSearchParams(location.search).get('step') === '{step}'", timeout=120_000)
    wait_idle(page, 300_000, quiet_ms=1500)
    assert page.locator('[data-testid="stException"]').count() == 0


def test_the_toy_lesson_panel_steps_through_the_lesson(page, app_url):
    lesson = _lesson("trapped")
    # Without the lesson first: where the landscape sits on the first screen.
    _open(page, f"{app_url}/toy?{urlencode(without_lesson(target_query(lesson)))}")
    _wait_for_chart(page, LANDSCAPE)
    plain = _box(page, LANDSCAPE)

    _open(page, f"{app_url}{deep_link(lesson)}")
    assert (_url_params(page)["lesson"], _url_params(page)["step"]) == ("trapped", "1")
    panel = _panel(page)
    panel.wait_for(timeout=60_000)
    assert panel.is_visible()
    text = panel.inner_text()
    assert "Lesson: step 1 of 4" in text and lesson.title in text and "Six random starts" in text
    _wait_for_chart(page, LANDSCAPE)
    chart = _box(page, LANDSCAPE)
    # The panel is in the sidebar: the landscape stays where it was, its top on the first screen, most of it shown.
    assert abs(chart["y"] - plain["y"]) <= 2 and chart["y"] < HEIGHT / 2
    assert min(HEIGHT, chart["y"] + chart["height"]) - chart["y"] >= 0.85 * chart["height"]
    (ARTIFACTS / "screenshots").mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "screenshots" / "lesson_mode_toy.png"))

    # Step 2 keeps the view: plain gradient descent from the same six random starts.
    _next(page, 2)
    params = _url_params(page)
    assert (params["lesson"], params["method"], params["seed"], params["n_iter"]) == ("trapped", "gd", "1", "1300")
    assert "Lesson: step 2 of 4" in _panel(page).inner_text()
    # Step 3 loads its own: GNC with N = 5000.
    _next(page, 3)
    params = _url_params(page)
    assert (params["lesson"], params["method"], params["n_iter"]) == ("trapped", "gnc", "5000")
    assert page.get_by_label("N iterations").input_value() == "5000"
    assert page.get_by_role("combobox", name="Method").input_value() == "GNC flow (Algorithm 1)"
    assert "Lesson: step 3 of 4" in _panel(page).inner_text()
    _wait_for_chart(page, LANDSCAPE)
    assert abs(_box(page, LANDSCAPE)["y"] - plain["y"]) <= 2


def test_close_lesson_keeps_the_toy_view(page, app_url):
    _open(page, f"{app_url}{deep_link(_lesson('smoothing'), number=2)}")
    _panel(page).get_by_role("button", name="Close lesson").click()
    page.wait_for_function("() => !new URLSearchParams(location.search).has('lesson')", timeout=120_000)
    wait_idle(page, 120_000, quiet_ms=1500)
    params = _url_params(page)
    assert "step" not in params and (params["t"], params["follow"]) == ("0.5", "0")
    assert _panel(page).count() == 0


def test_the_ct_lesson_panel_loads_the_next_problem(page, app_url):
    lesson = _lesson("three-problems")
    _open(page, f"{app_url}{deep_link(lesson)}")
    panel = _panel(page)
    panel.wait_for(timeout=60_000)
    text = panel.inner_text()
    assert "Lesson: step 1 of 3" in text and lesson.title in text and "Sparse-view CT" in text
    assert page.get_by_role("tab", name="Reconstruction").get_attribute("aria-selected") == "true"
    _wait_for_chart(page, CT_GRID)
    # The iterates and their metrics start on the first screen at 1280 x 720.
    metric = _box(page, ITERATION)
    assert metric["y"] + metric["height"] <= HEIGHT
    assert _box(page, CT_GRID)["y"] < HEIGHT
    (ARTIFACTS / "screenshots").mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "screenshots" / "lesson_mode_ct.png"))

    _next(page, 2)
    params = _url_params(page)
    assert (params["lesson"], params["problem"], params["sigma"], params["tab"]) == ("three-problems", "deblur",
                                                                                     "2.0", "reconstruction")
    assert "Lesson: step 2 of 3" in _panel(page).inner_text()
    # The starts now include the deblurring problem's own reference image.
    page.locator('[data-testid="stMetric"]').filter(has_text="PSNR Wiener filter").wait_for(timeout=300_000)
    _wait_for_chart(page, CT_GRID)
    metric = _box(page, ITERATION)
    assert metric["y"] + metric["height"] <= HEIGHT
