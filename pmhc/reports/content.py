"""What goes into a report, gathered once from the metrics layer for one selection.

The deck, the workbook and the one-page PDF are three layouts of the same `ReportData`,
so the chief's slide, the grant writer's spreadsheet and the one-pager cannot disagree:
every number comes from `pmhc.metrics` for the same filters, and in a public report
every number has been through the privacy release first.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Callable

import duckdb
import pandas as pd

from .. import definitions, evaluation, metrics, present, publication, release
from ..config import AgencyConfig, load_agency
from ..periods import Period
from ..release import Unstable, Withheld

DASH = present.DASH
# Axis title of a headline figure's monthly trend.
CHART_AXIS = {"count": "Count per month", "rate": "Share", "hours": "Hours per month",
              "usd": "Amount"}  # money: the agency's currency in words (ReportData.money_text) at use
AXIS_BY_KEY = {"bh_calls": "BH calls per month", "officer_hours_returned": "Officer hours per month"}


# ------------------------------------------------------------------ formatting

fmt = present.fmt  # the one formatter (pmhc.present): same text as the dashboard
fmt_change = present.fmt_change  # rates in points, dollars in dollars, counts and hours in percent
_missing = present.missing


def withheld(v) -> bool:
    return isinstance(v, Withheld)


def unstable(v) -> bool:
    return isinstance(v, Unstable)


def all_hidden(values) -> bool:
    """Something is there but the release hides all of it (a chart should say so, not "no data")."""
    values = list(values)
    return any(withheld(v) for v in values) and all(withheld(v) or _missing(v) for v in values)


def suppressed_reason(display: str, cfg: AgencyConfig) -> str:
    t = cfg.suppression_threshold
    if display == f"<{t}":
        return f"Suppressed for privacy: a count from 1 to {t - 1}."
    return "Suppressed for privacy: it would reveal a small count (through a total, a difference or a rate)."


first_sentence = present.first_sentence


# ------------------------------------------------------------------ the report's data

@dataclass
class Headline:
    """One headline figure with its comparisons, ready to lay out."""
    key: str
    label: str
    unit: str
    value: float | None
    display: str
    definition: str
    location: str
    suppressed: bool = False
    unstable: bool = False
    previous_label: str = ""
    change_vs_previous: str | None = None
    year_ago_label: str = ""
    change_vs_year_ago: str | None = None
    note: str = ""  # e.g. the low–high range of an estimate
    # Why a change is not shown (so a missing comparison is not a mystery on the slide).
    no_change_vs_previous: str = ""
    no_change_vs_year_ago: str = ""

    def changes(self) -> list[present.Change]:
        """The change lines of the card, each comparison once (pmhc.present.changes)."""
        return present.changes(self.change_vs_previous, self.previous_label, self.change_vs_year_ago,
                               self.year_ago_label, self.no_change_vs_previous, self.no_change_vs_year_ago)


@dataclass
class ReportData:
    cfg: AgencyConfig
    filters: metrics.Filters
    public: bool
    generated_at: datetime
    figures: pd.DataFrame  # every figure: key, label, unit, value, display, suppressed, unstable, definition, …
    headlines: list[Headline]
    # One row per month / per district (+ Total); columns are figure keys. In a public
    # report a hidden cell is a release.Withheld (NaN to charts, "<11" to the formatter).
    monthly: pd.DataFrame
    by_district: pd.DataFrame
    savings_parts: list[tuple[str, float | None]]  # (label, dollars) adding up to net cost avoidance
    assumptions: metrics.Assumptions
    loaded: tuple[date, date] | None  # first and last dated call or contact
    notes: list[str] = field(default_factory=list)  # caveats printed on every layout
    evaluation: str = ""  # the Program evaluation headline with its interval and caveat (pmhc.evaluation)
    # Call and outcome figures by call type and by beat (+ Total), as the Volume and Outcomes
    # pages show them (figures.CATEGORY_FIGURES); public: through the release, which
    # publishes them for all districts and responder types together only.
    by_category: dict[str, pd.DataFrame] = field(default_factory=dict)
    category_note: str = ""  # why the breakdowns are left out, when they are

    @property
    def period(self) -> Period:
        return self.filters.period

    @property
    def scope(self) -> str:
        f = self.filters
        parts = [f"district {f.district}" if f.district else "all districts"]
        if f.responder_type:
            parts.append(f.responder_type.replace("_", " "))
        return ", ".join(parts)

    @property
    def period_text(self) -> str:
        return present.period_text(self.period, self.cfg)

    @property
    def loaded_text(self) -> str:
        if self.loaded is None:
            return "no calls or contacts loaded"
        return present.span_text(*self.loaded, cfg=self.cfg)

    def date_text(self, d, long: bool = True) -> str:
        """A date in the agency's format ([locale] date_format; without one '5 January 2025')."""
        return present.date_text(d, self.cfg, long)

    @property
    def money_text(self) -> str:
        """The currency in words, e.g. 'Canadian dollars (CAD)'."""
        return self.cfg.currency_name

    def assumption_value(self, v: float, unit: str) -> str:
        """A unit cost as read: in the agency's currency when its unit is (or starts with) the
        currency code ("$420,000 per year"), else the number with its unit ("3 days")."""
        code, _, rest = unit.partition(" ")
        if code.upper() == self.cfg.currency:
            return f"{fmt(v, 'usd', self.cfg)} {rest}".strip()
        return f"{v:,.4g} {unit}".strip()

    @property
    def privacy_text(self) -> str:
        t = self.cfg.suppression_threshold
        if self.public:
            return (f"Public release: counts from 1 to {t - 1} are shown as “<{t}”, other cells that would reveal "
                    f"them as “suppressed”, and no figure is about an individual person. "
                    f"{release.UNSTABLE_MARK} marks a rate on fewer than {self.cfg.unstable_numerator} events.")
        return "Internal release: exact figures, including small counts. Do not publish; use the public version."

    def value(self, key: str):
        row = self.figures[self.figures["key"] == key]
        return None if row.empty else row.iloc[0]["value"]


def loaded_span(con: duckdb.DuckDBPyConnection) -> tuple[date, date] | None:
    return metrics.span_of(metrics.data_range(con))


def covers(loaded: tuple[date, date] | None, period: Period) -> bool:
    """Is the whole period inside the loaded data? (A change against a half-loaded period misleads.)"""
    return loaded is not None and metrics.span_covers(loaded[0], loaded[1], period)


def headline_figures(cfg: AgencyConfig) -> list[definitions.Figure]:
    return [f for f in definitions.figures(cfg.repeat_windows_days, cfg.repeat_min_contacts) if f.headline]


def gather(con: duckdb.DuckDBPyConnection, filters: metrics.Filters, cfg: AgencyConfig | None = None,
           assumptions: metrics.Assumptions | None = None, public: bool = True,
           releases: Callable[[metrics.Filters], release.Release] | None = None,
           categories: tuple[str, ...] = ()) -> ReportData:
    """Everything the three layouts show, for one selection; public = the privacy release.

    `categories`: breakdowns by categorical columns to add (figures.CATEGORIES: call type,
    beat); in a public report only where the release publishes them.

    `releases` gives the privacy release of a selection when the caller keeps them (the
    dashboard caches one per selection, and building one takes seconds on a year of data);
    without it they are built here, each once.
    """
    cfg = cfg or load_agency()
    assumptions = assumptions if assumptions is not None else metrics.load_assumptions()
    loaded = loaded_span(con)
    source = _Source(con, cfg, assumptions, public, releases, agencies=filters.agencies)
    now = source.period(filters)
    notes = []
    if loaded is not None and not covers(loaded, filters.period):
        notes.append(present.outside_span_text(*loaded))
    headlines = _headlines(source, filters, now, loaded)
    by_category, category_note = now.by_category(categories)
    return ReportData(cfg, filters, public, datetime.now().astimezone().replace(microsecond=0), now.figures,
                      headlines, now.monthly(loaded), now.by_district(), now.savings_parts(), assumptions, loaded,
                      notes, evaluation.report_headline(con), by_category, category_note)


# ------------------------------------------------------------------ the one public switch

FIGURE_COLUMNS = ["key", "label", "unit", "value", "display", "suppressed", "unstable", "definition",
                  "numerator", "denominator", "counting_unit", "exclusions", "location", "family",
                  "not_measured", "coverage"]
RANGE_KEYS = ("gross_cost_avoidance_low", "gross_cost_avoidance_high",
              "net_cost_avoidance_low", "net_cost_avoidance_high")


@dataclass
class _Source:
    con: duckdb.DuckDBPyConnection
    cfg: AgencyConfig
    assumptions: metrics.Assumptions
    public: bool
    releases: Callable[[metrics.Filters], release.Release] | None = None
    _built: dict = field(default_factory=dict)
    agencies: tuple[str, ...] | None = None  # the selection's (its agency's grant periods)
    _grants: list | None = None  # the published grant periods, read once

    def period(self, filters: metrics.Filters) -> "_Period":
        return _Period(self, filters)

    def may_show(self, period: Period) -> bool:
        """May this report show figures of `period` (to compare with)? Internal: any period;
        public: a published one only (the period before a grant period often is not)."""
        if not self.public:
            return True
        if self._grants is None:
            self._grants = publication.grant_periods(self.con, publication.agency_of(self.agencies))
        return release.is_published(period, self.cfg.fiscal_year_start_month, self._grants)

    def release(self, filters: metrics.Filters) -> release.Release:
        """The selection's privacy release: the caller's, or built once here (a district's
        release reuses the all-districts one it inherits from)."""
        if self.releases is not None:
            return self.releases(filters)
        if filters not in self._built:
            if self.may_show(filters.period):
                # protected together with its months, as the dashboard shows it
                self._built[filters] = release.published(self.con, filters, self.cfg, self.assumptions,
                                                         release_of=self.release)
            else:  # any other range (internal use, tests): its own release only
                self._built[filters] = release.build(self.con, filters, self.cfg, self.assumptions,
                                                     parent=self.release)
        return self._built[filters]


class _Period:
    """One selection's figures: exact (internal) or as the privacy release shows them."""

    def __init__(self, src: _Source, filters: metrics.Filters) -> None:
        self.src, self.filters = src, filters
        cfg = src.cfg
        self.figs = definitions.figures(cfg.repeat_windows_days, cfg.repeat_min_contacts)
        if src.public:
            self.rel = src.release(filters)
            self.values = dict(self.rel.values)
            released = release.public_headline(src.con, filters, cfg, src.assumptions, rel=self.rel)
        else:
            self.rel = None
            self.values = metrics.headline(src.con, filters, cfg, src.assumptions)
            released = pd.DataFrame([{
                "key": f.key, "label": f.label, "unit": f.unit, "value": self.values.get(f.key),
                "suppressed": False, "unstable": False,
                "definition": f.definition} for f in self.figs if f.key in self.values])
            # From the values themselves: a DataFrame column turns a NotMeasured marker into NaN.
            released["display"] = [fmt(self.values.get(k), u) for k, u in zip(released["key"], released["unit"])]
        self.cov = metrics.coverage(src.con, filters, src.assumptions, cfg)
        self.figures = self._with_definitions(pd.concat([released, self._range_rows()], ignore_index=True))

    def mark(self, key: str, value, view: str = release.HEADLINE, bucket="all"):
        """The value as this report may show it (itself, Withheld or Unstable)."""
        if self.rel is None:
            return value
        return self.rel.marked(view, bucket, key, value)

    def _range_rows(self) -> pd.DataFrame:
        """The low and high ends of the savings estimate, as figures of their own."""
        by_key = {f.key: f for f in self.figs}
        rows = []
        for key in RANGE_KEYS:
            base, end = key.rsplit("_", 1)
            if key not in self.values or base not in by_key:
                continue
            marked = self.mark(key, self.values[key])
            rows.append({"key": key, "label": f"{by_key[base].label}, {end} end of range", "unit": "usd",
                         "value": None if withheld(marked) else self.values[key], "display": fmt(marked, "usd"),
                         "suppressed": withheld(marked), "unstable": unstable(marked),
                         "definition": f"{by_key[base].definition} Every unit cost at its {end} value from the "
                                       "assumptions file, program cost at the opposite end."})
        return pd.DataFrame(rows)

    def _with_definitions(self, released: pd.DataFrame) -> pd.DataFrame:
        by_key = {f.key: f for f in self.figs}
        rows = []
        for r in released.to_dict("records"):
            base = by_key.get(r["key"]) or by_key.get(r["key"].rsplit("_", 1)[0])
            value = r.get("value")
            nm = self.values.get(r["key"])
            nm = nm.reason if present.not_measured(nm) else ""
            rows.append({**r, "value": None if _missing(value) else float(value),
                         "not_measured": nm, "coverage": "" if nm else self.cov.note(base, self.src.public),
                         "suppressed": bool(r.get("suppressed")), "unstable": bool(r.get("unstable")),
                         "numerator": base.numerator, "denominator": base.denominator,
                         "counting_unit": base.counting_unit, "exclusions": base.exclusions,
                         "location": base.location, "family": base.family})
        return pd.DataFrame(rows, columns=FIGURE_COLUMNS)

    def shown_keys(self) -> list[str]:
        """Figure columns a table of this report may have (public: public figures only)."""
        return [f.key for f in self.figs if f.public or not self.src.public]

    def monthly(self, loaded: tuple[date, date] | None) -> pd.DataFrame:
        """Every monthly figure; months outside the loaded data are blank (nothing is known), not 0."""
        frame = metrics.monthly(self.src.con, self.filters, self.src.cfg)
        if self.rel is not None:
            frame = self.rel.masked_frame(frame.rename(columns={"month": "bucket"}), "month").rename(
                columns={"bucket": "month"})
        frame = frame[["month"] + [k for k in self.shown_keys() if k in frame.columns]].copy()
        if loaded is not None:
            outside = (frame["month"] < f"{loaded[0]:%Y-%m}") | (frame["month"] > f"{loaded[1]:%Y-%m}")
            for c in frame.columns[1:]:
                frame[c] = frame[c].astype(object)
                frame.loc[outside, c] = None
        frame.attrs["partial_months"] = metrics.partial_months(loaded)
        return frame

    def by_district(self) -> pd.DataFrame:
        """Call and contact figures by district (with 'Unknown'), then the selection's Total;
        a figure the selection's data cannot support is not measured in every district, as
        in its Total (metrics.split_by, the same split as `pmhc figures --by district`)."""
        con, cfg = self.src.con, self.src.cfg
        frame = metrics.split_by(con, self.filters, "district", cfg)
        keys = [k for k in self.shown_keys() if k in frame.columns]
        if self.rel is not None:
            frame = self.rel.masked_frame(frame, "district")
        frame = frame.rename(columns={"bucket": "district"})[["district"] + keys]
        total = {"district": "Total", **{k: self.mark(k, self.values.get(k)) for k in keys}}
        return pd.concat([frame.astype(object), pd.DataFrame([total], dtype=object)], ignore_index=True)

    def by_category(self, categories: tuple[str, ...]) -> tuple[dict[str, pd.DataFrame], str]:
        """Call and outcome figures by each categorical column asked for, then the Total
        (public: as the release shows them); and why they are left out, when they are."""
        if not categories:
            return {}, ""
        if self.rel is not None and not set(categories) <= set(release.bys_of(self.filters)):
            return {}, ("Breakdowns by call type and beat are published for all districts and responder types "
                        "together, so this filtered public release leaves them out.")
        out = {}
        for by in categories:
            frame = metrics.by_category(self.src.con, self.filters, by, self.src.cfg)
            keys = [k for k in frame.columns if k != "bucket" and k in self.shown_keys()]
            if self.rel is not None:
                frame = self.rel.masked_frame(frame, by)
            total = {"bucket": "Total", **{k: self.mark(k, self.values.get(k)) for k in keys}}
            out[by] = pd.concat([frame[["bucket"] + keys].astype(object), pd.DataFrame([total], dtype=object)],
                                ignore_index=True).rename(columns={"bucket": by})
        return out, ""

    def savings_parts(self) -> list[tuple[str, float | None]]:
        """The savings waterfall's steps (pmhc.present), as this report may show them."""
        return present.savings_steps(lambda key: self.mark(key, self.values.get(key)))


# ------------------------------------------------------------------ headline figures with comparisons

def _headlines(source: _Source, filters: metrics.Filters, now: _Period, loaded) -> list[Headline]:
    prev_p, ago_p = filters.period.previous(), filters.period.year_ago()
    current = now.figures.set_index("key")
    # A change needs both periods fully loaded: "−100 % vs a year earlier" for a period that
    # is simply not loaded yet would be false.
    whole = covers(loaded, filters.period)
    prev_loaded, ago_loaded = covers(loaded, prev_p), covers(loaded, ago_p)
    prev_ok, ago_ok = source.may_show(prev_p), source.may_show(ago_p)
    prev = source.period(filters.with_period(prev_p)).figures.set_index("key") \
        if whole and prev_loaded and prev_ok else None
    ago = source.period(filters.with_period(ago_p)).figures.set_index("key") \
        if whole and ago_loaded and ago_ok else None
    out = []
    for f in headline_figures(source.cfg):
        if f.key not in current.index:
            continue
        r = current.loc[f.key]
        h = Headline(f.key, f.label, f.unit, r["value"], r["display"], f.definition, f.location,
                     bool(r["suppressed"]), bool(r["unstable"]), prev_p.label, None, ago_p.label, None)
        h.change_vs_previous = _change(r, prev, f)
        h.change_vs_year_ago = _change(r, ago, f)
        if h.change_vs_previous is None:
            h.no_change_vs_previous = _no_change(r, prev, f, whole, prev_loaded, prev_ok)
        if h.change_vs_year_ago is None:
            h.no_change_vs_year_ago = _no_change(r, ago, f, whole, ago_loaded, ago_ok)
        if r["not_measured"]:
            h.note = f"Not measured: {r['not_measured']}."
        elif h.suppressed:
            h.note = suppressed_reason(h.display, source.cfg)
        elif f.key == "net_cost_avoidance" and "net_cost_avoidance_low" in current.index:
            low, high = current.loc["net_cost_avoidance_low"], current.loc["net_cost_avoidance_high"]
            h.note = "An estimate, not a measured saving."
            if not (low["suppressed"] or high["suppressed"]):
                h.note = (f"An estimate: {low['display']} to {high['display']} with the low and high unit "
                          "costs of the assumptions.")
        elif h.unstable:
            h.note = (f"{release.UNSTABLE_MARK} Based on fewer than {source.cfg.unstable_numerator} events: it can "
                      "move a lot by chance from one period to the next.")
        out.append(h)
    return out


def _change(row: pd.Series, other: pd.DataFrame | None, f: definitions.Figure) -> str | None:
    """A change only between two shown values (a change from a hidden count would reveal it)."""
    if other is None or f.key not in other.index or row["suppressed"] or other.loc[f.key, "suppressed"]:
        return None
    return fmt_change(row["value"], other.loc[f.key, "value"], f.unit)


def _no_change(row: pd.Series, other: pd.DataFrame | None, f: definitions.Figure, whole: bool,
               other_loaded: bool, other_published: bool = True) -> str:
    """Why no change is shown, in a few words."""
    if row["not_measured"]:
        return "this figure is not measured"
    if row["suppressed"]:
        return "this figure is suppressed for privacy"
    if not whole:
        return "this period is not fully loaded"
    if not other_loaded:
        return "that period is not fully loaded"
    if not other_published:
        return "that period is not a published period (no public figures)"
    if other is not None and f.key in other.index and other.loc[f.key, "suppressed"]:
        return "the earlier figure is suppressed for privacy"
    return "not defined for one of the periods"
