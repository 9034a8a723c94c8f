"""What every dashboard page shares: role, database connection, cached figures, the
filter bar kept in the URL, number formatting and the page header.

Pages stay thin (read filters, call these helpers, draw) so that a later change to
privacy (suppression, login) or caching happens here once, not on every page.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from . import access, auth, charts, db, definitions, escape, metrics, release, schema
from .config import AgencyConfig, config_dir, default_db_path, load_agency
from .periods import Period

DASH = "—"  # shown for a figure that is not defined for the selection (e.g. a rate of 0 ÷ 0)


# ------------------------------------------------------------------ role

def demo_mode() -> bool:
    """PMHC_DEMO=1 on the sample data: no login, a role switcher so reviewers can see every view.
    Refused (False) once the database holds anything but the shipped synthetic files."""
    return auth.demo_requested() and demo_refusal() is None


def demo_refusal() -> str | None:
    """Why PMHC_DEMO=1 is refused for this database; None when allowed or not asked for."""
    if not auth.demo_requested():
        return None
    return _demo_refusal(_stamp())


@functools.lru_cache(maxsize=8)
def _demo_refusal(stamp: tuple) -> str | None:
    # Keyed by the database file's stamp: an import of a real file is seen on the next run.
    return auth.demo_refusal_for(connection())


def current_role() -> str:
    """The one place a page learns who is looking: the logged-in user's role (pmhc.login.gate
    in app.py), or in demo mode the role switcher's choice — never administrator there: a
    demo visitor is anonymous, so imports and the audit log stay behind a login."""
    s = st.session_state.get(auth.SESSION_KEY)
    if s and not demo_mode():
        role = s["role"]
    elif demo_mode():
        role = st.session_state.get("role", "analyst")
        return role if role in access.DEMO_ROLES else "analyst"
    else:
        role = st.session_state.get("role", "public")
    return role if role in access.ROLES else "public"


def role_switcher() -> str:
    """Sidebar role picker shown only in demo mode."""
    # Re-assigned every run so the choice survives page switches (widget ids are per page).
    st.session_state["role"] = current_role()
    st.sidebar.selectbox("View as (demo)", access.DEMO_ROLES, key="role", persist_state="session",
                         format_func=access.ROLE_LABELS.get,
                         help="Demo mode only: see what each kind of user sees. "
                              "The council / public view hides person-level lists and suppresses small counts.")
    return current_role()


# ------------------------------------------------------------------ connection and cached data

def _stamp() -> tuple:
    """Identifies the database and settings files' versions: any re-import or config edit
    changes it, so cached connections and figures are never stale."""
    path = default_db_path()
    parts: list = [str(path)]
    for p in (path, Path(f"{path}.wal"), config_dir() / "agency.toml", config_dir() / "assumptions.toml"):
        try:
            s = p.stat()
            parts += [s.st_mtime_ns, s.st_size]
        except FileNotFoundError:
            parts += [None, None]
    return tuple(parts)


@st.cache_resource(ttl=6 * 3600, max_entries=2, show_spinner=False)
def _open(path: str, stamp: tuple) -> duckdb.DuckDBPyConnection:
    # Keyed by the file's stamp so a re-imported file (a new snapshot, pmhc.snapshots) is
    # reopened. An evicted connection is not closed here: a viewer may be mid-query on it;
    # it closes when the last reference goes.
    return db.connect(path, read_only=True)


def connection() -> duckdb.DuckDBPyConnection | None:
    """The shared read-only connection; None when the database file does not exist."""
    path = default_db_path()
    if not path.exists():
        return None
    return _open(str(path), _stamp())


def release_connection() -> None:
    """Close the app's read-only connection, e.g. before an in-app import writes the file."""
    _open.clear()
    _cached.clear()
    _release.clear()


@st.cache_data(ttl=3600, max_entries=512, show_spinner="Computing figures…")
def _cached(fn: str, filters_key: tuple | None, role: str, stamp: tuple, kwargs: tuple):
    # `role` is part of the key on purpose: what a role may see differs (suppression),
    # so one role's cached result is never served to another.
    con = _open(str(default_db_path()), stamp)
    kw = dict(kwargs)
    if "assumptions" in kw:
        kw["assumptions"] = _assumptions_from_key(kw["assumptions"])
    if filters_key is None:
        return _FUNCS[fn](con, **kw)
    if access.is_public(role):
        # The public sees figures only through the suppressed release (pmhc/release.py); a
        # helper with no public version raises rather than fall back to exact figures.
        return _PUBLIC_FUNCS[fn](con, filters_key, role, stamp, **kw)
    return _FUNCS[fn](con, _filters_from_key(filters_key), **kw)


@st.cache_resource(ttl=6 * 3600, max_entries=48,
                   show_spinner="Preparing the public figures (small counts suppressed)…")
def _release(filters_key: tuple, role: str, stamp: tuple) -> release.Release:
    """The public release of one selection, built once per (selection, role, data version):
    building takes seconds on a year of data, and every public helper of every page reads
    the same one, so a page never shows a cell another view of the selection hid.
    Read-only to callers (cache_resource hands out the object itself, not a copy)."""
    con = _open(str(default_db_path()), stamp)
    cfg, f = load_agency(), _filters_from_key(filters_key)
    if release.is_published(f.period, cfg.fiscal_year_start_month):
        # Months, quarters and years are protected together (release.published); each is
        # cached here, so the months a year is built from are the very releases a month shows.
        return release.published(con, f, cfg, release_of=lambda g: _release(_filters_key(g), role, stamp))
    # Another range: only staff reach this (the public filter bar offers published periods);
    # its release protects that range on its own, not against the months.
    return release.build(con, f, cfg, parent=lambda g: _release(_filters_key(g), role, stamp))


def _public_headline(con, fkey, role, stamp):
    return _release(fkey, role, stamp).masked_values()


def _public_compare(con, fkey, role, stamp, keys=None):
    f = _filters_from_key(fkey)
    rels = {"value": _release(fkey, role, stamp),
            "previous": _release(_filters_key(f.with_period(f.period.previous())), role, stamp),
            "year_ago": _release(_filters_key(f.with_period(f.period.year_ago())), role, stamp)}
    return release.public_compare(con, f, list(keys) if keys else None, load_agency(), rels=rels)


def _public_monthly(con, fkey, role, stamp):
    rel = _release(fkey, role, stamp)
    return rel.masked_frame(rel.frames["month"], "month").rename(columns={"bucket": "month"})


def _public_breakdown(con, fkey, role, stamp, query, by):
    return _release(fkey, role, stamp).masked_frame(metrics.breakdown(con, query, _filters_from_key(fkey), by), by)


def _public_outcome_mix(con, fkey, role, stamp, by="month"):
    rel = _release(fkey, role, stamp)
    return rel.masked_mix(rel.frames[f"mix:{by}"], by)


def _public_heatmap(con, fkey, role, stamp):
    rel = _release(fkey, role, stamp)
    return rel.masked_heatmap(rel.frames["heatmap"])


def _public_savings(con, fkey, role, stamp, assumptions, scenario="value"):
    return release.public_savings(con, _filters_from_key(fkey), assumptions, scenario, rel=_release(fkey, role, stamp))


def _no_public_version(con, fkey, role, stamp, **kw):
    raise PermissionError("this figure is not part of the public release")


_FUNCS = {
    "headline": metrics.headline,
    "compare": metrics.compare,
    "monthly": metrics.monthly,
    "breakdown": lambda con, f, query, by: metrics.breakdown(con, query, f, by),
    "outcome_mix": metrics.outcome_mix,
    "heatmap": metrics.heatmap,
    "repeat_people": metrics.repeat_people,
    "savings": metrics.savings,
    "data_range": metrics.data_range,
    "districts": metrics.districts,
}


# What the public role gets instead (every figure through the release).
_PUBLIC_FUNCS = {
    "headline": _public_headline,
    "compare": _public_compare,
    "monthly": _public_monthly,
    "breakdown": _public_breakdown,
    "outcome_mix": _public_outcome_mix,
    "heatmap": _public_heatmap,
    "repeat_people": _no_public_version,
    "savings": _public_savings,
}


def _filters_key(f: metrics.Filters) -> tuple:
    p = f.period
    return (p.start.isoformat(), p.end.isoformat(), p.kind, p.name, f.district, f.responder_type)


def _filters_from_key(k: tuple) -> metrics.Filters:
    start, end, kind, name, district, responder = k
    return metrics.Filters(Period(date.fromisoformat(start), date.fromisoformat(end), kind, name),
                           district, responder)


def _assumptions_key(a: metrics.Assumptions) -> tuple:
    return tuple((k, x.value, x.low, x.high) for k, x in a.items())


def _assumptions_from_key(key: tuple) -> metrics.Assumptions:
    base = metrics.load_assumptions()
    out = metrics.Assumptions(base)
    for k, value, low, high in key:
        out[k] = replace(base[k], value=value, low=low, high=high)
    return out


def _call(fn: str, filters: metrics.Filters | None = None, **kwargs):
    if "assumptions" in kwargs and kwargs["assumptions"] is not None:
        kwargs["assumptions"] = _assumptions_key(kwargs["assumptions"])
    fkey = _filters_key(filters) if filters is not None else None
    return _cached(fn, fkey, current_role(), _stamp(), tuple(sorted(kwargs.items())))


def headline(filters: metrics.Filters) -> dict:
    return _call("headline", filters)


def compare(filters: metrics.Filters, keys: list[str] | None = None) -> pd.DataFrame:
    return _call("compare", filters, keys=tuple(keys) if keys else None)


def monthly(filters: metrics.Filters) -> pd.DataFrame:
    """Monthly figures; months outside the loaded data are blank, not zero (nothing is known)."""
    df = _call("monthly", filters).copy()
    span = data_span()
    if span is not None and not df.empty:
        outside = (df["month"] < span.months[0]) | (df["month"] > span.months[-1])
        df.loc[outside, [c for c in df.columns if c != "month"]] = None
    return df


def breakdown(query: str, filters: metrics.Filters, by: str) -> pd.DataFrame:
    return _call("breakdown", filters, query=query, by=by)


def outcome_mix(filters: metrics.Filters, by: str = "month") -> pd.DataFrame:
    return _call("outcome_mix", filters, by=by)


def heatmap(filters: metrics.Filters) -> pd.DataFrame:
    return _call("heatmap", filters)


def repeat_people(filters: metrics.Filters) -> pd.DataFrame:
    if not access.can(current_role(), "view_person_list"):
        raise PermissionError("person-level lists are for the analyst and administrator roles")
    return _call("repeat_people", filters)


def savings(filters: metrics.Filters, assumptions: metrics.Assumptions, scenario: str = "value") -> dict:
    return _call("savings", filters, assumptions=assumptions, scenario=scenario)


def is_withheld(value) -> bool:
    """A figure the public release hides ("<11", "suppressed"): a page must not draw or add it."""
    return isinstance(value, release.Withheld)


def pivot_counts(df: pd.DataFrame, index: str, columns: str, values: str) -> pd.DataFrame:
    """Long counts (one row per index × column) to a wide table. A combination with no row
    is 0; a withheld count stays withheld (a summing pivot would turn it into 0 or a dash)."""
    rows = list(dict.fromkeys(df[index]))
    cols = list(dict.fromkeys(df[columns]))
    cells = {(r, c): v for r, c, v in zip(df[index], df[columns], df[values])}  # no dtype inference here
    return pd.DataFrame({c: pd.Series([cells.get((r, c), 0) for r in rows], index=rows, dtype=object)
                         for c in cols}).rename_axis(index=index, columns=columns)


def data_range() -> pd.DataFrame:
    return _call("data_range")


def districts() -> list[str]:
    return _call("districts")


# ------------------------------------------------------------------ formatting

def fmt(value, unit: str = "count", key: str | None = None) -> str:
    """Every figure on screen goes through here (suppression hooks in at this one place).

    `key` is the figure key, so a rule can depend on the figure; None/NaN show as a dash.
    Public figures arrive marked by the release: Withheld prints its label ("<11",
    "suppressed") and Unstable its value with the mark, as in exports (release.format_value).
    """
    if isinstance(value, release.Withheld):
        return release.format_value(value, unit)
    if isinstance(value, release.Unstable):
        return f"{fmt(float(value), unit, key)} {release.UNSTABLE_MARK}"
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NA:
        return DASH
    v = float(value)
    if unit == "rate":
        return f"{v:.1%}"
    if unit == "usd":
        return f"−${abs(v):,.0f}" if v < 0 else f"${v:,.0f}"
    if unit == "hours":
        return f"{v:,.1f} h" if abs(v) < 100 else f"{v:,.0f} h"
    if unit == "minutes":
        return f"{v:,.0f} min"
    if unit == "days":
        return f"{v:,.1f} days"
    if float(v).is_integer():
        return f"{v:,.0f}"
    return f"{v:,.1f}" if abs(v) >= 10 else f"{v:,.2f}"


def fmt_change(change, unit: str) -> str | None:
    """Rates change in percentage points, everything else in percent; None when undefined."""
    if change is None or (isinstance(change, float) and pd.isna(change)):
        return None
    if unit == "rate":
        return f"{change * 100:+.1f} pts"
    return f"{change:+.1%}"


def fmt_delta(value, before, change, unit: str) -> str | None:
    """A change for st.metric: dollars as a dollar difference (a percent of a negative or
    near-zero estimate misleads), rates in points, everything else in percent."""
    if unit == "usd":
        if value is None or before is None or pd.isna(value) or pd.isna(before):
            return None
        d = float(value) - float(before)
        return ("+" if d >= 0 else "−") + fmt(abs(d), "usd")
    return fmt_change(change, unit)


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def first_sentence(text: str) -> str:
    head, sep, _ = text.partition(". ")
    return head + "." if sep else text


# ------------------------------------------------------------------ tables built for pages

FIGURE_COLUMNS = ["key", "label", "value", "unit", "definition", "numerator", "denominator", "counting_unit",
                  "exclusions", "source"]


def figure_table(values: dict, figs: list[definitions.Figure], role: str) -> pd.DataFrame:
    """One row per figure with its formatted value and definition (the grant table).

    Figures not cleared for public release are left out of the public view.
    """
    public = access.is_public(role)
    rows = [{
        "key": fig.key, "label": fig.label, "value": fmt(values.get(fig.key), fig.unit, fig.key),
        "unit": fig.unit, "definition": fig.definition, "numerator": fig.numerator,
        "denominator": fig.denominator, "counting_unit": fig.counting_unit, "exclusions": fig.exclusions,
        "source": fig.location,
    } for fig in figs if fig.key in values and (fig.public or not public)]
    return pd.DataFrame(rows, columns=FIGURE_COLUMNS)


def figures_csv(table: pd.DataFrame, values: dict, filters: metrics.Filters, role: str) -> bytes:
    """The grant table as CSV, every row stamped with its exact period and filters."""
    p = filters.period
    out = table.assign(period_start=p.start.isoformat(), period_end_inclusive=p.last_day.isoformat(),
                       district=filters.district or "all", responder_type=filters.responder_type or "all")
    if access.can(role, "view_unsuppressed"):
        # Staff also get the unrounded number for their own checks.
        out.insert(3, "value_exact", [values.get(k) for k in out["key"]])
    return escape.to_csv(out)


def what_if(base: metrics.Assumptions, edited: pd.DataFrame) -> tuple[metrics.Assumptions, list[str], list[str]]:
    """Assumptions with the edited value/low/high rows applied (nothing is saved).

    Returns (assumptions, labels of changed rows, problems); a row that breaks
    low ≤ value ≤ high keeps the file's values and is reported.
    """
    out = metrics.Assumptions(base)
    changed: list[str] = []
    problems: list[str] = []
    for row in edited.to_dict("records"):
        a = base[row["key"]]
        nums = [None if pd.isna(row.get(c)) else float(row[c]) for c in ("value", "low", "high")]
        if None in nums or not nums[1] <= nums[0] <= nums[2] or nums[1] < 0:
            shown = ", ".join("empty" if n is None else f"{n:g}" for n in nums)
            problems.append(f"“{a.label}” needs 0 ≤ low ≤ value ≤ high (got value, low, high = {shown}); "
                            "the file's values are used for this row.")
            continue
        value, low, high = nums
        if (value, low, high) != (a.value, a.low, a.high):
            out[a.key] = replace(a, value=value, low=low, high=high)
            changed.append(a.label)
    return out, changed, problems


# ------------------------------------------------------------------ filter bar

PERIOD_KINDS = {"months": "Month range", "quarter": "Quarter", "year": "Calendar year", "fy": "Fiscal year"}
# Widget keys of the filter bar; their values mirror the URL query parameters.
FILTER_KEYS = ("flt_period", "flt_from", "flt_to", "flt_quarter", "flt_year", "flt_fy",
               "flt_district", "flt_responder")
PARAM_KEYS = ("period", "from", "to", "quarter", "year", "fy", "district", "responder")


@dataclass(frozen=True)
class DataSpan:
    """What is loaded: first and last dated record across calls and contacts."""
    first: date
    last: date

    @property
    def months(self) -> list[str]:
        return [str(m) for m in pd.period_range(self.first, self.last, freq="M")]

    @property
    def last_full_month(self) -> str:
        last = pd.Timestamp(self.last)
        if last.is_month_end or len(self.months) == 1:
            return self.months[-1]
        return self.months[-2]

    def default_period(self) -> tuple[str, str]:
        """The last 12 full months of loaded data (fewer if less is loaded)."""
        months = self.months
        end = months.index(self.last_full_month)
        return months[max(0, end - 11)], months[end]

    def covers(self, period: Period) -> bool:
        return period.start >= self.first.replace(day=1) and period.last_day <= self.last


def data_span() -> DataSpan | None:
    dr = data_range()
    dr = dr[dr["table_name"].isin(["calls", "encounters"])].dropna(subset=["first_date", "last_date"])
    if dr.empty:
        return None
    first = pd.Timestamp(dr["first_date"].min()).date()
    last = pd.Timestamp(dr["last_date"].max()).date()
    return DataSpan(first, last)


def _quarters(span: DataSpan) -> list[str]:
    return list(dict.fromkeys(f"{m[:4]}Q{(int(m[5:]) - 1) // 3 + 1}" for m in span.months))[::-1]


def _years(span: DataSpan) -> list[int]:
    return list(range(span.last.year, span.first.year - 1, -1))


def _fiscal_years(span: DataSpan, start_month: int) -> list[int]:
    def fy_of(d: date) -> int:
        return d.year + (1 if start_month > 1 and d.month >= start_month else 0)
    return list(range(fy_of(span.last), fy_of(span.first) - 1, -1))


def _fy_label(fy: int, start_month: int) -> str:
    return Period.fiscal_year(fy, start_month).label


def _month_label(m: str) -> str:
    return f"{pd.Timestamp(m + '-01'):%b %Y}"


def _options(span: DataSpan, cfg: AgencyConfig, district_list: list[str]) -> dict[str, list]:
    return {
        "flt_period": list(PERIOD_KINDS),
        "flt_from": span.months, "flt_to": span.months,
        "flt_quarter": _quarters(span), "flt_year": _years(span),
        "flt_fy": _fiscal_years(span, cfg.fiscal_year_start_month),
        "flt_district": [""] + district_list, "flt_responder": [""] + list(schema.RESPONDER_TYPES),
    }


def _defaults(span: DataSpan, cfg: AgencyConfig) -> dict:
    first, last = span.default_period()
    last_full = Period.months(span.last_full_month, span.last_full_month)
    fy_now = _fiscal_years(span, cfg.fiscal_year_start_month)
    return {
        "flt_period": "months", "flt_from": first, "flt_to": last,
        "flt_quarter": f"{last_full.start.year}Q{(last_full.start.month - 1) // 3 + 1}",
        "flt_year": last_full.start.year, "flt_fy": fy_now[0],
        "flt_district": "", "flt_responder": "",
    }


def _from_query_params(options: dict, defaults: dict) -> tuple[dict, list[str]]:
    """Widget values from the link's query parameters; unknown values are reported, not used."""
    qp = st.query_params
    values = dict(defaults)
    ignored = []
    for wkey, pkey in zip(FILTER_KEYS, PARAM_KEYS):
        if pkey not in qp:
            continue
        raw = qp.get(pkey)
        opts = options[wkey]
        value: object = raw
        if wkey in ("flt_year", "flt_fy"):
            try:
                value = int(str(raw).upper().removeprefix("FY"))
            except ValueError:
                value = None
        if wkey == "flt_quarter":
            value = str(raw).upper().replace("-", "")
        if value in opts:
            values[wkey] = value
        else:
            ignored.append(f"{pkey}={raw}")
    return values, ignored


def filter_bar(span: DataSpan, cfg: AgencyConfig) -> metrics.Filters:
    """The shared sidebar filter bar; its state is mirrored in the URL so a view can be shared."""
    options = _options(span, cfg, districts())
    defaults = _defaults(span, cfg)
    if not st.session_state.get("_flt_from_url"):
        values, ignored = _from_query_params(options, defaults)
        for k, v in values.items():
            st.session_state[k] = v
        st.session_state["_flt_from_url"] = True
        st.session_state["_flt_ignored"] = ignored
    for k in FILTER_KEYS:
        value = st.session_state.get(k)
        # Re-assigning carries the value over to this page's widget (widget ids are per page);
        # a value no longer in the data (e.g. after a re-import) falls back to the default.
        st.session_state[k] = value if value in options[k] else defaults[k]

    sb = st.sidebar
    sb.markdown("**Filters**")
    kind = sb.radio("Period", options["flt_period"], key="flt_period", persist_state="session",
                    format_func=PERIOD_KINDS.get, horizontal=True)
    if kind == "months":
        c1, c2 = sb.columns(2)
        c1.selectbox("From", options["flt_from"], key="flt_from", persist_state="session",
                     format_func=_month_label)
        c2.selectbox("To", options["flt_to"], key="flt_to", persist_state="session", format_func=_month_label)
    elif kind == "quarter":
        sb.selectbox("Quarter", options["flt_quarter"], key="flt_quarter", persist_state="session",
                     format_func=lambda q: f"Q{q[-1]} {q[:4]}")
    elif kind == "year":
        sb.selectbox("Calendar year", options["flt_year"], key="flt_year", persist_state="session")
    else:
        sb.selectbox("Fiscal year", options["flt_fy"], key="flt_fy", persist_state="session",
                     format_func=lambda fy: _fy_label(fy, cfg.fiscal_year_start_month),
                     help=f"Fiscal years start in {date(2000, cfg.fiscal_year_start_month, 1):%B} "
                          "and are named by the calendar year they end in (config/agency.toml).")
    sb.selectbox("District", options["flt_district"], key="flt_district", persist_state="session",
                 format_func=lambda d: d or "All districts")
    sb.selectbox("Responder type", options["flt_responder"], key="flt_responder", persist_state="session",
                 format_func=lambda r: schema.label(r) if r else "All responder types",
                 help="Narrows co-responder log figures (contacts, outcomes, repeat contacts, follow-up). "
                      "CAD call figures always include every call in the district.")
    for msg in st.session_state.get("_flt_ignored", []):
        sb.warning(f"The link's filter `{msg}` is not in the loaded data and was ignored.", icon="⚠️")

    filters, notes = _filters_from_state(cfg)
    for n in notes:
        sb.caption(n)
    _write_query_params()
    sb.caption("The page address holds these filters: copy it from the address bar to share this view.")
    return filters


def _filters_from_state(cfg: AgencyConfig) -> tuple[metrics.Filters, list[str]]:
    s = st.session_state
    notes = []
    kind = s["flt_period"]
    if kind == "months":
        a, b = s["flt_from"], s["flt_to"]
        if b < a:
            a, b = b, a
            notes.append("“To” was before “From”: the months were swapped.")
        period = Period.months(a, b)
        if a != b and access.is_public(current_role()):
            # Public figures exist for published periods only (release.published): any
            # other range would be a new view to difference against the months.
            period = Period.months(b, b)
            notes.append(f"Public figures are published for whole months, quarters and years: showing "
                         f"{period.label}. Pick a quarter or a year for a longer period.")
    elif kind == "quarter":
        q = s["flt_quarter"]
        period = Period.quarter(int(q[:4]), int(q[-1]))
    elif kind == "year":
        period = Period.calendar_year(int(s["flt_year"]))
    else:
        period = Period.fiscal_year(int(s["flt_fy"]), cfg.fiscal_year_start_month)
    return metrics.Filters(period, s["flt_district"] or None, s["flt_responder"] or None), notes


def _write_query_params() -> None:
    s = st.session_state
    kind = s["flt_period"]
    wanted = {"period": kind}
    if kind == "months":
        wanted |= {"from": s["flt_from"], "to": s["flt_to"]}
    elif kind == "quarter":
        wanted["quarter"] = s["flt_quarter"]
    elif kind == "year":
        wanted["year"] = str(s["flt_year"])
    else:
        wanted["fy"] = str(s["flt_fy"])
    if s["flt_district"]:
        wanted["district"] = s["flt_district"]
    if s["flt_responder"]:
        wanted["responder"] = s["flt_responder"]
    qp = st.query_params
    for k in PARAM_KEYS:  # only our keys: other parameters in the address stay
        if k in wanted:
            if qp.get(k) != wanted[k]:
                qp[k] = wanted[k]
        elif k in qp:
            del qp[k]


def scope_label(f: metrics.Filters, markdown: bool = False) -> str:
    """District and responder type of a selection, in words (`markdown`: the district, which
    comes from the data, escaped for a Markdown element)."""
    name = escape.markdown(f.district) if markdown and f.district else f.district
    district = f"district {name}" if f.district else "all districts"
    responder = schema.label(f.responder_type).lower() if f.responder_type else "all responder types"
    return f"{district}, {responder}"


def filters_label(f: metrics.Filters, markdown: bool = False) -> str:
    p = f.period
    return f"{p.label} ({p.start:%-d %b %Y} – {p.last_day:%-d %b %Y}), {scope_label(f, markdown)}"


# ------------------------------------------------------------------ page scaffolding

@dataclass
class PageContext:
    spec: access.PageSpec
    role: str
    cfg: AgencyConfig
    span: DataSpan
    filters: metrics.Filters | None

    @property
    def is_public(self) -> bool:
        return access.is_public(self.role)

    @property
    def period_complete(self) -> bool:
        return self.filters is None or self.span.covers(self.filters.period)


def _leave_folder_navigation() -> None:
    """Make a link straight to a page work on a freshly started server.

    Streamlit treats a `pages/` folder as its old automatic navigation until the first
    st.navigation call in the server process, so the very first request for e.g. /grant
    would run pages/grant.py without app.py (no role, no layout, every file listed).
    Turn that mode off and rerun, which runs app.py's navigation for the same URL.
    """
    try:
        from streamlit.runtime.pages_manager import PagesManager
    except ImportError:  # a Streamlit without the old mode
        return
    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()


def start(key: str, with_filters: bool = True) -> PageContext:
    """Header, data check and filter bar for a page; stops the page when there is no data."""
    _leave_folder_navigation()
    spec = access.page(key)
    role = current_role()
    cfg = load_agency()
    st.title(spec.title)
    con = connection()
    if con is None:
        path = default_db_path()
        st.info(
            f"**No database yet.** The dashboard reads `{path}`, which does not exist.\n\n"
            "Build it from the sample data with `make run`, or import your own exports:\n\n"
            f"```sh\npmhc import sample_data/*.csv.gz --db {path}\n```",
            icon=":material/database:",
        )
        st.stop()
    span = data_span()
    if span is None:
        st.info("**No calls or contacts are loaded yet.** Import CAD calls and the co-responder log "
                "(`pmhc import FILE…`, or the Data page for administrators).", icon=":material/database:")
        st.stop()
    filters = filter_bar(span, cfg) if with_filters else None
    st.session_state["_page_filters"] = filters
    ctx = PageContext(spec, role, cfg, span, filters)
    bits = [f"For {spec.audience}"]
    if filters is not None:
        bits.append(f"Showing **{filters_label(filters, markdown=True)}**")
    bits.append(f"Data loaded: {span.first:%-d %b %Y} – {span.last:%-d %b %Y}")
    st.caption(" · ".join(bits))
    if filters is not None and not ctx.period_complete:
        st.warning(f"The selected period runs outside the loaded data ({span.first:%-d %b %Y} – "
                   f"{span.last:%-d %b %Y}): figures cover only the part of it that is loaded.", icon="⚠️")
    if ctx.is_public:
        st.caption(f"Public view: counts below {cfg.suppression_threshold} are suppressed so that no one "
                   "can be identified (shown as “<" f"{cfg.suppression_threshold}”; “suppressed” where a figure "
                   "would let one be worked out), and person-level lists are not shown. "
                   f"{release.UNSTABLE_NOTE.format(n=cfg.unstable_numerator)}")
    return ctx


def subtitle(f: metrics.Filters) -> str:
    return f"{f.period.label} · {scope_label(f)}"


def chart(fig: go.Figure, key: str | None = None, subtitle_text: str | None = None) -> None:
    """Draw a chart; its subtitle names the selection it shows (the page's filters by default)."""
    f = st.session_state.get("_page_filters")
    text = subtitle_text or (subtitle(f) if f is not None else None)
    if text and not fig.layout.title.subtitle.text:
        fig.update_layout(title_subtitle_text=escape.html(text), title_subtitle_font={"size": 12, "color": "#666"},
                          margin_t=max(fig.layout.margin.t or 60, 80))
    st.plotly_chart(fig, width="stretch", config={"displaylogo": False}, key=key)


def sources(*query_names: str) -> None:
    """Where this page's figures come from: one hop from the page to the SQL."""
    from . import sql

    locs = ", ".join(f"`{sql.get(q).location}`" for q in query_names)
    st.caption(f"Figures on this page come from {locs}. Definitions: the Methodology page.")


def milestones() -> pd.DataFrame:
    """Program milestones for trend charts; a broken file is reported, not fatal."""
    try:
        return charts.load_milestones()
    except ValueError as e:
        st.warning(f"Milestones are not drawn: {e}", icon="⚠️")
        return charts.load_milestones(Path("/nonexistent"))


def query_comment(name: str) -> str:
    """The comment block at the top of a named query (its formula), line breaks kept."""
    from . import sql

    lines = []
    for line in sql.get(name).sql.splitlines():
        if not line.startswith("--"):
            break
        lines.append(line[2:].rstrip().removeprefix(" "))
    return "\n".join(lines)


def metric_row(values: dict, items: list[tuple[str, str]]) -> None:
    """A row of bordered figures: (figure key, short label); the definition is the tooltip."""
    cfg = load_agency()
    figs = definitions.by_key(cfg.repeat_windows_days, cfg.repeat_min_contacts)
    per_row = len(items) if len(items) <= 4 else (len(items) + 1) // 2
    for start_at in range(0, len(items), per_row):
        for col, (key, label) in zip(st.columns(per_row), items[start_at:start_at + per_row]):
            fig = figs[key]
            col.metric(label, fmt(values.get(key), fig.unit, key), help=f"**{fig.label}.** {fig.definition}",
                       border=True)


def no_data(message: str = charts.NO_DATA) -> None:
    st.info(message, icon=":material/filter_alt_off:")


def has_data(values: dict, *keys: str) -> bool:
    return any((values.get(k) or 0) != 0 for k in keys)
