"""No raw person identifier, name or date of birth reaches the database.

Person identifiers are replaced at import by a keyed hash (pmhc/pseudonym.py); that holds
for the rows that load *and* for the rows that go to quarantine, which an administrator
reads to fix the export: there the record keeps every other field, with the identifier
shown as its pseudonym. Every text column of every table is scanned for the raw values.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from pmhc import db, importer, profiles, pseudonym, schema
from pmhc.db import rows

from .conftest import SMALL, load_small

ROOT = Path(__file__).resolve().parent.parent
ENC_HEADER = "encounter_id,call_id,encounter_date,responder_type,person_key,contact_type,outcome,referral_agency,minutes"
ARREST_HEADER = "arrest_id,call_id,person_key,arrested_at,top_charge,charge_level,booked"
FLAGS_PROFILE = ROOT / "profiles" / "responder_log_flags.toml"
FLAGS_HEADER = ("Log #,CAD Incident,Contact Date,Staff Role,Client Ref,Contact Kind,Arrested,Emergency Hold,"
                "Hospital (Voluntary),Crisis Center,Referred to Services,Refused / Unable,Referred Agency,"
                "Time Spent (min),Client Name,DOB")

# Identifiers of the bad rows below: distinctive, so that a substring scan finds them anywhere.
BAD_VOCAB, BAD_SHAPE, BAD_SHORT, DUP_FIRST, BAD_ARREST, BAD_PROFILE = (
    "ZX-RAW-0001", "ZX-RAW-0002", "ZX-RAW-0003", "ZX-RAW-0004", "ZX-RAW-0005", "ZX-RAW-0006")
NAME, DOB = "Jane Q Rawname", "1980-02-03"


def small_raw_ids() -> set[str]:
    """The raw person ids of tests/fixtures/small (P1 … P9)."""
    ids = set()
    for name in ("encounters", "arrests"):
        lines = (SMALL / f"{name}.csv").read_text().splitlines()
        col = lines[0].split(",").index("person_key")
        ids |= {line.split(",")[col] for line in lines[1:] if line.split(",")[col]}
    return ids


def write(tmp_path: Path, name: str, lines: list[str]) -> Path:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def loaded(tmp_path):
    """A database file with the small fixture plus every kind of bad row carrying a person id."""
    path = tmp_path / "ids.duckdb"
    con = db.connect(path)
    reports = load_small(con)
    bad_enc = write(tmp_path, "bad_encounters.csv", [
        ENC_HEADER,
        f"X01,,2024-03-01,clinician_liaison,{BAD_VOCAB},on_scene,sent_home,,30",  # outcome not in the vocabulary
        f"X02,,2024-03-02,clinician_liaison,{BAD_SHAPE},on_scene,resolved_on_scene,,30,extra",  # one field too many
        f"X03,,2024-03-03,clinician_liaison,{BAD_SHORT}",  # four fields short
        f"X04,,2024-03-04,cit_officer,{DUP_FIRST},on_scene,resolved_on_scene,,10",  # same key as the next row
        "X04,,2024-03-04,cit_officer,ZX-RAW-0014,on_scene,resolved_on_scene,,12",
    ])
    bad_arrests = write(tmp_path, "bad_arrests.csv", [
        ARREST_HEADER, f"B01,,{BAD_ARREST},2024-03-05 10:00:00,THEFT,petty,true"])
    export = write(tmp_path, "responder_log.csv", [
        FLAGS_HEADER,
        f"E91,,13/45/2024,LCSW,{BAD_PROFILE},Field,N,N,N,N,Y,N,,30,{NAME},{DOB}",  # no such date
        "E92,,03/06/2024,LCSW,ZX-RAW-0016,Field,N,N,N,N,Y,N,,30,Other Rawname,1975-07-08",
    ])
    reports += [importer.import_file(con, bad_enc), importer.import_file(con, bad_arrests),
                importer.import_file(con, export, **profiles.import_kwargs(FLAGS_PROFILE))]
    temp_hits = _scan(con, _all_raw(), temp=True)
    con.close()
    con = db.connect(path, read_only=True)
    yield {"con": con, "reports": reports, "temp_hits": temp_hits}
    con.close()


def _all_raw() -> list[str]:
    return sorted(small_raw_ids()) + [BAD_VOCAB, BAD_SHAPE, BAD_SHORT, DUP_FIRST, "ZX-RAW-0014", BAD_ARREST,
                                      BAD_PROFILE, "ZX-RAW-0016", NAME, DOB, "Other Rawname", "1975-07-08"]


def _scan(con, needles: list[str], temp: bool = False) -> list[tuple]:
    """(table, column, needle) for every text occurrence of a needle in any column of any table."""
    # importer.rows queries the connection itself: a cursor would not see its temporary tables.
    columns = importer.rows(con, "SELECT database_name, schema_name, table_name, column_name FROM duckdb_columns() "
                                 "WHERE NOT internal" + ("" if temp else " AND database_name <> 'temp'"))
    assert temp or {c["table_name"] for c in columns} >= {"calls", "encounters", "arrests", "quarantine", "imports"}
    hits = []
    for c in columns:
        ident = ".".join(f'"{c[k]}"' for k in ("database_name", "schema_name", "table_name"))
        texts = [r["v"] for r in importer.rows(con, f'SELECT DISTINCT CAST("{c["column_name"]}" AS VARCHAR) AS v '
                                           f"FROM {ident} WHERE \"{c['column_name']}\" IS NOT NULL")]
        for needle in needles:
            # Short fixture ids (P1) as whole words; pseudonyms are lower-case hex and cannot contain them.
            pattern = re.compile(rf"(?<![A-Za-z0-9]){re.escape(needle)}(?![A-Za-z0-9])")
            if any(pattern.search(t) for t in texts):
                hits.append((c["table_name"], c["column_name"], needle))
    return hits


# ------------------------------------------------------------------ the scan

def test_the_bad_rows_were_quarantined(loaded):
    counts = {r.file: (r.status, r.rows_loaded, r.rows_quarantined) for r in loaded["reports"]}
    assert counts["bad_encounters.csv"] == ("loaded", 1, 4)
    assert counts["bad_arrests.csv"] == ("loaded", 0, 1)
    assert counts["responder_log.csv"] == ("loaded", 1, 1)


def test_no_raw_identifier_name_or_birth_date_is_stored_anywhere(loaded):
    assert _scan(loaded["con"], _all_raw()) == []


def test_no_raw_identifier_is_left_in_the_import_connections_temporary_tables(loaded):
    assert loaded["temp_hits"] == []


def test_stored_person_keys_are_the_keyed_hashes_of_the_raw_ids(loaded):
    con = loaded["con"]
    stored = {r["k"] for r in rows(con, "SELECT person_key AS k FROM encounters WHERE person_key IS NOT NULL "
                                        "UNION SELECT person_key FROM arrests WHERE person_key IS NOT NULL")}
    expected = {pseudonym.pseudonym(raw) for raw in small_raw_ids()} | {
        pseudonym.pseudonym("ZX-RAW-0014"), pseudonym.pseudonym("ZX-RAW-0016")}
    assert stored == expected
    assert all(re.fullmatch(r"p_[0-9a-f]{20}", k) for k in stored)


# ------------------------------------------------------------------ quarantine keeps the row fixable

def quarantined(con, line: int, file: str) -> dict:
    (row,) = rows(con, "SELECT column_name, value, reason, message, record FROM quarantine "
                       "WHERE file_name = $f AND line = $l", {"f": file, "l": line})
    return row


def test_a_quarantined_row_keeps_its_fields_with_the_person_as_pseudonym(loaded):
    q = quarantined(loaded["con"], 2, "bad_encounters.csv")
    assert (q["column_name"], q["value"], q["reason"]) == ("outcome", "sent_home", "vocabulary")
    record = json.loads(q["record"])
    assert record["person_key"] == pseudonym.pseudonym(BAD_VOCAB)
    assert (record["encounter_id"], record["outcome"], record["minutes"]) == ("X01", "sent_home", "30")
    assert "stored as its pseudonym" in q["message"]


def test_a_row_with_too_many_fields_keeps_its_line_with_the_person_as_pseudonym(loaded):
    q = quarantined(loaded["con"], 3, "bad_encounters.csv")
    assert q["reason"] == "columns"
    fields = q["record"].split(",")
    assert fields[:4] == ["X02", "", "2024-03-02", "clinician_liaison"]
    assert fields[4] == pseudonym.pseudonym(BAD_SHAPE)
    # One field too many: the id could sit one place further right, so that field is pseudonymised too.
    assert fields[5] == pseudonym.pseudonym("on_scene")
    assert fields[6:] == ["resolved_on_scene", "", "30", "extra"]
    assert "stored as its pseudonym" in q["message"]


def test_a_row_fields_short_is_quarantined_with_the_person_as_pseudonym(loaded):
    q = quarantined(loaded["con"], 4, "bad_encounters.csv")
    assert q["reason"] == "columns" and pseudonym.pseudonym(BAD_SHORT) in q["record"]


def test_a_duplicate_row_names_its_key_not_the_person(loaded):
    q = quarantined(loaded["con"], 5, "bad_encounters.csv")
    assert (q["column_name"], q["value"], q["reason"]) == ("encounter_id", "X04", "duplicate")
    assert json.loads(q["record"])["person_key"] == pseudonym.pseudonym(DUP_FIRST)


def test_a_quarantined_arrest_keeps_the_person_as_pseudonym(loaded):
    q = quarantined(loaded["con"], 2, "bad_arrests.csv")
    assert (q["column_name"], q["value"]) == ("charge_level", "petty")
    assert json.loads(q["record"])["person_key"] == pseudonym.pseudonym(BAD_ARREST)


def test_a_profile_reject_keeps_the_read_columns_only_with_the_person_as_pseudonym(loaded):
    q = quarantined(loaded["con"], 2, "responder_log.csv")
    assert (q["column_name"], q["value"], q["reason"]) == ("Contact Date", "13/45/2024", "format")
    record = json.loads(q["record"])
    assert record["Client Ref"] == pseudonym.pseudonym(BAD_PROFILE)
    assert record["Log #"] == "E91" and record["Staff Role"] == "LCSW"
    assert "Client Name" not in record and "DOB" not in record  # the profile does not read them


# ------------------------------------------------------------------ names and dates of birth

def test_the_canonical_tables_have_no_name_or_birth_date_column():
    for table in schema.TABLES.values():
        for column in [*table.columns, *table.derived]:
            assert not re.search(r"name|birth|dob", column.name), f"{table.name}.{column.name}"


def test_a_canonical_file_with_name_and_birth_date_columns_is_refused_naming_them(tmp_path):
    con = db.connect(":memory:")
    try:
        path = write(tmp_path, "encounters.csv", [
            ENC_HEADER + ",name,date_of_birth",
            f"Y01,,2024-03-01,clinician_liaison,ZX-RAW-0020,on_scene,resolved_on_scene,,30,{NAME},{DOB}"])
        report = importer.import_file(con, path)
        assert report.status == "rejected" and report.rows_loaded == 0
        assert "unknown column(s) name, date_of_birth" in report.message
        assert _scan(con, ["ZX-RAW-0020", NAME, DOB]) == []
    finally:
        con.close()


def test_an_export_read_through_a_profile_never_loads_its_name_or_birth_date(loaded):
    con = loaded["con"]
    (row,) = rows(con, "SELECT * FROM encounters WHERE encounter_id = 'E92'")
    assert row["person_key"] == pseudonym.pseudonym("ZX-RAW-0016")
    assert not any(v in ("Other Rawname", "1975-07-08") for v in map(str, row.values()))


def test_a_profile_reject_says_which_columns_were_left_out(loaded):
    q = quarantined(loaded["con"], 2, "responder_log.csv")
    assert "stored as its pseudonym" in q["message"] and "does not read are not kept" in q["message"]
