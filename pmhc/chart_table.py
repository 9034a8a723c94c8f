"""A chart's text alternative: the figure's own data as a table, for a screen reader or a
keyboard user (and anyone who wants the exact numbers), one click under every chart.

Read from the plotly figure itself, not from the query, so the table never shows more
than the chart does: a value the chart withholds (a suppressed count) is the chart's own
label ("<11", "suppressed") here too, and a gap the chart leaves is "not shown".
"""

from __future__ import annotations

import html
import math
import numbers
import re

import numpy as np

import pandas as pd
import plotly.graph_objects as go

NOT_SHOWN = "not shown"


def _is_percent(trace) -> bool:
    return "%" in (getattr(trace, "hovertemplate", None) or "").split("<extra>")[0].replace("%{", "")


def _cell(value, label, percent: bool) -> str:
    if value is None or (isinstance(value, numbers.Real) and math.isnan(float(value))):
        return str(label) if label not in (None, "") else NOT_SHOWN
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        value = float(value)
        if percent:
            return f"{value:.1%}"
        return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"
    return str(value)


def _category(value) -> str:
    """A category as the reader should read it: a figure holds data text HTML-escaped for
    plotly (pmhc.escape), and a table cell is plain text, so it is unescaped here."""
    if isinstance(value, (pd.Timestamp, np.datetime64)) or hasattr(value, "strftime"):
        return f"{pd.Timestamp(value):%b %Y}"
    return html.unescape(str(value))


def _array(values):
    """Trace data as a list; a figure read back from JSON holds numbers as typed arrays
    ({"dtype", "bdata", "shape"})."""
    if isinstance(values, dict) and "bdata" in values:
        import base64

        arr = np.frombuffer(base64.b64decode(values["bdata"]), dtype=values["dtype"])
        if values.get("shape"):
            arr = arr.reshape([int(n) for n in str(values["shape"]).split(",")])
        return arr.tolist()
    return None if values is None else list(values)


def _plain(text) -> str:
    """An axis or chart title without the notes drawn under it (`<br>` and markup)."""
    return re.sub(r"<[^>]+>", "", str(text).split("<br>")[0]).strip()


def _axis_title(fig: go.Figure, axis: str, default: str) -> str:
    title = getattr(fig.layout, axis).title.text
    return _plain(title) if title else default


def table(fig: go.Figure) -> pd.DataFrame:
    """One row per category (month, district, weekday…), one column per series, as text."""
    traces = [t for t in fig.data if getattr(t, "visible", True) is not False]
    heat = [t for t in traces if t.type == "heatmap"]
    if heat:
        t = heat[0]
        z, x, y = _array(t.z), _array(t.x), _array(t.y)
        rows = y if y is not None else list(range(len(z)))
        cols = [f"{c:02d}:00" if isinstance(c, numbers.Integral) else str(c) for c in x] if x is not None \
            else [str(i) for i in range(len(z[0]))]
        out = pd.DataFrame([[_cell(v, "suppressed", False) for v in row] for row in z], columns=cols)
        out.insert(0, _axis_title(fig, "yaxis", "row"), [str(r) for r in rows])
        return out
    columns: dict[str, dict[str, str]] = {}
    order: list[str] = []
    category_title = None
    for i, t in enumerate(traces):
        x, y = _array(t.x), _array(t.y)
        if x is None or y is None:
            continue
        horizontal = getattr(t, "orientation", None) == "h"
        cats, values = (y, x) if horizontal else (x, y)
        category_title = category_title or _axis_title(fig, "yaxis" if horizontal else "xaxis", "category")
        labels = list(t.text) if isinstance(t.text, (list, tuple)) else [None] * len(values)
        name = t.name or _axis_title(fig, "xaxis" if horizontal else "yaxis", f"series {i + 1}")
        while name in columns:
            name += " "
        columns[name] = {}
        for c, v, label in zip(cats, values, labels):
            key = _category(c)
            if key not in order:
                order.append(key)
            columns[name][key] = _cell(v, label, _is_percent(t))
    if not columns:
        return pd.DataFrame()
    out = pd.DataFrame({name: [col.get(k, NOT_SHOWN) for k in order] for name, col in columns.items()})
    out.insert(0, category_title or "category", order)
    return out


def title(fig: go.Figure) -> str:
    text = fig.layout.title.text
    return _plain(text) if text else "chart"
