"""The agency's disposition map, stored where the SQL views read it.

An agency with only CAD records how a call ended as a disposition code. The map from
codes to canonical outcomes lives in config/agency.toml [dispositions]; the writer copies
it into the `disposition_map` table (queries/models.sql) on every read-write open, so
`call_outcome_facts` applies it in SQL and a changed map takes effect without re-importing.
"""

from __future__ import annotations

import duckdb

from .config import AgencyConfig


def write(con: duckdb.DuckDBPyConnection, cfg: AgencyConfig) -> bool:
    """Replace the stored map with the configured one (a no-op when they are equal);
    returns whether it changed."""
    stored = sorted(tuple(r) for r in con.execute("SELECT code, outcome FROM disposition_map").fetchall())
    if stored == sorted(cfg.dispositions):
        return False
    con.execute("DELETE FROM disposition_map")
    if cfg.dispositions:
        con.executemany("INSERT INTO disposition_map VALUES (?, ?)", [list(p) for p in cfg.dispositions])
    return True
