"""The Data page (administrators): import from the browser through the same importer and
profiles as `pmhc import`, with the app's read-only connection closed around the write.

Uses the small fixture in a database file (small_db_path: 11 calls, 12 contacts, 5 arrests)
and the hand-written exports of tests/fixtures/exports (see test_profiles.py).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from pmhc import access, auth, db, profiles, quality, ui

from .conftest import FIXTURES, SMALL

ROOT = Path(__file__).resolve().parent.parent
EXPORTS = FIXTURES / "exports"
CRISIS = EXPORTS / "crisis_dispositions" / "crisis_contacts.csv"


def page_module():
    """pages/data.py imported as a module: its functions, without drawing the page."""
    spec = importlib.util.spec_from_file_location("pmhc_data_page", ROOT / "pages" / "data.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def open_data_page(role: str = "admin", through_app: bool = False) -> AppTest:
    """The Data page, run on its own (default) or through app.py's navigation.

    Interactions run the page on its own: through app.py every AppTest run starts in
    Streamlit's old pages-folder mode (AppTest resets PagesManager.uses_pages_directory
    before each run), so ui._leave_folder_navigation reruns the script and a button
    click in that run is lost. A real server does this once per process, not per run.
    """
    at = AppTest.from_file(str(ROOT / ("app.py" if through_app else "pages/data.py")), default_timeout=120)
    at.session_state["role"] = role
    at.session_state[auth.SESSION_KEY] = {"user": "test-admin", "role": role, "method": "local"}  # logged in
    at.run()
    if through_app:
        at.switch_page(access.page("data").path)
        at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def counts(path: Path) -> dict:
    con = db.connect(path, read_only=True)
    try:
        return db.table_counts(con)
    finally:
        con.close()


def texts(at: AppTest) -> str:
    parts = [e.value for kind in ("markdown", "caption", "success", "error", "warning", "info", "code")
             for e in at.get(kind)]
    return "\n".join(str(p) for p in parts)


@pytest.fixture(autouse=True)
def _fresh_app_caches():
    """Each test starts without the app's cached connection (it is process-wide)."""
    ui.release_connection()
    yield
    ui.release_connection()


# ---------------------------------------------------------------- import function

def test_run_import_writes_while_the_app_holds_a_read_only_connection(small_db_path):
    held = ui.connection()  # what every page opens: cached, read-only
    assert held is not None
    report = page_module().run_import(CRISIS.read_bytes(), "crisis_contacts.csv",
                                      profile_path=profiles.PROFILES_DIR / "crisis_dispositions.toml")
    assert (report.status, report.rows_loaded, report.rows_collapsed) == ("loaded", 13, 4)
    assert counts(small_db_path)["encounters"] == 12 + 13
    fresh = ui.connection()  # reopened on the new file
    assert db.rows(fresh, "SELECT count(*) AS n FROM encounters")[0]["n"] == 25


def test_run_import_of_a_canonical_file_detects_its_table(small_db_path, tmp_path):
    text = (SMALL / "calls.csv").read_text().replace("C01,", "N01,", 1)
    report = page_module().run_import(text.encode(), "calls_march.csv")
    assert (report.status, report.table, report.rows_new, report.rows_updated, report.rows_unchanged) == (
        "loaded", "calls", 1, 0, 10)
    assert report.file == "calls_march.csv"  # the uploaded name, not the temporary file's


def test_run_import_creates_the_database_when_there_is_none(tmp_path, monkeypatch):
    path = tmp_path / "new" / "pmhc.duckdb"
    monkeypatch.setenv("PMHC_DB", str(path))
    report = page_module().run_import((SMALL / "arrests.csv").read_bytes(), "arrests.csv")
    assert report.status == "loaded" and counts(path)["arrests"] == 5


def test_a_broken_uploaded_profile_is_refused_with_its_key(tmp_path):
    with pytest.raises(profiles.ProfileError, match=r"mine.toml: \[columns\] recieved_at"):
        page_module().profile_from_upload(b'table = "calls"\n[columns]\nrecieved_at = "When"\n', "mine.toml", tmp_path)


def test_header_of_reads_plain_and_gzip_uploads():
    import gzip

    mod = page_module()
    data = CRISIS.read_bytes()
    assert mod.header_of(data, "x.csv")[:2] == ["Template ID", "Incident Number"]
    assert mod.header_of(gzip.compress(data), "x.csv.gz") == mod.header_of(data, "x.csv")
    assert mod.likely_table(mod.header_of(data, "x.csv")) == "encounters"


# ---------------------------------------------------------------- the page

def test_page_shows_history_quarantine_report_and_checks(small_db_path):
    at = open_data_page(through_app=True)
    assert [s.value for s in at.subheader] == [
        "Import an export", "Data-quality report", "Quarantine", "Import history", "Checks over the whole database",
        "Start a profile from an export's header", "Grant periods with public figures"]
    body = texts(at)
    assert "No quarantined rows." in body
    assert "arrests.csv" in body  # the last import's report
    frames = [d.value for d in at.dataframe]
    history = next(f for f in frames if "import_id" in f.columns and "rows_merged" in f.columns)
    assert history["file_name"].tolist() == ["arrests.csv", "encounters.csv", "calls.csv"]
    checks = next(f for f in frames if "check" in f.columns)
    assert dict(zip(checks["check"], checks["rows affected"]))["Contacts whose call_id matches no call"] == 1


def test_uploading_an_export_with_a_profile_imports_it_and_shows_its_report(small_db_path):
    at = open_data_page()
    at.file_uploader(key="data_upload").set_value(("crisis_contacts.csv", CRISIS.read_bytes(), "text/csv"))
    at.run()
    at.selectbox(key="data_mapping").set_value(str(profiles.PROFILES_DIR / "crisis_dispositions.toml"))
    at.run()
    at.button(key="data_import").click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert [s.value for s in at.success][0].startswith(
        "crisis_contacts.csv → encounters: 17 rows in file = 13 loaded (13 new, 0 updated, 0 unchanged) + 0 quarantined + 4 merged")
    assert counts(small_db_path)["encounters"] == 25
    frames = [d.value for d in at.dataframe]
    unmapped = next(f for f in frames if "result" in f.columns)
    assert unmapped.to_dict("records") == [{"column": "outcome", "source": "Disposition", "value": "MOBILE CRISIS TEAM",
                                            "rows": 2, "result": "unmapped"}]
    history = next(f for f in frames if "rows_merged" in f.columns)
    assert history.iloc[0][["file_name", "profile", "rows_merged"]].tolist() == [
        "crisis_contacts.csv", "crisis_dispositions.toml", 4]


def test_reimporting_an_export_with_one_changed_row_says_one_updated_and_the_rest_unchanged(small_db_path):
    lines = (SMALL / "calls.csv").read_text().splitlines()
    changed = [lines[0]] + [lines[1].replace(",D1,", ",D3,", 1) if i == 1 else line
                            for i, line in enumerate(lines) if i > 0]
    assert changed[1] != lines[1]
    at = open_data_page()
    at.file_uploader(key="data_upload").set_value(("calls.csv", ("\n".join(changed) + "\n").encode(), "text/csv"))
    at.run()
    at.button(key="data_import").click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert "11 loaded (0 new, 1 updated, 10 unchanged)" in at.success[0].value
    assert "0 new + 1 updated (stored before with other values) + 10 unchanged" in texts(at)
    history = next(d.value for d in at.dataframe if "rows_merged" in d.value.columns)
    assert history.iloc[0][["rows_new", "rows_updated", "rows_unchanged"]].tolist() == [0, 1, 10]


def test_quarantined_rows_are_listed_with_line_column_reason_and_message(small_db_path):
    at = open_data_page()
    bad = "arrest_id,call_id,person_key,arrested_at\nB1,,P1,2024-01-01 10:00:00\nB2,,P1,yesterday\n"
    at.file_uploader(key="data_upload").set_value(("bad_arrests.csv", bad.encode(), "text/csv"))
    at.run()
    at.button(key="data_import").click()
    at.run()
    assert "1 row(s) were quarantined" in texts(at)
    frames = [d.value for d in at.dataframe]
    q = next(f for f in frames if "record" in f.columns)
    assert q[["file_name", "line", "column_name", "value", "reason"]].values.tolist() == [
        ["bad_arrests.csv", 3, "arrested_at", "yesterday", "type"]]


def test_the_page_drafts_a_profile_from_an_uploaded_header(small_db_path):
    at = open_data_page()
    cad = (EXPORTS / "cad_date_hour" / "cad_calls.csv").read_bytes()
    at.file_uploader(key="data_draft_upload").set_value(("cad_calls.csv", cad, "text/csv"))
    at.run()
    assert at.selectbox(key="data_draft_table").value == "calls"
    [draft] = [c.value for c in at.code if c.language == "toml"]
    assert '# call_id = "INC_NO"   # best guess' in draft
    assert all(f'"{h}" →' in draft for h in cad.decode().splitlines()[0].split(","))


def test_the_page_works_before_any_database_exists(tmp_path, monkeypatch):
    monkeypatch.setenv("PMHC_DB", str(tmp_path / "none" / "pmhc.duckdb"))
    at = open_data_page()
    assert "No database yet" in texts(at)
    at.file_uploader(key="data_upload").set_value(("calls.csv", (SMALL / "calls.csv").read_bytes(), "text/csv"))
    at.run()
    at.button(key="data_import").click()
    at.run()
    assert counts(tmp_path / "none" / "pmhc.duckdb")["calls"] == 11
    assert quality.DATE_COLUMN["calls"] in texts(at)  # the report of the first import is shown


def test_the_page_refuses_roles_other_than_admin(small_db_path):
    at = open_data_page(role="analyst")
    assert "for administrators" in at.error[0].value
    assert not at.file_uploader
    assert "data" not in [p.key for p in access.pages_for("analyst")]


def test_run_import_through_a_several_table_profile_fills_each_table(tmp_path, monkeypatch):
    monkeypatch.setenv("PMHC_DB", str(tmp_path / "new.duckdb"))
    export = FIXTURES / "real_layouts" / "seattle_crisis" / "crisis_data.csv"
    report = page_module().run_import(export.read_bytes(), "crisis_data.csv",
                                      profile_path=profiles.PROFILES_DIR / "seattle_crisis_templates.toml")
    assert (report.table, report.rows_loaded, report.rows_quarantined, report.rows_collapsed) == ("calls", 13, 2, 14)
    contacts, arrests = report.extra["also"]
    assert contacts["status"] == "loaded" and contacts["quarantined"] == 2
    assert contacts["summary"].startswith("crisis_data.csv → encounters: 29 rows in file = 13 loaded")
    assert arrests["status"] == "loaded" and arrests["quarantined"] == 0
    assert arrests["summary"].startswith("crisis_data.csv → arrests: 29 rows in file = 2 loaded")
    assert "+ 26 for the profile's other tables only ([arrests.where])" in arrests["summary"]
    assert {k: v for k, v in counts(tmp_path / "new.duckdb").items() if k in ("calls", "encounters", "arrests")} == {
        "calls": 13, "encounters": 13, "arrests": 2}


def test_run_import_reports_every_stage_of_the_upload(small_db_path):
    steps = []
    page_module().run_import((SMALL / "calls.csv").read_bytes(), "calls.csv", on_progress=steps.append)
    assert [s.stage for s in steps if s.finished] == ["reading", "validating", "upserting", "rollups",
                                                      "quality report"]


def test_the_import_status_box_shows_a_bar_and_a_line_per_finished_stage():
    def script():
        import streamlit as st

        from pmhc import progress

        with st.status("Importing calls.csv…", expanded=True) as box:
            shown = progress.StreamlitStatus(box)
            track = progress.Tracker("calls.csv → calls", shown)
            with track.stage("reading") as s:
                s.rows = 1_000
            track.begin("validating", 1_000)

    at = AppTest.from_function(script, default_timeout=60)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.status[0].label == "calls.csv → calls: validating…"
    lines = [m.value for m in at.status[0].markdown]
    assert any(line.startswith("calls.csv → calls: reading (1/5) 1,000 rows in") for line in lines), lines
    bar = at.get("progress")[0]
    assert bar.value == 20 and "validating (1,000 rows)" in bar.proto.text
