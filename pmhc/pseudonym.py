"""Person identifiers are replaced at import by a keyed hash, so the database never holds them.

The key (the *person-key secret*) lives outside the repository: PMHC_PERSON_KEY_SECRET, or
a file created on first use at PMHC_SECRET_FILE (default: the workspace's
secrets/person_key_secret, or ~/.config/pmhc/person_key_secret for the checkout's sample
workspace; mode 0600). The same key gives the same pseudonym, so repeat contacts still link across
imports; without the key a pseudonym cannot be traced back by hashing guessed identifiers.

Two ways that promise used to break, now refused:

- **A different key** (another user, another HOME, a lost file) silently made new
  pseudonyms, so the same person counted as two and repeat contacts fell apart. The
  database keeps a fingerprint of the key it was built with (`settings.person_key_fingerprint`:
  an HMAC of a fixed label under the key, which says nothing about the key itself) and an
  import with any other key stops before writing a row.
- **An empty or short key** lets anyone recompute every pseudonym from guessed identifiers
  (P00000–P99999 takes a second). Keys under MIN_SECRET_CHARS characters are refused.

Back the secret up with the database backups, but not in the same place (whoever has both
can link pseudonyms to identifiers): `pmhc` names the file when it creates it.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import sys
from pathlib import Path

from . import schema

PREFIX = "p_"
HEX_CHARS = 20
MIN_SECRET_CHARS = 16
FINGERPRINT_LABEL = b"pmhc person-key fingerprint v1"


class SecretError(RuntimeError):
    """The person-key secret is missing, too short, or not the one the database was built with."""


def secret_file() -> Path:
    from .config import Workspace

    return Workspace.current().secret_file  # PMHC_SECRET_FILE, else the workspace's


def secret_source() -> str:
    """Where the secret in use comes from, in words for messages."""
    if os.environ.get("PMHC_PERSON_KEY_SECRET") is not None:
        return "the PMHC_PERSON_KEY_SECRET environment variable"
    return f"the file {secret_file()}"


def _check(secret: str, where: str) -> str:
    if len(secret) < MIN_SECRET_CHARS:
        raise SecretError(
            f"The person-key secret from {where} is {'empty' if not secret else f'{len(secret)} characters'}: "
            f"it needs at least {MIN_SECRET_CHARS} (a short key lets anyone recompute every pseudonym from "
            "guessed identifiers). Restore the backed-up secret, or for a new database remove the file and "
            "let pmhc create a random one.")
    return secret


def person_secret() -> str:
    env = os.environ.get("PMHC_PERSON_KEY_SECRET")
    if env is not None:
        return _check(env.strip(), secret_source())
    path = secret_file()
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # never readable by others
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32))
        print(f"pmhc: created the person-key secret at {path} (mode 0600). Back it up with your database "
              "backups but not beside them: without it, later imports cannot link people to earlier ones.",
              file=sys.stderr)
    return _check(path.read_text().strip(), secret_source())


def fingerprint(secret: str | None = None) -> str:
    """Identifies the key without revealing it (HMAC of a fixed label under the key)."""
    secret = person_secret() if secret is None else secret
    return hmac.new(secret.encode(), FINGERPRINT_LABEL, hashlib.sha256).hexdigest()[:32]


SETTING = "person_key_fingerprint"


def check_key(con, secret: str | None = None) -> None:
    """Refuse to pseudonymise with a key other than the one the database was built with;
    record the key's fingerprint (in `settings`) on the first import."""
    mine = fingerprint(secret)
    stored = con.execute("SELECT value FROM settings WHERE key = $k", {"k": SETTING}).fetchall()
    if not stored:
        con.execute("INSERT INTO settings VALUES ($k, $v)", {"k": SETTING, "v": mine})
        return
    if stored[0][0] != mine:
        raise SecretError(
            f"This database was built with a different person-key secret than the one in {secret_source()}: "
            "importing with it would count the same people again under new pseudonyms. Use the secret the "
            "database was built with (restore it from your backup to that place, or point "
            "PMHC_SECRET_FILE at it); nothing was imported.")


def pseudonym(raw: str, secret: str | None = None) -> str:
    """Python twin of person_key_sql, for tests and for looking up one person by an admin."""
    secret = person_secret() if secret is None else secret
    digest = hmac.new(secret.encode(), raw.strip().encode(), hashlib.sha256).hexdigest()
    return PREFIX + digest[:HEX_CHARS]


def person_key_sql(expr: str) -> str:
    """HMAC-SHA256 of the trimmed identifier with the secret (RFC 2104, in SQL)."""
    # HMAC(K, m) = H((K ^ opad) || H((K ^ ipad) || m)); the padded keys are bound parameters.
    inner = f"sha256(unhex($hmac_ipad) || encode(trim({expr})))"
    outer = f"sha256(unhex($hmac_opad) || unhex({inner}))"
    return f"CASE WHEN {expr} IS NULL THEN NULL ELSE '{PREFIX}' || left({outer}, {HEX_CHARS}) END AS person_key"


def _pads(secret: str) -> tuple[str, str]:
    key = secret.encode()
    if len(key) > 64:
        key = hashlib.sha256(key).digest()
    key = key.ljust(64, b"\0")
    return bytes(b ^ 0x36 for b in key).hex(), bytes(b ^ 0x5C for b in key).hex()


def person_params(table: schema.Table, con=None) -> dict:
    """The HMAC parameters for a table with person keys; with `con`, first checks that the
    key is the database's own (check_key)."""
    if "person_key" not in table.column_names:
        return {}
    secret = person_secret()
    if con is not None:
        check_key(con, secret)
    ipad, opad = _pads(secret)
    return {"hmac_ipad": ipad, "hmac_opad": opad}
