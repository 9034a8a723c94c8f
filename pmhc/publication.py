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
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import duckdb

from .periods import Period, _add_months, parse_month

TABLE = "published_periods"
DDL = f"""
CREATE TABLE IF NOT EXISTS {TABLE} (
    name          VARCHAR PRIMARY KEY,
    first_day     DATE NOT NULL,          -- the first day of its first month
    end_day       DATE NOT NULL,          -- the first day after its last month (exclusive)
    published_at  TIMESTAMPTZ NOT NULL,
    published_by  VARCHAR NOT NULL
)
"""
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

def grant_periods(con) -> list[GrantPeriod]:
    """The published grant periods, latest first; none in a database from before they existed."""
    try:
        rows = con.execute(f"SELECT name, first_day, end_day, published_at, published_by FROM {TABLE} "
                           "ORDER BY end_day DESC, first_day DESC, name").fetchall()
    except duckdb.CatalogException:
        return []
    return [GrantPeriod(*r) for r in rows]


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
            return (f"the name {g.name!r} is already used for {g.months_label}; withdraw it first "
                    f"(`pmhc period withdraw {g.name!r}`) or choose another name")
        if (g.start, g.end) == (new.start, new.end):
            return f"{new.months_label} is already published as {g.name!r}"
    return None


# ------------------------------------------------------------------ changing (audited)

def publish(name: str, first, last, *, who: str, role: str | None = None, via: str = "cli",
            db_path: Path | str | None = None, keys: tuple[str, str, str] = ("NAME", "--from", "--to"),
            on_wait=None) -> GrantPeriod:
    """Publish a grant period: its public figures are offered from the next page load on.

    Written through a new snapshot of the database (pmhc.snapshots); the audit line is
    written before the snapshot is swapped in, so a publication that could not be audited
    does not happen.
    """
    new = check(name, first, last, keys)
    path = _existing(db_path)
    problem = _conflict(_read(path), new)
    if problem:
        raise PublicationError(problem)
    return _write(path, new, "period_published", who, role, via, on_wait)


def withdraw(name: str, *, who: str, role: str | None = None, via: str = "cli",
             db_path: Path | str | None = None, on_wait=None) -> GrantPeriod:
    """Stop offering a grant period to the public (figures already seen stay seen: the months
    and every other published period are unchanged by it, so nothing new can be worked out)."""
    path = _existing(db_path)
    periods = _read(path)
    g = next((g for g in periods if g.name.casefold() == " ".join(str(name).split()).casefold()), None)
    if g is None:
        have = ", ".join(repr(p.name) for p in periods) or "none"
        raise PublicationError(f"no published grant period is called {name!r} (published: {have})")
    return _write(path, g, "period_withdrawn", who, role, via, on_wait)


def _existing(db_path) -> Path:
    from .config import default_db_path

    path = Path(db_path or default_db_path())
    if not path.exists():
        raise PublicationError(f"no database at {path}: import data first (`pmhc import …`)")
    return path


def _read(path: Path) -> list[GrantPeriod]:
    from .snapshots import open_read_only

    con = open_read_only(path)
    try:
        return grant_periods(con)
    finally:
        con.close()


def _write(path: Path, g: GrantPeriod, action: str, who: str, role, via: str, on_wait) -> GrantPeriod:
    from . import audit, snapshots

    verb = "publishing" if action == "period_published" else "withdrawing"
    with snapshots.writing(path, files=[f"({verb} grant period {g.name})"], via=f"{action} ({via})",
                           on_wait=on_wait) as (con, _):
        con.execute(DDL)
        if action == "period_published":
            problem = _conflict(grant_periods(con), g)  # published meanwhile by someone else
            if problem:
                raise PublicationError(problem)
            g = GrantPeriod(g.name, g.start, g.end, datetime.now(timezone.utc), who)
            con.execute(f"INSERT INTO {TABLE} VALUES ($n, $s, $e, $at, $by)",
                        {"n": g.name, "s": g.start, "e": g.end, "at": g.published_at, "by": who})
        else:
            con.execute(f"DELETE FROM {TABLE} WHERE name = $n", {"n": g.name})
        audit.record(action, who, g.name, role=role, path=audit.log_path(path), via=via,
                     first_month=g.first_month, last_month=g.last_month)
    return g
