"""Long work shows progress by stage, with rows done and rows per second: a bar at a
terminal, plain lines when the output is piped or CI is set (pmhc.progress)."""

from __future__ import annotations

import io
import re

import duckdb
import pytest

from pmhc import progress
from pmhc.cli import main

from .test_import import HEADER

MILLION = 1_000_000


def million_calls(path) -> None:
    """1,000,000 valid calls written by DuckDB (seconds, not the generator's minutes)."""
    con = duckdb.connect()
    con.execute(f"""COPY (
        SELECT 'M' || lpad(i::VARCHAR, 7, '0') AS call_id,
               strftime(TIMESTAMP '2024-01-01 00:00:00' + to_minutes(i % 400000), '%Y-%m-%dT%H:%M:%S+00:00') AS received_at,  -- UTC: no DST gap
               CASE WHEN i % 10 = 0 THEN 'MENTAL HEALTH CRISIS' ELSE 'THEFT' END AS call_type,
               '3' AS priority, 'D' || (1 + i % 3) AS district, '' AS beat, '' AS bh_flag, '' AS on_scene_at,
               '' AS cleared_at, '10' AS officer_minutes, 'false' AS co_responder_present,
               '' AS cit_officer_present, 'REPORT' AS disposition, '' AS use_of_force
        FROM range({MILLION}) t(i)) TO '{path}' (HEADER, DELIMITER ',')""")
    con.close()
    assert path.read_text(encoding="utf-8").split("\n", 1)[0] == HEADER


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture(scope="module")
def million_import(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("million")
    path = tmp / "calls.csv"
    million_calls(path)
    return path, tmp


def test_a_piped_import_of_a_million_calls_prints_each_stage_with_rows_and_rate(million_import, capsys,
                                                                                monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    path, tmp = million_import
    assert main(["import", str(path), "--db", str(tmp / "x.duckdb")]) == 0
    out = capsys.readouterr()
    lines = out.err.splitlines()
    for i, stage in enumerate(progress.IMPORT_STAGES, start=1):
        pattern = rf"calls\.csv → calls: {stage} \({i}/5\) 1,000,000 rows in \d+\.\d s, [\d,]+ rows/s"
        assert any(re.fullmatch(pattern, line) for line in lines), (stage, lines)
    assert "\r" not in out.err  # no bar in a log
    assert "1,000,000 rows in file = 1,000,000 loaded (1,000,000 new, 0 updated, 0 unchanged)" in out.out


def test_stages_are_reported_in_order(tmp_path):
    path = tmp_path / "calls.csv"
    path.write_text(HEADER + "\nA,2024-05-01 10:00:00,THEFT,3,D1,,,,,10,false,,REPORT,\n", encoding="utf-8")
    from pmhc import db, importer

    steps: list[progress.Step] = []
    con = db.connect(":memory:")
    importer.import_file(con, path, on_progress=steps.append)
    con.close()
    assert [(s.stage, s.finished) for s in steps] == [
        (stage, done) for stage in progress.IMPORT_STAGES for done in (False, True)]
    assert all(s.rows == 1 for s in steps if s.finished)


def test_a_rejected_file_reports_no_stage_as_finished(tmp_path):
    from pmhc import db, importer

    path = tmp_path / "x.csv"
    path.write_text("a,b\n1,2\n", encoding="utf-8")
    steps: list[progress.Step] = []
    con = db.connect(":memory:")
    importer.import_file(con, path, on_progress=steps.append)
    con.close()
    assert not [s for s in steps if s.finished]


def test_a_terminal_gets_a_bar_and_ci_gets_plain_lines(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    assert isinstance(progress.for_stream(Tty()), progress.TerminalBar)
    assert isinstance(progress.for_stream(io.StringIO()), progress.PlainLines)
    monkeypatch.setenv("CI", "true")
    assert isinstance(progress.for_stream(Tty()), progress.PlainLines)


def test_the_bar_keeps_each_finished_stage_as_a_line(monkeypatch):
    stream = Tty()
    bar = progress.TerminalBar(stream)
    track = progress.Tracker("calls.csv", bar, stages=("reading", "validating"))
    with track.stage("reading") as s:
        s.rows = 2_000
    with track.stage("validating") as s:
        s.rows = 2_000
    text = stream.getvalue()
    assert "calls.csv: reading (1/2) 2,000 rows in" in text and "calls.csv: validating (2/2) 2,000 rows in" in text
    assert "2/2 stages" in text
    assert not bar.bars  # closed after its last stage


def test_a_stage_line_gives_rows_per_second():
    step = progress.Step("f.csv", "upserting", 3, 5, 1_000_000, 2.0, True)
    assert step.line() == "f.csv: upserting (3/5) 1,000,000 rows in 2.0 s, 500,000 rows/s"
