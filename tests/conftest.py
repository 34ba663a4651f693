"""Shared fixtures: a live Streamlit server and a headless Chromium for the browser tests."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from explorer.bench.browser import CHROMIUM_ARGS, streamlit_server

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "artifacts"
CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)


@pytest.fixture(scope="session")
def app_url():
    """Start `streamlit run app.py` on a free local port and yield its URL (its log in artifacts/)."""
    ARTIFACTS.mkdir(exist_ok=True)
    with streamlit_server(log=ARTIFACTS / "streamlit.log") as (url, _):
        yield url


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright (browser downloads are impossible here)."""
    if CHROMIUM is None:
        pytest.skip("Chromium is not installed: `apt-get install chromium` to run the browser tests")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    pg = context.new_page()
    yield pg
    context.close()
