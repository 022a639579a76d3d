# SPDX-License-Identifier: MIT
# stackslib.py -- helpers for the maintainer-side tests: a real
# tmwatch-collector on 127.0.0.1, "users" (one store each) crashing the
# two stacks-tool releases under tmwatch, uploads with
# `tmwatch telemetry upload`, and an independent reading of what was
# uploaded (stack IDs computed here, not by tmwatch). Every wait is
# bounded and fails loudly.
import atexit
import base64
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

BIN = os.environ.get("TMWATCH_BIN", "")
COLLECTOR = os.environ.get("TMWATCH_COLLECTOR", "")
TOOLS = os.environ.get("STACKS_TOOLS", "")     # dir with release-V/
SRC = os.environ.get("STACKS_TOOL_SRC", "")   # stacks_tool.c
VERSIONS = ["1.0.0", "1.1.0"]

SERVER_CFG = {
    "Version": "srv1", "Endpoint": "http://127.0.0.1:1/upload",
    "Programs": [{"Name": "stacks-tool",
                  "Counters": [{"Name": "crash/signal:{SIGSEGV,SIGFPE,SIGABRT}"}],
                  "Stacks": [{"Name": "crash/crash", "Depth": 16}]}]}


# Collectors still running: a failing test stops them before it exits.
_live = []


def _stop_live():
    for p in list(_live):
        p.kill()
        p.wait(timeout=30)
    _live.clear()


atexit.register(_stop_live)


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    _stop_live()
    sys.exit(1)


def need(path, what):
    if not path or not os.path.exists(path):
        fail("%s not found at '%s' (run through ctest)" % (what, path))


def stack_id(name):
    """First 8 characters of base64url(FNV-1a-64(name)), big-endian."""
    h = 0xcbf29ce484222325
    for b in name.encode():
        h ^= b
        h = (h * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return base64.urlsafe_b64encode(h.to_bytes(8, "big")).decode()[:8]


def frame_func(frame):
    m = re.match(r"^(.*?):\+", frame)
    return m.group(1) if m else frame


def signature(name):
    lines = name.split("\n")
    return "\n".join([lines[0]] + [frame_func(f) for f in lines[1:]])


class Collector:
    def __init__(self, work, extra=()):
        self.work = work
        self.data = os.path.join(work, "data")
        self.srv = os.path.join(work, "srv")
        os.makedirs(self.srv, exist_ok=True)
        with open(os.path.join(self.srv, "server.json"), "w") as f:
            json.dump(SERVER_CFG, f)
        pf = os.path.join(work, "port")
        if os.path.exists(pf):
            os.unlink(pf)
        self.log = open(os.path.join(work, "collector.log"), "a+")
        self.p = subprocess.Popen(
            [COLLECTOR, "--data", self.data, "--config", self.srv,
             "--port", "0", "--port-file", pf] + list(extra),
            stdout=subprocess.PIPE, stderr=self.log, text=True)
        _live.append(self.p)
        line = self.p.stdout.readline()   # blocks until it listens or dies
        m = re.search(r"127\.0\.0\.1:(\d+)/upload", line)
        if not m:
            self.p.kill()
            fail("collector did not start: '%s'" % line)
        self.port = int(m.group(1))
        self.url = "http://127.0.0.1:%d" % self.port

    def stop(self):
        _live.remove(self.p)
        self.p.send_signal(signal.SIGTERM)
        try:
            st = self.p.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.p.kill()
            fail("collector did not stop within 60 s of SIGTERM")
        if st != 0:
            fail("collector exited with %d" % st)
        self.log.close()


def run(argv, env=None, timeout=120, check=True):
    try:
        r = subprocess.run(argv, env=env, capture_output=True, text=True,
                           timeout=timeout)
    except subprocess.TimeoutExpired:
        fail("'%s' did not finish within %d s" % (" ".join(argv), timeout))
    if check and r.returncode != 0:
        fail("'%s' exited %d\nstdout: %s\nstderr: %s" %
             (" ".join(argv), r.returncode, r.stdout, r.stderr))
    return r


class User:
    """One person's machine: a store, a state dir, an upload config."""

    def __init__(self, work, name, endpoint):
        self.dir = os.path.join(work, name)
        self.store = os.path.join(self.dir, "store")
        self.cfg = os.path.join(self.dir, "upload.d")
        os.makedirs(os.path.join(self.store, "local"))
        os.makedirs(self.cfg)
        with open(os.path.join(self.store, "mode"), "w") as f:
            f.write("on 2026-11-01\n")
        # Weeks end on Sundays: a crash on Monday 2026-11-16 is in the
        # week 2026-11-22.
        with open(os.path.join(self.store, "local", "weekends"), "w") as f:
            f.write("0\n")
        cfg = dict(SERVER_CFG, Endpoint=endpoint + "/upload", Version="c1")
        with open(os.path.join(self.cfg, "tool.json"), "w") as f:
            json.dump(cfg, f)

    def env(self, now):
        e = dict(os.environ)
        for k in ("TMWATCH_DISABLE", "LD_PRELOAD", "http_proxy",
                  "https_proxy", "HTTPS_PROXY", "ALL_PROXY", "all_proxy"):
            e.pop(k, None)
        e.update(TMWATCH_DIR=self.store,
                 XDG_STATE_HOME=os.path.join(self.dir, "state"),
                 TMWATCH_UPLOAD_CONFIG_DIRS=self.cfg, TMWATCH_NOW=now,
                 TMWATCH_QUIET="1", HOME=self.dir)
        return e

    def crash(self, version, kind, now):
        """Runs the release under tmwatch and bare; both must die alike."""
        tool = os.path.join(TOOLS, "release-" + version, "stacks-tool")
        w = run([BIN, "-q", tool, kind], env=self.env(now), check=False)
        b = run([tool, kind], env=self.env(now), check=False)
        if w.returncode != b.returncode or w.returncode >= 0:
            fail("%s %s: under tmwatch %d, bare %d (want the same death)"
                 % (version, kind, w.returncode, b.returncode))

    def upload(self, now):
        r = run([BIN, "telemetry", "upload"], env=self.env(now))
        if " sent" not in r.stderr + r.stdout:
            fail("upload sent nothing: %s %s" % (r.stdout, r.stderr))

    def uploaded(self):
        d = os.path.join(self.store, "upload")
        out = []
        for n in sorted(os.listdir(d)):
            with open(os.path.join(d, n)) as f:
                out.append(json.load(f))
        return out


def tmpdir(tag):
    base = os.environ.get("TMPDIR", "/tmp")
    return tempfile.mkdtemp(prefix="tmwatch-%s-" % tag, dir=base)


def frame_lines(src):
    """{frame key: line} from '@frame KEY' markers in the tool's source."""
    out = {}
    with open(src) as f:
        for i, l in enumerate(f, 1):
            m = re.search(r"@frame ([a-z_]+(?: [a-z]+)?)", l)
            if m:
                out[m.group(1)] = i
    return out
