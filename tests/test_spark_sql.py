"""The translation of queries/*.sql to Spark SQL (pmhc.spark_sql) and the `--engine spark`
command line, checked without starting Spark (no Java needed). That the translated queries
give DuckDB's results on Spark is tests/test_spark.py (`pytest -m spark`)."""

from __future__ import annotations

import re
import runpy
import sys

import pytest

from pmhc import cli, spark_sql, sql
from pmhc.config import ROOT

# The queries Spark runs: every named query but the import bookkeeping and the Settings
# page's lists (tests/test_spark.py :: NOT_ON_SPARK).
ON_SPARK = {name: q for name, q in sql.catalog().items() if q.family not in ("quality", "settings")}
# DuckDB spellings that mean nothing (or something else) to Spark.
DUCKDB_ONLY = re.compile(r"\$[a-z_]|&&|::|\b(strftime|isodow|epoch_us|list_has_any|list_contains|string_split|"
                         r"date_diff|arg_max|EXCLUDE)\s*\(", re.IGNORECASE)


def _spark_text(q: sql.Query) -> str:
    if q.family == "models":  # views; the disposition_map table's rows come from the copy
        view = spark_sql.view_of(q.sql)
        return view[1] if view is not None else ""
    return spark_sql.to_spark(q.sql)


@pytest.mark.parametrize("name", sorted(ON_SPARK))
def test_every_query_translates_to_spark_sql_without_duckdb_spellings(name):
    text = _spark_text(ON_SPARK[name])
    code = re.sub(r"/\*.*?\*/", "", text, flags=re.DOTALL)  # comments keep the DuckDB prose
    assert not DUCKDB_ONLY.search(code), DUCKDB_ONLY.search(code)


def test_a_parameter_keeps_its_name_as_a_spark_parameter_marker():
    text = spark_sql.to_spark("SELECT count(*) FROM calls WHERE district = $district AND call_date < $end")
    assert text.endswith("WHERE district = :district AND call_date < :end")


def test_a_date_parameter_is_read_as_a_date():
    assert spark_sql.to_spark("SELECT $start AS d", frozenset({"start"})) == "SELECT CAST(:start AS DATE) AS d"


def test_a_decimal_literal_is_a_double_and_an_integer_stays_an_integer():
    assert spark_sql.to_spark("SELECT x / 60.0, x / 60 FROM t") == "SELECT x / CAST(60.0 AS DOUBLE), x / 60 FROM t"


def test_the_iso_weekday_is_monday_1_to_sunday_7_in_spark_terms():
    # Spark's WEEKDAY is 0 on Monday; DAYOFWEEK (sqlglot's choice) is 1 on Sunday
    assert spark_sql.to_spark("SELECT isodow(d) FROM t") == "SELECT CAST((WEEKDAY(d) + 1) AS BIGINT) FROM t"


def test_each_query_is_translated_once_per_process():
    q = sql.get("volume_calls")
    spark_sql.to_spark(q.sql)
    before = spark_sql.to_spark.cache_info()
    spark_sql.to_spark(q.sql)
    after = spark_sql.to_spark.cache_info()
    assert (after.hits, after.misses) == (before.hits + 1, before.misses)


def test_engine_spark_without_a_parquet_copy_says_how_to_make_one(small_db_path, capsys):
    assert cli.main(["figures", "--from", "2024-01", "--to", "2024-02", "--engine", "spark"]) == 2
    assert "pmhc export-parquet --out DIR" in capsys.readouterr().err


def test_engine_spark_without_pyspark_says_what_to_install(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "pyspark", None)  # as if not installed
    monkeypatch.setitem(sys.modules, "pyspark.sql", None)
    assert cli.main(["figures", "--from", "2024-01", "--to", "2024-02", "--engine", "spark",
                     "--parquet", str(tmp_path)]) == 2
    assert "pip install 'pmhc[spark]'" in capsys.readouterr().err


def test_the_spark_submit_entry_point_runs_pmhc_figures_on_spark(monkeypatch):
    seen = []
    monkeypatch.setattr(cli, "main", lambda argv: seen.append(argv) or 0)
    monkeypatch.setattr(sys, "argv", ["spark_figures.py", "--from", "2025-01", "--to", "2025-12",
                                      "--parquet", "s3a://bucket/pmhc"])
    with pytest.raises(SystemExit) as done:
        runpy.run_path(str(ROOT / "scripts" / "spark_figures.py"), run_name="__main__")
    assert done.value.code == 0
    assert seen == [["figures", "--engine", "spark", "--from", "2025-01", "--to", "2025-12",
                     "--parquet", "s3a://bucket/pmhc"]]
