# -*- coding: utf-8 -*-
"""A Django cache backend speaking memcached's text protocol over one socket per process.

Written for this workload so that it needs no client library (there is no pymemcache wheel in
the machine's index): get, get_many, set, set_many, add, delete, touch, clear. Values are
pickled; flags are always 0. The connection stays open across requests (gunicorn's sync
workers handle one request at a time), as a pooled client would.
"""

import pickle
import socket

from django.core.cache.backends.base import DEFAULT_TIMEOUT, BaseCache


class TextProtocolCache(BaseCache):
    def __init__(self, server, params):
        super().__init__(params)
        host, port = server.rsplit(":", 1)
        self._address = (host, int(port))
        self._sock = None
        self._file = None

    def _conn(self):
        if self._sock is None:
            sock = socket.create_connection(self._address, timeout=5)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._sock = sock
            self._file = sock.makefile("rb")
        return self._sock, self._file

    def _drop(self):
        if self._sock is not None:
            self._file.close()
            self._sock.close()
        self._sock = None
        self._file = None

    def _request(self, payload, reader):
        sock, f = self._conn()
        try:
            sock.sendall(payload)
            return reader(f)
        except (OSError, ValueError):
            self._drop()
            raise

    def _exptime(self, timeout):
        if timeout is DEFAULT_TIMEOUT:
            timeout = self.default_timeout
        if timeout is None:
            return 0
        if timeout <= 0:
            return -1
        return int(timeout)

    def _key(self, key, version):
        if hasattr(self, "make_and_validate_key"):
            made = self.make_and_validate_key(key, version=version)
        else:
            # Django 3.2 (Debian's, for Python 3.9 and PyPy) has no make_and_validate_key (4.0).
            made = self.make_key(key, version=version)
            self.validate_key(made)
        return made.encode("ascii")

    def _store(self, command, key, value, timeout):
        data = pickle.dumps(value, pickle.HIGHEST_PROTOCOL)
        header = b"%s %s 0 %d %d\r\n" % (command, key, self._exptime(timeout), len(data))
        line = self._request(header + data + b"\r\n", lambda f: f.readline())
        return line == b"STORED\r\n"

    def _fetch(self, keys):
        def read(f):
            found = {}
            while True:
                line = f.readline()
                if line == b"END\r\n":
                    return found
                parts = line.split()
                if len(parts) != 4 or parts[0] != b"VALUE":
                    raise ValueError("memcached answered %r to get" % line[:80])
                data = f.read(int(parts[3]) + 2)
                found[parts[1]] = pickle.loads(data[:-2])

        return self._request(b"get " + b" ".join(keys) + b"\r\n", read)

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._store(b"add", self._key(key, version), value, timeout)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        self._store(b"set", self._key(key, version), value, timeout)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        failed = []
        for key, value in data.items():
            if not self._store(b"set", self._key(key, version), value, timeout):
                failed.append(key)
        return failed

    def get(self, key, default=None, version=None):
        made = self._key(key, version)
        return self._fetch([made]).get(made, default)

    def get_many(self, keys, version=None):
        if not keys:
            return {}
        made = dict((self._key(key, version), key) for key in keys)
        found = self._fetch(list(made))
        return dict((made[k], v) for k, v in found.items())

    def delete(self, key, version=None):
        line = self._request(b"delete %s\r\n" % self._key(key, version), lambda f: f.readline())
        return line == b"DELETED\r\n"

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        payload = b"touch %s %d\r\n" % (self._key(key, version), self._exptime(timeout))
        return self._request(payload, lambda f: f.readline()) == b"TOUCHED\r\n"

    def has_key(self, key, version=None):
        made = self._key(key, version)
        return made in self._fetch([made])

    def clear(self):
        self._request(b"flush_all\r\n", lambda f: f.readline())

    def close(self, **kwargs):
        # Django closes caches at the end of every request; the connection is kept on purpose.
        pass
