"""Mapping profiles: read any agency's CAD / co-responder / RMS export into the canonical model.

Exports differ in column names, code values, date formats and shape (one row per call
with Yes/No flags, one row per call × disposition, dates and hours in separate columns).
A profile is a TOML file that says, once per export layout, how to turn it into one
canonical table; the importer then validates, quarantines and upserts exactly as for a
canonical file. Every step runs as DuckDB SQL over the whole file (no Python per row),
so a million-row export maps in seconds.

Nothing is lost on the way: a code that is not in a value map becomes ``unmapped`` in a
vocabulary column (and is listed in the import report with the export column, value and
row count); a value that cannot be read with the profile's date format is quarantined
with the export column, line and what to do; rows merged by ``[collapse]`` are counted,
and so are the rows a table's ``[where]`` filter leaves to the profile's other tables
(one export feeding calls, contacts and arrests balances its ledger in every table).
See README.md, "Mapping an agency's export (profiles)", and the examples in profiles/.

Its size (~1,140 lines) is earned by three jobs over one `Profile`: checking a profile (every
error naming file, key and allowed values), staging an export with it in SQL, and drafting a
profile from a header; they share the profile's shapes and its canonical-column lookup.
"""

from __future__ import annotations

import contextvars
import difflib
import re
import tomllib
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path

import duckdb

from . import importer, schema
from .config import ROOT, AgencyConfig, SettingsError, Strict, check_timezone, load_agency, toml_value, validate

PROFILES_DIR = ROOT / "profiles"

_SECTION: contextvars.ContextVar[str | None] = contextvars.ContextVar("profile_section", default=None)
DEFAULT_NULL_VALUES = ("NA", "N/A", "NULL")
_TIME_DIRECTIVES = ("%H", "%I", "%M", "%S", "%p", "%z", "%f", "%X", "%c", "%T", "%R")
_TIME_OF_DAY = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
_OFFSET = r"(Z|z|[+-]\d\d(:?\d\d)?)$"
# Rank of values that are not in a collapse precedence list: after every listed value,
# 'unmapped' and other codes before empty.
_RANK_OTHER, _RANK_EMPTY = 1_000_000, 1_000_001


class ProfileError(SettingsError):
    """A profile that cannot be used; the message names the file and the key to fix."""


@dataclass(frozen=True)
class Flag:
    column: str  # export column holding Yes/No
    value: str  # canonical value when it says Yes


@dataclass(frozen=True)
class FlagRule:
    """A vocabulary column derived from several Yes/No columns: the first Yes wins."""
    target: str
    order: tuple[Flag, ...]
    if_none: str | None  # every flag No (None: leave empty)
    yes: tuple[str, ...]
    no: tuple[str, ...]


@dataclass(frozen=True)
class DateTimeRule:
    """A timestamp built from a date column and a separate time (or hour) column."""
    target: str
    date: str
    date_format: tuple[str, ...]
    time: str
    time_format: tuple[str, ...]
    if_time_missing: str | None  # "HH:MM", or None = quarantine the row


@dataclass(frozen=True)
class RowFilter:
    """Which rows of the export are records of this table: those whose `column` holds one
    of `values` (trimmed, any case). The other rows feed the profile's other tables only,
    and are counted as such in this table's ledger."""
    column: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class Collapse:
    """Merge rows with the same key (e.g. one row per disposition) into one."""
    key: str
    precedence: dict[str, tuple[str, ...]]


@dataclass(frozen=True)
class Profile:
    path: Path
    name: str
    description: str
    table: schema.Table
    timezone: str | None
    null_values: tuple[str, ...]
    columns: dict[str, str]  # canonical column -> export column
    constants: dict[str, str | None]
    values: dict[str, dict[str, str | None]]  # canonical column -> {export code (lower): value}
    formats: dict[str, tuple[str, ...]]
    datetimes: dict[str, DateTimeRule]
    flags: dict[str, FlagRule]
    collapse: Collapse | None
    where: RowFilter | None = None
    prefix: dict[str, str] = field(default_factory=dict)  # canonical column -> text put before the value
    # The other tables a several-table profile fills from the same export (this one is the
    # first of calls, encounters, arrests it fills).
    also: tuple["Profile", ...] = field(default=(), compare=False)

    @property
    def file_label(self) -> str:
        return self.path.name

    @property
    def outputs(self) -> tuple["Profile", ...]:
        """One single-table profile per table this profile fills, in import order."""
        return (self,) + self.also

    @property
    def tables_label(self) -> str:
        return ", ".join(p.table.name for p in self.outputs)

    def source_columns(self) -> list[str]:
        """Every export column the profile reads, in a stable order."""
        out: list[str] = []
        for col in self.columns.values():
            out.append(col)
        for rule in self.datetimes.values():
            out += [rule.date, rule.time]
        for rule in self.flags.values():
            out += [f.column for f in rule.order]
        if self.where is not None:
            out.append(self.where.column)
        return list(dict.fromkeys(out))

    def provided(self) -> list[str]:
        """Canonical columns this profile fills, in table order."""
        given = set(self.columns) | set(self.constants) | set(self.datetimes) | set(self.flags)
        return [c for c in self.table.column_names if c in given]

    def stager(self, cfg: AgencyConfig | None = None) -> "ProfileStager":
        return ProfileStager(self, cfg)


# ------------------------------------------------------------------ loading and validation

# The shape of a profile file, checked by the settings layer (pmhc.config.validate) before
# the checks below, which need the canonical model (is it a column, is the value in its
# vocabulary, does the importer accept it). A key of the wrong kind is named TOML-style:
# `profiles/x.toml: [flags.outcome] order[1].value: …`.
Scalar = str | bool | int | float
Strings = str | list[str]


class _DateTimesShape(Strict):
    date: str | None = None
    date_format: Strings | None = None
    time: str | None = None
    time_format: Strings | None = None
    if_time_missing: str = "quarantine"


class _FlagShape(Strict):
    column: str
    value: Scalar


class _FlagsShape(Strict):
    order: list[_FlagShape] | None = None
    if_none: Scalar | None = None
    yes: Strings | None = None
    no: Strings | None = None


class _CollapseShape(Strict):
    key: str | None = None
    precedence: dict[str, Strings] = {}


class _WhereShape(Strict):
    column: str
    values: Strings


class TableShape(Strict):
    columns: dict[str, str] = {}
    constants: dict[str, Scalar] = {}
    values: dict[str, dict[str, Scalar]] = {}
    formats: dict[str, Strings] = {}
    datetimes: dict[str, _DateTimesShape] = {}
    flags: dict[str, _FlagsShape] = {}
    collapse: _CollapseShape | None = None
    where: _WhereShape | None = None
    prefix: dict[str, str] = {}


class ProfileShape(TableShape):
    name: str | None = None
    description: str = ""
    table: str
    timezone: str | None = None
    null_values: Strings | None = None


TOP_LEVEL_KEYS = tuple(ProfileShape.model_fields)
# A profile that feeds several tables from one export has no `table`: the shared settings
# at the top and one section per table it fills ([calls], [encounters], [arrests]), each
# with the keys a one-table profile has.
TABLE_KEYS = tuple(TableShape.model_fields)
SHARED_KEYS = tuple(k for k in TOP_LEVEL_KEYS if k not in TABLE_KEYS and k != "table")


def _err(path: Path, where: str, msg: str) -> ProfileError:
    section = _SECTION.get()
    if section and where not in SHARED_KEYS:
        where = f"[{section}.{where[1:]}" if where.startswith("[") else f"[{section}] {where}"
    return ProfileError(f"{path}: {where}: {msg}")


def _suggest(word: str, options: list[str]) -> str:
    close = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _canonical(path: Path, table: schema.Table, where: str, name: str) -> schema.Column:
    if name not in table.column_names:
        raise _err(path, where, f"{name!r} is not a column of the canonical {table.name} table"
                   f"{_suggest(name, table.column_names)}; use one of {', '.join(table.column_names)}")
    return table.column(name)


def _str_list(path: Path, where: str, value, *, allow_empty: bool = False) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value) or (not value and not allow_empty):
        raise _err(path, where, "must be a string or a list of strings")
    return tuple(value)


def _scalar(path: Path, where: str, value) -> str | None:
    """A TOML value as the text a canonical file would hold ('' = empty)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, str):
        return value.strip() or None
    raise _err(path, where, f"must be a string, number or true/false, not {type(value).__name__}")


def _check_value(path: Path, where: str, col: schema.Column, value: str | None) -> str | None:
    """A canonical value a profile writes (map target, constant) must be valid for its column:
    exactly what the importer accepts, so a profile that loads never quarantines every row."""
    if value is None:
        if not col.nullable:
            hint = f"use one of {', '.join(col.values)}" if col.values else "map it to an export column"
            raise _err(path, where, f"{col.name} cannot be empty: the importer needs it on every row; {hint}"
                       + (" (\"unknown\" when the export does not say)" if schema.UNKNOWN in col.values else ""))
        return None
    if col.values:
        v = value.lower()
        if v not in col.values and v != schema.UNMAPPED:
            raise _err(path, where, f"{value!r} is not one of the {col.name} values{_suggest(v, list(col.values))}; "
                       f"use one of {', '.join(col.values)}" + (" (or \"\" for unknown)" if col.nullable else ""))
        return v
    if col.type == "BOOLEAN":
        v = value.lower()
        if v not in schema.TRUE_WORDS + schema.FALSE_WORDS:
            raise _err(path, where, f"{value!r} is not true/false; {col.name} is a yes/no column")
        return "true" if v in schema.TRUE_WORDS else "false"
    try:
        if col.type == "INTEGER":
            int(value)
        elif col.type == "DOUBLE":
            float(value)
        elif col.type == "DATE":
            date.fromisoformat(value)
        elif col.type == "TIMESTAMPTZ":
            datetime.fromisoformat(value)
    except ValueError:
        words = {"INTEGER": ("a number", "a whole number"), "DOUBLE": ("a number", "a number"),
                 "DATE": ("a date", "a date as YYYY-MM-DD"),
                 "TIMESTAMPTZ": ("a date-time", "a date-time as YYYY-MM-DD HH:MM:SS")}[col.type]
        raise _err(path, where, f"{value!r} is not {words[0]}; {col.name} needs {words[1]}") from None
    return value


def _check_formats(path: Path, where: str, formats: tuple[str, ...]) -> None:
    con = duckdb.connect()
    try:
        for f in formats:
            if "%" not in f:
                raise _err(path, where, f"{f!r} is not a date format; write it with strptime codes, "
                           "e.g. \"%m/%d/%Y %H:%M\" (see README)")
            try:
                con.execute("SELECT try_strptime('x', $f)", {"f": f})
            except duckdb.Error as e:
                raise _err(path, where, f"{f!r} is not a valid date format: {e}") from None
    finally:
        con.close()
    with_zone = {("%z" in f) for f in formats}
    if len(with_zone) > 1:
        raise _err(path, where, "mixes formats with and without %z; give formats of one kind per column")


def _has_time(formats: tuple[str, ...]) -> bool:
    return any(d in f for f in formats for d in _TIME_DIRECTIVES)


def load(path: Path | str) -> Profile:
    """Read and check a profile; every problem is reported with the file and key to fix."""
    path = Path(path)
    try:
        with path.open("rb") as f:
            raw = tomllib.load(f)
    except FileNotFoundError:
        raise ProfileError(f"{path}: no such profile file; profiles live in {PROFILES_DIR}") from None
    except tomllib.TOMLDecodeError as e:
        raise ProfileError(f"{path}: not valid TOML: {e}") from None
    return from_dict(raw, path)


def from_dict(raw: dict, path: Path | str = Path("profile.toml")) -> Profile:
    """A profile from TOML data: one table (`table = ...`) or several ([calls], [encounters], …)."""
    path = Path(path)
    if "table" in raw or not any(t in raw for t in schema.TABLES):
        return _one_table(raw, path)
    allowed = SHARED_KEYS + tuple(schema.TABLES)
    unknown = [k for k in raw if k not in allowed]
    if unknown:
        k = unknown[0]
        hint = (f"; in a profile that fills several tables, {k} goes inside each table's section "
                f"([{next(t for t in schema.TABLES if t in raw)}.{k}])" if k in TABLE_KEYS else "")
        raise _err(path, k, f"unknown setting{_suggest(k, list(allowed))}{hint}; a profile that fills several "
                   f"tables has {', '.join(SHARED_KEYS)} and one section per table: {', '.join(schema.TABLES)}")
    outputs: list[Profile] = []
    for t in schema.TABLES:
        if t not in raw:
            continue
        sect = raw[t]
        if not isinstance(sect, dict):
            raise _err(path, t, f"must be a table ([{t}]) with the keys {', '.join(TABLE_KEYS)}")
        extra = [k for k in sect if k not in TABLE_KEYS]
        if extra:
            raise _err(path, f"[{t}] {extra[0]}", f"unknown setting{_suggest(extra[0], list(TABLE_KEYS))}; a table "
                       f"section has {', '.join(TABLE_KEYS)}")
        sub = {k: raw[k] for k in SHARED_KEYS if k in raw} | {"table": t} | sect
        token = _SECTION.set(t)
        try:
            outputs.append(_one_table(sub, path))
        finally:
            _SECTION.reset(token)
    return replace(outputs[0], also=tuple(outputs[1:]))


def _one_table(raw: dict, path: Path) -> Profile:
    unknown = [k for k in raw if k not in TOP_LEVEL_KEYS]
    if unknown:
        k = unknown[0]
        raise _err(path, k, f"unknown setting{_suggest(k, list(TOP_LEVEL_KEYS))}; a profile has "
                   f"{', '.join(TOP_LEVEL_KEYS)}")
    tname = raw.get("table")
    if tname not in schema.TABLES:
        raise _err(path, "table", f"must be one of {', '.join(schema.TABLES)} (the canonical table this "
                   f"export fills), got {tname!r}")
    table = schema.TABLES[tname]
    section = _SECTION.get()
    validate(ProfileShape, raw, path, prefix=(section,) if section else (), error=ProfileError)

    tz = raw.get("timezone")
    if tz is not None:
        try:
            check_timezone(tz)
        except ValueError as e:
            raise _err(path, "timezone", str(e)) from None
    nulls = _str_list(path, "null_values", raw.get("null_values", list(DEFAULT_NULL_VALUES)), allow_empty=True)

    def section(key: str) -> dict:
        v = raw.get(key, {})
        if not isinstance(v, dict):
            raise _err(path, key, f"must be a table ([{key}])")
        return v

    provided_by: dict[str, str] = {}

    def provide(col: str, sect: str, where: str) -> None:
        if col in provided_by:
            raise _err(path, where, f"{col} is already set in {provided_by[col]}; give each column one source")
        provided_by[col] = sect

    columns: dict[str, str] = {}
    for col, src in section("columns").items():
        where = f"[columns] {col}"
        _canonical(path, table, where, col)
        if not isinstance(src, str) or not src.strip():
            raise _err(path, where, "must name the export column, e.g. call_id = \"Incident Number\"")
        provide(col, "[columns]", where)
        columns[col] = src.strip()

    constants: dict[str, str | None] = {}
    for col, val in section("constants").items():
        where = f"[constants] {col}"
        c = _canonical(path, table, where, col)
        provide(col, "[constants]", where)
        constants[col] = _check_value(path, where, c, _scalar(path, where, val))

    values: dict[str, dict[str, str | None]] = {}
    for col, mapping in section("values").items():
        where = f"[values.{col}]"
        c = _canonical(path, table, where, col)
        if col not in columns:
            raise _err(path, where, f"{col} is not read from an export column; add it to [columns] first")
        if c.type in ("DATE", "TIMESTAMPTZ"):
            raise _err(path, where, f"{col} is a date; use [formats] and null_values instead of a value map")
        if not isinstance(mapping, dict) or not mapping:
            raise _err(path, where, "must map export codes to canonical values, e.g. ARR = \"arrest\"")
        out: dict[str, str | None] = {}
        for code, val in mapping.items():
            w = f"{where} {code!r}"
            key = str(code).strip().lower()
            if key in out:
                raise _err(path, w, "is listed twice (codes match without regard to case)")
            out[key] = _check_value(path, w, c, _scalar(path, w, val))
        values[col] = out

    formats: dict[str, tuple[str, ...]] = {}
    for col, fmt in section("formats").items():
        where = f"[formats] {col}"
        c = _canonical(path, table, where, col)
        if c.type not in ("DATE", "TIMESTAMPTZ"):
            raise _err(path, where, f"{col} is not a date or time column; formats apply to "
                       + ", ".join(x.name for x in table.columns if x.type in ("DATE", "TIMESTAMPTZ")))
        if col not in columns:
            raise _err(path, where, f"{col} is not read from an export column; add it to [columns] "
                       "(or use [datetimes] to combine a date and a time column)")
        formats[col] = _str_list(path, where, fmt)
        _check_formats(path, where, formats[col])

    datetimes: dict[str, DateTimeRule] = {}
    for col, spec in section("datetimes").items():
        where = f"[datetimes.{col}]"
        c = _canonical(path, table, where, col)
        if c.type != "TIMESTAMPTZ":
            raise _err(path, where, f"{col} is not a timestamp column; [datetimes] builds one of "
                       + ", ".join(x.name for x in table.columns if x.type == "TIMESTAMPTZ"))
        if not isinstance(spec, dict):
            raise _err(path, where, "must be a table with date, date_format, time, time_format")
        extra = [k for k in spec if k not in ("date", "date_format", "time", "time_format", "if_time_missing")]
        if extra:
            raise _err(path, f"{where} {extra[0]}", "unknown key; use date, date_format, time, time_format, "
                       "if_time_missing")
        for k in ("date", "date_format", "time", "time_format"):
            if k not in spec:
                raise _err(path, where, f"needs {k} (e.g. date = \"CALL_DATE\", date_format = \"%m/%d/%Y\", "
                           "time = \"CALL_HOUR\", time_format = \"%H\")")
        for k in ("date", "time"):
            if not isinstance(spec[k], str) or not spec[k].strip():
                raise _err(path, f"{where} {k}", "must name an export column")
        dfmt = _str_list(path, f"{where} date_format", spec["date_format"])
        tfmt = _str_list(path, f"{where} time_format", spec["time_format"])
        _check_formats(path, f"{where} date_format", dfmt)
        _check_formats(path, f"{where} time_format", tfmt)
        if any("%z" in f for f in dfmt + tfmt):
            raise _err(path, where, "offsets (%z) are not supported when combining columns; set timezone instead")
        missing = spec.get("if_time_missing", "quarantine")
        if not isinstance(missing, str) or (missing != "quarantine" and not _TIME_OF_DAY.match(missing)):
            raise _err(path, f"{where} if_time_missing", "must be \"quarantine\" (default) or a time of day "
                       f"such as \"00:00\", got {missing!r}")
        provide(col, "[datetimes]", where)
        datetimes[col] = DateTimeRule(col, spec["date"].strip(), dfmt, spec["time"].strip(), tfmt,
                                      None if missing == "quarantine" else missing)

    flags: dict[str, FlagRule] = {}
    for col, spec in section("flags").items():
        where = f"[flags.{col}]"
        c = _canonical(path, table, where, col)
        if not c.values:
            raise _err(path, where, f"{col} has no vocabulary; [flags] derives one of "
                       + ", ".join(x.name for x in table.columns if x.values))
        if not isinstance(spec, dict) or not isinstance(spec.get("order"), list) or not spec["order"]:
            raise _err(path, where, "needs order = [{ column = \"Arrested\", value = \"arrest\" }, …]: "
                       "the first column that says Yes gives the value")
        extra = [k for k in spec if k not in ("order", "if_none", "yes", "no")]
        if extra:
            raise _err(path, f"{where} {extra[0]}", "unknown key; use order, if_none, yes, no")
        order = []
        for i, item in enumerate(spec["order"]):
            w = f"{where} order[{i + 1}]"
            if not isinstance(item, dict) or set(item) != {"column", "value"}:
                raise _err(path, w, "must be { column = \"Export column\", value = \"canonical value\" }")
            v = _check_value(path, w, c, _scalar(path, w, item["value"]))
            if v is None:
                raise _err(path, w, "value cannot be empty")
            order.append(Flag(str(item["column"]).strip(), v))
        if_none = spec.get("if_none")
        if if_none is not None:
            if_none = _check_value(path, f"{where} if_none", c, _scalar(path, f"{where} if_none", if_none))
        yes = tuple(w.lower() for w in _str_list(path, f"{where} yes", spec.get("yes", list(schema.TRUE_WORDS))))
        no = tuple(w.lower() for w in _str_list(path, f"{where} no", spec.get("no", list(schema.FALSE_WORDS))))
        if set(yes) & set(no):
            raise _err(path, where, f"{sorted(set(yes) & set(no))} is in both yes and no")
        provide(col, "[flags]", where)
        flags[col] = FlagRule(col, tuple(order), if_none, yes, no)

    collapse = None
    if "collapse" in raw:
        spec = section("collapse")
        extra = [k for k in spec if k not in ("key", "precedence")]
        if extra:
            raise _err(path, f"[collapse] {extra[0]}", "unknown key; use key and [collapse.precedence]")
        key = spec.get("key", table.key)
        _canonical(path, table, "[collapse] key", key)
        if key not in provided_by:
            raise _err(path, "[collapse] key", f"{key} is not filled by the profile; map it in [columns]")
        prec: dict[str, tuple[str, ...]] = {}
        pspec = spec.get("precedence", {})
        if not isinstance(pspec, dict):
            raise _err(path, "[collapse.precedence]", "must be a table: column = [values, first wins]")
        for col, order in pspec.items():
            w = f"[collapse.precedence] {col}"
            c = _canonical(path, table, w, col)
            if col == key:
                raise _err(path, w, "the key cannot have a precedence")
            items = _str_list(path, w, order)
            prec[col] = tuple(_check_value(path, w, c, v) or "" for v in items)
        collapse = Collapse(key, prec)

    where = None
    if "where" in raw:
        spec = section("where")
        column = str(spec.get("column", "")).strip()
        if not column:
            raise _err(path, "[where] column", "must name the export column that says which rows are "
                       f"{table.name} records, e.g. column = \"Disposition\"")
        vals = tuple(v.strip() for v in _str_list(path, "[where] values", spec.get("values", []), allow_empty=True)
                     if v.strip())
        if not vals:
            raise _err(path, "[where] values", f"must list the values of {column!r} whose rows are {table.name} "
                       "records, e.g. values = [\"Subject Arrested\"]")
        where = RowFilter(column, vals)

    prefix: dict[str, str] = {}
    for col, text in section("prefix").items():
        w = f"[prefix] {col}"
        c = _canonical(path, table, w, col)
        if col not in columns or c.type != "VARCHAR" or c.values or col in values or col in formats:
            raise _err(path, w, f"{col} is not a text column read as exported from [columns]; a prefix applies "
                       "to such columns only (e.g. a key derived from another table's key: arrest_id = \"CT-\")")
        if not isinstance(text, str) or not text.strip():
            raise _err(path, w, "must be the text put before every value, e.g. \"CT-\"")
        prefix[col] = text.strip()

    missing_required = [c for c in table.required_names if c not in provided_by]
    if missing_required:
        hints = []
        for m in missing_required:
            c = table.column(m)
            if c.nullable:
                hints.append(f'{m} = "" when the export has no such information')
            elif schema.UNKNOWN in c.values:
                hints.append(f'{m} = "unknown" when the export does not say')
            elif c.values:
                hints.append(f"{m} = one of {', '.join(c.values)}")
        raise _err(path, "[columns]", f"no source for required column(s) {', '.join(missing_required)}; map "
                   "each to an export column, or set it in [constants]"
                   + (f" ({'; '.join(hints)})" if hints else ""))
    name = raw.get("name") or path.stem
    return Profile(path=path, name=str(name), description=str(raw.get("description", "")), table=table,
                   timezone=tz, null_values=tuple(nulls), columns=columns, constants=constants, values=values,
                   formats=formats, datetimes=datetimes, flags=flags, collapse=collapse, where=where,
                   prefix=prefix)


def available(directory: Path | None = None) -> list[Path]:
    """The profiles in `directory`; by default the workspace's profiles/ followed by the
    profiles shipped with the project whose file name the workspace does not use."""
    if directory is not None:
        return sorted(directory.glob("*.toml")) if directory.is_dir() else []
    from .config import SHIPPED_PROFILES_DIR, Workspace

    own = available(Workspace.current().profiles_dir)
    names = {p.name for p in own}
    return own + [p for p in available(SHIPPED_PROFILES_DIR) if p.name not in names]


def import_kwargs(path: Path, cfg: AgencyConfig | None = None) -> dict:
    """Keyword arguments for importer.import_file that import a file through a one-table profile
    (a profile that fills several tables is imported with import_plan / import_with_profile)."""
    plan = import_plan(path, cfg)
    if len(plan) > 1:
        raise ProfileError(f"{path}: fills several tables ({', '.join(k['table'] for k in plan)}); import it "
                           "with profiles.import_with_profile (pmhc import and the Data page do)")
    return plan[0]


def import_plan(path: Path | str, cfg: AgencyConfig | None = None) -> list[dict]:
    """One set of importer.import_file keyword arguments per table the profile fills, in order."""
    profile = load(path)
    return [{"table": p.table.name, "stager": p.stager(cfg), "profile_name": p.file_label, "allow_unmapped": True}
            for p in profile.outputs]


def import_with_profile(con: duckdb.DuckDBPyConnection, path: Path | str, profile_path: Path | str, *,
                        cfg: AgencyConfig | None = None, display_name: str | None = None) -> list[importer.FileReport]:
    """Import one export through a profile: one import (ledger entry, row accounting,
    quarantine) per table it fills. Each table balances on its own: rows in the export =
    rows loaded + quarantined + merged into a row with the same key, so a call repeated once
    per officer is one call. Each table is its own transaction; re-importing the same export
    replaces rather than adds, so a run stopped half way is repaired by running it again."""
    return [importer.import_file(con, path, cfg=cfg, display_name=display_name, **kw)
            for kw in import_plan(profile_path, cfg)]


# ------------------------------------------------------------------ staging

def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class _Params:
    """Bound parameters for generated SQL: values never enter the SQL text."""

    def __init__(self) -> None:
        self.values: dict[str, object] = {}

    def __call__(self, value: object) -> str:
        name = f"p{len(self.values)}"
        self.values[name] = value
        return f"${name}"


class ProfileStager:
    """Stager for importer.import_file: export → canonical VARCHAR columns in `stage_raw`."""

    def __init__(self, profile: Profile, cfg: AgencyConfig | None = None):
        self.profile = profile
        self._cfg = cfg

    @property
    def cfg(self) -> AgencyConfig:
        if self._cfg is None:
            self._cfg = load_agency()
        return self._cfg

    # -- header

    def _resolve_header(self, path: Path) -> tuple[list[str], dict[str, str]]:
        """Read names for the file's columns, and profile column -> read name."""
        header = [h.strip() for h in importer.read_header(path)]
        read_names: list[str] = []
        seen: dict[str, int] = {}
        for h in header:
            base = h or "column"
            n = seen.get(base.lower(), 0)
            seen[base.lower()] = n + 1
            read_names.append(base if n == 0 else f"{base} ({n + 1})")
        resolved: dict[str, str] = {}
        missing: list[str] = []
        ambiguous: list[str] = []
        for src in self.profile.source_columns():
            exact = [r for h, r in zip(header, read_names) if h == src]
            loose = [r for h, r in zip(header, read_names) if h.lower() == src.lower()]
            if len(exact) == 1:
                resolved[src] = exact[0]
            elif len(exact) > 1 or len(loose) > 1:
                ambiguous.append(src)
            elif len(loose) == 1:
                resolved[src] = loose[0]
            else:
                missing.append(src)
        if missing or ambiguous:
            p = self.profile.file_label
            parts = []
            if missing:
                hints = "; ".join(f"{m!r}{_suggest(m, header)}" for m in missing)
                parts.append(f"the profile {p} reads column(s) the file does not have: {hints}")
            if ambiguous:
                parts.append(f"column(s) {', '.join(map(repr, ambiguous))} appear more than once in the header")
            raise importer.ImportError_(
                f"{path.name}: {'; '.join(parts)}. Columns found: {', '.join(header) or '(none)'}. "
                f"Check that this is the export {p} is written for, or edit the column names in {p}."
            )
        return read_names, resolved

    # -- expressions

    def __call__(self, con: duckdb.DuckDBPyConnection, path: Path, table: schema.Table) -> importer.StageResult:
        p = self.profile
        if table.name != p.table.name:
            raise importer.ImportError_(f"{path.name}: the profile {p.file_label} maps exports to {p.table.name}, "
                                        f"not {table.name}")
        read_names, resolved = self._resolve_header(path)
        n_rows, rejected = importer.read_csv_text(con, path, read_names, "prof_read")
        params = _Params()

        # 1. Every used export column, trimmed, with the profile's null spellings as empty.
        sources = p.source_columns()
        src = {s: f"s{i}" for i, s in enumerate(sources)}
        nulls = params([v.strip().upper() for v in p.null_values] or [""])
        cols = ", ".join(
            f"CASE WHEN trim({_ident(resolved[s])}) = '' OR list_contains({nulls}, upper(trim({_ident(resolved[s])}))) "
            f"THEN NULL ELSE trim({_ident(resolved[s])}) END AS {src[s]}" for s in sources)
        con.execute(f"CREATE OR REPLACE TEMP TABLE prof_src AS SELECT _line, {cols} FROM prof_read", params.values)
        other_tables = self._keep_own_rows(con, src)

        # 2. Value maps as small lookup tables.
        joins = []
        for i, (col, mapping) in enumerate(p.values.items()):
            con.execute(f"CREATE OR REPLACE TEMP TABLE prof_map{i} (code VARCHAR, value VARCHAR)")
            con.execute(f"INSERT INTO prof_map{i} SELECT unnest($codes), unnest($vals)",
                        {"codes": list(mapping), "vals": list(mapping.values())})
            joins.append((col, f"m{i}", f"prof_map{i}"))
        join_of = {col: alias for col, alias, _ in joins}

        params = _Params()
        agency_tz = self.cfg.timezone
        export_tz = p.timezone or agency_tz
        exprs: dict[str, str] = {}
        errors: list[str] = []  # struct expressions, NULL when the row is fine
        filled: dict[str, str] = {}  # target -> condition "time was missing and filled"

        def err(cond: str, column: str, value: str, reason: str, message: str) -> str:
            return (f"CASE WHEN {cond} THEN {{'column_name': {params(column)}::VARCHAR, 'value': {value}::VARCHAR, "
                    f"'reason': {params(reason)}::VARCHAR, 'message': {params(message)}::VARCHAR}} END")

        def utc_text(tstz: str) -> str:
            return f"strftime(timezone('UTC', {tstz}), '%Y-%m-%d %H:%M:%S+00:00')"

        for col in table.column_names:
            c = table.column(col)
            if col in p.constants:
                exprs[col] = f"{params(p.constants[col])}::VARCHAR"
            elif col in p.flags:
                exprs[col] = self._flag_expr(p.flags[col], src, params)
            elif col in p.datetimes:
                rule = p.datetimes[col]
                d, t = f"r.{src[rule.date]}", f"r.{src[rule.time]}"
                dt = f"try_strptime({d}, {params(list(rule.date_format))})"
                tt = f"try_strptime({t}, {params(list(rule.time_format))})"
                fill = params(rule.if_time_missing) + "::TIME" if rule.if_time_missing else "NULL::TIME"
                tod = f"CASE WHEN {t} IS NULL THEN {fill} ELSE CAST({tt} AS TIME) END"
                local = f"(CAST({dt} AS DATE) + {tod})"
                exprs[col] = utc_text(f"timezone({params(export_tz)}, {local})")
                where = f"{p.file_label} [datetimes.{col}]"
                errors.append(err(f"{d} IS NULL", rule.date, d, "missing",
                                  f"the date column {rule.date!r} (→ {col}) is empty; fill it in or remove the row"))
                errors.append(err(f"{d} IS NOT NULL AND {dt} IS NULL", rule.date, d, "format",
                                  f"{rule.date!r} (→ {col}) is not a date in the format "
                                  f"{' or '.join(rule.date_format)} set in {where}; correct the value, or add "
                                  "its format to date_format in the profile"))
                errors.append(err(f"{t} IS NOT NULL AND {tt} IS NULL", rule.time, t, "format",
                                  f"{rule.time!r} (→ {col}) is not a time in the format "
                                  f"{' or '.join(rule.time_format)} set in {where}; correct the value, or add "
                                  "its format to time_format in the profile"))
                if rule.if_time_missing:
                    filled[col] = f"{d} IS NOT NULL AND {t} IS NULL"
                else:
                    errors.append(err(f"{t} IS NULL", rule.time, t, "missing",
                                      f"the time column {rule.time!r} (→ {col}) is empty; fill it in, or set "
                                      f"if_time_missing = \"00:00\" in {where} to give such rows a fixed time"))
            elif col in p.columns:
                v = f"r.{src[p.columns[col]]}"
                if col in p.formats:
                    fmts = p.formats[col]
                    parsed = f"try_strptime({v}, {params(list(fmts))})"
                    zoned = any("%z" in f for f in fmts)
                    if c.type == "DATE" and not _has_time(fmts):
                        exprs[col] = f"strftime(CAST({parsed} AS DATE), '%Y-%m-%d')"
                    else:
                        tstz = parsed if zoned else f"timezone({params(export_tz)}, {parsed})"
                        exprs[col] = (f"strftime(CAST(timezone({params(agency_tz)}, {tstz}) AS DATE), '%Y-%m-%d')"
                                      if c.type == "DATE" else utc_text(tstz))
                    errors.append(err(f"{v} IS NOT NULL AND {parsed} IS NULL", p.columns[col], v, "format",
                                      f"{p.columns[col]!r} (→ {col}) is not in the format {' or '.join(fmts)} set "
                                      f"in {p.file_label} [formats]; correct the value, or add its format to "
                                      "the list in the profile"))
                elif c.type == "TIMESTAMPTZ" and export_tz != agency_tz:
                    # ISO text without an offset is wall-clock time in the export's zone.
                    naive = f"TRY_CAST({v} AS TIMESTAMP)"
                    exprs[col] = (f"CASE WHEN regexp_matches({v}, {params(_OFFSET)}) OR {naive} IS NULL THEN {v} "
                                  f"ELSE {utc_text(f'timezone({params(export_tz)}, {naive})')} END")
                elif col in join_of:
                    m = join_of[col]
                    exprs[col] = f"CASE WHEN {m}.code IS NOT NULL THEN {m}.value ELSE {self._unmatched(c, v)} END"
                elif col in p.prefix:
                    exprs[col] = f"CASE WHEN {v} IS NOT NULL THEN {params(p.prefix[col])} || {v} END"
                else:
                    exprs[col] = self._unmatched(c, v)
            elif col == "outcomes_recorded" and "outcome" in exprs:
                exprs[col] = self._recorded_expr(exprs["outcome"], src, params)
            elif col == "received_time_known" and "received_at" in filled:
                exprs[col] = f"CASE WHEN {filled['received_at']} THEN 'false' END"
            else:
                exprs[col] = "NULL::VARCHAR"

        if p.collapse:
            # Rows that will be merged are checked one by one first: a row missing a required
            # value is quarantined itself, not merged into its key's row (so every table a
            # several-table profile fills accounts for the same bad rows the same way).
            for col in table.column_names:
                c = table.column(col)
                if not c.nullable and col in p.columns and col not in p.datetimes:
                    errors.append(err(f"({exprs[col]}) IS NULL", p.columns[col], f"r.{src[p.columns[col]]}",
                                      "missing", f"{p.columns[col]!r} (→ {col}) is empty; it is required for "
                                      f"every {table.name} row — fill it in or remove the row"))

        join_sql = " ".join(f"LEFT JOIN {tbl} {alias} ON {alias}.code = lower(r.{src[p.columns[col]]})"
                            for col, alias, tbl in joins)
        select = ", ".join(f"{e} AS {_ident(col)}" for col, e in exprs.items())
        err_list = f"list_filter([{', '.join(errors)}], lambda x: x IS NOT NULL)" if errors else "[]"
        filled_sql = ", ".join(f"({cond}) AS {_ident('_filled_' + col)}" for col, cond in filled.items())
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE prof_mapped AS SELECT r._line, {select}, {err_list} AS _errors"
            f"{', ' + filled_sql if filled_sql else ''} FROM prof_src r {join_sql}",
            params.values,
        )

        # 3. Rows the profile cannot read go to quarantine (through the importer) with the export column.
        params = _Params()
        record = "json_object(" + ", ".join(f"{params(n)}, r.{_ident(n)}" for n in read_names) + ")::VARCHAR"
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE stage_rejects AS
            SELECT m._line AS line, m._errors[1].column_name AS column_name, m._errors[1].value AS value,
                   m._errors[1].reason AS reason,
                   m._errors[1].message || CASE WHEN len(m._errors) > 1 THEN ' | also: ' || array_to_string(
                       list_transform(m._errors[2:], lambda x: x.column_name || ': ' || x.reason), '; ') ELSE '' END
                       AS message,
                   {record} AS record
            FROM prof_mapped m JOIN prof_read r USING (_line)
            WHERE len(m._errors) > 0""",
            params.values,
        )
        n_rejected = importer.rows(con, "SELECT count(*) AS n FROM stage_rejects")[0]["n"]

        # 4. Collapse rows sharing a key; precedence decides the listed columns.
        canon = ", ".join(_ident(c) for c in table.column_names)
        time_filled = {col: importer.rows(con, f"SELECT count(*) AS n FROM prof_mapped WHERE len(_errors) = 0 "
                                               f"AND {_ident('_filled_' + col)}")[0]["n"] for col in filled}
        collapsed, conflicts = 0, {}
        if p.collapse:
            collapsed, conflicts = self._collapse(con, table)
        else:
            con.execute(f"CREATE OR REPLACE TEMP TABLE stage_raw AS SELECT {canon}, _line FROM prof_mapped "
                        "WHERE len(_errors) = 0")

        extra = {
            "profile": p.name,
            "profile_file": p.file_label,
            "rows_in_export": n_rows,
            "rows_rejected_by_profile": n_rejected,
            "rows_collapsed": collapsed,
            "rows_other_tables": other_tables,
            "row_filter": ({"column": p.where.column, "values": list(p.where.values)} if p.where else None),
            "collapse_key": p.collapse.key if p.collapse else None,
            "collapse_conflicts": conflicts,
            "time_filled": {k: {"rows": v, "time": p.datetimes[k].if_time_missing} for k, v in time_filled.items()},
            "mapped_columns": {col: self._source_label(col) for col in p.provided()},
            "unmapped": self._unmapped(con, table, src),
        }
        for t in ["prof_src", "prof_mapped", "prof_read"] + [tbl for _, _, tbl in joins]:
            con.execute(f"DROP TABLE IF EXISTS {t}")
        return importer.StageResult(rows_in_file=n_rows, rejected=rejected, extra=extra,
                                    rejected_table="stage_rejects", rows_collapsed=collapsed,
                                    rows_other_tables=other_tables)

    def _keep_own_rows(self, con: duckdb.DuckDBPyConnection, src: dict[str, str]) -> int:
        """Apply the table's row filter ([TABLE.where]) to prof_src: a row whose filter column
        is empty or another value is a record of the profile's other tables only. It is
        counted (the ledger balances per table), never quarantined or loaded here."""
        rule = self.profile.where
        if rule is None:
            return 0
        col = src[rule.column]
        other = f"{col} IS NULL OR NOT list_contains($values, lower({col}))"
        values = {"values": [v.lower() for v in rule.values]}
        n = importer.rows(con, f"SELECT count(*) AS n FROM prof_src WHERE {other}", values)[0]["n"]
        con.execute(f"DELETE FROM prof_src WHERE {other}", values)
        return int(n)

    def _source_label(self, col: str) -> str:
        p = self.profile
        if col in p.constants:
            return f"constant {p.constants[col]!r}" if p.constants[col] is not None else "constant (empty)"
        if col in p.flags:
            return "first Yes of " + ", ".join(f.column for f in p.flags[col].order)
        if col in p.datetimes:
            return f"{p.datetimes[col].date} + {p.datetimes[col].time}"
        if col in p.prefix:
            return f"{p.prefix[col]!r} + {p.columns[col]}"
        return p.columns[col]

    @staticmethod
    def _unmatched(c: schema.Column, v: str) -> str:
        """A value with no entry in the value map (or no map): what the column makes of it."""
        if c.values:
            allowed = ", ".join(f"'{x}'" for x in c.values)  # schema constants, not user input
            return f"CASE WHEN {v} IS NULL THEN NULL WHEN lower({v}) IN ({allowed}) THEN lower({v}) ELSE '{schema.UNMAPPED}' END"
        return v

    def _recorded_expr(self, outcome: str, src: dict[str, str], params: _Params) -> str:
        """calls.outcomes_recorded: the outcomes this row of the export states yes or no for.

        Yes/No flags record the outcome of each flag column that holds a Yes or a No (and
        `if_none` when every one does); a value map records its targets when the row's code
        is mapped. Anything else (a canonical outcome column) leaves it empty = every outcome.
        """
        p = self.profile
        if "outcome" in p.flags:
            rule = p.flags["outcome"]
            words = params(list(rule.yes + rule.no))
            parts = [f"CASE WHEN list_contains({words}, lower(r.{src[f.column]})) THEN {params(f.value)} END"
                     for f in rule.order]
            if rule.if_none:
                every = " AND ".join(f"list_contains({words}, lower(r.{src[f.column]}))" for f in rule.order)
                parts.append(f"CASE WHEN {every} THEN {params(rule.if_none)} END")
            return f"nullif(concat_ws(',', {', '.join(parts)}), '')"
        targets = sorted({v for v in p.values.get("outcome", {}).values()
                          if v and v not in (schema.UNMAPPED, schema.UNKNOWN)})
        if targets:
            return (f"CASE WHEN ({outcome}) NOT IN ('{schema.UNMAPPED}', '{schema.UNKNOWN}') "
                    f"THEN {params(','.join(targets))}::VARCHAR END")
        return "NULL::VARCHAR"

    @staticmethod
    def _flag_expr(rule: FlagRule, src: dict[str, str], params: _Params) -> str:
        yes, both = params(list(rule.yes)), params(list(rule.yes + rule.no))
        cols = [f"r.{src[f.column]}" for f in rule.order]
        whens = " ".join(f"WHEN list_contains({yes}, lower({c})) THEN {params(f.value)}"
                         for c, f in zip(cols, rule.order))
        strange = " OR ".join(f"({c} IS NOT NULL AND NOT list_contains({both}, lower({c})))" for c in cols)
        all_empty = " AND ".join(f"{c} IS NULL" for c in cols)
        none = f"{params(rule.if_none)}::VARCHAR" if rule.if_none else "NULL::VARCHAR"
        return (f"CASE {whens} WHEN {strange} THEN '{schema.UNMAPPED}' WHEN {all_empty} THEN NULL::VARCHAR "
                f"ELSE {none} END")

    def _collapse(self, con: duckdb.DuckDBPyConnection, table: schema.Table) -> tuple[int, dict[str, int]]:
        p = self.profile
        key = p.collapse.key
        params = _Params()
        aggs, counts = [], []
        for col in table.column_names:
            q = _ident(col)
            if col == key:
                continue
            ranked = col if col in p.collapse.precedence else (
                "outcome" if col == "outcomes_recorded" and "outcome" in p.collapse.precedence else None)
            if ranked:
                # (what the export records is taken from the row whose outcome won)
                r = _ident(ranked)
                order = params(list(p.collapse.precedence[ranked]))
                rank = (f"coalesce(list_position({order}, {r}), CASE WHEN {r} IS NULL THEN {_RANK_EMPTY} "
                        f"ELSE {_RANK_OTHER} END)")
                aggs.append(f"arg_min({q}, ({rank}, _line)) AS {q}")
            else:
                # First non-empty value in file order; disagreements are counted for the report.
                aggs.append(f"arg_min({q}, _line) AS {q}")
                counts.append(col)
        n_distinct = ", ".join(f"count(DISTINCT {_ident(c)}) AS {_ident('_n_' + c)}" for c in counts)
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE prof_grouped AS
            SELECT {_ident(key)}, min(_line) AS _line, count(*) AS _rows, {', '.join(aggs)}
                   {', ' + n_distinct if n_distinct else ''}
            FROM prof_mapped WHERE len(_errors) = 0 AND {_ident(key)} IS NOT NULL GROUP BY {_ident(key)}""",
            params.values,
        )
        canon = ", ".join(_ident(c) for c in table.column_names)
        con.execute(f"""CREATE OR REPLACE TEMP TABLE stage_raw AS
            SELECT {canon}, _line FROM prof_grouped
            UNION ALL
            SELECT {canon}, _line FROM prof_mapped WHERE len(_errors) = 0 AND {_ident(key)} IS NULL""")
        stats = importer.rows(con, "SELECT coalesce(sum(_rows - 1), 0)::BIGINT AS collapsed"
                              + "".join(f", count(*) FILTER (WHERE {_ident('_n_' + c)} > 1) AS {_ident(c)}"
                                        for c in counts) + " FROM prof_grouped")[0]
        con.execute("DROP TABLE prof_grouped")
        collapsed = int(stats.pop("collapsed"))
        return collapsed, {c: int(n) for c, n in stats.items() if n}

    def _unmapped(self, con: duckdb.DuckDBPyConnection, table: schema.Table, src: dict[str, str]) -> list[dict]:
        """Export values that no map or vocabulary covers, with what happened to them."""
        p = self.profile
        out: list[dict] = []

        def collect(target: str, source: str, cond: str, result: str, params: dict) -> None:
            s = src[source]
            for r in importer.rows(con, f"SELECT {s} AS value, count(*) AS n FROM prof_src WHERE {s} IS NOT NULL "
                                        f"AND {cond} GROUP BY {s} ORDER BY n DESC, value", params):
                out.append({"column": target, "source": source, "value": r["value"], "rows": int(r["n"]),
                            "result": result})

        for col, source in p.columns.items():
            c = table.column(col)
            s = f"lower({src[source]})"
            codes = list(p.values.get(col, {}))
            if c.values:
                collect(col, source, f"NOT list_contains($known, {s})", schema.UNMAPPED,
                        {"known": codes + list(c.values)})
            elif c.type == "BOOLEAN" and codes:
                collect(col, source, f"NOT list_contains($known, {s})", "quarantined",
                        {"known": codes + list(schema.TRUE_WORDS + schema.FALSE_WORDS)})
            elif c.type == "VARCHAR" and codes:
                collect(col, source, f"NOT list_contains($known, {s})", "kept as exported", {"known": codes})
        for col, rule in p.flags.items():
            for f in rule.order:
                collect(col, f.column, f"NOT list_contains($words, lower({src[f.column]}))", schema.UNMAPPED,
                        {"words": list(rule.yes + rule.no)})
        return out


# ------------------------------------------------------------------ drafting a profile

_SYNONYMS: dict[str, dict[str, tuple[str, ...]]] = {
    "calls": {
        "call_id": ("call id", "call number", "call no", "incident", "incident number", "incident id", "inc no",
                    "event number", "event id", "cad number", "cad incident", "master incident number"),
        "received_at": ("received", "call received", "received at", "received time", "received date time",
                        "date time received", "call date time", "reported date time", "create time",
                        "call created", "time received"),
        "call_type": ("call type", "nature", "nature code", "incident type", "type", "final call type",
                      "call nature", "event type", "problem"),
        "priority": ("priority", "pri", "call priority"),
        "district": ("district", "precinct", "dist", "area", "zone", "division", "sector"),
        "beat": ("beat", "reporting area", "patrol beat"),
        "bh_flag": ("bh flag", "mental health", "mh flag", "crisis", "behavioral health", "mh related"),
        "on_scene_at": ("on scene", "arrived", "arrival", "arrive time", "on scene time", "first on scene"),
        "cleared_at": ("cleared", "clear time", "closed", "close time", "cleared time"),
        "officer_minutes": ("officer minutes", "unit minutes", "time on call", "officer time"),
        "co_responder_present": ("co responder", "coresponder", "clinician present", "co responder present",
                                 "clinician", "mhp present"),
        "cit_officer_present": ("cit", "cit officer", "cit certified", "cit present"),
        "disposition": ("disposition", "dispo", "disp", "clearance", "final disposition"),
        "use_of_force": ("use of force", "force", "uof", "force used"),
    },
    "encounters": {
        "encounter_id": ("encounter id", "contact id", "log number", "log no", "case number", "record id",
                         "template id", "contact number"),
        "call_id": ("call id", "incident", "incident number", "cad incident", "cad number", "call number",
                    "event number"),
        "encounter_date": ("encounter date", "contact date", "date", "date of contact", "service date",
                           "reported date"),
        "responder_type": ("responder type", "responder", "staff role", "role", "clinician type", "staff type"),
        "person_key": ("person key", "person id", "client id", "subject id", "client ref", "subject",
                       "person", "mni", "master name index"),
        "contact_type": ("contact type", "contact kind", "encounter type", "service type", "kind"),
        "outcome": ("outcome", "disposition", "result", "resolution", "dispo"),
        "referral_agency": ("referral agency", "referred to", "referral", "agency referred", "referred agency"),
        "minutes": ("minutes", "time spent", "duration", "duration minutes", "time spent min"),
    },
    "arrests": {
        "arrest_id": ("arrest id", "arrest number", "arrest no", "booking number", "booking id"),
        "call_id": ("call id", "incident", "incident number", "cad number", "call number", "event number"),
        "person_key": ("person key", "person id", "subject id", "defendant id", "arrestee id", "mni"),
        "arrested_at": ("arrested at", "arrest date", "arrest date time", "arrest time", "booking date"),
        "top_charge": ("top charge", "charge", "offense", "most serious charge", "charge description"),
        "charge_level": ("charge level", "severity", "offense level", "charge class", "level"),
        "booked": ("booked", "booking", "jailed", "booked y n"),
    },
}


def _norm(s: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9]+", " ", s.lower()).split())


def guess_columns(header: list[str], table: str) -> dict[str, str]:
    """Best-guess canonical column for each export column (by name only; a human must check)."""
    tbl = schema.TABLES[table]
    candidates: list[tuple[float, str, str]] = []
    for h in header:
        n = _norm(h)
        if not n:
            continue
        for col in tbl.column_names:
            names = (_norm(col),) + _SYNONYMS.get(table, {}).get(col, ())
            score = max(difflib.SequenceMatcher(None, n, s).ratio() for s in names)
            if n in names:
                score = 1.0
            if score >= 0.8:
                candidates.append((score, h, col))
    out: dict[str, str] = {}
    taken: set[str] = set()
    for score, h, col in sorted(candidates, key=lambda x: -x[0]):
        if h not in out and col not in taken:
            out[h] = col
            taken.add(col)
    return out


def _toml_str(s: str) -> str:
    return toml_value(s)


def draft_from_header(header: list[str], table: str, file_name: str = "the export") -> str:
    """A starting profile listing every export column, with best-guess renames commented out."""
    if table not in schema.TABLES:
        raise ValueError(f"unknown table {table!r}; use one of {', '.join(schema.TABLES)}")
    tbl = schema.TABLES[table]
    header = [h.strip() for h in header]
    guesses = guess_columns(header, table)
    by_col = {col: h for h, col in guesses.items()}
    lines = [
        f"# Draft mapping profile for {file_name} → the canonical `{table}` table.",
        "# Written from the file's header only: every line below needs a human check.",
        "# Lines starting with `#` are not used. Uncomment a guessed rename once you have checked",
        "# it, fill in the required columns, then import with",
        "#   pmhc import --profile THIS_FILE.toml EXPORT.csv",
        "# The README section \"Mapping an agency's export (profiles)\" explains every setting.",
        "",
        f"name = {_toml_str('Draft: ' + file_name)}",
        f"table = {_toml_str(table)}",
        "# timezone = \"UTC\"   # zone of the export's times when it is not the agency's (config/agency.toml)",
        "null_values = [\"NA\", \"N/A\", \"NULL\"]   # read as empty in every column",
        "",
        "[columns]",
        "# canonical column = \"export column\"",
    ]
    for c in tbl.columns:
        req = "REQUIRED" if c.required else "optional"
        vocab = f" One of: {', '.join(c.values)}." if c.values else ""
        if c.name in by_col:
            lines.append(f"# {c.name} = {_toml_str(by_col[c.name])}   # best guess from the name ({req}): check it")
        else:
            lines.append(f"# {c.name} = \"?\"   # {req}, no column looks like it: {c.meaning}{vocab}")
    lines += ["", "# Every column of the export, and the guess for it:"]
    for h in header:
        if h in guesses:
            lines.append(f"#   {_toml_str(h)} → {guesses[h]} (guess)")
        else:
            lines.append(f"#   {_toml_str(h)} → not used yet")
    lines += ["", "# [constants]            # a value for every row, e.g. bh_flag = true (\"every row is a BH call\")",
              "", "# [formats]              # how dates are written, e.g. received_at = \"%m/%d/%Y %H:%M\""]
    vocab_cols = [c for c in tbl.columns if c.values]
    for c in vocab_cols:
        lines += ["", f"# [values.{c.name}]   # export code = one of {', '.join(c.values)}",
                  "# \"CODE\" = \"" + c.values[0] + "\""]
    lines += ["", "# [datetimes.received_at]   # a date column and a separate hour column",
              "# date = \"CALL_DATE\"", "# date_format = \"%m/%d/%Y\"", "# time = \"CALL_HOUR\"",
              "# time_format = \"%H\"", "# if_time_missing = \"quarantine\"   # or a time such as \"00:00\"",
              "", "# [collapse]   # the export repeats a record once per disposition",
              f"# key = {_toml_str(tbl.key)}",
              "# [collapse.precedence]", "# outcome = [\"arrest\", \"involuntary_hold\", \"voluntary_ed\"]", ""]
    return "\n".join(lines)
