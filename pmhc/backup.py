"""`pmhc backup` and `pmhc restore`: one file that brings a workspace back.

A backup is a .tar.gz in the workspace's backups/ (owner-only) holding the current
database snapshot, the settings (config/), the profiles, the accounts file, the audit log
with its head, and `manifest.json`: the SHA-256 of every file, the person-key secret's
*fingerprint* (never the secret) and the audit log's head at the time.

The person-key secret and the audit log's key are not in it, on purpose: whoever holds a
database and its secret together can link pseudonyms back to identifiers, so the secret
is backed up apart (README "Privacy"). A restore therefore checks that the workspace's
secret is the one the backup was made with (by fingerprint) and refuses otherwise —
restoring a database beside another key would make every later import count the same
people again under new pseudonyms.

A restore first backs up the workspace as it is, installs the database the way an import
does (pmhc.snapshots.install: one atomic swap, so the dashboard keeps running), puts the
settings and profiles back, and keeps the audit log that is there when it continues the
backed-up one (the log records the restore itself; it is never rolled back).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tarfile
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from .config import Workspace, write_private

FORMAT = 1
DB_NAME = "database/pmhc.duckdb"


class BackupError(ValueError):
    """A backup that cannot be made or restored as asked (the message says why and what to do)."""


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _members(ws: Workspace) -> dict[str, Path]:
    """Name in the archive → file in the workspace (database aside)."""
    from . import audit, auth

    out: dict[str, Path] = {}
    for p in (ws.agency_file, ws.assumptions_file, ws.milestones_file, ws.rollout_file):
        if p.is_file():
            out[f"config/{p.name}"] = p
    if ws.profiles_dir.is_dir():
        for p in sorted(ws.profiles_dir.glob("*.toml")):
            out[f"profiles/{p.name}"] = p
    users = auth.users_file()
    if users.is_file():
        out["accounts/users.toml"] = users
    log = audit.log_path(ws.db_path)
    for p in (log, audit.head_path(log)):
        if p.is_file():
            out[f"audit/{p.name}"] = p
    return out


def _fingerprint_in(db_file: Path) -> str | None:
    import duckdb

    con = duckdb.connect(str(db_file), read_only=True)
    try:
        r = con.execute("SELECT value FROM settings WHERE key = 'person_key_fingerprint'").fetchall()
        return r[0][0] if r else None
    except duckdb.Error:
        return None
    finally:
        con.close()


def _secret_fingerprint() -> str | None:
    from . import pseudonym

    try:
        return pseudonym.fingerprint()
    except pseudonym.SecretError:
        return None


def _head(log: Path) -> dict | None:
    from . import audit

    hp = audit.head_path(log)
    try:
        return json.loads(hp.read_text())
    except (FileNotFoundError, ValueError):
        return None


def backup(ws: Workspace | None = None, out: Path | str | None = None, note: str = "") -> Path:
    """Write a backup of the workspace; returns its path."""
    from . import audit, snapshots

    ws = ws or Workspace.current()
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    out = Path(out) if out else ws.backups_dir / f"pmhc-backup-{stamp}.tar.gz"
    out.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    members = _members(ws)
    manifest: dict = {"pmhc_backup": FORMAT, "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                      "workspace": str(ws.root), "note": note, "files": {},
                      # the key the database's pseudonyms were made with (None until a person key is imported),
                      # and the one the workspace holds now
                      "person_key_fingerprint": None, "secret_fingerprint": _secret_fingerprint(),
                      "audit_head": _head(audit.log_path(ws.db_path))}
    with tempfile.TemporaryDirectory(prefix="pmhc-backup-", dir=out.parent) as tmp:
        db_copy = None
        if ws.db_path.exists():
            db_copy = Path(tmp) / "pmhc.duckdb"
            with snapshots.writer_lock(ws.db_path):  # no import swaps or prunes the snapshot while it is copied
                import shutil

                shutil.copyfile(snapshots.current_file(ws.db_path), db_copy)
            members = {DB_NAME: db_copy, **members}
            manifest["person_key_fingerprint"] = _fingerprint_in(db_copy)
        manifest["files"] = {name: _sha256(p) for name, p in members.items()}
        part = out.with_name(f".{out.name}.part")
        fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as tar:
            data = json.dumps(manifest, indent=2).encode()
            info = tarfile.TarInfo("manifest.json")
            info.size, info.mode, info.mtime = len(data), 0o600, int(datetime.now().timestamp())
            tar.addfile(info, io.BytesIO(data))
            for name, p in members.items():
                tar.add(p, arcname=name, recursive=False, filter=_private)
        os.replace(part, out)
    audit.record_quietly("backup", audit.os_user(), str(out), path=audit.log_path(ws.db_path),
                         files=len(members), database=db_copy is not None)
    return out


def _private(info: tarfile.TarInfo) -> tarfile.TarInfo:
    info.mode, info.uid, info.gid, info.uname, info.gname = 0o600, 0, 0, "", ""
    return info


@dataclass
class Restored:
    archive: Path
    safety_backup: Path | None
    database: bool
    files: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def read_manifest(archive: Path | str) -> dict:
    try:
        with tarfile.open(archive, "r:gz") as tar:
            f = tar.extractfile("manifest.json")
            manifest = json.loads(f.read()) if f else None
    except (tarfile.TarError, OSError, KeyError, ValueError, EOFError) as e:
        raise BackupError(f"{archive}: not a pmhc backup ({type(e).__name__}: {e})") from None
    if not isinstance(manifest, dict) or manifest.get("pmhc_backup") != FORMAT:
        raise BackupError(f"{archive}: not a pmhc backup of format {FORMAT}")
    return manifest


def restore(archive: Path | str, ws: Workspace | None = None) -> Restored:
    """Bring the workspace back to the backup `archive` (see the module docstring)."""
    from . import audit, pseudonym, snapshots

    ws = ws or Workspace.current()
    archive = Path(archive)
    manifest = read_manifest(archive)
    with tempfile.TemporaryDirectory(prefix="pmhc-restore-", dir=ws.root) as tmp:
        files = _extract_checked(archive, manifest, Path(tmp))
        wanted = manifest.get("person_key_fingerprint")
        if wanted:
            try:
                mine = pseudonym.fingerprint()
            except pseudonym.SecretError as e:
                raise BackupError(f"the backup's database needs its person-key secret: {e}") from None
            if mine != wanted:
                raise BackupError(
                    f"the backup was made with another person-key secret than the one in {pseudonym.secret_source()} "
                    "(their fingerprints differ): restore that secret first (from where you backed it up, to "
                    f"{ws.secret_file}), then run the restore again. Nothing was changed.")
        safety = backup(ws, note=f"before restoring {archive.name}") if ws.db_path.exists() else None
        done = Restored(archive, safety, DB_NAME in files)
        if not wanted and manifest.get("secret_fingerprint") and manifest["secret_fingerprint"] != _secret_fingerprint():
            done.notes.append("the workspace's person-key secret is not the one it held at the backup; the restored "
                              "database holds no pseudonyms yet, so the secret in place is used from now on")
        if DB_NAME in files:
            snapshots.install(ws.db_path, files[DB_NAME], via="restore")
        for name, src in files.items():
            kind, _, base = name.partition("/")
            target = {"config": ws.config_dir, "profiles": ws.profiles_dir}.get(kind)
            if target is not None:
                write_private(target / base, src.read_text(encoding="utf-8"))
                done.files.append(name)
        done.notes += _accounts(files)
        done.notes += _audit(ws, files, manifest)
    audit.record_quietly("restore", audit.os_user(), str(archive), path=audit.log_path(ws.db_path),
                         database=done.database, files=len(done.files),
                         safety_backup=str(safety) if safety else None)
    return done


def _extract_checked(archive: Path, manifest: dict, into: Path) -> dict[str, Path]:
    """Every file the manifest lists, extracted and checked against its SHA-256."""
    listed = manifest.get("files") or {}
    out: dict[str, Path] = {}
    with tarfile.open(archive, "r:gz") as tar:
        for name, digest in listed.items():
            if name.startswith("/") or ".." in Path(name).parts:
                raise BackupError(f"{archive}: refuses the member {name!r} (outside the workspace)")
            try:
                f = tar.extractfile(name)
            except KeyError:
                f = None
            if f is None:
                raise BackupError(f"{archive}: {name} is listed in the manifest but missing; nothing was changed")
            dest = into / name
            dest.parent.mkdir(parents=True, exist_ok=True)
            with dest.open("wb") as w:
                for chunk in iter(lambda: f.read(1 << 20), b""):
                    w.write(chunk)
            if _sha256(dest) != digest:
                raise BackupError(f"{archive}: {name} does not match its checksum (the backup is damaged); "
                                  "nothing was changed")
            out[name] = dest
    return out


def _accounts(files: dict[str, Path]) -> list[str]:
    from . import auth

    src = files.get("accounts/users.toml")
    if src is None:
        return []
    current = auth.users_file()
    if current.exists():
        return [f"kept the accounts file {current} as it is (accounts changed since the backup stay changed)"]
    write_private(current, src.read_text(encoding="utf-8"))
    return [f"restored the accounts file {current}"]


def _audit(ws: Workspace, files: dict[str, Path], manifest: dict) -> list[str]:
    """Restore the audit log only where none is left; a log that continues the backed-up
    one is kept (it goes on recording, the restore included)."""
    from . import audit

    log = audit.log_path(ws.db_path)
    saved = files.get(f"audit/{log.name}")
    saved_head = files.get(f"audit/{audit.head_path(log).name}")
    if saved is None:
        return []
    if not log.exists():
        write_private(log, saved.read_text(encoding="utf-8"))
        if saved_head is not None:
            write_private(audit.head_path(log), saved_head.read_text(encoding="utf-8"))
        note = f"restored the audit log {log} ({len(saved.read_text().splitlines())} lines)"
        if not audit.key_path(log).exists():
            note += f"; put its key back at {audit.key_path(log)} (backed up apart) to check its chain"
        return [note]
    head = manifest.get("audit_head") or {}
    lines = log.read_bytes().splitlines()
    n = int(head.get("lines") or 0)
    if n and len(lines) >= n:
        try:
            if json.loads(lines[n - 1]).get("hash") == head.get("last"):
                return [f"kept the audit log {log}: it continues the backed-up one (line {n} is the backup's head)"]
        except ValueError:
            pass
    copy = log.with_name(f"{log.name}.from-backup-{datetime.now(timezone.utc):%Y%m%dT%H%M%SZ}")
    write_private(copy, saved.read_text(encoding="utf-8"))
    return [f"the audit log {log} does not continue the backed-up one: kept it, and put the backed-up log "
            f"beside it as {copy.name}"]
