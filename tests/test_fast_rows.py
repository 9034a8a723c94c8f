"""The typed read (pmhc.fast_rows) loads exactly what the value rules load, row for row.

A canonical file is read typed and only the rows the cheap tests cannot vouch for go
through the text rules; these tests import hand-written hostile files both ways — typed,
and whole through the text rules (importer.canonical_stager, the path mapping profiles
and unreadable files take) — and require the same tables, the same quarantine (line,
column, value, reason, message, record) and the same report. Then the parts: instants
from the day's offset equal ICU's, the second reader's pass hashes and classifies bytes.
"""

from __future__ import annotations

import gzip
import hashlib
from datetime import date

import duckdb
import pytest

from pmhc import db, importer, local_time, reading

CALLS = ("call_id,received_at,call_type,priority,district,beat,bh_flag,on_scene_at,cleared_at,officer_minutes,"
         "co_responder_present,cit_officer_present,disposition,use_of_force")


def call(i: int, **kw) -> str:
    row = {"call_id": f"C{i:04d}", "received_at": f"2024-02-{1 + i % 27:02d} {i % 24:02d}:15:00",
           "call_type": "MENTAL HEALTH CRISIS" if i % 2 else "THEFT", "priority": str(1 + i % 3),
           "district": f"D{1 + i % 2}", "beat": f"D{1 + i % 2}-1", "bh_flag": "",
           "on_scene_at": f"2024-02-{1 + i % 27:02d} {i % 24:02d}:25:00",
           "cleared_at": f"2024-02-{1 + i % 27:02d} {i % 24:02d}:55:00", "officer_minutes": str(30 + i),
           "co_responder_present": "true" if i % 3 else "false", "cit_officer_present": "false",
           "disposition": "REPORT", "use_of_force": ""}
    row.update(kw)
    return ",".join(row[c] for c in CALLS.split(","))


# One row per hostile value: each must read the same typed as through the text rules.
HOSTILE = [
    call(1), call(2), call(3),
    call(4, call_id=" C0004 "), call(5, call_id="C0005\t"), call(6, district="\u00a0D1"),
    call(7, call_type="  THEFT "), call(8, call_type="mental health crisis"),
    call(9, call_type="Café"), call(10, beat="D1-1\u200b"),
    call(11, priority="3.0"), call(12, priority="3.5"), call(13, priority="+3"), call(14, priority="007"),
    call(15, priority=" 2 "), call(16, priority="1e3"), call(17, priority="x"), call(18, priority="99999999999"),
    call(19, bh_flag="Y"), call(20, bh_flag="yes"), call(21, bh_flag=" true"), call(22, bh_flag="maybe"),
    call(23, officer_minutes="NaN"), call(24, officer_minutes="-5"), call(25, officer_minutes="1e2"),
    call(26, officer_minutes=" 45 "), call(27, officer_minutes="-0"),
    call(28, received_at="2024-02-05T10:00:00"), call(29, received_at="2024-02-05 10:00:00+02:00"),
    call(30, received_at="2024-2-5 5:0:0"), call(31, received_at="2024-02-05"),
    call(32, received_at="2024-02-05 24:00:00"), call(33, received_at="2024-03-10 02:30:00"),  # DST gap
    call(34, received_at="2024-11-03 01:30:00"),  # autumn overlap: flagged
    call(35, received_at="2024-11-03 00:30:00", on_scene_at="2024-11-03 01:10:00",
         cleared_at="2024-11-03 01:40:00"),
    call(36, received_at="2024-02-05 10:00:00.250"), call(37, received_at="infinity"),
    call(38, received_at="1989-12-31 23:00:00"), call(39, received_at="1990-01-01 10:00:00"),
    call(40, received_at="2999-01-01 10:00:00"), call(41, received_at=""),
    call(42, co_responder_present="TRUE"), call(43, co_responder_present="0"),
    call(44, call_id="C0001"),  # repeats a key: the last one wins
    call(45, call_id="C00\u200b03"),  # repeats C0003 once the zero-width space is gone
    call(46, disposition='"REPORT, FILED"'), call(47, disposition='"two\nlines"'),
    call(48, call_type=""), call(49, cleared_at="2024-02-30 10:00:00"),
    call(50, on_scene_at=" 2024-02-05 10:00:00"),
]


def _import_both(tmp_path, lines: list[str], name: str = "calls.csv", raw: bytes | None = None):
    path = tmp_path / name
    if raw is None:
        path.write_bytes(("\n".join([CALLS, *lines]) + "\n").encode("utf-8"))
    else:
        path.write_bytes(raw)
    out = []
    for stager in (None, importer.canonical_stager):
        con = db.connect(":memory:")
        r = importer.import_file(con, path, stager=stager)
        calls = con.execute("SELECT * EXCLUDE (_import_id) FROM calls ORDER BY call_id").fetchall()
        quarantine = con.execute("SELECT line, column_name, value, reason, message, record, record_key "
                                 "FROM quarantine ORDER BY line").fetchall()
        out.append((r, calls, quarantine))
        con.close()
    return out


def _same(typed, text):
    (r1, calls1, q1), (r2, calls2, q2) = typed, text
    assert calls1 == calls2
    assert q1 == q2
    for k in ("status", "rows_in_file", "rows_loaded", "rows_new", "rows_quarantined", "flags", "message"):
        assert getattr(r1, k) == getattr(r2, k), k


def test_hostile_values_read_typed_load_and_quarantine_exactly_as_the_text_rules_do(tmp_path):
    typed, text = _import_both(tmp_path, HOSTILE)
    _same(typed, text)
    r = typed[0]
    assert r.rows_in_file == len(HOSTILE) and r.balanced
    reasons = {q[3] for q in typed[2]}
    assert {"type", "not_whole", "not_finite", "negative", "date_only", "hour_24", "dst_gap", "out_of_range",
            "missing", "duplicate"} <= reasons
    # the autumn overlap, flagged: C0034 received at 01:30, C0035 on scene at 01:10 and cleared at 01:40
    assert [(f["column"], f["rows"]) for f in r.flags] == [("received_at", 1), ("on_scene_at", 1), ("cleared_at", 1)]


def test_a_clean_file_is_loaded_by_the_typed_read_alone(tmp_path, monkeypatch):
    from pmhc import fast_rows

    sent = []
    real = fast_rows._Slow.add
    monkeypatch.setattr(fast_rows._Slow, "add", lambda self, texts: (sent.append(len(texts)), real(self, texts)))
    typed, text = _import_both(tmp_path, [call(i) for i in range(1, 200)])
    _same(typed, text)
    assert sum(sent) == 0  # no row needed the text rules


def test_crlf_bom_and_gzip_read_typed_as_through_the_text_rules(tmp_path):
    body = "\r\n".join([CALLS, *HOSTILE[:20]]) + "\r\n"
    _same(*_import_both(tmp_path, [], raw=b"\xef\xbb\xbf" + body.encode("utf-8")))
    _same(*_import_both(tmp_path, [], "calls.csv.gz", gzip.compress(("\n".join([CALLS, *HOSTILE]) + "\n").encode())))


def test_a_file_in_another_date_time_form_is_read_as_text_whole_with_the_same_result(tmp_path, monkeypatch):
    from pmhc import records

    monkeypatch.setattr(records, "CAST_REJECTS_LIMIT", 10)
    lines = [call(i, received_at=f"2024-02-{1 + i % 27:02d}T{i % 24:02d}:15:00") for i in range(1, 60)]
    typed, text = _import_both(tmp_path, lines)
    _same(typed, text)
    assert typed[0].rows_loaded == 59


# ---------------------------------------------------------------- the parts

@pytest.mark.parametrize("tz", ["America/New_York", "Europe/Berlin", "Australia/Lord_Howe", "America/Santiago"])
def test_an_instant_from_its_days_offset_is_the_instant_icu_gives(tz):
    con = duckdb.connect()
    con.execute(f"SET TimeZone = '{tz}'")
    segs = local_time.segments(con, date(2023, 1, 1), date(2024, 12, 31))
    assert len(segs) > 3  # the changes of two years, and the plain runs between them
    off = local_time.offset_sql("t", segs)
    differ = con.execute(
        f"SELECT count(*) FROM (SELECT generate_series AS t FROM generate_series(TIMESTAMP '2023-01-01', "
        f"TIMESTAMP '2024-12-31 23:45:00', INTERVAL 15 MINUTE)) "
        f"WHERE {local_time.instant_sql('t', off)} IS DISTINCT FROM CAST(t AS TIMESTAMPTZ)").fetchall()[0][0]
    assert differ == 0
    con.close()


def test_days_around_a_daylight_saving_change_have_no_offset_so_icu_reads_them():
    con = duckdb.connect()
    con.execute("SET TimeZone = 'America/New_York'")
    segs = local_time.segments(con, date(2024, 1, 1), date(2024, 12, 31))
    plain = [s for s in segs if s.offset is not None]
    assert {s.offset for s in plain} == {-18000.0, -14400.0}
    around = [s.start for s in segs if s.offset is None]
    assert date(2024, 3, 9) in around and date(2024, 11, 2) in around  # the day before each change
    con.close()


def test_the_second_readers_pass_takes_the_files_sha256_and_kinds_of_bytes(tmp_path):
    plain = tmp_path / "a.csv"
    plain.write_bytes(b"a,b\r\n1,2\r\n")
    tab = tmp_path / "b.csv.gz"
    tab.write_bytes(gzip.compress(b"a,b\n1\t,2\n"))
    accented = tmp_path / "c.csv"
    accented.write_bytes("a,b\n1,Café\n".encode())
    for path, (controls, ascii_) in ((plain, (False, True)), (tab, (True, True)), (accented, (False, False))):
        lines = reading.count_lines(path)
        assert lines.sha256 == hashlib.sha256(path.read_bytes()).hexdigest() == importer.sha256_of(path)
        assert (lines.controls, lines.ascii) == (controls, ascii_), path.name


def test_records_are_fetched_again_by_their_physical_lines(tmp_path):
    path = tmp_path / "x.csv"
    path.write_bytes(b"h\nline2\n\"multi\nline\"\nline5\r\nlast")
    got = reading.fetch_records(path, [(2, 2), (3, 4), (5, 5), (6, 6)])
    assert got == {2: b"line2\n", 3: b"\"multi\nline\"\n", 5: b"line5\r\n", 6: b"last"}


def test_a_day_next_to_a_change_has_no_offset_either():
    """The DST checks read `time ± 1 hour`, which can cross midnight: a day counts as one
    offset only when the days on either side have it too, so no time within a day of a
    change is read by arithmetic."""
    con = duckdb.connect()
    con.execute("SET TimeZone = 'Europe/Berlin'")
    segs = local_time.segments(con, date(2024, 10, 1), date(2024, 11, 30))  # clocks go back on 27 October

    def offset_of(day: date):
        return [s for s in segs if s.start <= day][-1].offset

    assert [offset_of(date(2024, 10, d)) for d in (25, 26, 27, 28, 29)] == [7200.0, None, None, None, 3600.0]
    con.close()
