"""An agency runs the dashboard on its own data from a workspace outside the code (issue 17).

The agency here is "Lakeside Police Service": a hand-written CAD export (its own layout,
read through a profile saved in the workspace) of six calls, September–November 2025,
in Canadian dollars on the Chicago clock. Counted by hand:

    call    received (local)   nature             zone  disp   mobile crisis team
    LK-001  2 Sep 2025 14:05   PERSON IN CRISIS   Z1    TRANS  Y
    LK-002  5 Sep 2025 09:30   PERSON IN CRISIS   Z2    ADV    N
    LK-003  11 Sep 2025 02:10  SUICIDE ATTEMPT    Z1    MHA    Y
    LK-004  20 Oct 2025 23:00  THEFT              Z2    RPT    N
    LK-005  21 Oct 2025 11:15  PERSON IN CRISIS   Z1    ADV    Y
    LK-006  3 Nov 2025 09:00   SUICIDE ATTEMPT    Z2    REF    N

BH call types PERSON IN CRISIS and SUICIDE ATTEMPT: 5 BH calls of 6; co-responded 3
(LK-001, 003, 005), coverage 3/5 = 60%. No disposition map at the start: every outcome
figure is not measured. Map ADV = resolved on scene: diversion is measured on the two ADV
calls, both diverted (100%). Map MHA = involuntary hold as well: measured on three calls,
two diverted (2/3), one involuntary hold.
"""

from __future__ import annotations

import json
import os
import stat
import tarfile
from pathlib import Path

import pytest

from pmhc import access, auth, cli, metrics, present
from pmhc.config import Workspace, load_agency
from pmhc.periods import Period

ROOT = Path(__file__).resolve().parent.parent
SEP_NOV = metrics.Filters(Period.months("2025-09", "2025-11"))
PARAMS = {"period": "months", "from": "2025-09", "to": "2025-11"}

EXPORT = """\
Incident #,Received,Nature,Zone,Disp,MCT
LK-001,09/02/2025 14:05,PERSON IN CRISIS,Z1,TRANS,Y
LK-002,09/05/2025 09:30,PERSON IN CRISIS,Z2,ADV,N
LK-003,09/11/2025 02:10,SUICIDE ATTEMPT,Z1,MHA,Y
LK-004,10/20/2025 23:00,THEFT,Z2,RPT,N
LK-005,10/21/2025 11:15,PERSON IN CRISIS,Z1,ADV,Y
LK-006,11/03/2025 09:00,SUICIDE ATTEMPT,Z2,REF,N
"""

PROFILE = """\
name = "Lakeside CAD calls"
table = "calls"

[columns]
call_id = "Incident #"
received_at = "Received"
call_type = "Nature"
district = "Zone"
disposition = "Disp"
co_responder_present = "MCT"

[formats]
received_at = "%m/%d/%Y %H:%M"

[values.co_responder_present]
"Y" = true
"N" = false
"""

# What the sample city would have put in a figure: none may appear for Lakeside.
SAMPLE_MARKS = ("420,000", "Harbor City", "Second clinician", "clinician liaison hired", "Illustrative default")


@pytest.fixture
def home(tmp_path, monkeypatch):
    """An empty place for a workspace, and this process pointed at it (PMHC_HOME) with none of
    the test suite's single-path redirections."""
    for var in ("PMHC_CONFIG_DIR", "PMHC_DB", "PMHC_PERSON_KEY_SECRET", "PMHC_DEMO", "PMHC_SECRET_FILE"):
        monkeypatch.delenv(var, raising=False)
    ws = tmp_path / "lakeside"
    monkeypatch.setenv("PMHC_HOME", str(ws))
    return ws


def pmhc(*argv: str) -> int:
    return cli.main(list(argv))


def init(ws: Path, *extra: str) -> None:
    assert pmhc("init", str(ws), "--name", "Lakeside Police Service", "--timezone", "America/Chicago",
                "--fiscal-year-start", "April", "--currency", "CAD",
                "--bh-call-types", "PERSON IN CRISIS, SUICIDE ATTEMPT", *extra) == 0


@pytest.fixture
def lakeside(home, tmp_path):
    """The workspace, its own profile in profiles/, and the export imported through it."""
    init(home)
    (home / "profiles" / "lakeside_cad.toml").write_text(PROFILE)
    export = tmp_path / "lakeside_calls.csv"
    export.write_text(EXPORT)
    assert pmhc("import", "--profile", str(home / "profiles" / "lakeside_cad.toml"), str(export)) == 0
    return home


def headline() -> dict:
    from pmhc import db

    con = db.connect(Workspace.current().db_path, read_only=True)
    try:
        return metrics.headline(con, SEP_NOV)
    finally:
        con.close()


# ------------------------------------------------------------------ pmhc init

def test_init_creates_the_workspace_owner_only(home):
    init(home)
    ws = Workspace(home)
    assert stat.S_IMODE(home.stat().st_mode) == 0o700
    for p in [ws.agency_file, ws.assumptions_file, ws.milestones_file, ws.secret_file]:
        assert stat.S_IMODE(p.stat().st_mode) == 0o600, p
    for d in ("config", "profiles", "data", "secrets", "reports", "backups", "examples"):
        assert stat.S_IMODE((home / d).stat().st_mode) == 0o700, d
    assert len(ws.secret_file.read_text().strip()) == 64


def test_init_writes_the_agency_settings_it_was_given(home):
    init(home)
    cfg = load_agency(Workspace(home))
    assert (cfg.name, cfg.timezone, cfg.fiscal_year_start_month, cfg.currency) == \
        ("Lakeside Police Service", "America/Chicago", 4, "CAD")
    assert cfg.bh_call_types == ("PERSON IN CRISIS", "SUICIDE ATTEMPT")
    assert cfg.currency_name == "Canadian dollars (CAD)"


def test_a_new_workspace_sets_no_cost_no_program_cost_and_no_milestone(home):
    from pmhc import charts

    init(home)
    ws = Workspace(home)
    assert metrics.load_assumptions(ws.assumptions_file) == {}
    assert charts.load_milestones(ws.milestones_file).empty
    assert not ws.rollout_file.exists()
    assert load_agency(ws).dispositions == ()


def test_the_sample_values_are_offered_only_as_commented_examples(home):
    import tomllib

    init(home)
    example = home / "examples" / "assumptions.example.toml"
    text = example.read_text()
    assert "EXAMPLES ONLY" in text and "420000" in text
    assert tomllib.loads(text) == {}  # every line is a comment: nothing can be read from it by mistake


def test_init_refuses_a_folder_with_other_files(home):
    home.mkdir()
    (home / "notes.txt").write_text("mine")
    assert pmhc("init", str(home), "--name", "X", "--timezone", "UTC", "--fiscal-year-start", "1",
                "--currency", "USD") == 2
    assert not (home / "config").exists()


def test_init_without_a_terminal_names_the_flags_it_needs(home, capsys):
    assert pmhc("init", str(home), "--name", "X") == 2
    assert "--timezone, --fiscal_year_start".replace("_", "-") in capsys.readouterr().err
    assert not home.exists()


def test_init_names_a_mistyped_time_zone(home, capsys):
    assert pmhc("init", str(home), "--name", "X", "--timezone", "America/Chicgo", "--fiscal-year-start", "7",
                "--currency", "USD") == 2
    assert "did you mean 'America/Chicago'" in capsys.readouterr().err


def test_home_flag_points_a_command_at_the_workspace(home, monkeypatch, tmp_path, capsys):
    init(home)
    monkeypatch.delenv("PMHC_HOME")
    export = tmp_path / "calls.csv"
    export.write_text(EXPORT)
    (home / "profiles" / "lakeside_cad.toml").write_text(PROFILE)
    assert pmhc("import", "--home", str(home), "--profile", str(home / "profiles" / "lakeside_cad.toml"),
                str(export)) == 0
    assert (home / "data" / "pmhc.duckdb").exists()
    assert stat.S_IMODE(os.stat(home / "data" / "pmhc.duckdb").st_mode) == 0o600


# ------------------------------------------------------------------ no sample value in any figure

def test_the_agency_export_gives_the_hand_counted_figures(lakeside):
    v = headline()
    assert (v["calls_total"], v["bh_calls"], v["co_responded_bh_calls"]) == (6, 5, 3)
    assert v["co_response_coverage"] == pytest.approx(3 / 5)


def test_no_figure_uses_a_sample_cost_program_cost_or_milestone(lakeside):
    from pmhc import charts, evaluation

    v = headline()
    for key in ("program_cost", "net_cost_avoidance", "gross_cost_avoidance", "jail_cost_avoided",
                "officer_time_value", "net_cost_avoidance_low", "net_cost_avoidance_high"):
        assert present.not_measured(v[key]), (key, v[key])
    assert "not set in the agency's assumptions" in v["program_cost"].reason
    assert charts.load_milestones().empty
    assert evaluation.load_rollout() == {}


def test_pages_show_the_agency_and_no_sample_value(lakeside):
    texts = []
    for page in ("overview", "savings", "evaluation", "volume", "grant", "methodology"):
        at = open_page(page)
        texts.append(page_text(at))
    joined = "\n".join(texts)
    assert "Lakeside Police Service" in joined
    assert "Canadian dollars (CAD)" in joined  # the savings chart's axis and the grant table's unit
    for mark in SAMPLE_MARKS:
        assert mark not in joined, mark


def test_deck_workbook_and_summary_show_the_agency_name_and_currency(lakeside, tmp_path):
    from openpyxl import load_workbook
    from pptx import Presentation
    from pypdf import PdfReader

    out = tmp_path / "out"
    out.mkdir()
    for fmt in ("pptx", "xlsx", "pdf"):
        assert pmhc("report", "--from", "2025-09", "--to", "2025-11", "--format", fmt, "--internal",
                    "--out", str(out / f"r.{fmt}")) == 0
    deck = "\n".join(sh.text_frame.text for s in Presentation(out / "r.pptx").slides for sh in s.shapes
                     if sh.has_text_frame)
    wb = load_workbook(out / "r.xlsx")
    cells = "\n".join(str(c.value) for ws in wb for row in ws.iter_rows() for c in row if c.value is not None)
    money_formats = {c.number_format for ws in wb for row in ws.iter_rows() for c in row if "#,##0;" in
                     str(c.number_format)}
    pdf = "\n".join(p.extract_text() for p in PdfReader(out / "r.pdf").pages)
    for name, text in (("deck", deck), ("workbook", cells), ("summary", pdf)):
        assert "Lakeside Police Service" in text, name
        assert "Canadian dollars (CAD)" in text, name
        for mark in SAMPLE_MARKS:
            assert mark not in text, (name, mark)
    assert money_formats <= {'"$"#,##0;[Red]-"$"#,##0'}
    assert "No unit costs or program cost are set for this agency" in deck


# ------------------------------------------------------------------ the Settings page

def open_page(key: str, params: dict | None = None):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.session_state[auth.SESSION_KEY] = {"user": "lake-admin", "role": "admin", "method": "local"}
    for k, v in (params or PARAMS).items():
        at.query_params[k] = v
    at.run()
    if key != access.PAGES[0].key:
        at.switch_page(access.page(key).path)
        at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def page_text(at) -> str:
    parts = [m.label + " " + m.value for m in at.metric]
    parts += [e.value for kind in ("title", "caption", "markdown", "info", "warning", "success", "error")
              for e in at.get(kind)]
    parts += [d.value.to_csv() for d in at.dataframe]
    parts += [c.proto.spec for c in at.get("plotly_chart")]
    parts += [str(s.proto) for s in at.sidebar]
    return "\n".join(parts)


def settings_page(page: str = "settings"):
    """The Settings page as an administrator (run as its own script, as Streamlit runs a page,
    so its forms can be submitted: AppTest does not submit a form of a page it switched to)."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "pages" / f"{page}.py"), default_timeout=180)
    at.session_state[auth.SESSION_KEY] = {"user": "lake-admin", "role": "admin", "method": "local"}
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def submit(at, form: str):
    [button] = [b for b in at.get("form_submit_button") if b.proto.form_id == form]
    button.click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def map_code(at, code: str, outcome: str):
    at.selectbox(key="settings_disp_code").set_value(code)
    at.selectbox(key="settings_disp_outcome").set_value(outcome)
    return submit(at, "settings_dispositions")


def test_the_settings_page_lists_codes_in_the_data_unmapped_first_with_their_calls(lakeside):
    from pmhc import agency_settings

    at = map_code(settings_page(), "ADV", "resolved_on_scene")
    table = agency_settings.dispositions_table(None, load_agency())
    assert list(table["code"]) == ["ADV"]  # no connection: only the map's own code
    shown = [d.value for d in at.dataframe if "means" in d.value.columns][0]
    assert list(shown["code"][:4]) == ["MHA", "REF", "RPT", "TRANS"]  # unmapped, one call each, by code
    assert list(shown["code"][4:]) == ["ADV"] and int(shown["calls"].iloc[4]) == 2


def test_changing_the_disposition_map_on_the_settings_page_changes_the_outcome_figures(lakeside):
    before = headline()
    assert present.not_measured(before["diversion_rate"]) and present.not_measured(before["involuntary_holds"])
    at = map_code(settings_page(), "ADV", "resolved_on_scene")
    v = headline()
    assert v["diversion_rate"] == pytest.approx(1.0) and v["diverted_contacts"] == 2
    map_code(at, "MHA", "involuntary_hold")
    v = headline()
    assert v["diversion_rate"] == pytest.approx(2 / 3) and v["involuntary_holds"] == 1
    outcomes = open_page("outcomes")
    assert [m.value for m in outcomes.metric if m.label == "Diversion rate"] == ["66.7%"]
    assert load_agency().dispositions == (("adv", "resolved_on_scene"), ("mha", "involuntary_hold"))


def test_a_settings_save_is_in_the_audit_log(lakeside):
    from pmhc import audit

    map_code(settings_page(), "ADV", "resolved_on_scene")
    events = [json.loads(line) for line in audit.log_path().read_text().splitlines()]
    saved = [e for e in events if e["action"] == "settings_saved"]
    assert saved and saved[-1]["who"] == "lake-admin" and "disposition map" in saved[-1]["what"]
    assert audit.verify() == []


def test_saving_the_bh_call_types_reclassifies_the_loaded_calls(lakeside):
    at = settings_page()
    at.multiselect(key="settings_bh_types").set_value(["PERSON IN CRISIS"])
    at.button(key="settings_bh_save").click()
    at.run()
    assert not at.exception
    v = headline()
    assert (v["bh_calls"], v["co_responded_bh_calls"]) == (3, 2)  # LK-001, 002, 005; co-responded 001, 005


def test_a_unit_cost_is_saved_with_its_source_and_a_missing_source_is_refused(lakeside):
    at = settings_page()
    at.selectbox(key="settings_cost_key").set_value("program_cost_annual")
    at.run()
    at.number_input(key="settings_cost_v_program_cost_annual").set_value(250000.0)
    at.number_input(key="settings_cost_l_program_cost_annual").set_value(250000.0)
    at.number_input(key="settings_cost_h_program_cost_annual").set_value(250000.0)
    submit(at, "settings_cost")
    assert any("give the source" in e.value for e in at.error)
    assert "program_cost_annual" not in metrics.load_assumptions()
    at.text_input(key="settings_cost_s_program_cost_annual").set_value("Lakeside budget 2025, p. 3")
    submit(at, "settings_cost")
    a = metrics.load_assumptions()["program_cost_annual"]
    assert (a.value, a.unit, a.source) == (250000.0, "CAD per year", "Lakeside budget 2025, p. 3")
    v = headline()  # 91 days of Sep–Nov: 250,000 × 91 / 365
    assert v["program_cost"] == pytest.approx(250000 * 91 / 365)


def test_a_milestone_added_on_the_settings_page_is_drawn(lakeside):
    from datetime import date

    from pmhc import charts

    at = settings_page()
    at.date_input(key="settings_ms_date").set_value(date(2025, 10, 1))
    at.text_input(key="settings_ms_label").set_value("Mobile crisis team on nights")
    submit(at, "settings_milestone")
    m = charts.load_milestones()
    assert list(m["label"]) == ["Mobile crisis team on nights"]


def test_an_invalid_setting_is_refused_with_the_key_and_nothing_is_written(lakeside):
    before = Workspace.current().agency_file.read_text()
    at = settings_page()
    at.text_input(key="settings_timezone").set_value("America/Chicgo")
    submit(at, "settings_agency")
    assert any("did you mean 'America/Chicago'" in e.value for e in at.error)
    assert Workspace.current().agency_file.read_text() == before


def test_the_settings_page_is_for_administrators_only(lakeside):
    assert access.pages_for("analyst") == [p for p in access.pages_for("analyst") if p.key != "settings"]
    assert "settings" not in {p.key for p in access.pages_for("public")}
    assert not access.can("analyst", "change_settings")


# ------------------------------------------------------------------ first run

def test_an_empty_workspace_shows_the_guided_start_instead_of_empty_charts(home):
    init(home)
    at = open_page("overview")
    text = page_text(at)
    assert "Getting started for Lakeside Police Service" in text
    assert "Upload an export" in text and "Pick or draft a profile" in text
    assert not at.get("plotly_chart") and not at.metric


def test_a_drafted_profile_is_saved_into_the_workspace_and_offered_for_import(lakeside):
    at = settings_page("data")
    at.file_uploader(key="data_draft_upload").set_value(("lakeside_calls.csv", EXPORT.encode(), "text/csv"))
    at.run()
    [key] = [t.key for t in at.text_area if t.key.startswith("data_draft_text")]
    at.text_area(key=key).set_value(PROFILE.replace("Lakeside CAD calls", "Lakeside CAD, second copy"))
    at.text_input(key="data_draft_name").set_value("lakeside copy")
    at.button(key="data_draft_save").click()
    at.run()
    saved = Workspace.current().profiles_dir / "lakeside_copy.toml"
    assert saved.exists() and stat.S_IMODE(saved.stat().st_mode) == 0o600
    assert "Profile: Lakeside CAD, second copy (lakeside_copy.toml)" in at.selectbox(key="data_mapping").options
    assert any("Saved the profile lakeside_copy.toml" in m.value for m in at.success)


def test_a_broken_draft_is_not_saved(lakeside):
    from pmhc import agency_settings, profiles

    with pytest.raises(profiles.ProfileError, match=r"bad.toml: \[values.outcome\]"):
        agency_settings.save_profile(PROFILE + '[values.outcome]\n"A" = "arest"\n', "bad", "x")
    assert not (Workspace.current().profiles_dir / "bad.toml").exists()


# ------------------------------------------------------------------ locale and terminology

def test_money_is_written_in_the_agency_currency(home):
    init(home)
    from pmhc.config import write_agency

    write_agency({"locale": {"currency": "GBP"}}, Workspace.current().agency_file)
    assert present.fmt(-1234.4, "usd") == "−£1,234"
    assert present.fmt_change(500.0, 200.0, "usd") == "+£300"
    assert present.unit_text("usd") == "pounds sterling (GBP)"


def test_dates_in_exports_follow_the_agency_format(home):
    from datetime import date

    from pmhc.config import write_agency

    init(home, "--date-format", "%d/%m/%Y")
    assert present.period_text(Period.months("2025-09", "2025-11")).endswith("(01/09/2025 – 30/11/2025)")
    write_agency({"locale": {"date_format": "%B %-d, %Y"}}, Workspace.current().agency_file)
    assert present.date_text(date(2025, 1, 5)) == "January 5, 2025"


def test_a_date_format_without_the_day_is_refused(home, capsys):
    assert pmhc("init", str(home), "--name", "X", "--timezone", "UTC", "--fiscal-year-start", "1",
                "--currency", "USD", "--date-format", "%Y-%m") == 2
    assert "does not print the day of the month" in capsys.readouterr().err


def test_terminology_renames_figures_values_and_chart_words(home):
    from pmhc import charts, figures, schema
    from pmhc.config import write_agency

    init(home)
    write_agency({"terminology": {"co-responder": "mobile crisis team", "involuntary hold": "apprehension",
                                  "involuntary_hold": "Apprehension (Mental Health Act)"}},
                 Workspace.current().agency_file)
    assert figures.lookup("contacts_total").label == "Mobile crisis team contacts"
    assert figures.lookup("diversion_rate").definition.endswith("without arrest or apprehension.")
    assert schema.label("involuntary_hold") == "Apprehension (Mental Health Act)"
    fig = charts.empty("Co-responder contacts by month")
    assert fig.layout.title.text == "Mobile crisis team contacts by month"


def test_an_unknown_term_is_refused_with_the_terms_there_are(home):
    from pmhc.config import SettingsError, write_agency

    init(home)
    with pytest.raises(SettingsError, match=r"'co-responders' is not a term .*did you mean 'co-responder'"):
        write_agency({"terminology": {"co-responders": "x"}}, Workspace.current().agency_file)


# ------------------------------------------------------------------ pmhc doctor

def test_doctor_reports_a_world_readable_secret_and_a_missing_profile(lakeside, capsys):
    (lakeside / "profiles" / "lakeside_cad.toml").unlink()
    os.chmod(lakeside / "secrets" / "person_key_secret", 0o644)
    assert pmhc("doctor") == 1
    out = capsys.readouterr().out
    assert "person-key secret" in out and "can be read by others (mode 0644)" in out
    assert f"fix: chmod 600 {lakeside / 'secrets' / 'person_key_secret'}" in out
    assert "profile lakeside_cad.toml is missing" in out and "lakeside_calls.csv" in out


def test_doctor_passes_a_healthy_workspace_with_warnings_only(lakeside, capsys):
    assert pmhc("doctor") == 0
    out = capsys.readouterr().out
    assert "0 problem(s)" in out
    assert "unit costs not set" in out and "no administrator account" in out


def test_doctor_names_a_profile_that_does_not_parse(lakeside, capsys):
    (lakeside / "profiles" / "broken.toml").write_text('table = "calls"\n[columns]\ncall_idd = "x"\n')
    os.chmod(lakeside / "profiles" / "broken.toml", 0o600)
    assert pmhc("doctor") == 1
    assert "broken.toml" in capsys.readouterr().out


def test_doctor_says_the_database_does_not_hold_a_hand_edited_map(lakeside, capsys):
    from pmhc.config import write_agency

    write_agency({"dispositions": {"ADV": "resolved_on_scene"}}, Workspace.current().agency_file)
    pmhc("doctor")
    assert "does not hold the disposition map" in capsys.readouterr().out
    assert pmhc("apply-settings") == 0
    assert headline()["diverted_contacts"] == 2


# ------------------------------------------------------------------ backup and restore

CONTACTS = """\
encounter_id,call_id,encounter_date,responder_type,person_key,contact_type,outcome
E1,LK-001,2025-09-02,clinician_liaison,Client 17,on_scene,crisis_center
"""


@pytest.fixture
def with_people(lakeside, tmp_path):
    """The workspace with one logged contact: its database now holds a pseudonym, made with
    the workspace's person-key secret (and the secret's fingerprint)."""
    path = tmp_path / "contacts.csv"
    path.write_text(CONTACTS)
    assert pmhc("import", str(path)) == 0
    return lakeside


def test_a_backup_holds_the_database_settings_and_fingerprint_but_not_the_secret(with_people):
    lakeside = with_people
    from pmhc import backup, pseudonym

    path = backup.backup()
    assert path.parent == lakeside / "backups" and stat.S_IMODE(path.stat().st_mode) == 0o600
    with tarfile.open(path) as tar:
        names = set(tar.getnames())
        manifest = json.loads(tar.extractfile("manifest.json").read())
    assert {"database/pmhc.duckdb", "config/agency.toml", "profiles/lakeside_cad.toml",
            "audit/pmhc.duckdb.audit.jsonl", "audit/pmhc.duckdb.audit.jsonl.head"} <= names
    assert not any("secret" in n or n.endswith(".key") for n in names)
    secret = (lakeside / "secrets" / "person_key_secret").read_text().strip()
    assert manifest["person_key_fingerprint"] == pseudonym.fingerprint(secret)
    assert manifest["audit_head"]["lines"] >= 2


def test_restore_brings_back_the_data_and_settings_of_the_backup(lakeside, tmp_path, capsys):
    from pmhc import audit
    from pmhc.config import write_agency

    assert pmhc("backup") == 0
    archive = sorted((lakeside / "backups").glob("*.tar.gz"))[-1]
    more = tmp_path / "more.csv"
    more.write_text(EXPORT.splitlines()[0] + "\nLK-007,11/20/2025 10:00,PERSON IN CRISIS,Z1,ADV,Y\n")
    assert pmhc("import", "--profile", str(lakeside / "profiles" / "lakeside_cad.toml"), str(more)) == 0
    write_agency({"name": "Renamed"}, Workspace.current().agency_file)
    assert headline()["calls_total"] == 7
    assert pmhc("restore", str(archive), "--yes") == 0
    assert headline()["calls_total"] == 6
    assert load_agency().name == "Lakeside Police Service"
    assert "it continues the backed-up one" in capsys.readouterr().out
    assert audit.verify() == []
    actions = [json.loads(x)["action"] for x in audit.log_path().read_text().splitlines()]
    assert actions[-1] == "restore"


def test_restore_is_refused_beside_another_person_key_secret(with_people, capsys):
    lakeside = with_people
    assert pmhc("backup") == 0
    archive = sorted((lakeside / "backups").glob("*.tar.gz"))[-1]
    (lakeside / "secrets" / "person_key_secret").write_text("another-secret-of-enough-length-0123456789")
    assert pmhc("restore", str(archive), "--yes") == 2
    assert "another person-key secret" in capsys.readouterr().err


def test_a_damaged_backup_is_refused_before_anything_changes(lakeside, tmp_path, capsys):
    assert pmhc("backup") == 0
    archive = sorted((lakeside / "backups").glob("*.tar.gz"))[-1]
    bad = tmp_path / "bad.tar.gz"
    with tarfile.open(archive) as src, tarfile.open(bad, "w:gz") as dst:
        for m in src.getmembers():
            data = src.extractfile(m).read()
            if m.name == "config/agency.toml":
                data = data.replace(b"Lakeside", b"Lakeshore")
            m.size = len(data)
            import io

            dst.addfile(m, io.BytesIO(data))
    assert pmhc("restore", str(bad), "--yes") == 2
    assert "does not match its checksum" in capsys.readouterr().err
    assert load_agency().name == "Lakeside Police Service"


# ------------------------------------------------------------------ the scheduled packet

def test_report_month_last_writes_the_packet_into_the_workspace(lakeside, capsys):
    from datetime import date

    from pmhc.reports import packet

    cfg = load_agency()
    assert packet.month_period("last", cfg, on=date(2025, 12, 1)) == Period.month(2025, 11)
    assert packet.month_period("last", cfg, on=date(2026, 1, 15)) == Period.month(2025, 12)
    assert packet.quarter_period("last", cfg, on=date(2026, 1, 15)) == Period.quarter(2025, 4)
    assert packet.quarter_period("last", cfg, on=date(2025, 11, 2)) == Period.quarter(2025, 3)
    assert pmhc("report", "--month", "2025-10") == 0
    folder = lakeside / "reports" / "2025-10"
    names = sorted(p.name for p in folder.iterdir())
    assert names == ["README.txt", "pmhc_council_deck_20251001_20251031.pptx", "pmhc_grant_workbook_20251001_20251031.xlsx",
                     "pmhc_summary_20251001_20251031.pdf"]
    assert "Lakeside Police Service" in (folder / "README.txt").read_text()
    assert "Wrote the October 2025 packet" in capsys.readouterr().out


def test_report_quarter_takes_a_quarter_and_refuses_a_malformed_one(lakeside, capsys):
    assert pmhc("report", "--quarter", "2025Q5") == 2
    assert "YYYYQn" in capsys.readouterr().err


# ------------------------------------------------------------------ serve and the installed package

def test_serve_passes_the_settings_of_the_checkouts_streamlit_config():
    import tomllib

    from pmhc import serve

    conf = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    flat = {f"{section}.{k}": str(v).lower() if isinstance(v, bool) else str(v)
            for section, values in conf.items() for k, v in values.items()}
    assert flat == serve.OPTIONS


def test_an_installed_package_without_a_workspace_refuses_to_guess(monkeypatch):
    from pmhc import config

    monkeypatch.delenv("PMHC_HOME", raising=False)
    monkeypatch.setattr(config, "IS_CHECKOUT", False)
    with pytest.raises(config.NoWorkspace, match="pmhc init DIR"):
        Workspace.current()


def test_a_hostile_disposition_code_is_stored_quoted_and_matched_in_any_case(lakeside, tmp_path):
    from pmhc import agency_settings

    odd = tmp_path / "odd.csv"
    odd.write_text(EXPORT.splitlines()[0] + '\nLK-008,11/21/2025 10:00,PERSON IN CRISIS,Z1," adv ""night"" [2]= ",Y\n')
    assert pmhc("import", "--profile", str(lakeside / "profiles" / "lakeside_cad.toml"), str(odd)) == 0
    agency_settings.set_disposition('ADV "NIGHT" [2]=', "resolved_on_scene", "x")
    assert dict(load_agency().dispositions) == {'adv "night" [2]=': "resolved_on_scene"}
    assert headline()["diverted_contacts"] == 1  # LK-008, its code in another case and with spaces
    with pytest.raises(ValueError, match="give the disposition code"):
        agency_settings.set_disposition("   ", "arrest", "x")
