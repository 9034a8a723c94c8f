"""Values from an export are text: never Markdown, HTML or a spreadsheet formula.

A district called `![t](http://host/beacon.png)` drew an image (and told a listener who
was looking) when printed into a Markdown caption; a district called
`=HYPERLINK("http://…","Open")` became a live formula in the workbook. Every value that
comes from data goes through one of these on its way to a reader:

- `markdown` for st.markdown / st.caption / st.info … (backslash before every Markdown and
  Streamlit punctuation, so it prints as typed);
- `html` for plotly titles and labels (its text accepts a few HTML tags);
- `cell` for a CSV cell: text starting with = + - @ or a tab / carriage return gets a
  leading apostrophe, the usual guard against formula injection (OWASP), so spreadsheet
  programs show it as text;
- `frame` for a whole table written as CSV, and `workbook_values` for an openpyxl workbook,
  where a cell is typed as a string instead (the text is kept exactly).
"""

from __future__ import annotations

import html as _html
import re

import pandas as pd

_MD = re.compile(r"([\\`*_{}\[\]()#!|<>~$:])")  # inline Markdown, HTML and Streamlit's :directives[]
_LINE_START = re.compile(r"^(\d*)([+\-.)])")  # a list marker where the text starts a line
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")


def markdown(value) -> str:
    """The value as literal text inside Markdown (newlines become spaces)."""
    text = _MD.sub(r"\\\1", " ".join(str(value).split()))
    return _LINE_START.sub(r"\1\\\2", text)


def html(value) -> str:
    return _html.escape(str(value), quote=True)


def cell(value):
    """A CSV cell that a spreadsheet reads as the text it is."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def frame(df: pd.DataFrame) -> pd.DataFrame:
    """Every text cell (and column name) of a table made safe for CSV."""
    out = df.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(cell)
    out.columns = [cell(c) if isinstance(c, str) else c for c in out.columns]
    return out


def to_csv(df: pd.DataFrame) -> bytes:
    return frame(df).to_csv(index=False).encode("utf-8")


def workbook_values(wb) -> None:
    """No cell of the workbook is a formula: text openpyxl took for one is typed as text."""
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                if c.data_type == "f":
                    c.data_type = "s"
