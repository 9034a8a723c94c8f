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


# ------------------------------------------------------------------ plotly charts (pmhc/charts.py)
# Plotly draws a few HTML tags in any text (<a href>, <b>, <span style>) but no Markdown, so
# in a figure a data value must be HTML-escaped (a Markdown image is plain text there; where
# a value reaches a Markdown element, the tests above apply). Read from what the browser
# gets: each chart's figure JSON (the AppTest element's proto.spec).

LINK = '<a href="http://127.0.0.1:9/x">D9</a>'  # plotly draws <a href> as a live link
LINK_CALL_TYPE = '<a href="http://127.0.0.1:9/c">CT</a>'
LINK_MILESTONE = '<a href="http://127.0.0.1:9/m">Launch</a>'
CHART_PAGES = ("overview", "volume", "outcomes", "repeat", "savings")


def _strings(node, path=""):
    """Every text of a plotly figure's JSON with where it is (.layout.title.text, .data[0].x[1], …)."""
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _strings(v, f"{path}.{k}")
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _strings(v, f"{path}[{i}]")
    elif isinstance(node, str):
        yield path, node


@pytest.fixture(scope="module")
def hostile_charts(tmp_path_factory):
    """Every chart of every page with charts, as an analyst: once for all districts (the
    districts and call types are categories of the charts), once filtered to the hostile
    district (it names the selection in every subtitle), with a hostile milestone label."""
    import json
    import shutil

    from .conftest import SMALL_CONFIG

    tmp = tmp_path_factory.mktemp("hostile_charts")
    config = tmp / "config"
    shutil.copytree(SMALL_CONFIG, config)
    (config / "milestones.csv").write_text(f'date,label\n2024-02-01,"{LINK_MILESTONE.replace(chr(34), 2 * chr(34))}"\n')
    rows = list(csv.DictReader((SMALL / "calls.csv").open()))
    for r in rows:
        r["district"] = LINK if r["district"] == "D1" else r["district"]
        r["call_type"] = LINK_CALL_TYPE if r["call_type"] == "THEFT" else r["call_type"]
    calls = tmp / "calls.csv"
    with calls.open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    path = tmp / "hostile.duckdb"
    charts = []
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PMHC_CONFIG_DIR", str(config))
        mp.setenv("PMHC_PERSON_KEY_SECRET", "test-secret-not-for-real-data")
        mp.setenv("PMHC_DB", str(path))
        mp.delenv("PMHC_DEMO", raising=False)
        con = db.connect(path)
        for p in (calls, SMALL / "encounters.csv", SMALL / "arrests.csv"):
            assert importer.import_file(con, p).status == "loaded"
        con.close()
        for page in CHART_PAGES:
            for district in (None, LINK):
                at = AppTest.from_file(str(ROOT / "pages" / f"{page}.py"), default_timeout=120)
                at.session_state[auth.SESSION_KEY] = {"user": "coordinator", "role": "analyst", "method": "local"}
                at.session_state[auth.SEEN_KEY] = auth.clock()
                params = {"period": "quarter", "quarter": "2024Q1"} | ({"district": district} if district else {})
                for k, v in params.items():
                    at.query_params[k] = v
                at.run()
                if page == "volume" and district is None:
                    at.radio(key="volume_category").set_value("call_type").run()
                assert not at.exception, [e.value for e in at.exception]
                for chart in at.get("plotly_chart"):
                    spec = json.loads(chart.proto.spec)
                    charts.append((page, district, spec["layout"]["title"]["text"], spec))
    return charts


def _escaped(text: str) -> str:
    """What plotly must be given: the text with & < > " ' as entities (the standard library's
    escaping, not pmhc.escape's, so the test does not agree with a broken escape)."""
    import html

    return html.escape(text, quote=True)


def _where(charts, text):
    return [(page, title, path) for page, _, title, spec in charts for path, s in _strings(spec) if text in s]


def test_no_chart_holds_a_data_value_as_plotly_markup(hostile_charts):
    assert len(hostile_charts) >= 20
    raw = [hit for value in (LINK, LINK_CALL_TYPE, LINK_MILESTONE, "<a href") for hit in _where(hostile_charts, value)]
    assert raw == [], f"a data value reached a chart as markup: {raw[:5]}"


def test_a_hostile_district_is_escaped_text_in_chart_ticks_and_hover(hostile_charts):
    hits = _where(hostile_charts, _escaped(LINK))
    # the by-district bars: the category (tick label, and the hover's x) is the district as text
    assert any(page == "volume" and "by district" in title and ".data[0].x" in path for page, title, path in hits)
    assert any(page == "repeat" and "by district" in title and ".data[0].x" in path for page, title, path in hits)


def test_a_hostile_call_type_is_escaped_text_in_the_call_type_chart(hostile_charts):
    hits = _where(hostile_charts, _escaped(LINK_CALL_TYPE))
    assert any("by call type" in title and ".data[0].y" in path for _, title, path in hits)


def test_the_selected_hostile_district_is_escaped_text_in_every_chart_subtitle(hostile_charts):
    filtered = [(page, title, spec) for page, district, title, spec in hostile_charts if district]
    assert filtered
    for page, title, spec in filtered:
        assert _escaped(LINK) in spec["layout"]["title"]["subtitle"]["text"], (page, title)


def test_a_hostile_milestone_label_is_escaped_text_in_annotations_and_their_hover(hostile_charts):
    hits = _where(hostile_charts, _escaped(LINK_MILESTONE))
    paths = {path.split("[")[0] + "." + path.rsplit(".", 1)[-1] for _, _, path in hits}
    assert {".layout.annotations.text", ".layout.annotations.hovertext"} <= paths, paths


def test_a_chart_data_table_shows_the_hostile_district_as_typed():
    from pmhc import chart_table, charts

    df = pd.DataFrame({"bucket": [LINK, "D2"], "bh_calls": [12, 14]})
    fig = charts.bar(df, "bucket", {"bh_calls": "BH calls"}, "BH calls by district", "District", "Calls")
    assert chart_table.table(fig)["District"].tolist() == [LINK, "D2"]  # a table cell is plain text
