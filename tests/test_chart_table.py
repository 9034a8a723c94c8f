"""Every chart's text alternative: its own data as a table (pmhc.chart_table), showing no
more than the chart — a withheld value is the chart's label, a gap is "not shown"."""

from __future__ import annotations

import pandas as pd

from pmhc import chart_table, charts
from pmhc.present import Withheld


def test_a_trend_table_has_a_row_per_month_and_a_column_per_series():
    df = pd.DataFrame({"month": ["2024-01", "2024-02"], "bh_calls": [5, 7], "co": [2, None]})
    fig = charts.trend(df, "month", {"bh_calls": "BH calls", "co": "Co-responded"}, "Calls", "calls")
    assert chart_table.table(fig).to_dict("records") == [
        {"Month": "Jan 2024", "BH calls": "5", "Co-responded": "2"},
        {"Month": "Feb 2024", "BH calls": "7", "Co-responded": "not shown"}]


def test_a_percent_bar_table_gives_percentages():
    df = pd.DataFrame({"bucket": ["D1", "D2"], "rate": [0.125, 0.5]})
    fig = charts.bar(df, "bucket", "rate", "Rate by district", "District", "Follow-up rate", percent=True)
    assert chart_table.table(fig).to_dict("records") == [
        {"District": "D1", "Follow-up rate": "12.5%"}, {"District": "D2", "Follow-up rate": "50.0%"}]


def test_a_withheld_bar_shows_the_charts_label_not_a_number():
    df = pd.DataFrame({"bucket": ["D1", "D2"], "bh_calls": pd.Series([40, Withheld("<11")], dtype=object)})
    fig = charts.bar(df, "bucket", "bh_calls", "BH calls by district", "District", "BH calls")
    rows = chart_table.table(fig).to_dict("records")
    assert rows[0] == {"District": "D1", "BH calls": "40"}
    assert rows[1] == {"District": "D2", "BH calls": "<11"}  # the label the bar carries, never a count


def test_a_heatmap_table_has_a_row_per_weekday_and_a_column_per_hour():
    df = pd.DataFrame({"weekday": [1, 2], "hour": [0, 5], "bh_calls": [3, 4]})
    out = chart_table.table(charts.heatmap(df, "BH calls by hour"))
    assert out.shape == (7, 25) and list(out.columns[:3]) == ["Weekday", "00:00", "01:00"]
    assert out.iloc[1]["05:00"] == "4" and out.iloc[0]["00:00"] == "3" and out.iloc[3]["12:00"] == "0"


def test_a_waterfall_table_lists_each_part_and_the_total():
    fig = charts.waterfall([("Jail days avoided", 1000.0), ("Program cost", -400.0)], "Savings", "Dollars")
    assert chart_table.table(fig).to_dict("records")[-1] == {"category": "Net", "Dollars": "600"}


def test_an_empty_chart_has_no_table():
    assert chart_table.table(charts.empty("Nothing")).empty
