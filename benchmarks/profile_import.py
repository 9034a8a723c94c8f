#!/usr/bin/env python3
"""Where an import's time goes: every SQL statement of `pmhc import`, grouped by step.

    .venv/bin/python benchmarks/profile_import.py                   # 1M calls, generated in a temp folder
    .venv/bin/python benchmarks/profile_import.py --calls 10000000
    .venv/bin/python benchmarks/profile_import.py --data DIR         # calls.csv, encounters.csv, arrests.csv

The benchmark (run.py) says how far the import is from DuckDB's bare read_csv; this
says which step costs what, so work on the import starts from a measurement. It times
the bare read_csv of the same files, then imports them through a connection that clocks
each statement, and prints the steps largest first with their share of the import.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
os.environ.setdefault("PMHC_CONFIG_DIR", str(ROOT / "config"))
os.environ.setdefault("PMHC_PERSON_KEY_SECRET", "benchmark-only-secret")

import duckdb  # noqa: E402

from pmhc import db, importer  # noqa: E402
from pmhc.config import load_agency  # noqa: E402
from pmhc.generate import generate  # noqa: E402
from run import step_bare  # noqa: E402  (the benchmark's own bare read_csv, timed the same way)

TABLES = ("calls", "encounters", "arrests")

# A statement's text → the import step it belongs to (first match wins; searched in the
# statement with its whitespace collapsed).
STEPS = (
    ("AS _import_id FROM (SELECT *", "typed read, checks and insert, one pass (read_csv with types, rejects kept)"),
    ("TEMP TABLE stage_read AS", "text read (read_csv, all VARCHAR) — files the typed read gave up on"),
    ("generate_series(CAST($lo AS DATE)", "UTC offset of each local day (ICU, once per day)"),
    ("WHERE _import_id = -", "rows for the text rules"),
    ("regexp_matches(", "rows for the text rules"),
    ("UPDATE calls SET _import_id", "local times that happen twice (DST), counted"),
    ("_import_id >> ", "local times that happen twice (DST), counted"),
    ("TEMP TABLE _slow_keys", "repeated keys in the file"),
    ("FROM _slow_keys", "repeated keys in the file"),
    ("TEMP TABLE typed AS", "text rules on the rows sent to them"),
    ("INTO problems", "text rules on the rows sent to them"),
    ("INSERT INTO quarantine", "quarantine rows"),
    ("INSERT INTO calls", "insert rows from the text rules"),
    ("INSERT INTO encounters", "insert rows from the text rules"),
    ("INSERT INTO arrests", "insert rows from the text rules"),
    ("encounter_facts_scope", "stored totals built whole"),
    ("_scope", "stored totals: what the import touched"),
    ("CREATE OR REPLACE TABLE", "stored totals built whole"),
    ("person_numbers", "stored totals built whole"),
    ("INSERT INTO call_day_rollup", "stored totals recomputed for touched days"),
    ("INSERT INTO bh_hour_rollup", "stored totals recomputed for touched days"),
    ("INSERT INTO call_outcome_day_rollup", "stored totals recomputed for touched days"),
    ("INSERT INTO arrest_day_rollup", "stored totals recomputed for touched days"),
    ("IS DISTINCT FROM $import_id", "upsert: rows stored before with the same key"),
    ("DELETE FROM calls", "upsert: replace rows with the same key"),
    ("DELETE FROM encounters", "upsert: replace rows with the same key"),
    ("DELETE FROM arrests", "upsert: replace rows with the same key"),
    ("COMMIT", "commit (write to disk)"),
    ("-- Rows of one import", "data-quality report"),
    ("-- Non-empty values", "data-quality report"),
    ("-- Quarantined rows", "data-quality report"),
)


class ClockedConnection:
    """A DuckDB connection that records the time of every execute()."""

    def __init__(self, con: duckdb.DuckDBPyConnection):
        self._con = con
        self.times: Counter = Counter()

    def execute(self, query, *args):
        t = time.perf_counter()
        result = self._con.execute(query, *args)
        text = " ".join(str(query).split())
        step = next((name for part, name in STEPS if part in text), "other statements")
        self.times[step] += time.perf_counter() - t
        return result

    def __getattr__(self, name):
        return getattr(self._con, name)


def profile(paths: dict, where: Path) -> tuple[float, Counter, float]:
    cfg = load_agency()
    path = where / "profile.duckdb"
    for p in (path, Path(f"{path}.wal")):
        p.unlink(missing_ok=True)
    raw = db.connect(path, cfg=cfg)
    raw.execute("SET enable_progress_bar = false")
    clocked = ClockedConnection(raw)
    t = time.perf_counter()
    for table in TABLES:
        report = importer.import_file(clocked, paths[table], cfg=cfg)
        if report.status != "loaded":
            raise SystemExit(report.summary())
    elapsed = time.perf_counter() - t
    raw.close()
    path.unlink(missing_ok=True)
    return elapsed, clocked.times, sum(clocked.times.values())


def _records(path: Path) -> int:
    with path.open("rb") as f:
        return sum(1 for _ in f) - 1  # lines after the header


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--calls", type=int, default=1_000_000, help="calls to generate (three years)")
    p.add_argument("--data", type=Path, help="folder with calls.csv, encounters.csv, arrests.csv instead")
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="pmhc-profile-") as tmp:
        where = Path(tmp)
        if args.data:
            paths = {t: args.data / f"{t}.csv" for t in TABLES}
        else:
            paths = generate(where, years=3, calls_per_year=-(-args.calls // 3), compress=False)
        rows = sum(_records(f) for f in paths.values())
        bare_s, _ = step_bare(paths, where)
        import_s, steps, clocked_s = profile(paths, where)
    print(f"{rows:,} rows in three files; bare DuckDB read_csv {bare_s:.2f} s; "
          f"pmhc import {import_s:.2f} s ({import_s / bare_s:.2f}× bare)\n")
    print("| step | s | share of import |")
    print("|---|---:|---:|")
    for step, s in steps.most_common():
        print(f"| {step} | {s:.2f} | {s / import_s:.0%} |")
    print(f"| Python between statements (and waiting for the second reader's pass) | {import_s - clocked_s:.2f} | "
          f"{(import_s - clocked_s) / import_s:.0%} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
