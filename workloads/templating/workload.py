# -*- coding: utf-8 -*-
"""A small template engine: parse once into a node tree, render many rows, escape HTML.

Syntax: `{{ path.to.value | filter | filter }}` (output is HTML-escaped unless the last
filter is `raw`), `{% for x in path %}…{% endfor %}` (with `loop.index` and `loop.odd`),
`{% if [not] path %}…{% else %}…{% endif %}`. The rendered page must equal the page built
by hand with string concatenation, byte for byte.
"""
from __future__ import division, print_function, unicode_literals

import re

try:
    range = xrange  # Python 2: iterate without building lists
except NameError:
    pass

TOKEN = re.compile(r"({{.*?}}|{%.*?%})", re.S)

PAGE = """<!doctype html>
<html><head><title>{{ title }}</title></head>
<body>
<h1>{{ title | upper }}</h1>
<p>{{ intro }}</p>
<table>
<tr><th>#</th><th>Product</th><th>Price</th><th>Stock</th><th>Tags</th></tr>
{% for item in items %}<tr class="{% if loop.odd %}odd{% else %}even{% endif %}">
<td>{{ loop.index }}</td><td><a href="/p/{{ item.slug }}">{{ item.name }}</a></td><td>{{ item.cents | money }}</td>
<td>{% if item.stock %}{{ item.stock }}{% else %}<em>sold out</em>{% endif %}</td>
<td>{% for tag in item.tags %}<span>{{ tag | lower }}</span>{% endfor %}</td>
</tr>
{% endfor %}</table>
{% if not items %}<p>Nothing here.</p>{% endif %}<footer>{{ footer | raw }}</footer>
</body></html>
"""


def escape(text):
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;").replace("'", "&#39;"))


def money(cents):
    return "%d.%02d €" % (cents // 100, cents % 100)


FILTERS = {"upper": lambda v: ("%s" % v).upper(), "lower": lambda v: ("%s" % v).lower(), "money": money}


class Text(object):
    def __init__(self, text):
        self.text = text

    def render(self, ctx, out):
        out.append(self.text)


class Var(object):
    def __init__(self, path, filters, raw):
        self.path = path
        self.filters = filters
        self.raw = raw

    def render(self, ctx, out):
        value = ctx.lookup(self.path)
        for f in self.filters:
            value = f(value)
        text = "%s" % (value,)
        out.append(text if self.raw else escape(text))


class For(object):
    def __init__(self, name, path, body):
        self.name = name
        self.path = path
        self.body = body

    def render(self, ctx, out):
        items = ctx.lookup(self.path)
        loop = {"index": 0, "odd": False}
        scope = Context({self.name: None, "loop": loop}, ctx)
        names = scope.names
        for i, item in enumerate(items):
            names[self.name] = item
            loop["index"] = i + 1
            loop["odd"] = i % 2 == 0
            for node in self.body:
                node.render(scope, out)


class If(object):
    def __init__(self, path, negate, then, otherwise):
        self.path = path
        self.negate = negate
        self.then = then
        self.otherwise = otherwise

    def render(self, ctx, out):
        value = bool(ctx.lookup(self.path))
        for node in (self.then if value != self.negate else self.otherwise):
            node.render(ctx, out)


class Context(object):
    def __init__(self, names, parent=None):
        self.names = names
        self.parent = parent

    def lookup(self, path):
        head = path[0]
        ctx = self
        while ctx is not None:
            if head in ctx.names:
                value = ctx.names[head]
                break
            ctx = ctx.parent
        else:
            raise KeyError("templating: undefined name %r" % head)
        for part in path[1:]:
            value = value[part] if isinstance(value, dict) else getattr(value, part)
        return value


def parse(source):
    pieces = TOKEN.split(source)
    pos = [0]

    def parse_until(ends):
        nodes = []
        while pos[0] < len(pieces):
            piece = pieces[pos[0]]
            pos[0] += 1
            if piece.startswith("{{"):
                parts = [p.strip() for p in piece[2:-2].split("|")]
                raw = parts[-1] == "raw"
                names = parts[1:-1] if raw else parts[1:]
                nodes.append(Var(parts[0].split("."), [FILTERS[n] for n in names], raw))
            elif piece.startswith("{%"):
                words = piece[2:-2].split()
                if words[0] in ends:
                    return nodes, words[0]
                if words[0] == "for":
                    body, _ = parse_until(("endfor",))
                    nodes.append(For(words[1], words[3].split("."), body))
                elif words[0] == "if":
                    negate = words[1] == "not"
                    path = words[-1].split(".")
                    then, end = parse_until(("else", "endif"))
                    otherwise = []
                    if end == "else":
                        otherwise, _ = parse_until(("endif",))
                    nodes.append(If(path, negate, then, otherwise))
                else:
                    raise SyntaxError("templating: unknown tag %r" % piece)
            elif piece:
                nodes.append(Text(piece))
        if ends:
            raise SyntaxError("templating: missing %s" % " or ".join(ends))
        return nodes, None

    return parse_until(())[0]


def render(nodes, names):
    out = []
    ctx = Context(names)
    for node in nodes:
        node.render(ctx, out)
    return "".join(out)


class Product(object):
    def __init__(self, slug, name, cents, stock, tags):
        self.slug = slug
        self.name = name
        self.cents = cents
        self.stock = stock
        self.tags = tags


def make_data(rows, seed):
    state = seed & 0x7FFFFFFF
    words = ["Chair", "Lamp", "Tea & Co", "<b>Bold</b>", "Désk", "Mug \"Big\"", "Sofa", "Rug", "O'Brien"]
    tags = ["NEW", "Sale", "eco", "Last<1>"]
    items = []
    for i in range(rows):
        state = (state * 1103515245 + 12345) & 0x7FFFFFFF
        r = state >> 8
        items.append(Product("p%d" % i, "%s %d" % (words[r % len(words)], i), r % 100000,
                             r % 7, [tags[(r >> k) % len(tags)] for k in range(r % 3)]))
    return {"title": "Catalogue <2024>", "intro": "Prices & stock for \"today\"", "items": items,
            "footer": "<small>&copy; langperf</small>"}


def render_by_hand(data):
    parts = ["<!doctype html>\n<html><head><title>", escape(data["title"]), "</title></head>\n<body>\n<h1>",
             escape(data["title"].upper()), "</h1>\n<p>", escape(data["intro"]), "</p>\n<table>\n",
             "<tr><th>#</th><th>Product</th><th>Price</th><th>Stock</th><th>Tags</th></tr>\n"]
    for i, item in enumerate(data["items"]):
        parts.append('<tr class="%s">\n<td>%d</td><td><a href="/p/%s">%s</a></td><td>%s</td>\n<td>%s</td>\n<td>%s</td>\n</tr>\n' % (
            "odd" if i % 2 == 0 else "even", i + 1, escape(item.slug), escape(item.name), escape(money(item.cents)),
            escape("%d" % item.stock) if item.stock else "<em>sold out</em>",
            "".join("<span>%s</span>" % escape(t.lower()) for t in item.tags)))
    parts.append("</table>\n")
    if not data["items"]:
        parts.append("<p>Nothing here.</p>")
    parts.append("<footer>%s</footer>\n</body></html>\n" % data["footer"])
    return "".join(parts)


def make(params):
    data = make_data(params["rows"], params["seed"])
    nodes = parse(PAGE)

    def step():
        return render(nodes, data)

    html = step()
    expected = render_by_hand(data)
    if html != expected:
        at = next(i for i in range(min(len(html), len(expected)) + 1) if html[i:i + 1] != expected[i:i + 1])
        raise AssertionError("templating: output differs from the hand-built page at %d: %r vs %r" % (at, html[at:at + 40], expected[at:at + 40]))
    if "<b>" in html:
        raise AssertionError("templating: unescaped markup from the data reached the page")
    return step
