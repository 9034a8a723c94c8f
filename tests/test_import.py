"""Import: explicit formats, nothing silently lost, re-imports never double-count."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import pytest

from pmhc import db, importer, sql
from pmhc.config import load_agency
from pmhc.db import rows

from .conftest import SMALL

HEADER = ("call_id,received_at,call_type,priority,district,beat,bh_flag,on_scene_at,cleared_at,"
          "officer_minutes,co_responder_present,cit_officer_present,disposition,use_of_force")


def write(tmp_path: Path, name: str, lines: list[str]) -> Path:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def call(call_id: str, when: str = "2024-05-01 10:00:00", call_type: str = "THEFT", **over) -> str:
    fields = {"call_id": call_id, "received_at": when, "call_type": call_type, "priority": "3",
              "district": "D1", "beat": "", "bh_flag": "", "on_scene_at": "", "cleared_at": "",
              "officer_minutes": "10", "co_responder_present": "false", "cit_officer_present": "",
              "disposition": "REPORT", "use_of_force": ""}
    fields.update(over)
    return ",".join(fields[c] for c in HEADER.split(","))


@pytest.fixture
def con():
    c = db.connect(":memory:")
    yield c
    c.close()


def quarantine(con) -> list[dict]:
    return rows(con, "SELECT line, column_name, value, reason, message FROM quarantine ORDER BY line")


def test_good_file_loads_every_row(con, tmp_path):
    r = importer.import_file(con, write(tmp_path, "calls.csv", [HEADER, call("A"), call("B")]))
    assert (r.status, r.rows_in_file, r.rows_loaded, r.rows_quarantined) == ("loaded", 2, 2, 0)
    assert db.table_counts(con)["calls"] == 2


def test_rows_in_file_equal_loaded_plus_quarantined(con, tmp_path):
    path = write(tmp_path, "calls.csv", [HEADER, call("A"), call("B", when="soon"), call("C"),
                                         call("D") + ",extra", call("E", priority="high")])
    r = importer.import_file(con, path)
    assert r.rows_in_file == 5
    assert (r.rows_loaded, r.rows_quarantined) == (2, 3)
    assert r.balanced


def test_bad_value_is_quarantined_with_line_column_and_reason(con, tmp_path):
    path = write(tmp_path, "calls.csv", [HEADER, call("A"), call("B", when="2024-02-30 10:00:00")])
    importer.import_file(con, path)
    [q] = quarantine(con)
    assert (q["line"], q["column_name"], q["value"], q["reason"]) == (3, "received_at", "2024-02-30 10:00:00", "type")
    assert "YYYY-MM-DD HH:MM:SS" in q["message"]  # says what to do


def test_row_with_wrong_field_count_is_quarantined_with_its_line(con, tmp_path):
    path = write(tmp_path, "calls.csv", [HEADER, call("A"), call("B") + ",x", call("C")])
    r = importer.import_file(con, path)
    [q] = quarantine(con)
    assert (q["line"], q["column_name"], q["reason"]) == (3, "*", "columns")
    # rows after the rejected one keep their true line numbers
    path2 = write(tmp_path, "calls2.csv", [HEADER, call("X") + ",x", call("Y", priority="p")])
    importer.import_file(con, path2)
    lines = {(q["line"], q["reason"]) for q in quarantine(con) if q["line"] != 3 or q["reason"] != "columns"}
    assert (2, "columns") in lines and (3, "type") in lines
    assert r.rows_loaded == 2


def test_empty_required_value_is_quarantined_as_missing(con, tmp_path):
    importer.import_file(con, write(tmp_path, "calls.csv", [HEADER, call(""), call("A", call_type="")]))
    got = [(q["line"], q["column_name"], q["reason"]) for q in quarantine(con)]
    assert got == [(2, "call_id", "missing"), (3, "call_type", "missing")]


def test_vocabulary_and_negative_minutes_are_checked(con, tmp_path):
    path = write(tmp_path, "encounters.csv", [
        "encounter_id,call_id,encounter_date,responder_type,person_key,contact_type,outcome,referral_agency,minutes",
        "E1,,2024-01-01,chaplain,P1,on_scene,resolved_on_scene,,30",
        "E2,,2024-01-01,clinician_liaison,P1,on_scene,went home,,30",
        "E3,,2024-01-01,clinician_liaison,P1,on_scene,,,-4",
        "E4,,2024-01-01,Clinician_Liaison,P1,On_Scene,,,",
    ])
    r = importer.import_file(con, path)
    got = [(q["line"], q["column_name"], q["reason"]) for q in quarantine(con)]
    assert got == [(2, "responder_type", "vocabulary"), (3, "outcome", "vocabulary"), (4, "minutes", "negative")]
    assert r.rows_loaded == 1  # vocabulary matching is case-insensitive


def test_duplicate_key_in_one_file_keeps_the_last_row_and_quarantines_the_earlier(con, tmp_path):
    path = write(tmp_path, "calls.csv", [HEADER, call("A", district="D1"), call("A", district="D2")])
    r = importer.import_file(con, path)
    assert (r.rows_loaded, r.rows_quarantined) == (1, 1)
    assert rows(con, "SELECT district FROM calls")[0]["district"] == "D2"
    [q] = quarantine(con)
    assert (q["line"], q["reason"]) == (2, "duplicate")
    assert "line 3" in q["message"]


def test_missing_required_column_stops_the_file_naming_it_and_the_columns_found(con, tmp_path):
    header = HEADER.replace("received_at,", "")
    line = call("A").split(",")
    del line[1]
    r = importer.import_file(con, write(tmp_path, "calls.csv", [header, ",".join(line)]))
    assert r.status == "rejected"
    assert "missing required column(s) received_at" in r.message
    assert "Columns found: call_id, call_type" in r.message
    assert db.table_counts(con)["calls"] == 0


def test_unknown_column_stops_the_file(con, tmp_path):
    r = importer.import_file(con, write(tmp_path, "calls.csv", [HEADER + ",recieved", call("A") + ",x"]))
    assert r.status == "rejected" and "unknown column(s) recieved" in r.message


def test_file_without_a_key_column_is_rejected_with_advice(con, tmp_path):
    r = importer.import_file(con, write(tmp_path, "x.csv", ["a,b", "1,2"]))
    assert r.status == "rejected"
    assert "call_id, encounter_id, arrest_id" in r.message and "--profile" in r.message


def test_rejected_files_are_recorded_in_the_ledger(con, tmp_path):
    importer.import_file(con, write(tmp_path, "x.csv", ["a,b", "1,2"]))
    [entry] = rows(con, "SELECT file_name, status, sha256 FROM imports")
    assert entry["status"] == "rejected" and len(entry["sha256"]) == 64


def test_reimporting_the_same_file_changes_no_counts(small_con):
    before = db.table_counts(small_con)
    q_before = rows(small_con, "SELECT count(*) AS n FROM quarantine")[0]["n"]
    for name in ("calls", "encounters", "arrests"):
        r = importer.import_file(small_con, SMALL / f"{name}.csv")
        assert (r.rows_new, r.rows_updated, r.rows_unchanged) == (0, 0, r.rows_loaded)
    after = db.table_counts(small_con)
    assert {k: after[k] for k in ("calls", "encounters", "arrests")} == {k: before[k] for k in ("calls", "encounters", "arrests")}
    assert rows(small_con, "SELECT count(*) AS n FROM quarantine")[0]["n"] == q_before
    assert after["imports"] == before["imports"] + 3


def test_overlapping_export_updates_rows_and_adds_only_new_ones(con, tmp_path):
    importer.import_file(con, write(tmp_path, "jan.csv", [HEADER, call("A"), call("B")]))
    r = importer.import_file(con, write(tmp_path, "jan_feb.csv", [HEADER, call("B", district="D9"), call("C")]))
    assert (r.rows_new, r.rows_updated, r.rows_unchanged) == (1, 1, 0)
    assert rows(con, "SELECT call_id, district FROM calls ORDER BY call_id") == [
        {"call_id": "A", "district": "D1"}, {"call_id": "B", "district": "D9"}, {"call_id": "C", "district": "D1"}]


def test_quarantine_of_a_reimported_file_is_replaced_not_duplicated(con, tmp_path):
    path = write(tmp_path, "calls.csv", [HEADER, call("A", priority="x")])
    importer.import_file(con, path)
    importer.import_file(con, path)
    assert len(quarantine(con)) == 1


def test_gzip_files_import_like_plain_files(con, tmp_path):
    plain = write(tmp_path, "calls.csv", [HEADER, call("A"), call("B")])
    gz = tmp_path / "calls.csv.gz"
    with plain.open("rb") as src, gzip.open(gz, "wb") as dst:
        shutil.copyfileobj(src, dst)
    r = importer.import_file(con, gz)
    assert (r.status, r.rows_loaded) == ("loaded", 2)


def test_timestamps_without_offset_are_read_in_the_agency_time_zone(con, tmp_path):
    importer.import_file(con, write(tmp_path, "calls.csv", [
        HEADER, call("A", when="2024-07-01 23:30:00"), call("B", when="2024-07-02T03:30:00+00:00")]))
    got = rows(con, "SELECT call_id, CAST(received_local AS VARCHAR) AS local FROM calls ORDER BY call_id")
    assert [g["local"] for g in got] == ["2024-07-01 23:30:00", "2024-07-01 23:30:00"]  # EDT = UTC-4


def test_bh_flag_wins_over_the_call_type_list(con, tmp_path):
    importer.import_file(con, write(tmp_path, "calls.csv", [
        HEADER, call("A", call_type="MENTAL HEALTH CRISIS"), call("B", call_type="MENTAL HEALTH CRISIS", bh_flag="no"),
        call("C", call_type="THEFT", bh_flag="yes"), call("D", call_type="mental health crisis ")]))
    got = {r["call_id"]: r["is_bh"] for r in rows(con, "SELECT call_id, is_bh FROM calls")}
    assert got == {"A": True, "B": False, "C": True, "D": True}


def test_changing_the_bh_list_reclassifies_stored_calls_at_the_next_import(con, tmp_path):
    importer.import_file(con, write(tmp_path, "a.csv", [HEADER, call("A", call_type="WELFARE CHECK")]))
    assert rows(con, "SELECT is_bh FROM calls")[0]["is_bh"] is False
    cfg = load_agency()
    wider = type(cfg)(**{**cfg.__dict__, "bh_call_types": cfg.bh_call_types + ("WELFARE CHECK",)})
    importer.import_file(con, write(tmp_path, "b.csv", [HEADER, call("B")]), cfg=wider)
    assert rows(con, "SELECT is_bh FROM calls WHERE call_id = 'A'")[0]["is_bh"] is True


def test_person_keys_are_stored_as_keyed_hashes(small_con):
    keys = {r["person_key"] for r in rows(small_con, "SELECT DISTINCT person_key FROM encounters WHERE person_key IS NOT NULL")}
    assert keys and all(k.startswith("p_") and len(k) == 22 for k in keys)
    assert not keys & {"P1", "P2", "P3", "P4"}


def test_import_cli_prints_the_ledger_per_file(tmp_path, capsys):
    from pmhc.cli import main

    path = write(tmp_path, "calls.csv", [HEADER, call("A"), call("B", priority="high")])
    code = main(["import", str(path), "--db", str(tmp_path / "x.duckdb")])
    out = capsys.readouterr().out
    assert code == 0
    assert "calls.csv → calls: 2 rows in file = 1 loaded (1 new, 0 updated, 0 unchanged) + 1 quarantined" in out


def test_row_several_fields_short_is_one_quarantined_record(con, tmp_path):
    short = ",".join(call("B").split(",")[:-3])
    r = importer.import_file(con, write(tmp_path, "calls.csv", [HEADER, call("A"), short, call("C")]))
    assert (r.rows_in_file, r.rows_loaded, r.rows_quarantined) == (3, 2, 1)
    assert [(q["line"], q["reason"]) for q in quarantine(con)] == [(3, "columns")]


def test_reimport_with_three_changed_rows_reports_three_updated_and_the_rest_unchanged(con, tmp_path):
    ids = [f"K{i:02d}" for i in range(10)]
    importer.import_file(con, write(tmp_path, "calls.csv", [HEADER] + [call(i) for i in ids]))
    changed = {"K01": {"district": "D2"}, "K04": {"priority": "1"}, "K07": {"officer_minutes": "11"}}
    r = importer.import_file(con, write(tmp_path, "calls_v2.csv",
                                        [HEADER] + [call(i, **changed.get(i, {})) for i in ids]))
    assert (r.rows_loaded, r.rows_new, r.rows_updated, r.rows_unchanged) == (10, 0, 3, 7)
    assert "10 loaded (0 new, 3 updated, 7 unchanged)" in r.summary()
    assert rows(con, "SELECT rows_new, rows_updated, rows_unchanged FROM imports WHERE import_id = $i",
                {"i": r.import_id}) == [{"rows_new": 0, "rows_updated": 3, "rows_unchanged": 7}]
    history = sql.df(con, "import_history")  # the Data page's import history
    assert history.iloc[0][["rows_updated", "rows_unchanged"]].tolist() == [3, 7]


def test_a_value_emptied_counts_as_an_update(con, tmp_path):
    importer.import_file(con, write(tmp_path, "a.csv", [HEADER, call("A", beat="D1-1"), call("B")]))
    r = importer.import_file(con, write(tmp_path, "b.csv", [HEADER, call("A"), call("B")]))
    assert (r.rows_updated, r.rows_unchanged) == (1, 1)


def test_reimporting_identical_person_identifiers_is_unchanged(small_con):
    r = importer.import_file(small_con, SMALL / "encounters.csv")
    assert (r.rows_new, r.rows_updated, r.rows_unchanged) == (0, 0, r.rows_loaded)
