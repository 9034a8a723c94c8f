"""An agency's workspace: its settings, profiles, database and secrets, outside the code.

`pmhc init DIR` creates one; `PMHC_HOME=DIR` (or `--home DIR`) points every command and
the dashboard at it, so a `git pull` or a package upgrade never touches an agency's
files and no agency edits the repository. The paths are `pmhc.config.Workspace`:

    DIR/config/agency.toml        name, time zone, fiscal year, currency, BH call types, …
    DIR/config/assumptions.toml   unit costs and program cost (none at the start)
    DIR/config/milestones.csv     program milestones (none at the start)
    DIR/profiles/                 the agency's mapping profiles
    DIR/data/                     database (snapshots), accounts, audit log
    DIR/secrets/person_key_secret the person-key secret (created here, mode 0600)
    DIR/reports/                  scheduled packets (`pmhc report --month last`)
    DIR/backups/                  `pmhc backup`
    DIR/examples/                 the sample city's values, commented out: examples only

A **hub** (`pmhc init DIR --hub`) is the workspace of a regional or state program that
collects the same figures from many agencies into one database:

    DIR/hub.toml                  the hub's name, clock, privacy thresholds, currency
    DIR/agencies/<key>/           one agency (`pmhc agency add KEY`): agency.toml,
                                  assumptions.toml, milestones.csv, profiles/
    DIR/data/, secrets/, …        as above, shared: one database, accounts, audit log

A new workspace has no program cost, no unit costs and no milestones: figures that need
them say "not measured" until the agency sets its own (Settings page). The sample city's
values are offered in examples/, labelled as such and never read as settings. Every
folder is owner-only (0700) and every file 0600: the workspace holds pseudonymous
person-level records and the key that makes the pseudonyms.
"""

from __future__ import annotations

import calendar
import os
import secrets
from pathlib import Path

from .config import (AGENCY_KEY, SAMPLE_CONFIG_DIR, HubFile, SettingsError, Workspace, check_timezone, toml_dumps,
                     validate, write_agency, write_private)

FOLDERS = ("config", "profiles", "data", "secrets", "reports", "backups", "examples")
HUB_FOLDERS = ("agencies", "data", "secrets", "reports", "backups", "examples")

ASSUMPTIONS_START = """\
# Unit costs for the resource-savings ESTIMATE, each with its source and year. None is set
# yet: until the agency sets its own, the savings figures say "not measured" (never priced
# with another city's costs). Set them on the dashboard's Settings page (administrators;
# each save is in the audit log) or here, one table per cost, e.g.
#
#   [officer_hour]
#   label = "Loaded officer hour (salary, benefits, overhead)"
#   unit = "USD"
#   value = 85.0
#   low = 65.0
#   high = 110.0
#   source = "City payroll FY2025, fully loaded rate"
#   year = 2025
#
# Keys: jail_booking, jail_bed_day, average_jail_stay_days, ed_visit, ambulance_transport,
# officer_hour, program_cost_annual. The sample city's values are in
# examples/assumptions.example.toml (examples only, not your agency's costs).
"""

MILESTONES_START = "date,label\n"

EXAMPLE_NOTE = """\
# EXAMPLES ONLY — values of the synthetic sample city ("Harbor City") shipped with the
# dashboard, not your agency's. Nothing in this folder is read as a setting. Copy a value
# into config/ (or enter it on the Settings page) only after checking it against your own
# budget, jail, hospital, EMS and payroll figures, and give your own source.
"""


class WorkspaceError(SettingsError):
    """A workspace cannot be created or used as asked (message says what to do)."""


def month_number(value: str | int) -> int:
    """A fiscal-year start month from 7, '07', 'July' or 'jul'."""
    text = str(value).strip()
    if text.isdigit() and 1 <= int(text) <= 12:
        return int(text)
    names = {calendar.month_name[m].lower(): m for m in range(1, 13)}
    names |= {calendar.month_abbr[m].lower(): m for m in range(1, 13)}
    if text.lower() in names:
        return names[text.lower()]
    raise WorkspaceError(f"fiscal-year start {value!r} is not a month; give 1–12 or a month name (July)")


def _new_folder(root: Path, folders: tuple[str, ...]) -> None:
    """`root` as a new, owner-only folder with `folders` in it (refused when it is not empty)."""
    if (root / "agency.toml").exists() or (root / "config" / "agency.toml").exists() or (root / "hub.toml").exists():
        raise WorkspaceError(f"{root} is already a workspace; change its settings on the Settings page or in its "
                             "files")
    if root.exists() and not root.is_dir():
        raise WorkspaceError(f"{root} is a file; name a new or empty folder")
    if root.is_dir() and any(p.name not in folders for p in root.iterdir()):
        raise WorkspaceError(f"{root} is not empty; name a new or empty folder for the workspace")
    root.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(root, 0o700)
    for folder in folders:
        (root / folder).mkdir(exist_ok=True, mode=0o700)
        os.chmod(root / folder, 0o700)


def _new_workspace(root: Path | str, timezone: str) -> tuple[Path, Workspace]:
    """The folder a new workspace (agency or hub) goes to, once its clock is a real zone."""
    root = Path(root).expanduser().resolve()
    try:
        check_timezone(timezone)
    except ValueError as e:
        raise WorkspaceError(f"--timezone: {e}") from None
    return root, Workspace(root)


def init(root: Path | str, *, name: str, timezone: str, fiscal_year_start_month: int | str, currency: str,
         bh_call_types: list[str] | tuple[str, ...] = (), program: str | None = None,
         date_format: str | None = None) -> Workspace:
    """Create a workspace at `root` (a new or empty folder) and return it."""
    root, ws = _new_workspace(root, timezone)
    month = month_number(fiscal_year_start_month)
    _new_folder(root, FOLDERS)
    _write_agency_files(ws, root, FOLDERS, name=name, timezone=timezone, month=month, currency=currency,
                        bh_call_types=bh_call_types, program=program, date_format=date_format)
    write_examples(ws)
    new_secret(ws.secret_file)
    return ws


def _write_agency_files(ws: Workspace, root: Path, folders: tuple[str, ...], *, name: str, timezone: str,
                        month: int, currency: str, bh_call_types, program: str | None, date_format: str | None,
                        key: str | None = None) -> None:
    """agency.toml (checked before it is written), and an empty assumptions file and
    milestones list: the settings of one agency, in its workspace or in a hub's folder."""
    settings: dict = {
        "name": name.strip(), "program": (program or f"{name.strip()} co-responder program").strip(),
        "timezone": timezone, "fiscal_year_start_month": month,
        "locale": {"currency": str(currency).strip().upper()},
        "behavioral_health": {"call_types": [t.strip() for t in bh_call_types if t.strip()]},
    }
    if key:
        settings = {"key": key, **settings}
    if date_format:
        settings["locale"]["date_format"] = date_format
    try:
        write_agency(settings, ws.agency_file)
    except SettingsError:
        for folder in folders:  # nothing half-made is left behind
            if (root / folder).is_dir() and not any((root / folder).iterdir()):
                (root / folder).rmdir()
        if root.is_dir() and not any(root.iterdir()) and key:
            root.rmdir()
        raise
    write_private(ws.assumptions_file, ASSUMPTIONS_START)
    write_private(ws.milestones_file, MILESTONES_START)


HUB_START = """\
# A regional hub: the same figures from many agencies, in one database. Each agency's own
# settings (time zone, fiscal year, BH call types, disposition map, costs, terminology) are
# in agencies/<key>/agency.toml (`pmhc agency add KEY`); these are the hub's, for its
# pooled views (the Comparison page): its name, its clock, the privacy thresholds of the
# pooled public release and the currency of pooled money figures. README: "A regional hub".
"""


def init_hub(root: Path | str, *, name: str, timezone: str = "UTC", currency: str = "USD",
             program: str | None = None) -> Workspace:
    """Create a hub workspace at `root` (a new or empty folder) and return it; agencies are
    added with `add_agency`."""
    root, ws = _new_workspace(root, timezone)
    data = {"name": name.strip(), "program": (program or f"{name.strip()}: co-responder programs").strip(),
            "timezone": timezone, "locale": {"currency": str(currency).strip().upper()}}
    validate(HubFile, data, root / "hub.toml")  # every check of a read, before anything is made
    _new_folder(root, HUB_FOLDERS)
    write_private(ws.hub_file, HUB_START + "\n" + toml_dumps(data))
    write_examples(ws)
    new_secret(ws.secret_file)
    return ws


def add_agency(ws: Workspace, key: str, *, name: str, timezone: str, fiscal_year_start_month: int | str,
               currency: str, bh_call_types: list[str] | tuple[str, ...] = (), program: str | None = None,
               date_format: str | None = None) -> Workspace:
    """Add an agency to a hub: agencies/<key>/ with its own settings and profiles/. Returns
    the hub with that agency in view. Its rows are imported with `pmhc import --agency KEY`."""
    if not ws.is_hub:
        raise WorkspaceError(f"{ws.root} is a single-agency workspace, not a hub: create a hub with "
                             "`pmhc init DIR --hub` and add agencies to it")
    if not AGENCY_KEY.match(key or ""):
        raise WorkspaceError(f"agency key {key!r}: use 1–63 lower-case letters, digits, '-' or '_', starting with a "
                             "letter or digit (e.g. \"lakeside\"); it names the agency in links, folders and data")
    folder = ws.agencies_dir / key
    if (folder / "agency.toml").exists():
        raise WorkspaceError(f"agency {key!r} exists in {ws.root} ({folder / 'agency.toml'}); change its settings "
                             "there or on the Settings page")
    try:
        check_timezone(timezone)
    except ValueError as e:
        raise WorkspaceError(f"--timezone: {e}") from None
    month = month_number(fiscal_year_start_month)
    ws.agencies_dir.mkdir(exist_ok=True, mode=0o700)
    folder.mkdir(exist_ok=True, mode=0o700)
    os.chmod(folder, 0o700)
    (folder / "profiles").mkdir(exist_ok=True, mode=0o700)
    os.chmod(folder / "profiles", 0o700)
    agency = Workspace(ws.root, sample=False, env=ws.env, agency=key)
    _write_agency_files(agency, folder, ("profiles",), name=name, timezone=timezone, month=month, currency=currency,
                        bh_call_types=bh_call_types, program=program, date_format=date_format, key=key)
    return agency


def new_secret(path: Path) -> Path:
    """A random person-key secret (64 hex characters), owner-only, never overwritten."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(secrets.token_hex(32))
    return path


def _commented(text: str) -> str:
    return "".join(("# " + line if line.strip() else "#") + "\n" for line in text.splitlines())


def write_examples(ws: Workspace) -> list[Path]:
    """The sample city's settings, every line commented out, under examples/."""
    out = []
    for name, target in (("assumptions.toml", "assumptions.example.toml"), ("agency.toml", "agency.example.toml")):
        src = SAMPLE_CONFIG_DIR / name
        if src.exists():
            out.append(write_private(ws.examples_dir / target, EXAMPLE_NOTE + "\n" + _commented(src.read_text())))
    for name in ("milestones.csv", "program_rollout.csv"):
        src = SAMPLE_CONFIG_DIR / name
        if src.exists():  # a CSV cannot carry the note: its name does, and examples/ is never read
            out.append(write_private(ws.examples_dir / name.replace(".csv", ".example.csv"), src.read_text()))
    return out


def example_assumptions():
    """The sample city's unit costs (for the Settings page to show beside each field as an
    example; never used in a figure)."""
    from . import metrics

    path = SAMPLE_CONFIG_DIR / "assumptions.toml"
    return metrics.load_assumptions(path) if path.exists() else metrics.Assumptions()

