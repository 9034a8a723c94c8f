"""Small-count suppression for public releases: primary, complementary, and an exact audit.

Why three steps: hiding a count of 4 is useless if the same view shows the total and every
other part, because anyone can subtract. So (1) *primary* suppression hides every count
from 1 to threshold−1 (shown as "<11"); (2) *complementary* suppression hides further
cells so that no hidden cell can be worked out from the cells and totals shown with it;
(3) an *audit* proves (2) for the actual table by integer programming, and the loop adds
cells until the audit passes. The heuristics in (2) keep the loss small; the audit makes
the result safe whatever the heuristics missed.

What the audit assumes a reader knows (the attacker model):

- every shown cell exactly, and that counts are non-negative integers;
- the view's additive relations (a total equals the sum of its parts) and its
  "at most" relations (a part never exceeds its whole), from the published definitions;
- a cell shown as "<11" lies in 1..threshold−1;
- a cell hidden for protection lies in threshold..∞ (small counts are normally shown as
  "<11", so a reader can tell the two kinds apart; complementary cells are never zeros);
- a cell shown as "suppressed" because even "<11" would give it away (MASKED, below) lies
  in 1..∞: a reader cannot tell it from a complementary cell, so the audit gives it the
  weaker bound (and still assumes the stronger one for the complementary cells).

Small counts can pin each other through their "<11" ranges alone, whatever else is
hidden: a total of 2 made of two buckets of 1 is 1..10 = (1..10) + (1..10) at threshold
11 — fine — but at threshold 3 it is 1..2 = (1..2) + (1..2), which only 1 + 1 = 2
satisfies. When the loop below has nothing left to hide, the small counts around the
stuck cells are shown as "suppressed" instead of "<t" (MASKED), which takes the range
away, and the audit runs again.

A hidden cell is **protected** when at least two different integer values of it are
consistent with all of the above. The audit decides this exactly (scipy.optimize.milp,
HiGHS, with integrality), so "protected" is not an approximation: a passing audit means
there exist two complete tables, both consistent with everything shown, that differ in
that cell. The real table is one of them, which lets most cells be certified with a few
solves: any feasible integer solution that differs from the real table in a cell proves
that cell protected.

Rates follow their counts: a rate whose numerator or denominator is hidden is hidden too
(otherwise rate × denominator gives the numerator back), and a rate whose numerator is
below `unstable_numerator` is flagged unstable.

Its size (~550 lines) is earned: the three steps share one cell table and one audit model, and
the loop between complementary suppression and the audit is only safe when both see the same
relations; split apart, a heuristic could hide cells the audit never checks.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

PRIMARY = "primary"  # a count from 1 to threshold−1
COMPLEMENTARY = "complementary"  # hidden so that a primary cell cannot be worked out
MASKED = "masked"  # a small count shown as "suppressed", not "<t": its range would give it away


@dataclass(frozen=True)
class Rules:
    """The agency's privacy settings (config/agency.toml [privacy])."""

    threshold: int = 11
    unstable_numerator: int = 20

    def __post_init__(self):
        if self.threshold < 3:
            # With threshold 2, "<2" would say the count is exactly 1.
            raise ValueError(f"[privacy] suppression_threshold must be at least 3 (got {self.threshold}): "
                             "a shown range \"<t\" has to contain more than one count")
        if self.unstable_numerator < 0:
            raise ValueError(f"[privacy] unstable_numerator must be ≥ 0 (got {self.unstable_numerator})")

    @classmethod
    def from_config(cls, cfg) -> "Rules":
        return cls(int(cfg.suppression_threshold), int(cfg.unstable_numerator))

    def is_small(self, value) -> bool:
        """A count that must not be shown: 1..threshold−1 (0 and ≥ threshold are shown)."""
        return value is not None and not _isnan(value) and 0 < value < self.threshold

    @property
    def small_label(self) -> str:
        return f"<{self.threshold}"

    def unstable(self, numerator) -> bool:
        """A rate on fewer than `unstable_numerator` events moves a lot by chance."""
        return numerator is not None and not _isnan(numerator) and numerator < self.unstable_numerator


def _isnan(v) -> bool:
    try:
        return math.isnan(v)
    except TypeError:
        return False


# ------------------------------------------------------------------ tables of linked cells

@dataclass
class CellTable:
    """Cells shown together in one view and the relations a reader knows between them.

    A 1-D breakdown with its total is one `sums` relation; a 2-D table with margins has
    one per row and column; figures of one period add their definitional identities
    (e.g. BH calls = co-responded + not co-responded).
    """

    values: list[int] = field(default_factory=list)
    labels: list[Hashable] = field(default_factory=list)
    cost: list[float] = field(default_factory=list)  # reluctance to hide the cell as a complement
    sums: list[tuple[int, tuple[int, ...]]] = field(default_factory=list)  # (total, parts)
    # (smalls, bigs): sum of x[smalls] ≤ sum of x[bigs], e.g. people in a month ≤ people in
    # the period ≤ sum of people over the months (a person can be in several months).
    at_most: list[tuple[tuple[int, ...], tuple[int, ...]]] = field(default_factory=list)

    def add(self, label: Hashable, value, cost: float = 1.0) -> int:
        v = 0 if value is None or _isnan(value) else value
        if v < 0 or int(v) != v:
            raise ValueError(f"cell {label!r}: a count must be a non-negative whole number, got {value!r}")
        self.values.append(int(v))
        self.labels.append(label)
        self.cost.append(float(cost))
        return len(self.values) - 1

    def add_sum(self, total: int, parts: Iterable[int]) -> None:
        parts = tuple(parts)
        if self.values[total] != sum(self.values[p] for p in parts):
            raise ValueError(f"{self.labels[total]!r} is not the sum of its parts "
                             f"({self.values[total]} ≠ {sum(self.values[p] for p in parts)})")
        self.sums.append((total, parts))

    def add_at_most(self, small: int | Iterable[int], big: int | Iterable[int]) -> None:
        smalls = (small,) if isinstance(small, int) else tuple(small)
        bigs = (big,) if isinstance(big, int) else tuple(big)
        lhs, rhs = sum(self.values[i] for i in smalls), sum(self.values[i] for i in bigs)
        if lhs > rhs:
            raise ValueError(f"{[self.labels[i] for i in smalls]} ({lhs}) exceed {[self.labels[i] for i in bigs]} "
                             f"({rhs})")
        self.at_most.append((smalls, bigs))

    def index(self, label: Hashable) -> int:
        return self.labels.index(label)

    def __len__(self) -> int:
        return len(self.values)


@dataclass(frozen=True)
class Protection:
    """Which cells of a CellTable are hidden, and why."""

    status: tuple[str | None, ...]  # None (shown), PRIMARY, COMPLEMENTARY or MASKED per cell
    unprotectable: tuple[int, ...] = ()  # cells the audit could not protect (only if rules make it impossible)

    @property
    def suppressed(self) -> frozenset[int]:
        return frozenset(i for i, s in enumerate(self.status) if s)

    @property
    def masked(self) -> frozenset[int]:
        """Small counts shown as "suppressed" rather than "<t" (see MASKED)."""
        return frozenset(i for i, s in enumerate(self.status) if s == MASKED)

    def is_suppressed(self, i: int) -> bool:
        return self.status[i] is not None


def bounds_for(value: int, rules: Rules, masked: bool = False) -> tuple[int, float]:
    """What a reader knows about a hidden cell from how it is displayed."""
    if masked:
        return (1, math.inf)
    return (1, rules.threshold - 1) if value < rules.threshold else (rules.threshold, math.inf)


# ------------------------------------------------------------------ audit

def _index(table: CellTable) -> tuple[list[tuple[list[tuple[int, float]], bool]], dict[int, list[int]]]:
    """Relations as (cell, coefficient) lists, `True` for equalities, and cell → relations."""
    key = (len(table.values), len(table.sums), len(table.at_most))
    cached = getattr(table, "_index_cache", None)
    if cached is not None and cached[0] == key:
        return cached[1], cached[2]
    rels: list[tuple[list[tuple[int, float]], bool]] = []
    for total, parts in table.sums:
        coef: dict[int, float] = {total: 1.0}
        for p in parts:
            coef[p] = coef.get(p, 0.0) - 1.0
        rels.append((list(coef.items()), True))
    for smalls, bigs in table.at_most:
        coef = {}
        for i in smalls:
            coef[i] = coef.get(i, 0.0) + 1.0
        for i in bigs:
            coef[i] = coef.get(i, 0.0) - 1.0
        rels.append((list(coef.items()), False))
    of: dict[int, list[int]] = {}
    for r, (coef, _) in enumerate(rels):
        for i, _a in coef:
            of.setdefault(i, []).append(r)
    table._index_cache = (key, rels, of)
    return rels, of


def _components(table: CellTable, hidden: set[int]) -> list[list[int]]:
    rels, _ = _index(table)
    parent = {i: i for i in hidden}

    def find(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for coef, _eq in rels:
        h = [i for i, _a in coef if i in hidden]
        for a, b in zip(h, h[1:]):
            parent[find(a)] = find(b)
    groups: dict[int, list[int]] = {}
    for i in sorted(hidden):
        groups.setdefault(find(i), []).append(i)
    return list(groups.values())


def _system(table: CellTable, comp: list[int], hidden: set[int], rules: Rules, masked: frozenset = frozenset()):
    """Integer program of one component: A_eq x = b_eq, A_ub x ≤ b_ub, bounds."""
    rels, of = _index(table)
    pos = {c: k for k, c in enumerate(comp)}
    v = table.values
    eq_rows, eq_rhs, ub_rows, ub_rhs = [], [], [], []
    for r in sorted({r for c in comp for r in of.get(c, [])}):
        coef, is_eq = rels[r]
        row = np.zeros(len(comp))
        rhs = 0.0
        for i, a in coef:
            if i in hidden:
                row[pos[i]] += a
            else:
                rhs -= a * v[i]
        if not row.any():
            continue
        (eq_rows if is_eq else ub_rows).append(row)
        (eq_rhs if is_eq else ub_rhs).append(rhs)
    # "≥ threshold" has no upper bound; a cap far above every value keeps the program
    # bounded without excluding any table a reader could reasonably consider.
    cap = 2 * (sum(v) + rules.threshold) + 1
    lo = np.array([bounds_for(v[c], rules, c in masked)[0] for c in comp], dtype=float)
    hi = np.array([min(bounds_for(v[c], rules, c in masked)[1], cap) for c in comp], dtype=float)
    return eq_rows, eq_rhs, ub_rows, ub_rhs, lo, hi


def _solver(eq_rows, eq_rhs, ub_rows, ub_rhs, lo, hi):
    from scipy.optimize import Bounds, LinearConstraint, milp

    n = len(lo)
    constraints = []
    if eq_rows:
        constraints.append(LinearConstraint(np.array(eq_rows), np.array(eq_rhs), np.array(eq_rhs)))
    if ub_rows:
        constraints.append(LinearConstraint(np.array(ub_rows), -np.inf, np.array(ub_rhs)))
    integrality = np.ones(n)
    bounds = Bounds(lo, hi)

    def solve(c: np.ndarray) -> np.ndarray | None:
        res = milp(c, constraints=constraints, integrality=integrality, bounds=bounds)
        return None if res.x is None else np.round(res.x)

    return solve


def _pinned_in(table: CellTable, comp: list[int], hidden: set[int], rules: Rules,
               masked: frozenset = frozenset()) -> list[int]:
    system = _system(table, comp, hidden, rules, masked)
    lo, hi = system[4], system[5]
    actual = np.array([table.values[c] for c in comp], dtype=float)
    open_ = {k for k in range(len(comp)) if lo[k] < hi[k]}
    out = [comp[k] for k in range(len(comp)) if k not in open_]  # fixed by its display alone
    if not open_:
        return out
    solve = _solver(*system)
    rng = np.random.default_rng(len(comp))  # fixed: the same table always gives the same answer

    def certify(x):
        if x is not None:
            open_.difference_update([k for k in open_ if x[k] != actual[k]])

    # A few broad objectives certify most cells at once; the rest one by one.
    for c in (np.ones(len(comp)), -np.ones(len(comp)),
              rng.choice([-1.0, 1.0], len(comp)), rng.choice([-1.0, 1.0], len(comp))):
        if not open_:
            break
        certify(solve(c))
    for k in sorted(open_):
        if k not in open_:
            continue
        for sign in (-1.0, 1.0):
            c = np.zeros(len(comp))
            c[k] = sign
            certify(solve(c))
            if k not in open_:
                break
        if k in open_:
            out.append(comp[k])
            open_.discard(k)
    return out


def pinned_cells(table: CellTable, hidden: Iterable[int], rules: Rules,
                 cache: dict | None = None, masked: Iterable[int] = ()) -> list[int]:
    """Hidden cells whose value a reader can work out exactly (see the module docstring).

    `cache` (component → answer) lets repeated audits of a growing hidden set re-solve
    only the linked groups that changed: a group's answer depends on nothing else.
    """
    hidden = set(hidden)
    masked = frozenset(masked)
    out: list[int] = []
    for comp in _components(table, hidden):
        key = (frozenset(comp), masked.intersection(comp))
        if cache is not None and key in cache:
            out += cache[key]
            continue
        found = _pinned_in(table, comp, hidden, rules, masked)
        if cache is not None:
            cache[key] = found
        out += found
    return sorted(out)


def feasible_range(table: CellTable, hidden: Iterable[int], cell: int, rules: Rules,
                   masked: Iterable[int] = ()) -> tuple[int, float]:
    """Smallest and largest value of a hidden cell consistent with what is shown (for
    reports and tests; `pinned_cells` is the fast yes/no)."""
    hidden = set(hidden)
    masked = frozenset(masked)
    comp = next(c for c in _components(table, hidden) if cell in c)
    system = _system(table, comp, hidden, rules, masked)
    solve = _solver(*system)
    k = comp.index(cell)
    c = np.zeros(len(comp))
    c[k] = 1.0
    low, high = solve(c), solve(-c)
    lo_v = int(low[k]) if low is not None else table.values[cell]
    hi_v = int(high[k]) if high is not None else table.values[cell]
    unbounded = math.isinf(bounds_for(table.values[cell], rules, cell in masked)[1]) and hi_v >= system[5][k]
    return lo_v, (math.inf if unbounded else hi_v)


# ------------------------------------------------------------------ protection

def protect(table: CellTable, rules: Rules, forced: Iterable[int] = (), audit: bool = True,
            forced_masked: Iterable[int] = ()) -> Protection:
    """Primary + complementary suppression of a CellTable, verified by the audit.

    `forced` cells are hidden whatever their value (they are hidden in another view of the
    same release, and showing them here would undo that); `forced_masked` small cells are
    shown as "suppressed", not "<t", for the same reason.
    """
    v = table.values
    status: list[str | None] = [PRIMARY if rules.is_small(x) else None for x in v]
    for i in forced:
        if v[i] > 0 and status[i] is None:
            status[i] = COMPLEMENTARY
    masked: set[int] = {i for i in forced_masked if status[i] == PRIMARY}
    for i in masked:
        status[i] = MASKED
    members_of: dict[int, list[int]] = {}  # cell → indexes of the exact relations it is in
    # Exact relations: every sum, and every "at most" that is tight in this table (both
    # sides equal). A tight relation with one hidden cell pins it as surely as a sum does
    # (at its upper bound on the small side, its lower bound on the big side), so the
    # cheap step below treats it like one instead of leaving it to rounds of the audit.
    sums = [(t, *p) for t, p in table.sums] + [
        (*a, *b) for a, b in table.at_most if sum(v[i] for i in a) == sum(v[i] for i in b)]
    for r, rel in enumerate(sums):
        for i in set(rel):
            members_of.setdefault(i, []).append(r)
    near: dict[int, list[tuple[int, ...]]] = {}  # cell → every relation it is in (for candidates)
    for rel in [*sums, *((*a, *b) for a, b in table.at_most)]:
        for i in set(rel):
            near.setdefault(i, []).append(rel)
    hidden_count = [sum(1 for i in set(rel) if status[i]) for rel in sums]

    def candidates(rels: Iterable[tuple[int, ...]]) -> list[int]:
        seen = {i for rel in rels for i in rel if status[i] is None and v[i] > 0}
        return sorted(seen, key=lambda i: (table.cost[i], v[i], i))

    queue = [r for r, n in enumerate(hidden_count) if n == 1]

    def hide(i: int) -> None:
        status[i] = COMPLEMENTARY
        for r in members_of.get(i, []):
            hidden_count[r] += 1
            if hidden_count[r] == 1:
                queue.append(r)

    unprotectable: list[int] = []
    cache: dict = {}
    while True:
        # 1. No exact relation may have exactly one hidden cell (it would equal the
        #    total minus the shown parts). Each new hidden cell can create another such
        #    relation, hence the work list.
        while queue:
            r = queue.pop()
            if hidden_count[r] == 1:
                pick = candidates([sums[r]])
                if pick:
                    hide(pick[0])
        if not audit:
            break
        # 2. The exact audit catches what counting misses (bounds, chains of relations).
        #    One more hidden cell per linked group per round keeps the loss small.
        hidden = {i for i, s in enumerate(status) if s}
        pinned = pinned_cells(table, hidden, rules, cache, masked)
        if not pinned:
            break
        added = False
        for comp in _components(table, hidden):
            members = set(comp)
            # Every stuck cell of the group gets its own extra cell this round (one per
            # round made large tables take hundreds of rounds); a cell picked for one
            # stuck cell may free others, which the next audit sees.
            for stuck in [p for p in pinned if p in members]:
                if not _is_pinned(table, hidden, stuck, rules, frozenset(masked)):
                    continue  # freed by a cell picked for another stuck cell this round
                for pick in _unpinning_cells(table, hidden, stuck, comp, near, candidates, rules,
                                             frozenset(masked)):
                    if status[pick] is None:
                        hide(pick)
                        hidden.add(pick)
                        added = True
        if not added:
            # Hiding more cannot help: the "<t" ranges of the small counts pin the stuck
            # cells. Show the small counts among and next to them as "suppressed" and audit again.
            more = {i for p in pinned for rel in [(p,), *near.get(p, [])] for i in rel if status[i] == PRIMARY}
            if more:
                for i in more:
                    status[i] = MASKED
                masked |= more
                continue
            unprotectable = pinned  # only when the rules leave no way (see Rules)
            break
    return Protection(tuple(status), tuple(sorted(set(unprotectable))))


SINGLE_TRIALS = 3  # cheapest single cells tried before searching for a group of cells


def _unpinning_cells(table: CellTable, hidden: set[int], stuck: int, comp: list[int], near, candidates,
                     rules: Rules, masked: frozenset = frozenset()) -> list[int]:
    """The cheapest shown cells whose hiding lets the stuck cell take another value.

    Candidates in order: cheap cells in the stuck cell's own relations, cheap cells
    elsewhere in its linked group, then cells we would rather keep (headline totals).
    The first few are tried alone. Often no single cell will do (a cell pinned through
    several relations needs one more hidden cell in each), so then a small group is
    found by bisection over the candidate list: hiding more cells only widens what a
    reader can infer, so "this prefix frees it" holds for every longer prefix too, and
    the last cell of the shortest freeing prefix is needed; repeat with that cell kept
    until the kept cells alone free it. Each try is two small integer programs on the
    stuck cell's group; a group of m cells costs about m·log2(candidates) tries.
    Empty when there is no candidate left (then only showing small counts as
    "suppressed" instead of "<t" can help; see protect).
    """
    own = candidates(rel for rel in near.get(stuck, []))
    wider = [c for c in candidates(rel for c in comp for rel in near.get(c, [])) if c not in set(own)]
    cheap = min(table.cost)
    order = ([c for c in own if table.cost[c] <= cheap] + [c for c in wider if table.cost[c] <= cheap]
             + sorted([c for c in own + wider if table.cost[c] > cheap], key=lambda c: (table.cost[c], c not in own,
                                                                                     table.values[c], c)))
    for c in order[:SINGLE_TRIALS]:
        if not _is_pinned(table, hidden | {c}, stuck, rules, masked):
            return [c]
    if not order:
        return []
    if _is_pinned(table, hidden | set(order), stuck, rules, masked):
        # Not even all of them together: hide the cheapest, which joins the stuck cell's
        # group to its neighbours, and look again next round with their cells as candidates.
        return order[:1]
    # Invariant: hiding `needed` and order[:limit] frees the stuck cell. Bisect for the
    # shortest such prefix; its last cell is needed (one cell shorter does not free it).
    needed: list[int] = []
    limit = len(order)
    while _is_pinned(table, hidden | set(needed), stuck, rules, masked):
        lo, hi = 0, limit
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if _is_pinned(table, hidden | set(needed) | set(order[:mid]), stuck, rules, masked):
                lo = mid
            else:
                hi = mid
        needed.append(order[hi - 1])
        limit = hi - 1
    return needed


def _is_pinned(table: CellTable, hidden: set[int], cell: int, rules: Rules,
               masked: frozenset = frozenset()) -> bool:
    comp = next(c for c in _components(table, hidden) if cell in c)
    system = _system(table, comp, hidden, rules, masked)
    solve = _solver(*system)
    k = comp.index(cell)
    for sign in (1.0, -1.0):
        c = np.zeros(len(comp))
        c[k] = sign
        x = solve(c)
        if x is not None and x[k] != table.values[cell]:
            return False
    return True


# ------------------------------------------------------------------ common shapes

def one_way(parts: Sequence, total=None, rules: Rules | None = None,
            total_cost: float = 100.0) -> tuple[CellTable, Protection]:
    """A breakdown with (optionally) its total shown in the same view; the total is the
    last cell. Hiding the total is the last resort (it is usually a headline figure)."""
    rules = rules or Rules()
    t = CellTable()
    idx = [t.add(("part", k), x) for k, x in enumerate(parts)]
    if total is not None:
        ti = t.add(("total",), total if total is not True else sum(parts), cost=total_cost)
        t.add_sum(ti, idx)
    return t, protect(t, rules)


def two_way(matrix, rules: Rules | None = None, margins: bool = True,
            margin_cost: float = 100.0) -> tuple[CellTable, Protection]:
    """A rows × columns table with row totals, column totals and the grand total shown."""
    rules = rules or Rules()
    m = np.asarray(matrix, dtype=int)
    rows, cols = m.shape
    t = CellTable()
    cell = {(r, c): t.add(("cell", r, c), m[r, c]) for r in range(rows) for c in range(cols)}
    if margins:
        row_tot = {r: t.add(("row_total", r), m[r].sum(), cost=margin_cost) for r in range(rows)}
        col_tot = {c: t.add(("col_total", c), m[:, c].sum(), cost=margin_cost) for c in range(cols)}
        grand = t.add(("grand_total",), m.sum(), cost=2 * margin_cost)
        for r in range(rows):
            t.add_sum(row_tot[r], [cell[r, c] for c in range(cols)])
        for c in range(cols):
            t.add_sum(col_tot[c], [cell[r, c] for r in range(rows)])
        t.add_sum(grand, list(row_tot.values()))
        t.add_sum(grand, list(col_tot.values()))
    return t, protect(t, rules)


def rate_hidden(numerator_hidden: bool, denominator_hidden: bool) -> bool:
    """A rate is hidden with either of its counts: with the other one shown it would give
    the hidden one back."""
    return bool(numerator_hidden or denominator_hidden)
