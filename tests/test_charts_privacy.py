"""Charts in the public view: a withheld count is a visible gap that says why, never a 0."""

from __future__ import annotations

import math

import pandas as pd

from pmhc import charts
from pmhc.release import Withheld


def withheld_series(*values) -> pd.Series:
    return pd.Series(list(values), dtype=object)


def test_a_withheld_heatmap_cell_is_blank_and_an_hour_without_calls_is_zero():
    df = pd.DataFrame({"weekday": [1, 2], "hour": [0, 5], "bh_calls": withheld_series(15, Withheld("<11"))})
    fig = charts.heatmap(df, "BH calls by weekday and hour received")
    z = fig.data[0].z
    assert z[0][0] == 15 and math.isnan(z[1][5]) and z[2][7] == 0
    assert fig.data[0].text[1][5] == "suppressed for privacy"
    assert "suppressed for privacy" in fig.layout.xaxis.title.text


def test_a_heatmap_with_every_count_withheld_says_suppressed_not_no_data():
    df = pd.DataFrame({"weekday": [1], "hour": [3], "bh_calls": withheld_series(Withheld("<11"))})
    text = charts.heatmap(df, "t").layout.annotations[0].text
    assert text == charts.SUPPRESSED


def test_an_outcome_mix_month_with_a_withheld_count_is_left_out_not_drawn_from_a_partial_total():
    df = pd.DataFrame({"bucket": ["2024-01", "2024-01", "2024-02", "2024-02"],
                       "outcome": ["arrest", "resolved_on_scene"] * 2,
                       "contacts": withheld_series(Withheld("<11"), 20, 12, 36)})
    fig = charts.outcome_mix(df, "How contacts ended")
    by_name = {t.name: t for t in fig.data}
    arrest, resolved = by_name["Arrest"], by_name["Resolved on scene"]
    assert math.isnan(arrest.y[0]) and math.isnan(resolved.y[0])  # January: not 0 % / 100 %
    assert (arrest.y[1], resolved.y[1]) == (0.25, 0.75)
    assert "Not drawn for privacy: 1 month" in fig.layout.xaxis.title.text


def test_a_withheld_bar_is_labelled_with_its_display_text():
    df = pd.DataFrame({"district": ["D1", "D2"], "bh_calls": withheld_series(Withheld("<11"), 30)})
    fig = charts.bar(df, "district", "bh_calls", "BH calls by district", "District", "Calls")
    assert list(fig.data[0].text) == ["<11", "30"]
    assert "withheld for privacy" in fig.layout.xaxis.title.text


def test_a_trend_with_every_month_withheld_says_suppressed():
    df = pd.DataFrame({"month": ["2024-01", "2024-02"], "bh_calls": withheld_series(Withheld("<11"), Withheld())})
    fig = charts.trend(df, "month", {"bh_calls": "BH calls"}, "BH calls per month", "Calls")
    assert fig.layout.annotations[0].text == charts.SUPPRESSED


def test_a_trend_with_nothing_in_it_still_says_no_data():
    df = pd.DataFrame({"month": ["2024-01"], "bh_calls": [0]})
    fig = charts.trend(df, "month", {"bh_calls": "BH calls"}, "BH calls per month", "Calls")
    assert fig.layout.annotations[0].text == charts.NO_DATA


def test_a_breakdown_not_published_for_the_selection_says_so_and_why():
    # A district's public view has no breakdown by responder type (release.SELECTION_BYS):
    # the chart names that reason, not "too small to publish".
    from pmhc import release

    why = Withheld(release.NOT_PUBLISHED_TEXT, release.SELECTION_ONLY_REASON)
    df = pd.DataFrame({"bucket": ["clinician_liaison", "counseling_intern"], "contacts_total": withheld_series(why, why)})
    text = charts.bar(df, "bucket", "contacts_total", "Contacts by responder type", "Responder type",
                      "Contacts").layout.annotations[0].text
    assert text.startswith("Not published: published for all districts and responder types together only")
    grid = pd.DataFrame({"weekday": [1], "hour": [3], "bh_calls": withheld_series(why)})
    assert charts.heatmap(grid, "t").layout.annotations[0].text.startswith("Not published:")
    mix = pd.DataFrame({"bucket": ["clinician_liaison"], "outcome": ["arrest"], "contacts": withheld_series(why)})
    assert charts.outcome_mix(mix, "t").layout.annotations[0].text.startswith("Not published:")
