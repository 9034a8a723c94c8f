"""`pmhc report`: the dashboard's deck, workbook and one-pager from the command line."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .. import metrics
from ..config import load_agency
from ..db import connect
from ..periods import Period


def cli_run(args: argparse.Namespace) -> int:
    from . import FORMATS, build
    from .images import ChartImageError

    def fail(message: str) -> int:
        print(f"pmhc report: {message}", file=sys.stderr)
        return 2

    cfg = load_agency()
    try:
        period = Period.months(args.date_from, args.date_to)
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
        filters = metrics.Filters(period, args.district or None, getattr(args, "responder_type", None))
        try:
            data = build(args.format, con, filters, cfg, public=public)
        except ChartImageError as e:
            return fail(str(e))
    finally:
        con.close()
    out.write_bytes(data)
    kind = FORMATS[args.format][1]
    release = "public release (small counts suppressed)" if public else "INTERNAL release (exact small counts)"
    print(f"Wrote the {kind} for {filters.label}, {release}, to {out} ({len(data):,} bytes)")
    return 0
