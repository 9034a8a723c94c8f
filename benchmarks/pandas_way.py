"""The same page figures computed the common way: pandas.read_csv, then filter and groupby.

This is the yardstick in benchmarks/run.py. It is written the way an analyst's
notebook or a first Streamlit prototype would do it, with the favourable parts kept:
derived columns and joins are made once at load (as st.cache_data would keep them),
every page then filters the frames and groups them with vectorised pandas, no Python
loop over rows. Definitions follow queries/*.sql so the figures agree with the
dashboard's (run.py checks a set of them at every size and prints the result).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from pmhc.schema import GROUPS

# The outcome groups and responder types the SQL reads from vocabulary_groups: the same
# definitions (pmhc.schema.GROUPS), so the yardstick cannot drift from the dashboard.
DIVERTED = GROUPS[("outcome", "diverted")]
CARE = GROUPS[("outcome", "care")]
ED_OR_HOLD = GROUPS[("outcome", "ed_or_hold")]
NOT_REACHED = GROUPS[("outcome", "not_reached")]
CO_RESPONDERS = GROUPS[("responder_type", "co_responder")]
CIT_ONLY = GROUPS[("responder_type", "cit_only")]


@dataclass
class Frames:
    calls: pd.DataFrame
    encounters: pd.DataFrame
    arrests: pd.DataFrame


def load(paths: dict, bh_call_types: tuple[str, ...]) -> Frames:
    """read_csv the three files and add the derived columns every page uses."""
    calls = pd.read_csv(paths["calls"], parse_dates=["received_at", "on_scene_at", "cleared_at"])
    enc = pd.read_csv(paths["encounters"], parse_dates=["encounter_date"])
    arr = pd.read_csv(paths["arrests"], parse_dates=["arrested_at"])

    flag = calls["bh_flag"].map({True: True, False: False, "true": True, "false": False})
    by_type = calls["call_type"].str.strip().str.upper().isin(bh_call_types)
    calls["is_bh"] = flag.where(flag.notna(), by_type).astype(bool)
    calls["district"] = calls["district"].fillna("Unknown")
    calls["co_responded"] = calls["co_responder_present"].eq(True)
    calls["call_date"] = calls["received_at"].dt.normalize()
    calls["month"] = calls["received_at"].dt.strftime("%Y-%m")
    calls["on_scene_minutes"] = (calls["cleared_at"] - calls["on_scene_at"]).dt.total_seconds() / 60.0
    linked = arr.dropna(subset=["call_id"]).groupby("call_id").agg(
        arrests=("arrest_id", "size"), booked_arrests=("booked", lambda s: int(s.eq(True).sum())))
    calls = calls.merge(linked, left_on="call_id", right_index=True, how="left")
    calls["has_arrest"] = calls["arrests"].notna()
    bh, co = calls["is_bh"], calls["co_responded"]
    calls["bh_co"] = bh & co
    calls["bh_nco"] = bh & ~co
    calls["bh_cit"] = bh & calls["cit_officer_present"].eq(True)
    calls["bh_cit_known"] = bh & calls["cit_officer_present"].notna()
    calls["bh_arrest"] = bh & calls["has_arrest"]
    calls["bh_co_arrest"] = calls["bh_co"] & calls["has_arrest"]
    calls["bh_nco_arrest"] = calls["bh_nco"] & calls["has_arrest"]
    calls["bh_force"] = bh & calls["use_of_force"].eq(True)
    calls["bh_force_known"] = bh & calls["use_of_force"].notna()
    calls["weekday"] = calls["received_at"].dt.dayofweek + 1
    calls["hour"] = calls["received_at"].dt.hour

    cols = calls[["call_id", "district", "co_responded"]].rename(columns={"co_responded": "call_co_responded"})
    return Frames(calls, _contact_columns(enc, cols, arr), arr)


def _contact_columns(enc: pd.DataFrame, call_cols: pd.DataFrame, arr: pd.DataFrame) -> pd.DataFrame:
    """The contacts with what the figures read of their call (`call_cols`: call_id,
    district, call_co_responded) and of the arrests, as pmhc's stored contacts hold it."""
    enc = enc.merge(call_cols, on="call_id", how="left")
    enc["district"] = enc["district"].fillna("Unknown")
    enc["call_has_arrest"] = enc["call_id"].isin(arr["call_id"].dropna())
    enc["outcome_known"] = enc["outcome"].notna() & enc["outcome"].ne("unmapped")
    enc["outcome"] = enc["outcome"].fillna("unknown")
    enc["month"] = enc["encounter_date"].dt.strftime("%Y-%m")
    return enc


# ------------------------------------------------------------------ helpers

def _period(df: pd.DataFrame, col: str, start: date, end: date) -> pd.Series:
    return (df[col] >= pd.Timestamp(start)) & (df[col] < pd.Timestamp(end))


def _key(df: pd.DataFrame, by: str) -> pd.Series:
    if by in ("month", "district", "responder_type", "contact_type"):
        return df[by]
    return pd.Series("all", index=df.index)


def _calls(fr: Frames, f) -> pd.DataFrame:
    c = fr.calls
    m = _period(c, "call_date", f.period.start, f.period.end)
    if f.district:
        m &= c["district"].eq(f.district)
    return c[m]


def _contacts(fr: Frames, f, start=None, end=None) -> pd.DataFrame:
    e = fr.encounters
    m = _period(e, "encounter_date", start or f.period.start, end or f.period.end)
    if f.district:
        m &= e["district"].eq(f.district)
    if f.responder_type:
        m &= e["responder_type"].eq(f.responder_type)
    return e[m]


def _div(a, b):
    a = pd.Series(a, dtype="float64") if not isinstance(a, pd.Series) else a.astype("float64")
    b = pd.Series(b, dtype="float64") if not isinstance(b, pd.Series) else b.astype("float64")
    return a / b.where(b != 0)


# ------------------------------------------------------------------ figure families

def call_figures(fr: Frames, f, by: str = "total") -> pd.DataFrame:
    c = _calls(fr, f)
    bh = c[c["is_bh"]]
    g = c.groupby(_key(c, by))
    out = g.agg(calls_total=("call_id", "size"), bh_calls=("is_bh", "sum"), co_responded_bh_calls=("bh_co", "sum"),
                not_co_responded_bh_calls=("bh_nco", "sum"), cit_bh_calls=("bh_cit", "sum"),
                cit_known=("bh_cit_known", "sum"), bh_calls_with_arrest=("bh_arrest", "sum"),
                co_arrest=("bh_co_arrest", "sum"), nco_arrest=("bh_nco_arrest", "sum"),
                bh_calls_with_force=("bh_force", "sum"), bh_calls_force_recorded=("bh_force_known", "sum"))
    out["bh_share"] = _div(out["bh_calls"], out["calls_total"])
    out["co_response_coverage"] = _div(out["co_responded_bh_calls"], out["bh_calls"])
    out["cit_coverage"] = _div(out["cit_bh_calls"], out["cit_known"])
    out["bh_arrest_rate"] = _div(out["bh_calls_with_arrest"], out["bh_calls"])
    out["arrest_rate_co_responded"] = _div(out["co_arrest"], out["co_responded_bh_calls"])
    out["arrest_rate_not_co_responded"] = _div(out["nco_arrest"], out["not_co_responded_bh_calls"])
    t = bh.groupby([_key(bh, by), "co_responded"]).agg(
        officer=("officer_minutes", "mean"), scene=("on_scene_minutes", "mean"))
    t = t.unstack("co_responded")
    for flag, name in ((True, "co_responded"), (False, "not_co_responded")):
        for col, label in (("officer", "officer_minutes"), ("scene", "on_scene_minutes")):
            out[f"avg_{label}_{name}"] = t[(col, flag)] if (col, flag) in t.columns else np.nan
    out["officer_hours_bh"] = bh.groupby(_key(bh, by))["officer_minutes"].sum(min_count=1) / 60.0
    out["officer_hours_returned"] = (out["avg_officer_minutes_not_co_responded"]
                                     - out["avg_officer_minutes_co_responded"]) * out["co_responded_bh_calls"] / 60.0
    return out


def contact_figures(fr: Frames, f, by: str = "total") -> pd.DataFrame:
    e = _contacts(fr, f)
    diverted = e["outcome_known"] & ~e["call_has_arrest"] & e["outcome"].isin(DIVERTED)
    e = e.assign(on_scene=e["contact_type"].eq("on_scene"), follow_up=e["contact_type"].eq("follow_up"),
                 referral=e["contact_type"].eq("referral"), unidentified=e["person_key"].isna(),
                 diverted=diverted, care=e["outcome"].isin(CARE), hold=e["outcome"].eq("involuntary_hold"),
                 ended_arrest=e["outcome"].eq("arrest") | e["call_has_arrest"])
    out = e.groupby(_key(e, by)).agg(
        contacts_total=("encounter_id", "size"), on_scene_contacts=("on_scene", "sum"),
        follow_up_contacts=("follow_up", "sum"), referral_contacts=("referral", "sum"),
        people_served=("person_key", "nunique"), unidentified_contacts=("unidentified", "sum"),
        responder_minutes=("minutes", "sum"), known_outcome_contacts=("outcome_known", "sum"),
        diverted_contacts=("diverted", "sum"), care_connections=("care", "sum"),
        involuntary_holds=("hold", "sum"), contacts_ending_in_arrest=("ended_arrest", "sum"))
    out["responder_hours"] = out.pop("responder_minutes") / 60.0
    out["unknown_outcome_contacts"] = out["contacts_total"] - out["known_outcome_contacts"]
    out["diversion_rate"] = _div(out["diverted_contacts"], out["known_outcome_contacts"])
    out["connection_to_care_rate"] = _div(out["care_connections"], out["known_outcome_contacts"])
    return out


def repeat_figures(fr: Frames, f, windows, min_contacts: int, by: str = "total") -> pd.DataFrame:
    e = fr.encounters
    longest = max(windows)
    crisis = e[e["contact_type"].eq("on_scene") & e["person_key"].notna()
               & (e["encounter_date"] < pd.Timestamp(f.period.end))
               & (e["encounter_date"] > pd.Timestamp(f.period.start - timedelta(days=longest)))]
    crisis = crisis.sort_values(["person_key", "encounter_date"])
    # Contacts of the same person within w days ending on each contact's day (contacts the
    # same day included, as the RANGE window in SQL): two binary searches over sorted
    # (person, day) keys, vectorised with numpy (groupby().rolling() is ~50× slower here).
    person = pd.factorize(crisis["person_key"])[0].astype("int64")
    day = (crisis["encounter_date"].to_numpy().astype("datetime64[D]").astype("int64"))
    keys = person * 1_000_000 + day
    upto = np.searchsorted(keys, keys, side="right")
    for w in windows:
        crisis[f"n_{w}"] = upto - np.searchsorted(keys, keys - (w - 1), side="left")
    c = crisis[crisis["encounter_date"] >= pd.Timestamp(f.period.start)]
    if f.district:
        c = c[c["district"].eq(f.district)]
    if f.responder_type:
        c = c[c["responder_type"].eq(f.responder_type)]
    key = _key(c, by)
    out = c.groupby(key).agg(people_with_contacts=("person_key", "nunique"))
    for w in windows:
        rep = c[c[f"n_{w}"] >= min_contacts]
        out[f"repeat_people_{w}d"] = rep.groupby(_key(rep, by))["person_key"].nunique()
        out[f"repeat_people_{w}d"] = out[f"repeat_people_{w}d"].fillna(0)
        out[f"repeat_rate_{w}d"] = _div(out[f"repeat_people_{w}d"], out["people_with_contacts"])
    return out


def follow_up_figures(fr: Frames, f, by: str = "total") -> pd.DataFrame:
    e = _contacts(fr, f)
    crisis = e[e["contact_type"].eq("on_scene") & e["person_key"].notna()]
    later = fr.encounters[fr.encounters["contact_type"].isin(["follow_up", "referral"])
                          & fr.encounters["person_key"].notna()][["person_key", "encounter_date"]]
    pairs = crisis[["encounter_id", "person_key", "encounter_date"]].merge(later, on="person_key", suffixes=("", "_f"))
    gap = (pairs["encounter_date_f"] - pairs["encounter_date"]).dt.days
    done = set(pairs.loc[(gap >= 1) & (gap <= 14), "encounter_id"])
    crisis = crisis.assign(followed=crisis["encounter_id"].isin(done))
    fu = e[e["contact_type"].eq("follow_up")]
    fu = fu.assign(reached=fu["outcome_known"] & ~fu["outcome"].isin(NOT_REACHED))
    out = crisis.groupby(_key(crisis, by)).agg(identified_crisis_contacts=("encounter_id", "size"),
                                               followed_up_14d=("followed", "sum"))
    out = out.join(fu.groupby(_key(fu, by)).agg(follow_ups_attempted=("encounter_id", "size"),
                                                follow_ups_reached=("reached", "sum")), how="outer").fillna(0)
    out["follow_up_14d_rate"] = _div(out["followed_up_14d"], out["identified_crisis_contacts"])
    out["follow_up_completion_rate"] = _div(out["follow_ups_reached"], out["follow_ups_attempted"])
    return out


def savings(fr: Frames, f, figures: dict, assumptions) -> dict:
    e = _contacts(fr, f.__class__(f.period, f.district, None))
    scene = e[e["contact_type"].eq("on_scene") & e["outcome_known"]]
    ed = scene["outcome"].isin(ED_OR_HOLD).astype(float)
    co = scene["responder_type"].isin(CO_RESPONDERS)
    bh = _calls(fr, f)
    bh = bh[bh["is_bh"]]
    arrests = bh["arrests"].sum()
    inputs = {"co_responder_scene_contacts": int(co.sum()),
              "ed_rate_co_responder": ed[co].mean() if co.any() else None,
              "ed_rate_cit_only": ed[scene["responder_type"].isin(CIT_ONLY)].mean()
              if scene["responder_type"].isin(CIT_ONLY).any() else None,
              "booked_share": bh["booked_arrests"].sum() / arrests if arrests else 1.0}
    return _savings_from(inputs, figures, f, assumptions)


def _savings_from(inputs: dict, figures: dict, f, assumptions) -> dict:
    """The savings formula (queries/savings.sql :: savings) over its inputs."""
    out = dict(inputs)
    days = (f.period.end - f.period.start).days
    for scenario in ("value", "low", "high"):
        v = assumptions.scenario_values(scenario)
        if scenario != "value":
            other = "high" if scenario == "low" else "low"
            v["program_cost_annual"] = float(getattr(assumptions["program_cost_annual"], other))
        r_no, r_co = figures.get("arrest_rate_not_co_responded"), figures.get("arrest_rate_co_responded")
        avoided = (r_no - r_co) * figures["co_responded_bh_calls"] if None not in (r_no, r_co) else 0.0
        bookings = avoided * inputs["booked_share"]
        e_cit, e_co = inputs["ed_rate_cit_only"], inputs["ed_rate_co_responder"]
        transports = (e_cit - e_co) * inputs["co_responder_scene_contacts"] if None not in (e_cit, e_co) else 0.0
        hours = figures.get("officer_hours_returned") or 0.0
        gross = (bookings * (v["jail_booking"] + v["jail_bed_day"] * v["average_jail_stay_days"])
                 + transports * (v["ed_visit"] + v["ambulance_transport"]) + hours * v["officer_hour"])
        net = gross - v["program_cost_annual"] * days / 365.0
        suffix = "" if scenario == "value" else f"_{scenario}"
        out[f"gross_cost_avoidance{suffix}"] = gross
        out[f"net_cost_avoidance{suffix}"] = net
    return out


def _row(df: pd.DataFrame) -> dict:
    if df.empty:
        return {}
    return {k: (None if pd.isna(v) else v) for k, v in df.iloc[0].to_dict().items()}


def headline(fr: Frames, f, cfg, assumptions) -> dict:
    windows = list(cfg.repeat_windows_days)[:3]
    out: dict = {}
    for part in (call_figures(fr, f), contact_figures(fr, f),
                 repeat_figures(fr, f, windows, cfg.repeat_min_contacts), follow_up_figures(fr, f)):
        out.update(_row(part))
    out.update(savings(fr, f, out, assumptions))
    return out


def monthly(fr: Frames, f, cfg) -> pd.DataFrame:
    windows = list(cfg.repeat_windows_days)[:3]
    parts = [call_figures(fr, f, "month"), contact_figures(fr, f, "month"),
             repeat_figures(fr, f, windows, cfg.repeat_min_contacts, "month"), follow_up_figures(fr, f, "month")]
    months = pd.period_range(f.period.start, f.period.last_day, freq="M").strftime("%Y-%m")
    frame = pd.DataFrame(index=pd.Index(months, name="month"))
    for p in parts:
        frame = frame.join(p[[c for c in p.columns if c not in frame.columns]], how="left")
    return frame


def outcome_mix(fr: Frames, f, by: str) -> pd.Series:
    e = _contacts(fr, f)
    return e.groupby([_key(e, by), "outcome"]).size()


def heatmap(fr: Frames, f) -> pd.Series:
    c = _calls(fr, f)
    c = c[c["is_bh"]]
    return c.groupby(["weekday", "hour"]).size()


def repeat_people(fr: Frames, f, min_contacts: int) -> pd.DataFrame:
    e = _contacts(fr, f)
    e = e[e["person_key"].notna()].sort_values("encounter_date")
    e = e.assign(crisis=e["contact_type"].eq("on_scene"), later=e["contact_type"].isin(["follow_up", "referral"]))
    people = e.groupby("person_key").agg(crisis_contacts=("crisis", "sum"), follow_up_contacts=("later", "sum"),
                                         first_contact=("encounter_date", "min"),
                                         last_contact=("encounter_date", "max"),
                                         last_outcome=("outcome", "last"),
                                         districts=("district", lambda s: ", ".join(sorted(set(s)))))
    people = people[people["crisis_contacts"] >= min_contacts]
    return people.sort_values(["crisis_contacts", "last_contact"], ascending=False)


def compare(fr: Frames, f, cfg, assumptions) -> list[dict]:
    return [headline(fr, f.__class__(p, f.district, f.responder_type), cfg, assumptions)
            for p in (f.period, f.period.previous(), f.period.year_ago())]


def pages(fr: Frames, cfg, assumptions) -> dict:
    """Page name → the work that page does for filter f (mirrors PAGES in run.py)."""
    hl = lambda f: headline(fr, f, cfg, assumptions)  # noqa: E731
    mo = lambda f: monthly(fr, f, cfg)  # noqa: E731
    return {
        "Overview": lambda f: (compare(fr, f, cfg, assumptions), hl(f), mo(f)),
        "Volume": lambda f: (hl(f), mo(f), call_figures(fr, f, "district"), heatmap(fr, f),
                             contact_figures(fr, f, "responder_type"), contact_figures(fr, f, "contact_type")),
        "Outcomes": lambda f: (hl(f), mo(f), outcome_mix(fr, f, "month"), contact_figures(fr, f, "responder_type"),
                               outcome_mix(fr, f, "responder_type")),
        "Repeat contacts": lambda f: (hl(f), mo(f), follow_up_figures(fr, f, "district"),
                                      repeat_people(fr, f, cfg.repeat_min_contacts)),
        "Savings": lambda f: (savings(fr, f, _row(call_figures(fr, f)), assumptions), hl(f)),
        "Grant figures": lambda f: (hl(f),),
    }


# ------------------------------------------------------------------ a statewide pool, in chunks

CHUNK_ROWS = 4_000_000
# A Yes/No column read as text (object dtype): its values as booleans, empty stays missing.
_FLAG_TEXT = {True: True, False: False, "true": True, "false": False}


def headline_chunked(paths: dict, cfg, f, assumptions) -> dict:
    """headline() for data too big to hold in memory as frames (100M calls): the same
    definitions, with the calls read in chunks and summed (counts, sums and the counts a
    mean divides by), and the co-responder log and arrests (a few million rows) whole.
    benchmarks/run.py checks it against pmhc at the statewide size."""
    arr = pd.read_csv(paths["arrests"], usecols=["arrest_id", "call_id", "booked"])
    linked = arr.dropna(subset=["call_id"]).groupby("call_id").agg(
        arrests=("arrest_id", "size"), booked_arrests=("booked", lambda s: int(s.eq(True).sum())))
    enc = pd.read_csv(paths["encounters"], parse_dates=["encounter_date"])
    wanted = set(enc["call_id"].dropna())
    start, end = pd.Timestamp(f.period.start), pd.Timestamp(f.period.end)
    sums: dict = {}
    looked_up = []

    def add(key, value):
        sums[key] = sums.get(key, 0) + value

    usecols = ["call_id", "received_at", "call_type", "district", "bh_flag", "on_scene_at", "cleared_at",
               "officer_minutes", "co_responder_present", "cit_officer_present", "use_of_force"]
    for c in pd.read_csv(paths["calls"], usecols=usecols, parse_dates=["received_at", "on_scene_at", "cleared_at"],
                         true_values=["true"], false_values=["false"], dtype={"bh_flag": "object",
                         "co_responder_present": "object", "cit_officer_present": "object", "use_of_force": "object"},
                         chunksize=CHUNK_ROWS):
        for col in ("co_responder_present", "cit_officer_present", "use_of_force"):
            c[col] = c[col].map(_FLAG_TEXT)  # read as text: the chunks' dtype is fixed, so true_values do not apply
        c["district"] = c["district"].fillna("Unknown")
        looked_up.append(c.loc[c["call_id"].isin(wanted), ["call_id", "district", "co_responder_present"]])
        date = c["received_at"].dt.normalize()
        c = c[(date >= start) & (date < end)]
        if f.district:
            c = c[c["district"].eq(f.district)]
        flag = c["bh_flag"].map({True: True, False: False, "true": True, "false": False})
        bh = flag.where(flag.notna(), c["call_type"].str.strip().str.upper().isin(cfg.bh_call_types)).astype(bool)
        co = c["co_responder_present"].eq(True)
        joined = c[["call_id"]].merge(linked, left_on="call_id", right_index=True, how="left")
        has_arrest = joined["arrests"].notna().to_numpy()
        scene = (c["cleared_at"] - c["on_scene_at"]).dt.total_seconds() / 60.0
        add("calls_total", len(c))
        add("bh_calls", int(bh.sum()))
        add("co_responded_bh_calls", int((bh & co).sum()))
        add("not_co_responded_bh_calls", int((bh & ~co).sum()))
        add("cit_bh_calls", int((bh & c["cit_officer_present"].eq(True)).sum()))
        add("bh_calls_with_arrest", int((bh & has_arrest).sum()))
        add("co_arrest", int((bh & co & has_arrest).sum()))
        add("nco_arrest", int((bh & ~co & has_arrest).sum()))
        add("bh_calls_with_force", int((bh & c["use_of_force"].eq(True)).sum()))
        for flag_, name in ((True, "co"), (False, "nco")):
            m = bh & (co if flag_ else ~co)
            add(f"officer_sum_{name}", float(c.loc[m, "officer_minutes"].sum()))
            add(f"officer_n_{name}", int(c.loc[m, "officer_minutes"].notna().sum()))
            add(f"scene_sum_{name}", float(scene[m].sum()))
            add(f"scene_n_{name}", int(scene[m].notna().sum()))
        add("officer_bh", float(c.loc[bh, "officer_minutes"].sum()))
        add("bh_arrests", float(joined.loc[bh.to_numpy(), "arrests"].sum()))
        add("bh_booked", float(joined.loc[bh.to_numpy(), "booked_arrests"].sum()))

    calls = pd.concat(looked_up, ignore_index=True)
    cols = calls.rename(columns={"co_responder_present": "call_co_responded"})
    cols["call_co_responded"] = cols["call_co_responded"].eq(True)
    fr = Frames(calls=pd.DataFrame(), encounters=_contact_columns(enc, cols, arr), arrests=arr)

    def mean(name):
        return sums[f"{name}_sum_co"] / sums[f"{name}_n_co"] if sums[f"{name}_n_co"] else None, \
            sums[f"{name}_sum_nco"] / sums[f"{name}_n_nco"] if sums[f"{name}_n_nco"] else None

    out = {k: sums[k] for k in ("calls_total", "bh_calls", "co_responded_bh_calls", "not_co_responded_bh_calls",
                                "cit_bh_calls", "bh_calls_with_arrest", "bh_calls_with_force")}
    out["co_response_coverage"] = out["co_responded_bh_calls"] / out["bh_calls"] if out["bh_calls"] else None
    out["arrest_rate_co_responded"] = (sums["co_arrest"] / out["co_responded_bh_calls"]
                                       if out["co_responded_bh_calls"] else None)
    out["arrest_rate_not_co_responded"] = (sums["nco_arrest"] / out["not_co_responded_bh_calls"]
                                           if out["not_co_responded_bh_calls"] else None)
    officer_co, officer_nco = mean("officer")
    scene_co, _ = mean("scene")
    out["avg_on_scene_minutes_co_responded"] = scene_co
    out["officer_hours_bh"] = sums["officer_bh"] / 60.0
    out["officer_hours_returned"] = ((officer_nco - officer_co) * out["co_responded_bh_calls"] / 60.0
                                     if None not in (officer_co, officer_nco) else None)
    windows = list(cfg.repeat_windows_days)[:3]
    for part in (contact_figures(fr, f), repeat_figures(fr, f, windows, cfg.repeat_min_contacts),
                 follow_up_figures(fr, f)):
        out.update(_row(part))
    # savings: the contact part from the frames, the booked share from the summed calls
    e = _contacts(fr, f.__class__(f.period, f.district, None))
    scene = e[e["contact_type"].eq("on_scene") & e["outcome_known"]]
    ed = scene["outcome"].isin(ED_OR_HOLD).astype(float)
    co = scene["responder_type"].isin(CO_RESPONDERS)
    cit = scene["responder_type"].isin(CIT_ONLY)
    inputs = {"co_responder_scene_contacts": int(co.sum()),
              "ed_rate_co_responder": ed[co].mean() if co.any() else None,
              "ed_rate_cit_only": ed[cit].mean() if cit.any() else None,
              "booked_share": sums["bh_booked"] / sums["bh_arrests"] if sums["bh_arrests"] else 1.0}
    out.update(_savings_from(inputs, out, f, assumptions))
    return out
