"""Generator pipelines: sources, filters, maps, windows, chunking and recursive generators.

Every stage is a generator function or a generator expression, so the work is mostly
suspending and resuming frames. The same figures are computed with plain lists in make as
the reference. Recursion uses `for x in sub: yield x` rather than `yield from`, to run on 2.7.
"""
from __future__ import division, print_function

try:
    range = xrange  # Python 2: iterate without building lists
except NameError:
    pass


def lcg_stream(seed, count):
    state = seed & 0x7FFFFFFF
    for _ in range(count):
        state = (state * 1103515245 + 12345) & 0x7FFFFFFF
        yield state >> 16


def only(predicate, items):
    for x in items:
        if predicate(x):
            yield x


def scaled(items, factor):
    for x in items:
        yield x * factor


def windows(items, size):
    window = []
    for x in items:
        window.append(x)
        if len(window) == size:
            yield tuple(window)
            del window[0]


def chunks(items, size):
    chunk = []
    for x in items:
        chunk.append(x)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def running_max(items):
    best = None
    for x in items:
        if best is None or x > best:
            best = x
        yield best


def tree(depth, label):
    """A nested tuple tree: (label, children)."""
    if depth == 0:
        return (label, ())
    return (label, tuple(tree(depth - 1, label * 3 + k) for k in range(3)))


def walk(node, depth=0):
    label, children = node
    yield depth, label
    for child in children:
        for item in walk(child, depth + 1):
            yield item


def pipeline(seed, count, tree_root):
    evens = only(lambda x: x % 2 == 0, lcg_stream(seed, count))
    sums = (a + b + c for a, b, c in windows(scaled(evens, 3), 3))
    chunk_totals = [sum(c) for c in chunks(sums, 16)]
    peak = 0
    for peak in running_max(chunk_totals):
        pass
    deep = sum(label for depth, label in walk(tree_root) if depth % 2)
    return len(chunk_totals), sum(chunk_totals), peak, deep


def reference(seed, count, tree_root):
    values = []
    state = seed & 0x7FFFFFFF
    for _ in range(count):
        state = (state * 1103515245 + 12345) & 0x7FFFFFFF
        values.append(state >> 16)
    evens = [3 * x for x in values if x % 2 == 0]
    sums = [evens[i] + evens[i + 1] + evens[i + 2] for i in range(len(evens) - 2)]
    totals = [sum(sums[i:i + 16]) for i in range(0, len(sums), 16)]
    stack = [(tree_root, 0)]
    deep = 0
    while stack:
        (label, children), depth = stack.pop()
        if depth % 2:
            deep += label
        stack.extend((c, depth + 1) for c in children)
    return len(totals), sum(totals), max(totals) if totals else 0, deep


def make(params):
    seed = params["seed"]
    count = params["count"]
    root = tree(params["tree_depth"], 1)

    def step():
        return pipeline(seed, count, root)

    got = step()
    expected = reference(seed, count, root)
    if got != expected:
        raise AssertionError("generators: pipeline gave %r, list reference gave %r" % (got, expected))
    return step
