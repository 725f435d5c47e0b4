"""Graph algorithms on a weighted graph: Dijkstra with a binary heap (heapq) and Kruskal's
minimum spanning tree with union-find (path halving, union by size).

Checks: every edge satisfies the shortest-path inequality and every reached node has a tight
predecessor edge; Kruskal's tree weight equals that of Prim's algorithm, computed separately.
"""
from __future__ import division, print_function

import heapq

try:
    range = xrange  # Python 2: iterate without building lists
except NameError:
    pass


class Lcg(object):
    def __init__(self, seed):
        self.state = seed & 0x7FFFFFFF

    def below(self, n):
        self.state = (self.state * 1103515245 + 12345) & 0x7FFFFFFF
        return (self.state >> 8) % n


def make_graph(nodes, extra_edges, seed):
    """A connected undirected graph: a random spanning path plus random extra edges."""
    nxt = Lcg(seed).below
    order = list(range(nodes))
    for i in range(nodes - 1, 0, -1):  # Fisher-Yates shuffle with our own generator
        j = nxt(i + 1)
        order[i], order[j] = order[j], order[i]
    edges = []
    for i in range(nodes - 1):
        edges.append((1 + nxt(100), order[i], order[i + 1]))
    for _ in range(extra_edges):
        u = nxt(nodes)
        v = (u + 1 + nxt(nodes // 10)) % nodes
        edges.append((1 + nxt(100), u, v))
    adj = [[] for _ in range(nodes)]
    for w, u, v in edges:
        adj[u].append((v, w))
        adj[v].append((u, w))
    return edges, adj


def dijkstra(adj, source):
    inf = float("inf")
    dist = [inf] * len(adj)
    dist[source] = 0
    heap = [(0, source)]
    pop = heapq.heappop
    push = heapq.heappush
    while heap:
        d, u = pop(heap)
        if d > dist[u]:
            continue  # a stale entry: u was already settled with a shorter distance
        for v, w in adj[u]:
            nd = d + w
            if nd < dist[v]:
                dist[v] = nd
                push(heap, (nd, v))
    return dist


class UnionFind(object):
    def __init__(self, n):
        self.parent = list(range(n))
        self.size = [1] * n

    def find(self, x):
        parent = self.parent
        while parent[x] != x:
            parent[x] = parent[parent[x]]  # path halving
            x = parent[x]
        return x

    def union(self, a, b):
        ra = self.find(a)
        rb = self.find(b)
        if ra == rb:
            return False
        if self.size[ra] < self.size[rb]:
            ra, rb = rb, ra
        self.parent[rb] = ra
        self.size[ra] += self.size[rb]
        return True


def kruskal(nodes, edges):
    uf = UnionFind(nodes)
    total = 0
    used = 0
    for w, u, v in sorted(edges):
        if uf.union(u, v):
            total += w
            used += 1
            if used == nodes - 1:
                break
    return total, used


def prim(adj):
    seen = [False] * len(adj)
    heap = [(0, 0)]
    total = 0
    while heap:
        w, u = heapq.heappop(heap)
        if seen[u]:
            continue
        seen[u] = True
        total += w
        for v, wv in adj[u]:
            if not seen[v]:
                heapq.heappush(heap, (wv, v))
    return total


def make(params):
    nodes = params["nodes"]
    edges, adj = make_graph(nodes, params["extra_edges"], params["seed"])
    sources = [(k * 7919) % nodes for k in range(params["sources"])]

    def step():
        dists = [dijkstra(adj, s) for s in sources]
        return dists, kruskal(nodes, edges)

    dists, (mst_weight, used) = step()
    for dist in dists:
        for w, u, v in edges:
            if dist[v] > dist[u] + w or dist[u] > dist[v] + w:
                raise AssertionError("dijkstra_mst: edge %d-%d (%d) violates the shortest-path bound" % (u, v, w))
        for v in range(nodes):
            if dist[v] and not any(dist[u] + w == dist[v] for u, w in adj[v]):
                raise AssertionError("dijkstra_mst: node %d has no tight predecessor" % v)
    if used != nodes - 1 or mst_weight != prim(adj):
        raise AssertionError("dijkstra_mst: Kruskal weight %d with %d edges, Prim weight %d" % (mst_weight, used, prim(adj)))
    return step
