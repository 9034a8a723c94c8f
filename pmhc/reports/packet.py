"""The scheduled packet: `pmhc report --month last` (or `--quarter last`) writes the deck,
the workbook and the one-pager of the last full month (quarter) into the workspace's
reports/ folder, for a cron job or systemd timer on the first of the month.

"Last" is the last full calendar month (quarter) before today on the agency's clock, so
a job that runs at 00:30 on 1 March in Chicago reports February whatever the server's
time zone. The three files are laid out from one gathering of the figures (the slow
part), each named as on the dashboard, beside a `README.txt` saying what they are.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from ..config import AgencyConfig
from ..periods import Period

FORMATS = ("pptx", "xlsx", "pdf")


def today(cfg: AgencyConfig) -> date:
    return datetime.now(ZoneInfo(cfg.timezone)).date()


def month_period(text: str, cfg: AgencyConfig, on: date | None = None) -> Period:
    """`last` (the month before this one on the agency's clock) or YYYY-MM."""
    if text.strip().lower() == "last":
        d = on or today(cfg)
        y, m = (d.year, d.month - 1) if d.month > 1 else (d.year - 1, 12)
        return Period.month(y, m)
    return Period.months(text, text)


def quarter_period(text: str, cfg: AgencyConfig, on: date | None = None) -> Period:
    """`last` (the calendar quarter before this one on the agency's clock) or YYYYQn (2025Q3)."""
    if text.strip().lower() == "last":
        d = on or today(cfg)
        q = (d.month - 1) // 3  # quarters before this one in the year
        return Period.quarter(d.year, q) if q else Period.quarter(d.year - 1, 4)
    m = re.fullmatch(r"\s*(\d{4})\s*-?\s*[Qq]([1-4])\s*", text)
    if not m:
        raise ValueError(f"expected a quarter as YYYYQn (2025Q3) or 'last', got {text!r}")
    return Period.quarter(int(m.group(1)), int(m.group(2)))


def folder_name(period: Period) -> str:
    """reports/2025-11 for a month, reports/2025-Q3 for a quarter."""
    if period.kind == "quarter":
        return f"{period.start.year}-Q{(period.start.month - 1) // 3 + 1}"
    return f"{period.start:%Y-%m}" if period.n_months == 1 else f"{period.start:%Y-%m}_{period.last_day:%Y-%m}"


README = """\
{program} — {agency}
Report packet for {period} ({release}), written {written} by `pmhc report`.

{files}
Figures come from the dashboard's metrics for exactly this period; definitions are in the
workbook's Figures sheet and on the dashboard's Methodology page.
"""


def write(con, period: Period, folder: Path, cfg: AgencyConfig, *, public: bool = True,
          district: str | None = None, responder_type: str | None = None, formats=FORMATS,
          on_progress=None) -> tuple[list[Path], list[str]]:
    """Write the packet's files into `folder`; returns (files, notes about the data)."""
    from .. import metrics
    from . import file_name, gather, layout

    filters = metrics.Filters(period, district, responder_type)
    gathered = gather(con, filters, cfg, public=public,
                      categories=() if public else metrics.BREAKDOWNS["calls_by_category"])
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    written = []
    for fmt in formats:
        data = layout(fmt, gathered, on_progress=on_progress)
        path = folder / file_name(fmt, filters)
        path.write_bytes(data)
        path.chmod(0o600)
        written.append(path)
    release = "public release, small counts suppressed" if public else "INTERNAL release: do not publish"
    from .. import present

    (folder / "README.txt").write_text(README.format(
        program=cfg.program, agency=cfg.name, period=present.period_text(period, cfg), release=release,
        written=datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
        files="".join(f"  {p.name}\n" for p in written)), encoding="utf-8")
    return written, list(gathered.notes)
