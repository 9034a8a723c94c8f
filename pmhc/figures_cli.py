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

from . import definitions, escape, metrics
from .config import load_agency
from .db import connect
from .periods import Period


def collect(con, filters: metrics.Filters, cfg=None) -> list[dict]:
    cfg = cfg or load_agency()
    values = metrics.headline(con, filters, cfg)
    out = []
    for f in definitions.figures(cfg.repeat_windows_days, cfg.repeat_min_contacts):
        if f.key not in values:
            continue
        out.append({
            "key": f.key, "label": f.label, "value": values[f.key], "unit": f.unit,
            "definition": f.definition, "numerator": f.numerator, "denominator": f.denominator,
            "counting_unit": f.counting_unit, "exclusions": f.exclusions, "sql": f.location,
        })
    for suffix in ("low", "high"):
        for base in ("gross_cost_avoidance", "net_cost_avoidance"):
            key = f"{base}_{suffix}"
            if key in values:
                out.append({"key": key, "label": f"{definitions.by_key()[base].label}, {suffix} end of range",
                            "value": values[key], "unit": "usd",
                            "definition": f"{definitions.by_key()[base].definition} Every unit cost at its {suffix} "
                                          "value from the assumptions file (program cost at the opposite end).",
                            "numerator": "", "denominator": "", "counting_unit": "", "exclusions": "",
                            "sql": definitions.by_key()[base].location})
    return out


def format_value(value, unit: str) -> str:
    if value is None:
        return "n/a"
    if unit == "rate":
        return f"{value * 100:.1f}%"
    if unit == "usd":
        return f"${value:,.0f}"
    if unit in ("hours", "minutes"):
        return f"{value:,.1f}"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.2f}"
    return f"{int(value):,}"


def render(rows: list[dict], fmt: str, filters: metrics.Filters, cfg) -> str:
    if fmt == "json":
        return json.dumps({
            "agency": cfg.name, "period": {"from": filters.period.start.isoformat(),
                                           "to_exclusive": filters.period.end.isoformat(),
                                           "label": filters.period.label},
            "district": filters.district, "responder_type": filters.responder_type,
            "figures": {r["key"]: {k: v for k, v in r.items() if k != "key"} for r in rows},
        }, indent=2, default=str)
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=list(rows[0].keys()) if rows else ["key"], lineterminator="\n")
        w.writeheader()
        w.writerows({k: escape.cell(v) for k, v in r.items()} for r in rows)  # text, never a formula
        return buf.getvalue()
    width = max(len(r["key"]) for r in rows) if rows else 10
    lines = [f"{cfg.name} — {filters.label}", ""]
    for r in rows:
        lines.append(f"{r['key']:<{width}}  {format_value(r['value'], r['unit']):>14}  {r['definition']}")
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
        rows = collect(con, filters, cfg)
    finally:
        con.close()
    sys.stdout.write(render(rows, args.format, filters, cfg))
    return 0
