"""The app shell: app.py renders Home with its navigation, and every page file runs headless."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[1]
PAGES = ("home", "toy", "ct", "prior", "lessons")


def test_app_renders_home() -> None:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert not at.exception
    assert [t.value for t in at.title] == ["GNC explorer"]
    assert len(at.latex) >= 1
    # Home links every other page.
    links = [el for el in at.main if getattr(el, "type", "") == "page_link"]
    assert {Path(link.proto.page).stem for link in links} == {"toy", "ct", "prior", "lessons"}
    from explorer.app.lessons import LESSONS

    # The count of lessons on Home is the real one (it once said six of seven).
    assert any(link.proto.label.startswith(f"Lessons: {len(LESSONS)} guided") for link in links)
    assert "Glossary" in [e.label for e in at.expander]  # folded: the terms for whoever needs them


@pytest.mark.parametrize("page", PAGES)
def test_app_switches_to_every_page(page: str) -> None:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180).run()
    at.switch_page(f"views/{page}.py").run()
    assert not at.exception


@pytest.mark.parametrize("page", PAGES)
def test_page_file_runs_alone(page: str) -> None:
    at = AppTest.from_file(str(ROOT / "views" / f"{page}.py"), default_timeout=180).run()
    assert not at.exception
