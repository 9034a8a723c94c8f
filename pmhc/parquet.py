"""A Parquet copy of the database, for when one machine's DuckDB file is not enough.

Parquet partitioned by agency and month (Hive layout) can be read by DuckDB, Spark,
Trino, Polars or pandas, copied to object storage, and appended to month by month:

    calls/agency=<key>/month=2024-01/data_0.parquet     the rows (also encounters/, arrests/)
    call_day_rollup/agency=<key>/data.parquet           the stored totals (queries/rollups.sql)
    disposition_map/agency=<key>/data.parquet           the agency's settings the SQL reads
    settings/agency=<key>/data.parquet                  (its data rules)

The agency key comes from the agency settings (`key` in config/agency.toml, else a slug of
its name). Each export replaces only its own agency's folders, so several agencies'
databases can write into one folder. `attach` turns such a copy back into something the
dashboard's own SQL runs on: views named like the tables, then the views of
queries/models.sql, so every named query (and so every figure) is the same text over
either storage; pmhc.spark does the same on Apache Spark.

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
    "arrests": "strftime(arrested_local, '%Y-%m')",
}
AGENCY_COLUMN = "agency"
PARTITION_COLUMN = "month"
EMPTY_PARTITION = "none"  # folder of the empty file written for a table with no rows
# The agency's settings as the database stores them (read by queries/models.sql), copied
# with the rows so the copy gives the figures the database gave when it was written:
# table → the SELECT that copies it ($agency: the agency's key; a hub's database holds
# many agencies' settings). Settings other than data rules and the repeat setting the
# stored contact facts were built with stay behind.
SETTINGS_TABLES = {
    "disposition_map": "SELECT code, outcome FROM disposition_map WHERE agency = $agency",
    "settings": ("SELECT 'rule:' || rule AS key, value FROM data_rules WHERE agency = $agency "
                 f"UNION ALL SELECT key, value FROM settings WHERE key = '{rollups.MIN_CONTACTS}'"),
}


def _literal(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _literal_text(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def agency_folder(out: Path, table: str, key: str) -> Path:
    return Path(out) / table / f"{AGENCY_COLUMN}={key}"


def _replace(target: Path, write) -> None:
    """Write a table's agency folder beside the old one, then swap it in, so a reader never
    sees half a table; `write(folder)` fills the new folder. Spark and DuckDB skip folders
    whose names start with '_'."""
    staging = target.parent / f"_writing-{target.name}"
    if staging.exists():
        shutil.rmtree(staging)
    staging.parent.mkdir(parents=True, exist_ok=True)
    write(staging)
    if target.exists():
        shutil.rmtree(target)
    staging.rename(target)


def export(con: duckdb.DuckDBPyConnection, out_dir: Path | str, cfg: AgencyConfig | None = None) -> dict[str, int]:
    """Write the agency's calls, encounters and arrests partitioned by month under its
    folder, its stored call totals and its settings tables (a hub's database holds many
    agencies: each is exported on its own, `--agency KEY`; the agency is the folder, not
    a column of the files).

    Replaces the agency's earlier export in `out_dir` (other agencies' folders are left
    alone). Returns rows written per table. Works on a read-only connection.
    """
    out = Path(out_dir)
    key = (cfg or load_agency()).agency_key
    agency = {"agency": key}
    out.mkdir(parents=True, exist_ok=True)
    written: dict[str, int] = {}
    for table, month in PARTITION_MONTH.items():
        n = con.execute(f"SELECT count(*) FROM {table} WHERE {AGENCY_COLUMN} = $agency", agency).fetchone()[0]

        def write_rows(folder: Path, table=table, month=month, n=n) -> None:
            if n:
                con.execute(
                    f"COPY (SELECT * EXCLUDE ({AGENCY_COLUMN}), {month} AS {PARTITION_COLUMN} FROM {table} "
                    f"WHERE {AGENCY_COLUMN} = $agency) TO {_literal(folder)} "
                    f"(FORMAT parquet, PARTITION_BY ({PARTITION_COLUMN}), COMPRESSION zstd)", agency)
            else:
                # No rows: one empty file keeps the columns and types for readers.
                empty = folder / f"{PARTITION_COLUMN}={EMPTY_PARTITION}"
                empty.mkdir(parents=True)
                con.execute(f"COPY (SELECT * EXCLUDE ({AGENCY_COLUMN}) FROM {table} LIMIT 0) TO "
                            f"{_literal(empty / 'empty.parquet')} (FORMAT parquet)")

        _replace(agency_folder(out, table, key), write_rows)
        written[table] = n
    small = {name: f"SELECT * EXCLUDE ({AGENCY_COLUMN}) FROM {name} WHERE {AGENCY_COLUMN} = $agency"
             for name in rollups.ROLLUPS} | SETTINGS_TABLES
    for name, select in small.items():
        def write_table(folder: Path, select=select) -> None:
            folder.mkdir(parents=True)
            con.execute(f"COPY ({select}) TO {_literal(folder / 'data.parquet')} (FORMAT parquet, COMPRESSION zstd)",
                        agency)

        _replace(agency_folder(out, name, key), write_table)
        written[name] = con.execute(f"SELECT count(*) FROM ({select})", agency).fetchone()[0]
    return written


def agencies(parquet_dir: Path | str) -> list[str]:
    """Agency keys a copy holds rows for (its calls/agency=<key> folders)."""
    calls = Path(parquet_dir) / "calls"
    prefix = f"{AGENCY_COLUMN}="
    return sorted(p.name[len(prefix):] for p in calls.glob(f"{prefix}*") if p.is_dir()) if calls.is_dir() else []


def check_copy(parquet_dir: Path | str, key: str) -> Path:
    """The copy's folder, after checking it holds rows of agency `key`; otherwise a
    FileNotFoundError that says what to do."""
    out = Path(parquet_dir)
    if not (out / "calls").is_dir():
        raise FileNotFoundError(
            f"No Parquet copy at {out}: expected {out / 'calls'}/{AGENCY_COLUMN}=<agency>/month=YYYY-MM/*.parquet. "
            "Write one with `pmhc export-parquet --db DB --out DIR`.")
    if not agency_folder(out, "calls", key).is_dir():
        held = agencies(out)
        if not held:
            raise FileNotFoundError(
                f"The Parquet copy at {out} was written by an earlier version (no {AGENCY_COLUMN}=<key> folders). "
                "Write it again with `pmhc export-parquet --db DB --out DIR`.")
        raise FileNotFoundError(
            f"The Parquet copy at {out} holds no rows of agency {key!r} (the key of the agency settings in use); "
            f"it holds {', '.join(repr(a) for a in held)}. Use that agency's settings (PMHC_CONFIG_DIR, or "
            "`key` in its agency.toml), or export this agency's database into the folder.")
    return out


def _table_source(out: Path, table: str, key: str) -> str:
    pattern = _literal(agency_folder(out, table, key) / "*" / "*.parquet")
    return (f"SELECT * EXCLUDE ({PARTITION_COLUMN}) FROM read_parquet({pattern}, "
            "hive_partitioning = true, hive_types = {'" + AGENCY_COLUMN + "': VARCHAR, '"
            + PARTITION_COLUMN + "': VARCHAR})")


def _small_table(out: Path, name: str, key: str) -> Path | None:
    """The file of a stored total or settings table in the copy; None when not exported."""
    f = agency_folder(out, name, key) / "data.parquet"
    return f if f.exists() else None


def attach(con: duckdb.DuckDBPyConnection, parquet_dir: Path | str, cfg: AgencyConfig | None = None) -> None:
    """Make `con` read a Parquet copy as if it were the database (views, nothing loaded)."""
    cfg = cfg or load_agency()
    key = cfg.agency_key
    out = check_copy(parquet_dir, key)
    for table in PARTITION_MONTH:
        con.execute(f"CREATE OR REPLACE VIEW {table} AS {_table_source(out, table, key)}")
    # The groups and data rules the SQL reads (pmhc.db writes them in a database).
    from . import dispositions
    from .db import BOOKKEEPING_DDL, write_groups

    con.execute(BOOKKEEPING_DDL)
    write_groups(con)
    for q in sql.parse_file(QUERIES_DIR / "models.sql").values():
        con.execute(q.sql)
    # The settings stored with the rows; a copy written without them reads the agency's.
    stored_rules = _small_table(out, "settings", key)
    con.execute("DELETE FROM data_rules")
    if stored_rules is not None:
        con.execute(f"INSERT INTO data_rules SELECT $a, substr(key, 6), value FROM read_parquet("
                    f"{_literal(stored_rules)}, hive_partitioning = false) WHERE key LIKE 'rule:%'", {"a": key})
        # the repeat setting the stored contact facts were built with (queries/repeat.sql)
        con.execute(f"INSERT OR REPLACE INTO settings SELECT key, value FROM read_parquet("
                    f"{_literal(stored_rules)}, hive_partitioning = false) WHERE key NOT LIKE 'rule:%'")
    else:
        con.execute("INSERT INTO data_rules VALUES ($a, 'co_responder_empty', $v)",
                    {"a": key, "v": cfg.co_responder_empty})
    stored_map = _small_table(out, "disposition_map", key)
    if stored_map is not None:
        con.execute("DELETE FROM disposition_map")
        con.execute(f"INSERT INTO disposition_map SELECT $a, code, outcome FROM read_parquet("
                    f"{_literal(stored_map)}, hive_partitioning = false)", {"a": key})
    else:
        dispositions.write(con, cfg)
    for name in rollups.ROLLUPS:
        stored = _small_table(out, name, key)
        # The stored totals when exported with the rows; otherwise computed from them on the fly.
        if stored is not None:
            source = (f"SELECT {_literal_text(key)} AS {AGENCY_COLUMN}, * FROM read_parquet({_literal(stored)}, "
                      "hive_partitioning = false)")
        else:
            source = rollups.view_sql(con, name, cfg)
        con.execute(f"CREATE OR REPLACE VIEW {name} AS {source}")


def connect(parquet_dir: Path | str, cfg: AgencyConfig | None = None) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB session over a Parquet copy, usable wherever the app takes a connection."""
    from .db import configure as _configure

    cfg = cfg or load_agency()
    con = duckdb.connect()
    _configure(con, cfg)
    try:
        attach(con, parquet_dir, cfg)
    except BaseException:
        con.close()
        raise
    return con


def cli_run(args) -> int:
    """`pmhc export-parquet --db DB --out DIR`: write the copy from the database, read-only."""
    from .config import agency_selection
    from .db import connect

    agency_selection()  # in a hub, the agency to export must be named (--agency KEY): never a copy of none
    cfg = load_agency()
    con = connect(args.db, read_only=True, cfg=cfg)
    try:
        written = export(con, args.out, cfg)
    finally:
        con.close()
    print(f"Wrote a Parquet copy of agency {cfg.agency_key!r} to {args.out}: "
          + ", ".join(f"{table} {n:,} rows" for table, n in written.items() if table in PARTITION_MONTH)
          + f" (partitioned by {AGENCY_COLUMN} and month), the stored totals and the agency's settings. "
          "Read it with `pmhc figures --parquet DIR` (DuckDB) or `pmhc figures --engine spark --parquet DIR` "
          "(Apache Spark), or in Python with pmhc.parquet.connect(DIR).")
    return 0
