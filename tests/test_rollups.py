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
