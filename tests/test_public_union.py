"""Public figures hold across every view a viewer can combine (issue 16, item 1).

Each public release protects its own table; a viewer can open several. Tried on the
sample data as an adversary would: with each period protected on its own, Q1 2025 minus
January minus February gives March exactly, and 62 counts of 1 to 10 hidden in the month
releases come back. `release.published` protects each quarter, calendar year and fiscal
year together with its months (and every district and responder-type selection with its
all-districts row); `tests/union_attack.py` puts every cell of the views a viewer can
reach into one table with every relation between them and asks the independent solver of
test_suppression which hidden counts can be worked out. The answer must be none.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pmhc import db, importer, metrics, release, schema
from pmhc.config import load_agency
from pmhc.periods import Period
from pmhc.release import DERIVED, DERIVED_HIDDEN, HEADLINE

from .union_attack import recovered

ROOT = Path(__file__).resolve().parent.parent
Q1 = [Period.month(2025, m) for m in (1, 2, 3)] + [Period.quarter(2025, 1)]


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    """The committed sample data with its own agency settings, and one cache of published
    releases shared by the tests (a viewer's views are one set of releases too)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PMHC_CONFIG_DIR", str(ROOT / "config"))
        mp.setenv("PMHC_PERSON_KEY_SECRET", "test-secret-not-for-real-data")
        con = db.connect(tmp_path_factory.mktemp("union") / "sample.duckdb")
        for p in sorted((ROOT / "sample_data").glob("*.csv.gz")):
            assert importer.import_file(con, p).status == "loaded"
        cfg = load_agency()
        try:
            yield con, cfg, {}
        finally:
            con.close()


@pytest.fixture(scope="module")
def knows(sample):
    """What a reader knows besides the releases: the beat map (which district each beat
    lies in) and the agency's published BH call-type list."""
    con, cfg, _ = sample
    beats = dict(con.execute("SELECT DISTINCT beat, district FROM call_facts").fetchall())
    return {"beats": beats, "bh_types": cfg.bh_call_types}


def published(sample, period, district=None, responder=None):
    con, cfg, cache = sample
    return release.published(con, metrics.Filters(period, district, responder), cfg, cache=cache)


def test_releases_protected_one_period_at_a_time_give_march_away(sample):
    # Guards the attacker: the old way (each period on its own) is caught — Q1 − Jan − Feb = Mar.
    con, cfg, _ = sample
    own = [release.build(con, metrics.Filters(p), cfg) for p in Q1]
    found = recovered(own)
    march = (Period.month(2025, 3).start, Period.month(2025, 3).end)
    assert len(found) >= 20
    assert any(key[0] == march for key in found)


def test_a_quarter_and_its_months_give_no_small_count_away(sample, knows):
    assert recovered([published(sample, p) for p in Q1], **knows) == []


def test_a_district_selection_across_a_quarter_and_its_months_gives_no_small_count_away(sample, knows):
    rels = [published(sample, p, d) for p in Q1 for d in (None, "D3")]
    assert recovered(rels, **knows) == []


def test_a_responder_type_selection_across_a_quarter_and_its_months_gives_no_small_count_away(sample, knows):
    rels = [published(sample, p, None, r) for p in Q1 for r in (None, "counseling_intern")]
    assert recovered(rels, **knows) == []


def test_call_type_and_beat_views_are_in_the_union_and_give_no_small_count_away(sample, knows):
    # The quarter and its months by call type and by beat (rows of every call type and beat
    # the export has), with the beat map and the BH list known: nothing from 1 to 10 comes back.
    rels = [published(sample, p) for p in Q1]
    views = {label[0] for rel in rels for label in rel.table.labels}
    assert {"call_type", "beat"} <= views
    hidden = [label for rel in rels for label, s in rel.status.items() if s and label[0] in ("call_type", "beat")]
    assert len(hidden) > 100  # most beats' small counts are hidden: the attack has something to try
    assert recovered(rels, **knows) == []


def test_without_tying_beats_to_their_districts_a_reader_who_knows_the_map_gets_small_counts(sample, knows,
                                                                                             monkeypatch):
    # Guards the attacker and the relation: January 2025 protected without the beat-in-district
    # relation gives counts away to a reader who knows which district each beat is in (D1's
    # unknown outcomes = D1 − its other beats), and none to one who does not.
    con, cfg, _ = sample
    monkeypatch.setattr(release, "_beats_in_districts", lambda *a, **k: None)
    rel = release.build(con, metrics.Filters(Period.month(2025, 1)), cfg)
    assert recovered([rel], **knows)
    assert recovered([rel]) == []


def test_a_district_or_responder_selection_publishes_no_call_type_or_beat_view(sample):
    for d, r in (("D3", None), (None, "counseling_intern")):
        rel = published(sample, Period.month(2025, 1), d, r)
        assert not [label for label in rel.table.labels if label[0] in ("call_type", "beat")]
        # a page asking anyway gets withheld cells, never an unchecked number
        assert isinstance(rel.marked("call_type", "MENTAL HEALTH CRISIS", "bh_calls", 14), release.Withheld)


def test_a_quarter_shows_only_what_its_months_already_show(sample):
    q = published(sample, Period.quarter(2025, 1))
    months = [published(sample, p) for p in Q1[:3]]
    for key, state in q.status.items():
        view, bucket, col = key
        if state is None and view == HEADLINE:
            assert all(m.status.get(key) is None for m in months), f"{col} shown for Q1 but hidden in a month"


def test_a_small_count_of_a_quarter_says_suppressed_not_under_11(sample):
    q = published(sample, Period.quarter(2025, 1))
    small = [k for k, s in q.status.items() if s and 0 < (q.table.values[q.table.index(k)]) < 11]
    assert small and all(q.marked(*k, 1).display == release.SUPPRESSED_TEXT for k in small)


def test_rates_of_a_quarter_follow_their_counts(sample):
    q = published(sample, Period.quarter(2025, 1), "D3")
    for key, d in DERIVED.items():
        if any(q.status.get((HEADLINE, "all", dep)) for dep in d.depends):
            assert q.state(HEADLINE, "all", key) == DERIVED_HIDDEN, key


def test_only_months_quarters_and_calendar_and_fiscal_years_are_published():
    assert release.is_published(Period.month(2025, 3))
    assert release.is_published(Period.quarter(2025, 1))
    assert release.is_published(Period.calendar_year(2024))
    assert release.is_published(Period.fiscal_year(2025, 7), fiscal_year_start_month=7)
    assert not release.is_published(Period.months("2025-01", "2025-02"))
    assert not release.is_published(Period.months("2024-03", "2025-02"), fiscal_year_start_month=7)
    assert not release.is_published(Period.months("2025-02", "2025-04"))  # three months, not a quarter
    with pytest.raises(ValueError, match="not a published period"):
        release.published(None, metrics.Filters(Period.months("2025-01", "2025-02")))


def test_a_public_viewer_asking_for_a_month_range_gets_its_last_month(small_db_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("PMHC_DEMO", "1")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.session_state["role"] = "public"
    for k, v in {"period": "months", "from": "2024-01", "to": "2024-02"}.items():
        at.query_params[k] = v
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    caption = at.caption[0].value
    assert "February 2024" in caption and "Jan 2024–Feb 2024" not in caption
    assert any("published for whole months, quarters, years and the grant periods" in c.value
               for c in at.sidebar.caption)


def test_a_grant_period_across_the_new_year_and_its_months_give_no_small_count_away(sample, tmp_path_factory):
    # Published as the administrator does: Nov 2024 – Jan 2025 (not a quarter, across two
    # calendar years) on a copy of the sample database, then held against its three months.
    import shutil

    from pmhc import publication

    con, cfg, cache = sample
    path = tmp_path_factory.mktemp("grant") / "sample.duckdb"
    con.execute("CHECKPOINT")
    shutil.copyfile(con.execute("SELECT path FROM duckdb_databases() WHERE database_name = current_database()")
                    .fetchall()[0][0], path)
    publication.publish("Winter grant", "2024-11", "2025-01", who="os:test", db_path=path)
    copy = db.connect(path, read_only=True)
    try:
        (g,) = publication.grant_periods(copy)
        rels = [release.published(copy, metrics.Filters(p), cfg, cache=cache)
                for p in [*release.months_of(g.period), g.period]]
    finally:
        copy.close()
    assert recovered(rels) == []


@pytest.fixture(scope="module")
def small_published(tmp_path_factory):
    """The hand-made fixture at threshold 3 (so counts of 3 and more are shown), with two grant
    periods published as the administrator does: Oct 2023 – Sep 2024, which overlaps both
    calendar years and both fiscal years (FY2024 is July 2023 – June 2024), and the winter
    Dec 2023 – Feb 2024 inside it, across the new year."""
    import dataclasses

    from pmhc import publication

    from .conftest import small_config, load_small

    path = tmp_path_factory.mktemp("small_published") / "small.duckdb"
    with small_config():
        con = db.connect(path)
        load_small(con)
        con.close()
        publication.publish("Federal grant 2023-24", "2023-10", "2024-09", who="os:test", db_path=path)
        publication.publish("Winter pilot", "2023-12", "2024-02", who="os:test", db_path=path)
        cfg = dataclasses.replace(load_agency(), suppression_threshold=3)
        con = db.connect(path, read_only=True)
        try:
            yield con, cfg, [g.period for g in publication.grant_periods(con)]
        finally:
            con.close()


def test_a_grant_period_protected_on_its_own_gives_a_month_away(small_published):
    # Guards the attacker (and says why grant periods are published, not any range): a grant
    # period released on its own, next to its published months, is their sum plus what it hides.
    con, cfg, grants = small_published
    federal = next(g for g in grants if g.name.startswith("Federal"))
    cache: dict = {}
    months = [release.published(con, metrics.Filters(m), cfg, cache=cache) for m in release.months_of(federal)]
    assert recovered(months + [release.build(con, metrics.Filters(federal), cfg)], threshold=3)


def test_grant_periods_with_every_month_quarter_calendar_and_fiscal_year_give_no_small_count_away(small_published):
    con, cfg, grants = small_published
    months = [Period.month(y, m) for y in (2023, 2024) for m in range(1, 13)] + \
        [Period.month(2025, m) for m in range(1, 7)]
    quarters = [Period.quarter(y, q) for y in (2023, 2024) for q in range(1, 5)] + \
        [Period.quarter(2025, q) for q in (1, 2)]
    fy = cfg.fiscal_year_start_month
    years = [Period.calendar_year(2023), Period.calendar_year(2024), Period.fiscal_year(2024, fy),
             Period.fiscal_year(2025, fy)]
    cache: dict = {}
    rels = [release.published(con, metrics.Filters(p), cfg, cache=cache) for p in months + quarters + years + grants]
    assert recovered(rels, threshold=3) == []


def test_a_district_selection_across_grant_periods_and_their_months_gives_no_small_count_away(small_published):
    con, cfg, grants = small_published
    cache: dict = {}
    periods = [Period.month(y, m) for y, m in ((2023, 12), (2024, 1), (2024, 2), (2024, 3))] + grants
    rels = [release.published(con, metrics.Filters(p, d), cfg, cache=cache) for p in periods for d in (None, "D1")]
    assert recovered(rels, threshold=3) == []


def test_calendar_and_fiscal_years_with_their_quarters_and_months_give_no_small_count_away():
    # The hand-made fixture at threshold 3 (so counts of 3 and more are shown): FY2024 runs
    # July 2023 – June 2024 and overlaps both calendar years, so with each period protected
    # on its own FY2024 − 2024 gives December 2023 (16 counts of 1–2 came back that way).
    import dataclasses

    from .conftest import SMALL_CONFIG, load_small

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PMHC_CONFIG_DIR", str(SMALL_CONFIG))
        mp.setenv("PMHC_PERSON_KEY_SECRET", "test-secret-not-for-real-data")
        con = db.connect(":memory:")
        load_small(con)
        cfg = dataclasses.replace(load_agency(), suppression_threshold=3)
    months = [Period.month(2023, m) for m in range(1, 13)] + [Period.month(2024, m) for m in range(1, 7)]
    quarters = [Period.quarter(2023, q) for q in range(1, 5)] + [Period.quarter(2024, q) for q in (1, 2)]
    years = [Period.calendar_year(2023), Period.calendar_year(2024),
             Period.fiscal_year(2024, cfg.fiscal_year_start_month)]
    cache: dict = {}
    try:
        rels = [release.published(con, metrics.Filters(p), cfg, cache=cache) for p in months + quarters + years]
        assert recovered(rels, threshold=3) == []
    finally:
        con.close()


# ---------------------------------------------------------------- every district and responder type at once

def _selections(con):
    districts = [d for (d,) in con.execute("SELECT DISTINCT district FROM call_facts ORDER BY 1").fetchall()]
    return [(None, None)] + [(d, None) for d in districts] + [(None, r) for r in schema.RESPONDER_TYPES]


def test_every_district_and_responder_type_of_a_month_together_give_no_small_count_away(sample, knows):
    # A viewer opening January 2025 for all districts, for each district in turn and for each
    # responder type in turn holds every row of district × responder type (and × kind of
    # contact, × hour, × outcome) if those releases publish their own breakdowns: 58 counts
    # of 1–10 came back that way. Filtered releases publish their figures and months only.
    con, *_ = sample
    rels = [published(sample, Period.month(2025, 1), d, r) for d, r in _selections(con)]
    assert len(rels) >= 12
    assert recovered(rels, **knows) == []


def test_releases_with_their_own_breakdowns_give_small_counts_away(sample, monkeypatch):
    # Guards the attacker: with each district's and responder type's release holding its own
    # breakdowns (by responder type, kind of contact, outcome), the union gives counts back.
    con, cfg, _ = sample
    monkeypatch.setattr(release, "SELECTION_BYS", release.BYS)
    cache: dict = {}
    rels = [release.published(con, metrics.Filters(Period.month(2025, 1), d, r), cfg, cache=cache)
            for d, r in _selections(con)]
    assert len(recovered(rels)) >= 10


def test_every_district_and_responder_type_across_grant_periods_quarters_and_months_give_no_small_count_away(
        small_published):
    con, cfg, grants = small_published
    cache: dict = {}
    periods = [Period.month(y, m) for y, m in ((2023, 12), (2024, 1), (2024, 2), (2024, 3))] + \
        [Period.quarter(2024, 1), Period.calendar_year(2024), Period.fiscal_year(2024, cfg.fiscal_year_start_month)] + \
        grants
    rels = [release.published(con, metrics.Filters(p, d, r), cfg, cache=cache)
            for p in periods for d, r in _selections(con)]
    assert recovered(rels, threshold=3) == []


def test_a_public_selection_of_a_district_and_a_responder_type_together_is_refused(sample):
    with pytest.raises(ValueError, match="one at a time"):
        published(sample, Period.month(2025, 1), "D3", "counseling_intern")


def test_a_district_release_says_its_breakdown_by_responder_type_is_not_published(sample):
    rel = published(sample, Period.month(2025, 1), "D3")
    assert {label[0] for label in rel.table.labels} <= {HEADLINE, "month", "mix:total", "mix:month"}
    for view, bucket, col in (("responder_type", "counseling_intern", "contacts_total"),
                              ("contact_type", "on_scene", "contacts_total"), ("heatmap", (1, 9), "bh_calls"),
                              ("mix:responder_type", "counseling_intern", "resolved_on_scene")):
        marked = rel.marked(view, bucket, col, 25)
        assert isinstance(marked, release.Withheld) and marked.display == "not published", view
        assert "all districts and responder types together" in marked.reason


def test_a_public_viewer_picking_a_district_and_a_responder_type_sees_the_district(small_db_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("PMHC_DEMO", "1")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.session_state["role"] = "public"
    for k, v in {"period": "months", "from": "2024-01", "to": "2024-01", "district": "D1",
                 "responder": "counseling_intern"}.items():
        at.query_params[k] = v
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("one at a time: showing district D1 for all responder types" in c.value for c in at.sidebar.caption)
    assert "responder" not in at.query_params
