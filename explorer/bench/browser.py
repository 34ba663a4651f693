"""What the browser benchmarks share: a Streamlit server of this checkout on a free local port, and Chromium.

Benchmarks only (they need Debian's Chromium and Playwright, which the tests install); nothing here runs in the
app. Every address is on the loopback interface.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Iterator
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]


def cpu_check_ms(repeats: int = 5) -> float:
    """Milliseconds for a fixed pure-Python workload, best of `repeats`: how fast this machine was when a browser
    benchmark ran. On a shared host it changes from hour to hour, and every browser timing with it."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        sum(i * i for i in range(1_000_000))
        best = min(best, time.perf_counter() - start)
    return best * 1000


def free_port() -> int:
    """A TCP port free on 127.0.0.1 now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(url: str, server: subprocess.Popen, timeout_s: float) -> bool:
    """Poll a Streamlit server's health check until it answers (True), or the process ends or time runs out."""
    deadline = time.time() + timeout_s
    while server.poll() is None and time.time() < deadline:
        try:
            if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).status == 200:
                return True
        except OSError:
            pass
        time.sleep(0.5)
    return False


@contextlib.contextmanager
def streamlit_server(timeout_s: float = 120.0, log: Path | None = None,
                     env: dict[str, str] | None = None) -> Iterator[tuple[str, subprocess.Popen]]:
    """`streamlit run app.py` from the checkout; yields (base URL, process) once it answers its health check.

    The server's output goes to `log` when given (it says why a start failed), else nowhere; `env` adds to
    the environment.
    """
    port = free_port()
    out = open(log, "w") if log is not None else subprocess.DEVNULL
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true", "--server.port", str(port),
         "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
        cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})})
    url = f"http://127.0.0.1:{port}"
    try:
        if not wait_healthy(url, server, timeout_s):
            raise RuntimeError("streamlit did not start" + (f"; see {log}" if log else ""))
        yield url, server
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        if log is not None:
            out.close()


@contextlib.contextmanager
def chromium() -> Iterator[object]:
    """Headless Debian Chromium driven by Playwright (which cannot download a browser here)."""
    from playwright.sync_api import sync_playwright

    path = shutil.which("chromium") or "/usr/bin/chromium"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=path, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


def ct_reconstruction_url(url: str, *, n: int, n_angles: int, n_iter: int, prior: str) -> str:
    """The CT page's Reconstruction tab with the four usual starts (zeros, FBP, noise, constant)."""
    query = {"tab": "reconstruction", "n": str(n), "n_angles": str(n_angles), "n_iter": str(n_iter),
             "inits": "zeros,fbp,noise,constant", "prior": prior}
    return f"{url}/ct?{urlencode(query)}"


def wait_idle(page, timeout_ms: int = 120_000, quiet_ms: int = 1000) -> None:
    """Wait until the page shows a title and has had no running indicator or spinner for `quiet_ms`."""
    page.wait_for_selector('[data-testid="stMain"] h1', timeout=timeout_ms)
    page.wait_for_function(
        """(quiet) => {
            const busy = document.querySelector('[data-testid="stStatusWidget"]')
                || document.querySelector('[data-testid="stSpinner"]');
            if (busy) { window.__idleSince = null; return false; }
            window.__idleSince = window.__idleSince || Date.now();
            return Date.now() - window.__idleSince > quiet;
        }""", arg=quiet_ms, timeout=timeout_ms, polling=100)
