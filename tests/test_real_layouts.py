"""Three real public export layouts, written by hand, imported through the shipped profiles.

Every expected figure below was counted by hand from the fixture files in
tests/fixtures/real_layouts/ (the counts are repeated in the comments next to them).

(a) toronto_pic/persons_in_crisis.csv: Toronto "Persons in Crisis Calls for Service
    Attended" layout; 24 rows, one per call, all behavioral-health (BH) calls.
    Jan 8 calls (PIC-0001..0008), Feb 9 (0009..0017), Mar 7 (0018..0024; the extract ends
    on 12 March). event_hour NA on PIC-0003, PIC-0011, PIC-0020 (3 calls).
    apprehension_made Yes on PIC-0001, 0005, 0010, 0015, 0019, 0024 (6 calls).
    Division: D11 6 calls (holds 0001, 0010 → 2), D14 6 (0005, 0015, 0024 → 3),
    D51 7 (0019 → 1), D55 5 (none → 0). No co-responder, arrest or outcome other than
    the apprehension flag: diversion, connection to care and arrests are not measured.

(b) seattle_crisis/crisis_data.csv: Seattle "Crisis Data" layout (25 columns); 29 rows
    for 14 templates, one row per officer per disposition:
      245001 2 rows (2 officers)        Emergent Detention/ITA          → involuntary_hold
      245002 1                          Resources Offered/Declined      → refused_unable_to_contact
      245003 3 (3 officers)             Mobile Crisis Team              → referred_outpatient
      245004 4 (2 officers × 2 disp.)   Subject Arrested + Emergent Det → arrest (precedence)
      245005 1                          No Action Possible or Necessary → resolved_on_scene
      245006 2                          "-"                             → unknown
      245007 2                          Emergent Detention/ITA          → involuntary_hold
      245008 1 (precinct "east")        Resources Offered/Declined      → refused_unable_to_contact
      245009 2                          No Action Possible or Necessary → resolved_on_scene
      245010 4 (2 officers × MCT, "-")  Mobile Crisis Team              → referred_outpatient
      245011 1 (precinct "SouthWest")   Subject Arrested                → arrest
      245012 2                          Mobile Crisis Team              → referred_outpatient
      245013 2 reported 1900-01-01 (a dummy date) → both rows quarantined
      245014 2                          Shelter Transport (not mapped)  → unmapped
    Calls: 29 rows = 13 loaded + 2 quarantined + 14 merged (1+0+2+3+0+1+1+0+1+3+0+1+1).
    Contacts: the same 13 + 2 + 14. Arrests (rows whose Disposition is "Subject Arrested":
    245004 twice, 245011 once): 29 rows = 2 loaded + 0 quarantined + 1 merged + 26 rows
    for the other tables only. Outcomes of the 13 calls: involuntary_hold 2,
    arrest 2, referred_outpatient 3, resolved_on_scene 2, refused_unable_to_contact 2,
    unknown 1, unmapped 1; recorded (known) on 11. Diverted (resolved or care, and no arrest
    record names the call) 5 of 11 (245003, 005, 009, 010, 012); connection to care 3 of 11;
    involuntary holds 2 of 11; ED transports 2 of 11; arrests: 2 of the 13 BH calls have an
    arrest record (245004, 245011), from the arrest records of the same file.
    A CIT-certified officer attended 8 templates (245001, 003, 004, 007, 009, 011, 012, 014),
    none on 5. Precinct: West 3 (001, 006, 009), North 3 (002, 007, 012), Southwest 2
    (003, 011), East 3 (004, 008, 014), South 2 (005, 010). Force: 245004 only.
    Months: Jan 6 (001..006), Feb 6 (007..012), Mar 1 (014).

(c) cad_only/cad_calls.csv: a CAD export with disposition codes and no co-responder
    field; 28 rows: 26 calls, one exact repeat of 24-000126 (the last one is kept) and one
    impossible date (24-000127, 02/30/2024) → 26 loaded + 2 quarantined. Agency settings in
    cad_only/config/agency.toml map the codes. 18 BH calls (MENTAL HEALTH, SUICIDAL PERSON,
    WELFARE CHECK - MH) with codes ADV 4 (101, 110, 115, 126), REF 2 (108, 123), CC 1 (112),
    TH 2 (105, 118), MH 3 (103, 114, 120), A 2 (107, 125), GOA 2 (104, 121), R 1 (111,
    mapped to "unknown"), CAN 1 (117, not in the map → unmapped); 8 other calls (A 3, R 3,
    ADV 2). BH calls with a known outcome 16: diverted 4+2+1+2 = 9, connection to care
    2+1+2 = 5, involuntary holds 3, ED transports 2+3 = 5, arrests 2.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pmhc import config, db, importer, profiles

from .conftest import FIXTURES

LAYOUTS = FIXTURES / "real_layouts"
PROFILES = profiles.PROFILES_DIR
TORONTO = (LAYOUTS / "toronto_pic" / "persons_in_crisis.csv", PROFILES / "toronto_persons_in_crisis.toml")
SEATTLE = (LAYOUTS / "seattle_crisis" / "crisis_data.csv", PROFILES / "seattle_crisis_templates.toml")
CAD = (LAYOUTS / "cad_only" / "cad_calls.csv", PROFILES / "cad_dispositions.toml")
CAD_AGENCY = LAYOUTS / "cad_only" / "config" / "agency.toml"


def _import(layout, cfg=None):
    cfg = cfg or config.load_agency()
    con = db.connect(":memory:", cfg=cfg)
    export, profile = layout
    reports = profiles.import_with_profile(con, export, profile, cfg=cfg)
    assert all(r.status == "loaded" for r in reports), [r.message for r in reports]
    return con, reports


def one(con, sql: str, params: dict | None = None):
    return con.execute(sql, params or {}).fetchone()


def pairs(con, sql: str) -> dict:
    return dict(con.execute(sql).fetchall())


@pytest.fixture
def toronto():
    con, reports = _import(TORONTO)
    yield con, reports
    con.close()


@pytest.fixture
def seattle():
    con, reports = _import(SEATTLE)
    yield con, reports
    con.close()


@pytest.fixture
def cad():
    cfg = config.load_agency(CAD_AGENCY)
    con, reports = _import(CAD, cfg)
    yield con, reports
    con.close()


# ------------------------------------------------------------------ (a) one row per call, Yes/No flags

def test_toronto_every_row_is_one_bh_call(toronto):
    con, (report,) = toronto
    assert (report.table, report.rows_in_file, report.rows_loaded, report.rows_quarantined) == ("calls", 24, 24, 0)
    assert one(con, "SELECT count(*), count(*) FILTER (WHERE is_bh) FROM calls") == (24, 24)


def test_toronto_calls_by_month_include_the_partial_last_month(toronto):
    con, _ = toronto
    assert pairs(con, "SELECT strftime(month, '%Y-%m'), count(*) FROM call_facts GROUP BY 1") == {
        "2024-01": 8, "2024-02": 9, "2024-03": 7}


def test_toronto_na_hours_keep_their_day_but_have_no_hour(toronto):
    con, _ = toronto
    rows = con.execute("SELECT call_id, call_date::VARCHAR, hour FROM call_facts WHERE NOT hour_known "
                       "ORDER BY call_id").fetchall()
    assert rows == [("PIC-0003", "2024-01-07", None), ("PIC-0011", "2024-02-08", None),
                    ("PIC-0020", "2024-03-05", None)]
    assert one(con, "SELECT hour FROM call_facts WHERE call_id = 'PIC-0005'") == (3,)


def test_toronto_apprehension_flag_measures_involuntary_holds_on_every_call(toronto):
    con, _ = toronto
    # measured on all 24 calls (Yes or No), 6 Yes
    assert one(con, "SELECT count(involuntary_hold), count(*) FILTER (WHERE involuntary_hold) "
                    "FROM call_outcome_facts") == (24, 6)
    assert pairs(con, "SELECT district, count(*) FILTER (WHERE involuntary_hold) FROM call_outcome_facts "
                      "GROUP BY 1") == {"D11": 2, "D14": 3, "D51": 1, "D55": 0}
    assert pairs(con, "SELECT outcome, count(*) FROM call_outcome_facts GROUP BY 1") == {
        "involuntary_hold": 6, "unknown": 18}


def test_toronto_a_hold_is_an_ed_transport_and_no_is_not(toronto):
    con, _ = toronto
    assert one(con, "SELECT count(transported), count(*) FILTER (WHERE transported) FROM call_outcome_facts") == (24, 6)


def test_toronto_diversion_care_and_arrests_are_not_measured(toronto):
    con, _ = toronto
    # the extract records no outcome that makes these true: NULL on every call, not false
    assert one(con, "SELECT count(diverted), count(connected_to_care), count(arrested), count(arrest_source) "
                    "FROM call_outcome_facts") == (0, 0, 0, 0)


def test_toronto_co_response_is_not_recorded(toronto):
    con, _ = toronto
    assert one(con, "SELECT count(co_responder_present) FROM call_outcome_facts") == (0,)


# ------------------------------------------------------------------ (b) one row per officer per template

def test_seattle_fills_calls_contacts_and_arrests_from_one_file(seattle):
    _, reports = seattle
    assert [r.table for r in reports] == ["calls", "encounters", "arrests"]


@pytest.mark.parametrize("table", ["calls", "encounters"])
def test_seattle_row_accounting_is_exact_in_each_table(seattle, table):
    con, reports = seattle
    r = next(r for r in reports if r.table == table)
    # 29 rows = 13 templates loaded + 2 rows of the dummy-dated template + 14 repeats merged
    assert (r.rows_in_file, r.rows_loaded, r.rows_quarantined, r.rows_collapsed) == (29, 13, 2, 14)
    assert r.balanced
    assert one(con, "SELECT count(*), list(DISTINCT line ORDER BY line) FROM quarantine WHERE table_name = $t",
               {"t": table}) == (2, [27, 28])


def test_seattle_arrest_records_are_the_rows_whose_disposition_is_subject_arrested(seattle):
    con, reports = seattle
    r = next(r for r in reports if r.table == "arrests")
    # 245004: 4 rows, 2 of them "Subject Arrested" → 1 arrest + 1 merged; 245011: 1 row → 1 arrest;
    # the other 26 rows are records of calls and contacts only
    assert (r.rows_in_file, r.rows_loaded, r.rows_quarantined, r.rows_collapsed, r.rows_other_tables) == (
        29, 2, 0, 1, 26)
    assert r.balanced and "+ 26 for the profile's other tables only ([arrests.where])" in r.summary()
    assert con.execute("SELECT arrest_id, call_id, person_key, strftime(arrested_at, '%Y-%m-%d %H:%M') "
                       "FROM arrests ORDER BY 1").fetchall() == [
        ("crisis-template-245004", "245004", None, "2024-01-13 03:40"),
        ("crisis-template-245011", "245011", None, "2024-02-20 02:05")]
    # the ledger holds every table's accounting: rows in file = loaded + quarantined + merged + other
    assert con.execute("SELECT table_name, rows_in_file, rows_loaded, rows_quarantined, rows_merged, "
                       "rows_other_tables FROM imports ORDER BY import_id").fetchall() == [
        ("calls", 29, 13, 2, 14, 0), ("encounters", 29, 13, 2, 14, 0), ("arrests", 29, 2, 0, 1, 26)]


def test_seattle_no_call_is_counted_twice(seattle):
    con, _ = seattle
    # one call per template, however many officers and dispositions it has
    assert one(con, "SELECT count(*), count(DISTINCT call_id) FROM calls") == (13, 13)
    assert one(con, "SELECT sum(calls)::INTEGER, sum(bh_calls)::INTEGER FROM call_day_rollup") == (13, 13)
    assert one(con, "SELECT count(*), count(DISTINCT encounter_id) FROM encounters") == (13, 13)
    assert pairs(con, "SELECT strftime(month, '%Y-%m'), count(*) FROM call_facts GROUP BY 1") == {
        "2024-01": 6, "2024-02": 6, "2024-03": 1}


def test_seattle_reimporting_the_export_adds_nothing(seattle):
    con, _ = seattle
    again = profiles.import_with_profile(con, *SEATTLE)
    assert [(r.rows_new, r.rows_updated, r.rows_unchanged) for r in again] == [(0, 0, 13), (0, 0, 13), (0, 0, 2)]
    assert one(con, "SELECT (SELECT count(*) FROM calls), (SELECT count(*) FROM encounters), "
                    "(SELECT count(*) FROM arrests), (SELECT count(*) FROM quarantine)") == (13, 13, 2, 4)


def test_seattle_winning_disposition_follows_the_profile_precedence(seattle):
    con, _ = seattle
    got = pairs(con, "SELECT call_id, outcome FROM call_outcome_facts WHERE call_id IN "
                     "('245004', '245010', '245006', '245014')")
    assert got == {"245004": "arrest",               # Subject Arrested beats Emergent Detention
                   "245010": "referred_outpatient",  # Mobile Crisis Team beats "-"
                   "245006": "unknown",              # "-" only
                   "245014": "unmapped"}             # Shelter Transport, listed in the report


def test_seattle_call_outcomes_match_the_hand_count(seattle):
    con, _ = seattle
    assert pairs(con, "SELECT outcome, count(*) FROM call_outcome_facts GROUP BY 1") == {
        "involuntary_hold": 2, "arrest": 2, "referred_outpatient": 3, "resolved_on_scene": 2,
        "refused_unable_to_contact": 2, "unknown": 1, "unmapped": 1}
    assert one(con, "SELECT count(*) FILTER (WHERE outcome_known), any_value(outcome_source) "
                    "FROM call_outcome_facts WHERE outcome_known") == (11, "export")


def test_seattle_outcome_figures_are_measured_on_the_recorded_calls(seattle):
    con, _ = seattle
    row = one(con, """SELECT count(diverted), count(*) FILTER (WHERE diverted),
                             count(connected_to_care), count(*) FILTER (WHERE connected_to_care),
                             count(involuntary_hold), count(*) FILTER (WHERE involuntary_hold),
                             count(transported), count(*) FILTER (WHERE transported),
                             count(arrested), count(*) FILTER (WHERE arrested),
                             list(DISTINCT arrest_source) FILTER (WHERE arrest_source IS NOT NULL)
                      FROM call_outcome_facts""")
    # arrests: every call is measured by the arrest records of the same file, 2 have one
    assert row == (11, 5, 11, 3, 11, 2, 11, 2, 13, 2, ["arrest records"])


def test_seattle_unmapped_disposition_is_listed_in_the_import_report(seattle):
    _, reports = seattle
    for r in reports[:2]:  # the arrests read only "Subject Arrested" rows: nothing unmapped there
        assert r.extra["unmapped"] == [{"column": "outcome", "source": "Disposition", "value": "Shelter Transport",
                                        "rows": 2, "result": "unmapped"}]


def test_seattle_cit_officer_present_when_any_attending_officer_is_certified(seattle):
    con, _ = seattle
    assert pairs(con, "SELECT cit_officer_present, count(*) FROM calls GROUP BY 1") == {True: 8, False: 5}
    assert pairs(con, "SELECT use_of_force, count(*) FROM calls GROUP BY 1") == {True: 1, False: 12}


def test_seattle_precinct_spellings_are_one_district(seattle):
    con, _ = seattle
    assert pairs(con, "SELECT district, count(*) FROM call_facts GROUP BY 1") == {
        "West": 3, "North": 3, "Southwest": 2, "East": 3, "South": 2}


def test_seattle_contacts_name_cit_or_patrol_officers_only(seattle):
    con, _ = seattle
    # never a clinician: the export names none; a police-only response is patrol_officer
    assert pairs(con, "SELECT responder_type, count(*) FROM encounters GROUP BY 1") == {
        "cit_officer": 8, "patrol_officer": 5}
    assert pairs(con, "SELECT outcome, count(*) FROM encounter_facts GROUP BY 1") == {
        "involuntary_hold": 2, "arrest": 2, "referred_outpatient": 3, "resolved_on_scene": 2,
        "refused_unable_to_contact": 2, "unknown": 1, "unmapped": 1}


def test_seattle_officer_columns_never_reach_the_database(seattle):
    con, _ = seattle
    records = " ".join(r for (r,) in con.execute("SELECT record FROM quarantine").fetchall())
    for officer_detail in ("4109", "4104", "Officer Race", "Officer Year of Birth", "White"):
        assert officer_detail not in records


# ------------------------------------------------------------------ (c) CAD only, disposition codes

def test_cad_row_accounting_is_exact(cad):
    con, (report,) = cad
    assert (report.rows_in_file, report.rows_loaded, report.rows_quarantined) == (28, 26, 2)
    assert con.execute("SELECT line, reason FROM quarantine ORDER BY line").fetchall() == [
        (27, "duplicate"), (28, "format")]


def test_cad_outcomes_come_from_the_agency_disposition_map(cad):
    con, _ = cad
    assert pairs(con, "SELECT outcome, count(*) FROM call_outcome_facts WHERE is_bh GROUP BY 1") == {
        "resolved_on_scene": 4, "referred_outpatient": 2, "crisis_center": 1, "voluntary_ed": 2,
        "involuntary_hold": 3, "arrest": 2, "refused_unable_to_contact": 2, "unknown": 1, "unmapped": 1}
    assert pairs(con, "SELECT coalesce(outcome_source, '-'), count(*) FROM call_outcome_facts GROUP BY 1") == {
        "disposition map": 21, "-": 5}  # 16 BH + 5 other calls mapped; R ×4 and CAN are not


def test_cad_bh_outcome_figures_match_the_hand_count(cad):
    con, _ = cad
    row = one(con, """SELECT count(*), count(*) FILTER (WHERE outcome_known),
                             count(*) FILTER (WHERE diverted), count(*) FILTER (WHERE connected_to_care),
                             count(*) FILTER (WHERE involuntary_hold), count(*) FILTER (WHERE transported),
                             count(*) FILTER (WHERE arrested), count(arrested), list(DISTINCT arrest_source) FILTER (WHERE arrest_source IS NOT NULL)
                      FROM call_outcome_facts WHERE is_bh""")
    assert row == (18, 16, 9, 5, 3, 5, 2, 16, ["call outcome"])


def test_cad_has_no_co_responder_field(cad):
    con, _ = cad
    assert one(con, "SELECT count(co_responder_present) FROM call_outcome_facts") == (0,)


def test_cad_editing_the_disposition_map_needs_no_reimport(cad, tmp_path):
    con, _ = cad
    path = tmp_path / "cad.duckdb"
    con.execute(f"ATTACH '{path}' AS f")
    con.execute("COPY FROM DATABASE memory TO f")
    con.execute("DETACH f")
    without_map = config.AgencyConfig(timezone="America/Chicago",
                                      bh_call_types=config.load_agency(CAD_AGENCY).bh_call_types)
    again = db.connect(path, cfg=without_map)
    try:
        assert one(again, "SELECT count(*) FILTER (WHERE outcome_known), count(diverted), count(outcome_source) "
                          "FROM call_outcome_facts") == (0, 0, 0)
    finally:
        again.close()


def test_cad_arrest_records_take_precedence_over_the_call_outcome(cad, tmp_path):
    con, _ = cad
    arrests = tmp_path / "arrests.csv"
    arrests.write_text("arrest_id,call_id,person_key,arrested_at,charge_level,booked\n"
                       "R-1,24-000110,P9,2024-01-17 20:50:00,misdemeanor,true\n")
    assert importer.import_file(con, arrests, cfg=config.load_agency(CAD_AGENCY)).rows_loaded == 1
    row = one(con, """SELECT count(arrested), count(*) FILTER (WHERE arrested), list(DISTINCT arrest_source) FILTER (WHERE arrest_source IS NOT NULL),
                             count(*) FILTER (WHERE diverted)
                      FROM call_outcome_facts WHERE is_bh""")
    # every BH call is measured by the records; 24-000110 (ADV) is no longer diverted: 9 - 1
    assert row == (18, 1, ["arrest records"], 8)


# ------------------------------------------------------------------ every page opens on each layout

@pytest.mark.parametrize("layout", ["toronto", "seattle", "cad"])
def test_every_page_opens_on_each_real_layout(layout, tmp_path, monkeypatch):
    """A new user's first look: partial exports (no co-responder field, no clinician log, NA
    hours, no arrests) must not break a page. What each figure shows is tested with the
    figure registry; here no page may raise."""
    from streamlit.testing.v1 import AppTest

    from pmhc import access, auth

    export, profile = {"toronto": TORONTO, "seattle": SEATTLE, "cad": CAD}[layout]
    if layout == "cad":
        monkeypatch.setenv("PMHC_CONFIG_DIR", str(CAD_AGENCY.parent))
    path = tmp_path / f"{layout}.duckdb"
    monkeypatch.setenv("PMHC_DB", str(path))
    # An administrator, logged in (demo visitors are never administrators, so every page
    # including Data and Audit log needs a login).
    monkeypatch.delenv("PMHC_DEMO", raising=False)
    con = db.connect(path)
    profiles.import_with_profile(con, export, profile)
    con.close()
    app = Path(__file__).resolve().parent.parent / "app.py"
    for spec in access.pages_for("admin"):
        at = AppTest.from_file(str(app), default_timeout=120)
        at.session_state["role"] = "admin"
        at.session_state[auth.SESSION_KEY] = {"user": "test-admin", "role": "admin", "method": "local"}
        at.query_params.update({"period": "months", "from": "2024-01", "to": "2024-03"})
        at.run()
        if spec.key != "overview":
            at.switch_page(spec.path)
            at.run()
        assert not at.exception, (spec.key, [e.value for e in at.exception])


# ------------------------------------------------------------------ queries/call_outcomes.sql

Q1_2024 = {"start": "2024-01-01", "end": "2024-04-01", "district": None}


def outcomes_from_calls(con, by: str = "total", **params) -> list[dict]:
    from pmhc import sql

    return sql.records(con, "outcomes_from_calls", {**Q1_2024, "by": by, **params})


def test_call_outcome_figures_for_the_flags_export_say_what_is_not_measured(toronto):
    con, _ = toronto
    (row,) = outcomes_from_calls(con)
    assert (row["bh_calls"], row["holds_measured"], row["involuntary_hold_calls"]) == (24, 24, 6)
    assert row["call_involuntary_hold_rate"] == pytest.approx(6 / 24)
    assert (row["transports_measured"], row["ed_transport_calls"]) == (24, 6)
    # nothing in the extract bears on these: measured on 0 calls, rate NULL (never 0.0%)
    assert (row["diversion_measured"], row["care_measured"], row["arrests_measured"]) == (0, 0, 0)
    assert (row["call_diversion_rate"], row["call_connection_to_care_rate"], row["call_arrest_rate"],
            row["arrest_source"]) == (None, None, None, None)


def test_call_outcome_figures_for_the_template_export(seattle):
    con, _ = seattle
    (row,) = outcomes_from_calls(con)
    assert {k: row[k] for k in ("bh_calls", "bh_calls_outcome_known", "bh_calls_outcome_unknown",
                                "diversion_measured", "diverted_calls", "care_connected_calls",
                                "involuntary_hold_calls", "ed_transport_calls", "arrested_calls",
                                "arrest_source")} == {
        "bh_calls": 13, "bh_calls_outcome_known": 11, "bh_calls_outcome_unknown": 2, "diversion_measured": 11,
        "diverted_calls": 5, "care_connected_calls": 3, "involuntary_hold_calls": 2, "ed_transport_calls": 2,
        "arrested_calls": 2, "arrest_source": "arrest records"}
    assert row["call_diversion_rate"] == pytest.approx(5 / 11)


def test_call_outcome_figures_by_district_add_up_to_the_total(cad):
    con, _ = cad
    by = {r["bucket"]: r for r in outcomes_from_calls(con, "district")}
    # BH calls by zone: Z1 101 103 107 112 117 121 126 = 7; Z2 105 108 111 114 118 123 = 6;
    # Z3 104 110 115 120 125 = 5. Diverted: Z1 101 112 126 = 3; Z2 105 108 118 123 = 4; Z3 110 115 = 2.
    assert {z: (r["bh_calls"], r["diverted_calls"]) for z, r in by.items()} == {
        "Z1": (7, 3), "Z2": (6, 4), "Z3": (5, 2)}
    (total,) = outcomes_from_calls(con)
    assert (total["bh_calls"], total["diversion_measured"], total["diverted_calls"]) == (18, 16, 9)
    assert sum(r["diversion_measured"] for r in by.values()) == total["diversion_measured"]
    assert (total["arrested_calls"], total["arrests_measured"], total["involuntary_hold_calls"]) == (2, 16, 3)


def test_call_outcome_figures_follow_the_period_and_district_filters(cad):
    con, _ = cad
    (feb_z1,) = outcomes_from_calls(con, start="2024-02-01", end="2024-03-01", district="Z1")
    # February, Z1, BH: 117 (CAN, unmapped), 121 (GOA), 126 (ADV) → 3 calls, 2 known, 1 diverted
    assert (feb_z1["bh_calls"], feb_z1["bh_calls_outcome_known"], feb_z1["diverted_calls"]) == (3, 2, 1)


# ------------------------------------------------------------------ hostile versions

def test_a_flag_neither_yes_nor_no_leaves_the_call_unmeasured_and_is_listed(tmp_path):
    text = TORONTO[0].read_text().replace("PIC-0002,2024-01-05,2024,January,Friday,9,Suicide-related,D14,Yes,No,",
                                          "PIC-0002,2024-01-05,2024,January,Friday,9,Suicide-related,D14,Yes,Unk,")
    export = tmp_path / "pic.csv"
    export.write_text(text)
    con, (report,) = _import((export, TORONTO[1]))
    assert report.extra["unmapped"] == [{"column": "outcome", "source": "apprehension_made", "value": "Unk",
                                         "rows": 1, "result": "unmapped"}]
    assert one(con, "SELECT outcome, involuntary_hold FROM call_outcome_facts WHERE call_id = 'PIC-0002'") == (
        "unmapped", None)
    # 23 calls measured, still 6 holds
    assert one(con, "SELECT count(involuntary_hold), count(*) FILTER (WHERE involuntary_hold) "
                    "FROM call_outcome_facts") == (23, 6)


def test_an_impossible_hour_is_quarantined_naming_the_export_column(tmp_path):
    text = TORONTO[0].read_text().replace("2024-01-05,2024,January,Friday,9,", "2024-01-05,2024,January,Friday,24,")
    export = tmp_path / "pic.csv"
    export.write_text(text)
    con, (report,) = _import((export, TORONTO[1]))
    assert (report.rows_in_file, report.rows_loaded, report.rows_quarantined) == (24, 23, 1)
    assert one(con, "SELECT line, column_name, reason FROM quarantine") == (3, "event_hour", "format")


def test_a_header_with_a_byte_order_mark_and_crlf_lines_reads_the_same(tmp_path):
    export = tmp_path / "pic.csv"
    export.write_bytes(b"\xef\xbb\xbf" + TORONTO[0].read_bytes().replace(b"\n", b"\r\n"))
    con, (report,) = _import((export, TORONTO[1]))
    assert (report.rows_loaded, report.rows_quarantined) == (24, 0)
    assert one(con, "SELECT count(*) FILTER (WHERE involuntary_hold), count(*) FILTER (WHERE NOT hour_known) "
                    "FROM call_outcome_facts JOIN call_facts USING (call_id)") == (6, 3)


# ------------------------------------------------------------------ honest charts

def test_toronto_calls_without_an_hour_are_an_hour_unknown_column_of_the_heat_map_not_midnight(toronto):
    from pmhc import charts, metrics
    from pmhc.periods import Period

    con, _ = toronto
    df = metrics.heatmap(con, metrics.Filters(Period.months("2024-01", "2024-03")))
    fig = charts.heatmap(df, "BH calls by weekday and hour received")
    z = fig.data[0].z
    assert list(fig.data[0].x) == list(range(25))
    # PIC-0003, 0011, 0020 have NA hours: 3 calls in the last column, 21 in hours 0–23
    assert sum(row[24] for row in z) == 3
    assert sum(sum(row[:24]) for row in z) == 21
    assert "hour unknown" in fig.layout.xaxis.ticktext
    assert "3 BH calls have no hour in the export" in fig.layout.xaxis.title.text


def test_a_heat_map_whose_calls_all_have_an_hour_has_no_hour_unknown_column():
    import pandas as pd

    from pmhc import charts

    fig = charts.heatmap(pd.DataFrame({"weekday": [1, 2], "hour": [0, 23], "bh_calls": [4, 5]}), "t")
    assert list(fig.data[0].x) == list(range(24)) and "hour unknown" not in fig.layout.xaxis.ticktext
