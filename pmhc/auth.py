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

This module holds the plain parts (hashing, the accounts file, role mapping, the demo
check, the idle rule, the login throttle) and imports no Streamlit; the login gate that
draws pages is `pmhc.login`, so the audit log, this module and the page scaffold import
each other in one direction only (audit ← auth ← ui ← login).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import importlib.util
import math
import os
import re
import secrets
import threading
import time
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from . import access
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
    # In a hub: the agencies the account may see (None: every agency) and, for a regional
    # analyst, whether it is granted their person-level lists (pmhc.access.Scope).
    scope: access.Scope = access.EVERY_AGENCY


@dataclass
class Accounts:
    users: dict[str, User]
    roles: dict[str, str]  # OIDC e-mail (lower case) → role
    scopes: dict[str, access.Scope] = field(default_factory=dict)  # OIDC e-mail → its agencies, if limited

    def role_table(self) -> dict:
        """[roles] as grant_for_email reads it: e-mail → role, or role with its agencies."""
        return {e: ({"role": r, **self.scopes[e].as_data()} if e in self.scopes else r) for e, r in self.roles.items()}


def _scope(path: Path, who: str, raw: dict) -> access.Scope:
    """`agencies = ["lakeside"]` (or "*") and `person_lists = true` of an account or role entry."""
    agencies = raw.get("agencies")
    if agencies is not None and not (agencies == "*" or (isinstance(agencies, list)
                                                         and all(isinstance(a, str) for a in agencies))):
        raise AuthError(f"{path}: {who}: agencies must be a list of agency keys or \"*\" (every agency)")
    person_lists = raw.get("person_lists", False)
    if not isinstance(person_lists, bool):
        raise AuthError(f"{path}: {who}: person_lists must be true or false")
    if person_lists and raw.get("role") != "regional":
        raise AuthError(f"{path}: {who}: person_lists is a grant for a regional analyst (analysts and "
                        "administrators see their agencies' person-level lists already)")
    return access.Scope.of(agencies, person_lists)


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
        users[name] = User(name, u["role"], u["password"], str(u.get("created", "")),
                           _scope(path, f"account {name!r}", u))
    roles, scopes = {}, {}
    for email, entry in (data.get("roles") or {}).items():
        # "e-mail" = "analyst", or in a hub "e-mail" = { role = "analyst", agencies = ["lakeside"] }
        role = entry.get("role") if isinstance(entry, dict) else entry
        if role not in access.ROLES:
            raise AuthError(f"{path}: [roles] gives {email!r} the role {role!r}; "
                            f"use one of {', '.join(access.ROLES)}")
        roles[email.strip().lower()] = role
        if isinstance(entry, dict):
            scopes[email.strip().lower()] = _scope(path, f"[roles] {email!r}", entry)
    return Accounts(users, roles, scopes)


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
    def user(u: User) -> dict:
        out = {"role": u.role, "password": u.password_hash, "created": u.created}
        if not u.scope.every_agency:
            out["agencies"] = sorted(u.scope.agencies)
        if u.scope.person_lists:
            out["person_lists"] = True
        return out

    def role(email: str, r: str):
        sc = accounts.scopes.get(email)
        if sc is None:
            return r
        return {"role": r, **({} if sc.every_agency else {"agencies": sorted(sc.agencies)}),
                **({"person_lists": True} if sc.person_lists else {})}

    data = {"users": {u.name: user(u) for u in sorted(accounts.users.values(), key=lambda u: u.name)},
            "roles": {e: role(e, r) for e, r in sorted(accounts.roles.items())}}
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


def add_user(name: str, role: str, password: str, path: Path | None = None,
             scope: access.Scope = access.EVERY_AGENCY) -> User:
    _check_new(name, role, password)
    if scope.person_lists and role != "regional":
        raise AuthError("--person-lists is a grant for a regional analyst (analysts and administrators see their "
                        "agencies' person-level lists already)")
    accounts = load_accounts(path)
    if name in accounts.users:
        raise AuthError(f"user {name!r} already exists: `pmhc user passwd {name}` changes the password, "
                        f"`pmhc user remove {name}` removes the account")
    user = User(name, role, hash_password(password), time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), scope)
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
    accounts.users[name] = User(name, old.role, hash_password(password), old.created, old.scope)
    save_accounts(accounts, path)


def list_users(path: Path | None = None) -> list[User]:
    return sorted(load_accounts(path).users.values(), key=lambda u: u.name)


def verify(name: str, password: str, path: Path | None = None) -> str | None:
    """The user's role when the password is right, else None (same work either way)."""
    user = load_accounts(path).users.get(name)
    ok = check_password(password, user.password_hash if user else _DUMMY_HASH)
    return user.role if (user and ok) else None


class Throttle:
    """Refuses an account for a while after repeated wrong passwords — per account *and*
    source (the browser's address), so that someone guessing from one address locks only
    themselves out: the administrator logging in from another address is never locked out
    by it. A source that fails on many accounts is refused as a whole (`max_source_failures`).
    Kept per server process."""

    def __init__(self, max_failures: int = MAX_FAILURES, seconds: float = LOCKOUT_SECONDS,
                 max_source_failures: int = 4 * MAX_FAILURES):
        self.max_failures, self.seconds = max_failures, seconds
        self.max_source_failures = max_source_failures
        self._failures: dict[tuple[str, str], list[float]] = {}
        self._lock = threading.Lock()

    def _wait(self, key, now: float, limit: int) -> float:
        recent = [t for t in self._failures.get(key, []) if now - t < self.seconds]
        self._failures[key] = recent
        if len(recent) < limit:
            return 0.0
        return self.seconds - (now - recent[-limit])

    def locked_for(self, name: str, now: float, source: str = "") -> float:
        """Seconds until `name` may try again from `source` (0 = now)."""
        with self._lock:
            return max(self._wait((source, name), now, self.max_failures),
                       self._wait((source, None), now, self.max_source_failures))

    def failed(self, name: str, now: float, source: str = "") -> None:
        with self._lock:
            self._failures.setdefault((source, name), []).append(now)
            self._failures.setdefault((source, None), []).append(now)

    def succeeded(self, name: str, source: str = "") -> None:
        with self._lock:
            self._failures.pop((source, name), None)


THROTTLE = Throttle()


# ------------------------------------------------------------------ OIDC roles

def role_for_email(email: str | None, *tables: dict) -> str:
    """The role given to an e-mail address by the first table listing it; unknown → public."""
    return grant_for_email(email, *tables)[0]


def grant_for_email(email: str | None, *tables: dict) -> tuple[str, access.Scope]:
    """The role and scope an e-mail address gets from the first table listing it (a role,
    or { role = …, agencies = […], person_lists = … }); unknown → the public view."""
    key = (email or "").strip().lower()
    for table in tables:
        for listed, entry in (table or {}).items():
            role = entry.get("role") if hasattr(entry, "get") else entry
            if listed.strip().lower() == key and role in access.ROLES:
                if hasattr(entry, "get"):
                    try:
                        return role, _scope(Path("roles"), f"[roles] {listed!r}", dict(entry))
                    except AuthError:
                        return "public", access.EVERY_AGENCY  # a broken grant grants nothing
                return role, access.EVERY_AGENCY
    return "public", access.EVERY_AGENCY


# ------------------------------------------------------------------ demo mode

def demo_requested() -> bool:
    return os.environ.get("PMHC_DEMO", "") not in ("", "0", "false", "no")


SYNTHETIC_GLOBS = ("sample_data/*.csv*", "sample_data/bad/*.csv*", "tests/fixtures/small/*.csv",
                   "tests/fixtures/real_layouts/*/*.csv",  # hand-written exports in public layouts
                   "tests/fixtures/cad_only/*.csv")  # the hand-written CAD-only export (nothing measured but calls)
# The committed synthetic files by SHA-256 (`sha256sum` format). Demo mode trusts this list,
# not the folder: a file copied into sample_data/ is not on it. `make sample` rewrites it.
SYNTHETIC_MANIFEST = "sample_data/SHA256SUMS"


@lru_cache(maxsize=64)
def _sha256_cached(path: str, mtime_ns: int, size: int) -> str:
    from .importer import sha256_of  # the same digest the imports ledger records

    return sha256_of(Path(path))


def _sha256(p: Path) -> str:
    s = p.stat()
    return _sha256_cached(str(p), s.st_mtime_ns, s.st_size)


def synthetic_files(root: Path = ROOT) -> dict[str, str]:
    """SHA-256 → file of the synthetic data in the working tree (what the manifest should list)."""
    out = {}
    for pattern in SYNTHETIC_GLOBS:
        for p in sorted(root.glob(pattern)):
            if p.is_file():
                out[_sha256(p)] = p.relative_to(root).as_posix()
    return out


def write_synthetic_manifest(root: Path = ROOT) -> Path:
    """Record the synthetic files shipped with the repository (run by `make sample`)."""
    path = root / SYNTHETIC_MANIFEST
    lines = [f"{h}  {name}" for h, name in sorted(synthetic_files(root).items(), key=lambda kv: kv[1])]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def synthetic_hashes(root: Path = ROOT) -> dict[str, str]:
    """SHA-256 → file of the synthetic data committed with the repository (sample data, the
    deliberately bad sample rows and the hand-written test fixture), from the manifest."""
    path = root / SYNTHETIC_MANIFEST
    if not path.exists():
        return {}
    out = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split(None, 1)
        if len(parts) == 2 and re.fullmatch(r"[0-9a-f]{64}", parts[0]):
            out[parts[0]] = parts[1].strip()
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

MAX_IDLE_MINUTES = 24 * 60


def idle_minutes() -> float:
    """PMHC_IDLE_MINUTES (default 30). Anything but a finite number of minutes from 1 to a day
    is refused: "nan" or "inf" would otherwise switch the idle rule off without a word."""
    raw = os.environ.get("PMHC_IDLE_MINUTES", "").strip()
    if not raw:
        return DEFAULT_IDLE_MINUTES
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or not 1 <= value <= MAX_IDLE_MINUTES:
        raise AuthError(f"PMHC_IDLE_MINUTES={raw!r}: give the idle limit as a number of minutes from 1 to "
                        f"{MAX_IDLE_MINUTES} (e.g. 30), or unset it for the default of {DEFAULT_IDLE_MINUTES}")
    return value


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


def authlib_installed() -> bool:
    """st.login needs Authlib (the `oidc` extra)."""
    return importlib.util.find_spec("authlib") is not None


def email_verified(claims) -> bool:
    """The identity provider vouches for the address only when it says so: the claim must
    be the JSON value true. Missing, "false", "true" as a string or 1 do not count (a
    provider that lets users type any address would otherwise hand out roles by e-mail)."""
    try:
        return claims.get("email_verified") is True
    except AttributeError:
        return False
