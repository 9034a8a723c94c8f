#!/usr/bin/env python3
"""Scale of a regional hub: many generated agencies in one database (issue 20, item 5).

    make bench-hub                                   # 50 agencies, 20k–2M calls a year each
    .venv/bin/python benchmarks/hub.py --scale 0.1   # the same 50 agencies at a tenth of the size
    .venv/bin/python benchmarks/hub.py --agencies 5 --scale 0.05 --no-spark   # a quick check

The agencies' sizes are spaced evenly on a log scale from --min-calls to --max-calls
calls a year (times --scale). Each is one year (2025) of the sample generator
(pmhc.generate) with its own seed, so each has its own calls, contacts and people, and
every agency uses the same incident-number scheme (C25-…): the same call id in fifty
agencies, each its own call. Agencies cycle through four time zones and three
fiscal-year starts (January, July, October).

For the hub the script reports
  1. import: `pmhc import --agency KEY` of every agency's three files into one database
     (validation, pseudonyms, stored totals, quality report), per agency and in total;
  2. page: an agency's page figures (headline, monthly trend, districts) for 2025 on the
     read-only connection the dashboard holds, for the smallest, median and largest
     agency — with fifty agencies' rows in the same tables;
  3. cross-site: the Agencies compared page's query (every agency's column and the
     pooled one for calendar 2025, pmhc.comparison.compare);
  4. Spark vs DuckDB: the Parquet copy of the hub (partitioned by agency and month) and
     one agency's headline figures on it, by DuckDB and by Apache Spark (local mode),
     for the largest agency; the two must agree.
It prints a markdown table and writes benchmarks/out/hub.md and hub.json. Times are
wall-clock on a shared machine: the header records the machine and its load.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "out"
sys.path.insert(0, str(ROOT))

SEED = 20250101
ZONES = ("America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles")
FY_STARTS = (1, 7, 10)
TABLES = ("calls", "encounters", "arrests")


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def sizes(n: int, low: int, high: int, scale: float) -> list[int]:
    """`n` calls-a-year sizes from `low` to `high`, evenly spaced on a log scale."""
    if n == 1:
        return [max(1, round(high * scale))]
    return [max(1, round(low * (high / low) ** (i / (n - 1)) * scale)) for i in range(n)]


def build(root: Path, data: Path, plan: list[int], sample_cfg) -> tuple[dict, list[dict]]:
    """Generate each agency's year, make the hub, import every agency; returns timings."""
    from pmhc import db, importer, workspace
    from pmhc.config import Workspace, load_agency, using_agency
    from pmhc.generate import generate

    ws = workspace.init_hub(root, name="Benchmark State Program", timezone="America/Chicago")
    os.environ["PMHC_HOME"] = str(root)
    rows, gen_s = [], 0.0
    for i, n in enumerate(plan):
        key = f"agency-{i + 1:02d}"
        workspace.add_agency(ws, key, name=f"Agency {i + 1:02d}", timezone=ZONES[i % len(ZONES)],
                             fiscal_year_start_month=FY_STARTS[i % len(FY_STARTS)], currency="USD",
                             bh_call_types=sample_cfg.bh_call_types)
        t = time.perf_counter()
        paths = generate(data / key, seed=SEED + i, years=1, calls_per_year=n, start="2025-01-01", compress=False)
        gen_s += time.perf_counter() - t
        rows.append({"key": key, "calls_per_year": n, "paths": paths})
    db_path = Workspace(root).db_path
    total = time.perf_counter()
    for r in rows:
        with using_agency(r["key"]):
            cfg = load_agency()
            t = time.perf_counter()
            con = db.connect(db_path, cfg=cfg)
            try:
                reports = [importer.import_file(con, r["paths"][table], cfg=cfg) for table in TABLES]
            finally:
                con.close()
            r["import_s"] = time.perf_counter() - t
        bad = [x.summary() for x in reports if x.status != "loaded" or x.rows_quarantined]
        if bad:
            raise SystemExit(f"{r['key']} did not import cleanly:\n" + "\n".join(bad))
        r["rows"] = {x.table: x.rows_loaded for x in reports}
        log(f"  imported {r['key']}: {r['rows']['calls']:,} calls in {r['import_s']:.1f} s")
    return {"generate_s": gen_s, "import_s": time.perf_counter() - total, "db_path": db_path}, rows


def page_figures(con, key: str, repeat: int) -> float:
    """Best time of an agency's page figures for 2025 (what Overview/Volume ask for)."""
    from pmhc import metrics
    from pmhc.config import load_agency, using_agency
    from pmhc.periods import Period

    with using_agency(key):
        cfg = load_agency()
        assumptions = metrics.load_assumptions()
        f = metrics.Filters(Period.calendar_year(2025), agencies=(key,))
        best = math.inf
        for _ in range(repeat + 1):  # the first run warms the file cache
            t = time.perf_counter()
            metrics.data_range(con, (key,))
            metrics.districts(con, (key,))
            metrics.headline(con, f, cfg, assumptions)
            metrics.monthly(con, f, cfg)
            metrics.breakdown(con, "volume_calls", f, "district", cfg)
            best = min(best, time.perf_counter() - t)
    return best


def spark_vs_duckdb(db_path: Path, where: Path, keys: list[str], key: str) -> dict:
    """The Parquet copy of every agency, then `key`'s 2025 headline by DuckDB and by Spark."""
    from pmhc import db, metrics, parquet
    from pmhc import spark as pmhc_spark
    from pmhc.config import hub_settings, load_agency, using_agency
    from pmhc.periods import Period

    out = where / "parquet"
    shutil.rmtree(out, ignore_errors=True)
    con = db.connect(db_path, read_only=True, cfg=hub_settings())
    t = time.perf_counter()
    for k in keys:
        with using_agency(k):
            parquet.export(con, out, load_agency())
    export_s = time.perf_counter() - t
    con.close()
    result = {"export_s": export_s, "mb": sum(p.stat().st_size for p in out.rglob("*.parquet")) / 1e6}
    with using_agency(key):
        cfg = load_agency()
        f = metrics.Filters(Period.calendar_year(2025))  # a copy's engine reads one agency's folders
        assumptions = metrics.load_assumptions()
        pq = parquet.connect(out, cfg)
        t = time.perf_counter()
        duck = metrics.headline(pq, f, cfg, assumptions)
        result["duckdb_s"] = time.perf_counter() - t
        pq.close()
        try:
            t = time.perf_counter()
            engine = pmhc_spark.connect(out, cfg, master="local[2]")
            result["spark_attach_s"] = time.perf_counter() - t
            t = time.perf_counter()
            on_spark = metrics.headline(engine, f, cfg, assumptions)
            result["spark_s"] = time.perf_counter() - t
            engine.close()
        except Exception as e:  # no Java or pyspark here: say so, the rest of the run stands
            result["spark_error"] = f"{type(e).__name__}: {e}"
            return result
    same = all((a == b) or (isinstance(a, float) and isinstance(b, float) and
                            (math.isnan(a) and math.isnan(b) or abs(a - b) <= 1e-9 * max(1.0, abs(a))))
               for a, b in ((duck[k], on_spark.get(k)) for k in duck))
    result["same"] = same
    return result


def machine() -> str:
    try:
        load = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        load = "?"
    return f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, load {load}"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--agencies", type=int, default=50)
    p.add_argument("--min-calls", type=int, default=20_000, help="calls a year of the smallest agency")
    p.add_argument("--max-calls", type=int, default=2_000_000, help="calls a year of the largest agency")
    p.add_argument("--scale", type=float, default=1.0, help="multiply every agency's size (0.1: a tenth)")
    p.add_argument("--repeat", type=int, default=2, help="timed runs of each page (best is kept)")
    p.add_argument("--no-spark", action="store_true", help="skip the Spark-vs-DuckDB step")
    p.add_argument("--keep", action="store_true", help="keep the hub under benchmarks/out/hub-data")
    args = p.parse_args(argv)

    for var in ("PMHC_CONFIG_DIR", "PMHC_DB", "PMHC_AGENCY", "PMHC_DEMO"):
        os.environ.pop(var, None)
    os.environ.setdefault("PMHC_PERSON_KEY_SECRET", "benchmark-only-secret")
    from pmhc import comparison, db
    from pmhc.config import hub_settings, load_agency

    sample_cfg = load_agency(ROOT / "config" / "agency.toml")
    plan = sizes(args.agencies, args.min_calls, args.max_calls, args.scale)
    where = OUT / "hub-data"
    shutil.rmtree(where, ignore_errors=True)
    where.mkdir(parents=True)
    started = time.perf_counter()
    log(f"hub of {len(plan)} agencies, {plan[0]:,} to {plan[-1]:,} calls a year ({sum(plan):,} in all)")
    totals, agencies = build(where / "hub", where / "exports", plan, sample_cfg)
    keys = [a["key"] for a in agencies]
    calls = sum(a["rows"]["calls"] for a in agencies)
    contacts = sum(a["rows"]["encounters"] for a in agencies)

    con = db.connect(totals["db_path"], read_only=True, cfg=hub_settings())
    picks = {"smallest": agencies[0], "median": agencies[len(agencies) // 2], "largest": agencies[-1]}
    pages = {label: (a["key"], a["rows"]["calls"], page_figures(con, a["key"], args.repeat))
             for label, a in picks.items()}
    t = time.perf_counter()
    cmp = comparison.compare(con, "year", 2025, keys, hub=hub_settings())
    cross_s = time.perf_counter() - t
    pooled_calls = cmp.pooled.values["calls_total"]
    con.close()
    if pooled_calls != calls:
        raise SystemExit(f"pooled calls {pooled_calls:,} ≠ {calls:,} imported")
    spark = None if args.no_spark else spark_vs_duckdb(totals["db_path"], where, keys, picks["largest"]["key"])
    whole = time.perf_counter() - started

    lines = [f"### Regional hub: {len(plan)} agencies, {calls:,} calls and {contacts:,} contacts in one database",
             "",
             f"Agencies of {plan[0]:,} to {plan[-1]:,} calls a year (log-spaced"
             + (f", --scale {args.scale:g} of 20k–2M" if args.scale != 1 else "") + "); "
             f"{machine()}; whole run {whole / 60:.1f} min.",
             "",
             "| step | time | note |", "|---|---:|---|",
             f"| generate ({len(plan)} agencies) | {totals['generate_s']:.1f} s | pmhc.generate, one seed each |",
             f"| import, all agencies | {totals['import_s']:.1f} s | {calls / totals['import_s']:,.0f} calls/s; "
             f"largest agency {agencies[-1]['import_s']:.1f} s, smallest {agencies[0]['import_s']:.1f} s |"]
    for label, (key, n, s) in pages.items():
        lines.append(f"| page figures, {label} agency ({n:,} calls) | {s * 1000:.0f} ms | headline, monthly, "
                     "districts for 2025 |")
    lines.append(f"| Agencies compared, {len(keys)} agencies + pooled | {cross_s:.1f} s | calendar 2025; "
                 f"pooled calls = {pooled_calls:,} |")
    if spark is not None:
        lines.append(f"| Parquet copy of the hub | {spark['export_s']:.1f} s | {spark['mb']:.0f} MB, by agency and "
                     "month |")
        lines.append(f"| headline on Parquet, DuckDB (largest agency) | {spark['duckdb_s']:.2f} s | |")
        if "spark_error" in spark:
            lines.append(f"| headline on Parquet, Spark | – | {spark['spark_error']} |")
        else:
            lines.append(f"| headline on Parquet, Spark local[2] (largest agency) | {spark['spark_s']:.1f} s | "
                         f"{spark['spark_s'] / spark['duckdb_s']:.0f}× DuckDB; attach {spark['spark_attach_s']:.1f} s; "
                         f"same figures: {'yes' if spark['same'] else 'NO'} |")
    text = "\n".join(lines) + "\n"
    print(text)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "hub.md").write_text(text)
    (OUT / "hub.json").write_text(json.dumps({
        "agencies": [{k: v for k, v in a.items() if k != "paths"} for a in agencies],
        "totals": {k: v for k, v in totals.items() if k != "db_path"},
        "pages": {k: {"agency": v[0], "calls": v[1], "s": v[2]} for k, v in pages.items()},
        "cross_site_s": cross_s, "spark": spark, "whole_s": whole, "machine": machine()}, indent=2))
    if not args.keep:
        shutil.rmtree(where, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
