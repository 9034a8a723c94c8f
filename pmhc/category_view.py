"""Figures by what the export has — call type, beat (figures.CATEGORIES) — as a page section.

The Co-response volume and Diversion & outcomes pages both break their figures down by
the categorical columns of the calls. One section draws it for both: a choice of column,
a chart of the largest rows with an "Other" row for the rest (pmhc.top_rows: the bars
still add up to the period's figure, however many beats the export has), and the table
of every row with the selection's total. The numbers are those of every other view
(pmhc.figure_cache: exact for staff, the privacy release for the public).

The public release protects these breakdowns for all districts and responder types
together (pmhc.release.CATEGORY_BYS); with a district or responder filter the public
view says so instead of showing cells the release did not check.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from . import charts, figures, present, top_rows
from .figure_cache import by_category, coverage, headline
from .page import PageContext, chart, no_data

TOP = 15


def section(ctx: PageContext, key: str, chart_series: tuple[str, ...], table: tuple[str, ...], rank: str,
            what: str, value_title: str) -> None:
    """Draw the section. `chart_series`: the counts drawn; `table`: the figures listed, in
    order (of figures.CATEGORY_FIGURES); `rank`: the count the chart's rows are chosen by;
    `what`: the chart title's subject ("BH calls and co-responded BH calls");
    `value_title`: the value axis."""
    f = ctx.filters
    if ctx.is_public and (f.district or f.responder_type):
        st.caption("Breakdowns by call type and beat are published for all districts and responder types together "
                   "(a district's own table beside the all-districts one could give small counts away): clear the "
                   "district and responder filters to see them.")
        return
    by = st.radio("Break down by", list(figures.CATEGORIES), horizontal=True,
                  format_func=figures.BREAKDOWN_LABELS.get, key=key)
    name = figures.BREAKDOWN_LABELS[by]
    frame = by_category(f, by)
    counts = [k for k in table if figures.lookup(k).unit == "count" and k in frame]
    if not frame.empty and counts:  # a row that is 0 in every count here adds nothing (e.g. contacts' rows
        # on a calls table): left out so the table lists what this page counts
        frame = frame[[any(not _zero(v) for v in row) for row in frame[counts].itertuples(index=False)]]
        frame = frame.reset_index(drop=True)
    if frame.empty:
        no_data()
        return
    cov = coverage(f)
    labels = {k: cov.label(figures.lookup(k)) for k in set(table) | set(chart_series)}
    values = headline(f)
    top = top_rows.top_with_other(frame, "bucket", rank, list(chart_series), values, TOP)
    chart(charts.bar(top, "bucket", {k: labels[k] for k in chart_series},
                     f"{what} by {name.lower()}" + (f" (top {TOP} by {labels[rank].lower()}, then Other)"
                                                     if len(frame) > TOP else ""),
                     name, value_title, horizontal=True))
    units = {k: figures.lookup(k).unit for k in table}
    shown = {name: [str(b) for b in frame["bucket"]] + ["Total"]}
    for k in table:
        col = list(frame[k]) if k in frame else [None] * len(frame)
        shown[labels[k]] = [present.fmt(v, units[k]) for v in col + [values.get(k)]]
    st.dataframe(pd.DataFrame(shown), hide_index=True, width="stretch")
    notes = [f"{name} as exported; “Unknown”: calls exported without one."]
    if any(figures.lookup(k).query == "outcomes_contacts" for k in table) and not cov.from_calls:
        notes.append("Contacts are counted under their call's " + name.lower() + "; “No linked call”: follow-ups, "
                     "referrals and contacts whose call is not loaded.")
    notes.append("Rows add up to the Total" + (" (the chart's Other row holds the rows after the first "
                                               f"{TOP})." if len(frame) > TOP else "."))
    if ctx.is_public:
        t = ctx.cfg.suppression_threshold
        notes.append(f"Counts from 1 to {t - 1} are shown as “<{t}” and cells that would reveal them as "
                     "“suppressed”; the chart orders rows by shown counts only.")
    st.caption(" ".join(notes))


def _zero(v) -> bool:
    """Exactly 0 (a withheld or not-measured cell is not known to be 0)."""
    return not present.missing(v) and not isinstance(v, present.Withheld) and float(v) == 0
