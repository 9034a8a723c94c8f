"""Who logged in, imported, exported or changed assumptions, and when: an append-only log.

Kept as JSON lines in a file beside the database (`<db>.audit.jsonl`, or PMHC_AUDIT_LOG),
not in the database, so that the dashboard's read-only connection can still write it and
a re-built database does not erase it. Each line carries the MAC of the line before it
(`prev`) and of itself (`hash`): HMAC-SHA256 under a key kept apart from the log
(`<log>.key`, mode 0600, created on first use; or PMHC_AUDIT_KEY_FILE). Editing, inserting
or removing a line breaks the chain, and re-chaining the rest needs the key. The *head* —
how many lines there are and the last MAC, itself under the key — is written to
`<log>.head` with every line, so cutting lines off the end is caught too (a plain hash
chain cannot see that). `verify()` says where.

That makes tampering evident, not impossible: whoever can read the key and write both
files can rewrite everything. On a shared server keep the key readable by the service
account only, make the log append-only (`chattr +a`), or ship it to the agency's log
collector.

Writers take an exclusive lock (fcntl.flock) so that the dashboard and a `pmhc import` in
a terminal never interleave or fork the chain. Entries never hold a password, a secret or
a person key: `record` refuses detail fields with such names.
"""

from __future__ import annotations

import fcntl
import getpass
import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from .config import default_db_path

GENESIS = "0" * 64
FIELDS = ("ts", "who", "role", "action", "what", "result", "detail", "prev", "hash")
# Detail names that must never reach the log (they would copy a credential or an identifier).
FORBIDDEN = ("password", "secret", "token", "person_key", "person_id", "cookie")
ACTIONS = {
    "login": "Logged in",
    "login_failed": "Failed login",
    "logout": "Logged out",
    "session_expired": "Session expired (idle)",
    "import": "Data import",
    "export": "Export / download",
    "view": "Viewed person-level records",
    "assumptions_saved": "Assumptions saved",
    "period_published": "Grant period published",
    "period_withdrawn": "Grant period withdrawn",
    "user_added": "Account added",
    "user_removed": "Account removed",
    "password_changed": "Password changed",
    "demo_refused": "Demo mode refused",
    "workspace_created": "Workspace created",
    "settings_saved": "Settings saved",
    "backup": "Backup written",
    "restore": "Restored from a backup",
}


def log_path(db_path: Path | str | None = None) -> Path:
    """PMHC_AUDIT_LOG, else `<database>.audit.jsonl` beside the database (`db_path` or the default)."""
    env = os.environ.get("PMHC_AUDIT_LOG")
    return Path(env) if env else Path(f"{db_path or default_db_path()}.audit.jsonl")


def os_user() -> str:
    """Who runs a command in a terminal (the CLI has no login of its own)."""
    try:
        return f"os:{getpass.getuser()}"
    except Exception:  # no user name in a bare container
        return f"os:uid {os.getuid()}"


def key_path(path: Path | None = None) -> Path:
    env = os.environ.get("PMHC_AUDIT_KEY_FILE")
    return Path(env) if env else Path(f"{path or log_path()}.key")


def head_path(path: Path | None = None) -> Path:
    return Path(f"{path or log_path()}.head")


def _key(path: Path | None = None, create: bool = False) -> bytes | None:
    """The log's MAC key (32 random bytes, hex in an owner-only file); None when missing."""
    kp = key_path(path)
    try:
        text = kp.read_text().strip()
    except FileNotFoundError:
        if not create:
            return None
        kp.parent.mkdir(parents=True, exist_ok=True)
        tmp = kp.with_name(f".{kp.name}.{secrets.token_hex(4)}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32))
        try:
            os.link(tmp, kp)  # appears whole or not at all; a writer that lost the race uses the winner's
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
        text = kp.read_text().strip()
    return bytes.fromhex(text) if text else None


def _mac(key: bytes, text: str) -> str:
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).hexdigest()


def _digest(prev: str, entry: dict, key: bytes | None = None) -> str:
    """The line's MAC: HMAC-SHA256 of its fields (and `prev`) under the log's key."""
    key = key if key is not None else (_key() or b"")
    body = {k: entry[k] for k in FIELDS if k not in ("hash",)}
    body["prev"] = prev
    text = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return _mac(key, text)


def _head_text(key: bytes, count: int, last: str) -> str:
    return json.dumps({"lines": count, "last": last, "mac": _mac(key, f"{count}:{last}")}) + "\n"


def _write_head(path: Path, key: bytes, count: int, last: str) -> None:
    """Replace the head atomically (a reader sees the old or the new one, never half)."""
    hp = head_path(path)
    tmp = hp.with_name(f".{hp.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(_head_text(key, count, last))
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, hp)


def _last_line(f) -> bytes:
    """The last non-empty line of an open binary file (read backwards from the end)."""
    f.seek(0, os.SEEK_END)
    pos = f.tell()
    buf = b""
    while pos > 0:
        step = min(4096, pos)
        pos -= step
        f.seek(pos)
        buf = f.read(step) + buf
        stripped = buf.rstrip(b"\n")
        if b"\n" in stripped:
            return stripped.rsplit(b"\n", 1)[1]
    return buf.rstrip(b"\n")


def check_detail(detail: dict) -> None:
    for k in detail:
        low = k.lower()
        if any(word in low for word in FORBIDDEN):
            raise ValueError(f"audit detail field {k!r} looks like a credential or a person identifier; "
                             "those are never written to the audit log")


def record(action: str, who: str, what: str = "", result: str = "ok", *, role: str | None = None,
           path: Path | None = None, now: datetime | None = None, **detail) -> dict:
    """Append one event and return it (with its hash).

    `result` is "ok", "failed", "rejected" or similar; `detail` holds small facts such as
    row counts or a file's SHA-256 (never a password or a person key).
    """
    check_detail(detail)
    path = Path(path or log_path())
    path.parent.mkdir(parents=True, exist_ok=True)
    entry = {
        "ts": (now or datetime.now(timezone.utc)).astimezone(timezone.utc).isoformat(timespec="seconds"),
        "who": who, "role": role, "action": action, "what": what, "result": result,
        "detail": detail,
    }
    key = _key(path, create=True)
    fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
    with os.fdopen(fd, "r+b") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            last = _last_line(f)
            prev = GENESIS
            if last:
                try:
                    prev = json.loads(last)["hash"]
                except (ValueError, KeyError, TypeError):
                    # A damaged last line: chain on to its raw bytes so verify() still shows it.
                    prev = hashlib.sha256(last).hexdigest()
            entry["prev"] = prev
            entry["hash"] = _digest(prev, entry, key)
            f.seek(0)
            count = sum(1 for ln in f.read().split(b"\n") if ln.strip())
            f.seek(0, os.SEEK_END)
            f.write((json.dumps(entry, ensure_ascii=False, default=str) + "\n").encode("utf-8"))
            f.flush()
            os.fsync(f.fileno())
            _write_head(path, key, count + 1, entry["hash"])
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)
    return entry


def record_quietly(*args, **kwargs) -> dict | None:
    """record(), but a log that cannot be written never stops the action it describes from
    being reported to the user; the failure is returned as None for the caller to show."""
    try:
        return record(*args, **kwargs)
    except OSError:
        return None


def _lines(path: Path) -> list[bytes]:
    if not path.exists():
        return []
    with path.open("rb") as f:
        fcntl.flock(f, fcntl.LOCK_SH)
        try:
            data = f.read()
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)
    return [ln for ln in data.split(b"\n") if ln.strip()]


COLUMNS = ["line", "ts", "who", "role", "action", "what", "result", "detail"]


def read(limit: int | None = None, path: Path | None = None) -> pd.DataFrame:
    """Events oldest first (the last `limit` when given); `line` is the line number in the file."""
    path = Path(path or log_path())
    rows = []
    for n, raw in enumerate(_lines(path), start=1):
        try:
            e = json.loads(raw)
        except ValueError:
            rows.append({"line": n, "action": "(unreadable line)", "result": "damaged"})
            continue
        rows.append({"line": n, **{k: e.get(k) for k in COLUMNS[1:]}})
    df = pd.DataFrame(rows, columns=COLUMNS)
    df["ts"] = pd.to_datetime(df["ts"], utc=True, errors="coerce")
    df["detail"] = [json.dumps(d, ensure_ascii=False, default=str) if isinstance(d, dict) and d else ""
                    for d in df["detail"]]
    if limit is not None:
        df = df.tail(limit)
    return df.reset_index(drop=True)


@dataclass(frozen=True)
class Problem:
    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


def verify(path: Path | None = None) -> list[Problem]:
    """Where the chain is broken; an empty list means no line was edited, inserted or removed,
    including lines cut off the end (the head says how many lines there were)."""
    path = Path(path or log_path())
    problems: list[Problem] = []
    lines = _lines(path)
    key = _key(path)
    if key is None:
        if lines:
            problems.append(Problem(0, f"the log's key {key_path(path)} is missing: no line can be checked"))
        return problems
    prev = GENESIS
    for n, raw in enumerate(lines, start=1):
        try:
            e = json.loads(raw)
            stored, claimed_prev = e["hash"], e["prev"]
            missing = [k for k in FIELDS if k not in e]
            if missing:
                raise KeyError(missing[0])
        except (ValueError, KeyError, TypeError):
            problems.append(Problem(n, "not a readable audit entry (edited or damaged)"))
            prev = hashlib.sha256(raw).hexdigest()
            continue
        if claimed_prev != prev:
            problems.append(Problem(n, "does not follow the line before it: a line was removed, inserted "
                                       "or re-written before this one"))
        if not hmac.compare_digest(_digest(claimed_prev, e, key), str(stored)):
            problems.append(Problem(n, "its content does not match its MAC: the line was edited"))
        prev = stored
    if not problems:  # a broken chain is already flagged where it breaks; else the end must match the head
        problems += _check_head(path, key, len(lines), prev if lines else GENESIS)
    return problems


def _check_head(path: Path, key: bytes, count: int, last: str) -> list[Problem]:
    hp = head_path(path)
    try:
        head = json.loads(hp.read_text())
        lines_, last_, mac = int(head["lines"]), str(head["last"]), str(head["mac"])
    except FileNotFoundError:
        if count == 0:
            return []
        return [Problem(count, f"the head record {hp} is missing: lines may have been cut off the end")]
    except (ValueError, KeyError, TypeError):
        return [Problem(count, f"the head record {hp} is damaged")]
    if not hmac.compare_digest(_mac(key, f"{lines_}:{last_}"), mac):
        return [Problem(count, f"the head record {hp} was altered")]
    if lines_ != count or last_ != last:
        if lines_ > count:
            return [Problem(count, f"the log ends early: the head records {lines_} lines, the file has {count} "
                                   "(lines were cut off the end)")]
        return [Problem(count, f"the log does not end where its head says (line {lines_}): lines were "
                               "added without the key or the file was replaced")]
    return []


def select(events: pd.DataFrame, *, actions=None, users=None, since=None, until=None,
           tz: str = "UTC") -> pd.DataFrame:
    """Events of the given actions and users between two dates (inclusive, in `tz`), newest first."""
    keep = pd.Series(True, index=events.index)
    if actions:
        keep &= events["action"].isin(list(actions))
    if users:
        keep &= events["who"].isin(list(users))
    day = events["ts"].dt.tz_convert(tz).dt.date
    if since is not None:
        keep &= day >= since
    if until is not None:
        keep &= day <= until
    return events[keep].sort_values("line", ascending=False)


def for_display(events: pd.DataFrame, tz: str = "UTC") -> pd.DataFrame:
    """Readable columns: local time, the action in words; the line number ties a row to the file."""
    return pd.DataFrame({
        "line": events["line"],
        "when": events["ts"].dt.tz_convert(tz).dt.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "who": events["who"], "role": events["role"],
        "action": [ACTIONS.get(a, a) for a in events["action"]],
        "what": events["what"], "result": events["result"], "detail": events["detail"],
    })
