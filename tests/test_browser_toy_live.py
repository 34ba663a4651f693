"""The Toy page as a lecturer uses it, in Chromium: everything beside the chart follows the frame that plays,
a click on the landscape adds or removes a start (kept in the URL), and keys drive playback."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, unquote, urlparse

import pytest

from conftest import ARTIFACTS

from explorer.bench.browser import wait_idle

pytestmark = pytest.mark.browser

CHART = ".st-key-toy_landscape .js-plotly-plot"
# What the page shows now: plotly's current frame, the readout's fields (in the component's shadow root) and
# the diagnostics' cursor position in data units (from its path's box and the x axis).
READ = """() => {
  const host = document.querySelector('.st-key-toy_readout');
  const holder = host && [...host.querySelectorAll('*')].find((e) => e.shadowRoot);
  const root = holder ? holder.shadowRoot : host;
  const field = (n) => root && root.querySelector(`[data-field="${n}"]`)?.textContent;
  const gd = document.querySelector('.st-key-toy_landscape .js-plotly-plot');
  const diag = document.querySelector('.st-key-toy_diagnostics .js-plotly-plot');
  const index = diag.layout.shapes.findIndex((s) => s.name === 'cursor');
  const path = diag.querySelector(`.shapelayer path[data-index="${index}"]`);
  const box = path.getBoundingClientRect(), area = diag.querySelector('.nsewdrag').getBoundingClientRect();
  const xa = diag._fullLayout.xaxis;
  return { frame: gd._fullLayout._currentFrame, k: field('k'), t: field('t'), verdict: field('verdict'),
           lam: field('lam'), cursor: xa.p2l(box.left + box.width / 2 - area.left) };
}"""


def _query(page) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlparse(page.evaluate("location.href")).query).items()}


def _ready(page, url: str) -> None:
    page.goto(url)
    wait_idle(page, 120_000, quiet_ms=1500)
    page.wait_for_function(f"() => {{ const gd = document.querySelector('{CHART}'); return gd && gd._fullLayout; }}",
                           timeout=120_000)
    page.wait_for_function("() => !!document.querySelector('.st-key-toy_diagnostics .js-plotly-plot .shapelayer')",
                           timeout=120_000)


@pytest.mark.parametrize("follow", ["1", "0"])
def test_readout_and_cursor_follow_every_sampled_frame_of_playback(page, app_url, follow):
    _ready(page, f"{app_url}/toy?it=0&frame=10&follow={follow}&t=0.5")
    page.locator(f"{CHART} .updatemenu-button").filter(has_text="Play").click()
    samples = []
    for _ in range(12):
        time.sleep(0.25)
        samples.append(page.evaluate(READ))
    page.locator(f"{CHART} .updatemenu-button").filter(has_text="Pause").click()
    moving = [s for s in samples if s["frame"] not in (None, "0")]
    assert len({s["frame"] for s in moving}) >= 4, samples  # playback ran through several frames
    for s in moving:
        # The readout names the very frame plotly shows, and the cursor stands at its iteration.
        assert s["k"] == s["frame"], s
        assert abs(s["cursor"] - int(s["frame"])) <= 3, s
    # t_k is the frame's own: it falls as k grows (the linear schedule), and the verdict matches the eigenvalue.
    ts = [float(s["t"]) for s in moving]
    assert ts == sorted(ts, reverse=True) and ts[0] < 3.511
    assert all((float(s["lam"]) >= 0) == (s["verdict"] == "convex") for s in moving)


def test_a_click_adds_a_start_to_the_url_and_a_click_on_it_removes_it(page, app_url):
    _ready(page, f"{app_url}/toy?it=1300")

    def click_at(x: float, y: float) -> None:
        box = page.evaluate(f"""() => {{ const gd = document.querySelector('{CHART}');
            const r = gd.querySelector('.nsewdrag').getBoundingClientRect();
            return {{ x: r.left + gd._fullLayout.xaxis.l2p({x}), y: r.top + gd._fullLayout.yaxis.l2p({y}) }}; }}""")
        page.mouse.click(box["x"], box["y"])

    click_at(5.0, 5.0)
    page.wait_for_function("() => decodeURIComponent(location.search).includes('starts=typed')", timeout=60_000)
    query = _query(page)
    points = [tuple(float(v) for v in p.split(",")) for p in unquote(query["points"]).split(";")]
    assert points[0] == (-3.94, -7.17) and len(points) == 2 and max(abs(points[1][0] - 5), abs(points[1][1] - 5)) < 0.1
    wait_idle(page, 120_000, quiet_ms=1500)
    page.screenshot(path=str(ARTIFACTS / "toy_click_added.png"))
    click_at(*points[1])
    page.wait_for_function("() => new URLSearchParams(location.search).get('points') === '-3.94, -7.17'",
                           timeout=60_000)
    assert _query(page)["points"].replace("+", " ") == "-3.94, -7.17"
    assert page.locator('[data-testid="stException"]').count() == 0


def test_key_p_plays_and_pauses(page, app_url):
    _ready(page, f"{app_url}/toy?it=0&frame=10&follow=0")
    page.evaluate("() => document.activeElement && document.activeElement.blur()")  # keys go to the page, not an input
    page.keyboard.press("p")
    page.wait_for_function(f"() => Number(document.querySelector('{CHART}')._fullLayout._currentFrame) >= 30",
                           timeout=60_000)
    page.keyboard.press("p")
    time.sleep(0.5)
    paused = page.evaluate(f"() => document.querySelector('{CHART}')._fullLayout._currentFrame")
    time.sleep(1.0)
    assert page.evaluate(f"() => document.querySelector('{CHART}')._fullLayout._currentFrame") == paused


def test_compare_panels_play_together_from_one_play(page, app_url):
    _ready(page, f"{app_url}/toy?compare=gd&starts=random&k=3&seed=1&it=0&frame=10&follow=0")
    # Current iterates (the marker traces) of both panels, by axis: they move with every frame.
    markers = f"""() => {{ const gd = document.querySelector('{CHART}');
        return gd._fullData.filter((t) => t.mode === 'markers' && t.marker && t.marker.line
                                          && t.marker.line.color === 'white')
                          .map((t) => [t.xaxis, t.x[0], t.y[0]]); }}"""
    before = page.evaluate(markers)
    assert {axis for axis, *_ in before} == {"x", "x2"} and len(before) == 6
    page.locator(f"{CHART} .updatemenu-button").filter(has_text="Play").click()
    page.wait_for_function(f"() => Number(document.querySelector('{CHART}')._fullLayout._currentFrame) >= 200",
                           timeout=60_000)
    after = page.evaluate(markers)
    moved = {axis for (axis, x0, y0), (_, x1, y1) in zip(before, after) if (x0, y0) != (x1, y1)}
    assert moved == {"x", "x2"}  # one Play moved the iterates of both methods


@pytest.mark.parametrize("width,height", [(1280, 720), (1440, 900)])
def test_presentation_mode_fits_the_chart_and_its_controls_on_the_first_screen(page, app_url, width, height):
    page.set_viewport_size({"width": width, "height": height})
    _ready(page, f"{app_url}/toy?present=1&it=400")
    box = page.locator(".st-key-toy_landscape").bounding_box()
    assert box["y"] >= 0 and box["y"] + box["height"] <= height, box
    assert not page.locator('section[data-testid="stSidebar"]').is_visible()
    # The type is larger than on the ordinary page (the figure scales its own).
    size = page.evaluate(f"() => document.querySelector('{CHART}')._fullLayout.font.size")
    assert size >= 16
    page.screenshot(path=str(ARTIFACTS / f"toy_present_{width}.png"))
