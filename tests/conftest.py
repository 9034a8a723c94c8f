"""Shared fixtures: a hand-written small data set whose figures are computed by hand in
tests/test_metrics.py, and isolated config / secret / database paths for every test."""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
SMALL = FIXTURES / "small"
SMALL_CONFIG = SMALL / "config"


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path, monkeypatch):
    """No test reads the dashboard's own config, secret or database."""
    monkeypatch.setenv("PMHC_CONFIG_DIR", str(SMALL_CONFIG))
    monkeypatch.setenv("PMHC_PERSON_KEY_SECRET", "test-secret-not-for-real-data")
    monkeypatch.setenv("PMHC_DB", str(tmp_path / "pmhc.duckdb"))
    monkeypatch.setenv("PMHC_DATA_DIR", str(tmp_path))
    yield


def load_small(con):
    from pmhc import importer

    return [importer.import_file(con, SMALL / f"{name}.csv") for name in ("calls", "encounters", "arrests")]


@pytest.fixture
def small_con():
    """In-memory database loaded with tests/fixtures/small (see test_metrics.py for its figures)."""
    from pmhc import db

    con = db.connect(":memory:")
    reports = load_small(con)
    assert all(r.status == "loaded" and r.rows_quarantined == 0 for r in reports), [r.summary() for r in reports]
    yield con
    con.close()


@pytest.fixture
def small_db_path(tmp_path):
    """The small fixture in a database file (for code that opens the file read-only)."""
    from pmhc import db

    path = tmp_path / "small.duckdb"
    con = db.connect(path)
    load_small(con)
    con.close()
    os.environ["PMHC_DB"] = str(path)
    return path


@contextmanager
def small_config():
    """The small fixture's config and secret for code outside one test (module fixtures)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PMHC_CONFIG_DIR", str(SMALL_CONFIG))
        mp.setenv("PMHC_PERSON_KEY_SECRET", "test-secret-not-for-real-data")
        yield


@pytest.fixture(scope="module")
def release_db():
    """The small fixture in memory with its own config, built once per module: releases,
    decks and workbooks built from it take a second or more each."""
    from pmhc import db, metrics
    from pmhc.config import load_agency

    from .helpers import ReleaseDb

    with small_config():
        con = db.connect(":memory:")
        load_small(con)
        try:
            yield ReleaseDb(con, load_agency(), metrics.load_assumptions())
        finally:
            con.close()
