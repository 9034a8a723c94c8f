"""Grant periods the administrator publishes: the only ranges, besides months, quarters and
calendar and fiscal years, that have public figures.

Why a list, changed only by an audited action: every range with public figures is one more
view a reader can hold against the others (a grant period minus its months is the months
outside them), so the public views offer a fixed set of periods and the privacy release
protects each one together with its months (pmhc.release.published). A grant writer's
period — "October 2024 to September 2025" — joins that set when an administrator publishes
it (`pmhc period publish`, or the Data page); the audit log records who did and when.

Why whole months: the months are the building blocks of every public figure. A range that
starts or ends inside a month is not a sum of published months, so the month it cuts into
would be differenced into pieces (the grant period minus its whole months is a few days).
A grant period is therefore published as whole months; an exact report of other dates is
an internal one (`pmhc report --internal`).

The list is kept in the database (table `published_periods`), written through a new
snapshot like an import (pmhc.snapshots), so that it changes with the data it describes,
every viewer sees the change on the next page load, and the dashboard's caches (keyed by
the database file) never serve the old list.

Why a grant period belongs to an agency: in a hub (many agencies in one database) each
agency has its own grants, funders and fiscal year, and its administrator publishes for
it alone. A grant period is a row keyed by (agency, name): the agency's own public views,
reports and `pmhc figures --public` offer it, no other agency's do, and the same name may
be published by two agencies for different months. In a single-agency workspace the key
is '' (see `agency_in_view`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import duckdb

from .periods import Period, _add_months, parse_month

TABLE = "published_periods"
DDL = f"""
CREATE TABLE IF NOT EXISTS {TABLE} (
    agency        VARCHAR NOT NULL DEFAULT '',  -- the hub agency's key; '' in a single-agency workspace
    name          VARCHAR NOT NULL,
    first_day     DATE NOT NULL,          -- the first day of its first month
    end_day       DATE NOT NULL,          -- the first day after its last month (exclusive)
    published_at  TIMESTAMPTZ NOT NULL,
    published_by  VARCHAR NOT NULL,
    PRIMARY KEY (agency, name)
)
"""
_COLUMNS = "name, first_day, end_day, published_at, published_by"
_ORDER = "ORDER BY end_day DESC, first_day DESC, name"
NAME_MAX = 60
NAME_CHARS = "letters, digits, spaces and - . , ( ) / &"
_NAME = re.compile(r"[\w .,()/&-]+")
_DAY = re.compile(r"\s*(\d{4})-(\d{2})-(\d{2})\s*")


class PublicationError(ValueError):
    """A grant period that cannot be published or withdrawn as asked; the message says what to do."""


@dataclass(frozen=True)
class GrantPeriod:
    name: str
    start: date  # first day (inclusive)
    end: date  # first day after it (exclusive)
    published_at: datetime | None = None
    published_by: str = ""
    agency: str = ""  # whose grant period it is (a hub agency's key; '' in a single-agency workspace)

    @property
    def period(self) -> Period:
        return Period(self.start, self.end, "grant", self.name)

    @property
    def months_label(self) -> str:
        """Its months in words: "Oct 2024–Sep 2025"."""
        return f"{self.start:%b %Y}–{self.period.last_day:%b %Y}"

    @property
    def first_month(self) -> str:
        return f"{self.start:%Y-%m}"

    @property
    def last_month(self) -> str:
        return f"{self.period.last_day:%Y-%m}"


# ------------------------------------------------------------------ reading

class _InView:
    def __repr__(self) -> str:
        return "IN_VIEW"


IN_VIEW = _InView()  # grant_periods' default: the agency in view


def agency_in_view() -> str | None:
    """Whose grant periods this run reads and writes: in a hub, the agency in view (`--agency
    KEY`, PMHC_AGENCY, the dashboard's agency picker), or None when none is (the hub's pooled
    views belong to no agency, so they offer no grant period); '' in a single-agency workspace.

    Why '' and not the agency's key there: every row of a single-agency workspace is its one
    agency's, and its key (`key` in agency.toml, else a slug of its name) changes when the
    agency is renamed or gives itself a key; '' keeps its grant periods its own through that,
    and is what a table from before grant periods had an agency reads as. Why here and not
    an argument at every caller: every page, report and command already works on the agency
    in view (pmhc.config.current_agency_key), so reading it in this one place keeps each
    caller's grant periods those of the agency whose figures it shows."""
    from .config import current_workspace

    ws = current_workspace()
    if ws is None or not ws.is_hub:
        return ""
    return ws.agency


def agency_of(agencies: tuple[str, ...] | None) -> str | None:
    """Whose grant periods a selection of `agencies` (metrics.Filters.agencies) is offered:
    in a hub its one agency, none (None) for a pooled selection of several or of every row;
    '' in a single-agency workspace, whatever the selection names (its rows are all its own)."""
    from .config import current_workspace

    ws = current_workspace()
    if ws is None or not ws.is_hub:
        return ""
    return agencies[0] if agencies and len(agencies) == 1 else None


def grant_periods(con, agency: "str | None | _InView" = IN_VIEW) -> list[GrantPeriod]:
    """The grant periods `agency` published, latest first (default: the agency in view, see
    `agency_in_view`; None: no agency, so none). None in a database from before they
    existed; a table from before they belonged to an agency holds periods published for
    every agency of the database (the single agency's, or, in a hub, each agency's)."""
    if agency is IN_VIEW:
        agency = agency_in_view()
    if agency is None:
        return []
    try:
        rows = con.execute(f"SELECT {_COLUMNS}, agency FROM {TABLE} WHERE agency = $a {_ORDER}",
                           {"a": agency}).fetchall()
    except duckdb.CatalogException:
        return []
    except duckdb.BinderException:  # the old layout: no agency column
        if _has_agency_column(con):
            raise
        # published before periods belonged to an agency: then a period was every agency's
        rows = [(*r, agency) for r in con.execute(f"SELECT {_COLUMNS} FROM {TABLE} {_ORDER}").fetchall()]
    return [GrantPeriod(*r) for r in rows]


def every_agencys(con) -> list[GrantPeriod]:
    """Every agency's grant periods (a hub administrator's list), by agency, latest first."""
    if not _has_agency_column(con):
        return grant_periods(con, "")
    rows = con.execute(f"SELECT {_COLUMNS}, agency FROM {TABLE} "
                       f"{_ORDER.replace('ORDER BY', 'ORDER BY agency,')}").fetchall()
    return [GrantPeriod(*r) for r in rows]


def _has_agency_column(con) -> bool:
    return bool(con.execute("SELECT count(*) FROM duckdb_columns() WHERE table_name = $t AND column_name = 'agency' "
                            "AND schema_name = current_schema() AND database_name = current_database()",
                            {"t": TABLE}).fetchall()[0][0])


def matching(periods: list[GrantPeriod], period: Period) -> GrantPeriod | None:
    """The published grant period with exactly these dates, if any."""
    return next((g for g in periods if (g.start, g.end) == (period.start, period.end)), None)


def named(periods: list[GrantPeriod], period: Period) -> Period:
    """A month range the command line was given, named as the grant period it is (a report
    then says "BJA 2024–25 (Oct 2024–Sep 2025)"); a month, quarter or year keeps its name."""
    g = matching(periods, period)
    return g.period if g is not None and period.kind in ("months", "custom") else period


# ------------------------------------------------------------------ checking

def _month(text, key: str, first: bool) -> date:
    """A month as YYYY-MM; a day only where it is the first (or last) day of its month."""
    text = str(text).strip()
    m = _DAY.fullmatch(text)
    if m:
        try:
            d = date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        except ValueError:
            raise PublicationError(f"{key} {text!r} is not a date") from None
        whole = d.day == 1 if first else (d + timedelta(days=1)).day == 1
        if not whole:
            edge = "start on the first day" if first else "end on the last day"
            raise PublicationError(
                f"{key} {text}: a grant period must {edge} of a month. Public figures are built from whole "
                "months, so a period that cuts into a month would let the rest of that month be worked out "
                f"by comparing it with the months. Give whole months ({key} {d:%Y-%m}, …), or build an exact "
                "internal report of these dates (Reports page, Internal release; or `pmhc report --internal`).")
        return d.replace(day=1)
    try:
        return parse_month(text)
    except ValueError:
        raise PublicationError(f"{key} {text!r}: expected a month as YYYY-MM (e.g. 2024-10)") from None


def check(name: str, first, last, keys: tuple[str, str, str] = ("NAME", "--from", "--to")) -> GrantPeriod:
    """The grant period `name` from its first to its last month (both included), or a
    PublicationError naming the field (`keys`: how the caller calls name, first, last)."""
    name = " ".join(str(name or "").split())
    if not name:
        raise PublicationError(f"{keys[0]}: give the grant period a name, e.g. \"BJA JMHCP 2024-25\"")
    if len(name) > NAME_MAX:
        raise PublicationError(f"{keys[0]}: {len(name)} characters; a name has at most {NAME_MAX}")
    if not _NAME.fullmatch(name) or "_" in name:
        raise PublicationError(f"{keys[0]} {name!r}: a name may hold {NAME_CHARS}")
    start = _month(first, keys[1], first=True)
    last_month = _month(last, keys[2], first=False)
    if last_month < start:
        raise PublicationError(f"{keys[2]} {last_month:%Y-%m} is before {keys[1]} {start:%Y-%m}")
    return GrantPeriod(name, start, _add_months(last_month, 1))


def _conflict(periods: list[GrantPeriod], new: GrantPeriod) -> str | None:
    for g in periods:
        if g.name.casefold() == new.name.casefold():
            if (g.start, g.end) == (new.start, new.end):
                return f"{g.name!r} is already published ({g.months_label})"
            flag = f" --agency {new.agency}" if new.agency else ""
            return (f"the name {g.name!r} is already used for {g.months_label}; withdraw it first "
                    f"(`pmhc period withdraw {g.name!r}{flag}`) or choose another name")
        if (g.start, g.end) == (new.start, new.end):
            return f"{new.months_label} is already published as {g.name!r}"
    return None


# ------------------------------------------------------------------ changing (audited)

def publish(name: str, first, last, *, who: str, role: str | None = None, via: str = "cli",
            db_path: Path | str | None = None, keys: tuple[str, str, str] = ("NAME", "--from", "--to"),
            on_wait=None, agency: str | None = None, scope=None) -> GrantPeriod:
    """Publish a grant period of `agency` (default: the agency in view): its public figures
    are offered from the next page load on, in that agency's public views only.

    `scope` (pmhc.access.Scope) is the account's, where one acts (the Data page): an
    administrator of agency A publishes for A only. Written through a new snapshot of the
    database (pmhc.snapshots); the audit line is written before the snapshot is swapped in,
    so a publication that could not be audited does not happen.
    """
    new = replace(check(name, first, last, keys), agency=_owner(agency, scope))
    path = _existing(db_path)
    problem = _conflict(_read(path, new.agency), new)  # within the agency: another's may share name or months
    if problem:
        raise PublicationError(problem)
    return _write(path, new, "period_published", who, role, via, on_wait)


def withdraw(name: str, *, who: str, role: str | None = None, via: str = "cli",
             db_path: Path | str | None = None, on_wait=None, agency: str | None = None,
             scope=None) -> GrantPeriod:
    """Stop offering a grant period of `agency` (default: the agency in view) to the public
    (figures already seen stay seen: the months and every other published period are
    unchanged by it, so nothing new can be worked out). Another agency's period of the same
    name stays published."""
    owner = _owner(agency, scope)
    path = _existing(db_path)
    periods = _read(path, owner)
    g = next((g for g in periods if g.name.casefold() == " ".join(str(name).split()).casefold()), None)
    if g is None:
        have = ", ".join(repr(p.name) for p in periods) or "none"
        whose = f" of agency {owner!r}" if owner else ""
        raise PublicationError(f"no published grant period{whose} is called {name!r} (published: {have})")
    return _write(path, g, "period_withdrawn", who, role, via, on_wait)


def _owner(agency: str | None, scope) -> str:
    """The agency a publication is for: `agency`, else the agency in view; in a hub one must
    be named (a grant period is one agency's), and be one the acting account may see."""
    from .config import current_workspace

    ws = current_workspace()
    hub = ws is not None and ws.is_hub
    if not hub:
        if agency:
            # a single-agency workspace: its only agency, whatever key it is called by
            keys = ws.agency_keys() if ws is not None else []
            if agency not in keys:
                raise PublicationError(f"--agency {agency!r}: not the agency of this workspace "
                                       f"(its key: {', '.join(keys) or 'none'})")
        return ""
    key = agency or ws.agency
    known = ws.agency_keys()
    if key is None:
        raise PublicationError(f"{ws.root} is a hub of several agencies and a grant period is one agency's: "
                               f"name it with --agency KEY (agencies: {', '.join(known) or 'none yet'})")
    if key not in known:
        raise PublicationError(f"--agency {key!r}: not an agency of the hub {ws.root} "
                               f"(agencies: {', '.join(known) or 'none yet'})")
    if scope is not None and not scope.covers(key):
        raise PublicationError(f"this account publishes and withdraws grant periods only for its own agencies "
                               f"({scope.text}), not for {key!r}")
    return key


def _existing(db_path) -> Path:
    from .config import default_db_path

    path = Path(db_path or default_db_path())
    if not path.exists():
        raise PublicationError(f"no database at {path}: import data first (`pmhc import …`)")
    return path


def _read(path: Path, agency: str) -> list[GrantPeriod]:
    from .snapshots import open_read_only

    con = open_read_only(path)
    try:
        return grant_periods(con, agency)
    finally:
        con.close()


def _old_owners() -> list[str]:
    """Whose a period published before periods belonged to an agency is: then it was every
    agency's — the single agency's (''), or each agency's of a hub."""
    from .config import agency_configs, current_workspace

    ws = current_workspace()
    if ws is None or not ws.is_hub:
        return [""]
    return list(agency_configs(ws)) or [""]


def _migrate(con) -> None:
    """A table from before grant periods belonged to an agency: its rows become, under the
    new key (agency, name), the single agency's (''), or in a hub each agency's, as they
    were offered then (`_old_owners`). A primary key cannot be changed in place, so the
    table is rebuilt, inside the writer's snapshot (all or nothing)."""
    if not con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = $t AND schema_name = current_schema() "
                       "AND database_name = current_database()", {"t": TABLE}).fetchall()[0][0]:
        con.execute(DDL)
        return
    if _has_agency_column(con):
        return
    con.execute(f"ALTER TABLE {TABLE} RENAME TO {TABLE}_old")
    con.execute(DDL)
    for owner in _old_owners():
        con.execute(f"INSERT INTO {TABLE} (agency, {_COLUMNS}) SELECT $a, {_COLUMNS} FROM {TABLE}_old", {"a": owner})
    con.execute(f"DROP TABLE {TABLE}_old")


def _write(path: Path, g: GrantPeriod, action: str, who: str, role, via: str, on_wait) -> GrantPeriod:
    from . import audit, snapshots

    verb = "publishing" if action == "period_published" else "withdrawing"
    whose = f" of agency {g.agency}" if g.agency else ""
    with snapshots.writing(path, files=[f"({verb} grant period {g.name}{whose})"], via=f"{action} ({via})",
                           on_wait=on_wait) as (con, _):
        _migrate(con)
        if action == "period_published":
            problem = _conflict(grant_periods(con, g.agency), g)  # published meanwhile by someone else
            if problem:
                raise PublicationError(problem)
            g = replace(g, published_at=datetime.now(timezone.utc), published_by=who)
            con.execute(f"INSERT INTO {TABLE} (agency, {_COLUMNS}) VALUES ($a, $n, $s, $e, $at, $by)",
                        {"a": g.agency, "n": g.name, "s": g.start, "e": g.end, "at": g.published_at, "by": who})
        else:
            con.execute(f"DELETE FROM {TABLE} WHERE agency = $a AND name = $n", {"a": g.agency, "n": g.name})
        where = {"agency": g.agency} if g.agency else {}
        audit.record(action, who, g.name, role=role, path=audit.log_path(path), via=via,
                     first_month=g.first_month, last_month=g.last_month, **where)
    return g
