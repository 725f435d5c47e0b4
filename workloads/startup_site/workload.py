"""Interpreter start-up: spawn the interpreter under test `loops` times and time it.

Each loop runs `sys.executable` with the `args` parameter through subprocess and waits for
it to exit, so a value is the cost of a fork/exec, interpreter start-up and shutdown.
`-E` ignores PYTHON* environment variables (PYTHONPATH, PYTHONSTARTUP...) so the figure does
not depend on the caller's environment. The `startup` workload adds `-S` (no `site`): the
interpreter's own start-up, independent of what is installed in site-packages (a `.pth`
file there can cost more than the interpreter itself). `startup_site` keeps `site`, as real
programs do. `-I` is not used: Python 2.7 does not have it.
"""
from __future__ import division, print_function

import os
import subprocess
import sys

try:
    from time import perf_counter as clock
except ImportError:  # Python 2
    from time import time as clock


def spawn_once(argv, devnull):
    proc = subprocess.Popen(argv, stdin=devnull, stdout=devnull, stderr=subprocess.PIPE)
    _, err = proc.communicate()
    if proc.returncode != 0:
        raise AssertionError("startup: %r exited with %d: %r" % (argv, proc.returncode, err[-500:]))


def time_loops(loops, params):
    argv = [sys.executable] + list(params["args"])
    devnull = open(os.devnull, "r+b")
    try:
        spawn_once(argv, devnull)  # fails loudly once, before timing, if the command is broken
        start = clock()
        for _ in range(loops):
            spawn_once(argv, devnull)
        return clock() - start
    finally:
        devnull.close()
