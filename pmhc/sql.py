"""Named queries from queries/*.sql, so every figure has exactly one SQL definition.

A file holds one metric family; each query in it starts with a header line
`-- name: query_name`. Parameters are DuckDB named parameters (`$start`), bound at
execution, never formatted into the text.

The queries run on a DuckDB connection, or on another engine that takes the same text
(an `Engine`, e.g. pmhc.spark.SparkEngine, which translates it for Apache Spark).
"""

from __future__ import annotations

import contextvars
import re
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Protocol

import duckdb
import pandas as pd

from .config import QUERIES_DIR

_NAME = re.compile(r"^--\s*name:\s*([a-z_][a-z0-9_]*)\s*$", re.MULTILINE)
_PARAM = re.compile(r"(?<![:$\w])\$([a-z_][a-z0-9_]*)")


@dataclass(frozen=True)
class Query:
    name: str
    family: str  # file stem, e.g. "volume"
    path: Path
    sql: str
    doc: str  # the comment lines right after the name header

    @property
    def params(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(_PARAM.findall(_strip_comments(self.sql))))

    @property
    def location(self) -> str:
        return f"queries/{self.path.name} :: {self.name}"


def _strip_comments(sql: str) -> str:
    return "\n".join(line.split("--", 1)[0] for line in sql.splitlines())


def parse_file(path: Path) -> dict[str, Query]:
    text = path.read_text(encoding="utf-8")
    parts = _NAME.split(text)
    out: dict[str, Query] = {}
    # parts = [preamble, name1, body1, name2, body2, ...]
    for name, body in zip(parts[1::2], parts[2::2]):
        doc_lines = []
        for line in body.strip().splitlines():
            if line.startswith("--"):
                doc_lines.append(line[2:].strip())
            else:
                break
        if name in out:
            raise ValueError(f"{path}: query {name!r} is defined twice")
        out[name] = Query(name, path.stem, path, body.strip().rstrip(";"), " ".join(doc_lines))
    return out


@lru_cache(maxsize=None)
def _catalog(directory: str) -> dict[str, Query]:
    out: dict[str, Query] = {}
    for path in sorted(Path(directory).glob("*.sql")):
        for name, q in parse_file(path).items():
            if name in out:
                raise ValueError(f"query {name!r} is defined in both {out[name].path.name} and {path.name}")
            out[name] = q
    return out


def catalog(directory: Path = QUERIES_DIR) -> dict[str, Query]:
    return _catalog(str(directory))


def get(name: str) -> Query:
    try:
        return catalog()[name]
    except KeyError:
        raise KeyError(f"no query named {name!r} in {QUERIES_DIR}") from None


# Names of the queries run while a recording is active (a page's "Figures on this page
# come from" line lists exactly these: pmhc.ui.start begins one per page run).
_RECORDING: contextvars.ContextVar[set | None] = contextvars.ContextVar("pmhc_sql_recording", default=None)


@contextmanager
def recording():
    """Collect the names of the named queries run inside the block (nested blocks each get theirs)."""
    names: set[str] = set()
    token = _RECORDING.set(names)
    try:
        yield names
    finally:
        _RECORDING.reset(token)


def start_recording() -> set[str]:
    """Begin collecting query names for the rest of this thread's run; returns the set."""
    names: set[str] = set()
    _RECORDING.set(names)
    return names


def note(*names: str) -> None:
    """Count queries as run (e.g. ones a cached result was computed with)."""
    rec = _RECORDING.get()
    if rec is not None:
        rec.update(names)


def _bind(q: Query, params: dict | None) -> dict:
    note(q.name)
    params = dict(params or {})
    missing = [p for p in q.params if p not in params]
    if missing:
        raise TypeError(f"{q.location} needs parameters {missing}")
    return {p: params[p] for p in q.params}


class EngineUnavailable(RuntimeError):
    """An engine that cannot run here; the message says what is missing and how to get it."""


class Engine(Protocol):
    """Another engine the named queries run on, in place of a DuckDB connection: given a
    query (its DuckDB text) and its bound parameters, it returns what DuckDB returns."""

    def df(self, query: Query, params: dict) -> pd.DataFrame: ...

    def records(self, query: Query, params: dict) -> list[dict]: ...

    def close(self) -> None: ...


def df(con: duckdb.DuckDBPyConnection | Engine, name: str, params: dict | None = None) -> pd.DataFrame:
    """Run a named query on its own cursor and return a DataFrame."""
    q = get(name)
    if not isinstance(con, duckdb.DuckDBPyConnection):
        return con.df(q, _bind(q, params))
    cur = con.cursor()
    try:
        return cur.execute(q.sql, _bind(q, params)).df()
    finally:
        cur.close()


def records(con: duckdb.DuckDBPyConnection | Engine, name: str, params: dict | None = None) -> list[dict]:
    q = get(name)
    if not isinstance(con, duckdb.DuckDBPyConnection):
        return con.records(q, _bind(q, params))
    cur = con.cursor()
    try:
        res = cur.execute(q.sql, _bind(q, params))
        cols = [d[0] for d in res.description]
        return [dict(zip(cols, r)) for r in res.fetchall()]
    finally:
        cur.close()


def one(con: duckdb.DuckDBPyConnection | Engine, name: str, params: dict | None = None) -> dict:
    rs = records(con, name, params)
    if len(rs) != 1:
        raise ValueError(f"{get(name).location} returned {len(rs)} rows, expected 1")
    return rs[0]
