"""Integer loops: a sieve of Eratosthenes and a sieve of Euler's totient, in plain loops.

The inner loops are written out (`for j in range(...)`) rather than as slice assignments so
that the interpreter, not a C memset, does the work.
"""
from __future__ import division, print_function

try:
    range = xrange  # Python 2: iterate without building lists
except NameError:
    pass

# Prime-counting function pi(n), OEIS A006880 and standard tables.
KNOWN_PRIME_COUNTS = {10: 4, 100: 25, 1000: 168, 10000: 1229, 100000: 9592, 1000000: 78498}


def primes_below(n):
    flags = [True] * n
    flags[0] = flags[1] = False
    i = 2
    while i * i < n:
        if flags[i]:
            for j in range(i * i, n, i):
                flags[j] = False
        i += 1
    count = 0
    total = 0
    for k in range(n):
        if flags[k]:
            count += 1
            total += k
    return count, total


def totients_upto(n):
    phi = list(range(n + 1))
    for i in range(2, n + 1):
        if phi[i] == i:  # i is prime: nothing smaller has touched it yet
            for j in range(i, n + 1, i):
                phi[j] -= phi[j] // i
    return phi


def gcd(a, b):
    while b:
        a, b = b, a % b
    return a


def check(params):
    for n, expected in sorted(KNOWN_PRIME_COUNTS.items()):
        if n <= params["primes_below"]:
            got = primes_below(n)[0]
            if got != expected:
                raise AssertionError("sieve: %d primes below %d, expected %d" % (got, n, expected))
    phi = totients_upto(300)
    for k in range(1, 301):
        naive = sum(1 for j in range(1, k + 1) if gcd(j, k) == 1)
        if phi[k] != naive:
            raise AssertionError("sieve: phi(%d) = %d, expected %d" % (k, phi[k], naive))


def make(params):
    n_primes = params["primes_below"]
    n_phi = params["totients_upto"]
    check(params)

    def step():
        count, total = primes_below(n_primes)
        return count, total, sum(totients_upto(n_phi))

    return step
