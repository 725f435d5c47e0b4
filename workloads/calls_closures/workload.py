"""Function calls of every shape: chains, keyword and default arguments, *args/**kwargs,
closures, lambdas, decorators, bound methods, staticmethods and classmethods.

Each call does almost no work, so the time is the interpreter's calling convention: frame
set-up, argument binding and cell variables. The result is an integer with a closed form.
"""
from __future__ import division, print_function

import functools

try:
    range = xrange  # Python 2: iterate without building lists
except NameError:
    pass


def counted(func):
    """A decorator with state in a mutable cell (no `nonlocal`, to run on Python 2)."""
    calls = [0]

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        calls[0] += 1
        return func(*args, **kwargs)

    wrapper.calls = calls
    return wrapper


def offset_by(k):
    def decorate(func):
        def wrapper(x):
            return func(x) + k
        return wrapper
    return decorate


@counted
def add(a, b=1, c=0):
    return a + b + c


@offset_by(2)
@offset_by(1)
def twice(x):
    return 2 * x


def forward(*args, **kwargs):
    return add(*args, **kwargs)


def chain0(x):
    return x + 1


def chain1(x):
    return chain0(x) + 1


def chain2(x):
    return chain1(x) + 1


def chain3(x):
    return chain2(x) + 1


def chain4(x):
    return chain3(x) + 1


def chain5(x):
    return chain4(x) + 1


def make_adder(n):
    def adder(x):
        return x + n
    return adder


def compose(f, g):
    return lambda x: f(g(x))


class Accumulator(object):
    scale = 3

    def __init__(self):
        self.total = 0

    def add(self, value, weight=1):
        self.total += value * weight
        return self

    @staticmethod
    def square(x):
        return x * x

    @classmethod
    def scaled(cls, x):
        return cls.scale * x


def run(n):
    adders = [make_adder(k) for k in range(8)]
    pipeline = compose(adders[3], compose(adders[5], lambda x: x * 2))
    acc = Accumulator()
    acc_add = acc.add  # a bound method, called many times
    total = 0
    for i in range(n):
        total += add(i)  # positional + default
        total += add(i, c=2)  # keyword
        total += add(a=i, b=3)  # all keyword
        total += forward(i, 4)  # *args/**kwargs forwarding
        total += forward(i, b=1, c=1)
        total += chain5(i)  # six frames deep
        total += adders[i & 7](i)  # closure
        total += pipeline(i)  # lambdas composing closures
        total += twice(i)  # stacked decorators
        acc_add(i, weight=2)
        total += Accumulator.square(i & 15) + Accumulator.scaled(1)
        total += (lambda a, b=i: a - b)(i)
    return total + acc.total


def closed_form(n):
    s = n * (n - 1) // 2  # sum of i for i < n
    squares = sum((i & 15) * (i & 15) for i in range(n))
    adders = sum(i & 7 for i in range(n))
    per_i = (
        (1) + (1 + 2) + (3) + (4) + (1 + 1)  # add() variants
        + 6  # chain5
        + 8  # pipeline: 2x + 5 + 3
        + 3  # twice: 2x + 1 + 2
        + 3  # scaled(1)
    )
    # i appears: add x5, chain, closure, pipeline (2i), twice (2i), acc (2i) -> 13 i; lambda gives 0.
    return 13 * s + per_i * n + adders + squares


def make(params):
    n = params["iterations"]

    def step():
        return run(n)

    got = step()
    if got != closed_form(n):
        raise AssertionError("calls_closures: total %d, expected %d" % (got, closed_form(n)))
    if add.__name__ != "add" or add.calls[0] != 5 * n:
        raise AssertionError("calls_closures: decorator counted %d calls of %s, expected %d" % (add.calls[0], add.__name__, 5 * n))
    return step
