"""DuckDB SQL of queries/*.sql as Spark SQL, so Spark runs the same text DuckDB runs.

The .sql files stay the one definition of every figure; sqlglot translates each query
(DuckDB → Spark) the first time an engine asks for it, and the result is cached. Named
parameters keep their names (`$start` becomes `:start`) and are bound by Spark at
execution (`spark.sql(text, args=...)`), never formatted into the text.

sqlglot's Spark output is right for all but a few constructs; where it is not, the
correction is made here, once, for every query (each is checked against DuckDB on the
small fixture in tests/test_spark.py):

- ISO weekday: sqlglot writes `(DAYOFWEEK(x) % 7) + 1`, which assumes Sunday = 0, but
  Spark's DAYOFWEEK counts Sunday as 1; Spark's WEEKDAY (Monday = 0) + 1 is `isodow`.
- List overlap: `list_has_any(a, b)` becomes `a && b`, which Spark does not parse;
  Spark's function is ARRAYS_OVERLAP.
- `epoch_us(ts)` (microseconds since 1970 of an instant) is Spark's UNIX_MICROS.
- Parts of a date or time (`hour(x)`, `isodow(x)`) and row numbers and ranks are BIGINT in
  DuckDB and INT in Spark; they are cast to BIGINT so a column has the same type from
  either engine.
- A number with a decimal point is a DECIMAL literal in both engines, but DuckDB divides
  and averages decimals as DOUBLE while Spark keeps a DECIMAL of six places
  (100 / 60.0 = 1.666667). Such literals are written as DOUBLE for Spark, so a rate or
  an average comes out as the same double DuckDB gives.

- A DATE parameter is bound as ISO text and cast to DATE in the SQL (pmhc.spark says why).
- DuckDB macros (`CREATE MACRO` in queries/models.sql: or_unknown, co_responded_rule,
  scene_minutes) have no Spark counterpart: each call is replaced by the macro's body
  with its arguments put in, so the one definition in models.sql serves both engines.

Constructs that are written differently in the two engines but mean the same are left to
sqlglot (strftime → DATE_FORMAT, list → COLLECT_LIST, string_split → SPLIT, GROUP BY ALL
and FILTER (WHERE …) as they are, NULLS LAST on every ORDER BY, since Spark sorts NULL
first). Constructs that mean different things, or that Spark cannot run, are written in
the .sql files in a form both engines read alike, with the same DuckDB results:
date differences as date_diff('day', a, b), not a − b (a number of days in DuckDB, an
INTERVAL in Spark); the earliest follow-up as date_diff of min(date), not min of a
difference (Spark cannot aggregate an expression mixing a correlated subquery's outer and
inner columns); a month of an instant as strftime(ts, '%Y-%m') in the session's zone, not
via DuckDB's timezone(current_setting(…)); and a sum read as a count cast to BIGINT (DuckDB
sums BIGINT to HUGEINT, which pandas gets as a float).
"""

from __future__ import annotations

from functools import lru_cache

import re

import sqlglot
from sqlglot import exp
from sqlglot.dialects.spark import Spark
from sqlglot.generators.spark import SparkGenerator

# Named functions of DuckDB sqlglot leaves as they are → the Spark function of the same meaning.
_FUNCTIONS = {"EPOCH_US": "UNIX_MICROS"}


class _PmhcSparkGenerator(SparkGenerator):
    TRANSFORMS = {
        **SparkGenerator.TRANSFORMS,
        exp.DayOfWeekIso: lambda self, e: f"(WEEKDAY({self.sql(e, 'this')}) + 1)",
        exp.ArrayOverlaps: lambda self, e: self.func("ARRAYS_OVERLAP", e.this, e.expression),
    }


class PmhcSpark(Spark):
    """Spark SQL as pmhc writes it (sqlglot's Spark dialect with the corrections above)."""

    Generator = _PmhcSparkGenerator


# Parts of a date or time (hour(x), isodow(x) …): BIGINT in DuckDB, INT in Spark.
_DATE_PARTS = tuple(getattr(exp, name) for name in (
    "Year", "Quarter", "Month", "Week", "WeekOfYear", "Day", "DayOfMonth", "DayOfWeek", "DayOfWeekIso",
    "DayOfYear", "Hour", "Minute", "Second") if hasattr(exp, name))


# Row numbers and ranks (row_number() OVER …): BIGINT in DuckDB, INT in Spark.
_RANKS = tuple(getattr(exp, name) for name in ("RowNumber", "Rank", "DenseRank", "Ntile") if hasattr(exp, name))


def _is_int_in_spark(node: exp.Expression) -> bool:
    return isinstance(node, _DATE_PARTS) or (isinstance(node, exp.Window) and isinstance(node.this, _RANKS))


def _correct(node: exp.Expression, dates: frozenset[str]) -> exp.Expression:
    if _is_int_in_spark(node) and not isinstance(node.parent, exp.Cast):
        return exp.cast(node.copy(), "BIGINT")
    if isinstance(node, exp.Anonymous) and str(node.this).upper() in _FUNCTIONS:
        return exp.Anonymous(this=_FUNCTIONS[str(node.this).upper()], expressions=node.expressions)
    if isinstance(node, exp.Literal) and not node.is_string and "." in node.this \
            and "e" not in node.this.lower():
        return exp.cast(node.copy(), "DOUBLE")
    if isinstance(node, exp.Placeholder) and node.name in dates:
        return exp.cast(node.copy(), "DATE")
    return node


_MACRO = re.compile(r"CREATE\s+(?:OR\s+REPLACE\s+)?MACRO\s+(\w+)\s*\(([^)]*)\)\s+AS\s+(.*?);?\s*$",
                    re.IGNORECASE | re.DOTALL)


@lru_cache(maxsize=None)
def _macros() -> dict[str, tuple[list[str], exp.Expression]]:
    """The scalar macros of queries/models.sql: lower-case name → (parameters, body)."""
    from . import sql
    from .config import QUERIES_DIR

    out = {}
    for q in sql.parse_file(QUERIES_DIR / "models.sql").values():
        m = _MACRO.search(q.sql.strip())
        if m:
            params = [p.strip().lower() for p in m.group(2).split(",") if p.strip()]
            out[m.group(1).lower()] = (params, parse(m.group(3)))
    return out


def _expand(node: exp.Expression) -> exp.Expression:
    """A call of a macro → its body with the call's arguments in place of its parameters."""
    if not (isinstance(node, exp.Anonymous) and str(node.this).lower() in _macros()):
        return node
    params, body = _macros()[str(node.this).lower()]
    args = dict(zip(params, node.expressions))

    def put(n: exp.Expression) -> exp.Expression:
        if isinstance(n, exp.Column) and not n.table and n.name.lower() in args:
            return args[n.name.lower()].copy()
        return n

    return exp.Paren(this=body.copy().transform(put)).transform(_expand)


def parse(duckdb_sql: str) -> exp.Expression:
    """One DuckDB statement as a sqlglot tree (raises sqlglot.ParseError on a typo)."""
    return sqlglot.parse_one(duckdb_sql, read="duckdb")


def _generate(tree: exp.Expression, dates: frozenset[str]) -> str:
    tree = tree.transform(_expand).transform(lambda node: _correct(node, dates))
    return PmhcSpark().generate(tree, unsupported_level=sqlglot.ErrorLevel.RAISE)


@lru_cache(maxsize=None)
def to_spark(duckdb_sql: str, dates: frozenset[str] = frozenset()) -> str:
    """The Spark SQL text of one DuckDB statement (cached: each query is transpiled once per
    process). `dates` names the parameters bound as ISO text that the SQL reads as DATE
    (pmhc.spark binds dates so). Raises sqlglot.errors.UnsupportedError when sqlglot
    knows it cannot express a construct in Spark, rather than writing something else."""
    return _generate(parse(duckdb_sql), dates)


def view_of(duckdb_sql: str) -> tuple[str, str] | None:
    """(name, Spark SELECT) of a `CREATE [OR REPLACE] VIEW name AS SELECT …` statement, which
    Spark registers as a temporary view of the session; None for any other statement."""
    tree = parse(duckdb_sql)
    if not (isinstance(tree, exp.Create) and str(tree.args.get("kind", "")).upper() == "VIEW"):
        return None
    return tree.this.name, _generate(tree.expression, frozenset())
