"""One import run — the files of one `pmhc import` or one upload on the Data page — from
start to ledger, the same way for both.

The run takes the writer lock, imports every file into a new snapshot of the database
(pmhc.snapshots) and swaps it in once at the end: viewers see all of the run's files or
none of them. Each file is one transaction with its own ledger row (pmhc.importer).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from . import db, importer, progress, rollups, snapshots
from .config import AgencyConfig, default_db_path, load_agency


class RunError(Exception):
    """The run cannot start (a missing file, a broken profile); nothing was changed."""


@dataclass
class Run:
    db_path: Path
    reports: list[importer.FileReport] = field(default_factory=list)
    interrupted: list[dict] = field(default_factory=list)  # earlier runs that did not finish, now in the ledger
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def failed(self) -> int:
        return sum(r.status != "loaded" for r in self.reports)


def run(files: list[Path | str], *, db_path: Path | str | None = None, profile: Path | str | None = None,
        table: str | None = None, via: str = "cli", display_names: list[str] | None = None,
        cfg: AgencyConfig | None = None, on_wait: Callable[[], None] | None = None,
        on_report: Callable[[importer.FileReport], None] | None = None,
        on_progress: "progress.Listener | None" = None) -> Run:
    """Import `files` into the database at `db_path` as one snapshot. Raises RunError before
    anything is written when a file is missing or the profile cannot be used. `on_progress`
    hears every file's stages (pmhc.progress)."""
    paths = [Path(f) for f in files]
    for p in paths:
        if not p.is_file():
            raise RunError(f"{p}: no such file" + (" (it is a folder)" if p.is_dir() else "")
                           + "; nothing was imported.")
    plan: list[dict] = [{"table": table} if table else {}]  # one import of each file per table it fills
    if profile:
        from . import profiles

        try:
            # A profile may feed several tables from one export (profiles.import_plan, where present).
            plan = profiles.import_plan(Path(profile)) if hasattr(profiles, "import_plan") else \
                [profiles.import_kwargs(Path(profile))]
        except (profiles.ProfileError, OSError, ValueError) as e:
            raise RunError(f"profile not used, nothing was imported: {e}") from None
    cfg = cfg or load_agency()
    names = display_names or [p.name for p in paths]
    out = Run(db_path=Path(db_path or default_db_path()))
    with snapshots.writing(out.db_path, files=names, via=via, profile=Path(profile).name if profile else None,
                           cfg=cfg, on_wait=on_wait) as (con, interrupted):
        out.interrupted = interrupted
        last = len(paths) * len(plan) - 1
        for i, (p, name) in enumerate(zip(paths, names)):
            for j, kwargs in enumerate(plan):
                # The stored totals are brought up to date once, for every file of the run,
                # by its last import (viewers see none of the run's files before its
                # snapshot is swapped in).
                report = importer.import_file(con, p, display_name=name, cfg=cfg, on_progress=on_progress,
                                              rollups_later=i * len(plan) + j < last, **kwargs)
                out.reports.append(report)
                if on_report:
                    on_report(report)
            if i == 0:
                snapshots.fault_point("between_files")
        if rollups.pending(con):  # the last file was refused: its notes went, the others' stay
            loaded = sum(r.rows_loaded for r in out.reports)
            final = out.reports[-1]
            track = progress.Tracker(f"{final.file} → {final.table}" if final.table else final.file, on_progress)
            with track.stage("rollups", loaded) as s:
                con.execute("BEGIN TRANSACTION")
                try:
                    rollups.update(con, cfg)
                    con.execute("COMMIT")
                except BaseException:
                    con.execute("ROLLBACK")
                    raise
                s.rows = loaded
        out.counts = db.table_counts(con)
    return out
