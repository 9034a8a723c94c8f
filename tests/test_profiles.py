"""Mapping profiles: three real-world export shapes give the same figures as canonical files.

Each hand-written export in tests/fixtures/exports/<shape>/ holds the same records as the
canonical CSV next to it (the small fixture's records plus one with an unmapped code):

- responder_log_flags: co-responder log, one row per call, outcome as Yes/No flag columns,
  dates 01/05/2024, "NA" for empty, role codes (LCSW, CIT, …) and one unknown code PEER;
- crisis_dispositions: one row per contact × disposition (4 repeated rows), times in UTC
  (03:30 UTC on 2 Feb is 1 Feb in New York), one code MOBILE CRISIS TEAM not mapped;
- cad_date_hour: CAD calls with the date and the hour in separate columns, NA hours (given
  00:00 by the profile), district codes D51/D52 renamed to D1/D2 and D59 kept as exported.

The other two tables come from tests/fixtures/small in both databases.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest

from pmhc import cli, db, importer, metrics, profiles, schema
from pmhc.periods import Period

from .conftest import FIXTURES, SMALL
from .helpers import JAN_FEB

EXPORTS = FIXTURES / "exports"
PROFILES = profiles.PROFILES_DIR
EVERYTHING = metrics.Filters(Period.months("2023-01", "2024-03"))

SHAPES = {
    "flags per call": ("responder_log_flags.toml", "responder_log_flags/responder_log.csv",
                       "responder_log_flags/encounters.csv"),
    "one row per disposition": ("crisis_dispositions.toml", "crisis_dispositions/crisis_contacts.csv",
                                "crisis_dispositions/encounters.csv"),
    "date and hour columns": ("cad_date_hour.toml", "cad_date_hour/cad_calls.csv", "cad_date_hour/calls.csv"),
}


def load_db(shape: str, mapped: bool):
    """A database with one table from the shape (export via profile, or its canonical
    equivalent) and the other two from the small fixture. Returns (con, report)."""
    profile_file, export, canonical = SHAPES[shape]
    target = profiles.load(PROFILES / profile_file).table.name
    con = db.connect(":memory:")
    report = None
    for name in ("calls", "encounters", "arrests"):
        if name != target:
            assert importer.import_file(con, SMALL / f"{name}.csv").rows_quarantined == 0
        elif mapped:
            report = importer.import_file(con, EXPORTS / export, **profiles.import_kwargs(PROFILES / profile_file))
        else:
            # The canonical file writes 'unmapped' where the export has an unmapped code.
            report = importer.import_file(con, EXPORTS / canonical, allow_unmapped=True)
    assert report.status == "loaded", report.message
    return con, report


@pytest.fixture(params=list(SHAPES))
def shape(request):
    return request.param


def imported(shape: str):
    con, report = load_db(shape, mapped=True)
    return con, report


# ---------------------------------------------------------------- the acceptance criterion

@pytest.mark.parametrize("filters", [JAN_FEB, EVERYTHING], ids=["jan-feb-2024", "2023-01..2024-03"])
def test_export_gives_the_same_figures_as_its_canonical_equivalent(shape, filters):
    mapped, _ = load_db(shape, mapped=True)
    canonical, report = load_db(shape, mapped=False)
    assert report.rows_quarantined == 0
    assert metrics.headline(mapped, filters) == metrics.headline(canonical, filters)
    assert (metrics.outcome_mix(mapped, filters, "month").to_dict("records")
            == metrics.outcome_mix(canonical, filters, "month").to_dict("records"))


def test_export_gives_the_same_monthly_figures_and_districts_as_its_canonical_equivalent(shape):
    mapped, _ = load_db(shape, mapped=True)
    canonical, _ = load_db(shape, mapped=False)
    assert metrics.monthly(mapped, EVERYTHING).equals(metrics.monthly(canonical, EVERYTHING))
    assert metrics.districts(mapped) == metrics.districts(canonical)


@pytest.mark.parametrize("shape_name, counts", [
    ("flags per call", (13, 13, 0, 0)),
    ("one row per disposition", (17, 13, 0, 4)),
    ("date and hour columns", (12, 12, 0, 0)),
])
def test_every_export_row_is_loaded_quarantined_or_merged(shape_name, counts):
    _, r = imported(shape_name)
    assert (r.rows_in_file, r.rows_loaded, r.rows_quarantined, r.rows_collapsed) == counts
    assert r.balanced


def test_one_row_per_disposition_counts_each_contact_once():
    con, r = imported("one row per disposition")
    f = metrics.headline(con, JAN_FEB)
    assert f["contacts_total"] == 10  # 9 of the small fixture + T-E13; 4 repeated rows merged
    assert db.rows(con, "SELECT count(*) AS n FROM encounters")[0]["n"] == 13
    assert "4 merged into a row with the same key" in r.summary()


def test_collapsed_contact_takes_the_outcome_highest_in_the_precedence():
    con, _ = imported("one row per disposition")
    outcome = {r["encounter_id"]: r["outcome"] for r in db.rows(con, "SELECT encounter_id, outcome FROM encounters")}
    assert outcome["T-E01"] == "referred_outpatient"  # RESOLVED + OUTPATIENT REFERRAL
    assert outcome["T-E02"] == "involuntary_hold"  # OUTPATIENT REFERRAL + EMERGENT DETENTION
    assert outcome["T-E07"] == "voluntary_ed"  # unmapped MOBILE CRISIS TEAM ranks after every mapped code
    assert outcome["T-E13"] == "unmapped"  # MOBILE CRISIS TEAM alone


def test_collapse_keeps_the_first_value_and_reports_rows_that_disagree():
    con, r = imported("one row per disposition")
    assert r.extra["collapse_conflicts"] == {"minutes": 1}  # T-E09: 10 then 12
    assert db.rows(con, "SELECT minutes FROM encounters WHERE encounter_id = 'T-E09'")[0]["minutes"] == 10


# ---------------------------------------------------------------- unmapped values never vanish

@pytest.mark.parametrize("shape_name, expected", [
    ("flags per call", [
        {"column": "responder_type", "source": "Staff Role", "value": "PEER", "rows": 1, "result": "unmapped"},
        {"column": "outcome", "source": "Emergency Hold", "value": "Unk", "rows": 1, "result": "unmapped"},
    ]),
    ("one row per disposition", [
        {"column": "outcome", "source": "Disposition", "value": "MOBILE CRISIS TEAM", "rows": 2,
         "result": "unmapped"},
    ]),
    ("date and hour columns", [
        {"column": "district", "source": "DIST", "value": "D59", "rows": 1, "result": "kept as exported"},
    ]),
])
def test_values_outside_the_value_maps_are_listed_exactly(shape_name, expected):
    _, r = imported(shape_name)
    assert r.extra["unmapped"] == expected
    assert r.extra["quality"]["unmapped"] == expected


def test_unmapped_outcome_codes_show_as_unmapped_in_the_outcome_mix_and_count_as_unknown():
    con, _ = imported("one row per disposition")
    mix = metrics.outcome_mix(con, JAN_FEB)
    assert mix.loc[mix["outcome"] == schema.UNMAPPED, "contacts"].tolist() == [1]  # T-E13
    f = metrics.headline(con, JAN_FEB)
    assert f["unknown_outcome_contacts"] == 2  # T-E05 (empty) + T-E13 (unmapped)
    assert f["known_outcome_contacts"] == 8


def test_unmapped_codes_are_in_the_printed_report():
    _, r = imported("flags per call")
    text = r.extra["quality_text"]
    assert "responder_type ← Staff Role = 'PEER': 1 row(s), shown as 'unmapped'" in text
    assert "outcome ← Emergency Hold = 'Unk': 1 row(s), shown as 'unmapped'" in text


# ---------------------------------------------------------------- flags, formats, time zones

def test_the_first_flag_saying_yes_in_the_profile_order_gives_the_outcome():
    con, _ = imported("flags per call")
    outcome = {r["encounter_id"]: r["outcome"] for r in db.rows(con, "SELECT encounter_id, outcome FROM encounters")}
    assert outcome["E02"] == "involuntary_hold"  # Emergency Hold and Referred both Y
    assert outcome["E04"] == "resolved_on_scene"  # every flag N: if_none
    assert outcome["E05"] is None  # every flag empty: unknown
    assert outcome["E13"] == "unmapped"  # Emergency Hold "Unk", no Yes anywhere


def test_export_times_in_utc_are_dated_on_the_agency_clock():
    con, _ = imported("one row per disposition")
    d = db.rows(con, "SELECT encounter_date FROM encounters WHERE encounter_id = 'T-E06'")[0]["encounter_date"]
    assert d.isoformat() == "2024-02-01"  # 2024-02-02T03:30Z is 22:30 on 1 Feb in New York


def test_date_and_hour_columns_combine_into_the_received_time():
    con, _ = imported("date and hour columns")
    got = {r["call_id"]: r["t"] for r in db.rows(
        con, "SELECT call_id, strftime(received_local, '%Y-%m-%d %H:%M') AS t FROM calls")}
    assert got["C04"] == "2024-01-20 09:00"  # hour "9"
    assert got["C03"] == "2024-01-15 23:00"


def test_missing_hours_get_the_profile_time_and_are_reported():
    con, r = imported("date and hour columns")
    got = {r["call_id"]: r["t"] for r in db.rows(
        con, "SELECT call_id, strftime(received_local, '%Y-%m-%d %H:%M') AS t FROM calls")}
    assert (got["C06"], got["C12"]) == ("2024-02-10 00:00", "2024-02-12 00:00")
    assert r.extra["time_filled"] == {"received_at": {"rows": 2, "time": "00:00"}}
    assert "2 row(s) had no time for received_at: given 00:00" in r.extra["quality_text"]


def write_profile(tmp_path: Path, base: str, edit) -> Path:
    """A copy of a shipped profile with `edit(dict)` applied, written as TOML."""
    raw = tomllib.loads((PROFILES / base).read_text())
    edit(raw)
    path = tmp_path / base
    path.write_text(dump_toml(raw))
    return path


def dump_toml(raw: dict) -> str:
    """Minimal TOML writer for the profile structures used in these tests."""
    def val(v):
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, (int, float)):
            return str(v)
        if isinstance(v, str):
            return json.dumps(v)
        if isinstance(v, list):
            return "[" + ", ".join(val(x) for x in v) + "]"
        if isinstance(v, dict):
            return "{ " + ", ".join(f"{json.dumps(k)} = {val(x)}" for k, x in v.items()) + " }"
        raise TypeError(v)

    lines, tables = [], []

    def walk(prefix, d):
        scalars = {k: v for k, v in d.items() if not isinstance(v, dict)}
        subs = {k: v for k, v in d.items() if isinstance(v, dict)}
        if prefix:
            tables.append((prefix, scalars))
        else:
            lines.extend(f"{json.dumps(k)} = {val(v)}" for k, v in scalars.items())
        for k, v in subs.items():
            walk(prefix + [k], v)

    walk([], raw)
    for prefix, scalars in tables:
        lines.append("[" + ".".join(json.dumps(p) for p in prefix) + "]")
        lines.extend(f"{json.dumps(k)} = {val(v)}" for k, v in scalars.items())
    return "\n".join(lines) + "\n"


def test_missing_hours_are_quarantined_when_the_profile_gives_no_time(tmp_path):
    path = write_profile(tmp_path, "cad_date_hour.toml", lambda raw: raw["datetimes"]["received_at"].pop("if_time_missing"))
    con = db.connect(":memory:")
    r = importer.import_file(con, EXPORTS / "cad_date_hour/cad_calls.csv", **profiles.import_kwargs(path))
    assert (r.rows_in_file, r.rows_loaded, r.rows_quarantined) == (12, 10, 2)
    q = db.rows(con, "SELECT line, column_name, value, reason, message FROM quarantine ORDER BY line")
    assert [(x["line"], x["column_name"], x["value"], x["reason"]) for x in q] == [
        (7, "CALL_HOUR", None, "missing"), (13, "CALL_HOUR", None, "missing")]
    assert "if_time_missing" in q[0]["message"]


def test_a_value_not_in_the_profile_date_format_is_quarantined_with_its_export_column(tmp_path):
    lines = (EXPORTS / "cad_date_hour/cad_calls.csv").read_text().splitlines()
    lines[3] = lines[3].replace("01/15/2024", "2024-15-01")  # C03, line 4
    export = tmp_path / "cad_calls.csv"
    export.write_text("\n".join(lines) + "\n")
    con = db.connect(":memory:")
    r = importer.import_file(con, export, **profiles.import_kwargs(PROFILES / "cad_date_hour.toml"))
    assert (r.rows_in_file, r.rows_loaded, r.rows_quarantined) == (12, 11, 1)
    [q] = db.rows(con, "SELECT line, column_name, value, reason, message, record FROM quarantine")
    assert (q["line"], q["column_name"], q["value"], q["reason"]) == (4, "CALL_DATE", "2024-15-01", "format")
    assert "%m/%d/%Y" in q["message"] and "cad_date_hour.toml" in q["message"]
    assert json.loads(q["record"])["INC_NO"] == "C03"  # the raw export row, as read


def test_reimporting_a_mapped_export_never_double_counts():
    con, _ = imported("one row per disposition")
    again = importer.import_file(con, EXPORTS / "crisis_dispositions/crisis_contacts.csv",
                                 **profiles.import_kwargs(PROFILES / "crisis_dispositions.toml"))
    assert (again.rows_new, again.rows_updated, again.rows_unchanged, again.rows_collapsed) == (0, 0, 13, 4)
    assert metrics.headline(con, JAN_FEB)["contacts_total"] == 10


def test_export_without_a_column_the_profile_reads_is_rejected_naming_it(tmp_path):
    text = (EXPORTS / "responder_log_flags/responder_log.csv").read_text().replace("Staff Role", "Staff Position", 1)
    export = tmp_path / "log.csv"
    export.write_text(text)
    con = db.connect(":memory:")
    r = importer.import_file(con, export, **profiles.import_kwargs(PROFILES / "responder_log_flags.toml"))
    assert r.status == "rejected"
    assert "'Staff Role'" in r.message and "responder_log_flags.toml" in r.message
    assert "Staff Position" in r.message  # the columns found


def test_export_column_names_match_without_regard_to_case(tmp_path):
    text = (EXPORTS / "cad_date_hour/cad_calls.csv").read_text()
    header, rest = text.split("\n", 1)
    export = tmp_path / "cad.csv"
    export.write_text(header.lower() + "\n" + rest)
    con = db.connect(":memory:")
    r = importer.import_file(con, export, **profiles.import_kwargs(PROFILES / "cad_date_hour.toml"))
    assert (r.status, r.rows_loaded) == ("loaded", 12)


def test_a_constant_fills_every_row(tmp_path):
    export = tmp_path / "bh_only.csv"
    export.write_text("Incident,When,Type\nX1,2024-01-03 10:00:00,WELFARE CHECK\nX2,2024-01-04 11:00:00,THEFT\n")
    profile = tmp_path / "bh_only.toml"
    profile.write_text('table = "calls"\n[columns]\ncall_id = "Incident"\nreceived_at = "When"\ncall_type = "Type"\n'
                       '[constants]\nbh_flag = true\ndistrict = ""\nco_responder_present = false\n')
    con = db.connect(":memory:")
    r = importer.import_file(con, export, **profiles.import_kwargs(profile))
    assert r.rows_loaded == 2
    got = db.rows(con, "SELECT bool_and(is_bh) AS bh, count(district) AS d, bool_or(co_responder_present) AS co FROM calls")
    assert got == [{"bh": True, "d": 0, "co": False}]  # every row is a BH call


def test_import_kwargs_name_the_table_and_allow_unmapped():
    kw = profiles.import_kwargs(PROFILES / "crisis_dispositions.toml")
    assert (kw["table"], kw["allow_unmapped"], kw["profile_name"]) == ("encounters", True, "crisis_dispositions.toml")
    assert callable(kw["stager"])


def test_the_ledger_records_the_profile_used():
    con, _ = imported("date and hour columns")
    row = db.rows(con, "SELECT profile, rows_in_file, rows_loaded FROM imports WHERE table_name = 'calls'")
    assert row == [{"profile": "cad_date_hour.toml", "rows_in_file": 12, "rows_loaded": 12}]


def test_cli_import_with_a_profile_prints_the_quality_report(tmp_path, capsys):
    code = cli.main(["import", "--db", str(tmp_path / "cli.duckdb"), "--profile",
                     str(PROFILES / "crisis_dispositions.toml"), str(EXPORTS / "crisis_dispositions/crisis_contacts.csv")])
    out = capsys.readouterr().out
    assert code == 0
    assert "17 rows in file = 13 loaded (13 new, 0 updated, 0 unchanged) + 0 quarantined + 4 merged" in out
    assert "Disposition = 'MOBILE CRISIS TEAM': 2 row(s), shown as 'unmapped'" in out


# ---------------------------------------------------------------- profile errors name file and key

BASE = {"table": "calls", "columns": {"call_id": "Incident", "received_at": "When", "call_type": "Type",
                                       "district": "Dist", "co_responder_present": "CoResp"}}


def with_(**changes) -> dict:
    raw = json.loads(json.dumps(BASE))
    for dotted, value in changes.items():
        *path, last = dotted.split("__")
        d = raw
        for p in path:
            d = d.setdefault(p, {})
        if value is None:
            d.pop(last, None)
        else:
            d[last] = value
    return raw


@pytest.mark.parametrize("raw, fragments", [
    (with_(colums={}), ["colums", "did you mean 'columns'"]),
    (with_(table="incidents"), ["table", "calls, encounters, arrests"]),
    (with_(columns__recieved_at="When", columns__received_at=None), ["[columns] recieved_at", "did you mean 'received_at'"]),
    (with_(columns__received_at=None), ["no source for required column(s) received_at", "[constants]"]),
    (with_(timezone="Eastern"), ["timezone", "'Eastern'"]),
    (with_(formats__received_at="MM/DD/YYYY"), ["[formats] received_at", "strptime"]),
    (with_(formats__received_at="%Q"), ["[formats] received_at", "not a valid date format"]),
    (with_(values__co_responder_present={"Y": "maybe"}), ["[values.co_responder_present] 'Y'", "true/false"]),
    (with_(constants__district="D1"), ["[constants] district", "already set in [columns]"]),
    (with_(flags__district={"order": [{"column": "X", "value": "a"}]}), ["[flags.district]", "no vocabulary"]),
    (with_(columns__priority="Pri", values__priority={"HIGH": "urgent"}), ["[values.priority] 'HIGH'", "not a number"]),
])
def test_profile_errors_name_the_file_and_the_key(raw, fragments):
    with pytest.raises(profiles.ProfileError) as e:
        profiles.from_dict(raw, Path("profiles/agency.toml"))
    msg = str(e.value)
    assert msg.startswith("profiles/agency.toml: ")
    for f in fragments:
        assert f in msg


def test_a_value_map_to_a_code_outside_the_vocabulary_is_refused_with_a_suggestion():
    raw = {"table": "encounters",
           "columns": {c: c for c in schema.ENCOUNTERS.required_names},
           "values": {"outcome": {"ARR": "arest"}}}
    with pytest.raises(profiles.ProfileError, match=r"\[values.outcome\] 'ARR'.*did you mean 'arrest'"):
        profiles.from_dict(raw, Path("p.toml"))


def test_a_profile_that_is_not_toml_names_the_file(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("table = calls\n")
    with pytest.raises(profiles.ProfileError, match="bad.toml: not valid TOML"):
        profiles.load(bad)


def test_every_shipped_profile_loads():
    shipped = profiles.available()
    assert {p.name for p in shipped} >= {s[0] for s in SHAPES.values()}
    for p in shipped:
        assert profiles.load(p).name


# ---------------------------------------------------------------- starting a profile from a header

def test_draft_lists_every_header_column_and_is_valid_toml():
    header = (EXPORTS / "cad_date_hour/cad_calls.csv").read_text().splitlines()[0].split(",")
    draft = profiles.draft_from_header(header, "calls", "cad_calls.csv")
    tomllib.loads(draft)
    for h in header:
        assert f'"{h}" →' in draft
    assert '# call_id = "INC_NO"   # best guess' in draft
    assert "# received_at = \"?\"   # REQUIRED" in draft  # no column named like it: CALL_DATE + CALL_HOUR


def test_draft_guesses_renames_from_common_export_names():
    header = (EXPORTS / "responder_log_flags/responder_log.csv").read_text().splitlines()[0].split(",")
    guesses = profiles.guess_columns(header, "encounters")
    assert guesses["CAD Incident"] == "call_id"
    assert guesses["Contact Date"] == "encounter_date"
    assert guesses["Staff Role"] == "responder_type"
    assert guesses["Client Ref"] == "person_key"
    assert guesses["Contact Kind"] == "contact_type"
    assert guesses["Referred Agency"] == "referral_agency"
    assert "Arrested" not in guesses


def test_a_draft_with_its_guesses_uncommented_is_a_loadable_profile():
    header = ["Incident Number", "Call Received", "Nature", "District", "Co Responder", "Disposition"]
    draft = profiles.draft_from_header(header, "calls")
    text = "\n".join(line[2:] if "best guess" in line else line for line in draft.splitlines())
    p = profiles.from_dict(tomllib.loads(text), Path("draft.toml"))
    assert p.columns == {"call_id": "Incident Number", "received_at": "Call Received", "call_type": "Nature",
                         "district": "District", "co_responder_present": "Co Responder",
                         "disposition": "Disposition"}


# ---------------------------------------------------------------- the loader accepts only what the importer loads

ENC = {"table": "encounters",
       "columns": {"encounter_id": "ID", "encounter_date": "Date", "outcome": "Outcome"},
       "constants": {"call_id": "", "person_key": "", "contact_type": "on_scene", "responder_type": "unknown"}}


def enc(**constants) -> dict:
    raw = json.loads(json.dumps(ENC))
    raw["constants"].update(constants)
    return raw


@pytest.mark.parametrize("column", ["responder_type", "contact_type"])
def test_an_empty_constant_for_a_required_column_is_refused_naming_the_allowed_values(column):
    # the importer would quarantine every row as "missing"; the loader says so first
    with pytest.raises(profiles.ProfileError) as e:
        profiles.from_dict(enc(**{column: ""}), Path("profiles/log.toml"))
    msg = str(e.value)
    assert msg.startswith(f"profiles/log.toml: [constants] {column}: {column} cannot be empty")
    for value in schema.ENCOUNTERS.column(column).values:
        assert value in msg


def test_a_value_map_to_empty_for_a_required_column_is_refused():
    raw = enc()
    raw["constants"].pop("responder_type")
    raw["columns"]["responder_type"] = "Role"
    raw["values"] = {"responder_type": {"LCSW": "clinician_liaison", "OFFICER": ""}}
    with pytest.raises(profiles.ProfileError, match=r"\[values.responder_type\] 'OFFICER': responder_type cannot be empty"):
        profiles.from_dict(raw)


def test_a_missing_required_vocabulary_column_suggests_unknown():
    raw = enc()
    raw["constants"].pop("responder_type")
    with pytest.raises(profiles.ProfileError, match='responder_type = "unknown" when the export does not say'):
        profiles.from_dict(raw)


@pytest.mark.parametrize("column, value, words", [
    ("encounter_date", "yesterday", "not a date"), ("minutes", "ten", "not a number")])
def test_a_constant_that_the_importer_cannot_read_is_refused(column, value, words):
    with pytest.raises(profiles.ProfileError, match=rf"\[constants\] {column}: '{value}' is {words}"):
        profiles.from_dict(enc(**{column: value}) | {"columns": {"encounter_id": "ID", "outcome": "Outcome",
                                                                  **({"encounter_date": "Date"}
                                                                     if column != "encounter_date" else {})}})


@pytest.mark.parametrize("responder", ["unknown", "patrol_officer"])
def test_a_profile_can_say_the_responder_is_unknown_or_a_patrol_officer(responder, tmp_path):
    export = tmp_path / "log.csv"
    export.write_text("ID,Date,Outcome\nE1,2024-01-05,resolved_on_scene\nE2,2024-01-06,\n")
    profile = tmp_path / "log.toml"
    raw = enc(responder_type=responder)
    profile.write_text("\n".join([
        'table = "encounters"', "[columns]", *[f'{k} = "{v}"' for k, v in raw["columns"].items()],
        "[constants]", *[f'{k} = "{v}"' for k, v in raw["constants"].items()]]) + "\n")
    con = db.connect(":memory:")
    r = importer.import_file(con, export, **profiles.import_kwargs(profile))
    assert (r.rows_loaded, r.rows_quarantined) == (2, 0)
    assert db.rows(con, "SELECT DISTINCT responder_type FROM encounters") == [{"responder_type": responder}]


# ---------------------------------------------------------------- one export, several tables

MULTI = {"name": "Crisis export", "null_values": ["-"],
         "calls": {"columns": {"call_id": "Case", "received_at": "When", "call_type": "Type", "outcome": "Result"},
                   "constants": {"district": "", "co_responder_present": ""},
                   "values": {"outcome": {"ARR": "arrest"}}},
         "encounters": {"columns": {"encounter_id": "Case", "call_id": "Case", "encounter_date": "When"},
                        "constants": {"responder_type": "patrol_officer", "contact_type": "on_scene",
                                      "person_key": "", "outcome": ""}}}


def test_a_profile_with_table_sections_fills_each_table_in_order():
    p = profiles.from_dict(json.loads(json.dumps(MULTI)))
    assert [o.table.name for o in p.outputs] == ["calls", "encounters"]
    assert p.tables_label == "calls, encounters"
    assert all(o.null_values == ("-",) and o.name == "Crisis export" for o in p.outputs)


def test_an_error_in_a_table_section_names_the_section():
    raw = json.loads(json.dumps(MULTI))
    raw["encounters"]["columns"]["encounter_dat"] = raw["encounters"]["columns"].pop("encounter_date")
    with pytest.raises(profiles.ProfileError, match=r"^p.toml: \[encounters.columns\] encounter_dat: .*did you mean "
                                                    "'encounter_date'"):
        profiles.from_dict(raw, Path("p.toml"))


def test_table_keys_at_the_top_of_a_several_table_profile_are_pointed_to_their_section():
    raw = json.loads(json.dumps(MULTI)) | {"formats": {"received_at": "%Y"}}
    with pytest.raises(profiles.ProfileError, match=r"formats: unknown setting; in a profile that fills several "
                                                    r"tables, formats goes inside each table's section \(\[calls.formats\]\)"):
        profiles.from_dict(raw)


def test_import_kwargs_refuses_a_several_table_profile_and_import_plan_lists_both(tmp_path):
    path = PROFILES / "seattle_crisis_templates.toml"
    with pytest.raises(profiles.ProfileError, match=r"fills several tables \(calls, encounters, arrests\)"):
        profiles.import_kwargs(path)
    assert [k["table"] for k in profiles.import_plan(path)] == ["calls", "encounters", "arrests"]


def test_cli_import_with_a_several_table_profile_reports_each_table(tmp_path, capsys):
    code = cli.main(["import", "--db", str(tmp_path / "cli.duckdb"), "--profile",
                     str(PROFILES / "seattle_crisis_templates.toml"),
                     str(FIXTURES / "real_layouts/seattle_crisis/crisis_data.csv")])
    out = capsys.readouterr().out
    assert code == 0
    assert "crisis_data.csv → calls: 29 rows in file = 13 loaded (13 new, 0 updated, 0 unchanged) + 2 quarantined + 14 merged" in out
    assert "crisis_data.csv → encounters: 29 rows in file = 13 loaded (13 new, 0 updated, 0 unchanged) + 2 quarantined + 14 merged" in out
    assert ("crisis_data.csv → arrests: 29 rows in file = 2 loaded (2 new, 0 updated, 0 unchanged) + 0 quarantined "
            "+ 1 merged into a row with the same key + 26 for the profile's other tables only ([arrests.where])") in out
    assert "Rows: 29 in file = 2 loaded + 0 quarantined + 1 merged into a row with the same arrest_id + 26 for the " \
           "profile's other tables only ([arrests.where])" in out


# ---------------------------------------------------------------- a row filter: one export, records of several tables

ROW_FILTER = {"name": "Crisis export", "null_values": ["-"],
              "calls": {"columns": {"call_id": "Case", "received_at": "When", "call_type": "Type",
                                    "disposition": "Disp"},
                        "constants": {"district": "", "co_responder_present": ""},
                        "collapse": {"key": "call_id"}},
              "arrests": {"where": {"column": "Disp", "values": ["Subject Arrested", "Booked"]},
                          "columns": {"arrest_id": "Case", "call_id": "Case", "arrested_at": "When"},
                          "prefix": {"arrest_id": "X-"}, "constants": {"person_key": ""},
                          "collapse": {"key": "arrest_id"}}}
ROW_FILTER_EXPORT = ("Case,When,Type,Disp\n"
                     "1,2024-01-05 10:00:00,CRISIS,Subject Arrested\n"
                     "1,2024-01-05 10:00:00,CRISIS,subject arrested \n"   # the same arrest, any case and spacing
                     "2,2024-01-06 10:00:00,CRISIS,Mobile Crisis Team\n"
                     "3,2024-01-07 10:00:00,CRISIS,-\n"                    # unknown: not an arrest record
                     "4,not a date,CRISIS,BOOKED\n")                       # an arrest record that cannot be read


def _row_filter_import(tmp_path):
    import tomli_w

    profile = tmp_path / "crisis.toml"
    profile.write_text(tomli_w.dumps(ROW_FILTER))
    export = tmp_path / "crisis.csv"
    export.write_text(ROW_FILTER_EXPORT)
    con = db.connect(":memory:")
    return con, profiles.import_with_profile(con, export, profile)


def test_only_the_rows_the_row_filter_names_become_records_of_its_table(tmp_path):
    con, (calls, arrests) = _row_filter_import(tmp_path)
    assert con.execute("SELECT arrest_id, call_id FROM arrests").fetchall() == [("X-1", "1")]
    # 5 rows = 1 loaded + 1 quarantined (case 4: its date) + 1 merged + 2 rows of the calls only
    assert (arrests.rows_in_file, arrests.rows_loaded, arrests.rows_quarantined, arrests.rows_collapsed,
            arrests.rows_other_tables) == (5, 1, 1, 1, 2)
    assert arrests.balanced and calls.balanced and calls.rows_other_tables == 0
    assert con.execute("SELECT table_name, line FROM quarantine ORDER BY 1").fetchall() == [
        ("arrests", 6), ("calls", 6)]


def test_reimporting_an_export_with_a_row_filter_adds_no_arrest(tmp_path):
    con, _ = _row_filter_import(tmp_path)
    again = profiles.import_with_profile(con, tmp_path / "crisis.csv", tmp_path / "crisis.toml")
    assert [(r.table, r.rows_new, r.rows_unchanged, r.rows_other_tables) for r in again] == [
        ("calls", 0, 3, 0), ("arrests", 0, 1, 2)]
    assert con.execute("SELECT count(*) FROM arrests").fetchone() == (1,)


@pytest.mark.parametrize("section, fragments", [
    ({"where": {"column": "Disp", "values": []}}, ["[arrests.where] values", "Subject Arrested"]),
    ({"where": {"column": " ", "values": ["A"]}}, ["[arrests.where] column", "must name the export column"]),
    ({"where": {"values": ["A"]}}, ["[arrests.where]", "column"]),
    ({"prefix": {"charge_level": "X-"}}, ["[arrests.prefix] charge_level", "text column read as exported"]),
    ({"prefix": {"arrest_id": ""}}, ["[arrests.prefix] arrest_id", "the text put before every value"]),
])
def test_a_broken_row_filter_or_prefix_names_the_section_and_key(section, fragments):
    raw = json.loads(json.dumps(ROW_FILTER))
    raw["arrests"].update(section)
    with pytest.raises(profiles.ProfileError) as e:
        profiles.from_dict(raw, Path("p.toml"))
    for f in fragments:
        assert f in str(e.value)


# ---------------------------------------------------------------- call-level outcomes in canonical files

def test_a_canonical_calls_file_may_give_the_outcome_and_unknown(tmp_path):
    export = tmp_path / "calls.csv"
    export.write_text("call_id,received_at,call_type,district,co_responder_present,outcome\n"
                      "C1,2024-01-05 10:00:00,MENTAL HEALTH CRISIS,D1,,arrest\n"
                      "C2,2024-01-05 11:00:00,MENTAL HEALTH CRISIS,D1,,unknown\n"
                      "C3,2024-01-05 12:00:00,MENTAL HEALTH CRISIS,D1,,arested\n")
    con = db.connect(":memory:")
    r = importer.import_file(con, export)
    assert (r.rows_loaded, r.rows_quarantined) == (2, 1)
    q = db.rows(con, "SELECT line, column_name, reason, message FROM quarantine")[0]
    assert (q["line"], q["column_name"], q["reason"]) == (4, "outcome", "vocabulary")
    assert "unknown" in q["message"] and "involuntary_hold" in q["message"]
    assert db.rows(con, "SELECT call_id, outcome, outcome_source FROM call_outcome_facts ORDER BY 1") == [
        {"call_id": "C1", "outcome": "arrest", "outcome_source": "export"},
        {"call_id": "C2", "outcome": "unknown", "outcome_source": None}]
