"""Agencies side by side: the same figures for every agency of a hub, and pooled.

For the state CIT coordinator and grant administrators who collect the same figures from
many agencies, and for the learning sites that learn from each other (the *Agencies
compared* page). An agency's column is its own figures —
`metrics.headline` over its rows with its own settings (time zone, BH call types,
disposition map, data rules, costs) — exactly what its own pages show, with the same
coverage notes and "not measured" states. Which figures are compared is declared in the
registry (`figures.COMPARED`, `figures.PER_1000_CALLS`, `figures.FUNNEL`).

**Pooled = the sum of the agencies.** A pooled count is the sum over the agencies where it
is measured, and a pooled rate Σ numerators ÷ Σ denominators over those agencies: the same
query run over their rows together (`$agencies`), so a rate's true denominator (BH calls
whose co-responder field is recorded, contacts with a known outcome) is summed, never
guessed. An agency where a figure is not measured is left out, never counted as 0, and the
pooled figure says so ("measured in 3 of 5 agencies"). A figure that some agencies count
on logged contacts (a clinician log) and others on BH calls (no log: the outcome recorded
on the call) is pooled over the agencies of the registry's own counting unit only, and
says how many count it otherwise.

**Periods are each agency's own wall clock**: March 2025 is March on each agency's clock;
quarters and calendar years likewise. A fiscal year is each agency's own (FY2025 ends in
2025 for each, starting in its own month); there is a pooled fiscal year only when every
agency's fiscal year starts in the same month — otherwise the pooled column says why not.

**The public** sees each agency's column through that agency's own public release (the
one its own pages show), and a pooled figure only where every agency pooled into it shows
it: a pooled count is then a sum of counts already shown, so the agencies and the pool
together give no small count away (tests/test_public_union.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

import pandas as pd

from . import figures, metrics, present, release
from . import coverage as _coverage
from .config import AgencyConfig, agency_configs, load_agency, using_agency
from .periods import Period

POOLED = "pooled"
KINDS = {"month": "Month", "quarter": "Quarter", "year": "Calendar year", "fy": "Fiscal year (each agency's own)"}
PER_1000 = "_per_1000_calls"
# The comparison's repeat-contact definition: the registry's (2 crisis contacts, 90 days).
REPEAT_MIN_CONTACTS = 2
_REPEAT_KEYS = tuple(k for k in figures.COMPARED if k.startswith("repeat_"))


def per_1000_key(key: str) -> str:
    return key + PER_1000


def agency_period(kind: str, value, cfg: AgencyConfig) -> Period:
    """The period `kind`/`value` on one agency's calendar: a month ('2025-03'), a quarter
    ('2025Q1'), a calendar year (2025) or the agency's own fiscal year named by the year it
    ends in (2025)."""
    if kind == "month":
        y, m = str(value).split("-")
        return Period.month(int(y), int(m))
    if kind == "quarter":
        v = str(value).upper().replace("-", "")
        return Period.quarter(int(v[:4]), int(v[-1]))
    if kind == "year":
        return Period.calendar_year(int(value))
    if kind == "fy":
        return Period.fiscal_year(int(value), cfg.fiscal_year_start_month)
    raise ValueError(f"period kind {kind!r}: use one of {', '.join(KINDS)}")


@dataclass
class Row:
    """One line of the comparison: a registered figure, or a count per 1,000 calls."""
    key: str  # the value's key in a column (a figure key, or <count>_per_1000_calls)
    figure: figures.Figure
    per_1000: bool = False

    @property
    def label(self) -> str:
        return f"{self.figure.label} per 1,000 calls" if self.per_1000 else self.figure.label

    @property
    def unit(self) -> str:
        return "per_1000" if self.per_1000 else self.figure.unit

    @property
    def definition(self) -> str:
        if self.per_1000:
            return (f"{self.figure.label} ÷ calls for service × 1,000, over the same period and agencies. "
                    f"{self.figure.definition}")
        return self.figure.definition


def rows() -> list[Row]:
    """The comparison's figures, in the registry's words: rates, then counts per 1,000 calls."""
    figs = figures.all_by_key()
    return ([Row(k, figs[k]) for k in figures.COMPARED]
            + [Row(per_1000_key(k), figs[k], per_1000=True) for k in figures.PER_1000_CALLS])


@dataclass
class Column:
    """One agency's figures (or the pooled ones) for the compared period."""
    key: str  # agency key, or POOLED
    name: str
    period: Period | None
    values: dict  # figure key → value (a marker: NotMeasured; for the public also Withheld, Unstable)
    notes: dict = field(default_factory=dict)  # figure key → coverage note or "measured in k of n"
    cfg: AgencyConfig | None = None
    coverage: _coverage.Coverage | None = None
    pooled_in: dict = field(default_factory=dict)  # pooled: figure key → agencies pooled into it
    raw: dict = field(default_factory=dict)  # pooled: figure key → the run it came from (its numerators)

    @property
    def filters(self) -> metrics.Filters | None:
        return None if self.period is None or self.key == POOLED else \
            metrics.Filters(self.period, agencies=(self.key,))


@dataclass
class Comparison:
    kind: str
    value: object
    agencies: list[Column]
    pooled: Column
    public: bool = False

    @property
    def columns(self) -> list[Column]:
        return [*self.agencies, self.pooled]

    @property
    def label(self) -> str:
        periods = {c.period.label for c in self.agencies if c.period is not None}
        return periods.pop() if len(periods) == 1 else f"{KINDS[self.kind]} {self.value} (each agency's own)"

    def table(self, formatted: bool = True) -> pd.DataFrame:
        """Figures down, agencies (then Pooled) across; formatted for the page, or the values."""
        out = []
        for row in rows():
            line = {"key": row.key, "figure": row.label}
            for c in self.columns:
                v = c.values.get(row.key)
                line[c.name] = present.fmt(v, row.unit) if formatted else v
            line["definition"] = row.definition
            out.append(line)
        return pd.DataFrame(out)

    def funnel(self) -> pd.DataFrame:
        """All calls → BH calls → co-responded BH calls → diverted, for each column (long form)."""
        figs = figures.all_by_key()
        out = []
        for c in self.columns:
            for step, key in enumerate(figures.FUNNEL):
                fig = figs[key]
                label = fig.label
                if c.coverage is not None and c.coverage.source(fig) is not None:
                    label = c.coverage.label(fig)
                out.append({"agency": c.name, "step": step, "key": key, "label": label,
                            "value": c.values.get(key), "note": c.notes.get(key, "")})
        frame = pd.DataFrame(out)
        # kept as objects: a "not measured" marker must not become a bare NaN
        frame["value"] = pd.Series([r["value"] for r in out], dtype=object)
        return frame


# ------------------------------------------------------------------ building it

def _with_per_1000(values: dict) -> dict:
    """Counts per 1,000 calls for service, from the same selection's counts."""
    calls = values.get("calls_total")
    out = dict(values)
    for key in figures.PER_1000_CALLS:
        v = values.get(key)
        k = per_1000_key(key)
        if present.not_measured(v):
            out[k] = v
        elif present.not_measured(calls):
            out[k] = calls
        elif v is None or present.missing(v) or not calls:
            out[k] = None  # no calls in the period: undefined, not 0
        else:
            out[k] = float(v) / float(calls) * 1000.0
    return out


def _repeat_comparable(values: dict, cfg: AgencyConfig) -> dict:
    """The comparison counts repeat contacts one way (2 crisis contacts within 90 days); an
    agency whose own settings define them otherwise is not measured on that line."""
    out = dict(values)
    for key in _REPEAT_KEYS:
        if cfg.repeat_min_contacts != REPEAT_MIN_CONTACTS or key not in values:
            out[key] = present.NotMeasured(
                f"this agency counts repeat contacts as {cfg.repeat_min_contacts} or more within "
                f"{', '.join(str(w) for w in cfg.repeat_windows_days)} days (config/agency.toml "
                "[repeat_contacts]), not as the comparison does (2 within 90 days)")
    return out


def agency_column(con, key: str, kind: str, value, public: bool = False,
                  release_of: Callable[[metrics.Filters, AgencyConfig], release.Release] | None = None) -> Column:
    """One agency's figures for the period on its own calendar, with its own settings; for
    the public, as its own public release shows them."""
    with using_agency(key):
        cfg = load_agency()
        assumptions = metrics.load_assumptions()
        period = agency_period(kind, value, cfg)
        f = metrics.Filters(period, agencies=(key,))
        cov = metrics.coverage(con, f, assumptions, cfg)
        if public:
            rel = release_of(f, cfg) if release_of is not None else release.published(con, f, cfg)
            values = _repeat_comparable(_with_per_1000(dict(rel.values)), cfg)
            values = _mask_agency(values, rel)
        else:
            values = _repeat_comparable(_with_per_1000(metrics.headline(con, f, cfg, assumptions)), cfg)
        notes = {}
        for k, v in values.items():
            fig = figures.lookup(k.removesuffix(PER_1000))
            if fig is not None:
                text = _coverage.explain(v, fig, cov, public)
                if text:
                    notes[k] = text
    return Column(key, cfg.name, period, values, notes, cfg, cov)


def _mask_agency(values: dict, rel: release.Release) -> dict:
    """An agency's values as its public release shows them; a count per 1,000 calls is
    shown only where the count and the calls are."""
    out = {k: rel.marked(release.HEADLINE, "all", k, v) for k, v in values.items() if not k.endswith(PER_1000)}
    for key in figures.PER_1000_CALLS:
        k = per_1000_key(key)
        if k not in values:
            continue
        hidden = [d for d in (key, "calls_total") if isinstance(out.get(d), present.Withheld)]
        out[k] = present.Withheld(present.SUPPRESSED_TEXT, "built on a suppressed count") if hidden else values[k]
    return out


def _pooled_keys() -> list[str]:
    """The figures the pooled column needs: compared rates, funnel steps and the counts per
    1,000 calls (with the calls they are per)."""
    return list(dict.fromkeys([*figures.COMPARED, *figures.FUNNEL, *figures.PER_1000_CALLS, "calls_total"]))


def pooled_column(con, kind: str, value, columns: list[Column], hub: AgencyConfig,
                  exact: list[Column] | None = None, public: bool = False) -> Column:
    """The pooled column over `columns` (see the module docstring). `exact`: the agencies'
    exact columns (for the public, `columns` are masked; pooling reads the exact ones)."""
    exact = exact or columns
    n = len(exact)
    name = "Pooled" if n != 1 else "Pooled (one agency)"
    starts = {c.cfg.fiscal_year_start_month for c in exact}
    if not exact:
        return Column(POOLED, name, None, {})
    if kind == "fy" and len(starts) > 1:
        why = ("the agencies' fiscal years start in different months ("
               + ", ".join(f"{c.name}: {c.period.start:%B}" for c in exact)
               + "), so there is no pooled fiscal year; compare a calendar year, or each agency's own year")
        marker = present.NotMeasured(why)
        return Column(POOLED, name, None, {r.key: marker for r in rows()} | {k: marker for k in _pooled_keys()},
                      {})
    period = agency_period(kind, value, exact[0].cfg)
    figs = figures.all_by_key()
    groups: dict[tuple[str, ...], list[str]] = {}
    pooled_in, notes, values = {}, {}, {}
    for key in _pooled_keys():
        fig = figs[key]
        measured = [c for c in exact if key in c.values and not present.not_measured(c.values[key])]
        if not measured:
            reasons = sorted({present.reason(c.values.get(key)) for c in exact if present.not_measured(c.values.get(key))})
            values[key] = present.NotMeasured(f"not measured in any of the {n} agencies"
                                              + (f" ({'; '.join(reasons)})" if len(reasons) == 1 else ""))
            continue
        own = [c for c in measured if c.coverage is None or c.coverage.source(fig) is None]
        other = [c for c in measured if c not in own]
        use = own or other
        group = tuple(c.key for c in use)
        groups.setdefault(group, []).append(key)
        pooled_in[key] = group
        bits = []
        if len(use) < n:
            left = [c.name for c in exact if c not in measured]
            bits.append(f"measured in {len(use)} of {n} agencies" + (f" (not measured in {', '.join(left)})"
                                                                     if left and not public else ""))
        if own and other:
            bits.append(f"{len(other)} count it per BH call (no clinician log) and are not pooled with the "
                        "agencies that count logged contacts")
        if bits:
            notes[key] = "; ".join(bits) + "."
    raw: dict[str, dict] = {}
    cfg = replace(hub, repeat_min_contacts=REPEAT_MIN_CONTACTS, repeat_windows_days=(90, 180, 365))
    for group, keys in groups.items():
        f = metrics.Filters(period, agencies=group)
        got = metrics.headline(con, f, cfg, metrics.Assumptions())
        for key in keys:
            values[key] = got.get(key)
            raw[key] = got
    for key in figures.PER_1000_CALLS:
        k = per_1000_key(key)
        if key in raw:
            values[k] = _with_per_1000({key: raw[key].get(key), "calls_total": raw[key].get("calls_total")})[k]
            pooled_in[k] = pooled_in[key]
            if key in notes:
                notes[k] = notes[key]
        else:
            values[k] = values.get(key)
    return Column(POOLED, name, period, values, notes, cfg, pooled_in=pooled_in, raw=raw)


def _mask_pooled(pooled: Column, masked_agencies: dict[str, Column], rules) -> Column:
    """The pooled column as the public sees it: a pooled figure only where every agency
    pooled into it shows it (and the counts it is built on), so it is a sum of shown values;
    a rate on few events carries the unstable mark."""
    out = {}
    for key, v in pooled.values.items():
        group = pooled.pooled_in.get(key)
        if group is None or present.not_measured(v):
            out[key] = v
            continue
        hidden = [a for a in group if isinstance(masked_agencies[a].values.get(key), present.Withheld)]
        if hidden:
            out[key] = present.Withheld(present.SUPPRESSED_TEXT, "an agency pooled into it suppresses it")
            continue
        fig = figures.lookup(key.removesuffix(PER_1000))
        raw = pooled.raw.get(key.removesuffix(PER_1000), {})
        if fig is not None and fig.unit == "rate" and not key.endswith(PER_1000) and v is not None \
                and not present.missing(v) and any(rules.unstable(_num(raw.get(n))) for n in fig.unstable_numerators):
            out[key] = present.Unstable(float(v))
        else:
            out[key] = v
    return replace(pooled, values=out)


def _num(v):
    return None if v is None or present.missing(v) else float(v)


def compare(con, kind: str, value, keys: list[str] | None = None, public: bool = False,
            release_of: Callable[[metrics.Filters, AgencyConfig], release.Release] | None = None,
            hub: AgencyConfig | None = None) -> Comparison:
    """Every agency of `keys` (default: every agency of the workspace) side by side for the
    period, and pooled. `public`: through the agencies' public releases (`release_of`
    builds or fetches one; default `release.published`)."""
    keys = list(keys) if keys is not None else list(agency_configs())
    hub = hub or load_agency()
    exact = [agency_column(con, k, kind, value) for k in keys]
    pooled = pooled_column(con, kind, value, exact, hub, public=public)
    if not public:
        return Comparison(kind, value, exact, pooled, public)
    rel_of = release_of or (lambda f, cfg: release.published(con, f, cfg))
    shown = [agency_column(con, k, kind, value, public=True, release_of=rel_of) for k in keys]
    pooled = _mask_pooled(pooled, {c.key: c for c in shown}, release.Rules.from_config(hub))
    return Comparison(kind, value, shown, pooled, public)
