"""`pmhc figures`: headline figures for a period without the UI, for grant writers' scripts.

Output keys are the stable figure keys from pmhc.definitions; every row carries its
definition so a pasted number never travels without its meaning.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys

from . import definitions, escape, figures, metrics, present, sql
from .config import load_agency
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


def run(args: argparse.Namespace) -> int:
    cfg = load_agency()
    try:
        period = Period.between(args.date_from, args.date_to, cfg.fiscal_year_start_month)
    except ValueError as e:
        print(f"pmhc figures: {e}", file=sys.stderr)
        return 2
    filters = metrics.Filters(period, args.district, getattr(args, "responder_type", None))
    try:
        if getattr(args, "parquet", None):
            # The same named queries over a Parquet copy (`pmhc export-parquet`).
            from . import parquet

            con = parquet.connect(args.parquet, cfg)
        else:
            con = connect(args.db, read_only=True, cfg=cfg)
    except FileNotFoundError as e:
        print(f"pmhc figures: {e}", file=sys.stderr)
        return 2
    try:
        if args.district and args.district not in metrics.districts(con):
            print(f"pmhc figures: district {args.district!r} is not in the data; districts: "
                  f"{', '.join(metrics.districts(con))}", file=sys.stderr)
            return 2
        if getattr(args, "public", False):
            from . import publication, release

            grants = publication.grant_periods(con)
            filters = metrics.Filters(publication.named(grants, period), args.district,
                                      getattr(args, "responder_type", None))
            if not release.is_published(filters.period, cfg.fiscal_year_start_month, grants):
                print(f"pmhc figures: {release.not_published_reason(filters.period, grants)}; "
                      "without --public the figures are exact (internal use)", file=sys.stderr)
                return 2
            rows = collect_public(con, filters, cfg)
        else:
            rows = collect(con, filters, cfg)
    finally:
        con.close()
    sys.stdout.write(render(rows, args.format, filters, cfg))
    return 0
