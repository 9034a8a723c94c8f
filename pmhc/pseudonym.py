"""Person identifiers are replaced at import by a keyed hash, so the database never holds them.

The key lives outside the repository (PMHC_PERSON_KEY_SECRET, or a file created on first
use at PMHC_SECRET_FILE / ~/.config/pmhc/person_key_secret). The same key gives the same
pseudonym, so repeat contacts still link across imports; without the key a pseudonym
cannot be traced back by hashing guessed identifiers.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

from . import schema

PREFIX = "p_"
HEX_CHARS = 20


def secret_file() -> Path:
    return Path(os.environ.get("PMHC_SECRET_FILE", Path.home() / ".config" / "pmhc" / "person_key_secret"))


def person_secret() -> str:
    env = os.environ.get("PMHC_PERSON_KEY_SECRET")
    if env:
        return env
    path = secret_file()
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


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


def person_params(table: schema.Table) -> dict:
    if "person_key" not in table.column_names:
        return {}
    ipad, opad = _pads(person_secret())
    return {"hmac_ipad": ipad, "hmac_opad": opad}
