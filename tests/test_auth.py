"""Login: local accounts with hashed passwords, OIDC roles by e-mail, demo mode only on the
shipped synthetic data, and sessions that end after 30 idle minutes — each recorded in the
audit log."""

from __future__ import annotations

import json
import stat
import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from pmhc import access, audit, auth, db, importer, login

from .conftest import SMALL, load_small

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "blue heron at dawn"


@pytest.fixture
def log(tmp_path, monkeypatch) -> Path:
    path = tmp_path / "audit.jsonl"
    monkeypatch.setenv("PMHC_AUDIT_LOG", str(path))
    return path


@pytest.fixture
def users(tmp_path, monkeypatch) -> Path:
    path = tmp_path / "users.toml"
    monkeypatch.setenv("PMHC_USERS_FILE", str(path))
    monkeypatch.delenv("PMHC_DEMO", raising=False)
    return path


def events(log: Path) -> list[tuple[str, str, str]]:
    if not log.exists():
        return []
    return [(e["action"], e["who"], e["result"]) for e in map(json.loads, log.read_text().splitlines())]


# ------------------------------------------------------------------ passwords and the accounts file

def test_a_password_hash_never_contains_the_password():
    stored = auth.hash_password(PASSWORD)
    assert PASSWORD not in stored and PASSWORD.encode().hex() not in stored
    assert stored.startswith("scrypt$")


def test_the_same_password_hashes_differently_each_time():
    assert auth.hash_password(PASSWORD) != auth.hash_password(PASSWORD)


def test_verify_accepts_the_right_password_and_refuses_a_wrong_one(users):
    auth.add_user("alice", "analyst", PASSWORD)
    assert auth.verify("alice", PASSWORD) == "analyst"
    assert auth.verify("alice", PASSWORD + "!") is None
    assert auth.verify("nobody", PASSWORD) is None


def test_the_accounts_file_is_readable_by_its_owner_only_and_holds_no_password(users):
    auth.add_user("alice", "admin", PASSWORD)
    assert stat.S_IMODE(users.stat().st_mode) == 0o600
    assert PASSWORD not in users.read_text()


def test_the_accounts_file_lives_beside_the_database_by_default(tmp_path, monkeypatch):
    monkeypatch.delenv("PMHC_USERS_FILE", raising=False)
    monkeypatch.setenv("PMHC_DB", str(tmp_path / "d" / "pmhc.duckdb"))
    assert auth.users_file() == tmp_path / "d" / "users.toml"


@pytest.mark.parametrize("name, role, password, message", [
    ("alice", "admin", "short", "at least 12"),
    ("alice", "superuser", PASSWORD, "role 'superuser'"),
    ("bad name", "admin", PASSWORD, "user name"),
    ("alice12345678", "admin", "ALICE12345678", "must not be the user name"),
])
def test_a_weak_or_malformed_account_is_refused(users, name, role, password, message):
    with pytest.raises(auth.AuthError, match=message):
        auth.add_user(name, role, password)
    assert not users.exists()


def test_an_existing_account_is_not_overwritten(users):
    auth.add_user("alice", "public", PASSWORD)
    with pytest.raises(auth.AuthError, match="already exists"):
        auth.add_user("alice", "admin", PASSWORD)
    assert auth.verify("alice", PASSWORD) == "public"


def test_a_changed_password_replaces_the_old_one(users):
    auth.add_user("alice", "analyst", PASSWORD)
    auth.set_password("alice", "a different passphrase")
    assert auth.verify("alice", PASSWORD) is None
    assert auth.verify("alice", "a different passphrase") == "analyst"


def test_a_removed_account_can_no_longer_log_in(users):
    auth.add_user("alice", "analyst", PASSWORD)
    auth.add_user("bob", "admin", PASSWORD)
    auth.remove_user("alice")
    assert auth.verify("alice", PASSWORD) is None
    assert [u.name for u in auth.list_users()] == ["bob"]


def test_oidc_role_mappings_in_the_accounts_file_survive_account_changes(users):
    auth.save_accounts(auth.Accounts({}, {"chief@city.gov": "public"}))
    auth.add_user("alice", "admin", PASSWORD)
    assert auth.load_accounts().roles == {"chief@city.gov": "public"}


def test_repeated_wrong_passwords_lock_the_account_for_a_while():
    throttle = auth.Throttle(max_failures=5, seconds=900)
    for i in range(4):
        throttle.failed("alice", 1000.0 + i)
    assert throttle.locked_for("alice", 1004.0) == 0
    throttle.failed("alice", 1004.0)
    assert throttle.locked_for("alice", 1005.0) == pytest.approx(895.0)
    assert throttle.locked_for("alice", 1000.0 + 901) == 0
    assert throttle.locked_for("bob", 1005.0) == 0


# ------------------------------------------------------------------ OIDC roles

def test_an_email_gets_the_role_its_table_lists_regardless_of_case():
    assert auth.role_for_email("Coordinator@City.gov", {"coordinator@city.gov": "analyst"}) == "analyst"


def test_an_unlisted_email_gets_only_the_public_view():
    assert auth.role_for_email("someone@else.org", {"coordinator@city.gov": "analyst"}) == "public"
    assert auth.role_for_email(None) == "public"


def test_secrets_roles_take_precedence_over_the_accounts_file():
    assert auth.role_for_email("a@city.gov", {"a@city.gov": "admin"}, {"a@city.gov": "public"}) == "admin"


# ------------------------------------------------------------------ idle expiry

def test_a_run_31_minutes_after_the_last_one_is_idle():
    assert auth.is_idle(last_seen=1000.0, now=1000.0 + 31 * 60)


def test_a_run_29_minutes_after_the_last_one_is_not_idle():
    assert not auth.is_idle(last_seen=1000.0, now=1000.0 + 29 * 60)


def test_the_idle_limit_can_be_configured(monkeypatch):
    monkeypatch.setenv("PMHC_IDLE_MINUTES", "10")
    assert auth.is_idle(last_seen=0.0, now=11 * 60)


def test_a_returning_oidc_identity_is_let_in_only_within_its_idle_window():
    now = 10_000.0
    auth.oidc_forget("x@city.gov")
    assert auth.oidc_fresh("x@city.gov", issued_at=now - 60, now=now)  # just logged in at the provider
    assert not auth.oidc_fresh("x@city.gov", issued_at=now - 3 * 3600, now=now)  # old cookie, no activity
    auth.oidc_seen("x@city.gov", now - 10 * 60)
    assert auth.oidc_fresh("x@city.gov", issued_at=now - 3 * 3600, now=now)  # active 10 minutes ago
    auth.oidc_forget("x@city.gov")


# ------------------------------------------------------------------ demo mode

def test_demo_is_allowed_when_every_import_is_shipped_synthetic_data():
    allowed = auth.synthetic_hashes()
    ledger = [{"file_name": "calls.csv", "sha256": importer.sha256_of(SMALL / "calls.csv")},
              {"file_name": "calls.csv.gz", "sha256": importer.sha256_of(ROOT / "sample_data" / "calls.csv.gz")}]
    assert auth.demo_refusal(ledger, allowed) is None


def test_demo_is_refused_when_any_import_is_another_file():
    ledger = [{"file_name": "calls.csv", "sha256": "a" * 64}, {"file_name": "cad_2024.csv", "sha256": "b" * 64}]
    message = auth.demo_refusal(ledger, {"a" * 64: "sample_data/calls.csv.gz"})
    assert "Demo mode is refused" in message and "`cad_2024.csv`" in message and "`calls.csv`" not in message


def test_demo_is_allowed_on_a_database_built_from_a_committed_sample_file(tmp_path):
    con = db.connect(tmp_path / "sample.duckdb")
    try:
        importer.import_file(con, ROOT / "sample_data" / "bad" / "calls_bad.csv")
        assert auth.demo_refusal_for(con) is None
    finally:
        con.close()


def test_demo_is_refused_on_a_database_holding_a_file_that_is_not_shipped(tmp_path):
    edited = tmp_path / "calls.csv"
    edited.write_text((SMALL / "calls.csv").read_text().replace("D1", "D9", 1))
    con = db.connect(tmp_path / "real.duckdb")
    try:
        importer.import_file(con, edited)
        assert "`calls.csv`" in auth.demo_refusal_for(con)
    finally:
        con.close()


def test_the_app_refuses_demo_mode_on_real_data_and_shows_no_page(tmp_path, monkeypatch, log):
    edited = tmp_path / "calls.csv"
    edited.write_text((SMALL / "calls.csv").read_text().replace("D1", "D9", 1))
    path = tmp_path / "real.duckdb"
    con = db.connect(path)
    importer.import_file(con, edited)
    con.close()
    monkeypatch.setenv("PMHC_DB", str(path))
    monkeypatch.setenv("PMHC_DEMO", "1")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.session_state["role"] = "admin"
    at.run()
    assert not at.exception
    assert "Demo mode is refused" in at.error[0].value
    assert not at.metric and not at.selectbox
    assert events(log) == [("demo_refused", "demo", "refused")]


def test_the_app_opens_in_demo_mode_on_the_synthetic_fixture(small_db_path, monkeypatch):
    monkeypatch.setenv("PMHC_DEMO", "1")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    assert not at.exception and not at.error
    assert at.selectbox(key="role").value == "analyst"  # a demo visitor is never an administrator


# ------------------------------------------------------------------ the login page

def open_app(**state) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    for k, v in state.items():
        at.session_state[k] = v
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def log_in(at: AppTest, name: str, password: str) -> AppTest:
    at.text_input(key="login_user").input(name)
    at.text_input(key="login_password").input(password)
    at.button[0].click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_without_accounts_or_a_provider_the_app_says_how_to_create_the_first_admin(users, small_db_path):
    at = open_app()
    assert "pmhc user add NAME --role admin" in at.info[0].value
    assert not at.metric and not at.text_input


def test_a_wrong_password_is_refused_and_recorded(users, small_db_path, log):
    auth.add_user("alice", "analyst", PASSWORD)
    at = log_in(open_app(), "alice", "not the password")
    assert at.error[0].value == "Wrong user name or password."
    assert auth.SESSION_KEY not in at.session_state
    assert not at.metric
    assert events(log) == [("login_failed", "alice", "failed")]


def test_an_unknown_user_name_is_not_written_to_the_log(users, small_db_path, log):
    auth.add_user("alice", "analyst", PASSWORD)
    log_in(open_app(), PASSWORD, PASSWORD)  # a password typed into the name box stays out of the log
    assert events(log) == [("login_failed", "(unknown user name)", "failed")]


def test_the_right_password_logs_in_with_the_accounts_role(users, small_db_path, log):
    auth.add_user("alice", "analyst", PASSWORD)
    at = log_in(open_app(), "alice", PASSWORD)
    assert at.session_state[auth.SESSION_KEY] == {"user": "alice", "role": "analyst", "method": "local"}
    assert at.session_state["role"] == "analyst"
    assert at.metric  # the overview is drawn
    assert "Logged in as **alice**" in "\n".join(c.value for c in at.sidebar.caption)
    assert events(log) == [("login", "alice", "ok")]


def test_a_logged_in_session_is_not_offered_the_demo_role_switcher(users, small_db_path):
    at = open_app(**{auth.SESSION_KEY: {"user": "alice", "role": "public", "method": "local"}})
    assert not [s for s in at.selectbox if s.key == "role"]
    assert at.session_state["role"] == "public"


def gated_script() -> None:
    """app.py's login part alone: in AppTest every run after the first goes through Streamlit's
    pages-folder mode first, which loses a sidebar click made in app.py (a real server does
    that once per process)."""
    import streamlit as st

    from pmhc import login

    session = login.gate("Test")
    login.account_box(session)
    st.markdown(f"inside as {session.role}")


def test_the_logged_in_role_outranks_any_role_left_in_session_state(users, small_db_path):
    at = open_app(role="admin", **{auth.SESSION_KEY: {"user": "chief", "role": "public", "method": "local"}})
    assert at.session_state["role"] == "public"
    assert "Public view" in "\n".join(c.value for c in at.caption)


def test_user_list_shows_names_and_roles_but_never_hashes(users, capsys):
    from pmhc import cli

    auth.add_user("alice", "admin", PASSWORD)
    assert cli.main(["user", "list"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("alice\tadmin\t") and "scrypt" not in out


def test_user_add_with_a_short_password_fails_with_a_clear_message(users, capsys, monkeypatch):
    from pmhc import cli

    monkeypatch.setattr("sys.stdin", __import__("io").StringIO("short\n"))
    assert cli.main(["user", "add", "alice", "--role", "admin", "--password-stdin"]) == 2
    assert "at least 12 characters" in capsys.readouterr().err
    assert not users.exists()


def test_logging_out_ends_the_session_and_is_recorded(users, small_db_path, log):
    at = AppTest.from_function(gated_script, default_timeout=60)
    at.session_state[auth.SESSION_KEY] = {"user": "alice", "role": "analyst", "method": "local"}
    at.run()
    assert at.markdown[0].value == "inside as analyst"
    at.button(key="auth_logout").click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert auth.SESSION_KEY not in at.session_state
    assert "You are logged out." in at.info[0].value
    assert not [m for m in at.markdown if m.value.startswith("inside")]
    assert events(log) == [("logout", "alice", "ok")]


def test_a_session_idle_for_31_minutes_is_logged_out_and_recorded(users, small_db_path, log):
    auth.add_user("alice", "analyst", PASSWORD)
    at = open_app(**{auth.SESSION_KEY: {"user": "alice", "role": "analyst", "method": "local"},
                     auth.SEEN_KEY: time.time() - 31 * 60})
    assert auth.SESSION_KEY not in at.session_state
    assert "30 minutes without activity" in at.info[0].value
    assert not at.metric and at.text_input(key="login_user")
    assert events(log) == [("session_expired", "alice", "ok")]


def test_a_session_active_29_minutes_ago_stays_logged_in(users, small_db_path, log):
    at = open_app(**{auth.SESSION_KEY: {"user": "alice", "role": "analyst", "method": "local"},
                     auth.SEEN_KEY: time.time() - 29 * 60})
    assert at.session_state[auth.SESSION_KEY]["user"] == "alice"
    assert at.session_state[auth.SEEN_KEY] > time.time() - 60  # activity renews the window
    assert at.metric
    assert events(log) == []


def test_idle_expiry_follows_the_injected_clock(users, small_db_path, monkeypatch, log):
    monkeypatch.setattr(auth, "clock", lambda: 5_000_000.0)
    at = open_app(**{auth.SESSION_KEY: {"user": "alice", "role": "admin", "method": "local"},
                     auth.SEEN_KEY: 5_000_000.0 - 31 * 60})
    assert auth.SESSION_KEY not in at.session_state
    assert events(log) == [("session_expired", "alice", "ok")]


OIDC_SECRETS = {
    "auth": {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "x" * 32,
             "client_id": "pmhc", "client_secret": "s", "server_metadata_url": "https://idp.example/.well-known"},
    "pmhc": {"roles": {"coordinator@city.gov": "analyst"}},
}


def test_with_a_provider_configured_the_login_page_offers_it(users, small_db_path, monkeypatch):
    monkeypatch.setattr(auth, "authlib_installed", lambda: True)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.secrets.update(OIDC_SECRETS)
    at.user = {"is_logged_in": False}
    at.run()
    assert [b.label for b in at.button] == ["Log in with your agency account"]


def test_a_configured_provider_without_authlib_says_what_to_install(users, small_db_path, monkeypatch):
    monkeypatch.setattr(auth, "authlib_installed", lambda: False)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.secrets.update(OIDC_SECRETS)
    at.user = {"is_logged_in": False}
    at.run()
    assert "Authlib is not installed" in at.error[0].value and ".[oidc]" in at.error[0].value
    assert not at.button


def test_an_oidc_login_gets_the_role_mapped_to_its_email(users, small_db_path, log):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.secrets.update(OIDC_SECRETS)
    at.user = {"is_logged_in": True, "email": "Coordinator@city.gov", "email_verified": True, "iat": int(time.time())}
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.session_state[auth.SESSION_KEY]["role"] == "analyst"
    assert events(log) == [("login", "Coordinator@city.gov", "ok")]


def test_an_oidc_login_of_an_unlisted_email_sees_the_public_view(users, small_db_path):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.secrets.update(OIDC_SECRETS)
    at.user = {"is_logged_in": True, "email": "visitor@city.gov", "iat": int(time.time())}
    at.run()
    assert at.session_state["role"] == "public"
    assert "data" not in [p.key for p in access.pages_for(at.session_state["role"])]


def test_an_audit_line_never_holds_the_password_typed(users, small_db_path, log):
    auth.add_user("alice", "admin", PASSWORD)
    log_in(open_app(), "alice", "wrong but secret words")
    log_in(open_app(), "alice", PASSWORD)
    text = log.read_text()
    assert "wrong but secret words" not in text and PASSWORD not in text
    assert audit.verify() == []


# ------------------------------------------------------------------ the rest of the surface (issue 16)

@pytest.mark.parametrize("claim", [None, "false", "true", 1, "yes"])
def test_an_oidc_address_counts_as_verified_only_when_the_claim_is_true(users, small_db_path, claim):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.secrets.update(OIDC_SECRETS)
    user = {"is_logged_in": True, "email": "coordinator@city.gov", "iat": int(time.time())}
    if claim is not None:
        user["email_verified"] = claim
    at.user = user
    at.run()
    assert at.session_state[auth.SESSION_KEY]["role"] == "public"


def test_email_verified_accepts_only_the_json_true():
    assert auth.email_verified({"email_verified": True})
    assert not auth.email_verified({"email_verified": "true"})
    assert not auth.email_verified({})


@pytest.mark.parametrize("raw", ["nan", "inf", "-inf", "0", "-5", "thirty", "1e9"])
def test_an_idle_limit_that_is_not_a_finite_number_of_minutes_is_refused(monkeypatch, raw):
    monkeypatch.setenv("PMHC_IDLE_MINUTES", raw)
    with pytest.raises(auth.AuthError, match="PMHC_IDLE_MINUTES"):
        auth.idle_minutes()


def test_the_app_refuses_to_open_with_an_idle_limit_of_nan(users, small_db_path, monkeypatch):
    monkeypatch.setenv("PMHC_IDLE_MINUTES", "nan")
    auth.add_user("alice", "admin", PASSWORD)
    at = open_app(**{auth.SESSION_KEY: {"user": "alice", "role": "admin", "method": "local"},
                     auth.SEEN_KEY: time.time() - 10 * 365 * 86400})
    assert "PMHC_IDLE_MINUTES" in at.error[0].value
    assert not at.metric


def test_wrong_passwords_from_one_address_do_not_lock_the_account_out_from_another():
    throttle = auth.Throttle(max_failures=5, seconds=900)
    for i in range(50):
        throttle.failed("admin", 1000.0 + i, source="203.0.113.9")
    assert throttle.locked_for("admin", 1050.0, source="203.0.113.9") > 0
    assert throttle.locked_for("admin", 1050.0, source="10.0.0.2") == 0


def test_one_address_guessing_many_accounts_is_refused_as_a_whole():
    throttle = auth.Throttle(max_failures=5, seconds=900, max_source_failures=8)
    for i in range(8):
        throttle.failed(f"user{i}", 1000.0 + i, source="203.0.113.9")
    assert throttle.locked_for("someone-else", 1009.0, source="203.0.113.9") > 0
    assert throttle.locked_for("someone-else", 1009.0, source="10.0.0.2") == 0


def test_error_details_are_never_shown_to_viewers(users, small_db_path):
    import tomllib

    import streamlit as st

    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["client"]["showErrorDetails"] == "none"
    st.set_option("client.showErrorDetails", "full")
    open_app()
    assert st.get_option("client.showErrorDetails") == "none"  # app.py sets it whatever started it


def test_a_deep_link_opened_before_login_lands_on_that_page_after_login(users, small_db_path):
    auth.add_user("alice", "analyst", PASSWORD)
    at = open_app()
    # The browser asks for /repeat: Streamlit resolves the address among the pages registered.
    at_repeat = [h for h, p in at._registered_pages.items() if p.get("url_pathname") == "repeat"]
    assert at_repeat, "before login /repeat is not a page at all (\"Page not found\")"
    at._page_hash = at_repeat[0]
    at.run()
    assert at.text_input(key="login_user")  # the login form at that address
    # Logging in reruns the same address (the browser stays on /repeat); AppTest drops a form
    # click on a page reached this way, so the login itself is the one _try_local_login makes.
    at.session_state[auth.SESSION_KEY] = {"user": "alice", "role": "analyst", "method": "local"}
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert "Repeat contacts" in at.title[0].value


def test_a_file_copied_into_sample_data_does_not_count_as_sample_data(tmp_path):
    root = tmp_path / "repo"
    (root / "sample_data").mkdir(parents=True)
    (root / "sample_data" / "calls.csv.gz").write_bytes(b"synthetic")
    auth.write_synthetic_manifest(root)
    real = root / "sample_data" / "real_calls.csv"
    real.write_text("call_id\n1\n")  # copied in after the manifest was committed
    allowed = auth.synthetic_hashes(root)
    assert importer.sha256_of(real) not in allowed
    assert auth.demo_refusal([{"file_name": "real_calls.csv", "sha256": importer.sha256_of(real)}], allowed)


def test_the_synthetic_manifest_lists_exactly_the_committed_sample_files():
    assert auth.synthetic_hashes() == auth.synthetic_files(), (
        "sample_data/SHA256SUMS is out of date: `make sample` rewrites it")


def test_a_demo_visitor_is_never_an_administrator(small_db_path, monkeypatch):
    monkeypatch.setenv("PMHC_DEMO", "1")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.session_state["role"] = "admin"  # as if the switcher had been told so
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.selectbox(key="role").options == ["Council / public viewer", "Analyst / coordinator"]
    assert at.session_state["role"] != "admin"
    assert "data" not in [p.key for p in access.pages_for(at.session_state["role"])]
