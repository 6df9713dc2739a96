"""Small-count suppression: primary cells, secondary cells, and an independent attacker
that tries to work out every hidden cell from the printed table and the published rule."""

from __future__ import annotations

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from app.reports.suppression import PRIMARY, SECONDARY, SHOWN, audit, protect, with_totals


def printed(grid, threshold=5):
    """What a reader sees: numbers, "<5" or "x"."""
    marks = {PRIMARY: f"<{threshold}", SECONDARY: "x"}
    return [[str(v) if s == SHOWN else marks[s] for v, s in zip(vr, sr)] for vr, sr in zip(grid.values, grid.status)]


def solve_other_value(table, truth, cell, threshold=5):
    """An attacker: is there an assignment of the hidden cells consistent with every row and
    column sum and with the rule ("<5" is 1..4, "x" is 0 or >= threshold) in which `cell`
    differs from its true value? A complete search (bounds pruning, then branching on the
    smallest domain); returns such an assignment, or None if there is none."""
    rows, cols = len(table), len(table[0])
    cap = sum(map(sum, truth))  # the grand total bounds every cell
    domains = {}
    for r in range(rows):
        for c in range(cols):
            mark = table[r][c]
            if mark == f"<{threshold}":
                domains[(r, c)] = set(range(1, threshold))
            elif mark == "x":
                domains[(r, c)] = {0} | set(range(threshold, cap + 1))
            else:
                domains[(r, c)] = {int(mark)}
    domains[cell] = domains[cell] - {truth[cell[0]][cell[1]]}
    lines = [[(r, c) for c in range(cols)] for r in range(rows)] + [[(r, c) for r in range(rows)] for c in range(cols)]

    def prune(doms):
        changed = True
        while changed:
            changed = False
            for line in lines:
                parts, total = line[:-1], line[-1]
                lo = sum(min(doms[p]) for p in parts)
                hi = sum(max(doms[p]) for p in parts)
                keep = {t for t in doms[total] if lo <= t <= hi}
                if keep != doms[total]:
                    doms[total], changed = keep, True
                if not keep:
                    return False
                tlo, thi = min(keep), max(keep)
                for p in parts:
                    olo, ohi = lo - min(doms[p]), hi - max(doms[p])
                    keep = {v for v in doms[p] if tlo - ohi <= v <= thi - olo}
                    if keep != doms[p]:
                        doms[p], changed = keep, True
                        if not keep:
                            return False
                        lo = sum(min(doms[q]) for q in parts)
                        hi = sum(max(doms[q]) for q in parts)
        return True

    def search(doms):
        if not prune(doms):
            return None
        open_cells = [k for k, d in doms.items() if len(d) > 1]
        if not open_cells:
            return {k: next(iter(d)) for k, d in doms.items()}
        key = min(open_cells, key=lambda k: len(doms[k]))
        for v in sorted(doms[key]):
            trial = {k: set(d) for k, d in doms.items()}
            trial[key] = {v}
            found = search(trial)
            if found is not None:
                return found
        return None

    return search(domains) if domains[cell] else None


def assert_safe(inner, threshold=5):
    grid = protect(with_totals(inner), threshold)
    table = printed(grid, threshold)
    if grid.withheld:  # nothing of the table is printed
        assert audit(grid, threshold), "a table is withheld only when no pattern is safe"
        return grid, None
    truth = grid.values
    for r, row in enumerate(grid.status):
        for c, status in enumerate(row):
            v = truth[r][c]
            if 0 < v < threshold:
                assert status == PRIMARY, (r, c, table)
            if status != SHOWN and v != 0:  # a hidden zero may be inferred: zeros are printed anyway
                assert solve_other_value(table, truth, (r, c), threshold) is not None, (
                    f"hidden cell {(r, c)} = {v} can be worked out from {table}")
    return grid, table


def test_primary_cells_are_shown_as_less_than_threshold():
    grid, table = assert_safe([[3, 10, 12], [7, 20, 9], [8, 11, 30]])
    assert table[0][0] == "<5"
    # the 3 is alone in its row and column: one more cell in each is hidden
    assert sum(s != SHOWN for s in grid.status[0]) >= 2
    assert sum(grid.status[r][0] != SHOWN for r in range(4)) >= 2


def test_known_secondary_pattern():
    """The worked example of docs/reports.md."""
    inner = [[2, 12, 7], [9, 15, 6], [11, 8, 14]]
    grid, table = assert_safe(inner)
    assert table == [
        ["<5", "12", "x", "21"],
        ["x", "15", "x", "30"],
        ["11", "8", "14", "33"],
        ["22", "35", "27", "84"],
    ]
    assert audit(grid) == []


def test_sum_of_two_small_cells_is_not_left_exposed():
    # 4 + 4 = 8 with both shown as "<5" would reveal both: the rule forces more hiding
    assert_safe([[4, 4, 20], [10, 10, 10]])


def test_one_small_and_one_just_over_threshold():
    # "<5" + "x" = 6 reveals 1 + 5 to a reader who knows x is 0 or >= 5
    assert_safe([[1, 5, 30], [12, 14, 16]])


def test_reasoning_by_cases_is_caught():
    # found by hypothesis: whether the hidden 0 is 0 or >= 5, the 1 in the middle follows
    assert_safe([[0, 0, 5], [4, 1, 1], [4, 3, 0]])


def test_no_small_counts_hides_nothing():
    grid = protect(with_totals([[0, 10], [6, 0]]))
    assert all(s == SHOWN for row in grid.status for s in row)


def test_small_total_is_hidden_too():
    grid, table = assert_safe([[1, 0], [0, 2], [30, 40]])
    assert table[0][2] == "<5" and table[1][2] == "<5"


def test_table_of_tiny_counts_is_withheld():
    # four counts of 1 with a grand total below 5: every cell follows from the rule alone
    grid = protect(with_totals([[0, 1, 1], [0, 1, 1]]))
    assert grid.withheld


def test_threshold_is_configurable():
    grid = protect(with_totals([[7, 20], [30, 40]]), threshold=10)
    assert grid.status[0][0] == PRIMARY
    grid = protect(with_totals([[7, 20], [30, 40]]), threshold=5)
    assert grid.status[0][0] == SHOWN


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(st.sampled_from([0, 0, 1, 2, 3, 4, 5, 6, 7, 9, 12]), min_size=3, max_size=3),
                min_size=2, max_size=3))
# found by hypothesis: row 3's total and the column totals force (1,1) + (1,2) = 2 + (2,0), and
# row 2's total "<5" then forces (1,0) = (2,0) = 1, a combination no single equation shows
@example([[1, 0, 0], [1, 2, 1], [1, 3, 4]])
def test_no_hidden_cell_can_be_worked_out(inner):
    assert_safe(inner)
