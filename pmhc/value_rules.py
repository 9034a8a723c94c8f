"""The value rules of the canonical model: how each raw text value is normalised, cast,
and checked, as SQL generated from `schema.py` (identifiers are schema constants, values
are literals escaped here or bound parameters).

Why its own module: these rules decide what a value *means* — `-infinity`, `NaN`, a date
without a time, `24:00`, a local time lost or doubled at a daylight-saving change, a
decimal in a whole-number column, a date outside the plausible window — and each has its
own message saying what is wrong with that value. pmhc.importer applies them.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from . import schema
from .config import AgencyConfig


class WindowError(ValueError):
    """[import] in config/agency.toml does not give a usable date window."""


# Whitespace of every kind an export can carry around a value or a header name: tab, NBSP,
# the zero-width ones, BOM, ideographic and the other Unicode spaces. RE2 class for SQL,
# str.strip set for Python.
_SPACE_CLASS = r"[\s\x{00A0}\x{1680}\x{2000}-\x{200D}\x{2028}\x{2029}\x{202F}\x{205F}\x{2060}\x{3000}\x{FEFF}]"
_ZERO_WIDTH_CLASS = r"[\x{200B}-\x{200D}\x{2060}\x{FEFF}[:cntrl:]]"  # also NUL and other control characters
_SPACE_CHARS = "".join(chr(c) for c in (0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x20, 0x85, 0xA0, 0x1680, 0x2028, 0x2029, 0x202F,
                                        0x205F, 0x2060, 0x3000, 0xFEFF, *range(0x2000, 0x200E)))


def clean_name(name: str) -> str:
    """A header name without surrounding whitespace of any kind, lower-case."""
    return name.strip(_SPACE_CHARS).lower()


def trimmed_sql(expr: str, key: bool = False) -> str:
    """SQL: a raw value with surrounding whitespace of every kind removed, '' as NULL. Keys
    also lose zero-width and control characters inside them (`C23-\u200b000012` is
    `C23-000012`)."""
    out = f"regexp_replace({expr}, '^{_SPACE_CLASS}+|{_SPACE_CLASS}+$', '', 'g')"
    if key:
        out = f"regexp_replace({out}, '{_ZERO_WIDTH_CLASS}', '', 'g')"
    return f"nullif({out}, '')"


def _bool_sql(raw: str) -> str:
    t = ", ".join(f"'{w}'" for w in schema.TRUE_WORDS)
    f = ", ".join(f"'{w}'" for w in schema.FALSE_WORDS)
    return f"CASE WHEN lower({raw}) IN ({t}) THEN true WHEN lower({raw}) IN ({f}) THEN false END"


def _typed_sql(col: schema.Column, raw: str) -> str:
    if col.type == "VARCHAR":
        if col.values:
            return f"lower({raw})"
        return raw
    if col.type == "BOOLEAN":
        return _bool_sql(raw)
    if col.type == "INTEGER":
        return f"TRY_CAST({raw} AS INTEGER)"
    if col.type == "DOUBLE":
        return f"TRY_CAST({raw} AS DOUBLE)"
    if col.type == "DATE":
        return f"TRY_CAST({raw} AS DATE)"
    if col.type == "TIMESTAMPTZ":
        return f"TRY_CAST({raw} AS TIMESTAMPTZ)"
    raise ValueError(col.type)


_TYPE_WORDS = {
    "BOOLEAN": "true/false (also yes/no, y/n, 1/0)",
    "INTEGER": "a whole number",
    "DOUBLE": "a number",
    "DATE": "a date as YYYY-MM-DD",
    "TIMESTAMPTZ": "a date-time as YYYY-MM-DD HH:MM:SS (optionally with a +HH:MM offset)",
}


def _lit(text: str) -> str:
    return "'" + str(text).replace("'", "''") + "'"


def date_window(cfg: AgencyConfig | None = None, today: date | None = None) -> tuple[date, date]:
    """The dates a value may plausibly carry: from 1990-01-01 to the day after the import,
    unless config/agency.toml says otherwise under [import] (earliest_date, latest_date, or
    latest_days_ahead). A date outside is quarantined: one row dated 2999 would otherwise
    move the default period and every headline."""
    import tomllib

    today = today or datetime.now(timezone.utc).date()
    earliest, latest = date(1990, 1, 1), today + timedelta(days=1)
    source = Path(cfg.source) if cfg is not None and cfg.source else None
    if source is not None and source.is_file():
        with source.open("rb") as f:
            section = tomllib.load(f).get("import", {})
        try:
            if "earliest_date" in section:
                earliest = date.fromisoformat(str(section["earliest_date"]))
            if "latest_date" in section:
                latest = date.fromisoformat(str(section["latest_date"]))
            elif "latest_days_ahead" in section:
                latest = today + timedelta(days=int(section["latest_days_ahead"]))
        except (TypeError, ValueError) as e:
            raise WindowError(f"{source}: [import] earliest_date / latest_date must be dates as YYYY-MM-DD and "
                               f"latest_days_ahead a whole number ({e})") from None
    return earliest, latest


# Values given with an explicit UTC offset are unambiguous; the daylight-saving checks
# apply to local wall-clock times only.
_HAS_OFFSET = r"(Z|[+-][0-9]{2}(:?[0-9]{2})?|UTC|GMT)$"


def _problem_selects(table: schema.Table, allow_unmapped: bool, cfg: AgencyConfig | None = None,
                     window: tuple[date, date] | None = None, with_flags: bool = False):
    """(column, reason, condition on typed table t, message) for every rule. `{v}` in a
    message is replaced by the value (never used for a person identifier). With
    `with_flags`, also the rules that flag rows without quarantining them (a local time
    that happens twice at a DST change has a definite reading, stated in the flag)."""
    earliest, latest = window or date_window(cfg)
    tz = cfg.timezone if cfg is not None else "UTC"
    span = (f"outside the plausible window {earliest} to {latest} (set [import] earliest_date / latest_date in "
            "config/agency.toml if your data is older or dated ahead)")
    out, flags = [], []
    for c in table.columns:
        raw = f"t.raw_{c.name}"
        typed = f"t.{c.name}"
        if not c.nullable:
            out.append((c.name, "missing", f"{raw} IS NULL",
                        f"{c.name} is empty; it is required for every {table.name} row — fill it in or remove the row"))
        if c.type != "VARCHAR":
            out.append((c.name, "type", f"{raw} IS NOT NULL AND {typed} IS NULL",
                        f"{c.name} is '{{v}}', which is not {_TYPE_WORDS[c.type]}; correct the value or leave it "
                        "empty" + ("" if c.nullable else " (it is required)")))
        if c.type == "DOUBLE":
            out.append((c.name, "not_finite", f"(isnan({typed}) OR isinf({typed}))",
                        f"{c.name} is '{{v}}', which is not a finite number; give the number (for example 45) or "
                        "leave it empty"))
        if c.type == "INTEGER":
            out.append((c.name, "not_whole",
                        f"{typed} IS NOT NULL AND NOT regexp_full_match({raw}, '[+-]?[0-9]+(\\.0+)?')",
                        f"{c.name} is '{{v}}', which is not a whole number (it would have been rounded); give a "
                        "whole number or leave it empty"))
        if c.type in ("DATE", "TIMESTAMPTZ"):
            lo = f"DATE {_lit(earliest.isoformat())}" if c.type == "DATE" else \
                f"TIMESTAMPTZ {_lit(earliest.isoformat() + ' 00:00:00')}"
            hi = f"DATE {_lit(latest.isoformat())}" if c.type == "DATE" else \
                f"TIMESTAMPTZ {_lit((latest + timedelta(days=1)).isoformat() + ' 00:00:00')}"
            out.append((c.name, "not_finite", f"isinf({typed})",
                        f"{c.name} is '{{v}}', which is not a real date; give the actual date"
                        + (" or leave it empty" if c.nullable else " (it is required)")))
            out.append((c.name, "out_of_range",
                        f"NOT isinf({typed}) AND ({typed} < {lo} OR {typed} {'>' if c.type == 'DATE' else '>='} {hi})",
                        f"{c.name} is '{{v}}', {span}; correct the date"))
        if c.type == "TIMESTAMPTZ":
            out.append((c.name, "date_only",
                        f"{typed} IS NOT NULL AND NOT isinf({typed}) AND NOT regexp_matches({raw}, '[0-9]:[0-9]')",
                        f"{c.name} is '{{v}}', a date without a time of day; this column needs a date-time "
                        "(YYYY-MM-DD HH:MM:SS). Export the time too, or import with a mapping profile that says "
                        "which time to use — it is not set to midnight silently"))
            out.append((c.name, "hour_24", f"{typed} IS NOT NULL AND regexp_matches({raw}, '(^|[ T])24:00')",
                        f"{c.name} is '{{v}}': 24:00 is not a time of day (it would silently become 00:00 of the "
                        "next day); write the next day's 00:00:00 or the actual time"))
            local = f"timezone({_lit(tz)}, {typed})"
            naive = f"TRY_CAST({raw} AS TIMESTAMP)"
            wall = (f"{typed} IS NOT NULL AND NOT isinf({typed}) AND regexp_matches({raw}, '[0-9]:[0-9]') "
                    f"AND NOT regexp_matches({raw}, '{_HAS_OFFSET}', 'i') AND {naive} IS NOT NULL")
            out.append((c.name, "dst_gap", f"{wall} AND {local} <> {naive}",
                        f"{c.name} is '{{v}}', a local time that does not exist in {tz} (the clocks jumped "
                        "forward at the daylight-saving change); give the time with its UTC offset (e.g. -05:00) "
                        "or correct it"))
            flags.append((c.name, "dst_ambiguous",
                        f"{wall} AND {local} = {naive} AND (timezone({_lit(tz)}, {typed} + INTERVAL 1 HOUR) = {naive} "
                        f"OR timezone({_lit(tz)}, {typed} - INTERVAL 1 HOUR) = {naive})",
                        f"{c.name}: local times that happen twice in {tz} (the clocks went back at the "
                        "daylight-saving change) were read as standard time, the second occurrence; give them with "
                        "their UTC offset where the first one is meant"))
        if c.values:
            allowed = list(c.values) + ([schema.UNMAPPED] if allow_unmapped else [])
            lst = ", ".join(f"'{v}'" for v in allowed)
            out.append((c.name, "vocabulary", f"{raw} IS NOT NULL AND {typed} NOT IN ({lst})",
                        f"{c.name} must be one of {', '.join(c.values)}; map your code to one of these "
                        "(a mapping profile can do it) or leave it empty if unknown"))
        if c.name in ("minutes", "officer_minutes"):
            out.append((c.name, "negative", f"{typed} < 0",
                        f"{c.name} cannot be negative; correct the value or leave it empty"))
    return (out, flags) if with_flags else out
