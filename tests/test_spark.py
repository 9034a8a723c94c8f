"""The same figures on Apache Spark: queries/*.sql translated by sqlglot, run by pyspark in
local mode over the Parquet copy, give exactly the DuckDB figures.

One Spark session (local[2]) serves the module. The Parquet copy holds two agencies, as a
regional hub's would: the small fixture (Fixture City Police Department, America/New_York;
figures by hand in tests/test_metrics.py) and the CAD-only export with a disposition map
(Fixture County Sheriff, America/Chicago; figures by hand in tests/test_real_layouts.py).
Each engine reads its own agency's folders with its own settings, so a figure that mixed
the two would fail here.

Marked `spark`: `pytest -m spark` runs these alone (they need Java 17+, which
scripts/ensure-java.sh installs and `make test` runs first).
"""

from __future__ import annotations

import json
import shutil
from datetime import date

import pandas as pd
import pytest

from pmhc import cli, db, evaluation, figures_cli, importer, metrics, parquet, profiles, sql
from pmhc import spark as pmhc_spark
from pmhc import spark_sql
from pmhc.config import load_agency
from pmhc.periods import Period

from .conftest import SMALL, load_small, small_config
from .helpers import JAN_FEB
from .test_real_layouts import CAD, CAD_AGENCY

pytestmark = [
    pytest.mark.spark,
    # pyspark's own pandas conversion is untested with pandas 3; results here travel as Arrow
    pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas:FutureWarning"),
]

# The named queries that are not figures read on Spark, and why.
NOT_ON_SPARK = {
    # the import bookkeeping (imports, quarantine) of one database: the copy holds data, not its import history
    **{name: "import bookkeeping" for name, q in sql.catalog().items() if q.family == "quality"},
    # the Settings page's codes in the loaded calls: administration of the agency's own database
    **{name: "settings page" for name, q in sql.catalog().items() if q.family == "settings"},
    # views and stored totals: attach builds them on Spark (checked below, not run as figures)
    **{name: "view or stored total" for name, q in sql.catalog().items() if q.family in ("models", "rollups")},
}
# Selections besides January–February 2024 (whose every breakdown the pages ask for is run):
# the month where a call received at 03:30 UTC on 1 March counts in February locally, one
# district, one responder type, and a period with nothing loaded.
OTHER_FILTERS = [
    metrics.Filters(Period.month(2024, 2)),
    metrics.Filters(JAN_FEB.period, district="D1"),
    metrics.Filters(JAN_FEB.period, responder_type="clinician_liaison"),
    metrics.Filters(Period.months("2022-01", "2022-03")),
]


class Recorder:
    """Runs the named queries on DuckDB and keeps each (query, parameters) the metrics
    layer asks for, to be asked of Spark in turn."""

    def __init__(self, con):
        self.con = con
        self.asked: dict[tuple, tuple[sql.Query, dict]] = {}

    def _note(self, q: sql.Query, params: dict) -> None:
        self.asked.setdefault((q.name, tuple(sorted(params.items()))), (q, params))

    def df(self, q: sql.Query, params: dict) -> pd.DataFrame:
        self._note(q, params)
        return self.con.execute(q.sql, params).df()

    def records(self, q: sql.Query, params: dict) -> list[dict]:
        self._note(q, params)
        res = self.con.execute(q.sql, params)
        cols = [d[0] for d in res.description]
        return [dict(zip(cols, r)) for r in res.fetchall()]

    def close(self) -> None:
        pass


# ---------------------------------------------------------------- fixtures

def _java_or_fail() -> None:
    java = shutil.which("java")
    if java is None:
        pytest.fail("Java 17+ is needed for the Spark tests: run `sh scripts/ensure-java.sh` (or `make test`)")


@pytest.fixture(scope="module")
def spark():
    _java_or_fail()
    with small_config():
        session = pmhc_spark.session("local[2]")
    yield session
    session.stop()


@pytest.fixture(scope="module")
def hub(spark, tmp_path_factory):
    """A Parquet copy holding both agencies; DuckDB databases of each; the small agency's engine."""
    out = tmp_path_factory.mktemp("hub")
    with small_config():
        small_cfg = load_agency()
        small = db.connect(":memory:", cfg=small_cfg)
        load_small(small)
        parquet.export(small, out, small_cfg)
        cad_cfg = load_agency(CAD_AGENCY)
        cad = db.connect(":memory:", cfg=cad_cfg)
        assert all(r.status == "loaded" for r in profiles.import_with_profile(cad, *CAD, cfg=cad_cfg))
        parquet.export(cad, out, cad_cfg)
        engine = pmhc_spark.connect(out, small_cfg, spark=spark)
        yield {"out": out, "small": small, "small_cfg": small_cfg, "cad": cad, "cad_cfg": cad_cfg,
               "engine": engine}
        engine.close()
        small.close()
        cad.close()


def assert_same_frame(on_spark: pd.DataFrame, on_duckdb: pd.DataFrame, where: str) -> None:
    """Exactly equal: same columns, dtypes, order and values (no tolerance)."""
    pd.testing.assert_frame_equal(on_spark, on_duckdb, check_exact=True, obj=where)


# ---------------------------------------------------------------- every figure query

def test_every_figure_query_gives_exactly_the_duckdb_result_on_spark(hub):
    cfg = hub["small_cfg"]
    with small_config():
        rec = Recorder(hub["small"])
        assumptions = metrics.load_assumptions()
        # everything the pages ask for January–February 2024, every breakdown included
        metrics.headline(rec, JAN_FEB, cfg, assumptions)
        metrics.monthly(rec, JAN_FEB, cfg)
        metrics.heatmap(rec, JAN_FEB)
        metrics.outcome_mix(rec, JAN_FEB, "month")
        metrics.repeat_people(rec, JAN_FEB, cfg)
        metrics.savings(rec, JAN_FEB, assumptions, scenario="low")
        metrics.data_range(rec)
        metrics.districts(rec)
        for by in ("total", "month", "district", "call_type", "beat"):  # read where no clinician log is loaded
            sql.df(rec, "outcomes_from_calls", JAN_FEB.params(by))
        for query, bys in metrics.BREAKDOWNS.items():
            for by in bys:
                metrics.breakdown(rec, query, JAN_FEB, by, cfg)
        for by in ("total", "month"):  # repeat contacts for a $min_contacts other than the stored facts'
            sql.df(rec, "repeat_contacts_any_n",
                   {**JAN_FEB.params(by), **metrics._repeat_params(cfg), "min_contacts": cfg.repeat_min_contacts + 1})
        sql.one(rec, "savings_counts", {**JAN_FEB.params(), "district": None})  # the public release's audit
        for district in (None, "D1"):  # the public release ties beats to their districts
            sql.df(rec, "beat_districts", {**JAN_FEB.period.params(), "district": district})
        evaluation.load_panel(rec)
        # the figures of `pmhc figures` for the other selections
        for f in OTHER_FILTERS:
            figures_cli.collect(rec, f, cfg)
    asked = {name for name, _ in rec.asked}
    assert asked == set(sql.catalog()) - set(NOT_ON_SPARK), "every figure query is run on Spark"
    differ = []
    for (name, params), (q, bound) in rec.asked.items():
        try:
            assert_same_frame(hub["engine"].df(q, bound), hub["small"].execute(q.sql, bound).df(),
                              f"{q.location} with {dict(params)}")
        except AssertionError as e:
            differ.append(str(e))
    assert not differ, f"{len(differ)} of {len(rec.asked)} differ:\n" + "\n\n".join(differ)


def test_pmhc_figures_on_spark_prints_the_duckdb_figures(hub, small_db_path, tmp_path, capsys):
    out = tmp_path / "copy"
    assert cli.main(["export-parquet", "--db", str(small_db_path), "--out", str(out)]) == 0
    capsys.readouterr()
    args = ["figures", "--from", "2024-01", "--to", "2024-02", "--format", "json"]
    assert cli.main(args + ["--engine", "spark", "--parquet", str(out)]) == 0
    on_spark = capsys.readouterr().out
    assert cli.main(args + ["--db", str(small_db_path)]) == 0
    on_duckdb = capsys.readouterr().out
    assert on_spark == on_duckdb
    assert json.loads(on_spark)["figures"]["calls_total"]["value"] == 9


def test_the_spark_engine_gives_the_hand_computed_small_fixture_figures(hub):
    with small_config():
        h = metrics.headline(hub["engine"], JAN_FEB, hub["small_cfg"])
    assert (h["calls_total"], h["bh_calls"], h["co_responded_bh_calls"], h["people_served"]) == (9, 5, 3, 4)
    assert h["involuntary_holds"] == 1
    assert h["diversion_rate"] == 5 / 8
    assert h["officer_hours_returned"] == 2.75
    assert h["net_cost_avoidance"] == pytest.approx(-52130.0, abs=1e-9)


def test_a_call_received_after_midnight_utc_counts_on_the_local_day_on_spark(hub):
    # C11: 03:30 UTC on 1 March is 22:30 on 29 February in America/New_York
    with small_config():
        feb = metrics.headline(hub["engine"], metrics.Filters(Period.month(2024, 2)), hub["small_cfg"])
        march = metrics.headline(hub["engine"], metrics.Filters(Period.month(2024, 3)), hub["small_cfg"])
    assert (feb["calls_total"], march["calls_total"]) == (5, 0)  # C05–C08 and C11


# ---------------------------------------------------------------- agencies in one copy

def test_each_agency_reads_only_its_own_rows_and_settings_from_a_shared_copy(hub, spark):
    cad_cfg = hub["cad_cfg"]
    assert parquet.agencies(hub["out"]) == sorted([hub["small_cfg"].agency_key, cad_cfg.agency_key])
    engine = pmhc_spark.connect(hub["out"], cad_cfg, spark=spark.newSession())
    try:
        jan_feb = metrics.Filters(Period.months("2024-01", "2024-02"))
        on_spark = engine.df(sql.get("outcomes_from_calls"), {**jan_feb.params(), "district": None})
        on_duckdb = sql.df(hub["cad"], "outcomes_from_calls", jan_feb.params())
        assert_same_frame(on_spark, on_duckdb, "outcomes_from_calls, CAD-only agency")
        row = on_spark.iloc[0]
        # by hand (tests/test_real_layouts.py): the disposition map stored with the copy decides
        assert (row.bh_calls, row.bh_calls_outcome_known, row.diverted_calls, row.care_connected_calls,
                row.involuntary_hold_calls, row.ed_transport_calls, row.arrested_calls) == (18, 16, 9, 5, 3, 5, 2)
    finally:
        engine.close()


def test_an_agency_missing_from_the_copy_is_named_with_the_ones_it_holds(hub, spark):
    from dataclasses import replace

    other = replace(hub["small_cfg"], key="harbor-city")
    with pytest.raises(FileNotFoundError, match=r"no rows of agency 'harbor-city'.*holds 'fixture-city"):
        pmhc_spark.connect(hub["out"], other, spark=spark.newSession())


# ---------------------------------------------------------------- stored totals and time zone

def test_the_stored_totals_computed_by_spark_from_the_rows_equal_duckdbs(hub, spark, tmp_path):
    rows_only = tmp_path / "rows-only"
    shutil.copytree(hub["out"], rows_only)
    for name in ("call_day_rollup", "bh_hour_rollup", "encounter_facts_stored"):
        shutil.rmtree(rows_only / name)
    engine = pmhc_spark.connect(rows_only, hub["small_cfg"], spark=spark.newSession())
    try:
        for name, order in (("call_day_rollup", "call_date, district"), ("bh_hour_rollup", "call_date, district, hour"),
                            ("encounter_facts_stored", "encounter_date, encounter_id")):
            select = f"SELECT * FROM {name} ORDER BY {order}"
            on_duckdb = hub["small"].execute(select).df()
            on_spark = engine.pandas(engine.spark.sql(select))[list(on_duckdb.columns)]
            assert_same_frame(on_spark, on_duckdb, name)
    finally:
        engine.close()


def test_arrest_times_fall_on_the_agency_day_on_spark(hub, spark, tmp_path):
    # 23:30 on 31 January in New York is 04:30 UTC on 1 February: a January arrest.
    late = tmp_path / "arrests.csv"
    late.write_text("arrest_id,call_id,person_key,arrested_at,top_charge,charge_level,booked\n"
                    "A6,,P7,2024-01-31 23:30:00,TRESPASS,misdemeanor,false\n")
    out = tmp_path / "copy"
    with small_config():
        cfg = load_agency()
        con = db.connect(":memory:", cfg=cfg)
        load_small(con)
        assert importer.import_file(con, late, cfg=cfg).status == "loaded"
        parquet.export(con, out, cfg)
        engine = pmhc_spark.connect(out, cfg, spark=spark.newSession())
    try:
        q = sql.get("evaluation_arrest_months")
        on_spark = engine.df(q, {"agencies": None})
        assert_same_frame(on_spark, con.execute(q.sql, {"agencies": None}).df(), q.location)
        assert dict(zip(on_spark.month, on_spark.arrests)) == {"2024-01": 5, "2024-02": 1}
    finally:
        engine.close()
        con.close()


# ---------------------------------------------------------------- what the translation corrects

@pytest.mark.parametrize("expression", [
    "isodow(DATE '2024-01-07')",                   # a Sunday: 7 (sqlglot's DAYOFWEEK formula gives 2)
    "isodow(DATE '2024-01-08')",                   # a Monday: 1
    "100 / 60.0",                                  # a DOUBLE, not Spark's DECIMAL 1.666667
    "avg(x * 1.0)",
    "list_has_any(['a', 'b'], ['b', 'c'])",        # Spark has no && on arrays
    "list_has_any(['a'], ['c'])",
    "epoch_us(TIMESTAMPTZ '2024-03-01 03:30:00+00')",
    "date_diff('day', DATE '2024-01-31', DATE '2024-03-01')",
    "strftime(DATE '2024-02-29', '%Y-%m')",
    "median(x)",                                   # exact, halfway between the middle two
])
def test_a_construct_gives_the_duckdb_value_on_spark(hub, expression):
    text = f"SELECT {expression} AS v FROM (VALUES (1), (2), (4), (10)) AS t(x)"
    if not expression.startswith(("avg", "median")):
        text += " LIMIT 1"
    q = sql.Query("construct", "test", SMALL, text, "")
    assert_same_frame(hub["engine"].df(q, {}), hub["small"].execute(text).df(), expression)


def test_a_date_parameter_of_any_year_is_bound(hub):
    # pyspark cannot make a DATE literal of year 1 (the coverage query's "everything loaded")
    q = sql.Query("dates", "test", SMALL, "SELECT $start AS d, $start < DATE '1000-01-01' AS early", "")
    assert hub["engine"].records(q, {"start": date(1, 1, 1)}) == [{"d": date(1, 1, 1), "early": True}]


def test_a_value_is_bound_as_a_parameter_never_written_into_the_text(hub):
    hostile = "D1' OR '1' = '1"
    q = sql.get("volume_calls")
    params = {**JAN_FEB.params("total"), "district": hostile}
    assert hub["engine"].df(q, params).empty  # no such district: no rows, not every row
    assert hostile not in spark_sql.to_spark(q.sql, frozenset({"start", "end"}))
