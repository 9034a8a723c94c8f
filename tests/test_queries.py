"""The SQL catalog: one definition per figure, every figure traceable to its query."""

from __future__ import annotations

import pytest

from pmhc import definitions, sql
from pmhc.config import QUERIES_DIR


def test_every_figure_names_an_existing_query_that_returns_its_column(small_con):
    from pmhc import metrics
    from pmhc.periods import Period

    values = metrics.headline(small_con, metrics.Filters(Period.months("2024-01", "2024-02")))
    for f in definitions.figures():
        assert f.query in sql.catalog(), f.key
        assert f.key in values, f"{f.key} is not returned by {f.location}"


def test_figure_keys_are_unique_snake_case():
    keys = [f.key for f in definitions.figures()]
    assert len(keys) == len(set(keys))
    assert all(k.replace("_", "").isalnum() and k == k.lower() for k in keys)


def test_every_figure_has_a_definition_and_rates_have_numerator_and_denominator():
    for f in definitions.figures():
        assert f.definition, f.key
        if f.unit == "rate":
            assert f.numerator and f.denominator, f.key


def test_query_names_are_unique_across_files(tmp_path):
    (tmp_path / "a.sql").write_text("-- name: same\nSELECT 1")
    (tmp_path / "b.sql").write_text("-- name: same\nSELECT 2")
    with pytest.raises(ValueError, match="defined in both"):
        sql._catalog(str(tmp_path))


def test_queries_take_only_named_parameters():
    for q in sql.catalog().values():
        assert "?" not in q.sql, q.location
        assert "{" not in q.sql.replace("{}", ""), q.location  # no str.format fields


def test_missing_parameter_is_reported_with_the_query_location(small_con):
    with pytest.raises(TypeError, match="queries/volume.sql :: volume_calls"):
        sql.df(small_con, "volume_calls", {"start": None})


def test_each_metric_family_lives_in_its_own_file():
    families = {q.family for q in sql.catalog().values()}
    assert {"volume", "outcomes", "repeat", "officer_time", "savings", "models"} <= families
    assert all((QUERIES_DIR / f"{fam}.sql").exists() for fam in families)
