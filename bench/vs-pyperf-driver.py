# -*- coding: utf-8 -*-
"""The pyperf side of bench/vs-pyperf.ts: one langperf workload timed by pyperf's Runner.

    PYTHONPATH=PYPERF_DIR python vs-pyperf-driver.py --workload-dir workloads/nbody -o out.json

It loads the workload exactly as langperf's harness does (harness/python/langperf_harness.py,
load_workload: the file compiled and executed into a fresh module named langperf_workload, its
folder on sys.path while the file runs and make() builds the step), calls make() with the
manifest's parameters, and gives pyperf a time function with the harness's own timing loop
(itertools.repeat, perf_counter read just around the calls), divided by the manifest's
innerLoops as the harness divides. So both tools time the same function; what differs is
everything around it: processes, calibration, warm-ups, values and each tool's own overhead.

The workload is loaded in pyperf's worker processes only (the manager process only spawns them
and never calls the function), so pyperf pays for make() exactly where langperf does.
pyperf itself is not part of langperf: bench/vs-pyperf.ts says how to get a source tree.
"""

import json
import os
import sys
import time
from itertools import repeat

import pyperf


def load_workload(workload_dir):
    """(manifest, step) of the workload in workload_dir, loaded as langperf's harness loads it."""
    with open(os.path.join(workload_dir, "manifest.json")) as f:
        manifest = json.load(f)
    path = os.path.abspath(os.path.join(workload_dir, manifest["entry"]))
    with open(path, "rb") as f:
        source = f.read()
    folder = os.path.dirname(path)
    sys.path.insert(0, folder)
    try:
        code = compile(source, path, "exec", 0, True)
        module = type(sys)("langperf_workload")
        module.__file__ = path
        sys.modules["langperf_workload"] = module
        exec(code, module.__dict__)
        step = module.make(manifest["parameters"])
    finally:
        if folder in sys.path:
            sys.path.remove(folder)
    return manifest, step


def timer_of(step):
    """pyperf's time function: seconds for `loops` calls of step(), the harness's loop."""
    clock = time.perf_counter

    def time_loops(loops):
        it = repeat(None, loops)
        t0 = clock()
        for _ in it:
            step()
        return clock() - t0

    return time_loops


def add_cmdline_args(cmd, args):
    cmd.extend(("--workload-dir", args.workload_dir))


def main():
    runner = pyperf.Runner(add_cmdline_args=add_cmdline_args)
    runner.argparser.add_argument("--workload-dir", required=True)
    args = runner.parse_args()
    with open(os.path.join(args.workload_dir, "manifest.json")) as f:
        name = json.load(f)["name"]
    if args.worker:
        manifest, step = load_workload(args.workload_dir)
        import gc

        gc.collect()  # as the harness does after make(), before the first timed value
        runner.bench_time_func(name, timer_of(step), inner_loops=manifest["innerLoops"])
    else:
        # The manager: spawns the workers and never calls the function.
        runner.bench_time_func(name, lambda loops: 0.0)


if __name__ == "__main__":
    main()
