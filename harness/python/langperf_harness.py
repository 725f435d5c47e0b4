# -*- coding: utf-8 -*-
#
# Protocol version history (keep in step with docs/harness-protocol.md, "Version history").
# The protocol number changes when a reader of the old format would misread the new one
# (a field removed, renamed or given a new meaning); a new field does not change it.
# harness_version changes with any change that may move a measurement.
#
#   protocol 1, harness 1.0.0: first version. Commands `describe` and `run`; one JSON document
#     of kind "describe", "result" or "error" on --result-fd; exit statuses 0 (success),
#     1 (workload failed), 2 (bad arguments), 3 (result descriptor unusable), 4 (harness bug).
#   protocol 1, harness 1.0.0 (a new field): metadata "stack", the third-party modules a
#     workload loaded (from site-packages) and numpy's BLAS, taken after the last value.
#   protocol 1, harness 1.0.0 (a new option): run --clock process times with time.process_time
#     (the process's CPU time: waiting for a CPU is left out) instead of perf_counter; metadata
#     "clock" says which. The default timing is unchanged.
#   protocol 1, harness 1.0.0 (a new field): stack "native_libraries", the BLAS/LAPACK shared
#     libraries mapped into the process (/proc/self/maps), so that a BLAS chosen through
#     LD_LIBRARY_PATH can be checked; modules from Debian's dist-packages count as third-party.
"""langperf's harness: the one file that runs inside the interpreter under test.

    python langperf_harness.py --result-fd 3 describe
    python langperf_harness.py --result-fd 3 run --workload FILE (--loops N | --calibrate) ...

It writes exactly one JSON document (one line, ASCII, ending in a newline) on the file
descriptor given by --result-fd, never on stdout, so that a workload which prints cannot
corrupt its own results. docs/harness-protocol.md describes every field, the workload API,
the error records and the exit codes.

Rules this file lives by:
- Standard library only, and as little of it as possible: every import costs time and memory
  in the very process being measured. At start-up it imports only os, sys and time (all three
  loaded or built in already); json, platform, sysconfig, resource and traceback are imported
  only after the last timed value or on the paths that need them.
- Runs unchanged on CPython 2.7 and 3.6+, and on PyPy 2 and 3: no f-strings, no keyword-only
  arguments, no `nonlocal`, no print statement.
"""

import os
import sys
import time

# Read the clock before anything else so that duration_s covers the whole harness.
if hasattr(time, "perf_counter"):
    _clock = time.perf_counter
    _CLOCK_NAME = "perf_counter"
elif sys.platform == "win32":
    # Python 2 on Windows: time.clock() is the high-resolution wall clock (QueryPerformanceCounter).
    _clock = time.clock
    _CLOCK_NAME = "clock"
else:
    # Python 2 elsewhere: gettimeofday() with microsecond resolution; not monotonic, so a clock
    # step shows up as a negative or absurd value, which _check_elapsed() turns into an error.
    _clock = time.time
    _CLOCK_NAME = "time"
_T0_CLOCK = _clock()
_T0_EPOCH = time.time()

PROTOCOL = 1
HARNESS_VERSION = "1.0.0"

EXIT_OK = 0
EXIT_WORKLOAD_FAILED = 1
EXIT_USAGE = 2
EXIT_RESULT_FD = 3
EXIT_INTERNAL = 4

#: Name given to the workload module (in sys.modules too, so pickle finds its classes).
WORKLOAD_MODULE_NAME = "langperf_workload"
#: Longest traceback kept in an error record, in characters (the tail is kept).
TRACEBACK_MAX_CHARS = 4000
DEFAULT_WARMUPS = 1
DEFAULT_VALUES = 3
DEFAULT_MIN_TIME_S = 0.1
DEFAULT_INNER_LOOPS = 1
DEFAULT_MAX_LOOPS = 2 ** 32

_PY2 = sys.version_info[0] == 2
_INF = float("inf")
_NUMBER_TYPES = (int, float, long) if _PY2 else (int, float)  # noqa: F821 (long: Python 2)

USAGE = """\
usage: langperf_harness.py --result-fd N describe
       langperf_harness.py --result-fd N run --workload FILE [--params JSON]
                           (--loops N | --calibrate [--min-time S] [--max-loops N])
                           [--warmups W] [--values V] [--inner-loops K] [--clock process]

Writes one JSON document on file descriptor N (see docs/harness-protocol.md).
Defaults: --warmups %d, --values %d, --inner-loops %d, --min-time %s, --max-loops %d.
""" % (DEFAULT_WARMUPS, DEFAULT_VALUES, DEFAULT_INNER_LOOPS, DEFAULT_MIN_TIME_S, DEFAULT_MAX_LOOPS)


class UsageError(Exception):
    """Bad command line: reported with exit status 2."""


class HarnessFailure(Exception):
    """A failure the harness detects itself (bad workload API, unusable timing): exit status 1."""

    def __init__(self, phase, error_type, message):
        Exception.__init__(self, message)
        self.phase = phase
        self.error_type = error_type
        self.message = message


# ---------------------------------------------------------------------------------------------
# Command line. argparse would import re, gettext and more into the measured process.

#: option name -> value kind; "flag" takes no value.
_OPTIONS = {
    "result-fd": "int",
    "workload": "str",
    "params": "str",
    "loops": "int",
    "calibrate": "flag",
    "warmups": "int",
    "values": "int",
    "min-time": "float",
    "inner-loops": "int",
    "max-loops": "int",
    "clock": "str",
}
_RUN_ONLY = ("workload", "params", "loops", "calibrate", "warmups", "values", "min-time",
             "inner-loops", "max-loops", "clock")


def _find_result_fd(argv):
    """The raw text of --result-fd, found before full parsing so usage errors can be reported."""
    for i, arg in enumerate(argv):
        if arg == "--result-fd":
            return argv[i + 1] if i + 1 < len(argv) else ""
        if arg.startswith("--result-fd="):
            return arg[len("--result-fd="):]
    return None


def _convert(name, kind, text):
    if kind == "str":
        return text
    try:
        value = int(text) if kind == "int" else float(text)
    except ValueError:
        raise UsageError('Cannot read --%s "%s": expected %s'
                         % (name, text, "an integer" if kind == "int" else "a number"))
    return value


def parse_args(argv):
    """Parse the command line into (command, options); raise UsageError on any problem."""
    command = None
    opts = {}
    i = 0
    while i < len(argv):
        arg = argv[i]
        i += 1
        if arg.startswith("--"):
            name, eq, inline = arg[2:].partition("=")
            kind = _OPTIONS.get(name)
            if kind is None:
                raise UsageError('Cannot use option "%s": unknown option (see --help)' % arg)
            if name in opts:
                raise UsageError('Cannot use option "--%s" twice' % name)
            if kind == "flag":
                if eq:
                    raise UsageError('Cannot give a value to "--%s": it is a flag' % name)
                opts[name] = True
                continue
            if eq:
                text = inline
            elif i < len(argv):
                text = argv[i]
                i += 1
            else:
                raise UsageError('Cannot read option "--%s": expected a value after it' % name)
            opts[name] = _convert(name, kind, text)
        elif command is None:
            command = arg
        else:
            raise UsageError('Cannot use argument "%s": expected only one command' % arg)
    if command not in ("describe", "run"):
        if command is None:
            raise UsageError("Cannot run the harness: expected a command, describe or run")
        raise UsageError('Cannot run command "%s": expected describe or run' % command)
    if command == "describe":
        extra = [n for n in _RUN_ONLY if n in opts]
        if extra:
            raise UsageError('Cannot use "--%s" with describe: it is an option of run' % extra[0])
        return command, opts
    return command, _check_run_options(opts)


def _check_run_options(opts):
    if "workload" not in opts:
        raise UsageError("Cannot run: expected --workload FILE")
    if not os.path.isfile(opts["workload"]):
        raise UsageError('Cannot run workload "%s": no such file' % opts["workload"])
    calibrate = opts.get("calibrate", False)
    if calibrate == ("loops" in opts):
        raise UsageError("Cannot run: expected exactly one of --loops N and --calibrate")
    if not calibrate:
        for name in ("min-time", "max-loops"):
            if name in opts:
                raise UsageError('Cannot use "--%s" without --calibrate' % name)
    out = {
        "workload": opts["workload"],
        "calibrate": calibrate,
        "loops": opts.get("loops", 1),
        "warmups": opts.get("warmups", DEFAULT_WARMUPS),
        "values": opts.get("values", DEFAULT_VALUES),
        "inner_loops": opts.get("inner-loops", DEFAULT_INNER_LOOPS),
        "min_time_s": opts.get("min-time", DEFAULT_MIN_TIME_S),
        "max_loops": opts.get("max-loops", DEFAULT_MAX_LOOPS),
        "clock": opts.get("clock", "wall"),
    }
    if out["clock"] not in ("wall", "process"):
        raise UsageError('Cannot use --clock "%s": expected wall or process' % out["clock"])
    if out["clock"] == "process" and not hasattr(time, "process_time"):
        raise UsageError("Cannot use --clock process: time.process_time needs Python 3.3 or newer")
    for key, name, low in (("loops", "loops", 1), ("warmups", "warmups", 0), ("values", "values", 0),
                           ("inner_loops", "inner-loops", 1), ("max_loops", "max-loops", 1)):
        if out[key] < low:
            raise UsageError('Cannot use --%s %d: expected an integer >= %d' % (name, out[key], low))
    if not (0.0 < out["min_time_s"] < _INF):
        raise UsageError('Cannot use --min-time %r: expected a positive number of seconds'
                         % out["min_time_s"])
    text = opts.get("params")
    if text is None:
        out["params"] = {}
    else:
        try:
            params = parse_json(text)
        except ValueError as exc:
            raise UsageError('Cannot read --params "%s": %s' % (_shorten(text, 80), exc))
        if not isinstance(params, dict):
            raise UsageError('Cannot use --params "%s": expected a JSON object'
                             % _shorten(text, 80))
        out["params"] = params
    return out


# ---------------------------------------------------------------------------------------------
# A small strict JSON reader for --params: the json module imports re, enum and functools on
# CPython 3 (23 modules on 3.13), which would then sit in the process the workload runs in.
# It returns what json.loads returns (unicode strings on Python 2).

_JSON_WS = " \t\n\r"
_JSON_ESCAPES = {'"': u'"', "\\": u"\\", "/": u"/", "b": u"\b", "f": u"\f", "n": u"\n",
                 "r": u"\r", "t": u"\t"}
_JSON_NUMBER_CHARS = "+-0123456789.eE"


def parse_json(text):
    """Parse one JSON text (RFC 8259) without importing json; raise ValueError when invalid."""
    if _PY2 and isinstance(text, str):
        text = text.decode("utf-8")
    value, i = _json_value(text, 0)
    i = _json_skip_ws(text, i)
    if i != len(text):
        raise ValueError("unexpected text at position %d" % i)
    return value


def _json_skip_ws(s, i):
    n = len(s)
    while i < n and s[i] in _JSON_WS:
        i += 1
    return i


def _json_value(s, i):
    i = _json_skip_ws(s, i)
    if i >= len(s):
        raise ValueError("unexpected end of JSON text")
    c = s[i]
    if c == "{":
        return _json_object(s, i + 1)
    if c == "[":
        return _json_array(s, i + 1)
    if c == '"':
        return _json_string(s, i + 1)
    if s.startswith("true", i):
        return True, i + 4
    if s.startswith("false", i):
        return False, i + 5
    if s.startswith("null", i):
        return None, i + 4
    return _json_number(s, i)


def _json_object(s, i):
    obj = {}
    i = _json_skip_ws(s, i)
    if s[i:i + 1] == "}":
        return obj, i + 1
    while True:
        i = _json_skip_ws(s, i)
        if s[i:i + 1] != '"':
            raise ValueError("expected a string key at position %d" % i)
        key, i = _json_string(s, i + 1)
        i = _json_skip_ws(s, i)
        if s[i:i + 1] != ":":
            raise ValueError("expected ':' at position %d" % i)
        value, i = _json_value(s, i + 1)
        obj[key] = value
        i = _json_skip_ws(s, i)
        c = s[i:i + 1]
        if c == ",":
            i += 1
        elif c == "}":
            return obj, i + 1
        else:
            raise ValueError("expected ',' or '}' at position %d" % i)


def _json_array(s, i):
    arr = []
    i = _json_skip_ws(s, i)
    if s[i:i + 1] == "]":
        return arr, i + 1
    while True:
        value, i = _json_value(s, i)
        arr.append(value)
        i = _json_skip_ws(s, i)
        c = s[i:i + 1]
        if c == ",":
            i += 1
        elif c == "]":
            return arr, i + 1
        else:
            raise ValueError("expected ',' or ']' at position %d" % i)


def _json_string(s, i):
    """Read a string whose opening quote is at i - 1; return (text, index after the quote)."""
    chunks = []
    n = len(s)
    while True:
        j = i
        while j < n and s[j] != '"' and s[j] != "\\" and s[j] >= " ":
            j += 1
        chunks.append(s[i:j])
        if j >= n:
            raise ValueError("unterminated string")
        c = s[j]
        if c == '"':
            return u"".join(chunks), j + 1
        if c != "\\":
            raise ValueError("control character in string at position %d" % j)
        esc = s[j + 1:j + 2]
        if esc == "u":
            code = _json_hex4(s, j + 2)
            i = j + 6
            if 0xD800 <= code <= 0xDBFF and s[i:i + 2] == "\\u":
                low = _json_hex4(s, i + 2)
                if 0xDC00 <= low <= 0xDFFF:
                    code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                    i += 6
            chunks.append(_unichr(code))
        elif esc in _JSON_ESCAPES:
            chunks.append(_JSON_ESCAPES[esc])
            i = j + 2
        else:
            raise ValueError("invalid escape at position %d" % j)


def _json_hex4(s, i):
    digits = s[i:i + 4]
    if len(digits) != 4 or any(d not in "0123456789abcdefABCDEF" for d in digits):
        raise ValueError("invalid \\u escape at position %d" % (i - 2))
    return int(digits, 16)


def _unichr(code):
    if _PY2:
        try:
            return unichr(code)  # noqa: F821 (Python 2 only)
        except ValueError:
            # A narrow (UCS-2) Python 2 build: keep the surrogate pair, as json.loads does.
            code -= 0x10000
            return unichr(0xD800 + (code >> 10)) + unichr(0xDC00 + (code & 0x3FF))  # noqa: F821
    return chr(code)


def _json_number(s, i):
    j = i
    n = len(s)
    while j < n and s[j] in _JSON_NUMBER_CHARS:
        j += 1
    token = s[i:j]
    if not _is_json_number(token):
        raise ValueError("invalid value at position %d" % i)
    if "." in token or "e" in token or "E" in token:
        return float(token), j
    return int(token), j


def _is_json_number(t):
    """-?(0|[1-9][0-9]*)(\\.[0-9]+)?([eE][+-]?[0-9]+)?"""
    k = 1 if t.startswith("-") else 0
    start = k
    while k < len(t) and t[k].isdigit():
        k += 1
    if k == start or (t[start] == "0" and k - start > 1):
        return False
    if k < len(t) and t[k] == ".":
        k += 1
        start = k
        while k < len(t) and t[k].isdigit():
            k += 1
        if k == start:
            return False
    if k < len(t) and t[k] in "eE":
        k += 1
        if k < len(t) and t[k] in "+-":
            k += 1
        start = k
        while k < len(t) and t[k].isdigit():
            k += 1
        if k == start:
            return False
    return k == len(t)


# ---------------------------------------------------------------------------------------------
# The result descriptor.

def check_result_fd(fd):
    """None when fd is open for writing, else a sentence saying what is wrong."""
    try:
        os.fstat(fd)
        # A zero-length write still fails with EBADF when fd is not open for writing (Linux
        # vfs_write checks the mode before the count), and writes nothing otherwise.
        os.write(fd, b"")
    except OSError as exc:
        return "file descriptor %d is not open for writing (%s)" % (fd, exc)
    return None


def _keep_result_fd_private(fd):
    """Mark fd close-on-exec so that a subprocess started by a workload cannot hold the result
    channel open (the runner waits for its end of file) or write into it."""
    if fd <= 2:
        return
    try:
        if hasattr(os, "set_inheritable"):
            os.set_inheritable(fd, False)
        else:
            import fcntl
            flags = fcntl.fcntl(fd, fcntl.F_GETFD)
            fcntl.fcntl(fd, fcntl.F_SETFD, flags | fcntl.FD_CLOEXEC)
    except Exception:
        pass  # not fatal: only a misbehaving child could take advantage of it


def _to_text(value):
    """Text for JSON on Python 2, where str is bytes and may not be UTF-8."""
    if _PY2 and isinstance(value, str):
        return value.decode("utf-8", "replace")
    return value


def _plain(value):
    """A copy of value with Python 2 byte strings decoded, so json.dumps cannot fail on them."""
    if isinstance(value, dict):
        return dict((_to_text(k), _plain(v)) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return _to_text(value)


def emit(fd, document):
    """Write document on fd as one JSON line, close fd; return None or a problem sentence."""
    import json  # only now: every timed value is already taken

    if _PY2:
        document = _plain(document)
    text = json.dumps(document, separators=(",", ":"), sort_keys=True, allow_nan=False) + "\n"
    data = text.encode("ascii") if not isinstance(text, bytes) else text
    waited_s = 0.0
    try:
        while data:
            try:
                written = os.write(fd, data)
            except OSError as exc:
                # A non-blocking descriptor whose buffer is full: wait for the reader (10 s at most).
                if exc.errno in (11, 35) and waited_s < 10.0:  # EAGAIN on Linux, on BSD/macOS
                    time.sleep(0.001)
                    waited_s += 0.001
                    continue
                raise
            data = data[written:]
        os.close(fd)
    except OSError as exc:
        return "cannot write the result on file descriptor %d (%s)" % (fd, exc)
    return None


def _shorten(text, limit):
    text = _to_text(text)
    return text if len(text) <= limit else text[:limit] + u"\u2026"


def _error_doc(phase, error_type, message, traceback_text):
    return {
        "protocol": PROTOCOL,
        "kind": "error",
        "harness_version": HARNESS_VERSION,
        "phase": phase,
        "error_type": error_type,
        "message": _to_text(message),
        "traceback": _to_text(traceback_text),
    }


def _exception_doc(phase, exc_info):
    """An error record for the exception being handled, its traceback capped to the tail."""
    exc_type, exc, tb = exc_info
    message = None
    if _PY2:
        try:
            message = unicode(exc)  # noqa: F821 (a non-ASCII unicode message fails str())
        except Exception:
            pass
    if message is None:
        try:
            message = str(exc)
        except Exception:
            message = repr(exc)
    # Leave out the harness's own frames above the workload's: they say nothing new.
    here = os.path.normcase(os.path.abspath(__file__)).rstrip("co")
    while tb is not None and tb.tb_next is not None and \
            os.path.normcase(os.path.abspath(tb.tb_frame.f_code.co_filename)).rstrip("co") == here:
        tb = tb.tb_next
    try:
        import traceback
        text = "".join(traceback.format_exception(exc_type, exc, tb))
    except Exception:
        text = ""
    if len(text) > TRACEBACK_MAX_CHARS:
        cut = len(text) - TRACEBACK_MAX_CHARS
        text = "[%d characters cut]\n%s" % (cut, text[cut:])
    return _error_doc(phase, getattr(exc_type, "__name__", str(exc_type)), message, text)


# ---------------------------------------------------------------------------------------------
# describe

def _version_string(info):
    """"3.13.0", or "3.13.0a6" / "3.14.0rc1" for pre-releases."""
    text = "%d.%d.%d" % (info[0], info[1], info[2])
    level = info[3]
    if level != "final":
        text += {"alpha": "a", "beta": "b", "candidate": "rc"}.get(level, level) + str(info[4])
    return text


def _safe(function, default):
    try:
        return function()
    except Exception:
        return default


_BUILD_FLAG_NAMES = ("CONFIG_ARGS", "CC", "CFLAGS", "OPT", "PY_CFLAGS_NODIST", "LDFLAGS",
                     "Py_GIL_DISABLED", "Py_DEBUG", "Py_ENABLE_SHARED", "HOST_GNU_TYPE",
                     "PY_CORE_CFLAGS", "WITH_PYMALLOC", "Py_TRACE_REFS", "Py_STATS")

#: Environment variables that change how an interpreter performs.
_ENV_NAMES = ("PYTHONHASHSEED", "PYTHONMALLOC", "PYTHONDEVMODE", "PYTHONOPTIMIZE", "PYTHON_JIT",
              "PYTHON_GIL", "PYTHONPERFSUPPORT", "PYTHONUTF8", "PYTHONINTMAXSTRDIGITS",
              "PYTHONNODEBUGRANGES", "PYTHONDONTWRITEBYTECODE", "PYPY_DISABLE_JIT", "PYPYLOG")

_FLAG_NAMES = ("optimize", "dev_mode", "isolated", "ignore_environment", "no_site",
               "no_user_site", "hash_randomization", "utf8_mode", "safe_path",
               "int_max_str_digits", "gil", "debug")


def _build_flags():
    import sysconfig

    flags = {}
    for name in _BUILD_FLAG_NAMES:
        value = _safe(lambda: sysconfig.get_config_var(name), None)
        if value is not None:
            flags[name] = _to_text(str(value))
    return flags


def _tier2_level(build_flags):
    """The _Py_TIER2 value CPython 3.13+ was compiled with (configure's
    --enable-experimental-jit: yes 1, yes-off 3, interpreter 4; bit 2 means "off by default"),
    or None."""
    for name in ("PY_CORE_CFLAGS", "PY_CFLAGS_NODIST"):
        for token in build_flags.get(name, "").split():
            if token.startswith("-D_Py_TIER2="):
                try:
                    return int(token[len("-D_Py_TIER2="):])
                except ValueError:
                    return None
    return None


def _cpython_jit(build_flags):
    """CPython's experimental JIT (PEP 744): 3.14+ answers through sys._jit; 3.13 is read from
    the build flags and PYTHON_JIT as Python/pylifecycle.c does at start-up."""
    sys_jit = getattr(sys, "_jit", None)
    if sys_jit is not None and hasattr(sys_jit, "is_available"):
        if not sys_jit.is_available():
            return "absent"
        return "enabled" if sys_jit.is_enabled() else "disabled"
    if sys.version_info < (3, 13):
        return "absent"
    cflags = (build_flags.get("PY_CORE_CFLAGS", "") + " " + build_flags.get("PY_CFLAGS_NODIST", ""))
    if not cflags.strip():
        return "unknown"  # e.g. Windows, where sysconfig holds no compiler flags
    if "-D_Py_JIT" not in cflags.split():
        return "absent"
    tier2 = _tier2_level(build_flags)
    enabled = not (tier2 is not None and tier2 & 2)
    env = "" if sys.flags.ignore_environment else os.environ.get("PYTHON_JIT", "")
    if env:
        enabled = env[0] != "0"
    # The JIT steps aside when perf profiling support is on (-X perf or PYTHONPERFSUPPORT).
    perf_env = "" if sys.flags.ignore_environment else os.environ.get("PYTHONPERFSUPPORT", "")
    if "perf" in getattr(sys, "_xoptions", {}) or (perf_env and perf_env != "0"):
        enabled = False
    return "enabled" if enabled else "disabled"


def _pypy_jit():
    """PyPy's tracing JIT: compiled in unless translated without it; off with --jit off,
    -X jit-off or PYPY_DISABLE_JIT (pypy --help). A workload calling pypyjit.set_param("off")
    is not seen."""
    info = getattr(sys, "pypy_translation_info", {})
    try:
        import pypyjit  # noqa: F401
    except ImportError:
        return "absent"
    if info.get("translation.jit") is False:
        return "absent"
    if os.environ.get("PYPY_DISABLE_JIT") or "jit-off" in getattr(sys, "_xoptions", {}):
        return "disabled"
    try:
        with open("/proc/self/cmdline", "rb") as f:
            args = f.read().split(b"\0")
    except (IOError, OSError):
        return "enabled"
    script = sys.argv[0].encode("utf-8") if not isinstance(sys.argv[0], bytes) else sys.argv[0]
    for k, arg in enumerate(args):
        if arg == script:
            break  # what follows the script is the script's own arguments
        if arg == b"--jit" and k + 1 < len(args) and b"off" in args[k + 1].split(b","):
            return "disabled"
    return "enabled"


def _free_threading(implementation, build_flags):
    """PEP 703 free-threading: built with Py_GIL_DISABLED, and the GIL off at run time
    (sys._is_gil_enabled(), 3.13+; an extension module or PYTHON_GIL=1 can turn it back on)."""
    if implementation == "pypy":
        return "absent"  # PyPy has a GIL
    if implementation != "cpython":
        return "unknown"
    is_gil_enabled = getattr(sys, "_is_gil_enabled", None)
    built = build_flags.get("Py_GIL_DISABLED")
    if built == "1" or (built is None and is_gil_enabled is not None and not is_gil_enabled()):
        if is_gil_enabled is None:
            return "unknown"
        return "disabled" if is_gil_enabled() else "enabled"
    if built is not None or sys.version_info < (3, 13):
        return "absent"
    return "unknown"


def _compiler(sys_version):
    import platform

    compiler = _safe(platform.python_compiler, "")
    if not compiler and "[" in sys_version:
        # PyPy: platform finds nothing in "[PyPy 7.3.11 with GCC 12.2.0]"; take what follows "with".
        inside = sys_version[sys_version.rindex("[") + 1:].rstrip("]").strip()
        compiler = inside.split(" with ", 1)[1] if " with " in inside else inside
    return _to_text(compiler)


def _extra(implementation, build_flags):
    import platform

    extra = {
        "platform": sys.platform,
        "byteorder": sys.byteorder,
        "max_unicode": sys.maxunicode,
        "recursion_limit": sys.getrecursionlimit(),
        "prefix": _to_text(sys.prefix),
        "machine": _safe(platform.machine, ""),
        "platform_string": _safe(platform.platform, ""),
        "float_repr_style": getattr(sys, "float_repr_style", None),
        "api_version": sys.api_version,
    }
    impl = getattr(sys, "implementation", None)
    if impl is not None:
        extra["cache_tag"] = impl.cache_tag
        if getattr(impl, "_multiarch", None):
            extra["multiarch"] = impl._multiarch
    extra["in_virtualenv"] = (getattr(sys, "base_prefix", sys.prefix) != sys.prefix
                              or hasattr(sys, "real_prefix"))
    if hasattr(sys, "abiflags"):
        extra["abiflags"] = sys.abiflags
    if hasattr(sys, "hash_info"):
        extra["hash_algorithm"] = getattr(sys.hash_info, "algorithm", None)
    flags = {}
    for name in _FLAG_NAMES:
        if hasattr(sys.flags, name):
            value = getattr(sys.flags, name)
            flags[name] = value if isinstance(value, (bool, int)) or value is None else str(value)
    extra["flags"] = flags
    extra["xoptions"] = dict((str(k), v if isinstance(v, bool) else _to_text(str(v)))
                             for k, v in getattr(sys, "_xoptions", {}).items())
    extra["env"] = dict((name, _to_text(os.environ[name])) for name in _ENV_NAMES
                        if name in os.environ)
    try:
        import gc

        extra["gc_threshold"] = list(gc.get_threshold())
    except Exception:
        pass
    tier2 = _tier2_level(build_flags)
    if tier2 is not None:
        extra["tier2"] = tier2
    try:
        import sysconfig

        soabi = sysconfig.get_config_var("SOABI")
        if soabi:
            extra["soabi"] = soabi
    except Exception:
        pass
    if implementation == "pypy":
        info = getattr(sys, "pypy_translation_info", {})
        extra["pypy_translation"] = dict(
            (k, v) for k, v in info.items()
            if k in ("translation.gc", "translation.jit", "translation.jit_backend",
                     "translation.backend", "translation.gcrootfinder", "translation.shared",
                     "translation.lto", "translation.thread", "translation.stackless")
            and (v is None or isinstance(v, (bool, int, float, str))))
    return extra


def describe():
    """The `describe` document: what this interpreter is and how it was built."""
    if hasattr(sys, "implementation"):
        implementation = sys.implementation.name.lower()
    else:
        import platform

        implementation = _safe(platform.python_implementation, "unknown").lower()
    version = _version_string(sys.version_info)
    if hasattr(sys, "pypy_version_info"):
        implementation_version = _version_string(sys.pypy_version_info)
    elif hasattr(sys, "implementation"):
        implementation_version = _version_string(sys.implementation.version)
    else:
        implementation_version = version
    build_flags = _safe(_build_flags, {})
    if implementation == "cpython":
        jit = _safe(lambda: _cpython_jit(build_flags), "unknown")
    elif implementation == "pypy":
        jit = _safe(_pypy_jit, "unknown")
    else:
        jit = "unknown"
    executable = sys.executable or ""
    return {
        "protocol": PROTOCOL,
        "kind": "describe",
        "harness_version": HARNESS_VERSION,
        "interpreter": {
            "implementation": implementation,
            "version": version,
            "implementation_version": implementation_version,
            "sys_version": _to_text(sys.version),
            "executable": _to_text(os.path.realpath(executable) if executable else ""),
            "compiler": _safe(lambda: _compiler(sys.version), ""),
            "pointer_bits": 64 if sys.maxsize > 2 ** 32 else 32,
            "build_flags": build_flags,
            "jit": jit,
            "free_threading": _safe(lambda: _free_threading(implementation, build_flags),
                                    "unknown"),
            "extra": _safe(lambda: _extra(implementation, build_flags), {}),
        },
    }


# ---------------------------------------------------------------------------------------------
# run

def load_workload(path):
    """Execute the workload file as a fresh module named WORKLOAD_MODULE_NAME.

    compile() + exec() into a new module object does what importlib.util's
    spec_from_file_location/exec_module (3.5+) and imp.load_source (2.7) do, on every version
    alike and without importing them (importlib.util brings 6 modules on 3.13, 22 on 3.6).
    The module is registered in sys.modules so pickle and self-imports find it; the
    workload's directory is on sys.path only while the file executes and make() runs."""
    path = os.path.abspath(path)
    with open(path, "rb") as f:
        source = f.read()
    code = compile(source, path, "exec", 0, True)  # dont_inherit: no __future__ from here
    module = type(sys)(WORKLOAD_MODULE_NAME)
    module.__file__ = path
    sys.modules[WORKLOAD_MODULE_NAME] = module
    exec(code, module.__dict__)
    return module


def _time_step(step, loops, clock, repeat):
    """Seconds for `loops` calls of step(): nothing but the calls between the two clock reads
    (itertools.repeat yields the same None each time, allocating nothing per iteration)."""
    it = repeat(None, loops)
    t0 = clock()
    for _ in it:
        step()
    return clock() - t0


def _time_with_time_loops(time_loops, loops, params):
    elapsed = time_loops(loops, params)
    if isinstance(elapsed, bool) or not isinstance(elapsed, _NUMBER_TYPES):
        raise HarnessFailure(None, "WorkloadApiError",
                             "time_loops(%d, params) returned %r: expected the elapsed seconds "
                             "as a number" % (loops, elapsed))
    return float(elapsed)


def _check_elapsed(phase, elapsed, loops):
    """Raise HarnessFailure unless elapsed is a finite positive number of seconds."""
    if 0.0 < elapsed < _INF:
        return
    resolution = _clock_resolution_s()
    if elapsed == 0.0:
        raise HarnessFailure(
            phase, "TimerResolutionError",
            "Timing %d loop(s) took 0 s by the %s clock (resolution %s s): the loop count is "
            "too low to measure this workload; use more loops or --calibrate"
            % (loops, _CLOCK_NAME, resolution))
    raise HarnessFailure(
        phase, "InvalidTimingError",
        "Timing %d loop(s) gave %r s: expected a finite positive duration (a clock step or a "
        "time_loops() bug)" % (loops, elapsed))


def _clock_resolution_s():
    get_info = getattr(time, "get_clock_info", None)
    if get_info is None:
        return None
    return _safe(lambda: get_info(_CLOCK_NAME).resolution, None)


def _process_metadata(opts, timing, capped):
    """Metadata taken after the last value: process-wide figures, then facts about the run."""
    meta = {}
    peak = _peak_rss_from_proc()
    if peak is not None:
        meta["max_rss_bytes"] = peak
        meta["max_rss_source"] = "VmHWM"
    try:
        import resource

        self_usage = resource.getrusage(resource.RUSAGE_SELF)
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        if peak is None:
            # ru_maxrss is in KiB on Linux and the BSDs, in bytes on macOS (getrusage(2)).
            rss_unit = 1 if sys.platform == "darwin" else 1024
            meta["max_rss_bytes"] = int(self_usage.ru_maxrss) * rss_unit
            meta["max_rss_source"] = "ru_maxrss"
        meta["cpu_time_s"] = self_usage.ru_utime + self_usage.ru_stime
        # Children's ru_maxrss is left out: it carries the harness's own peak (see above).
        meta["children_cpu_time_s"] = children.ru_utime + children.ru_stime
    except Exception:
        times = _safe(os.times, None)
        if times is not None:
            meta["cpu_time_s"] = times[0] + times[1]
    if hasattr(os, "getloadavg"):
        load = _safe(os.getloadavg, None)
        if load is not None:
            meta["load_avg_1min"] = load[0]
    meta["date"] = _iso_utc(_T0_EPOCH)
    meta["duration_s"] = _clock() - _T0_CLOCK
    meta["calibrated"] = opts["calibrate"]
    if opts["calibrate"]:
        meta["calibration_capped"] = capped
        meta["min_time_s"] = opts["min_time_s"]
        meta["max_loops"] = opts["max_loops"]
    meta["timing"] = timing
    meta["clock"] = _CLOCK_NAME
    resolution = _clock_resolution_s()
    if resolution is not None:
        meta["clock_resolution_s"] = resolution
    return meta


#: Environment variables that set BLAS/OpenMP thread counts, recorded with a stack.
_THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS",
                     "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "BLIS_ARCH_TYPE")


def _stack_metadata(preloaded):
    """The third-party stack the workload loaded, or None when it loaded none: the version of
    each top-level module imported from a site-packages directory since the workload was loaded
    (not those in `preloaded`, which site's .pth files may import at start-up) and, when numpy is
    among them,
    its BLAS/LAPACK libraries and thread counts (threadpoolctl when installed, else numpy's own
    build configuration). Taken after the last value, so its imports cost nothing measured."""
    modules = {}
    for name, module in list(sys.modules.items()):
        path = getattr(module, "__file__", None) or ""
        if "." in name or name.startswith("_") or name in preloaded or (
                "site-packages" not in path and "dist-packages" not in path):
            continue
        version = getattr(module, "__version__", None)
        modules[name] = version if isinstance(version, str) else None
    if not modules:
        return None
    stack = {"modules": modules,
             "thread_env": dict((k, os.environ[k]) for k in _THREAD_VARIABLES if k in os.environ)}
    if "numpy" in modules:
        stack["blas"] = _safe(_blas_info, None)
        libraries = _safe(_native_blas_libraries, None)
        if libraries is not None:
            stack["native_libraries"] = libraries
            arch = _safe(lambda: _blis_arch(libraries), None)
            if arch is not None:
                stack["blis_arch"] = arch
    return stack


def _blis_arch(libraries):
    """The sub-configuration (kernel set) BLIS chose on this processor, e.g. "haswell" or
    "generic" (a processor BLIS does not know runs its slow portable kernels), or None without
    BLIS. Debian's libblas.so.3 of BLIS exports only the BLAS symbols, so the question is asked
    of libblis.so.4 beside it, which detects the processor by the same code and environment."""
    import ctypes
    for path in libraries:
        if "blis" not in path:
            continue
        folder = path.rsplit("/", 1)[0]
        for candidate in (path, folder + "/libblis.so.4", folder + "/libblis.so"):
            try:
                lib = ctypes.CDLL(candidate)
                query, name = lib.bli_arch_query_id, lib.bli_arch_string
            except (OSError, AttributeError):
                continue
            query.restype = ctypes.c_int
            name.restype = ctypes.c_char_p
            name.argtypes = [ctypes.c_int]
            # Initialised first: asked before, a BLIS under BLIS_ARCH_TYPE aborts the process.
            lib.bli_init()
            return name(query()).decode("ascii", "replace")
    return None


#: Substrings of the file names of BLAS/LAPACK libraries (reference, OpenBLAS, BLIS, MKL...).
_BLAS_NAME_PARTS = ("blas", "lapack", "blis", "mkl", "atlas")


def _native_blas_libraries():
    """Sorted paths of the BLAS/LAPACK shared libraries mapped into this process, from
    /proc/self/maps (Linux; None elsewhere). threadpoolctl knows OpenBLAS, BLIS and MKL by
    their own names but not reference BLAS, nor BLIS installed as libblas.so.3: the mapped
    files say which library the dynamic loader really chose."""
    try:
        handle = open("/proc/self/maps")
    except (IOError, OSError):
        return None
    found = set()
    with handle:
        for line in handle:
            parts = line.split(None, 5)
            if len(parts) < 6:
                continue
            path = parts[5].strip()
            base = path.rsplit("/", 1)[-1].lower()
            if path.startswith("/") and ".so" in base and any(p in base for p in _BLAS_NAME_PARTS):
                found.add(path)
    return sorted(found)


def _blas_info():
    """[{api, implementation, version, threads}] of the BLAS/LAPACK numpy uses."""
    try:
        import threadpoolctl
    except ImportError:
        threadpoolctl = None
    if threadpoolctl is not None:
        return {"source": "threadpoolctl", "libraries": [
            {"api": i.get("user_api"), "implementation": i.get("internal_api"),
             "version": i.get("version"), "threads": i.get("num_threads"),
             "architecture": i.get("architecture"), "prefix": i.get("prefix")}
            for i in threadpoolctl.threadpool_info()]}
    import numpy
    try:
        config = numpy.show_config(mode="dicts")  # numpy >= 1.25
    except TypeError:
        config = None
    if isinstance(config, dict):
        deps = config.get("Build Dependencies", {})
        return {"source": "numpy.show_config", "libraries": [
            {"api": key, "implementation": (deps.get(key) or {}).get("name"),
             "version": (deps.get(key) or {}).get("version"), "threads": None}
            for key in ("blas", "lapack") if key in deps]}
    info = getattr(getattr(numpy, "__config__", None), "blas_opt_info", None) or {}
    return {"source": "numpy.__config__", "libraries": [
        {"api": "blas", "implementation": ",".join(info.get("libraries", [])) or None,
         "version": None, "threads": None}]}


def _peak_rss_from_proc():
    """Peak resident set size of this process image in bytes (Linux VmHWM), or None.

    Not ru_maxrss: on Linux, exec() carries the peak RSS of the process image it replaces into
    ru_maxrss, so a harness forked from a runner holding 300 MB reported 300 MB (measured with
    Node 20). VmHWM belongs to the current image only (proc(5))."""
    try:
        with open("/proc/self/status", "rb") as f:
            for line in f:
                if line.startswith(b"VmHWM:"):
                    return int(line.split()[1]) * 1024  # the kernel writes kB (KiB)
    except (IOError, OSError, ValueError, IndexError):
        pass
    return None


def _iso_utc(epoch_s):
    """2025-11-27T12:30:05.123Z"""
    millis = int((epoch_s - int(epoch_s)) * 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(epoch_s)) + ".%03dZ" % millis


def run(opts):
    """Load, prepare and time the workload; return (exit status, document)."""
    params = opts["params"]
    workload_dir = os.path.dirname(os.path.abspath(opts["workload"]))
    sys.argv = [opts["workload"]]  # the harness's own arguments mean nothing to the workload
    sys.path.insert(0, workload_dir)
    preloaded = set(sys.modules)
    phase = "load"
    try:
        try:
            module = load_workload(opts["workload"])
            time_loops = getattr(module, "time_loops", None)
            make = getattr(module, "make", None)
            phase = "make"
            if time_loops is not None:
                if not callable(time_loops):
                    raise HarnessFailure("load", "WorkloadApiError",
                                         "The workload's time_loops is not callable")
                step = None
                timing = "time_loops"
            elif make is None or not callable(make):
                raise HarnessFailure("load", "WorkloadApiError",
                                     "The workload defines neither make(params) nor "
                                     "time_loops(loops, params)")
            else:
                step = make(params)
                if not callable(step):
                    raise HarnessFailure("make", "WorkloadApiError",
                                         "make(params) returned %s: expected a callable taking "
                                         "no arguments" % _shorten(repr(step), 100))
                timing = "step"
        finally:
            if workload_dir in sys.path:
                sys.path.remove(workload_dir)
    except HarnessFailure as failure:
        return EXIT_WORKLOAD_FAILED, _error_doc(failure.phase, failure.error_type,
                                                failure.message, "")
    except BaseException:
        return EXIT_WORKLOAD_FAILED, _exception_doc(phase, sys.exc_info())

    import gc
    from itertools import repeat

    # Collect once, so that garbage left by loading and make() is not collected inside the
    # first timed value. The collector stays on while timing (unlike timeit, like pyperf):
    # collections are part of what a real program pays.
    gc.collect()

    ops = opts["inner_loops"]
    loops = opts["loops"]
    warmups = []
    values = []
    capped = False
    clock = _clock
    if opts["clock"] == "process":
        if step is None:
            return EXIT_WORKLOAD_FAILED, _error_doc(
                "load", "WorkloadApiError",
                "The workload times itself (time_loops): --clock process cannot apply", "")
        # CPU time of the process (all its threads): time spent waiting for a CPU on a loaded
        # machine is left out, so an iteration series shows the runtime, not the scheduler.
        clock = time.process_time
    phase = "calibration"
    try:
        if opts["calibrate"]:
            # pyperf's calibration: double the loops from 1 until one value lasts min_time.
            loops = 1
            min_time_s = opts["min_time_s"]
            max_loops = opts["max_loops"]
            while True:
                if step is not None:
                    elapsed = _time_step(step, loops, clock, repeat)
                else:
                    elapsed = _time_with_time_loops(time_loops, loops, params)
                if elapsed != 0.0:  # a 0 reading only says "more loops"; it is not a value
                    _check_elapsed(phase, elapsed, loops)
                    warmups.append([loops, elapsed / (loops * ops)])
                if elapsed >= min_time_s:
                    break
                if loops >= max_loops:
                    capped = True
                    break
                loops = min(loops * 2, max_loops)
        phase = "warmup"
        for _ in range(opts["warmups"]):
            if step is not None:
                elapsed = _time_step(step, loops, clock, repeat)
            else:
                elapsed = _time_with_time_loops(time_loops, loops, params)
            _check_elapsed(phase, elapsed, loops)
            warmups.append([loops, elapsed / (loops * ops)])
        phase = "value"
        for _ in range(opts["values"]):
            if step is not None:
                elapsed = _time_step(step, loops, clock, repeat)
            else:
                elapsed = _time_with_time_loops(time_loops, loops, params)
            _check_elapsed(phase, elapsed, loops)
            values.append(elapsed / (loops * ops))
    except HarnessFailure as failure:
        return EXIT_WORKLOAD_FAILED, _error_doc(failure.phase or phase, failure.error_type,
                                                failure.message, "")
    except BaseException:
        return EXIT_WORKLOAD_FAILED, _exception_doc(phase, sys.exc_info())

    metadata = _process_metadata(opts, timing, capped)
    if opts["clock"] == "process":
        metadata["clock"] = "process_time"
        resolution = _safe(lambda: time.get_clock_info("process_time").resolution, None)
        if resolution is not None:
            metadata["clock_resolution_s"] = resolution
    stack = _safe(lambda: _stack_metadata(preloaded), None)
    if stack is not None:
        metadata["stack"] = stack
    return EXIT_OK, {
        "protocol": PROTOCOL,
        "kind": "result",
        "harness_version": HARNESS_VERSION,
        "unit": "second",
        "loops": loops,
        "inner_loops": ops,
        "warmups": warmups,
        "values": values,
        "metadata": metadata,
    }


# ---------------------------------------------------------------------------------------------

def _flush_stdio():
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:
            pass


def _say(message):
    try:
        sys.stderr.write("langperf_harness: %s\n" % message)
        sys.stderr.flush()
    except Exception:
        pass


def main(argv):
    """Run the harness on argv (without the script name); return the exit status."""
    if "--help" in argv or "-h" in argv:
        sys.stdout.write(USAGE)
        return EXIT_OK
    fd_text = _find_result_fd(argv)
    if fd_text is None:
        _say("Cannot start: expected --result-fd N, the file descriptor to write the result on\n"
             + USAGE)
        return EXIT_USAGE
    try:
        fd = int(fd_text)
        if fd < 0:
            raise ValueError(fd_text)
    except ValueError:
        _say('Cannot read --result-fd "%s": expected a file descriptor number >= 0' % fd_text)
        return EXIT_USAGE
    problem = check_result_fd(fd)
    if problem is not None:
        _say("Cannot write results: %s; the runner must open it for writing (for example "
             "spawn with stdio ['ignore', 'pipe', 'pipe', 'pipe'] for --result-fd 3)" % problem)
        return EXIT_RESULT_FD
    _keep_result_fd_private(fd)

    try:
        try:
            command, opts = parse_args(argv)
        except UsageError as exc:
            status, document = EXIT_USAGE, _error_doc("arguments", "UsageError", exc.args[0], "")
        else:
            if command == "describe":
                status, document = EXIT_OK, describe()
            else:
                status, document = run(opts)
    except BaseException:
        status, document = EXIT_INTERNAL, _exception_doc("internal", sys.exc_info())

    _flush_stdio()
    try:
        problem = emit(fd, document)
    except Exception as exc:  # a harness bug in serialising: still say something
        problem = "cannot serialise the result (%s: %s)" % (type(exc).__name__, exc)
        status = EXIT_INTERNAL
    if problem is not None:
        _say("Cannot deliver the result: %s" % problem)
        return EXIT_RESULT_FD if status != EXIT_INTERNAL else status
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
