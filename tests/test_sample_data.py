"""The committed sample data: imports cleanly, twice without double-counting, and the
deliberately bad rows all land in quarantine with the reason the generator planted."""

from __future__ import annotations

import csv

import pytest

from pmhc import db, importer
from pmhc.config import ROOT, SAMPLE_DIR
from pmhc.db import rows

SAMPLE_FILES = [SAMPLE_DIR / f"{t}.csv.gz" for t in ("calls", "encounters", "arrests")]
BAD_DIR = SAMPLE_DIR / "bad"


@pytest.fixture(scope="module")
def sample_con(tmp_path_factory):
    import os

    os.environ["PMHC_CONFIG_DIR"] = str(ROOT / "config")  # the sample agency's own settings
    os.environ.setdefault("PMHC_PERSON_KEY_SECRET", "test-secret-not-for-real-data")
    con = db.connect(tmp_path_factory.mktemp("sample") / "sample.duckdb")
    first = [importer.import_file(con, p) for p in SAMPLE_FILES]
    counts = db.table_counts(con)
    second = [importer.import_file(con, p) for p in SAMPLE_FILES]
    yield con, first, second, counts
    con.close()


def test_sample_files_are_small_enough_to_commit():
    total = sum(p.stat().st_size for p in SAMPLE_DIR.rglob("*") if p.is_file())
    assert total < 20 * 1024 * 1024


def test_sample_data_imports_without_quarantine(sample_con):
    _, first, _, counts = sample_con
    assert all(r.status == "loaded" and r.rows_quarantined == 0 for r in first), [r.summary() for r in first]
    assert counts["calls"] > 150_000


def test_importing_the_sample_twice_leaves_every_count_unchanged(sample_con):
    con, first, second, counts = sample_con
    after = db.table_counts(con)
    for t in ("calls", "encounters", "arrests", "quarantine"):
        assert after[t] == counts[t], t
    assert [r.rows_new for r in second] == [0, 0, 0]
    assert [r.rows_updated for r in second] == [r.rows_loaded for r in first]


def test_sample_is_a_believable_mid_size_city(sample_con):
    con, *_ = sample_con
    by_year = rows(con, """SELECT year(received_local) AS y, count(*) AS calls, avg(is_bh::INT) AS bh_share,
                                  avg(co_responder_present::INT) FILTER (WHERE is_bh) AS coverage
                           FROM calls GROUP BY ALL ORDER BY y""")
    assert len(by_year) == 3
    for y in by_year:
        assert 50_000 <= y["calls"] <= 70_000
        assert 0.03 <= y["bh_share"] <= 0.08
    assert by_year[0]["coverage"] < by_year[-1]["coverage"]  # the program starts and grows


def expected_bad_rows() -> list[dict]:
    with (BAD_DIR / "expected_quarantine.csv").open(newline="") as f:
        return list(csv.DictReader(f))


@pytest.mark.parametrize("name", ["calls_bad.csv", "encounters_bad.csv", "arrests_bad.csv"])
def test_every_planted_bad_row_is_quarantined_with_its_reason(tmp_path, name):
    con = db.connect(tmp_path / "bad.duckdb")
    report = importer.import_file(con, BAD_DIR / name)
    got = {(q["line"], q["column_name"], q["reason"])
           for q in rows(con, "SELECT line, column_name, reason FROM quarantine WHERE file_name = $f", {"f": name})}
    want = {(int(e["line"]), e["column"], e["reason"]) for e in expected_bad_rows() if e["file"] == name}
    assert want, f"manifest lists no bad rows for {name}"
    assert got == want
    with (BAD_DIR / name).open() as f:
        data_lines = sum(1 for _ in f) - 1
    assert report.rows_in_file == data_lines
    assert report.rows_loaded + report.rows_quarantined == data_lines
    con.close()
