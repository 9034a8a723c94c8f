"""The import profiler (benchmarks/profile_import.py) keeps naming the import's steps.

It files each SQL statement under a step by words in the statement; if the importer renames
a table the profile would quietly call that work "other statements". Run on the
hand-written fixture, so no timing is asserted (speed lives in benchmarks, not tests).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from tests.conftest import SMALL

ROOT = Path(__file__).resolve().parent.parent


def _profiler():
    spec = importlib.util.spec_from_file_location("profile_import", ROOT / "benchmarks" / "profile_import.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_profile_counts_every_row_of_the_three_files(capsys):
    assert _profiler().main(["--data", str(SMALL)]) == 0
    rows = sum(sum(1 for _ in (SMALL / f"{t}.csv").open("rb")) - 1 for t in ("calls", "encounters", "arrests"))
    assert capsys.readouterr().out.startswith(f"{rows:,} rows in three files; bare DuckDB read_csv ")


def test_profile_files_the_import_statements_under_named_steps(capsys):
    _profiler().main(["--data", str(SMALL)])
    out = capsys.readouterr().out
    for step in ("typed read, checks and insert, one pass", "repeated keys in the file", "stored totals built whole",
                 "commit (write to disk)", "data-quality report"):
        assert f"| {step}" in out, step
    assert "| other statements |" not in out  # every statement of the import is named


def _runner():
    spec = importlib.util.spec_from_file_location("bench_run", ROOT / "benchmarks" / "run.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_import_table_says_reused_for_a_data_set_an_earlier_run_generated():
    run = _runner()
    assert run._generated(None) == "reused"
    assert run._generated(12.34) == "12.3"
