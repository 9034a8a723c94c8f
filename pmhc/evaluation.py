"""Did the program change outcomes? Two designs a dashboard can run on the agency's own data.

The rest of the dashboard compares co-responded calls with other BH calls in the same
period, which is descriptive: the calls differ in more than the co-responder. The designs
here compare the same places before and after the program started:

* **Interrupted time series** (Bernal, Cummins & Gasparrini 2017): one monthly series,
  a trend and seasonality fitted across the start, a change in level and slope at the
  start. The counterfactual is the fitted series with the level and slope change removed.
  Counts are modelled with a Poisson GLM (log link, days observed as the exposure) with
  Pearson-scaled (quasi-Poisson) errors; when the residuals are autocorrelated
  (Ljung–Box, lags 1–3) the errors are Newey–West (1987) instead. Hours are modelled with
  ordinary least squares and Newey–West errors (segmented regression).
* **Staggered difference-in-differences**, a stacked design (Cengiz et al. 2019; the logic of
  Callaway & Sant'Anna 2021 and of Dee & Pyne 2022 on Denver's STAR program): for each
  group of districts that started in the same month, the districts not yet started through
  the comparison window are the controls; the sub-experiments are stacked and a Poisson GLM
  with sub-experiment × district and sub-experiment × month effects estimates the effect.
  Each cohort is compared only with clean controls, so the estimate stays valid when the
  effect differs by cohort or grows with time — which two-way fixed effects on the whole
  panel are not. Event-study coefficients by quarter since the start give the pre-period
  check of parallel trends.

Every estimate starts from what the data supports: months before and after, events per
month, a measured outcome. When the data is too thin the result is a Refusal with the
reason, never a number.

Its size (~740 lines) is earned: both designs share the panel, the refusal rules and the
pricing of an effect, and each method's checks sit next to the model they guard.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from . import sql
from .config import config_dir

# ------------------------------------------------------------------ what the data must support
MIN_MONTHS_BEFORE = 8  # Penfold & Zhang 2013: at least 8 points per segment
MIN_MONTHS_AFTER = 8
MIN_EVENTS_BEFORE = 20  # fewer events before the start than this: no stable baseline
SEASON_MONTHS = 24  # seasonality is fitted only with two full years of data
MIN_DID_BEFORE = 6  # months before a cohort's start for it to enter the stacked design
MIN_DID_AFTER = 3
DID_WINDOW = 24  # months either side of a cohort's start used in its sub-experiment
RECORDED_SHARE = 0.9  # a month measures a call field when it is recorded on this share of BH calls
LJUNG_BOX_LAGS = 3
NEWEY_WEST_LAGS = 3
LEVEL = 0.95


@dataclass(frozen=True)
class Refusal:
    """The data cannot support the estimate; `reason` says why in plain words."""

    reason: str

    def __bool__(self) -> bool:  # `if result:` reads "if there is an estimate"
        return False


@dataclass(frozen=True)
class Outcome:
    key: str
    label: str
    kind: str  # "count" or "hours"
    definition: str
    column: str = ""  # column of queries/evaluation.sql :: evaluation_monthly
    placebo: bool = False
    refused: str = ""  # why the data model cannot evaluate it at all


LOG_ONLY = ("It is recorded only in the co-responder log, and the log covers only the calls the program "
            "attends: its count rises and falls with the program itself, so months before and after the start "
            "cannot be compared. It needs a call-level record (every BH call, with or without the program).")

OUTCOMES: tuple[Outcome, ...] = (
    Outcome("bh_arrests", "Arrests on BH calls", "count",
            "Arrest records naming a behavioral-health call, dated by the call (RMS arrests joined to CAD).",
            "bh_arrests"),
    Outcome("bh_use_of_force", "Use of force on BH calls", "count",
            "BH calls where use_of_force is true; only months where use of force is recorded on at least 90% "
            "of BH calls.", "bh_use_of_force"),
    Outcome("bh_officer_hours", "Officer hours on BH calls", "hours",
            "Sum of officer minutes on BH calls ÷ 60; only months where officer minutes are recorded on at "
            "least 90% of BH calls.", "bh_officer_hours"),
    Outcome("non_bh_arrests", "Arrests on other calls (placebo)", "count",
            "Arrest records naming a call that is not a BH call. The program should not change it: an "
            "'effect' here points at something else that changed at the same time.", "non_bh_arrests",
            placebo=True),
    Outcome("involuntary_holds", "Involuntary holds", "count",
            "Contacts ending in an involuntary / emergency hold.", refused=LOG_ONLY),
    Outcome("repeat_contacts", "Repeat contacts", "count",
            "People with two or more crisis contacts.", refused=LOG_ONLY),
)


def outcome(key: str) -> Outcome:
    for o in OUTCOMES:
        if o.key == key:
            return o
    raise KeyError(f"unknown outcome {key!r}; one of {[o.key for o in OUTCOMES]}")


# ------------------------------------------------------------------ inputs

def rollout_path() -> Path:
    return config_dir() / "program_rollout.csv"


def load_rollout(path: Path | str | None = None) -> dict[str, date]:
    """District → date the program began serving it, from config/program_rollout.csv
    (columns district,start). No file → {} (rollout unknown: no staggered design)."""
    path = Path(path) if path else rollout_path()
    if not path.exists():
        return {}
    out: dict[str, date] = {}
    with path.open(newline="", encoding="utf-8-sig") as f:
        reader = csv.DictReader(f)
        if not {"district", "start"} <= set(reader.fieldnames or ()):
            raise ValueError(f"{path}: needs the columns district,start (found {reader.fieldnames})")
        for line, row in enumerate(reader, start=2):
            district = (row["district"] or "").strip()
            if not district:
                raise ValueError(f"{path}: line {line}, column district: empty; name the CAD district")
            try:
                start = date.fromisoformat((row["start"] or "").strip())
            except ValueError:
                raise ValueError(f"{path}: line {line}, column start: {row['start']!r} is not a date "
                                 "YYYY-MM-DD") from None
            if district in out:
                raise ValueError(f"{path}: line {line}: district {district} is listed twice")
            out[district] = start
    return out


@dataclass
class Panel:
    """Monthly rows by district (queries/evaluation.sql) and which months each source covers."""

    monthly: pd.DataFrame
    arrest_months: pd.DataFrame
    contact_months: pd.DataFrame

    @property
    def months(self) -> list[str]:
        return sorted(self.monthly["month"].unique())


def load_panel(con, agencies: tuple[str, ...] | None = None) -> Panel:
    """The monthly series of `agencies`' rows (one agency's in a hub; None: every row)."""
    from .config import agency_selection

    if agencies is None:
        agencies = agency_selection()
    params = {"agencies": ",".join(agencies) if agencies else None}
    return Panel(sql.df(con, "evaluation_monthly", params), sql.df(con, "evaluation_arrest_months", params),
                 sql.df(con, "evaluation_contact_months", params))


def series(panel: Panel, key: str, districts: list[str] | None = None) -> pd.DataFrame | Refusal:
    """Rows (district, month, y, exposure) of the months that measure the outcome, or why none do.
    `districts` None = every district, Unknown included."""
    o = outcome(key)
    if o.refused:
        reason = o.refused
        if panel.contact_months.empty:
            reason = "Not measured: no co-responder log is loaded. " + reason
        return Refusal(f"{o.label}: {reason}")
    m = panel.monthly
    if m.empty:
        return Refusal("Not measured: no CAD calls are loaded.")
    if districts is not None:
        m = m[m["district"].isin(districts)]
        if m.empty:
            return Refusal(f"No calls in {', '.join(districts)}.")
    keep = pd.Series(True, index=m.index)
    if o.column in ("bh_arrests", "non_bh_arrests"):
        am = panel.arrest_months
        if am.empty:
            return Refusal(f"{o.label}: not measured — no arrest export is loaded.")
        if int(am["arrests_linked"].sum()) == 0:
            return Refusal(f"{o.label}: not measured — no arrest record names a CAD call, so arrests cannot be "
                           "told apart by call.")
        keep &= m["month"].isin(set(am.loc[am["arrests"] > 0, "month"]))
    elif o.column == "bh_use_of_force":
        keep &= m["bh_uof_recorded"] >= RECORDED_SHARE * m["bh_calls"]
    elif o.column == "bh_officer_hours":
        keep &= m["bh_minutes_recorded"] >= RECORDED_SHARE * m["bh_calls"]
    # A month counts for the selection only if every selected district measures it.
    by_month = keep.groupby(m["month"]).all()
    measured = set(by_month[by_month].index)
    out = m[m["month"].isin(measured)]
    if out.empty:
        return Refusal(f"{o.label}: not measured in any month of the export.")
    return pd.DataFrame({"district": out["district"], "month": out["month"],
                         "y": out[o.column].astype(float), "exposure": out["days_observed"].astype(float)}
                        ).reset_index(drop=True)


def city_series(rows: pd.DataFrame) -> pd.DataFrame:
    """Sum of districts by month (exposure is the export's days observed, the same for all)."""
    return rows.groupby("month", as_index=False).agg(y=("y", "sum"), exposure=("exposure", "first"))


# ------------------------------------------------------------------ what the data can support

@dataclass(frozen=True)
class Support:
    months_before: int
    months_after: int
    events_per_month_before: float
    events_per_month_after: float
    total_before: float
    first_month: str
    last_month: str
    gaps: int  # months missing inside the series (not measured)
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


def _month_index(months) -> np.ndarray:
    p = pd.PeriodIndex(list(months), freq="M")
    return np.asarray(p.year * 12 + p.month - 1, dtype=int)


def support(s: pd.DataFrame, start: date, kind: str = "count") -> Support:
    start_m = f"{start:%Y-%m}"
    before, after = s[s["month"] < start_m], s[s["month"] >= start_m]
    idx = _month_index(s["month"]) if len(s) else np.array([], dtype=int)
    gaps = int(idx.max() - idx.min() + 1 - len(idx)) if len(idx) else 0
    problems = []
    if len(before) < MIN_MONTHS_BEFORE:
        problems.append(f"Too few months before the start to estimate: {len(before)} measured month(s) before "
                        f"{start:%B %Y}, at least {MIN_MONTHS_BEFORE} are needed for a baseline trend.")
    if len(after) < MIN_MONTHS_AFTER:
        problems.append(f"Too few months after the start to estimate: {len(after)} measured month(s) from "
                        f"{start:%B %Y}, at least {MIN_MONTHS_AFTER} are needed to see a change in level and slope.")
    if kind == "count" and len(before) and before["y"].sum() < MIN_EVENTS_BEFORE:
        problems.append(f"Too few events before the start: {before['y'].sum():.0f} in {len(before)} months; at "
                        f"least {MIN_EVENTS_BEFORE} are needed for a stable baseline.")
    return Support(len(before), len(after),
                   float(before["y"].mean()) if len(before) else math.nan,
                   float(after["y"].mean()) if len(after) else math.nan,
                   float(before["y"].sum()) if len(before) else 0.0,
                   s["month"].min() if len(s) else "", s["month"].max() if len(s) else "", gaps, tuple(problems))


# ------------------------------------------------------------------ interrupted time series

@dataclass(frozen=True)
class Interval:
    estimate: float
    low: float
    high: float

    def covers(self, value: float) -> bool:
        return self.low <= value <= self.high


@dataclass
class ITS:
    start: date
    kind: str
    support: Support
    frame: pd.DataFrame  # month, observed, fitted, counterfactual, cf_low, cf_high, post
    per_month: Interval  # effect per month after the start (events or hours; negative = fewer)
    total: Interval  # over all months after the start
    relative: Interval  # total ÷ counterfactual total − 1
    level_change: Interval  # at the start: ratio − 1 (counts) or hours per month
    slope_change: Interval | None  # per month after the start (impact model "step_and_slope" only)
    errors: str  # how the interval was computed, and why
    impact: str
    seasonality: bool
    autocorrelation_p: float
    months_after: list[str] = field(default_factory=list)


IMPACT_MODELS = {
    "step": "a change in level at the start (the program works from the month it starts)",
    "step_and_slope": "a change in level and in slope at the start (the effect can grow or fade)",
}


def _design(month_idx: np.ndarray, start_idx: int, season: bool, impact: str) -> tuple[np.ndarray, list[str]]:
    t = (month_idx - start_idx).astype(float)
    post = (t >= 0).astype(float)
    cols = [np.ones_like(t), t, post, post * t if impact == "step_and_slope" else np.zeros_like(t)]
    names = ["const", "trend", "level_change", "slope_change"]
    if season:
        cal = (month_idx % 12).astype(float)
        cols += [np.sin(2 * np.pi * cal / 12), np.cos(2 * np.pi * cal / 12)]
        names += ["season_sin", "season_cos"]
    return np.column_stack(cols), names


def interrupted_time_series(s: pd.DataFrame, start: date, kind: str = "count",
                            impact: str = "step") -> ITS | Refusal:
    """Segmented regression on a monthly series (columns month 'YYYY-MM', y, exposure days).

    `impact` is the impact model, chosen before looking at the result (Bernal et al. 2017):
    "step" (level change) or "step_and_slope" (level and slope change)."""
    if impact not in IMPACT_MODELS:
        raise ValueError(f"impact must be one of {list(IMPACT_MODELS)}")
    import statsmodels.api as sm
    from scipy import stats
    from statsmodels.stats.diagnostic import acorr_ljungbox

    s = s.sort_values("month").reset_index(drop=True)
    sup = support(s, start, kind)
    if not sup.ok:
        return Refusal(" ".join(sup.problems))
    idx = _month_index(s["month"])
    start_idx = start.year * 12 + start.month - 1
    season = idx.max() - idx.min() + 1 >= SEASON_MONTHS
    X, names = _design(idx, start_idx, season, impact)
    if impact == "step":
        X, names = X[:, [0, 1, 2, *range(4, X.shape[1])]], [n for n in names if n != "slope_change"]
    n_effect = 1 if impact == "step" else 2
    Xcf = X.copy()
    Xcf[:, 2:2 + n_effect] = 0.0
    y = s["y"].to_numpy(float)
    exposure = s["exposure"].to_numpy(float)
    days = pd.PeriodIndex(s["month"], freq="M").days_in_month.to_numpy(float)
    post = X[:, 2] == 1
    n, p = X.shape
    tcrit = stats.t.ppf(0.5 + LEVEL / 2, max(1, n - p))

    if kind == "count":
        model = sm.GLM(y, X, family=sm.families.Poisson(), offset=np.log(exposure))
        fit = model.fit(scale="X2")
        resid = fit.resid_pearson
    else:
        rate = y / exposure  # hours per day observed
        model = sm.OLS(rate, X)
        fit = model.fit()
        resid = fit.resid
    lb = acorr_ljungbox(resid, lags=[min(LJUNG_BOX_LAGS, max(1, n // 5))])
    ac_p = float(lb["lb_pvalue"].iloc[-1])
    if kind == "count" and ac_p >= 0.05:
        errors = (f"Poisson regression (log link, days observed as exposure) with Pearson-scaled (quasi-Poisson) "
                  f"errors for overdispersion; the residuals show no autocorrelation (Ljung–Box p = {ac_p:.2f}), "
                  "so no Newey–West correction is needed.")
    else:
        fit = model.fit(cov_type="HAC", cov_kwds={"maxlags": NEWEY_WEST_LAGS})
        why = (f"the residuals are autocorrelated (Ljung–Box p = {ac_p:.3f})" if ac_p < 0.05
               else "hours are not counts")
        errors = ((f"Poisson regression (log link, days observed as exposure) with Newey–West errors "
                   f"(lag {NEWEY_WEST_LAGS}) because {why}.") if kind == "count" else
                  (f"Segmented linear regression on hours per day observed with Newey–West errors "
                   f"(lag {NEWEY_WEST_LAGS}) because {why}; errors robust to autocorrelation."))
    beta = np.asarray(fit.params)
    V = np.asarray(fit.cov_params())

    if kind == "count":
        off = np.log(exposure)
        eta, eta_cf = X @ beta + off, Xcf @ beta + off
        mu, mu_cf = np.exp(eta), np.exp(eta_cf)
        se_cf = np.sqrt(np.einsum("ij,jk,ik->i", Xcf, V, Xcf))
        cf_lo, cf_hi = np.exp(eta_cf - tcrit * se_cf), np.exp(eta_cf + tcrit * se_cf)
        # Effect over the months after the start: sum(mu - mu_cf), delta method.
        g_total = (mu[post, None] * X[post] - mu_cf[post, None] * Xcf[post]).sum(axis=0)
        total = float((mu - mu_cf)[post].sum())
        se_total = float(np.sqrt(g_total @ V @ g_total))
        # Relative: log(sum mu) − log(sum mu_cf).
        g_rel = (mu[post, None] * X[post]).sum(0) / mu[post].sum() - (mu_cf[post, None] * Xcf[post]).sum(0) / mu_cf[post].sum()
        lr = float(np.log(mu[post].sum() / mu_cf[post].sum()))
        se_lr = float(np.sqrt(g_rel @ V @ g_rel))
        relative = Interval(math.expm1(lr), math.expm1(lr - tcrit * se_lr), math.expm1(lr + tcrit * se_lr))

        def ratio(j):
            b, se = beta[j], math.sqrt(V[j, j])
            return Interval(math.expm1(b), math.expm1(b - tcrit * se), math.expm1(b + tcrit * se))
        level, slope = ratio(2), (ratio(3) if impact == "step_and_slope" else None)
        fitted, counterfactual = mu, mu_cf
    else:
        scale = days  # hours per day × days in month = hours per month
        fitted_rate, cf_rate = X @ beta, Xcf @ beta
        se_cf = np.sqrt(np.einsum("ij,jk,ik->i", Xcf, V, Xcf))
        fitted, counterfactual = fitted_rate * scale, cf_rate * scale
        cf_lo, cf_hi = (cf_rate - tcrit * se_cf) * scale, (cf_rate + tcrit * se_cf) * scale
        g_total = ((X[post] - Xcf[post]) * scale[post, None]).sum(axis=0)
        total = float(g_total @ beta)
        se_total = float(np.sqrt(g_total @ V @ g_total))
        cf_total = float(counterfactual[post].sum())
        relative = Interval(total / cf_total, float((total - tcrit * se_total) / cf_total),
                            float((total + tcrit * se_total) / cf_total))
        mean_days = float(days.mean())

        def hours(j):
            b, se = float(beta[j] * mean_days), math.sqrt(V[j, j]) * mean_days
            return Interval(b, float(b - tcrit * se), float(b + tcrit * se))
        level, slope = hours(2), (hours(3) if impact == "step_and_slope" else None)
    total_iv = Interval(total, float(total - tcrit * se_total), float(total + tcrit * se_total))
    k = int(post.sum())
    per_month = Interval(total / k, total_iv.low / k, total_iv.high / k)
    frame = pd.DataFrame({"month": s["month"], "observed": y, "fitted": fitted, "counterfactual": counterfactual,
                          "cf_low": cf_lo, "cf_high": cf_hi, "post": post})
    return ITS(start, kind, sup, frame, per_month, total_iv, relative, level, slope, errors, impact, bool(season), ac_p,
               list(s.loc[post, "month"]))


# ------------------------------------------------------------------ staggered difference-in-differences

@dataclass
class DiD:
    att: Interval  # effect on the treated: ratio − 1 (counts) over the cohorts' months after their start
    att_per_district_month: Interval  # events per district-month (negative = fewer)
    events: pd.DataFrame  # quarter (since the start; −1 = reference), estimate, low, high (ratio − 1)
    pretrend_p: float  # joint Wald test that every pre-period coefficient is zero
    pretrend_flagged: bool
    cohorts: pd.DataFrame  # start, districts, controls, months_before, months_after
    dropped: list[str]  # cohorts left out and why
    treated_cells: list[tuple[str, str]]  # (district, month) after the start that the estimate covers
    errors: str


def _stack(rows: pd.DataFrame, rollout: dict[str, date]) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    months = sorted(rows["month"].unique())
    midx = dict(zip(months, _month_index(months)))
    first, last = min(midx.values()), max(midx.values())
    districts = sorted(d for d in rows["district"].unique() if d != "Unknown")
    start_of = {d: rollout[d].year * 12 + rollout[d].month - 1 for d in districts if d in rollout}
    never = [d for d in districts if d not in rollout]
    parts, cohorts, dropped = [], [], []
    for g in sorted(set(start_of.values())):
        label = f"{g // 12}-{g % 12 + 1:02d}"
        treated = [d for d in districts if start_of.get(d) == g]
        later = [start_of[d] for d in districts if start_of.get(d, -1) > g]
        end = min(last, g + DID_WINDOW - 1)
        if not never and later:  # only not-yet-served controls: the window ends before the next start
            end = min(end, min(later) - 1)
        # Clean controls: never served, or not yet served by the end of the window.
        controls = never + [d for d in districts if start_of.get(d, -1) > end]
        begin = max(first, g - DID_WINDOW)
        if not controls:
            dropped.append(f"{label} ({', '.join(treated)}): no district is still without the program to compare with.")
            continue
        n_before, n_after = g - begin, end - g + 1
        if n_before < MIN_DID_BEFORE or n_after < MIN_DID_AFTER:
            dropped.append(f"{label} ({', '.join(treated)}): {n_before} month(s) before and {n_after} after with "
                           f"clean controls; at least {MIN_DID_BEFORE} before and {MIN_DID_AFTER} after are needed.")
            continue
        sub = rows[rows["district"].isin(treated + controls)].copy()
        sub["m"] = sub["month"].map(midx)
        sub = sub[(sub["m"] >= begin) & (sub["m"] <= end)]
        sub["stack"] = label
        sub["treated"] = sub["district"].isin(treated)
        sub["event"] = sub["m"] - g
        parts.append(sub)
        cohorts.append({"start": label, "districts": ", ".join(treated), "controls": ", ".join(controls),
                        "months_before": n_before, "months_after": n_after})
    stacked = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    return stacked, pd.DataFrame(cohorts), dropped


def staggered_did(rows: pd.DataFrame, rollout: dict[str, date]) -> DiD | Refusal:
    """Stacked difference-in-differences on district × month counts (columns district, month, y, exposure)."""
    import statsmodels.api as sm
    from scipy import stats

    if not rollout:
        return Refusal("No district rollout dates (config/program_rollout.csv): the staggered design needs the "
                       "month the program began serving each district.")
    known = set(rows["district"]) - {"Unknown"}
    if len(known & set(rollout)) == 0:
        return Refusal("None of the districts in config/program_rollout.csv appears in the CAD export.")
    stacked, cohorts, dropped = _stack(rows, rollout)
    if stacked.empty:
        return Refusal("No group of districts has clean comparison districts and enough months around its start. "
                       + " ".join(dropped))
    stacked = stacked.reset_index(drop=True)
    if stacked.loc[stacked["treated"] & (stacked["event"] < 0), "y"].sum() < MIN_EVENTS_BEFORE:
        return Refusal(f"Too few events before the start in the districts that started: fewer than "
                       f"{MIN_EVENTS_BEFORE}.")
    unit = stacked["stack"] + "|" + stacked["district"]
    time = stacked["stack"] + "|" + stacked["month"]
    first_month = stacked.groupby("stack")["month"].transform("min")
    times = pd.get_dummies(time.where(stacked["month"] != first_month), prefix="t", dtype=float)  # one month
    fe = pd.concat([pd.get_dummies(unit, prefix="u", dtype=float), times], axis=1)  # of each stack is its base
    off = np.log(stacked["exposure"].to_numpy(float))
    y = stacked["y"].to_numpy(float)
    post = (stacked["treated"] & (stacked["event"] >= 0)).astype(float).to_numpy()
    keep_fe = fe.columns[fe.sum() > 0]

    def fit(extra: pd.DataFrame):
        X = pd.concat([extra, fe[keep_fe]], axis=1).to_numpy(float)
        return sm.GLM(y, X, family=sm.families.Poisson(), offset=off).fit(scale="X2")

    z = stats.norm.ppf(0.5 + LEVEL / 2)
    f1 = fit(pd.DataFrame({"att": post}))
    b, se = float(f1.params[0]), float(math.sqrt(f1.cov_params()[0, 0]))
    att = Interval(math.expm1(b), math.expm1(b - z * se), math.expm1(b + z * se))
    mu = f1.fittedvalues if hasattr(f1, "fittedvalues") else f1.mu
    mu = np.asarray(mu)
    treated_post = post == 1
    base = mu[treated_post] / math.exp(b)  # fitted without the effect
    n_cells = int(treated_post.sum())
    per = Interval(float((mu[treated_post] - base).sum()) / n_cells,
                   float((base * math.expm1(b - z * se)).sum()) / n_cells,
                   float((base * math.expm1(b + z * se)).sum()) / n_cells)

    quarter = np.floor_divide(stacked["event"].to_numpy(int), 3)
    bins = sorted(set(quarter[stacked["treated"].to_numpy()]) - {-1})
    ev = pd.DataFrame({f"q{q}": ((quarter == q) & stacked["treated"].to_numpy()).astype(float) for q in bins})
    f2 = fit(ev)
    params, cov = np.asarray(f2.params), np.asarray(f2.cov_params())
    rows_ev = [{"quarter": -1, "estimate": 0.0, "low": 0.0, "high": 0.0, "reference": True}]
    for i, q in enumerate(bins):
        bq, sq = params[i], math.sqrt(cov[i, i])
        rows_ev.append({"quarter": q, "estimate": math.expm1(bq), "low": math.expm1(bq - z * sq),
                        "high": math.expm1(bq + z * sq), "reference": False})
    events = pd.DataFrame(rows_ev).sort_values("quarter").reset_index(drop=True)
    pre = [i for i, q in enumerate(bins) if q < -1]
    if pre:
        bp, Vp = params[pre], cov[np.ix_(pre, pre)]
        wald = float(bp @ np.linalg.solve(Vp, bp))
        pretrend_p = float(stats.chi2.sf(wald, len(pre)))
    else:
        pretrend_p = math.nan
    cells = sorted(set(zip(stacked.loc[treated_post, "district"], stacked.loc[treated_post, "month"])))
    errors = ("Stacked Poisson regression (sub-experiment × district and sub-experiment × month effects, days "
              "observed as exposure) with Pearson-scaled (quasi-Poisson) errors; the pre-period check is a joint "
              f"Wald test of the {len(pre)} quarterly coefficients before the start.")
    return DiD(att, per, events, pretrend_p, bool(pretrend_p < 0.05), cohorts, dropped, cells, errors)


# ------------------------------------------------------------------ the page's question in one call

def cohort_districts(rollout: dict[str, date], start: date) -> list[str] | None:
    """Districts whose program started in the month of `start`; None = the whole city (no rollout known,
    or no district started then)."""
    same = [d for d, s in rollout.items() if (s.year, s.month) == (start.year, start.month)]
    return sorted(same) or None


def headline(e: "Evaluation") -> str | None:
    """One sentence for decks and the one-pager: the estimate with its interval and the caveat."""
    its = e.its
    if not its:
        return None
    r = its.relative
    return (f"Program evaluation: {e.outcome.label.lower()} in {e.where} {r.estimate:+.0%} after the start "
            f"({its.start:%b %Y}) vs. the trend before (95% interval {r.low:+.0%} to {r.high:+.0%}; interrupted time "
            "series). Assumes nothing else that affects it changed at the start.")


@dataclass
class Evaluation:
    """Everything the page, the savings page and the reports show for one outcome and start."""

    outcome: Outcome
    start: date
    districts: list[str] | None  # the series of the time series; None = the whole city
    its: ITS | Refusal
    did: DiD | Refusal | None  # None: the outcome is not a count (the stacked design models counts)

    @property
    def where(self) -> str:
        return ", ".join(self.districts) if self.districts else "the whole city"


def default_start(rollout: dict[str, date], milestones: list[date]) -> date | None:
    """The first district's start when the rollout is known, else the first milestone."""
    if rollout:
        return min(rollout.values())
    return min(milestones) if milestones else None


def evaluate(panel: Panel, key: str, start: date, rollout: dict[str, date], impact: str = "step") -> Evaluation:
    o = outcome(key)
    districts = cohort_districts(rollout, start)
    rows = series(panel, key)
    if isinstance(rows, Refusal):
        return Evaluation(o, start, districts, rows, rows if o.kind == "count" else None)
    chosen = rows if districts is None else rows[rows["district"].isin(districts)]
    its = interrupted_time_series(city_series(chosen), start, o.kind, impact)
    did = staggered_did(rows, rollout) if o.kind == "count" else None
    return Evaluation(o, start, districts, its, did)


# ------------------------------------------------------------------ the evaluated effect in a period

@dataclass(frozen=True)
class PeriodEffect:
    """BH arrests avoided in a period according to the evaluation (estimate and 95% interval)."""

    design: str  # which estimate: "staggered difference-in-differences" or "interrupted time series"
    relative: Interval
    observed: float  # BH arrests in served district-months of the period
    served_months: int  # district-months (or city months) of the period after the start
    avoided: Interval  # counterfactual − observed: positive = arrests avoided

    def sentence(self) -> str:
        r = self.relative
        return (f"{self.design.capitalize()}: {r.estimate:+.0%} (95% interval {r.low:+.0%} to {r.high:+.0%}) applied to "
                f"the {self.observed:,.0f} BH arrests of the period where the program served (assuming the effect holds in"
                " every served district-month)")


def period_effect(e: Evaluation, panel: Panel, rollout: dict[str, date], first_month: str,
                  last_month: str, district: str | None = None) -> PeriodEffect | Refusal:
    """Arrests avoided in the months first_month..last_month ('YYYY-MM'): the observed BH arrests in
    the district-months the program served, times 1 ÷ (1 + effect) − 1. Uses the staggered design's
    estimate when it exists and passes its pre-trend check, else the time series'."""
    if e.outcome.key != "bh_arrests":
        raise ValueError("the savings estimate prices BH arrests")
    if isinstance(e.did, DiD) and not e.did.pretrend_flagged:
        design, r = "staggered difference-in-differences", e.did.att
    elif e.its:
        design, r = "interrupted time series", e.its.relative
    else:
        reasons = [x.reason for x in (e.its, e.did) if isinstance(x, Refusal)]
        if isinstance(e.did, DiD):
            reasons.append("The staggered design's pre-trend check failed.")
        return Refusal(" ".join(dict.fromkeys(reasons)) or "No evaluated estimate.")
    rows = series(panel, "bh_arrests")
    if isinstance(rows, Refusal):
        return rows
    rows = rows[(rows["month"] >= first_month) & (rows["month"] <= last_month)]
    if district:
        rows = rows[rows["district"] == district]
    if rollout:
        served = rows[[m >= f"{rollout[d]:%Y-%m}" if d in rollout else False
                       for d, m in zip(rows["district"], rows["month"])]]
    else:
        served = rows[rows["month"] >= f"{e.start:%Y-%m}"]
    if served.empty:
        return Refusal("The program served no district in this period (or the period's arrests are not measured).")
    obs = float(served["y"].sum())

    def avoided(rel: float) -> float:
        return obs * (1 / (1 + rel) - 1)
    # A larger reduction (lower r) means more avoided: the interval's ends swap.
    return PeriodEffect(design, r, obs, int(len(served)),
                        Interval(avoided(r.estimate), avoided(r.high), avoided(r.low)))


def evaluated_savings(con, filters, assumptions, effect: PeriodEffect) -> dict[str, dict]:
    """The savings formula (queries/savings.sql) with the evaluated arrests avoided in place of the
    same-period comparison's: {"estimate" | "low" | "high": savings result} for the effect's interval,
    unit costs at their central values."""
    from . import metrics

    figures: dict = {}
    for q in ("outcomes_calls", "officer_time"):
        figures.update(metrics.run(con, q, filters).iloc[0].to_dict())
    out = {}
    for name, avoided in (("estimate", effect.avoided.estimate), ("low", effect.avoided.low),
                          ("high", effect.avoided.high)):
        # arrests avoided = (rate without − rate with) × co-responded calls = avoided × 1
        out[name] = metrics.savings(con, filters, assumptions, {
            **figures, "arrest_rate_not_co_responded": avoided, "arrest_rate_co_responded": 0.0,
            "co_responded_bh_calls": 1})
    return out


def report_headline(con) -> str:
    """The evaluation's headline for the deck and the one-pager: BH arrests at the default start,
    the staggered design's estimate when it passes its pre-trend check, else the time series';
    with its interval and its caveat, or why there is none."""
    from .charts import load_milestones

    try:
        rollout = load_rollout()
    except ValueError:
        rollout = {}
    try:
        milestones = list(load_milestones()["date"].dt.date)
    except ValueError:
        milestones = []
    start = default_start(rollout, milestones)
    if start is None:
        return ""
    e = evaluate(load_panel(con), "bh_arrests", start, rollout)
    if isinstance(e.did, DiD) and not e.did.pretrend_flagged:
        a = e.did.att
        return (f"Program evaluation: arrests on BH calls {a.estimate:+.0%} after the start vs. districts not yet "
                f"served (95% interval {a.low:+.0%} to {a.high:+.0%}; staggered difference-in-differences). Assumes "
                "nothing else that affects arrests changed at the same time.")
    if e.its:
        return headline(e)
    return f"Program evaluation: no estimate of the effect on arrests. {e.its.reason}"


# ------------------------------------------------------------------ methodology (shown on the Methodology page)

METHODOLOGY = f"""
The Program evaluation page estimates what the program **changed**, which the same-period comparison of
co-responded and other BH calls cannot: those calls differ in more than the co-responder. Two designs compare
the same places before and after the program started (`pmhc/evaluation.py`, series from
`queries/evaluation.sql :: evaluation_monthly`).

**Outcomes.** Arrest records naming a BH call (dated by the call); use of force on BH calls; officer hours on
BH calls; arrests on other calls as a **placebo** (the program should not move it). A month enters only if the
data measures the outcome in it: the arrest export has records that month, use of force or officer minutes are
recorded on at least {RECORDED_SHARE:.0%} of BH calls. A month not measured is left out, never read as zero.
Involuntary holds and repeat contacts are recorded only in the co-responder log, whose coverage is the program
itself, so they are refused until a call-level record exists. These are arrests, not calls for service or
crimes: critics of Denver's STAR evaluation (Dee & Pyne 2022) pointed at exactly that difference.

**Interrupted time series** (Bernal, Cummins & Gasparrini 2017, *Int. J. Epidemiology* 46:348–355).
Monthly series of the districts that started at the chosen date (the whole city when no rollout is known).
Counts: Poisson regression, log link, days observed in the month as exposure, a linear trend, one yearly
harmonic for seasonality when at least {SEASON_MONTHS} months are loaded, and the impact model chosen before
looking (a level change, or a level and slope change). Errors are Pearson-scaled (quasi-Poisson) for
overdispersion; when the residuals are autocorrelated (Ljung–Box test, lags 1–{LJUNG_BOX_LAGS}, p < 0.05)
Newey–West errors (Newey & West 1987, *Econometrica* 55:703–708) with lag {NEWEY_WEST_LAGS} are used instead.
Hours are not counts: segmented linear regression on hours per day observed, always with Newey–West errors.
The counterfactual is the fitted series with the level (and slope) change removed; its 95% band and the
intervals of the effect per month and over the period come from the delta method with Student-t critical
values. Refused with fewer than {MIN_MONTHS_BEFORE} measured months before or {MIN_MONTHS_AFTER} after the start
(Penfold & Zhang 2013, *Academic Pediatrics* 13:S38–S44), or fewer than {MIN_EVENTS_BEFORE} events before.

**Staggered difference-in-differences** (stacked design: Cengiz, Dube, Lindner & Zipperer 2019, *QJE*
134:1405–1454; the group-time logic of Callaway & Sant'Anna 2021, *J. Econometrics* 225:200–230; applied to a
police–mental health program by Dee & Pyne 2022, *Science Advances* 8:eabm2106). Each group of districts that
started in the same month is a sub-experiment, compared only with districts not yet served (or never served)
through its window of up to {DID_WINDOW} months either side; a group with no such district, fewer than
{MIN_DID_BEFORE} months before or {MIN_DID_AFTER} after is left out and named. The sub-experiments are stacked and
a Poisson regression with sub-experiment × district and sub-experiment × month effects estimates the average
effect on the served districts (quasi-Poisson errors, 95% interval). Because no already-served district is ever
a control, the estimate stays valid when effects differ between groups or grow over time, where two-way fixed
effects on the whole panel are biased (Goodman-Bacon 2021, *J. Econometrics* 225:254–277). The event study replaces the single effect by one
coefficient per quarter since the start (quarter −1 is the reference); the pre-period coefficients are the
parallel-trends check, tested jointly (Wald χ²), and a rejection is shown as a warning: the estimate is then not
quoted in reports, which fall back to the time series.

**Savings.** The Resource savings page prices arrests avoided from the same-period comparison; beside it, the
evaluated alternative applies the evaluation's effect (difference-in-differences when it passes its pre-trend
check, else the time series) to the BH arrests of the period in served districts: avoided = observed ×
(1 ÷ (1 + effect) − 1), with the interval carried through, then the same unit costs.

**Checked by simulation.** The sample generator plants a staggered rollout (D1–D2 from March 2024, D3–D4 from
September 2024, D5–D6 from June 2025) with a known effect on BH arrests and holds and none on other arrests.
`benchmarks/evaluation_coverage.py` re-simulates 50 seeds and reports how often the 95% intervals cover the
planted effect (and zero for the placebo); see the README.
"""
