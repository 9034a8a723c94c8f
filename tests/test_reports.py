"""The files people take into meetings — council deck, grant workbook, one-page PDF —
opened with their own reading libraries hold the metrics layer's figures for the same
period, and the public release never holds a suppressed small count.

Period throughout: January–February 2024 on the small fixture, where (by hand, see
test_metrics.py) BH calls = 5, coverage = 60 %, diversion = 62.5 %, connection to care
= 50 %, officer hours returned = 2.75 and net cost avoidance = −$52,130. Every count of
that period is below 11, so the public release shows all six headline figures as
"<11" or "suppressed"; only the pro-rated program cost ($60,000, not a count) is shown.
"""

from __future__ import annotations

import io
import math
import re
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from pptx import Presentation
from pptx.enum.shapes import MSO_SHAPE_TYPE
from pypdf import PdfReader
from streamlit.testing.v1 import AppTest

from pmhc import access, charts, cli, db, definitions, metrics, release, reports
from pmhc.periods import Period
from pmhc.reports import images
from pmhc.reports.content import first_sentence

from .helpers import JAN_FEB, JAN_FEB_PARAMS, ReleaseDb

ROOT = Path(__file__).resolve().parent.parent
# The Reports page builds public files only for published periods (the filter clips a range to the
# loaded months, January–February): its tests use January.
Q1_PARAMS = {"period": "months", "from": "2024-01", "to": "2024-01"}
# What the internal release shows for the six headline figures (hand-computed figures, formatted).
EXACT_DISPLAY = {"bh_calls": "5", "co_response_coverage": "60.0%", "diversion_rate": "62.5%",
                 "connection_to_care_rate": "50.0%", "officer_hours_returned": "2.8 h",
                 "net_cost_avoidance": "−$52,130"}
SHEETS = ["Figures", "By month", "By district", "Assumptions"]


# ------------------------------------------------------------------ built once per module

Small = ReleaseDb  # the shared release database (tests/conftest.py :: release_db)


@pytest.fixture(scope="module")
def small(release_db):
    """The small fixture in memory, with its own config (module scope: the builds share it)."""
    return release_db


def _build(small: Small, fmt: str, public: bool) -> bytes:
    return reports.build(fmt, small.con, JAN_FEB, small.cfg, small.assumptions, public=public)


@pytest.fixture(scope="module")
def exact(small) -> dict:
    return metrics.headline(small.con, JAN_FEB, small.cfg, small.assumptions)


@pytest.fixture(scope="module")
def released(small):
    return release.public_headline(small.con, JAN_FEB, small.cfg, small.assumptions).set_index("key")


@pytest.fixture(scope="module")
def deck(small):
    return Presentation(io.BytesIO(_build(small, "pptx", public=False)))


@pytest.fixture(scope="module")
def public_deck(small):
    return Presentation(io.BytesIO(_build(small, "pptx", public=True)))


@pytest.fixture(scope="module")
def workbook(small):
    return openpyxl.load_workbook(io.BytesIO(_build(small, "xlsx", public=False)))


@pytest.fixture(scope="module")
def public_workbook(small):
    return openpyxl.load_workbook(io.BytesIO(_build(small, "xlsx", public=True)))


@pytest.fixture(scope="module")
def pdf(small):
    return PdfReader(io.BytesIO(_build(small, "pdf", public=False)))


@pytest.fixture(scope="module")
def public_pdf(small):
    return PdfReader(io.BytesIO(_build(small, "pdf", public=True)))


# ------------------------------------------------------------------ reading helpers

def shape_texts(slide) -> list[str]:
    out = []
    for sh in slide.shapes:
        if sh.has_text_frame:
            out.append(sh.text_frame.text)
        if sh.has_table:
            out += [cell.text for row in sh.table.rows for cell in row.cells]
    return out


def slide_text(slide) -> str:
    return "\n".join(shape_texts(slide))


def pictures(slide) -> list:
    return [sh for sh in slide.shapes if sh.shape_type == MSO_SHAPE_TYPE.PICTURE]


def figure_slides(prs, small: Small) -> dict:
    """Headline figure key → its slide (slides 2 … 7, in headline order)."""
    figs = small.headline_figures
    slides = list(prs.slides)[1:1 + len(figs)]
    return {f.key: s for f, s in zip(figs, slides)}


def table(ws, header_row: int, first_row: int) -> list[dict]:
    """A sheet's rows as dicts keyed by the header row's values."""
    heads = [c.value for c in ws[header_row]]
    rows = []
    for values in ws.iter_rows(min_row=first_row, values_only=True):
        if all(v is None for v in values):
            continue
        rows.append(dict(zip(heads, values)))
    return rows


def figures_rows(wb) -> dict:
    ws = wb["Figures"]
    header = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == "Key")
    return {r["Key"]: r for r in table(ws, header, header + 1)}


def keyed_table(wb, sheet: str, index: str) -> dict:
    """By month / By district: row 5 holds the figure keys, data from row 6."""
    return {r[index]: r for r in table(wb[sheet], 5, 6)}


def pdf_text(reader) -> str:
    return " ".join(reader.pages[0].extract_text().split())


def stored(v: float) -> float:
    """A number as an .xlsx file holds it: 16 significant digits (Excel itself works to 15),
    so 3.4166666666666665 h is stored as 3.416666666666667."""
    return float("%.16g" % v)


def missing(v) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


# ------------------------------------------------------------------ what every file is made of

def test_a_period_beyond_the_loaded_data_says_so_and_shows_no_change(small):
    later = metrics.Filters(Period.months("2025-01", "2025-02"))  # data ends 29 Feb 2024
    data = reports.gather(small.con, later, small.cfg, small.assumptions, public=False)
    assert data.notes == ["The period runs outside the loaded data (15 Jan 2023 – 29 Feb 2024): figures cover "
                          "only the part of it that is loaded."]
    # Jan–Feb 2024 is loaded, but "−100 % vs a year earlier" for months not loaded yet would be false.
    assert [(h.change_vs_previous, h.change_vs_year_ago) for h in data.headlines] == [(None, None)] * 6
    assert {h.no_change_vs_year_ago for h in data.headlines} == {"this period is not fully loaded"}


def test_changes_are_shown_when_both_periods_are_loaded(small):
    data = reports.gather(small.con, JAN_FEB, small.cfg, small.assumptions, public=False)
    bh = next(h for h in data.headlines if h.key == "bh_calls")
    # Nov–Dec 2023 had 1 BH call: 1 → 5 is +400 %.
    assert (bh.previous_label, bh.change_vs_previous) == ("Nov 2023–Dec 2023", "+400.0%")


# ------------------------------------------------------------------ council deck

def test_deck_title_slide_names_agency_program_and_period(deck, small):
    text = slide_text(deck.slides[0])
    assert small.cfg.name in text
    assert small.cfg.program in text
    assert "Jan 2024–Feb 2024" in text
    assert "1 Jan 2024 – 29 Feb 2024" in text


def test_deck_has_a_slide_per_headline_figure_then_methodology_and_assumptions(deck, small):
    titles = [shape_texts(s)[0] for s in list(deck.slides)[1:]]
    assert titles == [f.label for f in small.headline_figures] + [
        "How these figures are made", "Savings: assumptions and sources"]


def test_deck_figure_slides_show_the_metrics_layer_value(deck, small, exact):
    for key, slide in figure_slides(deck, small).items():
        fig = definitions.by_key()[key]
        assert release.format_value(exact[key], fig.unit) in shape_texts(slide), key
    # … which are the hand-computed figures
    assert {k: next(t for t in shape_texts(s) if t == EXACT_DISPLAY[k])
            for k, s in figure_slides(deck, small).items()} == EXACT_DISPLAY


def test_deck_figure_slides_give_the_one_line_definition(deck, small):
    for fig in small.headline_figures:
        slide = figure_slides(deck, small)[fig.key]
        assert first_sentence(fig.definition) in shape_texts(slide)
        assert fig.definition in slide.notes_slide.notes_text_frame.text  # the full one in the notes


def test_deck_figure_slides_carry_a_chart_image(deck, small):
    for key, slide in figure_slides(deck, small).items():
        (pic,) = pictures(slide)
        assert pic.image.content_type == "image/png", key
        assert images.png_size(pic.image.blob) == (2000, 1200), key  # 1000 × 600 CSS px at 2×


def test_deck_methodology_slide_states_the_bh_rule_and_the_period(deck, small):
    text = slide_text(deck.slides[len(small.headline_figures) + 1])
    assert small.cfg.bh_rule in text
    assert "1 January 2024 to 29 February 2024, both days included" in text


def test_deck_assumptions_slide_lists_every_assumption_with_its_source(deck, small):
    slide = deck.slides[len(small.headline_figures) + 2]
    (tbl,) = [sh.table for sh in slide.shapes if sh.has_table]
    rows = [[c.text for c in row.cells] for row in tbl.rows]
    assert rows[0] == ["Assumption", "Value", "Low – high", "Source", "Year"]
    assert [(r[0], r[3], r[4]) for r in rows[1:]] == [
        (a.label, a.source, str(a.year)) for a in small.assumptions.values()]


def test_deck_savings_slide_gives_the_estimate_and_its_range(deck, small, exact):
    text = slide_text(deck.slides[len(small.headline_figures) + 2])
    assert "This period: −$52,130." in text
    assert (f"{release.format_value(exact['net_cost_avoidance_low'], 'usd')} to "
            f"{release.format_value(exact['net_cost_avoidance_high'], 'usd')}") in text


def test_public_deck_shows_what_the_privacy_release_shows(public_deck, small, released):
    for key, slide in figure_slides(public_deck, small).items():
        assert released.loc[key, "display"] in shape_texts(slide), key
    assert shape_texts(figure_slides(public_deck, small)["bh_calls"])[2] == "<11"
    assert shape_texts(figure_slides(public_deck, small)["diversion_rate"])[2] == "suppressed"


def test_public_deck_never_holds_a_suppressed_exact_value(public_deck, small):
    everything = "\n".join(slide_text(s) + "\n" + s.notes_slide.notes_text_frame.text for s in public_deck.slides)
    for key, shown in EXACT_DISPLAY.items():
        if key != "bh_calls":
            assert shown not in everything, key
    bh = figure_slides(public_deck, small)["bh_calls"]
    assert not re.search(r"\b5\b", slide_text(bh) + bh.notes_slide.notes_text_frame.text)


def test_deck_says_why_a_change_is_not_shown(deck, public_deck, small):
    # The small data start on 15 Jan 2023 (C10): Jan–Feb 2023 is not fully loaded, and a
    # partial first month is left out of changes (it also had no co-responder contacts).
    lines = shape_texts(figure_slides(deck, small)["diversion_rate"])[3].splitlines()
    assert lines == ["-37.5 pts vs Nov 2023–Dec 2023",
                     "No change shown vs a year earlier (Jan 2023–Feb 2023): that period is not fully loaded"]
    public_lines = shape_texts(figure_slides(public_deck, small)["bh_calls"])[3].splitlines()
    assert public_lines == ["No change shown: this figure is suppressed for privacy"]


def test_public_deck_says_it_is_the_public_release(public_deck, deck):
    assert "Public release" in slide_text(public_deck.slides[0])
    assert "Internal release" in slide_text(deck.slides[0])


# ------------------------------------------------------------------ grant workbook

def test_workbook_has_figures_month_district_and_assumptions_sheets(workbook, public_workbook):
    assert workbook.sheetnames == SHEETS
    assert public_workbook.sheetnames == SHEETS


def test_workbook_states_the_exact_period(workbook):
    ws = workbook["Figures"]
    labels = {ws.cell(r, 1).value: ws.cell(r, 2).value for r in range(2, 10)}
    assert labels["Period"] == "Jan 2024–Feb 2024"
    assert labels["From"].date() == JAN_FEB.period.start
    assert labels["To (inclusive)"].date() == JAN_FEB.period.last_day


def test_workbook_figures_are_numbers_equal_to_the_metrics_layer(workbook, exact):
    rows = figures_rows(workbook)
    checked = 0
    for key, value in exact.items():
        if key not in rows:
            continue
        cell = rows[key]["Value"]
        if missing(value):
            assert cell is None, key
            continue
        assert isinstance(cell, (int, float)) and not isinstance(cell, bool), (key, cell)
        assert cell == stored(value), key
        checked += 1
    assert checked >= 40
    assert {k: rows[k]["Value"] for k in ("bh_calls", "co_response_coverage", "diversion_rate",
                                          "officer_hours_returned", "net_cost_avoidance")} == {
        "bh_calls": 5, "co_response_coverage": 0.6, "diversion_rate": 0.625, "officer_hours_returned": 2.75,
        "net_cost_avoidance": -52130}


def test_workbook_for_a_fiscal_year_names_it_and_gives_its_dates(small):
    fy = metrics.Filters(Period.fiscal_year(2024, small.cfg.fiscal_year_start_month))
    wb = openpyxl.load_workbook(io.BytesIO(reports.build("xlsx", small.con, fy, small.cfg, small.assumptions,
                                                         public=False)))
    ws = wb["Figures"]
    labels = {ws.cell(r, 1).value: ws.cell(r, 2).value for r in range(2, 10)}
    assert labels["Period"] == "FY2024 (Jul 2023–Jun 2024)"
    assert (labels["From"].date().isoformat(), labels["To (inclusive)"].date().isoformat()) == (
        "2023-07-01", "2024-06-30")
    assert figures_rows(wb)["bh_calls"]["Value"] == metrics.headline(small.con, fy, small.cfg)["bh_calls"]


def test_workbook_rates_are_fractions_formatted_as_percent(workbook):
    ws = workbook["Figures"]
    cell = next(ws.cell(r, 3) for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == "diversion_rate")
    assert cell.value == 0.625
    assert cell.number_format == "0.0%"


def test_workbook_figures_carry_their_definitions(workbook):
    rows = figures_rows(workbook)
    for fig in definitions.figures():
        if fig.key in rows:
            assert rows[fig.key]["Definition"] == fig.definition
            assert rows[fig.key]["SQL"] == fig.location


def test_workbook_by_month_rows_equal_the_metrics_layer(workbook, small):
    sheet = keyed_table(workbook, "By month", "month")
    expected = metrics.monthly(small.con, JAN_FEB, small.cfg).set_index("month")
    assert list(sheet) == ["2024-01", "2024-02"]
    columns = [k for k in next(iter(sheet.values())) if k != "month"]
    assert "bh_calls" in columns and "diversion_rate" in columns
    for month, row in sheet.items():
        for key in columns:
            want = expected.loc[month, key]
            assert (row[key] is None) if missing(want) else row[key] == stored(want), (month, key)
    assert [sheet[m]["bh_calls"] for m in sheet] == [3, 2]


def test_workbook_by_district_parts_add_up_to_the_total(workbook, exact):
    sheet = keyed_table(workbook, "By district", "district")
    assert list(sheet) == ["D1", "D2", "Unknown", "Total"]
    by_key = definitions.by_key()
    additive = [k for k in sheet["Total"] if k in by_key and by_key[k].additive]
    assert "bh_calls" in additive and "contacts_total" in additive
    for key in additive:
        parts = sum(sheet[d][key] or 0 for d in ("D1", "D2", "Unknown"))
        assert parts == pytest.approx(sheet["Total"][key]), key
        assert sheet["Total"][key] == stored(exact[key]), key


def test_workbook_assumptions_sheet_equals_the_config(workbook, small):
    rows = table(workbook["Assumptions"], 4, 5)
    assert [(r["Key"], r["Value"], r["Low"], r["High"], r["Source"], r["Year"]) for r in rows] == [
        (a.key, a.value, a.low, a.high, a.source, a.year) for a in small.assumptions.values()]


def test_public_workbook_shows_a_suppressed_figure_as_text_without_its_value(public_workbook, released):
    rows = figures_rows(public_workbook)
    assert released.loc["bh_calls", "suppressed"]
    assert rows["bh_calls"]["Value"] is None
    assert rows["bh_calls"]["Shown as"] == "<11"
    assert rows["diversion_rate"]["Value"] is None
    assert rows["diversion_rate"]["Shown as"] == "suppressed"
    assert rows["bh_calls"]["Note"].startswith("Suppressed for privacy")


def test_public_workbook_tables_say_suppressed_instead_of_leaving_a_gap(public_workbook):
    months = keyed_table(public_workbook, "By month", "month")
    assert [months[m]["bh_calls"] for m in ("2024-01", "2024-02")] == ["<11", "<11"]
    districts = keyed_table(public_workbook, "By district", "district")
    for d in ("D1", "D2", "Total"):
        assert districts[d]["bh_calls"] in ("<11", "suppressed"), d


def test_public_workbook_holds_no_exact_small_count(public_workbook):
    for sheet in ("Figures", "By month", "By district"):
        ws = public_workbook[sheet]
        for row in ws.iter_rows(values_only=True):
            for v in row:
                if isinstance(v, (int, float)) and not isinstance(v, bool):
                    # zeros are shown (nothing to protect); the program cost is not a count
                    assert v == 0 or v >= 11 or sheet == "Figures" and v in (60000,), (sheet, row)


def test_public_workbook_shows_figures_the_release_clears(public_workbook, released):
    rows = figures_rows(public_workbook)
    assert not released.loc["program_cost", "suppressed"]
    assert rows["program_cost"]["Value"] == released.loc["program_cost", "value"] == 60000


def test_public_workbook_for_a_district_shows_that_districts_release(small):
    d2 = metrics.Filters(JAN_FEB.period, "D2")
    wb = openpyxl.load_workbook(io.BytesIO(reports.build("xlsx", small.con, d2, small.cfg, small.assumptions)))
    want = release.public_headline(small.con, d2, small.cfg, small.assumptions)
    rows = figures_rows(wb)
    assert {k: rows[k]["Shown as"] for k in want["key"]} == dict(zip(want["key"], want["display"]))


def test_public_workbook_leaves_out_figures_about_individual_people(public_workbook, workbook):
    private = [f.key for f in definitions.figures() if not f.public]
    assert private, "some figures are internal only"
    assert set(private) & set(figures_rows(workbook))
    assert not set(private) & set(figures_rows(public_workbook))


# ------------------------------------------------------------------ one-page PDF

def test_summary_is_one_page(pdf, public_pdf):
    assert len(pdf.pages) == 1
    assert len(public_pdf.pages) == 1


def test_summary_states_the_period_and_agency(pdf, small):
    text = pdf_text(pdf)
    assert "Jan 2024–Feb 2024 (1 Jan 2024 – 29 Feb 2024)" in text
    assert small.cfg.name in text


def test_summary_holds_each_headline_figure_of_the_metrics_layer(pdf, small, exact):
    text = pdf_text(pdf)
    for fig in small.headline_figures:
        assert fig.label.split(" (")[0] in text
        assert release.format_value(exact[fig.key], fig.unit) in text, fig.key
    for shown in EXACT_DISPLAY.values():
        assert shown in text


def test_public_summary_shows_the_release_and_no_suppressed_value(public_pdf, small, released):
    text = pdf_text(public_pdf)
    for fig in small.headline_figures:
        assert released.loc[fig.key, "display"] in text
    for key, shown in EXACT_DISPLAY.items():
        if key != "bh_calls":
            assert shown not in text, key
    assert "Public release" in text


# ------------------------------------------------------------------ the longest figures, never cut
#
# The one-pager once printed −$628,279 as "−$628,27…". Each headline figure here gets the
# longest text its format gives (pmhc.present): money and hours in the negative millions, a
# count in the millions, 100.0 % (with the unstable mark), changes just as long, and the
# longest period labels (a custom range of days), so every change line wraps.
PREVIOUS, YEAR_AGO = "15 Oct 2023–14 Oct 2024", "16 Oct 2023–15 Oct 2024"


def longest(small: Small):
    from pmhc import present
    from pmhc.reports import content

    data = content.gather(small.con, JAN_FEB, small.cfg, small.assumptions, public=False)
    value = {"count": 12_345_678, "rate": 1.0, "hours": -12_345_678, "usd": -12_345_678}
    before = {"count": 1, "rate": 0.0, "hours": 1, "usd": 12_345_678}
    for h in data.headlines:
        v = present.Unstable(1.0) if h.key == "co_response_coverage" else value[h.unit]
        h.display = present.fmt(v, h.unit)
        h.change_vs_previous = h.change_vs_year_ago = present.fmt_change(value[h.unit], before[h.unit], h.unit)
        h.previous_label, h.year_ago_label = PREVIOUS, YEAR_AGO
        if h.key == "net_cost_avoidance":
            h.note = (f"An estimate: {present.fmt(-12_345_678, 'usd')} to {present.fmt(-1_234_567, 'usd')} with the "
                      "low and high unit costs of the assumptions.")
    return data


def test_longest_values_the_formats_give():
    from pmhc import present

    assert present.fmt(-12_345_678, "usd") == "−$12,345,678"
    assert present.fmt(-12_345_678, "hours") == "-12,345,678 h"
    assert present.fmt(12_345_678, "count") == "12,345,678"
    assert present.fmt(present.Unstable(1.0), "rate") == "100.0% †"
    assert present.fmt_change(12_345_678, 1, "count") == "+1234567700.0%"


def test_one_pager_prints_the_longest_figures_whole(small):
    from pmhc.reports import onepager

    data = longest(small)
    reader = PdfReader(io.BytesIO(onepager.build(data)))
    assert len(reader.pages) == 1
    text = pdf_text(reader)  # wrapped lines joined by a space: a number broken inside would not match
    for h in data.headlines:
        assert h.display in text, h.key
        for c in h.changes():
            assert c.line in text, (h.key, c.line)
    assert "−$12,345,678 to −$1,234,567" in text  # the estimate's range in the notes
    assert "…" not in text and "..." not in text


def test_one_pager_sets_a_long_figure_smaller_and_a_short_one_at_full_size(small):
    from pmhc.reports import onepager

    pdf = onepager._Pdf()
    inner = (pdf.w - pdf.l_margin - pdf.r_margin - 8) / 3 - 6  # a figure box's inner width
    assert pdf.fit_size("100.0%", inner, 22, 11, bold=True) == 22
    long = pdf.fit_size("−$12,345,678", inner, 22, 11, bold=True)
    assert 11 <= long < 22
    pdf.font(long, bold=True)
    assert pdf.get_string_width("−$12,345,678") <= inner - 2 * pdf.c_margin


def test_deck_sets_each_figure_to_fit_its_box_and_lets_no_text_run_over(small):
    from PIL import ImageFont
    from pptx.enum.text import MSO_AUTO_SIZE
    from pptx.util import Inches

    from pmhc.reports import deck, textfit

    data = longest(small)
    prs = Presentation(io.BytesIO(deck.build(data)))
    fonts = textfit.dejavu()
    for h, slide in zip(data.headlines, list(prs.slides)[1:]):
        (box,) = [sh for sh in slide.shapes if sh.has_text_frame and sh.text_frame.text == h.display]
        size = box.text_frame.paragraphs[0].runs[0].font.size.pt
        inner = box.width.pt - 2 * Inches(0.1).pt
        if fonts is not None:  # measured with the widest font a viewer may draw it in, by another library
            assert ImageFont.truetype(str(fonts[1]), size).getlength(h.display) <= inner, (h.key, size)
        # smaller only when needed: 100.0% keeps the full 60 pt, the figures in millions do not
        assert (size == 60) == (h.unit == "rate"), (h.key, size)
        assert size >= 28
        lines = [p.text for sh in slide.shapes if sh.has_text_frame for p in sh.text_frame.paragraphs]
        assert [c.line for c in h.changes()] == [t for t in lines if t.startswith(h.change_vs_previous)]
        for sh in slide.shapes:
            if sh.has_text_frame:
                assert sh.text_frame.word_wrap and sh.text_frame.auto_size == MSO_AUTO_SIZE.TEXT_TO_FIT_SHAPE


# ------------------------------------------------------------------ offline chart rendering

def test_the_render_page_loads_only_local_scripts():
    scripts = images.page_scripts()
    assert scripts
    for src in scripts:
        path = src.removeprefix("file://")
        assert not re.match(r"^[a-z]+://", path), src
        assert Path(path).is_file(), src


def test_a_chart_renders_to_png_with_the_network_unreachable(monkeypatch):
    for var in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.setenv(var, "http://127.0.0.1:9")
    monkeypatch.setenv("no_proxy", "")
    images.close()  # start a fresh browser under the unreachable proxy
    fig = charts.trend(pd.DataFrame({"month": ["2024-01", "2024-02"], "bh_calls": [3, 2]}), "month",
                       {"bh_calls": "Behavioral-health calls"}, "Behavioral-health calls by month", "Calls")
    data = images.png(fig, 500, 300, scale=2)
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert images.png_size(data) == (1000, 600)
    assert len(data) > 5_000  # a drawn chart, not an empty canvas
    assert images.running()


def test_the_browser_is_started_once_for_many_charts():
    fig = charts.trend(pd.DataFrame({"month": ["2024-01", "2024-02"], "bh_calls": [3, 2]}), "month",
                       {"bh_calls": "Behavioral-health calls"}, "Behavioral-health calls by month", "Calls")
    images.png(fig, 300, 200, scale=1)
    engine = images._engine
    for _ in range(3):
        assert images.png_size(images.png(fig, 300, 200, scale=1)) == (300, 200)
    assert images._engine is engine


def test_an_unusable_browser_path_says_what_to_set(monkeypatch):
    monkeypatch.setenv("BROWSER_PATH", "/nonexistent/chromium")
    with pytest.raises(images.ChartImageError, match="BROWSER_PATH"):
        images.browser_path()


# ------------------------------------------------------------------ pmhc report

READERS = {
    "pptx": lambda p: len(Presentation(str(p)).slides),
    "xlsx": lambda p: len(openpyxl.load_workbook(p).sheetnames),
    "pdf": lambda p: len(PdfReader(str(p)).pages),
}


# The workbook: Figures, By month, By district, Assumptions, By call type, By beat.
@pytest.mark.parametrize("fmt,parts", [("pptx", 9), ("xlsx", 6), ("pdf", 1)])
def test_report_command_writes_each_format(fmt, parts, small_db_path, tmp_path, capsys):
    out = tmp_path / f"file.{fmt}"
    code = cli.main(["report", "--from", "2024-01", "--to", "2024-03", "--format", fmt, "--out", str(out),
                     "--db", str(small_db_path)])  # a public report covers a published period (Q1)
    assert code == 0, capsys.readouterr().err
    assert READERS[fmt](out) == parts
    assert "public release" in capsys.readouterr().out


def test_report_command_internal_flag_writes_exact_figures(small_db_path, tmp_path):
    out = tmp_path / "internal.xlsx"
    assert cli.main(["report", "--from", "2024-01", "--to", "2024-02", "--format", "xlsx", "--out", str(out),
                     "--db", str(small_db_path), "--internal"]) == 0
    assert figures_rows(openpyxl.load_workbook(out))["bh_calls"]["Value"] == 5


def test_report_command_for_one_district_matches_that_districts_figures(small_db_path, tmp_path):
    out = tmp_path / "d1.xlsx"
    assert cli.main(["report", "--from", "2024-01", "--to", "2024-02", "--format", "xlsx", "--out", str(out),
                     "--db", str(small_db_path), "--district", "D1", "--internal"]) == 0
    con = db.connect(small_db_path, read_only=True)
    try:
        want = metrics.headline(con, metrics.Filters(JAN_FEB.period, "D1"))
    finally:
        con.close()
    rows = figures_rows(openpyxl.load_workbook(out))
    assert rows["bh_calls"]["Value"] == want["bh_calls"] == 3


def test_report_command_warns_when_the_period_is_not_loaded(small_db_path, tmp_path, capsys):
    out = tmp_path / "later.xlsx"
    assert cli.main(["report", "--from", "2025-01", "--to", "2025-03", "--format", "xlsx", "--out", str(out),
                     "--db", str(small_db_path)]) == 0
    assert "runs outside the loaded data (15 Jan 2023 – 29 Feb 2024)" in capsys.readouterr().err


def test_report_command_rejects_a_missing_output_folder(small_db_path, tmp_path, capsys):
    out = tmp_path / "no such folder" / "deck.pptx"
    code = cli.main(["report", "--from", "2024-01", "--to", "2024-02", "--format", "pptx", "--out", str(out),
                     "--db", str(small_db_path)])
    assert code == 2
    err = capsys.readouterr().err
    assert "does not exist" in err and "no such folder" in err
    assert not out.exists()


def test_report_command_rejects_an_unknown_district(small_db_path, tmp_path, capsys):
    code = cli.main(["report", "--from", "2024-01", "--to", "2024-02", "--format", "xlsx",
                     "--out", str(tmp_path / "x.xlsx"), "--db", str(small_db_path), "--district", "D9"])
    assert code == 2
    err = capsys.readouterr().err
    assert "'D9' is not in the data" in err and "D1, D2" in err
    assert not (tmp_path / "x.xlsx").exists()


def test_report_command_rejects_an_unknown_responder_type(small_db_path, tmp_path, capsys):
    code = cli.main(["report", "--from", "2024-01", "--to", "2024-02", "--format", "xlsx",
                     "--out", str(tmp_path / "x.xlsx"), "--db", str(small_db_path), "--responder-type", "robot"])
    assert code == 2
    assert "clinician_liaison" in capsys.readouterr().err


def test_report_command_rejects_a_bad_month(small_db_path, tmp_path, capsys):
    code = cli.main(["report", "--from", "2024-13", "--to", "2024-02", "--format", "xlsx",
                     "--out", str(tmp_path / "x.xlsx"), "--db", str(small_db_path)])
    assert code == 2
    assert "YYYY-MM" in capsys.readouterr().err


def test_report_file_name_says_what_and_when():
    assert reports.file_name("pptx", JAN_FEB) == "pmhc_council_deck_20240101_20240229.pptx"
    assert reports.file_name("xlsx", metrics.Filters(JAN_FEB.period, "D2")) == \
        "pmhc_grant_workbook_20240101_20240229_D2.xlsx"


# ------------------------------------------------------------------ the Reports & exports page

def run_page(role: str, params: dict | None = None) -> AppTest:
    """The page on its own (interactions through app.py are lost to its navigation rerun;
    see test_data_page.open_data_page)."""
    at = AppTest.from_file(str(ROOT / "pages" / "reports.py"), default_timeout=180)
    at.session_state["role"] = role
    for k, v in {**Q1_PARAMS, **(params or {})}.items():
        at.query_params[k] = v
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def page_through_app(role: str, monkeypatch) -> AppTest:
    """Through app.py's navigation, in demo mode (no login; the role as the demo switcher sets it)."""
    monkeypatch.setenv("PMHC_DEMO", "1")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.session_state["role"] = role
    for k, v in Q1_PARAMS.items():
        at.query_params[k] = v
    at.run()
    at.switch_page(access.page("reports").path)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def downloads(at: AppTest) -> list[str]:
    return [d.proto.label for d in at.get("download_button")]


@pytest.mark.parametrize("role", ["analyst", "public"])
def test_reports_page_runs_through_the_app_for_each_role(role, small_db_path, monkeypatch):
    at = page_through_app(role, monkeypatch)
    assert [t.value for t in at.title] == ["Reports & exports"]
    assert [b.label for b in at.button] == ["Build the slide deck", "Build the workbook", "Build the summary"]


def test_reports_page_explains_each_file(small_db_path):
    at = run_page("analyst")
    assert [s.value for s in at.subheader][:3] == [
        "Council slide deck (.pptx)", "Grant workbook (.xlsx)", "One-page summary (.pdf)"]
    text = "\n".join(m.value for m in at.markdown)
    assert "city council" in text and "grant writer" in text and "one sheet of paper" in text


def test_building_the_workbook_offers_its_download(small_db_path):
    at = run_page("analyst")
    assert downloads(at) == []
    at.button(key="reports_build_xlsx").click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert downloads(at) == ["Download the workbook"]
    assert [b.label for b in at.button] == ["Build the slide deck", "Build the summary"]  # replaced by the download
    captions = "\n".join(c.value for c in at.caption)
    assert "pmhc_grant_workbook_20240101_20240131.xlsx" in captions
    assert "public release" in captions
    # a rerun reuses the built file: no build button for it any more
    at.run()
    assert downloads(at) == ["Download the workbook"]
    assert "Build the workbook" not in [b.label for b in at.button]


def test_staff_internal_release_is_off_by_default(small_db_path):
    at = run_page("analyst")
    (box,) = at.checkbox
    assert box.label == "Internal release (exact small counts — do not publish)"
    assert box.value is False


def test_public_viewer_has_no_internal_release_choice(small_db_path):
    at = run_page("public")
    assert len(at.checkbox) == 0
    assert any("public release" in i.value for i in at.info)
    at.button(key="reports_build_xlsx").click()
    at.run()
    assert downloads(at) == ["Download the workbook"]
    assert "INTERNAL" not in "\n".join(c.value for c in at.caption)


def test_ticking_internal_release_warns_and_builds_a_separate_file(small_db_path):
    at = run_page("admin")
    at.button(key="reports_build_xlsx").click()
    at.run()
    at.checkbox(key="reports_internal").check()
    at.run()
    assert any("Do not publish" in w.value for w in at.warning)
    assert downloads(at) == []  # the public file is not offered as the internal one
    at.button(key="reports_build_xlsx").click()
    at.run()
    assert downloads(at) == ["Download the workbook"]
    assert "INTERNAL release" in "\n".join(c.value for c in at.caption)


def test_reports_page_shows_the_command_line_for_the_selection(small_db_path):
    at = run_page("analyst", {"district": "D1"})
    (code,) = [c.value for c in at.code]
    assert ("pmhc report --from 2024-01 --to 2024-01 --district D1 --format xlsx "
            "--out pmhc_grant_workbook_20240101_20240131_D1.xlsx") in code.splitlines()
    at.checkbox(key="reports_internal").check()
    at.run()
    assert all(line.count("--internal") == 1 for line in at.code[0].value.splitlines())


def test_reports_page_refuses_a_public_file_of_a_range_that_is_not_published(small_db_path):
    at = run_page("analyst", JAN_FEB_PARAMS)  # Jan–Feb: Q1 minus it is March, a published month
    (error,) = [e.value for e in at.warning]
    assert "not a published period" in error
    assert "one month, a quarter, a calendar year, a fiscal year or a grant period the administrator published" \
        in error and "(none published)" in error and "Internal release" in error
    assert [b.disabled for b in at.button] == [True, True, True]
    assert downloads(at) == []


def test_reports_page_builds_an_internal_file_of_any_range(small_db_path):
    at = run_page("analyst", JAN_FEB_PARAMS)
    at.checkbox(key="reports_internal").check()
    at.run()
    assert all("not a published period" not in e.value for e in at.warning)
    at.button(key="reports_build_xlsx").click()
    at.run()
    assert downloads(at) == ["Download the workbook"]
    assert "INTERNAL release" in "\n".join(c.value for c in at.caption)


@pytest.mark.parametrize("params", [Q1_PARAMS, {"from": "2024-02", "to": "2024-02"}],
                         ids=["January", "February"])
def test_reports_page_builds_a_public_file_of_a_published_period(params, small_db_path):
    at = run_page("analyst", params)
    assert all("not a published period" not in e.value for e in at.warning)
    at.button(key="reports_build_xlsx").click()
    at.run()
    assert downloads(at) == ["Download the workbook"]
    assert "public release" in "\n".join(c.value for c in at.caption)


def test_reports_page_says_what_to_install_when_charts_cannot_be_drawn(small_db_path, monkeypatch):
    images.close()  # the next chart starts a browser, and finds none
    monkeypatch.setenv("BROWSER_PATH", str(small_db_path.parent / "no-chromium-here"))
    at = run_page("analyst")
    at.button(key="reports_build_pptx").click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    (error,) = [e.value for e in at.error]
    assert "could not be drawn" in error and "BROWSER_PATH" in error and "chromium" in error.lower()
    assert downloads(at) == []


def test_report_command_shows_the_deck_charts_drawn_one_line_each(small_db_path, tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    out = tmp_path / "deck.pptx"
    assert cli.main(["report", "--from", "2024-01", "--to", "2024-02", "--format", "pptx", "--out", str(out),
                     "--db", str(small_db_path), "--internal"]) == 0
    lines = [line for line in capsys.readouterr().err.splitlines() if line.startswith("deck chart: ")]
    found = [re.fullmatch(r"deck chart: (.+) \((\d+)/(\d+)\) in \d+\.\d s", line) for line in lines]
    assert lines and all(found), lines
    assert [int(m[2]) for m in found] == list(range(1, len(lines) + 1))
    assert {int(m[3]) for m in found} == {len(lines)}
    titles = [s.shapes[0].text_frame.text for s in Presentation(str(out)).slides]
    assert [m[1] for m in found] == [t for t in titles if t in {m[1] for m in found}]


def test_a_public_report_of_a_month_range_that_is_not_published_is_refused(small_db_path, tmp_path, capsys):
    out = tmp_path / "jan_feb.xlsx"
    code = cli.main(["report", "--from", "2024-01", "--to", "2024-02", "--format", "xlsx", "--out", str(out),
                     "--db", str(small_db_path)])
    assert code == 2 and not out.exists()
    assert "not a published period" in capsys.readouterr().err
