"""Hostile links in real Chromium: user text shows as plain text, and a run nobody watches stops burning CPU."""

from __future__ import annotations

from urllib.parse import quote, urlencode, urlsplit

import pytest

from explorer.bench.abandoned import GOAL_S, measure
from explorer.bench.browser import streamlit_server
from test_browser import wait_for_app

pytestmark = pytest.mark.browser

OUTSIDE = "example.invalid"
HOSTILE = {"method": f"[click](http://{OUTSIDE})", f"![img](http://{OUTSIDE}/x.png)": "1", "x": "$\\alpha$",
           "seed": f":red[big] <img src=http://{OUTSIDE}/y.png> `code`\nnext line www.{OUTSIDE}"}
SLUG = f"](http://{OUTSIDE})![x](http://{OUTSIDE}/z.png)$x^2$:red[z]"


def _open(page, url: str) -> list[str]:
    """Open `url`, wait for the page, and return the requests the page made outside the app's origin."""
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(url))
    outside: list[str] = []
    page.on("request", lambda request: outside.append(request.url)
            if not request.url.startswith((origin, "data:", "blob:")) else None)
    page.goto(url)
    wait_for_app(page)
    return outside


def _assert_plain(page, outside: list[str]) -> None:
    """No link or image to the outside site, no formula or colour in an alert, no exception, no outside request."""
    assert page.locator(f'a[href*="{OUTSIDE}"]').count() == 0
    origin = page.evaluate("() => location.origin")
    sources = page.evaluate("() => [...document.images].map(i => i.src)")
    assert all(src.startswith((origin, "data:", "blob:")) for src in sources), sources
    alerts = page.locator('[data-testid="stAlert"]')
    assert alerts.count() >= 1
    assert alerts.locator(".katex, img, a, code, span[style*='color']").count() == 0
    assert page.locator('[data-testid="stException"]').count() == 0
    assert not [url for url in outside if OUTSIDE in url], outside


@pytest.mark.parametrize("page_name", ["toy", "ct"])
def test_hostile_url_values_show_as_plain_text(page, app_url, page_name):
    outside = _open(page, f"{app_url}/{page_name}?{urlencode(HOSTILE)}")
    _assert_plain(page, outside)
    text = page.locator('[data-testid="stAlert"]').first.inner_text()
    assert "[click]" in text and "![img]" in text  # the reader sees the characters themselves


def test_a_hostile_lesson_slug_shows_as_plain_text(page, app_url):
    outside = _open(page, f"{app_url}/lessons?lesson={quote(SLUG)}")
    _assert_plain(page, outside)
    assert "no lesson" in page.locator('[data-testid="stAlert"]').first.inner_text()


def test_a_thousand_unknown_keys_give_one_short_warning(page, app_url):
    query = urlencode({f"key{i}": "1" for i in range(1000)})
    _open(page, f"{app_url}/toy?{query}")
    alerts = page.locator('[data-testid="stAlert"]')
    assert alerts.count() == 1
    assert alerts.first.bounding_box()["height"] < 200
    assert "1000 unknown URL parameters" in alerts.first.inner_text()


def test_a_closed_tab_stops_its_ct_run(browser):
    """Run to the end at 128 x 128, 60 angles, four starts; the tab closes after 2 s; the server goes idle."""
    with streamlit_server() as (url, server):
        result = measure(url, server.pid, browser, action="run", n_iter=2000, watch_s=10.0)
    assert result["cpu_rate_while_running"] > 0.3, result  # the run was really going
    assert result["stopped_after_s"] is not None and result["stopped_after_s"] < GOAL_S, result
