#!/usr/bin/env python3
"""Speed at big-city scale: import and dashboard pages at 100k, 1M and 10M calls, measured
against DuckDB's bare read_csv and against the common pandas approach, in one run.

    make bench                                     # 100k, 1M and 10M calls
    make bench-big                                 # 100k and 100M calls (a statewide pool)
    .venv/bin/python benchmarks/run.py --quick     # 20k and 100k calls, a few minutes
    .venv/bin/python benchmarks/run.py --sizes 100000,1000000 --keep

For each size the script
  1. writes a data set with the sample generator (pmhc.generate: 3 years from 2023, seeded;
     above 10M calls as several agencies of 10M, a statewide pool, one at a time);
  2. times DuckDB's own `CREATE TABLE t AS SELECT * FROM read_csv(file)` of each file into a
     new database file ("bare"), and `pmhc import` of the same files into a new database
     (one run as the command runs it: snapshot, validation, quarantine, upsert, pseudonyms,
     stored totals, quality report, swap), with the time of every step;
  3. imports a month of the same export again into that database, one row in a hundred
     changed (what a monthly re-import costs: the snapshot copy of the whole database, the
     upsert, the stored totals of the days it touched);
  4. times every named query behind each dashboard page for a one-year filter (calendar
     2025), best of --repeat runs, on one read-only connection as the app holds it;
  5. times the same page figures computed the common way (benchmarks/pandas_way.py:
     pandas.read_csv once, then filter and groupby per page) and checks they agree;
  6. drives the app's own cached data layer (pmhc.ui, as the pages call it) through 100
     filter changes in a fresh process and reports its resident memory (RSS);
  7. writes the Parquet copy (`pmhc export-parquet`) and checks it gives the same headline;
  8. (first and last size) opens every page of the running dashboard in headless Chromium
     and times it from the request to its last chart drawn, and one filter change
     (benchmarks/browser.py).

It prints markdown tables, writes them to benchmarks/out/latest.md and latest.json, and
deletes the generated data afterwards (--keep keeps it under benchmarks/out/data/).
Times are wall-clock on whatever else the machine is doing; the targets are ratios
measured side by side in this one run, and the header records the machine and its load.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import shutil
import subprocess
import sys
import time
from collections import defaultdict
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "out"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

# The benchmark never reads the dashboard's own database or person-key secret.
os.environ.setdefault("PMHC_CONFIG_DIR", str(ROOT / "config"))
os.environ.setdefault("PMHC_PERSON_KEY_SECRET", "benchmark-only-secret")

import duckdb  # noqa: E402
import pandas as pd  # noqa: E402

import profile_import  # noqa: E402
from pmhc import db, definitions, evaluation, metrics, parquet, progress, sql  # noqa: E402
from pmhc.config import load_agency  # noqa: E402
from pmhc.generate import generate  # noqa: E402
from pmhc.periods import Period  # noqa: E402

SEED = 20240101
YEARS = 3
START = "2023-01-01"
YEAR = 2025  # the one-year filter: the last full year of the generated data
TABLES = ("calls", "encounters", "arrests")


def log(msg: str) -> None:
    print(f"[{datetime.now():%H:%M:%S}] {msg}", file=sys.stderr, flush=True)


def fmt_n(n: int) -> str:
    for div, unit in ((1_000_000, "M"), (1_000, "k")):
        if n >= div:
            v = n / div
            return f"{v:.0f}{unit}" if v == int(v) else f"{v:.1f}{unit}"
    return str(n)


# ------------------------------------------------------------------ per-query timing

class QueryClock:
    """Times every named query the metrics layer runs (pmhc.sql.df / records)."""

    def __init__(self) -> None:
        self.times: dict[str, float] = defaultdict(float)
        self._df, self._records = sql.df, sql.records

    def __enter__(self):
        def df(con, name, params=None):
            t = time.perf_counter()
            try:
                return self._df(con, name, params)
            finally:
                self.times[name] += time.perf_counter() - t

        def records(con, name, params=None):
            t = time.perf_counter()
            try:
                return self._records(con, name, params)
            finally:
                self.times[name] += time.perf_counter() - t

        sql.df, sql.records = df, records
        return self

    def __exit__(self, *exc):
        sql.df, sql.records = self._df, self._records


# ------------------------------------------------------------------ pages

def pmhc_pages(con, cfg, assumptions) -> dict:
    """Page → what it asks the metrics layer for (mirrors pages/*.py; ui.start adds the filter bar)."""
    keys = [f.key for f in definitions.figures(cfg.repeat_windows_days, cfg.repeat_min_contacts) if f.headline]
    m = metrics

    def bar():
        return m.data_range(con), m.districts(con)

    return {
        "Overview": lambda f: (bar(), m.compare(con, f, keys, cfg, assumptions), m.headline(con, f, cfg, assumptions),
                               m.monthly(con, f, cfg)),
        "Volume": lambda f: (bar(), m.headline(con, f, cfg, assumptions), m.monthly(con, f, cfg),
                             m.breakdown(con, "volume_calls", f, "district", cfg), m.heatmap(con, f),
                             m.breakdown(con, "volume_contacts", f, "responder_type", cfg),
                             m.breakdown(con, "volume_contacts", f, "contact_type", cfg),
                             m.by_category(con, f, "call_type", cfg)),
        "Outcomes": lambda f: (bar(), m.headline(con, f, cfg, assumptions), m.monthly(con, f, cfg),
                               m.outcome_mix(con, f, "month"),
                               m.breakdown(con, "outcomes_contacts", f, "responder_type", cfg),
                               m.by_category(con, f, "call_type", cfg),
                               m.outcome_mix(con, f, "responder_type")),
        "Repeat contacts": lambda f: (bar(), m.headline(con, f, cfg, assumptions), m.monthly(con, f, cfg),
                                      m.breakdown(con, "follow_up", f, "district", cfg), m.repeat_people(con, f, cfg)),
        "Savings": lambda f: (bar(), m.savings(con, f, assumptions), m.headline(con, f, cfg, assumptions)),
        "Grant figures": lambda f: (bar(), m.headline(con, f, cfg, assumptions)),
        # the monthly series of the whole span the evaluation's models are fitted on
        "Evaluation": lambda f: (bar(), evaluation.load_panel(con)),
    }


def pandas_pages(fr, cfg, assumptions) -> dict:
    import pandas_way as pw

    def bar():
        return fr.calls["call_date"].min(), fr.calls["call_date"].max(), sorted(fr.calls["district"].unique())

    return {page: (lambda work: (lambda f: (bar(), work(f))))(work)
            for page, work in pw.pages(fr, cfg, assumptions).items()}


PANDAS_PAGES = ("Overview", "Volume", "Outcomes", "Repeat contacts", "Savings", "Grant figures")


# ------------------------------------------------------------------ steps

AGENCY = 10_000_000  # above this many calls a data set is a statewide pool of agencies of this size


def step_generate(n: int, where: Path, reuse: bool) -> tuple[dict, float | None]:
    paths = {t: where / f"{t}.csv" for t in TABLES}
    if reuse and all(p.exists() for p in paths.values()):
        return paths, None  # generated by an earlier run (--reuse): no time to report
    t = time.perf_counter()
    if n <= AGENCY:
        paths = generate(where, seed=SEED, years=YEARS, calls_per_year=-(-n // YEARS), start=START, compress=False)
    else:
        pool(n, where, paths)
    return paths, time.perf_counter() - t


def pool(n: int, where: Path, paths: dict) -> None:
    """A statewide pool: agencies of AGENCY calls (the generator, one seed each), written one
    at a time so memory and disk hold one agency besides the pool. Each agency's ids and
    person keys get its own prefix (G01-…), so no two agencies share a call or a person."""
    agencies = -(-n // AGENCY)
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    prefixed = {"calls": ("call_id",), "encounters": ("encounter_id", "call_id", "person_key"),
                "arrests": ("arrest_id", "call_id", "person_key")}
    outs = {t: paths[t].open("wb") for t in TABLES}
    try:
        for k in range(agencies):
            log(f"  agency {k + 1} of {agencies}")
            part = where / f"agency_{k}"
            files = generate(part, seed=SEED + k, years=YEARS, calls_per_year=-(-min(AGENCY, n - k * AGENCY) // YEARS),
                             start=START, compress=False)
            for table in TABLES:
                src = files[table]
                cols = [d[0] for d in con.execute("SELECT * FROM read_csv($f, all_varchar=true) LIMIT 0",
                                                  {"f": str(src)}).description]
                sel = ", ".join(f"'G{k:02d}-' || \"{c}\" AS \"{c}\"" if c in prefixed[table] else f'"{c}"' for c in cols)
                dst = part / f"{table}.prefixed.csv"
                con.execute(f"COPY (SELECT {sel} FROM read_csv($f, all_varchar=true)) TO '{dst}' (HEADER, DELIMITER ',')",
                            {"f": str(src)})
                src.unlink()
                with dst.open("rb") as f:
                    header = f.readline()
                    if k == 0:
                        outs[table].write(header)
                    shutil.copyfileobj(f, outs[table], 1 << 24)
                dst.unlink()
            shutil.rmtree(part, ignore_errors=True)
    finally:
        for f in outs.values():
            f.close()
        con.close()


def count_rows(con, paths: dict) -> dict:
    return {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in paths}


def step_bare(paths: dict, where: Path) -> tuple[float, dict]:
    path = where / "bare.duckdb"
    path.unlink(missing_ok=True)
    con = duckdb.connect(str(path))
    con.execute("SET enable_progress_bar = false")
    t = time.perf_counter()
    for table, file in paths.items():
        con.execute(f"CREATE TABLE {table} AS SELECT * FROM read_csv($f)", {"f": str(file)})
    elapsed = time.perf_counter() - t
    counts = count_rows(con, paths)
    con.close()
    path.unlink(missing_ok=True)
    return elapsed, counts


def step_import(paths: dict, db_path: Path) -> tuple[float, list, dict]:
    """`pmhc import` of the three files into a new database (pmhc.imports.run, as the command
    runs it), with the time of each step (benchmarks/profile_import.py)."""
    shown = progress.for_stream(sys.stderr)  # each file's stages with rows/s, as `pmhc import` shows them
    try:
        elapsed, reports, times = profile_import.import_files(paths, db_path, on_progress=shown)
    finally:
        shown.close()
    bad = [r.summary() for r in reports if r.status != "loaded" or r.rows_quarantined]
    if bad:
        raise SystemExit("benchmark data did not import cleanly:\n" + "\n".join(bad))
    return elapsed, reports, dict(times)


def month_delta(paths: dict, where: Path, month: str) -> dict:
    """A month of the export again, as an agency's next export repeats it: every row dated in
    `month` (YYYY-MM), one in a hundred with a changed value. Written by DuckDB as text, so
    every other value is byte for byte the export's."""
    out = where / "delta"
    out.mkdir(exist_ok=True)
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    date_col = {"calls": "received_at", "encounters": "encounter_date", "arrests": "arrested_at"}
    changed = {"calls": "disposition", "encounters": "referral_agency", "arrests": "top_charge"}
    files = {}
    for table, src in paths.items():
        header = con.execute("SELECT * FROM read_csv($f, all_varchar=true) LIMIT 0", {"f": str(src)}).description
        cols = [d[0] for d in header]
        sel = ", ".join(f"CASE WHEN n % 100 = 0 THEN '(changed)' ELSE \"{c}\" END AS \"{c}\"" if c == changed[table]
                        else f'"{c}"' for c in cols)
        dst = out / f"{table}.csv"
        con.execute(f"COPY (SELECT {sel} FROM (SELECT *, row_number() OVER () AS n FROM read_csv($f, all_varchar=true)) "
                    f"WHERE left(\"{date_col[table]}\", 7) = $m) TO '{dst}' (HEADER, DELIMITER ',')",
                    {"f": str(src), "m": month})
        files[table] = dst
    con.close()
    return files


def step_reimport(delta: dict, db_path: Path) -> dict:
    """The month's export imported again into the database of step_import: the time a user
    waits, the part of it that copies the database into a new snapshot (timed by copying
    the same file), and how many rows were new, updated and unchanged."""
    from pmhc import imports, snapshots

    current = snapshots.current_file(db_path)
    size = current.stat().st_size
    copy = current.with_suffix(".copy-timing")
    t = time.perf_counter()
    shutil.copyfile(current, copy)
    copy_s = time.perf_counter() - t
    copy.unlink()
    t = time.perf_counter()
    run = imports.run([delta[t_] for t_ in TABLES], db_path=db_path)
    elapsed = time.perf_counter() - t
    bad = [r.summary() for r in run.reports if r.status != "loaded"]
    if bad:
        raise SystemExit("the month's export did not import cleanly:\n" + "\n".join(bad))
    return {"s": elapsed, "copy_s": copy_s, "db_mb": size / 1e6,
            "rows": sum(r.rows_in_file for r in run.reports), "new": sum(r.rows_new for r in run.reports),
            "updated": sum(r.rows_updated for r in run.reports),
            "unchanged": sum(r.rows_unchanged for r in run.reports)}


def best_of(fn, f, repeat: int, clock: bool, warm_up: bool = True) -> tuple[float, dict]:
    """Best wall time of `repeat` runs after one warm-up; per-query times of the best run."""
    if warm_up:
        fn(f)
    best, best_q = float("inf"), {}
    for _ in range(repeat):
        if clock:
            with QueryClock() as qc:
                t = time.perf_counter()
                fn(f)
                elapsed = time.perf_counter() - t
            queries = dict(qc.times)
        else:
            t = time.perf_counter()
            fn(f)
            elapsed, queries = time.perf_counter() - t, {}
        if elapsed < best:
            best, best_q = elapsed, queries
    return best, best_q


def step_queries(db_path: Path, cfg, assumptions, f, repeat: int) -> tuple[dict, dict, dict]:
    con = db.connect(db_path, read_only=True, cfg=cfg)
    pages, per_query = {}, {}
    for page, fn in pmhc_pages(con, cfg, assumptions).items():
        pages[page], per_query[page] = best_of(fn, f, repeat, clock=True)
    values = metrics.headline(con, f, cfg, assumptions)
    con.close()
    return pages, per_query, values


def step_pandas(paths: dict, cfg, assumptions, f, repeat: int, warm_up: bool) -> tuple[float, dict, dict]:
    import pandas_way as pw

    t = time.perf_counter()
    fr = pw.load(paths, cfg.bh_call_types)
    load_s = time.perf_counter() - t
    pages = {page: best_of(fn, f, repeat, clock=False, warm_up=warm_up)[0]
             for page, fn in pandas_pages(fr, cfg, assumptions).items()}
    values = pw.headline(fr, f, cfg, assumptions)
    del fr
    return load_s, pages, values


CHECK_EXACT = ("calls_total", "bh_calls", "co_responded_bh_calls", "cit_bh_calls", "bh_calls_with_arrest",
               "bh_calls_with_force", "contacts_total", "people_served", "unidentified_contacts",
               "diverted_contacts", "care_connections", "involuntary_holds", "people_with_contacts",
               "identified_crisis_contacts", "followed_up_14d", "follow_ups_reached", "co_responder_scene_contacts")
CHECK_CLOSE = ("co_response_coverage", "diversion_rate", "connection_to_care_rate", "booked_share",
               "officer_hours_bh", "responder_hours")
# Minutes and dollars: pandas subtracts naive wall-clock times, DuckDB true instants, so
# calls that span a daylight-saving change differ by an hour.
CHECK_LOOSE = ("avg_on_scene_minutes_co_responded", "officer_hours_returned", "net_cost_avoidance")


def agreement(ours: dict, theirs: dict, cfg) -> tuple[int, int, list[str]]:
    keys = list(CHECK_EXACT) + [f"repeat_people_{w}d" for w in cfg.repeat_windows_days[:3]]
    ok, differ = 0, []
    checks = [(k, 0.0) for k in keys] + [(k, 1e-9) for k in CHECK_CLOSE] + [(k, 1e-3) for k in CHECK_LOOSE]
    for k, tol in checks:
        a, b = ours.get(k), theirs.get(k)
        same = (a is None and b is None) or (a is not None and b is not None
                                             and abs(float(a) - float(b)) <= tol * max(1.0, abs(float(a))))
        ok += same
        if not same:
            differ.append(f"{k}: pmhc {a} vs pandas {b}")
    return ok, len(checks), differ


def step_memory(db_path: Path, changes: int) -> dict:
    """Run the memory probe in a fresh process (its RSS is the app's, not this script's)."""
    env = {**os.environ, "PMHC_DB": str(db_path)}
    env.pop("PMHC_DEMO", None)
    res = subprocess.run([sys.executable, __file__, "--memory-probe", str(db_path), "--changes", str(changes)],
                         env=env, capture_output=True, text=True, check=False)
    if res.returncode != 0:
        raise SystemExit(f"memory probe failed:\n{res.stderr[-3000:]}")
    return json.loads(res.stdout.strip().splitlines()[-1])


def _rss_mb() -> tuple[float, float]:
    fields = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        k, _, v = line.partition(":")
        fields[k] = v.strip()
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def memory_probe(changes: int) -> None:
    """The app's data path: pmhc.ui's cached connection and cached figure calls, as pages use them."""
    logging.disable(logging.WARNING)  # bare-mode Streamlit warns that no script is running
    import streamlit as st

    from pmhc import ui

    # The probe plays the coordinator (every figure and the person-level list), as a
    # logged-in analyst's session would; the generated data is not the sample, so no demo.
    st.session_state["role"] = "analyst"
    span = ui.data_span()
    districts = [None] + ui.districts()
    periods = ([Period.months(f"{YEAR}-01", f"{YEAR}-12")]
               + [Period.quarter(y, q) for y in range(span.first.year, span.last.year + 1) for q in (1, 2, 3, 4)]
               + [Period.month(YEAR, mth) for mth in range(1, 13)]
               + [Period.calendar_year(y) for y in range(span.first.year, span.last.year + 1)])
    filters = [metrics.Filters(p, d) for d in districts for p in periods][:changes]
    page_calls = [
        lambda f: (ui.compare(f, ["bh_calls", "co_response_coverage", "diversion_rate"]), ui.headline(f), ui.monthly(f)),
        lambda f: (ui.headline(f), ui.monthly(f), ui.breakdown("volume_calls", f, "district"), ui.heatmap(f),
                   ui.breakdown("volume_contacts", f, "responder_type")),
        lambda f: (ui.headline(f), ui.outcome_mix(f, "month"), ui.breakdown("outcomes_contacts", f, "responder_type")),
        lambda f: (ui.headline(f), ui.breakdown("follow_up", f, "district"), ui.repeat_people(f)),
        lambda f: (ui.savings(f, metrics.load_assumptions()), ui.headline(f)),
    ]
    samples = []
    for i, f in enumerate(filters):
        ui.data_range(), ui.districts()
        page_calls[i % len(page_calls)](f)
        samples.append(_rss_mb()[0])
    rss, peak = _rss_mb()
    print(json.dumps({"changes": len(filters), "start_mb": samples[0], "after_10_mb": samples[min(9, len(samples) - 1)],
                      "end_mb": rss, "max_mb": max(samples), "peak_mb": peak}))


def step_parquet(db_path: Path, where: Path, cfg, assumptions, f, values: dict) -> dict:
    out = where / "parquet"
    con = db.connect(db_path, read_only=True, cfg=cfg)
    t = time.perf_counter()
    parquet.export(con, out, cfg)
    elapsed = time.perf_counter() - t
    con.close()
    size = sum(p.stat().st_size for p in out.rglob("*.parquet"))
    pq = parquet.connect(out, cfg)
    t = time.perf_counter()
    other = metrics.headline(pq, f, cfg, assumptions)
    headline_s = time.perf_counter() - t
    pq.close()
    same = all(other.get(k) == v or (isinstance(v, float) and other.get(k) is not None
                                     and abs(other[k] - v) <= 1e-9 * max(1.0, abs(v)))
               for k, v in values.items())
    return {"export_s": elapsed, "mb": size / 1e6, "same_headline": same, "headline_s": headline_s}


# ------------------------------------------------------------------ one size

def run_size(n: int, args, cfg, assumptions, f, browser_sizes: set[int]) -> dict:
    where = OUT / "data" / str(n)
    where.mkdir(parents=True, exist_ok=True)
    t_size = time.perf_counter()
    r: dict = {"n": n}
    log(f"{fmt_n(n)} calls: generating")
    paths, r["generate_s"] = step_generate(n, where, args.reuse)
    log(f"{fmt_n(n)}: bare DuckDB read_csv")
    r["bare_s"], counts = step_bare(paths, where)
    r["rows"] = counts
    total_rows = sum(counts.values())
    log(f"{fmt_n(n)}: pmhc import ({total_rows:,} rows)")
    db_path = where / "pmhc.duckdb"
    r["import_s"], reports, r["import_steps"] = step_import(paths, db_path)
    r["import_rows"] = sum(rep.rows_loaded for rep in reports)
    log(f"{fmt_n(n)}: page queries")
    r["pages"], r["queries"], ours = step_queries(db_path, cfg, assumptions, f, args.repeat)
    if not args.no_pandas and n > AGENCY:
        # A statewide pool does not fit in memory as pandas frames: the figures are summed
        # over chunks of calls (benchmarks/pandas_way.py :: headline_chunked), for the check.
        log(f"{fmt_n(n)}: pandas, in chunks (figures only)")
        import pandas_way as pw

        theirs = pw.headline_chunked(paths, cfg, f, assumptions)
        r["agree"], r["checked"], r["differ"] = agreement(ours, theirs, cfg)
        if r["differ"]:
            log("pandas and pmhc differ: " + "; ".join(r["differ"]))
    elif not args.no_pandas:
        log(f"{fmt_n(n)}: pandas")
        # Above 2M calls pandas pages take seconds each: one run without warm-up keeps the
        # run short. The report says so (ours stay best of --repeat).
        big = n > 2_000_000
        r["pandas_runs"] = 1 if big else args.repeat
        r["pandas_load_s"], r["pandas_pages"], theirs = step_pandas(paths, cfg, assumptions, f, r["pandas_runs"],
                                                                    warm_up=not big)
        r["agree"], r["checked"], r["differ"] = agreement(ours, theirs, cfg)
        if r["differ"]:
            log("pandas and pmhc differ: " + "; ".join(r["differ"]))
    log(f"{fmt_n(n)}: memory over {args.changes} filter changes")
    r["memory"] = step_memory(db_path, args.changes)
    if not args.no_parquet:
        log(f"{fmt_n(n)}: Parquet copy")
        r["parquet"] = step_parquet(db_path, where, cfg, assumptions, f, ours)
    if n in browser_sizes:
        import browser

        log(f"{fmt_n(n)}: every page in headless Chromium")
        r["browser"] = browser.measure(db_path, where, YEAR)
    log(f"{fmt_n(n)}: a month's export imported again")
    r["reimport"] = step_reimport(month_delta(paths, where, f"{YEAR}-12"), db_path)
    r["total_s"] = time.perf_counter() - t_size
    if not args.keep:
        shutil.rmtree(where, ignore_errors=True)
    log(f"{fmt_n(n)}: done in {r['total_s']:.0f} s")
    return r


# ------------------------------------------------------------------ report

def _ms(s: float) -> str:
    return f"{s * 1000:,.0f}" if s >= 0.01 else f"{s * 1000:.1f}"


def _generated(s: float | None) -> str:
    """Seconds to generate a data set, or that this run reused one (--reuse)."""
    return "reused" if s is None or s != s else f"{s:.1f}"


def _import_limit(n: int) -> float:
    return 2.0 if n < 1_000_000 else 1.5


def targets(results: list[dict], whole_s: float) -> list[tuple[str, str, bool]]:
    """The issue's targets, each with what this run measured and whether it holds."""
    base, big = results[0], results[-1]
    n, b = fmt_n(big["n"]), fmt_n(base["n"])
    out = []
    for r in results:
        ratio = r["import_s"] / r["bare_s"]
        limit = _import_limit(r["n"])
        out.append((f"import within {limit:g}× of bare DuckDB read_csv at {fmt_n(r['n'])}", f"{ratio:.2f}×",
                    ratio <= limit))
    limit = 2.0 if big["n"] > 10_000_000 else 1.3
    worst_page = max(base["pages"], key=lambda p: big["pages"][p] / base["pages"][p])
    worst = big["pages"][worst_page] / base["pages"][worst_page]
    out.append((f"every page's queries at {n} within {limit:g}× of {b}", f"worst {worst_page}: {worst:.2f}×",
                worst <= limit))
    shown = [r for r in results if r.get("browser")]
    if len(shown) >= 2:
        lo, hi = shown[0]["browser"]["pages"], shown[-1]["browser"]["pages"]
        page = max(lo, key=lambda p: hi[p]["first_s"] / lo[p]["first_s"])
        x = hi[page]["first_s"] / lo[page]["first_s"]
        out.append((f"every page in the browser at {fmt_n(shown[-1]['n'])} within 1.5× of {fmt_n(shown[0]['n'])} "
                    "(request to last chart drawn)", f"worst {page}: {x:.2f}×", x <= 1.5))
    timed = [r for r in results if "pandas_pages" in r]
    if len(timed) == len(results):
        pages = [p for p in PANDAS_PAGES if p in big["pandas_pages"]]
        slowest = min(pages, key=lambda p: big["pandas_pages"][p] / big["pages"][p])
        x = big["pandas_pages"][slowest] / big["pages"][slowest]
        out.append((f"at least 30× faster than pandas per page (at {n})", f"least {slowest}: {x:.1f}×", x >= 30))
    checked = [r for r in results if "agree" in r]
    if checked:
        out.append(("pandas and pmhc agree on every headline figure checked (every size)",
                    ", ".join(f"{fmt_n(r['n'])} {r['agree']}/{r['checked']}" for r in checked),
                    not any(r["differ"] for r in checked)))
    growth = max(r["memory"]["end_mb"] - r["memory"]["start_mb"] for r in results)
    changes = base["memory"]["changes"]
    out.append((f"app memory flat over {changes} filter changes (grows < 10%)",
                f"largest growth {growth:+.0f} MB", all(
                    r["memory"]["end_mb"] <= 1.1 * r["memory"]["start_mb"] for r in results)))
    return out


def report(results: list[dict], meta: dict) -> str:
    sizes = [fmt_n(r["n"]) for r in results]
    base = results[0]
    lines = [f"Run {meta['when']} on {meta['machine']}; load average at start {meta['load_start']}, "
             f"at end {meta['load_end']}. DuckDB {duckdb.__version__}, pandas {pd.__version__}, "
             f"Python {platform.python_version()}. Filter: calendar year {YEAR} (one year of three); "
             f"page times are the best of {meta['repeat']} runs after a warm-up.", ""]
    lines += ["**Targets**", "", "| target | this run | met |", "|---|---|---|"]
    lines += [f"| {t} | {m} | {'yes' if ok else '**no**'} |" for t, m, ok in targets(results, meta["whole_s"])]
    lines.append("")

    lines += ["**Import** (three files: calls, co-responder contacts, arrests; `pmhc import` into a new database)", "",
              "| calls | rows in files | generate s | bare DuckDB read_csv s | rows/s | pmhc import s | rows/s "
              "| import ÷ bare | whole size s |",
              "|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in results:
        rows = sum(r["rows"].values())
        lines.append(f"| {fmt_n(r['n'])} | {rows:,} | {_generated(r['generate_s'])} | {r['bare_s']:.1f} | "
                     f"{rows / r['bare_s']:,.0f} | {r['import_s']:.1f} | {r['import_rows'] / r['import_s']:,.0f} | "
                     f"{r['import_s'] / r['bare_s']:.2f}× | {r['total_s']:.0f} |")
    top = results[-1]
    steps = sorted(top["import_steps"].items(), key=lambda kv: -kv[1])
    clocked = sum(top["import_steps"].values())
    lines += ["", f"Where the import's time goes at {fmt_n(top['n'])} (every statement of that import, by step; "
              f"bare read_csv {top['bare_s']:.1f} s):", "", "| step | s | ÷ bare |", "|---|---:|---:|"]
    lines += [f"| {step} | {sec:.2f} | {sec / top['bare_s']:.2f}× |" for step, sec in steps]
    lines.append(f"| outside the statements (snapshot copy and swap, schema, Python, the second reader's pass) | "
                 f"{top['import_s'] - clocked:.2f} | {(top['import_s'] - clocked) / top['bare_s']:.2f}× |")

    lines += ["", f"**Importing a month again** ({YEAR}-12 of the same export, one row in a hundred changed, into the "
              "database above: what a monthly import costs once the data is big)", "",
              "| calls | database MB | rows in files | new | updated | unchanged | import s | of which copying the "
              "database s |", "|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in results:
        m = r["reimport"]
        lines.append(f"| {fmt_n(r['n'])} | {m['db_mb']:,.0f} | {m['rows']:,} | {m['new']:,} | {m['updated']:,} | "
                     f"{m['unchanged']:,} | {m['s']:.1f} | {m['copy_s']:.1f} |")

    lines += ["", f"**Page queries, one-year filter** (ms; all queries the page runs; ratio = largest ÷ "
              f"{fmt_n(base['n'])})", "",
              "| page | " + " | ".join(sizes) + f" | {sizes[-1]} ÷ {sizes[0]} |",
              "|---|" + "---:|" * (len(sizes) + 1)]
    for page in base["pages"]:
        cells = [_ms(r["pages"][page]) for r in results]
        lines.append(f"| {page} | " + " | ".join(cells)
                     + f" | {results[-1]['pages'][page] / base['pages'][page]:.2f}× |")

    shown = [r for r in results if r.get("browser")]
    if shown:
        names = [fmt_n(r["n"]) for r in shown]
        lines += ["", "**In the browser** (headless Chromium on the running dashboard, analyst login, the same "
                  "filter: seconds from the request to the page's last chart drawn; first open, then the same "
                  "page again)", "",
                  "| page | " + " | ".join(f"{n} first | {n} again" for n in names)
                  + (f" | {names[-1]} ÷ {names[0]} (first) |" if len(shown) > 1 else " |"),
                  "|---|" + "---:|---:|" * len(shown) + ("---:|" if len(shown) > 1 else "")]
        for page in shown[0]["browser"]["pages"]:
            cells = [f"{r['browser']['pages'][page]['first_s']:.2f} | {r['browser']['pages'][page]['again_s']:.2f}"
                     for r in shown]
            ratio = (f" | {shown[-1]['browser']['pages'][page]['first_s'] / shown[0]['browser']['pages'][page]['first_s']:.2f}×"
                     if len(shown) > 1 else "")
            lines.append(f"| {page} | " + " | ".join(cells) + ratio + " |")
        for r in shown:
            for page, text in (r["browser"].get("errors") or {}).items():
                lines.append(f"| {page} at {fmt_n(r['n'])}: an error box on the page: {text} |")
        lines.append("| one filter change (Overview: district) | "
                     + " | ".join(f"{r['browser']['filter_change_s']:.2f} | " for r in shown)
                     + (f" | {shown[-1]['browser']['filter_change_s'] / shown[0]['browser']['filter_change_s']:.2f}× |"
                        if len(shown) > 1 else " |"))

    if any("agree" in r for r in results) and not all("pandas_pages" in r for r in results):
        lines += ["", "Figures agree (pandas vs pmhc, headline figures checked; the statewide pool summed over "
                  "chunks of calls): " + ", ".join(f"{fmt_n(r['n'])} {r['agree']}/{r['checked']}"
                                                   for r in results if "agree" in r)
                  + "".join(f"; {fmt_n(r['n'])} differs: {', '.join(r['differ'])}" for r in results
                            if r.get("differ"))]
    if all("pandas_pages" in r for r in results):
        single = [fmt_n(r["n"]) for r in results if r.get("pandas_runs", meta["repeat"]) == 1 < meta["repeat"]]
        note = (f"; pandas at {', '.join(single)} is one run without warm-up, pmhc stays best of the runs"
                if single else "")
        lines += ["", "**Against pandas** (same page figures: read_csv once, then filter and groupby per page, "
                  f"windows vectorised with numpy; ms, and pandas ÷ pmhc{note})", "",
                  "| page | " + " | ".join(f"pandas {s} | ÷ pmhc" for s in sizes) + " |",
                  "|---|" + "---:|---:|" * len(sizes)]
        for page in PANDAS_PAGES:
            cells = [f"{_ms(r['pandas_pages'][page])} | {r['pandas_pages'][page] / r['pages'][page]:.1f}×"
                     for r in results]
            lines.append(f"| {page} | " + " | ".join(cells) + " |")
        lines.append("| read_csv + derived columns (once) | " + " | ".join(
            f"{_ms(r['pandas_load_s'])} | vs import {r['pandas_load_s'] / r['import_s']:.1f}×" for r in results) + " |")
        lines += ["", "Figures agree (pandas vs pmhc, headline figures checked): " + ", ".join(
            f"{fmt_n(r['n'])} {r['agree']}/{r['checked']}" for r in results)
            + "".join(f"; {fmt_n(r['n'])} differs: {', '.join(r['differ'])}" for r in results if r["differ"])]

    lines += ["", f"**App memory** (resident set of a process driving pmhc.ui's cached calls through "
              f"{base['memory']['changes']} filter changes, MB)", "",
              "| calls | after first change | after 10 | after last | highest sample |",
              "|---:|---:|---:|---:|---:|"]
    for r in results:
        m = r["memory"]
        lines.append(f"| {fmt_n(r['n'])} | {m['start_mb']:.0f} | {m['after_10_mb']:.0f} | {m['end_mb']:.0f} | "
                     f"{m['max_mb']:.0f} |")

    lines += ["", "**Parquet copy** (partitioned by agency and month; `pmhc export-parquet`)", "",
              "| calls | export s | size MB | headline over Parquet s | same headline as DuckDB file |",
              "|---:|---:|---:|---:|---|"]
    for r in results:
        if "parquet" not in r:
            continue
        p = r["parquet"]
        lines.append(f"| {fmt_n(r['n'])} | {p['export_s']:.1f} | {p['mb']:.1f} | {p['headline_s']:.2f} | "
                     f"{'yes' if p['same_headline'] else 'NO'} |")

    lines += ["", "<details><summary>Every query behind each page (ms, summed over the page's calls)</summary>", "",
              "| page | query | " + " | ".join(sizes) + " |", "|---|---|" + "---:|" * len(sizes)]
    for page in base["queries"]:
        for q in sorted(base["queries"][page], key=lambda q: -results[-1]["queries"][page].get(q, 0)):
            lines.append(f"| {page} | {q} | " + " | ".join(_ms(r["queries"][page].get(q, 0)) for r in results) + " |")
    lines += ["", "</details>"]
    return "\n".join(lines)


def _markers(section: str) -> tuple[str, str]:
    name = f" {section}" if section else ""
    script = "benchmarks/run.py --readme" + (f" --readme-section {section}" if section else "")
    target = "make bench-big" if section == "big" else "make bench"
    return (f"<!-- benchmark{name} output: written by `{target}` ({script}) -->",
            f"<!-- end of benchmark{name} output -->")


def update_readme(text: str, section: str = "") -> None:
    """Put this run's tables between README's markers, so README holds the latest output."""
    start, end = _markers(section)
    path = ROOT / "README.md"
    readme = path.read_text(encoding="utf-8")
    if start not in readme or end not in readme:
        log(f"README.md has no benchmark markers ({start} … {end}): not updated")
        return
    head, rest = readme.split(start, 1)
    _, tail = rest.split(end, 1)
    path.write_text(f"{head}{start}\n{text}\n{end}{tail}", encoding="utf-8")
    log("README.md Performance section updated")


def machine() -> str:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} cores{f' ({cpu})' if cpu else ''}, {platform.system()}"


def load_avg() -> str:
    try:
        return " / ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        return "n/a"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", default="100000,1000000,10000000",
                   help="calls per data set, comma-separated; the first is the baseline (default %(default)s)")
    p.add_argument("--quick", action="store_true", help="20k and 100k calls, 2 repeats: a check in about a minute")
    p.add_argument("--repeat", type=int, default=3, help="timed runs per page (best is kept)")
    p.add_argument("--changes", type=int, default=100, help="filter changes in the memory probe")
    p.add_argument("--no-pandas", action="store_true", help="skip the pandas comparison")
    p.add_argument("--no-parquet", action="store_true", help="skip the Parquet copy")
    p.add_argument("--browser", default="ends", help="sizes to time in headless Chromium: 'ends' (first and last "
                   "size, the default), 'none', or calls comma-separated")
    p.add_argument("--keep", action="store_true", help="keep generated files and databases in benchmarks/out/data")
    p.add_argument("--reuse", action="store_true", help="reuse generated files kept by an earlier --keep run")
    p.add_argument("--readme", action="store_true", help="also write the tables into README.md's Performance section")
    p.add_argument("--readme-section", default="", help="which README block to write (bench-big writes its own)")
    p.add_argument("--memory-probe", metavar="DB", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.memory_probe:
        memory_probe(args.changes)
        return 0
    if args.quick:
        args.sizes, args.repeat, args.changes = "100000,200000", 2, 20
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    cfg = load_agency()
    assumptions = metrics.load_assumptions()
    f = metrics.Filters(Period.calendar_year(YEAR))
    OUT.mkdir(parents=True, exist_ok=True)
    meta = {"when": f"{datetime.now():%Y-%m-%d %H:%M}", "machine": machine(), "load_start": load_avg(),
            "repeat": args.repeat}
    t0 = time.perf_counter()
    if args.browser == "ends":
        browser_sizes = {sizes[0], sizes[-1]}
    elif args.browser == "none":
        browser_sizes = set()
    else:
        browser_sizes = {int(x.replace("_", "")) for x in args.browser.split(",") if x.strip()}
    results = [run_size(n, args, cfg, assumptions, f, browser_sizes) for n in sizes]
    meta["load_end"] = load_avg()
    meta["whole_s"] = time.perf_counter() - t0
    text = report(results, meta)
    text += f"\n\nWhole run: {meta['whole_s']:.0f} s (`{' '.join(['benchmarks/run.py'] + (argv or sys.argv[1:]))}`)."
    print(text)
    (OUT / "latest.md").write_text(text + "\n", encoding="utf-8")
    if args.readme:
        update_readme(text, args.readme_section)
    (OUT / "latest.json").write_text(json.dumps({"meta": meta, "results": results}, indent=1, default=str),
                                     encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
