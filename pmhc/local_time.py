"""Local wall-clock times to instants without a time-zone lookup per value.

Why: exports give times on the agency's wall clock, stored as instants (TIMESTAMPTZ).
DuckDB converts each one through ICU, about a microsecond a value — three columns of ten
million calls cost more than reading the file. But the agency's offset from UTC changes
only at daylight-saving changes, a few days a year: on every other day it is one number.
So the offset is looked up once per day (through ICU, the same rules as everywhere else)
and a value becomes `local − offset`, plain arithmetic; values on the days around a change
(where a local time may not exist or may happen twice) still go through ICU, so every
value gets exactly the instant ICU gives it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import duckdb


@dataclass(frozen=True)
class Segment:
    start: date  # first local day
    offset: float | None  # seconds local − UTC for every time of these days; None: ICU decides


def segments(con: duckdb.DuckDBPyConnection, first: date, last: date) -> list[Segment]:
    """Runs of local days with one UTC offset in the connection's time zone (pmhc.db.configure
    sets it to the agency's), from `first` to `last`. A day counts as one offset only when
    every hour from the day before to the day after has it, so a change within a day of a
    time (where `time ± 1 hour` may fall on the other side) never reads as plain arithmetic."""
    rows = con.execute(
        """WITH d AS (SELECT CAST(generate_series AS DATE) AS day
                      FROM generate_series(CAST($lo AS DATE) - 1, CAST($hi AS DATE) + 1, INTERVAL 1 DAY)),
                h AS (SELECT day, epoch(day + to_hours(hh)) - epoch(CAST(day + to_hours(hh) AS TIMESTAMPTZ)) AS off
                      FROM d, range(0, 25) r(hh)),
                per_day AS (SELECT day, CASE WHEN min(off) = max(off) THEN min(off) END AS off
                            FROM h GROUP BY day)
           SELECT day, CASE WHEN off = lag(off) OVER w AND off = lead(off) OVER w THEN off END AS off
           FROM per_day WINDOW w AS (ORDER BY day) ORDER BY day""",
        {"lo": first, "hi": last}).fetchall()
    out: list[Segment] = []
    for day, off in rows[1:-1]:
        if not out or out[-1].offset != off:
            out.append(Segment(day, off))
    out.append(Segment(last + timedelta(days=1), None))  # after the data: ICU
    return out


def offset_sql(expr: str, segs: list[Segment]) -> str:
    """SQL: the UTC offset (seconds) of the naive local TIMESTAMP `expr`, or NULL on a day
    around a change or outside the segments. A nested CASE halves the days at each level,
    so a value meets a handful of comparisons however long the data's span."""
    if not segs:
        return "CAST(NULL AS DOUBLE)"
    bounded = [Segment(date.min, None)] + list(segs)

    def tree(lo: int, hi: int) -> str:
        if hi - lo == 1:
            off = bounded[lo].offset
            return "CAST(NULL AS DOUBLE)" if off is None else f"CAST({off!r} AS DOUBLE)"
        mid = (lo + hi) // 2
        return f"CASE WHEN {expr} < TIMESTAMP '{bounded[mid].start.isoformat()} 00:00:00' " \
               f"THEN {tree(lo, mid)} ELSE {tree(mid, hi)} END"

    return tree(0, len(bounded))


def instant_sql(expr: str, offset: str) -> str:
    """SQL: the instant (TIMESTAMPTZ) of naive local time `expr` whose offset is `offset`
    (offset_sql), through ICU where the offset is NULL."""
    # CASE evaluates a branch only for its rows: ICU runs on the few days around a change.
    return (f"CASE WHEN {offset} IS NOT NULL THEN to_timestamp(epoch({expr}) - {offset}) "
            f"ELSE CAST({expr} AS TIMESTAMPTZ) END")


def span_days(first: date | None, last: date | None) -> tuple[date, date] | None:
    if first is None or last is None:
        return None
    return first - timedelta(days=1), last + timedelta(days=1)
