"""The figure registry (pmhc/figures.py) is the one place a figure is declared: every
registered figure reaches Methodology, the grant workbook and `pmhc figures`; no page
shows a figure it does not know; and each page's "Figures on this page come from" line
names exactly the queries the page ran."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import openpyxl
import pytest
import streamlit as st

from pmhc import figures, metrics, reports, sql
from pmhc.cli import main
from pmhc.periods import Period

from .test_pages import captions, demo, open_page  # noqa: F401  (demo is a fixture)
from .helpers import JAN_FEB, JAN_FEB_PARAMS

ROOT = Path(__file__).resolve().parent.parent


def test_every_registered_figure_is_on_methodology(demo):
    at = open_page("methodology")
    text = "\n".join(m.value for m in at.markdown)
    for fig in figures.figures():
        assert f"`{fig.key}`" in text, fig.key
        assert f"· {fig.kind}" in text
    stored = {e.label for e in at.expander if e.label.startswith("Stored table SQL")}
    assert stored == {f"Stored table SQL: `{sql.get(t).location}`" for f in figures.figures() for t in f.stored}


def test_every_registered_figure_is_in_the_grant_workbook(small_con):
    wb = openpyxl.load_workbook(io.BytesIO(reports.build_workbook(small_con, JAN_FEB, public=False)))
    keys = {row[0] for row in wb["Figures"].iter_rows(values_only=True)}
    assert {f.key for f in figures.figures()} <= keys


def test_every_registered_figure_is_in_pmhc_figures(small_db_path, capsys):
    main(["figures", "--from", "2024-01", "--to", "2024-02", "--format", "json", "--db", str(small_db_path)])
    keys = set(json.loads(capsys.readouterr().out)["figures"])
    assert {f.key for f in figures.figures()} <= keys
    assert keys - {f.key for f in figures.figures()} == set(figures.RANGE_KEYS)


def test_no_page_shows_a_figure_the_registry_does_not_know():
    """Every figure key a page reads from the figures it was given is registered."""
    known = {f.key for f in figures.registry()} | set(figures.RANGE_KEYS)
    for page in sorted((ROOT / "pages").glob("*.py")):
        text = page.read_text()
        for block in re.findall(r"metric_row\(values, \[(.*?)\]\)", text, re.S):
            for key in re.findall(r'\("([a-z0-9_]+)",', block):
                assert key in known, f"{page.name} shows {key!r}, which pmhc/figures.py does not register"
        for key in re.findall(r'values\.get\("([a-z0-9_]+)"\)', text):
            assert key in known, f"{page.name} shows {key!r}, which pmhc/figures.py does not register"


def test_metric_row_refuses_a_key_the_registry_does_not_know(demo, monkeypatch):
    from pmhc import ui

    with pytest.raises(KeyError):
        ui.metric_row({"made_up_figure": 3}, [("made_up_figure", "Made up")])


@pytest.mark.parametrize("page", ["overview", "volume", "outcomes", "repeat", "savings", "grant"])
def test_the_source_line_names_exactly_the_queries_the_page_ran(demo, page, monkeypatch):
    st.cache_data.clear()
    st.cache_resource.clear()
    ran: set[str] = set()
    bind = sql._bind
    monkeypatch.setattr(sql, "_bind", lambda q, params: (ran.add(q.name), bind(q, params))[1])
    at = open_page(page, params=JAN_FEB_PARAMS)
    line = next(c.value for c in at.caption if c.value.startswith("Figures on this page come from"))
    named = set(re.findall(r"`queries/[a-z_]+\.sql :: ([a-z_]+)`", line))
    assert named == ran
    # and a second run, served from the cache, names the same queries
    again = open_page(page, params=JAN_FEB_PARAMS)
    line2 = next(c.value for c in again.caption if c.value.startswith("Figures on this page come from"))
    assert line2 == line
