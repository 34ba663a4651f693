"""What a visitor of the Toy page waits for, measured in headless Chromium against a local server.

`python -m explorer bench toy-browser` prints one table: the first figure on a warm server, a control change
until the new figure shows, browser playback in frames per second with a fixed landscape t and following t_k,
how long the default run takes to play through, and where the landscape chart sits in 1440 x 900 and
1280 x 720 windows. Screenshots (one taken mid-playback) go to artifacts/bench/.
"""

from __future__ import annotations

import platform
import statistics
import tempfile
import time
from pathlib import Path

from explorer.core.files import atomic_write_json
from explorer.bench.browser import ROOT, chromium, cpu_check_ms, streamlit_server, wait_idle

CHART = ".st-key-toy_landscape .js-plotly-plot"
SHOTS = ROOT / "artifacts" / "bench"
# What the figure shows, as a string: it changes when a rerun sends a new figure.
SIGNATURE = """() => { const gd = document.querySelector('%s');
    if (!gd || !gd._fullData) return null;
    return JSON.stringify(gd._fullData.map(d => d.x ? Array.from(d.x).slice(0, 4) : null))
        + (gd.layout.title && gd.layout.title.text); }""" % CHART


def _open(browser, url: str, width: int = 1440, height: int = 900):
    """A new page (of a browser or one of its contexts) at url, returned once the landscape chart is drawn."""
    page = browser.new_page()
    page.set_viewport_size({"width": width, "height": height})
    page.goto(url)
    page.wait_for_function(f"() => {{ const gd = document.querySelector('{CHART}'); return gd && gd._fullLayout; }}",
                           timeout=300_000)
    return page


def _seconds_to_chart(browser, url: str) -> float:
    """Seconds from navigating a new page to url until the landscape chart is drawn (closing the page after)."""
    start = time.perf_counter()
    page = _open(browser, url)
    seconds = time.perf_counter() - start
    page.close()
    return seconds


def first_figure(browser, url: str, repeats: int = 9) -> list[float]:
    """Seconds from navigation to the landscape chart drawn, on a server that has served the page before, for
    new visitors: each page in a new browser context, with nothing cached."""
    return [_seconds_to_chart(browser, f"{url}/toy") for _ in range(repeats)]


def returning_visitor(browser, url: str, repeats: int = 9) -> list[float]:
    """The same for a visitor coming back: one browser context whose cache holds the page's scripts (Streamlit
    serves them as immutable) after a first visit, which is not counted."""
    context = browser.new_context()
    try:
        _seconds_to_chart(context, f"{url}/toy")
        return [_seconds_to_chart(context, f"{url}/toy") for _ in range(repeats)]
    finally:
        context.close()


def control_changes(browser, url: str, values=(3.2, 2.9, 2.6, 2.3, 2.0, 1.7, 1.4)) -> list[float]:
    """Seconds from typing a new t_max (Enter) until the landscape shows the new run, once per value."""
    page = _open(browser, f"{url}/toy")
    wait_idle(page)
    field = page.get_by_role("spinbutton", name="t_max")
    times = []
    for value in values:
        before = page.evaluate(SIGNATURE)
        field.fill(str(value))
        start = time.perf_counter()
        field.press("Enter")
        page.wait_for_function(f"(old) => ({SIGNATURE})() !== old", arg=before, timeout=120_000)
        times.append(time.perf_counter() - start)
        wait_idle(page, quiet_ms=500)
    page.close()
    return times


def playback(browser, url: str, query: str, shot: str) -> dict:
    """Press the chart's Play and record every frame the browser draws until the last one."""
    page = _open(browser, f"{url}/toy?{query}")
    wait_idle(page)
    page.evaluate(f"""() => {{ const gd = document.querySelector('{CHART}'); window.__frames = [];
        gd.on('plotly_animatingframe', () => window.__frames.push(performance.now())); }}""")
    total = page.evaluate(f"() => document.querySelector('{CHART}')._transitionData._frames.length")
    start = page.evaluate("() => performance.now()")
    page.locator(f"{CHART} .updatemenu-button").filter(has_text="Play").click()
    page.wait_for_function("(n) => window.__frames.length >= n / 2", arg=total - 1, timeout=120_000)
    images_mid = page.evaluate(f"() => document.querySelectorAll('{CHART} image').length")
    page.screenshot(path=str(SHOTS / shot))
    page.wait_for_function("(n) => window.__frames.length >= n", arg=total - 1, timeout=300_000)
    frames = page.evaluate("() => window.__frames")
    page.wait_for_timeout(1500)  # the page writes the paused iteration into the URL
    ended_at = page.url
    page.close()
    span = (frames[-1] - frames[0]) / 1000
    return {"frames": len(frames), "fps": (len(frames) - 1) / span if span > 0 else float("nan"),
            "play_through_s": (frames[-1] - start) / 1000, "backdrop_images_mid_playback": images_mid,
            "url_after": ended_at}


def chart_position(browser, url: str, width: int, height: int) -> dict:
    """Where the landscape chart and its Play button sit in a window of this size, without scrolling."""
    page = _open(browser, f"{url}/toy", width, height)
    wait_idle(page)
    box = page.locator(CHART).bounding_box()
    play = page.locator(f"{CHART} .updatemenu-button").first.bounding_box()
    page.screenshot(path=str(SHOTS / f"toy_{width}x{height}.png"))
    page.close()
    return {"top": box["y"], "bottom": box["y"] + box["height"], "window_height": height,
            "visible_share": max(0.0, min(height, box["y"] + box["height"]) - box["y"]) / box["height"],
            "play_button_visible": play is not None and play["y"] + play["height"] <= height}


def first_visit_after_install(browser) -> float:
    """Seconds to the first figure on a server whose compiled toy kernels are not cached yet (a fresh install):
    numba compiles them on first use. An empty cache folder stands in for the fresh install."""
    with tempfile.TemporaryDirectory() as cache, streamlit_server(env={"NUMBA_CACHE_DIR": cache}) as (url, _):
        return _seconds_to_chart(browser, f"{url}/toy")


def run(json_path: str | None = None) -> dict:
    """Measure everything once on a fresh local server (after one warm-up visit)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    cpu_before = cpu_check_ms()
    with chromium() as browser:
        fresh = first_visit_after_install(browser)
    with streamlit_server() as (url, _), chromium() as browser:
        cold = _seconds_to_chart(browser, f"{url}/toy")
        result = {
            "machine": {"platform": platform.platform(), "processor": platform.processor() or platform.machine()},
            "first_figure_fresh_install_s": fresh,
            "first_figure_cold_server_s": cold,
            "first_figure_warm_s": first_figure(browser, url),
            "first_figure_returning_s": returning_visitor(browser, url),
            "control_change_s": control_changes(browser, url),
            "playback_fixed_t": playback(browser, url, "follow=0&t=1.0&it=0", "toy_playing_fixed_t.png"),
            "playback_follow_t": playback(browser, url, "follow=1&it=0", "toy_playing_follow_t.png"),
            "chart_1440x900": chart_position(browser, url, 1440, 900),
            "chart_1280x720": chart_position(browser, url, 1280, 720),
        }
    result["cpu_check_ms"] = [cpu_before, cpu_check_ms()]
    if json_path:
        Path(json_path).parent.mkdir(parents=True, exist_ok=True)
        atomic_write_json(json_path, result)
    return result


def format_table(result: dict) -> str:
    """The measurements as a plain-text table."""
    med = statistics.median
    fixed, follow = result["playback_fixed_t"], result["playback_follow_t"]
    a, b = result["chart_1440x900"], result["chart_1280x720"]
    rows = [
        ("first figure after a fresh install, JIT compiling (s)", f"{result['first_figure_fresh_install_s']:.1f}"),
        ("first figure, new server, kernels cached (s)", f"{result['first_figure_cold_server_s']:.1f}"),
        ("first figure, warm server, new visitor, median (s)", f"{med(result['first_figure_warm_s']):.2f}"),
        ("first figure, warm server, returning visitor, median (s)",
         f"{med(result['first_figure_returning_s']):.2f}"),
        ("control change to new figure, median (s)", f"{med(result['control_change_s']):.2f}"),
        ("playback, fixed t (frames/s)", f"{fixed['fps']:.1f}"),
        ("playback, following t_k (frames/s)", f"{follow['fps']:.1f}"),
        ("default run played through, fixed t (s)", f"{fixed['play_through_s']:.1f}"),
        ("default run played through, following t_k (s)", f"{follow['play_through_s']:.1f}"),
        ("landscape chart at 1440 x 900 (top-bottom px, share visible)",
         f"{a['top']:.0f}-{a['bottom']:.0f}, {a['visible_share']:.0%}"),
        ("landscape chart at 1280 x 720 (top-bottom px, share visible)",
         f"{b['top']:.0f}-{b['bottom']:.0f}, {b['visible_share']:.0%}"),
        ("CPU check before / after (ms; the host's speed at the time)",
         " / ".join(f"{v:.0f}" for v in result["cpu_check_ms"])),
    ]
    width = max(len(r[0]) for r in rows)
    return "\n".join(f"{name:<{width}}  {value}" for name, value in rows)


if __name__ == "__main__":
    import sys

    out = run(sys.argv[1] if len(sys.argv) > 1 else None)
    print(format_table(out))
