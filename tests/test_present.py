"""One presentation module (pmhc/present.py): a figure prints the same on a page, on a
slide, in the workbook and in the PDF.

Small fixture, January–February 2024 (hand-computed in test_metrics.py): co-response
coverage 3 ÷ 5 = 60.0 % (a rate), net cost avoidance −$52,130 (money), officer hours
returned 2.75 h shown as 2.8 h (hours).
"""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
import pytest
from pptx import Presentation
from pypdf import PdfReader

from pmhc import metrics, present, reports, ui
from pmhc.periods import Period

from .test_pages import charts_on, demo, open_page, ys  # noqa: F401  (demo is a fixture)
from .helpers import JAN_FEB, JAN_FEB_PARAMS

ONE_OF_EACH_KIND = {"co_response_coverage": ("Co-response coverage", "60.0%"),
                    "net_cost_avoidance": ("Net cost avoidance (estimate)", "−$52,130"),
                    "officer_hours_returned": ("Officer hours returned to patrol", "2.8 h")}


def test_each_kind_formats_as_people_read_it():
    assert present.fmt(0.625, "rate") == "62.5%"
    assert present.fmt(-52130.4, "usd") == "−$52,130"
    assert present.fmt(2.75, "hours") == "2.8 h" and present.fmt(1234.0, "hours") == "1,234 h"
    assert present.fmt(3.25, "days") == "3.2 days"
    assert present.fmt(present.NotMeasured("no arrest records loaded"), "rate") == "not measured"


def test_changes_are_points_for_rates_dollars_for_money_percent_otherwise():
    assert present.fmt_change(0.6, 0.5, "rate") == "+10.0 pts"
    assert present.fmt_change(-500.0, 700.0, "usd") == "−$1,200"
    assert present.fmt_change(15, 10, "count") == "+50.0%"
    assert present.fmt_change(15, 0, "count") is None
    assert present.fmt_change(present.NotMeasured("x"), 3, "count") is None


def test_one_figure_of_each_kind_reads_the_same_on_page_deck_workbook_and_pdf(demo, small_db_path):
    from pmhc import db

    at = open_page("overview", params=JAN_FEB_PARAMS)
    page = {m.label: m.value for m in at.metric}
    con = db.connect(small_db_path, read_only=True)
    try:
        deck = Presentation(io.BytesIO(reports.build_deck(con, JAN_FEB, public=False)))
        wb = openpyxl.load_workbook(io.BytesIO(reports.build_workbook(con, JAN_FEB, public=False)))
        pdf = " ".join(PdfReader(io.BytesIO(reports.build_onepager(con, JAN_FEB, public=False)))
                       .pages[0].extract_text().split())
        values = metrics.headline(con, JAN_FEB)
    finally:
        con.close()
    slide_texts = {sh.text_frame.text for s in deck.slides for sh in s.shapes if sh.has_text_frame}
    rows = list(wb["Figures"].iter_rows(values_only=True))
    heads = next(r for r in rows if r[0] == "Key")
    shown = {r[0]: dict(zip(heads, r))["Shown as"] for r in rows[rows.index(heads) + 1:]}
    for key, (label, text) in ONE_OF_EACH_KIND.items():
        unit = {"co_response_coverage": "rate", "net_cost_avoidance": "usd"}.get(key, "hours")
        assert ui.fmt(values[key], unit) == text
        assert page[label] == text, key
        assert text in slide_texts, key
        assert shown[key] == text, key
        assert text in pdf, key


def test_the_savings_page_and_the_deck_draw_the_same_waterfall_steps(demo, small_db_path):
    """Jail 0.5 arrests avoided × 0.5 booked × ($400 + $100 × 2) = $150, ED 3 × $2,500 =
    $7,500, officer time 2.75 h × $80 = $220, program −$60,000: net −$52,130."""
    from pmhc import db
    from pmhc.reports import content, deck

    expected = [("Jail costs<br>avoided", 150.0), ("ED & ambulance<br>costs avoided", 7500.0),
                ("Officer time<br>returned", 220.0), ("Program<br>cost", -60000.0)]
    at = open_page("savings", params=JAN_FEB_PARAMS)
    (page,) = [t for c in charts_on(at) for t in c.data if t.type == "waterfall"]
    con = db.connect(small_db_path, read_only=True)
    try:
        data = content.gather(con, JAN_FEB, public=False)
    finally:
        con.close()
    (slide,) = deck.savings_chart(data, "").data
    assert [label for label, _ in data.savings_parts] == [label for label, _ in expected]
    assert [v for _, v in data.savings_parts] == pytest.approx([v for _, v in expected])
    for drawn in (page, slide):
        assert list(drawn.x) == [label for label, _ in expected] + [present.SAVINGS_TOTAL]
        assert ys(drawn) == pytest.approx([v for _, v in expected] + [-52130.0])
        assert list(drawn.text)[-1] == "−$52,130"


def test_a_withheld_part_keeps_its_marker_and_a_missing_one_is_never_zero():
    hidden = present.Withheld("<11")
    steps = present.savings_steps({"jail_cost_avoided": hidden, "ed_cost_avoided": 10.0,
                                   "officer_time_value": None, "program_cost": 5.0}.get)
    assert steps[0][1] is hidden and steps[2][1] is None and steps[3][1] == -5.0
    assert present.steps_withheld(steps)
    assert not present.steps_withheld(steps[1:])


def test_a_figure_in_days_reads_the_same_on_page_deck_workbook_and_pdf(demo, small_db_path):
    """Median days to follow-up: 7.0 days (the median of 2, 7 and 12, tests/test_metrics.py).
    It is the coordinator's figure, not a council headline, so the deck and the one-pager are
    laid out with it in the first headline's place: the same slide and box code as any headline."""
    from pmhc import db
    from pmhc.reports import content, deck, onepager, workbook

    at = open_page("repeat", params=JAN_FEB_PARAMS)
    assert {m.label: m.value for m in at.metric}["Median days to follow-up"] == "7.0 days"
    con = db.connect(small_db_path, read_only=True)
    try:
        data = content.gather(con, JAN_FEB, public=False)
    finally:
        con.close()
    wb = openpyxl.load_workbook(io.BytesIO(workbook.build(data)))
    rows = list(wb["Figures"].iter_rows(values_only=True))
    heads = next(r for r in rows if r[0] == "Key")
    shown = {r[0]: dict(zip(heads, r))["Shown as"] for r in rows[rows.index(heads) + 1:]}
    assert shown["median_days_to_follow_up"] == "7.0 days"
    row = data.figures.set_index("key").loc["median_days_to_follow_up"]
    data.headlines[0] = content.Headline("median_days_to_follow_up", row["label"], row["unit"], row["value"],
                                         row["display"], row["definition"], row["location"])
    slides = Presentation(io.BytesIO(deck.build(data))).slides
    assert "7.0 days" in {sh.text_frame.text for s in slides for sh in s.shapes if sh.has_text_frame}
    pdf = " ".join(PdfReader(io.BytesIO(onepager.build(data))).pages[0].extract_text().split())
    assert "7.0 days" in pdf


# ------------------------------------------------------------------ each change said once
#
# tests/fixtures/two_years/calls.csv: calls from 1 Jan 2023 to 31 Dec 2024, both years whole.
# BH calls 2023: Y1 Y2 = 2 (Y3 is a theft); 2024: Y4 Y5 Y6 = 3, so 2 → 3 is +50.0 %. For the
# calendar year 2024 the previous period of the same length is 2023, which is also the year
# before: one change line, not "+50.0% vs 2023" and "+50.0% vs a year earlier (2023)".
TWO_YEARS = Path(__file__).parent / "fixtures" / "two_years" / "calls.csv"
YEAR_2024 = metrics.Filters(Period.calendar_year(2024))


@pytest.fixture
def two_years_db(tmp_path, monkeypatch):
    from pmhc import db, importer

    path = tmp_path / "two_years.duckdb"
    con = db.connect(path)
    report = importer.import_file(con, TWO_YEARS)
    con.close()
    assert report.status == "loaded" and report.rows_quarantined == 0, report.summary()
    monkeypatch.setenv("PMHC_DB", str(path))
    monkeypatch.setenv("PMHC_DEMO", "1")
    return path


def test_twelve_months_compare_once_with_the_year_before():
    (line,) = present.changes("+50.0%", "2023", "+50.0%", "2023")
    assert line.line == "+50.0% vs 2023 (a year earlier)"
    (none,) = present.changes(None, "2023", None, "2023", "that period is not fully loaded",
                              "that period is not fully loaded")
    assert none.line == "No change shown vs 2023 (a year earlier): that period is not fully loaded"


def test_a_shorter_period_compares_with_the_previous_one_and_a_year_earlier():
    lines = [c.line for c in present.changes("+10.0%", "Feb 2025", None, "Mar 2024", "", "the earlier figure is "
                                             "suppressed for privacy")]
    assert lines == ["+10.0% vs Feb 2025",
                     "No change shown vs a year earlier (Mar 2024): the earlier figure is suppressed for privacy"]


def test_overview_cards_of_a_calendar_year_give_each_change_once(two_years_db):
    at = open_page("overview", params={"period": "year", "year": "2024"})
    bh = next(m for m in at.metric if m.label == "Behavioral-health calls")
    assert (bh.value, bh.delta) == ("3", "+50.0%")
    text = [c.value for c in at.caption]
    assert sum("+50.0%" in t for t in text) == 0  # the card's delta says it; no caption repeats it
    assert not any("vs a year earlier (" in t for t in text)


def test_deck_and_one_pager_of_a_calendar_year_give_each_change_once(two_years_db):
    from pmhc import db

    con = db.connect(two_years_db, read_only=True)
    try:
        deck = Presentation(io.BytesIO(reports.build_deck(con, YEAR_2024, public=False)))
        pdf = " ".join(PdfReader(io.BytesIO(reports.build_onepager(con, YEAR_2024, public=False)))
                       .pages[0].extract_text().split())
    finally:
        con.close()
    slide = next(s for s in deck.slides if any(sh.has_text_frame and sh.text_frame.text == "Behavioral-health calls"
                                               for sh in s.shapes))
    lines = [p.text for sh in slide.shapes if sh.has_text_frame for p in sh.text_frame.paragraphs]
    assert [t for t in lines if "+50.0%" in t] == ["+50.0% vs 2023 (a year earlier)"]
    assert pdf.count("+50.0% vs 2023 (a year earlier)") == 1
    assert "a year earlier (2023)" not in pdf and pdf.count("+50.0%") == 1
