"""A Parquet copy of the database, for when one machine's DuckDB file is not enough.

Parquet partitioned by month (hive layout, `calls/month=2024-01/…`) can be read by
DuckDB, Spark, Trino, Polars or pandas, copied to object storage, and appended to month
by month. `attach` turns such a copy back into something the dashboard's own SQL runs
on: views named like the tables, then the views of queries/models.sql, so every named
query (and so every figure) is the same text over either storage.

The copy holds the same rows as the database: person keys are already pseudonymised,
but it is row-level data and needs the same care as the database file.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb

from . import rollups, sql
from .config import QUERIES_DIR, AgencyConfig, load_agency

# Table → month each row belongs to (agency wall clock, like the figures).
PARTITION_MONTH = {
    "calls": "strftime(received_local, '%Y-%m')",
    "encounters": "strftime(encounter_date, '%Y-%m')",
    "arrests": "strftime(arrested_at, '%Y-%m')",
}
PARTITION_COLUMN = "month"
EMPTY_PARTITION = "none"  # folder of the empty file written for a table with no rows


def _literal(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def export(con: duckdb.DuckDBPyConnection, out_dir: Path | str) -> dict[str, int]:
    """Write calls, encounters and arrests partitioned by month, and the stored call totals.

    Replaces earlier exports in `out_dir` (only the folders this writes). Returns rows
    written per table. Works on a read-only connection.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written: dict[str, int] = {}
    for table, month in PARTITION_MONTH.items():
        target = out / table
        if target.exists():
            shutil.rmtree(target)
        n = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        if n:
            con.execute(
                f"COPY (SELECT *, {month} AS {PARTITION_COLUMN} FROM {table}) TO {_literal(target)} "
                f"(FORMAT parquet, PARTITION_BY ({PARTITION_COLUMN}), COMPRESSION zstd)"
            )
        else:
            # No rows: one empty file keeps the columns and types for readers.
            empty = target / f"{PARTITION_COLUMN}={EMPTY_PARTITION}"
            empty.mkdir(parents=True)
            con.execute(f"COPY (SELECT * FROM {table} LIMIT 0) TO {_literal(empty / 'empty.parquet')} "
                        "(FORMAT parquet)")
        written[table] = n
    for name in rollups.ROLLUPS:
        target = out / f"{name}.parquet"
        con.execute(f"COPY {name} TO {_literal(target)} (FORMAT parquet, COMPRESSION zstd)")
        written[name] = con.execute(f"SELECT count(*) FROM {name}").fetchone()[0]
    # how the stored tables were built (the repeat-contact setting of the contact facts)
    con.execute(f"COPY (SELECT * FROM settings WHERE key LIKE 'rollup:%') TO {_literal(out / 'rollup_settings.parquet')} "
                "(FORMAT parquet)")
    return written


def _table_source(out: Path, table: str) -> str:
    pattern = _literal(out / table / "*" / "*.parquet")
    return (f"SELECT * EXCLUDE ({PARTITION_COLUMN}) FROM read_parquet({pattern}, hive_partitioning = true, "
            "hive_types = {'" + PARTITION_COLUMN + "': VARCHAR})")


def attach(con: duckdb.DuckDBPyConnection, parquet_dir: Path | str, cfg: AgencyConfig | None = None) -> None:
    """Make `con` read a Parquet copy as if it were the database (views, nothing loaded)."""
    out = Path(parquet_dir)
    if not (out / "calls").is_dir():
        raise FileNotFoundError(f"No Parquet copy at {out}: expected {out / 'calls'}/month=YYYY-MM/*.parquet. "
                                "Write one with `pmhc export-parquet --db DB --out DIR`.")
    for table in PARTITION_MONTH:
        con.execute(f"CREATE OR REPLACE VIEW {table} AS {_table_source(out, table)}")
    # The groups and data rules the SQL reads (pmhc.db writes them in a database).
    from .db import BOOKKEEPING_DDL, write_groups

    con.execute(BOOKKEEPING_DDL)
    write_groups(con)
    con.execute("CREATE TABLE IF NOT EXISTS settings (key VARCHAR PRIMARY KEY, value VARCHAR)")
    con.execute("INSERT OR REPLACE INTO settings VALUES ('rule:co_responder_empty', $v)",
                {"v": (cfg or load_agency()).co_responder_empty})
    for q in sql.parse_file(QUERIES_DIR / "models.sql").values():
        con.execute(q.sql)
    built = out / "rollup_settings.parquet"
    if built.exists():
        con.execute(f"INSERT OR REPLACE INTO settings SELECT * FROM read_parquet({_literal(built)})")
    for name in rollups.ROLLUPS:
        stored = out / f"{name}.parquet"
        # The stored totals when exported with the rows; otherwise computed from them on the fly.
        if stored.exists():
            source = f"SELECT * FROM read_parquet({_literal(stored)})"
        else:
            source = rollups.view_sql(con, name, cfg)
        con.execute(f"CREATE OR REPLACE VIEW {name} AS {source}")


def connect(parquet_dir: Path | str, cfg: AgencyConfig | None = None) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB session over a Parquet copy, usable wherever the app takes a connection."""
    from .db import configure as _configure

    con = duckdb.connect()
    _configure(con, cfg or load_agency())
    attach(con, parquet_dir, cfg)
    return con


def cli_run(args) -> int:
    """`pmhc export-parquet --db DB --out DIR`: write the copy from the database, read-only."""
    from .db import connect

    con = connect(args.db, read_only=True)
    try:
        written = export(con, args.out)
    finally:
        con.close()
    print(f"Wrote a Parquet copy to {args.out}: "
          + ", ".join(f"{table} {n:,} rows" for table, n in written.items() if table in PARTITION_MONTH)
          + " (partitioned by month), and the stored totals. Point the dashboard's queries at it with "
          "pmhc.parquet.connect(DIR).")
    return 0
