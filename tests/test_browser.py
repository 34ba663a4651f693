"""End-to-end: every page of the running app in real Chromium, with a screenshot of each."""

from __future__ import annotations

import pytest

from conftest import ARTIFACTS

from explorer.bench.browser import wait_idle

pytestmark = pytest.mark.browser

PAGES = {"home": "", "toy": "toy", "ct": "ct", "prior": "prior", "lessons": "lessons"}


def wait_for_app(page, timeout_ms: int = 120_000) -> None:
    """Wait until Streamlit has rendered a title and stayed idle (no running status, no spinner) for 1.5 s."""
    wait_idle(page, timeout_ms, quiet_ms=1500)


@pytest.mark.parametrize("name", list(PAGES))
def test_page_loads_without_exception(page, app_url, name):
    page.goto(f"{app_url}/{PAGES[name]}")
    wait_for_app(page)
    assert page.locator('[data-testid="stException"]').count() == 0
    assert page.locator('[data-testid="stMain"]').inner_text().strip() != ""
    (ARTIFACTS / "screenshots").mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "screenshots" / f"{name}.png"), full_page=True)


def _iteration(url: str) -> int:
    from urllib.parse import parse_qs, urlparse

    return int(parse_qs(urlparse(url).query)["it"][0])


def _wait_for_charts(page, keys=("toy_landscape",)) -> None:
    """Wait until each chart is drawn: the page can be idle while plotly's script is still loading."""
    for key in keys:
        page.wait_for_function(f"""() => {{ const gd = document.querySelector('.st-key-{key} .js-plotly-plot');
            return gd && gd._fullLayout; }}""", timeout=120_000)


def _frame_shown(page) -> int:
    """The iteration the landscape chart shows now: its slider's active step."""
    return int(page.evaluate("""() => { const gd = document.querySelector('.st-key-toy_landscape .js-plotly-plot');
        const s = gd._fullLayout.sliders[0]; return Number(s.steps[s.active].value); }"""))


def _count_frames(page) -> None:
    """Record in window.__frames the name of every frame the landscape chart plays from now on."""
    page.evaluate("""() => { window.__frames = [];
        document.querySelector('.st-key-toy_landscape .js-plotly-plot')
            .on('plotly_animatingframe', (e) => window.__frames.push(e.name)); }""")


def test_play_clicked_as_the_chart_appears_plays_on_from_the_shown_iteration(page, app_url):
    """A visitor who presses Play at once: playback runs from the link's iteration and is not stopped by the
    page's own set-up of the chart (it once was, by a deferred animate to the shown frame)."""
    page.goto(f"{app_url}/toy?it=200&frame=10&follow=0")
    play = '.st-key-toy_landscape .js-plotly-plot .updatemenu-button'
    page.wait_for_function(f"() => !!document.querySelector('{play}')", timeout=120_000, polling="raf")
    _count_frames(page)
    page.locator(play).filter(has_text="Play").click()
    page.wait_for_function("() => window.__frames.length >= 20", timeout=60_000)
    assert page.evaluate("() => window.__frames.slice(0, 2)") == ["210", "220"]


def test_toy_playback_runs_in_the_browser_and_pause_keeps_the_iteration(page, app_url):
    page.goto(f"{app_url}/toy?it=200&frame=10&follow=0")
    wait_for_app(page)
    assert _iteration(page.url) == 200
    page.locator(".st-key-toy_btn_step button").first.click()
    page.wait_for_function("() => window.location.search.includes('it=210')", timeout=60_000)
    wait_for_app(page)
    chart = '.st-key-toy_landscape .js-plotly-plot'
    # Step mounts a new chart: wait for it to show iteration 210, named as plotly's current frame.
    page.wait_for_function(f"""() => {{ const gd = document.querySelector('{chart}');
        return gd && gd._fullLayout && gd._fullLayout._currentFrame === '210'; }}""", timeout=60_000)
    _count_frames(page)
    # Play runs plotly frames in the page: no server rerun while it plays.
    page.locator(f"{chart} .updatemenu-button").filter(has_text="Play").click()
    page.wait_for_function("() => window.__frames.length >= 20", timeout=60_000)
    assert page.evaluate("() => window.__frames[0]") == "220"  # Play continues from the iteration Step showed
    assert page.locator('[data-testid="stStatusWidget"]').count() == 0
    page.locator(f"{chart} .updatemenu-button").filter(has_text="Pause").click()
    paused = _frame_shown(page)
    assert 210 < paused < 1300
    # The page reports where playback paused: the server adopts it, and the link and the diagnostics follow.
    page.wait_for_function(f"() => window.location.search.includes('it={paused}&')"
                           f" || window.location.search.endsWith('it={paused}')", timeout=60_000)
    wait_for_app(page)
    assert _frame_shown(page) == paused
    page.locator(".st-key-toy_btn_step button").first.click()
    page.wait_for_function(f"() => window.location.search.includes('it={paused + 10}')", timeout=60_000)
    wait_for_app(page)
    assert page.locator('[data-testid="stException"]').count() == 0
    page.screenshot(path=str(ARTIFACTS / "screenshots" / "toy_after_play.png"))


def test_a_link_reproduces_the_view(page, app_url):
    page.goto(f"{app_url}/toy?method=gd&t_max=2.5&n_iter=300&it=150&seed=7&starts=random&k=3")
    wait_for_app(page)
    assert page.get_by_role("combobox", name="Method").input_value() == "Gradient descent on f (baseline)"
    assert page.locator('[data-testid="stException"]').count() == 0
    assert _iteration(page.url) == 150
    for key, value in (("method", "gd"), ("t_max", "2.5"), ("seed", "7"), ("k", "3")):
        assert f"{key}={value}" in page.url


def test_bad_url_values_warn_and_keep_working(page, app_url):
    page.goto(f"{app_url}/toy?t_max=nan&n_iter=-5&seed=abc&bogus=1&t_min=5")
    wait_for_app(page)
    assert page.locator('[data-testid="stException"]').count() == 0
    assert page.locator('[data-testid="stAlertContentWarning"]').count() >= 1


def test_a_lesson_opens_the_toy_page_with_its_parameters(page, app_url):
    from explorer.app.lessons import LESSONS

    lesson = LESSONS[1]
    page.goto(f"{app_url}/lessons?lesson={lesson.slug}")
    wait_for_app(page)
    assert page.locator('[data-testid="stException"]').count() == 0
    page.get_by_role("link", name="Open this lesson").click()
    page.wait_for_url(f"**/{lesson.page}?**", timeout=60_000)
    wait_for_app(page)
    assert page.locator('[data-testid="stException"]').count() == 0
    for key, value in lesson.query.items():
        assert f"{key}={value}" in page.url, key


def test_lesson_with_maps_survives_a_control_change(page, app_url):
    """Lesson 3 opens the Toy page with the maps shown; the next control change must not raise."""
    from explorer.app.lessons import LESSONS

    lesson = next(x for x in LESSONS if x.query.get("maps") == "1")
    page.goto(f"{app_url}/lessons?lesson={lesson.slug}")
    wait_for_app(page)
    page.get_by_role("link", name="Open this lesson").click()
    page.wait_for_url(f"**/{lesson.page}?**", timeout=60_000)
    wait_for_app(page, timeout_ms=300_000)
    assert page.locator('[data-testid="stException"]').count() == 0
    field = page.get_by_role("spinbutton", name="t_max")
    field.fill("2")
    field.press("Enter")
    page.wait_for_function("() => window.location.search.includes('t_max=2')", timeout=120_000)
    wait_for_app(page, timeout_ms=300_000)
    assert page.locator('[data-testid="stException"]').count() == 0
    page.reload()
    wait_for_app(page, timeout_ms=300_000)
    assert page.locator('[data-testid="stException"]').count() == 0


OVERLAPS = """(selector) => { const gd = document.querySelector(selector);
    const boxes = [...gd.querySelectorAll('.xtick text, .ytick text, .g-gtitle, .annotation-text, .g-xtitle, '
        + '.g-ytitle')]
        .map(e => [e.textContent, e.getBoundingClientRect()]).filter(([t, r]) => t && r.width > 0);
    const hits = [];
    for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
        const [a, p] = boxes[i], [b, q] = boxes[j];
        if (p.left < q.right && q.left < p.right && p.top < q.bottom && q.top < p.bottom) hits.push(a + ' / ' + b);
    }
    return hits; }"""


def test_toy_charts_have_no_colliding_labels(page, app_url):
    page.goto(f"{app_url}/toy?starts=random&k=8")
    wait_for_app(page)
    _wait_for_charts(page, ("toy_landscape", "toy_diagnostics"))
    for key in ("toy_landscape", "toy_diagnostics"):
        selector = f".st-key-{key} .js-plotly-plot"
        assert page.locator(selector).count() == 1
        assert page.evaluate(OVERLAPS, selector) == [], key


# The landscape's controls under the plot: the x-axis title and ticks, Play / Pause, the slider's rail, the legend.
CONTROLS_OVERLAP = """(selector) => { const gd = document.querySelector(selector);
    const parts = [...gd.querySelectorAll('.g-xtitle, .xtick text, .updatemenu-button, .slider-rail-rect, .legend .bg')]
        .map(e => [e.getAttribute('class') + ' ' + (e.textContent || ''), e.getBoundingClientRect()])
        .filter(([, r]) => r.width > 0 && r.height > 0);
    const hits = [];
    for (let i = 0; i < parts.length; i++) for (let j = i + 1; j < parts.length; j++) {
        const [a, p] = parts[i], [b, q] = parts[j];
        if (p.left < q.right - 1 && q.left < p.right - 1 && p.top < q.bottom - 1 && q.top < p.bottom - 1)
            hits.push(a + ' / ' + b);
    }
    return [parts.length, hits]; }"""


# Following t_k (the default) the slider has no current-value text; at a fixed t it has.
@pytest.mark.parametrize("width,height,query", [(1440, 900, ""), (1280, 720, ""), (1440, 900, "?follow=0&t=1.0"),
                                                (1280, 720, "?follow=0&t=1.0")])
def test_toy_controls_under_the_landscape_do_not_overlap(page, app_url, width, height, query):
    page.set_viewport_size({"width": width, "height": height})
    page.goto(f"{app_url}/toy{query}")
    wait_for_app(page)
    _wait_for_charts(page)
    count, hits = page.evaluate(CONTROLS_OVERLAP, ".st-key-toy_landscape .js-plotly-plot")
    assert count >= 8 and hits == []  # title, ticks, two buttons, the rail and the legend were all found


def test_toy_landscape_opens_at_its_settled_margins(page, app_url):
    """At 1440 x 900 the default landscape's margins are already where plotly's automargins settle, so it is
    drawn once when it mounts, not a second time with grown margins (a new visitor's first figure)."""
    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto(f"{app_url}/toy")
    wait_for_app(page)
    _wait_for_charts(page)
    size, margin = page.evaluate("""() => { const gd = document.querySelector('.st-key-toy_landscape .js-plotly-plot');
        return [gd._fullLayout._size, gd.layout.margin]; }""")
    assert {side: size[side] for side in "lrtb"} == {side: margin[side] for side in "lrtb"}
