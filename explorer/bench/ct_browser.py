"""What a visitor of the CT page's Reconstruction tab sees, measured in headless Chromium against a local server.

`python -m explorer bench ct-browser` opens the tab with the default run (64 x 64, 30 angles, the four starts
zeros / FBP / noise / constant in one batch, 200 iterations) with each learned prior, presses Play and reads the
"Iteration" metric as the browser shows it, every 100 ms: iterations per second *seen*, the time between
redraws, and the seconds from Play to the last iteration on screen. It also times Step (the click until the
new iteration shows). A screenshot taken mid-playback goes to artifacts/bench/.
"""

from __future__ import annotations

import platform
import re
import statistics
import time
from pathlib import Path
from urllib.parse import urlencode

from explorer.bench.browser import ROOT, chromium, streamlit_server, wait_idle
from explorer.core.files import atomic_write_json

SHOTS = ROOT / "artifacts" / "bench"
ITERATION = """() => { const m = [...document.querySelectorAll('[data-testid="stMetric"]')]
    .find(e => e.innerText.includes('Iteration')); return m ? m.querySelector('[data-testid="stMetricValue"]')
    .innerText : null; }"""


def _url(url: str, n_iter: int, extra: dict[str, str] | None = None) -> str:
    query = {"tab": "reconstruction", "n": "64", "n_angles": "30", "inits": "zeros,fbp,noise,constant",
             "n_iter": str(n_iter), **(extra or {})}
    return f"{url}/ct?{urlencode(query)}"


def _iteration(page) -> int | None:
    text = page.evaluate(ITERATION)
    match = re.match(r"\s*(\d+)\s*/", text or "")
    return int(match.group(1)) if match else None


def _open(browser, url: str, width: int = 1440, height: int = 900):
    page = browser.new_page(viewport={"width": width, "height": height})
    page.goto(url)
    wait_idle(page, timeout_ms=300_000, quiet_ms=1500)
    page.wait_for_function(f"() => ({ITERATION})() !== null", timeout=300_000)
    return page


def playback(browser, url: str, n_iter: int, shot: str, extra: dict[str, str] | None = None) -> dict:
    """Press Play and sample the shown iteration every 100 ms until the last one shows."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = _open(browser, _url(url, n_iter, extra))
    samples: list[tuple[float, int]] = []
    start = time.perf_counter()
    page.get_by_role("button", name="Play", exact=True).click()
    shot_taken = False
    deadline = start + 600
    while time.perf_counter() < deadline:
        k = _iteration(page)
        now = time.perf_counter() - start
        if k is not None and (not samples or k != samples[-1][1]):
            samples.append((now, k))
        if not shot_taken and k is not None and k >= n_iter // 2:
            page.screenshot(path=str(SHOTS / shot))
            shot_taken = True
        if k == n_iter:
            break
        page.wait_for_timeout(100)
    page.close()
    moving = [(t, k) for t, k in samples if k > 0]
    span = moving[-1][0] - moving[0][0] if len(moving) > 1 else float("nan")
    gaps = [b[0] - a[0] for a, b in zip(moving, moving[1:])]
    return {"n_iter": n_iter, "redraws": len(moving),
            "iterations_per_s": (moving[-1][1] - moving[0][1]) / span if span and span > 0 else float("nan"),
            "seconds_between_redraws_median": statistics.median(gaps) if gaps else float("nan"),
            "first_redraw_s": moving[0][0] if moving else float("nan"),
            "play_through_s": moving[-1][0] if moving else float("nan"), "samples": samples}


def step_clicks(browser, url: str, n_iter: int, repeats: int = 5, extra: dict[str, str] | None = None) -> list[float]:
    """Seconds from a click on Step until the next iteration shows, `repeats` times."""
    page = _open(browser, _url(url, n_iter, extra))
    times = []
    for _ in range(repeats):
        before = _iteration(page)
        start = time.perf_counter()
        page.get_by_role("button", name="Step", exact=True).click()
        page.wait_for_function(f"(old) => {{ const v = ({ITERATION})(); return v && !v.startsWith(old + ' '); }}",
                               arg=str(before), timeout=120_000)
        times.append(time.perf_counter() - start)
        wait_idle(page, quiet_ms=500)
    page.close()
    return times


def run(json_path: str | None = None, *, n_iter: int = 200, priors: tuple[str, ...] = ("network", "network-small")
        ) -> dict:
    """Measure once per prior on a fresh local server, after a warm-up visit that loads the prior."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    result: dict = {"machine": {"platform": platform.platform(),
                                "processor": platform.processor() or platform.machine()},
                    "settings": "64 x 64, 30 angles, 4 starts, the page's default step rule and frame"}
    with streamlit_server() as (url, _), chromium() as browser:
        for prior in priors:
            extra = {"prior": prior}
            _open(browser, _url(url, n_iter, extra)).close()  # warm-up: the prior, the problem and the TV reference
            result[prior] = {"step_click_s": step_clicks(browser, url, n_iter, extra=extra),
                             "playback": playback(browser, url, n_iter, f"ct_playing_{prior}.png", extra)}
    if json_path:
        Path(json_path).parent.mkdir(parents=True, exist_ok=True)
        atomic_write_json(json_path, result)
    return result


def format_table(result: dict) -> str:
    """The measurements as a plain-text table, one block per prior (a result of `run`, or one prior's part)."""
    parts = {name: part for name, part in result.items() if isinstance(part, dict) and "playback" in part}
    rows = []
    for name, part in (parts or {"": result}).items():
        play = part["playback"]
        label = f"{name}: " if name else ""
        rows += [
            (f"{label}Step click to the new iteration, median (s)", f"{statistics.median(part['step_click_s']):.2f}"),
            (f"{label}playback, iterations per second seen", f"{play['iterations_per_s']:.1f}"),
            (f"{label}playback, seconds between redraws (median)", f"{play['seconds_between_redraws_median']:.2f}"),
            (f"{label}playback, Play to iteration {play['n_iter']} on screen (s)", f"{play['play_through_s']:.1f}"),
        ]
    width = max(len(r[0]) for r in rows)
    return "\n".join(f"{name:<{width}}  {value}" for name, value in rows)
