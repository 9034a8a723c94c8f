"""The evaluation designs (pmhc/evaluation.py): on the committed sample, whose generator planted
a staggered rollout with a known effect on BH arrests, the 95% intervals cover the planted
effect and the placebo's cover zero; thin or unmeasured data is refused with a reason; a
planted pre-trend is flagged by the event-study pre-period; the monthly SQL counts what it
says on a hand-checked fixture."""

from __future__ import annotations

import json
from datetime import date

import numpy as np
import pandas as pd
import pytest

from pmhc import db, evaluation, generate, importer, rollups, sql
from pmhc.config import ROOT, SAMPLE_DIR
from .helpers import JAN_FEB

ROLLOUT = dict(generate.ROLLOUT)
COHORT = ["D1", "D2"]  # started on generate.PROGRAM_START


@pytest.fixture(scope="module")
def sample_panel(tmp_path_factory):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PMHC_CONFIG_DIR", str(ROOT / "config"))
        mp.setenv("PMHC_PERSON_KEY_SECRET", "test-secret-not-for-real-data")
        con = db.connect(tmp_path_factory.mktemp("eval") / "sample.duckdb")
        for t in ("calls", "encounters", "arrests"):
            importer.import_file(con, SAMPLE_DIR / f"{t}.csv.gz")
        panel = evaluation.load_panel(con)
        headline = evaluation.report_headline(con)
        con.close()
    truth = json.loads((SAMPLE_DIR / "planted_effect.json").read_text())
    return panel, truth, headline


def its_for(panel, key):
    rows = evaluation.series(panel, key, COHORT)
    return evaluation.interrupted_time_series(evaluation.city_series(rows), generate.PROGRAM_START,
                                              evaluation.outcome(key).kind)


# ------------------------------------------------------------------ the planted effect is recovered

def test_the_interrupted_time_series_interval_covers_the_planted_effect_on_bh_arrests(sample_panel):
    panel, truth, _ = sample_panel
    its = its_for(panel, "bh_arrests")
    planted = generate.planted_effect(truth, "bh_arrests", [(d, m) for d in COHORT for m in its.months_after])
    assert planted["relative"] < -0.25  # the generator's effect is large enough to matter
    assert its.relative.covers(planted["relative"]), (its.relative, planted)
    assert its.relative.estimate < 0


def test_the_interrupted_time_series_interval_on_the_placebo_covers_zero(sample_panel):
    panel, _, _ = sample_panel
    its = its_for(panel, "non_bh_arrests")
    assert its.relative.covers(0.0), its.relative
    assert its.total.covers(0.0)


def test_the_staggered_did_interval_covers_the_planted_effect_on_bh_arrests(sample_panel):
    panel, truth, _ = sample_panel
    did = evaluation.staggered_did(evaluation.series(panel, "bh_arrests"), ROLLOUT)
    planted = generate.planted_effect(truth, "bh_arrests", did.treated_cells)
    assert did.att.covers(planted["relative"]), (did.att, planted)
    assert not did.pretrend_flagged


def test_the_staggered_did_interval_on_the_placebo_covers_zero(sample_panel):
    panel, _, _ = sample_panel
    did = evaluation.staggered_did(evaluation.series(panel, "non_bh_arrests"), ROLLOUT)
    assert did.att.covers(0.0), did.att


def test_the_staggered_did_compares_each_cohort_only_with_districts_not_yet_served(sample_panel):
    panel, _, _ = sample_panel
    did = evaluation.staggered_did(evaluation.series(panel, "bh_arrests"), ROLLOUT)
    cohorts = did.cohorts.set_index("start")
    assert cohorts.loc["2024-03", "controls"] == "D3, D4, D5, D6"
    assert cohorts.loc["2024-03", "months_after"] == 6  # D3, D4 start in 2024-09
    assert cohorts.loc["2024-09", "controls"] == "D5, D6"
    assert "2025-06" not in cohorts.index  # the last cohort has no one left to compare with
    assert any(d.startswith("2025-06") for d in did.dropped)
    assert all(m < ROLLOUT["D3"].strftime("%Y-%m") for d, m in did.treated_cells if d in COHORT)


def test_the_counterfactual_band_contains_the_counterfactual_line(sample_panel):
    panel, _, _ = sample_panel
    frame = its_for(panel, "bh_arrests").frame
    assert (frame["cf_low"] <= frame["counterfactual"]).all() and (frame["counterfactual"] <= frame["cf_high"]).all()
    before = frame[~frame["post"]]
    assert np.allclose(before["fitted"], before["counterfactual"])  # the two lines part at the start


# ------------------------------------------------------------------ refusal instead of a number

def monthly(first: str, n: int, level: float = 30.0, seed: int = 1) -> pd.DataFrame:
    months = pd.period_range(first, periods=n, freq="M").strftime("%Y-%m")
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"month": months, "y": rng.poisson(level, n).astype(float), "exposure": 30.0})


def test_a_series_with_too_few_months_before_the_start_is_refused():
    result = evaluation.interrupted_time_series(monthly("2024-01", 14), date(2024, 6, 1))
    assert isinstance(result, evaluation.Refusal) and not result
    assert "Too few months before the start to estimate: 5" in result.reason


def test_a_series_with_too_few_months_after_the_start_is_refused():
    result = evaluation.interrupted_time_series(monthly("2023-01", 16), date(2024, 1, 1))
    assert "Too few months after the start to estimate: 4" in result.reason


def test_a_series_with_too_few_events_before_the_start_is_refused():
    result = evaluation.interrupted_time_series(monthly("2023-01", 24, level=1.0), date(2024, 1, 1))
    assert "Too few events before the start" in result.reason


def test_an_outcome_recorded_only_in_the_co_responder_log_is_refused_with_the_reason(sample_panel):
    panel, _, _ = sample_panel
    for key in ("involuntary_holds", "repeat_contacts"):
        result = evaluation.series(panel, key)
        assert isinstance(result, evaluation.Refusal)
        assert "only in the co-responder log" in result.reason


def test_use_of_force_counts_only_months_where_it_is_recorded(sample_panel):
    panel, _, _ = sample_panel
    rows = evaluation.series(panel, "bh_use_of_force")
    assert rows["month"].min() == generate.UOF_RECORDING_START.strftime("%Y-%m")  # empty before: not zero
    result = evaluation.interrupted_time_series(evaluation.city_series(rows[rows["district"].isin(COHORT)]),
                                                generate.PROGRAM_START)
    assert "Too few months before the start" in result.reason


def test_arrest_outcomes_are_not_measured_without_an_arrest_export(small_con):
    con = small_con
    con.execute("DELETE FROM arrests")
    rollups.refresh_rollups(con)  # the stored totals follow imports; a DELETE by hand goes around them
    result = evaluation.series(evaluation.load_panel(con), "bh_arrests")
    assert isinstance(result, evaluation.Refusal) and "no arrest export is loaded" in result.reason


def test_the_staggered_design_is_refused_without_rollout_dates(sample_panel):
    panel, _, _ = sample_panel
    result = evaluation.staggered_did(evaluation.series(panel, "bh_arrests"), {})
    assert "program_rollout.csv" in result.reason


# ------------------------------------------------------------------ parallel-trends check

def district_panel(pretrend: float, seed: int) -> tuple[pd.DataFrame, dict]:
    """Six districts, 36 months, Poisson counts around 40 a month; D1-D2 start in month 18,
    D3-D4 in month 27, D5-D6 never. `pretrend`: monthly growth of D1-D4 before their start."""
    rng = np.random.default_rng(seed)
    months = pd.period_range("2023-01", periods=36, freq="M")
    starts = {"D1": 18, "D2": 18, "D3": 27, "D4": 27}
    rows = []
    for d in ("D1", "D2", "D3", "D4", "D5", "D6"):
        for i, m in enumerate(months):
            s = starts.get(d)
            before = s is None or i < s
            mu = 40.0 * (1 + 0.1 * np.cos(2 * np.pi * i / 12))
            if s is not None and before:
                mu *= np.exp(pretrend * (i - s))
            rows.append({"district": d, "month": m.strftime("%Y-%m"), "y": float(rng.poisson(mu)), "exposure": 30.0})
    rollout = {d: months[s].to_timestamp().date() for d, s in starts.items()}
    return pd.DataFrame(rows), rollout


def test_a_planted_pre_trend_is_flagged_by_the_event_study_pre_period():
    rows, rollout = district_panel(pretrend=0.03, seed=3)
    did = evaluation.staggered_did(rows, rollout)
    assert did.pretrend_flagged and did.pretrend_p < 0.05
    pre = did.events[did.events["quarter"] < -1]
    assert pre["estimate"].iloc[0] < -0.3  # far from the start the treated districts sat well below


def test_parallel_pre_trends_are_not_flagged():
    rows, rollout = district_panel(pretrend=0.0, seed=3)
    did = evaluation.staggered_did(rows, rollout)
    assert not did.pretrend_flagged and did.att.covers(0.0)


# ------------------------------------------------------------------ the monthly SQL, by hand

def test_the_monthly_series_counts_arrests_by_the_call_they_name(small_con):
    m = sql.df(small_con, "evaluation_monthly").set_index(["month", "district"])
    # January 2024: D1 has C01 (BH) and C02 (BH, arrest A1); D2 has C03 (theft, arrest A2) and C04
    # (flagged BH, arrest A3). A4 names no call and A5 a call not in CAD: neither counts.
    assert m.loc[("2024-01", "D1"), ["bh_calls", "bh_arrests", "non_bh_arrests"]].tolist() == [2, 1, 0]
    assert m.loc[("2024-01", "D2"), ["bh_calls", "bh_arrests", "non_bh_arrests"]].tolist() == [1, 1, 1]
    assert m.loc[("2024-01", "D1"), "days_observed"] == 4  # 5, 10, 15 and 20 January have calls
    # C02 carries use_of_force true, C01 false: both recorded.
    assert m.loc[("2024-01", "D1"), ["bh_use_of_force", "bh_uof_recorded"]].tolist() == [1, 2]
    assert m.loc[("2024-01", "D1"), "bh_officer_hours"] == pytest.approx((60 + 120) / 60)
    assert int(m["bh_arrests"].sum() + m["non_bh_arrests"].sum()) == 3


def test_a_month_the_arrest_export_does_not_cover_is_dropped_not_zero(small_con):
    rows = evaluation.series(evaluation.load_panel(small_con), "bh_arrests")
    # Arrests run January–February 2024; calls also exist in January 2023, December 2023, March 2024.
    assert sorted(rows["month"].unique()) == ["2024-01", "2024-02"]


# ------------------------------------------------------------------ rollout file

def test_the_rollout_file_names_line_and_column_of_a_bad_date(tmp_path):
    path = tmp_path / "program_rollout.csv"
    path.write_text("district,start\nD1,2024-03-01\nD2,March 2024\n")
    with pytest.raises(ValueError, match=r"line 3, column start: 'March 2024' is not a date"):
        evaluation.load_rollout(path)


def test_no_rollout_file_means_no_staggered_design(tmp_path):
    assert evaluation.load_rollout(tmp_path / "missing.csv") == {}


# ------------------------------------------------------------------ where the estimate travels

def test_the_report_headline_carries_the_estimate_its_interval_and_the_caveat(sample_panel):
    panel, _, headline = sample_panel
    did = evaluation.staggered_did(evaluation.series(panel, "bh_arrests"), ROLLOUT)
    assert f"{did.att.estimate:+.0%}" in headline
    assert f"95% interval {did.att.low:+.0%} to {did.att.high:+.0%}" in headline
    assert "Assumes nothing else" in headline and "difference-in-differences" in headline


def test_the_deck_and_the_one_pager_print_the_evaluation_headline(small_con):
    import dataclasses
    import io

    from pptx import Presentation
    from pypdf import PdfReader

    from pmhc import metrics
    from pmhc.periods import Period
    from pmhc.reports import content, deck, onepager

    data = content.gather(small_con, JAN_FEB, public=True)
    assert data.evaluation == ""  # the small fixture has no program start: no slide, no note
    text = "Program evaluation: arrests on BH calls -30% after the start (95% interval -50% to -5%)."
    data = dataclasses.replace(data, evaluation=text)
    slides = [" ".join(sh.text_frame.text for sh in slide.shapes if sh.has_text_frame)
              for slide in Presentation(io.BytesIO(deck.build(data))).slides]
    assert any("Did the program change arrests?" in t and text in t for t in slides)
    page = PdfReader(io.BytesIO(onepager.build(data))).pages[0].extract_text().replace("\n", " ")
    assert "95% interval -50% to -5%" in page


def test_the_evaluated_arrests_avoided_follow_from_the_effect_and_the_served_months(sample_panel):
    panel, _, _ = sample_panel
    e = evaluation.evaluate(panel, "bh_arrests", generate.PROGRAM_START, ROLLOUT)
    effect = evaluation.period_effect(e, panel, ROLLOUT, "2025-01", "2025-12")
    rows = evaluation.series(panel, "bh_arrests")
    served = rows[(rows["month"] >= "2025-01") & (rows["month"] <= "2025-12")
                  & np.array([m >= f"{ROLLOUT[d]:%Y-%m}" if d in ROLLOUT else False
                              for d, m in zip(rows["district"], rows["month"])])]
    assert effect.observed == served["y"].sum()
    r = e.did.att
    assert effect.avoided.estimate == pytest.approx(effect.observed * (1 / (1 + r.estimate) - 1))
    assert effect.avoided.low < effect.avoided.estimate < effect.avoided.high
    assert effect.served_months == 12 * 4 + 7 * 2  # D1-D4 all year, D5-D6 from June


# ------------------------------------------------------------------ which errors, and why

def test_autocorrelated_residuals_switch_the_time_series_to_newey_west_errors():
    rng = np.random.default_rng(5)
    n = 36
    drift = 0.25 * np.sin(2 * np.pi * np.arange(n) / 8)  # an 8-month cycle the model does not fit: runs of
    months = pd.period_range("2023-01", periods=n, freq="M").strftime("%Y-%m")  # high and low months
    s = pd.DataFrame({"month": months, "y": rng.poisson(200 * np.exp(drift)).astype(float), "exposure": 30.0})
    its = evaluation.interrupted_time_series(s, date(2024, 6, 1))
    assert its.autocorrelation_p < 0.05 and "Newey–West errors" in its.errors


def test_independent_counts_keep_quasi_poisson_errors():
    its = evaluation.interrupted_time_series(monthly("2023-01", 36, level=40.0, seed=2), date(2024, 6, 1))
    assert its.autocorrelation_p >= 0.05 and "quasi-Poisson" in its.errors and its.relative.covers(0.0)


def test_hours_are_modelled_by_segmented_regression_with_newey_west_errors():
    its = evaluation.interrupted_time_series(monthly("2023-01", 36, level=400.0, seed=4), date(2024, 6, 1), "hours")
    assert "Segmented linear regression" in its.errors and "Newey–West" in its.errors
    assert its.relative.covers(0.0)
