"""The Parquet copy (pmhc.parquet) holds the same rows, and the same queries give the same figures.

When one machine's DuckDB file is not enough, the data is exported as Parquet partitioned
by agency and month; pmhc.parquet.connect(folder) makes views named like the tables over
it, so the unchanged queries/*.sql run on it. These tests export the small fixture and a
generated data set, point the metrics layer at the copy, and require every figure to
match. (The same copy on Apache Spark: tests/test_spark.py.)
"""

from __future__ import annotations

import shutil
from datetime import date

import pytest

from pmhc import cli, db, importer, metrics, parquet
from pmhc.config import ROOT, load_agency
from pmhc.periods import Period

from .conftest import SMALL
from .test_rollups import SMALL_FILTERS, assert_same, snapshot
from .helpers import JAN_FEB


@pytest.fixture
def small_copy(small_con, tmp_path):
    out = tmp_path / "parquet"
    written = parquet.export(small_con, out)
    pq = parquet.connect(out)
    yield small_con, pq, out, written
    pq.close()


def test_every_figure_over_the_parquet_copy_equals_the_database_on_the_small_fixture(small_copy):
    con, pq, _, _ = small_copy
    cfg = load_agency()
    for f in SMALL_FILTERS:
        assert_same(snapshot(pq, f, cfg), snapshot(con, f, cfg), f"Parquet, {f.label}")


def test_the_copy_gives_the_hand_computed_small_fixture_figures(small_copy):
    _, pq, _, _ = small_copy
    h = metrics.headline(pq, JAN_FEB)
    assert (h["calls_total"], h["bh_calls"], h["people_served"], h["involuntary_holds"]) == (9, 5, 4, 1)
    assert h["diversion_rate"] == pytest.approx(5 / 8)
    assert h["net_cost_avoidance"] == pytest.approx(-52130.0)


def test_every_row_is_exported_once(small_copy):
    con, pq, _, written = small_copy
    for table in ("calls", "encounters", "arrests"):
        ours = con.execute(f"SELECT * FROM {table} ORDER BY ALL").fetchall()
        assert pq.execute(f"SELECT * FROM {table} ORDER BY ALL").fetchall() == ours
        assert written[table] == len(ours)
    assert (written["calls"], written["encounters"], written["arrests"]) == (11, 12, 5)


def test_rows_are_partitioned_by_agency_and_month_on_the_agency_clock(small_copy):
    _, _, out, _ = small_copy
    assert [p.name for p in (out / "calls").iterdir()] == ["agency=fixture-city-police-department"]
    calls = out / "calls" / "agency=fixture-city-police-department"
    months = sorted(p.name for p in calls.iterdir())
    assert months == ["month=2023-01", "month=2023-12", "month=2024-01", "month=2024-02"]
    # C11 was received at 03:30 UTC on 1 March: 29 February in America/New_York
    feb = parquet.connect(out).execute(
        f"SELECT call_id FROM read_parquet('{calls}/month=2024-02/*.parquet') ORDER BY call_id").fetchall()
    assert [r[0] for r in feb] == ["C05", "C06", "C07", "C08", "C11"]
    encounters = out / "encounters" / "agency=fixture-city-police-department"
    assert sorted(p.name for p in encounters.iterdir())[0] == "month=2023-03"


def test_the_agency_key_is_the_configured_key_else_a_slug_of_the_name(tmp_path):
    from pmhc.config import load_agency as load

    path = tmp_path / "agency.toml"
    path.write_text('name = "Ciudad de Méjico P.D."\n')
    assert load(path).agency_key == "ciudad-de-mejico-p-d"
    path.write_text('name = "Ciudad de Méjico P.D."\nkey = "cdmx"\n')
    assert load(path).agency_key == "cdmx"


def test_an_agency_key_that_is_not_a_folder_name_is_refused(tmp_path):
    from pmhc.config import SettingsError, load_agency as load

    path = tmp_path / "agency.toml"
    path.write_text('name = "X"\nkey = "../other"\n')
    with pytest.raises(SettingsError, match="not an agency key"):
        load(path)


def test_the_copy_holds_the_settings_the_figures_were_computed_with(small_copy):
    _, _, out, _ = small_copy
    rules = out / "settings" / "agency=fixture-city-police-department" / "data.parquet"
    pq = parquet.connect(out)
    # data rules and the repeat setting of the stored contact facts: no pseudonym check or rollup hashes
    assert sorted(pq.execute(f"SELECT key, value FROM read_parquet('{rules}')").fetchall()) == [
        ("rollup:repeat_min_contacts", "2"), ("rule:co_responder_empty", "unknown")]
    assert (out / "disposition_map" / "agency=fixture-city-police-department" / "data.parquet").exists()
    pq.close()


def test_two_agencies_share_a_copy_and_each_reads_its_own_rows(small_con, tmp_path):
    from dataclasses import replace

    out = tmp_path / "hub"
    small_cfg = load_agency()
    other_cfg = replace(small_cfg, name="Harbor City Police Department")
    one_call = tmp_path / "calls.csv"
    one_call.write_text("\n".join((SMALL / "calls.csv").read_text().splitlines()[:2]) + "\n")  # C01
    other = db.connect(":memory:", cfg=other_cfg)
    assert importer.import_file(other, one_call, cfg=other_cfg).status == "loaded"
    parquet.export(small_con, out, small_cfg)
    parquet.export(other, out, other_cfg)
    parquet.export(small_con, out, small_cfg)  # exporting again replaces this agency's folders only
    assert parquet.agencies(out) == ["fixture-city-police-department", "harbor-city-police-department"]
    mine, theirs = parquet.connect(out, small_cfg), parquet.connect(out, other_cfg)
    assert (metrics.headline(mine, JAN_FEB, small_cfg)["calls_total"],
            metrics.headline(theirs, JAN_FEB, other_cfg)["calls_total"]) == (9, 1)
    for con in (mine, theirs, other):
        con.close()


def test_an_agency_the_copy_does_not_hold_is_named_with_those_it_does(small_copy):
    from dataclasses import replace

    _, _, out, _ = small_copy
    with pytest.raises(FileNotFoundError, match=r"no rows of agency 'harbor-city'.*holds 'fixture-city-police"):
        parquet.connect(out, replace(load_agency(), key="harbor-city"))


def test_a_copy_written_before_agency_folders_says_to_write_it_again(tmp_path):
    (tmp_path / "old" / "calls" / "month=2024-01").mkdir(parents=True)
    with pytest.raises(FileNotFoundError, match="earlier version.*pmhc export-parquet"):
        parquet.connect(tmp_path / "old")


def test_a_copy_without_the_stored_totals_computes_them_from_the_rows(small_copy):
    con, _, out, _ = small_copy
    for name in ("call_day_rollup", "bh_hour_rollup", "encounter_facts_stored"):
        shutil.rmtree(out / name)
    pq = parquet.connect(out)
    assert_same(snapshot(pq, JAN_FEB, load_agency()), snapshot(con, JAN_FEB, load_agency()), "rows only")
    pq.close()


def test_exporting_again_replaces_the_earlier_copy(small_con, tmp_path):
    out = tmp_path / "parquet"
    parquet.export(small_con, out)
    small_con.execute("DELETE FROM calls WHERE call_id = 'C10'")  # the only call of January 2023
    parquet.export(small_con, out)
    assert not (out / "calls" / "agency=fixture-city-police-department" / "month=2023-01").exists()
    pq = parquet.connect(out)
    assert pq.execute("SELECT count(*) FROM calls").fetchone()[0] == 10
    pq.close()


def test_an_empty_table_is_exported_with_its_columns(tmp_path):
    con = db.connect(":memory:")
    importer.import_file(con, SMALL / "calls.csv")
    parquet.export(con, tmp_path / "pq")
    pq = parquet.connect(tmp_path / "pq")
    assert pq.execute("SELECT count(*) FROM encounters").fetchone()[0] == 0
    h = metrics.headline(pq, JAN_FEB)
    # No clinician log loaded: contact figures are not measured (issue 14), never 0.
    assert h["calls_total"] == 9
    assert {h["contacts_total"].reason, h["people_served"].reason} == {"no co-responder contacts (clinician log) loaded"}
    pq.close()
    con.close()


def test_pointing_at_a_folder_without_a_copy_says_what_to_do(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"No Parquet copy at .*pmhc export-parquet"):
        parquet.connect(tmp_path / "nothing")


def test_pmhc_export_parquet_writes_the_copy_from_the_database_file(small_db_path, tmp_path, capsys):
    out = tmp_path / "copy"
    assert cli.main(["export-parquet", "--db", str(small_db_path), "--out", str(out)]) == 0
    assert "calls 11 rows" in capsys.readouterr().out
    pq = parquet.connect(out)
    assert metrics.headline(pq, JAN_FEB)["calls_total"] == 9
    pq.close()


def test_every_figure_over_the_parquet_copy_equals_the_database_on_a_generated_data_set(tmp_path, monkeypatch):
    from pmhc.generate import generate

    monkeypatch.setenv("PMHC_CONFIG_DIR", str(ROOT / "config"))
    cfg = load_agency()
    files = generate(tmp_path / "gen", seed=9, years=2, calls_per_year=4000, start="2023-01-01", compress=False)
    con = db.connect(":memory:", cfg=cfg)
    for table in ("calls", "encounters", "arrests"):
        assert importer.import_file(con, files[table], cfg=cfg).status == "loaded"
    parquet.export(con, tmp_path / "pq")
    pq = parquet.connect(tmp_path / "pq", cfg)
    districts = metrics.districts(con)
    for f in (metrics.Filters(Period.calendar_year(2024)),
              metrics.Filters(Period.quarter(2024, 1), district=districts[0]),
              metrics.Filters(Period.custom(date(2023, 3, 5), date(2023, 11, 20)), responder_type="cit_officer")):
        assert_same(snapshot(pq, f, cfg), snapshot(con, f, cfg), f"Parquet, {f.label}")
    pq.close()
    con.close()


def test_pmhc_figures_reads_the_parquet_copy_with_the_same_queries(small_db_path, tmp_path, capsys):
    out = tmp_path / "copy"
    assert cli.main(["export-parquet", "--db", str(small_db_path), "--out", str(out)]) == 0
    capsys.readouterr()
    assert cli.main(["figures", "--from", "2024-01", "--to", "2024-02", "--format", "json",
                     "--parquet", str(out)]) == 0
    from_copy = capsys.readouterr().out
    assert cli.main(["figures", "--from", "2024-01", "--to", "2024-02", "--format", "json",
                     "--db", str(small_db_path)]) == 0
    assert from_copy == capsys.readouterr().out
    assert '"calls_total"' in from_copy


def test_pmhc_figures_on_a_folder_without_a_copy_says_what_to_do(tmp_path, capsys):
    assert cli.main(["figures", "--from", "2024-01", "--to", "2024-02", "--parquet", str(tmp_path)]) == 2
    assert "pmhc export-parquet" in capsys.readouterr().err
