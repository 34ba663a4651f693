"""Peak memory of the app's server while a 128 x 128 CT reconstruction with four starts runs in a browser.

Starts `streamlit run app.py` on a free port, opens the CT page in headless Chromium with

    /ct?tab=reconstruction&n=128&n_angles=60&inits=zeros,fbp,noise,constant&prior=PRIOR

presses "Run to the end" (200 GNC iterations, the four starts as one batch), then "Run the same starts under GNC
and plain gradient descent" (two more complete runs), and samples the server's resident memory (VmRSS in
/proc, Linux) every 50 ms throughout; VmHWM gives the kernel's own peak. Results go to stdout and, with --json,
to a file.

    python -m explorer.bench.server_memory --json bench/results/server_memory.json
    GNC_EXPLORER_WEIGHTS=path/to/prior64.safetensors python -m explorer.bench.server_memory --prior network

Needs Playwright and Chromium (requirements-dev.txt; `apt-get install chromium`).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import threading
import time
from pathlib import Path

from explorer.core.files import atomic_write_json
from explorer.bench.browser import chromium, ct_reconstruction_url, streamlit_server, wait_idle

GOAL_MB = 2048  # the server should stay under 2 GB for this run, so that a small shared host serves several users


def _status_kb(pid: int, field: str) -> int:
    """A memory field of /proc/PID/status in kB (0 when the process is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


class Sampler(threading.Thread):
    """Samples VmRSS of a process every `interval` seconds; `peak_mb` and `marks` (label -> MB at that time)."""

    def __init__(self, pid: int, interval: float = 0.05) -> None:
        super().__init__(daemon=True)
        self.pid, self.interval = pid, interval
        self.peak_kb = 0
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            self.peak_kb = max(self.peak_kb, _status_kb(self.pid, "VmRSS"))
            time.sleep(self.interval)

    def now_mb(self) -> float:
        return _status_kb(self.pid, "VmRSS") / 1024


def run(prior: str, n: int, n_angles: int, n_iter: int, timeout_s: int) -> dict:
    with streamlit_server() as (url, server), chromium() as browser:
        sampler = Sampler(server.pid)
        sampler.start()
        marks = {"idle server": sampler.now_mb()}
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        t0 = time.perf_counter()
        page.goto(ct_reconstruction_url(url, n=n, n_angles=n_angles, n_iter=n_iter, prior=prior))
        wait_idle(page, timeout_s * 1000, quiet_ms=1500)
        marks["page loaded (problem, TV reference)"] = sampler.now_mb()
        shown_prior = page.get_by_role("combobox", name="Prior").input_value()
        t1 = time.perf_counter()
        page.get_by_role("button", name="Run to the end", exact=True).click()
        page.wait_for_function(
            """(text) => [...document.querySelectorAll('[data-testid="stMetric"]')]
                .some(m => m.innerText.includes(text))""", arg=f"{n_iter} / {n_iter}", timeout=timeout_s * 1000)
        wait_idle(page, timeout_s * 1000, quiet_ms=1500)
        marks["after the run"] = sampler.now_mb()
        t2 = time.perf_counter()
        page.get_by_role("button", name="Run the same starts under GNC and plain gradient descent").click()
        # The comparison adds a second table (the first lists the run's starts with FBP and TV).
        page.wait_for_function("() => document.querySelectorAll('[data-testid=\"stDataFrame\"]').length >= 2",
                               timeout=timeout_s * 1000, polling=500)
        wait_idle(page, timeout_s * 1000, quiet_ms=1500)
        marks["after comparing GNC and GD"] = sampler.now_mb()
        t3 = time.perf_counter()
        errors = page.locator('[data-testid="stException"]').count()
        sampler.done.set()
        sampler.join()
        hwm_mb = _status_kb(server.pid, "VmHWM") / 1024
    peak_mb = max(sampler.peak_kb / 1024, hwm_mb)
    return {
        "what": f"server memory, CT page {n} x {n}, {n_angles} angles, four starts, {n_iter} iterations",
        "prior": prior, "prior_shown": shown_prior, "peak_rss_mb": round(peak_mb, 1),
        "sampled_peak_rss_mb": round(sampler.peak_kb / 1024, 1), "vm_hwm_mb": round(hwm_mb, 1),
        "marks_mb": {k: round(v, 1) for k, v in marks.items()},
        "seconds": {"load": round(t1 - t0, 1), "run": round(t2 - t1, 1), "compare": round(t3 - t2, 1)},
        "goal_mb": GOAL_MB, "meets_goal": peak_mb < GOAL_MB, "exceptions_on_page": errors,
        "machine": {"cpu": platform.processor() or platform.machine(), "cores": os.cpu_count(),
                    "python": platform.python_version()},
        "weights": os.environ.get("GNC_EXPLORER_WEIGHTS", "shipped"),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prior", choices=["gaussian", "network"], default="gaussian")
    parser.add_argument("--n", type=int, default=128)
    parser.add_argument("--n-angles", "--angles", dest="n_angles", type=int, default=60)
    parser.add_argument("--n-iter", "--iters", dest="n_iter", type=int, default=200)
    parser.add_argument("--timeout", type=int, default=1800, help="seconds for each phase")
    parser.add_argument("--json", help="append the result to this JSON file (a list)")
    args = parser.parse_args()
    result = run(args.prior, args.n, args.n_angles, args.n_iter, args.timeout)
    print(json.dumps(result, indent=2))
    if args.json:
        path = Path(args.json)
        previous = json.loads(path.read_text()) if path.exists() else []
        atomic_write_json(path, [r for r in previous if r.get("prior") != result["prior"]] + [result])
    return 0 if result["meets_goal"] and not result["exceptions_on_page"] else 1


if __name__ == "__main__":
    sys.exit(main())
