"""Who is looking: login by the agency's identity provider (OIDC), by a local account, or the
open demo on the synthetic data only; sessions end after 30 idle minutes.

Three ways in, chosen by configuration rather than by a switch in the code:

- **OIDC** (`st.login`) when `.streamlit/secrets.toml` has an `[auth]` section. The
  identity provider vouches for the e-mail address; the role comes from a table
  (secrets `[pmhc.roles]` or the accounts file's `[roles]`); anyone not listed gets the
  public view, never more.
- **Local accounts** for agencies without an identity provider: a TOML file outside the
  repository (default beside the database, `data/users.toml`, or PMHC_USERS_FILE), mode
  0600, holding only scrypt hashes with a random salt per password. `pmhc user add`
  writes it.
- **Demo** (PMHC_DEMO=1): no login and a role switcher, honoured only while every file
  the database ever imported is one of the synthetic files shipped in the repository
  (recognised by SHA-256). Importing anything else turns demo mode into a refusal, so
  a demo server can never end up showing real people's records to anyone.

The Streamlit part (`gate`) is kept apart from plain functions (hashing, the accounts
file, role mapping, the demo check, the idle rule) so that those are tested directly.

Its size (~580 lines) is earned: the three ways in share one rule (the role comes from a
table, anyone unlisted is public) and one idle timeout, kept beside each other so that no
way in can grant more than the others.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import importlib.util
import os
import re
import secrets
import threading
import time
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from . import access, audit
from .config import ROOT, default_db_path

SESSION_KEY = "_pmhc_auth"  # {"user", "role", "method"} of the logged-in user
SEEN_KEY = "_pmhc_last_seen"  # time.time() of the user's last run
NOTICE_KEY = "_pmhc_auth_notice"  # a message for the login page (e.g. "session expired")
DEFAULT_IDLE_MINUTES = 30
MIN_PASSWORD_LENGTH = 12
USERNAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
# scrypt cost: 16 MiB of memory and ~50 ms per check; stored with each hash so it can be raised.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
MAX_FAILURES, LOCKOUT_SECONDS = 5, 15 * 60


class AuthError(ValueError):
    """A refused account change (bad name, weak password, unknown role or user)."""


# ------------------------------------------------------------------ passwords

def hash_password(password: str, *, n: int = SCRYPT_N, r: int = SCRYPT_R, p: int = SCRYPT_P) -> str:
    """`scrypt$n$r$p$salt$hash` (base64): the salt is random, so equal passwords hash differently."""
    salt = secrets.token_bytes(16)
    key = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p, dklen=32)
    b64 = lambda b: base64.b64encode(b).decode("ascii")  # noqa: E731
    return f"scrypt${n}${r}${p}${b64(salt)}${b64(key)}"


def check_password(password: str, stored: str) -> bool:
    """Constant-time comparison; a malformed stored hash never matches."""
    try:
        scheme, n, r, p, salt, key = stored.split("$")
        if scheme != "scrypt":
            return False
        want = base64.b64decode(key)
        got = hashlib.scrypt(password.encode("utf-8"), salt=base64.b64decode(salt), n=int(n), r=int(r),
                             p=int(p), dklen=len(want))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, want)


# A hash to check unknown user names against, so a wrong name takes as long as a wrong password.
_DUMMY_HASH = hash_password(secrets.token_hex(16))


# ------------------------------------------------------------------ the accounts file

def users_file() -> Path:
    env = os.environ.get("PMHC_USERS_FILE")
    return Path(env) if env else default_db_path().parent / "users.toml"


@dataclass(frozen=True)
class User:
    name: str
    role: str
    password_hash: str
    created: str = ""


@dataclass
class Accounts:
    users: dict[str, User]
    roles: dict[str, str]  # OIDC e-mail (lower case) → role


def load_accounts(path: Path | None = None) -> Accounts:
    path = Path(path or users_file())
    if not path.exists():
        return Accounts({}, {})
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as e:
        raise AuthError(f"{path}: not valid TOML ({e}); fix the file or recreate it with `pmhc user add`") from e
    users = {}
    for name, u in (data.get("users") or {}).items():
        if not isinstance(u, dict) or u.get("role") not in access.ROLES or "password" not in u:
            raise AuthError(f"{path}: account {name!r} needs role = one of {', '.join(access.ROLES)} and a "
                            "password hash; recreate it with `pmhc user add`")
        users[name] = User(name, u["role"], u["password"], str(u.get("created", "")))
    roles = {}
    for email, role in (data.get("roles") or {}).items():
        if role not in access.ROLES:
            raise AuthError(f"{path}: [roles] gives {email!r} the role {role!r}; "
                            f"use one of {', '.join(access.ROLES)}")
        roles[email.strip().lower()] = role
    return Accounts(users, roles)


ACCOUNTS_HEADER = """\
# pmhc local accounts: written by `pmhc user add|remove|passwd`. Passwords are stored only
# as salted scrypt hashes. Keep this file out of version control (mode 0600).
# [roles]: roles for people who log in through the identity provider (OIDC), by e-mail;
# anyone not listed sees the public view.

"""


def save_accounts(accounts: Accounts, path: Path | None = None) -> Path:
    """Write atomically with mode 0600 (created that way, never readable by others in between)."""
    from .config import toml_dumps  # the one TOML writer

    path = Path(path or users_file())
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {"users": {u.name: {"role": u.role, "password": u.password_hash, "created": u.created}
                      for u in sorted(accounts.users.values(), key=lambda u: u.name)},
            "roles": dict(sorted(accounts.roles.items()))}
    lines = [ACCOUNTS_HEADER + toml_dumps(data).rstrip("\n")]
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write("\n".join(lines) + "\n")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    path.chmod(0o600)
    return path


def _check_new(name: str, role: str, password: str) -> None:
    if not USERNAME_RE.match(name):
        raise AuthError(f"user name {name!r}: use 1–64 letters, digits, '.', '_', '-' or '@', starting with a "
                        "letter or digit")
    if role not in access.ROLES:
        raise AuthError(f"role {role!r}: use one of {', '.join(access.ROLES)}")
    check_password_strength(password, name)


def check_password_strength(password: str, name: str = "") -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AuthError(f"the password needs at least {MIN_PASSWORD_LENGTH} characters (a few words work well)")
    if name and password.lower() == name.lower():
        raise AuthError("the password must not be the user name")


def add_user(name: str, role: str, password: str, path: Path | None = None) -> User:
    _check_new(name, role, password)
    accounts = load_accounts(path)
    if name in accounts.users:
        raise AuthError(f"user {name!r} already exists: `pmhc user passwd {name}` changes the password, "
                        f"`pmhc user remove {name}` removes the account")
    user = User(name, role, hash_password(password), time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
    accounts.users[name] = user
    save_accounts(accounts, path)
    return user


def remove_user(name: str, path: Path | None = None) -> None:
    accounts = load_accounts(path)
    if name not in accounts.users:
        raise AuthError(f"no user {name!r} in {Path(path or users_file())}")
    del accounts.users[name]
    save_accounts(accounts, path)


def set_password(name: str, password: str, path: Path | None = None) -> None:
    accounts = load_accounts(path)
    if name not in accounts.users:
        raise AuthError(f"no user {name!r} in {Path(path or users_file())}")
    check_password_strength(password, name)
    old = accounts.users[name]
    accounts.users[name] = User(name, old.role, hash_password(password), old.created)
    save_accounts(accounts, path)


def list_users(path: Path | None = None) -> list[User]:
    return sorted(load_accounts(path).users.values(), key=lambda u: u.name)


def verify(name: str, password: str, path: Path | None = None) -> str | None:
    """The user's role when the password is right, else None (same work either way)."""
    user = load_accounts(path).users.get(name)
    ok = check_password(password, user.password_hash if user else _DUMMY_HASH)
    return user.role if (user and ok) else None


class Throttle:
    """Refuses an account for a while after repeated wrong passwords (per server process)."""

    def __init__(self, max_failures: int = MAX_FAILURES, seconds: float = LOCKOUT_SECONDS):
        self.max_failures, self.seconds = max_failures, seconds
        self._failures: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    def locked_for(self, name: str, now: float) -> float:
        """Seconds until `name` may try again (0 = now)."""
        with self._lock:
            recent = [t for t in self._failures.get(name, []) if now - t < self.seconds]
            self._failures[name] = recent
            if len(recent) < self.max_failures:
                return 0.0
            return self.seconds - (now - recent[-self.max_failures])

    def failed(self, name: str, now: float) -> None:
        with self._lock:
            self._failures.setdefault(name, []).append(now)

    def succeeded(self, name: str) -> None:
        with self._lock:
            self._failures.pop(name, None)


THROTTLE = Throttle()


# ------------------------------------------------------------------ OIDC roles

def role_for_email(email: str | None, *tables: dict) -> str:
    """The role given to an e-mail address by the first table listing it; unknown → public."""
    key = (email or "").strip().lower()
    for table in tables:
        for listed, role in (table or {}).items():
            if listed.strip().lower() == key and role in access.ROLES:
                return role
    return "public"


# ------------------------------------------------------------------ demo mode

def demo_requested() -> bool:
    return os.environ.get("PMHC_DEMO", "") not in ("", "0", "false", "no")


SYNTHETIC_GLOBS = ("sample_data/*.csv*", "sample_data/bad/*.csv*", "tests/fixtures/small/*.csv",
                   "tests/fixtures/real_layouts/*/*.csv")  # hand-written exports in public layouts


@lru_cache(maxsize=64)
def _sha256_cached(path: str, mtime_ns: int, size: int) -> str:
    from .importer import sha256_of  # the same digest the imports ledger records

    return sha256_of(Path(path))


def synthetic_hashes(root: Path = ROOT) -> dict[str, str]:
    """SHA-256 → file of the synthetic data shipped with the repository (sample data, the
    deliberately bad sample rows and the hand-written test fixture)."""
    out = {}
    for pattern in SYNTHETIC_GLOBS:
        for p in sorted(root.glob(pattern)):
            if p.is_file():
                s = p.stat()
                out[_sha256_cached(str(p), s.st_mtime_ns, s.st_size)] = str(p.relative_to(root))
    return out


def demo_refusal(ledger: list[dict], allowed: dict[str, str] | set[str]) -> str | None:
    """Why demo mode is refused for a database whose imports ledger is `ledger` (rows with
    file_name and sha256), or None when every imported file is shipped synthetic data."""
    foreign = sorted({r["file_name"] for r in ledger if r["sha256"] not in allowed})
    if not foreign:
        return None
    shown = ", ".join(f"`{f}`" for f in foreign[:5]) + (f" and {len(foreign) - 5} more" if len(foreign) > 5 else "")
    return ("**Demo mode is refused:** the database holds imports that are not the synthetic sample data "
            f"({shown}). Demo mode opens every view without a login, so it runs only on the sample "
            "data. Unset `PMHC_DEMO` and log in (create the first account with "
            "`pmhc user add NAME --role admin`, or configure your identity provider in "
            "`.streamlit/secrets.toml`), or point `PMHC_DB` at a database built from `sample_data/`.")


# An 'interrupted' ledger row (pmhc.snapshots) is an import that loaded nothing.
LEDGER_SQL = "SELECT file_name, sha256 FROM imports WHERE status IS DISTINCT FROM 'interrupted' ORDER BY import_id"


def demo_refusal_for(con) -> str | None:
    """demo_refusal for an open database (None for no database: nothing to show yet)."""
    if con is None:
        return None
    from .db import rows

    return demo_refusal(rows(con, LEDGER_SQL), synthetic_hashes())


# ------------------------------------------------------------------ idle expiry

def idle_minutes() -> float:
    raw = os.environ.get("PMHC_IDLE_MINUTES")
    try:
        return float(raw) if raw else DEFAULT_IDLE_MINUTES
    except ValueError:
        return DEFAULT_IDLE_MINUTES


def is_idle(last_seen: float | None, now: float, minutes: float | None = None) -> bool:
    """True when more than `minutes` passed since the user's last run."""
    if last_seen is None:
        return False
    return now - last_seen > 60 * (idle_minutes() if minutes is None else minutes)


# Last activity per OIDC identity across sessions: a new tab within the idle window goes
# straight in, a new tab after it must log in again (the provider's cookie lasts for days).
_OIDC_SEEN: dict[str, float] = {}
_OIDC_LOCK = threading.Lock()


def oidc_fresh(email: str, issued_at: float | None, now: float) -> bool:
    """A returning OIDC identity is still within its idle window, or logged in just now."""
    with _OIDC_LOCK:
        last = _OIDC_SEEN.get(email)
    if last is not None and not is_idle(last, now):
        return True
    if issued_at is None:  # the provider sent no issue time: only the session's own idle rule applies
        return last is None
    return not is_idle(issued_at, now)


def oidc_seen(email: str, now: float) -> None:
    with _OIDC_LOCK:
        _OIDC_SEEN[email] = now


def oidc_forget(email: str) -> None:
    with _OIDC_LOCK:
        _OIDC_SEEN.pop(email, None)


clock = time.time  # replaced in tests to move time forward


# ------------------------------------------------------------------ the Streamlit gate

@dataclass(frozen=True)
class Session:
    user: str
    role: str
    method: str  # oidc | local | demo


def oidc_providers() -> list[str | None]:
    """Providers configured in secrets `[auth]`: None for the single default provider, else
    the names of `[auth.NAME]` sections. Empty when OIDC is not configured."""
    import streamlit as st

    try:
        if not st.secrets.load_if_toml_exists() or "auth" not in st.secrets:
            return []
        section = st.secrets["auth"]
    except Exception:  # an unreadable secrets file is reported by Streamlit itself
        return []
    named = [k for k, v in section.items() if hasattr(v, "keys") and "client_id" in v]
    if "client_id" in section:
        return [None, *named]
    return named


def authlib_installed() -> bool:
    """st.login needs Authlib (the `oidc` extra)."""
    return importlib.util.find_spec("authlib") is not None


def _secret_roles() -> dict:
    import streamlit as st

    try:
        return dict(st.secrets.get("pmhc", {}).get("roles", {}))
    except Exception:
        return {}


def current_user() -> str:
    """Who to name in the audit log for an action in the app."""
    import streamlit as st

    s = st.session_state.get(SESSION_KEY)
    if s:
        return s["user"]
    return "demo" if demo_requested() else "unknown"


def _end(state, s: dict, action: str, message: str | None) -> None:
    audit.record_quietly(action, s["user"], s.get("method", ""), role=s["role"])
    for k in (SESSION_KEY, SEEN_KEY, "role"):
        state.pop(k, None)
    if message:
        state[NOTICE_KEY] = message


def logout(message: str | None = "You are logged out.") -> None:
    import streamlit as st

    s = st.session_state.get(SESSION_KEY)
    if not s:
        return
    _end(st.session_state, s, "logout", message)
    if s["method"] == "oidc":
        oidc_forget(s["user"])
        st.logout()


def _try_local_login(name: str, password: str, now: float) -> str | None:
    """Returns an error message, or None after a successful login (session set)."""
    import streamlit as st

    name = name.strip()
    wait = THROTTLE.locked_for(name, now)
    known = name in load_accounts().users
    who = name if known else "(unknown user name)"
    if wait:
        audit.record_quietly("login_failed", who, "local account", "locked")
        return f"Too many wrong passwords for this account: try again in {max(1, round(wait / 60))} minute(s)."
    role = verify(name, password) if name and password else None
    if role is None:
        THROTTLE.failed(name, now)
        audit.record_quietly("login_failed", who, "local account", "failed")
        return "Wrong user name or password."
    THROTTLE.succeeded(name)
    st.session_state[SESSION_KEY] = {"user": name, "role": role, "method": "local"}
    st.session_state[SEEN_KEY] = now
    audit.record_quietly("login", name, "local account", role=role)
    return None


def _login_page(providers: list[str | None], has_accounts: bool, cfg_title: str) -> None:
    import streamlit as st

    with st.columns([1, 2, 1])[1]:  # a narrow form in the middle of the wide layout
        _login_form(providers, has_accounts, cfg_title)


def _login_form(providers: list[str | None], has_accounts: bool, cfg_title: str) -> None:
    import streamlit as st

    st.title(cfg_title)
    notice = st.session_state.pop(NOTICE_KEY, None)
    if notice:
        st.info(notice, icon=":material/logout:")
    if providers and not authlib_installed():
        st.error("Login through the identity provider is configured (`[auth]` in `.streamlit/secrets.toml`) "
                 "but Authlib is not installed: run `pip install -e '.[oidc]'` (or `pip install "
                 "\"Authlib>=1.3.2\"`) on the server and restart the dashboard.", icon=":material/error:")
        providers = []
    if providers:
        st.subheader("Log in")
        for p in providers:
            label = "Log in with your agency account" if p is None else f"Log in with {p.replace('_', ' ').title()}"
            if st.button(label, key=f"login_oidc_{p or 'default'}", type="primary", icon=":material/login:"):
                st.login(p)
    if has_accounts:
        if providers:
            st.caption("Or with a local account:")
        else:
            st.subheader("Log in")
        with st.form("login", clear_on_submit=True, enter_to_submit=True):
            name = st.text_input("User name", key="login_user", autocomplete="username")
            password = st.text_input("Password", type="password", key="login_password",
                                     autocomplete="current-password")
            submitted = st.form_submit_button("Log in", type="primary")
        if submitted:
            error = _try_local_login(name, password, clock())
            if error is None:
                st.rerun()
            st.error(error, icon=":material/lock:")
    if not providers and not has_accounts:
        st.info(
            "**No one can log in yet.** Create the first administrator account on the server:\n\n"
            f"```sh\npmhc user add NAME --role admin\n```\n\n"
            f"Accounts are kept in `{users_file()}` (hashed passwords only). To log in through your "
            "agency's identity provider instead, add an `[auth]` section to `.streamlit/secrets.toml` "
            "(see the README, “Privacy, roles and login”).",
            icon=":material/person_add:")
    st.caption(f"Sessions end after {idle_minutes():g} minutes without activity. Logins are recorded "
               "in the audit log.")


def gate(title: str = "Log in") -> Session:
    """The session's user, or a login page and a stop. Called by app.py before navigation."""
    import streamlit as st

    state = st.session_state
    if demo_requested():
        from . import ui

        refusal = ui.demo_refusal()
        if refusal:
            if not state.get("_pmhc_demo_refused"):
                audit.record_quietly("demo_refused", "demo", "PMHC_DEMO=1 on data that is not the sample",
                                     "refused")
                state["_pmhc_demo_refused"] = True
            _only_page(lambda: st.error(refusal, icon=":material/lock:"), "Demo mode refused", "demo-refused")
        return Session("demo", state.get("role", "admin"), "demo")
    now = clock()
    s = state.get(SESSION_KEY)
    providers = oidc_providers()
    if s is None and providers and st.user.is_logged_in:
        email = str(st.user.get("email") or st.user.get("preferred_username") or st.user.get("sub") or "")
        iat = st.user.get("iat")
        if not oidc_fresh(email, float(iat) if iat else None, now):
            audit.record_quietly("session_expired", email, "identity provider", role=None)
            oidc_forget(email)
            state[NOTICE_KEY] = f"Your session ended after {idle_minutes():g} minutes without activity."
            st.logout()
            st.stop()
        verified = st.user.get("email_verified", True) is not False
        role = role_for_email(email, _secret_roles(), load_accounts().roles) if verified else "public"
        s = state[SESSION_KEY] = {"user": email, "role": role, "method": "oidc"}
        audit.record_quietly("login", email, "identity provider", role=role)
    if s is not None:
        if is_idle(state.get(SEEN_KEY), now):
            if s["method"] == "oidc":
                oidc_forget(s["user"])
            _end(state, s, "session_expired",
                 f"Your session ended after {idle_minutes():g} minutes without activity: log in again.")
            if s["method"] == "oidc":
                st.logout()
                st.stop()
        else:
            state[SEEN_KEY] = now
            if s["method"] == "oidc":
                oidc_seen(s["user"], now)
            state["role"] = s["role"]  # what pages and cached figures key on
            return Session(s["user"], s["role"], s["method"])
    try:
        accounts = load_accounts()
    except AuthError as e:
        message = str(e)
        _only_page(lambda: st.error(message, icon=":material/error:"), "Log in", "login")
    _only_page(lambda: _login_page(providers, bool(accounts.users), title), "Log in", "login")


def _only_page(draw, title: str, url_path: str):
    """Show one page and stop. Through st.navigation, so that Streamlit leaves its automatic
    pages-folder navigation and no page of the dashboard can be opened from here."""
    import streamlit as st

    def page() -> None:
        draw()

    st.navigation([st.Page(page, title=title, icon=":material/login:", url_path=url_path, default=True)],
                  position="hidden").run()
    st.stop()


def account_box(session: Session) -> None:
    """Sidebar: who is logged in, as what, and a logout button."""
    import streamlit as st

    if session.method == "demo":
        return
    sb = st.sidebar
    sb.caption(f"Logged in as **{session.user}** · {access.ROLE_LABELS[session.role]}")
    if sb.button("Log out", key="auth_logout", icon=":material/logout:"):
        logout()
        st.rerun()
