"""The glossary: every term defined in a few plain sentences, tooltips by name, and a panel listing them all."""

from __future__ import annotations

import re

import pytest

from explorer.app.glossary import GLOSSARY, Term, glossary_markdown, help_for

# What the brief's pages name: each must be explained.
REQUIRED = ("score", "SDE", "smoothing level t", "probability-flow ODE", "Tweedie", "Armijo", "Barzilai-Borwein",
            "EMA", "PSNR", "SSIM", "GNC", "energy", "x_t / m(t)")


def test_every_term_has_a_short_definition():
    assert set(REQUIRED) <= set(GLOSSARY)
    for name, entry in GLOSSARY.items():
        assert isinstance(entry, Term) and entry.term.strip(), name
        sentences = re.findall(r"[.!?](?:\s|$)", entry.definition)
        assert 2 <= len(sentences) <= 3, (name, entry.definition)
        assert len(entry.definition) <= 420, name


def test_no_text_holds_html_latex_or_strike_through():
    # Tooltips and the panel are Markdown: < starts HTML, $ starts LaTeX in Streamlit, ~ may strike through.
    for entry in GLOSSARY.values():
        for text in (entry.term, entry.definition):
            assert not re.search(r"[<>$~&]", text), text


def test_help_for_joins_the_named_definitions():
    text = help_for("Tweedie", "x_t / m(t)")
    assert text.startswith(f"**{GLOSSARY['Tweedie'].term}**: {GLOSSARY['Tweedie'].definition}")
    assert GLOSSARY["x_t / m(t)"].definition in text
    assert GLOSSARY["score"].definition not in text


def test_help_for_an_unknown_name_raises_key_error():
    with pytest.raises(KeyError, match="Tweedy"):
        help_for("Tweedie", "Tweedy")
    with pytest.raises(ValueError):
        help_for()


def test_the_markdown_panel_lists_every_term_once():
    text = glossary_markdown()
    lines = text.splitlines()
    assert len(lines) == len(GLOSSARY)
    for line, entry in zip(lines, GLOSSARY.values()):
        assert line == f"- **{entry.term}**: {entry.definition}"
