"""An attacker holding every public view at once (issue 16): the union of releases.

Each public release (pmhc/release.py) protects its own table. A reader who opens several
— March, Q1, the year, the fiscal year, district D3 for each — holds all their cells and
knows more relations between them than any one table: the quarter is the sum of its
months, a district's row in the unfiltered release is the district-filtered release's
headline, the same breakdown of every district adds up to that of all districts, and so on. This module puts every cell a set of releases shows or hides into
one `CellTable`, keyed by what the cell *is* (period, district, responder type, figure),
not by where it was shown, adds those cross-view relations, and asks the independent
solver of test_suppression which hidden cells can be worked out.

What the reader knows about a cell hidden in every view it appears in: "<11" anywhere
means 1..10; "suppressed" for a small count (MASKED) everywhere means 1 or more; any
other hidden cell is 11 or more. A cell shown in any view is known exactly.

What the reader knows about the world, besides the releases (passed in, not read from
them, so a relation a release forgot is still used against it): which district each beat
lies in (`beats`: a district's count is the sum of its beats'), and the agency's published
BH call-type list (`bh_types`: a listed call type's calls are BH calls, where CAD's flag
does not say otherwise — used where it holds).
"""

from __future__ import annotations

from datetime import date

from pmhc.periods import Period
from pmhc.release import HEADLINE, is_distinct
from pmhc.suppression import MASKED, PRIMARY, CellTable


def _month(bucket: str) -> Period:
    y, m = str(bucket).split("-")
    return Period.month(int(y), int(m))


def canonical(rel, label) -> tuple:
    """What a cell of `rel` is, whichever view shows it: (period, district, responder type,
    what, column, agency) — the agency of a hub agency's release, None for one agency's
    database or a hub's pooled cells."""
    return _cell(rel, label) + (rel.filters.agency,)


def _cell(rel, label) -> tuple:
    view, bucket, col = label
    f = rel.filters
    p, d, r = (f.period.start, f.period.end), f.district, f.responder_type
    if view == HEADLINE:
        return (p, d, r, "fig", col)
    if view == "month":
        m = _month(bucket)
        return ((m.start, m.end), d, r, "fig", col)
    if view == "district":
        return (p, bucket, r, "fig", col)
    if view == "responder_type":
        return (p, d, bucket, "fig", col)
    if view == "contact_type":
        return (p, d, r, ("ct", bucket), col)
    if view in ("call_type", "beat"):  # the categorical breakdowns (pmhc.release.CATEGORY_BYS)
        return (p, d, r, (view, bucket), col)
    if view == "heatmap":
        return (p, d, r, "heat", bucket)
    if view.startswith("mix:"):
        by = view[4:]
        if by == "total":
            return (p, d, r, "mix", col)
        if by == "month":
            m = _month(bucket)
            return ((m.start, m.end), d, r, "mix", col)
        if by == "district":
            return (p, bucket, r, "mix", col)
        if by == "responder_type":
            return (p, d, bucket, "mix", col)
        if by == "contact_type":
            return (p, d, r, ("ctmix", bucket), col)
    raise KeyError(label)


class Union:
    def __init__(self, releases, threshold: int = 11, beats: dict | None = None, bh_types=(), pooled=()):
        self.table = CellTable()
        self.index: dict[tuple, int] = {}
        shown: set[int] = set()
        small_shown_as_range: set[int] = set()
        hidden_somewhere: set[int] = set()
        seen = (shown, hidden_somewhere, small_shown_as_range)
        for rel in releases:
            local = {i: self._cell(canonical(rel, label), rel.table.values[i], rel.status.get(label), seen)
                     for i, label in enumerate(rel.table.labels)}
            for total, parts in rel.table.sums:
                self._sum(local[total], [local[p] for p in parts])
            for smalls, bigs in rel.table.at_most:
                self._at_most([local[i] for i in smalls], [local[i] for i in bigs])
        for key, value, status in pooled:  # a hub's pooled cells, not from any one release
            self._cell(key, value, status, seen)
        self._periods()
        self._selections()
        self._beats(beats or {})
        self._bh_types({t.strip().upper() for t in bh_types})
        self.hidden = hidden_somewhere - shown
        self.masked = frozenset(i for i in self.hidden if i not in small_shown_as_range
                                and 0 < self.table.values[i] < threshold)

    def _cell(self, key: tuple, value, status, seen: tuple[set, set, set]) -> int:
        """The union's index of the cell `key` (the same value in every view that holds it),
        noting in `seen` (shown, hidden, shown as a range) how this view shows it."""
        if key not in self.index:
            self.index[key] = self.table.add(key, value)
        u = self.index[key]
        assert self.table.values[u] == value, f"{key}: {self.table.values[u]} ≠ {value} in another view"
        shown, hidden, ranged = seen
        if status is None:
            shown.add(u)
        else:
            hidden.add(u)
            if status == PRIMARY:
                ranged.add(u)
        return u

    def _sum(self, total, parts):
        try:
            self.table.add_sum(total, parts)
        except ValueError:
            pass

    def _at_most(self, smalls, bigs):
        try:
            self.table.add_at_most(smalls, bigs)
        except ValueError:
            pass

    def _periods(self) -> None:
        """A longer period's cell against the same cell of each month in it."""
        by_rest: dict[tuple, dict[tuple, int]] = {}
        for key, i in self.index.items():
            (start, end), *rest = key
            by_rest.setdefault(tuple(rest), {})[(start, end)] = i
        for rest, cells in by_rest.items():
            months = {p: i for p, i in cells.items() if _n_months(*p) == 1}
            for (start, end), i in cells.items():
                if _n_months(start, end) <= 1:
                    continue
                inside = [j for (s, e), j in months.items() if start <= s and e <= end]
                if not inside:
                    continue
                col = rest[3]
                if rest[2] == "fig" and isinstance(col, str) and is_distinct(col):
                    for j in inside:
                        self._at_most([j], [i])
                    self._at_most([i], inside)
                else:
                    self._sum(i, inside)  # months absent from the union hold 0 of it (else skipped)


    def _selections(self) -> None:
        """A cell over all districts is the sum of the same cell of each district (and over
        all responder types, of each responder type, where the figure is narrowed by it; a
        hub's pooled cell, of each agency's): the two-way tables a viewer makes by opening
        every district's release."""
        for axis in (1, 2, 5):  # 1: district, 2: responder type, 5: agency
            groups: dict[tuple, list[int]] = {}
            for key, i in self.index.items():
                if key[axis] is not None:
                    rest = key[:axis] + (None,) + key[axis + 1:]
                    groups.setdefault(rest, []).append(i)
            for rest, parts in groups.items():
                col = rest[4]
                total = self.index.get(rest)
                if total is None or (isinstance(col, str) and is_distinct(col)):
                    continue
                self._sum(total, parts)  # holds only when every part is in the union (else skipped)

    def _beats(self, beats: dict) -> None:
        """A district's cell is the sum of the same cell of the beats inside it."""
        if not beats:
            return
        groups: dict[tuple, dict[str, list[int]]] = {}
        districts: dict[tuple, int] = {}
        for key, i in self.index.items():
            p, d, r, what, col, a = key
            if d is None and isinstance(what, tuple) and what[0] == "beat" and what[1] in beats:
                groups.setdefault((p, r, col, a), {}).setdefault(beats[what[1]], []).append(i)
            elif what == "fig" and d is not None:
                districts[(p, d, r, col, a)] = i
        for (p, r, col, a), by_district in groups.items():
            if isinstance(col, str) and is_distinct(col):
                continue
            for d, parts in by_district.items():
                if (p, d, r, col, a) in districts:
                    self._sum(districts[(p, d, r, col, a)], parts)  # beats absent from the union hold 0

    def _bh_types(self, listed: set) -> None:
        """A listed call type's calls are BH calls (where that holds: CAD's flag can differ)."""
        for key, i in self.index.items():
            p, d, r, what, col, a = key
            if col == "calls_total" and isinstance(what, tuple) and what[0] == "call_type" \
                    and str(what[1]).strip().upper() in listed:
                j = self.index.get((p, d, r, what, "bh_calls", a))
                if j is not None:
                    self._sum(i, [j])


def _n_months(start: date, end: date) -> int:
    if start.day != 1 or end.day != 1:
        return 0
    return (end.year - start.year) * 12 + end.month - start.month


def recovered(releases, threshold: int = 11, beats: dict | None = None, bh_types=(), pooled=()) -> list[tuple]:
    """Canonical keys of the cells 1..threshold−1 that the union of `releases` gives away
    to a reader who also knows `beats` (beat → its district) and `bh_types` (see above).
    `pooled`: a hub's pooled cells as (canonical key, value, status: None if shown)."""
    from pmhc.suppression import Rules

    from .test_suppression import readable_cells

    u = Union(releases, threshold, beats, bh_types, pooled)
    found = readable_cells(u.table, set(u.hidden), Rules(threshold=threshold), u.masked)
    return [u.table.labels[i] for i in found if 0 < u.table.values[i] < threshold]
