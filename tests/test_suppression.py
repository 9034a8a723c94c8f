"""Small-count suppression (pmhc/suppression.py): what a public table may show.

The guarantee, checked on random tables by a solver written here (independent of the
module's own audit, so a bug in the audit cannot hide itself):

- every shown cell is 0 or at least the threshold (11); every count 1–10 is hidden;
- no hidden cell can be worked out: given every shown cell, the totals' sums, that counts
  are whole and non-negative, and what the display says about a hidden cell ("<11" means
  1–10, "suppressed" means 11 or more), each hidden cell can still take at least two values.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import Bounds, LinearConstraint, milp

from pmhc import suppression
from pmhc.suppression import COMPLEMENTARY, MASKED, PRIMARY, CellTable, Rules

RULES = Rules(threshold=11, unstable_numerator=20)


# ------------------------------------------------------------------ an independent attacker

def reader_range(table: CellTable, hidden: set[int], cell: int, rules: Rules,
                 masked: frozenset = frozenset()) -> tuple[int, int]:
    """Smallest and largest whole value of a hidden cell that agrees with everything shown."""
    low, high, _ = _range_with_solutions(table, set(hidden), cell, rules, masked)
    return low, high


def _range_with_solutions(table: CellTable, hidden: set[int], cell: int, rules: Rules,
                          masked: frozenset = frozenset()) -> tuple[int, int, list[dict[int, int]]]:
    """Smallest and largest whole value of a hidden cell that agrees with everything shown.

    Unknowns are the hidden cells linked to `cell` through relations (others cannot
    constrain it); shown cells are constants. Sums are equalities, "at most" relations
    (a part never exceeds its whole) inequalities. A hidden cell shown as "<t" is in
    1..t−1, a `masked` one ("suppressed" though small) in 1.., any other hidden cell in t..
    (up to a cap far above the table).
    """
    relations = [((total,), parts, True) for total, parts in table.sums]
    relations += [(small, big, False) for small, big in table.at_most]
    linked, grew = {cell}, True
    while grew:
        grew = False
        for left, right, _ in relations:
            members = {i for i in (*left, *right) if i in hidden}
            if members & linked and not members <= linked:
                linked |= members
                grew = True
    order = sorted(linked)
    pos = {c: k for k, c in enumerate(order)}
    eq, eq_rhs, ub, ub_rhs = [], [], [], []
    for left, right, is_sum in relations:
        row = np.zeros(len(order))
        b = 0.0
        for i, coef in [(i, 1.0) for i in left] + [(i, -1.0) for i in right]:
            if i in linked:
                row[pos[i]] += coef
            else:
                b -= coef * table.values[i]  # a shown cell (or a hidden one not linked: not in this relation)
        if row.any():
            (eq if is_sum else ub).append(row)
            (eq_rhs if is_sum else ub_rhs).append(b)
    cap = 10 * (sum(table.values) + rules.threshold)
    small = [0 < table.values[c] < rules.threshold and c not in masked for c in order]
    lo = [1 if s or c in masked else rules.threshold for s, c in zip(small, order)]
    hi = [rules.threshold - 1 if s else cap for s in small]
    constraints = []
    if eq:
        constraints.append(LinearConstraint(np.array(eq), np.array(eq_rhs), np.array(eq_rhs)))
    if ub:
        constraints.append(LinearConstraint(np.array(ub), -np.inf, np.array(ub_rhs)))
    objective = np.zeros(len(order))
    objective[pos[cell]] = 1.0
    ends, found = [], []
    for sign in (1.0, -1.0):
        res = milp(sign * objective, constraints=constraints, integrality=np.ones(len(order)),
                   bounds=Bounds(lo, hi))
        assert res.success, f"the real table itself must be feasible: {res.message}"
        ends.append(round(res.x[pos[cell]]))
        found.append({c: round(res.x[pos[c]]) for c in order})
    return ends[0], ends[1], found


def readable_cells(table: CellTable, hidden: set[int], rules: Rules, masked: frozenset = frozenset()) -> list[int]:
    """Every hidden cell a reader can work out exactly (reader_range for all, with fewer solves).

    Any whole-number table that agrees with what is shown and differs from the real one in
    a cell proves that cell unreadable, so each solution found clears many cells at once.
    """
    actual = {i: table.values[i] for i in hidden}
    solutions: list[dict[int, int]] = []
    readable = []
    for i in sorted(hidden):
        if any(sol.get(i, actual[i]) != actual[i] for sol in solutions):
            continue
        low, high, found = _range_with_solutions(table, hidden, i, rules, masked)
        solutions += found
        if low == high:
            readable.append(i)
    return readable


def grid_table(matrix: list[list[int]], margin_cost: float = 100.0) -> CellTable:
    """Rows × columns with row totals, column totals and the grand total, as release.py builds them."""
    t = CellTable()
    m = np.asarray(matrix, dtype=int)
    n_rows, n_cols = m.shape
    cell = {(r, c): t.add(("cell", r, c), int(m[r, c])) for r in range(n_rows) for c in range(n_cols)}
    row_tot = [t.add(("row_total", r), int(m[r].sum()), cost=margin_cost) for r in range(n_rows)]
    col_tot = [t.add(("col_total", c), int(m[:, c].sum()), cost=margin_cost) for c in range(n_cols)]
    grand = t.add(("grand_total",), int(m.sum()), cost=2 * margin_cost)
    for r in range(n_rows):
        t.add_sum(row_tot[r], [cell[r, c] for c in range(n_cols)])
    for c in range(n_cols):
        t.add_sum(col_tot[c], [cell[r, c] for r in range(n_rows)])
    t.add_sum(grand, row_tot)
    t.add_sum(grand, col_tot)
    return t


def assert_public_safe(table: CellTable, protection, rules: Rules = RULES) -> None:
    hidden = set(protection.suppressed)
    for i, v in enumerate(table.values):
        if i not in hidden:
            assert v == 0 or v >= rules.threshold, f"{table.labels[i]} = {v} is shown"
        if 0 < v < rules.threshold:
            assert protection.status[i] in (PRIMARY, MASKED), f"{table.labels[i]} = {v} is not marked as small"
        if protection.status[i] == MASKED:
            assert 0 < v < rules.threshold, f"{table.labels[i]} = {v} is masked but not a small count"
    for i in hidden:
        assert table.values[i] > 0, f"{table.labels[i]} is a hidden zero (a reader would know it)"
        low, high = reader_range(table, hidden, i, rules, protection.masked)
        assert low <= table.values[i] <= high
        assert high > low, f"{table.labels[i]} = {table.values[i]} can be worked out from what is shown"
    assert protection.unprotectable == ()


grids = st.integers(2, 4).flatmap(lambda r: st.integers(2, 4).flatmap(
    lambda c: st.lists(st.lists(st.integers(0, 30), min_size=c, max_size=c), min_size=r, max_size=r)))


@settings(max_examples=60, deadline=None)
@given(grids)
def test_random_tables_show_only_zero_or_large_counts_and_no_hidden_cell_can_be_solved(matrix):
    table = grid_table(matrix)
    assert_public_safe(table, suppression.protect(table, RULES))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(0, 30), min_size=2, max_size=6))
def test_random_breakdowns_with_their_total_are_safe(parts):
    table, protection = suppression.one_way(parts, total=True, rules=RULES)
    assert_public_safe(table, protection)


@settings(max_examples=30, deadline=None)
@given(grids, st.integers(3, 15))
def test_the_guarantee_holds_for_any_configured_threshold(matrix, threshold):
    rules = Rules(threshold=threshold)
    table = grid_table(matrix)
    assert_public_safe(table, suppression.protect(table, rules), rules)


# ------------------------------------------------------------------ hand-made tables

def test_a_single_small_cell_in_a_breakdown_forces_a_complementary_cell():
    # 5 + 20 + 30 = 55: with 5 hidden and the rest shown, 55 − 20 − 30 gives it back.
    table, protection = suppression.one_way([5, 20, 30], total=True, rules=RULES)
    assert protection.status == (PRIMARY, COMPLEMENTARY, None, None)  # the cheapest part, never the total
    assert reader_range(table, protection.suppressed, 0, RULES) == (1, 10)
    assert_public_safe(table, protection)


def test_a_single_small_cell_in_a_grid_hides_a_second_cell_in_its_row_and_column():
    table = grid_table([[5, 20], [30, 40]])
    protection = suppression.protect(table, RULES)
    hidden = {table.labels[i] for i in protection.suppressed}
    assert ("cell", 0, 0) in hidden
    assert hidden & {("cell", 0, 1), ("row_total", 0)}, "row 0 would give the 5 back"
    assert hidden & {("cell", 1, 0), ("col_total", 0)}, "column 0 would give the 5 back"
    assert_public_safe(table, protection)


def test_two_small_cells_in_one_row_protect_each_other():
    # 5 + 6 + 30 = 41: the reader learns 5 + 6 = 11, which both (1,10),(10,1) … fit.
    table, protection = suppression.one_way([5, 6, 30], total=True, rules=RULES)
    assert protection.status == (PRIMARY, PRIMARY, None, None)
    assert reader_range(table, protection.suppressed, 0, RULES) == (1, 10)


def test_a_zero_cell_is_shown_and_never_used_as_a_complement():
    table, protection = suppression.one_way([5, 0, 20], total=True, rules=RULES)
    assert protection.status[1] is None
    assert protection.status == (PRIMARY, None, COMPLEMENTARY, None)
    assert_public_safe(table, protection)


def test_a_table_with_nothing_small_hides_nothing():
    table = grid_table([[12, 20, 0], [30, 40, 11]])
    protection = suppression.protect(table, RULES)
    assert protection.suppressed == frozenset()


def test_the_threshold_is_configurable():
    table, protection = suppression.one_way([5, 20, 30], total=True, rules=Rules(threshold=5))
    assert protection.suppressed == frozenset()
    table, protection = suppression.one_way([5, 20, 30], total=True, rules=Rules(threshold=25))
    assert protection.status[:2] == (PRIMARY, PRIMARY)


def test_a_threshold_below_three_is_refused():
    with pytest.raises(ValueError, match="at least 3"):
        Rules(threshold=2)


def test_cells_hidden_in_another_view_stay_hidden():
    table, _ = suppression.one_way([15, 20, 30], total=True, rules=RULES)
    protection = suppression.protect(table, RULES, forced=[0])
    assert protection.status[0] == COMPLEMENTARY
    assert_public_safe(table, protection)


def test_rates_follow_their_counts_and_few_events_are_unstable():
    assert suppression.rate_hidden(numerator_hidden=True, denominator_hidden=False)
    assert suppression.rate_hidden(numerator_hidden=False, denominator_hidden=True)
    assert not suppression.rate_hidden(False, False)
    assert RULES.unstable(19) and not RULES.unstable(20)
    assert not RULES.unstable(math.nan)


def test_the_module_audit_agrees_with_the_independent_solver():
    table = grid_table([[5, 20], [30, 40]])
    protection = suppression.protect(table, RULES)
    hidden = protection.suppressed
    for i in hidden:
        mine = reader_range(table, set(hidden), i, RULES)
        low, high = suppression.feasible_range(table, hidden, i, RULES)
        assert low == mine[0]
        assert high == math.inf or high == mine[1]
    assert suppression.pinned_cells(table, hidden, RULES) == []
    # Showing the row total and the complement again makes the 5 solvable, and the audit says so.
    row_open = {i for i in hidden if table.labels[i] not in {("cell", 0, 1), ("row_total", 0)}}
    assert row_open != set(hidden)
    assert table.index(("cell", 0, 0)) in suppression.pinned_cells(table, row_open, RULES)


def test_the_independent_solver_catches_primary_suppression_alone():
    # Guards the checker above: hiding only the 5 leaves it equal to 55 − 20 − 30.
    table, _ = suppression.one_way([5, 20, 30], total=True, rules=RULES)
    primary_only = suppression.Protection((PRIMARY, None, None, None))
    assert reader_range(table, set(primary_only.suppressed), 0, RULES) == (5, 5)
    with pytest.raises(AssertionError, match="can be worked out"):
        assert_public_safe(table, primary_only)


def test_small_counts_that_pin_each_other_are_shown_as_suppressed_not_under_t():
    # Threshold 3: a total of 2 made of 1 + 1. Shown as "<3" each, only 1 + 1 = 2 fits
    # (all three in 1..2), so hiding alone cannot protect them; "suppressed" (1 or more) can.
    rules = Rules(threshold=3)
    table, protection = suppression.one_way([1, 1], total=True, rules=rules)
    assert protection.masked and protection.unprotectable == ()
    assert reader_range(table, set(protection.suppressed), 2, rules) == (2, 2)  # had they stayed "<3"
    assert_public_safe(table, protection, rules)
    # At threshold 11 the same table is safe with "<11": 2 = (1..10) + (1..10) has many answers.
    table, protection = suppression.one_way([1, 1], total=True, rules=RULES)
    assert protection.status == (PRIMARY, PRIMARY, PRIMARY) and not protection.masked


def test_a_small_cell_shown_as_suppressed_elsewhere_stays_so():
    table, _ = suppression.one_way([5, 20, 30], total=True, rules=RULES)
    protection = suppression.protect(table, RULES, forced_masked=[0])
    assert protection.status[0] == MASKED
    assert_public_safe(table, protection)
