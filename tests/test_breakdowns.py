"""Every breakdown adds up: its rows (with an explicit 'Unknown' where a value is missing)
sum to the period total, for every additive figure of every query that has the breakdown."""

from __future__ import annotations

import pytest

from pmhc import definitions, figures, metrics
from pmhc.periods import Period
from .helpers import JAN_FEB

PERIODS = {
    "jan_feb_2024": JAN_FEB.period,
    "whole_fixture": Period.months("2023-01", "2024-03"),
}


def additive_columns(query: str) -> list[str]:
    return [f.key for f in figures.figures_of(query) if f.additive and f.unit in ("count", "hours")]


# Queries whose figures are all distinct people (counted once per row) have nothing to add up.
PEOPLE_ONLY = ("repeat_contacts",)
CASES = [(q, by) for q, bys in metrics.BREAKDOWNS.items() if q not in PEOPLE_ONLY for by in bys]


def test_every_breakdown_query_is_checked_or_counts_only_people():
    for q in metrics.BREAKDOWNS:
        assert additive_columns(q) or q in PEOPLE_ONLY, q
    for q in PEOPLE_ONLY:
        assert all(f.counting_unit == "person" for f in definitions.figures() if f.query == q)


@pytest.mark.parametrize("period", PERIODS.values(), ids=PERIODS.keys())
@pytest.mark.parametrize("query,by", CASES, ids=[f"{q}-by-{b}" for q, b in CASES])
def test_breakdown_rows_sum_to_the_total(small_con, query, by, period):
    filters = metrics.Filters(period)
    total = metrics.run(small_con, query, filters, "total").iloc[0]
    parts = metrics.breakdown(small_con, query, filters, by)
    for col in additive_columns(query):
        assert parts[col].fillna(0).sum() == pytest.approx(total[col] or 0), f"{query} by {by}: {col}"


def test_district_breakdown_has_an_explicit_unknown_row(small_con):
    parts = metrics.breakdown(small_con, "volume_calls", metrics.Filters(PERIODS["jan_feb_2024"]), "district")
    assert parts.set_index("bucket")["calls_total"].to_dict() == {"D1": 4, "D2": 4, "Unknown": 1}


def test_contacts_without_a_known_call_fall_in_unknown_district(small_con):
    parts = metrics.breakdown(small_con, "volume_contacts", metrics.Filters(PERIODS["jan_feb_2024"]), "district")
    # E03, E06, E09 (no call), E07 (call C05 has no district), E10 (call C77 missing)
    assert parts.set_index("bucket")["contacts_total"].to_dict() == {"D1": 3, "D2": 1, "Unknown": 5}


def test_outcome_mix_sums_to_contacts_for_every_month(small_con):
    filters = metrics.Filters(PERIODS["whole_fixture"])
    mix = metrics.outcome_mix(small_con, filters, "month").groupby("bucket")["contacts"].sum()
    contacts = metrics.breakdown(small_con, "volume_contacts", filters, "month").set_index("bucket")["contacts_total"]
    assert mix.to_dict() == contacts.to_dict()


def test_calls_by_call_type_as_exported(small_con):
    parts = metrics.breakdown(small_con, "calls_by_category", metrics.Filters(PERIODS["jan_feb_2024"]), "call_type")
    got = parts.set_index("bucket")[["calls_total", "bh_calls", "co_responded_bh_calls"]].T.to_dict("list")
    # by hand from tests/fixtures/small/calls.csv (C06 is not BH: its bh_flag is false; C04 is, by its flag)
    assert got == {"MENTAL HEALTH CRISIS": [3, 2, 1], "SUICIDE THREAT": [1, 1, 0], "THEFT": [2, 0, 0],
                   "DISTURBANCE": [1, 1, 1], "TRAFFIC STOP": [1, 0, 0], "EMOTIONALLY DISTURBED PERSON": [1, 1, 1]}


def test_calls_by_beat_has_an_explicit_unknown_row(small_con):
    parts = metrics.breakdown(small_con, "calls_by_category", metrics.Filters(PERIODS["jan_feb_2024"]), "beat")
    assert parts.set_index("bucket")[["calls_total", "bh_calls"]].T.to_dict("list") == {
        "D1-1": [2, 1], "D1-2": [2, 2], "D2-1": [2, 1], "D2-2": [2, 0], "Unknown": [1, 1]}


def test_workbooks_have_call_and_outcome_figures_by_call_type_and_by_beat(small_con):
    import io

    import openpyxl

    from pmhc import reports
    from pmhc.reports import workbook

    f = metrics.Filters(PERIODS["jan_feb_2024"])
    data = reports.gather(small_con, f, public=False, categories=figures.CATEGORIES)
    wb = openpyxl.load_workbook(io.BytesIO(workbook.build(data)))
    rows = sheet_rows(wb["By call type"])
    assert rows["MENTAL HEALTH CRISIS"]["calls_total"] == 3 and rows["Total"]["calls_total"] == 9
    assert sum(r["calls_total"] for k, r in rows.items() if k != "Total") == 9
    assert rows["No linked call"]["known_outcome_contacts"] == 4  # E03, E06, E09, E10
    assert rows["Total"]["diverted_contacts"] == 5
    assert "By beat" in wb.sheetnames


def test_public_workbook_shows_the_breakdowns_as_the_release_does(release_db):
    import io

    import openpyxl

    from pmhc import reports
    from pmhc.reports import workbook

    f = metrics.Filters(Period.months("2024-01", "2024-01"))  # a published period
    data = reports.gather(release_db.con, f, release_db.cfg, release_db.assumptions, public=True,
                          categories=figures.CATEGORIES)
    rows = sheet_rows(openpyxl.load_workbook(io.BytesIO(workbook.build(data)))["By call type"])
    # January 2024: 4 calls, every count from 1 to 10: no exact small count leaves the building
    assert rows["MENTAL HEALTH CRISIS"]["calls_total"] == "<11"
    assert all(v in ("<11", "suppressed", 0, None) or (isinstance(v, str) and v.endswith("%"))
               for r in rows.values() for v in r.values()), rows


def test_a_district_filtered_public_workbook_leaves_the_breakdowns_out_and_says_why(release_db):
    import io

    import openpyxl

    from pmhc import reports
    from pmhc.reports import workbook

    f = metrics.Filters(Period.months("2024-01", "2024-01"), "D1")
    data = reports.gather(release_db.con, f, release_db.cfg, release_db.assumptions, public=True,
                          categories=figures.CATEGORIES)
    wb = openpyxl.load_workbook(io.BytesIO(workbook.build(data)))
    assert "By call type" not in wb.sheetnames and "By beat" not in wb.sheetnames
    notes = [r[1].value for r in wb["Figures"].iter_rows(max_row=15) if r[0].value == "Note"]
    assert any("published for all districts and responder types together" in (n or "") for n in notes)


def sheet_rows(ws) -> dict:
    """A By … sheet as {row label: {figure key: cell value}} (keys are in row 5)."""
    keys = [c.value for c in ws[5]]
    return {ws.cell(r, 1).value: {k: ws.cell(r, i + 1).value for i, k in enumerate(keys) if i}
            for r in range(6, ws.max_row + 1)}


# ------------------------------------------------------------------ outcomes by call type and beat

def test_contact_outcomes_by_call_type_follow_the_contacts_call(small_con):
    parts = metrics.breakdown(small_con, "outcomes_contacts", JAN_FEB, "call_type").set_index("bucket")
    got = parts[["known_outcome_contacts", "unknown_outcome_contacts", "diverted_contacts", "care_connections",
                 "involuntary_holds"]].T.to_dict("list")
    # E01 (C01) referred, E07 (C05) voluntary ED; E02 (C02) hold; E04 (C04, arrest A3) resolved, not
    # diverted; E05 (C08) no outcome; no call: E03 refused, E06 crisis center, E09 referred,
    # E10 (C77 not loaded) resolved
    assert got == {"MENTAL HEALTH CRISIS": [2, 0, 2, 2, 0], "SUICIDE THREAT": [1, 0, 0, 0, 1],
                   "DISTURBANCE": [1, 0, 0, 0, 0], "EMOTIONALLY DISTURBED PERSON": [0, 1, 0, 0, 0],
                   "No linked call": [4, 0, 3, 2, 0]}


def test_contact_outcomes_by_beat_follow_the_contacts_call(small_con):
    parts = metrics.breakdown(small_con, "outcomes_contacts", JAN_FEB, "beat").set_index("bucket")
    # C01 D1-1; C02 and C08 D1-2; C04 D2-1; C05 has no beat
    assert parts["bh_contacts"].to_dict() == {"D1-1": 1, "D1-2": 2, "D2-1": 1, "Unknown": 1, "No linked call": 4}


def test_figures_by_call_type_merge_calls_and_contacts_with_zeros_not_gaps(small_con):
    frame = metrics.by_category(small_con, JAN_FEB, "call_type").set_index("bucket")
    assert list(frame.columns) == [k for k in figures.CATEGORY_FIGURES if k in frame.columns]
    # THEFT has calls and no contact; 'No linked call' contacts and no call
    assert (frame.loc["THEFT", "calls_total"], frame.loc["THEFT", "known_outcome_contacts"]) == (2, 0)
    assert (frame.loc["No linked call", "calls_total"], frame.loc["No linked call", "diverted_contacts"]) == (0, 3)
    # arrest records: A1 names C02 (SUICIDE THREAT), A3 C04 (DISTURBANCE); A2's C03 is not BH
    assert frame["bh_calls_with_arrest"].to_dict() == {
        "DISTURBANCE": 1, "EMOTIONALLY DISTURBED PERSON": 0, "MENTAL HEALTH CRISIS": 0, "No linked call": 0,
        "SUICIDE THREAT": 1, "THEFT": 0, "TRAFFIC STOP": 0}


def test_outcomes_by_call_type_are_counted_on_calls_when_no_clinician_log_is_loaded():
    from pmhc import config, db, profiles

    from .test_real_layouts import CAD, CAD_AGENCY

    cfg = config.load_agency(CAD_AGENCY)
    con = db.connect(":memory:", cfg=cfg)
    profiles.import_with_profile(con, *CAD, cfg=cfg)
    f = metrics.Filters(Period.months("2024-01", "2024-02"))
    frame = metrics.by_category(con, f, "call_type", cfg).set_index("bucket")
    cols = ["bh_calls", "known_outcome_contacts", "diverted_contacts", "care_connections", "involuntary_holds",
            "bh_calls_with_arrest"]
    # by hand from tests/fixtures/real_layouts/cad_only/cad_calls.csv (docstring of test_real_layouts):
    # MENTAL HEALTH 101 105 107 110 112 115 118 121 123 125; SUICIDAL PERSON 103 108 114 120 126;
    # WELFARE CHECK - MH 104 (GOA) 111 (R: unknown) 117 (CAN: unmapped)
    assert frame[cols].T.to_dict("list") == {
        "DISTURBANCE": [0, 0, 0, 0, 0, 0], "MENTAL HEALTH": [10, 10, 7, 4, 0, 2],
        "SUICIDAL PERSON": [5, 5, 2, 1, 3, 0], "THEFT": [0, 0, 0, 0, 0, 0], "TRAFFIC STOP": [0, 0, 0, 0, 0, 0],
        "WELFARE CHECK - MH": [3, 1, 0, 0, 0, 0]}
    by_beat = metrics.by_category(con, f, "beat", cfg).set_index("bucket")["diverted_contacts"].to_dict()
    assert by_beat == {"Z1-A": 3, "Z1-B": 0, "Z2-A": 2, "Z2-B": 2, "Z3-A": 2, "Z3-B": 0}
    # the workbook of the same: district rows count the calls' outcomes too, adding up to the total
    district = metrics.breakdown(con, "outcomes_contacts", f, "district", cfg).set_index("bucket")
    assert district["diverted_contacts"].to_dict() == {"Z1": 3, "Z2": 4, "Z3": 2}
    con.close()


# ------------------------------------------------------------------ the chart's largest rows and "Other"

def test_other_row_holds_the_rest_so_the_chart_adds_up_to_the_total():
    import pandas as pd

    from pmhc import top_rows

    df = pd.DataFrame({"bucket": list("abcde"), "calls": [5, 40, 12, 30, 1]})
    top = top_rows.top_with_other(df, "bucket", "calls", ["calls"], {"calls": 88}, n=3)
    assert top[["bucket", "calls"]].values.tolist() == [["b", 40], ["d", 30], ["c", 12], ["Other", 6]]


def test_public_chart_ranks_by_shown_counts_and_hides_an_other_row_with_a_hidden_part():
    import pandas as pd

    from pmhc import present, top_rows

    small = present.Withheld("<11")
    df = pd.DataFrame({"bucket": list("abcde"), "calls": [small, 40, 12, 30, present.Withheld("suppressed")],
                       "bh": [3, 20, small, 11, 0]}, dtype=object)
    top = top_rows.top_with_other(df, "bucket", "calls", ["calls", "bh"], {"calls": 88, "bh": 40}, n=2)
    # a and e (hidden) are never ranked: their size is not given away by their place
    assert list(top["bucket"]) == ["b", "d", "Other"]
    other = top.iloc[-1]
    assert other["calls"] == 88 - 40 - 30  # total − shown rows: nothing a reader cannot subtract
    assert other["bh"] == 40 - 20 - 11
    hidden_total = top_rows.top_with_other(df, "bucket", "calls", ["calls"], {"calls": present.Withheld("<11")}, n=2)
    assert isinstance(hidden_total.iloc[-1]["calls"], present.Withheld)
    hidden_part = top_rows.top_with_other(df, "bucket", "calls", ["bh"], {"bh": 40}, n=3)
    assert list(hidden_part["bucket"]) == ["b", "d", "c", "Other"]
    assert isinstance(hidden_part.iloc[-1]["bh"], present.Withheld)  # c's bh is hidden: so is the rest
