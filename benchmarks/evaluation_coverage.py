"""Simulation study: do the evaluation's 95% intervals cover the planted effect 95% of the time?

For each of N seeds the generator simulates the sample city (3 years, 60,000 calls a year,
the staggered rollout of pmhc.generate.ROLLOUT). The monthly district series are built
from the simulation the same way queries/evaluation.sql builds them from the tables
(arrest records naming a BH / non-BH call, dated by the call; days observed as exposure),
then both designs run:

* interrupted time series on the first cohort (D1, D2; start 2024-03), step impact model;
* stacked difference-in-differences over the districts.

The truth is the planted effect over exactly the cells each estimate covers
(pmhc.generate.planted_effect: expected events with the program ÷ without it − 1); the
placebo (arrests on non-BH calls) has a true effect of zero. Prints coverage, mean
estimate vs mean truth and mean interval width. Not part of `make test`:

    .venv/bin/python benchmarks/evaluation_coverage.py            # 50 seeds, ~2 minutes
    .venv/bin/python benchmarks/evaluation_coverage.py --seeds 10
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pmhc import evaluation as ev  # noqa: E402
from pmhc import generate  # noqa: E402

_DAY = 86_400


def district_months(sim: dict) -> pd.DataFrame:
    """The rows of queries/evaluation.sql :: evaluation_monthly that the study needs."""
    c, a = sim["calls"], sim["arrests"]
    day = c["recv"] // _DAY
    month = day.astype("datetime64[D]").astype("datetime64[M]").astype(str)
    district = np.where(c["district"] >= 0, np.array(generate.DISTRICTS)[np.maximum(c["district"], 0)], "Unknown")
    calls = pd.DataFrame({"month": month, "district": district, "day": day, "is_bh": sim["is_bh"]})
    linked = a["call"][a["call"] >= 0]
    arrests = pd.DataFrame({"month": month[linked], "district": district[linked], "is_bh": sim["is_bh"][linked]})
    days = calls.groupby("month")["day"].nunique().rename("days_observed")
    out = calls.groupby(["month", "district"]).size().rename("calls").to_frame()
    out["bh_arrests"] = arrests[arrests["is_bh"]].groupby(["month", "district"]).size()
    out["non_bh_arrests"] = arrests[~arrests["is_bh"]].groupby(["month", "district"]).size()
    out = out.fillna(0).reset_index().merge(days, on="month")
    return out


def rows_for(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    return pd.DataFrame({"district": frame["district"], "month": frame["month"], "y": frame[column].astype(float),
                         "exposure": frame["days_observed"].astype(float)})


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--seeds", type=int, default=50)
    p.add_argument("--first-seed", type=int, default=1000)
    p.add_argument("--impact", default="step", choices=list(ev.IMPACT_MODELS))
    args = p.parse_args(argv)
    warnings.simplefilter("ignore")
    rollout = dict(generate.ROLLOUT)
    start = generate.PROGRAM_START
    cohort = ev.cohort_districts(rollout, start)
    results = {k: [] for k in ("its", "its_placebo", "did", "did_placebo")}
    t0 = time.perf_counter()
    for seed in range(args.first_seed, args.first_seed + args.seeds):
        sim = generate._simulate(seed, 3, 60_000, date(2023, 1, 1))
        frame = district_months(sim)
        truth = sim["planted"]
        for outcome, key in (("bh_arrests", "its"), ("non_bh_arrests", "its_placebo")):
            rows = rows_for(frame, outcome)
            its = ev.interrupted_time_series(ev.city_series(rows[rows["district"].isin(cohort)]), start,
                                             "count", args.impact)
            true = (generate.planted_effect(truth, "bh_arrests", [(d, m) for d in cohort for m in its.months_after])
                    ["relative"] if outcome == "bh_arrests" else 0.0)
            results[key].append((its.relative, true))
            did = ev.staggered_did(rows, rollout)
            true = generate.planted_effect(truth, "bh_arrests", did.treated_cells)["relative"] \
                if outcome == "bh_arrests" else 0.0
            results["did" + key[3:]].append((did.att, true))
    elapsed = time.perf_counter() - t0
    labels = {"its": "ITS, BH arrests (D1-D2, 2024-03)", "its_placebo": "ITS, placebo: non-BH arrests",
              "did": "Stacked DiD, BH arrests", "did_placebo": "Stacked DiD, placebo: non-BH arrests"}
    print(f"{args.seeds} seeds ({args.first_seed}–{args.first_seed + args.seeds - 1}), ITS impact model "
          f"{args.impact!r}, {elapsed:.0f} s")
    print(f"{'estimate':40s} {'coverage':>9s} {'mean est.':>10s} {'mean truth':>11s} {'mean width':>11s}")
    for key, rs in results.items():
        cover = np.mean([iv.covers(t) for iv, t in rs])
        print(f"{labels[key]:40s} {cover:9.0%} {np.mean([iv.estimate for iv, _ in rs]):+10.1%} "
              f"{np.mean([t for _, t in rs]):+11.1%} {np.mean([iv.high - iv.low for iv, _ in rs]):11.1%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
