"""Set-heavy graph code: reachability by frontier sets, common neighbours, triangle counts
and set algebra over adjacency sets.

Nodes are integers (their hashes do not vary between runs, so set layouts and the work are
identical in every process). Each result is checked against a list-based computation.
"""
from __future__ import division, print_function

try:
    range = xrange  # Python 2: iterate without building lists
except NameError:
    pass


def random_graph(nodes, edges_per_node, seed):
    state = seed & 0x7FFFFFFF
    succ = [set() for _ in range(nodes)]
    for u in range(nodes):
        for _ in range(edges_per_node):
            state = (state * 1103515245 + 12345) & 0x7FFFFFFF
            # Mostly local edges, a few long jumps: a graph with communities and bridges.
            if state % 8:
                v = (u + 1 + (state >> 8) % 20) % nodes
            else:
                v = (state >> 8) % nodes
            if v != u:
                succ[u].add(v)
    return succ


def reachable(succ, source):
    seen = {source}
    frontier = {source}
    while frontier:
        nxt = set()
        for u in frontier:
            nxt |= succ[u]
        frontier = nxt - seen
        seen |= frontier
    return seen


def undirected(succ):
    adj = [set(s) for s in succ]
    for u, s in enumerate(succ):
        for v in s:
            adj[v].add(u)
    return adj


def triangles(adj):
    count = 0
    for u, nu in enumerate(adj):
        for v in nu:
            if v > u:
                count += len({w for w in nu & adj[v] if w > v})
    return count


def analyse(succ, sources):
    reach = [len(reachable(succ, s)) for s in sources]
    adj = undirected(succ)
    tri = triangles(adj)
    hubs = set(u for u, s in enumerate(adj) if len(s) > 8)
    leaves = set(u for u, s in enumerate(adj) if len(s) <= 4)
    everyone = set(range(len(adj)))
    middle = everyone - hubs - leaves
    sym = (hubs | leaves) ^ everyone
    jaccard_hits = 0
    for u in range(0, len(adj) - 1, 3):
        a, b = adj[u], adj[u + 1]
        union = a | b
        if union and 4 * len(a & b) >= len(union):
            jaccard_hits += 1
    return reach, tri, len(hubs), len(middle), sym == middle, jaccard_hits


def reachable_reference(succ, source):
    seen = [False] * len(succ)
    seen[source] = True
    stack = [source]
    count = 1
    while stack:
        u = stack.pop()
        for v in sorted(succ[u]):
            if not seen[v]:
                seen[v] = True
                count += 1
                stack.append(v)
    return count


def make(params):
    succ = random_graph(params["nodes"], params["edges_per_node"], params["seed"])
    sources = list(range(0, params["nodes"], params["nodes"] // params["sources"]))[: params["sources"]]

    def step():
        return analyse(succ, sources)

    reach, tri, _, _, sym_ok, _ = step()
    want = [reachable_reference(succ, s) for s in sources]
    if reach != want:
        raise AssertionError("set_graph: reachable counts %r, expected %r" % (reach[:5], want[:5]))
    if not sym_ok:
        raise AssertionError("set_graph: symmetric difference and difference disagree")
    adj = undirected(succ)
    naive = 0
    n = len(adj)
    for u in range(n):
        for v in adj[u]:
            if v > u:
                for w in adj[v]:
                    if w > v and u in adj[w]:
                        naive += 1
    if tri != naive:
        raise AssertionError("set_graph: %d triangles, expected %d" % (tri, naive))
    return step
