"""`pmhc` command line: the same functions the dashboard uses, for scripts and grant writers."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .config import default_db_path


def _cmd_import(args: argparse.Namespace) -> int:
    from . import importer
    from .db import connect, table_counts

    kwargs = {}
    if args.profile:
        from . import profiles

        kwargs = profiles.import_kwargs(Path(args.profile))
    elif args.table:
        kwargs["table"] = args.table
    con = connect(args.db)
    failed = 0
    try:
        for path in args.files:
            report = importer.import_file(con, Path(path), **kwargs)
            print(report.summary())
            if report.status != "loaded":
                failed += 1
            elif report.rows_quarantined:
                print(f"  {report.rows_quarantined:,} row(s) quarantined: see `pmhc quarantine --db {args.db or default_db_path()}` "
                      "or the Data page for line, column and reason")
            if report.extra.get("quality_text"):
                print(report.extra["quality_text"])
        counts = table_counts(con)
    finally:
        con.close()
    print("Tables now hold: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()))
    return 1 if failed else 0


def _cmd_quarantine(args: argparse.Namespace) -> int:
    from .db import connect, rows

    con = connect(args.db, read_only=True)
    try:
        rs = rows(con, "SELECT file_name, line, column_name, value, reason, message FROM quarantine "
                       "ORDER BY file_name, line LIMIT $n", {"n": args.limit})
    finally:
        con.close()
    for r in rs:
        print(f"{r['file_name']}:{r['line']} [{r['column_name']}] {r['reason']}: {r['message']}"
              + (f" (value: {r['value']!r})" if r["value"] is not None else ""))
    if not rs:
        print("No quarantined rows.")
    return 0


def _cmd_figures(args: argparse.Namespace) -> int:
    from . import figures_cli

    return figures_cli.run(args)


def _cmd_report(args: argparse.Namespace) -> int:
    from . import reports

    return reports.cli_run(args)


def _cmd_export_parquet(args: argparse.Namespace) -> int:
    from . import parquet

    return parquet.cli_run(args)


def _cmd_generate(args: argparse.Namespace) -> int:
    from . import generate

    argv = ["--out", args.out, "--years", str(args.years), "--calls-per-year", str(args.calls_per_year),
            "--seed", str(args.seed), "--start", args.start]
    if args.no_gzip:
        argv.append("--no-gzip")
    generate.main(argv)
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="pmhc", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)

    imp = sub.add_parser("import", help="import CAD / co-responder / arrest exports into the database")
    imp.add_argument("files", nargs="+", help="CSV files (.csv or .csv.gz)")
    imp.add_argument("--db", default=None, help="database file (default: data/pmhc.duckdb or $PMHC_DB)")
    imp.add_argument("--table", choices=["calls", "encounters", "arrests"],
                     help="canonical table of the files (default: from the key column in the header)")
    imp.add_argument("--profile", help="mapping profile (TOML) for a non-canonical export")
    imp.set_defaults(func=_cmd_import)

    q = sub.add_parser("quarantine", help="list quarantined rows with file, line, column and reason")
    q.add_argument("--db", default=None)
    q.add_argument("--limit", type=int, default=200)
    q.set_defaults(func=_cmd_quarantine)

    fig = sub.add_parser("figures", help="print headline figures for a period, with definitions")
    fig.add_argument("--from", dest="date_from", required=True, metavar="YYYY-MM")
    fig.add_argument("--to", dest="date_to", required=True, metavar="YYYY-MM")
    fig.add_argument("--district", default=None)
    fig.add_argument("--responder-type", default=None)
    fig.add_argument("--format", choices=["json", "csv", "table"], default="table")
    fig.add_argument("--db", default=None)
    fig.set_defaults(func=_cmd_figures)

    rep = sub.add_parser("report", help="write the council deck, grant workbook or one-page PDF")
    rep.add_argument("--from", dest="date_from", required=True, metavar="YYYY-MM")
    rep.add_argument("--to", dest="date_to", required=True, metavar="YYYY-MM")
    rep.add_argument("--district", default=None)
    rep.add_argument("--format", choices=["pptx", "xlsx", "pdf"], required=True)
    rep.add_argument("--out", required=True)
    rep.add_argument("--db", default=None)
    rep.set_defaults(func=_cmd_report)

    pq = sub.add_parser("export-parquet", help="write the data as Parquet partitioned by month (for other engines)")
    pq.add_argument("--db", default=None, help="database file (default: data/pmhc.duckdb or $PMHC_DB)")
    pq.add_argument("--out", required=True, help="folder for calls/, encounters/, arrests/ (replaced)")
    pq.set_defaults(func=_cmd_export_parquet)

    gen = sub.add_parser("generate", help="write synthetic sample data (seeded)")
    gen.add_argument("--out", required=True)
    gen.add_argument("--years", type=int, default=3)
    gen.add_argument("--calls-per-year", type=int, default=60_000)
    gen.add_argument("--seed", type=int, default=20240101)
    gen.add_argument("--start", default="2023-01-01", metavar="YYYY-MM-DD")
    gen.add_argument("--no-gzip", action="store_true")
    gen.set_defaults(func=_cmd_generate)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
