"""The public release (pmhc/release.py) on hand-made data: what a public view shows.

Small fixture, January–February 2024 (tests/fixtures/small, figures in test_metrics.py):
calls 9, BH calls 5 (co-responded 3, not 2), contacts 9, people served 4, involuntary
holds 1, co-responder on-scene contacts with a known outcome 3 (none to an ED). Its
config sets [privacy] suppression_threshold = 11 and unstable_numerator = 20, so every
count there from 1 to 10 is "<11". With threshold 3 (a copy of the config) a count of 3
can be shown, but counts of 1 and 2 are so tight ("<3" = 1 or 2) that many pin each other
and are shown as "suppressed". A generated month with 75 BH calls (`mid`, below) shows
the everyday mix: exact large counts, one small district, its complement, a † rate.
"""

from __future__ import annotations

import dataclasses
import math

import pandas as pd
import pytest

from pmhc import db, definitions, metrics, release
from pmhc.config import load_agency
from pmhc.periods import Period
from pmhc.release import HEADLINE, Unstable, Withheld
from pmhc.suppression import COMPLEMENTARY, MASKED, PRIMARY
from tests.test_suppression import readable_cells
from .helpers import JAN_FEB



@pytest.fixture(scope="module")
def _built(release_db):
    """The fixture database (tests/conftest.py :: release_db) and its releases, built once
    for the module (each takes a second or two)."""
    from tests.conftest import small_config

    with small_config():
        cfg3 = dataclasses.replace(release_db.cfg, suppression_threshold=3)
        yield {"con": release_db.con, "cfg": release_db.cfg, "cfg3": cfg3,
               "rel11": release.build(release_db.con, JAN_FEB, release_db.cfg),
               "rel3": release.build(release_db.con, JAN_FEB, cfg3)}


@pytest.fixture
def small_con(_built):
    return _built["con"]


@pytest.fixture
def cfg(_built):
    return _built["cfg"]


@pytest.fixture
def cfg3(_built):
    return _built["cfg3"]


@pytest.fixture
def rel11(_built):
    return _built["rel11"]


@pytest.fixture
def rel3(_built):
    return _built["rel3"]


def shown(rel, key, view=HEADLINE, bucket="all"):
    """What a public view prints for a figure of the release."""
    value = rel.values[key] if view == HEADLINE else rel.count_value(view, bucket, key)
    fig = definitions.by_key().get(key)
    return release.format_value(rel.marked(view, bucket, key, value), fig.unit if fig else "count")


def test_the_fixture_config_sets_threshold_11_and_unstable_below_20(cfg):
    assert (cfg.suppression_threshold, cfg.unstable_numerator) == (11, 20)


# ------------------------------------------------------------------ threshold 11: the fixture's counts are small

@pytest.mark.parametrize("key, value", [
    ("calls_total", 9), ("bh_calls", 5), ("co_responded_bh_calls", 3), ("not_co_responded_bh_calls", 2),
    ("contacts_total", 9), ("people_served", 4), ("involuntary_holds", 1),
])
def test_counts_from_1_to_10_are_shown_as_under_11(rel11, key, value):
    assert rel11.values[key] == value
    assert rel11.state(HEADLINE, "all", key) == PRIMARY
    assert shown(rel11, key) == "<11"


@pytest.mark.parametrize("key", ["co_response_coverage", "diversion_rate", "connection_to_care_rate",
                                 "officer_hours_returned", "net_cost_avoidance"])
def test_a_figure_built_on_a_suppressed_count_is_suppressed(rel11, key):
    marked = rel11.marked(HEADLINE, "all", key, rel11.values[key])
    assert isinstance(marked, Withheld)
    assert marked.reason == "built on a suppressed count"
    assert shown(rel11, key) == "suppressed"


def test_a_zero_count_is_shown_as_0(rel11):
    assert rel11.values["co_responder_ed_contacts"] == 0
    assert rel11.masked_values()["co_responder_ed_contacts"] == 0
    # District "Unknown" had one BH call (C05), not co-responded.
    assert rel11.count_value("district", "Unknown", "co_responded_bh_calls") == 0
    assert shown(rel11, "co_responded_bh_calls", "district", "Unknown") == "0"
    assert shown(rel11, "bh_calls", "district", "Unknown") == "suppressed"  # small, in a district's row


def test_a_small_count_in_a_district_or_responder_row_says_suppressed_not_under_11(rel11):
    # The row is the district's own headline, where "<11" could pin the parts it is made of
    # (release._mask_selection_rows); the period's own small counts still say "<11".
    assert rel11.state("district", "Unknown", "bh_calls") == MASKED
    assert all(s != PRIMARY for (view, _, _), s in rel11.status.items() if view in release.SELECTION_VIEWS)
    assert any(s == PRIMARY for (view, _, _), s in rel11.status.items() if view == HEADLINE)


def test_a_figure_without_counts_in_it_is_shown(rel11):
    # Program cost = annual cost × days ÷ 365 = 365,000 × 60 ÷ 365: no count of people or calls.
    assert shown(rel11, "program_cost") == "$60,000"


def test_public_headline_leaves_no_exact_value_behind_a_suppressed_figure(small_con, cfg, rel11):
    table = release.public_headline(small_con, JAN_FEB, cfg, rel=rel11).set_index("key")
    assert table.loc["bh_calls", "display"] == "<11" and pd.isna(table.loc["bh_calls", "value"])
    assert table.loc["diversion_rate", "display"] == "suppressed" and table.loc["diversion_rate", "suppressed"]
    assert table.loc["program_cost", "value"] == 60000.0
    hidden = table[table["suppressed"]]
    assert hidden["value"].isna().all()
    assert not table.index.str.startswith("repeat_people_").any()  # not cleared for the public at all


def test_withheld_is_a_gap_to_charts_and_its_label_to_the_formatter():
    w = Withheld("<11")
    assert math.isnan(w) and release.format_value(w) == "<11"
    assert release.format_value(Withheld()) == "suppressed"
    assert release.format_value(Unstable(0.45), "rate") == "45.0% †"
    assert release.format_value(Unstable(12.0), "count") == "12 †"
    assert release.format_value(0.45, "rate") == "45.0%"


# ------------------------------------------------------------------ threshold 3: a mix

@pytest.mark.parametrize("key, value", [
    ("not_co_responded_bh_calls", 2), ("involuntary_holds", 1), ("bh_calls_with_arrest", 2),
    ("referral_contacts", 1), ("follow_up_contacts", 2), ("unknown_outcome_contacts", 1),
])
def test_with_threshold_3_counts_of_1_and_2_are_never_shown(rel3, key, value):
    assert rel3.values[key] == value
    assert rel3.state(HEADLINE, "all", key) in (PRIMARY, MASKED)
    assert shown(rel3, key) in ("<3", "suppressed")


def test_with_threshold_3_small_counts_that_would_pin_each_other_say_suppressed(rel3):
    # E.g. BH calls by weekday × hour: five cells of 1 adding up to the period's 5; as "<3"
    # each would be 1 or 2, and with the other small counts only one table fits.
    masked = [k for k, s in rel3.status.items() if s == MASKED]
    assert masked
    for key in masked:
        assert 0 < rel3.table.values[rel3.table.index(key)] < 3
        assert rel3.marked(*key, rel3.table.values[rel3.table.index(key)]).display == "suppressed"


def test_with_threshold_3_a_count_of_3_may_be_shown(rel3):
    # Co-responder on-scene contacts with a known outcome: E01, E04 (Jan), E10 (Feb).
    assert rel3.values["co_responder_scene_contacts"] == 3
    assert rel3.state(HEADLINE, "all", "co_responder_scene_contacts") is None
    assert shown(rel3, "co_responder_scene_contacts") == "3"


def test_bh_calls_cannot_be_worked_out_from_its_two_parts(rel3):
    # BH calls 5 = co-responded 3 + not co-responded 2 (<3): showing 5 and 3 would give the 2 back.
    states = [rel3.state(HEADLINE, "all", k) for k in ("bh_calls", "co_responded_bh_calls")]
    assert COMPLEMENTARY in states


def test_an_unstable_rate_gets_the_dagger(rel3):
    # ED / hold rate of co-responder on-scene contacts = 0 ÷ 3: shown, but on 0 < 20 events.
    marked = rel3.marked(HEADLINE, "all", "ed_rate_co_responder", rel3.values["ed_rate_co_responder"])
    assert isinstance(marked, Unstable) and float(marked) == 0.0
    assert release.format_value(marked, "rate") == "0.0% †"


@pytest.mark.parametrize("threshold", [3, 11])
def test_a_hidden_district_is_never_the_only_hidden_cell_of_its_breakdown(small_con, cfg, rel3, rel11, threshold):
    c = dataclasses.replace(cfg, suppression_threshold=threshold)
    rel = rel3 if threshold == 3 else rel11
    table = release.public_breakdown(small_con, "volume_calls", JAN_FEB, "district", cfg=c, rel=rel)
    counts = table[table["unit"] == "count"]
    assert set(counts["bucket"]) == {"D1", "D2", "Unknown", "Total"}
    for key, cells in counts.groupby("key"):
        hidden = cells[cells["suppressed"]]
        assert len(hidden) != 1, f"{key}: {list(hidden['bucket'])} alone could be worked out from the total"
    bh = counts[counts["key"] == "bh_calls"].set_index("bucket")
    # D1 3, D2 1, Unknown 1 of 5: D2 and Unknown are small at both thresholds.
    assert {bh.loc["D2", "display"], bh.loc["Unknown", "display"]} <= {f"<{threshold}", "suppressed"}
    assert bh.loc["D2", "suppressed"] and bh.loc["Unknown", "suppressed"]


def test_breakdown_total_and_headline_show_the_same_thing(small_con, cfg3, rel3):
    head = release.public_headline(small_con, JAN_FEB, cfg3, rel=rel3).set_index("key")
    for query in ("volume_calls", "outcomes_contacts"):
        table = release.public_breakdown(small_con, query, JAN_FEB, "district", cfg=cfg3, rel=rel3)
        totals = table[table["bucket"] == "Total"].set_index("key")
        common = totals.index.intersection(head.index)
        assert len(common) > 3
        for key in common:
            assert totals.loc[key, "display"] == head.loc[key, "display"], key
            assert totals.loc[key, "suppressed"] == head.loc[key, "suppressed"], key


def test_a_rate_in_a_breakdown_follows_its_counts(small_con, cfg3, rel3):
    table = release.public_breakdown(small_con, "volume_calls", JAN_FEB, "district", cfg=cfg3, rel=rel3)
    cells = table.set_index(["bucket", "key"])["suppressed"]
    for bucket in ("D1", "D2", "Unknown", "Total"):
        either = cells[(bucket, "co_responded_bh_calls")] or cells[(bucket, "bh_calls")]
        assert cells[(bucket, "co_response_coverage")] == either


@pytest.mark.parametrize("threshold", [3, 11])
def test_no_hidden_cell_of_the_release_can_be_worked_out(rel3, rel11, threshold):
    rel = rel3 if threshold == 3 else rel11
    table = rel.table
    hidden = {i for i, key in enumerate(table.labels) if rel.status[key]}
    assert hidden and rel.unprotectable == ()
    for i, v in enumerate(table.values):
        if i not in hidden:
            assert v == 0 or v >= threshold, table.labels[i]
    masked = frozenset(i for i, key in enumerate(table.labels) if rel.status[key] == MASKED)
    assert [table.labels[i] for i in readable_cells(table, hidden, rel.rules, masked)] == []


def test_a_change_is_shown_only_between_two_shown_values(small_con, cfg):
    table = release.public_compare(small_con, JAN_FEB, ["bh_calls", "diversion_rate"], cfg).set_index("key")
    # Nov–Dec 2023 had 1 BH call and Jan–Feb 2024 5: both "<11", so +400 % would give them away.
    assert table.loc["bh_calls", "value"].display == "<11"
    assert table.loc["bh_calls", "change_vs_previous"] is None
    assert table.loc["diversion_rate", "change_vs_year_ago"] is None


def test_a_figure_the_release_does_not_know_is_withheld(rel11):
    assert rel11.state(HEADLINE, "all", "some_new_figure") == release.UNCHECKED
    assert isinstance(rel11.marked(HEADLINE, "all", "some_new_figure", 42.0), Withheld)


def test_masked_frames_keep_zeros_and_hide_small_counts(rel11):
    frame = rel11.masked_frame(rel11.frames["district"], "district").set_index("bucket")
    assert frame.loc["Unknown", "co_responded_bh_calls"] == 0
    assert isinstance(frame.loc["D1", "bh_calls"], Withheld)
    mix = rel11.masked_mix(rel11.frames["mix:month"], "month")
    assert all(isinstance(v, Withheld) or v == 0 for v in mix["contacts"])
    heat = rel11.masked_heatmap(rel11.frames["heatmap"])
    assert all(isinstance(v, Withheld) for v in heat["bh_calls"])
    assert pd.to_numeric(heat["bh_calls"]).isna().all()  # a chart sees gaps, not numbers


def test_the_release_reads_the_file_database_too(small_db_path, cfg):
    con = db.connect(small_db_path, read_only=True)
    try:
        rel = release.build(con, JAN_FEB, cfg)
    finally:
        con.close()
    assert shown(rel, "bh_calls") == "<11"


# ------------------------------------------------------------------ a mid-size month: mostly shown

CALLS_HEADER = ("call_id,received_at,call_type,priority,district,beat,bh_flag,on_scene_at,cleared_at,officer_minutes,"
                "co_responder_present,cit_officer_present,disposition,use_of_force")


@pytest.fixture(scope="module")
def mid(tmp_path_factory):
    """75 BH calls in January 2024, all on Mondays at 10:00 (one heatmap cell):
    D1 40 (25 co-responded, 15 with a CIT officer), D2 30 (14 co-responded), D3 5 (none).
    Threshold 11: only D3's counts are small."""
    from tests.conftest import SMALL_CONFIG

    plan = [("D1", 40, 25, 15), ("D2", 30, 14, 0), ("D3", 5, 0, 0)]
    lines, n = [CALLS_HEADER], 0
    for district, calls, co, cit in plan:
        for k in range(calls):
            n += 1
            day = f"2024-01-{1 + 7 * (k % 5):02d}"  # the five Mondays of January 2024
            lines.append(f"M{n:03d},{day} 10:00:00,MENTAL HEALTH CRISIS,2,{district},{district}-1,,{day} 10:05:00,"
                         f"{day} 11:00:00,60,{str(k < co).lower()},{str(k < cit).lower()},REFERRED,false")
    path = tmp_path_factory.mktemp("mid") / "calls.csv"
    path.write_text("\n".join(lines) + "\n")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PMHC_CONFIG_DIR", str(SMALL_CONFIG))
        mp.setenv("PMHC_PERSON_KEY_SECRET", "test-secret-not-for-real-data")
        from pmhc import importer

        con = db.connect(":memory:")
        report = importer.import_file(con, path)
        assert report.rows_loaded == 75, report.summary()
        cfg = load_agency()
        filters = metrics.Filters(Period.months("2024-01", "2024-01"))
        yield {"con": con, "cfg": cfg, "filters": filters, "rel": release.build(con, filters, cfg)}
        con.close()


def test_large_counts_and_their_rates_are_shown_exactly(mid):
    rel = mid["rel"]
    assert (shown(rel, "bh_calls"), shown(rel, "co_responded_bh_calls"), shown(rel, "not_co_responded_bh_calls")) \
        == ("75", "39", "36")
    assert shown(rel, "co_response_coverage") == "52.0%"  # 39 ÷ 75, on 39 ≥ 20 events: no mark


def test_a_rate_on_fewer_than_20_events_is_marked_unstable(mid):
    # CIT officer on scene: 15 of the 75 BH calls (all have CIT recorded). 15 ≥ 11 is shown, 15 < 20 is unstable.
    rel = mid["rel"]
    assert shown(rel, "cit_bh_calls") == "15"
    assert shown(rel, "cit_coverage") == "20.0% †"
    table = release.public_headline(mid["con"], mid["filters"], mid["cfg"], rel=rel).set_index("key")
    assert table.loc["cit_coverage", "unstable"] and not table.loc["co_response_coverage", "unstable"]
    assert table.loc["cit_coverage", "value"] == pytest.approx(0.2)


def test_a_small_district_hides_one_more_district_but_not_the_headline(mid):
    table = release.public_breakdown(mid["con"], "volume_calls", mid["filters"], "district", cfg=mid["cfg"],
                                     rel=mid["rel"])
    bh = table[table["key"] == "bh_calls"].set_index("bucket")
    assert bh.loc["D3", "display"] == "suppressed"  # 5, in a district's row (never "<11" there)
    assert bh.loc["Total", "display"] == "75"
    assert bh.loc[["D1", "D2"], "suppressed"].sum() == 1  # 75 − 40 − 30 would give D3's 5 back
    assert bh.loc[["D1", "D2"], "display"].isin(["40", "30", "suppressed"]).all()
    co = table[table["key"] == "co_responded_bh_calls"].set_index("bucket")
    assert co.loc["D3", "display"] == "0"
    coverage = table[table["key"] == "co_response_coverage"].set_index("bucket")
    assert coverage.loc["D3", "display"] == "suppressed"  # 0 ÷ a hidden 5


def test_the_mid_size_release_passes_the_independent_audit(mid):
    rel = mid["rel"]
    table = rel.table
    hidden = {i for i, key in enumerate(table.labels) if rel.status[key]}
    assert hidden and not any(s == MASKED for (view, _, _), s in rel.status.items()
                              if view not in release.SELECTION_VIEWS)
    masked = frozenset(i for i, key in enumerate(table.labels) if rel.status[key] == MASKED)
    assert [table.labels[i] for i in readable_cells(table, hidden, rel.rules, masked)] == []


def test_the_unstable_mark_follows_the_configured_numerator(mid):
    cfg = dataclasses.replace(mid["cfg"], unstable_numerator=15)
    rel = release.build(mid["con"], mid["filters"], cfg)
    assert shown(rel, "cit_coverage") == "20.0%"  # 15 events: unstable below 20, stable from 15


def test_a_district_filter_keeps_hidden_what_the_district_table_hides(mid):
    rel = mid["rel"]
    hidden = [d for d in ("D1", "D2") if rel.state("district", d, "bh_calls") == COMPLEMENTARY]
    assert len(hidden) == 1  # 40 or 30 BH calls: not small, hidden to protect D3's 5
    district = hidden[0]
    alone = release.build(mid["con"], dataclasses.replace(mid["filters"], district=district), mid["cfg"])
    assert alone.values["bh_calls"] == {"D1": 40, "D2": 30}[district]
    assert shown(alone, "bh_calls") == "suppressed"  # else picking the district in the filter undoes it
    assert shown(alone, "co_response_coverage") == "suppressed"


def test_the_dashboard_formatter_prints_release_markers_like_the_exports():
    from pmhc import ui

    assert ui.fmt(Withheld("<11"), "count") == "<11"
    assert ui.fmt(Withheld(), "rate") == "suppressed"
    assert ui.fmt(Unstable(0.45), "rate") == release.format_value(Unstable(0.45), "rate") == "45.0% †"
    assert ui.fmt(Unstable(3.0), "days") == "3.0 days †"
    assert ui.fmt(0.45, "rate") == "45.0%"


# ------------------------------------------------------------------ outcomes counted on calls, by district and category

def test_outcomes_counted_on_calls_are_protected_by_district_and_call_type_with_the_calls_values():
    # The CAD-only layout (no clinician log): diversion is counted on the BH calls' recorded
    # outcome, so its district and call-type rows are the calls' counts (by hand, in
    # tests/test_breakdowns.py: Z1 3, Z2 4, Z3 2). They are cells of the release — not zeros
    # from the empty log with the calls' numbers shown beside them unchecked.
    from pmhc import config, profiles

    from .test_real_layouts import CAD, CAD_AGENCY
    from .union_attack import recovered

    cfg = dataclasses.replace(config.load_agency(CAD_AGENCY), suppression_threshold=3)
    con = db.connect(":memory:", cfg=cfg)
    try:
        profiles.import_with_profile(con, *CAD, cfg=cfg)
        cache: dict = {}
        periods = [Period.month(2024, m) for m in (1, 2, 3)] + [Period.quarter(2024, 1)]
        rels = [release.published(con, metrics.Filters(p), cfg, cache=cache) for p in periods]
        q1 = rels[-1]
        cells = {label[1]: q1.table.values[i] for i, label in enumerate(q1.table.labels)
                 if label[0] == "district" and label[2] == "diverted_contacts"}
        assert cells == {"Z1": 3, "Z2": 4, "Z3": 2}
        shown = q1.masked_frame(metrics.breakdown(con, "outcomes_contacts", q1.filters, "district", cfg), "district")
        for bucket, value in zip(shown["bucket"], shown["diverted_contacts"]):
            assert isinstance(value, Withheld) or value == cells[bucket]
        assert {label[1] for label in q1.table.labels if label[0] == "call_type"} >= {"MENTAL HEALTH",
                                                                                     "SUICIDAL PERSON"}
        beats = dict(con.execute("SELECT DISTINCT beat, district FROM call_facts").fetchall())
        assert recovered(rels, 3, beats=beats, bh_types=cfg.bh_call_types) == []
    finally:
        con.close()
