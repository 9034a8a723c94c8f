"""Seeded synthetic sample data for a fictional mid-size city ("Harbor City").

Everything here is invented: no real person, call or agency is described. The same
seed always gives byte-identical files, so the committed `sample_data/` can be
re-created with

    python -m pmhc.generate --out sample_data            # 3 years x 60,000 calls, gzip
    python -m pmhc.generate --out sample_data/bad --bad  # deliberately bad rows + manifest

The model (all vectorised with numpy, written with pyarrow's CSV writer):

* calls: seasonal (summer ~15% above winter), hour-of-day and mild weekday patterns,
  six districts of different sizes and behavioral-health (BH) rates; BH calls 3-8% of
  calls (call type in the agency's BH list, or an explicit dispatcher `bh_flag`);
* the co-responder program starts on PROGRAM_START with one clinician liaison serving D1-D2,
  adds counseling interns on INTERNS_START (and D3-D4) and a second clinician on
  SECOND_CLINICIAN (and D5-D6), so the share of BH calls with a co-responder goes
  0 -> ~25% -> ~40% -> ~50%; co-responders work
  day and evening shifts, so coverage is low overnight;
* CIT training raises cit_officer_present on BH calls from ~55% to ~90%;
* use_of_force is only recorded from UOF_RECORDING_START (empty before);
* every BH call has a latent outcome; the call's disposition, the arrest record and the
  co-responder log's outcome all follow from it, so the three files agree;
* the program rolls out district by district (ROLLOUT), which plants a known effect on BH
  arrests and holds (planted_effect.json beside the data); arrests on other calls are a placebo;
* a person pool where most people appear once and a heavy-tailed minority repeatedly.

Timestamps are written as wall-clock time in the agency zone without an offset; the
generator works in UTC internally so durations are true across DST changes, and wall
times that do not exist (spring forward) are never written.

Its size (~1,000 lines) is earned: one seeded random stream runs through calls, contacts,
arrests and the planted effect in a fixed order, so splitting it would change the bytes of
the committed sample or spread the one model of Harbor City over several files.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import sys
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from . import schema

# ------------------------------------------------------------------ program constants
# The single source of the sample agency's dates: the generator uses them and
# write_milestones() writes config/milestones.csv from them.
TIMEZONE = "America/New_York"
CIT_EXPANSION = date(2023, 9, 1)
PROGRAM_START = date(2024, 3, 1)
INTERNS_START = date(2024, 9, 1)
SECOND_CLINICIAN = date(2025, 6, 1)
UOF_RECORDING_START = date(2024, 1, 1)  # data note, not a program milestone

MILESTONES: tuple[tuple[date, str], ...] = (
    (CIT_EXPANSION, "CIT 40-hour training extended to all patrol shifts"),
    (PROGRAM_START, "Co-responder program launches with one clinician liaison"),
    (INTERNS_START, "First counseling interns join the co-responder team"),
    (SECOND_CLINICIAN, "Second clinician liaison hired"),
)

# Must match [behavioral_health].call_types in config/agency.toml (a test checks it).
BH_CALL_TYPES = (
    "MENTAL HEALTH CRISIS",
    "SUICIDE THREAT",
    "EMOTIONALLY DISTURBED PERSON",
    "WELFARE CHECK - MENTAL HEALTH",
)

# ------------------------------------------------------------------ city model
DISTRICTS = ("D1", "D2", "D3", "D4", "D5", "D6")
DISTRICT_W = np.array([0.24, 0.20, 0.18, 0.15, 0.13, 0.10])
DISTRICT_BH = np.array([1.40, 1.00, 0.80, 1.10, 0.70, 0.90])  # BH-rate multiplier
DISTRICT_CO = np.array([1.15, 1.00, 0.90, 1.00, 0.85, 0.95])  # co-responder reach
BEATS_PER_DISTRICT = np.array([5, 4, 4, 3, 3, 3])
P_NO_DISTRICT = 0.005

# Local hour of day (00..23): low 03-06, peak afternoon / evening.
HOUR_W = np.array([3.2, 2.6, 2.1, 1.5, 1.2, 1.2, 1.6, 2.6, 3.6, 4.2, 4.5, 4.7,
                   4.9, 5.0, 5.2, 5.5, 5.8, 6.0, 5.9, 5.6, 5.1, 4.6, 4.1, 3.6])
HOUR_W = HOUR_W / HOUR_W.sum()
# BH calls lean to the evening and night.
HOUR_BH = np.array([1.25, 1.25, 1.2, 1.1, 1.0, 0.9, 0.8, 0.8, 0.85, 0.9, 0.95, 0.95,
                    0.95, 0.95, 0.95, 1.0, 1.0, 1.0, 1.05, 1.1, 1.15, 1.2, 1.25, 1.25])
HOUR_BH = HOUR_BH / float(HOUR_BH @ HOUR_W)
# Monday .. Sunday.
WEEKDAY_W = np.array([0.97, 0.97, 0.98, 1.00, 1.06, 1.05, 0.97])
BH_BASE = 0.053
BH_TREND = 0.12  # BH share rises ~12% (relative) over the period: better dispatcher flagging

# Non-BH CAD call types: (name, weight, base priority, arrest probability, officer minutes on scene (median), family)
NON_BH_TYPES = (
    ("TRAFFIC STOP", 0.15, 4, 0.020, 15, "traffic"),
    ("TRAFFIC ACCIDENT", 0.07, 3, 0.010, 45, "traffic"),
    ("DISTURBANCE", 0.10, 3, 0.050, 25, "order"),
    ("SUSPICIOUS PERSON", 0.08, 3, 0.030, 20, "order"),
    ("ALARM", 0.08, 4, 0.002, 12, "alarm"),
    ("THEFT", 0.07, 4, 0.040, 40, "property"),
    ("WELFARE CHECK", 0.06, 3, 0.005, 25, "service"),
    ("NOISE COMPLAINT", 0.05, 5, 0.005, 15, "order"),
    ("DOMESTIC DISPUTE", 0.05, 2, 0.150, 50, "violent"),
    ("ASSIST CITIZEN", 0.05, 4, 0.000, 20, "service"),
    ("BURGLARY", 0.03, 2, 0.050, 60, "property"),
    ("ASSAULT", 0.03, 1, 0.250, 60, "violent"),
    ("VANDALISM", 0.03, 4, 0.030, 30, "property"),
    ("TRESPASS", 0.03, 3, 0.080, 25, "order"),
    ("SHOPLIFTING", 0.03, 3, 0.300, 45, "property"),
    ("PARKING COMPLAINT", 0.03, 5, 0.000, 10, "traffic"),
    ("FRAUD", 0.02, 4, 0.020, 40, "property"),
)
BH_TYPES = (  # (name, weight, base priority)
    ("MENTAL HEALTH CRISIS", 0.35, 2),
    ("SUICIDE THREAT", 0.15, 1),
    ("EMOTIONALLY DISTURBED PERSON", 0.25, 2),
    ("WELFARE CHECK - MENTAL HEALTH", 0.25, 3),
)
# Non-BH call types a dispatcher flags as BH (bh_flag = true), with weights.
FLAGGED_TYPES = (("DISTURBANCE", 0.40), ("WELFARE CHECK", 0.35), ("SUSPICIOUS PERSON", 0.15), ("TRESPASS", 0.10))
P_FLAGGED_OF_BH = 0.12        # share of BH calls that are a flagged non-BH type
P_EXPLICIT_TRUE = 0.10        # BH-type calls that also carry bh_flag = true
P_BH_TYPE_UNFLAGGED = 0.001   # non-BH calls with a BH call type but bh_flag = false

CALL_TYPES = tuple(t[0] for t in NON_BH_TYPES) + tuple(t[0] for t in BH_TYPES)
N_NON_BH = len(NON_BH_TYPES)
TYPE_PRIORITY = np.array([t[2] for t in NON_BH_TYPES] + [t[2] for t in BH_TYPES], dtype=np.int8)
TYPE_ARREST = np.array([t[3] for t in NON_BH_TYPES] + [0.0] * len(BH_TYPES))
TYPE_SCENE = np.array([t[4] for t in NON_BH_TYPES] + [60] * len(BH_TYPES), dtype=float)
FAMILIES = ("traffic", "order", "alarm", "property", "service", "violent", "bh", "unlinked")
TYPE_FAMILY = np.array([FAMILIES.index(t[5]) for t in NON_BH_TYPES] + [FAMILIES.index("bh")] * len(BH_TYPES),
                       dtype=np.int8)

DISPOSITIONS = ("REPORT", "ADVISED", "CITATION", "TRANSPORT", "ARREST", "GOA", "REFERRED", "UNFOUNDED")
_D = {d: i for i, d in enumerate(DISPOSITIONS)}
# Non-arrest disposition mix of non-BH calls by family.
DISPO_BY_FAMILY = {
    "traffic": {"CITATION": 0.42, "ADVISED": 0.45, "REPORT": 0.10, "GOA": 0.03},
    "alarm": {"UNFOUNDED": 0.62, "ADVISED": 0.12, "REPORT": 0.06, "GOA": 0.20},
    "property": {"REPORT": 0.70, "ADVISED": 0.15, "GOA": 0.08, "UNFOUNDED": 0.07},
    "violent": {"REPORT": 0.55, "ADVISED": 0.25, "REFERRED": 0.10, "GOA": 0.10},
    "order": {"ADVISED": 0.50, "REPORT": 0.15, "GOA": 0.18, "UNFOUNDED": 0.12, "CITATION": 0.05},
    "service": {"ADVISED": 0.55, "REPORT": 0.10, "REFERRED": 0.15, "GOA": 0.10, "TRANSPORT": 0.10},
}
P_DISPO_EMPTY = 0.005

# Latent outcome of a BH call (index into schema.OUTCOMES).
OUT = {o: i for i, o in enumerate(schema.OUTCOMES)}
OUTCOME_MIX_CO = np.array([0.34, 0.25, 0.14, 0.10, 0.08, 0.03, 0.06])
OUTCOME_MIX_NO_CO = np.array([0.30, 0.08, 0.07, 0.15, 0.20, 0.08, 0.12])
OUTCOME_MIX_FOLLOW_UP = np.array([0.20, 0.36, 0.05, 0.04, 0.01, 0.0, 0.34])
OUTCOME_MIX_REFERRAL = np.array([0.0, 0.70, 0.10, 0.05, 0.0, 0.0, 0.15])
# Disposition of a BH call given its outcome.
DISPO_BY_OUTCOME = {
    "resolved_on_scene": {"ADVISED": 0.80, "REPORT": 0.20},
    "referred_outpatient": {"REFERRED": 0.85, "REPORT": 0.15},
    "crisis_center": {"TRANSPORT": 0.90, "REFERRED": 0.10},
    "voluntary_ed": {"TRANSPORT": 0.90, "REFERRED": 0.10},
    "involuntary_hold": {"TRANSPORT": 0.95, "REPORT": 0.05},
    "arrest": {"ARREST": 1.0},
    "refused_unable_to_contact": {"GOA": 0.55, "ADVISED": 0.45},
}
# Extra officer minutes on scene by outcome: (not co-responded, co-responded).
SCENE_EXTRA = {"crisis_center": (45, 15), "voluntary_ed": (50, 15), "involuntary_hold": (120, 45),
               "arrest": (90, 80)}

REFERRAL_AGENCIES = {
    "referred_outpatient": ("Harbor Community Counseling", "Bayview Behavioral Health Clinic",
                            "Eastside Recovery Services", "Lighthouse Peer Support Center",
                            "Harbor City Veterans Outpatient Clinic"),
    "crisis_center": ("Harbor City Crisis Stabilization Unit",),
    "voluntary_ed": ("Harbor General Hospital", "St. Brendan Medical Center"),
}
AGENCY_NAMES = tuple(a for v in REFERRAL_AGENCIES.values() for a in v)

# The program rolls out district by district (a staggered adoption the evaluation page can
# analyse): the first clinician serves D1-D2, the interns extend it to D3-D4, the second
# clinician to D5-D6. config/program_rollout.csv is written from this (write_rollout()).
ROLLOUT: tuple[tuple[str, date], ...] = (
    ("D1", PROGRAM_START), ("D2", PROGRAM_START),
    ("D3", INTERNS_START), ("D4", INTERNS_START),
    ("D5", SECOND_CLINICIAN), ("D6", SECOND_CLINICIAN),
)
# Co-responder coverage of a served district's BH calls (before the shift and district factors),
# constant from the district's start. Because co-responded calls end in arrest and in an
# involuntary hold less often (OUTCOME_MIX_CO vs OUTCOME_MIX_NO_CO), this plants a known effect
# of the program on BH arrests and holds; arrests on other calls are a placebo with none.
# planted_effect() reports the expected counts with and without the program.
COVERAGE_SERVED = 0.48
# Co-responders work day and evening shifts.
SHIFT = np.array([0.08] * 7 + [0.5] + [1.35] * 14 + [0.7, 0.4])
SHIFT = SHIFT / float(SHIFT @ (HOUR_W * HOUR_BH))
P_INTERN = ((INTERNS_START, 0.40), (SECOND_CLINICIAN, 0.28))  # share of co-responses by interns from date
P_CO_NON_BH = 0.0003  # co-responder on a non-BH call (on shift, after the start)
CIT_ANCHORS = ((date(2023, 1, 1), 0.55), (CIT_EXPANSION, 0.58), (date(2024, 6, 1), 0.80), (date(2025, 12, 31), 0.90))
P_CIT_LOG = 0.45  # share of non-co-responded BH calls with a CIT officer that the CIT officer logs

# Person pool.
P_FRESH_PERSON = 0.62   # BH calls whose subject appears nowhere else
FREQUENT_RATIO = 0.09   # frequent-contact people per BH call
PARETO_ALPHA = 2.1
P_UNIDENTIFIED = 0.02

# Arrests.
CHARGES = {
    "felony": ("AGGRAVATED ASSAULT", "BURGLARY", "ROBBERY", "GRAND LARCENY",
               "POSSESSION WITH INTENT TO DISTRIBUTE", "FELONY DOMESTIC BATTERY"),
    "misdemeanor": ("SIMPLE ASSAULT", "PETIT LARCENY", "DISORDERLY CONDUCT", "CRIMINAL MISCHIEF",
                    "CRIMINAL TRESPASS", "DUI", "RESISTING ARREST", "DOMESTIC BATTERY"),
    "violation": ("PUBLIC INTOXICATION", "OPEN CONTAINER", "LOITERING", "NOISE ORDINANCE"),
    "warrant": ("FAILURE TO APPEAR", "BENCH WARRANT", "PROBATION VIOLATION", "PAROLE VIOLATION"),
    "other": ("FUGITIVE FROM JUSTICE", "PROTECTIVE ORDER VIOLATION", "OUT-OF-COUNTY HOLD"),
}
TOP_CHARGES = tuple(c for lvl in schema.CHARGE_LEVELS for c in CHARGES[lvl])
LEVEL_BY_FAMILY = {  # felony, misdemeanor, violation, warrant, other
    "traffic": (0.05, 0.50, 0.10, 0.33, 0.02),
    "order": (0.05, 0.60, 0.20, 0.12, 0.03),
    "alarm": (0.30, 0.50, 0.05, 0.10, 0.05),
    "property": (0.22, 0.68, 0.03, 0.05, 0.02),
    "service": (0.05, 0.45, 0.15, 0.30, 0.05),
    "violent": (0.35, 0.58, 0.0, 0.02, 0.05),
    "bh": (0.15, 0.55, 0.15, 0.10, 0.05),
    "unlinked": (0.10, 0.15, 0.0, 0.70, 0.05),
}
BOOKED_BY_LEVEL = np.array([0.98, 0.80, 0.30, 0.95, 0.85])
P_UNLINKED_ARRESTS = 0.15

_EPOCH = date(1970, 1, 1)
_DAY = 86_400


def _day(d: date) -> int:
    return (d - _EPOCH).days


def _add_years(d: date, years: int) -> date:
    try:
        return d.replace(year=d.year + years)
    except ValueError:  # 29 February
        return d.replace(year=d.year + years, day=28)


class _Zone:
    """Vectorised wall clock <-> UTC for one IANA zone (seconds since the epoch)."""

    def __init__(self, name: str, first: date, last: date):
        tz = ZoneInfo(name)

        def off(utc_s: int) -> int:
            return int(datetime.fromtimestamp(utc_s, timezone.utc).astimezone(tz).utcoffset().total_seconds())

        d0, d1 = _day(first) - 2, _day(last) + 2
        prev = off(d0 * _DAY)
        trans, offs = [], [prev]
        for d in range(d0 + 1, d1 + 1):
            o = off(d * _DAY)
            if o != prev:
                lo, hi = (d - 1) * _DAY, d * _DAY
                while hi - lo > 1:
                    mid = (lo + hi) // 2
                    lo, hi = (mid, hi) if off(mid) == prev else (lo, mid)
                trans.append(hi)
                offs.append(o)
                prev = o
        self.trans = np.array(trans, dtype=np.int64)
        self.offs = np.array(offs, dtype=np.int64)
        # Wall time from which the new offset applies: times in a spring-forward gap keep the
        # old offset (so they move forward), times in a fall-back overlap take the first one.
        self.wall = self.trans + np.maximum(self.offs[:-1], self.offs[1:])

    def to_utc(self, local: np.ndarray) -> np.ndarray:
        return local - self.offs[np.searchsorted(self.wall, local, side="right")]

    def to_local(self, utc: np.ndarray) -> np.ndarray:
        return utc + self.offs[np.searchsorted(self.trans, utc, side="right")]


def _choice(rng: np.random.Generator, p, size: int) -> np.ndarray:
    p = np.asarray(p, dtype=float)
    return rng.choice(len(p), size=size, p=p / p.sum()).astype(np.int8)


def _lognormal(rng: np.random.Generator, median, sigma: float, size: int) -> np.ndarray:
    return np.exp(np.log(median) + sigma * rng.standard_normal(size))


def _interp_dates(days: np.ndarray, anchors) -> np.ndarray:
    xs = np.array([_day(d) for d, _ in anchors], dtype=float)
    ys = np.array([v for _, v in anchors], dtype=float)
    return np.interp(days, xs, ys)


def _pool_draw(rng: np.random.Generator, weights: np.ndarray, size: int) -> np.ndarray:
    """Indices into a pool drawn with replacement in proportion to weights."""
    if size == 0 or len(weights) == 0:
        return np.zeros(0, dtype=np.int64)
    cdf = np.cumsum(weights)
    return np.minimum(np.searchsorted(cdf, rng.random(size) * cdf[-1], side="right"), len(weights) - 1)


# ------------------------------------------------------------------ simulation

def _simulate(seed: int, years: int, calls_per_year: int, start: date) -> dict:
    end = _add_years(start, years)
    n = int(calls_per_year * years)
    rngs = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(10)]
    r_time, r_type, r_resp, r_out, r_dur, r_person, r_arrest, r_enc, r_fu, r_misc = rngs
    zone = _Zone(TIMEZONE, start, end)
    d0, d1 = _day(start), _day(end)
    prog_day = _day(PROGRAM_START)

    # --- when: calls per day (season, weekday, growth), then hour and second
    days = np.arange(d0, d1, dtype=np.int64)
    doy = (days.astype("datetime64[D]") - days.astype("datetime64[D]").astype("datetime64[Y]")).astype(np.int64)
    season = 1 + 0.075 * np.cos(2 * np.pi * (doy - 196) / 365.25)
    weekday = WEEKDAY_W[(days + 3) % 7]
    growth = 1 + 0.02 * (days - d0) / 365.25
    w = season * weekday * growth
    per_day = r_time.multinomial(n, w / w.sum())
    local = np.repeat(days * _DAY, per_day)
    local += r_time.choice(24, size=n, p=HOUR_W).astype(np.int64) * 3600
    local += r_time.integers(0, 3600, size=n)
    local.sort()
    recv_utc = zone.to_utc(local)
    del local
    recv_local = zone.to_local(recv_utc)
    day_local = recv_local // _DAY
    hour = ((recv_local % _DAY) // 3600).astype(np.int8)
    year = (day_local.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970).astype(np.int16)

    # --- where
    district = _choice(r_type, DISTRICT_W, n)
    beat_in = (r_type.random(n) * BEATS_PER_DISTRICT[district]).astype(np.int8)
    beat_offset = np.concatenate([[0], np.cumsum(BEATS_PER_DISTRICT)[:-1]]).astype(np.int16)
    beat = beat_offset[district] + beat_in
    no_district = r_type.random(n) < P_NO_DISTRICT
    district[no_district] = -1
    beat[no_district] = -1
    del beat_in

    # --- BH or not, call type, bh_flag
    frac = (day_local - d0) / max(1, d1 - d0)
    p_bh = BH_BASE * (1 - BH_TREND / 2 + BH_TREND * frac) * HOUR_BH[hour]
    p_bh *= np.where(district >= 0, DISTRICT_BH[np.maximum(district, 0)], 1.0)
    is_bh = r_type.random(n) < p_bh
    del p_bh, frac
    ctype = np.empty(n, dtype=np.int8)
    bh_flag = np.full(n, -1, dtype=np.int8)  # -1 = empty
    nb = np.flatnonzero(~is_bh)
    ctype[nb] = _choice(r_type, [t[1] for t in NON_BH_TYPES], len(nb))
    odd = nb[r_type.random(len(nb)) < P_BH_TYPE_UNFLAGGED]
    ctype[odd] = N_NON_BH + _choice(r_type, [t[1] for t in BH_TYPES], len(odd))
    bh_flag[odd] = 0
    del nb, odd
    bh = np.flatnonzero(is_bh)
    flagged = r_type.random(len(bh)) < P_FLAGGED_OF_BH
    fl = bh[flagged]
    ctype[fl] = np.array([CALL_TYPES.index(t) for t, _ in FLAGGED_TYPES], dtype=np.int8)[
        _choice(r_type, [w for _, w in FLAGGED_TYPES], len(fl))]
    bh_flag[fl] = 1
    typed = bh[~flagged]
    ctype[typed] = N_NON_BH + _choice(r_type, [t[1] for t in BH_TYPES], len(typed))
    bh_flag[typed[r_type.random(len(typed)) < P_EXPLICIT_TRUE]] = 1
    del bh, flagged, fl, typed
    priority = np.clip(TYPE_PRIORITY[ctype] + _choice(r_type, [0.2, 0.6, 0.2], n) - 1, 1, 5).astype(np.int8)
    priority_null = r_type.random(n) < 0.002

    # --- who responded
    starts = np.array([_day(dict(ROLLOUT).get(d, PROGRAM_START)) for d in DISTRICTS] + [prog_day])
    served = day_local >= starts[district]  # district -1 (unknown) -> the program start
    cov = np.where(served, COVERAGE_SERVED, 0.0)
    p_co = cov * SHIFT[hour] * np.where(district >= 0, DISTRICT_CO[np.maximum(district, 0)], 1.0)
    u = r_resp.random(n)
    p_co = np.minimum(p_co, 0.95)
    co = np.where(is_bh, u < p_co, (u < P_CO_NON_BH) & (cov > 0) & (SHIFT[hour] > 1))
    del u
    p_cit = _interp_dates(day_local, CIT_ANCHORS)
    p_cit = np.where(is_bh, np.minimum(p_cit + 0.05 * co, 0.97), 0.55 * p_cit)
    cit = r_resp.random(n) < p_cit
    del p_cit
    bh_like = is_bh | co  # calls with a person in crisis: outcome-driven

    # --- outcomes, arrests, dispositions
    outcome = np.full(n, -1, dtype=np.int8)
    for mask, mix in ((bh_like & co, OUTCOME_MIX_CO), (bh_like & ~co, OUTCOME_MIX_NO_CO)):
        idx = np.flatnonzero(mask)
        outcome[idx] = _choice(r_out, mix, len(idx))
    arrest = outcome == OUT["arrest"]
    arrest |= ~bh_like & (r_out.random(n) < TYPE_ARREST[ctype])
    dispo = np.full(n, -1, dtype=np.int8)
    for o, mix in DISPO_BY_OUTCOME.items():
        idx = np.flatnonzero(outcome == OUT[o])
        dispo[idx] = np.array([_D[k] for k in mix], dtype=np.int8)[_choice(r_out, list(mix.values()), len(idx))]
    fam = TYPE_FAMILY[ctype]
    for f, mix in DISPO_BY_FAMILY.items():
        idx = np.flatnonzero(~bh_like & ~arrest & (fam == FAMILIES.index(f)))
        dispo[idx] = np.array([_D[k] for k in mix], dtype=np.int8)[_choice(r_out, list(mix.values()), len(idx))]
    idx = np.flatnonzero(~bh_like & ~arrest & (fam == FAMILIES.index("bh")))  # BH type, flag false
    dispo[idx] = _D["ADVISED"]
    dispo[arrest] = _D["ARREST"]
    dispo[r_out.random(n) < P_DISPO_EMPTY] = -1
    dispo[arrest] = _D["ARREST"]

    # --- times on scene and officer minutes
    delay_med = np.array([0, 5, 8, 14, 22, 30], dtype=float)[priority]
    delay_s = np.maximum(60, (_lognormal(r_dur, delay_med, 0.55, n) * 60)).astype(np.int64)
    del delay_med
    units = np.empty(n, dtype=np.int8)
    for mask, mix in ((~bh_like, (0.55, 0.35, 0.10)), (bh_like & ~co, (0.25, 0.60, 0.15)),
                      (bh_like & co, (0.60, 0.40, 0.0))):
        idx = np.flatnonzero(mask)
        units[idx] = 1 + _choice(r_dur, mix, len(idx))
    scene_med = np.where(bh_like, np.where(co, 30.0, 50.0), TYPE_SCENE[ctype])
    for o, (extra_no, extra_co) in SCENE_EXTRA.items():
        scene_med += (outcome == OUT[o]) * np.where(co, extra_co, extra_no)
    scene_med += (~bh_like & arrest) * 90.0
    scene_min = np.maximum(3.0, _lognormal(r_dur, scene_med, 0.55, n))
    del scene_med
    scene_s = np.round(scene_min * 60).astype(np.int64)
    onscene_utc = recv_utc + delay_s
    cleared_utc = onscene_utc + scene_s
    officer_minutes = np.round(units * scene_s / 60.0, 1)
    onscene_null = r_dur.random(n) < 0.015
    cleared_null = r_dur.random(n) < 0.01
    officer_minutes[cleared_null] = np.nan

    # --- use of force (recorded from UOF_RECORDING_START)
    p_uof = np.where(bh_like, np.where(co, 0.001, 0.002), 0.0015)
    p_uof += arrest * np.where(bh_like, np.where(co, 0.02, 0.03), 0.04)
    p_uof += (outcome == OUT["involuntary_hold"]) * np.where(co, 0.004, 0.006)
    uof = (r_misc.random(n) < p_uof).astype(np.int8)
    uof[day_local < _day(UOF_RECORDING_START)] = -1
    del p_uof

    # --- people: the subject of every BH-like call
    persons = _People(r_person)
    bh_calls = np.flatnonzero(bh_like)
    subject = np.full(n, -1, dtype=np.int64)
    subject[bh_calls] = persons.bh_subjects(district[bh_calls])

    # --- arrests
    arrest_calls = np.flatnonzero(arrest)
    n_linked = len(arrest_calls)
    n_unlinked = int(round(n_linked * P_UNLINKED_ARRESTS / (1 - P_UNLINKED_ARRESTS)))
    a_person = np.empty(n_linked + n_unlinked, dtype=np.int64)
    linked_bh = bh_like[arrest_calls]
    a_person[:n_linked][linked_bh] = subject[arrest_calls[linked_bh]]
    a_person[:n_linked][~linked_bh] = persons.offenders(int((~linked_bh).sum()), p_fresh=0.70, p_bh=0.10)
    a_person[n_linked:] = persons.offenders(n_unlinked, p_fresh=0.20, p_bh=0.40)
    span = scene_s[arrest_calls]
    a_utc_linked = onscene_utc[arrest_calls] + (span * r_arrest.uniform(0.2, 0.7, n_linked)).astype(np.int64)
    # Keep every arrest inside the period (a call at 23:59 on the last day).
    end_utc = zone.to_utc(np.array([d1 * _DAY], dtype=np.int64))[0] - 1
    a_utc_linked = np.maximum(recv_utc[arrest_calls], np.minimum(a_utc_linked, end_utc))
    u_local = (r_arrest.integers(d0, d1, n_unlinked) * _DAY
               + r_arrest.choice(24, size=n_unlinked, p=_WARRANT_HOURS).astype(np.int64) * 3600
               + r_arrest.integers(0, 3600, n_unlinked))
    a_local = zone.to_local(np.concatenate([a_utc_linked, zone.to_utc(u_local)]))
    a_call = np.concatenate([arrest_calls, np.full(n_unlinked, -1, dtype=np.int64)])
    a_family = np.concatenate([fam[arrest_calls], np.full(n_unlinked, FAMILIES.index("unlinked"), dtype=np.int8)])
    a_family[:n_linked][linked_bh] = FAMILIES.index("bh")
    level = np.empty(len(a_call), dtype=np.int8)
    for fi, f in enumerate(FAMILIES):
        idx = np.flatnonzero(a_family == fi)
        level[idx] = _choice(r_arrest, LEVEL_BY_FAMILY[f], len(idx))
    charge_offset = np.concatenate([[0], np.cumsum([len(CHARGES[lv]) for lv in schema.CHARGE_LEVELS])[:-1]])
    charge_count = np.array([len(CHARGES[lv]) for lv in schema.CHARGE_LEVELS])
    top_charge = (charge_offset[level] + (r_arrest.random(len(level)) * charge_count[level]).astype(np.int64))
    booked = (r_arrest.random(len(level)) < BOOKED_BY_LEVEL[level]).astype(np.int8)
    booked[r_arrest.random(len(level)) < 0.01] = -1
    top_charge[r_arrest.random(len(level)) < 0.005] = -1
    level[r_arrest.random(len(level)) < 0.01] = -1
    order = np.argsort(a_local, kind="stable")
    arrests = {"call": a_call[order], "person": a_person[order], "at": a_local[order],
               "charge": top_charge[order], "level": level[order], "booked": booked[order]}

    # --- encounters: the co-responder log, from the program start
    enc = _encounters(r_enc, r_fu, co, is_bh, cit, day_local, served, d1, outcome, subject, scene_min)
    truth = _expected_outcomes(is_bh, served, np.where(is_bh, p_co, 0.0), district, day_local)
    del p_co

    calls = {
        "n": n, "year": year, "recv": recv_local, "type": ctype, "priority": priority,
        "priority_null": priority_null, "district": district, "beat": beat, "bh_flag": bh_flag,
        "on_scene": zone.to_local(onscene_utc), "on_scene_null": onscene_null,
        "cleared": zone.to_local(cleared_utc), "cleared_null": cleared_null,
        "officer_minutes": officer_minutes, "co": co, "cit": cit, "dispo": dispo, "uof": uof,
    }
    return {"calls": calls, "encounters": enc, "arrests": arrests, "n_persons": persons.count,
            "is_bh": is_bh, "planted": truth}


_WARRANT_HOURS = np.array([1, 1, 1, 1, 1, 2, 4, 6, 8, 9, 9, 8, 7, 7, 7, 6, 5, 4, 3, 3, 2, 2, 1, 1], dtype=float)
_WARRANT_HOURS /= _WARRANT_HOURS.sum()


class _People:
    """Person pool: ids are handed out as people are created, then shuffled into keys."""

    def __init__(self, rng: np.random.Generator):
        self.rng = rng
        self.count = 0
        self.frequent = np.zeros(0, dtype=np.int64)  # frequent BH-contact people
        self.frequent_w = np.zeros(0)
        self.offender = np.zeros(0, dtype=np.int64)
        self.offender_w = np.zeros(0)

    def _new(self, k: int) -> np.ndarray:
        ids = np.arange(self.count, self.count + k, dtype=np.int64)
        self.count += k
        return ids

    def bh_subjects(self, district: np.ndarray) -> np.ndarray:
        m = len(district)
        rng = self.rng
        out = np.empty(m, dtype=np.int64)
        fresh = rng.random(m) < P_FRESH_PERSON
        k = max(1, int(round(FREQUENT_RATIO * m)))
        self.frequent = self._new(k)
        self.frequent_w = rng.pareto(PARETO_ALPHA, k) + 1.0
        home = _choice(rng, DISTRICT_W * DISTRICT_BH, k)
        out[fresh] = self._new(int(fresh.sum()))
        for g in range(-1, len(DISTRICTS)):
            idx = np.flatnonzero(~fresh & (district == g))
            members = np.arange(k) if g < 0 else np.flatnonzero(home == g)
            if len(members) == 0:
                members = np.arange(k)
            out[idx] = self.frequent[members[_pool_draw(rng, self.frequent_w[members], len(idx))]]
        return out

    def offenders(self, m: int, *, p_fresh: float, p_bh: float) -> np.ndarray:
        rng = self.rng
        if len(self.offender) == 0:
            k = max(1, int(round(0.25 * m)))
            self.offender = self._new(k)
            self.offender_w = rng.pareto(PARETO_ALPHA, k) + 1.0
        src = _choice(rng, (p_fresh, p_bh, 1 - p_fresh - p_bh), m)
        out = np.empty(m, dtype=np.int64)
        out[src == 0] = self._new(int((src == 0).sum()))
        if len(self.frequent) == 0:
            src[src == 1] = 2
        out[src == 1] = self.frequent[_pool_draw(rng, self.frequent_w, int((src == 1).sum()))]
        out[src == 2] = self.offender[_pool_draw(rng, self.offender_w, int((src == 2).sum()))]
        return out


def _expected_outcomes(is_bh, served, p_co, district, day_local) -> dict:
    """Expected BH arrests and involuntary holds per district and month, with the program as
    simulated and without it (every served BH call priced at the no-co-responder mix): the
    planted effect an evaluation should recover. Months are local calendar months."""
    import pandas as pd

    bh = is_bh & (district >= 0)
    o_arr, o_hold = OUT["arrest"], OUT["involuntary_hold"]
    p = p_co[bh]
    frame = pd.DataFrame({
        "district": np.array(DISTRICTS)[district[bh]],
        "month": day_local[bh].astype("datetime64[D]").astype("datetime64[M]").astype(str),
        "bh_calls": 1, "served": served[bh],
        "bh_arrests_expected": p * OUTCOME_MIX_CO[o_arr] + (1 - p) * OUTCOME_MIX_NO_CO[o_arr],
        "bh_arrests_without_program": OUTCOME_MIX_NO_CO[o_arr],
        "involuntary_holds_expected": p * OUTCOME_MIX_CO[o_hold] + (1 - p) * OUTCOME_MIX_NO_CO[o_hold],
        "involuntary_holds_without_program": OUTCOME_MIX_NO_CO[o_hold],
    })
    cells = frame.groupby(["district", "month"], sort=True).agg(
        {"bh_calls": "sum", "served": "any", **{c: "sum" for c in frame.columns[4:]}}).reset_index()
    out = [{k: (round(float(v), 6) if isinstance(v, float) else v.item() if hasattr(v, "item") else v)
            for k, v in row.items()} for row in cells.to_dict("records")]
    return {"rollout": {d: s.isoformat() for d, s in ROLLOUT}, "coverage_served": COVERAGE_SERVED,
            "placebo": "non_bh_arrests", "cells": out}


def planted_effect(truth: dict, outcome: str, cells) -> dict:
    """The planted effect of `outcome` over the (district, 'YYYY-MM') cells given: expected
    events with the program, without it, and the ratio − 1 (the effect an estimate targets)."""
    wanted = {(d, m) for d, m in cells}
    with_ = sum(c[f"{outcome}_expected"] for c in truth["cells"] if (c["district"], c["month"]) in wanted)
    without = sum(c[f"{outcome}_without_program"] for c in truth["cells"] if (c["district"], c["month"]) in wanted)
    return {"expected": with_, "without_program": without, "change": with_ - without,
            "relative": with_ / without - 1 if without else float("nan")}


def _encounters(rng, r_fu, co, is_bh, cit, day_local, served, end_day, outcome, subject, scene_min) -> dict:
    ri = {r: i for i, r in enumerate(schema.RESPONDER_TYPES)}
    ci = {c: i for i, c in enumerate(schema.CONTACT_TYPES)}
    # On scene: every co-responded call; a share of non-co-responded BH calls with a CIT officer.
    co_calls = np.flatnonzero(co)
    cit_cand = np.flatnonzero(is_bh & ~co & cit & served)  # the program's log, where it serves
    cit_calls = cit_cand[rng.random(len(cit_cand)) < P_CIT_LOG]
    calls = np.concatenate([co_calls, cit_calls])
    n_co = len(co_calls)
    date_ = day_local[calls]
    p_intern = np.zeros(len(calls))
    for d, p in P_INTERN:
        p_intern[date_ >= _day(d)] = p
    responder = np.where(rng.random(len(calls)) < p_intern, ri["counseling_intern"], ri["clinician_liaison"])
    responder[n_co:] = ri["cit_officer"]
    person = subject[calls].copy()
    person[rng.random(len(calls)) < P_UNIDENTIFIED] = -1
    out = outcome[calls].copy()
    out[(rng.random(len(calls)) < 0.03) & (out != OUT["arrest"])] = -1  # not recorded
    care = np.isin(out, [OUT["crisis_center"], OUT["voluntary_ed"], OUT["involuntary_hold"]])
    minutes = np.where(np.arange(len(calls)) < n_co,
                       _lognormal(rng, 50.0, 0.35, len(calls)) + 25 * care,
                       np.minimum(scene_min[calls], 90.0) * rng.uniform(0.6, 1.0, len(calls)))
    on = {"call": calls, "date": date_, "responder": responder.astype(np.int8), "person": person,
          "contact": np.full(len(calls), ci["on_scene"], dtype=np.int8), "outcome": out, "minutes": minutes,
          "order": calls.astype(np.int64)}

    # Follow-ups (1-14 days later) and referral contacts (1-10 days later), same person, no call.
    has_person = person >= 0
    is_co = np.arange(len(calls)) < n_co
    p_fu = np.where(is_co, np.where(date_ >= _day(INTERNS_START), 0.50, 0.30), 0.12)
    fu_src = np.flatnonzero(has_person & (r_fu.random(len(calls)) < p_fu))
    ref_src = np.flatnonzero(has_person & is_co & (r_fu.random(len(calls)) < 0.12))
    n_calls = len(co)
    parts = [on]
    for kind, src, lo, hi, mix, med in (("follow_up", fu_src, 1, 15, OUTCOME_MIX_FOLLOW_UP, 30.0),
                                        ("referral", ref_src, 1, 11, OUTCOME_MIX_REFERRAL, 25.0)):
        d = date_[src] + r_fu.integers(lo, hi, len(src))
        keep = d < end_day
        src, d = src[keep], d[keep]
        m = len(src)
        o = _choice(r_fu, mix, m)
        o[r_fu.random(m) < 0.03] = -1
        resp = (np.full(m, ri["follow_up_team"], dtype=np.int8) if kind == "follow_up"
                else responder[src].astype(np.int8))
        parts.append({"call": np.full(m, -1, dtype=np.int64), "date": d, "responder": resp,
                      "person": person[src], "contact": np.full(m, ci[kind], dtype=np.int8), "outcome": o,
                      "minutes": _lognormal(r_fu, med, 0.4, m),
                      "order": (n_calls * (1 + len(parts)) + src).astype(np.int64)})
    enc = {k: np.concatenate([p[k] for p in parts]) for k in on}
    enc["minutes"] = np.clip(np.round(enc["minutes"]), 20, 120)
    agency = np.full(len(enc["call"]), -1, dtype=np.int64)
    for o, names in REFERRAL_AGENCIES.items():
        idx = np.flatnonzero(enc["outcome"] == OUT[o])
        first = AGENCY_NAMES.index(names[0])
        agency[idx] = first + (rng.random(len(idx)) * len(names)).astype(np.int64)
    enc["agency"] = agency
    order = np.lexsort((enc.pop("order"), enc["date"]))
    return {k: v[order] for k, v in enc.items()}


# ------------------------------------------------------------------ writing

def _strings(values, idx: np.ndarray) -> pa.Array:
    """values[idx] as an Arrow string array; idx < 0 -> empty."""
    idx = np.asarray(idx)
    return pc.take(pa.array(list(values), pa.string()), pa.array(idx, mask=idx < 0))


def _ids(prefix: str | list[str], numbers: np.ndarray, width: int, prefix_idx: np.ndarray | None = None,
         null: np.ndarray | None = None) -> pa.Array:
    num = pc.utf8_lpad(pc.cast(pa.array(numbers, mask=null), pa.string()), width=width, padding="0")
    if isinstance(prefix, str):
        return pc.binary_join_element_wise(pa.scalar(prefix), num, "")
    return pc.binary_join_element_wise(_strings(prefix, prefix_idx), num, "")


def _ts(seconds: np.ndarray, null: np.ndarray | None = None) -> pa.Array:
    return pa.array(seconds.astype("datetime64[s]"), type=pa.timestamp("s"), mask=null)


def _bool(values: np.ndarray) -> pa.Array:
    """int8 -1/0/1 or bool -> nullable boolean."""
    if values.dtype == np.bool_:
        return pa.array(values)
    return pa.array(values == 1, mask=values < 0)


def _width(n: int, minimum: int = 6) -> int:
    return max(minimum, len(str(max(n, 1))))


class _Ids:
    """Call ids C<yy>-<seq>: the sequence restarts every local calendar year."""

    def __init__(self, year: np.ndarray):
        self.years = np.unique(year)
        self.prefixes = [f"C{y % 100:02d}-" for y in self.years]
        self.year_idx = np.searchsorted(self.years, year)
        first = np.searchsorted(year, self.years)  # calls are sorted by time, so by year
        self.seq = np.arange(len(year), dtype=np.int64) - first[self.year_idx] + 1
        self.width = _width(int(np.max(np.diff(np.append(first, len(year))))) if len(year) else 1)

    def of(self, idx: np.ndarray) -> pa.Array:
        null = idx < 0
        safe = np.where(null, 0, idx)
        return _ids(self.prefixes, self.seq[safe], self.width, self.year_idx[safe], null)


def _call_batch(c: dict, ids: _Ids, sl: slice) -> pa.Table:
    n = c["recv"][sl].shape[0]
    rows = np.arange(sl.start, sl.start + n)
    district = c["district"][sl]
    return pa.table({
        "call_id": ids.of(rows),
        "received_at": _ts(c["recv"][sl]),
        "call_type": _strings(CALL_TYPES, c["type"][sl]),
        "priority": pa.array(c["priority"][sl], mask=c["priority_null"][sl]),
        "district": _strings(DISTRICTS, district),
        "beat": _strings(BEAT_NAMES, c["beat"][sl]),
        "bh_flag": _bool(c["bh_flag"][sl]),
        "on_scene_at": _ts(c["on_scene"][sl], c["on_scene_null"][sl]),
        "cleared_at": _ts(c["cleared"][sl], c["cleared_null"][sl]),
        "officer_minutes": pa.array(c["officer_minutes"][sl], from_pandas=True),
        "co_responder_present": _bool(c["co"][sl]),
        "cit_officer_present": _bool(c["cit"][sl]),
        "disposition": _strings(DISPOSITIONS, c["dispo"][sl]),
        "use_of_force": _bool(c["uof"][sl]),
    })


BEAT_NAMES = tuple(f"{d}-{b + 1}" for d, nb in zip(DISTRICTS, BEATS_PER_DISTRICT) for b in range(nb))


def _person_keys(person: np.ndarray, key_of: np.ndarray, width: int) -> pa.Array:
    null = person < 0
    return _ids("P", key_of[np.where(null, 0, person)], width, null=null)


def _columns(table: schema.Table) -> list[str]:
    """The columns the generator writes: the table's, less those the sample leaves unknown
    (the sample program keeps a clinician log, so its calls carry no call-level outcome)."""
    return [c for c in table.column_names if (table.name, c) not in NOT_GENERATED]


NOT_GENERATED = {("calls", "outcome"), ("calls", "outcomes_recorded"), ("calls", "received_time_known")}


def _write_csv(path: Path, table: schema.Table, batches, compress: bool) -> None:
    """Header line from the schema, then the batches (no quoting: values never hold commas).

    gzip is written with mtime 0 and no file name in the header, so same data = same bytes.
    """
    names = _columns(table)
    opts = pacsv.WriteOptions(include_header=False, quoting_style="none", batch_size=65_536)
    tmp = path.with_name(path.name + ".tmp")
    try:
        if compress:
            with open(tmp, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw,
                                                      compresslevel=6, mtime=0) as sink:
                _write_batches(sink, names, batches, opts)
        else:
            with pa.OSFile(str(tmp), "wb") as sink:
                _write_batches(sink, names, batches, opts)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)


def _write_batches(sink, names: list[str], batches, opts: pacsv.WriteOptions) -> None:
    sink.write((",".join(names) + "\n").encode())
    for batch in batches:
        assert batch.column_names == names, (batch.column_names, names)
        pacsv.write_csv(batch, sink, opts)


CHUNK = 1_000_000


def generate(out_dir: Path, *, seed: int = 20240101, years: int = 3, calls_per_year: int = 60_000,
             start: str = "2023-01-01", compress: bool = True) -> dict[str, Path]:
    """Write calls.csv[.gz], encounters.csv[.gz], arrests.csv[.gz] into out_dir; same seed, same bytes."""
    if years < 1 or calls_per_year < 1:
        raise ValueError("years and calls_per_year must be positive")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    sim = _simulate(int(seed), int(years), int(calls_per_year), date.fromisoformat(start))
    c, e, a = sim["calls"], sim["encounters"], sim["arrests"]
    ids = _Ids(c["year"])
    # Person keys: a seeded shuffle so a key says nothing about when a person first appeared.
    n_people = sim["n_persons"]
    key_of = np.random.default_rng(np.random.SeedSequence([int(seed), 1])).permutation(n_people) + 1
    pwidth = _width(n_people, 5)
    ext = ".csv.gz" if compress else ".csv"
    paths = {t: out_dir / f"{t}{ext}" for t in ("calls", "encounters", "arrests")}

    n = c["n"]
    _write_csv(paths["calls"], schema.CALLS,
               (_call_batch(c, ids, slice(i, min(i + CHUNK, n))) for i in range(0, n, CHUNK)), compress)

    ne = len(e["call"])
    ewidth = _width(ne)
    _write_csv(paths["encounters"], schema.ENCOUNTERS, [pa.table({
        "encounter_id": _ids("E", np.arange(1, ne + 1), ewidth),
        "call_id": ids.of(e["call"]),
        "encounter_date": pa.array(e["date"].astype("datetime64[D]"), type=pa.date32()),
        "responder_type": _strings(schema.RESPONDER_TYPES, e["responder"]),
        "person_key": _person_keys(e["person"], key_of, pwidth),
        "contact_type": _strings(schema.CONTACT_TYPES, e["contact"]),
        "outcome": _strings(schema.OUTCOMES, e["outcome"]),
        "referral_agency": _strings(AGENCY_NAMES, e["agency"]),
        "minutes": pa.array(e["minutes"]),
    })], compress)

    na = len(a["call"])
    _write_csv(paths["arrests"], schema.ARRESTS, [pa.table({
        "arrest_id": _ids("A", np.arange(1, na + 1), _width(na)),
        "call_id": ids.of(a["call"]),
        "person_key": _person_keys(a["person"], key_of, pwidth),
        "arrested_at": _ts(a["at"]),
        "top_charge": _strings(TOP_CHARGES, a["charge"]),
        "charge_level": _strings(schema.CHARGE_LEVELS, a["level"]),
        "booked": _bool(a["booked"]),
    })], compress)
    # The planted effect (not a data file: nothing imports it; tests and the benchmark read it).
    (out_dir / "planted_effect.json").write_text(json.dumps(sim["planted"], indent=1) + "\n", encoding="utf-8")
    return paths


# ------------------------------------------------------------------ milestones

def write_rollout(path: Path) -> Path:
    """config/program_rollout.csv (district,start): the date the program began serving each district."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["district", "start"])
        for d, start in ROLLOUT:
            w.writerow([d, start.isoformat()])
    return path


def write_milestones(path: Path) -> Path:
    """config/milestones.csv (date,label) from the generator's program dates."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["date", "label"])
        for d, label in sorted(MILESTONES):
            w.writerow([d.isoformat(), label])
    return path


# ------------------------------------------------------------------ deliberately bad rows

def _bad_sets() -> dict[str, tuple[schema.Table, list[tuple[list[str], tuple[str, str] | None]]]]:
    """Per file: rows as field lists, each with None (good) or (column, reason) of its one problem.

    Duplicate keys are marked on the EARLIER row (the importer keeps the last occurrence).
    Ids use a B/X infix so importing these files never touches the sample's own rows.
    """
    def call(i, recv="2024-05-0{d} 10:15:00", **kw):
        d = 1 + i % 9
        row = {"call_id": f"C24-B{i:05d}", "received_at": recv.format(d=d), "call_type": "MENTAL HEALTH CRISIS",
               "priority": "2", "district": DISTRICTS[i % 6], "beat": f"{DISTRICTS[i % 6]}-1", "bh_flag": "",
               "on_scene_at": f"2024-05-0{d} 10:24:00", "cleared_at": f"2024-05-0{d} 11:05:00",
               "officer_minutes": "82", "co_responder_present": "true",
               "cit_officer_present": "true", "disposition": "REFERRED", "use_of_force": "false"}
        if i % 3 == 0:
            row.update(call_type="THEFT", priority="4", disposition="ARREST", co_responder_present="false",
                       officer_minutes="135.5", cleared_at=f"2024-05-0{d} 12:35:00")
        row.update(kw)
        return [row[c] for c in _columns(schema.CALLS)]

    calls = [
        (call(1), None),
        (call(2), None),
        (call(3, call_id=""), ("call_id", "missing")),
        (call(4), None),
        (call(5, received_at="31/01/2024 10:15"), ("received_at", "type")),
        (call(6), ("call_id", "duplicate")),
        (call(7, priority="high"), ("priority", "type")),
        (call(8), None),
        (call(9, bh_flag="maybe"), ("bh_flag", "type")),
        (call(10), None),
        (call(11, officer_minutes="-5"), ("officer_minutes", "negative")),
        (call(12), None),
        (call(13) + ["EXTRA"], ("*", "columns")),
        (call(6, officer_minutes="90"), None),  # same call_id as the earlier row: this one is kept
        (call(14), None),
        (call(15, bh_flag="true", call_type="DISTURBANCE"), None),
        (call(16), None),
    ]

    good_co_calls = (1, 2, 4, 8, 10, 14, 16)  # co-responded calls that are good rows of calls_bad.csv

    def enc(i, **kw):
        c = good_co_calls[i % len(good_co_calls)]
        row = {"encounter_id": f"E-B{i:05d}", "call_id": f"C24-B{c:05d}", "encounter_date": f"2024-05-0{1 + c % 9}",
               "responder_type": "clinician_liaison", "person_key": f"PX{i:04d}", "contact_type": "on_scene",
               "outcome": "referred_outpatient", "referral_agency": "Harbor Community Counseling", "minutes": "55"}
        if i % 4 == 0:
            row.update(call_id="", encounter_date=f"2024-05-{12 + i:02d}", responder_type="follow_up_team",
                       contact_type="follow_up",
                       outcome="refused_unable_to_contact", referral_agency="", minutes="25")
        row.update(kw)
        return [row[c] for c in schema.ENCOUNTERS.column_names]

    encounters = [
        (enc(1), None),
        (enc(2, responder_type="chaplain"), ("responder_type", "vocabulary")),
        (enc(3), None),
        (enc(4, outcome="went home"), ("outcome", "vocabulary")),
        (enc(5), ("encounter_id", "duplicate")),
        (enc(6, encounter_date="2024-13-45"), ("encounter_date", "type")),
        (enc(7), None),
        (enc(8, encounter_id=""), ("encounter_id", "missing")),
        (enc(9), None),
        (enc(10, minutes="abc"), ("minutes", "type")),
        (enc(11, contact_type=""), ("contact_type", "missing")),
        (enc(12), None),
        (enc(13, minutes="-15"), ("minutes", "negative")),
        (enc(5, outcome="crisis_center", referral_agency="Harbor City Crisis Stabilization Unit"), None),
        (enc(14)[:-1], ("*", "columns")),  # one field short
        (enc(15, outcome=""), None),  # empty outcome = unknown, allowed
        (enc(16), None),
    ]

    def arr(i, **kw):
        c = (6, 12)[i % 2]  # THEFT calls with disposition ARREST in calls_bad.csv
        row = {"arrest_id": f"A-B{i:05d}", "call_id": f"C24-B{c:05d}", "person_key": f"PX{i:04d}",
               "arrested_at": f"2024-05-0{1 + c % 9} 11:{10 + i:02d}:00", "top_charge": "PETIT LARCENY",
               "charge_level": "misdemeanor", "booked": "true"}
        if i % 3 == 0:
            row.update(call_id="", arrested_at=f"2024-05-{10 + i:02d} 14:30:00", top_charge="FAILURE TO APPEAR",
                       charge_level="warrant")
        row.update(kw)
        return [row[c] for c in schema.ARRESTS.column_names]

    arrests = [
        (arr(1), None),
        (arr(2, arrested_at="yesterday"), ("arrested_at", "type")),
        (arr(3), ("arrest_id", "duplicate")),
        (arr(4, booked="perhaps"), ("booked", "type")),
        (arr(5), None),
        (arr(6, charge_level="capital"), ("charge_level", "vocabulary")),
        (arr(7), None),
        (arr(8, arrest_id=""), ("arrest_id", "missing")),
        (arr(9), None),
        (arr(10) + ["", "extra"], ("*", "columns")),
        (arr(3, booked="false"), None),
        (arr(11), None),
        (arr(12, charge_level="", top_charge=""), None),
        (arr(13), None),
    ]
    return {"calls_bad.csv": (schema.CALLS, calls), "encounters_bad.csv": (schema.ENCOUNTERS, encounters),
            "arrests_bad.csv": (schema.ARRESTS, arrests)}


def write_bad_rows(out_dir: Path) -> dict[str, Path]:
    """calls_bad.csv, encounters_bad.csv, arrests_bad.csv (good rows mixed with one-problem bad rows)
    and expected_quarantine.csv (file,line,column,reason for every bad row) in out_dir."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    manifest = []
    for name, (table, rows) in _bad_sets().items():
        path = out_dir / name
        with path.open("w", newline="", encoding="utf-8") as f:
            f.write(",".join(_columns(table)) + "\n")
            for i, (fields, problem) in enumerate(rows):
                assert all("," not in v and '"' not in v for v in fields)
                f.write(",".join(fields) + "\n")
                if problem:
                    manifest.append((name, i + 2, problem[0], problem[1]))
        paths[name.removesuffix(".csv")] = path
    mpath = out_dir / "expected_quarantine.csv"
    with mpath.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["file", "line", "column", "reason"])
        w.writerows(manifest)
    paths["expected_quarantine"] = mpath
    return paths


# ------------------------------------------------------------------ CLI

def _count_rows(path: Path) -> int:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:
        return sum(buf.count(b"\n") for buf in iter(lambda: f.read(1 << 20), b"")) - 1


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m pmhc.generate", description=__doc__.split("\n\n")[0])
    p.add_argument("--out", required=True, help="output directory")
    p.add_argument("--years", type=int, default=3)
    p.add_argument("--calls-per-year", type=int, default=60_000)
    p.add_argument("--seed", type=int, default=20240101)
    p.add_argument("--start", default="2023-01-01", help="first day, YYYY-MM-DD")
    p.add_argument("--no-gzip", action="store_true", help="write .csv instead of .csv.gz")
    p.add_argument("--bad", action="store_true", help="write only the deliberately bad files + manifest")
    args = p.parse_args(argv)
    t0 = time.perf_counter()
    if args.bad:
        paths = write_bad_rows(Path(args.out))
    else:
        paths = generate(Path(args.out), seed=args.seed, years=args.years, calls_per_year=args.calls_per_year,
                         start=args.start, compress=not args.no_gzip)
    elapsed = time.perf_counter() - t0
    for name, path in paths.items():
        print(f"{name:20s} {_count_rows(path):>12,} rows  {path.stat().st_size / 1e6:8.2f} MB  {path}")
    print(f"done in {elapsed:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
