"""Data quality: the report after each import and the checks over the whole database.

Figures are computed by hand from tests/fixtures/small (see test_metrics.py for the records).
"""

from __future__ import annotations

from datetime import date

import pytest

from pmhc import db, importer, quality

from .conftest import SMALL


def months(*pairs):
    return [{"month": date.fromisoformat(m + "-01"), "rows": n} for m, n in pairs]


# ---------------------------------------------------------------- rows per month

def test_gaps_spikes_and_drops_are_flagged_against_the_median_month():
    got = quality.month_flags(months(("2024-01", 40), ("2024-02", 100), ("2024-04", 250), ("2024-05", 100),
                                     ("2024-06", 30), ("2024-07", 100), ("2024-08", 100)))
    # Median of the inner months Feb–Jul (100, 0, 250, 100, 30, 100) is 100.
    assert [(m["month"], m["rows"], m["flag"]) for m in got] == [
        ("2024-01", 40, "partial month?"),  # first month, often cut mid-month
        ("2024-02", 100, None),
        ("2024-03", 0, "gap"),  # no rows at all: a missing export
        ("2024-04", 250, "spike"),  # >= 2 × median
        ("2024-05", 100, None),
        ("2024-06", 30, "drop"),  # <= ½ × median
        ("2024-07", 100, None),
        ("2024-08", 100, None),
    ]


def test_small_month_to_month_differences_are_not_flagged():
    got = quality.month_flags(months(("2024-01", 5), ("2024-02", 12), ("2024-03", 4), ("2024-04", 9)))
    assert [m["flag"] for m in got] == [None, None, None, None]


def test_empty_months_of_a_sparse_log_are_not_gaps():
    got = quality.month_flags(months(("2023-03", 1), ("2023-09", 1), ("2023-12", 1), ("2024-01", 4)))
    assert len(got) == 11 and not any(m["flag"] for m in got)


# ---------------------------------------------------------------- the report after an import

@pytest.fixture
def con():
    c = db.connect(":memory:")
    yield c
    c.close()


def test_report_counts_empty_values_per_column_of_the_rows_loaded(con):
    r = importer.import_file(con, SMALL / "encounters.csv")
    cols = {c["column"]: (c["empty"], c["unmapped"]) for c in r.extra["quality"]["columns"]}
    assert cols["call_id"] == (5, 0)  # E03, E06, E09, E11, E12
    assert cols["person_key"] == (1, 0)  # E07
    assert cols["outcome"] == (1, 0)  # E05
    assert cols["referral_agency"] == (9, 0)  # only E01, E06, E09 name an agency
    assert cols["minutes"] == (2, 0)  # E05, E07
    assert cols["encounter_id"] == (0, 0)
    assert r.extra["quality"]["columns"][0]["rows"] == 12


def test_report_counts_rows_per_month_of_the_rows_loaded(con):
    r = importer.import_file(con, SMALL / "calls.csv")
    got = {m["month"]: m["rows"] for m in r.extra["quality"]["months"]}
    assert got["2023-01"] == 1  # C10
    assert got["2023-12"] == 1  # C09
    assert got["2024-01"] == 4  # C01–C04
    assert got["2024-02"] == 5  # C05–C08, and C11 (03:30 UTC on 1 March is 29 Feb in New York)
    assert len(got) == 14  # every month from January 2023 to February 2024, empty ones as 0


def test_report_lists_quarantined_rows_by_reason_and_duplicates(con, tmp_path):
    header = (SMALL / "encounters.csv").read_text().splitlines()[0]
    path = tmp_path / "log.csv"
    path.write_text("\n".join([
        header,
        "X1,,2024-01-05,clinician_liaison,P1,on_scene,resolved_on_scene,,10",
        "X1,,2024-01-05,clinician_liaison,P1,on_scene,resolved_on_scene,,12",  # same key: line 2 quarantined
        "X2,,2024-01-06,clinician_liaison,P1,on_scene,jail,,10",  # not an outcome
        "X3,,2024-01-07,clinician_liaison,P1,on_scene,referred_outpatient,,-5",  # negative minutes
    ]) + "\n")
    r = importer.import_file(con, path)
    q = r.extra["quality"]
    assert (q["rows_in_file"], q["rows_loaded"], q["rows_quarantined"], q["duplicates_quarantined"]) == (4, 1, 3, 1)
    assert {(x["reason"], x["column_name"], x["rows"], x["first_line"]) for x in q["quarantine"]} == {
        ("duplicate", "encounter_id", 1, 2), ("vocabulary", "outcome", 1, 4), ("negative", "minutes", 1, 5)}
    assert "vocabulary in outcome: 1 row(s), first at line 4: outcome must be one of" in r.extra["quality_text"]


def test_report_text_balances_the_file(con):
    r = importer.import_file(con, SMALL / "arrests.csv")
    assert "Rows: 5 in file = 5 loaded + 0 quarantined" in r.extra["quality_text"]


def test_the_report_is_stored_with_the_import_and_the_latest_is_found(con):
    assert quality.stored_report(con) is None  # nothing imported yet
    first = importer.import_file(con, SMALL / "calls.csv")
    second = importer.import_file(con, SMALL / "encounters.csv")
    assert quality.stored_report(con)["import_id"] == second.import_id
    assert quality.stored_report(con, first.import_id)["table"] == "calls"
    assert quality.stored_report(con, first.import_id)["rows_loaded"] == 11


def test_a_rejected_file_leaves_no_report(con, tmp_path):
    path = tmp_path / "odd.csv"
    path.write_text("id,when\n1,2024-01-01\n")
    r = importer.import_file(con, path)
    assert r.status == "rejected" and "quality" not in r.extra
    assert quality.stored_report(con) is None


# ---------------------------------------------------------------- checks over the whole database

def test_checks_over_the_small_fixture_count_exactly_the_doubtful_rows(small_con):
    got = {r["check"]: (r["affected"], r["total"], r["examples"])
           for r in quality.database_checks(small_con).to_dict("records")}
    assert got == {
        "Contacts with no outcome": (1, 12, "E05"),
        "Contacts and arrests with an unmapped code": (0, 17, ""),
        "BH calls without a CAD disposition": (0, 7, ""),  # BH: C01 C02 C04 C05 C08 C09 C10
        "BH calls with co_responder_present empty": (0, 7, ""),
        "Contacts whose call_id matches no call": (1, 7, "E10"),  # C77
        "Arrests whose call_id matches no call": (1, 4, "A5"),  # C99; A4 has no call_id
        "Calls cleared or on scene before received": (0, 11, ""),
        "Calls open more than 24 hours": (0, 4, ""),
        "Co-responded calls with no contact in the log": (0, 3, ""),  # C01, C04, C08 all logged
        "On-scene contacts dated before their call": (0, 6, ""),
        "Calls without a district": (1, 11, "C05"),
        "Contacts with no person identifier": (1, 12, "E07"),
        "Records dated after today": (0, 28, ""),
    }


def test_a_call_cleared_before_it_was_received_is_found(con, tmp_path):
    header = (SMALL / "calls.csv").read_text().splitlines()[0]
    path = tmp_path / "calls.csv"
    path.write_text(header + "\n"
                    "Z1,2024-03-01 10:00:00,THEFT,3,D1,,,,2024-03-01 09:00:00,10,false,,REPORT,\n"
                    "Z2,2024-03-01 10:00:00,THEFT,3,D1,,,2024-03-01 10:05:00,2024-03-03 10:00:00,10,false,,REPORT,\n")
    importer.import_file(con, path)
    checks = quality.database_checks(con).set_index("check")
    assert checks.loc["Calls cleared or on scene before received", "examples"] == "Z1"
    assert checks.loc["Calls open more than 24 hours", "examples"] == "Z2"


def test_every_check_says_what_it_does_to_the_figures_and_what_to_do(small_con):
    checks = quality.database_checks(small_con)
    assert checks["effect"].str.len().min() > 20 and checks["action"].str.len().min() > 20
    assert checks["query"].str.startswith("queries/quality.sql :: check_").all()
