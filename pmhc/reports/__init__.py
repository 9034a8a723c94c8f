"""Exports people take into meetings: the council deck, the grant workbook, the one-pager.

All three are built from one `content.ReportData` gathered from the metrics layer, so a
figure on a slide, in a spreadsheet cell and on the printed page is the same number.
`public=True` (the default) builds the privacy release: small counts suppressed, nothing
about individual people — the version that may leave the building.
"""

from __future__ import annotations

import duckdb

from .. import metrics
from ..config import AgencyConfig
from .command import cli_run
from .content import ReportData, gather

FORMATS = {
    "pptx": ("application/vnd.openxmlformats-officedocument.presentationml.presentation", "council deck"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "grant workbook"),
    "pdf": ("application/pdf", "one-page summary"),
}


def build_deck(con: duckdb.DuckDBPyConnection, filters: metrics.Filters, cfg: AgencyConfig | None = None,
               assumptions: metrics.Assumptions | None = None, public: bool = True) -> bytes:
    """Council slide deck (.pptx bytes)."""
    from . import deck

    return deck.build(gather(con, filters, cfg, assumptions, public))


def build_workbook(con: duckdb.DuckDBPyConnection, filters: metrics.Filters, cfg: AgencyConfig | None = None,
                   assumptions: metrics.Assumptions | None = None, public: bool = True) -> bytes:
    """Grant workbook (.xlsx bytes): figures, by month, by district, assumptions."""
    from . import workbook

    return workbook.build(gather(con, filters, cfg, assumptions, public))


def build_onepager(con: duckdb.DuckDBPyConnection, filters: metrics.Filters, cfg: AgencyConfig | None = None,
                   assumptions: metrics.Assumptions | None = None, public: bool = True) -> bytes:
    """One-page PDF summary (bytes)."""
    from . import onepager

    return onepager.build(gather(con, filters, cfg, assumptions, public))


BUILDERS = {"pptx": build_deck, "xlsx": build_workbook, "pdf": build_onepager}


def own_cursor(con: duckdb.DuckDBPyConnection, cfg: AgencyConfig) -> duckdb.DuckDBPyConnection:
    """A cursor of its own for one build, on the agency's clock like every connection.

    A build runs dozens of queries over seconds while the dashboard's shared read-only
    connection keeps serving other sessions; a cursor is a separate DuckDB connection to
    the same database, but it does not inherit the TimeZone setting, so it is set again
    (without it, calls near midnight would land in the wrong day or month).
    """
    from ..db import configure as _configure

    cur = con.cursor()
    _configure(cur, cfg)
    return cur


def build(fmt: str, con: duckdb.DuckDBPyConnection, filters: metrics.Filters, cfg: AgencyConfig | None = None,
          assumptions: metrics.Assumptions | None = None, public: bool = True) -> bytes:
    if fmt not in BUILDERS:
        raise ValueError(f"unknown report format {fmt!r}; use one of {', '.join(BUILDERS)}")
    return BUILDERS[fmt](con, filters, cfg, assumptions, public)


def layout(fmt: str, data: ReportData, on_progress=None) -> bytes:
    """One file from already gathered data: gathering (the privacy release of the period,
    the previous period and a year earlier) is the slow part, so the dashboard gathers once
    per selection and lays out all three files from it."""
    from . import deck, onepager, workbook

    layouts = {"pptx": deck.build, "xlsx": workbook.build, "pdf": onepager.build}
    if fmt not in layouts:
        raise ValueError(f"unknown report format {fmt!r}; use one of {', '.join(layouts)}")
    if fmt == "pptx":  # the deck draws a chart per figure: progress by chart (pmhc.progress)
        return deck.build(data, on_progress)
    return layouts[fmt](data)


def file_name(fmt: str, filters: metrics.Filters) -> str:
    """A name that says what and when: pmhc_council_deck_20240101_20241231_D2.pptx."""
    p = filters.period
    kind = {"pptx": "council_deck", "xlsx": "grant_workbook", "pdf": "summary"}[fmt]
    name = f"pmhc_{kind}_{p.start:%Y%m%d}_{p.last_day:%Y%m%d}"
    if filters.district:
        name += f"_{filters.district}"
    if filters.responder_type:
        name += f"_{filters.responder_type}"
    return f"{name}.{fmt}"


__all__ = ["build_deck", "build_workbook", "build_onepager", "build", "cli_run", "file_name", "gather", "own_cursor",
           "layout", "ReportData", "FORMATS"]
