"""The stored totals (queries/rollups.sql) give exactly the figures of the base tables.

The call figures read daily totals and the contact figures a stored copy of
encounter_facts, so that a year costs the same at 10 million calls as at 100 thousand.
These tests run the whole metrics layer twice — as shipped, and with every query
computing row by row from the base tables (tests/fixtures/row_level_figures.sql for
the call queries, the contact queries over the encounter_facts view) — and require the
same figures for every period, filter and breakdown the pages use; then they change the
data (re-import, overlapping import, arrests arriving later, a failed import, new BH
call types) and require the totals to follow without counting a call twice.
"""

from __future__ import annotations

import math
import re
from dataclasses import replace
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from pmhc import db, importer, metrics, rollups, sql
from pmhc.config import ROOT, load_agency
from pmhc.periods import Period
from pmhc.present import NotMeasured

from .conftest import SMALL, load_small
from .helpers import JAN_FEB

REFERENCE = sql.parse_file(Path(__file__).parent / "fixtures" / "row_level_figures.sql")
STORED = tuple(rollups.ROLLUPS)


# ---------------------------------------------------------------- the two ways

def _row_level(name: str) -> sql.Query:
    """The named query computed from the base tables instead of a stored table."""
    q = REFERENCE.get(name)
    if q is None:
        shipped = sql.catalog()[name]
        q = sql.Query(name, shipped.family, shipped.path,
                      re.sub(r"\bencounter_facts_stored\b", "encounter_facts", shipped.sql), shipped.doc)
    used = [t for t in STORED if re.search(rf"\b{t}\b", q.sql)]
    assert not used, f"row-level {name} still reads {used}"
    return q


def snapshot(con, filters: metrics.Filters, cfg) -> dict:
    """Everything the pages ask the metrics layer for, for one filter."""
    a = metrics.load_assumptions()
    out = {
        "headline": metrics.headline(con, filters, cfg, a),
        "monthly": metrics.monthly(con, filters, cfg),
        "heatmap": metrics.heatmap(con, filters),
        "outcome_mix": metrics.outcome_mix(con, filters, "month"),
        "repeat_people": metrics.repeat_people(con, filters, cfg),
        "savings_low": metrics.savings(con, filters, a, scenario="low"),
        "data_range": metrics.data_range(con),
        "districts": metrics.districts(con),
    }
    for query, bys in metrics.BREAKDOWNS.items():
        for by in bys:
            out[f"{query} by {by}"] = metrics.breakdown(con, query, filters, by, cfg)
    for by in ("total", "month", "district", "call_type", "beat"):  # outcomes on calls, where no log is loaded
        out[f"outcomes_from_calls by {by}"] = sql.df(con, "outcomes_from_calls", filters.params(by))
    return out


def row_level_snapshot(con, filters, cfg, monkeypatch) -> dict:
    with monkeypatch.context() as m:
        m.setattr(sql, "get", _row_level)
        return snapshot(con, filters, cfg)


def assert_same(stored: dict, base: dict, label: str) -> None:
    assert stored.keys() == base.keys()
    for part in stored:
        a, b = stored[part], base[part]
        where = f"{label}: {part}"
        if isinstance(a, pd.DataFrame):
            pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True),
                                          check_dtype=False, rtol=1e-9, atol=1e-9, obj=where)
        elif isinstance(a, dict):
            assert a.keys() == b.keys(), where
            for k in a:
                x, y = a[k], b[k]
                if isinstance(x, NotMeasured) or isinstance(y, NotMeasured):
                    assert repr(x) == repr(y), f"{where}: {k} {x!r} != {y!r}"  # same reason both ways
                elif x is None or y is None or isinstance(x, str):
                    assert x == y, f"{where}: {k} {x!r} != {y!r}"
                else:
                    assert math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-9), f"{where}: {k} {x!r} != {y!r}"
        else:
            assert a == b, where


def assert_figures_match_base_tables(con, filters_list, cfg, monkeypatch) -> None:
    for f in filters_list:
        assert_same(snapshot(con, f, cfg), row_level_snapshot(con, f, cfg, monkeypatch), f.label)


def total_calls_in_rollup(con) -> int:
    return con.execute("SELECT coalesce(sum(calls), 0) FROM call_day_rollup").fetchone()[0]


# ---------------------------------------------------------------- small fixture

SMALL_FILTERS = [
    JAN_FEB,
    metrics.Filters(Period.month(2024, 2)),  # C11: 03:30 UTC on 1 March is 29 February locally
    metrics.Filters(JAN_FEB.period, district="D1"),
    metrics.Filters(JAN_FEB.period, district="Unknown"),
    metrics.Filters(JAN_FEB.period, responder_type="clinician_liaison"),
    metrics.Filters(Period.calendar_year(2023)),
    metrics.Filters(Period.fiscal_year(2024, 7)),
    metrics.Filters(Period.months("2022-01", "2022-03")),  # nothing loaded
]


def test_every_figure_from_the_stored_totals_equals_the_base_tables_on_the_small_fixture(small_con, monkeypatch):
    assert_figures_match_base_tables(small_con, SMALL_FILTERS, load_agency(), monkeypatch)


def test_the_stored_totals_still_give_the_hand_computed_small_fixture_figures(small_con):
    h = metrics.headline(small_con, JAN_FEB)
    assert (h["calls_total"], h["bh_calls"], h["co_responded_bh_calls"]) == (9, 5, 3)
    assert h["officer_hours_returned"] == pytest.approx(2.75)
    assert h["net_cost_avoidance"] == pytest.approx(-52130.0)


def test_call_totals_hold_one_row_per_local_day_and_district(small_con):
    days = small_con.execute("SELECT call_date, district, calls FROM call_day_rollup ORDER BY ALL").fetchall()
    assert len(days) == len({(d, district) for d, district, _ in days})
    assert sum(n for *_, n in days) == 11  # every loaded call, once
    # C11 was received at 03:30 UTC on 1 March: 22:30 on 29 February in America/New_York
    assert (date(2024, 2, 29), "D2", 1) in days


# ---------------------------------------------------------------- generated data set

@pytest.fixture(scope="module")
def generated_files(tmp_path_factory):
    from pmhc.generate import generate

    return generate(tmp_path_factory.mktemp("generated"), seed=8, years=2, calls_per_year=6000,
                    start="2023-01-01", compress=False)


@pytest.fixture
def generated_con(generated_files, monkeypatch):
    """The generated files imported with the project's own agency settings."""
    monkeypatch.setenv("PMHC_CONFIG_DIR", str(ROOT / "config"))
    cfg = load_agency()
    con = db.connect(":memory:", cfg=cfg)
    for table in ("calls", "encounters", "arrests"):
        r = importer.import_file(con, generated_files[table], cfg=cfg)
        assert r.status == "loaded", r.summary()
    yield con, cfg
    con.close()


def test_every_figure_from_the_stored_totals_equals_the_base_tables_on_a_generated_data_set(generated_con,
                                                                                           monkeypatch):
    con, cfg = generated_con
    districts = metrics.districts(con)
    assert len(districts) >= 3 and total_calls_in_rollup(con) > 10_000
    filters = [metrics.Filters(Period.calendar_year(2024)),
               metrics.Filters(Period.months("2023-11", "2024-02")),
               metrics.Filters(Period.quarter(2024, 3), district=districts[1]),
               metrics.Filters(Period.fiscal_year(2024, cfg.fiscal_year_start_month), district=districts[-1],
                               responder_type="clinician_liaison"),
               metrics.Filters(Period.month(2024, 3))]  # the month the clocks go forward
    assert_figures_match_base_tables(con, filters, cfg, monkeypatch)


# ---------------------------------------------------------------- refreshed at import

def test_reimporting_the_same_files_leaves_every_total_unchanged(small_con, monkeypatch):
    before = snapshot(small_con, JAN_FEB, load_agency())
    load_small(small_con)
    assert total_calls_in_rollup(small_con) == 11
    assert_same(snapshot(small_con, JAN_FEB, load_agency()), before, "after re-import")


def test_an_overlapping_import_replaces_the_calls_it_repeats_in_the_totals(small_con, tmp_path, monkeypatch):
    # C02 corrected (no longer a BH call type, moved to D2) and one new BH call in February.
    lines = (SMALL / "calls.csv").read_text().splitlines()
    header, c02 = lines[0], next(line for line in lines if line.startswith("C02,"))
    fixed = c02.replace("SUICIDE THREAT", "THEFT").replace(",D1,D1-2,", ",D2,D2-1,")
    new = "C20,2024-02-12 09:00:00,MENTAL HEALTH CRISIS,2,D1,D1-1,,,,45,true,true,REFERRED,false"
    path = tmp_path / "calls_update.csv"
    path.write_text("\n".join([header, fixed, new]) + "\n")

    r = importer.import_file(small_con, path)

    assert (r.rows_new, r.rows_updated) == (1, 1)
    assert total_calls_in_rollup(small_con) == 12  # 11 + C20; C02 once
    h = metrics.headline(small_con, JAN_FEB)
    assert (h["calls_total"], h["bh_calls"], h["co_responded_bh_calls"]) == (10, 5, 4)  # − C02 + C20
    assert metrics.breakdown(small_con, "volume_calls", JAN_FEB, "district") \
        .set_index("bucket")["calls_total"].to_dict() == {"D1": 4, "D2": 5, "Unknown": 1}
    assert_figures_match_base_tables(small_con, [JAN_FEB, metrics.Filters(Period.month(2024, 2), "D1")],
                                     load_agency(), monkeypatch)


def test_arrests_imported_after_the_calls_reach_the_call_totals(tmp_path, monkeypatch):
    con = db.connect(":memory:")
    for name in ("calls", "encounters"):
        importer.import_file(con, SMALL / f"{name}.csv")
    # Before any arrest record is loaded the figure is not measured (issue 14), not 0.
    assert repr(metrics.headline(con, JAN_FEB)["bh_calls_with_arrest"]) == "NotMeasured('no arrest records loaded')"
    importer.import_file(con, SMALL / "arrests.csv")
    assert metrics.headline(con, JAN_FEB)["bh_calls_with_arrest"] == 2  # C02 (A1) and C04 (A3)
    assert_figures_match_base_tables(con, [JAN_FEB], load_agency(), monkeypatch)
    con.close()


def test_a_failed_import_leaves_the_previous_totals(small_con, tmp_path, monkeypatch):
    from pmhc import quality

    before = small_con.execute("SELECT * FROM call_day_rollup ORDER BY ALL").fetchall()
    path = tmp_path / "more_calls.csv"
    path.write_text((SMALL / "calls.csv").read_text().splitlines()[0]
                    + "\nC30,2024-01-07 10:00:00,SUICIDE THREAT,1,D1,D1-1,,,,50,true,true,REFERRED,false\n")

    def fail(*args, **kwargs):
        raise duckdb.IOException("disk full (simulated)")

    monkeypatch.setattr(quality, "record_import", fail)  # after the totals are rebuilt
    r = importer.import_file(small_con, path)

    assert r.status == "rejected"
    assert small_con.execute("SELECT * FROM call_day_rollup ORDER BY ALL").fetchall() == before
    assert metrics.headline(small_con, JAN_FEB)["calls_total"] == 9


def test_changing_the_bh_call_types_rebuilds_the_totals_at_the_next_calls_import(small_con, monkeypatch):
    cfg = load_agency()
    assert metrics.headline(small_con, JAN_FEB, cfg)["bh_calls"] == 5
    wider = replace(cfg, bh_call_types=cfg.bh_call_types + ("DISTURBANCE", "THEFT"))
    importer.import_file(small_con, SMALL / "calls.csv", cfg=wider)
    # + C03 and C11 (THEFT); C04 was BH already by its flag, C06 stays out by its flag
    assert metrics.headline(small_con, JAN_FEB, wider)["bh_calls"] == 7
    assert_figures_match_base_tables(small_con, [JAN_FEB], wider, monkeypatch)


def test_a_database_without_stored_totals_gets_them_when_opened_for_writing(small_db_path):
    con = duckdb.connect(str(small_db_path))
    con.execute("DROP TABLE call_day_rollup; DELETE FROM settings WHERE key = 'rollup:bh_hour_rollup'")
    con.close()

    con = db.connect(small_db_path)
    assert total_calls_in_rollup(con) == 11
    assert metrics.headline(con, JAN_FEB)["calls_total"] == 9
    con.close()


def test_totals_built_by_different_sql_are_rebuilt_and_the_same_sql_is_left_alone(small_con):
    assert rollups.ensure(small_con) == []
    small_con.execute("UPDATE settings SET value = 'older' WHERE key = 'rollup:call_day_rollup'")
    small_con.execute("UPDATE call_day_rollup SET calls = calls + 100")  # stale content
    assert rollups.ensure(small_con) == ["call_day_rollup"]
    assert total_calls_in_rollup(small_con) == 11


# ---------------------------------------------------------------- recomputed where an import touched

DELTA_CALLS = [
    # C02 corrected in January (no longer a BH call type, moved to D2) ...
    "C02,2024-01-10 14:00:00,THEFT,1,D2,D2-1,,2024-01-10 14:05:00,2024-01-10 15:35:00,120,false,true,ARREST,true",
    # ... and a new BH call in March, a month nothing was loaded for
    "C30,2024-03-04 08:00:00,MENTAL HEALTH CRISIS,2,D1,D1-1,,2024-03-04 08:10:00,2024-03-04 09:00:00,50,true,false,"
    "REFERRED,false",
]
DELTA_CONTACTS = [
    # P1 in crisis again in March (their repeat gap and follow-up facts change), on C30
    "E20,C30,2024-03-04,clinician_liaison,P1,on_scene,referred_outpatient,Harbor Counseling,40",
    # and followed up 3 days later
    "E21,,2024-03-07,follow_up_team,P1,follow_up,referred_outpatient,,15",
]
DELTA_ARRESTS = ["A6,C01,P1,2024-01-05 11:30:00,TRESPASS,misdemeanor,false"]  # a January call gets an arrest


def _delta_files(tmp_path: Path) -> list[Path]:
    out = []
    for name, rows in (("calls", DELTA_CALLS), ("encounters", DELTA_CONTACTS), ("arrests", DELTA_ARRESTS)):
        header = (SMALL / f"{name}.csv").read_text().splitlines()[0]
        path = tmp_path / f"{name}_march.csv"
        path.write_text("\n".join([header, *rows]) + "\n")
        out.append(path)
    return out


def test_an_import_touching_two_months_recomputes_them_and_equals_a_full_rebuild(small_con, tmp_path,
                                                                                   monkeypatch):
    built = []
    real_build = rollups.build
    monkeypatch.setattr(rollups, "build", lambda con, name, cfg=None: (built.append(name), real_build(con, name, cfg)))
    for path in _delta_files(tmp_path):
        r = importer.import_file(small_con, path)
        assert r.status == "loaded" and r.rows_quarantined == 0, r.summary()
    assert built == []  # nothing was rebuilt whole: the days and people touched were recomputed
    for name in rollups.ROLLUPS:
        assert rollups.rebuilt_equal(small_con, name), name
    # and the figures follow: C02 left the BH calls, C30 came in March
    march = metrics.headline(small_con, metrics.Filters(Period.month(2024, 3)))
    assert (march["calls_total"], march["bh_calls"], march["contacts_total"]) == (1, 1, 2)
    assert metrics.headline(small_con, JAN_FEB)["bh_calls"] == 4


def test_a_run_of_several_files_updates_the_stored_totals_once_at_its_end(small_db_path, tmp_path, monkeypatch):
    from pmhc import imports

    updates = []
    real_update = rollups.update
    monkeypatch.setattr(rollups, "update", lambda con, cfg=None: updates.append(real_update(con, cfg)))
    run = imports.run(_delta_files(tmp_path), db_path=small_db_path)
    assert [r.status for r in run.reports] == ["loaded"] * 3
    assert len(updates) == 1 and "call_day_rollup" in updates[0] and "encounter_facts_stored" in updates[0]
    con = db.connect(small_db_path, read_only=True)
    try:
        for name in rollups.ROLLUPS:
            assert rollups.rebuilt_equal(con, name), name
    finally:
        con.close()


def test_a_first_import_builds_each_stored_table_whole(tmp_path):
    con = db.connect(":memory:")
    importer.import_file(con, SMALL / "calls.csv")
    assert total_calls_in_rollup(con) == 11
    for name in rollups.ROLLUPS:
        assert rollups.rebuilt_equal(con, name), name
    con.close()


# ---------------------------------------------------------------- stored per-person facts

def test_each_crisis_contact_stores_its_repeat_gap_and_days_to_follow_up(small_con):
    """By hand from tests/fixtures/small/encounters.csv, with min_contacts = 2: the gap is
    the days since the person's previous crisis contact; follow-up is the first follow-up
    or referral contact 1–14 days later."""
    facts = {r[0]: r[1:] for r in small_con.execute(
        "SELECT encounter_id, crisis_seq, repeat_gap_days, days_to_follow_up, followed_up_14d "
        "FROM encounter_facts_stored").fetchall()}
    assert facts["E08"] == (1, None, None, False)  # P1's first; E03 is 23 days later
    assert facts["E01"] == (2, 16, 7, True)  # 2023-12-20 → 2024-01-05; E03 on 01-12
    assert facts["E02"] == (3, 5, 2, True)  # 01-05 → 01-10; E03 on 01-12
    assert facts["E11"] == (1, None, None, False)  # P2's first (2023-09-01)
    assert facts["E04"] == (2, 141, 12, True)  # 2023-09-01 → 2024-01-20; E06 on 02-01
    assert facts["E05"] == (1, None, None, False)  # P3's referral E09 came before it
    assert facts["E10"] == (2, 341, None, False)  # P4: 2023-03-01 → 2024-02-05
    assert facts["E07"] == (None, None, None, None)  # no person: not a crisis contact of anyone
    assert facts["E03"][:2] == (None, None)  # a follow-up is not a crisis contact


def test_stored_person_facts_after_an_import_equal_those_of_a_scan_from_scratch(small_con, tmp_path):
    for path in _delta_files(tmp_path):
        importer.import_file(small_con, path)
    facts = dict(small_con.execute("SELECT encounter_id, repeat_gap_days FROM encounter_facts_stored "
                                   "WHERE crisis_seq IS NOT NULL").fetchall())
    assert facts["E20"] == 54  # P1: 2024-01-10 (E02) → 2024-03-04
    follow = dict(small_con.execute("SELECT encounter_id, days_to_follow_up FROM encounter_facts_stored "
                                    "WHERE crisis_seq IS NOT NULL").fetchall())
    assert follow["E20"] == 3
    assert rollups.rebuilt_equal(small_con, "encounter_facts_stored")


def test_another_min_contacts_reads_the_contacts_without_the_stored_gap(small_con, monkeypatch):
    cfg = load_agency()
    three = replace(cfg, repeat_min_contacts=3)
    assert rollups.stored_min_contacts(small_con) == 2
    names = []
    real = sql.df
    monkeypatch.setattr(sql, "df", lambda con, name, params=None: (names.append(name), real(con, name, params))[1])
    h = metrics.run(small_con, "repeat_contacts", metrics.Filters(Period.months("2023-01", "2024-02")), cfg=three)
    assert names == ["repeat_contacts_any_n"]
    # P1 is the only person with three crisis contacts (E08, E01, E02 within 21 days)
    assert int(h.iloc[0]["repeat_people_90d"]) == 1


# ---------------------------------------------------------------- agencies of a hub

def _two_agencies():
    """The small fixture imported for two agencies into one database: the same incident
    numbers and pseudonyms in each, so two sets of calls and two sets of people."""
    con = db.connect(":memory:")
    base = load_agency()
    north, south = replace(base, key="north"), replace(base, key="south")
    for cfg in (north, south):
        for name in ("calls", "encounters", "arrests"):
            r = importer.import_file(con, SMALL / f"{name}.csv", cfg=cfg)
            assert r.status == "loaded" and r.rows_quarantined == 0, r.summary()
    return con, north, south


def _rows_of(con, agency: str) -> dict[str, list[str]]:
    return {name: sorted(map(repr, con.execute(f"SELECT * FROM {name} WHERE agency = $a", {"a": agency}).fetchall()))
            for name in rollups.ROLLUPS}


def test_an_agencys_import_recomputes_only_its_own_days_and_leaves_the_other_agencys_totals(tmp_path, monkeypatch):
    con, north, south = _two_agencies()
    before = _rows_of(con, "north")
    recomputed = []
    real_by_days = rollups._by_days

    def by_days(con, name, column, days):
        recomputed.append((name, {r[0] for r in con.execute(f"SELECT DISTINCT agency FROM {days}").fetchall()}))
        return real_by_days(con, name, column, days)

    monkeypatch.setattr(rollups, "_by_days", by_days)
    for path in _delta_files(tmp_path):
        r = importer.import_file(con, path, cfg=south)
        assert r.status == "loaded" and r.rows_quarantined == 0, r.summary()
    assert {name for name, _ in recomputed} >= {"call_day_rollup", "arrest_day_rollup", "contact_day_rollup"}
    assert all(agencies == {"south"} for _, agencies in recomputed), recomputed
    assert _rows_of(con, "north") == before
    for name in rollups.ROLLUPS:
        assert rollups.rebuilt_equal(con, name), name
    # south: C02 left the BH calls and C30 came in March (as in the one-agency test above);
    # north's figures are the small fixture's as they were
    march = Period.month(2024, 3)
    assert metrics.headline(con, metrics.Filters(march, agencies=("south",)))["calls_total"] == 1
    assert metrics.headline(con, metrics.Filters(march, agencies=("north",)))["calls_total"] == 0
    assert metrics.headline(con, replace(JAN_FEB, agencies=("south",)))["bh_calls"] == 4
    assert metrics.headline(con, replace(JAN_FEB, agencies=("north",)))["bh_calls"] == 5
    assert metrics.headline(con, replace(JAN_FEB, agencies=("north", "south")))["bh_calls"] == 9
    con.close()


def test_the_same_pseudonym_in_two_agencies_is_two_people_in_the_stored_contact_facts():
    con, _north, _south = _two_agencies()
    people = con.execute("SELECT count(DISTINCT person_key), count(DISTINCT person_no) FROM encounter_facts_stored "
                         "WHERE person_key IS NOT NULL").fetchall()[0]
    assert people[1] == 2 * people[0]
    # and each agency's repeat gaps are its own contacts' (E01: P1's 2023-12-20 → 2024-01-05)
    gaps = con.execute("SELECT agency, repeat_gap_days FROM encounter_facts_stored WHERE encounter_id = 'E01' "
                       "ORDER BY agency").fetchall()
    assert gaps == [("north", 16), ("south", 16)]
    con.close()
