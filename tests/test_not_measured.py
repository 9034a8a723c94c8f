"""A figure its data cannot support says "not measured" and why — never 0, $0, 0.0% or 0.0 h.

Fixture tests/fixtures/cad_only/calls.csv: a CAD-only export as agencies have it — six
calls in January–February 2024, no co-responder value on any row, no CIT, time on
scene or use-of-force columns, no clinician log and no arrest records. By hand (BH call
types of tests/fixtures/small/config): K1, K2, K4, K6 are BH calls, so calls = 6, BH
calls = 4, BH share = 4/6; officer minutes on BH calls 60 + 30 + 90 = 180 = 3.0 h,
recorded on 3 of the 4 BH calls (K4 has none). Every other figure needs an input this
export does not have.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import openpyxl
import pytest
from pptx import Presentation
from pypdf import PdfReader

from pmhc import coverage, db, figures, figures_cli, importer, metrics, present, release, reports, ui
from pmhc.cli import main
from pmhc.config import load_agency
from pmhc.periods import Period

from .conftest import SMALL, SMALL_CONFIG, load_small
from .helpers import JAN_FEB

CAD_ONLY = Path(__file__).parent / "fixtures" / "cad_only" / "calls.csv"
# The inputs this export lacks (pmhc/figures.py :: INPUTS), decided by reading the file.
ABSENT = {"co_responder", "cit_officer", "on_scene_time", "use_of_force", "contacts", "contact_outcome",
          "person_key", "contact_minutes", "comparison_contacts", "arrests"}
ZEROS = {"0", "$0", "−$0", "0.0%", "0.0 h", "0 h", "0 min", "0.00", "0.0"}


def _absent(fig: figures.Figure) -> bool:
    return bool(set(fig.inputs) & ABSENT)


@pytest.fixture
def cad_con():
    con = db.connect(":memory:")
    report = importer.import_file(con, CAD_ONLY)
    assert report.status == "loaded" and report.rows_quarantined == 0, report.summary()
    yield con
    con.close()


@pytest.fixture
def cad_db(tmp_path):
    path = tmp_path / "cad.duckdb"
    con = db.connect(path)
    importer.import_file(con, CAD_ONLY)
    con.close()
    return path


def test_every_registered_figure_without_its_inputs_is_not_measured(cad_con):
    values = metrics.headline(cad_con, JAN_FEB)
    walked = 0
    for fig in figures.registry():
        if fig.key not in values:
            continue
        walked += 1
        v = values[fig.key]
        if _absent(fig):
            assert present.not_measured(v), f"{fig.key} = {v!r} although its inputs are absent"
            assert v.reason and present.fmt(v, fig.unit) == "not measured"
        else:
            assert not present.not_measured(v), f"{fig.key}: {v!r}"
    assert walked == len([f for f in figures.registry() if f.key in values]) > 60


def test_figures_whose_inputs_are_present_keep_their_hand_computed_values(cad_con):
    v = metrics.headline(cad_con, JAN_FEB)
    assert (v["calls_total"], v["bh_calls"]) == (6, 4)
    assert v["bh_share"] == pytest.approx(4 / 6)
    assert v["officer_hours_bh"] == pytest.approx(3.0)
    assert v["bh_calls_force_recorded"] == 0  # a true count: no call records use of force


def test_the_reason_names_what_is_missing(cad_con):
    v = metrics.headline(cad_con, JAN_FEB)
    assert v["co_response_coverage"].reason == "no co-responder field in the loaded calls"
    assert v["bh_arrest_rate"].reason == "no arrest records loaded"
    assert v["diversion_rate"].reason == ("no clinician log loaded, and no call outcome bearing on "
                                          "diversion in the loaded calls")
    assert v["officer_hours_returned"].reason == "no co-responder field in the loaded calls"
    assert v["net_cost_avoidance"].reason == "no co-responder field in the loaded calls"


def test_partly_recorded_input_shows_its_coverage(cad_con):
    cov = metrics.coverage(cad_con, JAN_FEB)
    fig = figures.lookup("officer_hours_bh")
    assert cov.note(fig) == "computed over 3 of 4 BH calls where the officer-minutes field is recorded."
    assert cov.note(fig, public=True) == ("computed over the BH calls where the officer-minutes field is recorded "
                                          "(not all of them).")


def test_pmhc_figures_json_gives_null_and_the_reason(cad_db, capsys):
    code = main(["figures", "--from", "2024-01", "--to", "2024-02", "--format", "json", "--db", str(cad_db)])
    figs = json.loads(capsys.readouterr().out)["figures"]
    assert code == 0
    for key, row in figs.items():
        fig = figures.lookup(key)
        if _absent(fig):
            assert row["value"] is None and row["not_measured"], key
        else:
            assert row["not_measured"] is None, key
    assert figs["bh_calls"]["value"] == 4
    assert figs["arrest_rate_co_responded"]["not_measured"] == "no co-responder field in the loaded calls"


def test_pmhc_figures_csv_and_table_say_not_measured(cad_db, capsys):
    main(["figures", "--from", "2024-01", "--to", "2024-02", "--format", "csv", "--db", str(cad_db)])
    out = capsys.readouterr().out
    assert ('diversion_rate,Diversion rate,,rate,"no clinician log loaded, and no call outcome bearing on '
            'diversion in the loaded calls"') in out
    main(["figures", "--from", "2024-01", "--to", "2024-02", "--db", str(cad_db)])
    table = capsys.readouterr().out
    line = next(l for l in table.splitlines() if l.startswith("co_response_coverage "))
    assert "not measured" in line and "0.0%" not in line


@pytest.mark.parametrize("by", ["month", "district"])
def test_pmhc_figures_by_gives_null_and_the_reason_in_every_bucket(cad_db, capsys, by):
    assert main(["figures", "--from", "2024-01", "--to", "2024-02", "--by", by, "--format", "json",
                 "--db", str(cad_db)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["buckets"]
    for key, row in data["figures"].items():
        for bucket, c in row["breakdown"].items():
            if _absent(figures.lookup(key)):
                assert c["value"] is None and c["not_measured"] == row["not_measured"], (key, bucket)
            else:
                assert c["not_measured"] is None, (key, bucket)
    # K1 K2 in January, K4 K6 in February; D1 has K1 K2, D2 K4, K6 no district
    assert {b: c["value"] for b, c in data["figures"]["bh_calls"]["breakdown"].items()} == (
        {"2024-01": 2, "2024-02": 2} if by == "month" else {"D1": 2, "D2": 1, "Unknown": 1})


def test_pmhc_figures_by_csv_and_table_never_print_zero_for_a_figure_not_measured(cad_db, capsys):
    main(["figures", "--from", "2024-01", "--to", "2024-02", "--by", "district", "--format", "csv",
          "--db", str(cad_db)])
    rows = [r for r in csv.DictReader(io.StringIO(capsys.readouterr().out)) if r["key"] == "co_response_coverage"]
    assert [r["district"] for r in rows] == ["D1", "D2", "Unknown", "Total"]
    assert all(r["value"] == "" and r["not_measured"] == "no co-responder field in the loaded calls" for r in rows)
    main(["figures", "--from", "2024-01", "--to", "2024-02", "--by", "month", "--db", str(cad_db)])
    line = next(l for l in capsys.readouterr().out.splitlines() if l.startswith("co_response_coverage "))
    assert "0.0%" not in line
    assert line.count("not measured") == 3  # January, February and the total


def test_grant_table_shows_not_measured_with_the_reason(cad_con):
    values = metrics.headline(cad_con, JAN_FEB)
    table = ui.figure_table(values, figures.figures(), "analyst", metrics.coverage(cad_con, JAN_FEB))
    for row in table.to_dict("records"):
        fig = figures.lookup(row["key"])
        if _absent(fig):
            assert row["value"] == "not measured" and row["note"].startswith("Not measured: "), row
        assert not (_absent(fig) and row["value"] in ZEROS)


def test_public_release_shows_not_measured_not_suppressed(cad_con):
    cfg = load_agency()
    rel = release.build(cad_con, JAN_FEB, cfg)
    table = release.public_headline(cad_con, JAN_FEB, cfg, rel=rel)
    for row in table.to_dict("records"):
        if _absent(figures.lookup(row["key"])):
            assert row["display"] == "not measured", row


def test_workbook_holds_no_number_for_a_figure_that_is_not_measured(cad_con):
    wb = openpyxl.load_workbook(io.BytesIO(reports.build_workbook(cad_con, JAN_FEB, public=False)))
    ws = wb["Figures"]
    heads = None
    seen = 0
    for row in ws.iter_rows(values_only=True):
        if row[0] == "Key":
            heads = list(row)
            continue
        if heads is None or row[0] is None:
            continue
        r = dict(zip(heads, row))
        fig = figures.lookup(r["Key"])
        if fig is not None and _absent(fig):
            seen += 1
            assert r["Value"] is None and r["Shown as"] == "not measured", r
            assert r["Note"].startswith("Not measured: "), r
    assert seen >= 40
    month = wb["By month"]
    keys = [c.value for c in month[5]]
    col = keys.index("co_response_coverage") + 1
    assert {month.cell(r, col).value for r in (6, 7)} == {"not measured"}


def test_deck_and_one_pager_say_not_measured_with_the_reason(cad_con):
    deck = Presentation(io.BytesIO(reports.build_deck(cad_con, JAN_FEB, public=False)))
    text = " ".join(sh.text_frame.text for s in deck.slides for sh in s.shapes if sh.has_text_frame)
    assert "not measured" in text
    assert "Not measured: no co-responder field in the loaded calls." in text
    assert "0.0%" not in text and "0.0 h" not in text
    pdf = " ".join(PdfReader(io.BytesIO(reports.build_onepager(cad_con, JAN_FEB, public=False)))
                   .pages[0].extract_text().split())
    assert "not measured" in pdf and "0.0%" not in pdf


def test_empty_co_responder_counts_as_not_co_responded_only_where_the_agency_says_so(tmp_path, monkeypatch):
    cfg_dir = tmp_path / "config"
    cfg_dir.mkdir()
    for f in SMALL_CONFIG.iterdir():
        (cfg_dir / f.name).write_text(f.read_text())
    with (cfg_dir / "agency.toml").open("a") as fh:
        fh.write('\n[data_rules]\nco_responder_empty = "not_co_responded"\n')
    monkeypatch.setenv("PMHC_CONFIG_DIR", str(cfg_dir))
    con = db.connect(":memory:")
    importer.import_file(con, CAD_ONLY)
    v = metrics.headline(con, JAN_FEB)
    assert (v["co_responded_bh_calls"], v["co_response_coverage"]) == (0, 0.0)  # by the agency's rule
    note = metrics.coverage(con, JAN_FEB, cfg=load_agency()).note(figures.lookup("co_response_coverage"))
    assert "counts as not co-responded (agency rule" in note


def test_a_co_responder_field_recorded_on_part_of_the_calls_is_computed_over_that_part(tmp_path):
    text = CAD_ONLY.read_text().splitlines()
    text[1] = text[1].replace(",60,,", ",60,true,")  # K1 co-responded
    text[2] = text[2].replace(",30,,", ",30,false,")  # K2 not
    path = tmp_path / "calls.csv"
    path.write_text("\n".join(text) + "\n")
    con = db.connect(":memory:")
    importer.import_file(con, path)
    v = metrics.headline(con, JAN_FEB)
    assert v["co_response_coverage"] == pytest.approx(1 / 2)  # 1 of the 2 BH calls where it is recorded
    assert (v["co_responded_bh_calls"], v["not_co_responded_bh_calls"]) == (1, 1)
    note = metrics.coverage(con, JAN_FEB).note(figures.lookup("co_response_coverage"))
    assert note == "computed over 2 of 4 BH calls where the co-responder field is recorded."


def test_program_cost_not_set_is_not_measured(small_con):
    a = metrics.load_assumptions()
    del a["program_cost_annual"]
    v = metrics.headline(small_con, JAN_FEB, assumptions=a)
    assert v["program_cost"].reason.startswith("annual program cost not set in the agency's assumptions")
    assert present.not_measured(v["net_cost_avoidance"])
    assert v["gross_cost_avoidance"] == pytest.approx(metrics.headline(small_con, JAN_FEB)["gross_cost_avoidance"])


def test_the_sample_program_has_every_headline_figure_measured(small_con):
    v = metrics.headline(small_con, JAN_FEB)
    assert not [f.key for f in figures.figures() if f.headline and present.not_measured(v[f.key])]


def test_a_trend_whose_series_is_not_measured_says_so_instead_of_a_flat_zero_line(cad_con):
    from pmhc import charts

    m = metrics.monthly(cad_con, JAN_FEB)
    fig = charts.trend(m, "month", {"co_responded_bh_calls": "Co-responded BH calls"}, "t", "Calls")
    assert not fig.data
    assert fig.layout.annotations[0].text == ("Co-responded BH calls: not measured "
                                              "(no co-responder field in the loaded calls)")
    both = charts.trend(m, "month", {"bh_calls": "BH calls", "co_responded_bh_calls": "Co-responded BH calls"},
                        "t", "Calls")
    assert [t.name for t in both.data] == ["BH calls"]
    assert "Co-responded BH calls: not measured" in both.layout.xaxis.title.text


@pytest.fixture
def cad_demo(cad_db, monkeypatch):
    # The hand-written CAD-only fixture is synthetic too (it is on sample_data/SHA256SUMS): demo mode opens it.
    monkeypatch.setenv("PMHC_DB", str(cad_db))
    monkeypatch.setenv("PMHC_DEMO", "1")
    return cad_db


@pytest.mark.parametrize("role", ["admin", "public"])
def test_overview_cards_say_not_measured_with_the_reason(cad_demo, role):
    from .test_pages import open_page

    at = open_page("overview", role=role, params={"period": "months", "from": "2024-01", "to": "2024-02"})
    cards = {m.label: m.value for m in at.metric}
    assert cards["Behavioral-health calls"] == ("<11" if role == "public" else "4")  # a small count, suppressed
    for label in ("Co-response coverage", "Diversion rate", "Connection-to-care rate", "Officer hours returned to patrol",
                  "Net cost avoidance (estimate)"):
        assert cards[label] == "not measured", (label, cards[label])
    captions = " ".join(c.value for c in at.caption)
    assert "Not measured: no co-responder field in the loaded calls." in captions
    assert ("Not measured: no clinician log loaded, and no call outcome bearing on diversion in the loaded calls."
            in captions)



def test_a_partial_first_and_last_month_are_shaded_and_named_on_the_trend():
    import pandas as pd

    from pmhc import charts

    df = pd.DataFrame({"month": ["2024-01", "2024-02", "2024-03"], "bh_calls": [3, 9, 2]})
    from datetime import date

    df.attrs["partial_months"] = metrics.partial_months((date(2024, 1, 15), date(2024, 3, 10)))
    fig = charts.trend(df, "month", {"bh_calls": "BH calls"}, "BH calls per month", "Calls")
    assert len([s for s in fig.layout.shapes if s.type == "rect"]) == 2
    assert "partial month (data start 15 Jan 2024; data end 10 Mar 2024)" in fig.layout.xaxis.title.text
    assert metrics.partial_months((date(2024, 1, 1), date(2024, 3, 31))) == {}


# ------------------------------------------------------------------ three real public layouts
# The fixtures and profiles of tests/test_real_layouts.py, imported as a new user would.
# Every figure `pmhc figures` measures for Q1 2024, counted by hand from the files (the
# counts are derived in the docstring of tests/test_real_layouts.py); every other figure
# must be not measured with its reason. None = defined as undefined (0 ÷ 0), shown as "—".
# program_cost: 365,000 a year (the assumptions file) × 91 days ÷ 365 = 91,000.
Q1 = ["--from", "2024-01", "--to", "2024-03"]
Q1_FILTERS = metrics.Filters(Period.months("2024-01", "2024-03"))
HAND = {
    # (a) 24 BH calls; apprehension Yes on 6, measured (Yes or No) on all 24; no other outcome
    "toronto": {"calls_total": 24, "bh_calls": 24, "bh_share": 1.0, "known_outcome_contacts": 6,
                "unknown_outcome_contacts": 18, "involuntary_holds": 6, "bh_calls_force_recorded": 0,
                "program_cost": 91_000.0},
    # (b) 13 templates = 13 calls and 13 on-scene contacts (the clinician-log role is played by
    # the officers' rows); outcomes known on 11: diverted 5, care 3, holds 2; CIT 8 of 13; arrest
    # records from the same file name 2 of the 13 BH calls (245004, 245011)
    "seattle": {"calls_total": 13, "bh_calls": 13, "bh_share": 1.0, "cit_coverage": 8 / 13,
                "contacts_total": 13, "on_scene_contacts": 13, "follow_up_contacts": 0, "referral_contacts": 0,
                "unidentified_contacts": 13, "known_outcome_contacts": 11, "unknown_outcome_contacts": 2,
                "diverted_contacts": 5, "diversion_rate": 5 / 11, "care_connections": 3,
                "connection_to_care_rate": 3 / 11, "involuntary_holds": 2, "contacts_ending_in_arrest": 2,
                "bh_calls_with_arrest": 2, "bh_arrest_rate": 2 / 13, "bh_calls_with_force": 1,
                "bh_calls_force_recorded": 13, "follow_ups_attempted": 0, "follow_ups_reached": 0,
                "follow_up_completion_rate": None, "program_cost": 91_000.0},
    # (c) 26 calls, 18 BH, 16 with a known outcome: diverted 9, care 5, holds 3, arrests 2
    "cad": {"calls_total": 26, "bh_calls": 18, "bh_share": 18 / 26, "known_outcome_contacts": 16,
            "unknown_outcome_contacts": 2, "diverted_contacts": 9, "diversion_rate": 9 / 16, "care_connections": 5,
            "connection_to_care_rate": 5 / 16, "involuntary_holds": 3, "bh_calls_with_arrest": 2,
            "bh_arrest_rate": 2 / 16, "bh_calls_force_recorded": 0, "program_cost": 91_000.0},
}
# Figures counted on the calls' recorded outcome (no clinician log / no arrest records).
PER_CALL = {
    "toronto": {"known_outcome_contacts", "unknown_outcome_contacts", "involuntary_holds"},
    "seattle": set(),  # outcomes from its contacts, arrests from its arrest records
    "cad": {"known_outcome_contacts", "unknown_outcome_contacts", "diverted_contacts", "diversion_rate",
            "care_connections", "connection_to_care_rate", "involuntary_holds", "bh_calls_with_arrest",
            "bh_arrest_rate"},
}
LAYOUTS = ("toronto", "seattle", "cad")
# The pages' period: the CAD export ends in February (a period past the data is not offered).
PAGE_PERIOD = {"toronto": "2024-03", "seattle": "2024-03", "cad": "2024-02"}


@pytest.fixture(params=LAYOUTS)
def layout_db(request, tmp_path, monkeypatch):
    """(name, database file) of one real layout imported through its profile."""
    from pmhc import auth, profiles

    from .test_real_layouts import CAD, CAD_AGENCY, SEATTLE, TORONTO

    name = request.param
    export, profile = {"toronto": TORONTO, "seattle": SEATTLE, "cad": CAD}[name]
    if name == "cad":
        monkeypatch.setenv("PMHC_CONFIG_DIR", str(CAD_AGENCY.parent))
    monkeypatch.setattr(auth, "SYNTHETIC_GLOBS", auth.SYNTHETIC_GLOBS + ("tests/fixtures/real_layouts/*/*.csv",))
    path = tmp_path / f"{name}.duckdb"
    con = db.connect(path)
    profiles.import_with_profile(con, export, profile)
    con.close()
    monkeypatch.setenv("PMHC_DB", str(path))
    monkeypatch.setenv("PMHC_DEMO", "1")
    return name, path


def _is_hand_value(value, expected) -> bool:
    return value is None if expected is None else value == pytest.approx(expected)


def test_every_figure_of_each_real_layout_is_its_hand_count_or_not_measured(layout_db, capsys):
    name, path = layout_db
    assert main(["figures", *Q1, "--format", "json", "--db", str(path)]) == 0
    figs = json.loads(capsys.readouterr().out)["figures"]
    hand = HAND[name]
    for key, row in figs.items():
        if key in hand:
            assert row["not_measured"] is None and _is_hand_value(row["value"], hand[key]), (key, row)
        else:
            assert row["value"] is None and row["not_measured"], (key, row)
    assert set(hand) <= set(figs)


def test_each_real_layout_names_the_counting_unit_of_its_outcome_figures(layout_db, capsys):
    name, path = layout_db
    main(["figures", *Q1, "--format", "json", "--db", str(path)])
    figs = json.loads(capsys.readouterr().out)["figures"]
    per_call = {k for k in ("known_outcome_contacts", "unknown_outcome_contacts", "diverted_contacts",
                            "diversion_rate", "care_connections", "connection_to_care_rate", "involuntary_holds",
                            "bh_calls_with_arrest", "bh_arrest_rate")
                if k in HAND[name] and figs[k]["counting_unit"] == "CAD call"
                and (figs[k]["coverage"] or "").startswith("counted per BH call from the outcome recorded on the call")}
    assert per_call == PER_CALL[name]


def test_toronto_holds_are_measured_on_every_call_and_diversion_and_arrests_are_not(layout_db, capsys):
    name, path = layout_db
    if name != "toronto":
        pytest.skip("the flags export only")
    main(["figures", *Q1, "--format", "json", "--db", str(path)])
    figs = json.loads(capsys.readouterr().out)["figures"]
    assert figs["involuntary_holds"]["value"] == 6
    assert figs["involuntary_holds"]["coverage"].endswith("measured on 24 of 24 BH calls.")
    assert figs["diversion_rate"]["not_measured"] == (
        "no clinician log loaded, and no call outcome bearing on diversion in the loaded calls")
    assert figs["bh_arrest_rate"]["not_measured"] == "no arrest records loaded"


# Short labels of the Outcomes and Volume cards (pages/outcomes.py, pages/volume.py).
CARDS = {"Diversion rate": "diversion_rate", "Connection to care": "connection_to_care_rate",
         "Involuntary holds": "involuntary_holds", "Arrest rate, co-responded": "arrest_rate_co_responded",
         "Arrest rate, other BH calls": "arrest_rate_not_co_responded", "Unknown outcome": "unknown_outcome_contacts",
         "BH calls": "bh_calls", "Co-responded": "co_responded_bh_calls", "Coverage": "co_response_coverage",
         "CIT officer on scene": "cit_coverage", "Contacts": "contacts_total", "People served": "people_served"}


@pytest.mark.parametrize("page", ["overview", "outcomes", "volume"])
def test_page_cards_of_each_real_layout_show_the_hand_count_or_not_measured(layout_db, page):
    from .test_pages import open_page

    name, _ = layout_db
    at = open_page(page, params={"period": "months", "from": "2024-01", "to": PAGE_PERIOD[name]})
    labels = {f.label: f.key for f in figures.figures()} | CARDS
    checked = 0
    for m in at.metric:
        key = labels[m.label]
        fig = figures.lookup(key)
        if key in HAND[name]:
            assert m.value == present.fmt(HAND[name][key], fig.unit), (page, m.label, m.value)
        else:
            assert m.value == "not measured", (page, m.label, m.value)
        checked += 1
    assert checked >= 6


def test_outcomes_page_says_which_record_its_figures_are_counted_on(layout_db):
    from .test_pages import open_page

    name, _ = layout_db
    at = open_page("outcomes", params={"period": "months", "from": "2024-01", "to": PAGE_PERIOD[name]})
    info = " ".join(i.value for i in at.info)
    if name == "seattle":
        assert "counted per logged contact (the clinician log)" in info
        assert "Arrests are counted from the call outcome" not in info  # from the arrest records of the file
    else:
        assert "No clinician log loaded" in info and "counted per BH call" in info


def test_workbook_deck_and_one_pager_of_each_real_layout_show_the_same(layout_db):
    name, path = layout_db
    con = db.connect(path, read_only=True)
    try:
        wb = openpyxl.load_workbook(io.BytesIO(reports.build_workbook(con, Q1_FILTERS, public=False)))
        heads, seen = None, 0
        for row in wb["Figures"].iter_rows(values_only=True):
            if row[0] == "Key":
                heads = list(row)
                continue
            if heads is None or row[0] is None or figures.lookup(row[0]) is None:
                continue
            r = dict(zip(heads, row))
            if r["Key"] in HAND[name]:
                assert _is_hand_value(r["Value"], HAND[name][r["Key"]]), r
            else:
                assert r["Value"] is None and r["Shown as"] == "not measured", r
            seen += 1
        assert seen >= 40
        deck = Presentation(io.BytesIO(reports.build_deck(con, Q1_FILTERS, public=False)))
        text = " ".join(sh.text_frame.text for s in deck.slides for sh in s.shapes if sh.has_text_frame)
        pdf = " ".join(PdfReader(io.BytesIO(reports.build_onepager(con, Q1_FILTERS, public=False)))
                       .pages[0].extract_text().split())
        for fig in figures.figures():
            if not fig.headline:
                continue
            shown = present.fmt(HAND[name][fig.key], fig.unit) if fig.key in HAND[name] else "not measured"
            assert shown in text, (fig.key, shown)
        assert "not measured" in pdf and "0.0%" not in pdf and "0.0%" not in text
    finally:
        con.close()


def test_a_link_to_months_past_the_loaded_data_keeps_the_loaded_part_of_its_range(cad_demo):
    # The CAD-only export runs from January to 25 February 2024. A link asking for January to
    # April used to fall back to the default period (the last full month: January alone).
    from .test_pages import metric, open_page

    at = open_page("overview", role="analyst", params={"period": "months", "from": "2024-01", "to": "2024-04"})
    assert "Jan 2024–Feb 2024" in at.caption[0].value
    assert metric(at, "Behavioral-health calls") == "4"  # K1, K2 in January, K4, K6 in February
    moved = " ".join(i.value for i in at.sidebar.info)
    assert "`to=2024-04` is outside the loaded data (Jan 2024 to Feb 2024): the period runs to Feb 2024" in moved
    assert at.query_params["to"] == "2024-02"  # the address now says what is shown


def test_arrest_records_that_never_say_booked_leave_the_booked_share_not_measured(layout_db):
    # The crisis-template export's arrest records ([arrests.where] "Subject Arrested") have no
    # booking column: the booked share of the savings estimate is not measured, never 0.0 %.
    name, path = layout_db
    if name != "seattle":
        pytest.skip("the export with arrest records")
    con = db.connect(path, read_only=True)
    try:
        v = metrics.savings(con, Q1_FILTERS, metrics.load_assumptions())
    finally:
        con.close()
    assert v["booked_share"].reason == "no booked field in the loaded arrest records"


def test_a_booked_field_empty_on_some_arrests_counts_them_as_not_booked_and_says_so(tmp_path, small_con):
    text = (SMALL / "arrests.csv").read_text().replace("FAILURE TO APPEAR,warrant,true", "FAILURE TO APPEAR,warrant,")
    (tmp_path / "arrests.csv").write_text(text)
    importer.import_file(small_con, tmp_path / "arrests.csv")
    cov = metrics.coverage(small_con, JAN_FEB)
    fig = figures.lookup("booked_share")
    # A1–A5 are arrested in January–February; A4's booked field is now empty
    assert cov.note(fig) == "the booked field is empty on 1 of 5 arrest records, counted as not booked."
    assert cov.note(fig, public=True) == "the booked field is empty on some arrest records, counted as not booked."
    assert not present.not_measured(metrics.savings(small_con, JAN_FEB, metrics.load_assumptions())["booked_share"])
