"""The rows of a typed read that need no second look, and their stored values, found
without per-value text work.

Why: the value rules (pmhc.value_rules) work on every value as text — trim whitespace of
every kind, cast, check the text's form — and that costs several times DuckDB's own read
of the file. A canonical export is instead read typed (pmhc.records: each column in its
type, date-times in the one form YYYY-MM-DD HH:MM:SS, a value of the wrong type rejects
its row into DuckDB's rejects instead of failing the file), and this module picks out,
with cheap tests on the typed values, the rows the text rules would certainly load as
they are. Every other row — a value in another form, a rule broken, a key that repeats,
a value near the edge of the plausible window — is read again from the file as text and
goes through the text rules unchanged (pmhc.importer), so each of those rows gets exactly
the reason, message and record it always got. The tests are sufficient conditions only:
a row they cannot vouch for takes the slow path, never a guess.

How the cheap tests stay exact:
- text: the file's bytes are known (reading.count_lines): with no control character in
  it, an ASCII value can only carry spaces around it, so `trim` (spaces) equals the full
  whitespace rule, and a value already starting and ending with a printable character is
  left as it is; other values use the full rule;
- whole numbers are read as text and pass only in their canonical form (`12`, not `12.0`
  or `0x0C`), which the text rules read the same way;
- numbers, dates and booleans are DuckDB's own casts, the same functions the text rules
  use (tests/test_fast_rows.py compares the two readings value by value);
- date-times become instants by the agency's offset of their day (pmhc.local_time), ICU
  only on the days around a daylight-saving change, where a time may not exist (sent to
  the text rules) or happen twice (flagged, as the text rules flag it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from datetime import date, timedelta
from pathlib import Path

import duckdb

from . import local_time, reading, records, schema
from .config import AgencyConfig
from .value_rules import trimmed_sql

# How each canonical type is read: whole numbers as text (their form is checked), date-times
# as local wall-clock times (made instants by local_time).
READ_TYPE = {"VARCHAR": "VARCHAR", "INTEGER": "VARCHAR", "BOOLEAN": "BOOLEAN", "DOUBLE": "DOUBLE", "DATE": "DATE",
             "TIMESTAMPTZ": "TIMESTAMP"}

# More rows than this for the text rules and the file is read as text instead (a second
# pass over the file for a few rows is cheap; for a large share of it, not).
SLOW_LIMIT = records.CAST_REJECTS_LIMIT


def read_types(table: schema.Table, header: list[str]) -> dict[str, str]:
    return {c: READ_TYPE[table.column(c).type] for c in header}


def clean_sql(expr: str) -> str:
    """SQL: a VARCHAR value as the text rules trim it (value_rules.trimmed_sql) when it is
    printable ASCII: only spaces can then surround it (a value with any other byte is sent
    to the text rules, load())."""
    return f"CASE WHEN {expr} >= '!' AND NOT suffix({expr}, ' ') THEN {expr} ELSE nullif(trim({expr}), '') END"


@dataclass
class Fast:
    """What load() left: the rows that load as they are are in the target table with the
    import's id; the others are in the text table for the value rules."""
    read: records.Read
    n_rows: int = 0  # rows loaded as they are
    flags: dict[str, int] = field(default_factory=dict)  # column → local times read as standard time (DST)


# Bits of `_import_id` above the import's id on a typed row: a local time that happens twice
# in that column (counted, then cleared). Ids stay far below 2**24.
FLAG_SHIFT = 24


@lru_cache(maxsize=8)
def _segments_cached(tz: str, first: date, last: date) -> tuple[local_time.Segment, ...]:
    con = duckdb.connect()
    try:
        con.execute(f"SET TimeZone = '{tz}'")
        return tuple(local_time.segments(con, first, last))
    finally:
        con.close()


def _values(table: schema.Table, header: list[str], offsets: dict[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """SQL per canonical column (alias f) of the value the text rules give it, and per
    date-time column of its wall-clock time."""
    values, local = {}, {}
    for c in table.columns:
        if c.name not in header:
            values[c.name] = f"CAST(NULL AS {c.type})"
            continue
        x = f"f.{records.ident(c.name)}"
        if c.type == "VARCHAR":
            # (a person identifier is hashed at once, so its exact trim is taken here)
            v = trimmed_sql(x) if c.name == "person_key" else clean_sql(x)
            values[c.name] = f"lower({v})" if c.values else v
        elif c.type == "INTEGER":
            values[c.name] = f"TRY_CAST({x} AS INTEGER)"
        elif c.type == "TIMESTAMPTZ":
            values[c.name] = local_time.instant_sql(x, offsets[c.name])
            local[c.name] = x
        else:
            values[c.name] = x
    return values, local


def _ok(table: schema.Table, header: list[str], values: dict[str, str], offsets: dict[str, str],
        window: tuple[date, date], tz: str) -> tuple[str, dict[str, str]]:
    """SQL: the row certainly passes every rule as it is; and per date-time column, SQL of
    'a local time that happens twice', as the text rules flag it."""
    earliest, latest = window
    conds, flags = [], {}
    for c in table.columns:
        v = values[c.name]
        if c.name not in header:
            if not c.nullable:
                conds.append("false")
            continue
        x = f"f.{records.ident(c.name)}"
        if c.type == "VARCHAR":
            ok = f"{v} IS NOT NULL" if not c.nullable else None
            if c.values:
                allowed = ", ".join(f"'{a}'" for a in c.values)
                ok = f"{v} IN ({allowed})" if not c.nullable else f"({v} IS NULL OR {v} IN ({allowed}))"
        elif c.type == "INTEGER":
            # only the canonical form: `012`, `12.0`, ` 12`, `0x0C` go to the text rules
            ok = f"({x} IS NULL OR TRY_CAST({x} AS INTEGER)::VARCHAR = {x})"
        elif c.type == "BOOLEAN":
            ok = None
        elif c.type == "DOUBLE":
            ok = f"(NOT isnan({x}) AND NOT isinf({x}))"
            if c.name in ("minutes", "officer_minutes"):
                ok = f"({ok} AND {x} >= 0)"
            ok = f"({x} IS NULL OR {ok})"
        elif c.type == "DATE":
            ok = (f"({x} IS NULL OR (NOT isinf({x}) AND {x} >= DATE '{earliest.isoformat()}' "
                  f"AND {x} <= DATE '{latest.isoformat()}'))")
        elif c.type == "TIMESTAMPTZ":
            # a day inside the window's edges (the text rules compare instants there), and a
            # time that exists on the agency's clock (checked through ICU on a change's days;
            # CASE, not OR: a branch is evaluated only for its rows)
            lo = (earliest + timedelta(days=1)).isoformat()
            hi = latest.isoformat()
            icu = f"CAST({x} AS TIMESTAMPTZ)"
            off = offsets[c.name]
            exists = f"CASE WHEN {off} IS NOT NULL THEN true ELSE timezone('{tz}', {icu}) = {x} END"
            ok = (f"CASE WHEN {x} IS NULL THEN true WHEN {x} < TIMESTAMP '{lo} 00:00:00' "
                  f"OR {x} >= TIMESTAMP '{hi} 00:00:00' THEN false ELSE {exists} END")
            flags[c.name] = (f"CASE WHEN {x} IS NULL OR {off} IS NOT NULL THEN false "
                             f"ELSE timezone('{tz}', {icu}) = {x} AND (timezone('{tz}', {icu} + INTERVAL 1 HOUR) = {x} "
                             f"OR timezone('{tz}', {icu} - INTERVAL 1 HOUR) = {x}) END")
        else:
            raise ValueError(c.type)
        if not c.nullable and c.type != "VARCHAR":
            ok = f"({x} IS NOT NULL AND {ok})" if ok else f"{x} IS NOT NULL"
        if ok:
            conds.append(f"coalesce({ok}, false)")
    return " AND ".join(conds) or "true", flags


def _bh_sql(call_type: str, bh_types: tuple[str, ...]) -> str:
    """SQL: the BH rule on the (trimmed) call type, `upper(call_type) IN bh_types`, with the
    upper-casing only for values that can match: exact matches first, then values of the
    byte length of one of the types (ASCII case never changes a length)."""
    if not bh_types:
        return f"CASE WHEN {call_type} IS NULL THEN NULL ELSE false END"
    lst = ", ".join("'" + t.replace("'", "''") + "'" for t in bh_types)
    lens = ", ".join(str(n) for n in sorted({len(t.encode()) for t in bh_types}))
    return (f"CASE WHEN {call_type} IS NULL THEN NULL WHEN {call_type} IN ({lst}) THEN true "
            f"WHEN strlen({call_type}) IN ({lens}) THEN upper({call_type}) IN ({lst}) ELSE false END")


def load(con: duckdb.DuckDBPyConnection, path: Path, header: list[str], table: schema.Table, cfg: AgencyConfig,
         window: tuple[date, date], import_id: int, person_sql, params: dict | None = None,
         slow_target: str = "stage_raw") -> Fast:
    """Read the canonical CSV at `path` typed, straight into `table`: rows the cheap tests
    vouch for get `_import_id` = `import_id`; rows for the text rules are read again as text
    into `slow_target` (with `_line`, the table pmhc.importer.validate_and_load reads) and
    leave the table. `person_sql(expr)` is the SQL of a person identifier's pseudonym, with
    its key in `params` (bound, never written into the statement).
    Raises records.ReadAsText when the typed reading cannot vouch for enough of the file
    (the caller then removes this import's rows and reads the file as text)."""
    tz = cfg.timezone
    iid = int(import_id)
    stamps = [c.name for c in table.columns if c.type == "TIMESTAMPTZ" and c.name in header]
    # Offsets for every day of the plausible window (days outside go to the text rules).
    segs = list(_segments_cached(tz, window[0], window[1])) if stamps else []
    offsets = {c: f"f._off{i}" for i, c in enumerate(stamps)}
    # The first date-time's offset is looked up; the others reuse it on the same local day
    # (a call is mostly received, attended and cleared on one day) and look theirs up else.
    first = [f"{local_time.offset_sql(records.ident(stamps[0]), segs)} AS _off0"] if stamps else []
    others = [f"CASE WHEN CAST({records.ident(c)} AS DATE) = CAST({records.ident(stamps[0])} AS DATE) THEN _off0 "
              f"ELSE {local_time.offset_sql(records.ident(c), segs)} END AS _off{i}"
              for i, c in enumerate(stamps) if i]
    values, local = _values(table, header, offsets)
    ok, flag_sql = _ok(table, header, values, offsets, window, tz)
    select = [f"{values[c.name]} AS {c.name}" for c in table.columns]
    if "person_key" in table.column_names:
        select[table.column_names.index("person_key")] = f"{person_sql(values['person_key'])} AS person_key"
    if table.name == "calls":
        bh = _bh_sql(values["call_type"], tuple(cfg.bh_call_types))
        select += [f"coalesce({values['bh_flag']}, {bh}) AS is_bh", f"{local['received_at']} AS received_local"]
    elif table.name == "arrests":
        select.append(f"{local['arrested_at']} AS arrested_local")  # an arrest's day is its agency's
    select.append("$agency AS agency")  # every row is of the agency importing it (bound)
    params = {**(params or {}), "agency": cfg.agency_key}
    marks = "".join(f" + (CAST({cond} AS INTEGER) << {FLAG_SHIFT + i})" for i, cond in enumerate(flag_sql.values()))
    # (a local time can happen twice only on a day around a change, where an offset is NULL)
    plain_days = " AND ".join(f"(f.{records.ident(c)} IS NULL OR {offsets[c]} IS NOT NULL)" for c in stamps) or "true"
    select.append(f"CAST(CASE WHEN NOT ({ok}) THEN -{iid} WHEN {plain_days} THEN {iid} ELSE {iid}{marks} END "
                  "AS INTEGER) AS _import_id")
    mine = f"(_import_id = -{iid} OR _import_id >= {iid})"  # this import's rows (earlier imports' ids are lower)
    statement = (f"INSERT INTO {table.name} BY NAME SELECT {', '.join(select)} "
                 f"FROM (SELECT *{''.join(', ' + o for o in others)} "
                 f"FROM (SELECT *{''.join(', ' + o for o in first)} FROM {{read}})) f")
    counted = f"SELECT count(*) AS n, min(rowid) AS first, max(rowid) AS last FROM {table.name} WHERE {mine}"
    read = records.read(con, path, header, table.name, types=read_types(table, header), into=(statement, counted),
                        params=params)
    fast = Fast(read=read)
    key = table.key

    # Rows for the text rules: those a cheap test did not vouch for, and — when the file has
    # bytes other than printable ASCII — those with such a byte in a text value (the cheap
    # trim looked at spaces only).
    bad = set(records.rows(con, f"SELECT list(rowid) AS r FROM {table.name} WHERE _import_id = -{iid}")[0]["r"] or [])
    if not (read.lines.plain and read.one_line_per_record):
        texts = [c.name for c in table.columns if c.type == "VARCHAR" and c.name in header]
        if texts:
            odd = " OR ".join(f"regexp_matches({c}, '[^ -~]')" for c in texts)
            more = records.rows(con, f"SELECT list(rowid) AS r FROM {table.name} WHERE {mine} AND ({odd})")[0]["r"]
            bad |= set(more or [])
    if len(bad) + len(read.cast_failed) > SLOW_LIMIT:
        raise records.ReadAsText(f"{len(bad) + len(read.cast_failed):,} rows need the text rules")

    # Rows rejected only for a value's type, as text (DuckDB kept each one's raw record).
    slow = _Slow(con, read, table, slow_target)
    slow.add({o: text.encode("utf-8") for o, text in read.cast_failed.items()})
    # Every row of a key that repeats, or that a row for the text rules also has (as the
    # text rules trim it), goes to the text rules with it: the last occurrence wins among
    # them there, as it always did. Rows sent on bring their keys: repeat until none is new.
    con.execute(f"CREATE OR REPLACE TEMP TABLE _slow_keys AS "
                f"SELECT {key} AS k FROM {table.name} WHERE {mine} GROUP BY ALL HAVING count(*) > 1")
    fetched: set[int] = set()
    while True:
        new = sorted(bad - fetched)
        if new:
            ordinals = read.ordinals([r - read.first_rowid for r in new])
            spans = {o: read.span(o) for o in ordinals}
            texts = reading.fetch_records(read.path, list(spans.values()))
            slow.add({o: texts[spans[o][0]] for o in ordinals})
            fetched |= set(new)
        if len(bad) + len(read.cast_failed) > SLOW_LIMIT:
            raise records.ReadAsText(f"{len(bad) + len(read.cast_failed):,} rows need the text rules")
        con.execute(f"INSERT INTO _slow_keys SELECT {trimmed_sql('s.' + records.ident(key), key=True)} "
                    f"FROM {slow_target} s")
        more = None
        if records.rows(con, "SELECT EXISTS (SELECT 1 FROM _slow_keys) AS e")[0]["e"]:
            more = records.rows(con, f"SELECT list(rowid) AS r FROM {table.name} WHERE {mine} "
                                     f"AND {key} IN (SELECT k FROM _slow_keys)")[0]["r"]
        more = set(more or []) - bad
        if not more:
            break
        bad |= more
    con.execute("DROP TABLE IF EXISTS _slow_keys")
    if bad:
        con.execute(f"DELETE FROM {table.name} WHERE rowid IN (SELECT unnest($r))", {"r": sorted(bad)})
    slow.finish()
    # Local times read as standard time where they happen twice, counted per column; then
    # the rows get the import's plain id.
    if flag_sql:
        counts = records.rows(con, f"SELECT _import_id >> {FLAG_SHIFT} AS mark, count(*) AS n FROM {table.name} "
                                   f"WHERE _import_id > {iid} GROUP BY ALL")
        for i, c in enumerate(flag_sql):
            n = sum(r["n"] for r in counts if (r["mark"] >> i) & 1)
            if n:
                fast.flags[c] = n
        if counts:
            con.execute(f"UPDATE {table.name} SET _import_id = {iid} WHERE _import_id > {iid}")
    fast.n_rows = read.n_rows - len(bad)
    return fast


def drop(con: duckdb.DuckDBPyConnection, table: schema.Table, import_id: int) -> None:
    """Remove what load() wrote for `import_id` (before the file is read as text instead)."""
    iid = int(import_id)
    con.execute(f"DELETE FROM {table.name} WHERE _import_id = -{iid} OR _import_id >= {iid}")
    for t in ("stage_raw", "_slow_read", "_slow_keys"):
        con.execute(f"DROP TABLE IF EXISTS {t}")


class _Slow:
    """Records for the text rules, collected as raw bytes and read by DuckDB as text into
    one table with `_line` (the same reader and dialect as every import)."""

    def __init__(self, con, read: records.Read, table: schema.Table, target: str):
        self.con, self.read, self.table, self.target = con, read, table, target
        self.parts: dict[int, bytes] = {}

    def add(self, texts: dict[int, bytes]) -> None:
        self.parts.update(texts)
        self._write()

    def _write(self) -> None:
        import csv
        import io
        import tempfile

        import pandas as pd

        con, read = self.con, self.read
        header = read.header
        ordinals = sorted(self.parts)
        with tempfile.TemporaryDirectory(prefix="pmhc-rows-") as tmp:
            path = Path(tmp) / "rows.csv"
            buf = io.StringIO()
            csv.writer(buf, lineterminator="\n").writerow(header)
            with path.open("wb") as f:
                f.write(buf.getvalue().encode("utf-8"))
                for o in ordinals:
                    text = self.parts[o]
                    f.write((text[:-2] if text.endswith(b"\r\n") else text[:-1] if text.endswith(b"\n") else text)
                            + b"\n")
            again = records.read(con, path, header, "_slow_read")
        if again.n_read != len(ordinals) or again.n_rows != len(ordinals) or again.rejected:
            # (a safety net: these records were read once already, in the same dialect)
            raise records.ReadAsText("rows read again from the file did not read back the same")
        lines = [read.line(o) for o in ordinals]
        con.register("_slow_lines", pd.DataFrame({"k": range(len(lines)), "_line": lines}))
        cols = ", ".join(f"s.{records.ident(c)}" for c in header)
        con.execute(f"CREATE OR REPLACE TEMP TABLE {self.target} AS SELECT {cols}, m._line "
                    f"FROM (SELECT *, rowid - $first AS k FROM _slow_read) s JOIN _slow_lines m USING (k) "
                    "ORDER BY m._line", {"first": again.first_rowid})
        con.unregister("_slow_lines")
        con.execute("DROP TABLE IF EXISTS _slow_read")

    def finish(self) -> None:
        self._write()
        for c in self.table.column_names:
            if c not in self.read.header:
                self.con.execute(f"ALTER TABLE {self.target} ADD COLUMN {c} VARCHAR")
