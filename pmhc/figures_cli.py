"""`pmhc figures`: headline figures for a period without the UI, for grant writers' scripts.

Output keys are the stable figure keys from pmhc.definitions; every row carries its
definition so a pasted number never travels without its meaning.

`--by month` (or district, responder_type, call_type … any breakdown the registry
declares) gives the same figures split by that column in one run, next to the period's
total: the values come from `metrics.split_by`, the same queries and not-measured marks
as the pages' breakdowns and the workbook's *By month* sheet. The command gives exact
(internal) figures, as the grant workbook with `--internal` does; `--public` gives the
period's figures as the public release shows them (a published period only, like
`pmhc report` without `--internal`).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import shutil
import sys
from dataclasses import dataclass, field

import pandas as pd

from . import definitions, escape, figures, metrics, present, sql
from .config import agency_selection, load_agency
from .db import connect
from .periods import Period


def collect(con, filters: metrics.Filters, cfg=None, public: bool = False) -> list[dict]:
    """One row per figure: its value (None when not measured or not defined), why it is
    not measured, and its coverage when an input is recorded on part of the selection
    (`public`: in words, without the exact counts of recorded rows)."""
    cfg = cfg or load_agency()
    assumptions = metrics.load_assumptions()
    values = metrics.headline(con, filters, cfg, assumptions)
    cov = metrics.coverage(con, filters, assumptions, cfg)
    out = []
    for f in definitions.figures(cfg.repeat_windows_days, cfg.repeat_min_contacts):
        if f.key not in values:
            continue
        src = cov.source(f)
        if src is not None:  # counted on the calls' recorded outcome (no clinician log / arrest records)
            num_src = {**figures.FROM_CALLS, **figures.ARRESTS_FROM_CALLS}.get(f.num_key)
            num, den = (num_src.label, "BH calls where the export records it") if num_src else ("", "")
            out.append(_row(f.key, src.label, values[f.key], f.unit, src.definition, num, den, "CAD call",
                            "", sql.get("outcomes_from_calls").location, cov.note(f, public)))
            continue
        out.append(_row(f.key, f.label, values[f.key], f.unit, f.definition, f.numerator, f.denominator,
                        f.counting_unit, f.exclusions, f.location, cov.note(f, public)))
    by_key = definitions.by_key()
    for suffix in ("low", "high"):
        for base in ("gross_cost_avoidance", "net_cost_avoidance"):
            key = f"{base}_{suffix}"
            if key in values:
                f = by_key[base]
                out.append(_row(key, f"{f.label}, {suffix} end of range", values[key], "usd",
                                f"{f.definition} Every unit cost at its {suffix} value from the assumptions file "
                                "(program cost at the opposite end).", "", "", "", "", f.location, cov.note(f, public)))
    return out


def collect_public(con, filters: metrics.Filters, cfg=None) -> list[dict]:
    """collect() as the public release shows it (pmhc.release, the same as the public dashboard):
    a withheld figure has no value and says why in `suppressed` ("<11", "suppressed"), a rate
    on few events is `unstable`, and figures about individual people are left out."""
    from . import release

    cfg = cfg or load_agency()
    rel = release.published(con, filters, cfg, metrics.load_assumptions())
    figs = definitions.by_key(cfg.repeat_windows_days, cfg.repeat_min_contacts)
    out = []
    for r in collect(con, filters, cfg, public=True):
        fig = figs.get(r["key"]) or figs.get(r["key"].rsplit("_", 1)[0])
        if fig is None or not fig.public:
            continue
        if r["not_measured"]:  # nothing to hide: it says "not measured" and why, never "suppressed"
            out.append({**r, "suppressed": None, "unstable": False})
            continue
        marked = rel.marked(release.HEADLINE, "all", r["key"], r["value"])
        hidden = isinstance(marked, release.Withheld)
        out.append({**r, "value": None if hidden else r["value"], "suppressed": marked.display if hidden else None,
                    "unstable": isinstance(marked, release.Unstable)})
    return out


def _row(key, label, value, unit, definition, numerator, denominator, counting_unit, exclusions, location,
         coverage) -> dict:
    return {
        "key": key, "label": label, "value": None if present.missing(value) else value, "unit": unit,
        "not_measured": value.reason if present.not_measured(value) else None,
        "coverage": coverage or None,
        "definition": definition, "numerator": numerator, "denominator": denominator,
        "counting_unit": counting_unit, "exclusions": exclusions, "sql": location,
    }


def format_value(value, unit: str, not_measured: str | None = None, suppressed: str | None = None,
                 unstable: bool = False) -> str:
    """The table format's text: the one formatter of every view (pmhc.present)."""
    if suppressed:
        return suppressed
    if unstable:
        value = present.Unstable(value)
    return present.NOT_MEASURED if not_measured else present.fmt(value, unit)


def render(rows: list[dict], fmt: str, filters: metrics.Filters, cfg) -> str:
    public = bool(rows) and "suppressed" in rows[0]
    if fmt == "json":
        return json.dumps({
            "agency": cfg.name, "period": {"from": filters.period.start.isoformat(),
                                           "to_exclusive": filters.period.end.isoformat(),
                                           "label": filters.period.label},
            "district": filters.district, "responder_type": filters.responder_type,
            **({"release": "public (small counts suppressed)"} if public else {}),
            "figures": {r["key"]: {k: v for k, v in r.items() if k != "key"} for r in rows},
        }, indent=2, default=str)
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=list(rows[0].keys()) if rows else ["key"], lineterminator="\n")
        w.writeheader()
        w.writerows({k: escape.cell(v) for k, v in r.items()} for r in rows)  # text, never a formula
        return buf.getvalue()
    width = max(len(r["key"]) for r in rows) if rows else 10
    which = " — public release (small counts suppressed)" if public else ""
    lines = [f"{cfg.name} — {filters.label}{which}", ""]
    for r in rows:
        why = f" (not measured: {r['not_measured']})" if r.get("not_measured") else ""
        cov = f" ({r['coverage']})" if r.get("coverage") else ""
        text = format_value(r["value"], r["unit"], r.get("not_measured"), r.get("suppressed"), r.get("unstable"))
        lines.append(f"{r['key']:<{width}}  {text:>14}  "
                     f"{r['definition']}{why}{cov}")
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------ --by: every figure split by one column

TOTAL = "Total"  # the bucket name of the period's total in the table and CSV


@dataclass
class Split:
    """The figures of a selection split by one column: `rows` are collect()'s rows (the
    period's totals, with definitions) of the figures that have the breakdown, each with
    a `breakdown` {bucket: {"value", "not_measured"}}; `not_split` the others and why."""

    by: str
    buckets: list[str]
    rows: list[dict]
    not_split: dict[str, str]
    notes: dict[str, str] = field(default_factory=dict)  # bucket → e.g. "data start 15 Jan 2023"

    @property
    def total(self) -> str:
        """The total's name in the table and CSV ("Total", unless the data has a bucket so named)."""
        return TOTAL if TOTAL not in self.buckets else f"{TOTAL} (all)"


def collect_by(con, filters: metrics.Filters, by: str, cfg=None) -> Split:
    """Every figure with a breakdown by `by`, per bucket and in total. A month outside the
    loaded data is not measured (nothing is known there), never 0."""
    cfg = cfg or load_agency()
    totals = collect(con, filters, cfg)
    frame = metrics.split_by(con, filters, by, cfg)
    span = metrics.span_of(metrics.data_range(con))
    buckets = [str(b) for b in frame["bucket"]]
    outside: dict[str, str] = {}
    notes: dict[str, str] = {}
    if by == "month":
        loaded = (f"outside the loaded data ({present.span_text(*span)})" if span is not None
                  else "no calls or contacts are loaded")
        outside = {b: loaded for b in buckets
                   if span is None or not f"{span[0]:%Y-%m}" <= b <= f"{span[1]:%Y-%m}"}
        partial = {b: [why] for b, why in metrics.partial_months(span).items() if b in buckets}
        p = filters.period
        if p.start.day != 1:  # a period of days: its first and last months are counted in part
            partial.setdefault(f"{p.start:%Y-%m}", []).insert(0, f"the period starts {p.start:%-d %b %Y}")
        if p.end.day != 1:
            partial.setdefault(f"{p.last_day:%Y-%m}", []).insert(0, f"the period ends {p.last_day:%-d %b %Y}")
        notes = {b: "partial month: " + "; ".join(why) for b, why in partial.items()}
        notes.update({b: f"not measured: {why}" for b, why in outside.items()})
    rows, not_split = [], {}
    for r in totals:
        if r["key"] not in frame.columns:
            not_split[r["key"]] = _not_split_reason(r["key"], by)
            continue
        cells = {}
        for b, v in zip(buckets, frame[r["key"]]):
            if b in outside:
                v = present.NotMeasured(outside[b])
            cells[b] = {"value": None if present.missing(v) else _number(v, r["unit"]),
                        "not_measured": v.reason if present.not_measured(v) else None}
        rows.append({**r, "breakdown": cells})
    return Split(by, buckets, rows, not_split, notes)


def _number(v, unit: str):
    """A plain number; a count stays whole (a month without rows was filled in as 0.0)."""
    v = v.item() if hasattr(v, "item") else v
    return int(v) if unit == "count" and isinstance(v, float) and v.is_integer() else v


def _not_split_reason(key: str, by: str) -> str:
    f = figures.lookup(key)
    what = figures.BREAKDOWN_LABELS.get(by, by).lower()
    bys = figures.BREAKDOWNS.get(f.query, ()) if f is not None else ()
    where = f.location if f is not None else "its query"
    if not bys:
        return f"no breakdown by {what}: {where} gives the period's total only"
    return (f"no breakdown by {what}: {where} splits by "
            f"{', '.join(figures.BREAKDOWN_LABELS.get(b, b).lower() for b in bys)}")


def render_by(split: Split, fmt: str, filters: metrics.Filters, cfg) -> str:
    if fmt == "json":
        return json.dumps({
            "agency": cfg.name, "period": {"from": filters.period.start.isoformat(),
                                           "to_exclusive": filters.period.end.isoformat(),
                                           "label": filters.period.label},
            "district": filters.district, "responder_type": filters.responder_type,
            "by": split.by, "buckets": split.buckets, "bucket_notes": split.notes,
            "figures": {r["key"]: {k: v for k, v in r.items() if k != "key"} for r in split.rows},
            "not_broken_down": split.not_split,
        }, indent=2, default=str)
    if fmt == "csv":
        return _csv_by(split)
    return _table_by(split, filters, cfg)


def _csv_by(split: Split) -> str:
    """One line per figure and bucket (then the figure's Total): the columns of the plain
    CSV after the breakdown column, so a pivot table in any spreadsheet gives the grid."""
    buf = io.StringIO()
    names = [split.by, "key", "label", "value", "unit", "not_measured", "coverage", "note", "definition",
             "numerator", "denominator", "counting_unit", "exclusions", "sql"]
    w = csv.DictWriter(buf, fieldnames=names, lineterminator="\n", extrasaction="ignore")
    w.writeheader()
    for r in split.rows:
        for b, cell in [*r["breakdown"].items(), (split.total, r)]:
            line = {**r, split.by: b, "value": cell["value"], "not_measured": cell["not_measured"],
                    "coverage": r["coverage"] if cell is r else None, "note": split.notes.get(b)}
            w.writerow({k: escape.cell(v) for k, v in line.items()})  # text, never a formula
    return buf.getvalue()


def _table_by(split: Split, filters: metrics.Filters, cfg) -> str:
    """Figures down, buckets across (then Total), folded to the terminal's width; below,
    each figure's definition once, and why a figure is not measured or not split."""
    what = figures.BREAKDOWN_LABELS.get(split.by, split.by).lower()
    lines = [f"{cfg.name} — {filters.label}, by {what}", ""]
    if not split.buckets:
        lines += [f"No {what} in this selection: the table holds the totals only.", ""]
    grid = pd.DataFrame(  # a list of rows, not a dict: two buckets printing alike stay two columns
        [[*(format_value(c["value"], r["unit"], c["not_measured"]) for c in r["breakdown"].values()),
          format_value(r["value"], r["unit"], r.get("not_measured"))] for r in split.rows],
        index=[r["key"] for r in split.rows], columns=[*map(_plain, split.buckets), split.total])
    width = shutil.get_terminal_size((120, 24)).columns
    lines.append(grid.to_string(line_width=max(width, 60)))
    for b, note in split.notes.items():
        lines.append(f"{_plain(b)}: {note}")
    lines += ["", "Definitions"]
    key_w = max((len(r["key"]) for r in split.rows), default=10)
    for r in split.rows:
        # why a figure is not measured (a month outside the loaded data is a note of its own)
        reasons = sorted({c["not_measured"] for b, c in r["breakdown"].items()
                          if c["not_measured"] and not split.notes.get(b, "").startswith("not measured")} |
                         ({r["not_measured"]} if r.get("not_measured") else set()))
        why = "".join(f" (not measured: {x})" for x in reasons)
        cov = f" ({r['coverage']})" if r.get("coverage") else ""
        lines.append(f"{r['key']:<{key_w}}  {r['definition']}{why}{cov}")
    if split.not_split:
        lines += ["", f"Not broken down by {what} (`pmhc figures` without --by gives their totals):"]
        grouped: dict[str, list[str]] = {}
        for k, why in split.not_split.items():
            grouped.setdefault(why.split(": ", 1)[-1], []).append(k)
        lines += [f"- {', '.join(keys)}: {why}" for why, keys in grouped.items()]
    return "\n".join(lines) + "\n"


def _plain(text) -> str:
    """A value from the data as one line of printable text for the terminal."""
    return "".join(ch if ch.isprintable() else " " for ch in " ".join(str(text).split()))


def run(args: argparse.Namespace) -> int:
    cfg = load_agency()
    try:
        period = Period.between(args.date_from, args.date_to, cfg.fiscal_year_start_month)
    except ValueError as e:
        print(f"pmhc figures: {e}", file=sys.stderr)
        return 2
    filters = metrics.Filters(period, args.district, getattr(args, "responder_type", None), agency_selection())
    by = getattr(args, "by", None)
    if by is not None and by not in metrics.breakdown_columns():
        print(f"pmhc figures: no figure has a breakdown by {by!r}; --by takes one of: "
              f"{', '.join(metrics.breakdown_columns())}", file=sys.stderr)
        return 2
    if getattr(args, "engine", "duckdb") == "spark" and getattr(args, "public", False):
        print("pmhc figures: --public is built with DuckDB (its suppression reads the published periods and "
              "solves which cells to hide on one machine): run it without --engine spark, over the database or "
              "the same Parquet copy (--parquet DIR)", file=sys.stderr)
        return 2
    try:
        if getattr(args, "engine", "duckdb") == "spark":
            # The same named queries on Apache Spark over a Parquet copy (pmhc.spark).
            from . import spark

            con = spark.cli_connect(args, cfg)
        elif getattr(args, "parquet", None):
            # The same named queries over a Parquet copy (`pmhc export-parquet`).
            from . import parquet

            con = parquet.connect(args.parquet, cfg)
        else:
            con = connect(args.db, read_only=True, cfg=cfg)
    except (FileNotFoundError, sql.EngineUnavailable) as e:
        print(f"pmhc figures: {e}", file=sys.stderr)
        return 2
    try:
        if args.district and args.district not in metrics.districts(con):
            print(f"pmhc figures: district {args.district!r} is not in the data; districts: "
                  f"{', '.join(metrics.districts(con))}", file=sys.stderr)
            return 2
        if getattr(args, "public", False):
            from . import publication, release

            if by is not None:
                print("pmhc figures: --by gives exact (internal) figures; the public release's breakdowns are on "
                      "the public dashboard and in public reports", file=sys.stderr)
                return 2
            agencies = agency_selection()
            grants = publication.grant_periods(con, publication.agency_of(agencies))
            filters = metrics.Filters(publication.named(grants, period), args.district,
                                      getattr(args, "responder_type", None), agencies)
            if not release.is_published(filters.period, cfg.fiscal_year_start_month, grants):
                print(f"pmhc figures: {release.not_published_reason(filters.period, grants)}; "
                      "without --public the figures are exact (internal use)", file=sys.stderr)
                return 2
            text = render(collect_public(con, filters, cfg), args.format, filters, cfg)
        elif by is not None:
            text = render_by(collect_by(con, filters, by, cfg), args.format, filters, cfg)
        else:
            text = render(collect(con, filters, cfg), args.format, filters, cfg)
    finally:
        con.close()
    sys.stdout.write(text)
    return 0
