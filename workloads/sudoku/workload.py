"""A sudoku solver: constraint propagation over candidate bitmasks plus depth-first search.

Puzzles are generated: a valid grid from the shifted-rows pattern, shuffled by digit, row,
column, band and stack permutations with an LCG, then with cells removed. Each cell keeps a
9-bit mask of candidates; placing a digit removes it from the cell's peers, a cell left with
one candidate is placed, and a digit with one possible place in a unit is placed there. When
propagation stalls, the search branches on a cell with the fewest candidates.
"""
from __future__ import division, print_function

try:
    range = xrange  # Python 2: iterate without building lists
except NameError:
    pass

ALL = 0x1FF
UNITS = ([[r * 9 + c for c in range(9)] for r in range(9)] +
         [[r * 9 + c for r in range(9)] for c in range(9)] +
         [[(br + r) * 9 + bc + c for r in range(3) for c in range(3)] for br in (0, 3, 6) for bc in (0, 3, 6)])
UNITS_OF = [[u for u in UNITS if i in u] for i in range(81)]
PEERS = [sorted(set(j for u in UNITS_OF[i] for j in u) - set([i])) for i in range(81)]
POPCOUNT = [bin(m).count("1") for m in range(ALL + 1)]
DIGIT_OF = dict((1 << d, d + 1) for d in range(9))


class Lcg(object):
    def __init__(self, seed):
        self.state = seed & 0x7FFFFFFF

    def below(self, n):
        self.state = (self.state * 1103515245 + 12345) & 0x7FFFFFFF
        return (self.state >> 8) % n

    def shuffle(self, items):
        for i in range(len(items) - 1, 0, -1):
            j = self.below(i + 1)
            items[i], items[j] = items[j], items[i]
        return items


def generate(rng, holes):
    digits = rng.shuffle(list(range(1, 10)))
    rows = [band * 3 + r for band in rng.shuffle([0, 1, 2]) for r in rng.shuffle([0, 1, 2])]
    cols = [stack * 3 + c for stack in rng.shuffle([0, 1, 2]) for c in rng.shuffle([0, 1, 2])]
    solution = [digits[(3 * (r % 3) + r // 3 + c) % 9] for r in rows for c in cols]
    puzzle = solution[:]
    for i in rng.shuffle(list(range(81)))[:holes]:
        puzzle[i] = 0
    return puzzle


def eliminate(cand, i, bit):
    c = cand[i]
    if not c & bit:
        return True
    c &= ~bit
    cand[i] = c
    if not c:
        return False
    if not c & (c - 1):  # one candidate left: remove it from every peer
        for p in PEERS[i]:
            if not eliminate(cand, p, c):
                return False
    for unit in UNITS_OF[i]:
        place = -1
        for j in unit:
            if cand[j] & bit:
                if place >= 0:
                    break
                place = j
        else:
            if place < 0:
                return False  # the digit fits nowhere in this unit
            if not assign(cand, place, bit):
                return False
    return True


def assign(cand, i, bit):
    others = cand[i] & ~bit
    while others:
        low = others & -others
        if not eliminate(cand, i, low):
            return False
        others &= others - 1
    return True


def search(cand):
    best = -1
    best_n = 10
    for i in range(81):
        n = POPCOUNT[cand[i]]
        if 1 < n < best_n:
            best, best_n = i, n
            if n == 2:
                break
    if best < 0:
        return cand
    options = cand[best]
    while options:
        low = options & -options
        options &= options - 1
        trial = cand[:]
        if assign(trial, best, low):
            found = search(trial)
            if found is not None:
                return found
    return None


def solve(puzzle):
    cand = [ALL] * 81
    for i, d in enumerate(puzzle):
        if d and not assign(cand, i, 1 << (d - 1)):
            return None
    found = search(cand)
    if found is None:
        return None
    return [DIGIT_OF[m] for m in found]


def valid(grid, puzzle):
    if any(p and p != g for p, g in zip(puzzle, grid)):
        return False
    return all(sorted(grid[j] for j in unit) == list(range(1, 10)) for unit in UNITS)


def make(params):
    rng = Lcg(params["seed"])
    puzzles = [generate(rng, params["holes"]) for _ in range(params["puzzles"])]

    def step():
        return [solve(p) for p in puzzles]

    for puzzle, grid in zip(puzzles, step()):
        if grid is None or not valid(grid, puzzle):
            raise AssertionError("sudoku: no valid solution found for %s" % "".join(map(str, puzzle)))
    return step
