"""Recursion: counting N-queens placements by backtracking, and a recursive partition count.

The queens search keeps the attacked columns and diagonals in three lists of booleans and
recurses one row at a time. The integer-partition count recurses without memoisation over
(n, largest part), a deep and branchy call tree. Both are checked against OEIS values.
"""
from __future__ import division, print_function

try:
    range = xrange  # Python 2: iterate without building lists
except NameError:
    pass

# Number of solutions of the n-queens problem, OEIS A000170.
QUEENS = {1: 1, 2: 0, 3: 0, 4: 2, 5: 10, 6: 4, 7: 40, 8: 92, 9: 352, 10: 724, 11: 2680, 12: 14200}
# Number of partitions of n, OEIS A000041.
PARTITIONS = {1: 1, 5: 7, 10: 42, 20: 627, 30: 5604, 35: 14883, 40: 37338, 50: 204226}


def queens(n):
    cols = [False] * n
    diag1 = [False] * (2 * n)
    diag2 = [False] * (2 * n)

    def place(row):
        if row == n:
            return 1
        found = 0
        for c in range(n):
            d1 = row + c
            d2 = row - c + n
            if cols[c] or diag1[d1] or diag2[d2]:
                continue
            cols[c] = diag1[d1] = diag2[d2] = True
            found += place(row + 1)
            cols[c] = diag1[d1] = diag2[d2] = False
        return found

    return place(0)


def partitions(n, largest):
    """Partitions of n into parts no larger than `largest`."""
    if n == 0:
        return 1
    if n < 0 or largest == 0:
        return 0
    return partitions(n - largest, largest) + partitions(n, largest - 1)


def make(params):
    board = params["board"]
    p = params["partitions_of"]
    for k in range(1, 8):
        if queens(k) != QUEENS[k]:
            raise AssertionError("nqueens: %d solutions for n=%d, expected %d" % (queens(k), k, QUEENS[k]))
    for k in (1, 5, 10, 20):
        if partitions(k, k) != PARTITIONS[k]:
            raise AssertionError("nqueens: p(%d) = %d, expected %d" % (k, partitions(k, k), PARTITIONS[k]))

    def step():
        return queens(board), partitions(p, p)

    q, parts = step()
    if board in QUEENS and q != QUEENS[board]:
        raise AssertionError("nqueens: %d solutions for n=%d, expected %d" % (q, board, QUEENS[board]))
    if p in PARTITIONS and parts != PARTITIONS[p]:
        raise AssertionError("nqueens: p(%d) = %d, expected %d" % (p, parts, PARTITIONS[p]))
    return step
