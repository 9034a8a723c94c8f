"""`pmhc report`: the dashboard's deck, workbook and one-pager from the command line."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .. import figures, metrics, progress, schema
from ..config import agency_selection, load_agency
from ..db import connect
from ..periods import Period


def cli_run(args: argparse.Namespace) -> int:
    from . import FORMATS, gather, layout
    from .images import ChartImageError

    def fail(message: str) -> int:
        print(f"pmhc report: {message}", file=sys.stderr)
        return 2

    cfg = load_agency()
    try:
        period = Period.between(args.date_from, args.date_to, cfg.fiscal_year_start_month)
    except ValueError as e:
        return fail(str(e))
    out = Path(args.out)
    if not out.parent.exists():
        return fail(f"--out {out}: folder {out.parent} does not exist; create it or choose another path")
    if out.suffix.lower().lstrip(".") != args.format:
        print(f"pmhc report: note: writing a .{args.format} file to {out} (its name ends in "
              f"{out.suffix or 'no extension'})", file=sys.stderr)
    public = not getattr(args, "internal", False)
    try:
        con = connect(args.db, read_only=True, cfg=cfg)
    except FileNotFoundError as e:
        return fail(str(e))
    try:
        if args.district and args.district not in metrics.districts(con):
            return fail(f"district {args.district!r} is not in the data; districts: "
                        f"{', '.join(metrics.districts(con))}")
        responder = getattr(args, "responder_type", None) or None
        if responder and responder not in schema.RESPONDER_TYPES:
            return fail(f"--responder-type {responder!r} is not a responder type; use one of "
                        f"{', '.join(schema.RESPONDER_TYPES)}")
        from ..publication import agency_of, grant_periods, named
        from ..release import is_published, not_published_reason

        agencies = agency_selection()
        grants = grant_periods(con, agency_of(agencies))
        period = named(grants, period)  # the months of a published grant period carry its name
        if public and not is_published(period, cfg.fiscal_year_start_month, grants):
            return fail(f"{not_published_reason(period, grants)} (--from 2024-01 --to 2024-03, …); "
                        "--internal writes an exact internal report of any period")
        filters = metrics.Filters(period, args.district or None, responder, agencies)
        try:
            gathered = gather(con, filters, cfg, public=public,
                              categories=figures.CATEGORIES)
            shown = progress.for_stream(sys.stderr)  # a bar at a terminal, plain lines when piped or under CI
            try:
                data = layout(args.format, gathered, on_progress=shown)
            finally:
                shown.close()
        except ChartImageError as e:
            return fail(str(e))
        for note in gathered.notes:
            print(f"pmhc report: note: {note}", file=sys.stderr)
    finally:
        con.close()
    out.write_bytes(data)
    kind = FORMATS[args.format][1]
    release = "public release (small counts suppressed)" if public else "INTERNAL release (exact small counts)"
    print(f"Wrote the {kind} for {filters.label}, {release}, to {out} ({len(data):,} bytes)")
    return 0
