"""Data quality: what each import brought in, and what is doubtful in the whole database.

A figure is only as good as the export behind it. After every import the administrator
sees rows per month (a missing month or a spike usually means a broken export, not a
change in the program), how much of each column is empty or unmapped (with the unmapped
codes listed, so a profile can be fixed), how many rows were merged or quarantined and
why. The report is stored with the import (table `import_quality`) so the Data page can
show it later; the checks over the whole database are named queries in queries/quality.sql.
"""

from __future__ import annotations

import json
import statistics
from dataclasses import dataclass
from datetime import date, datetime, timezone

import duckdb
import pandas as pd

from . import schema, sql
from .config import AgencyConfig, load_agency

DDL = """
CREATE TABLE IF NOT EXISTS import_quality (
    import_id   INTEGER PRIMARY KEY,
    created_at  TIMESTAMPTZ NOT NULL,
    report      JSON NOT NULL
)
"""

# Month flags: a month is a spike at >= SPIKE x the median month, a drop at <= DROP x;
# differences under MIN_DIFF rows are never flagged (small programs vary a lot).
SPIKE, DROP, MIN_DIFF = 2.0, 0.5, 10

DATE_COLUMN = {"calls": "received_at", "encounters": "encounter_date", "arrests": "arrested_at"}


# ------------------------------------------------------------------ after an import

def _rows(con: duckdb.DuckDBPyConnection, name: str, params: dict) -> list[dict]:
    """A named query on the import connection itself (the import's transaction is open on it)."""
    q = sql.get(name)
    res = con.execute(q.sql, {p: params[p] for p in q.params})
    cols = [d[0] for d in res.description]
    return [dict(zip(cols, r)) for r in res.fetchall()]


def month_flags(months: list[dict]) -> list[dict]:
    """Fill the months between the first and last with zero rows and flag gaps and spikes.

    `months` holds {'month': date, 'rows': int}. The first and last months are often
    partial (an export cut mid-month), so they are left out of the median and a low first
    or last month is called partial, not a drop. Empty months are gaps only where the
    median month has rows: a program with a contact every few months has no gaps.
    """
    if not months:
        return []
    counts = {m["month"]: int(m["rows"]) for m in months}
    first, last = min(counts), max(counts)
    out = []
    y, mo = first.year, first.month
    while date(y, mo, 1) <= last:
        d = date(y, mo, 1)
        out.append({"month": d.strftime("%Y-%m"), "rows": counts.get(d, 0), "flag": None})
        y, mo = (y + 1, 1) if mo == 12 else (y, mo + 1)
    inner = [m["rows"] for m in out[1:-1]] if len(out) >= 4 else [m["rows"] for m in out]
    median = statistics.median(inner) if inner else 0
    for i, m in enumerate(out):
        n, edge = m["rows"], i in (0, len(out) - 1)
        if n == 0 and median:
            m["flag"] = "gap"
        elif median and n >= SPIKE * median and n - median >= MIN_DIFF:
            m["flag"] = "spike"
        elif median and n <= DROP * median and median - n >= MIN_DIFF:
            m["flag"] = "partial month?" if edge else "drop"
    return out


def _columns(con: duckdb.DuckDBPyConnection, table: schema.Table, import_id: int,
             mapped: dict[str, str] | None) -> list[dict]:
    filled = _rows(con, f"import_filled_{table.name}", {"import_id": import_id})[0]
    n = int(filled.pop("_rows"))
    out = []
    for c in table.columns:
        if mapped is not None and c.name not in mapped:
            continue
        empty = n - int(filled[c.name])
        unmapped = int(filled.get(f"unmapped_{c.name}", 0) or 0)
        out.append({
            "column": c.name,
            "source": (mapped or {}).get(c.name, c.name),
            "rows": n,
            "empty": empty,
            "unmapped": unmapped,
            "empty_share": empty / n if n else None,
            "unmapped_share": unmapped / n if n else None,
            "required": not c.nullable,
        })
    return out


def import_report(con: duckdb.DuckDBPyConnection, table: schema.Table, report, cfg: AgencyConfig) -> dict:
    """The quality report of one import, from what it loaded, quarantined and merged."""
    extra = report.extra or {}
    months = _rows(con, "import_rows_per_month", {"import_id": report.import_id, "table": table.name,
                                                   "tz": cfg.timezone})
    quarantined = _rows(con, "import_quarantine_reasons", {"import_id": report.import_id})
    dup_quarantined = sum(int(q["rows"]) for q in quarantined if q["reason"] == "duplicate")
    return {
        "import_id": report.import_id,
        "file": report.file,
        "table": table.name,
        "profile": extra.get("profile_file"),
        "rows_in_file": report.rows_in_file,
        "rows_loaded": report.rows_loaded,
        "rows_new": report.rows_new,
        "rows_updated": report.rows_updated,
        "rows_unchanged": report.rows_unchanged,
        "rows_quarantined": report.rows_quarantined,
        "rows_collapsed": report.rows_collapsed,
        "rows_other_tables": getattr(report, "rows_other_tables", 0),
        "collapse_key": extra.get("collapse_key"),
        "collapse_conflicts": extra.get("collapse_conflicts", {}),
        "duplicates_quarantined": dup_quarantined,
        "date_column": DATE_COLUMN[table.name],
        "months": month_flags(months),
        "columns": _columns(con, table, report.import_id, extra.get("mapped_columns")),
        "unmapped": extra.get("unmapped", []),
        "time_filled": extra.get("time_filled", {}),
        "quarantine": [{**q, "rows": int(q["rows"]), "first_line": int(q["first_line"])} for q in quarantined],
    }


def record_import(con: duckdb.DuckDBPyConnection, table: schema.Table, report, cfg: AgencyConfig | None = None) -> dict:
    """Compute, store (in the import's transaction) and attach the report to the FileReport."""
    cfg = cfg or load_agency()
    q = import_report(con, table, report, cfg)
    con.execute(DDL)
    con.execute("INSERT OR REPLACE INTO import_quality VALUES ($id, $at, $r)",
                {"id": report.import_id, "at": datetime.now(timezone.utc), "r": json.dumps(q, default=str)})
    report.extra["quality"] = q
    report.extra["quality_text"] = text(q)
    return q


def _has_table(con: duckdb.DuckDBPyConnection) -> bool:
    cur = con.cursor()
    try:
        return bool(cur.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'import_quality'")
                    .fetchone()[0])
    finally:
        cur.close()


def reported_imports(con: duckdb.DuckDBPyConnection) -> list[int]:
    """Imports with a stored report, newest first."""
    if not _has_table(con):
        return []
    cur = con.cursor()
    try:
        return [int(r[0]) for r in cur.execute("SELECT import_id FROM import_quality ORDER BY import_id DESC")
                .fetchall()]
    finally:
        cur.close()


def stored_report(con: duckdb.DuckDBPyConnection, import_id: int | None = None) -> dict | None:
    """The stored report of one import (default: the latest import that loaded)."""
    if not _has_table(con):
        return None
    cur = con.cursor()
    try:
        if import_id is None:
            row = cur.execute("SELECT report FROM import_quality ORDER BY import_id DESC LIMIT 1").fetchone()
        else:
            row = cur.execute("SELECT report FROM import_quality WHERE import_id = $id", {"id": import_id}).fetchone()
    finally:
        cur.close()
    return json.loads(row[0]) if row else None


# ------------------------------------------------------------------ human-readable

def _pct(x: float | None) -> str:
    if x is None:
        return "—"
    if 0 < x < 0.001:
        return "<0.1%"
    return f"{x:.1%}"


def text(q: dict) -> str:
    """The report as plain text for the terminal (`pmhc import`) and copy-paste."""
    lines = [f"Data-quality report: {q['file']} → {q['table']}"
             + (f" (profile {q['profile']})" if q.get("profile") else "")]
    merged = (f" + {q['rows_collapsed']:,} merged into a row with the same {q['collapse_key']}"
              if q.get("rows_collapsed") else "")
    other = (f" + {q['rows_other_tables']:,} for the profile's other tables only ([{q['table']}.where])"
             if q.get("rows_other_tables") else "")
    lines.append(f"  Rows: {q['rows_in_file']:,} in file = {q['rows_loaded']:,} loaded + "
                 f"{q['rows_quarantined']:,} quarantined{merged}{other}")
    months = q.get("months", [])
    if months:
        lines.append(f"  Rows per month (by {q['date_column']}):")
        cells = [f"{m['month']} {m['rows']:>6,}" + (f" ← {m['flag']}" if m["flag"] else "") for m in months]
        for i in range(0, len(cells), 4):
            lines.append("    " + "   ".join(cells[i:i + 4]))
        flagged = [m for m in months if m["flag"]]
        if flagged:
            lines.append("  Months to check: " + ", ".join(f"{m['month']} ({m['flag']})" for m in flagged))
    cols = [c for c in q.get("columns", []) if c["empty"] or c["unmapped"]]
    if cols:
        lines.append("  Empty or unmapped values per column:")
        for c in cols:
            src = f" ← {c['source']}" if c["source"] != c["column"] else ""
            parts = []
            if c["empty"]:
                parts.append(f"{c['empty']:,} empty ({_pct(c['empty_share'])})")
            if c["unmapped"]:
                parts.append(f"{c['unmapped']:,} unmapped ({_pct(c['unmapped_share'])})")
            lines.append(f"    {c['column']}{src}: " + ", ".join(parts))
    if q.get("unmapped"):
        lines.append("  Export values not in the profile's value maps:")
        for u in q["unmapped"]:
            what = {"unmapped": "shown as 'unmapped'", "quarantined": "row quarantined",
                    "kept as exported": "kept as exported"}.get(u["result"], u["result"])
            lines.append(f"    {u['column']} ← {u['source']} = {u['value']!r}: {u['rows']:,} row(s), {what}")
    for col, t in (q.get("time_filled") or {}).items():
        if t["rows"]:
            lines.append(f"  {t['rows']:,} row(s) had no time for {col}: given {t['time']} as the profile says "
                         "(their date counts; their hour of day is not real)")
    if q.get("rows_collapsed"):
        lines.append(f"  Merged: {q['rows_collapsed']:,} row(s) repeated the {q['collapse_key']} of an earlier row "
                     "(e.g. one row per disposition) and were merged into it, not counted twice")
        for col, n in (q.get("collapse_conflicts") or {}).items():
            lines.append(f"    {n:,} {q['collapse_key']}(s) had different {col} values across their rows: "
                         "the first non-empty one was kept")
    if q.get("quarantine"):
        lines.append("  Quarantined rows by reason (see `pmhc quarantine` or the Data page):")
        for r in q["quarantine"]:
            lines.append(f"    {r['reason']} in {r['column_name']}: {r['rows']:,} row(s), first at line "
                         f"{r['first_line']}: {r['example_message']}")
    if len(lines) == 2 and not months:
        lines.append("  Nothing loaded.")
    return "\n".join(lines)


# ------------------------------------------------------------------ checks over the whole database

@dataclass(frozen=True)
class Check:
    query: str  # named query in queries/quality.sql
    label: str
    table: str
    effect: str  # what it does to the figures
    action: str  # what to do


CHECKS: tuple[Check, ...] = (
    Check("check_missing_outcome", "Contacts with no outcome", "encounters",
          "Counted as unknown outcome; left out of diversion and connection-to-care rates.",
          "Ask the co-responder team to record an outcome, or map the export's outcome codes."),
    Check("check_unmapped_codes", "Contacts and arrests with an unmapped code", "encounters, arrests",
          "Shown as 'unmapped' in the outcome mix and counted as unknown outcomes.",
          "Add the codes to the profile's [values] map and import the file again (see the import report)."),
    Check("check_bh_calls_without_disposition", "BH calls without a CAD disposition", "calls",
          "No figure uses the disposition directly; it is needed to check outcomes against CAD.",
          "Check that the CAD export includes the disposition column."),
    Check("check_bh_calls_without_co_responder_flag", "BH calls with co_responder_present empty", "calls",
          "Counted as not co-responded: lowers co-response coverage.",
          "Fill co_responder_present (true/false) in the CAD export, or set it in the profile."),
    Check("check_encounters_unknown_call", "Contacts whose call_id matches no call", "encounters",
          "District shown as Unknown; an arrest on the call cannot be seen (diversion may be overstated).",
          "Import the CAD calls for the same period, or correct the call numbers in the log."),
    Check("check_arrests_unknown_call", "Arrests whose call_id matches no call", "arrests",
          "Not attributed to any call: BH-call arrest rates may be understated.",
          "Import the CAD calls for the same period, or correct the call numbers in the RMS export."),
    Check("check_call_times_out_of_order", "Calls cleared or on scene before received", "calls",
          "Time on scene for these calls is wrong (negative or inflated).",
          "Check the time zone and date format of the CAD export (profile timezone / [formats])."),
    Check("check_calls_open_over_a_day", "Calls open more than 24 hours", "calls",
          "Inflate average time on scene.",
          "Usually a unit never cleared in CAD; correct the cleared time at the source."),
    Check("check_co_responded_calls_without_contact", "Co-responded calls with no contact in the log", "calls",
          "Outcomes of these calls are missing from diversion figures.",
          "Import the co-responder log for the same period, or correct call numbers in the log."),
    Check("check_on_scene_contact_before_call", "On-scene contacts dated before their call", "encounters",
          "Contacts may fall in the wrong month.",
          "Check the date format (day/month order) and time zone of the co-responder log."),
    Check("check_calls_without_district", "Calls without a district", "calls",
          "Shown as district Unknown in district breakdowns.",
          "Map the export's district column, or fill it in CAD."),
    Check("check_contacts_without_person", "Contacts with no person identifier", "encounters",
          "Counted as contacts, but not in people served or repeat-contact figures.",
          "Record a person identifier in the log where possible."),
    Check("check_dates_in_the_future", "Records dated after today", "calls, encounters, arrests",
          "Figures for future months are not real.",
          "Usually a wrong date format (day/month swapped) or year; fix the profile's [formats]."),
)


def database_checks(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every check over the whole database: one row each, with counts, examples and what to do."""
    rows = []
    for c in CHECKS:
        r = sql.one(con, c.query)
        affected, total = int(r["affected"] or 0), int(r["total"] or 0)
        rows.append({
            "check": c.label, "table": c.table, "affected": affected, "total": total,
            "share": affected / total if total else None,
            "examples": ", ".join(map(str, r["examples"] or [])),
            "effect": c.effect, "action": c.action, "query": sql.get(c.query).location,
        })
    return pd.DataFrame(rows)
