"""CPU a CT run keeps burning after its browser tab closes: the server's CPU time before and after the close.

Starts `streamlit run app.py` on a free port, opens the CT page in headless Chromium with

    /ct?tab=reconstruction&n=128&n_angles=60&inits=zeros,fbp,noise,constant&n_iter=2000&prior=PRIOR

presses "Run to the end" (or "Run the same starts under GNC and plain gradient descent" with --compare),
closes the tab after two seconds, and reads the server process's CPU time (utime + stime of /proc/PID/stat,
Linux) every 0.25 s. The run counts as stopped once the CPU time grows by less than a tenth of a second
per second; the result is the time from the close to that moment (the goal: under 5 s).

    python -m explorer.bench.abandoned
    python -m explorer.bench.abandoned --compare --json bench/results/abandoned.json

Needs Playwright and Chromium (requirements-dev.txt; `apt-get install chromium`).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from explorer.bench.browser import chromium, ct_reconstruction_url, streamlit_server, wait_idle
from explorer.core.files import atomic_write_json

GOAL_S = 5.0  # seconds from the close until the server is idle again
IDLE_RATE = 0.1  # CPU seconds per second below which the server counts as idle
BUTTONS = {"run": "Run to the end", "compare": "Run the same starts under GNC and plain gradient descent"}


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a process so far, in seconds (/proc/PID/stat; 0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    # After the command name: state is field 3, utime and stime are fields 14 and 15 (1-based, man 5 proc).
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def stop_time(samples: list[tuple[float, float]], window: float = 1.0) -> float | None:
    """The first time t (seconds after the close) from which CPU time grows under IDLE_RATE over `window`.

    `samples` are (seconds after the close, CPU seconds), in time order; None when the server never went idle.
    """
    for i, (t, cpu) in enumerate(samples):
        later = [(t2, c2) for t2, c2 in samples[i:] if t2 >= t + window]
        if later and all((c2 - cpu) / (t2 - t) < IDLE_RATE for t2, c2 in later):
            return t
    return None


def measure(url: str, pid: int, browser, *, action: str = "run", prior: str = "gaussian", n: int = 128,
            n_angles: int = 60, n_iter: int = 2000, watch_s: float = 12.0, timeout_s: int = 600) -> dict:
    """Start a run on the CT page of the server at `url` (process `pid`), close the tab after 2 s, watch its CPU."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.goto(ct_reconstruction_url(url, n=n, n_angles=n_angles, n_iter=n_iter, prior=prior))
    wait_idle(page, timeout_s * 1000, quiet_ms=1500)
    before = cpu_seconds(pid)
    page.get_by_role("button", name=BUTTONS[action], exact=True).click()
    time.sleep(2.0)
    busy_rate = (cpu_seconds(pid) - before) / 2.0
    context.close()
    closed = time.perf_counter()
    samples = []
    while (elapsed := time.perf_counter() - closed) < watch_s:
        samples.append((elapsed, cpu_seconds(pid)))
        time.sleep(0.25)
    stopped = stop_time(samples)
    return {"what": f"CPU after closing the tab, {BUTTONS[action]!r}, CT {n} x {n}, {n_angles} angles, four starts, "
                    f"{n_iter} iterations, {prior} prior",
            "cpu_rate_while_running": round(busy_rate, 2), "stopped_after_s": None if stopped is None else
            round(stopped, 2), "cpu_after_close_s": round(samples[-1][1] - samples[0][1], 2), "goal_s": GOAL_S,
            "meets_goal": stopped is not None and stopped < GOAL_S}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--compare", action="store_true", help="start the GNC-vs-GD comparison instead")
    parser.add_argument("--prior", choices=["gaussian", "network"], default="gaussian")
    parser.add_argument("--n-iter", dest="n_iter", type=int, default=2000)
    parser.add_argument("--json", help="write the result to this JSON file")
    args = parser.parse_args()
    with streamlit_server() as (url, server), chromium() as browser:
        result = measure(url, server.pid, browser, action="compare" if args.compare else "run", prior=args.prior,
                         n_iter=args.n_iter)
    print(json.dumps(result, indent=2))
    if args.json:
        atomic_write_json(args.json, result)
    return 0 if result["meets_goal"] else 1


if __name__ == "__main__":
    sys.exit(main())
