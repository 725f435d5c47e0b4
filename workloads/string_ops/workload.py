# -*- coding: utf-8 -*-
"""Text processing with str methods: formatting, joining, splitting, case, search, unicode.

Records with non-ASCII names are formatted into a fixed-width report with both %-formatting
and str.format, encoded to UTF-8 and back, then parsed again field by field; the parsed
values must equal the originals.
"""
from __future__ import division, print_function, unicode_literals

try:
    range = xrange  # Python 2: iterate without building lists
except NameError:
    pass

SYLLABLES = ["ka", "lo", "mé", "zu", "ré", "ßa", "ñi", "to", "ψυ", "ло", "語", "dö", "an", "el"]
CITIES = ["Zürich", "Kraków", "Tōkyō", "São Paulo", "Αθήνα", "Москва", "Reykjavík", "Lyon"]


class Lcg(object):
    def __init__(self, seed):
        self.state = seed & 0x7FFFFFFF

    def below(self, n):
        self.state = (self.state * 1103515245 + 12345) & 0x7FFFFFFF
        return (self.state >> 7) % n


def make_records(count, seed):
    rng = Lcg(seed)
    records = []
    for i in range(count):
        name = "".join(SYLLABLES[rng.below(len(SYLLABLES))] for _ in range(2 + rng.below(3))).title()
        city = CITIES[rng.below(len(CITIES))]
        qty = rng.below(100000)
        price_cents = rng.below(1000000)
        records.append((i, name, city, qty, price_cents))
    return records


def render(records):
    lines = []
    for ident, name, city, qty, price_cents in records:
        head = "%06d|%-12s|" % (ident, name)
        tail = "{0:>10}|{1:>9d}|{2}.{3:02d}".format(city, qty, price_cents // 100, price_cents % 100)
        lines.append(head + tail)
    return "\n".join(lines)


def parse(text):
    out = []
    for line in text.split("\n"):
        fields = line.split("|")
        ident = int(fields[0])
        name = fields[1].rstrip()
        city = fields[2].strip()
        qty = int(fields[3])
        units, _, cents = fields[4].partition(".")
        out.append((ident, name, city, qty, int(units) * 100 + int(cents)))
    return out


def transform(text):
    # Case changes, replacement, search and reassembly of words.
    upper = text.upper()
    swapped = upper.replace("|", " ; ").lower()
    words = swapped.split()
    long_words = [w[::-1] for w in words if len(w) > 6]
    hits = 0
    start = 0
    while True:
        k = text.find("ö", start)
        if k < 0:
            break
        hits += 1
        start = k + 1
    starts = sum(1 for w in words if w.startswith("ka") or w.endswith("an"))
    return len(swapped), len(long_words), hits, starts, " ".join(long_words[:50]).capitalize()


def make(params):
    records = make_records(params["records"], params["seed"])

    def step():
        text = render(records)
        data = text.encode("utf-8")
        back = data.decode("utf-8")
        parsed = parse(back)
        stats = transform(back)
        return len(data), parsed, stats

    size, parsed, stats = step()
    if parsed != records:
        raise AssertionError("string_ops: parsing the rendered report did not give back the records")
    if stats[2] != "".join(r[1] for r in records).count("ö"):
        raise AssertionError("string_ops: find() counted %d 'ö', expected count()'s figure" % stats[2])
    if size <= len(records) * 40:
        raise AssertionError("string_ops: UTF-8 report has %d bytes, expected more than %d" % (size, len(records) * 40))
    return step
