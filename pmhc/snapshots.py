"""Imports write a new copy of the database and swap it in at once, so the dashboard never
waits for an import, never sees half of one, and a killed import changes nothing.

Why this design (README "Importing while the dashboard is open"): DuckDB lets one process
open a file read-write *or* any number open it read-only, never both. Writing into the file
the dashboard reads would need every viewer to let go of it for the length of the import.
Instead each import copies the current database into a new file, imports into the copy,
closes it (a clean checkpoint), and then points the database path at the copy with one
atomic rename. Viewers keep reading the file they opened — the previous data — until the
app sees the path change and opens the new one (pmhc.ui keys its connection by the file's
stamp). A process killed at any point leaves the path pointing at the previous snapshot.

Layout for a database path P (data/pmhc.duckdb):
    P                   symbolic link to the current snapshot, P.d/<stamp>.duckdb
    P.d/lock            writer lock (flock): one import at a time, the next one waits
    P.d/journal.jsonl   a line when an import starts and one when it ends; a start without
                        an end is an import that did not finish, recorded in the `imports`
                        ledger (status 'interrupted') by the next import
    P.d/*.duckdb        the current snapshot and the few before it (a viewer that resolved
                        the link just before a swap can still open the one it found)

Copying costs one sequential read and write of the database per import (about a second
per GB); imports are a few a month, viewers many a day.

The folder is its owner's only (0700) and every file in it (snapshots, journal, lock) is
created owner-only (0600) whatever the umask: the snapshots are the database itself, with
pseudonymous person-level records, and the journal names the files imported.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import signal
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterator

import duckdb

KEEP = 3  # snapshots kept: the current one and two before it
FAULT_ENV = "PMHC_FAULT_KILL_AT"  # fault-injection tests: the process kills itself (SIGKILL) here


def fault_point(name: str) -> None:
    """Where the fault-injection suite stops an import with kill -9 (tests/test_faults.py).
    Nothing happens unless PMHC_FAULT_KILL_AT names this point."""
    if os.environ.get(FAULT_ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)


def folder(path: Path) -> Path:
    return path.parent / (path.name + ".d")


def _private_folder(path: Path) -> Path:
    """The snapshot folder, created (or tightened, if an older version made it) owner-only."""
    d = folder(path)
    d.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.mkdir(d, 0o700)  # the mode is applied at creation: never briefly open to others
    except FileExistsError:
        pass
    if os.stat(d).st_mode & 0o777 != 0o700:
        os.chmod(d, 0o700)  # the umask may have taken bits off; an older folder may be 0755
    return d


def _private_open(path: Path, flags: int) -> int:
    """A file descriptor of `path`, created with mode 0600 (and tightened to it if it existed)."""
    fd = os.open(path, flags | os.O_CREAT, 0o600)
    if os.fstat(fd).st_mode & 0o777 != 0o600:
        os.fchmod(fd, 0o600)
    return fd


def current_file(path: Path | str) -> Path:
    """The snapshot file the database path points at now (the path itself for a plain file)."""
    return Path(os.path.realpath(path))


def _journal(path: Path) -> Path:
    return folder(path) / "journal.jsonl"


def _append(path: Path, entry: dict) -> None:
    fd = _private_open(_journal(path), os.O_WRONLY | os.O_APPEND)
    with os.fdopen(fd, "a", encoding="utf-8") as f:
        f.write(json.dumps(entry, ensure_ascii=False) + "\n")
        f.flush()
        os.fsync(f.fileno())


def _entries(path: Path) -> list[dict]:
    j = _journal(path)
    if not j.exists():
        return []
    out = []
    for line in j.read_text(encoding="utf-8").splitlines():
        try:
            out.append(json.loads(line))
        except ValueError:
            continue  # a line cut short by a kill
    return out


def import_running(path: Path | str) -> bool:
    """Whether an import holds the writer lock right now."""
    lock = folder(Path(path)) / "lock"
    if not lock.exists():
        return False
    with lock.open("a") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(f, fcntl.LOCK_UN)
    return False


def unfinished(path: Path | str, _holding_lock: bool = False) -> list[dict]:
    """Imports that started and did not finish (not counting one running now), oldest first,
    each with its start entry and the reason it is unfinished."""
    path = Path(path)
    entries = _entries(path)
    ended = {e["run"]: e for e in entries if e.get("event") == "end"}
    out = []
    running = False if _holding_lock else import_running(path)
    for e in entries:
        if e.get("event") != "start":
            continue
        end = ended.get(e["run"])
        if end is None and committed_after_all(path, e):
            continue  # killed after its swap: its data is the current data
        if end is None and running and e is [x for x in entries if x.get("event") == "start"][-1]:
            continue  # the import in progress
        if end is None or end.get("status") == "failed":
            out.append(e | {"end": end})
    return out


def interrupted_message(e: dict) -> str:
    end = e.get("end")
    why = (f"it stopped with an error: {end.get('error')}" if end else
           "the process stopped before it finished (killed, crashed or the machine went down)")
    return (f"The import of {', '.join(e.get('files') or ['(no files)'])} started {e.get('started_at')} "
            f"(via {e.get('via')}, process {e.get('pid')}) did not finish: {why}. None of its rows were "
            "loaded; the data stayed as it was before it. Import the file(s) again.")


def _record_unfinished(con: duckdb.DuckDBPyConnection, path: Path, entries: list[dict]) -> list[dict]:
    """Ledger rows (status 'interrupted') for imports that did not finish, in the new snapshot."""
    recorded = []
    for e in entries:
        next_id = con.execute("SELECT coalesce(max(import_id), 0) + 1 FROM imports").fetchall()[0][0]
        con.execute(
            "INSERT INTO imports (import_id, file_name, table_name, sha256, imported_at, profile, status, message) "
            "VALUES ($id, $file, NULL, '', $at, $profile, 'interrupted', $msg)",
            {"id": next_id, "file": ", ".join(e.get("files") or []) or "(unknown)",
             "at": e.get("started_at"), "profile": e.get("profile"), "msg": interrupted_message(e)})
        recorded.append(e)
    return recorded


def _fsync_dir(d: Path) -> None:
    fd = os.open(d, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _swap(path: Path, snapshot: Path) -> None:
    """Point `path` at `snapshot` with one rename (atomic on POSIX): a reader resolves either
    the old snapshot or the new one, never a missing or half-written file."""
    link = path.parent / f".{path.name}.link-{os.getpid()}"
    if link.is_symlink() or link.exists():
        link.unlink()
    os.symlink(os.path.relpath(snapshot, path.parent), link)
    os.replace(link, path)
    _fsync_dir(path.parent)


def _prune(path: Path, keep: Path) -> None:
    snaps = sorted(folder(path).glob("*.duckdb"), key=lambda p: p.stat().st_mtime_ns, reverse=True)
    old = [p for p in snaps if p != keep][KEEP - 1:]
    for p in old + list(folder(path).glob("*.duckdb.tmp")) + list(folder(path).glob("*.duckdb.tmp.wal")):
        try:
            p.unlink()  # a viewer that has it open keeps reading it until it lets go (POSIX)
        except FileNotFoundError:
            pass


@contextmanager
def writer_lock(path: Path, on_wait: Callable[[], None] | None = None) -> Iterator[None]:
    fd = _private_open(_private_folder(path) / "lock", os.O_WRONLY | os.O_APPEND)
    with os.fdopen(fd, "a") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if on_wait:
                on_wait()
            fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


@contextmanager
def writing(path: Path | str, *, files: list[str], via: str, profile: str | None = None, cfg=None,
            on_wait: Callable[[], None] | None = None) -> Iterator[tuple[duckdb.DuckDBPyConnection, list[dict]]]:
    """A read-write connection to a new snapshot of the database at `path`, swapped in when
    the block ends without an exception. Yields (connection, imports that did not finish
    before this one — now in its ledger)."""
    from . import db

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with writer_lock(path, on_wait):
        for e in _entries(path):
            if e.get("event") == "start" and committed_after_all(path, e) and \
                    not any(x.get("run") == e["run"] and x.get("event") == "end" for x in _entries(path)):
                _append(path, {"event": "end", "run": e["run"], "status": "committed"})
        pending = unfinished(path, _holding_lock=True)
        run = f"{datetime.now(timezone.utc).strftime('%Y%m%dT%H%M%S%f')}-{os.getpid()}"
        final = folder(path) / f"{run}.duckdb"
        work = folder(path) / f"{run}.duckdb.tmp"
        _append(path, {"event": "start", "run": run, "pid": os.getpid(), "via": via, "files": files,
                       "profile": profile, "snapshot": final.name,
                       "started_at": datetime.now(timezone.utc).isoformat(timespec="seconds")})
        fault_point("after_journal")
        con = None
        try:
            source = current_file(path) if path.exists() else None
            if source is not None:
                _private_copy(source, work)
                wal = Path(f"{source}.wal")
                if wal.exists():
                    _private_copy(wal, Path(f"{work}.wal"))
            fault_point("after_copy")
            con = db.connect(work, cfg=cfg)
            recorded = _record_unfinished(con, path, pending)
            yield con, recorded
            fault_point("before_close")
            con.close()
            con = None
            with work.open("rb+") as f:
                os.fsync(f.fileno())
            os.replace(work, final)
            fault_point("before_swap")
            _swap(path, final)
            fault_point("after_swap")
            for e in recorded:
                _append(path, {"event": "end", "run": e["run"], "status": "recorded"})
            _append(path, {"event": "end", "run": run, "status": "committed"})
        except BaseException as e:
            if con is not None:
                con.close()
            for p in (work, Path(f"{work}.wal")):
                if p.exists():
                    p.unlink()
            _append(path, {"event": "end", "run": run, "status": "failed", "error": f"{type(e).__name__}: {e}"})
            raise
        _prune(path, final)


def _private_copy(source: Path, target: Path) -> None:
    """Copy a database file into a new owner-only file (never readable by others, even while
    it is being written)."""
    os.close(_private_open(target, os.O_WRONLY | os.O_TRUNC))
    shutil.copyfile(source, target)  # writes into the existing file, which keeps its mode


def committed_after_all(path: Path, entry: dict) -> bool:
    """A start entry whose snapshot is the current one finished its swap (killed just after)."""
    return current_file(path).name == entry.get("snapshot")


def open_read_only(path: Path | str, attempts: int = 3) -> duckdb.DuckDBPyConnection:
    """Open the current snapshot read-only. An import may prune the snapshot a reader has
    just resolved; the reader then resolves the link again."""
    for i in range(attempts):
        target = current_file(path)
        try:
            return duckdb.connect(str(target), read_only=True)
        except duckdb.IOException:
            if i == attempts - 1 or target == current_file(path):
                raise
            time.sleep(0.05)
    raise AssertionError("unreachable")


def install(path: Path | str, source: Path | str, via: str = "restore") -> Path:
    """Make a copy of the database file `source` the current snapshot of `path` (a restore
    from a backup), the way an import swaps one in: under the writer lock, with a journal
    line, one atomic rename; viewers go from the old data to the restored data at once."""
    from . import db

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with writer_lock(path):
        run = f"{datetime.now(timezone.utc).strftime('%Y%m%dT%H%M%S%f')}-{os.getpid()}"
        final = folder(path) / f"{run}.duckdb"
        work = folder(path) / f"{run}.duckdb.tmp"
        _append(path, {"event": "start", "run": run, "pid": os.getpid(), "via": via, "files": [Path(source).name],
                       "snapshot": final.name, "started_at": datetime.now(timezone.utc).isoformat(timespec="seconds")})
        _private_copy(Path(source), work)  # owner-only from its first byte
        db.private(work)
        with work.open("rb+") as f:
            os.fsync(f.fileno())
        os.replace(work, final)
        _swap(path, final)
        _append(path, {"event": "end", "run": run, "status": "committed"})
        _prune(path, final)
    return final
