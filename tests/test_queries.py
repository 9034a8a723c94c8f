"""The SQL catalog: one definition per figure, every figure traceable to its query."""

from __future__ import annotations

import pytest

from pmhc import definitions, sql
from pmhc.config import QUERIES_DIR


def test_every_figure_names_an_existing_query_that_returns_its_column(small_con):
    """Each registered figure, building blocks included, is a column of *its own* query
    (not merely of some query the metrics layer happens to run)."""
    from datetime import date

    from pmhc import figures

    params = {"start": date(2024, 1, 1), "end": date(2024, 3, 1), "district": None, "responder_type": None,
              "by": "total", "min_contacts": 2, "window_a": 90, "window_b": 180, "window_c": 365}
    columns: dict[str, set[str]] = {}
    for f in figures.registry():
        assert f.query in sql.catalog(), f"{f.key}: no query {f.query!r}"
        if f.query not in columns:
            q = sql.get(f.query)
            columns[f.query] = set(sql.df(small_con, f.query, {p: params.get(p) for p in q.params}).columns)
        assert f.source_column in columns[f.query], f"{f.key}: {f.location} returns no column {f.source_column!r}"


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
    """Every figure a page lists comes from the file named for its family, and no file
    holds the figure queries of two families."""
    from pmhc import figures

    families = {q.family for q in sql.catalog().values()}
    assert {"volume", "outcomes", "repeat", "officer_time", "savings", "models"} <= families
    assert all((QUERIES_DIR / f"{fam}.sql").exists() for fam in families)
    file_of = {"Volume": "volume.sql", "Outcomes": "outcomes.sql", "Repeat contacts": "repeat.sql",
               "Officer time": "officer_time.sql", "Resource savings": "savings.sql"}
    seen: dict[str, str] = {}
    for f in figures.figures():
        path = sql.get(f.query).path.name
        assert path == file_of[f.family], f"{f.key} ({f.family}) comes from {path}"
        assert seen.setdefault(path, f.family) == f.family, f"{path} holds {seen[path]} and {f.family} figures"
    assert set(seen) == set(file_of.values())




def test_outcome_groups_and_co_responder_types_are_read_from_the_table_the_import_writes(small_con):
    """One definition (pmhc/schema.py :: GROUPS): no query spells a group out."""
    from pmhc import schema

    stored = {}
    for kind, grp, value in small_con.execute("SELECT kind, grp, value FROM vocabulary_groups").fetchall():
        stored.setdefault((kind, grp), set()).add(value)
    assert stored == {k: set(v) for k, v in schema.GROUPS.items()}
    import re

    groups = [set(v) for v in schema.GROUPS.values() if len(v) > 1]
    responders = {v for (kind, _), values in schema.GROUPS.items() if kind == "responder_type" for v in values}
    for path in sorted(QUERIES_DIR.glob("*.sql")):
        text = path.read_text()
        for literal_list in re.findall(r"\bIN\s*\(([^)]*)\)", text) + re.findall(r"\[([^\]]*)\]", text):
            spelled = set(re.findall(r"'([a-z_]+)'", literal_list))
            assert spelled not in groups, f"{path.name} spells a group out ({sorted(spelled)}): read vocabulary_groups"
        for value in responders:
            assert f"responder_type = '{value}'" not in text, path.name
