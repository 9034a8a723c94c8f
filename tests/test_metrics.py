"""Every figure computed by hand from tests/fixtures/small and compared exactly.

The fixture, period January–February 2024 (agency time zone America/New_York):

calls (9 in period; C09 is Dec 2023, C10 is Jan 2023; C11 is 03:30 UTC on 1 March = 22:30
on 29 February local, so it is IN the period):
  C01 D1 MENTAL HEALTH CRISIS  BH  co-responded  CIT yes  60 officer-min, 50 on scene, force no
  C02 D1 SUICIDE THREAT        BH  not co        CIT yes 120 officer-min, 90 on scene, force yes, arrest A1 (booked)
  C03 D2 THEFT                 -                          30, arrest A2
  C04 D2 DISTURBANCE bh_flag=true  BH co-responded CIT no  40, 30 on scene, arrest A3 (not booked)
  C05 (no district) MENTAL HEALTH CRISIS BH not co  CIT empty 90, 60 on scene
  C06 D2 MENTAL HEALTH CRISIS with bh_flag=false -> NOT BH (explicit flag wins)
  C07 D1 TRAFFIC STOP
  C08 D1 EMOTIONALLY DISTURBED PERSON BH co-responded CIT yes, officer minutes and cleared time empty
  C11 D2 THEFT
arrests: A4 has no call_id (unlinked warrant), A5 names a call that does not exist.
encounters in period (9): E01 C01 clinician P1 on-scene referred_outpatient; E02 C02 CIT P1
  on-scene involuntary_hold; E03 follow-up P1 refused; E04 C04 intern P2 on-scene
  resolved_on_scene (but its call has an arrest); E05 C08 clinician P3 on-scene outcome
  EMPTY; E06 follow-up P2 crisis_center; E07 C05 CIT (no person) on-scene voluntary_ed;
  E09 referral P3 referred_outpatient; E10 call C77 (no such call) intern P4 on-scene resolved.
  Before the period: E08 P1 2023-12-20, E11 P2 2023-09-01, E12 P4 2023-03-01 (all on-scene).
"""

from __future__ import annotations

import math

import pytest

from pmhc import metrics
from pmhc.periods import Period
from .helpers import JAN_FEB



@pytest.fixture
def figures(small_con):
    return metrics.headline(small_con, JAN_FEB)


def approx(x):
    return pytest.approx(x, rel=1e-12, abs=1e-12)


# ---------------------------------------------------------------- volume

def test_calls_total_counts_calls_received_in_the_period_on_local_time(figures):
    assert figures["calls_total"] == 9  # C01–C08 and C11 (local 29 Feb)


def test_bh_calls_use_the_flag_first_and_the_call_type_list_otherwise(figures):
    assert figures["bh_calls"] == 5  # C01, C02, C04 (flag), C05, C08; not C06 (flag false)
    assert figures["bh_share"] == approx(5 / 9)


def test_co_response_coverage_is_co_responded_bh_calls_over_bh_calls(figures):
    assert figures["co_responded_bh_calls"] == 3  # C01, C04, C08
    assert figures["not_co_responded_bh_calls"] == 2
    assert figures["co_response_coverage"] == approx(3 / 5)


def test_cit_coverage_leaves_out_calls_where_it_is_not_recorded(figures):
    assert figures["cit_bh_calls"] == 3  # C01, C02, C08
    assert figures["cit_coverage"] == approx(3 / 4)  # C05 not recorded


def test_contact_counts_by_contact_type(figures):
    assert figures["contacts_total"] == 9
    assert figures["on_scene_contacts"] == 6
    assert figures["follow_up_contacts"] == 2
    assert figures["referral_contacts"] == 1


def test_people_served_counts_identified_people_once(figures):
    assert figures["people_served"] == 4  # P1, P2, P3, P4
    assert figures["unidentified_contacts"] == 1  # E07


def test_responder_hours_sum_logged_minutes(figures):
    assert figures["responder_hours"] == approx((60 + 30 + 20 + 45 + 15 + 10 + 25) / 60)


# ---------------------------------------------------------------- outcomes

def test_unknown_outcomes_are_counted_not_dropped(figures):
    assert figures["known_outcome_contacts"] == 8
    assert figures["unknown_outcome_contacts"] == 1  # E05


def test_diversion_excludes_contacts_whose_call_had_an_arrest(figures):
    # E01, E06, E07, E09, E10 diverted; E04 resolved on scene but C04 had arrest A3.
    assert figures["diverted_contacts"] == 5
    assert figures["diversion_rate"] == approx(5 / 8)


def test_connection_to_care_rate(figures):
    assert figures["care_connections"] == 4  # E01, E06, E07, E09
    assert figures["connection_to_care_rate"] == approx(4 / 8)


def test_involuntary_holds_and_contacts_ending_in_arrest(figures):
    assert figures["involuntary_holds"] == 1  # E02
    assert figures["contacts_ending_in_arrest"] == 2  # E02 (call C02), E04 (call C04)


def test_arrest_rates_count_only_arrests_linked_to_the_call(figures):
    # A4 (no call) and A5 (unknown call) are not attributed; A2 is on a non-BH call.
    assert figures["bh_calls_with_arrest"] == 2  # C02, C04
    assert figures["bh_arrest_rate"] == approx(2 / 5)
    assert figures["arrest_rate_co_responded"] == approx(1 / 3)  # C04 of C01, C04, C08
    assert figures["arrest_rate_not_co_responded"] == approx(1 / 2)  # C02 of C02, C05


def test_use_of_force_only_where_recorded(figures):
    assert figures["bh_calls_with_force"] == 1  # C02
    assert figures["bh_calls_force_recorded"] == 2  # C01, C02


# ---------------------------------------------------------------- repeat contacts

def test_people_with_crisis_contacts_in_period(figures):
    assert figures["people_with_contacts"] == 4  # P1, P2, P3, P4


def test_repeat_windows_count_earlier_contacts_before_the_period(figures):
    # P1: E08 16 days before E01 -> all windows. P2: E11 141 days before E04 -> 180, 365.
    # P4: E12 341 days before E10 -> 365 only. P3: one crisis contact.
    assert figures["repeat_people_90d"] == 1
    assert figures["repeat_people_180d"] == 2
    assert figures["repeat_people_365d"] == 3
    assert figures["repeat_rate_90d"] == approx(1 / 4)
    assert figures["repeat_rate_365d"] == approx(3 / 4)


def test_follow_up_within_14_days_of_a_crisis_contact(figures):
    # E01 and E02 followed by E03 (P1, 7 and 2 days); E04 by E06 (12 days);
    # E05's referral E09 came before it; E10 has none.
    assert figures["identified_crisis_contacts"] == 5
    assert figures["followed_up_14d"] == 3
    assert figures["follow_up_14d_rate"] == approx(3 / 5)


def test_median_days_to_follow_up(figures):
    # E01 (P1, 5 Jan) → follow-up E03 12 Jan: 7 days; E02 (P1, 10 Jan) → E03: 2 days;
    # E04 (P2, 20 Jan) → follow-up E06 1 Feb: 12 days; E05 (P3, 25 Feb) has only an earlier
    # referral and E10 (P4) none, so they are left out: the median of 2, 7 and 12.
    assert figures["median_days_to_follow_up"] == approx(7.0)


def test_follow_up_completion_counts_people_reached(figures):
    assert figures["follow_ups_attempted"] == 2  # E03, E06
    assert figures["follow_ups_reached"] == 1  # E06; E03 refused
    assert figures["follow_up_completion_rate"] == approx(1 / 2)


def test_repeat_people_list_shows_only_people_meeting_the_threshold_in_period(small_con):
    people = metrics.repeat_people(small_con, JAN_FEB)
    assert len(people) == 1  # P1 has two crisis contacts (E01, E02) in the period
    assert people.iloc[0]["crisis_contacts"] == 2
    assert people.iloc[0]["follow_up_contacts"] == 1


# ---------------------------------------------------------------- officer time

def test_officer_hours_on_bh_calls(figures):
    assert figures["officer_hours_bh"] == approx((60 + 120 + 40 + 90) / 60)
    assert figures["bh_calls_missing_officer_minutes"] == 1  # C08


def test_average_time_on_scene_co_responded_vs_not(figures):
    assert figures["avg_on_scene_minutes_co_responded"] == approx((50 + 30) / 2)
    assert figures["avg_on_scene_minutes_not_co_responded"] == approx((90 + 60) / 2)
    assert figures["bh_calls_missing_time"] == 1


def test_officer_hours_returned(figures):
    # (mean 105 min without co-responder − mean 50 with) × 3 co-responded calls ÷ 60
    assert figures["officer_hours_returned"] == approx((105 - 50) * 3 / 60)


# ---------------------------------------------------------------- savings

def test_savings_inputs(figures):
    assert figures["co_responder_scene_contacts"] == 3  # E01, E04, E10 (E05 unknown)
    assert figures["ed_rate_co_responder"] == approx(0.0)
    assert figures["ed_rate_cit_only"] == approx(1.0)  # E02 hold, E07 voluntary ED
    assert figures["booked_share"] == approx(0.5)  # A1 booked, A3 not


def test_savings_formula_with_test_unit_costs(figures):
    arrests_avoided = (1 / 2 - 1 / 3) * 3
    bookings = arrests_avoided * 0.5
    jail = bookings * (400 + 100 * 2)
    ed = 3 * (2000 + 500)
    officer = 2.75 * 80
    gross = jail + ed + officer
    program = 365000 * 60 / 365  # 1 Jan – 1 Mar 2024 is 60 days
    assert figures["arrests_avoided"] == approx(arrests_avoided)
    assert figures["bookings_avoided"] == approx(bookings)
    assert figures["ed_transports_avoided"] == approx(3.0)
    assert figures["gross_cost_avoidance"] == approx(gross)
    assert figures["program_cost"] == approx(program)
    assert figures["net_cost_avoidance"] == approx(gross - program)


def test_savings_range_uses_low_and_high_unit_costs(figures):
    arrests_avoided = (1 / 2 - 1 / 3) * 3
    low = arrests_avoided * 0.5 * (200 + 50 * 1) + 3 * (1000 + 250) + 2.75 * 60
    high = arrests_avoided * 0.5 * (600 + 150 * 3) + 3 * (3000 + 750) + 2.75 * 100
    assert figures["gross_cost_avoidance_low"] == approx(low)
    assert figures["gross_cost_avoidance_high"] == approx(high)
    # the low end pairs low avoidance with the high program cost, and vice versa
    assert figures["net_cost_avoidance_low"] == approx(low - 400000 * 60 / 365)
    assert figures["net_cost_avoidance_high"] == approx(high - 300000 * 60 / 365)


def test_what_if_assumptions_change_the_estimate(small_con):
    a = metrics.load_assumptions().with_values(officer_hour=100.0)
    s = metrics.savings(small_con, JAN_FEB, a)
    assert s["officer_time_value"] == approx(2.75 * 100)


# ---------------------------------------------------------------- filters and periods

def test_district_filter_keeps_only_that_district(small_con):
    d1 = metrics.headline(small_con, metrics.Filters(JAN_FEB.period, district="D1"))
    assert d1["calls_total"] == 4  # C01, C02, C07, C08
    assert d1["bh_calls"] == 3
    assert d1["contacts_total"] == 3  # E01, E02, E05 (calls in D1)


def test_responder_type_filter_applies_to_contacts(small_con):
    f = metrics.headline(small_con, metrics.Filters(JAN_FEB.period, responder_type="cit_officer"))
    assert f["contacts_total"] == 2  # E02, E07
    assert f["diversion_rate"] == approx(1 / 2)  # E07 diverted, E02 hold


def test_previous_period_and_year_ago_comparison(small_con):
    jan = metrics.Filters(Period.months("2024-01", "2024-01"))
    cmp = metrics.compare(small_con, jan, keys=["bh_calls", "co_response_coverage"]).set_index("key")
    # Jan 2024: C01, C02, C04 BH (2 co-responded); Dec 2023: C09; Jan 2023: C10.
    assert cmp.loc["bh_calls", "value"] == 3
    assert cmp.loc["bh_calls", "previous"] == 1
    assert cmp.loc["bh_calls", "change_vs_previous"] == approx(2.0)  # +200 %
    assert cmp.loc["bh_calls", "year_ago"] == 1
    # rates change in percentage points: 2/3 now vs 0/1 a year ago
    assert cmp.loc["co_response_coverage", "change_vs_year_ago"] == approx(2 / 3)


def test_empty_period_gives_zero_counts_and_undefined_rates(small_con):
    f = metrics.headline(small_con, metrics.Filters(Period.months("2030-01", "2030-01")))
    assert f["calls_total"] == 0
    assert f["contacts_total"] == 0
    assert f["diversion_rate"] is None
    assert f["co_response_coverage"] is None


def test_monthly_has_a_row_for_every_month_even_without_data(small_con):
    m = metrics.monthly(small_con, metrics.Filters(Period.months("2023-11", "2024-02")))
    assert m["month"].tolist() == ["2023-11", "2023-12", "2024-01", "2024-02"]
    assert m["calls_total"].tolist() == [0, 1, 4, 5]
    assert m["bh_calls"].tolist() == [0, 1, 3, 2]


def test_outcome_mix_includes_unknown(small_con):
    mix = metrics.outcome_mix(small_con, JAN_FEB).set_index("outcome")["contacts"].to_dict()
    assert mix["unknown"] == 1
    assert mix["referred_outpatient"] == 2
    assert sum(mix.values()) == 9


def test_heatmap_counts_bh_calls_by_local_weekday_and_hour(small_con):
    h = metrics.heatmap(small_con, JAN_FEB)
    assert h["bh_calls"].sum() == 5
    # C02: Wednesday 10 January 2024 at 14:00 local
    row = h[(h["weekday"] == 3) & (h["hour"] == 14)]
    assert row["bh_calls"].tolist() == [1]


def test_fiscal_year_period_runs_from_the_start_month(small_con):
    fy = Period.fiscal_year(2024, 7)  # July 2023 – June 2024
    f = metrics.headline(small_con, metrics.Filters(fy))
    assert fy.start.isoformat() == "2023-07-01" and fy.end.isoformat() == "2024-07-01"
    assert f["calls_total"] == 10  # C01–C09 and C11; not C10 (Jan 2023)


def test_rates_are_finite_or_none(figures):
    for k, v in figures.items():
        assert v is None or math.isfinite(v), k


def test_a_partial_first_or_last_month_is_left_out_of_month_over_month_change():
    from datetime import date

    from pmhc.periods import Period

    first, last = date(2024, 1, 15), date(2024, 3, 10)  # data start mid-January, end mid-March
    assert not metrics.span_covers(first, last, Period.month(2024, 1))  # partial first month
    assert metrics.span_covers(first, last, Period.month(2024, 2))  # the one whole month
    assert not metrics.span_covers(first, last, Period.month(2024, 3))  # partial last month
    # February against January: January is partial, so no change is shown for February
    assert not metrics.span_covers(first, last, Period.month(2024, 2).previous())


def test_whole_months_of_loaded_data_keep_their_month_over_month_change():
    from datetime import date

    from pmhc.periods import Period

    first, last = date(2024, 1, 1), date(2024, 3, 31)
    assert all(metrics.span_covers(first, last, Period.month(2024, m)) for m in (1, 2, 3))
