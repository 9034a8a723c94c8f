"""Values from an export are text for every reader (issue 16, item 2; pmhc/escape.py).

A hostile district name — a Markdown image pointing at a listener, or a spreadsheet
formula — must print as the characters it is on the dashboard and stay a plain value in
the workbook and in every CSV download (figures, person list, quarantine).
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from pmhc import auth, db, escape, importer, metrics, reports
from pmhc.config import load_agency
from pmhc.periods import Period

from .conftest import SMALL
from .helpers import JAN_FEB

ROOT = Path(__file__).resolve().parent.parent
BEACON = "![t](http://127.0.0.1:9/beacon.png)"
FORMULA = '=HYPERLINK("http://127.0.0.1:9/x","Open")'


def hostile_calls(tmp_path: Path, district: str) -> Path:
    rows = list(csv.DictReader((SMALL / "calls.csv").open()))
    for r in rows:
        if r["district"] == "D1":
            r["district"] = district
    out = tmp_path / "calls.csv"
    with out.open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    return out


def hostile_db(tmp_path: Path, district: str) -> Path:
    path = tmp_path / "hostile.duckdb"
    con = db.connect(path)
    for p in (hostile_calls(tmp_path, district), SMALL / "encounters.csv", SMALL / "arrests.csv"):
        assert importer.import_file(con, p).status == "loaded"
    con.close()
    return path


def test_markdown_escaping_leaves_no_image_link_or_directive():
    text = escape.markdown(BEACON + " :red[x] **b** <img src=x>")
    assert not re.search(r"(?<!\\)[!\[\]()<>*:]", text), "a Markdown character left unescaped"
    assert text.replace("\\", "") == BEACON + " :red[x] **b** <img src=x>"


@pytest.mark.parametrize("value", ["=1+1", "+1", "-1", "@SUM(A1)", "\t=1", FORMULA])
def test_a_csv_cell_that_a_spreadsheet_would_run_starts_with_an_apostrophe(value):
    assert escape.cell(value) == "'" + value


def test_ordinary_text_and_numbers_are_left_alone_in_csv():
    assert escape.cell("D1") == "D1" and escape.cell(-5) == -5 and escape.cell("") == ""


def test_a_hostile_district_prints_as_text_on_a_public_page(tmp_path, monkeypatch):
    path = hostile_db(tmp_path, BEACON)
    monkeypatch.setenv("PMHC_DB", str(path))
    monkeypatch.delenv("PMHC_DEMO", raising=False)
    at = AppTest.from_file(str(ROOT / "pages" / "grant.py"), default_timeout=120)
    at.session_state[auth.SESSION_KEY] = {"user": "chief", "role": "public", "method": "local"}
    at.session_state[auth.SEEN_KEY] = auth.clock()
    for k, v in {"period": "quarter", "quarter": "2024Q1", "district": BEACON}.items():
        at.query_params[k] = v
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    sources = [m.value for m in at.markdown] + [c.value for c in at.caption]
    assert any(escape.markdown(BEACON) in s for s in sources), "the district is named on the page"
    assert not [s for s in sources if BEACON in s], "the raw Markdown image reached a Markdown element"


def test_a_hostile_district_is_a_plain_value_in_the_workbook(tmp_path, monkeypatch):
    path = hostile_db(tmp_path, FORMULA)
    con = db.connect(path, read_only=True)
    try:
        filters = JAN_FEB
        wb = openpyxl.load_workbook(io.BytesIO(reports.build("xlsx", con, filters, load_agency(),
                                                             metrics.load_assumptions(), public=True)))
    finally:
        con.close()
    cells = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    assert FORMULA in [c.value for c in cells], "the district is in the workbook, as the text it is"


def test_figure_and_list_downloads_write_a_formula_as_text():
    df = pd.DataFrame({"district": [FORMULA, "D2"], "n": [12, 14]})
    parsed = list(csv.reader(io.StringIO(escape.to_csv(df).decode())))
    assert parsed[1][0] == "'" + FORMULA and parsed[2] == ["D2", "14"]
