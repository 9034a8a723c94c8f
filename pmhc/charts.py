"""Plotly figure builders shared by the dashboard pages and the slide/PDF exports.

They are pure functions of DataFrames (no Streamlit), so a chart on screen and the same
chart in a council deck are drawn by one function from one query result. Every chart
has a title that says what it shows and labelled axes; an empty selection gets a chart
that says so instead of an error or a blank plot.

Plotly draws a few HTML tags in any text (<a href>, <b>, <br>, <span style>), so every
value that comes from data (a district, a category, a milestone label, a series name, the
title and subtitle naming the selection) enters a figure through `_text` and prints as
typed: a district called `<a href="http://host/x">D9</a>` is that text, not a link. Only
the builders' own small print (`_note`) and the waterfall's step labels (written in code,
with their line breaks) carry markup.
"""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go

from . import escape, present, schema
from .config import config_dir
from .present import SUPPRESSED_TEXT, NotMeasured, Withheld

FONT = "Source Sans Pro, Helvetica, Arial, sans-serif"
# Colour-blind-safe palette (Okabe–Ito), fixed order so a series keeps its colour.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
OUTCOME_COLORS = {
    "resolved_on_scene": "#009E73",
    "referred_outpatient": "#56B4E9",
    "crisis_center": "#0072B2",
    "voluntary_ed": "#CC79A7",
    "involuntary_hold": "#E69F00",
    "arrest": "#D55E00",
    "refused_unable_to_contact": "#999999",
    "unknown": "#CCCCCC",
    schema.UNMAPPED: "#8C6D31",
}
OUTCOME_ORDER = tuple(schema.OUTCOMES) + ("unknown", schema.UNMAPPED)
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
NO_DATA = "No data for this selection"
SUPPRESSED = "Suppressed for privacy: the counts in this selection are too small to publish"
GAPS_NOTE = "Gaps are counts suppressed for privacy (too small to publish)."


def _text(value) -> str:
    """A data value as literal text in a figure (the one place plotly's markup is escaped)."""
    return escape.html(value)


def _label(value) -> str:
    """A category's display label, as literal text."""
    return _text(schema.label(value))


def _layout(fig: go.Figure, title: str, x_title: str | None, y_title: str | None,
            percent: bool = False, height: int = 440, subtitle: str | None = None) -> go.Figure:
    # Every chart's words pass through here: in the agency's terms ([terminology]).
    title, x_title, y_title = (present.term(t) for t in (title, x_title, y_title))
    for trace in fig.data:
        if trace.name:
            trace.name = present.term(trace.name)
    title_spec: dict = {"text": _text(title), "x": 0, "xanchor": "left", "font": {"size": 16}}
    if subtitle:
        title_spec["subtitle"] = {"text": _text(subtitle), "font": {"size": 12, "color": "#666"}}
    fig.update_layout(
        template="plotly_white",
        title=title_spec,
        font={"family": FONT, "size": 13},
        height=height,
        margin={"l": 60, "r": 20, "t": 80 if subtitle else 60, "b": 110},
        # Legend at the bottom of the figure: long titles and many series never collide with it.
        legend={"orientation": "h", "yref": "container", "yanchor": "bottom", "y": 0.01,
                "xanchor": "left", "x": 0},
        hovermode="x unified",
    )
    fig.update_xaxes(title_text=None if x_title is None else _text(x_title), title_font_size=12)
    fig.update_yaxes(title_text=None if y_title is None else _text(y_title), title_font_size=12,
                     rangemode="tozero")
    if percent:
        fig.update_yaxes(tickformat=".0%")
    return fig


def _legend(fig: go.Figure, show: bool) -> None:
    fig.update_layout(showlegend=show)
    if not show:
        fig.update_layout(margin_b=70)


def _month_axis(fig: go.Figure, xs: pd.Series) -> None:
    """One tick per month (or quarter / year on long ranges), never repeated labels."""
    n = xs.dt.to_period("M").nunique()
    dtick = "M1" if n <= 12 else "M2" if n <= 24 else "M3" if n <= 48 else "M6" if n <= 96 else "M12"
    fig.update_xaxes(tickformat="%b\n%Y", hoverformat="%B %Y", dtick=dtick, tick0=xs.min(), tickangle=0)


def empty(title: str, message: str = NO_DATA, subtitle: str | None = None) -> go.Figure:
    """An empty chart of the usual size that says why there is nothing to draw."""
    fig = go.Figure()
    fig.add_annotation(text=_text(message), x=0.5, y=0.5, xref="paper", yref="paper", showarrow=False,
                       font={"size": 16, "color": "#666"})
    _layout(fig, title, None, None, height=300, subtitle=subtitle)
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    fig.update_layout(hovermode=False)
    return fig


def _has_values(df: pd.DataFrame | None, columns, percent: bool = False) -> bool:
    """Anything to draw? Rates: any defined value (0 % is a result). Counts: any non-zero,
    since a selection with nothing in it returns zero rows filled with zeros."""
    if df is None or df.empty:
        return False
    cols = [c for c in columns if c in df.columns]
    if not cols:
        return False
    values = df[cols].apply(pd.to_numeric, errors="coerce")
    return bool(values.notna().any().any()) if percent else bool(values.fillna(0).ne(0).any().any())


def _as_dates(values: pd.Series) -> pd.Series:
    """'YYYY-MM' month buckets become the first day of the month, so milestones line up."""
    s = pd.Series(values).reset_index(drop=True)
    if pd.api.types.is_string_dtype(s) or s.dtype == object:
        text = s.astype("string")
        if text.str.fullmatch(r"\d{4}-\d{2}").fillna(False).all():
            return pd.to_datetime(text + "-01")
    return s


def trend(df: pd.DataFrame, x: str, series: dict[str, str], title: str, y_title: str,
          percent: bool = False, milestones: pd.DataFrame | None = None,
          x_title: str = "Month", subtitle: str | None = None) -> go.Figure:
    """Lines over time; `series` maps a column to its legend name. Milestones are dated lines.
    A series that is not measured is not drawn (never a flat zero line); the chart says why."""
    series, missing = _measured(df, series)
    if not series:
        return empty(title, _not_measured_text(missing), subtitle=subtitle)
    if not _has_values(df, series, percent):
        return empty(title, _hidden_text(df, series), subtitle=subtitle)
    xs = _as_dates(df[x])
    fig = go.Figure()
    fmt = ".1%" if percent else ",.4~g"
    for i, (col, name) in enumerate(series.items()):
        if col not in df.columns:
            continue
        name = _text(name)
        fig.add_trace(go.Scatter(
            x=xs, y=df[col].reset_index(drop=True), name=name, mode="lines+markers",
            line={"color": PALETTE[i % len(PALETTE)], "width": 2.5}, marker={"size": 6},
            hovertemplate=f"%{{y:{fmt}}}<extra>{name}</extra>", connectgaps=False,
        ))
    _layout(fig, title, x_title, y_title, percent, subtitle=subtitle)
    _legend(fig, len(series) > 1)
    if not percent:
        _whole_number_ticks(fig.update_yaxes, df[[c for c in series if c in df.columns]])
    if _any_withheld(df, series):
        _note(fig, GAPS_NOTE)
    if missing:
        _note(fig, _not_measured_text(missing))
    if pd.api.types.is_datetime64_any_dtype(xs):
        _month_axis(fig, xs)
        _draw_partial_months(fig, df, x)
        _draw_milestones(fig, milestones, xs.min(), xs.max())
    return fig


def _draw_partial_months(fig: go.Figure, df: pd.DataFrame, x: str) -> None:
    """Shade a first or last month the loaded data covers only in part (df.attrs
    "partial_months", set by the metrics layer), so a dip there is not read as a drop."""
    partial = {m: why for m, why in (df.attrs.get("partial_months") or {}).items() if m in set(df[x])}
    for month in partial:
        start = pd.Timestamp(month + "-01")
        fig.add_vrect(x0=start - pd.Timedelta(days=15), x1=start + pd.Timedelta(days=15),
                      fillcolor="#999", opacity=0.15, line_width=0, layer="below")
    if partial:
        _note(fig, "Shaded: partial month (" + "; ".join(partial.values())
              + "), counted only over the days loaded; not comparable with a full month.")


def _draw_milestones(fig: go.Figure, milestones: pd.DataFrame | None, first, last) -> None:
    if milestones is None or milestones.empty:
        return
    # A milestone dated inside the last month still belongs on the chart.
    last = pd.Timestamp(last) + pd.offsets.MonthEnd(0)
    dates = pd.to_datetime(milestones["date"])
    shown = milestones[(dates >= pd.Timestamp(first)) & (dates <= last)]
    for i, (_, m) in enumerate(shown.sort_values("date").iterrows()):
        when = pd.Timestamp(m["date"])
        fig.add_shape(type="line", x0=when, x1=when, xref="x", y0=0, y1=1, yref="paper",
                      line={"color": "#555", "width": 1, "dash": "dot"})
        fig.add_annotation(x=when, y=1 - 0.08 * (i % 3), xref="x", yref="paper", text=_text(m["label"]),
                           showarrow=False, xanchor="left", yanchor="top", font={"size": 11, "color": "#333"},
                           bgcolor="rgba(255,255,255,0.85)", hovertext=_text(f"{when:%-d %b %Y}: {m['label']}"))


def bar(df: pd.DataFrame, x: str, y: str | dict[str, str], title: str, x_title: str, y_title: str,
        percent: bool = False, horizontal: bool = False, subtitle: str | None = None) -> go.Figure:
    """Bars per category; `y` is one column, or {column: legend name} for grouped bars."""
    series = {y: y_title} if isinstance(y, str) else dict(y)
    series, missing = _measured(df, series)
    if not series:
        return empty(title, _not_measured_text(missing), subtitle=subtitle)
    if not _has_values(df, series, percent):
        return empty(title, _hidden_text(df, series), subtitle=subtitle)
    fig = go.Figure()
    fmt = ".1%" if percent else ",.4~g"
    cats = [_label(v) for v in df[x]]
    for i, (col, name) in enumerate(series.items()):
        name = _text(name)
        values = df[col].reset_index(drop=True)
        kw = {"x": values, "y": cats, "orientation": "h"} if horizontal else {"x": cats, "y": values}
        fig.add_trace(go.Bar(
            name=name, marker_color=PALETTE[i % len(PALETTE)],
            text=[_short(v, percent) for v in values], textposition="outside", cliponaxis=False,
            hovertemplate=f"%{{{'x' if horizontal else 'y'}:{fmt}}}<extra>{name}</extra>", **kw,
        ))
    category_title, value_title = x_title, y_title
    _layout(fig, title, value_title if horizontal else category_title,
            category_title if horizontal else value_title, subtitle=subtitle)
    fig.update_layout(hovermode="closest", barmode="group")
    _legend(fig, len(series) > 1)
    value_axis = fig.update_xaxes if horizontal else fig.update_yaxes
    value_axis(rangemode="tozero", tickformat=".0%" if percent else None)
    top = pd.to_numeric(df[list(series)].stack(), errors="coerce").max()
    low = pd.to_numeric(df[list(series)].stack(), errors="coerce").min()
    if pd.notna(top) and top > 0 and not (pd.notna(low) and low < 0):
        value_axis(range=[0, top * 1.15])  # room for the value labels above the bars
    if not percent:
        _whole_number_ticks(value_axis, df[list(series)])
    if _any_withheld(df, series):
        _note(fig, "Bars marked “<11” or “suppressed” are withheld for privacy (too small to publish).")
    if horizontal:
        fig.update_yaxes(autorange="reversed", rangemode="normal", tickformat=None)
        fig.update_layout(height=max(320, 140 + 36 * len(cats) * len(series)))
    return fig


def _whole_number_ticks(update_axis, values: pd.DataFrame) -> None:
    """Counts under ten get one tick per whole number: no axis of 0.5 calls."""
    numbers = pd.to_numeric(values.stack(), errors="coerce").dropna()
    if not numbers.empty and 0 < numbers.max() < 10 and (numbers == numbers.round()).all():
        update_axis(dtick=1, tick0=0)


def _measured(df: pd.DataFrame | None, series: dict[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """(series to draw, {legend name: reason} of series not measured in every row)."""
    if df is None or df.empty:
        return series, {}
    keep, missing = {}, {}
    for col, name in series.items():
        cells = list(df[col]) if col in df.columns else []
        if cells and all(isinstance(v, NotMeasured) for v in cells):
            missing[name] = cells[0].reason
        else:
            keep[col] = name
    return keep, missing


def _not_measured_text(missing: dict[str, str]) -> str:
    return "; ".join(f"{name}: not measured ({reason})" for name, reason in missing.items())


def _withheld_text(cells) -> str:
    """Why a chart with nothing shown is empty: the reason its cells share when they are a
    breakdown the public release does not publish for the selection, else suppressed."""
    reasons = {(v.display, v.reason) for v in cells if isinstance(v, Withheld)}
    if len(reasons) == 1:
        display, reason = next(iter(reasons))
        if display != SUPPRESSED_TEXT and not display.startswith("<"):
            return f"{display.capitalize()}: {reason}"
    return SUPPRESSED


def _hidden_text(df: pd.DataFrame | None, columns) -> str:
    if not _any_withheld(df, columns):
        return NO_DATA
    return _withheld_text(v for c in columns if c in df.columns for v in df[c])


def _any_withheld(df: pd.DataFrame | None, columns) -> bool:
    """Does the frame hold a cell the public release withholds (a release.Withheld)?"""
    if df is None or df.empty:
        return False
    return any(isinstance(v, Withheld) for c in columns if c in df.columns for v in df[c])


def _note(fig: go.Figure, text: str) -> None:
    """Small print under the x-axis title (e.g. why some values are missing); it travels
    with the axis, so it never lands on the legend or the tick labels."""
    title = fig.layout.xaxis.title.text or ""
    fig.update_xaxes(title_text=f"{title}<br><span style='font-size:11px;color:#666'>{text}</span>")


def _short(v, percent: bool) -> str:
    if isinstance(v, Withheld):
        return v.display
    if v is None or pd.isna(v):
        return ""
    if percent:
        return f"{v:.1%}" if abs(v) < 0.1 else f"{v:.0%}"
    return f"{v:,.0f}" if abs(v) >= 10 or float(v).is_integer() else f"{v:,.1f}"


def outcome_mix(df_long: pd.DataFrame, title: str, x_title: str = "Month",
                subtitle: str | None = None) -> go.Figure:
    """Share of contacts by outcome per bucket (stacked to 100%), unknown outcomes shown last.

    A bucket with a withheld outcome count (public release) is left out rather than drawn
    with shares of a partial total, and the chart says so."""
    if df_long is None or df_long.empty:
        return empty(title, subtitle=subtitle)
    withheld = df_long["contacts"].map(lambda v: isinstance(v, Withheld))
    hidden_buckets = set(df_long.loc[withheld, "bucket"])
    counts = pd.to_numeric(df_long["contacts"], errors="coerce")
    if counts.fillna(0).sum() == 0 or hidden_buckets >= set(df_long.loc[counts.fillna(0) > 0, "bucket"]):
        return empty(title, _withheld_text(df_long["contacts"]) if hidden_buckets else NO_DATA, subtitle=subtitle)
    df_long = df_long.assign(contacts=counts.where(~df_long["bucket"].isin(hidden_buckets)))
    totals = df_long.groupby("bucket")["contacts"].transform("sum")
    data = df_long.assign(share=df_long["contacts"] / totals)
    buckets = list(dict.fromkeys(data["bucket"]))
    xs = _as_dates(pd.Series(buckets))
    by_month = pd.api.types.is_datetime64_any_dtype(xs)
    present = set(data["outcome"])
    order = [o for o in OUTCOME_ORDER if o in present] + sorted(present - set(OUTCOME_ORDER), key=str)
    fig = go.Figure()
    for i, outcome in enumerate(order):
        part = data[data["outcome"] == outcome].set_index("bucket").reindex(buckets)
        name = _label(outcome)
        fig.add_trace(go.Bar(
            x=xs if by_month else [_label(b) for b in buckets],
            y=part["share"].fillna(0).where(~part.index.isin(hidden_buckets)).to_numpy(),
            name=name, marker_color=OUTCOME_COLORS.get(outcome, PALETTE[i % len(PALETTE)]),
            customdata=part["contacts"].fillna(0).to_numpy(),
            hovertemplate=f"{name}: %{{y:.1%}} (%{{customdata:,.0f}} contacts)<extra></extra>",
        ))
    _layout(fig, title, x_title, "Share of contacts", percent=True, height=440, subtitle=subtitle)
    # Many outcomes: the legend goes to the right, top to bottom in stacking order.
    fig.update_layout(barmode="stack", hovermode="x unified", margin={"b": 70},
                      legend={"orientation": "v", "yref": "paper", "y": 1, "yanchor": "top", "x": 1.02,
                              "xanchor": "left", "traceorder": "reversed"})
    fig.update_yaxes(range=[0, 1])
    if by_month:
        _month_axis(fig, xs)
    if hidden_buckets:
        n = len(hidden_buckets)
        what = ("month" if by_month else "group") + ("s" if n > 1 else "")
        _note(fig, f"Not drawn for privacy: {n} {what} with an outcome count too small to publish.")
    return fig


def heatmap(df: pd.DataFrame, title: str, value: str = "bh_calls",
            value_title: str = "BH calls", subtitle: str | None = None) -> go.Figure:
    """Weekday (1 = Monday) × hour-of-day counts on the full 7 × 24 grid; an hour with no
    row is zero, a withheld count (public release) is a blank cell that says so."""
    if df is None or df.empty:
        return empty(title, subtitle=subtitle)
    withheld = df[value].map(lambda v: isinstance(v, Withheld))
    counts = pd.to_numeric(df[value], errors="coerce").where(~withheld)
    if counts.fillna(0).sum() == 0:
        return empty(title, _withheld_text(df[value]) if withheld.any() else NO_DATA, subtitle=subtitle)
    cells = df.assign(**{value: counts})
    # Calls whose export gave the day but not the hour (hour NULL) are never drawn at 00:00:
    # they get a column of their own, "hour unknown", and a caveat under the chart.
    no_hour = cells["hour"].isna()
    unknown = cells[no_hour].groupby("weekday")[value].sum(min_count=1).reindex(range(1, 8))
    cells = cells[~no_hour].astype({"hour": int})
    grid = (cells.groupby(["weekday", "hour"])[value].sum(min_count=1).unstack()
            .reindex(index=range(1, 8), columns=range(24)))
    known = set(zip(cells["weekday"], cells["hour"]))
    for w in range(1, 8):  # hours with no row had no calls
        for h in range(24):
            if (w, h) not in known:
                grid.loc[w, h] = 0
    hours = [f"{h:02d}:00–{h:02d}:59" for h in range(24)]
    if no_hour.any():
        with_rows = set(df.loc[no_hour, "weekday"])
        grid[24] = [unknown[w] if w in with_rows else 0 for w in range(1, 8)]  # NaN: withheld
        hours.append("hour unknown")
    text = [[f"{z:,.0f} {value_title}" if pd.notna(z) else "suppressed for privacy" for z in row]
            for row in grid.to_numpy()]
    fig = go.Figure(go.Heatmap(
        z=grid.to_numpy(dtype=float), x=list(grid.columns), y=list(WEEKDAYS), colorscale="Blues", xgap=1, ygap=1,
        colorbar={"title": {"text": _text(value_title)}}, text=text,
        customdata=[hours for _ in range(7)],
        hovertemplate="%{y} %{customdata}: %{text}<extra></extra>",
    ))

    _layout(fig, title, "Hour of day received (agency time zone)", "Weekday", height=400, subtitle=subtitle)
    if withheld.any():
        fig.update_layout(plot_bgcolor="#bdbdbd")  # a withheld cell is a grey hole, not a pale zero
        _note(fig, "Grey cells are counts suppressed for privacy (too small to publish).")
    ticks = list(range(0, 24, 3)) + ([24] if no_hour.any() else [])
    fig.update_xaxes(tickvals=ticks, ticktext=[f"{h:02d}:00" if h < 24 else "hour unknown" for h in ticks])
    if no_hour.any():
        n = "Some" if unknown.isna().any() and withheld.any() else f"{int(unknown.fillna(0).sum()):,}"
        _note(fig, f"{n} {value_title} have no hour in the export (time not recorded): shown as "
                   "“hour unknown”, not at 00:00.")
    fig.update_yaxes(autorange="reversed", rangemode="normal")
    fig.update_layout(hovermode="closest")
    _legend(fig, False)
    return fig


def waterfall(steps: list[tuple[str, float | None]], title: str, y_title: str,
              total_label: str = "Net", money: bool = True, subtitle: str | None = None) -> go.Figure:
    """Parts adding up to a total (e.g. cost avoided by source, minus program cost, = net)."""
    steps = [(label, v) for label, v in steps if v is not None and not pd.isna(v)]
    if not steps:
        return empty(title, subtitle=subtitle)
    symbol = present.currency_symbol() if money else ""
    fmt = ",.0f" if money else ",.1f"
    total = sum(v for _, v in steps)
    labels = [label for label, _ in steps] + [total_label]
    values = [v for _, v in steps] + [total]
    fig = go.Figure(go.Waterfall(
        x=labels, y=values, measure=["relative"] * len(steps) + ["total"],
        text=[present.fmt(v, "usd") if money else f"{v:,.1f}" for v in values], textposition="outside",
        increasing={"marker": {"color": PALETTE[2]}}, decreasing={"marker": {"color": PALETTE[5]}},
        totals={"marker": {"color": PALETTE[0]}}, connector={"line": {"color": "#999", "dash": "dot"}},
        hovertemplate=f"%{{x}}: {_text(symbol)}%{{y:{fmt}}}<extra></extra>", cliponaxis=False,
    ))
    _layout(fig, title, None, y_title, subtitle=subtitle, height=440)
    fig.update_yaxes(tickprefix=symbol or None, tickformat=",.0f", rangemode="normal")
    fig.update_xaxes(tickangle=0)
    fig.update_layout(hovermode="closest")
    _legend(fig, False)
    return fig


# ------------------------------------------------------------------ milestones

def milestones_path() -> Path:
    return config_dir() / "milestones.csv"


def load_milestones(path: Path | str | None = None) -> pd.DataFrame:
    """Program milestones (date, label) from config/milestones.csv; no file → no milestones.

    Raises ValueError naming the file, line and column of a bad row, so a typo in the
    file is fixed rather than silently dropped from the charts.
    """
    path = Path(path) if path else milestones_path()
    if not path.exists():
        return pd.DataFrame({"date": pd.Series(dtype="datetime64[ns]"), "label": pd.Series(dtype="string")})
    rows: list[dict] = []
    with path.open(newline="", encoding="utf-8-sig") as f:
        reader = csv.DictReader(f)
        header = [h.strip() for h in (reader.fieldnames or [])]
        missing = [c for c in ("date", "label") if c not in header]
        if missing:
            raise ValueError(f"{path}: line 1: missing column(s) {', '.join(missing)}; "
                             f"the header must be 'date,label' (found {','.join(header) or 'nothing'})")
        for raw in reader:
            line = reader.line_num
            row = {(k or "").strip(): (v or "").strip() for k, v in raw.items() if k is not None}
            if not any(row.values()):
                continue
            try:
                when = date.fromisoformat(row["date"])
            except ValueError:
                raise ValueError(f"{path}: line {line}, column date: {row['date']!r} is not a date; "
                                 "write it as YYYY-MM-DD") from None
            if not row["label"]:
                raise ValueError(f"{path}: line {line}, column label: empty; describe the milestone "
                                 "(e.g. 'Night shift added')")
            rows.append({"date": pd.Timestamp(when), "label": row["label"]})
    out = pd.DataFrame(rows, columns=["date", "label"])
    out["date"] = pd.to_datetime(out["date"])
    return out.sort_values("date", ignore_index=True)
