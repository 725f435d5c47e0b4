"""Raising and catching exceptions: hierarchies, depth, finally, else, context managers.

A validator raises typed errors from a few frames deep; callers catch them by base class,
by tuple and by exact type, re-raise some, and count what finally-blocks and __exit__
methods saw. Every count is predictable from the inputs, so the check is exact.
"""
from __future__ import division, print_function

try:
    range = xrange  # Python 2: iterate without building lists
except NameError:
    pass


class ValidationError(Exception):
    def __init__(self, code, value):
        Exception.__init__(self, code, value)
        self.code = code
        self.value = value


class TooSmall(ValidationError):
    pass


class TooLarge(ValidationError):
    pass


class NotMultiple(ValidationError):
    pass


class Retry(Exception):
    pass


def check_range(value, low, high):
    if value < low:
        raise TooSmall("small", value)
    if value > high:
        raise TooLarge("large", value)
    return value


def check_multiple(value, k):
    if value % k:
        raise NotMultiple("multiple", value)
    return value


def validate(value, depth):
    # Recurse a few frames so the exception unwinds through several of them.
    if depth:
        return validate(value, depth - 1)
    return check_multiple(check_range(value, 10, 900), 3)


class Guard(object):
    """A context manager that swallows Retry and counts entries and exits."""

    def __init__(self, counts):
        self.counts = counts

    def __enter__(self):
        self.counts["enter"] += 1
        return self

    def __exit__(self, exc_type, exc, tb):
        self.counts["exit"] += 1
        if exc_type is not None and issubclass(exc_type, Retry):
            self.counts["retried"] += 1
            return True
        return False


def process(values, depth):
    counts = {"ok": 0, "small": 0, "large": 0, "multiple": 0, "finally": 0, "else": 0,
              "enter": 0, "exit": 0, "retried": 0, "keyerror": 0, "reraised": 0}
    table = {}
    guard = Guard(counts)
    for v in values:
        try:
            try:
                validate(v, depth)
            except (TooSmall, TooLarge) as e:
                counts[e.code] += 1
                if v < 0:
                    raise
            except ValidationError as e:
                counts[e.code] += 1
            else:
                counts["else"] += 1
                counts["ok"] += 1
            finally:
                counts["finally"] += 1
        except TooSmall:
            counts["reraised"] += 1
        with guard:
            if v % 7 == 0:
                raise Retry()
        try:
            table[v % 50] += 1
        except KeyError:
            counts["keyerror"] += 1
            table[v % 50] = 1
    return counts


def expected_counts(values):
    c = {"ok": 0, "small": 0, "large": 0, "multiple": 0, "finally": len(values), "else": 0,
         "enter": len(values), "exit": len(values), "retried": 0, "keyerror": 0, "reraised": 0}
    seen = set()
    for v in values:
        if v < 10:
            c["small"] += 1
            if v < 0:
                c["reraised"] += 1
        elif v > 900:
            c["large"] += 1
        elif v % 3:
            c["multiple"] += 1
        else:
            c["ok"] += 1
            c["else"] += 1
        if v % 7 == 0:
            c["retried"] += 1
        if v % 50 not in seen:
            seen.add(v % 50)
            c["keyerror"] += 1
    return c


def make(params):
    state = params["seed"]
    values = []
    for _ in range(params["values"]):
        state = (state * 1103515245 + 12345) & 0x7FFFFFFF
        values.append((state >> 8) % 1000 - 20)
    depth = params["depth"]

    def step():
        return process(values, depth)

    got = step()
    want = expected_counts(values)
    if got != want:
        raise AssertionError("exceptions: counts %r, expected %r" % (sorted(got.items()), sorted(want.items())))
    return step
