"""The synthetic data generator: seeded, believable, internally consistent, and the planted
bad rows are exactly the rows its manifest lists (checked here without the importer)."""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
from datetime import date, datetime
from pathlib import Path

import pytest

from pmhc import generate, schema
from pmhc.config import ROOT, load_agency

SMALL = {"years": 3, "calls_per_year": 3000}


def read(path: Path) -> list[dict]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    out = tmp_path_factory.mktemp("gen")
    paths = generate.generate(out, **SMALL)
    return paths, {name: read(p) for name, p in paths.items()}


def is_bh(row: dict) -> bool:
    if row["bh_flag"]:
        return row["bh_flag"] == "true"
    return row["call_type"] in generate.BH_CALL_TYPES


def test_same_seed_gives_identical_bytes_and_another_seed_does_not(small, tmp_path):
    paths, _ = small
    again = generate.generate(tmp_path / "again", **SMALL)
    assert set(again) == {"calls", "encounters", "arrests"}
    for name, p in paths.items():
        assert p.read_bytes() == again[name].read_bytes(), name
    other = generate.generate(tmp_path / "other", seed=7, **SMALL)
    assert other["calls"].read_bytes() != paths["calls"].read_bytes()


def test_files_have_the_canonical_columns_and_formats(small, tmp_path):
    paths, data = small
    for name, p in paths.items():
        with gzip.open(p, "rt") as f:
            # every canonical column, less the call-level outcome columns the sample leaves unknown
            expected = [c for c in schema.TABLES[name].column_names if (name, c) not in generate.NOT_GENERATED]
            assert f.readline().rstrip("\n").split(",") == expected
    assert len(data["calls"]) == 9000
    ts = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$")
    for row in data["calls"][:500]:
        assert re.fullmatch(r"C\d\d-\d{6}", row["call_id"])
        assert ts.match(row["received_at"])
        assert row["co_responder_present"] in ("true", "false")
        assert row["officer_minutes"] == "" or re.fullmatch(r"\d+(\.\d)?", row["officer_minutes"])
    assert len({r["call_id"] for r in data["calls"]}) == len(data["calls"])
    plain = generate.generate(tmp_path / "plain", compress=False, years=1, calls_per_year=500)
    assert plain["calls"].name == "calls.csv" and len(read(plain["calls"])) == 500


def test_bh_share_is_between_3_and_8_percent_every_year(small):
    _, data = small
    by_year: dict[str, list[bool]] = {}
    for row in data["calls"]:
        by_year.setdefault(row["received_at"][:4], []).append(is_bh(row))
    assert sorted(by_year) == ["2023", "2024", "2025"]
    for year, flags in by_year.items():
        assert 0.03 <= sum(flags) / len(flags) <= 0.08, year


def test_co_response_only_after_the_program_start_and_it_grows(small):
    _, data = small
    start = generate.PROGRAM_START.isoformat()
    co = [r for r in data["calls"] if r["co_responder_present"] == "true"]
    assert co and min(r["received_at"][:10] for r in co) >= start
    coverage = {}
    for year in ("2024", "2025"):
        bh = [r for r in data["calls"] if r["received_at"].startswith(year) and is_bh(r)]
        coverage[year] = sum(r["co_responder_present"] == "true" for r in bh) / len(bh)
    assert 0.1 < coverage["2024"] < coverage["2025"] < 0.7
    assert all(r["encounter_date"] >= start for r in data["encounters"])


def test_encounters_and_arrests_agree_with_their_calls(small):
    _, data = small
    calls = {r["call_id"]: r for r in data["calls"]}
    arrested_calls = {a["call_id"] for a in data["arrests"] if a["call_id"]}
    for e in data["encounters"]:
        if e["call_id"]:
            call = calls[e["call_id"]]  # every encounter call_id exists in calls
            assert e["contact_type"] == "on_scene"
            assert e["encounter_date"] == call["received_at"][:10]
            if e["responder_type"] in ("clinician_liaison", "counseling_intern"):
                assert call["co_responder_present"] == "true"
                if e["call_id"] in arrested_calls:
                    assert e["outcome"] == "arrest"
        else:
            assert e["contact_type"] in ("follow_up", "referral")
        assert 20 <= float(e["minutes"]) <= 120
        assert e["outcome"] in schema.OUTCOMES + ("",)
    co_calls = {cid for cid, c in calls.items() if c["co_responder_present"] == "true"}
    logged = {e["call_id"] for e in data["encounters"] if e["responder_type"] in ("clinician_liaison", "counseling_intern")
              and e["contact_type"] == "on_scene"}
    assert logged == co_calls
    assert arrested_calls <= set(calls)
    assert arrested_calls == {cid for cid, c in calls.items() if c["disposition"] == "ARREST"}
    assert len({a["arrest_id"] for a in data["arrests"]}) == len(data["arrests"])
    assert 0.08 < sum(not a["call_id"] for a in data["arrests"]) / len(data["arrests"]) < 0.25


def test_some_people_come_back(small):
    _, data = small
    counts: dict[str, int] = {}
    for e in data["encounters"]:
        if e["contact_type"] == "on_scene" and e["person_key"]:
            counts[e["person_key"]] = counts.get(e["person_key"], 0) + 1
    repeat = sum(n >= 2 for n in counts.values()) / len(counts)
    assert 0.03 < repeat < 0.4
    assert {a["person_key"] for a in data["arrests"]} & set(counts)  # same keys across files


def test_bh_call_types_match_the_sample_agency_config():
    assert generate.BH_CALL_TYPES == load_agency(ROOT / "config" / "agency.toml").bh_call_types


def test_milestones_file_is_written_from_the_generator_dates(tmp_path):
    path = generate.write_milestones(tmp_path / "milestones.csv")
    rows = read(path)
    assert [date.fromisoformat(r["date"]) for r in rows] == sorted(d for d, _ in generate.MILESTONES)
    assert {generate.PROGRAM_START, generate.INTERNS_START, generate.SECOND_CLINICIAN} <= {
        date.fromisoformat(r["date"]) for r in rows}
    committed = ROOT / "config" / "milestones.csv"
    if committed.exists():
        assert committed.read_text() == path.read_text()


# ------------------------------------------------------------------ bad rows, checked independently

def _first_problem(table: schema.Table, row: dict) -> tuple[str, str] | None:
    for c in table.columns:
        v = row.get(c.name, "").strip()  # a column the file does not have is empty
        if v == "":
            if not c.nullable:
                return c.name, "missing"
            continue
        try:
            if c.type == "BOOLEAN" and v.lower() not in schema.TRUE_WORDS + schema.FALSE_WORDS:
                raise ValueError
            if c.type == "INTEGER":
                int(v)
            if c.type == "DOUBLE":
                float(v)
            if c.type == "DATE":
                date.fromisoformat(v)
            if c.type == "TIMESTAMPTZ":
                datetime.fromisoformat(v)
        except ValueError:
            return c.name, "type"
        if c.values and v.lower() not in c.values:
            return c.name, "vocabulary"
        if c.name in ("minutes", "officer_minutes") and float(v) < 0:
            return c.name, "negative"
    return None


def _bad_lines(table: schema.Table, path: Path) -> set[tuple[int, str, str]]:
    lines = path.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    assert header == [c for c in table.column_names if (table.name, c) not in generate.NOT_GENERATED]
    found: dict[int, tuple[str, str]] = {}
    last_line_of: dict[str, int] = {}
    for line_no, text in enumerate(lines[1:], start=2):
        fields = next(csv.reader(io.StringIO(text)))
        if len(fields) != len(header):
            found[line_no] = ("*", "columns")
            continue
        problem = _first_problem(table, dict(zip(header, fields)))
        if problem:
            found[line_no] = problem
            continue
        key = fields[header.index(table.key)]
        if key in last_line_of:  # the later row is kept, the earlier one is the bad one
            found[last_line_of[key]] = (table.key, "duplicate")
        last_line_of[key] = line_no
    return {(line, col, reason) for line, (col, reason) in found.items()}


def test_bad_rows_manifest_lists_exactly_the_bad_lines(tmp_path):
    paths = generate.write_bad_rows(tmp_path)
    manifest = read(paths["expected_quarantine"])
    assert list(manifest[0]) == ["file", "line", "column", "reason"]
    reasons = {"missing", "type", "vocabulary", "negative", "columns", "duplicate"}
    want_reasons = {"calls": reasons - {"vocabulary"}, "encounters": reasons, "arrests": reasons - {"negative"}}
    for name, table in schema.TABLES.items():
        fname = f"{name}_bad.csv"
        listed = [(int(m["line"]), m["column"], m["reason"]) for m in manifest if m["file"] == fname]
        assert len(listed) == len({line for line, _, _ in listed}), "one entry per bad line"
        assert set(listed) == _bad_lines(table, paths[f"{name}_bad"])
        assert {reason for _, _, reason in listed} == want_reasons[name]
        n_rows = len(paths[f"{name}_bad"].read_text().splitlines()) - 1
        assert 8 <= n_rows - len(listed) <= 12 and 5 <= len(listed) <= 10


def test_committed_sample_bad_rows_are_the_generated_ones(tmp_path):
    committed = ROOT / "sample_data" / "bad"
    if not committed.exists():
        pytest.skip("sample_data/bad not generated")
    for name, p in generate.write_bad_rows(tmp_path).items():
        assert (committed / p.name).read_bytes() == p.read_bytes(), p.name


def test_the_sample_agency_rollout_file_is_the_generator_rollout(tmp_path):
    written = generate.write_rollout(tmp_path / "program_rollout.csv").read_text()
    assert (ROOT / "config" / "program_rollout.csv").read_text() == written
    assert [r["district"] for r in read(tmp_path / "program_rollout.csv")] == list(generate.DISTRICTS)


def test_co_response_starts_in_each_district_on_its_rollout_date(small):
    _, data = small
    starts = dict(generate.ROLLOUT)
    co = [r for r in data["calls"] if r["co_responder_present"] == "true" and r["district"]]
    assert co and all(r["received_at"][:10] >= starts[r["district"]].isoformat() for r in co)


def test_the_planted_effect_lowers_expected_bh_arrests_and_holds_only_where_the_program_serves(small):
    paths, _ = small
    truth = json.loads((paths["calls"].parent / "planted_effect.json").read_text())
    served = [(c["district"], c["month"]) for c in truth["cells"] if c["served"]]
    unserved = [(c["district"], c["month"]) for c in truth["cells"] if not c["served"]]
    for outcome in ("bh_arrests", "involuntary_holds"):
        assert generate.planted_effect(truth, outcome, served)["relative"] < -0.2
        assert generate.planted_effect(truth, outcome, unserved)["relative"] == pytest.approx(0)
