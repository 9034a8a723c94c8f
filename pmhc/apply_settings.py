"""Settings the SQL reads, brought into the database when they change — without an import.

Most settings are read when a page or report runs (name, currency, unit costs,
milestones). Three live inside the database because the views and stored totals read
them: the disposition map (table `disposition_map`, read by `call_outcome_facts`), the
behavioral-health call-type list and time zone (`calls.is_bh`, `calls.received_local`,
and the stored daily totals built on them) and the empty co-responder rule (`settings`).

The dashboard opens the database read-only, and an import writes a new snapshot and
swaps it in (pmhc.snapshots). A settings change takes the same road: `apply` writes a
new snapshot with the settings applied under the same writer lock, so viewers see the old
figures or the new ones, never a mix, and nothing waits for a restart. `pending` says,
read-only, what differs (the Settings page and `pmhc doctor` show it).
"""

from __future__ import annotations

from pathlib import Path

from .config import AgencyConfig, default_db_path, load_agency


def pending(db_path: Path | str | None = None, cfg: AgencyConfig | None = None) -> list[str]:
    """Settings of agency.toml that the database does not hold yet, in words ([] = none,
    or no database yet: the first import applies them)."""
    from . import db

    cfg = cfg or load_agency()
    path = Path(db_path or default_db_path())
    if not path.exists():
        return []
    con = db.connect(path, read_only=True, cfg=cfg)
    try:
        return _differences(con, cfg)
    finally:
        con.close()


def _differences(con, cfg: AgencyConfig) -> list[str]:
    out = []
    from . import dispositions, importer

    agency = cfg.agency_key
    if dispositions.stored(con, agency) != sorted(cfg.dispositions):
        out.append("the disposition map")
    settings = dict(con.execute("SELECT key, value FROM settings").fetchall())
    has_calls = con.execute("SELECT count(*) FROM calls WHERE agency = $a", {"a": agency}).fetchall()[0][0] > 0
    if has_calls and settings.get(importer.derivation_key(cfg)) != importer.derivation(cfg):
        out.append("the behavioral-health call types or the time zone")
    rule = con.execute("SELECT value FROM data_rules WHERE agency = $a AND rule = 'co_responder_empty'",
                       {"a": agency}).fetchall()
    if (rule[0][0] if rule else "unknown") != cfg.co_responder_empty:
        out.append("the empty co-responder rule")
    return out


def apply(db_path: Path | str | None = None, cfg: AgencyConfig | None = None, via: str = "settings") -> list[str]:
    """Write a new snapshot of the database with the current settings applied and swap it
    in (pmhc.snapshots.writing, the importer's road), when anything differs. Returns what
    was applied ([] when the database already held it, or there is no database yet)."""
    from . import importer, rollups, snapshots

    cfg = cfg or load_agency()
    path = Path(db_path or default_db_path())
    todo = pending(path, cfg)
    if not todo:
        return []
    # db.connect (read-write) writes the disposition map and the data rules itself
    with snapshots.writing(path, files=[f"(settings: {', '.join(todo)})"], via=via, cfg=cfg) as (con, _interrupted):
        if importer.reclassify(con, cfg):
            # the stored totals count the agency's BH calls by the new rule (reclassify noted
            # its days; other agencies' totals stay)
            rollups.update(con, cfg)
    return todo
