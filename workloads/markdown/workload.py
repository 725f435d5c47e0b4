"""A Markdown-to-HTML converter for a common subset, written as a line-based block parser
plus regex-driven inline rules.

Blocks: ATX headings, paragraphs, unordered and ordered lists, block quotes, fenced code and
horizontal rules. Inline: code spans, **strong**, *emphasis*, [links](url) and HTML escaping.
The document is generated; the generator's tallies of every element must match the tags
found in the HTML.
"""
from __future__ import division, print_function

import re

try:
    range = xrange  # Python 2: iterate without building lists
except NameError:
    pass

HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*$")
BULLET = re.compile(r"^[-*+]\s+(.*)$")
NUMBERED = re.compile(r"^\d+[.)]\s+(.*)$")
RULE = re.compile(r"^(?:-{3,}|\*{3,}|_{3,})\s*$")
CODE_SPAN = re.compile(r"`([^`]+)`")
LINK = re.compile(r"\[([^\]]+)\]\(([^)\s]+)\)")
STRONG = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*")
EMPH = re.compile(r"\*(?=\S)(.+?)(?<=\S)\*")


def escape(text):
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def inline(text):
    # Code spans are literal: split them out first, format only the text between them.
    out = []
    pos = 0
    for m in CODE_SPAN.finditer(text):
        out.append(format_text(text[pos:m.start()]))
        out.append("<code>%s</code>" % escape(m.group(1)))
        pos = m.end()
    out.append(format_text(text[pos:]))
    return "".join(out)


def format_text(text):
    text = escape(text)
    text = LINK.sub(r'<a href="\2">\1</a>', text)
    text = STRONG.sub(r"<strong>\1</strong>", text)
    return EMPH.sub(r"<em>\1</em>", text)


def convert(source):
    html = []
    para = []
    list_kind = None
    quote = []
    lines = source.split("\n")
    i = 0

    def flush():
        if para:
            html.append("<p>%s</p>" % inline(" ".join(para)))
            del para[:]
        if quote:
            html.append("<blockquote><p>%s</p></blockquote>" % inline(" ".join(quote)))
            del quote[:]

    while i < len(lines):
        line = lines[i].rstrip()
        i += 1
        if list_kind and not (BULLET.match(line) if list_kind == "ul" else NUMBERED.match(line)):
            html.append("</%s>" % list_kind)
            list_kind = None
        if not line:
            flush()
            continue
        if line.startswith("```"):
            flush()
            code = []
            while i < len(lines) and not lines[i].startswith("```"):
                code.append(lines[i])
                i += 1
            i += 1  # the closing fence
            lang = line[3:].strip()
            attr = ' class="language-%s"' % escape(lang) if lang else ""
            html.append("<pre><code%s>%s</code></pre>" % (attr, escape("\n".join(code))))
            continue
        m = HEADING.match(line)
        if m:
            flush()
            level = len(m.group(1))
            html.append("<h%d>%s</h%d>" % (level, inline(m.group(2)), level))
            continue
        if RULE.match(line):
            flush()
            html.append("<hr>")
            continue
        if line.startswith(">"):
            if para:
                flush()
            quote.append(line[1:].strip())
            continue
        m = BULLET.match(line) or NUMBERED.match(line)
        if m:
            flush()
            kind = "ul" if BULLET.match(line) else "ol"
            if list_kind is None:
                html.append("<%s>" % kind)
                list_kind = kind
            html.append("<li>%s</li>" % inline(m.group(1)))
            continue
        if quote:
            flush()
        para.append(line.strip())
    flush()
    if list_kind:
        html.append("</%s>" % list_kind)
    return "\n".join(html)


WORDS = ["the", "python", "interpreter", "runs", "fast", "code", "with", "a < b", "R&D", "loops",
         "caches", "objects", "tuple", "frames", "bytecode", "specialises", "\"quoted\""]


def generate(sections, seed):
    state = [seed & 0x7FFFFFFF]

    def below(n):
        state[0] = (state[0] * 1103515245 + 12345) & 0x7FFFFFFF
        return (state[0] >> 8) % n

    def sentence(n):
        parts = []
        for k in range(n):
            w = WORDS[below(len(WORDS))]
            style = below(12)
            if style == 0:
                w = "**%s**" % w
                tally["strong"] += 1
            elif style == 1:
                w = "*%s*" % w
                tally["em"] += 1
            elif style == 2:
                w = "`%s`" % w
                tally["code"] += 1
            elif style == 3:
                w = "[%s](https://example.org/%d)" % (w, k)
                tally["a"] += 1
            parts.append(w)
        return " ".join(parts)

    tally = {"h2": 0, "h3": 0, "p": 0, "li": 0, "ul": 0, "ol": 0, "pre": 0, "blockquote": 0, "hr": 0,
             "strong": 0, "em": 0, "code": 0, "a": 0}
    out = []
    for s in range(sections):
        out.append("## Section %d: %s\n" % (s, sentence(3)))
        tally["h2"] += 1
        for _ in range(1 + below(3)):
            out.append(sentence(8 + below(10)) + "\n" + sentence(6 + below(10)) + "\n")
            tally["p"] += 1
        kind = below(4)
        if kind == 0:
            items = 2 + below(5)
            out.append("\n".join("- " + sentence(4 + below(5)) for _ in range(items)) + "\n")
            tally["li"] += items
            tally["ul"] += 1
        elif kind == 1:
            items = 2 + below(4)
            out.append("\n".join("%d. %s" % (k + 1, sentence(5)) for k in range(items)) + "\n")
            tally["li"] += items
            tally["ol"] += 1
        elif kind == 2:
            out.append("```python\nfor i in range(10):\n    if i < 5 and i & 1:\n        print(\"<%d>\" % i)\n```\n")
            tally["pre"] += 1
        else:
            out.append("> " + sentence(7) + "\n> " + sentence(5) + "\n")
            tally["blockquote"] += 1
        if below(3) == 0:
            out.append("### Notes\n\n" + sentence(9) + "\n\n---\n")
            tally["h3"] += 1
            tally["p"] += 1
            tally["hr"] += 1
    return "\n".join(out), tally


def make(params):
    source, tally = generate(params["sections"], params["seed"])

    def step():
        return convert(source)

    html = step()
    for tag, want in sorted(tally.items()):
        got = html.count("<%s>" % tag) + html.count("<%s " % tag)
        if tag == "code":
            got -= tally["pre"]  # <pre><code class=...> also opens a code element
        if tag == "p":
            got -= tally["blockquote"]  # a quote's text sits in its own <p>
        if got != want:
            raise AssertionError("markdown: %d <%s> elements, expected %d" % (got, tag, want))
    if "a < b" in html or "R&D" in html:
        raise AssertionError("markdown: text reached the HTML unescaped")
    return step
