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

# First words of a statement → the import step it belongs to (first match wins).
STEPS = (
    ("CREATE OR REPLACE TEMP TABLE stage_read", "read every field as text (read_csv)"),
    ("ALTER TABLE stage_read", "number lines for quarantine messages"),
    ("UPDATE stage_read", "number lines for quarantine messages"),
    ("CREATE OR REPLACE TEMP TABLE typed", "trim, cast and check types (TIMESTAMPTZ in agency zone)"),
    ("INSERT INTO problems SELECT t._line", "validation rules (one per column rule)"),
    ("INSERT INTO problems SELECT _line", "duplicate keys in the file"),
    ("INSERT INTO quarantine", "quarantine rows"),
    ("CREATE OR REPLACE TEMP TABLE good", "upsert: keys of the good rows"),
    ("DELETE FROM", "upsert: replace rows with the same key"),
    ("INSERT INTO calls", "insert (BH flag, local time)"),
    ("INSERT INTO encounters", "insert (keyed pseudonyms)"),
    ("INSERT INTO arrests", "insert (keyed pseudonyms)"),
    ("CREATE OR REPLACE TABLE", "rebuild stored rollups"),
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
        step = next((name for prefix, name in STEPS if text.startswith(prefix)), "other statements")
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
    print(f"| Python between statements | {import_s - clocked_s:.2f} | {(import_s - clocked_s) / import_s:.0%} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
