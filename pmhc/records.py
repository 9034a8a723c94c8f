"""DuckDB's read of one CSV file with every record accounted for.

DuckDB reads the file into a temp table (every column as text, or typed: then a value
of the wrong type rejects its record into `csv_rejects` instead of failing the file),
and this module answers, for every record, where it is: its physical lines in the file
(also after values with embedded newlines and blank lines) and the line a user is told
(the sheet row for a workbook). The record count is checked against a second reader
(pmhc.reading): a file whose counts disagree is refused whole with the first line where
reading went wrong.

Rows of the table are numbered by rowid, which follows file order in a table made in
one statement (insertion order is preserved); rejected records are not in the table,
so row k is record k + (rejected records before it).
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from . import reading

# A typed read stops being worth it when this many values fail their type: the file is
# then read as text (pmhc.importer), which reads every value whatever its form.
CAST_REJECTS_LIMIT = 20_000

# Sheet row numbers of CSV files converted from a workbook (reading.xlsx_to_csv), by path:
# quarantine reports the row a user sees in Excel, not a line of the temporary CSV.
LINE_NUMBERS: dict[str, list[int]] = {}


class ReadAsText(Exception):
    """The typed read cannot vouch for this file (too many values of another type or form,
    say): it is read as text instead, with the same result."""


def ident(name: str) -> str:
    """A column name from an export header as a quoted SQL identifier (a `"` in it is doubled)."""
    return '"' + str(name).replace('"', '""') + '"'


def csv_options(columns: dict[str, str], typed: bool = False) -> dict:
    """read_csv options: the explicit dialect of every export (nothing is sniffed)."""
    opts = {
        "header": True,
        "delim": ",",
        "quote": '"',
        "escape": '"',
        "auto_detect": False,
        "columns": columns,
        "strict_mode": True,
        "store_rejects": True,
        "rejects_table": "csv_rejects",
        "rejects_scan": "csv_rejects_scan",
        "null_padding": False,
        "encoding": "utf-8",
    }
    if typed:
        # Only this one form is read as a date-time here; any other (a 'T', an offset, a
        # fraction, a date alone, 24:00) is a rejected value and goes to the text rules.
        opts["timestampformat"] = "%Y-%m-%d %H:%M:%S"
        opts["rejects_limit"] = CAST_REJECTS_LIMIT
    return opts


@dataclass
class Read:
    """The records of one file as read into `table`, and where each one is."""
    path: Path
    table: str
    header: list[str]
    n_read: int  # records: rows in `table` + rejected records
    n_rows: int  # rows in `table`
    first_rowid: int
    lines: reading.Lines
    rejected: list[dict] = field(default_factory=list)  # records rejected for their structure (quarantine dicts)
    cast_failed: dict[int, str] = field(default_factory=dict)  # record → its text, rejected only for a value's type
    reject_ordinals: list[int] = field(default_factory=list)  # every rejected record, sorted
    starts: list[int] | None = None  # physical first line per record (None: record k is line k + 2)
    ends: list[int] | None = None
    reported: list[int] | None = None  # line shown to the user per record (a sheet's row numbers)

    @property
    def one_line_per_record(self) -> bool:
        return self.starts is None

    def ordinals(self, ks: list[int]) -> list[int]:
        """The record of each of the table's rows `ks` (0-based, file order): row k is record
        k + (rejected records before it)."""
        if not self.reject_ordinals:
            return list(ks)
        # Rejected record i has o_i - i good rows before it, so it comes before row k when
        # o_i - i <= k; that count is non-decreasing in i.
        shifts = [o - i for i, o in enumerate(self.reject_ordinals)]
        return [k + bisect.bisect_right(shifts, k) for k in ks]

    def span(self, ordinal: int) -> tuple[int, int]:
        """Physical first and last line of a record."""
        if self.starts is None:
            return ordinal + 2, ordinal + 2
        return self.starts[ordinal], self.ends[ordinal]

    def line(self, ordinal: int) -> int:
        """The line a user is told for a record: its physical first line, or its sheet row."""
        if self.reported is not None:
            return self.reported[ordinal]
        return self.span(ordinal)[0]

    def add_line_column(self, con: duckdb.DuckDBPyConnection) -> None:
        """Give `table` a `_line` column: each row's line as a user is told it."""
        t = self.table
        # Numbered in place (ALTER + UPDATE), not copied: a copy of 10 million rows costs seconds.
        con.execute(f"ALTER TABLE {t} ADD COLUMN _k BIGINT")
        con.execute(f"UPDATE {t} SET _k = rowid - $first", {"first": self.first_rowid})
        ord_sql = "_k"
        if self.reject_ordinals:
            breaks = [(o - i, i + 1) for i, o in enumerate(self.reject_ordinals)]
            con.execute("CREATE OR REPLACE TEMP TABLE _line_shift (k_from BIGINT, shift BIGINT)")
            con.executemany("INSERT INTO _line_shift VALUES (?, ?)", breaks)
            ord_sql = f"_k + coalesce((SELECT max(shift) FROM _line_shift s WHERE s.k_from <= {t}._k), 0)"
        if self.starts is None and self.reported is None:
            con.execute(f"ALTER TABLE {t} ADD COLUMN _line BIGINT; UPDATE {t} SET _line = {ord_sql} + 2")
        else:
            import pandas as pd

            line_of = self.reported if self.reported is not None else self.starts
            con.register("_line_map_df", pd.DataFrame({"ord": range(len(line_of)), "line": line_of}))
            con.execute(f"ALTER TABLE {t} ADD COLUMN _ord BIGINT; UPDATE {t} SET _ord = {ord_sql}")
            con.execute(f"ALTER TABLE {t} ADD COLUMN _line BIGINT; UPDATE {t} SET _line = m.line "
                        f"FROM _line_map_df m WHERE m.ord = {t}._ord")
            con.unregister("_line_map_df")
        con.execute("DROP TABLE IF EXISTS _line_shift")


def rows(con: duckdb.DuckDBPyConnection, sql: str, params: dict | None = None) -> list[dict]:
    res = con.execute(sql, params or {})
    names = [d[0] for d in res.description]
    return [dict(zip(names, r)) for r in res.fetchall()]


def read(con: duckdb.DuckDBPyConnection, path: Path, header: list[str], target: str,
         types: dict[str, str] | None = None, lines: reading.Lines | None = None,
         into: tuple[str, str] | None = None, params: dict | None = None) -> Read:
    """Read the CSV at `path` into temp table `target`, columns as in the header: all text,
    or typed by `types` (header name → DuckDB type). `lines` is the second reader's count
    of the file (reading.count_lines), taken here when not given.

    `into` = (statement, rows) writes the records elsewhere instead: `statement` holds
    `{read}`, the records as a subquery (columns named as in the header), and `rows` is a
    query for the count, first and last rowid of the rows it wrote, which must be
    consecutive in file order (an INSERT of one statement appends them so); `params` are
    bound to `statement` beside the reader's options.

    A typed read raises ReadAsText when more than CAST_REJECTS_LIMIT values fail
    their type (the caller reads the file as text instead)."""
    typed = types is not None
    columns = {c: (types or {}).get(c, "VARCHAR") for c in header}
    con.execute("DROP TABLE IF EXISTS csv_rejects; DROP TABLE IF EXISTS csv_rejects_scan")
    opts = csv_options(columns, typed)
    # read_csv options are bound as parameters; the column names come from the file header,
    # quoted as identifiers.
    cols = ", ".join(ident(c) for c in header)
    names = ", ".join(f"{k}=${k}" for k in opts)
    source = f"(SELECT {cols} FROM read_csv($path, {names}))"
    statement, counted = into or (f"CREATE OR REPLACE TEMP TABLE {target} AS {{read}}",
                                  f"SELECT count(*) AS n, min(rowid) AS first, max(rowid) AS last FROM {target}")
    try:
        con.execute(statement.replace("{read}", source), {"path": str(path), **opts, **(params or {})})
    except duckdb.Error:
        # A damaged gzip stream can stop DuckDB's read: the second reader names the damage.
        if lines is None:
            reading.count_lines(path)
        raise
    raw_rejects = rows(con, "SELECT line, error_type, error_message, column_name, csv_line FROM csv_rejects "
                            "ORDER BY line, column_idx")
    # The rejects tables hold the raw lines (person identifiers included): gone once read.
    con.execute("DROP TABLE IF EXISTS csv_rejects; DROP TABLE IF EXISTS csv_rejects_scan")
    if typed and len(raw_rejects) >= CAST_REJECTS_LIMIT:
        raise ReadAsText(f"{path.name}: over {CAST_REJECTS_LIMIT:,} values of the wrong type")
    by_line: dict[int, list[dict]] = {}
    for r in raw_rejects:
        by_line.setdefault(int(r["line"]), []).append(r)
    # The second reader's count (reading.count_lines), taken by now beside DuckDB's read
    # when pmhc.importer started it (reading.scanning).
    lines = lines or reading.count_lines(path)
    counts = rows(con, counted)[0]
    n_good = counts["n"]
    if n_good and counts["last"] - counts["first"] + 1 != n_good:
        raise ReadAsText(f"{path.name}: the rows read were not written in one run")  # read as text then
    counts["first"] = counts["first"] or 0
    n_read = n_good + len(by_line)
    out = Read(path=path, table=target, header=header, n_read=n_read, n_rows=n_good, first_rowid=counts["first"],
               lines=lines)

    override = LINE_NUMBERS.get(str(path))
    if lines.physical - 1 == n_read:
        # One physical line per record and none skipped: DuckDB's line is the physical line.
        ordinal_of = {line: line - 2 for line in by_line}
    else:
        records = reading.scan_records(path, len(header))
        if len(records) != n_read:
            first_quote = next((ln for ln, rs in by_line.items()
                                if any(x["error_type"] == "UNQUOTED VALUE" for x in rs)), None)
            if first_quote is not None:
                # DuckDB counts lines without the newlines inside values: find the physical line.
                raise reading.Refused(reading.unclosed_quote(path.name, _physical(records, first_quote)))
            raise reading.Refused(
                f"{path.name}: the file holds {len(records):,} records but the CSV reader read {n_read:,}; "
                f"nothing was imported. Reading first went wrong near line {_first_gap(records, by_line, n_good)}: "
                "check that line's quotes and separators, then import again.")
        ordinal_of, embedded = {}, 0
        duck_line = {}
        for i, r in enumerate(records):
            duck_line[r.start - embedded] = i
            embedded += r.end - r.start
        for line in by_line:
            if line not in duck_line:
                raise reading.Refused(f"{path.name}: line {line}: the CSV reader and an independent count of the "
                                      "file's records disagree here; nothing was imported. Check that line's "
                                      "quotes and separators, then import again.")
            ordinal_of[line] = duck_line[line]
        out.starts = [r.start for r in records]
        out.ends = [r.end for r in records]
    if override is not None:
        if len(override) != n_read:
            raise reading.Refused(f"{path.name}: the sheet holds {len(override):,} rows but {n_read:,} were read; "
                                  "nothing was imported.")
        out.reported = override
    out.reject_ordinals = sorted(ordinal_of[line] for line in by_line)
    for line, rs in by_line.items():
        for r in rs:
            if r["error_type"] == "UNQUOTED VALUE" and "\n" in (r["csv_line"] or ""):
                raise reading.Refused(reading.unclosed_quote(path.name, out.span(ordinal_of[line])[0],
                                                             (r["csv_line"] or "").count("\n") + 1))
    for line, rs in sorted(by_line.items()):
        if all(r["error_type"] == "CAST" for r in rs):
            # Only a value's type failed (a typed read): the record goes to the text rules,
            # which say what is wrong with the value (or read it, in a form the typed read skips).
            out.cast_failed[ordinal_of[line]] = rs[0]["csv_line"]
            continue
        worst = min(rs, key=lambda x: reading.REJECT_ORDER.index(x["error_type"])
                    if x["error_type"] in reading.REJECT_ORDER else len(reading.REJECT_ORDER))
        reason, message = reading.reject_reason(worst["error_type"], worst["error_message"], worst["column_name"],
                                                len(header))
        record = worst["csv_line"]
        if reason == "too_long":
            record = None  # megabytes of text are not kept; the line number finds the row
        out.rejected.append({
            "line": out.line(ordinal_of[line]),
            "column_name": worst["column_name"] if reason in ("encoding", "quote") and worst["column_name"] else "*",
            "value": None, "reason": reason, "message": message, "record": record,
        })
    return out


def _physical(records: list[reading.Record], duck_line: int) -> int:
    embedded = 0
    for r in records:
        if r.start - embedded >= duck_line:
            return r.start
        embedded += r.end - r.start
    return duck_line


def _first_gap(records: list[reading.Record], by_line: dict, n_good: int) -> int:
    """The first record the second reader found that the CSV reader did not account for."""
    if by_line:
        return _physical(records, min(by_line))
    return records[min(n_good, len(records) - 1)].start if records else 2
