"""Reporting periods: months, quarters, calendar and fiscal years, custom grant periods."""

from datetime import date

import pytest

from pmhc.periods import Period


def test_month_range_includes_the_whole_last_month():
    p = Period.months("2024-01", "2024-03")
    assert (p.start, p.end) == (date(2024, 1, 1), date(2024, 4, 1))
    assert p.label == "Jan 2024–Mar 2024"


def test_fiscal_year_is_named_for_the_year_it_ends():
    p = Period.fiscal_year(2025, 7)
    assert (p.start, p.end) == (date(2024, 7, 1), date(2025, 7, 1))
    assert p.label.startswith("FY2025")


def test_fiscal_year_starting_in_january_is_the_calendar_year():
    assert Period.fiscal_year(2025, 1).start == date(2025, 1, 1)


def test_quarter_and_calendar_year():
    assert Period.quarter(2024, 4).end == date(2025, 1, 1)
    assert Period.calendar_year(2024).label == "2024"


def test_previous_period_has_the_same_number_of_months():
    p = Period.months("2024-01", "2024-03").previous()
    assert (p.start, p.end) == (date(2023, 10, 1), date(2024, 1, 1))


def test_previous_custom_period_has_the_same_number_of_days():
    p = Period.custom(date(2024, 1, 10), date(2024, 1, 19)).previous()
    assert (p.start, p.end) == (date(2023, 12, 31), date(2024, 1, 10))


def test_year_ago_handles_29_february():
    p = Period.custom(date(2024, 2, 29), date(2024, 3, 5)).year_ago()
    assert p.start == date(2023, 2, 28)


def test_reversed_months_are_an_error():
    with pytest.raises(ValueError, match="before"):
        Period.months("2024-05", "2024-01")


@pytest.mark.parametrize("bad", ["2024-13", "24-01", "2024/01", ""])
def test_bad_month_text_is_an_error(bad):
    with pytest.raises(ValueError, match="YYYY-MM"):
        Period.months(bad, "2024-01")


# ------------------------------------------------------------------ --from / --to of the commands

def test_twelve_months_from_january_are_the_calendar_year():
    assert Period.between("2024-01", "2024-12", 7) == Period.calendar_year(2024)


def test_twelve_months_from_the_fiscal_start_are_the_fiscal_year_named_by_its_end():
    p = Period.between("2024-07", "2025-06", 7)
    assert (p.start, p.end, p.label) == (date(2024, 7, 1), date(2025, 7, 1), "FY2025 (Jul 2024–Jun 2025)")


def test_three_months_from_a_quarter_start_are_the_quarter():
    assert Period.between("2025-04", "2025-06") == Period.quarter(2025, 2)


def test_other_month_ranges_stay_month_ranges():
    p = Period.between("2024-02", "2024-05", 7)
    assert (p.start, p.end, p.kind) == (date(2024, 2, 1), date(2024, 6, 1), "months")


def test_two_days_give_a_grant_period_with_both_days_included():
    p = Period.between("2024-10-15", "2025-10-14")
    assert (p.start, p.end, p.kind) == (date(2024, 10, 15), date(2025, 10, 15), "custom")


def test_a_month_and_a_day_mixed_is_refused_with_the_expected_forms():
    with pytest.raises(ValueError, match="both as YYYY-MM or both as YYYY-MM-DD"):
        Period.between("2024-10", "2025-10-14")


def test_days_in_the_wrong_order_are_refused():
    with pytest.raises(ValueError, match="before --from"):
        Period.between("2025-01-31", "2025-01-01")
