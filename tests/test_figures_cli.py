"""`pmhc figures` gives a grant writer exact figures with stable keys and definitions."""

from __future__ import annotations

import csv
import io
import json

import pytest

from pmhc.cli import main


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
