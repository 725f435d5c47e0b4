"""Allocation and garbage collection: many small, short-lived objects and reference cycles.

Each step builds and drops lists of tuples, small instances with and without __slots__, a
linked list, per-item dicts and lists, and trees whose children point back to their parents
(cycles only the cyclic garbage collector can free). The automatic collector runs as its
thresholds are crossed, as it would in an application. make() checks that the cycles are
actually freed, through a weak reference.
"""
from __future__ import division, print_function

import gc
import weakref

try:
    range = xrange  # Python 2: iterate without building lists
except NameError:
    pass


class Point(object):
    __slots__ = ("x", "y")

    def __init__(self, x, y):
        self.x = x
        self.y = y


class Record(object):
    def __init__(self, ident, name, score):
        self.ident = ident
        self.name = name
        self.score = score


class Cell(object):
    __slots__ = ("value", "next")

    def __init__(self, value, next_cell):
        self.value = value
        self.next = next_cell


class TreeNode(object):
    def __init__(self, parent, depth):
        self.parent = parent  # a back reference: every subtree is a cycle
        self.children = []
        self.depth = depth


def grow(node, depth, fanout):
    if depth == 0:
        return 1
    count = 1
    for _ in range(fanout):
        child = TreeNode(node, node.depth + 1)
        node.children.append(child)
        count += grow(child, depth - 1, fanout)
    return count


def churn(n, trees, tree_depth):
    # Lists of tuples, sorted then dropped.
    pairs = [((i * 7919) % n, i) for i in range(n)]
    pairs.sort()
    checksum = pairs[0][1] + pairs[-1][1]
    # Small instances, with and without __slots__.
    points = [Point(i, -i) for i in range(n)]
    records = [Record(i, "r", i % 10) for i in range(n)]
    checksum += sum(p.x + p.y for p in points) + sum(r.score for r in records)
    # A singly linked list.
    head = None
    for i in range(n):
        head = Cell(i, head)
    length = 0
    while head is not None:
        length += 1
        head = head.next
    # Short-lived containers per item.
    total = 0
    for i in range(n):
        row = {"id": i, "tags": [i, i + 1], "pos": (i, i)}
        total += len(row["tags"]) + row["pos"][1]
    # Cyclic trees: garbage as soon as the loop drops them.
    nodes = 0
    for _ in range(trees):
        root = TreeNode(None, 0)
        nodes += grow(root, tree_depth, 3)
    return checksum, length, total, nodes


def make(params):
    n = params["objects"]
    trees = params["trees"]
    depth = params["tree_depth"]

    def step():
        return churn(n, trees, depth)

    checksum, length, total, nodes = step()
    want_nodes = trees * sum(3 ** k for k in range(depth + 1))
    if length != n or nodes != want_nodes or total != 2 * n + n * (n - 1) // 2:
        raise AssertionError("alloc_objects: counted %r, expected length %d, %d nodes" % ((length, total, nodes), n, want_nodes))
    root = TreeNode(None, 0)
    grow(root, 2, 3)
    probe = weakref.ref(root.children[0])
    del root
    gc.collect()
    if probe() is not None:
        raise AssertionError("alloc_objects: a parent/child cycle survived gc.collect()")
    return step
