"""Who logged in, imported, exported or changed assumptions, and when: an append-only log.

Kept as JSON lines in a file beside the database (`<db>.audit.jsonl`, or PMHC_AUDIT_LOG),
not in the database, so that the dashboard's read-only connection can still write it and
a re-built database does not erase it. Each line carries the SHA-256 of the line before
it (`prev`) and of itself (`hash`): editing or removing a line breaks the chain, and
`verify()` says where. That makes tampering evident, not impossible — whoever can write
the file can rewrite the whole chain, so on a shared server make it append-only for the
service account (`chattr +a`) or ship it to the agency's log collector.

Writers take an exclusive lock (fcntl.flock) so that the dashboard and a `pmhc import` in
a terminal never interleave or fork the chain. Entries never hold a password, a secret or
a person key: `record` refuses detail fields with such names.
"""

from __future__ import annotations

import fcntl
import getpass
import hashlib
import json
import os
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
    "assumptions_saved": "Assumptions saved",
    "user_added": "Account added",
    "user_removed": "Account removed",
    "password_changed": "Password changed",
    "demo_refused": "Demo mode refused",
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


def _digest(prev: str, entry: dict) -> str:
    body = {k: entry[k] for k in FIELDS if k not in ("hash",)}
    body["prev"] = prev
    text = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


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
            entry["hash"] = _digest(prev, entry)
            f.seek(0, os.SEEK_END)
            f.write((json.dumps(entry, ensure_ascii=False, default=str) + "\n").encode("utf-8"))
            f.flush()
            os.fsync(f.fileno())
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
    """Where the hash chain is broken; an empty list means no line was edited, inserted or removed
    (removing lines from the very end cannot be seen from the file alone)."""
    path = Path(path or log_path())
    problems: list[Problem] = []
    prev = GENESIS
    for n, raw in enumerate(_lines(path), start=1):
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
        if _digest(claimed_prev, e) != stored:
            problems.append(Problem(n, "its content does not match its hash: the line was edited"))
        prev = stored
    return problems


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
