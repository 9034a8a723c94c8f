"""Stored daily call totals, so call figures cost the same at 10 million calls as at 100 thousand.

The figure queries for calls (volume_calls, outcomes_calls, officer_time, bh_call_heatmap,
data_range, districts, calls_by_category, and the booked share in savings_inputs) read the daily tables
built here instead of scanning every call; the contact figures read the contacts with
their call's district and arrest link already joined (encounter_facts_stored). Each
table is defined by the named query of the same name in queries/rollups.sql; this
module only stores those results.

They are rebuilt in full (not patched) inside the import's own transaction, so a
re-import that replaces or corrects rows, or a change of the agency's behavioral-health
call types, can never leave a stale total behind, and a failed import leaves the
previous totals untouched. A database written by an older version (table missing or
defined by different SQL) gets its tables rebuilt the next time it is opened for writing.
"""

from __future__ import annotations

import hashlib

import duckdb

from . import sql

# Stored table (= named query) → base tables whose change makes it stale.
ROLLUPS: dict[str, tuple[str, ...]] = {
    "call_day_rollup": ("calls", "arrests"),
    "call_category_rollup": ("calls", "arrests"),
    "bh_hour_rollup": ("calls",),
    "encounter_facts_stored": ("calls", "encounters", "arrests"),
}


def _definition_hash(name: str) -> str:
    return hashlib.sha256(sql.get(name).sql.encode("utf-8")).hexdigest()[:16]


def _build(con: duckdb.DuckDBPyConnection, name: str) -> None:
    # Table names come from ROLLUPS (constants); the SELECT is the named query.
    con.execute(f"CREATE OR REPLACE TABLE {name} AS {sql.get(name).sql}")
    con.execute("INSERT OR REPLACE INTO settings VALUES ($k, $v)",
                {"k": f"rollup:{name}", "v": _definition_hash(name)})


def ensure(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Build any stored table that is missing or was built by different SQL; returns their names."""
    stored = dict(con.execute("SELECT key, value FROM settings WHERE key LIKE 'rollup:%'").fetchall())
    existing = {r[0] for r in con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() "
        "AND schema_name = current_schema()").fetchall()}
    built = []
    for name in ROLLUPS:
        if name not in existing or stored.get(f"rollup:{name}") != _definition_hash(name):
            _build(con, name)
            built.append(name)
    return built


# Stored tables whose rows are each of one agency (grouped by it): an import of one
# agency's export rebuilds only that agency's rows, so importing the fiftieth agency of a
# hub does not recount the other forty-nine. encounter_facts_stored numbers people across
# the whole table (person_no), so it is rebuilt whole.
PER_AGENCY = ("call_day_rollup", "call_category_rollup", "bh_hour_rollup")


def _rebuild_agency(con: duckdb.DuckDBPyConnection, name: str, agency: str) -> None:
    con.execute(f"DELETE FROM {name} WHERE agency = $a", {"a": agency})
    con.execute(f"INSERT INTO {name} SELECT * FROM ({sql.get(name).sql}) WHERE agency = $a", {"a": agency})


def refresh_rollups(con: duckdb.DuckDBPyConnection, changed_table: str | None = None,
                    agency: str | None = None) -> list[str]:
    """Rebuild the stored totals that depend on `changed_table` (all of them when None);
    with `agency`, only that agency's rows of the tables kept per agency.

    Runs on the caller's connection and transaction (the import's), so it sees the
    rows just loaded. Returns the names of the tables rebuilt.
    """
    names = [n for n, deps in ROLLUPS.items() if changed_table is None or changed_table in deps]
    for name in names:
        if agency is not None and name in PER_AGENCY:
            _rebuild_agency(con, name, agency)
        else:
            _build(con, name)
    return names
