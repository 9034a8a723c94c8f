"""`pmhc figures` gives a grant writer exact figures with stable keys and definitions."""

from __future__ import annotations

import csv
import io
import json
import math

import pytest

from pmhc import figures, metrics
from pmhc.cli import main

from .helpers import JAN_FEB


def run(args, capsys):
    code = main(["figures", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_json_has_stable_keys_values_and_definitions(small_db_path, capsys):
    code, out, _ = run(["--from", "2024-01", "--to", "2024-02", "--format", "json", "--db", str(small_db_path)], capsys)
    assert code == 0
    data = json.loads(out)
    assert data["period"] == {"from": "2024-01-01", "to_exclusive": "2024-03-01", "label": "Jan 2024–Feb 2024"}
    figs = data["figures"]
    assert figs["bh_calls"]["value"] == 5
    assert figs["diversion_rate"]["value"] == pytest.approx(5 / 8)
    assert figs["co_response_coverage"]["definition"].startswith("Co-responded BH calls ÷ all BH calls")
    assert figs["diversion_rate"]["sql"] == "queries/outcomes.sql :: outcomes_contacts"


def test_district_filter(small_db_path, capsys):
    code, out, _ = run(["--from", "2024-01", "--to", "2024-02", "--district", "D1", "--format", "json",
                        "--db", str(small_db_path)], capsys)
    assert json.loads(out)["figures"]["calls_total"]["value"] == 4


def test_csv_rows_parse_back_to_the_same_numbers(small_db_path, capsys):
    _, out, _ = run(["--from", "2024-01", "--to", "2024-02", "--format", "csv", "--db", str(small_db_path)], capsys)
    rows = {r["key"]: r for r in csv.DictReader(io.StringIO(out))}
    assert float(rows["net_cost_avoidance"]["value"]) == pytest.approx(-52130.0)
    assert rows["people_served"]["value"] == "4"


def test_table_format_shows_percentages(small_db_path, capsys):
    _, out, _ = run(["--from", "2024-01", "--to", "2024-02", "--db", str(small_db_path)], capsys)
    assert "co_response_coverage" in out and "60.0%" in out


def test_bad_month_is_a_clear_error(small_db_path, capsys):
    code, _, err = run(["--from", "2024-13", "--to", "2024-02", "--db", str(small_db_path)], capsys)
    assert code == 2 and "YYYY-MM" in err


def test_unknown_district_lists_the_districts(small_db_path, capsys):
    code, _, err = run(["--from", "2024-01", "--to", "2024-02", "--district", "D7", "--db", str(small_db_path)], capsys)
    assert code == 2 and "D1, D2, Unknown" in err


def test_missing_database_says_how_to_build_it(tmp_path, capsys):
    code, _, err = run(["--from", "2024-01", "--to", "2024-02", "--db", str(tmp_path / "none.duckdb")], capsys)
    assert code == 2 and "pmhc import" in err


# ------------------------------------------------------------------ --by: every figure split by one column
#
# By hand from tests/fixtures/small for January–February 2024 (C11, received 1 Mar 03:30 UTC,
# is 29 Feb in the agency's time zone; C06 is not BH: its bh_flag is false):
#   calls      Jan C01–C04 = 4, Feb C05–C08, C11 = 5; BH calls Jan C01 C02 C04 = 3, Feb C05 C08 = 2
#   BH calls by district: D1 C01 C02 C08 = 3, D2 C04 = 1, Unknown (C05 has no district) = 1
#   diversion  Jan: known E01 E02 E03 E04, diverted E01 (E04's call C04 has arrest A3) = 1/4
#              Feb: known E06 E07 E09 E10 (E05 unknown), all four diverted = 4/4
#   contacts by responder type: clinician liaison E01 E05 E09 = 3, CIT officer E02 E07 = 2,
#              counseling intern E04 E10 = 2, follow-up team E03 E06 = 2


def by_json(small_db_path, capsys, by, *extra):
    code, out, err = run(["--from", "2024-01", "--to", "2024-02", "--by", by, "--format", "json",
                          "--db", str(small_db_path), *extra], capsys)
    assert code == 0, err
    return json.loads(out)


def cell(data, key, bucket):
    return data["figures"][key]["breakdown"][bucket]["value"]


def test_by_month_gives_each_months_figures_counted_by_hand(small_db_path, capsys):
    data = by_json(small_db_path, capsys, "month")
    assert data["by"] == "month" and data["buckets"] == ["2024-01", "2024-02"]
    assert [cell(data, "calls_total", m) for m in data["buckets"]] == [4, 5]
    assert [cell(data, "bh_calls", m) for m in data["buckets"]] == [3, 2]
    assert cell(data, "diversion_rate", "2024-01") == pytest.approx(1 / 4)
    assert cell(data, "diversion_rate", "2024-02") == pytest.approx(4 / 4)
    assert data["figures"]["diversion_rate"]["value"] == pytest.approx(5 / 8)  # the period's total beside them


def test_by_district_gives_each_districts_figures_counted_by_hand(small_db_path, capsys):
    data = by_json(small_db_path, capsys, "district")
    assert data["buckets"] == ["D1", "D2", "Unknown"]
    assert {d: cell(data, "bh_calls", d) for d in data["buckets"]} == {"D1": 3, "D2": 1, "Unknown": 1}


def test_by_responder_type_gives_contacts_of_each_type_counted_by_hand(small_db_path, capsys):
    data = by_json(small_db_path, capsys, "responder_type")
    assert {b: cell(data, "contacts_total", b) for b in data["buckets"]} == {
        "cit_officer": 2, "clinician_liaison": 3, "counseling_intern": 2, "follow_up_team": 2}
    assert "calls_total" not in data["figures"]  # calls have no responder type


@pytest.mark.parametrize("by", metrics.breakdown_columns())
def test_by_output_equals_the_metrics_layer_for_every_bucket(small_con, small_db_path, capsys, by):
    data = by_json(small_db_path, capsys, by)
    assert data["figures"], by
    for key, fig in data["figures"].items():
        f = figures.lookup(key)
        query = f.query if by in figures.BREAKDOWNS.get(f.query, ()) else "calls_by_category"
        expected = metrics.breakdown(small_con, query, JAN_FEB, by).set_index("bucket")[key]
        for bucket, got in fig["breakdown"].items():
            want = expected.get(bucket, figures.empty_value(key))  # a bucket without rows: a count of 0
            if want is None or (isinstance(want, float) and math.isnan(want)):
                assert got["value"] is None, (by, key, bucket)
            else:
                assert got["value"] == pytest.approx(want), (by, key, bucket)


@pytest.mark.parametrize("by", metrics.breakdown_columns())
def test_by_counts_add_up_to_the_periods_total(small_db_path, capsys, by):
    data = by_json(small_db_path, capsys, by)
    checked = 0
    for key, fig in data["figures"].items():
        f = figures.lookup(key)
        if f.kind != "count" or not f.additive:
            continue
        assert sum(c["value"] for c in fig["breakdown"].values()) == fig["value"], (by, key)
        checked += 1
    assert checked


def test_by_lists_the_figures_it_cannot_split_and_why(small_db_path, capsys):
    data = by_json(small_db_path, capsys, "month")
    assert "net_cost_avoidance" not in data["figures"]
    assert data["not_broken_down"]["net_cost_avoidance"] == (
        "no breakdown by month: queries/savings.sql :: savings gives the period's total only")


def test_by_csv_has_a_line_per_figure_and_month_then_the_total(small_db_path, capsys):
    _, out, _ = run(["--from", "2024-01", "--to", "2024-02", "--by", "month", "--format", "csv",
                     "--db", str(small_db_path)], capsys)
    rows = list(csv.DictReader(io.StringIO(out)))
    bh = [(r["month"], r["value"]) for r in rows if r["key"] == "bh_calls"]
    assert bh == [("2024-01", "3"), ("2024-02", "2"), ("Total", "5")]
    rate = next(r for r in rows if r["key"] == "co_response_coverage" and r["month"] == "2024-01")
    assert float(rate["value"]) == pytest.approx(2 / 3)
    assert rate["definition"].startswith("Co-responded BH calls ÷ all BH calls")
    assert rate["sql"] == "queries/volume.sql :: volume_calls"


def test_by_table_has_a_column_per_district_and_the_definitions_once(small_db_path, capsys):
    _, out, _ = run(["--from", "2024-01", "--to", "2024-02", "--by", "district", "--db", str(small_db_path)], capsys)
    header = next(l for l in out.splitlines() if "D1" in l)
    assert header.split() == ["D1", "D2", "Unknown", "Total"]
    line = next(l for l in out.splitlines() if l.startswith("bh_calls "))
    assert line.split() == ["bh_calls", "3", "1", "1", "5"]
    assert sum(l.startswith("bh_calls ") for l in out.splitlines()) == 2  # the grid, then its definition
    assert "co_response_coverage" in out and "66.7%" in out


def test_by_month_outside_the_loaded_data_is_not_measured_not_zero(small_db_path, capsys):
    code, out, _ = run(["--from", "2024-01", "--to", "2024-04", "--by", "month", "--format", "json",
                        "--db", str(small_db_path)], capsys)
    data = json.loads(out)
    april = data["figures"]["calls_total"]["breakdown"]["2024-04"]
    assert april["value"] is None and april["not_measured"].startswith("outside the loaded data")
    assert data["figures"]["calls_total"]["breakdown"]["2024-02"]["value"] == 5
    assert data["bucket_notes"]["2024-04"].startswith("not measured: outside the loaded data")


def test_by_an_unknown_column_lists_the_breakdowns(small_db_path, capsys):
    code, _, err = run(["--from", "2024-01", "--to", "2024-02", "--by", "weekday", "--db", str(small_db_path)], capsys)
    assert code == 2
    assert "weekday" in err and "month, district, responder_type" in err and "call_type" in err


def test_by_with_a_district_filter_splits_that_district_only(small_db_path, capsys):
    data = by_json(small_db_path, capsys, "month", "--district", "D1")
    # D1: C01 C02 (Jan), C07 C08 (Feb); BH C01 C02 | C08
    assert [cell(data, "calls_total", m) for m in data["buckets"]] == [2, 2]
    assert [cell(data, "bh_calls", m) for m in data["buckets"]] == [2, 1]


def test_by_month_of_a_period_of_days_counts_its_days_and_says_so(small_db_path, capsys):
    code, out, _ = run(["--from", "2024-01-10", "--to", "2024-02-20", "--by", "month", "--format", "json",
                        "--db", str(small_db_path)], capsys)
    data = json.loads(out)
    # 10–31 Jan: C02 C03 C04; 1–20 Feb: C05 C06 C07 (C08 on the 25th, C11 on the 29th are after it)
    assert [cell(data, "calls_total", m) for m in data["buckets"]] == [3, 3]
    assert data["figures"]["calls_total"]["value"] == 6
    assert data["bucket_notes"] == {"2024-01": "partial month: the period starts 10 Jan 2024",
                                    "2024-02": "partial month: the period ends 20 Feb 2024"}
