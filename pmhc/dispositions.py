"""The agency's disposition map, stored where the SQL views read it.

An agency with only CAD records how a call ended as a disposition code. The map from
codes to canonical outcomes lives in config/agency.toml [dispositions]; the writer copies
it into the `disposition_map` table (queries/models.sql) on every read-write open, so
`call_outcome_facts` applies it in SQL and a changed map takes effect without re-importing.
"""

from __future__ import annotations

import duckdb

from .config import AgencyConfig


def stored(con: duckdb.DuckDBPyConnection, agency: str) -> list[tuple]:
    """The map the database holds for `agency` (a hub holds one per agency), sorted."""
    return sorted(tuple(r) for r in con.execute(
        "SELECT code, outcome FROM disposition_map WHERE agency = $a", {"a": agency}).fetchall())


def write(con: duckdb.DuckDBPyConnection, cfg: AgencyConfig) -> bool:
    """Replace the agency's stored map with its configured one (a no-op when they are
    equal); other agencies' maps in a hub are left alone. Returns whether it changed."""
    agency = cfg.agency_key
    if stored(con, agency) == sorted(cfg.dispositions):
        return False
    con.execute("DELETE FROM disposition_map WHERE agency = $a", {"a": agency})
    if cfg.dispositions:
        con.executemany("INSERT INTO disposition_map VALUES (?, ?, ?)", [[agency, *p] for p in cfg.dispositions])
    return True
