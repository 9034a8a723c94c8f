"""Every dashboard page runs in Streamlit's AppTest on the small fixture and shows the
figures the metrics layer computes (hand-checked in test_metrics.py).

Period used throughout: January–February 2024 (?period=months&from=2024-01&to=2024-02),
where BH calls = 5, co-responded = 3, coverage = 60 %, diversion = 62.5 % (5/8),
connection to care = 50 %, involuntary holds = 1, officer hours returned = 2.75 and
net cost avoidance = −$52,130. Also covered here: the shared helpers in pmhc/ui.py and
the chart builders in pmhc/charts.py that the pages (and the exports) draw with.
"""

from __future__ import annotations

import base64
import os
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.io as pio
import pytest
from streamlit.testing.v1 import AppTest

from pmhc import access, auth, charts, db, definitions, metrics, sql, ui
from pmhc.periods import Period
from .helpers import JAN_FEB, JAN_FEB_PARAMS

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def demo(small_db_path, monkeypatch):
    monkeypatch.setenv("PMHC_DEMO", "1")
    return small_db_path


@pytest.fixture
def figures(demo):
    con = db.connect(demo, read_only=True)
    try:
        yield metrics.headline(con, JAN_FEB)
    finally:
        con.close()


def open_page(key: str, role: str = "admin", params: dict | None = None) -> AppTest:
    """Run app.py, then switch to the page the way the navigation does."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.session_state["role"] = role
    if role not in access.DEMO_ROLES:  # demo visitors are never administrators: log in as one
        os.environ.pop("PMHC_DEMO", None)  # restored by the demo fixture's monkeypatch
        at.session_state[auth.SESSION_KEY] = {"user": "test-admin", "role": role, "method": "local"}
    for k, v in (params or {}).items():
        at.query_params[k] = v
    at.run()
    if key != "overview":
        at.switch_page(access.page(key).path)
        at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def metric(at: AppTest, label: str) -> str:
    found = [m for m in at.metric if m.label == label]
    assert found, f"no metric {label!r}; have {[m.label for m in at.metric]}"
    return found[0].value


def captions(at: AppTest) -> str:
    return "\n".join(c.value for c in at.caption)


def charts_on(at: AppTest) -> list:
    return [pio.from_json(c.proto.spec) for c in at.get("plotly_chart")]


def ys(trace) -> list:
    """A trace's y values; Plotly sends numeric arrays base64-encoded."""
    y = trace.y
    if isinstance(y, dict) and "bdata" in y:
        return np.frombuffer(base64.b64decode(y["bdata"]), dtype=y["dtype"]).tolist()
    return list(y)


def page_tables(at: AppTest) -> list:
    """The page's own tables, not the data tables under its charts (their text alternative)."""
    under_charts = {d.proto.SerializeToString() for e in at.expander if e.label.startswith("Data table: ")
                    for d in e.dataframe}
    return [d for d in at.dataframe if d.proto.SerializeToString() not in under_charts]


def chart_titles(at: AppTest) -> list[str]:
    return [fig.layout.title.text for fig in charts_on(at)]


# ------------------------------------------------------------------ overview (chief)

def test_overview_shows_the_six_headline_figures_of_the_metrics_layer(demo, figures):
    at = open_page("overview", params=JAN_FEB_PARAMS)
    headline = [f for f in definitions.figures() if f.headline]
    assert len(headline) == 6
    for fig in headline:
        assert metric(at, fig.label) == ui.fmt(figures[fig.key], fig.unit)
    assert metric(at, "Behavioral-health calls") == "5"
    assert metric(at, "Co-response coverage") == "60.0%"
    assert metric(at, "Diversion rate") == "62.5%"
    assert metric(at, "Connection-to-care rate") == "50.0%"
    assert metric(at, "Officer hours returned to patrol") == "2.8 h"
    assert metric(at, "Net cost avoidance (estimate)") == "−$52,130"


def test_overview_changes_are_percent_for_counts_and_points_for_rates(demo):
    at = open_page("overview", params=JAN_FEB_PARAMS)
    deltas = {m.label: m.delta for m in at.metric}
    # Nov–Dec 2023 had 1 BH call (C09, not co-responded): 1 → 5 is +400 %, 0 % → 60 % is +60 points.
    assert deltas["Behavioral-health calls"] == "+400.0%"
    assert deltas["Co-response coverage"] == "+60.0 pts"


def test_overview_states_each_headline_definition(demo):
    at = open_page("overview", params=JAN_FEB_PARAMS)
    text = "\n".join(m.value for m in at.markdown)
    for fig in definitions.figures():
        if fig.headline:
            assert ui.first_sentence(fig.definition) in text


def test_overview_trend_chart_has_title_and_labelled_axes(demo):
    at = open_page("overview", params=JAN_FEB_PARAMS)
    (fig,) = charts_on(at)
    assert fig.layout.title.text == "Behavioral-health calls and co-responded BH calls per month"
    assert fig.layout.title.subtitle.text.startswith("Jan 2024–Feb 2024")
    assert fig.layout.xaxis.title.text == "Month"
    assert fig.layout.yaxis.title.text == "Calls per month"
    assert [ys(t) for t in fig.data] == [[3, 2], [2, 1]]  # Jan, Feb: BH and co-responded


# ------------------------------------------------------------------ filter bar and links

def test_filters_default_to_the_last_twelve_full_months_of_data(demo):
    at = open_page("overview")
    # Calls run to 29 Feb 2024 (a month end), so the default is Mar 2023–Feb 2024.
    assert "Mar 2023–Feb 2024" in at.caption[0].value
    assert (at.query_params["from"], at.query_params["to"]) == ("2023-03", "2024-02")


def test_a_shared_link_restores_its_fiscal_year_and_district(demo):
    at = open_page("overview", params={"period": "fy", "fy": "2024", "district": "D2"})
    assert "FY2024 (Jul 2023–Jun 2024)" in at.caption[0].value
    assert "district D2" in at.caption[0].value
    assert (at.query_params["period"], at.query_params["fy"], at.query_params["district"]) == ("fy", "2024", "D2")


def test_district_filter_narrows_the_figures(demo):
    at = open_page("volume", params={**JAN_FEB_PARAMS, "district": "D2"})
    assert metric(at, "BH calls") == "1"  # C04 only: C06 has bh_flag=false
    assert metric(at, "Co-responded") == "1"


def test_a_link_value_not_in_the_data_is_reported_and_ignored(demo):
    at = open_page("volume", params={**JAN_FEB_PARAMS, "district": "ZZ"})
    assert any("district=ZZ" in w.value for w in at.sidebar.get("alert")) or any(
        "district=ZZ" in w.value for w in at.warning)
    assert metric(at, "BH calls") == "5"
    assert "district" not in at.query_params


def test_quarter_filter_selects_the_calendar_quarter(demo):
    at = open_page("volume", params={"period": "quarter", "quarter": "2024Q1"})
    assert "Q1 2024" in at.caption[0].value
    assert metric(at, "BH calls") == "5"  # no calls in March 2024 local time


def test_switching_pages_keeps_the_filters(demo):
    at = open_page("overview", params=JAN_FEB_PARAMS)
    at.switch_page("pages/volume.py").run()
    assert not at.exception
    assert "Jan 2024–Feb 2024" in at.caption[0].value
    assert metric(at, "BH calls") == "5"


def test_responder_type_filter_narrows_contact_figures_only(demo):
    at = open_page("volume", params={**JAN_FEB_PARAMS, "responder": "clinician_liaison"})
    assert metric(at, "Contacts") == "3"  # E01, E05, E09
    assert metric(at, "BH calls") == "5"  # call figures include every call


# ------------------------------------------------------------------ volume, outcomes, repeat

def test_volume_page_matches_the_metrics_layer(demo, figures):
    at = open_page("volume", params=JAN_FEB_PARAMS)
    assert metric(at, "BH calls") == ui.fmt(figures["bh_calls"]) == "5"
    assert metric(at, "Co-responded") == "3"
    assert metric(at, "Coverage") == "60.0%"
    assert metric(at, "People served") == "4"
    titles = chart_titles(at)
    assert "BH calls by weekday and hour received" in titles
    assert "BH calls and co-responded BH calls by district" in titles


def test_volume_district_table_shows_coverage_per_district(demo):
    at = open_page("volume", params=JAN_FEB_PARAMS)
    table = page_tables(at)[0].value
    d1 = table[table["District"] == "D1"].iloc[0]
    # D1 BH calls in Jan–Feb 2024: C01 (co-responded), C02, C08 (co-responded).
    assert (d1["BH calls"], d1["Co-responded"], d1["Coverage"]) == ("3", "2", "66.7%")


def test_milestones_from_the_config_file_are_drawn_on_trends(demo, tmp_path, monkeypatch):
    config = tmp_path / "config"
    config.mkdir()
    for name in ("agency.toml", "assumptions.toml"):
        (config / name).write_text((ROOT / "tests/fixtures/small/config" / name).read_text())
    (config / "milestones.csv").write_text("date,label\n2024-02-01,Second clinician hired\n")
    monkeypatch.setenv("PMHC_CONFIG_DIR", str(config))
    at = open_page("volume", params=JAN_FEB_PARAMS)
    labels = [a.text for fig in charts_on(at) for a in fig.layout.annotations]
    assert labels.count("Second clinician hired") == 2  # both monthly trend charts


def test_outcomes_page_matches_the_metrics_layer(demo, figures):
    at = open_page("outcomes", params=JAN_FEB_PARAMS)
    assert metric(at, "Diversion rate") == ui.fmt(figures["diversion_rate"], "rate") == "62.5%"
    assert metric(at, "Connection to care") == "50.0%"
    assert metric(at, "Involuntary holds") == "1"
    assert metric(at, "Arrest rate, co-responded") == "33.3%"  # C04 of C01, C04, C08
    assert metric(at, "Arrest rate, other BH calls") == "50.0%"  # C02 of C02, C05
    assert "Outcome of co-responder contacts by month (share of contacts)" in chart_titles(at)


def test_repeat_page_matches_the_metrics_layer(demo, figures):
    at = open_page("repeat", params=JAN_FEB_PARAMS)
    assert metric(at, "Repeat rate, 90 d") == ui.fmt(figures["repeat_rate_90d"], "rate") == "25.0%"
    assert metric(at, "Followed up ≤14 d") == "60.0%"
    assert metric(at, "Follow-up reached") == "50.0%"


def test_repeat_page_lists_people_for_the_coordinator(demo):
    at = open_page("repeat", role="analyst", params=JAN_FEB_PARAMS)
    (people,) = [d.value for d in page_tables(at)]
    assert len(people) == 1  # P1: on-scene contacts E01 and E02 in January
    assert people.iloc[0]["crisis_contacts"] == 2
    assert people.iloc[0]["person_key"].startswith("p_")  # the pseudonym, never the raw id
    assert at.get("download_button")


def test_repeat_page_shows_no_person_list_to_the_public(demo):
    at = open_page("repeat", role="public", params=JAN_FEB_PARAMS)
    assert not page_tables(at)
    assert not at.get("download_button")
    assert any("Person-level lists are shown only" in i.value for i in at.info)


def test_person_list_helper_refuses_the_public_role(demo):
    at = open_page("overview", role="public", params=JAN_FEB_PARAMS)
    assert not access.can(at.session_state["role"], "view_person_list")


def test_public_view_says_small_counts_are_suppressed(demo):
    at = open_page("overview", role="public", params=JAN_FEB_PARAMS)
    assert "counts below 11 are suppressed" in captions(at)


# ------------------------------------------------------------------ savings

def test_savings_page_shows_the_estimate_its_range_and_formula(demo, figures):
    at = open_page("savings", params=JAN_FEB_PARAMS)
    assert metric(at, "Net cost avoidance (estimate)") == ui.fmt(figures["net_cost_avoidance"], "usd") == "−$52,130"
    assert metric(at, "Program cost (pro-rated to the period)") == "$60,000"  # 365,000 × 60 / 365
    assert "Range −$61,776 to −$37,528" in captions(at)
    assert "arrests avoided" in at.code[0].value and "net = gross − program cost" in at.code[0].value
    assert any("An estimate, not a measured saving" in i.value for i in at.info)


def test_what_if_applies_edited_values_without_touching_the_file(demo):
    base = metrics.load_assumptions()
    edited = base.frame()
    edited.loc[edited["key"] == "program_cost_annual", ["value", "low"]] = [0.0, 0.0]
    assumptions, changed, problems = ui.what_if(base, edited)
    assert changed == [base["program_cost_annual"].label] and problems == []
    assert assumptions["program_cost_annual"].value == 0.0
    assert metrics.load_assumptions()["program_cost_annual"].value == 365000.0
    con = db.connect(demo, read_only=True)
    try:
        result = metrics.savings(con, JAN_FEB, assumptions)
    finally:
        con.close()
    assert result["net_cost_avoidance"] == pytest.approx(7870.0)  # gross, no program cost


def test_what_if_rejects_a_value_outside_its_range(demo):
    base = metrics.load_assumptions()
    edited = base.frame()
    edited.loc[edited["key"] == "jail_booking", "value"] = 10_000.0  # high is 600
    assumptions, changed, problems = ui.what_if(base, edited)
    assert changed == [] and assumptions["jail_booking"].value == 400.0
    assert len(problems) == 1 and "low ≤ value ≤ high" in problems[0]


# ------------------------------------------------------------------ grant figures

def test_grant_page_lists_every_figure_with_value_and_definition(demo, figures):
    at = open_page("grant", params=JAN_FEB_PARAMS)
    table = at.table[0].value
    keys = [f.key for f in definitions.figures() if f.key in figures]
    assert list(table["Key"]) == keys
    row = table[table["Key"] == "diversion_rate"].iloc[0]
    assert row["Value"] == "62.5%"
    assert row["Definition"] == definitions.by_key()["diversion_rate"].definition


def test_grant_copy_text_names_the_exact_period(demo):
    at = open_page("grant", params=JAN_FEB_PARAMS)
    text = at.code[0].value
    assert "Period: 1 January 2024 to 29 February 2024" in text
    assert "Diversion rate: 62.5%" in text and "Behavioral-health calls: 5" in text
    assert at.get("download_button")[0].proto.label == "Download these figures (CSV)"


def test_grant_csv_stamps_period_and_gives_staff_the_exact_value(demo, figures):
    figs = definitions.figures()
    table = ui.figure_table(figures, figs, "analyst")
    csv = pd.read_csv(pd.io.common.BytesIO(ui.figures_csv(table, figures, JAN_FEB, "analyst")))
    row = csv[csv["key"] == "officer_hours_returned"].iloc[0]
    assert (row["value"], row["value_exact"]) == ("2.8 h", 2.75)
    assert (row["period_start"], row["period_end_inclusive"], row["district"]) == ("2024-01-01", "2024-02-29", "all")
    assert row["source"] == "queries/officer_time.sql :: officer_time"


def test_grant_csv_for_the_public_has_no_exact_values_or_person_figures(demo, figures):
    figs = definitions.figures()
    table = ui.figure_table(figures, figs, "public")
    csv = pd.read_csv(pd.io.common.BytesIO(ui.figures_csv(table, figures, JAN_FEB, "public")))
    assert "value_exact" not in csv.columns
    assert not csv["key"].str.startswith("repeat_people_").any()


# ------------------------------------------------------------------ methodology

def test_methodology_lists_every_figure_with_its_sql_location(demo):
    at = open_page("methodology")
    text = "\n".join(m.value for m in at.markdown)
    for fig in definitions.figures():
        assert f"`{fig.key}`" in text and fig.location in text
    expanders = {e.label for e in at.expander}
    for query in {f.query for f in definitions.figures()}:
        assert f"SQL: `{sql.get(query).location}`" in expanders


def test_methodology_states_the_bh_rule_time_zone_and_fiscal_year(demo):
    at = open_page("methodology")
    text = "\n".join(m.value for m in at.markdown)
    assert "MENTAL HEALTH CRISIS, SUICIDE THREAT, EMOTIONALLY DISTURBED PERSON" in text
    assert "America/New_York" in text
    assert "FY2025 (Jul 2024–Jun 2025)" in text


# ------------------------------------------------------------------ empty states

@pytest.mark.parametrize("key", ["overview", "volume", "outcomes", "repeat", "savings", "grant"])
def test_a_selection_without_data_says_so_instead_of_failing(demo, key):
    at = open_page(key, params={"period": "months", "from": "2023-05", "to": "2023-05"})  # nothing in May 2023
    assert any("No " in i.value for i in at.info)
    for fig in charts_on(at):
        assert charts.NO_DATA in [a.text for a in fig.layout.annotations], fig.layout.title.text


def test_missing_database_tells_how_to_build_it(tmp_path, monkeypatch):
    monkeypatch.setenv("PMHC_DB", str(tmp_path / "absent.duckdb"))
    monkeypatch.setenv("PMHC_DEMO", "1")
    at = open_page("overview")
    assert "make run" in at.info[0].value and "pmhc import" in at.info[0].value


# ------------------------------------------------------------------ helpers and charts

@pytest.mark.parametrize("value, unit, shown", [
    (1234, "count", "1,234"), (0.625, "rate", "62.5%"), (-52130.0, "usd", "−$52,130"),
    (2.75, "hours", "2.8 h"), (40.0, "minutes", "40 min"), (None, "rate", "—"), (float("nan"), "count", "—"),
])
def test_fmt_formats_each_unit(value, unit, shown):
    assert ui.fmt(value, unit) == shown


def test_changes_are_points_for_rates_dollars_for_money_and_percent_otherwise():
    assert ui.fmt_delta(0.6, 0.0, 0.6, "rate") == "+60.0 pts"
    assert ui.fmt_delta(5, 1, 4.0, "count") == "+400.0%"
    assert ui.fmt_delta(-52130.0, -61000.0, 0.145, "usd") == "+$8,870"
    assert ui.fmt_delta(5, 0, None, "count") is None


def test_default_period_skips_a_partial_last_month():
    from datetime import date

    span = ui.DataSpan(date(2023, 1, 15), date(2025, 6, 20))
    assert span.default_period() == ("2024-06", "2025-05")
    assert ui.DataSpan(date(2025, 1, 1), date(2025, 3, 31)).default_period() == ("2025-01", "2025-03")


def test_trend_chart_marks_milestones_inside_its_range_only():
    df = pd.DataFrame({"month": ["2024-01", "2024-02", "2024-03"], "bh_calls": [3, 2, 4]})
    ms = pd.DataFrame({"date": pd.to_datetime(["2024-02-15", "2025-01-01"]), "label": ["Second clinician", "Later"]})
    fig = charts.trend(df, "month", {"bh_calls": "BH calls"}, "BH calls per month", "Calls", milestones=ms)
    assert [a.text for a in fig.layout.annotations] == ["Second clinician"]
    assert fig.layout.xaxis.title.text == "Month" and fig.layout.yaxis.title.text == "Calls"


def test_empty_frames_give_a_titled_no_data_chart():
    empty = pd.DataFrame(columns=["month", "bh_calls"])
    for fig in (charts.trend(empty, "month", {"bh_calls": "BH"}, "T", "Y"),
                charts.bar(empty, "month", "bh_calls", "T", "X", "Y"),
                charts.outcome_mix(pd.DataFrame(columns=["bucket", "outcome", "contacts"]), "T"),
                charts.heatmap(pd.DataFrame(columns=["weekday", "hour", "bh_calls"]), "T")):
        assert fig.layout.title.text == "T"
        assert fig.layout.annotations[0].text == charts.NO_DATA


def test_outcome_mix_shares_add_up_to_one_per_month():
    df = pd.DataFrame({"bucket": ["2024-01", "2024-01", "2024-02"], "outcome": ["arrest", "unknown", "arrest"],
                       "contacts": [1, 3, 2]})
    fig = charts.outcome_mix(df, "Outcomes")
    by_name = {t.name: list(t.y) for t in fig.data}
    assert by_name == {"Arrest": [0.25, 1.0], "Unknown (not recorded)": [0.75, 0.0]}


def test_heatmap_fills_the_whole_week_by_hour_grid():
    fig = charts.heatmap(pd.DataFrame({"weekday": [1, 7], "hour": [0, 23], "bh_calls": [2, 5]}), "Heat")
    z = fig.data[0].z
    assert len(z) == 7 and all(len(row) == 24 for row in z)
    assert z[0][0] == 2 and z[6][23] == 5 and sum(map(sum, z)) == 7


def test_missing_milestones_file_means_no_milestones(tmp_path):
    assert charts.load_milestones(tmp_path / "milestones.csv").empty


def test_a_bad_milestone_row_names_file_line_and_column(tmp_path):
    path = tmp_path / "milestones.csv"
    path.write_text("date,label\n2024-03-01,Second clinician hired\n03/01/2024,Bad date\n")
    with pytest.raises(ValueError, match=r"milestones.csv: line 3, column date: '03/01/2024'.*YYYY-MM-DD"):
        charts.load_milestones(path)


def test_volume_page_breaks_calls_down_by_call_type_and_beat(demo):
    at = open_page("volume", params={"period": "months", "from": "2024-01", "to": "2024-02"})
    table = next(d.value for d in page_tables(at) if "Call type" in d.value.columns)
    calls = dict(zip(table["Call type"], table["Calls for service"]))
    assert calls["MENTAL HEALTH CRISIS"] == "3" and calls["Total"] == "9"
    at.radio(key="volume_category").set_value("beat").run()
    table = next(d.value for d in page_tables(at) if "Beat" in d.value.columns)
    assert dict(zip(table["Beat"], table["Behavioral-health calls"])) == {
        "D1-1": "1", "D1-2": "2", "D2-1": "1", "D2-2": "0", "Unknown": "1", "Total": "5"}


def test_outcomes_page_breaks_outcomes_down_by_the_contacts_call_type_and_beat(demo):
    at = open_page("outcomes", params=JAN_FEB_PARAMS)
    table = next(d.value for d in page_tables(at) if "Call type" in d.value.columns).set_index("Call type")
    # tests/test_breakdowns.py :: test_contact_outcomes_by_call_type_follow_the_contacts_call, by hand
    assert table.loc["MENTAL HEALTH CRISIS", "Diverted contacts"] == "2"
    assert table.loc["No linked call", "Contacts with a known outcome"] == "4"
    assert table.loc["SUICIDE THREAT", "Involuntary / emergency holds"] == "1"
    assert table.loc["SUICIDE THREAT", "BH calls with an arrest"] == "1"
    assert table.loc["Total", "Diverted contacts"] == "5" and table.loc["Total", "Diversion rate"] == "62.5%"
    titles = chart_titles(at)
    assert "Diversions, holds and arrests by call type" in titles
    at.radio(key="outcomes_category").set_value("beat").run()
    table = next(d.value for d in page_tables(at) if "Beat" in d.value.columns).set_index("Beat")
    assert table.loc["No linked call", "Contacts with a known outcome"] == "4"


def test_public_outcomes_by_call_type_show_no_exact_small_count(demo):
    at = open_page("outcomes", role="public", params={"period": "months", "from": "2024-01", "to": "2024-01"})
    table = next(d.value for d in page_tables(at) if "Call type" in d.value.columns)
    counts = table.drop(columns=["Call type", "Diversion rate", "Connection-to-care rate", "Arrest rate on BH calls"])
    # January 2024 has 4 BH calls and 5 contacts: every non-zero count is from 1 to 10
    assert set(counts.to_numpy().ravel()) <= {"<11", "suppressed", "0", "not measured"}
    assert "<11" in set(counts.to_numpy().ravel())
    assert "the chart orders rows by shown counts only" in captions(at)


def test_public_view_with_a_district_filter_says_why_it_has_no_call_type_breakdown(demo):
    at = open_page("outcomes", role="public", params={"period": "months", "from": "2024-01", "to": "2024-01",
                                                      "district": "D1"})
    assert not [d for d in page_tables(at) if "Call type" in d.value.columns]
    assert "published for all districts and responder types together" in captions(at)


def test_public_arrest_rates_hidden_for_privacy_say_suppressed_not_no_data(demo):
    # January 2024: 4 BH calls, so both arrest rates are built on counts from 1 to 10.
    import json

    at = open_page("outcomes", role="public", params={"period": "months", "from": "2024-01", "to": "2024-01"})
    specs = [json.loads(c.proto.spec)["layout"] for c in at.get("plotly_chart")]
    (arrests,) = [s for s in specs if s["title"]["text"].startswith("Arrest rate on BH calls, co-responded vs not")]
    assert arrests["annotations"][0]["text"] == charts.SUPPRESSED


def test_a_public_district_view_says_its_breakdown_by_responder_type_is_not_published(demo):
    import json

    at = open_page("volume", role="public", params={"period": "months", "from": "2024-01", "to": "2024-01",
                                                    "district": "D1"})
    specs = [json.loads(c.proto.spec)["layout"] for c in at.get("plotly_chart")]
    (who,) = [s for s in specs if s["title"]["text"].startswith("Co-responder log contacts by responder type")]
    assert who["annotations"][0]["text"].startswith("Not published: published for all districts and responder types")


@pytest.mark.parametrize("key", ["overview", "volume", "outcomes", "repeat", "savings"])
def test_every_chart_with_data_has_its_data_table_one_click_away(demo, key):
    from pmhc import chart_table

    at = open_page(key, params=JAN_FEB_PARAMS)
    with_data = [chart_table.title(fig) for fig in charts_on(at) if not chart_table.table(fig).empty]
    tables = [e.label.removeprefix("Data table: ") for e in at.expander if e.label.startswith("Data table: ")]
    assert with_data and tables == with_data
    first = next(e for e in at.expander if e.label.startswith("Data table: "))
    assert len(first.dataframe) == 1 and not first.dataframe[0].value.empty
