# -*- coding: utf-8 -*-
"""JSON serialisation: dumps and loads of a nested document of users, orders and events.

The document mixes every JSON type (nested objects and arrays, integers, floats, unicode
strings with characters that need escaping, booleans and null). Each step encodes it twice
(compact with sorted keys, and indented) and decodes both; decoding must give the document back.
"""
from __future__ import division, print_function, unicode_literals

import json

try:
    range = xrange  # Python 2: iterate without building lists
except NameError:
    pass

NAMES = ["Ana", "Björn", "Chloé", "Dmitrï", "Eun-ji", "Fatma", "Giò", "Hélène", "Ιωάννης", "Юлия"]
TAGS = ["new", "vip", "b2b", "trial", "churned", "beta", "emoji \u263a", "quote \"x\"", "tab\tsep", "slash/\\"]


class Lcg(object):
    def __init__(self, seed):
        self.state = seed & 0x7FFFFFFF

    def below(self, n):
        self.state = (self.state * 1103515245 + 12345) & 0x7FFFFFFF
        return (self.state >> 7) % n


def build(users, seed):
    rng = Lcg(seed)
    doc = {"version": 3, "generator": "langperf", "users": []}
    for i in range(users):
        orders = []
        for k in range(rng.below(6)):
            orders.append({
                "id": "%d-%d" % (i, k),
                "total": rng.below(10 ** 7) / 100.0,
                "items": [{"sku": rng.below(99999), "qty": 1 + rng.below(5)} for _ in range(1 + rng.below(4))],
                "paid": bool(rng.below(2)),
                "coupon": None if rng.below(3) else "SAVE%d" % rng.below(50),
            })
        doc["users"].append({
            "id": i,
            "name": NAMES[rng.below(len(NAMES))] + " " + NAMES[rng.below(len(NAMES))],
            "email": "user%d@example.org" % i,
            "score": rng.below(2 ** 31) / 7.0,
            "active": rng.below(4) != 0,
            "tags": [TAGS[rng.below(len(TAGS))] for _ in range(rng.below(4))],
            "address": {"street": "%d Rue de l'Église" % (1 + rng.below(200)), "zip": "%05d" % rng.below(100000), "geo": [rng.below(180000) / 1000.0 - 90.0, rng.below(360000) / 1000.0 - 180.0]},
            "orders": orders,
        })
    return doc


def make(params):
    doc = build(params["users"], params["seed"])

    def step():
        compact = json.dumps(doc, sort_keys=True, separators=(",", ":"))
        pretty = json.dumps(doc, indent=2, ensure_ascii=False)
        return json.loads(compact), json.loads(pretty), len(compact) + len(pretty)

    a, b, _ = step()
    if a != doc or b != doc:
        raise AssertionError("json_roundtrip: loads(dumps(doc)) differs from doc")
    return step
