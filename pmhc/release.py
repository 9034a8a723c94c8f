"""The one public release: every figure a public view or export may show, suppressed together.

Why one table: complementary suppression protects a small count only if no view shows a
cell it hid. So for one selection (period, district, responder type) every count that
public pages and exports can show — the period's figures, every breakdown (month,
district, responder type, kind of contact, and for all districts call type and beat),
the outcome counts and the weekday × hour grid — goes into one `suppression.CellTable`
together with every relation a reader knows between them (definitional identities such
as BH calls = co-responded + not, breakdowns adding up to the period total, distinct
people counted at most once per bucket, beats inside their districts, the published BH
call-type list), and is protected in one pass. Public views only *read* this release, so a page
or export that shows any part of it shows nothing the audit did not allow.

Rates, averages, hours and dollar estimates are never cells of their own: each is hidden
when any count it is built on is hidden (`DERIVED`), and flagged unstable when one of
its numerators is under `[privacy] unstable_numerator`. A figure this module knows
nothing about is withheld from the public rather than shown unchecked.

Across selections: a district- or responder-filtered release also hides every count that
the unfiltered release hides in that district's (responder type's) row, so picking the
district in the filter does not reveal a cell hidden in the district table.

Its size (~670 lines) is earned: the cells, the relations between them and the cross-selection
inheritance must be built in one place, because a relation left out of the one table is a
small count a reader can subtract back.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace

import pandas as pd

from . import definitions, figures, metrics, present, publication, schema, sql, suppression
from .config import AgencyConfig, load_agency
from .suppression import COMPLEMENTARY, MASKED, PRIMARY, CellTable, Rules

DERIVED_HIDDEN = "derived"  # a rate / average / estimate built on a hidden count
UNCHECKED = "unchecked"  # not a figure the release knows how to check: never public
BYS = ("month", "district", "responder_type", "contact_type")
# Breakdowns by a categorical column of the export (call type, beat: figures.CATEGORIES).
# Published for all districts and responder types together only: a district's (or a
# responder type's) own table by call type, next to the all-districts one, would make a
# two-way table whose margins give small cells away, and protecting every such pair is
# more than a public view needs.
CATEGORY_BYS = figures.CATEGORIES
# A district's (or responder type's) own release holds its figures and its months only.
# Its table by responder type, kind of contact, hour or outcome would be one row of a
# two-way table (district × responder type, district × hour, ...) whose other rows are the
# other districts' releases and whose margins the all-districts release shows: protected
# one release at a time, the union of them gave 58 small counts of January 2025 back to
# the union attacker (tests/test_public_union.py). Those breakdowns are published for all
# districts and responder types together, where one release protects them with their
# margins; a public view of a district says so instead of drawing them.
SELECTION_BYS = ("month",)
SELECTION_ONLY = "all selections only"  # state of a breakdown a filtered release does not publish
SELECTION_ONLY_REASON = ("published for all districts and responder types together only: within one district or "
                         "responder type, beside the others, it could give small counts away")
HEADLINE = "total"  # view name of the period's own figures (bucket "all")

SUPPRESSED_TEXT = present.SUPPRESSED_TEXT
UNSTABLE_MARK = present.UNSTABLE_MARK
UNSTABLE_NOTE = "† unstable: fewer than {n} events in the numerator, so it moves a lot by chance."

# ------------------------------------------------------------------ what the figures are made of

# Counts: the cells of the release; rates, averages and estimates: what they are built on.
# All declared once in the figure registry (pmhc/figures.py).
COUNTS = figures.release_counts()
_REPEAT = figures._REPEAT
# Distinct people: a person is counted once per bucket, so buckets do not add up to the total.
DISTINCT = figures.release_distinct()
IDENTITIES = figures.IDENTITIES
AT_MOST = figures.AT_MOST

# Outcome counts (outcome_mix) and how they tie to the figures of the same bucket.
CARE = schema.CARE_OUTCOMES
UNKNOWN_OUTCOMES = ("unknown", "unmapped")


@dataclass(frozen=True)
class Derived:
    """A figure computed from counts: hidden with any of `depends`, unstable when one of
    `numerators` is under the unstable threshold."""

    depends: tuple[str, ...]
    numerators: tuple[str, ...] = ()


def _rate(num: str, den: str) -> Derived:
    return Derived((num, den), (num,))


DERIVED: dict[str, Derived] = {k: Derived(tuple(d), tuple(n)) for k, (d, n) in figures.release_derived().items()}


def derived(key: str) -> Derived | None:
    m = _REPEAT.match(key)
    if m and m.group(1) == "rate":
        return _rate(f"repeat_people_{m.group(2)}d", "people_with_contacts")
    return DERIVED.get(key)


def is_count(key: str) -> bool:
    m = _REPEAT.match(key)
    return key in COUNTS or bool(m and m.group(1) == "people")


def is_distinct(key: str) -> bool:
    return key in DISTINCT or (is_count(key) and key.startswith("repeat_people_"))


# ------------------------------------------------------------------ markers for the dashboard

Withheld, Unstable, NotMeasured = present.Withheld, present.Unstable, present.NotMeasured


def format_value(value, unit: str = "count") -> str:
    """Plain-text figure for exports: the one formatter of pmhc.present."""
    return present.fmt(value, unit)


# ------------------------------------------------------------------ the release

Key = tuple  # (view, bucket, column)


@dataclass
class Release:
    """Every public cell of one selection with its suppression status."""

    filters: metrics.Filters
    rules: Rules
    values: dict  # the period's figures (metrics.headline + savings counts)
    frames: dict[str, pd.DataFrame]  # view → frame (bucket + figure columns / outcome / grid)
    status: dict[Key, str | None] = field(default_factory=dict)  # count cells only
    unprotectable: tuple[Key, ...] = ()
    table: CellTable | None = None  # the cells and relations protected together (for audits)
    selection_only: frozenset = frozenset()  # figures published for all districts/responder types only

    # -- lookups
    def count_value(self, view: str, bucket, column: str):
        if view == HEADLINE:
            return self.values.get(column)
        df = self.frames.get(view)
        if df is None:
            return None
        row = df[df["bucket"] == bucket]
        return None if row.empty or column not in row else row.iloc[0][column]

    def state(self, view: str, bucket, column: str) -> str | None:
        """None (shown), PRIMARY, COMPLEMENTARY, MASKED, DERIVED_HIDDEN or UNCHECKED."""
        key = (view, bucket, column)
        if key in self.status:
            return self.status[key]
        if key in self.selection_only:
            return SELECTION_ONLY
        if view != HEADLINE and view not in self.frames:
            # a view this release does not hold (a breakdown of a filtered selection): never shown
            return SELECTION_ONLY if self.filters.district or self.filters.responder_type else UNCHECKED
        if is_count(column) or view.startswith("mix:") or view == "heatmap":
            v = self.count_value(view, bucket, column)
            if v is None or _nan(v) or v == 0:
                return None  # not in the release because it is 0 / absent: shown as 0
            return UNCHECKED
        d = derived(column)
        if d is None:
            return UNCHECKED
        for dep in d.depends:
            if (view, bucket, dep) in self.selection_only:
                return SELECTION_ONLY
            if (view, bucket, dep) not in self.status:
                return UNCHECKED  # e.g. savings counts have no monthly breakdown: cannot be checked there
            if self.status[(view, bucket, dep)] is not None:
                return DERIVED_HIDDEN
        return None

    def unstable(self, view: str, bucket, column: str) -> bool:
        d = derived(column)
        if d is None:
            return False
        return any(self.rules.unstable(_num(self.count_value(view, bucket, n))) for n in d.numerators)

    def display(self, view: str, bucket, column: str, value, unit: str) -> str:
        return format_value(self.marked(view, bucket, column, value), unit)

    def marked(self, view: str, bucket, column: str, value):
        """The value as a public view shows it: Withheld, Unstable or itself (a figure
        that is not measured stays so: there is nothing to hide)."""
        if isinstance(value, NotMeasured):
            return value
        s = self.state(view, bucket, column)
        if s == PRIMARY:
            return Withheld(self.rules.small_label, f"a count from 1 to {self.rules.threshold - 1}")
        if s == COMPLEMENTARY:
            return Withheld(SUPPRESSED_TEXT, "hidden so that a small count cannot be worked out from the totals")
        if s == MASKED:
            # The reason does not give the range either: that is what "suppressed" hides here.
            return Withheld(SUPPRESSED_TEXT, f"hidden: with other counts (in this view or another) even "
                                             f"{self.rules.small_label} would give counts away")
        if s == DERIVED_HIDDEN:
            return Withheld(SUPPRESSED_TEXT, "built on a suppressed count")
        if s == UNCHECKED:
            return Withheld(SUPPRESSED_TEXT, "not part of the public release")
        if s == SELECTION_ONLY:
            return Withheld(NOT_PUBLISHED_TEXT, SELECTION_ONLY_REASON)
        if value is not None and not _nan(value) and self.unstable(view, bucket, column):
            return Unstable(float(value))
        return value

    # -- public shapes for the dashboard
    def masked_values(self, values: dict | None = None) -> dict:
        values = self.values if values is None else values
        return {k: self.marked(HEADLINE, "all", k, v) for k, v in values.items()}

    def masked_frame(self, df: pd.DataFrame, view: str, bucket_col: str = "bucket") -> pd.DataFrame:
        """A metrics frame (bucket + figure columns) with hidden cells as Withheld."""
        out = df.copy()
        for col in out.columns:
            if col == bucket_col:
                continue
            cells = [self.marked(view, b, col, v) for b, v in zip(out[bucket_col], out[col])]
            if any(isinstance(c, (Withheld, Unstable)) for c in cells):
                out[col] = pd.Series(cells, index=out.index, dtype=object)
        return out

    def masked_mix(self, df: pd.DataFrame, by: str) -> pd.DataFrame:
        out = df.copy()
        view = f"mix:{by}"
        cells = [self.marked(view, b, o, v) for b, o, v in zip(out["bucket"], out["outcome"], out["contacts"])]
        if any(isinstance(c, Withheld) for c in cells):
            out["contacts"] = pd.Series(cells, index=out.index, dtype=object)
        return out

    def masked_heatmap(self, df: pd.DataFrame) -> pd.DataFrame:
        out = df.copy()
        cells = [self.marked("heatmap", (int(w), None if pd.isna(h) else int(h)), "bh_calls", v)
                 for w, h, v in zip(out["weekday"], out["hour"], out["bh_calls"])]
        if any(isinstance(c, Withheld) for c in cells):
            out["bh_calls"] = pd.Series(cells, index=out.index, dtype=object)
        return out


def _nan(v) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA


def _num(v):
    return None if v is None or _nan(v) else float(v)


# ------------------------------------------------------------------ building it

def bys_of(filters: metrics.Filters) -> tuple[str, ...]:
    """The breakdowns the release of a selection holds: every one for all districts and
    responder types, the months only for a district or a responder type (SELECTION_BYS)."""
    return SELECTION_BYS if filters.district or filters.responder_type else BYS + CATEGORY_BYS


def _by_frame(con, filters: metrics.Filters, by: str, cfg: AgencyConfig, cov=None) -> pd.DataFrame:
    """Every figure query that has the breakdown, merged: the numbers the pages show
    (metrics.values_by: outcomes counted on calls where the selection counts them so)."""
    if by == "month":
        return metrics.monthly(con, filters, cfg).rename(columns={"month": "bucket"})
    frame: pd.DataFrame | None = None
    for q, bys in metrics.BREAKDOWNS.items():
        if by not in bys:
            continue
        df = metrics.values_by(con, q, filters, by, cfg, cov)
        if frame is None:
            frame = df
            continue
        new = [c for c in df.columns if c == "bucket" or c not in frame.columns]
        frame = frame.merge(df[new], on="bucket", how="outer")
    frame = frame if frame is not None else pd.DataFrame({"bucket": []})
    for c in frame.columns:
        if c != "bucket" and is_count(c):
            frame[c] = frame[c].fillna(0)
    return frame.sort_values("bucket", key=lambda s: s.astype(str)).reset_index(drop=True)


def _savings_counts(con, filters: metrics.Filters) -> dict:
    row = sql.one(con, "savings_counts", filters.params())
    return {k: int(v or 0) for k, v in row.items()}


class _Builder:
    """Collects the cells and relations of one release."""

    def __init__(self):
        self.table = CellTable()
        self.idx: dict[Key, int] = {}

    def cell(self, key: Key, value, cost: float) -> None:
        if value is None or _nan(value):
            value = 0
        self.idx[key] = self.table.add(key, value, cost)

    def get(self, key: Key) -> int | None:
        return self.idx.get(key)

    def same_bucket(self, view: str, bucket, from_calls: bool = False) -> None:
        for total, parts in IDENTITIES + (figures.CALL_IDENTITIES if from_calls else ()):
            self.equal(total, parts, view, bucket)
        for smalls, bigs in AT_MOST:
            self.at_most([(view, bucket, s) for s in smalls], [(view, bucket, b) for b in bigs])
        # repeat people per window: nested windows, and never more than the people counted
        windows = sorted(int(m.group(2)) for key in self._columns(view, bucket)
                         if (m := _REPEAT.match(key)) and m.group(1) == "people")
        for w in windows:
            self.at_most([(view, bucket, f"repeat_people_{w}d")], [(view, bucket, "people_with_contacts")])
        for a, b in zip(windows, windows[1:]):
            self.at_most([(view, bucket, f"repeat_people_{a}d")], [(view, bucket, f"repeat_people_{b}d")])

    def _columns(self, view: str, bucket) -> list[str]:
        return [k[2] for k in self.idx if k[0] == view and k[1] == bucket]

    def equal(self, total: str, parts: Iterable[str], view: str, bucket) -> None:
        self.sum_of((view, bucket, total), [(view, bucket, p) for p in parts])

    def sum_of(self, total: Key, parts: list[Key]) -> None:
        t = self.get(total)
        ps = [self.get(p) for p in parts]
        if t is None or any(p is None for p in ps):
            return
        try:
            self.table.add_sum(t, ps)
        except ValueError:
            pass  # does not hold in this data (e.g. a query changed): not a relation a reader can use

    def at_most(self, smalls: list[Key], bigs: list[Key]) -> None:
        s = [self.get(k) for k in smalls]
        b = [self.get(k) for k in bigs]
        if any(i is None for i in s + b):
            return
        try:
            self.table.add_at_most(s, b)
        except ValueError:
            pass


def _headline_cost(key: str, figs: dict) -> float:
    fig = figs.get(key)
    return 1000.0 if fig is not None and fig.headline else 100.0


def build(con, filters: metrics.Filters, cfg: AgencyConfig | None = None,
          assumptions: metrics.Assumptions | None = None, inherit: bool = True,
          parent: Callable[[metrics.Filters], "Release"] | None = None,
          months: list["Release"] | None = None) -> Release:
    """The public release of one selection (see the module docstring).

    `parent` gives the release of a wider selection (the same without the district or
    responder-type filter) when the caller keeps them, e.g. cached by the dashboard;
    without it they are built here. `months` are the published releases of the months a
    longer period is made of (see `published`): every cell they hide stays hidden here.
    """
    cfg = cfg or load_agency()
    rules = Rules.from_config(cfg)
    figs = definitions.by_key(cfg.repeat_windows_days, cfg.repeat_min_contacts)
    values = dict(metrics.headline(con, filters, cfg, assumptions))
    savings_counts = _savings_counts(con, filters)
    values.update(savings_counts)
    selection = bool(filters.district or filters.responder_type)
    cov = metrics.coverage(con, filters, assumptions, cfg)
    bys = bys_of(filters)
    frames = {by: _by_frame(con, filters, by, cfg, cov) for by in bys}
    for by in CATEGORY_BYS:  # only the figures shown by category are published by it
        if by in frames:
            frames[by] = frames[by][[c for c in frames[by].columns if c == "bucket" or c in figures.CATEGORY_FIGURES]]
    mix_bys = (HEADLINE, *[by for by in BYS if by in bys])
    for by in mix_bys:
        frames[f"mix:{by}"] = metrics.outcome_mix(con, filters, by)
    if not (filters.district or filters.responder_type):
        frames["heatmap"] = metrics.heatmap(con, filters)

    b = _Builder()
    # 1. the period's figures
    for k, v in values.items():
        # The savings counts have no breakdown by district in the wider release, so a
        # district's would be a slice tied to nothing there: published for all districts only.
        if is_count(k) and not (selection and k in savings_counts):
            b.cell((HEADLINE, "all", k), v, _headline_cost(k, figs))
    b.same_bucket(HEADLINE, "all", cov.from_calls)
    # 2. breakdowns: each bucket's identities, and each additive count adding up to the period's
    for by in bys:
        df = frames[by]
        counts = [c for c in df.columns if c != "bucket" and is_count(c)]
        for _, row in df.iterrows():
            for c in counts:
                b.cell((by, row["bucket"], c), row[c], 1.0)
            b.same_bucket(by, row["bucket"], cov.from_calls)
        for c in counts:
            keys = [(by, bucket, c) for bucket in df["bucket"]]
            if is_distinct(c):
                for k in keys:  # a bucket's people are some of the period's people ...
                    b.at_most([k], [(HEADLINE, "all", c)])
                b.at_most([(HEADLINE, "all", c)], keys)  # ... and every person is in some bucket
            else:
                b.sum_of((HEADLINE, "all", c), keys)
    if "call_type" in bys:
        _bh_call_types(b, frames["call_type"], cfg)
    if "beat" in bys:
        _beats_in_districts(b, con, filters, frames)
    # 3. outcome counts: per bucket they add up to the contacts, and tie to the outcome figures
    for by in mix_bys:
        view, mix = f"mix:{by}", frames[f"mix:{by}"]
        fig_view = HEADLINE if by == HEADLINE else by
        cost = 50.0 if by == HEADLINE else 1.0
        for bucket, o, n in zip(mix["bucket"], mix["outcome"], mix["contacts"]):
            b.cell((view, bucket, str(o)), n, cost)
        for bucket, grp in mix.groupby("bucket", sort=False):
            bucket_key = "all" if by == HEADLINE else bucket
            outs = [str(o) for o in grp["outcome"]]
            k = lambda o: (view, bucket, o)  # noqa: E731
            b.sum_of((fig_view, bucket_key, "contacts_total"), [k(o) for o in outs])
            b.sum_of((fig_view, bucket_key, "care_connections"), [k(o) for o in outs if o in CARE])
            b.sum_of((fig_view, bucket_key, "involuntary_holds"), [k(o) for o in outs if o == "involuntary_hold"])
            b.sum_of((fig_view, bucket_key, "unknown_outcome_contacts"),
                     [k(o) for o in outs if o in UNKNOWN_OUTCOMES])
            b.sum_of((fig_view, bucket_key, "known_outcome_contacts"),
                     [k(o) for o in outs if o not in UNKNOWN_OUTCOMES])
            if "arrest" in outs:
                b.at_most([k("arrest")], [(fig_view, bucket_key, "contacts_ending_in_arrest")])
        if by != HEADLINE:  # each outcome over the buckets adds up to the period's outcome count
            for o, grp in mix.groupby("outcome", sort=False):
                b.sum_of(("mix:total", "all", str(o)), [(view, bucket, str(o)) for bucket in grp["bucket"]])
    # 4. the weekday × hour grid adds up to the period's BH calls
    # (a call whose export gave the day but not the hour is a cell of its own: hour None)
    heat = frames.get("heatmap", pd.DataFrame({"weekday": [], "hour": [], "bh_calls": []}))
    slots = [(int(w), None if pd.isna(h) else int(h)) for w, h in zip(heat["weekday"], heat["hour"])]
    for slot, n in zip(slots, heat["bh_calls"]):
        b.cell(("heatmap", slot, "bh_calls"), n, 1.0)
    b.sum_of((HEADLINE, "all", "bh_calls"), [("heatmap", slot, "bh_calls") for slot in slots])

    forced, forced_masked = _inherited(con, filters, cfg, assumptions, b, parent) if inherit else ([], [])
    if months:
        below, below_masked = _from_months(b.table, months, rules)
        forced += below
        forced_masked += below_masked
    prot = suppression.protect(b.table, rules, forced=forced, forced_masked=forced_masked)
    keys = b.table.labels
    status = {keys[i]: prot.status[i] for i in range(len(keys))}
    _mask_selection_rows(status)
    _one_month_same_status(status, filters)
    return Release(filters, rules, values, frames, status, tuple(keys[i] for i in prot.unprotectable), b.table,
                   frozenset((HEADLINE, "all", k) for k in savings_counts) if selection else frozenset())


def _bh_call_types(b: _Builder, frame: pd.DataFrame, cfg: AgencyConfig) -> None:
    """The BH rule is published: every call of a type on the agency's BH list is a BH call
    (unless CAD's bh_flag says otherwise). Where that holds, a reader knows a listed type's
    BH calls from its calls, so the two are tied (sum_of adds only relations that hold)."""
    listed = {t.strip().upper() for t in cfg.bh_call_types}
    for bucket in frame["bucket"]:
        if str(bucket).strip().upper() in listed:
            b.sum_of(("call_type", bucket, "calls_total"), [("call_type", bucket, "bh_calls")])


def _beats_in_districts(b: _Builder, con, filters: metrics.Filters, frames: dict) -> None:
    """Beats lie inside districts: a district's count is at most the sum of its beats'
    counts, and a beat's at most the sum of its districts' (equal when every beat is in
    one district), so a beat's small count is not its district minus the other beats."""
    pairs = sql.df(con, "beat_districts", {k: v for k, v in filters.params().items()
                                           if k in ("start", "end", "district")})
    if pairs.empty or "district" not in frames:
        return
    beats_of = pairs.groupby("district")["beat"].apply(list).to_dict()
    districts_of = pairs.groupby("beat")["district"].apply(list).to_dict()
    columns = [c for c in frames["beat"].columns if c != "bucket" and is_count(c) and not is_distinct(c)
               and c in frames["district"].columns]
    for c in columns:
        for d, beats in beats_of.items():
            b.at_most([("district", d, c)], [("beat", x, c) for x in beats])
        for x, districts in districts_of.items():
            b.at_most([("beat", x, c)], [("district", d, c) for d in districts])


# Views whose rows are the headline of another selection (picking the district or responder type).
SELECTION_VIEWS = ("district", "responder_type", "mix:district", "mix:responder_type")


def _mask_selection_rows(status: dict) -> None:
    """A small count in a district's or responder type's row is "suppressed", never "<11".

    Why: that row is the headline of the district's own release (the filter), where it is
    the total of further breakdowns — by month, responder type, hour — that this release
    never sees. There its range gives the parts away when they fill it: at threshold 3, a
    total shown as "<3" made of two hidden (so non-zero) parts is 1 + 1, and the district's
    release, finding that, shows the total as "suppressed"; a "<3" here would give the range
    back. Showing less than the audit allowed is always safe for this release, and the
    district's release inherits "suppressed" (`_inherited`), so both views say the same.
    """
    for key, s in status.items():
        if s == PRIMARY and key[0] in SELECTION_VIEWS:
            status[key] = MASKED


def _twin(own: Key, value, wider: "Release", by: str, bucket) -> Key | None:
    """The cell of the wider release that is the same number as `own` of this release: the
    wider release's row for this bucket (mix:<by> for the outcome counts), or, for a figure
    the filter does not narrow (the responder filter and CAD call figures), its headline."""
    view, _, col = own
    if view == HEADLINE:
        if (by, bucket, col) in wider.status:
            return (by, bucket, col)
        if (HEADLINE, "all", col) in wider.status and wider.table is not None and \
                wider.table.values[wider.table.index((HEADLINE, "all", col))] == value:
            return (HEADLINE, "all", col)
    elif view == "mix:total" and (f"mix:{by}", bucket, col) in wider.status:
        return (f"mix:{by}", bucket, col)
    return None


def _one_month_same_status(status: dict, filters: metrics.Filters) -> None:
    """A one-month selection's month row is its headline (and its outcome counts by month
    its outcome counts): one cell shown twice says the same in both places. The audit
    already hides both or neither (the row adds up to the headline); this keeps a small one
    "suppressed" in the month chart when the headline says so, since a "<11" there would
    give back the range the headline hides."""
    if filters.period.n_months != 1 or not filters.period.whole_months:
        return
    month = f"{filters.period.start:%Y-%m}"
    for (view, bucket, col), s in list(status.items()):
        twin = {"month": (HEADLINE, "all", col), "mix:month": ("mix:total", "all", col)}.get(view)
        if twin is None or str(bucket) != month or twin not in status:
            continue
        if MASKED in (s, status[twin]):
            status[(view, bucket, col)] = status[twin] = MASKED


def _inherited(con, filters, cfg, assumptions, b: _Builder, parent=None) -> tuple[list[int], list[int]]:
    """A filtered release's own figures are cells of the wider release too (`_twin`): what
    the wider one hides stays hidden here (a small one it shows as "suppressed" stays so),
    what it shows is known to a reader, so it is not a complement here (EXPOSED_COST), and a
    figure with no twin — a slice of the district that no other view ties to the rest — is
    hidden, since protecting it on its own could not account for the other districts."""
    forced: list[int] = []
    forced_masked: list[int] = []
    parents = []
    if filters.district:
        parents.append((replace(filters, district=None), "district", filters.district))
    if filters.responder_type:
        parents.append((replace(filters, responder_type=None), "responder_type", filters.responder_type))
    for parent_filters, by, bucket in parents:
        wider = parent(parent_filters) if parent is not None else build(con, parent_filters, cfg, assumptions)
        for own, i in b.idx.items():
            if own[0] not in (HEADLINE, "mix:total"):
                continue  # months: tied to the months' own releases (`published`)
            twin = _twin(own, b.table.values[i], wider, by, bucket)
            s = wider.status.get(twin) if twin is not None else COMPLEMENTARY
            if s:
                if b.table.values[i]:
                    forced.append(i)
                if s == MASKED:
                    forced_masked.append(i)
            else:
                b.table.cost[i] *= EXPOSED_COST
    return forced, forced_masked


# ------------------------------------------------------------------ published periods, protected together

EXPOSED_COST = 1e6  # a complement whose months are all shown would be the sum of them: last resort


PUBLISHED_KINDS = ("one month, a quarter, a calendar year, a fiscal year or a grant period the administrator "
                   "published")
NOT_PUBLISHED_TEXT = "not published"
ONE_FILTER_TEXT = ("Public figures narrow by district or by responder type, one at a time: a district's "
                   "figures for one responder type would be a cell of a district × responder-type table "
                   "whose other cells and totals are public too")


def not_published_reason(period, grant_periods=()) -> str:
    """Why a public release of this range is refused: the one wording for the CLI and the Reports page."""
    names = ", ".join(f"{g.name} ({g.months_label})" for g in grant_periods)
    return (f"{period.label} is not a published period: a public release covers {PUBLISHED_KINDS}"
            + (f" (published: {names})" if names else " (none published)")
            + ", because one of any other range could be differenced against the published months")


def is_published(period, fiscal_year_start_month: int = 1, grant_periods=()) -> bool:
    """Whole months, quarters, calendar and fiscal years, and the grant periods the
    administrator published (pmhc.publication; anything with `start` and `end`): the
    periods public views offer."""
    if not period.whole_months:
        return False
    if any((g.start, g.end) == (period.start, period.end) for g in grant_periods):
        return True
    n, m = period.n_months, period.start.month
    return n == 1 or (n == 3 and m % 3 == 1) or (n == 12 and m in (1, fiscal_year_start_month))


def months_of(period) -> list:
    from .periods import Period

    out, d = [], period.start
    while d < period.end:
        out.append(Period.month(d.year, d.month))
        d = out[-1].end
    return out


def published(con, filters: metrics.Filters, cfg: AgencyConfig | None = None,
              assumptions: metrics.Assumptions | None = None, cache: dict | None = None,
              release_of: Callable[[metrics.Filters], "Release"] | None = None) -> Release:
    """The public release of a published period, protected together with its months.

    Why: a quarter shown exactly next to its first two months gives the third (Q1 − Jan −
    Feb = Mar), and a year next to its quarters, a fiscal year next to the calendar years,
    a grant period next to any of them, the same. A longer period is the sum of its
    months, so it is safe when it adds nothing to them: every cell of a quarter, year,
    fiscal year or grant period whose month cells include a hidden one is hidden too (a
    small one shown as "suppressed", never "<11", since a range on a sum of ranges can
    pin them), and its own complementary cells come from
    cells already hidden in some month wherever possible (`EXPOSED_COST`). A cell shown
    in the longer period then equals the sum of cells shown in the months, so differencing
    periods finds nothing new. The months themselves are protected as before, with the
    district and responder-type rows they inherit from the unfiltered month.

    `release_of` builds (or fetches, e.g. cached by the dashboard) the published release of
    another selection; by default this function with a shared `cache`. The grant periods
    it accepts are those of the selection's agency (pmhc.publication.agency_of): in a hub,
    one agency's grant period is no published period of another or of a pooled selection.
    """
    cfg = cfg or load_agency()
    if not is_published(filters.period, cfg.fiscal_year_start_month) and (
            con is None or not is_published(filters.period, cfg.fiscal_year_start_month, publication.grant_periods(
                con, publication.agency_of(filters.agencies)))):
        raise ValueError(f"{filters.period.label} is not a published period: public views show whole months, "
                         "quarters, calendar years, fiscal years and the grant periods the administrator published")
    if filters.district and filters.responder_type:
        raise ValueError(ONE_FILTER_TEXT)
    cache = {} if cache is None else cache
    key = (filters.period.start, filters.period.end, filters.district, filters.responder_type, filters.agencies)
    if key in cache:
        return cache[key]
    if release_of is None:
        def release_of(f):
            return published(con, f, cfg, assumptions, cache)
    parts = months_of(filters.period)
    months = [release_of(replace(filters, period=m)) for m in parts] if len(parts) > 1 else None
    rel = build(con, filters, cfg, assumptions, parent=release_of, months=months)
    cache[key] = rel
    return rel


def _month_targets(label: Key, months: list["Release"]) -> list[tuple["Release", Key]]:
    """The same cell in each month's release (a month view's bucket is one month's headline)."""
    view, bucket, col = label
    if view == "month":
        return [(m, (HEADLINE, "all", col)) for m in months if f"{m.filters.period.start:%Y-%m}" == str(bucket)]
    if view == "mix:month":
        return [(m, ("mix:total", "all", col)) for m in months if f"{m.filters.period.start:%Y-%m}" == str(bucket)]
    return [(m, label) for m in months]


def _from_months(table: CellTable, months: list["Release"], rules: Rules) -> tuple[list[int], list[int]]:
    forced, forced_masked = [], []
    for i, label in enumerate(table.labels):
        hidden = [m.status.get(k) for m, k in _month_targets(label, months) if m.status.get(k)]
        if hidden:
            forced.append(i)
            if rules.is_small(table.values[i]):
                forced_masked.append(i)
        else:
            table.cost[i] *= EXPOSED_COST
    return forced, forced_masked


# ------------------------------------------------------------------ public tables (exports)

PUBLIC_COLUMNS = ["key", "label", "unit", "value", "display", "suppressed", "unstable", "definition"]


def public_headline(con, filters: metrics.Filters, cfg: AgencyConfig | None = None,
                    assumptions: metrics.Assumptions | None = None, rel: Release | None = None) -> pd.DataFrame:
    """Every public figure of the period: exact value only where it may be shown.

    `value` is None for a suppressed figure (so an export cannot leak it), `display` is
    what to print ("<11", "suppressed", "45.0% †" or the formatted value).
    """
    cfg = cfg or load_agency()
    rel = rel or build(con, filters, cfg)
    values = dict(rel.values)
    if assumptions is not None:
        values.update(metrics.savings(con, filters, assumptions, values))
    rows = []
    for fig in definitions.figures(cfg.repeat_windows_days, cfg.repeat_min_contacts):
        if not fig.public or fig.key not in values:
            continue
        marked = rel.marked(HEADLINE, "all", fig.key, values[fig.key])
        hidden = isinstance(marked, Withheld)
        rows.append({
            "key": fig.key, "label": fig.label, "unit": fig.unit,
            "value": None if hidden else values[fig.key], "display": format_value(marked, fig.unit),
            "suppressed": hidden, "unstable": isinstance(marked, Unstable), "definition": fig.definition,
        })
    return pd.DataFrame(rows, columns=PUBLIC_COLUMNS)


def public_breakdown(con, query: str, filters: metrics.Filters, by: str, columns: Iterable[str] | None = None,
                     cfg: AgencyConfig | None = None, rel: Release | None = None,
                     with_total: bool = True) -> pd.DataFrame:
    """One figure query by bucket, long form: bucket, then the public_headline columns.

    The "Total" rows are the period's figures, suppressed exactly as in public_headline.
    """
    cfg = cfg or load_agency()
    rel = rel or build(con, filters, cfg)
    df = metrics.breakdown(con, query, filters, by, cfg)
    if by == "month":
        df = rel.frames["month"]
    figs = definitions.by_key(cfg.repeat_windows_days, cfg.repeat_min_contacts)
    cols = list(columns) if columns is not None else [c for c in metrics.run(con, query, filters, "total", cfg).columns
                                                      if c != "bucket"]
    rows = []
    for col in cols:
        fig = figs.get(col)
        if fig is not None and not fig.public:
            continue
        unit = fig.unit if fig else ("count" if is_count(col) else "rate")
        cells = [(bucket, by, bucket, df.loc[i, col] if col in df else None) for i, bucket in df["bucket"].items()]
        if with_total:
            cells.append(("Total", HEADLINE, "all", rel.values.get(col)))
        for shown_bucket, view, bucket, value in cells:
            marked = rel.marked(view, bucket, col, _py(value))
            hidden = isinstance(marked, Withheld)
            rows.append({
                "bucket": shown_bucket, "key": col, "label": fig.label if fig else col.replace("_", " "),
                "unit": unit, "value": None if hidden else _py(value), "display": format_value(marked, unit),
                "suppressed": hidden, "unstable": isinstance(marked, Unstable),
                "definition": fig.definition if fig else "",
            })
    return pd.DataFrame(rows, columns=["bucket", *PUBLIC_COLUMNS])


def _py(v):
    if isinstance(v, NotMeasured):
        return v  # stays "not measured" (with its reason), not a blank
    if v is None or _nan(v):
        return None
    return v.item() if hasattr(v, "item") else v


def public_compare(con, filters: metrics.Filters, keys: list[str] | None = None,
                   cfg: AgencyConfig | None = None, rels: dict | None = None) -> pd.DataFrame:
    """metrics.compare for the public: each period's value as its own release shows it, and
    a change only between two shown values (a change from a hidden count would reveal it).
    `rels[col] = None` says that period is not published (the previous period of a grant
    period, say): its values are withheld as "not published", never built on their own."""
    cfg = cfg or load_agency()
    table = metrics.compare(con, filters, keys, cfg)
    rels = rels or {}
    periods = {"value": filters, "previous": filters.with_period(filters.period.previous()),
               "year_ago": filters.with_period(filters.period.year_ago())}
    for col, f in periods.items():
        if col in rels and rels[col] is None:  # not a published period: no public figures to compare with
            why = Withheld(NOT_PUBLISHED_TEXT, not_published_reason(f.period))
            table[col] = pd.Series([why] * len(table), index=table.index, dtype=object)
            continue
        rel = rels.get(col) or build(con, f, cfg)
        table[col] = pd.Series([rel.marked(HEADLINE, "all", k, _py(v)) for k, v in zip(table["key"], table[col])],
                               index=table.index, dtype=object)
    for change, other in (("change_vs_previous", "previous"), ("change_vs_year_ago", "year_ago")):
        hidden = [isinstance(a, Withheld) or isinstance(b, Withheld) for a, b in zip(table["value"], table[other])]
        table[change] = [None if h else _py(c) for h, c in zip(hidden, table[change])]
    return table


def public_savings(con, filters: metrics.Filters, assumptions: metrics.Assumptions, scenario: str = "value",
                   rel: Release | None = None) -> dict:
    """Savings under (what-if) assumptions; hidden exactly when the counts under them are."""
    rel = rel or build(con, filters)
    result = metrics.savings(con, filters, assumptions, scenario=scenario)
    result.update(_savings_counts(con, filters))
    return rel.masked_values(result)
