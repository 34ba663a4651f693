"""Untrusted text (URL keys and values, file names) made safe to show on a page that renders Markdown.

Streamlit renders the text of `st.warning`, `st.error`, `st.caption` and friends as Markdown with LaTeX, colour
directives and emoji shortcodes, so a value from a link could otherwise add a clickable link, make the browser
fetch an outside image, or fill the screen. Text is cut short first, then every character Markdown could read
as syntax is escaped with a backslash.
"""

from __future__ import annotations

import unicodedata
from typing import Sequence

MAX_CHARS = 40  # longest piece of user text shown: enough to recognise a value, too short to hide a page in
MAX_MESSAGES = 8  # messages listed in a summary before "and N more"; a link has fewer bad values than that
MAX_NAMES = 5  # names listed in a list's summary before "and N more"
ELLIPSIS = "…"
# CommonMark's escapable ASCII punctuation: a backslash before any of them shows the character itself.
_SYNTAX = frozenset("\\`*_{}[]()#+-.!|<>$:~&^\"")
# Bare "http://", "www." and "a@b.c" become links, and ":name:" an emoji, after escapes are resolved: an invisible
# word joiner after these characters breaks each pattern without changing what the reader sees.
_JOINED = frozenset(":.@")
_JOINER = "\u2060"
_REPLACEMENT = "\ufffd"  # stands in for control and format characters (newlines, bidi overrides, NUL)


def clip(text: object, limit: int = MAX_CHARS) -> str:
    """`text` as one line of at most `limit` characters: control characters replaced, the rest cut off with "…"."""
    line = "".join(_REPLACEMENT if unicodedata.category(c).startswith("C") else c for c in str(text))
    return line if len(line) <= limit else line[:max(limit - 1, 0)] + ELLIPSIS


def escape(text: str) -> str:
    """`text` with a backslash before every character that Markdown, LaTeX, HTML or a directive could read."""
    return "".join(("\\" + c if c in _SYNTAX else c) + (_JOINER if c in _JOINED else "") for c in text)


def plain(text: object, limit: int = MAX_CHARS) -> str:
    """Untrusted `text`, cut to `limit` characters and escaped: Markdown shows it exactly as plain text."""
    return escape(clip(text, limit))


def quoted(text: object, limit: int = MAX_CHARS) -> str:
    """Untrusted `text` in quotes, cut to `limit` characters but not escaped (for messages escaped as a whole)."""
    return f"'{clip(text, limit)}'"


def summary(messages: Sequence[str], shown: int = MAX_MESSAGES, limit: int = 4 * MAX_CHARS) -> str:
    """One line for many messages: the first `shown`, each cut to `limit` characters, then "and N more"; escaped.

    The messages may carry user text: the whole line is escaped, so it renders as plain text.
    """
    head = [clip(m, limit) for m in messages[:shown]]
    rest = len(messages) - len(head)
    return escape("; ".join(head) + (f"; and {rest} more" if rest > 0 else ""))


def list_summary(items: Sequence[str], noun: str, shown: int = MAX_NAMES) -> str:
    """One line naming many user-given names: "12 <noun> ignored: a, b, c, d, e and 7 more".

    Each name is cut short; the line is not escaped (pages escape whole messages with `summary`).
    """
    names = [clip(item, MAX_CHARS // 2) for item in items[:shown]]
    rest = len(items) - len(names)
    return f"{len(items)} {noun} ignored: {', '.join(names)}" + (f" and {rest} more" if rest > 0 else "")
