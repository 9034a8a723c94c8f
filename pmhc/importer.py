"""Import exports into the canonical tables without losing or double-counting a row.

Path of a file: read every field as text (explicit CSV dialect, no type guessing) →
stage as canonical columns → validate and cast in DuckDB → bad rows to `quarantine`
with line, column and reason → good rows upserted on the natural key. The ledger
holds rows in file = rows loaded + rows quarantined for every file.

The validation SQL is generated from `schema.py` by pmhc.value_rules (identifiers are
schema constants, values are bound parameters) so that adding a column needs one edit.
Files are counted a second time by pmhc.reading; one run of several files, its snapshot
and its ledger of unfinished runs are pmhc.imports and pmhc.snapshots.

Its size (~700 lines) is the one path from a staged file to the tables, kept in one
place on purpose: reading with line accounting, quarantine with the person identifiers
protected, and the upsert share the same temp tables and transaction.
"""

from __future__ import annotations

import hashlib
import json
import zlib
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Callable

import duckdb

from . import fast_rows, progress, reading, records, rollups, schema
from .value_rules import (_SPACE_CHARS, WindowError, _problem_selects, _typed_sql, clean_name,  # noqa: F401
                          date_window, trimmed_sql)
from .config import AgencyConfig, agency_selection, load_agency
from .pseudonym import SecretError, person_key_sql, person_params, pseudonym
from .snapshots import fault_point

# A stager turns a file into a temp table `stage_raw` of canonical VARCHAR columns plus
# `_line` (physical line of the record), and returns rejected records (structure errors)
# as quarantine dicts. Mapping profiles (pmhc.profiles) provide their own stager.
Stager = Callable[[duckdb.DuckDBPyConnection, Path, schema.Table], "StageResult"]


class ImportError_(Exception):
    """A file that cannot be imported at all (wrong columns, unreadable)."""


@dataclass
class StageResult:
    rows_in_file: int
    rejected: list[dict] = field(default_factory=list)  # line, column_name, value, reason, message, record
    extra: dict = field(default_factory=dict)  # stager-specific report (profiles)
    # Optional temp table of rows the stager itself rejected (columns line, column_name, value,
    # reason, message, record), inserted into quarantine in one statement.
    rejected_table: str | None = None
    rows_collapsed: int = 0  # rows merged into another row with the same key (profile [collapse])
    # Rows that are not records of this table: a profile filling several tables from one
    # export keeps only the rows its [TABLE.where] names (e.g. arrests: "Subject Arrested").
    rows_other_tables: int = 0


@dataclass
class FileReport:
    file: str
    table: str | None
    sha256: str
    rows_in_file: int = 0
    rows_loaded: int = 0
    rows_new: int = 0
    rows_updated: int = 0  # rows that replaced a stored row with different values
    rows_unchanged: int = 0  # rows whose stored row already held the same values
    rows_quarantined: int = 0
    rows_collapsed: int = 0
    rows_other_tables: int = 0  # rows of the export that are records of the profile's other tables only
    status: str = "loaded"
    message: str = ""
    import_id: int | None = None
    extra: dict = field(default_factory=dict)
    flags: list[dict] = field(default_factory=list)  # loaded rows with a value read in a stated way

    @property
    def balanced(self) -> bool:
        return self.rows_in_file == (self.rows_loaded + self.rows_quarantined + self.rows_collapsed
                                     + self.rows_other_tables)

    def summary(self) -> str:
        if self.status != "loaded":
            return f"{self.file}: NOT IMPORTED — {self.message}"
        return (
            f"{self.file} → {self.table}: {self.rows_in_file:,} rows in file = "
            f"{self.rows_loaded:,} loaded ({self.rows_new:,} new, {self.rows_updated:,} updated, "
            f"{self.rows_unchanged:,} unchanged) + "
            f"{self.rows_quarantined:,} quarantined"
            + (f" + {self.rows_collapsed:,} merged into a row with the same key" if self.rows_collapsed else "")
            + (f" + {self.rows_other_tables:,} for the profile's other tables only ([{self.table}.where])"
               if self.rows_other_tables else "")
            + "".join(f"\n  flagged: {f['rows']:,} row(s): {f['message']}" for f in self.flags)
        )


def rows(con: duckdb.DuckDBPyConnection, sql: str, params: dict | None = None) -> list[dict]:
    """Query on the import connection itself: temp tables are invisible to other cursors."""
    res = con.execute(sql, params or {})
    names = [d[0] for d in res.description]
    return [dict(zip(names, r)) for r in res.fetchall()]


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def read_header(path: Path) -> list[str]:
    """First record of a CSV (plain or .gz), split with the csv module; a damaged gzip file
    or UTF-16 text is refused here (reading.Refused) rather than read as garbage."""
    import csv
    import io

    try:
        with reading.open_binary(path) as f:
            first = f.readline(1 << 20)
    except (EOFError, OSError, zlib.error) as e:
        if not reading.is_gzip(path):
            raise
        raise reading.Refused(f"{path.name}: the gzip file is damaged ({e}); nothing was imported. Compress the "
                              "export again, or import the uncompressed .csv.") from None
    if first.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise reading.Refused(f"{path.name}: the file is UTF-16 text; nothing was imported. Save it as UTF-8 "
                              "(in Excel: 'CSV UTF-8 (Comma delimited)') and import again.")
    if not first.strip():
        raise reading.Refused(f"{path.name}: the file is empty{'' if first else ' (0 bytes)'}: it has no header "
                              "row; nothing was imported. Export it again.")
    text = first.decode("utf-8-sig", errors="replace").rstrip("\r\n")
    return next(csv.reader(io.StringIO(text)), [])


ident = records.ident
# Sheet row numbers of CSV files converted from a workbook, by path (pmhc.records).
_LINE_NUMBERS = records.LINE_NUMBERS


def read_csv_text(con: duckdb.DuckDBPyConnection, path: Path, header: list[str], target: str) -> tuple[int, list[dict]]:
    """Read a CSV into temp table `target` (all VARCHAR, columns as in the header) plus `_line`.

    Returns (records in file, structural rejects). The record count is checked against a
    second reader (pmhc.records, pmhc.reading): a file whose counts disagree is refused
    whole with the first line where reading went wrong, and `_line` is the physical line
    where a record starts, also after values with embedded newlines and blank lines.
    """
    read = records.read(con, path, header, target)
    read.add_line_column(con)
    return read.n_read, read.rejected


def separator_hint(raw_header: list[str]) -> str:
    """A sentence for a header that is one field holding another separator, else ''."""
    if len(raw_header) == 1:
        for sep, word in ((";", "semicolons"), ("\t", "tabs"), ("|", "vertical bars")):
            if sep in raw_header[0]:
                return (f" The file looks separated by {word}, not commas: export it as comma-separated CSV "
                        "(or use a mapping profile that names the delimiter).")
    return ""


def canonical_header(path: Path, table: schema.Table) -> list[str]:
    """The header of a canonical CSV, which must name exactly the table's columns (any order)."""
    raw_header = read_header(path)
    header = [clean_name(h) for h in raw_header]
    known = set(table.column_names)
    missing = [c for c in table.required_names if c not in header]
    unknown = [h for h in header if h not in known]
    dupes = sorted({h for h in header if header.count(h) > 1})
    if missing or unknown or dupes:
        problems = []
        if missing:
            problems.append(f"missing required column(s) {', '.join(missing)}")
        if unknown:
            problems.append(f"unknown column(s) {', '.join(unknown)}")
        if dupes:
            problems.append(f"repeated column(s) {', '.join(dupes)}")
        separator = separator_hint(raw_header)
        raise ImportError_(
            f"{path.name}: {'; '.join(problems)}. Columns found: {', '.join(header) or '(none)'}. "
            f"A {table.name} file needs: {', '.join(table.required_names)}"
            f" (optional: {', '.join(c for c in table.column_names if c not in table.required_names) or 'none'}). "
            "Rename the columns, or import with a mapping profile (--profile)." + separator
        )
    return header


def canonical_stager(con: duckdb.DuckDBPyConnection, path: Path, table: schema.Table) -> StageResult:
    """Stage a canonical CSV as text: every value read as text into `stage_raw`, for the
    value rules to trim, cast and check (validate_and_load)."""
    header = canonical_header(path, table)
    n, rejected = read_csv_text(con, path, header, "stage_read")
    # Renamed, not copied (a copy of 10 million rows costs seconds); optional columns the
    # file lacks are added empty. Everything downstream reads stage_raw's columns by name.
    con.execute("DROP TABLE IF EXISTS stage_raw")
    con.execute("ALTER TABLE stage_read RENAME TO stage_raw")
    for c in table.column_names:
        if c not in header:
            con.execute(f"ALTER TABLE stage_raw ADD COLUMN {c} VARCHAR")
    return StageResult(rows_in_file=n, rejected=rejected)


def typed_stager(con: duckdb.DuckDBPyConnection, path: Path, table: schema.Table, cfg: AgencyConfig,
                 window: tuple[date, date], import_id: int) -> tuple[StageResult, fast_rows.Fast | None]:
    """Stage a canonical CSV typed (pmhc.fast_rows): the rows that load as they are go
    straight into the table with the import's id, the others to `stage_raw` as text for
    the value rules. A file whose values mostly fail the typed reading (another date-time
    form, say) is staged as text instead (canonical_stager): the same result, at the text
    rules' speed."""
    header = canonical_header(path, table)
    params = person_params(table, con) if "person_key" in table.column_names else {}
    try:
        fast = fast_rows.load(con, path, header, table, cfg, window, import_id, _person_expr, params)
    except records.ReadAsText:
        fast_rows.drop(con, table, import_id)
        return canonical_stager(con, path, table), None
    return StageResult(rows_in_file=fast.read.n_read, rejected=fast.read.rejected), fast


# ---------------------------------------------------------------- validation (rules: pmhc.value_rules)

def validate_and_load(con: duckdb.DuckDBPyConnection, table: schema.Table, cfg: AgencyConfig,
                      import_id: int, report: FileReport, rejected: list[dict],
                      allow_unmapped: bool = False, rejected_table: str | None = None,
                      window: tuple[date, date] | None = None,
                      track: progress.Tracker | None = None, fast: fast_rows.Fast | None = None) -> None:
    """stage_raw → typed → quarantine + upsert, with the rows of a typed read that load as
    they are (`fast`, pmhc.fast_rows) upserted beside them. Fills the report's counts."""
    track = track or progress.Tracker(report.file, None)
    track.begin("validating", report.rows_in_file or None)
    casts = []
    for c in table.columns:
        raw = trimmed_sql(f"s.{c.name}", key=c.name.endswith("_id"))
        casts.append(f"{raw} AS raw_{c.name}")
        casts.append(f"{_typed_sql(c, raw)} AS {c.name}")
    con.execute(f"CREATE OR REPLACE TEMP TABLE typed AS SELECT s._line, {', '.join(casts)} FROM stage_raw s")

    problems, flag_rules = _problem_selects(table, allow_unmapped, cfg, window, with_flags=True)
    con.execute("CREATE OR REPLACE TEMP TABLE problems (_line BIGINT, column_name VARCHAR, value VARCHAR, "
                "reason VARCHAR, message VARCHAR, ord INTEGER)")
    for i, (col, reason, cond, msg) in enumerate(problems):
        con.execute(
            f"INSERT INTO problems SELECT t._line, $col, t.raw_{col}, $reason, "
            f"replace($msg, '{{v}}', coalesce(left(t.raw_{col}, 80), '')), $ord FROM typed t WHERE {cond}",
            {"col": col, "reason": reason, "msg": msg, "ord": i},
        )
    flags = []
    for col, reason, cond, msg in flag_rules:
        n = rows(con, f"SELECT count(*) AS n FROM typed t WHERE {cond}")[0]["n"]
        n += fast.flags.get(col, 0) if fast is not None else 0  # the typed read's own rows
        if n:
            flags.append({"column": col, "reason": reason, "rows": n, "message": msg})
    report.flags = flags
    # Duplicate keys among otherwise valid rows: the last row in the file wins. (A typed
    # read sends every row of a repeated key here, pmhc.fast_rows.)
    key = table.key
    con.execute(
        f"""INSERT INTO problems
        SELECT _line, $key, {key}, 'duplicate',
               'same ' || $key || ' as line ' || kept_line || ', which was kept (the last occurrence wins); '
               || 'remove one of the two rows if they are not the same record', 100000
        FROM (
            SELECT _line, {key}, max(_line) OVER (PARTITION BY {key}) AS kept_line
            FROM typed t WHERE _line NOT IN (SELECT _line FROM problems)
              -- only keys that repeat need the window (a hash count is much cheaper than a sort)
              AND {key} IN (SELECT {key} FROM typed WHERE _line NOT IN (SELECT _line FROM problems)
                            GROUP BY {key} HAVING count(*) > 1)
        ) WHERE _line < kept_line""",
        {"key": key},
    )
    # One quarantine row per bad input row: its first problem, with all problems in the message.
    # The record keeps every field for the administrator fixing the row, except the person
    # identifier, which is stored as its pseudonym like everywhere else in the database.
    has_person = "person_key" in table.column_names
    hashed = _person_expr("t.raw_person_key") if has_person else "NULL"
    raw_cols = ", ".join(f"'{c.name}', " + (hashed if c.name == "person_key" else f"t.raw_{c.name}")
                         for c in table.columns)
    value = f"CASE WHEN p.column_name = 'person_key' THEN {hashed} ELSE p.value END" if has_person else "p.value"
    note = (f"CASE WHEN t.raw_person_key IS NOT NULL THEN '{PSEUDONYMISED_NOTE}' ELSE '' END"
            if has_person else "''")
    hmac = person_params(table, con) if has_person else {}
    con.execute(
        f"""INSERT INTO quarantine ({QUARANTINE_COLUMNS}, record_key)
        SELECT $import_id, $file, $sha, $table, p._line, p.column_name, {value}, p.reason,
               p.message || coalesce(' | also: ' || p.others, '') || {note},
               json_object({raw_cols})::VARCHAR, t.raw_{key}
        FROM (
            SELECT _line,
                   arg_min(column_name, ord) AS column_name, arg_min(value, ord) AS value,
                   arg_min(reason, ord) AS reason, arg_min(message, ord) AS message,
                   CASE WHEN count(*) > 1 THEN string_agg(column_name || ': ' || reason, '; ' ORDER BY ord)
                   END AS others
            FROM problems GROUP BY _line
        ) p JOIN typed t USING (_line)""",
        {"import_id": import_id, "file": report.file, "sha": report.sha256, "table": table.name, **hmac},
    )
    if rejected:
        con.executemany(
            f"INSERT INTO quarantine ({QUARANTINE_COLUMNS}, record_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(import_id, report.file, report.sha256, table.name, r["line"], r["column_name"], r["value"],
              r["reason"], r["message"], r["record"], r.get("record_key")) for r in rejected],
        )
    n_bad = rows(con, "SELECT count(DISTINCT _line) AS n FROM problems")[0]["n"] + len(rejected)
    if rejected_table:
        con.execute(
            f"INSERT INTO quarantine ({QUARANTINE_COLUMNS}) SELECT $import_id, $file, $sha, $table, line, "
            "column_name, value, reason, "
            f"message, record FROM {rejected_table}",
            {"import_id": import_id, "file": report.file, "sha": report.sha256, "table": table.name},
        )
        n_bad += rows(con, f"SELECT count(*) AS n FROM {rejected_table}")[0]["n"]
        con.execute(f"DROP TABLE {rejected_table}")

    track.end(report.rows_in_file)
    # Good rows → target with this import's id (beside the typed read's rows, `fast`); then
    # rows stored before with the same keys are replaced (re-imports never double-count).
    select = [f"t.{c.name}" for c in table.columns]
    for c in table.columns:
        if c.name == "person_key":
            select[table.column_names.index("person_key")] = person_key_sql("t.person_key")
    is_calls = table is schema.CALLS or table.name == "calls"
    derived = [_is_bh_sql("t"), "timezone($tz, t.received_at) AS received_local"] if is_calls else []
    if table.name == "arrests":
        derived = ["timezone($tz, t.arrested_at) AS arrested_local"]
    params = {"import_id": import_id, "agency": cfg.agency_key, **hmac,
              **({"tz": cfg.timezone, "bh_types": list(cfg.bh_call_types)} if is_calls else {}),
              **({"tz": cfg.timezone} if table.name == "arrests" else {})}
    n_good = rows(con, "SELECT count(*) AS n FROM typed t WHERE t._line NOT IN (SELECT _line FROM problems)")[0]["n"]
    n_good += fast.n_rows if fast is not None else 0
    track.begin("upserting", n_good)
    con.execute(
        f"INSERT INTO {table.name} BY NAME SELECT {', '.join(select + derived)}, $agency AS agency, "
        "$import_id::INTEGER AS _import_id FROM typed t WHERE t._line NOT IN (SELECT _line FROM problems)", params)
    n_stored, n_changed = _replace_stored(con, table, import_id, cfg.agency_key)
    # A fixed row imported again replaces its earlier quarantine entry: quarantine rows of
    # earlier imports (of this agency) whose key is now loaded, or quarantined again by this
    # import, are gone.
    q = {"table": table.name, "import_id": import_id, "agency": cfg.agency_key}
    earlier = rows(con, "SELECT EXISTS (SELECT 1 FROM quarantine WHERE table_name = $table AND import_id <> $import_id "
                        "AND record_key IS NOT NULL AND agency IS NOT DISTINCT FROM $agency) AS e", q)[0]["e"]
    if earlier:
        con.execute(
            f"""DELETE FROM quarantine WHERE table_name = $table AND import_id <> $import_id AND record_key IS NOT NULL
            AND agency IS NOT DISTINCT FROM $agency
            AND (record_key IN (SELECT {key} FROM {table.name} WHERE _import_id = $import_id)
                 OR record_key IN (SELECT record_key FROM quarantine WHERE import_id = $import_id))""", q)
    con.execute("UPDATE quarantine SET agency = $agency WHERE import_id = $import_id",
                {"agency": cfg.agency_key, "import_id": import_id})
    for tmp in ("typed", "problems", "good", "stage_raw"):
        con.execute(f"DROP TABLE IF EXISTS {tmp}")
    track.end(n_good)
    report.rows_quarantined = n_bad
    report.rows_loaded = n_good
    report.rows_updated = n_changed
    report.rows_unchanged = n_stored - n_changed
    report.rows_new = n_good - n_stored


def _replace_stored(con: duckdb.DuckDBPyConnection, table: schema.Table, import_id: int,
                    agency: str) -> tuple[int, int]:
    """Remove the rows of `agency` stored before whose key this import loaded again, and say
    how many there were and how many of them held other values: (stored, changed). Natural
    keys are unique per agency: another agency of a hub may use the same incident numbers,
    and its rows stay. Compared on the values as stored (person identifiers as pseudonyms),
    so re-importing an identical export reports its rows unchanged, not updated. Notes what
    changed for the stored totals."""
    key = table.key
    if not rows(con, f"SELECT EXISTS (SELECT 1 FROM {table.name} WHERE _import_id IS DISTINCT FROM $import_id) AS e",
                {"import_id": import_id})[0]["e"]:
        rollups.note_full(con, table.name)  # a first load (of any agency): its stored totals are built whole
        return 0, 0
    old = "_import_id IS DISTINCT FROM $import_id AND agency = $agency"
    params = {"import_id": import_id, "agency": agency}
    if table.name == "arrests" and not rows(con, f"SELECT EXISTS (SELECT 1 FROM arrests WHERE {old}) AS e",
                                            params)[0]["e"]:
        # The agency's first arrest records: each of its BH calls is now measured for arrests
        # (queries/models.sql :: call_outcome_facts), so all its call days are recomputed.
        rollups.note_rows(con, "calls", "agency = $agency", {"agency": agency})
    new_keys = f"SELECT {key} FROM {table.name} WHERE _import_id = $import_id"
    differs = " OR ".join(f"o.{c.name} IS DISTINCT FROM n.{c.name}" for c in table.columns if c.name != key)
    r = rows(con, f"SELECT count(*) AS n, count(*) FILTER (WHERE {differs or 'false'}) AS changed "
                  f"FROM (SELECT * FROM {table.name} WHERE {old}) o "
                  f"JOIN (SELECT * FROM {table.name} WHERE _import_id = $import_id) n ON o.{key} = n.{key}",
             params)[0]
    n_stored, n_changed = int(r["n"]), int(r["changed"])
    if n_stored:
        rollups.note_rows(con, table, f"{old} AND {key} IN ({new_keys})", params)
        con.execute(f"DELETE FROM {table.name} WHERE {old} AND {key} IN ({new_keys})", params)
    rollups.note_loaded(con, table, import_id)
    return n_stored, n_changed


QUARANTINE_COLUMNS = ("import_id, file_name, sha256, table_name, line, column_name, value, reason, message, "
                      "record")


def _is_bh_sql(alias: str) -> str:
    return (f"coalesce({alias}.bh_flag, upper(trim({alias}.call_type)) IN (SELECT unnest($bh_types::VARCHAR[]))) "
            "AS is_bh")


def derivation(cfg: AgencyConfig) -> str:
    """The settings an agency's stored calls are derived with (BH list, time zone)."""
    return json.dumps({"bh_call_types": list(cfg.bh_call_types), "timezone": cfg.timezone})


def derivation_key(cfg: AgencyConfig) -> str:
    """Where the derivation is noted in `settings`: one per agency (each has its own)."""
    return f"derivation:{cfg.agency_key}"


def reclassify(con: duckdb.DuckDBPyConnection, cfg: AgencyConfig) -> bool:
    """Re-apply the BH rule and time zone to the agency's stored calls if its settings
    changed (another agency's calls in a hub keep their own)."""
    current, key = derivation(cfg), derivation_key(cfg)
    stored = rows(con, "SELECT value FROM settings WHERE key = $k", {"k": key})
    if stored and stored[0]["value"] == current:
        return False
    # The agency's calls and arrests may move to other days: their totals are recomputed on
    # the days they leave and the days they arrive on (the other agencies' stay as they are).
    mine = "agency = $a"
    for t in ("calls", "arrests"):
        rollups.note_rows(con, t, mine, {"a": cfg.agency_key})
    con.execute(
        "UPDATE calls SET is_bh = coalesce(bh_flag, upper(trim(call_type)) IN "
        "(SELECT unnest($bh_types::VARCHAR[]))), received_local = timezone($tz, received_at) WHERE agency = $a",
        {"bh_types": list(cfg.bh_call_types), "tz": cfg.timezone, "a": cfg.agency_key},
    )
    con.execute("UPDATE arrests SET arrested_local = timezone($tz, arrested_at) WHERE agency = $a",
                {"tz": cfg.timezone, "a": cfg.agency_key})
    for t in ("calls", "arrests"):
        rollups.note_rows(con, t, mine, {"a": cfg.agency_key})
    con.execute("INSERT OR REPLACE INTO settings VALUES ($k, $v)", {"k": key, "v": current})
    return True


# ---------------------------------------------------------------- people in quarantined rows

PSEUDONYMISED_NOTE = " [the person identifier in this row is stored as its pseudonym]"
DROPPED_NOTE = " [export columns the profile does not read are not kept]"


def _person_expr(raw: str) -> str:
    """SQL for the pseudonym of a raw identifier expression (as stored in the tables)."""
    return person_key_sql(raw).removesuffix(" AS person_key")


def _person_columns(tbl: schema.Table, stager) -> tuple[set[str], set[str] | None]:
    """(names of the fields holding a person identifier, names of the fields a quarantined
    record may keep — None for all), lower-case. A mapping profile reads named export
    columns; an export's other columns (a name, a date of birth) are not kept for it."""
    person = {"person_key"} if "person_key" in tbl.column_names else set()
    profile = getattr(stager, "profile", None)
    if profile is None:
        return person, None
    if "person_key" in profile.columns:
        person.add(profile.columns["person_key"].lower())
    return person, {c.lower() for c in profile.source_columns()}


def _protect_record(record, person: set[str], keep: set[str] | None, header: list[str]) -> tuple[str | None, str]:
    """A quarantined record with person identifiers replaced by pseudonyms and unread
    columns left out, and the note for its message ("" when nothing changed). Records are
    JSON objects (field → text) or raw CSV lines."""
    if record is None:
        return record, ""
    try:
        obj = json.loads(record)
    except ValueError:
        obj = None
    if not isinstance(obj, dict):
        return _protect_line(str(record), person, keep, header)
    hashed = dropped = False
    out = {}
    for k, v in obj.items():
        name = str(k).lower()
        if keep is not None and name not in keep and name not in person:
            dropped = True
            continue
        if name in person and isinstance(v, str) and v.strip():
            v, hashed = pseudonym(v), True
        out[k] = v
    note = (PSEUDONYMISED_NOTE if hashed else "") + (DROPPED_NOTE if dropped else "")
    return (json.dumps(out, ensure_ascii=False) if note else record), note


def _protect_line(line: str, person: set[str], keep: set[str] | None, header: list[str]) -> tuple[str, str]:
    """A raw CSV line (a row with the wrong number of fields). The field under a person
    column is replaced by its pseudonym; with fields missing or extra the identifier may
    have shifted, so every field it could have shifted to is replaced. Columns a profile
    does not read are emptied, and a shifted row of such an export is not kept at all
    (which field is a name or a date of birth is then unknown)."""
    import csv
    import io

    names = [h.strip().lower() for h in header]
    idx = [i for i, h in enumerate(names) if h in person]
    drop = [i for i, h in enumerate(names) if keep is not None and h not in keep and h not in person]
    if not idx and not drop:
        return line, ""
    fields = next(csv.reader(io.StringIO(line)), [])
    shift = abs(len(fields) - len(names))
    if shift and drop:
        return (f"(not kept: the row has {len(fields)} fields for {len(names)} columns and the export has "
                "columns the profile does not read, which cannot be told apart here; see the file at this line)",
                DROPPED_NOTE)
    # Extra fields push the identifier right of its column, missing ones left.
    lo, hi = (0, shift) if len(fields) > len(names) else (-shift, 0)
    hit = {j for i in idx for j in range(i + lo, i + hi + 1) if 0 <= j < len(fields) and fields[j].strip()}
    gone = {j for j in drop if j < len(fields) and fields[j]}
    if not hit and not gone:
        return line, ""
    out = [pseudonym(f) if j in hit else ("" if j in gone else f) for j, f in enumerate(fields)]
    buf = io.StringIO()
    csv.writer(buf, lineterminator="").writerow(out)
    return buf.getvalue(), (PSEUDONYMISED_NOTE if hit else "") + (DROPPED_NOTE if gone else "")


def _protect_rejects(con: duckdb.DuckDBPyConnection, path: Path, tbl: schema.Table, staged: StageResult,
                     stager) -> None:
    """Person identifiers in the rows a stager rejected are pseudonymised before they reach
    the quarantine table (the validated rows are handled in validate_and_load)."""
    person, keep = _person_columns(tbl, stager)
    if not person and keep is None:
        return
    header = read_header(path)

    def protect(column, value, message, record):
        record, note = _protect_record(record, person, keep, header)
        if str(column or "").lower() in person and value and str(value).strip():
            value = pseudonym(value)
            note = note if PSEUDONYMISED_NOTE in note else PSEUDONYMISED_NOTE + note
        return value, (message or "") + note, record, bool(note)

    for r in staged.rejected:
        r["value"], r["message"], r["record"], _ = protect(r["column_name"], r["value"], r["message"], r["record"])
    if not staged.rejected_table:
        return
    t = staged.rejected_table
    updates = []
    for r in rows(con, f"SELECT rowid AS rid, column_name, value, message, record FROM {t}"):
        value, message, record, changed = protect(r["column_name"], r["value"], r["message"], r["record"])
        if changed:
            updates.append((value, message, record, r["rid"]))
    if updates:
        con.executemany(f"UPDATE {t} SET value = ?, message = ?, record = ? WHERE rowid = ?", updates)


def _key_rejects(path: Path, tbl: schema.Table, staged: StageResult, stager) -> None:
    """The key of each row rejected for its structure (wrong field count, encoding…), read
    from its raw line where the key's field is there, so that importing the fixed row later
    clears this quarantine entry like any other."""
    if not staged.rejected:
        return
    import csv

    profile = getattr(stager, "profile", None)
    source = profile.columns.get(tbl.key) if profile is not None and hasattr(profile, "columns") else tbl.key
    header = [clean_name(h) for h in read_header(path)]
    if not isinstance(source, str) or clean_name(source) not in header:
        return
    at = header.index(clean_name(source))
    for r in staged.rejected:
        fields = next(csv.reader([r["record"]]), []) if isinstance(r.get("record"), str) else []
        if len(fields) > at and "\n" not in r["record"]:
            key = fields[at].strip(_SPACE_CHARS)
            r["record_key"] = "".join(ch for ch in key if ch.isprintable() and ch not in "\u200b\u200c\u200d\u2060\ufeff") \
                or None


def _next_import_id(con: duckdb.DuckDBPyConnection) -> int:
    return rows(con, "SELECT coalesce(max(import_id), 0) + 1 AS n FROM imports")[0]["n"]


def _record(con: duckdb.DuckDBPyConnection, r: FileReport, profile: str | None, agency: str | None = None) -> None:
    con.execute(
        "INSERT INTO imports (import_id, file_name, table_name, sha256, imported_at, profile, rows_in_file, "
        "rows_loaded, rows_new, rows_updated, rows_unchanged, rows_quarantined, rows_merged, rows_other_tables, "
        "status, message, agency) VALUES ($id, $file, $table, $sha, $at, $profile, $n, $loaded, $new, $upd, $same, "
        "$q, $merged, $other, $status, $msg, $agency)",
        {"id": r.import_id, "file": r.file, "table": r.table, "sha": r.sha256,
         "at": datetime.now(timezone.utc), "profile": profile, "n": r.rows_in_file, "loaded": r.rows_loaded,
         "new": r.rows_new, "upd": r.rows_updated, "same": r.rows_unchanged, "q": r.rows_quarantined,
         "merged": r.rows_collapsed, "other": r.rows_other_tables, "status": r.status,
         "msg": r.message, "agency": agency},
    )


def import_file(con: duckdb.DuckDBPyConnection, path: Path | str, *, table: str | None = None,
                cfg: AgencyConfig | None = None, stager: Stager | None = None,
                profile_name: str | None = None, allow_unmapped: bool = False,
                display_name: str | None = None, window: tuple[date, date] | None = None,
                sheet: str | int | None = None, on_progress: progress.Listener | None = None,
                rollups_later: bool = False) -> FileReport:
    """Import one file in one transaction; the ledger entry is written even when the file is rejected.

    A workbook (.xlsx) is read as its first sheet (or `sheet`) through the same stager,
    validation and quarantine as a CSV, with the sheet's row numbers as line numbers.
    `on_progress` hears each stage (progress.IMPORT_STAGES) start and end, with its rows.
    With `rollups_later` the stored totals are left to the caller's rollups.update() (one
    run of several files updates them once, pmhc.imports); otherwise they are updated here."""
    path = Path(path)
    agency_selection()  # a hub's rows are always some agency's: refused without --agency KEY
    source = path
    cfg = cfg or load_agency()
    report = FileReport(file=display_name or path.name, table=None, sha256="")
    report.import_id = _next_import_id(con)
    track = progress.Tracker(report.file, on_progress)
    workdir = None
    # The second reader's pass over the bytes (line count, sha256) runs beside DuckDB's read.
    scan = reading.scanning(path) if not reading.is_xlsx(path) else None
    try:
        if scan is not None:
            scan.__enter__()
        window = window or date_window(cfg)
        if reading.is_xlsx(path):
            import tempfile

            workdir = tempfile.TemporaryDirectory(prefix="pmhc-sheet-")
            csv_path = Path(workdir.name) / (path.stem + ".csv")
            _LINE_NUMBERS[str(csv_path)] = reading.xlsx_to_csv(path, csv_path, sheet)
            path = csv_path
        if table:
            if table not in schema.TABLES:
                raise ImportError_(f"{path.name}: unknown table {table!r}; use one of {', '.join(schema.TABLES)}")
            tbl = schema.TABLES[table]
        else:
            raw_header = read_header(path)
            header = [clean_name(h) for h in raw_header]
            tbl = schema.table_for_header(header)
            if tbl is None:
                raise ImportError_(
                    f"{path.name}: cannot tell which table this file is: it has none of the key columns "
                    f"call_id, encounter_id, arrest_id. Columns found: {', '.join(header) or '(none)'}. "
                    "Rename the key column, pass --table, or use a mapping profile (--profile)."
                    + separator_hint(raw_header)
                )
        report.table = tbl.name
        track.subject = f"{report.file} → {tbl.name}"
        con.execute("BEGIN TRANSACTION")
        try:
            if tbl.name == "calls":
                # Re-derive the stored calls before this file's rows arrive (they are derived
                # with the current settings as they are inserted): on a first import this
                # updates nothing, where afterwards it would rewrite every call just loaded.
                reclassify(con, cfg)
            track.begin("reading")
            if stager is None:
                staged, fast = typed_stager(con, path, tbl, cfg, window, report.import_id)
            else:
                staged, fast = stager(con, path, tbl), None
            report.sha256 = _sha256(source, path)
            # A previous import of these exact bytes left quarantine rows; replace them, don't add.
            con.execute("DELETE FROM quarantine WHERE sha256 = $sha AND table_name = $t "
                        "AND agency IS NOT DISTINCT FROM $a", {"sha": report.sha256, "t": tbl.name, "a": cfg.agency_key})
            _key_rejects(path, tbl, staged, stager)
            _protect_rejects(con, path, tbl, staged, stager)
            track.end(staged.rows_in_file)
            report.rows_in_file = staged.rows_in_file
            report.extra = staged.extra
            report.rows_collapsed = staged.rows_collapsed
            report.rows_other_tables = staged.rows_other_tables
            validate_and_load(con, tbl, cfg, report.import_id, report, staged.rejected, allow_unmapped,
                              staged.rejected_table, window, track, fast=fast)
            if not report.balanced:
                raise AssertionError(f"{path.name}: ledger does not balance: {report.summary()}")
            if not rollups_later:
                with track.stage("rollups", report.rows_loaded) as s:
                    # stored totals of what this import touched (its agency's rows), same transaction
                    rollups.update(con, cfg)
                    s.rows = report.rows_loaded
            from . import quality  # the data-quality report of this import, stored with it

            with track.stage("quality report", report.rows_loaded) as s:
                quality.record_import(con, tbl, report, cfg)
                s.rows = report.rows_loaded
            if report.flags:
                report.message = "; ".join(f"flagged {f['rows']:,} row(s): {f['message']}" for f in report.flags)
            _record(con, report, profile_name, cfg.agency_key)
            fault_point("before_commit")
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
    except (ImportError_, SecretError, reading.Refused, WindowError, duckdb.Error, UnicodeDecodeError, OSError) as e:
        report.status = "rejected"
        report.message = str(e) if isinstance(e, (ImportError_, SecretError, reading.Refused, WindowError)) else \
            f"{path.name}: {type(e).__name__}: {e}"
        report.rows_loaded = report.rows_new = report.rows_updated = report.rows_unchanged = 0
        report.rows_quarantined = 0
        report.rows_collapsed = report.rows_other_tables = 0
        if not report.sha256:
            report.sha256 = _sha256(source, path)
        _record(con, report, profile_name, cfg.agency_key)
    finally:
        if scan is not None:
            scan.__exit__(None, None, None)
        if workdir is not None:
            _LINE_NUMBERS.pop(str(path), None)
            workdir.cleanup()
    return report


def _sha256(source: Path, read: Path) -> str:
    """The ledger's digest of the file as given: from the second reader's pass when it read
    these bytes (reading.count_lines), else computed here."""
    if source == read and not reading.is_xlsx(source):
        try:
            return reading.count_lines(source).sha256
        except (reading.Refused, OSError):
            pass
    return sha256_of(source)
