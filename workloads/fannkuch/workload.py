"""Pancake flips over every permutation of n elements (the "fannkuch" problem).

Permutations are walked in lexicographic order with the classic next-permutation step
(find the rightmost ascent, swap with the smallest larger element to its right, reverse the
tail). For each one, the prefix of length first+1 is reversed until 0 comes first.
"""
from __future__ import division, print_function

try:
    range = xrange  # Python 2: iterate without building lists
except NameError:
    pass

# Maximum number of flips for n = 1..12: OEIS A000375.
MAX_FLIPS = {1: 0, 2: 1, 3: 2, 4: 4, 5: 7, 6: 10, 7: 16, 8: 22, 9: 30, 10: 38, 11: 51, 12: 65}


def count_flips(perm):
    p = perm[:]
    flips = 0
    first = p[0]
    while first:
        # Reverse p[0..first] in place.
        i = 0
        j = first
        while i < j:
            p[i], p[j] = p[j], p[i]
            i += 1
            j -= 1
        flips += 1
        first = p[0]
    return flips


def next_permutation(p):
    """Advances p to its lexicographic successor in place; False after the last one."""
    i = len(p) - 2
    while i >= 0 and p[i] >= p[i + 1]:
        i -= 1
    if i < 0:
        return False
    j = len(p) - 1
    while p[j] <= p[i]:
        j -= 1
    p[i], p[j] = p[j], p[i]
    p[i + 1:] = p[:i:-1]
    return True


def fannkuch(n):
    perm = list(range(n))
    max_flips = 0
    total_flips = 0
    count = 0
    while True:
        if perm[0]:
            flips = count_flips(perm)
            total_flips += flips
            if flips > max_flips:
                max_flips = flips
        count += 1
        if not next_permutation(perm):
            break
    return max_flips, total_flips, count


def make(params):
    n = params["n"]
    for small in range(1, 7):
        got = fannkuch(small)[0]
        if got != MAX_FLIPS[small]:
            raise AssertionError("fannkuch: max flips for n=%d is %d, expected %d" % (small, got, MAX_FLIPS[small]))

    def step():
        return fannkuch(n)

    max_flips, _, count = step()
    factorial = 1
    for k in range(2, n + 1):
        factorial *= k
    if count != factorial:
        raise AssertionError("fannkuch: visited %d permutations, expected %d" % (count, factorial))
    if n in MAX_FLIPS and max_flips != MAX_FLIPS[n]:
        raise AssertionError("fannkuch: max flips for n=%d is %d, expected %d" % (n, max_flips, MAX_FLIPS[n]))
    return step
