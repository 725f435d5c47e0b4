"""A balanced binary search tree (AVL): inserts, look-ups, deletions and in-order walks.

Nodes are small objects with __slots__; rotations rewire them. Each step builds a fresh tree
from the same key sequence, looks up present and absent keys, deletes half of the keys and
walks the rest in order. make() checks the AVL invariants and the walk against sorted().
"""
from __future__ import division, print_function

try:
    range = xrange  # Python 2: iterate without building lists
except NameError:
    pass


class Node(object):
    __slots__ = ("key", "value", "left", "right", "height")

    def __init__(self, key, value):
        self.key = key
        self.value = value
        self.left = None
        self.right = None
        self.height = 1


def height(node):
    return node.height if node is not None else 0


def update(node):
    hl = node.left.height if node.left is not None else 0
    hr = node.right.height if node.right is not None else 0
    node.height = (hl if hl > hr else hr) + 1


def rotate_right(node):
    pivot = node.left
    node.left = pivot.right
    pivot.right = node
    update(node)
    update(pivot)
    return pivot


def rotate_left(node):
    pivot = node.right
    node.right = pivot.left
    pivot.left = node
    update(node)
    update(pivot)
    return pivot


def rebalance(node):
    update(node)
    balance = height(node.left) - height(node.right)
    if balance > 1:
        if height(node.left.left) < height(node.left.right):
            node.left = rotate_left(node.left)
        return rotate_right(node)
    if balance < -1:
        if height(node.right.right) < height(node.right.left):
            node.right = rotate_right(node.right)
        return rotate_left(node)
    return node


def insert(node, key, value):
    if node is None:
        return Node(key, value)
    if key < node.key:
        node.left = insert(node.left, key, value)
    elif key > node.key:
        node.right = insert(node.right, key, value)
    else:
        node.value = value
        return node
    return rebalance(node)


def pop_min(node):
    """Removes the smallest node under `node`; returns (new subtree, removed node)."""
    if node.left is None:
        return node.right, node
    node.left, smallest = pop_min(node.left)
    return rebalance(node), smallest


def delete(node, key):
    if node is None:
        return None
    if key < node.key:
        node.left = delete(node.left, key)
    elif key > node.key:
        node.right = delete(node.right, key)
    else:
        if node.left is None:
            return node.right
        if node.right is None:
            return node.left
        right, successor = pop_min(node.right)
        successor.left = node.left
        successor.right = right
        node = successor
    return rebalance(node)


def find(node, key):
    while node is not None:
        if key < node.key:
            node = node.left
        elif key > node.key:
            node = node.right
        else:
            return node.value
    return None


def in_order(node, out):
    stack = []
    while stack or node is not None:
        if node is not None:
            stack.append(node)
            node = node.left
        else:
            node = stack.pop()
            out.append(node.key)
            node = node.right
    return out


def check_avl(node):
    """Returns the height; raises if the ordering or balance invariant is broken."""
    if node is None:
        return 0
    hl = check_avl(node.left)
    hr = check_avl(node.right)
    if abs(hl - hr) > 1 or node.height != max(hl, hr) + 1:
        raise AssertionError("avl_tree: node %r is unbalanced (%d vs %d) or has a stale height" % (node.key, hl, hr))
    if (node.left is not None and node.left.key >= node.key) or (node.right is not None and node.right.key <= node.key):
        raise AssertionError("avl_tree: keys around %r are out of order" % node.key)
    return node.height


def run(keys, probes, doomed):
    root = None
    for k in keys:
        root = insert(root, k, k * 2)
    found = 0
    for p in probes:
        if find(root, p) is not None:
            found += 1
    for k in doomed:
        root = delete(root, k)
    return root, found, in_order(root, [])


def make(params):
    state = params["seed"] & 0x7FFFFFFF
    keys = []
    for _ in range(params["keys"]):
        state = (state * 1103515245 + 12345) & 0x7FFFFFFF
        keys.append((state >> 4) % (params["keys"] * 10))
    probes = [k + (i % 2) for i, k in enumerate(keys)]  # half present, half mostly absent
    doomed = keys[::2]

    def step():
        return run(keys, probes, doomed)

    root, found, walk = step()
    check_avl(root)
    expected = sorted(set(keys) - set(doomed))
    if walk != expected:
        raise AssertionError("avl_tree: in-order walk has %d keys, expected %d sorted keys" % (len(walk), len(expected)))
    key_set = set(keys)
    if found != sum(1 for p in probes if p in key_set):
        raise AssertionError("avl_tree: found %d probes, expected %d" % (found, sum(1 for p in probes if p in key_set)))
    return step
