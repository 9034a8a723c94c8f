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


def test_internal_workbook_has_calls_by_call_type_and_by_beat(small_con):
    import io

    import openpyxl

    from pmhc import reports
    from pmhc.reports import workbook

    f = metrics.Filters(PERIODS["jan_feb_2024"])
    data = reports.gather(small_con, f, public=False, categories=("call_type", "beat"))
    wb = openpyxl.load_workbook(io.BytesIO(workbook.build(data)))
    ws = wb["By call type"]
    keys = [c.value for c in ws[5]]
    rows = {ws.cell(r, 1).value: ws.cell(r, keys.index("calls_total") + 1).value for r in range(6, ws.max_row + 1)}
    assert rows["MENTAL HEALTH CRISIS"] == 3 and rows["Total"] == 9
    assert sum(v for k, v in rows.items() if k != "Total") == 9
    assert "By beat" in wb.sheetnames
    public = reports.gather(small_con, f, public=True, categories=("call_type",))
    assert public.by_category == {}  # not part of the public release
