"""The figures pages show, cached per (selection, role, data version).

Every page reads figures through these helpers: exact figures for staff roles, and for
the public only through the privacy release (pmhc/release.py), built once per
selection and shared by every page, so no public view shows a cell another hid. A
cached result also carries the names of the queries it ran, so a page's source line
lists them even when the figures come from the cache.
"""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import replace
from datetime import date

import pandas as pd
import streamlit as st

from . import access, comparison, metrics, publication, quality, release, sql
from .config import agency_selection, default_db_path, hub_settings, load_agency, using_agency
from .connection import _open, _stamp
from .periods import Period
from .role import current_role, current_scope


def release_connection() -> None:
    """Close the app's read-only connection, e.g. before an in-app import writes the file."""
    _open.clear()
    _cached.clear()
    _release.clear()


@st.cache_data(ttl=3600, max_entries=512, show_spinner="Computing figures…")
def _cached(fn: str, filters_key: tuple | None, role: str, stamp: tuple, kwargs: tuple):
    # `role` is part of the key on purpose: what a role may see differs (suppression),
    # so one role's cached result is never served to another.
    # Returns (result, names of the queries it ran), so a cached result still tells the
    # page which queries its figures come from.
    with sql.recording() as names:
        return _compute(fn, filters_key, role, stamp, kwargs), tuple(sorted(names))


def _compute(fn: str, filters_key: tuple | None, role: str, stamp: tuple, kwargs: tuple):
    # The agency's own settings (time zone, BH list, costs, …) for an agency's selection,
    # whichever agency the page run has in view.
    agencies = filters_key[-1] if filters_key is not None else None
    with using_agency(agencies[0]) if agencies and len(agencies) == 1 else nullcontext():
        return _compute_for(fn, filters_key, role, stamp, kwargs)


def _compute_for(fn: str, filters_key: tuple | None, role: str, stamp: tuple, kwargs: tuple):
    con = _open(str(default_db_path()), stamp)
    kw = dict(kwargs)
    if "assumptions" in kw:
        kw["assumptions"] = _assumptions_from_key(kw["assumptions"])
    if fn == "comparison":
        # Agencies side by side: the public's through each agency's own cached release.
        public = access.is_public(role)
        return comparison.compare(con, kw["kind"], kw["value"], list(kw["keys"]), public=public,
                                  release_of=lambda f, cfg: _rel(_filters_key(f), role, stamp),
                                  hub=hub_settings())
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
    f = _filters_from_key(filters_key)
    with using_agency(f.agency) if f.agency else nullcontext(), sql.recording() as names:
        cfg = load_agency()
        grants = publication.grant_periods(con, publication.agency_of(f.agencies))
        if release.is_published(f.period, cfg.fiscal_year_start_month, grants):
            # Months, quarters, years and grant periods are protected together (release.published);
            # each is cached here, so the months a year is built from are the very releases a month shows.
            rel = release.published(con, f, cfg, release_of=lambda g: _rel(_filters_key(g), role, stamp))
        else:
            # Another range: only staff reach this (the public filter bar offers published periods);
            # its release protects that range on its own, not against the months.
            rel = release.build(con, f, cfg, parent=lambda g: _rel(_filters_key(g), role, stamp))
    rel.queries = tuple(sorted(names))
    return rel


def _rel(filters_key: tuple, role: str, stamp: tuple) -> release.Release:
    """The cached release, counting the queries it was built with as run by the caller."""
    rel = _release(filters_key, role, stamp)
    sql.note(*getattr(rel, "queries", ()))
    return rel


def _public_headline(con, fkey, role, stamp):
    return _rel(fkey, role, stamp).masked_values()


def _public_compare(con, fkey, role, stamp, keys=None):
    f, cfg = _filters_from_key(fkey), load_agency()
    grants = publication.grant_periods(con, publication.agency_of(f.agencies))

    def rel(period: Period) -> release.Release | None:
        # The period before a grant period (or a year before it) is often not published: it has
        # no public figures, so nothing is built for it and the change is not shown.
        published = release.is_published(period, cfg.fiscal_year_start_month, grants)
        return _rel(_filters_key(f.with_period(period)), role, stamp) if published else None

    rels = {"value": _rel(fkey, role, stamp), "previous": rel(f.period.previous()),
            "year_ago": rel(f.period.year_ago())}
    return release.public_compare(con, f, list(keys) if keys else None, cfg, rels=rels)


def _public_monthly(con, fkey, role, stamp):
    rel = _rel(fkey, role, stamp)
    return rel.masked_frame(rel.frames["month"], "month").rename(columns={"bucket": "month"})


def _public_breakdown(con, fkey, role, stamp, query, by):
    return _rel(fkey, role, stamp).masked_frame(metrics.breakdown(con, query, _filters_from_key(fkey), by), by)


def _public_by_category(con, fkey, role, stamp, by):
    f = _filters_from_key(fkey)
    return _rel(fkey, role, stamp).masked_frame(metrics.by_category(con, f, by), by)


def _public_outcome_mix(con, fkey, role, stamp, by="month"):
    rel = _rel(fkey, role, stamp)
    # A breakdown the release does not publish for this selection: every cell says so.
    frame = rel.frames.get(f"mix:{by}")
    return rel.masked_mix(metrics.outcome_mix(con, rel.filters, by) if frame is None else frame, by)


def _public_heatmap(con, fkey, role, stamp):
    rel = _rel(fkey, role, stamp)
    frame = rel.frames.get("heatmap")
    return rel.masked_heatmap(metrics.heatmap(con, rel.filters) if frame is None else frame)


def _public_savings(con, fkey, role, stamp, assumptions, scenario="value"):
    return release.public_savings(con, _filters_from_key(fkey), assumptions, scenario, rel=_rel(fkey, role, stamp))


def _no_public_version(con, fkey, role, stamp, **kw):
    raise PermissionError("this figure is not part of the public release")


_FUNCS = {
    "headline": metrics.headline,
    "compare": metrics.compare,
    "monthly": metrics.monthly,
    "breakdown": lambda con, f, query, by: metrics.breakdown(con, query, f, by),
    "by_category": lambda con, f, by: metrics.by_category(con, f, by),
    "outcome_mix": metrics.outcome_mix,
    "heatmap": metrics.heatmap,
    "repeat_people": metrics.repeat_people,
    "savings": metrics.savings,
    "data_range": metrics.data_range,
    "quality_checks": lambda con, agencies: quality.database_checks(con, agencies),
    "districts": metrics.districts,
    "grant_periods": publication.grant_periods,
    "coverage": lambda con, f: metrics.coverage(con, f),
}


# What the public role gets instead (every figure through the release).
_PUBLIC_FUNCS = {
    "headline": _public_headline,
    "compare": _public_compare,
    "monthly": _public_monthly,
    "breakdown": _public_breakdown,
    "by_category": _public_by_category,
    "outcome_mix": _public_outcome_mix,
    "heatmap": _public_heatmap,
    "repeat_people": _no_public_version,
    "savings": _public_savings,
    # Which inputs are recorded: the notes built from it hide exact counts from the public.
    "coverage": lambda con, fkey, role, stamp: metrics.coverage(con, _filters_from_key(fkey)),
}


def _filters_key(f: metrics.Filters) -> tuple:
    p = f.period
    return (p.start.isoformat(), p.end.isoformat(), p.kind, p.name, f.district, f.responder_type, f.agencies)


def _filters_from_key(k: tuple) -> metrics.Filters:
    start, end, kind, name, district, responder, agencies = k
    return metrics.Filters(Period(date.fromisoformat(start), date.fromisoformat(end), kind, name),
                           district, responder, agencies)


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
    check_scope(filters)
    result, names = _cached(fn, fkey, current_role(), _stamp(), tuple(sorted(kwargs.items())))
    sql.note(*names)
    return result


def check_scope(filters: metrics.Filters | None) -> None:
    """Every figure a page asks for is of agencies the viewer may see: a link or a crafted
    parameter naming another agency is refused here too, not only in the agency picker."""
    if filters is None or not filters.agencies:
        return
    scope = current_scope()
    outside = [a for a in filters.agencies if not scope.covers(a)]
    if outside:
        raise PermissionError("these figures are of an agency this account may not see")


def headline(filters: metrics.Filters) -> dict:
    return _call("headline", filters)


def compare(filters: metrics.Filters, keys: list[str] | None = None) -> pd.DataFrame:
    return _call("compare", filters, keys=tuple(keys) if keys else None)


def monthly(filters: metrics.Filters) -> pd.DataFrame:
    """Monthly figures; months outside the loaded data are blank, not zero (nothing is known)."""
    df = _call("monthly", filters).copy()
    span = metrics.span_of(data_range())
    if span is not None and not df.empty:
        first, last = (f"{d:%Y-%m}" for d in span)
        outside = (df["month"] < first) | (df["month"] > last)
        df.loc[outside, [c for c in df.columns if c != "month"]] = None
    df.attrs["partial_months"] = metrics.partial_months(span)
    return df


def breakdown(query: str, filters: metrics.Filters, by: str) -> pd.DataFrame:
    return _call("breakdown", filters, query=query, by=by)


def by_category(filters: metrics.Filters, by: str) -> pd.DataFrame:
    """The figures shown by call type or beat (metrics.by_category; public: the release's)."""
    return _call("by_category", filters, by=by)


def outcome_mix(filters: metrics.Filters, by: str = "month") -> pd.DataFrame:
    return _call("outcome_mix", filters, by=by)


def heatmap(filters: metrics.Filters) -> pd.DataFrame:
    return _call("heatmap", filters)


def repeat_people(filters: metrics.Filters) -> pd.DataFrame:
    if not access.can(current_role(), "view_person_list", current_scope()):
        raise PermissionError("person-level lists are for the analyst and administrator roles")
    return _call("repeat_people", filters)


def savings(filters: metrics.Filters, assumptions: metrics.Assumptions, scenario: str = "value") -> dict:
    return _call("savings", filters, assumptions=assumptions, scenario=scenario)


def coverage(filters: metrics.Filters):
    """Which figures the selection's data supports, and over how much of it (pmhc.coverage)."""
    return _call("coverage", filters)


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
    """What is loaded, of the agency in view (a hub) or of the database."""
    agencies = in_view()
    check_scope(metrics.Filters(None, agencies=agencies))
    return _call("data_range", agencies=agencies)


def districts() -> list[str]:
    agencies = in_view()
    check_scope(metrics.Filters(None, agencies=agencies))
    return _call("districts", agencies=agencies)


def compare_agencies(kind: str, value, keys: list[str]) -> comparison.Comparison:
    """Agencies side by side for a period (pmhc.comparison), of agencies the viewer may see;
    the public's through each agency's public release."""
    scope = current_scope()
    if not keys or any(not scope.covers(k) for k in keys):
        raise PermissionError("these figures are of an agency this account may not see")
    return _call("comparison", kind=kind, value=value, keys=tuple(keys))


def span_of_agencies(keys: list[str]):
    """First and last loaded day over the agencies `keys` (None when nothing is loaded)."""
    scope = current_scope()
    if any(not scope.covers(k) for k in keys):
        raise PermissionError("these figures are of an agency this account may not see")
    return metrics.span_of(_call("data_range", agencies=tuple(keys)))


def quality_checks(key: str) -> pd.DataFrame:
    """The data-quality checks over one agency's rows (pmhc.quality.database_checks): staff only."""
    if not current_scope().covers(key) or access.is_public(current_role()):
        raise PermissionError("the data-quality checks are for staff of the agency")
    return _call("quality_checks", agencies=(key,))


def in_view() -> tuple[str, ...] | None:
    """The agencies of the page's selection: the agency in view in a hub, None elsewhere."""
    return agency_selection()


def grant_periods() -> list[publication.GrantPeriod]:
    """The grant periods the administrator published (pmhc.publication), latest first: in a
    hub, the agency in view's (its key is part of the cache key, so one agency's list is
    never served to another's page)."""
    agency = publication.agency_in_view()
    if agency is None or not default_db_path().exists():
        return []
    return _call("grant_periods", agency=agency)


def is_published(period: Period) -> bool:
    """Has this period public figures (a month, quarter, year or published grant period)?"""
    return release.is_published(period, load_agency().fiscal_year_start_month, grant_periods())
