"""The metrics layer: runs the named queries for a filter and shapes the results.

Pages, exports, the `pmhc figures` command and the tests call these functions and
nothing else, so a figure shown on screen, in a slide and in a grant table is the same
number from the same SQL.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import duckdb
import pandas as pd
from pydantic import Field, create_model

from . import coverage as _coverage
from . import definitions, figures, present, rollups, sql
from .config import AgencyConfig, Strict, config_dir, load_agency, read_toml, toml_dumps, validate
from .periods import Period

# Families of figures, and the breakdowns each query supports (declared in the registry).
CALL_QUERIES = ("volume_calls", "outcomes_calls", "officer_time")
CONTACT_QUERIES = ("volume_contacts", "outcomes_contacts", "repeat_contacts", "follow_up")
BREAKDOWNS = figures.BREAKDOWNS
FIGURE_QUERIES = CALL_QUERIES + CONTACT_QUERIES


def agency_param(agencies) -> str | None:
    """`$agencies` of the named queries: the agency keys, comma-separated (keys are
    lower-case letters, digits, '-' and '_'), or NULL for every row of the database."""
    return ",".join(agencies) if agencies else None


@dataclass(frozen=True)
class Filters:
    """A selection: the period, and optionally one district and one responder type. In a
    hub, `agencies` names the agencies whose rows the queries read (`$agencies`): one for an
    agency's pages, several for a pooled figure; None reads every row of the database (a
    single-agency workspace, whose rows are all its own)."""
    period: Period
    district: str | None = None
    responder_type: str | None = None
    agencies: tuple[str, ...] | None = None

    def params(self, by: str = "total") -> dict:
        return {**self.period.params(), "district": self.district or None,
                "responder_type": self.responder_type or None, "by": by,
                "agencies": agency_param(self.agencies)}

    @property
    def agency(self) -> str | None:
        """The one agency of an agency's selection (None: every agency, or several)."""
        return self.agencies[0] if self.agencies and len(self.agencies) == 1 else None

    def with_period(self, period: Period) -> "Filters":
        return replace(self, period=period)

    @property
    def label(self) -> str:
        parts = [self.period.label]
        if self.district:
            parts.append(f"district {self.district}")
        if self.responder_type:
            parts.append(self.responder_type.replace("_", " "))
        return ", ".join(parts)


def _repeat_params(cfg: AgencyConfig) -> dict:
    w = list(cfg.repeat_windows_days) + [365] * (3 - len(cfg.repeat_windows_days))
    return {"min_contacts": cfg.repeat_min_contacts, "window_a": w[0], "window_b": w[1], "window_c": w[2]}


def _rename_repeat(df: pd.DataFrame, cfg: AgencyConfig) -> pd.DataFrame:
    w = list(cfg.repeat_windows_days)[:3]
    mapping = {}
    for letter, days in zip("abc", w):
        mapping[f"repeat_people_{letter}"] = f"repeat_people_{days}d"
        mapping[f"repeat_rate_{letter}"] = f"repeat_rate_{days}d"
    drop = [c for c in df.columns if c.endswith(tuple(f"_{l}" for l in "abc"[len(w):]))
            and c.startswith("repeat_")]
    return df.drop(columns=drop).rename(columns=mapping)


def run(con: duckdb.DuckDBPyConnection, query: str, filters: Filters, by: str = "total",
        cfg: AgencyConfig | None = None) -> pd.DataFrame:
    """One figure query for one breakdown: a row per bucket ('all' for the total)."""
    cfg = cfg or load_agency()
    params = filters.params(by)
    if query in ("repeat_contacts", "repeat_people"):
        params.update(_repeat_params(cfg))
    name = query
    if query == "repeat_contacts" and rollups.stored_min_contacts(con) != cfg.repeat_min_contacts:
        name = "repeat_contacts_any_n"  # the stored facts were built for another $min_contacts
    df = sql.df(con, name, params)
    if query == "repeat_contacts":
        df = _rename_repeat(df, cfg)
    if by == "total" and df.empty:
        # No rows in the period: counts are 0 and rates undefined, not missing.
        cols = [c for c in df.columns if c != "bucket"]
        df = pd.DataFrame([{"bucket": "all", **{c: _empty_value(c) for c in cols}}])
    return df


def _empty_value(column: str):
    """0 for a count or a sum, None (undefined) otherwise: the registry's kind decides."""
    return figures.empty_value(column)


def headline(con: duckdb.DuckDBPyConnection, filters: Filters, cfg: AgencyConfig | None = None,
             assumptions: "Assumptions | None" = None) -> dict[str, float | int | None]:
    """Every figure for the period as {key: value}; keys are the stable figure keys."""
    cfg = cfg or load_agency()
    out: dict[str, float | int | None] = {}
    for q in FIGURE_QUERIES:
        row = run(con, q, filters, "total", cfg).iloc[0].to_dict()
        row.pop("bucket", None)
        for k, v in row.items():
            out.setdefault(k, _py(v))
    assumptions = assumptions if assumptions is not None else load_assumptions()
    out.update(savings(con, filters, assumptions, out, mark=False))
    cov = coverage(con, filters, assumptions, cfg)
    sources = cov.sources(out)
    if sources:
        calls = run(con, "outcomes_from_calls", filters, "total", cfg).iloc[0].to_dict()
        out.update({key: _py(calls.get(src.column)) for key, src in sources.items()})
    return cov.mark(out)


# Buckets queries/call_outcomes.sql :: outcomes_from_calls can split calls by.
CALL_BUCKETS = ("month", "district") + figures.CATEGORIES


def _from_calls(con: duckdb.DuckDBPyConnection, filters: Filters, cov: "_coverage.Coverage",
                frame: pd.DataFrame, by: str) -> pd.DataFrame:
    """`frame` (a row per bucket) with the figures the selection counts on calls
    (Coverage.source: no clinician log, or no arrest records) read from
    queries/call_outcomes.sql :: outcomes_from_calls instead. Buckets only the calls have
    (e.g. every district, when no contact was logged) are added, so the rows still add up
    to the period's figure."""
    sources = cov.sources([c for c in frame.columns if c != "bucket"])
    if not sources:
        return frame
    frame = frame.copy()
    calls = sql.df(con, "outcomes_from_calls", filters.params(by if by in CALL_BUCKETS else "total"))
    if by not in ("total",) + CALL_BUCKETS:
        for key in sources:  # calls have no responder or contact type
            frame[key] = pd.Series([present.NotMeasured(f"not recorded by {by.replace('_', ' ')} on calls")]
                                   * len(frame), index=frame.index, dtype=object)
        return frame
    if by != "total" and not calls.empty:
        have = set(frame["bucket"])
        extra = [b for b in calls["bucket"] if b not in have]
        if extra:
            frame = pd.concat([frame, pd.DataFrame({"bucket": extra})], ignore_index=True)
            frame = frame.sort_values("bucket", key=lambda s: s.astype(str)).reset_index(drop=True)
    values = calls.set_index("bucket") if not calls.empty else None
    for key, src in sources.items():
        col = []
        for b in (frame["bucket"] if "bucket" in frame else ["all"] * len(frame)):
            b = "all" if by == "total" else b
            v = values.loc[b, src.column] if values is not None and b in values.index else None
            col.append(_py(v) if v is not None else figures.empty_value(key))
        frame[key] = pd.Series(col, index=frame.index, dtype=object)
    return frame


def coverage(con: duckdb.DuckDBPyConnection, filters: Filters, assumptions: "Assumptions | None" = None,
             cfg: AgencyConfig | None = None) -> "_coverage.Coverage":
    """Which figures the selection's data supports (pmhc.coverage): reasons and coverage notes."""
    return _coverage.measure(con, filters, assumptions if assumptions is not None else load_assumptions(),
                             cfg or load_agency())


def _py(v):
    if v is None or (isinstance(v, float) and pd.isna(v)) or v is pd.NA:
        return None
    if hasattr(v, "item"):
        return v.item()
    return v


def values_by(con: duckdb.DuckDBPyConnection, query: str, filters: Filters, by: str,
              cfg: AgencyConfig | None = None, cov: "_coverage.Coverage | None" = None) -> pd.DataFrame:
    """One figure query by bucket, as numbers: the figures the selection counts on calls
    read from the calls (`_from_calls`). What pages show (`breakdown`) and what the public
    release protects (pmhc.release) are these same numbers."""
    if by != "total" and by not in BREAKDOWNS.get(query, ()):
        raise ValueError(f"{query} has no breakdown by {by}; it has {BREAKDOWNS.get(query)}")
    df = run(con, query, filters, by, cfg)
    cov = cov or coverage(con, filters, None, cfg)
    return _from_calls(con, filters, cov, df, by)


def breakdown(con: duckdb.DuckDBPyConnection, query: str, filters: Filters, by: str,
              cfg: AgencyConfig | None = None, cov: "_coverage.Coverage | None" = None) -> pd.DataFrame:
    cov = cov or coverage(con, filters, None, cfg)
    df = values_by(con, query, filters, by, cfg, cov)
    # A column whose inputs the selection lacks is not measured in every bucket, not 0.
    reasons = cov.reasons([c for c in df.columns if c != "bucket"])
    for c, r in reasons.items():
        df[c] = pd.Series([present.NotMeasured(r)] * len(df), index=df.index, dtype=object)
    return df


# The queries that break figures down by a categorical column (figures.CATEGORIES).
CATEGORY_QUERIES = ("calls_by_category", "outcomes_contacts")


def by_category(con: duckdb.DuckDBPyConnection, filters: Filters, by: str,
                cfg: AgencyConfig | None = None) -> pd.DataFrame:
    """The figures shown by call type or beat (figures.CATEGORY_FIGURES), one row per
    bucket: the breakdowns of CATEGORY_QUERIES merged. A bucket one query lacks holds 0
    of its counts (a call type with no BH call has no diverted BH call), and a figure not
    measured for the selection is not measured in every bucket."""
    if by not in figures.CATEGORIES:
        raise ValueError(f"no breakdown by {by}; the categorical columns are {', '.join(figures.CATEGORIES)}")
    frame: pd.DataFrame | None = None
    cov = coverage(con, filters, None, cfg)
    for q in CATEGORY_QUERIES:
        df = breakdown(con, q, filters, by, cfg, cov)
        if frame is None:
            frame = df
            continue
        new = [c for c in df.columns if c == "bucket" or c not in frame.columns]
        frame = frame.merge(df[new], on="bucket", how="outer")
    keys = [k for k in figures.CATEGORY_FIGURES if k in frame.columns]
    frame = frame[["bucket"] + keys].copy()
    for c in keys:
        marker = next((v for v in frame[c] if present.not_measured(v)), None)
        fill = marker if marker is not None else _empty_value(c)
        frame[c] = pd.Series([fill if _merge_gap(v) else v for v in frame[c]], index=frame.index, dtype=object)
    return frame.sort_values("bucket", key=lambda s: s.astype(str)).reset_index(drop=True)


def _merge_gap(v) -> bool:
    """A cell an outer merge left empty (a marker, such as not measured, is not one)."""
    return v is None or (isinstance(v, float) and pd.isna(v) and not isinstance(v, present.NotMeasured))


def monthly(con: duckdb.DuckDBPyConnection, filters: Filters, cfg: AgencyConfig | None = None) -> pd.DataFrame:
    """All monthly figures in one frame: one row per month of the period, gaps as zero rows."""
    return split_by(con, filters, "month", cfg).rename(columns={"bucket": "month"})


def breakdown_columns() -> tuple[str, ...]:
    """Every column some figure can be split by (the registry's BREAKDOWNS), month first."""
    return tuple(dict.fromkeys(by for bys in BREAKDOWNS.values() for by in bys))


def split_by(con: duckdb.DuckDBPyConnection, filters: Filters, by: str,
             cfg: AgencyConfig | None = None) -> pd.DataFrame:
    """Every figure that has a breakdown by `by`, in one frame with a row per bucket: the
    queries of the registry's BREAKDOWNS that list `by`, joined on the bucket. By month
    every month of the period is a row; otherwise the buckets any of the queries has
    ('Unknown' last). A count a bucket has no rows for is 0; a figure whose inputs the
    selection lacks is not measured in every bucket, as in `breakdown`."""
    cfg = cfg or load_agency()
    queries = [q for q, bys in BREAKDOWNS.items() if by in bys]
    if not queries:
        raise ValueError(f"no figure has a breakdown by {by!r}; breakdowns: {', '.join(breakdown_columns())}")
    frames = [run(con, q, filters, by, cfg).astype({"bucket": object}) for q in queries]
    if by == "month":
        buckets = list(pd.period_range(filters.period.start, filters.period.last_day, freq="M").strftime("%Y-%m"))
    else:
        seen = dict.fromkeys(b for df in frames for b in df["bucket"])
        buckets = sorted(seen, key=lambda b: (b == "Unknown", str(b)))
    frame = pd.DataFrame({"bucket": pd.Series(buckets, dtype=object)})
    for df in frames:
        new = [c for c in df.columns if c == "bucket" or c not in frame.columns]
        frame = frame.merge(df[new], on="bucket", how="left")
    for c in frame.columns:
        if c != "bucket" and _empty_value(c) == 0:
            frame[c] = frame[c].fillna(0)
    cov = coverage(con, filters, None, cfg)
    frame = _from_calls(con, filters, cov, frame, by)
    # A figure whose inputs the selection lacks is not measured in every bucket, not 0.
    reasons = cov.reasons([c for c in frame.columns if c != "bucket"])
    for c, r in reasons.items():
        frame[c] = pd.Series([present.NotMeasured(r)] * len(frame), index=frame.index, dtype=object)
    return frame


def outcome_mix(con: duckdb.DuckDBPyConnection, filters: Filters, by: str = "total") -> pd.DataFrame:
    return sql.df(con, "outcome_mix", filters.params(by))


def heatmap(con: duckdb.DuckDBPyConnection, filters: Filters) -> pd.DataFrame:
    return sql.df(con, "bh_call_heatmap", filters.params())


def repeat_people(con: duckdb.DuckDBPyConnection, filters: Filters, cfg: AgencyConfig | None = None) -> pd.DataFrame:
    """Person-level list (pseudonymous keys): coordinator/analyst roles only."""
    cfg = cfg or load_agency()
    return sql.df(con, "repeat_people", {**filters.params(), "min_contacts": cfg.repeat_min_contacts})


def data_range(con: duckdb.DuckDBPyConnection, agencies: tuple[str, ...] | None = None) -> pd.DataFrame:
    """What is loaded (of `agencies`; None: every row): first and last date and rows per table."""
    return sql.df(con, "data_range", {"agencies": agency_param(agencies)})


def span_of(ranges: pd.DataFrame):
    """First and last dated call or contact in a data_range frame; None when nothing is loaded."""
    dr = ranges[ranges["table_name"].isin(["calls", "encounters"])].dropna(subset=["first_date", "last_date"])
    if dr.empty:
        return None
    return pd.Timestamp(dr["first_date"].min()).date(), pd.Timestamp(dr["last_date"].max()).date()


def partial_months(span) -> dict[str, str]:
    """Months the loaded data covers only in part ('YYYY-MM' → why): data starting after
    the 1st or ending before the month's last day. Trend charts mark them."""
    if span is None:
        return {}
    first, last = span
    out = {}
    if first.day != 1:
        out[f"{first:%Y-%m}"] = f"data start {first:%-d %b %Y}"
    if not pd.Timestamp(last).is_month_end:
        out[f"{last:%Y-%m}"] = (out.get(f"{last:%Y-%m}", "") + "; " if f"{last:%Y-%m}" in out else "") + \
            f"data end {last:%-d %b %Y}"
    return out


def span_covers(first, last, period: Period) -> bool:
    """Is the whole period inside the loaded data? (A change against a half-loaded period
    misleads: a partial first or last month — data starting after the 1st or ending before
    the month's last day, see partial_months — is not covered, so month-over-month change
    leaves it out.)"""
    return period.start >= first and period.last_day <= last


def districts(con: duckdb.DuckDBPyConnection, agencies: tuple[str, ...] | None = None) -> list[str]:
    return sql.df(con, "districts", {"agencies": agency_param(agencies)})["district"].tolist()


# ------------------------------------------------------------------ comparisons

def compare(con: duckdb.DuckDBPyConnection, filters: Filters, keys: list[str] | None = None,
            cfg: AgencyConfig | None = None, assumptions: "Assumptions | None" = None) -> pd.DataFrame:
    """Each figure for the period, the previous period of the same length and a year earlier."""
    cfg = cfg or load_agency()
    assumptions = assumptions if assumptions is not None else load_assumptions()
    now = headline(con, filters, cfg, assumptions)
    prev = headline(con, filters.with_period(filters.period.previous()), cfg, assumptions)
    ago = headline(con, filters.with_period(filters.period.year_ago()), cfg, assumptions)
    figs = definitions.by_key(cfg.repeat_windows_days, cfg.repeat_min_contacts)
    rows = []
    for key in keys or [k for k in figs if k in now]:
        f = figs.get(key)
        v, p, y = now.get(key), prev.get(key), ago.get(key)
        rows.append({
            "key": key, "label": f.label if f else key, "unit": f.unit if f else "",
            "value": v, "previous": p, "change_vs_previous": _change(v, p, f),
            "year_ago": y, "change_vs_year_ago": _change(v, y, f),
            "definition": f.definition if f else "",
        })
    table = pd.DataFrame(rows)
    for col in ("value", "previous", "year_ago"):  # keep NotMeasured markers (a float column drops them)
        if col in table:
            table[col] = pd.Series([r[col] for r in rows], index=table.index, dtype=object)
    return table


def _change(now, before, fig) -> float | None:
    """Rates change in percentage points, dollars in dollars, counts and hours in percent."""
    return present.change(now, before, fig.unit if fig is not None else "count")


# ------------------------------------------------------------------ savings

@dataclass(frozen=True)
class Assumption:
    key: str
    label: str
    unit: str
    value: float
    low: float
    high: float
    source: str
    year: int


class Assumptions(dict):
    """key → Assumption, loaded from config/assumptions.toml."""

    def scenario_values(self, scenario: str = "value") -> dict[str, float | None]:
        """Every unit cost for the savings query; one the agency has not set is None (not
        measured downstream), never 0."""
        vals: dict[str, float | None] = {k: None for k in SAVINGS_PARAMS}
        vals.update({k: float(getattr(a, scenario)) for k, a in self.items()})
        return vals

    def with_values(self, **values: float) -> "Assumptions":
        out = Assumptions(self)
        for k, v in values.items():
            a = out[k]
            out[k] = replace(a, value=float(v), low=min(a.low, float(v)), high=max(a.high, float(v)))
        return out

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame([a.__dict__ for a in self.values()], columns=list(Assumption.__dataclass_fields__))


SAVINGS_PARAMS = ("jail_booking", "jail_bed_day", "average_jail_stay_days", "ed_visit",
                  "ambulance_transport", "officer_hour", "program_cost_annual")


class _AssumptionEntry(Strict):
    """One unit cost in config/assumptions.toml: a value with its range, source and year."""
    label: str | None = None
    unit: str = ""
    value: float = Field(ge=0)
    low: float | None = Field(None, ge=0)
    high: float | None = Field(None, ge=0)
    source: str = Field(min_length=1)
    year: int = Field(ge=1900, le=2200)


# Unit costs in money (the others, average_jail_stay_days, are days): their unit is the
# agency's currency ([locale] currency in agency.toml).
MONEY_KEYS = ("jail_booking", "jail_bed_day", "ed_visit", "ambulance_transport", "officer_hour",
              "program_cost_annual")
# What each unit cost is, for a workspace that sets one for the first time (Settings page).
ASSUMPTION_LABELS = {
    "jail_booking": "Jail booking (intake and processing), per booking",
    "jail_bed_day": "Jail bed-day, per day",
    "average_jail_stay_days": "Average jail stay after a booking",
    "ed_visit": "Emergency department visit for a behavioral-health crisis",
    "ambulance_transport": "Ambulance transport (basic life support, emergency)",
    "officer_hour": "Loaded officer hour (salary, benefits, overhead)",
    "program_cost_annual": "Annual co-responder program cost",
}

# A cost that is not set is left out of the file (a new workspace sets none): the figures
# that need it are then not measured (pmhc.coverage), never priced with someone else's value.
AssumptionsFile = create_model(
    "AssumptionsFile", __base__=Strict, **{k: (_AssumptionEntry | None, None) for k in SAVINGS_PARAMS})


def assumption_unit(key: str, currency: str) -> str:
    """The unit written for a unit cost: the currency (per year for the program cost), or days."""
    if key not in MONEY_KEYS:
        return "days"
    return f"{currency} per year" if key == "program_cost_annual" else currency


def load_assumptions(path: Path | None = None) -> Assumptions:
    """config/assumptions.toml, checked by the settings layer (pmhc.config.validate): an
    unknown key or a value of the wrong kind names the file and the key. Costs the file does
    not set (or no file) are absent, and the figures that need them are not measured."""
    path = Path(path) if path else config_dir() / "assumptions.toml"
    if not path.exists():
        return Assumptions()
    f = validate(AssumptionsFile, read_toml(path), path)
    out = Assumptions()
    for key in SAVINGS_PARAMS:
        r: _AssumptionEntry | None = getattr(f, key)
        if r is None:
            continue
        v = float(r.value)
        out[key] = Assumption(key, r.label or key, r.unit, v, float(r.low if r.low is not None else v),
                              float(r.high if r.high is not None else v), r.source, int(r.year))
    return out


ASSUMPTIONS_HEADER = """\
# Unit costs for the resource-savings ESTIMATE. Every value carries its source and year.
# `low` and `high` give the range shown beside the estimate. Saved from the dashboard's
# Resource savings page by an administrator (each save is in the audit log); it can also
# be edited in any text editor.
"""


def save_assumptions(assumptions: Assumptions, path: Path | None = None) -> Path:
    """Write the assumptions file (an administrator's save from the Savings page).

    Every value must still carry a source and a year, and low ≤ value ≤ high; the file is
    replaced in one step (written beside it, then renamed) so a reader never sees half.
    """
    path = Path(path) if path else config_dir() / "assumptions.toml"
    data = {}
    for key in SAVINGS_PARAMS:
        if key not in assumptions:
            continue
        a = assumptions[key]
        if not (0 <= a.low <= a.value <= a.high):
            raise ValueError(f"[{key}] needs 0 ≤ low ≤ value ≤ high (got {a.low:g}, {a.value:g}, {a.high:g})")
        if not str(a.source).strip():
            raise ValueError(f"[{key}] needs a source: where the value comes from")
        data[key] = {"label": a.label, "unit": a.unit, "value": float(a.value), "low": float(a.low),
                     "high": float(a.high), "source": " ".join(str(a.source).split()), "year": int(a.year)}
    from .config import write_private

    return write_private(path, ASSUMPTIONS_HEADER + toml_dumps(data))


def savings(con: duckdb.DuckDBPyConnection, filters: Filters, assumptions: Assumptions,
            figures: dict | None = None, scenario: str = "value", mark: bool = True) -> dict:
    """Cost-avoidance estimate; `scenario` is value, low or high. Adds *_low / *_high totals.

    A part of the estimate whose inputs are missing (no co-responder field, no arrest
    records, no program cost) is not measured (`mark`), never priced as 0."""
    if figures is None:
        figures = {}
        for q in ("outcomes_calls", "officer_time"):
            figures.update(run(con, q, filters).iloc[0].to_dict())
    inputs = sql.one(con, "savings_inputs", filters.params())
    base = {**filters.period.params(),
            "arrest_rate_not_co_responded": figures.get("arrest_rate_not_co_responded"),
            "arrest_rate_co_responded": figures.get("arrest_rate_co_responded"),
            "co_responded_bh_calls": figures.get("co_responded_bh_calls"),
            "officer_hours_returned": figures.get("officer_hours_returned"),
            **{k: _py(v) for k, v in inputs.items()}}
    result = {k: _py(v) for k, v in sql.one(con, "savings", {**base, **assumptions.scenario_values(scenario)}).items()}
    result.update({k: _py(v) for k, v in inputs.items()})
    if scenario == "value":
        low = sql.one(con, "savings", {**base, **_range(assumptions, "low")})
        high = sql.one(con, "savings", {**base, **_range(assumptions, "high")})
        for k in ("gross_cost_avoidance", "net_cost_avoidance"):
            result[f"{k}_low"] = _py(low[k])
            result[f"{k}_high"] = _py(high[k])
    if mark:
        return coverage(con, filters, assumptions).mark(result)
    return result


def _range(assumptions: Assumptions, end: str) -> dict:
    """Low end: every unit cost at its low value and program cost at its high (and vice versa)."""
    vals = assumptions.scenario_values(end)
    other = "high" if end == "low" else "low"
    if "program_cost_annual" in assumptions:
        vals["program_cost_annual"] = float(getattr(assumptions["program_cost_annual"], other))
    return vals
