"""Fault injection: hostile exports and killed imports never lose, invent or expose a row.

Every case builds one mutation of a hand-written 200-row calls file (or a 100-row contact
log whose person identifiers all start with RAWID-) and imports it through the same run as
`pmhc import` (pmhc.imports) into a database that already holds a baseline import. For each
case: either the file is loaded and rows in file = loaded + quarantined, with the true
number of records in the file (known by construction) as rows in file; or the file is
refused whole, with a message naming the line, and the tables are exactly as before. No
table holds a raw identifier afterwards. Then all mutations go into one database and every
page renders for every role; and imports killed with SIGKILL at each step of a run leave
the previous data and a ledger entry saying they did not finish.
"""

from __future__ import annotations

import csv
import gzip
import io
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pytest

from pmhc import db, imports, snapshots

ROOT = Path(__file__).resolve().parent.parent
CALLS_HEADER = ["call_id", "received_at", "call_type", "priority", "district", "beat", "bh_flag", "on_scene_at",
                "cleared_at", "officer_minutes", "co_responder_present", "cit_officer_present", "disposition",
                "use_of_force"]
CONTACTS_HEADER = ["encounter_id", "call_id", "encounter_date", "responder_type", "person_key", "contact_type",
                   "outcome", "referral_agency", "minutes"]
N_CALLS, N_CONTACTS = 200, 100
RAW = "RAWID-"  # every raw person identifier in the contact files starts with this


def call_row(i: int) -> list[str]:
    day, hour = 1 + i % 28, i % 24
    month = 1 + (i // 28) % 2
    return [f"C23-{i:06d}", f"2024-{month:02d}-{day:02d} {hour:02d}:15:00",
            "MENTAL HEALTH CRISIS" if i % 2 else "TRAFFIC STOP", str(1 + i % 3), f"D{1 + i % 2}", f"D{1 + i % 2}-1",
            "", "", "", str(30 + i % 60), "true" if i % 3 == 0 else "false", "false", "REPORT", "false"]


def contact_row(i: int) -> list[str]:
    return [f"E{i:05d}", f"C23-{i:06d}", f"2024-01-{1 + i % 28:02d}", "clinician_liaison", f"{RAW}{i % 40:04d}",
            "on_scene", "resolved_on_scene", "", "45"]


def lines_of(header: list[str], rows: list[list[str]]) -> list[str]:
    out = []
    for r in [header] + rows:
        buf = io.StringIO()
        csv.writer(buf, lineterminator="").writerow(r)
        out.append(buf.getvalue())
    return out


def calls_lines() -> list[str]:
    return lines_of(CALLS_HEADER, [call_row(i) for i in range(1, N_CALLS + 1)])


def contacts_lines() -> list[str]:
    return lines_of(CONTACTS_HEADER, [contact_row(i) for i in range(1, N_CONTACTS + 1)])


def text(lines: list[str], nl: str = "\n") -> bytes:
    return (nl.join(lines) + nl).encode("utf-8")


def set_field(lines: list[str], row: int, column: str, raw_value: str, header=CALLS_HEADER) -> list[str]:
    """Row `row` (1-based; line row + 1) with one field replaced by raw text (not quoted)."""
    out = list(lines)
    fields = next(csv.reader([out[row]]))
    fields[header.index(column)] = raw_value
    out[row] = ",".join(fields)
    return out


def gz(data: bytes) -> bytes:
    return gzip.compress(data, mtime=0)


@dataclass
class Case:
    name: str
    file: str
    build: Callable[[], bytes]
    rows: int | None = None  # true records in the file (None: refused)
    quarantined: int | None = None
    reasons: set[str] = field(default_factory=set)  # quarantine reasons expected
    refused: str | None = None  # text the refusal message contains
    lines: dict[int, str] | None = None  # quarantined physical line -> reason


def _corrupt_gzip() -> bytes:
    data = bytearray(gz(text(calls_lines())))
    mid = len(data) // 2
    for k in range(20):
        data[mid + k] ^= 0x5A
    return bytes(data)


def _huge_field() -> bytes:
    return text(set_field(calls_lines(), 80, "disposition", "X" * 3_000_000))


def _embedded_then_bad() -> bytes:
    lines = calls_lines()
    lines = set_field(lines, 60, "priority", "high")  # bad row after the multi-line value
    lines[50] = lines[50].replace(",REPORT,", ',"REPORT\nsecond line of the note",')
    return text(lines)


def _twice_gz_members() -> bytes:
    lines = calls_lines()
    return gz(text(lines[:101])) + gz(text(lines[101:]))


def _latin1_rows() -> bytes:
    data = text(calls_lines()).decode()
    out = []
    for k, line in enumerate(data.split("\n")):
        if k and k % 50 == 0:
            line = line.replace("TRAFFIC STOP", "TRAFFIC ARR\xcaT").replace("MENTAL HEALTH CRISIS", "CRISE SANT\xc9")
        out.append(line)
    return "\n".join(out).encode("latin-1")


def _contacts_shifted() -> bytes:
    lines = contacts_lines()
    lines[7] = lines[7].replace("clinician_liaison,", "clinician_liaison,extra,")  # RAWID shifted right
    lines[8] = lines[8].replace(",on_scene", "")  # a field missing
    return text(lines)


def _contacts_latin1() -> bytes:
    lines = contacts_lines()
    data = text(lines).replace(b"E00009,", b"E00009\xe9,")
    return data


CASES = [
    # the cases of issue 15
    Case("unbalanced quote swallows the rest", "calls.csv",
         lambda: text(set_field(calls_lines(), 10, "district", '"D2-3')), refused="line 11"),
    Case("unbalanced quote in a contact log", "contacts.csv",
         lambda: text(set_field(contacts_lines(), 10, "referral_agency", '"Harbor', CONTACTS_HEADER)),
         refused="line 11"),
    Case("gzip with 20 corrupted bytes", "calls.csv.gz", _corrupt_gzip, refused="damaged"),
    Case("-infinity received_at", "calls.csv",
         lambda: text(set_field(calls_lines(), 5, "received_at", "-infinity")), 200, 1, {"not_finite"}),
    Case("infinity received_at", "calls.csv",
         lambda: text(set_field(calls_lines(), 5, "received_at", "infinity")), 200, 1, {"not_finite"}),
    Case("9999-12-31 received_at", "calls.csv",
         lambda: text(set_field(calls_lines(), 5, "received_at", "9999-12-31 10:00:00")), 200, 1, {"out_of_range"}),
    Case("NaN officer minutes", "calls.csv",
         lambda: text(set_field(calls_lines(), 7, "officer_minutes", "NaN")), 200, 1, {"not_finite"}),
    Case("inf officer minutes", "calls.csv",
         lambda: text(set_field(calls_lines(), 7, "officer_minutes", "inf")), 200, 1, {"not_finite"}),
    Case("a call dated 2999", "calls.csv",
         lambda: text(set_field(calls_lines(), 9, "received_at", "2999-01-01 10:00:00")), 200, 1, {"out_of_range"}),
    Case("a call dated 1970", "calls.csv",
         lambda: text(set_field(calls_lines(), 9, "received_at", "1970-01-01 00:00:00")), 200, 1, {"out_of_range"}),
    Case("key with a trailing tab repeats a key", "calls.csv",
         lambda: text(set_field(calls_lines(), 12, "call_id", "C23-000011\t")), 200, 1, {"duplicate"}),
    Case("key with NBSP repeats a key", "calls.csv",
         lambda: text(set_field(calls_lines(), 12, "call_id", "\u00a0C23-000011")), 200, 1, {"duplicate"}),
    Case("key with a zero-width space repeats a key", "calls.csv",
         lambda: text(set_field(calls_lines(), 12, "call_id", "C23-\u200b000011")), 200, 1, {"duplicate"}),
    Case("date-only value in a timestamp column", "calls.csv",
         lambda: text(set_field(calls_lines(), 3, "received_at", "2024-01-04")), 200, 1, {"date_only"}),
    Case("24:00:00", "calls.csv",
         lambda: text(set_field(calls_lines(), 3, "received_at", "2024-01-04 24:00:00")), 200, 1, {"hour_24"}),
    Case("local time in the spring DST gap", "calls.csv",
         lambda: text(set_field(calls_lines(), 3, "received_at", "2024-03-10 02:30:00")), 200, 1, {"dst_gap"}),
    Case("local time in the autumn DST overlap is flagged, not changed", "calls.csv",
         lambda: text(set_field(calls_lines(), 3, "received_at", "2024-11-03 01:30:00")), 200, 0),
    Case("decimal in an integer column", "calls.csv",
         lambda: text(set_field(calls_lines(), 4, "priority", "2.5")), 200, 1, {"not_whole"}),
    Case("a Latin-1 byte in one row", "calls.csv",
         lambda: text(calls_lines()).replace(b"C23-000020,", b"C23-000020\xe9,"), 200, 1, {"encoding"},
         lines={21: "encoding"}),
    Case("a 3 MB field", "calls.csv", _huge_field, 200, 1, {"too_long"}, lines={81: "too_long"}),
    Case("embedded newline shifts later lines", "calls.csv", _embedded_then_bad, 200, 1, {"type"},
         lines={62: "type"}),
    # encodings, delimiters, line endings
    Case("UTF-8 byte-order mark", "calls.csv", lambda: b"\xef\xbb\xbf" + text(calls_lines()), 200, 0),
    Case("CRLF line endings", "calls.csv", lambda: text(calls_lines(), "\r\n"), 200, 0),
    Case("whole file in Latin-1", "calls.csv", _latin1_rows, 200, 4, {"encoding"}),
    Case("UTF-16 file", "calls.csv", lambda: "\n".join(calls_lines()).encode("utf-16"), refused="UTF-16"),
    Case("semicolon-separated", "calls.csv", lambda: text([x.replace(",", ";") for x in calls_lines()]),
         refused="semicolons"),
    Case("tab-separated", "calls.csv", lambda: text([x.replace(",", "\t") for x in calls_lines()]),
         refused="tabs"),
    Case("header names with NBSP and zero-width spaces", "calls.csv",
         lambda: text([",".join(f"\u00a0{h}\u200b" for h in CALLS_HEADER)] + calls_lines()[1:]), 200, 0),
    # structure
    Case("unquoted comma: too many fields", "calls.csv",
         lambda: text(set_field(calls_lines(), 30, "disposition", "REPORT, FILED")), 200, 1, {"columns"},
         lines={31: "columns"}),
    Case("row cut short: too few fields", "calls.csv",
         lambda: text(calls_lines()[:40] + [calls_lines()[40].rsplit(",", 3)[0]] + calls_lines()[41:]),
         200, 1, {"columns"}),
    Case("quote inside an unquoted value", "calls.csv",
         lambda: text(set_field(calls_lines(), 15, "beat", 'D2"3')), 200, None),
    Case("blank lines inside the file", "calls.csv",
         lambda: text(calls_lines()[:50] + ["", ""] + calls_lines()[50:] + ["", ""]), 200, 0),
    Case("header only", "calls.csv", lambda: text(calls_lines()[:1]), 0, 0),
    Case("empty file", "calls.csv", lambda: b"", refused="the file is empty"),
    Case("truncated mid-row (no final newline)", "calls.csv",
         lambda: text(calls_lines())[:-25], 200, 1, {"columns"}),
    Case("truncated gzip", "calls.csv.gz", lambda: gz(text(calls_lines()))[:-300], refused="damaged"),
    Case("gzip of two members", "calls.csv.gz", _twice_gz_members, 200, 0),
    Case("repeated header column", "calls.csv",
         lambda: text([calls_lines()[0] + ",district"] + [x + ",D9" for x in calls_lines()[1:]]),
         refused="repeated column"),
    Case("a quote in a header name", "calls.csv",
         lambda: text(['call_id,"x"");DROP TABLE calls;--",' + calls_lines()[0].split(",", 1)[1]]
                      + calls_lines()[1:]), refused="unknown column"),
    Case("NUL byte in a key repeats a key", "calls.csv",
         lambda: text(calls_lines()).replace(b"C23-000033,", b"C23-000032\x00,"), 200, 1, {"duplicate"}),
    Case("legitimate multi-line values", "calls.csv",
         lambda: text([x.replace(",REPORT,", ',"REPORT\nby unit 12",') if k % 20 == 0 else x
                       for k, x in enumerate(calls_lines())]), 200, 0),
    # person identifiers in rows that cannot be validated
    Case("contact rows with shifted and missing fields", "contacts.csv", _contacts_shifted, 100, 2, {"columns"}),
    Case("contact row with a Latin-1 byte", "contacts.csv", _contacts_latin1, 100, 1, {"encoding"}),
    Case("contact rows with bad values", "contacts.csv",
         lambda: text(set_field(set_field(contacts_lines(), 3, "minutes", "NaN", CONTACTS_HEADER), 4,
                                "encounter_date", "2999-01-01", CONTACTS_HEADER)), 100, 2,
         {"not_finite", "out_of_range"}),
]


def _baseline(tmp_path: Path) -> Path:
    base = tmp_path / "baseline.csv"
    base.write_bytes(text(lines_of(CALLS_HEADER, [call_row(i) for i in range(900, 910)])))
    cbase = tmp_path / "baseline_contacts.csv"
    cbase.write_bytes(text(lines_of(CONTACTS_HEADER, [contact_row(i) for i in range(900, 905)])))
    path = tmp_path / "faults.duckdb"
    run = imports.run([base, cbase], db_path=path)
    assert [r.status for r in run.reports] == ["loaded", "loaded"]
    return path


def counts(path: Path) -> dict[str, int]:
    con = db.connect(path, read_only=True)
    try:
        return db.table_counts(con)
    finally:
        con.close()


def raw_identifiers(path: Path) -> list[str]:
    """Every value in any column of any table that holds a raw person identifier."""
    con = db.connect(path, read_only=True)
    try:
        found = []
        for (table,) in con.execute("SELECT table_name FROM duckdb_tables()").fetchall():
            cols = [c[0] for c in con.execute(f'DESCRIBE "{table}"').fetchall()]
            for c in cols:
                n = con.execute(f'SELECT count(*) FROM "{table}" WHERE CAST("{c}" AS VARCHAR) LIKE ?',
                                [f"%{RAW}%"]).fetchall()[0][0]
                if n:
                    found.append(f"{table}.{c}: {n}")
        return found
    finally:
        con.close()


def quarantine_of(path: Path, import_id: int) -> list[dict]:
    con = db.connect(path, read_only=True)
    try:
        return db.rows(con, "SELECT line, reason, message, record FROM quarantine WHERE import_id = $i ORDER BY line",
                       {"i": import_id})
    finally:
        con.close()


def figures_after(path: Path):
    """What every page starts from: the data span, its default period, and the figures,
    monthly series and heat map for that period (as pmhc.ui computes them)."""
    import math

    import pandas as pd

    from pmhc import metrics, ui
    from pmhc.periods import Period

    con = db.connect(path, read_only=True)
    try:
        dr = metrics.data_range(con)
        dr = dr[dr["table_name"].isin(["calls", "encounters"])].dropna(subset=["first_date", "last_date"])
        span = ui.DataSpan(pd.Timestamp(dr["first_date"].min()).date(), pd.Timestamp(dr["last_date"].max()).date())
        filters = metrics.Filters(Period.months(*span.default_period()))
        head = metrics.headline(con, filters)
        metrics.monthly(con, filters)
        metrics.heatmap(con, filters)
        metrics.outcome_mix(con, filters)
    finally:
        con.close()
    bad = {k: v for k, v in head.items() if isinstance(v, float) and not math.isfinite(v)}
    return span, bad


def import_case(tmp_path: Path, case: Case, path: Path):
    f = tmp_path / case.file
    f.write_bytes(case.build())
    table = "encounters" if case.file.startswith("contacts") else None
    return imports.run([f], db_path=path, table=table).reports[0]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_mutation_is_loaded_in_full_or_refused_whole(tmp_path, case):
    path = _baseline(tmp_path)
    before = counts(path)
    report = import_case(tmp_path, case, path)
    after = counts(path)
    if case.refused:
        assert report.status == "rejected", report.summary()
        assert case.refused in report.message, report.message
        assert {k: v for k, v in after.items() if k != "imports"} == \
            {k: v for k, v in before.items() if k != "imports"}
        assert after["imports"] == before["imports"] + 1  # the refusal is in the ledger
    else:
        assert report.status == "loaded", report.summary()
        assert report.rows_in_file == case.rows, report.summary()
        assert report.rows_in_file == report.rows_loaded + report.rows_quarantined, report.summary()
        if case.quarantined is not None:
            assert report.rows_quarantined == case.quarantined, report.summary()
        q = quarantine_of(path, report.import_id)
        assert len(q) == report.rows_quarantined
        assert case.reasons <= {r["reason"] for r in q}, q
        for line, reason in (case.lines or {}).items():
            assert {"line": line, "reason": reason} in [{"line": r["line"], "reason": r["reason"]} for r in q], q
        table = "encounters" if case.file.startswith("contacts") else "calls"
        assert after[table] == before[table] + report.rows_new
    assert raw_identifiers(path) == []
    span, not_finite = figures_after(path)
    assert (span.first.year, span.last.year) == (2024, 2024)  # no stray date moves the default period
    assert not_finite == {}


def test_each_reason_has_its_own_message(tmp_path):
    path = _baseline(tmp_path)
    messages = {}
    for case in CASES:
        if case.reasons and len(case.reasons) == 1 and case.file == "calls.csv":
            report = import_case(tmp_path, case, path)
            for r in quarantine_of(path, report.import_id):
                messages.setdefault(r["reason"], r["message"])
    assert {"encoding", "too_long", "columns", "not_finite", "date_only", "hour_24", "dst_gap", "not_whole"} \
        <= set(messages)
    assert len(set(messages.values())) == len(messages)
    assert "UTF-8" in messages["encoding"] and "bytes long" in messages["too_long"]
    assert "fields where the header has 14" in messages["columns"]


def test_a_huge_field_is_not_kept_in_quarantine(tmp_path):
    path = _baseline(tmp_path)
    case = next(c for c in CASES if c.name == "a 3 MB field")
    report = import_case(tmp_path, case, path)
    [row] = quarantine_of(path, report.import_id)
    assert row["record"] is None and "3,000," in row["message"]


def test_an_ambiguous_local_time_is_loaded_with_a_flag_that_says_how_it_was_read(tmp_path):
    path = _baseline(tmp_path)
    case = next(c for c in CASES if "overlap" in c.name)
    report = import_case(tmp_path, case, path)
    assert [f["reason"] for f in report.flags] == ["dst_ambiguous"] and report.flags[0]["rows"] == 1
    assert "standard time" in report.summary()
    con = db.connect(path, read_only=True)
    try:
        [(msg,)] = con.execute("SELECT message FROM imports WHERE import_id = ?", [report.import_id]).fetchall()
        [(ts,)] = con.execute("SELECT strftime(received_at, '%z') FROM calls WHERE call_id = 'C23-000003'").fetchall()
    finally:
        con.close()
    assert "flagged 1 row" in msg and ts.startswith("-05")  # EST, the second 01:30 of that night


def test_reimporting_the_fixed_file_clears_its_quarantine(tmp_path):
    path = _baseline(tmp_path)
    bad = tmp_path / "calls.csv"
    bad.write_bytes(text(set_field(set_field(calls_lines(), 5, "received_at", "-infinity"), 6, "priority", "x")))
    first = imports.run([bad], db_path=path).reports[0]
    assert first.rows_quarantined == 2
    bad.write_bytes(text(calls_lines()))
    fixed = imports.run([bad], db_path=path).reports[0]
    assert fixed.rows_loaded == 200 and fixed.rows_quarantined == 0
    assert counts(path)["quarantine"] == 0


def test_reimporting_a_fixed_file_clears_rows_rejected_for_their_structure(tmp_path):
    path = _baseline(tmp_path)
    bad = tmp_path / "calls.csv"
    lines = set_field(calls_lines(), 30, "disposition", "REPORT, FILED")  # 15 fields
    row40 = lines[40].encode()
    bad.write_bytes(text(lines).replace(row40, row40.replace(b"TRAFFIC STOP", b"TRAFFIC ARR\xcaT")))  # Latin-1
    first = imports.run([bad], db_path=path).reports[0]
    assert sorted(r["reason"] for r in quarantine_of(path, first.import_id)) == ["columns", "encoding"]
    bad.write_bytes(text(calls_lines()))
    imports.run([bad], db_path=path)
    assert counts(path)["quarantine"] == 0


def test_a_fixed_row_in_a_later_file_clears_only_its_own_quarantine_entry(tmp_path):
    path = _baseline(tmp_path)
    jan = tmp_path / "jan.csv"
    jan.write_bytes(text(set_field(set_field(calls_lines(), 5, "priority", "x"), 6, "priority", "y")))
    imports.run([jan], db_path=path)
    fix = tmp_path / "fix.csv"
    fix.write_bytes(text(calls_lines()[:1] + [calls_lines()[5]]))
    imports.run([fix], db_path=path)
    con = db.connect(path, read_only=True)
    try:
        left = con.execute("SELECT record_key FROM quarantine").fetchall()
    finally:
        con.close()
    assert left == [("C23-000006",)]


def test_importing_the_same_file_twice_never_double_counts(tmp_path):
    path = _baseline(tmp_path)
    f = tmp_path / "calls.csv"
    f.write_bytes(text(calls_lines()))
    imports.run([f], db_path=path)
    again = imports.run([f], db_path=path).reports[0]
    assert (again.rows_new, again.rows_updated) == (0, 200)
    assert counts(path)["calls"] == 210


def test_overlapping_files_count_each_call_once(tmp_path):
    path = _baseline(tmp_path)
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    lines = calls_lines()
    a.write_bytes(text(lines[:151]))
    b.write_bytes(text(lines[:1] + lines[100:]))
    reports = imports.run([a, b], db_path=path).reports
    assert [(r.rows_new, r.rows_updated) for r in reports] == [(150, 0), (50, 51)]
    assert counts(path)["calls"] == 210


def test_an_xlsx_sheet_is_validated_like_a_csv_with_sheet_row_numbers(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    path = _baseline(tmp_path)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append([])  # an empty first row: the header is on sheet row 2
    for k, row in enumerate([CALLS_HEADER] + [call_row(i) for i in range(1, 21)]):
        cells = list(row)
        if k:
            cells[3] = int(cells[3])  # numbers are numbers in a sheet
            cells[9] = float(cells[9])
        if k == 5:
            cells[3] = 2.5
        if k == 7:
            cells[12] = "REPORT\nwith a second line"
        if k == 9:
            cells[1] = "2024-01-09"
        ws.append(cells)
    book = tmp_path / "calls.xlsx"
    wb.save(book)
    report = imports.run([book], db_path=path).reports[0]
    assert (report.rows_in_file, report.rows_loaded, report.rows_quarantined) == (20, 18, 2), report.summary()
    assert [(r["line"], r["reason"]) for r in quarantine_of(path, report.import_id)] == \
        [(7, "not_whole"), (11, "date_only")]


def _own_keys(data: bytes, n: int) -> bytes:
    """The same bytes with the call and contact ids of mutation `n` (call ids keep their length,
    so line and field positions are unchanged); compressed files are left as they are."""
    if data[:2] == b"\x1f\x8b":
        return data
    return data.replace(b"C23-", f"K{n:02d}-".encode()).replace(b"\nE", f"\nE{n:02d}-".encode())


def _count(path: Path, query: str) -> int:
    con = db.connect(path, read_only=True)
    try:
        return con.execute(query).fetchall()[0][0]
    finally:
        con.close()


def test_every_page_renders_for_every_role_after_all_mutations(tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    from pmhc import access, auth

    path = _baseline(tmp_path)
    for n, case in enumerate(CASES):
        # Each mutation under its own keys, so no later file overwrites an earlier one's rows:
        # the pages below render on what every mutation left behind, all at once.
        f = tmp_path / case.file
        f.write_bytes(_own_keys(case.build(), n))
        table = "encounters" if case.file.startswith("contacts") else None
        imports.run([f], db_path=path, table=table)
    assert _count(path, "SELECT count(DISTINCT left(call_id, 4)) FROM calls") > len(CASES) // 2
    monkeypatch.setenv("PMHC_DB", str(path))
    monkeypatch.setenv("PMHC_DEMO", "1")
    monkeypatch.setattr(auth, "demo_refusal_for", lambda con: None)  # hostile files are not the sample data
    failures = []
    for role in access.ROLES:
        for page in access.pages_for(role):
            at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
            at.session_state["role"] = role
            if role in access.DEMO_ROLES:
                monkeypatch.setenv("PMHC_DEMO", "1")
            else:  # demo visitors are never administrators: log in as one
                monkeypatch.delenv("PMHC_DEMO", raising=False)
                at.session_state[auth.SESSION_KEY] = {"user": "test-admin", "role": role, "method": "local"}
            at.run()
            if page.key != access.PAGES[0].key:
                at.switch_page(page.path)
                at.run()
            problems = [e.value for e in at.exception] + [e.value for e in at.error
                                                           if "administrators" not in e.value]
            if problems:
                failures.append((role, page.key, problems))
    assert failures == []


# ------------------------------------------------------------------ kill -9 at each step of a run

KILL_POINTS = ["after_journal", "after_copy", "before_commit", "between_files", "before_close", "before_swap"]


def _cli(args: list[str], env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pmhc.cli", *args], env=env, capture_output=True, text=True,
                          timeout=120, cwd=ROOT)


@pytest.mark.parametrize("point", KILL_POINTS)
def test_an_import_killed_leaves_the_previous_data_and_a_ledger_entry(tmp_path, point):
    path = _baseline(tmp_path)
    before = counts(path)
    f, g = tmp_path / "calls.csv", tmp_path / "contacts.csv"
    f.write_bytes(text(calls_lines()))
    g.write_bytes(text(contacts_lines()))
    env = dict(os.environ, **{snapshots.FAULT_ENV: point})
    killed = _cli(["import", str(f), "--db", str(path)], env)
    assert killed.returncode == -9, killed.stderr
    assert counts(path) == before
    [pending] = snapshots.unfinished(path)
    assert pending["files"] == ["calls.csv"]
    env.pop(snapshots.FAULT_ENV)
    again = _cli(["--db", str(path), "import", str(g), "--table", "encounters"], env)
    assert again.returncode == 0, again.stderr
    assert "did not finish" in again.stdout
    con = db.connect(path, read_only=True)
    try:
        ledger = db.rows(con, "SELECT file_name, status, message FROM imports ORDER BY import_id")
    finally:
        con.close()
    assert [(r["file_name"], r["status"]) for r in ledger][-2:] == [("calls.csv", "interrupted"),
                                                                   ("contacts.csv", "loaded")]
    assert "did not finish" in ledger[-2]["message"]
    assert snapshots.unfinished(path) == []
    assert counts(path)["calls"] == before["calls"] and counts(path)["encounters"] == before["encounters"] + 100
    assert not list(snapshots.folder(path).glob("*.tmp"))


def test_an_import_killed_after_its_swap_counts_as_committed(tmp_path):
    path = _baseline(tmp_path)
    f = tmp_path / "calls.csv"
    f.write_bytes(text(calls_lines()))
    killed = _cli(["import", str(f), "--db", str(path)], dict(os.environ, **{snapshots.FAULT_ENV: "after_swap"}))
    assert killed.returncode == -9
    assert counts(path)["calls"] == 210 and snapshots.unfinished(path) == []


# ------------------------------------------------------------------ command line

def test_cli_errors_are_one_line_without_a_traceback(tmp_path):
    env = dict(os.environ)
    cases = [
        ["import", str(tmp_path / "missing.csv")],
        ["import", str(ROOT / "sample_data" / "calls.csv.gz"), "--profile", str(tmp_path / "nope.toml")],
        ["quarantine", "--db", str(tmp_path / "absent.duckdb")],
        ["figures", "--from", "2024-13", "--to", "2024-01", "--db", str(tmp_path / "absent.duckdb")],
    ]
    bad_profile = tmp_path / "bad.toml"
    bad_profile.write_text("this is = = not toml")
    cases.append(["import", str(ROOT / "sample_data" / "calls.csv.gz"), "--profile", str(bad_profile)])
    for args in cases:
        r = _cli(args, env)
        assert r.returncode == 2, (args, r.stdout, r.stderr)
        assert "Traceback" not in r.stderr and r.stderr.strip(), (args, r.stderr)


def test_cli_accepts_db_before_and_after_the_command(tmp_path):
    f = tmp_path / "calls.csv"
    f.write_bytes(text(calls_lines()))
    a, b = tmp_path / "a.duckdb", tmp_path / "b.duckdb"
    assert _cli(["--db", str(a), "import", str(f)], dict(os.environ)).returncode == 0
    assert _cli(["import", str(f), "--db", str(b)], dict(os.environ)).returncode == 0
    assert counts(a)["calls"] == counts(b)["calls"] == 200


def test_cli_import_into_a_closed_pipe_still_imports(tmp_path):
    f = tmp_path / "calls.csv"
    f.write_bytes(text(calls_lines()))
    path = tmp_path / "pipe.duckdb"
    cmd = f"{sys.executable} -m pmhc.cli import {f} {f} {f} --db {path} | head -c 1"
    r = subprocess.run(cmd, shell=True, capture_output=True, text=True, timeout=120, cwd=ROOT,
                       env=dict(os.environ, PYTHONUNBUFFERED="1"))
    assert "Traceback" not in r.stderr, r.stderr
    assert counts(path)["calls"] == 200 and counts(path)["imports"] == 3


def test_a_quote_in_an_export_header_is_quoted_as_an_identifier(tmp_path):
    from pmhc import importer

    f = tmp_path / "export.csv"
    f.write_text('id,"na""me);DROP TABLE x;--"\n1,a\n')
    con = db.connect(":memory:")
    try:
        con.execute("CREATE TABLE x (v INTEGER)")
        n, rejected = importer.read_csv_text(con, f, ["id", 'na"me);DROP TABLE x;--'], "t")
        assert (n, rejected) == (1, [])
        assert con.execute('SELECT "na""me);DROP TABLE x;--", _line FROM t').fetchall() == [("a", 2)]
        assert con.execute("SELECT count(*) FROM x").fetchall() == [(0,)]
    finally:
        con.close()


def test_the_data_page_warns_of_an_import_that_did_not_finish(tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    from pmhc import auth

    path = _baseline(tmp_path)
    f = tmp_path / "calls.csv"
    f.write_bytes(text(calls_lines()))
    killed = _cli(["import", str(f), "--db", str(path)], dict(os.environ, **{snapshots.FAULT_ENV: "before_swap"}))
    assert killed.returncode == -9
    monkeypatch.setenv("PMHC_DB", str(path))
    monkeypatch.setenv("PMHC_DEMO", "1")
    monkeypatch.setattr(auth, "demo_refusal_for", lambda con: None)
    monkeypatch.delenv("PMHC_DEMO", raising=False)  # the Data page needs a logged-in administrator
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.session_state["role"] = "admin"
    at.session_state[auth.SESSION_KEY] = {"user": "test-admin", "role": "admin", "method": "local"}
    at.run()
    at.switch_page("pages/data.py")
    at.run()
    assert not at.exception
    assert any("calls.csv" in w.value and "did not finish" in w.value for w in at.warning)


def test_an_xlsx_sheet_through_a_profile_loads_what_its_csv_loads(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    export = ROOT / "tests" / "fixtures" / "exports" / "responder_log_flags"
    src = export / "responder_log.csv"
    profile = ROOT / "profiles" / "responder_log_flags.toml"
    wb = openpyxl.Workbook()
    for row in csv.reader(src.read_text(encoding="utf-8-sig").splitlines()):
        wb.active.append(row)
    book = tmp_path / (src.stem + ".xlsx")
    wb.save(book)
    from_csv = imports.run([src], db_path=tmp_path / "a.duckdb", profile=profile).reports[0]
    from_sheet = imports.run([book], db_path=tmp_path / "b.duckdb", profile=profile).reports[0]
    assert from_sheet.status == "loaded", from_sheet.summary()
    assert (from_sheet.rows_in_file, from_sheet.rows_loaded, from_sheet.rows_quarantined, from_sheet.rows_collapsed) \
        == (from_csv.rows_in_file, from_csv.rows_loaded, from_csv.rows_quarantined, from_csv.rows_collapsed)
    lines = [(q["line"], q["reason"]) for q in quarantine_of(tmp_path / "b.duckdb", from_sheet.import_id)]
    assert lines == [(q["line"], q["reason"]) for q in quarantine_of(tmp_path / "a.duckdb", from_csv.import_id)]


def test_a_viewer_reads_the_previous_data_until_the_swap_and_the_new_data_after(tmp_path, monkeypatch):
    from pmhc import ui

    path = _baseline(tmp_path)
    monkeypatch.setenv("PMHC_DB", str(path))
    ui.release_connection()
    old = ui.connection()
    assert old.execute("SELECT count(*) FROM calls").fetchall() == [(10,)]
    f = tmp_path / "calls.csv"
    f.write_bytes(text(calls_lines()))
    imports.run([f], db_path=path)  # succeeds while the viewer holds its read-only connection
    assert old.execute("SELECT count(*) FROM calls").fetchall() == [(10,)]  # its run finishes on the old data
    new = ui.connection()
    assert new is not old and new.execute("SELECT count(*) FROM calls").fetchall() == [(210,)]
    ui.release_connection()
