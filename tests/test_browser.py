"""End-to-end: every page of the running app in real Chromium, with a screenshot of each."""

from __future__ import annotations

import pytest

from conftest import ARTIFACTS

pytestmark = pytest.mark.browser

PAGES = {"home": "", "toy": "toy", "ct": "ct", "prior": "prior"}


def wait_for_app(page, timeout_ms: int = 120_000) -> None:
    """Wait until Streamlit has rendered a title and stayed idle (no running status, no spinner) for 1.5 s."""
    page.wait_for_selector('[data-testid="stMain"] h1', timeout=timeout_ms)
    page.wait_for_function(
        """() => {
            const busy = document.querySelector('[data-testid="stStatusWidget"]')
                || document.querySelector('[data-testid="stSpinner"]');
            const now = Date.now();
            if (busy) { window.__idleSince = null; return false; }
            window.__idleSince = window.__idleSince || now;
            return now - window.__idleSince > 1500;
        }""",
        timeout=timeout_ms, polling=250)


@pytest.mark.parametrize("name", list(PAGES))
def test_page_loads_without_exception(page, app_url, name):
    page.goto(f"{app_url}/{PAGES[name]}")
    wait_for_app(page)
    assert page.locator('[data-testid="stException"]').count() == 0
    assert page.locator('[data-testid="stMain"]').inner_text().strip() != ""
    (ARTIFACTS / "screenshots").mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "screenshots" / f"{name}.png"), full_page=True)
