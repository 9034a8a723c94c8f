"""The dashboard's shared read-only database connection, reopened when the file changes.

The dashboard only reads: DuckDB allows many read-only processes per file, and an
import (another process, or the Data page) writes it. The stamp of the database and
settings files keys every cache, so a re-import or a config edit is never served stale.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import streamlit as st

from . import db
from .config import config_dir, current_workspace, default_db_path


def _settings_files() -> list[Path]:
    """The settings files figures depend on: the agency's (in view), and in a hub the hub's
    and every agency's (pooled figures read them all)."""
    files = [config_dir() / "agency.toml", config_dir() / "assumptions.toml"]
    ws = current_workspace()
    if ws is not None and ws.is_hub:
        files.append(ws.hub_file)
        for key in ws.agency_keys():
            folder = ws.agencies_dir / key
            files += [folder / "agency.toml", folder / "assumptions.toml"]
    return files


def _stamp() -> tuple:
    """Identifies the database and settings files' versions: any re-import or config edit
    changes it, so cached connections and figures are never stale."""
    path = default_db_path()
    parts: list = [str(path)]
    for p in (path, Path(f"{path}.wal"), *_settings_files()):
        try:
            s = p.stat()
            parts += [s.st_mtime_ns, s.st_size]
        except FileNotFoundError:
            parts += [None, None]
    return tuple(parts)


@st.cache_resource(ttl=6 * 3600, max_entries=2, show_spinner=False)
def _open(path: str, stamp: tuple) -> duckdb.DuckDBPyConnection:
    # Keyed by the file's stamp so a re-imported file (a new snapshot, pmhc.snapshots) is
    # reopened. An evicted connection is not closed here: a viewer may be mid-query on it;
    # it closes when the last reference goes.
    return db.connect(path, read_only=True)


def connection() -> duckdb.DuckDBPyConnection | None:
    """The shared read-only connection; None when the database file does not exist."""
    path = default_db_path()
    if not path.exists():
        return None
    return _open(str(path), _stamp())
