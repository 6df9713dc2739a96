"""Small-count protection for tables with row and column totals.

Primary suppression: every count from 1 to threshold-1 (a total too) is hidden and shown
as "<5". Secondary suppression: further cells are hidden (shown as "x") until no hidden
count can be worked out from the row and column totals. A reader who knows this rule
also knows that an "x" cell is 0 or at least the threshold, and that a "<5" cell is 1..4;
the audit uses exactly that knowledge.

The audit works out what such a reader can infer: Gauss-Jordan elimination of the row and
column equations (cells fixed by the equations alone, and implied equations between hidden
cells), then interval propagation with the rule's ranges, repeated as cells become known, and
finally an exact search for another whole table in which the hidden cell differs. A
hidden non-zero cell left with one possible value is exposed; then the other three corners of
the cheapest rectangle through it are hidden (the hypercube method in two dimensions), totals
only when no rectangle of inner cells protects. If nothing is left to hide the table is
withheld. See docs/reports.md for a worked example.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from fractions import Fraction
from math import gcd

SHOWN, PRIMARY, SECONDARY = "shown", "primary", "secondary"
DEFAULT_THRESHOLD = 5
_BIG = 10**12
LOOKAHEAD = 6  # candidates tried per step when choosing a secondary cell
RECTANGLES_TRIED = 12
BUDGET_S = 1.0

Interval = tuple[int, int]
Domain = list[Interval]  # sorted, disjoint, merged


@dataclass
class Grid:
    """A table with totals: `values[r][c]` for r < rows, c < cols are inner cells; row
    index `rows` is the column totals, column index `cols` the row totals, and
    `values[rows][cols]` the grand total."""

    values: list[list[int]]
    status: list[list[str]]
    withheld: bool = False  # no safe pattern exists (e.g. everything is tiny): print no cell at all

    @property
    def rows(self) -> int:
        return len(self.values) - 1

    @property
    def cols(self) -> int:
        return len(self.values[0]) - 1

    def hidden(self, r: int, c: int) -> bool:
        return self.status[r][c] != SHOWN

    def lines(self) -> list[list[tuple[int, int]]]:
        """Every equation as a list of cells; the last cell of each is the total."""
        found = []
        for r in range(self.rows + 1):
            found.append([(r, c) for c in range(self.cols + 1)])
        for c in range(self.cols + 1):
            found.append([(r, c) for r in range(self.rows + 1)])
        return found


def with_totals(inner: list[list[int]]) -> list[list[int]]:
    """Inner counts -> the grid with row totals, column totals and the grand total."""
    cols = len(inner[0]) if inner else 0
    grid = [list(row) + [sum(row)] for row in inner]
    grid.append([sum(row[c] for row in grid) for c in range(cols + 1)])
    return grid


def protect(values: list[list[int]], threshold: int = DEFAULT_THRESHOLD, budget_s: float = BUDGET_S) -> Grid:
    """Suppress a grid (with totals, as from `with_totals`); returns values and statuses.
    A table that needs more than `budget_s` seconds of searching (many small counts in a big
    table) is withheld as a whole: safe, and a report never hangs on one table."""
    deadline = time.monotonic() + budget_s
    grid = Grid([list(row) for row in values],
                [[PRIMARY if 0 < v < threshold else SHOWN for v in row] for row in values])
    if threshold <= 1:
        return grid
    lines = grid.lines()
    membership: dict[tuple[int, int], list[list[tuple[int, int]]]] = {}
    for line in lines:
        for cell in line:
            membership.setdefault(cell, []).append(line)
    exposed = audit(grid, threshold)
    while exposed:
        if time.monotonic() > deadline:
            grid.withheld = True
            break
        if _hide_rectangle(grid, exposed[0], threshold):
            exposed = audit(grid, threshold)
            continue
        cell = exposed[0]
        candidates = {x for line in membership[cell] for x in line if not grid.hidden(*x)}
        if not candidates:  # its own lines are all hidden: widen to the whole table
            candidates = {(r, c) for r in range(grid.rows + 1) for c in range(grid.cols + 1)
                          if not grid.hidden(r, c) and grid.values[r][c] != 0}
        if not candidates:
            grid.withheld = True
            break
        exposed = _hide_best(grid, candidates, threshold)
    return grid


_TOTAL_COST = 10**9  # hide a total only when no rectangle of inner cells protects


def _hide_rectangle(grid: Grid, cell: tuple[int, int], threshold: int) -> bool:
    """The hypercube method in two dimensions: hide the other three corners of the cheapest
    rectangle through `cell` after which the audit can no longer work `cell` out."""
    r, c = cell
    options = []
    for r2 in range(grid.rows + 1):
        for c2 in range(grid.cols + 1):
            if r2 == r or c2 == c:
                continue
            corners = [x for x in ((r, c2), (r2, c), (r2, c2)) if not grid.hidden(*x)]
            if not corners:
                continue
            cost = sum(grid.values[x][y] + (_TOTAL_COST if x == grid.rows or y == grid.cols else 0)
                       for x, y in corners)
            options.append((cost, corners))
    options.sort()
    for _cost, corners in options[:RECTANGLES_TRIED]:
        for x, y in corners:
            grid.status[x][y] = SECONDARY
        if cell not in audit(grid, threshold):
            return True
        for x, y in corners:
            grid.status[x][y] = SHOWN
    return False


def _hide_best(grid: Grid, candidates, threshold: int) -> list[tuple[int, int]]:
    """Fallback: hide the candidate that leaves the fewest exposed cells, preferring inner,
    non-zero, small cells; returns the cells still exposed afterwards."""

    def cheap_key(cell):
        r, c = cell
        value = grid.values[r][c]
        return (r == grid.rows or c == grid.cols, value == 0, value)

    best, best_key, best_exposed = None, None, None
    for cell in sorted(candidates, key=cheap_key)[:LOOKAHEAD]:
        grid.status[cell[0]][cell[1]] = SECONDARY
        exposed = audit(grid, threshold)
        grid.status[cell[0]][cell[1]] = SHOWN
        key = (cheap_key(cell)[0], len(exposed), *cheap_key(cell)[1:])
        if best_key is None or key < best_key:
            best, best_key, best_exposed = cell, key, exposed
    grid.status[best[0]][best[1]] = SECONDARY
    return best_exposed


# -- the audit ---------------------------------------------------------------------------

def _merge(intervals: list[Interval]) -> Domain:
    merged: Domain = []
    for lo, hi in sorted(intervals):
        if lo > hi:
            continue
        if merged and lo <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], hi))
        else:
            merged.append((lo, hi))
    return merged


def _add(a: Domain, b: Domain) -> Domain:
    return _merge([(x[0] + y[0], min(_BIG, x[1] + y[1])) for x in a for y in b])


def _sub(a: Domain, b: Domain) -> Domain:
    return _merge([(x[0] - y[1], x[1] - y[0]) for x in a for y in b])


def _meet(a: Domain, b: Domain) -> Domain:
    out = []
    for lo1, hi1 in a:
        for lo2, hi2 in b:
            lo, hi = max(lo1, lo2), min(hi1, hi2)
            if lo <= hi:
                out.append((lo, hi))
    return _merge(out)


def _coarsen(domain: Domain, limit: int = 64) -> Domain:
    """Keep sums small: beyond `limit` pieces, join neighbours (a safe over-approximation)."""
    while len(domain) > limit:
        domain = _merge([(domain[i][0], domain[i + 1][1] if i + 1 < len(domain) else domain[i][1])
                         for i in range(0, len(domain), 2)])
    return domain


def initial_domains(grid: Grid, threshold: int) -> dict[tuple[int, int], Domain]:
    """What a reader knows of each cell from the printed table and the rule."""
    domains = {}
    for r in range(grid.rows + 1):
        for c in range(grid.cols + 1):
            status = grid.status[r][c]
            if status == SHOWN:
                domains[(r, c)] = [(grid.values[r][c], grid.values[r][c])]
            elif status == PRIMARY:
                domains[(r, c)] = [(1, threshold - 1)]
            else:
                domains[(r, c)] = [(0, 0), (threshold, _BIG)]
    return domains


def _equations(grid: Grid) -> list[tuple[dict[tuple[int, int], int], int]]:
    """Each row and column as `sum(coef * hidden cell) == constant`, shown cells folded in."""
    equations = []
    for line in grid.lines():
        coefs: dict[tuple[int, int], int] = {}
        constant = 0
        for i, (r, c) in enumerate(line):
            sign = -1 if i == len(line) - 1 else 1  # parts minus total == 0
            if grid.hidden(r, c):
                coefs[(r, c)] = coefs.get((r, c), 0) + sign
            else:
                constant -= sign * grid.values[r][c]
        if coefs:
            equations.append((coefs, constant))
    return equations


def _reduced(equations, cells) -> list[tuple[dict, int]]:
    """Gauss-Jordan elimination over the rationals, scaled back to integer equations. A row
    left with one cell fixes that cell; the others are implied equations (such as "these two
    hidden cells add up to 16") that single rows and columns do not show."""
    index = {cell: i for i, cell in enumerate(cells)}
    rows = []
    for coefs, constant in equations:
        row = [Fraction(0)] * (len(cells) + 1)
        for cell, coef in coefs.items():
            row[index[cell]] = Fraction(coef)
        row[-1] = Fraction(constant)
        rows.append(row)
    pivot_row = 0
    for col in range(len(cells)):
        found = next((i for i in range(pivot_row, len(rows)) if rows[i][col] != 0), None)
        if found is None:
            continue
        rows[pivot_row], rows[found] = rows[found], rows[pivot_row]
        pivot = rows[pivot_row][col]
        rows[pivot_row] = [v / pivot for v in rows[pivot_row]]
        for i in range(len(rows)):
            if i != pivot_row and rows[i][col] != 0:
                factor = rows[i][col]
                rows[i] = [a - factor * b for a, b in zip(rows[i], rows[pivot_row])]
        pivot_row += 1
    result = []
    for row in rows[:pivot_row]:
        scale = 1
        for v in row:
            scale = scale * v.denominator // gcd(scale, v.denominator)
        coefs = {cells[i]: int(v * scale) for i, v in enumerate(row[:-1]) if v != 0}
        result.append((coefs, int(row[-1] * scale)))
    return result


def _scale(domain: Domain, k: int) -> Domain:
    if k >= 0:
        return _merge([(lo * k, min(_BIG, hi * k)) for lo, hi in domain])
    return _merge([(max(-_BIG, hi * k), lo * k) for lo, hi in domain])


def _divide(domain: Domain, k: int) -> Domain:
    """The integers x with k*x in `domain`."""
    if k < 0:
        domain, k = _scale(domain, -1), -k
    return _merge([(-((-lo) // k), hi // k) for lo, hi in domain])


def _fold(coefs, constant, domains):
    left, constant = {}, constant
    for cell, k in coefs.items():
        domain = domains[cell]
        if len(domain) == 1 and domain[0][0] == domain[0][1]:
            constant -= k * domain[0][0]
        else:
            left[cell] = k
    return left, constant


def _propagate(domains, equations) -> None:
    for _sweep in range(100):
        changed = False
        for coefs, constant in equations:
            terms = list(coefs.items())
            scaled = [_scale(domains[cell], k) for cell, k in terms]
            prefix: list[Domain] = [[(0, 0)]]
            for part in scaled:
                prefix.append(_coarsen(_add(prefix[-1], part)))
            if not any(lo <= constant <= hi for lo, hi in prefix[-1]):
                return False  # no assignment fits (only inside a case split)
            suffix: Domain = [(0, 0)]
            for i in range(len(terms) - 1, -1, -1):
                cell, k = terms[i]
                others = _coarsen(_add(prefix[i], suffix))
                narrowed = _meet(domains[cell], _divide(_sub([(constant, constant)], others), k))
                if narrowed != domains[cell]:
                    domains[cell], changed = narrowed, True
                    if not narrowed:
                        return False
                suffix = _coarsen(_add(suffix, _scale(domains[cell], k)))
        if not changed:
            return True
    return True


def _split_cases(domains, equations) -> bool:
    """Reason by cases on cells whose range has a hole ("x" is 0 or >= threshold): propagate
    each piece on its own and keep only what some case allows. Returns True if anything narrowed."""
    narrowed_any = False
    for cell in [c for c, d in domains.items() if len(d) > 1]:
        if len(domains[cell]) < 2:
            continue
        outcomes = []
        for piece in domains[cell]:
            trial = dict(domains)
            trial[cell] = [piece]
            if _propagate(trial, equations):
                outcomes.append(trial)
        if not outcomes:
            continue  # cannot happen for a true table
        for key in domains:
            joined = _merge([iv for trial in outcomes for iv in trial[key]])
            if joined != domains[key]:
                domains[key], narrowed_any = joined, True
    return narrowed_any


def audit(grid: Grid, threshold: int = DEFAULT_THRESHOLD) -> list[tuple[int, int]]:
    """Hidden non-zero cells whose value a reader can work out from the table; [] when safe.

    The reader's knowledge: every shown number, "<5" is 1..threshold-1, "x" is 0 or at least
    the threshold, and every row and column adds up. Elimination finds cells fixed by the
    equations alone; propagation over the equations and their reductions then narrows each
    cell's range of possible values until nothing changes. If that finds nothing, an exact
    search (`_exact_exposed`) settles every remaining hidden non-zero cell."""
    domains = initial_domains(grid, threshold)
    lines = _equations(grid)
    known = 0
    for _round in range(50):
        # cells already pinned down count as printed numbers for the next elimination
        equations = [_fold(coefs, constant, domains) for coefs, constant in lines]
        equations = [e for e in equations if e[0]]
        cells = sorted({cell for coefs, _c in equations for cell in coefs})
        equations = equations + _reduced(equations, cells)
        _propagate(domains, equations)
        split = _split_cases(domains, equations)
        pinned = sum(1 for d in domains.values() if len(d) == 1 and d[0][0] == d[0][1])
        if pinned == known and not split:
            break
        known = pinned
    exposed = []
    for (r, c), domain in domains.items():
        # a hidden 0 that can be worked out is no disclosure: zeros are printed anyway
        if grid.hidden(r, c) and grid.values[r][c] != 0 and len(domain) == 1 and domain[0][0] == domain[0][1]:
            exposed.append((r, c))
    if exposed:
        return exposed
    return _exact_exposed(grid, threshold, domains)


# -- the exact check ---------------------------------------------------------------------

SEARCH_NODES = 20000  # per hidden cell; a cell whose search runs out counts as exposed


def _size(domain: Domain) -> int:
    return sum(hi - lo + 1 for lo, hi in domain)


def _exact_exposed(grid: Grid, threshold: int, domains) -> list[tuple[int, int]]:
    """The complete check behind the fast audit: for every hidden non-zero cell, search for a
    whole table that agrees with everything printed, every row and column sum and the rule, in
    which that cell has another value. A cell with no such table is exposed. Elimination and
    propagation above can miss a combination of equations (two totals and a "<5" total together
    pinning a 1); this search cannot. It starts from the ranges the audit already narrowed (a
    sound over-approximation), caps "x" at four times the grand total (the sum of every number
    of the table: a reader told that bound knows more than a real one, so this errs on the side
    of hiding), and branches until every cell has one value.
    Every table found also clears each other cell whose value differs in it."""
    values = grid.values
    cap = sum(map(sum, values))  # four times the grand total: no cell is larger
    start = {cell: _meet(dom, [(0, cap)]) for cell, dom in domains.items()}
    lines = _equations(grid)
    cells = sorted({cell for coefs, _c in lines for cell in coefs})
    equations = lines + _reduced(lines, cells)
    targets = [cell for cell in cells if values[cell[0]][cell[1]] != 0]
    cleared: set[tuple[int, int]] = set()
    exposed = []
    by_cell: dict[tuple[int, int], list[tuple[dict, int]]] = {}
    for coefs, constant in lines:
        for cell in coefs:
            by_cell.setdefault(cell, []).append((coefs, constant))
    for target in targets:
        if target in cleared:
            continue
        moved = _rectangle_move(target, cells, by_cell, start, values)
        if moved:  # the quick way: four hidden corners moved by one, every sum unchanged
            cleared.update(moved)
            continue
        truth = values[target[0]][target[1]]
        trial = dict(start)
        trial[target] = _meet(trial[target], [(-_BIG, truth - 1), (truth + 1, _BIG)])
        budget = [SEARCH_NODES]
        found = _search(trial, equations, values, budget) if trial[target] else None
        if found is None:
            exposed.append(target)  # no other value fits, or the search ran out: hide more
            continue
        cleared.update(cell for cell, v in found.items() if v != values[cell[0]][cell[1]])
    return exposed


def _rectangle_move(target, cells, by_cell, domains, values) -> list[tuple[int, int]]:
    """Another table in which `target` differs, found the cheap way when there is one: add 1 to
    it and to the opposite corner of a rectangle of hidden cells, take 1 from the other two
    corners (with the signs a total needs), and check every row and column sum and every
    corner's range. Returns the corners (they all differ in that table), or [] if no rectangle
    through the target does it: then the full search decides."""
    r1, c1 = target
    rows = sorted({r for r, _c in cells if r != r1})
    cols = sorted({c for _r, c in cells if c != c1})
    hidden = set(cells)

    def fits(cell, step) -> bool:
        value = values[cell[0]][cell[1]] + step
        return any(lo <= value <= hi for lo, hi in domains[cell])

    for r2 in rows:
        if (r2, c1) not in hidden:
            continue
        for c2 in cols:
            corners = ((r1, c1), (r1, c2), (r2, c1), (r2, c2))
            if (r1, c2) not in hidden or (r2, c2) not in hidden:
                continue
            for signs in ((1, -1, -1, 1), (1, 1, -1, -1), (1, -1, 1, -1), (1, 1, 1, 1)):
                for step in (1, -1):
                    moves = {corner: sign * step for corner, sign in zip(corners, signs)}
                    touched = {id(eq): eq for corner in corners for eq in by_cell.get(corner, ())}
                    if any(sum(coefs.get(cell, 0) * move for cell, move in moves.items())
                           for coefs, _constant in touched.values()):
                        continue  # some row or column would no longer add up
                    if all(fits(cell, move) for cell, move in moves.items()):
                        return list(corners)
    return []


def _search(domains, equations, values, budget):
    """Depth-first search for one whole assignment; None if there is none (or out of budget)."""
    budget[0] -= 1
    if budget[0] < 0 or not _propagate(domains, equations):
        return None
    open_cells = [cell for cell, dom in domains.items() if _size(dom) > 1]
    if not open_cells:
        if all(sum(k * domains[cell][0][0] for cell, k in coefs.items()) == constant
               for coefs, constant in equations):
            return {cell: dom[0][0] for cell, dom in domains.items()}
        return None
    cell = min(open_cells, key=lambda x: _size(domains[x]))
    domain, truth = domains[cell], values[cell[0]][cell[1]]
    if len(domain) > 1:
        pieces = [[piece] for piece in domain]
    else:
        lo, hi = domain[0]
        mid = truth if lo <= truth <= hi else (lo + hi) // 2
        pieces = [[(mid, mid)], [(lo, mid - 1)], [(mid + 1, hi)]]
    # the true value first: the table that differs in the target is usually near the truth
    pieces = [p for p in pieces if p[0][0] <= p[0][1]]
    pieces.sort(key=lambda p: 0 if p[0][0] <= truth <= p[0][1] else min(abs(p[0][0] - truth), abs(p[0][1] - truth)))
    for piece in pieces:
        trial = dict(domains)
        trial[cell] = piece
        found = _search(trial, equations, values, budget)
        if found is not None:
            return found
        if budget[0] < 0:
            return None
    return None
