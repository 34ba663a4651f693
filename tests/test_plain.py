"""Untrusted text shown on a page: escaped so Markdown renders it as plain text, and cut short."""

from __future__ import annotations

import re

import pytest
from streamlit.testing.v1 import AppTest

from explorer.app.lessons import find_lesson
from explorer.app.plain import ELLIPSIS, MAX_CHARS, clip, escape, list_summary, plain, summary
from explorer.app.urlstate import ct_params_from_query, toy_params_from_query

HOSTILE = [
    "[click](http://example.invalid)",
    "![img](http://example.invalid/x.png)",
    "$x$",
    r"$$\alpha$$",
    ":red[x]",
    ":material/home: :smile:",
    "<img src=x onerror=alert(1)>",
    "`code` ``more``",
    "line\nbreak\r\x00\u202etxt",
    "# heading",
    "* item",
    "http://example.invalid www.example.invalid a@example.invalid",
    "&lt;b&gt;",
    "ünïcödé ✓ 数学",
]


def _unescaped(text: str, char: str) -> bool:
    """Whether `char` occurs in `text` without a backslash before it."""
    return re.search(r"(?<!\\)" + re.escape(char), text) is not None


@pytest.mark.parametrize("text", HOSTILE)
def test_every_markup_character_is_escaped(text: str) -> None:
    shown = plain(text, 200)
    for char in "[]()!$:<>`*#&":
        assert not _unescaped(shown, char), (text, shown)
    assert "\n" not in shown and "\r" not in shown and "\x00" not in shown and "\u202e" not in shown


@pytest.mark.parametrize("text", HOSTILE)
def test_escaping_only_adds_backslashes_and_word_joiners(text: str) -> None:
    assert escape(text).replace("\u2060", "").replace("\\", "") == text.replace("\\", "")


def test_long_values_are_cut_with_an_ellipsis() -> None:
    assert clip("a" * 10_000) == "a" * (MAX_CHARS - 1) + ELLIPSIS
    assert len(plain("[" * 10_000)) == 2 * (MAX_CHARS - 1) + 1
    assert clip("short") == "short"


def test_unicode_survives() -> None:
    assert plain("ünïcödé ✓ 数学") == "ünïcödé ✓ 数学"


def test_summaries_stay_short() -> None:
    assert summary(["a", "b"]) == "a; b"
    assert summary([f"m{i}" for i in range(12)]).endswith("m7; and 4 more")
    assert len(summary(["x" * 10_000] * 1000)) < 1400  # eight messages of 160 characters at most
    assert list_summary([f"k{i}" for i in range(12)], "unknown keys") == \
        "12 unknown keys ignored: k0, k1, k2, k3, k4 and 7 more"


@pytest.mark.parametrize("reader", [toy_params_from_query, ct_params_from_query])
def test_url_warnings_quote_user_text_on_one_short_line(reader) -> None:
    _, warnings = reader({"method": "[click](http://example.invalid)\n" + "x" * 5000,
                          "![img](http://example.invalid/x.png)": "1", "x": "$\\alpha$"})
    assert len(warnings) == 2  # one for the bad value, one for both unknown keys
    for warning in warnings:
        assert "\n" not in warning and len(warning) < 300
    shown = summary(warnings)
    assert not _unescaped(shown, "](") and not _unescaped(shown, "$")


def test_lesson_warning_is_short() -> None:
    _, warning = find_lesson("](http://example.invalid)" * 100)
    assert warning is not None and len(warning) < 120


def _render(text: str) -> str:
    """What Streamlit's Markdown element holds after a script shows `text` as a warning."""
    at = AppTest.from_string(f"import streamlit as st\nst.warning({text!r})")
    at.run()
    assert not at.exception
    return at.warning[0].value


def test_rendered_warning_keeps_the_escapes() -> None:
    value = _render(summary(["URL parameter method=" + "[click](http://example.invalid) $x$ :red[x]"]))
    assert not _unescaped(value, "](") and not _unescaped(value, "$") and not _unescaped(value, ":red[")
