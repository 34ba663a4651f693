"""Small static tables as HTML, for `st.html`: text only, every cell escaped, colours checked.

`st.table` sends an Arrow table that the browser decodes with ~0.9 MB of script (Arrow, moment, numbro and
the pandas Styler's helpers). On the Toy page that script competed with the first figure for the browser's
main thread; a results table of at most 20 rows needs none of it.
"""

from __future__ import annotations

import html
import re
from typing import Sequence

import pandas as pd

_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")
# Borders in a grey that reads on light and dark pages; text keeps the page's colour.
_TABLE = "border-collapse:collapse;width:100%;font-size:0.875rem;font-variant-numeric:tabular-nums"
_CELL = "padding:0.25rem 0.75rem;border-bottom:1px solid rgba(128,132,149,0.3);text-align:{align}"


def html_table(frame: pd.DataFrame, *, colours: dict[str, Sequence[str]] | None = None,
               right: Sequence[str] = ()) -> str:
    """`frame` as an HTML table: its columns as the header, its rows as text.

    Parameters
    ----------
    frame : DataFrame
        The cells, already formatted as the reader should see them (a cell is shown with `str`).
    colours : dict of str to sequence of str, optional
        Column name -> one text colour per row, each "#rrggbb" (anything else is refused: colours go into a
        style attribute).
    right : sequence of str
        Columns aligned right (numbers).
    """
    colours = colours or {}
    for column, values in colours.items():
        if column not in frame.columns or len(values) != len(frame):
            raise ValueError(f"colours for column {column!r}: one per row of a column of the table")
        for value in values:
            if not _COLOUR.fullmatch(str(value)):
                raise ValueError(f"not a #rrggbb colour: {value!r}")
    numeric = [c in right for c in frame.columns]

    def cell(tag: str, text: object, align: str, colour: str | None = None) -> str:
        style = _CELL.format(align=align) + (f";color:{colour}" if colour else "")
        return f'<{tag} style="{style}">{html.escape(str(text))}</{tag}>'

    head = "".join(cell("th", c, "right" if num else "left") for c, num in zip(frame.columns, numeric))
    rows = []
    for i, row in enumerate(frame.itertuples(index=False)):
        cells = [cell("td", value, "right" if num else "left", colours[c][i] if c in colours else None)
                 for c, value, num in zip(frame.columns, row, numeric)]
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return (f'<table style="{_TABLE}"><thead><tr>{head}</tr></thead>'
            f"<tbody>{''.join(rows)}</tbody></table>")


def read_html_table(text: str) -> pd.DataFrame:
    """The cells of a table from `html_table` back as text (for tests and anything reading a page)."""
    header = [html.unescape(c) for c in re.findall(r"<th(?:\s[^>]*)?>(.*?)</th>", text, flags=re.S)]
    body = re.findall(r"<tr>(.*?)</tr>", text.split("<tbody>", 1)[-1], flags=re.S)
    rows = [[html.unescape(c) for c in re.findall(r"<td(?:\s[^>]*)?>(.*?)</td>", row, flags=re.S)] for row in body]
    return pd.DataFrame(rows, columns=header)
