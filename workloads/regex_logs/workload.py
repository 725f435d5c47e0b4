"""A log parser built on several compiled regular expressions.

Synthetic web-server and application log lines are generated in make (the generator keeps
its own tallies); each step classifies every line with a handful of patterns (named groups,
alternation, character classes, finditer over query strings, sub for redaction) and the
tallies it finds must equal the generator's.
"""
from __future__ import division, print_function

import re

try:
    range = xrange  # Python 2: iterate without building lists
except NameError:
    pass

ACCESS = re.compile(
    r'^(?P<ip>\d{1,3}(?:\.\d{1,3}){3}) - (?P<user>[\w.-]+|-) \[(?P<day>\d{2})/(?P<mon>[A-Z][a-z]{2})/'
    r'(?P<year>\d{4}):(?P<time>\d{2}:\d{2}:\d{2}) [+-]\d{4}\] "(?P<method>GET|POST|PUT|DELETE) '
    r'(?P<path>[^ ?"]*)(?:\?(?P<query>[^ "]*))? HTTP/1\.[01]" (?P<status>\d{3}) (?P<size>\d+|-)$'
)
APP = re.compile(r"^(?P<stamp>\d{4}-\d{2}-\d{2}T[\d:.]+Z) +(?P<level>DEBUG|INFO|WARN|ERROR) +\[(?P<mod>[a-z_.]+)\] (?P<msg>.*)$")
QUERY_PAIR = re.compile(r"([A-Za-z_][\w]*)=([^&]*)")
EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
IPV4 = re.compile(r"\b\d{1,3}(?:\.\d{1,3}){3}\b")
DURATION = re.compile(r"took (\d+(?:\.\d+)?)\s*(ms|s)\b")
STATIC = re.compile(r"\.(?:css|js|png|jpe?g|svg|ico)$", re.IGNORECASE)

MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
PATHS = ["/", "/index.html", "/api/items", "/api/users/42", "/static/app.js", "/img/logo.PNG", "/search", "/login"]
USERS = ["-", "alice", "bob.smith", "carol-x"]
MODULES = ["db.pool", "http.server", "auth", "cache", "jobs.worker"]
STATUSES = [200, 200, 200, 304, 404, 500, 201, 302]
METHODS = ["GET", "GET", "POST", "PUT", "DELETE"]
LEVELS = ["DEBUG", "INFO", "INFO", "WARN", "ERROR"]


class Lcg(object):
    def __init__(self, seed):
        self.state = seed & 0x7FFFFFFF

    def below(self, n):
        self.state = (self.state * 1103515245 + 12345) & 0x7FFFFFFF
        return (self.state >> 7) % n


def generate(count, seed):
    rng = Lcg(seed)
    lines = []
    truth = {"access": 0, "app": 0, "static": 0, "bytes": 0, "pairs": 0, "emails": 0, "ips_in_msgs": 0, "ms": 0}
    for _ in range(count):
        if rng.below(3):
            ip = "%d.%d.%d.%d" % (10 + rng.below(200), rng.below(256), rng.below(256), 1 + rng.below(254))
            path = PATHS[rng.below(len(PATHS))]
            query = ""
            if path in ("/search", "/api/items"):
                n = 1 + rng.below(4)
                query = "?" + "&".join("k%d=v%d" % (k, rng.below(1000)) for k in range(n))
                truth["pairs"] += n
            size = rng.below(50000)
            lines.append('%s - %s [%02d/%s/20%02d:%02d:%02d:%02d +0000] "%s %s%s HTTP/1.1" %d %d' % (
                ip, USERS[rng.below(4)], 1 + rng.below(28), MONTHS[rng.below(12)], rng.below(30),
                rng.below(24), rng.below(60), rng.below(60), METHODS[rng.below(5)], path, query,
                STATUSES[rng.below(len(STATUSES))], size))
            truth["access"] += 1
            truth["bytes"] += size
            if STATIC.search(path):
                truth["static"] += 1
        else:
            kind = rng.below(3)
            if kind == 0:
                msg = "user u%d@example%d.org logged in from 192.168.%d.%d" % (rng.below(999), rng.below(9), rng.below(256), rng.below(256))
                truth["emails"] += 1
                truth["ips_in_msgs"] += 1
            elif kind == 1:
                ms = rng.below(5000)
                msg = "query took %d ms rows=%d" % (ms, rng.below(100))
                truth["ms"] += ms
            else:
                msg = "job %d finished, took %d.5 s" % (rng.below(10000), rng.below(9))
            lines.append("2024-%02d-%02dT%02d:%02d:%02d.%03dZ %-5s [%s] %s" % (
                1 + rng.below(12), 1 + rng.below(28), rng.below(24), rng.below(60), rng.below(60),
                rng.below(1000), LEVELS[rng.below(5)], MODULES[rng.below(len(MODULES))], msg))
            truth["app"] += 1
    return lines, truth


def analyse(lines):
    got = {"access": 0, "app": 0, "static": 0, "bytes": 0, "pairs": 0, "emails": 0, "ips_in_msgs": 0, "ms": 0}
    statuses = {}
    levels = {}
    redacted = []
    for line in lines:
        m = ACCESS.match(line)
        if m:
            got["access"] += 1
            size = m.group("size")
            if size != "-":
                got["bytes"] += int(size)
            status = m.group("status")
            statuses[status] = statuses.get(status, 0) + 1
            if STATIC.search(m.group("path")):
                got["static"] += 1
            query = m.group("query")
            if query:
                for _key, _value in QUERY_PAIR.findall(query):
                    got["pairs"] += 1
            continue
        m = APP.match(line)
        if m:
            got["app"] += 1
            level = m.group("level")
            levels[level] = levels.get(level, 0) + 1
            msg = m.group("msg")
            got["emails"] += len(EMAIL.findall(msg))
            msg, n_ips = IPV4.subn("<ip>", msg)
            got["ips_in_msgs"] += n_ips
            redacted.append(EMAIL.sub("<email>", msg))
            for d in DURATION.finditer(msg):
                if d.group(2) == "ms":
                    got["ms"] += int(d.group(1))
            continue
        raise AssertionError("regex_logs: no pattern matched line %r" % line)
    return got, statuses, levels, redacted


def make(params):
    lines, truth = generate(params["lines"], params["seed"])

    def step():
        return analyse(lines)

    got, _, levels, redacted = step()
    if got != truth:
        raise AssertionError("regex_logs: tallies %r differ from the generator's %r" % (sorted(got.items()), sorted(truth.items())))
    if sum(levels.values()) != truth["app"] or any("@" in r for r in redacted):
        raise AssertionError("regex_logs: level counts or e-mail redaction are wrong")
    return step
