"""DuckDB file lifecycle: one writer (imports), many readers (the app, figures, exports).

DuckDB allows one read-write process or many read-only ones per file, so imports write a
new snapshot of the file and swap it in (pmhc.snapshots) and everything else opens the
current snapshot read-only.
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import duckdb

from . import schema
from .config import QUERIES_DIR, AgencyConfig, default_db_path, load_agency

BOOKKEEPING_DDL = """
CREATE TABLE IF NOT EXISTS imports (
    import_id      INTEGER PRIMARY KEY,
    file_name      VARCHAR NOT NULL,
    table_name     VARCHAR,
    sha256         VARCHAR NOT NULL,
    imported_at    TIMESTAMPTZ NOT NULL,
    profile        VARCHAR,
    rows_in_file   BIGINT,
    rows_loaded    BIGINT,
    rows_new       BIGINT,
    rows_updated   BIGINT,            -- rows that replaced a stored row with different values
    rows_quarantined BIGINT,
    status         VARCHAR NOT NULL,   -- loaded | rejected | interrupted (the import process stopped)
    message        VARCHAR,
    agency         VARCHAR             -- the agency whose export it was (its key)
);
CREATE TABLE IF NOT EXISTS quarantine (
    import_id    INTEGER NOT NULL,
    file_name    VARCHAR NOT NULL,
    sha256       VARCHAR NOT NULL,
    table_name   VARCHAR NOT NULL,
    line         BIGINT,               -- physical line in the file; header is line 1
    column_name  VARCHAR,              -- '*' when the whole row is malformed
    value        VARCHAR,
    reason       VARCHAR NOT NULL,     -- missing | type | vocabulary | negative | columns | duplicate |
                                       -- not_finite | not_whole | out_of_range | date_only | hour_24 |
                                       -- dst_gap | dst_ambiguous | encoding | quote | too_long
    message      VARCHAR NOT NULL,     -- what is wrong and what to do
    record       VARCHAR,              -- the row as read (person identifiers as pseudonyms)
    record_key   VARCHAR,              -- the row's key when it could be read: a later import of
                                       -- the fixed row replaces this entry
    agency       VARCHAR               -- the agency whose export it was (its key)
);
CREATE TABLE IF NOT EXISTS vocabulary_groups (
    kind  VARCHAR NOT NULL,            -- outcome | responder_type
    grp   VARCHAR NOT NULL,            -- e.g. care, diverted, co_responder (pmhc.schema.GROUPS)
    value VARCHAR NOT NULL
);
CREATE TABLE IF NOT EXISTS settings (
    key   VARCHAR PRIMARY KEY,
    value VARCHAR
);
CREATE TABLE IF NOT EXISTS data_rules (
    agency VARCHAR NOT NULL,           -- each agency's own rules (a hub holds many)
    rule   VARCHAR NOT NULL,           -- e.g. co_responder_empty ([data_rules] of agency.toml)
    value  VARCHAR
);
"""

# Every row of calls, encounters and arrests carries the key of the agency whose export it
# came from: a hub's database holds many agencies, and a natural key (call_id, …) is unique
# per agency only (the same incident number in two agencies is two calls).
AGENCY_COLUMN = "agency"


def table_ddl(table: schema.Table) -> str:
    cols = [f"{c.name} {c.type}" for c in table.columns + table.derived]
    cols += ["_import_id INTEGER", f"{AGENCY_COLUMN} VARCHAR"]  # the agency last, as in a Parquet copy
    return f"CREATE TABLE IF NOT EXISTS {table.name} (\n    " + ",\n    ".join(cols) + "\n)"


def ensure_schema(con: duckdb.DuckDBPyConnection, cfg: AgencyConfig | None = None) -> None:
    for table in schema.TABLES.values():
        con.execute(table_ddl(table))
        # A database built before a column was added to the model gets it (empty).
        for c in table.columns + table.derived:
            con.execute(f"ALTER TABLE {table.name} ADD COLUMN IF NOT EXISTS {c.name} {c.type}")
        con.execute(f"ALTER TABLE {table.name} ADD COLUMN IF NOT EXISTS {AGENCY_COLUMN} VARCHAR")
    con.execute(BOOKKEEPING_DDL)
    con.execute("ALTER TABLE quarantine ADD COLUMN IF NOT EXISTS record_key VARCHAR")  # databases from before
    con.execute(f"ALTER TABLE quarantine ADD COLUMN IF NOT EXISTS {AGENCY_COLUMN} VARCHAR")
    con.execute(f"ALTER TABLE imports ADD COLUMN IF NOT EXISTS {AGENCY_COLUMN} VARCHAR")
    # The disposition map of a database from before hubs had no agency column: it is
    # rewritten from the settings on every read-write open, so it is made again.
    cols = {r[0] for r in con.execute("SELECT column_name FROM duckdb_columns() WHERE table_name = "
                                      "'disposition_map' AND schema_name = current_schema()").fetchall()}
    if cols and AGENCY_COLUMN not in cols:
        con.execute("DROP TABLE disposition_map")
    # Rows re-imported with the same values (NULL for imports from before it was counted).
    con.execute("ALTER TABLE imports ADD COLUMN IF NOT EXISTS rows_unchanged BIGINT")
    # A profile's rows merged by [collapse], and rows that are records of its other tables
    # only (rows in file = loaded + quarantined + merged + other tables, per table).
    con.execute("ALTER TABLE imports ADD COLUMN IF NOT EXISTS rows_merged BIGINT")
    con.execute("ALTER TABLE imports ADD COLUMN IF NOT EXISTS rows_other_tables BIGINT")
    write_groups(con)
    from . import sql

    for q in sql.parse_file(QUERIES_DIR / "models.sql").values():
        con.execute(q.sql)
    from . import rollups

    rollups.ensure(con, cfg)  # stored daily call totals the call figures read (queries/rollups.sql)


def write_groups(con: duckdb.DuckDBPyConnection) -> None:
    """The outcome and responder groups of pmhc.schema as a table the SQL reads, so a
    group is defined once (in Python) and never copied into a query."""
    rows = [(kind, grp, v) for (kind, grp), values in schema.GROUPS.items() for v in values]
    stored = con.execute("SELECT kind, grp, value FROM vocabulary_groups ORDER BY ALL").fetchall()
    if sorted(stored) == sorted(rows):
        return
    con.execute("DELETE FROM vocabulary_groups")
    con.executemany("INSERT INTO vocabulary_groups VALUES (?, ?, ?)", rows)


def configure(con: duckdb.DuckDBPyConnection, cfg: AgencyConfig) -> None:
    """Session settings every connection needs (the agency's time zone)."""
    # Strings without an offset are read in the agency zone; TIMESTAMPTZ shows in it too.
    con.execute(f"SET TimeZone = '{cfg.timezone}'")
    # Imports report their own stages (pmhc.progress); DuckDB's bar would print over them.
    con.execute("SET enable_progress_bar = false")


def connect(path: Path | str | None = None, *, read_only: bool = False,
            cfg: AgencyConfig | None = None) -> duckdb.DuckDBPyConnection:
    """Open the dashboard database. Read-write creates the file and its tables."""
    cfg = cfg or load_agency()
    if path is None:
        path = default_db_path()
    if str(path) != ":memory:":
        path = Path(path)
        if read_only and not path.exists():
            raise FileNotFoundError(
                f"No database at {path}. Build it with `pmhc import sample_data/*.csv.gz` "
                "or run `make run`, which builds it from the sample data."
            )
        if not read_only:
            path.parent.mkdir(parents=True, exist_ok=True)
    if read_only and str(path) != ":memory:":
        from .snapshots import open_read_only

        con = open_read_only(path)  # the current snapshot (pmhc.snapshots)
    else:
        con = duckdb.connect(str(path), read_only=read_only)
    configure(con, cfg)
    if not read_only:
        ensure_schema(con, cfg)
        claim_rows(con, cfg)
        derive_arrest_days(con, cfg)
        from . import dispositions, rollups

        if dispositions.write(con, cfg) and _has_rows(con, "calls", cfg.agency_key):  # the map call_outcome_facts reads
            # every call of the agency may read differently (other agencies keep their maps)
            rollups.build_agency(con, "call_outcome_day_rollup", cfg.agency_key, cfg)
        apply_data_rules(con, cfg)
        if str(path) != ":memory:":
            private(path)
    return con


def claim_rows(con: duckdb.DuckDBPyConnection, cfg: AgencyConfig) -> None:
    """In a single-agency workspace every row is its agency's: rows of a database written
    before rows carried their agency, or before the agency's key changed (it is a slug of
    the name unless set), are given its key, so a re-import still replaces them. A hub's
    rows always carry the agency they were imported for."""
    from .config import current_workspace

    ws = current_workspace()
    if ws is not None and ws.is_hub:
        return
    key = {"a": cfg.agency_key}
    for name in schema.TABLES:
        if con.execute(f"SELECT count(*) FROM {name} WHERE {AGENCY_COLUMN} IS DISTINCT FROM $a", key).fetchall()[0][0]:
            con.execute(f"UPDATE {name} SET {AGENCY_COLUMN} = $a WHERE {AGENCY_COLUMN} IS DISTINCT FROM $a", key)
            from . import rollups

            rollups.refresh_rollups(con, name)
    for name in ("disposition_map", "data_rules"):
        con.execute(f"DELETE FROM {name} WHERE {AGENCY_COLUMN} IS DISTINCT FROM $a", key)


def derive_arrest_days(con: duckdb.DuckDBPyConnection, cfg: AgencyConfig) -> None:
    """Arrests stored before arrested_local was kept get it on the agency's clock."""
    missing = "arrested_local IS NULL AND agency = $a"
    if not con.execute(f"SELECT EXISTS (SELECT 1 FROM arrests WHERE {missing})", {"a": cfg.agency_key}).fetchall()[0][0]:
        return
    con.execute(f"UPDATE arrests SET arrested_local = timezone($tz, arrested_at) WHERE {missing}",
                {"tz": cfg.timezone, "a": cfg.agency_key})
    from . import rollups

    rollups.refresh_rollups(con, "arrests", cfg=cfg)  # arrests counted by their day (a one-off: built whole)


def apply_data_rules(con: duckdb.DuckDBPyConnection, cfg: AgencyConfig) -> bool:
    """Store the agency's data rules where the views read them (table data_rules, one row
    per agency and rule), and rebuild the stored totals when a rule changed. Returns
    whether one did.

    Today one rule: `[data_rules] co_responder_empty` — what an empty co-responder field
    means ("unknown", the default, or "not_co_responded" where the agency says so)."""
    rule, value, agency = "co_responder_empty", cfg.co_responder_empty, cfg.agency_key
    stored = con.execute("SELECT value FROM data_rules WHERE agency = $a AND rule = $r",
                         {"a": agency, "r": rule}).fetchall()
    if stored and stored[0][0] == value:
        return False
    con.execute("DELETE FROM data_rules WHERE agency = $a AND rule = $r", {"a": agency, "r": rule})
    con.execute("INSERT INTO data_rules VALUES ($a, $r, $v)", {"a": agency, "r": rule, "v": value})
    from . import rollups

    if _has_rows(con, "calls", agency) or _has_rows(con, "encounters", agency):  # (no rows: nothing to recount)
        rollups.refresh_rollups(con, cfg=cfg, agency=agency)  # only this agency's calls read the rule
    return True


def _has_rows(con: duckdb.DuckDBPyConnection, table: str, agency: str | None = None) -> bool:
    if agency is None:
        return bool(con.execute(f"SELECT EXISTS (SELECT 1 FROM {table})").fetchall()[0][0])
    return bool(con.execute(f"SELECT EXISTS (SELECT 1 FROM {table} WHERE {AGENCY_COLUMN} = $a)",
                            {"a": agency}).fetchall()[0][0])


def private(path: Path) -> None:
    """Owner-only permissions on the database and its write-ahead log: they hold
    pseudonymous person-level records, which nobody else on the server should read."""
    for p in (Path(path), Path(f"{path}.wal")):
        try:
            p.chmod(0o600)
        except FileNotFoundError:
            pass


@contextmanager
def writer(path: Path | str | None = None, cfg: AgencyConfig | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    con = connect(path, read_only=False, cfg=cfg)
    try:
        yield con
    finally:
        con.close()


def rows(con: duckdb.DuckDBPyConnection, sql: str, params: dict | None = None) -> list[dict]:
    """Run a query on its own cursor and return dicts (small results only)."""
    cur = con.cursor()
    try:
        res = cur.execute(sql, params or {})
        names = [d[0] for d in res.description]
        return [dict(zip(names, r)) for r in res.fetchall()]
    finally:
        cur.close()


def table_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    out = {}
    for name in list(schema.TABLES) + ["quarantine", "imports"]:
        out[name] = rows(con, f"SELECT count(*) AS n FROM {name}")[0]["n"]
    return out
