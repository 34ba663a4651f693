"""Static HTML tables: cells are text, colours are checked, and what a page shows reads back."""

from __future__ import annotations

import pandas as pd
import pytest

from explorer.app.tables import html_table, read_html_table


def test_cells_round_trip_as_text():
    frame = pd.DataFrame({"start": ["1: (2.12, -5.56)", "2: (4, 4)"], "f(x_N)": ["0.5", "-"]})
    text = html_table(frame, right=("f(x_N)",))
    assert read_html_table(text).equals(frame)
    assert text.count("text-align:right") == 3  # the header and both cells of the numeric column


def test_markup_in_a_cell_stays_text():
    frame = pd.DataFrame({"name": ['<img src=x onerror="alert(1)">', "a & b"]})
    text = html_table(frame)
    assert "<img" not in text and "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in text
    assert read_html_table(text)["name"].tolist() == frame["name"].tolist()


def test_colours_go_to_their_column_only():
    frame = pd.DataFrame({"": ["●", "■"], "start": ["a", "b"]})
    text = html_table(frame, colours={"": ["#E69F00", "#56B4E9"]})
    assert text.count(";color:") == 2 and "color:#E69F00" in text and "color:#56B4E9" in text


@pytest.mark.parametrize("colours", [{"": ["red", "#56B4E9"]}, {"": ['#000000;background:url(x)', "#56B4E9"]},
                                     {"": ["#E69F00"]}, {"missing": ["#E69F00", "#56B4E9"]}])
def test_a_colour_that_is_not_hex_or_does_not_fit_is_refused(colours):
    with pytest.raises(ValueError):
        html_table(pd.DataFrame({"": ["●", "■"]}), colours=colours)
