# SPDX-License-Identifier: MIT
# pglib.py -- helpers for the PostgreSQL store's tests: a throw-away
# cluster (pgcluster.sh), collectors on --store postgresql://..., raw
# uploads that honour 503/429 + Retry-After as tmwatch's client does.
# Every wait is bounded and fails loudly (stackslib.fail).
import http.client
import os
import re
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "stacks"))
from stackslib import *  # noqa
from stackslib import _live

PGCLUSTER = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                         "pgcluster.sh")
_clusters = []


def _destroy_clusters():
    for c in list(_clusters):
        subprocess.run([PGCLUSTER, "destroy", c.dir], capture_output=True,
                       timeout=180)
    _clusters.clear()


atexit.register(_destroy_clusters)


class Cluster:
    """A PostgreSQL 15 cluster in a temp dir, as nobody, socket only."""

    def __init__(self, tag):
        self.dir = tempfile.mkdtemp(prefix="tmwatch-pg-%s-" % tag,
                                    dir="/tmp")
        os.chmod(self.dir, 0o755)
        _clusters.append(self)
        self.start()
        self.host = os.path.join(self.dir, "sock")

    def start(self):
        r = subprocess.run([PGCLUSTER, "start", self.dir],
                           capture_output=True, text=True, timeout=180)
        if r.returncode != 0:
            fail("cannot start PostgreSQL: %s%s" % (r.stdout, r.stderr))

    def stop(self):
        r = subprocess.run([PGCLUSTER, "stop", self.dir],
                           capture_output=True, text=True, timeout=180)
        if r.returncode != 0:
            fail("cannot stop PostgreSQL: %s%s" % (r.stdout, r.stderr))

    def createdb(self, name):
        run(["createdb", "-h", self.host, "-U", "tmwatch", name])
        return "postgresql:///%s?host=%s&user=tmwatch" % (name, self.host)

    def password_role(self, role, password):
        """A role that must give PASSWORD (scram-sha-256 on the socket)
        and owns database ROLE; returns that database's URI, without the
        password."""
        self.psql(self.createdb("postgres_tmp_" + role),
                  "CREATE ROLE %s LOGIN PASSWORD '%s'" % (role, password))
        run(["createdb", "-h", self.host, "-U", "tmwatch", "-O", role, role])
        hba = os.path.join(self.dir, "data", "pg_hba.conf")
        with open(hba) as f:
            old = f.read()
        with open(hba, "w") as f:
            f.write("local all %s scram-sha-256\n" % role + old)
        self.psql(self.createdb("postgres_tmp2_" + role),
                  "SELECT pg_reload_conf()")
        return "postgresql:///%s?host=%s&user=%s" % (role, self.host, role)

    def psql(self, uri, sql):
        return run(["psql", "-X", "-At", "-d", uri, "-c", sql]).stdout


def write_config(srv, cfg):
    os.makedirs(srv, exist_ok=True)
    with open(os.path.join(srv, "server.json"), "w") as f:
        json.dump(cfg, f)


class StoreCollector:
    """tmwatch-collector on --store STORE, its log in WORK/NAME.log."""

    def __init__(self, work, name, store, srv, extra=(), env=None):
        self.logpath = os.path.join(work, name + ".log")
        self.log = open(self.logpath, "a+")
        self.p = subprocess.Popen(
            [COLLECTOR, "--store", store, "--config", srv, "--port", "0",
             "--max-conns-per-ip", "512"] + list(extra),
            stdout=subprocess.PIPE, stderr=self.log, text=True, env=env)
        _live.append(self.p)

    def wait_listening(self):
        line = self.p.stdout.readline()   # blocks until it listens or dies
        m = re.search(r"127\.0\.0\.1:(\d+)/upload", line)
        if not m:
            self.p.kill()
            fail("collector did not start: '%s' %s" %
                 (line, open(self.logpath).read()))
        self.port = int(m.group(1))
        self.url = "http://127.0.0.1:%d" % self.port
        return self

    def text(self):
        with open(self.logpath) as f:
            return f.read()

    def wait_log(self, pattern, timeout=120):
        """Waits for PATTERN in the log: the collector flushes each line,
        and there is no event to wait on but the file growing."""
        end = time.monotonic() + timeout
        while not re.search(pattern, self.text()):
            if time.monotonic() > end:
                fail("'%s' not in %s within %d s:\n%s" %
                     (pattern, self.logpath, timeout, self.text()))
            time.sleep(0.05)

    def stop(self):
        _live.remove(self.p)
        self.p.send_signal(signal.SIGTERM)
        try:
            st = self.p.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.p.kill()
            fail("collector did not stop within 60 s of SIGTERM")
        if st != 0:
            fail("collector exited with %d: %s" % (st, self.text()))
        self.log.close()


def started(*colls):
    return [c.wait_listening() for c in colls]


def post_once(port, day, body):
    """One POST; (status, text, Retry-After or None), or (0, why, None)
    when the connection failed."""
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        c.request("POST", "/upload/" + day, body=body,
                  headers={"Content-Type": "application/json"})
        r = c.getresponse()
        out = (r.status, r.read().decode(), r.getheader("Retry-After"))
        c.close()
        return out
    except OSError as e:
        return (0, str(e), None)


class Uploads:
    """Counts what the clients saw, under one lock, with a condition the
    test waits on."""

    def __init__(self):
        self.cv = threading.Condition()
        self.done = 0
        self.stored = 0
        self.dup = 0
        self.unavailable = 0
        self.bad_retry_after = 0
        self.errors = []

    def upload(self, ports, day, body, deadline_s=300):
        """Retries 503/429 after Retry-After as tmwatch does, moving to
        the next collector (a load balancer would); anything but 200 and
        those is an error."""
        end = time.monotonic() + deadline_s
        i = 0
        while True:
            st, text, ra = post_once(ports[i % len(ports)], day, body)
            i += 1
            if st == 200:
                with self.cv:
                    self.done += 1
                    if "already" in text:
                        self.dup += 1
                    else:
                        self.stored += 1
                    self.cv.notify_all()
                return
            if st in (503, 429):
                with self.cv:
                    self.unavailable += 1
                    if ra is None or not ra.isdigit():
                        self.bad_retry_after += 1
                    self.cv.notify_all()
                wait = int(ra) if ra and ra.isdigit() else 1
            else:
                with self.cv:
                    self.errors.append((st, text))
                    self.cv.notify_all()
                return
            if time.monotonic() + wait > end:
                with self.cv:
                    self.errors.append((st, "gave up: " + text))
                    self.cv.notify_all()
                return
            time.sleep(wait)   # Retry-After: the protocol's wait

    def wait_for(self, pred, timeout, what):
        with self.cv:
            if not self.cv.wait_for(lambda: pred(self), timeout=timeout):
                fail("%s did not happen within %d s (done %d, 503 %d, "
                     "errors %r)" % (what, timeout, self.done,
                                     self.unavailable, self.errors[:3]))


LOAD_CFG = {"Version": "pg1", "Endpoint": "http://127.0.0.1:1/upload",
            "Programs": [{"Name": "load",
                          "Counters": [{"Name": "load/ok"}]}]}


def load_report(i, week="2026-11-22"):
    """Report I: its own X (k/4096 has at most 12 significant digits, so
    %.15g is how tmwatch's writer spells it)."""
    x = "%.15g" % (i / 4096.0)
    return ('{"Week":"%s","LastWeek":"","X":%s,"Programs":[{"Program":'
            '"load","Version":"1","GoVersion":"gcc12","GOOS":"linux",'
            '"GOARCH":"amd64","Counters":{"load/ok":%d},"Stacks":{}}],'
            '"Config":"pg1"}' % (week, x, i + 1)).encode()
