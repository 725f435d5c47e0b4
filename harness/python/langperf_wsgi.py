# -*- coding: utf-8 -*-
"""langperf's WSGI shim: the server side of a workload with an `http` driver.

    python langperf_wsgi.py setup            # the workload's setup(params, services, workdir)
    gunicorn langperf_wsgi:application       # its make_app(params, services, workdir), served

The workload comes from the environment, which langperf sets for both commands:
LANGPERF_ENTRY (the entry file), LANGPERF_PARAMS (the manifest's parameters, JSON),
LANGPERF_SERVICES (JSON, service name -> "127.0.0.1:port") and LANGPERF_WORKDIR (a fresh
directory of this measuring process, for the workload's data). The entry is loaded by path
as the harness loads a workload (compile + exec into a new module), with its directory first
on sys.path so that it can import its own packages. Python 3 only (servers need Django or
the like); docs in workloads/README.md, "Server workloads".
"""

import json
import os
import sys
import types


def _context():
    entry = os.environ["LANGPERF_ENTRY"]
    params = json.loads(os.environ.get("LANGPERF_PARAMS", "{}"))
    services = json.loads(os.environ.get("LANGPERF_SERVICES", "{}"))
    workdir = os.environ["LANGPERF_WORKDIR"]
    return entry, params, services, workdir


def _load(path):
    directory = os.path.dirname(os.path.abspath(path))
    if directory not in sys.path:
        sys.path.insert(0, directory)
    module = types.ModuleType("langperf_server_workload")
    module.__file__ = path
    with open(path, "rb") as f:
        source = f.read()
    exec(compile(source, path, "exec", 0, True), module.__dict__)
    return module


def _main():
    if sys.argv[1:] != ["setup"]:
        sys.stderr.write("usage: langperf_wsgi.py setup\n")
        return 2
    entry, params, services, workdir = _context()
    module = _load(entry)
    setup = getattr(module, "setup", None)
    if setup is not None:
        setup(params, services, workdir)
    return 0


if __name__ == "__main__":
    sys.exit(_main())
elif "LANGPERF_ENTRY" in os.environ:
    _entry, _params, _services, _workdir = _context()
    application = _load(_entry).make_app(_params, _services, _workdir)
