"""The Prior page opens on its shipped pictures: on the first screen, before the live views, with no error box."""

from __future__ import annotations

import json
import time

import pytest
from conftest import ARTIFACTS

from explorer.bench.browser import wait_idle

pytestmark = pytest.mark.browser

# The page's pictures (st.image), loaded and wholly inside the viewport; returns how many.
PICTURES_ON_SCREEN = """([width, height]) => [...document.querySelectorAll('[data-testid="stMain"] [data-testid="stImage"] img')]
    .filter(img => { const r = img.getBoundingClientRect();
        return img.complete && img.naturalWidth > 0 && r.width > 40 && r.top >= 0 && r.bottom <= height
            && r.left >= 0 && r.right <= width; }).length"""


@pytest.mark.parametrize("width,height", [(1280, 720), (1440, 900)])
def test_the_prior_page_opens_on_its_pictures(page, app_url, width, height):
    page.set_viewport_size({"width": width, "height": height})
    start = time.perf_counter()
    page.goto(f"{app_url}/prior", wait_until="commit")
    page.wait_for_function(f"([w, h]) => ({PICTURES_ON_SCREEN})([w, h]) >= 1", arg=[width, height],
                           timeout=120_000, polling=50)
    first_picture_s = time.perf_counter() - start
    wait_idle(page)
    page.screenshot(path=str(ARTIFACTS / f"prior_{width}.png"))
    # All four pictures on the first screen: the samples, the phantom, x_t / m(t) and Tweedie's x0_hat.
    assert page.evaluate(PICTURES_ON_SCREEN, [width, height]) == 4
    for box in ("stException", "stAlertContentError", "stAlertContentWarning"):
        assert page.locator(f'[data-testid="{box}"]').count() == 0, box
    timings = ARTIFACTS / "prior_first_picture.json"
    seen = json.loads(timings.read_text()) if timings.exists() else {}
    timings.write_text(json.dumps(seen | {f"{width}x{height}": round(first_picture_s, 2)}, indent=2) + "\n")
