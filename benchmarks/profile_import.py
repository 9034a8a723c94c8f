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
import shutil
import sys
import tempfile
import time
from collections import Counter
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
os.environ.setdefault("PMHC_CONFIG_DIR", str(ROOT / "config"))
os.environ.setdefault("PMHC_PERSON_KEY_SECRET", "benchmark-only-secret")

import duckdb  # noqa: E402

from pmhc import db, imports  # noqa: E402
from pmhc.generate import generate  # noqa: E402

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
    ("UPDATE calls SET is_bh", "re-derive stored calls (BH call types or time zone changed)"),
    ("UPDATE arrests SET arrested_local", "re-derive stored calls (BH call types or time zone changed)"),
    ("_slow_keys", "repeated keys in the file"),
    ("_slow_read", "text rules on the rows sent to them"),
    ("stage_raw", "text rules on the rows sent to them"),
    ("problems", "text rules on the rows sent to them"),
    ("typed", "text rules on the rows sent to them"),
    ("min(rowid) AS first, max(rowid) AS last", "count the rows read (second reader's check)"),
    ("csv_rejects", "rejected rows read back (line, column, error)"),
    ("import_quality", "data-quality report"),
    ("INTO imports", "ledger, settings and transactions"),
    ("FROM imports", "ledger, settings and transactions"),
    ("settings", "ledger, settings and transactions"),
    ("TRANSACTION", "ledger, settings and transactions"),
    ("ROLLBACK", "ledger, settings and transactions"),
    ("quarantine", "quarantine rows"),
    ("_contact_days", "stored totals recomputed for touched days"),
    ("DROP TABLE", "ledger, settings and transactions"),
    ("-- Rows of one import", "data-quality report"),
    ("-- Non-empty values", "data-quality report"),
    ("-- Quarantined rows", "data-quality report"),
)


class ClockedConnection:
    """A DuckDB connection that records the time of every execute()."""

    def __init__(self, con: duckdb.DuckDBPyConnection, times: Counter):
        self._con = con
        self.times = times

    def execute(self, query, *args):
        t = time.perf_counter()
        result = self._con.execute(query, *args)
        text = " ".join(str(query).split())
        step = next((name for part, name in STEPS if part in text), "other statements")
        self.times[step] += time.perf_counter() - t
        return result

    def __getattr__(self, name):
        return getattr(self._con, name)


@contextmanager
def clocked(times: Counter):
    """Every read-write connection pmhc opens (an import's snapshot) clocks its statements into `times`."""
    real = db.connect

    def connect(*args, **kwargs):
        con = real(*args, **kwargs)
        return con if kwargs.get("read_only") else ClockedConnection(con, times)

    db.connect = connect
    try:
        yield times
    finally:
        db.connect = real


def import_files(paths: dict, db_path: Path, on_progress=None) -> tuple[float, list, Counter]:
    """`pmhc import` of the three files into a new database at `db_path` (one run, as the
    command runs it: snapshot, one transaction per file, stored totals, swap): seconds,
    reports, and the seconds of each step."""
    for p in (db_path, Path(f"{db_path}.wal")):
        if p.is_symlink() or p.exists():
            p.unlink()
    shutil.rmtree(Path(f"{db_path}.d"), ignore_errors=True)
    times: Counter = Counter()
    with clocked(times):
        t = time.perf_counter()
        run = imports.run([paths[t_] for t_ in TABLES], db_path=db_path, on_progress=on_progress)
        elapsed = time.perf_counter() - t
    bad = [r.summary() for r in run.reports if r.status != "loaded"]
    if bad:
        raise SystemExit("\n".join(bad))
    return elapsed, run.reports, times


def profile(paths: dict, where: Path) -> tuple[float, Counter, float]:
    path = where / "profile.duckdb"
    elapsed, _, times = import_files(paths, path)
    shutil.rmtree(Path(f"{path}.d"), ignore_errors=True)
    path.unlink(missing_ok=True)
    return elapsed, times, sum(times.values())


def _records(path: Path) -> int:
    with path.open("rb") as f:
        return sum(1 for _ in f) - 1  # lines after the header


def table(steps: Counter, import_s: float, clocked_s: float) -> list[str]:
    """The steps as markdown rows, largest first."""
    out = ["| step | s | share of import |", "|---|---:|---:|"]
    for step, s in steps.most_common():
        out.append(f"| {step} | {s:.2f} | {s / import_s:.0%} |")
    out.append(f"| outside the statements (snapshot copy and swap, schema, Python, the second reader's pass) | "
               f"{import_s - clocked_s:.2f} | {(import_s - clocked_s) / import_s:.0%} |")
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--calls", type=int, default=1_000_000, help="calls to generate (three years)")
    p.add_argument("--data", type=Path, help="folder with calls.csv, encounters.csv, arrests.csv instead")
    args = p.parse_args(argv)
    from run import step_bare  # the benchmark's own bare read_csv, timed the same way

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
    print("\n".join(table(steps, import_s, clocked_s)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
