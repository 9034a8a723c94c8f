"""Saving assumptions from the Resource savings page: administrators only, with a source,
written to the assumptions file and to the audit log; everyone else's what-if saves nothing."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from pmhc import audit, auth, metrics

ROOT = Path(__file__).resolve().parent.parent
OFFICER_HOUR_ROW = 5  # row of officer_hour in config/assumptions.toml order (metrics.SAVINGS_PARAMS)


@pytest.fixture
def config_copy(small_db_path, tmp_path, monkeypatch):
    """A writable copy of the fixture's config folder, so a save does not touch the repo."""
    folder = tmp_path / "config"
    shutil.copytree(ROOT / "tests" / "fixtures" / "small" / "config", folder)
    monkeypatch.setenv("PMHC_CONFIG_DIR", str(folder))
    monkeypatch.setenv("PMHC_AUDIT_LOG", str(tmp_path / "audit.jsonl"))
    return folder


def savings_page(role: str, what_if: dict | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "pages" / "savings.py"), default_timeout=120)
    at.session_state["role"] = role
    at.session_state[auth.SESSION_KEY] = {"user": f"test-{role}", "role": role, "method": "local"}
    for k, v in {"period": "months", "from": "2024-01", "to": "2024-02"}.items():
        at.query_params[k] = v
    if what_if:
        at.session_state["savings_editor_0"] = {"edited_rows": {OFFICER_HOUR_ROW: what_if},
                                                "added_rows": [], "deleted_rows": []}
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_the_officer_hour_row_is_where_the_test_edits(config_copy):
    assert metrics.SAVINGS_PARAMS[OFFICER_HOUR_ROW] == "officer_hour"


@pytest.mark.parametrize("role", ["public", "analyst"])
def test_only_an_administrator_is_offered_the_save(config_copy, role):
    at = savings_page(role, {"value": 91.5})
    assert not [t for t in at.text_input if t.key == "savings_save_source"]


def test_an_administrator_is_offered_the_save_only_after_a_change(config_copy):
    assert not [t for t in savings_page("admin").text_input if t.key == "savings_save_source"]
    assert [t for t in savings_page("admin", {"value": 91.5}).text_input if t.key == "savings_save_source"]


def test_saving_without_a_source_is_refused(config_copy):
    before = (config_copy / "assumptions.toml").read_bytes()
    at = savings_page("admin", {"value": 91.5})
    at.get("form_submit_button")[0].click().run()
    assert any("Give the source" in e.value for e in at.error)
    assert (config_copy / "assumptions.toml").read_bytes() == before


def test_a_saved_value_is_in_the_file_with_its_source_and_in_the_audit_log(config_copy):
    at = savings_page("admin", {"value": 91.5})
    at.text_input(key="savings_save_source").input("County payroll report 2026")
    at.get("form_submit_button")[0].click().run()
    assert not at.exception, [e.value for e in at.exception]
    saved = metrics.load_assumptions(config_copy / "assumptions.toml")["officer_hour"]
    assert (saved.value, saved.source) == (91.5, "County payroll report 2026")
    events = audit.read()
    last = events.iloc[-1]
    assert (last["action"], last["who"], last["result"]) == ("assumptions_saved", "test-admin", "ok")
    assert "91.5" in str(last["detail"])
