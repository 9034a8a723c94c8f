"""The audit log: append-only JSON lines, chained by hash, written by logins, imports, exports
and account changes, readable (and checkable) by administrators only."""

from __future__ import annotations

import json
import os
import stat
import threading
from datetime import date, datetime, timezone
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from pmhc import access, audit, auth, cli

from .conftest import SMALL

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def log(tmp_path, monkeypatch) -> Path:
    path = tmp_path / "audit.jsonl"
    monkeypatch.setenv("PMHC_AUDIT_LOG", str(path))
    return path


def lines(path: Path) -> list[dict]:
    return [json.loads(x) for x in path.read_text().splitlines()]


def three_events() -> None:
    audit.record("login", "alice", "local account", role="admin")
    audit.record("import", "alice", "calls.csv", role="admin", rows_loaded=11)
    audit.record("logout", "alice", "local account", role="admin")


# ------------------------------------------------------------------ the file

def test_an_event_records_who_what_when_and_the_result(log):
    audit.record("import", "os:carol", "calls.csv", "rejected", rows_loaded=0,
                 now=datetime(2024, 3, 1, 12, 0, tzinfo=timezone.utc))
    [e] = lines(log)
    assert {k: e[k] for k in ("ts", "who", "action", "what", "result", "detail")} == {
        "ts": "2024-03-01T12:00:00+00:00", "who": "os:carol", "action": "import", "what": "calls.csv",
        "result": "rejected", "detail": {"rows_loaded": 0}}


def test_each_line_carries_the_hash_of_the_line_before_it(log):
    three_events()
    first, second, third = lines(log)
    assert first["prev"] == audit.GENESIS
    assert second["prev"] == first["hash"] and third["prev"] == second["hash"]


def test_new_events_are_appended_and_earlier_lines_are_left_byte_for_byte(log):
    audit.record("login", "alice", "local account")
    before = log.read_bytes()
    audit.record("logout", "alice", "local account")
    assert log.read_bytes().startswith(before)


def test_the_log_file_is_readable_by_its_owner_only(log):
    audit.record("login", "alice", "local account")
    assert stat.S_IMODE(log.stat().st_mode) == 0o600


def test_an_untouched_log_verifies(log):
    three_events()
    assert audit.verify() == []


def test_verify_flags_an_edited_line(log):
    three_events()
    text = log.read_text().splitlines()
    text[1] = text[1].replace('"rows_loaded": 11', '"rows_loaded": 9')
    log.write_text("\n".join(text) + "\n")
    problems = audit.verify()
    assert [p.line for p in problems] == [2]
    assert "edited" in str(problems[0])


def test_verify_flags_a_deleted_line(log):
    three_events()
    text = log.read_text().splitlines()
    del text[1]
    log.write_text("\n".join(text) + "\n")
    problems = audit.verify()
    assert [p.line for p in problems] == [2]  # the old third line no longer follows the first
    assert "removed" in str(problems[0])


def test_a_rewritten_line_with_a_recomputed_hash_still_breaks_the_next_link(log):
    three_events()
    entries = lines(log)
    entries[1]["who"] = "mallory"
    entries[1]["hash"] = audit._digest(entries[1]["prev"], entries[1])
    log.write_text("".join(json.dumps(e) + "\n" for e in entries))
    assert [p.line for p in audit.verify()] == [3]


def test_concurrent_writers_never_interleave_or_fork_the_chain(log):
    def write(who: str) -> None:
        for i in range(15):
            audit.record("export", who, f"file {i}")

    threads = [threading.Thread(target=write, args=(f"user{n}",)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(lines(log)) == 60
    assert audit.verify() == []


@pytest.mark.parametrize("field", ["password", "new_password", "secret", "person_key", "token"])
def test_credentials_and_person_keys_are_refused_as_detail(log, field):
    with pytest.raises(ValueError, match="never written"):
        audit.record("login", "alice", "x", **{field: "hunter2hunter2"})
    assert not log.exists()


def test_the_log_sits_beside_the_database_unless_configured(tmp_path, monkeypatch):
    monkeypatch.delenv("PMHC_AUDIT_LOG", raising=False)
    monkeypatch.setenv("PMHC_DB", str(tmp_path / "x.duckdb"))
    assert audit.log_path() == tmp_path / "x.duckdb.audit.jsonl"
    monkeypatch.setenv("PMHC_AUDIT_LOG", str(tmp_path / "elsewhere.jsonl"))
    assert audit.log_path() == tmp_path / "elsewhere.jsonl"


def test_read_returns_events_oldest_first_with_line_numbers(log):
    three_events()
    df = audit.read()
    assert df["line"].tolist() == [1, 2, 3]
    assert df["action"].tolist() == ["login", "import", "logout"]
    assert audit.read(limit=1)["action"].tolist() == ["logout"]


def test_select_filters_by_action_user_and_local_date(log):
    audit.record("login", "alice", "", now=datetime(2024, 3, 1, 3, 0, tzinfo=timezone.utc))  # 29 Feb in New York
    audit.record("login", "bob", "", now=datetime(2024, 3, 2, 12, 0, tzinfo=timezone.utc))
    audit.record("export", "bob", "deck.pptx", now=datetime(2024, 3, 2, 13, 0, tzinfo=timezone.utc))
    df = audit.read()
    assert audit.select(df, actions=["login"])["who"].tolist() == ["bob", "alice"]  # newest first
    assert audit.select(df, users=["bob"])["action"].tolist() == ["export", "login"]
    ny = audit.select(df, since=date(2024, 3, 1), until=date(2024, 3, 1), tz="America/New_York")
    assert ny.empty
    assert audit.select(df, since=date(2024, 2, 29), until=date(2024, 2, 29), tz="America/New_York")[
        "who"].tolist() == ["alice"]


# ------------------------------------------------------------------ who writes it

def test_an_import_from_the_command_line_is_recorded_with_the_os_user(tmp_path, monkeypatch):
    monkeypatch.delenv("PMHC_AUDIT_LOG", raising=False)
    db_path = tmp_path / "cli.duckdb"
    assert cli.main(["import", str(SMALL / "calls.csv"), "--db", str(db_path)]) == 0
    [e] = lines(Path(f"{db_path}.audit.jsonl"))
    assert (e["action"], e["who"], e["what"], e["result"]) == ("import", audit.os_user(), "calls.csv", "ok")
    assert e["detail"]["rows_loaded"] == 11 and e["detail"]["via"] == "cli"


def test_an_export_from_the_command_line_is_recorded_with_where_it_went(small_db_path, tmp_path, monkeypatch):
    monkeypatch.delenv("PMHC_AUDIT_LOG", raising=False)
    out = tmp_path / "parquet"
    assert cli.main(["export-parquet", "--db", str(small_db_path), "--out", str(out)]) == 0
    [e] = lines(Path(f"{small_db_path}.audit.jsonl"))
    assert (e["action"], e["who"], e["what"], e["result"]) == ("export", audit.os_user(), str(out), "ok")
    assert e["detail"]["command"] == "export-parquet"


def test_adding_an_account_is_recorded_without_its_password(log, tmp_path, monkeypatch):
    monkeypatch.setattr("sys.stdin", __import__("io").StringIO("a long enough passphrase\n"))
    assert cli.main(["user", "--file", str(tmp_path / "users.toml"), "add", "dana", "--role", "analyst",
                     "--password-stdin"]) == 0
    [e] = lines(log)
    assert (e["action"], e["what"], e["detail"]) == ("user_added", "dana", {"account_role": "analyst"})
    assert "passphrase" not in log.read_text()


def test_an_import_on_the_data_page_is_recorded_with_the_logged_in_user(log, small_db_path):
    at = AppTest.from_file(str(ROOT / "pages" / "data.py"), default_timeout=120)
    at.session_state["role"] = "admin"
    at.session_state[auth.SESSION_KEY] = {"user": "erin", "role": "admin", "method": "local"}
    at.run()
    at.file_uploader(key="data_upload").set_value(("calls.csv", (SMALL / "calls.csv").read_bytes(), "text/csv"))
    at.run()
    at.button(key="data_import").click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    [e] = lines(log)
    assert (e["action"], e["who"], e["role"], e["what"], e["result"]) == ("import", "erin", "admin", "calls.csv", "ok")
    assert e["detail"]["via"] == "dashboard" and e["detail"]["rows_in_file"] == 11


# ------------------------------------------------------------------ the page

def open_audit_page(role: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "pages" / "audit.py"), default_timeout=60)
    at.session_state["role"] = role
    at.session_state[auth.SESSION_KEY] = {"user": "frank", "role": role, "method": "local"}
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_only_administrators_have_the_audit_page():
    assert "audit" in [p.key for p in access.pages_for("admin")]
    assert "audit" not in [p.key for p in access.pages_for("analyst")]
    assert "audit" not in [p.key for p in access.pages_for("public")]


def test_the_audit_page_refuses_a_non_administrator_opening_it_directly(log):
    three_events()
    at = open_audit_page("analyst")
    assert "for administrators" in at.error[0].value
    assert not at.dataframe


def test_the_audit_page_lists_recent_events_and_says_the_chain_is_intact(log):
    three_events()
    at = open_audit_page("admin")
    assert "Hash chain intact" in at.success[0].value
    table = at.dataframe[0].value
    assert table["action"].tolist() == ["Logged out", "Data import", "Logged in"]
    assert set(table["who"]) == {"alice"}


def test_the_audit_page_names_the_lines_of_an_altered_log(log):
    three_events()
    text = log.read_text().splitlines()
    log.write_text("\n".join([text[0], text[2]]) + "\n")
    at = open_audit_page("admin")
    assert "altered" in at.error[0].value and "line 2" in at.error[0].value


def test_the_audit_page_filters_by_action(log):
    three_events()
    at = open_audit_page("admin")
    at.multiselect(key="audit_actions").set_value(["import"])
    at.run()
    assert at.dataframe[0].value["what"].tolist() == ["calls.csv"]


# ------------------------------------------------------------------ keyed chain and head (issue 16, item 3)

def test_cutting_lines_off_the_end_is_detected(log):
    three_events()
    text = log.read_text().splitlines()
    log.write_text("\n".join(text[:-1]) + "\n")
    problems = audit.verify()
    assert problems and "cut off the end" in str(problems[0])


def test_emptying_the_log_is_detected(log):
    three_events()
    log.write_text("")
    assert audit.verify()


def test_removing_a_line_and_rechaining_without_the_key_is_detected(log):
    import hashlib

    three_events()
    entries = lines(log)
    del entries[1]
    prev = audit.GENESIS
    for e in entries:  # what anyone can compute: a plain SHA-256 chain
        e["prev"] = prev
        body = {k: e[k] for k in audit.FIELDS if k != "hash"}
        e["hash"] = hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"),
                                              default=str).encode()).hexdigest()
        prev = e["hash"]
    log.write_text("".join(json.dumps(e) + "\n" for e in entries))
    assert [p.line for p in audit.verify()] == [1, 2]


def test_a_forged_head_is_detected(log):
    three_events()
    text = log.read_text().splitlines()
    log.write_text("\n".join(text[:-1]) + "\n")
    last = json.loads(text[-2])["hash"]
    audit.head_path().write_text(json.dumps({"lines": 2, "last": last, "mac": "0" * 64}) + "\n")
    assert "altered" in str(audit.verify()[0])


def test_the_key_and_head_are_owner_only_and_the_key_never_enters_the_log(log):
    three_events()
    for p in (audit.key_path(), audit.head_path()):
        assert stat.S_IMODE(os.stat(p).st_mode) == 0o600
    assert audit.key_path().read_text().strip() not in log.read_text()


def test_an_import_on_the_data_page_is_audited_even_if_the_tab_closes_right_after(log, small_db_path, monkeypatch):
    import importlib.util

    import streamlit as st
    from streamlit.runtime.scriptrunner_utils.exceptions import StopException

    spec = importlib.util.spec_from_file_location("pmhc_data_page_audit", ROOT / "pages" / "data.py")
    page = importlib.util.module_from_spec(spec)
    monkeypatch.setattr(st, "stop", lambda: None)
    spec.loader.exec_module(page)

    def closed_tab():  # the first Streamlit call after the import finds the session gone
        raise StopException()

    monkeypatch.setattr(st.cache_data, "clear", closed_tab)
    with pytest.raises(StopException):
        page.run_import((SMALL / "calls.csv").read_bytes(), "calls.csv")
    [e] = lines(log)
    assert (e["action"], e["what"], e["result"]) == ("import", "calls.csv", "ok")


def test_tables_offer_no_unaudited_download(log, small_db_path, monkeypatch):
    import tomllib

    import streamlit as st

    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["client"]["disableDataExport"] is True
    monkeypatch.setenv("PMHC_DEMO", "1")
    st.set_option("client.disableDataExport", False)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    assert st.get_option("client.disableDataExport") is True


def test_opening_the_person_list_is_recorded_before_it_is_drawn(log, small_db_path):
    at = AppTest.from_file(str(ROOT / "pages" / "repeat.py"), default_timeout=120)
    at.session_state["role"] = "analyst"
    at.session_state[auth.SESSION_KEY] = {"user": "coord", "role": "analyst", "method": "local"}
    for k, v in {"period": "months", "from": "2024-01", "to": "2024-02"}.items():
        at.query_params[k] = v
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    at.run()  # a rerun of the same selection adds no second line
    [e] = lines(log)
    assert (e["action"], e["who"], e["what"]) == ("view", "coord", "repeat-contact person list")
    assert e["detail"]["people"] >= 0
