"""Opening the CT page in AppTest from a link: shared by the page's tests."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

PAGE = Path(__file__).resolve().parents[1] / "views" / "ct.py"


def open_page(query: dict[str, str]) -> AppTest:
    """The CT page run once with these URL query parameters."""
    at = AppTest.from_file(str(PAGE), default_timeout=180)
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    return at


def written(at: AppTest) -> dict[str, str]:
    """The query parameters the page wrote back, one value per key."""
    return {k: (v[-1] if isinstance(v, list) else v) for k, v in at.query_params.items()}
