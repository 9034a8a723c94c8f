"""Reporting periods: calendar months, quarters, calendar and fiscal years, custom ranges.

A period is [start, end) on the agency's wall clock; every query takes these two dates,
so a grant period, a fiscal year and a month are the same thing to the SQL.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta


def _add_months(d: date, n: int) -> date:
    y, m = divmod(d.month - 1 + n, 12)
    return date(d.year + y, m + 1, 1)


def parse_month(text: str) -> date:
    m = re.fullmatch(r"\s*(\d{4})-(\d{1,2})\s*", str(text))
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise ValueError(f"expected a month as YYYY-MM, got {text!r}")
    return date(int(m.group(1)), int(m.group(2)), 1)


@dataclass(frozen=True)
class Period:
    start: date  # inclusive
    end: date  # exclusive
    kind: str = "custom"  # month | quarter | year | fiscal_year | months | custom | grant (pmhc.publication)
    name: str = ""

    def __post_init__(self) -> None:
        if self.end <= self.start:
            raise ValueError(f"period end {self.end} must be after start {self.start}")

    # ---- constructors
    @classmethod
    def months(cls, first: str | date, last: str | date) -> "Period":
        """From the first day of `first` to the end of `last` (both YYYY-MM, inclusive)."""
        a = parse_month(first) if isinstance(first, str) else first.replace(day=1)
        b = parse_month(last) if isinstance(last, str) else last.replace(day=1)
        if b < a:
            raise ValueError(f"--to {b:%Y-%m} is before --from {a:%Y-%m}")
        kind = "month" if a == b else "months"
        return cls(a, _add_months(b, 1), kind)

    @classmethod
    def month(cls, year: int, month: int) -> "Period":
        d = date(year, month, 1)
        return cls(d, _add_months(d, 1), "month")

    @classmethod
    def quarter(cls, year: int, q: int) -> "Period":
        if not 1 <= q <= 4:
            raise ValueError("quarter must be 1–4")
        d = date(year, 3 * (q - 1) + 1, 1)
        return cls(d, _add_months(d, 3), "quarter")

    @classmethod
    def calendar_year(cls, year: int) -> "Period":
        return cls(date(year, 1, 1), date(year + 1, 1, 1), "year")

    @classmethod
    def fiscal_year(cls, fy: int, start_month: int) -> "Period":
        """FY named by the calendar year it ends in (FY2025 with July start = Jul 2024–Jun 2025)."""
        if start_month == 1:
            return cls(date(fy, 1, 1), date(fy + 1, 1, 1), "fiscal_year", f"FY{fy}")
        start = date(fy - 1, start_month, 1)
        return cls(start, _add_months(start, 12), "fiscal_year", f"FY{fy}")

    @classmethod
    def custom(cls, start: date, end_inclusive: date) -> "Period":
        return cls(start, end_inclusive + timedelta(days=1), "custom")

    @classmethod
    def between(cls, first: str, last: str, fiscal_start_month: int = 1) -> "Period":
        """The period of a command line's --from/--to, named as people name it.

        Months (YYYY-MM, both included) that make up a calendar year, a fiscal year or a
        quarter get that name (so a report says "FY2025", not "Jul 2024–Jun 2025"); two
        dates (YYYY-MM-DD, both included) give a custom period, e.g. a grant period that
        does not start on the 1st.
        """
        day = re.compile(r"\s*\d{4}-\d{2}-\d{2}\s*")
        if day.fullmatch(str(first)) or day.fullmatch(str(last)):
            try:
                a, b = date.fromisoformat(str(first).strip()), date.fromisoformat(str(last).strip())
            except ValueError:
                raise ValueError(f"expected --from and --to both as YYYY-MM or both as YYYY-MM-DD, "
                                 f"got {first!r} and {last!r}") from None
            if b < a:
                raise ValueError(f"--to {b} is before --from {a}")
            return cls.custom(a, b)
        p = cls.months(first, last)
        if p.n_months == 12 and p.start.month == 1:
            return cls.calendar_year(p.start.year)
        if p.n_months == 12 and p.start.month == fiscal_start_month:
            return cls.fiscal_year(p.start.year + 1, fiscal_start_month)
        if p.n_months == 3 and p.start.month % 3 == 1:
            return cls.quarter(p.start.year, (p.start.month + 2) // 3)
        return p

    # ---- comparisons
    @property
    def whole_months(self) -> bool:
        return self.start.day == 1 and self.end.day == 1

    @property
    def n_months(self) -> int:
        return (self.end.year - self.start.year) * 12 + self.end.month - self.start.month

    def previous(self) -> "Period":
        """The period of the same length just before this one (month-over-month for a month)."""
        if self.whole_months:
            n = self.n_months
            return Period(_add_months(self.start, -n), self.start, self.kind)
        days = (self.end - self.start).days
        return Period(self.start - timedelta(days=days), self.start, self.kind)

    def year_ago(self) -> "Period":
        def back(d: date) -> date:
            try:
                return d.replace(year=d.year - 1)
            except ValueError:  # 29 February
                return d.replace(year=d.year - 1, day=28)

        return Period(back(self.start), back(self.end), self.kind)

    @property
    def last_day(self) -> date:
        return self.end - timedelta(days=1)

    @property
    def label(self) -> str:
        if self.name:
            return f"{self.name} ({self.start:%b %Y}–{self.last_day:%b %Y})"
        if self.kind == "month":
            return f"{self.start:%B %Y}"
        if self.kind == "quarter":
            return f"Q{(self.start.month - 1) // 3 + 1} {self.start.year}"
        if self.kind == "year":
            return str(self.start.year)
        if self.whole_months:
            return f"{self.start:%b %Y}–{self.last_day:%b %Y}"
        return f"{self.start:%d %b %Y}–{self.last_day:%d %b %Y}"

    def params(self) -> dict:
        return {"start": self.start, "end": self.end}
