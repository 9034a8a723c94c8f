"""`pmhc doctor`: checks a workspace and says what to fix, one line per finding.

What an administrator would otherwise find out from a failed import or a figure that
looks wrong: files others can read, a missing or wrong person-key secret, a profile
that does not parse or that past imports used and is gone, settings the database does
not hold yet, a database that does not open, an audit log whose chain is broken, unit
costs in another currency, no administrator account, little free disk.
"""

from __future__ import annotations

import shutil
import stat
from dataclasses import dataclass
from pathlib import Path

from .config import SHIPPED_PROFILES_DIR, SettingsError, Workspace, load_agency

OK, WARN, PROBLEM = "ok", "warning", "problem"
MIN_FREE_BYTES = 1 << 30  # an import copies the database: keep room for a few copies, and 1 GB at least


@dataclass(frozen=True)
class Finding:
    level: str  # ok | warning | problem
    what: str
    fix: str = ""

    def line(self) -> str:
        return f"{self.level:8} {self.what}" + (f"\n         fix: {self.fix}" if self.fix else "")


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _others_can(path: Path) -> bool:
    """Group or others may read, write or enter it."""
    return bool(_mode(path) & 0o077)


def _reachable(ws: Workspace) -> list[Path]:
    """Paths other users can open: their own mode lets group or others in, and every folder
    above them in the workspace lets them through (a 0644 file in a 0700 folder is private)."""
    out: list[Path] = []

    def walk(folder: Path) -> None:
        for p in sorted(folder.iterdir()):
            if p.is_symlink():
                continue  # the database link; its target is checked where it lives
            try:
                mode = _mode(p)
            except FileNotFoundError:
                continue
            if mode & 0o077:
                out.append(p)
            if p.is_dir() and mode & 0o011:
                walk(p)

    if _mode(ws.root) & 0o077:
        out.append(ws.root)
    if _mode(ws.root) & 0o011:
        walk(ws.root)
    return out


def permissions(ws: Workspace) -> list[Finding]:
    """Nobody but the owner can read the workspace (folders 0700, files 0600); the
    person-key secret is owner-only by its own mode too, whatever its folder."""
    out = []
    secret = ws.secret_file
    if secret.exists() and _others_can(secret):
        out.append(Finding(PROBLEM, f"the person-key secret {secret} can be read by others (mode "
                                    f"{_mode(secret):04o}): anyone who reads it can link pseudonyms back to "
                                    "identifiers", f"chmod 600 {secret}"))
    rest = [p for p in _reachable(ws) if p != secret]
    if rest:
        shown = ", ".join(f"{p} ({_mode(p):04o})" for p in rest[:5]) + (f" and {len(rest) - 5} more" if len(rest) > 5
                                                                          else "")
        out.append(Finding(PROBLEM, f"{len(rest)} path(s) in the workspace are open to other users: {shown}",
                           f"chmod -R go-rwx {ws.root}"))
    if not out:
        out.append(Finding(OK, f"permissions: nothing under {ws.root} is open to other users"))
    return out


def secret(ws: Workspace) -> list[Finding]:
    from . import pseudonym

    import os

    path = ws.secret_file
    if os.environ.get("PMHC_PERSON_KEY_SECRET") is not None:
        path, text = "from the PMHC_PERSON_KEY_SECRET environment variable", os.environ["PMHC_PERSON_KEY_SECRET"].strip()
    elif not path.exists():
        return [Finding(PROBLEM, f"no person-key secret at {path}",
                        "restore it from your backup to that path; only for a workspace with no data yet may "
                        "a new one be made (`pmhc import` creates it)")]
    else:
        text = path.read_text().strip()
    if len(text) < pseudonym.MIN_SECRET_CHARS:
        return [Finding(PROBLEM, f"the person-key secret {path} is {len(text)} characters, under "
                                 f"{pseudonym.MIN_SECRET_CHARS}", "restore the backed-up secret")]
    stored = _stored_fingerprint(ws)
    if stored and stored != pseudonym.fingerprint(text):
        return [Finding(PROBLEM, f"the person-key secret {path} is not the one the database was built with: "
                                 "imports are refused", "restore the secret the database was built with from "
                                                        "your backup")]
    return [Finding(OK, f"person-key secret {path}" + (" matches the database" if stored else ""))]


def _stored_fingerprint(ws: Workspace) -> str | None:
    from . import db

    if not ws.db_path.exists():
        return None
    try:
        con = db.connect(ws.db_path, read_only=True)
    except Exception:  # noqa: BLE001 — the database check reports it
        return None
    try:
        r = con.execute("SELECT value FROM settings WHERE key = 'person_key_fingerprint'").fetchall()
        return r[0][0] if r else None
    finally:
        con.close()


def settings(ws: Workspace) -> list[Finding]:
    from . import charts, evaluation, metrics

    out = []
    try:
        cfg = load_agency(ws.agency_file)
    except SettingsError as e:
        return [Finding(PROBLEM, str(e), f"correct {ws.agency_file} (the message names the key)")]
    if not ws.agency_file.exists():
        return [Finding(PROBLEM, f"no settings file {ws.agency_file}", f"create the workspace with `pmhc init {ws.root}`")]
    out.append(Finding(OK, f"settings {ws.agency_file}: {cfg.name}, {cfg.timezone}, {cfg.currency}"))
    if not cfg.bh_call_types:
        out.append(Finding(WARN, "no behavioral-health call types are set: only calls whose export flags them "
                                 "(bh_flag) count as BH calls", "pick them on the Settings page (it lists the call "
                                                                "types in the loaded data)"))
    try:
        a = metrics.load_assumptions(ws.assumptions_file)
    except SettingsError as e:
        out.append(Finding(PROBLEM, str(e), f"correct {ws.assumptions_file}"))
    else:
        unset = [k for k in metrics.SAVINGS_PARAMS if k not in a]
        if unset:
            out.append(Finding(WARN, f"unit costs not set ({', '.join(unset)}): the savings figures are not measured",
                               "set them with their sources on the Settings page"))
        other = [k for k, x in a.items() if k in metrics.MONEY_KEYS and x.unit.split(" ")[0].upper() != cfg.currency]
        if other:
            out.append(Finding(PROBLEM, f"unit costs in another currency than the agency's {cfg.currency}: "
                                        + ", ".join(f"{k} ({a[k].unit})" for k in other),
                               "enter them in the agency's currency on the Settings page"))
    for label, load, path in (("milestones", charts.load_milestones, ws.milestones_file),
                              ("district rollout", evaluation.load_rollout, ws.rollout_file)):
        try:
            load(path)
        except ValueError as e:
            out.append(Finding(PROBLEM, f"{label}: {e}", f"correct {path}"))
    return out


def profiles(ws: Workspace) -> list[Finding]:
    """Every profile in profiles/ parses, and every profile the import ledger names exists."""
    from . import profiles as _profiles

    out = []
    own = _profiles.available(ws.profiles_dir)
    for p in own:
        try:
            _profiles.load(p)
        except (_profiles.ProfileError, SettingsError) as e:
            out.append(Finding(PROBLEM, f"profile does not parse: {e}", f"correct {p}"))
    have = {p.name for p in own} | {p.name for p in _profiles.available(SHIPPED_PROFILES_DIR)}
    for name, files in _ledger_profiles(ws).items():
        if name not in have:
            out.append(Finding(PROBLEM, f"profile {name} is missing: it read {', '.join(sorted(files)[:3])} "
                                        "(import ledger), and importing a new export of that layout needs it",
                               f"put {name} back into {ws.profiles_dir} (from your backup, or draft it again on "
                               "the Data page)"))
    if not [f for f in out if f.level == PROBLEM]:
        out.append(Finding(OK, f"profiles: {len(own)} in {ws.profiles_dir}, all parse"))
    return out


def _ledger_profiles(ws: Workspace) -> dict[str, set[str]]:
    from . import db

    if not ws.db_path.exists():
        return {}
    try:
        con = db.connect(ws.db_path, read_only=True)
    except Exception:  # noqa: BLE001 — the database check reports it
        return {}
    try:
        rows = con.execute("SELECT profile, file_name FROM imports WHERE profile IS NOT NULL AND profile <> ''"
                           ).fetchall()
    finally:
        con.close()
    out: dict[str, set[str]] = {}
    for profile, file_name in rows:
        out.setdefault(Path(profile).name, set()).add(file_name)
    return out


def database(ws: Workspace) -> list[Finding]:
    from . import apply_settings, db, snapshots

    path = ws.db_path
    if not path.exists():
        return [Finding(WARN, f"no database yet at {path}",
                        "import the agency's exports (`pmhc import FILE…` or the Data page)")]
    try:
        con = db.connect(path, read_only=True)
    except Exception as e:  # noqa: BLE001 — any reason the file does not open is the finding
        return [Finding(PROBLEM, f"the database {path} does not open: {type(e).__name__}: {e}",
                        "restore it with `pmhc restore` from the latest backup")]
    try:
        counts = db.table_counts(con)
    finally:
        con.close()
    out = [Finding(OK, f"database {path} opens: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()))]
    for e in snapshots.unfinished(path):
        out.append(Finding(WARN, snapshots.interrupted_message(e)))
    todo = apply_settings.pending(path, load_agency(ws.agency_file))
    if todo:
        out.append(Finding(WARN, f"the database does not hold {', '.join(todo)} of the settings yet",
                           "`pmhc apply-settings` (the Settings page and `pmhc serve` do it too)"))
    return out


def audit_log(ws: Workspace) -> list[Finding]:
    from . import audit

    log = audit.log_path(ws.db_path)
    if not log.exists():
        return [Finding(OK, f"audit log {log}: nothing recorded yet")]
    problems = audit.verify(log)
    if problems:
        return [Finding(PROBLEM, f"audit log {log}: " + "; ".join(f"line {p.line}: {p.message}" for p in problems[:3]),
                        "compare it with your backup (`pmhc backup` keeps a copy and its head); report the change")]
    return [Finding(OK, f"audit log {log}: chain intact")]


def accounts(ws: Workspace) -> list[Finding]:
    from . import auth

    try:
        users = auth.list_users()
    except auth.AuthError as e:
        return [Finding(PROBLEM, str(e))]
    if not any(u.role == "admin" for u in users):
        return [Finding(WARN, "no administrator account (unless the identity provider gives one the admin role)",
                        "`pmhc user add NAME --role admin`" + ("" if ws.sample else f" (with PMHC_HOME={ws.root})"))]
    return [Finding(OK, f"accounts: {len(users)}, {sum(u.role == 'admin' for u in users)} administrator(s)")]


def disk(ws: Workspace) -> list[Finding]:
    from . import snapshots

    where = ws.data_dir if ws.data_dir.exists() else ws.root
    free = shutil.disk_usage(where).free
    size = snapshots.current_file(ws.db_path).stat().st_size if ws.db_path.exists() else 0
    need = max(MIN_FREE_BYTES, 4 * size)
    gb = 1 << 30
    if free < need:
        return [Finding(PROBLEM, f"{free / gb:.1f} GB free where the database lives ({where}); an import copies "
                                 f"the database ({size / gb:.2f} GB) and keeps three snapshots",
                        f"free at least {need / gb:.1f} GB, or move the workspace to a larger disk")]
    return [Finding(OK, f"disk: {free / gb:.1f} GB free in {where}")]


def run(ws: Workspace | None = None) -> list[Finding]:
    ws = ws or Workspace.current()
    if not ws.root.is_dir():
        return [Finding(PROBLEM, f"no workspace at {ws.root}", f"create it with `pmhc init {ws.root}`")]
    checks = [settings, secret, profiles, database, audit_log, accounts, disk]
    if not ws.sample:  # the checkout is shared with git: its own files are not owner-only
        checks.insert(0, permissions)
    out: list[Finding] = []
    for check in checks:
        out += check(ws)
    return out
