# SPDX-License-Identifier: MIT
# test_pg_merge_stacks.py -- the PostgreSQL store gives what the file
# store gives for the same uploads: real crashes of stacks-tool uploaded
# by `tmwatch telemetry upload` to a file-store collector, the same bytes
# (and handmade reports whose X and whitespace test the merged order and
# minifying) to a PostgreSQL-store collector; then GET /merged/ and
# /merged/DAY.json, `tmwatch-collector merge` (files vs --out export from
# the database) and `tmwatch stacks` (--data DIR vs --data
# postgresql://...) must be byte-identical. Last, two collectors starting
# at once on one database: the stale day is merged by exactly one.
import glob
import os
import sys
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pglib import *  # noqa

need(BIN, "tmwatch")
need(COLLECTOR, "tmwatch-collector")
work = tmpdir("pgmerge")
cluster = Cluster("merge")
uri = cluster.createdb("merge")
fcoll = Collector(work)   # the file store, --data WORK/data
pcoll = StoreCollector(work, "pg", uri, fcoll.srv).wait_listening()

# Real crashes, uploaded by tmwatch itself to the file store.
plan = [("u1", "1.0.0", [("2026-11-09", "null"), ("2026-11-09", "div"),
                         ("2026-11-17", "div")]),
        ("u2", "1.0.0", [("2026-11-10", "abort"), ("2026-11-18", "null")]),
        ("u3", "1.1.0", [("2026-11-18", "null"), ("2026-11-19", "trap")])]
for name, version, crashes in plan:
    u = User(work, name, fcoll.url)
    for day, kind in crashes:
        u.crash(version, kind, day + "T10:00:00Z")
    u.upload("2026-11-24T10:00:00Z")

# Handmade reports, sent to both: X = 0 sorts after 0.25 by file name
# ("0.json" > "0.25.json"), 3.2e-05 is an exponent, and the bodies are
# pretty-printed with tabs and newlines the merged lines must lose.
hand = []
for x in ("0", "0.25", "3.2e-05", "0.5"):
    hand.append(("2026-11-22", (
        '{\n\t"Week":\t"2026-11-22",\n\t"LastWeek":\t"",\n\t"X":\t%s,\n'
        '\t"Programs":\t[{\n\t\t"Program":\t"stacks-tool",\n\t\t'
        '"Version":\t"1.0.0",\n\t\t"GoVersion":\t"gcc12",\n\t\t"GOOS":\t'
        '"linux",\n\t\t"GOARCH":\t"amd64",\n\t\t"Counters":\t{},\n\t\t'
        '"Stacks":\t{"crash/crash\\nmain:+1,+0x10":\t%d}\n\t}],\n\t'
        '"Config":\t"srv1"\n}\n' % (x, len(hand) + 1)).encode()))
for day, body in hand:
    for port in (fcoll.port, pcoll.port):
        st, text, _ = post_once(port, day, body)
        if st != 200:
            fail("handmade report to port %d: %d %s" % (port, st, text))

# Every report the file store holds, byte for byte, to the database.
n = 0
for path in sorted(glob.glob(os.path.join(fcoll.data, "2026-*", "*.json"))):
    day = os.path.basename(os.path.dirname(path))
    with open(path, "rb") as f:
        st, text, _ = post_once(pcoll.port, day, f.read())
    if st != 200:
        fail("re-upload of %s: %d %s" % (path, st, text))
    n += 1
if n < 6:
    fail("the file store holds %d reports, want at least 6" % n)

# GET /merged/ from both collectors, byte for byte.
def get(url):
    return urllib.request.urlopen(url, timeout=60).read()


idx = get(fcoll.url + "/merged/")
if get(pcoll.url + "/merged/") != idx:
    fail("GET /merged/ differs: %r vs %r" % (idx,
                                             get(pcoll.url + "/merged/")))
days = json.loads(idx)
if len(days) < 2:
    fail("want reports on at least 2 days, got %r" % days)
for d in days:
    f1 = get(fcoll.url + "/merged/%s.json" % d)
    f2 = get(pcoll.url + "/merged/%s.json" % d)
    if f1 != f2 or not f1:
        fail("GET /merged/%s.json differs between the stores:\n%r\n%r" %
             (d, f1, f2))
for path in ("/", "/api/programs.json", "/api/program/stacks-tool.json"):
    if get(fcoll.url + path) != get(pcoll.url + path):
        fail("dashboard GET %s differs between the stores" % path)
try:
    get(pcoll.url + "/merged/2026-01-04.json")
    fail("GET of a day without reports did not fail")
except urllib.error.HTTPError as e:
    if e.code != 404:
        fail("GET of a day without reports: %d, want 404" % e.code)
if cluster.psql(uri, "SELECT count(*) FROM merged WHERE day = "
                "'2026-01-04'").strip() != "0":
    fail("GET of a day without reports left a merged row")
print("ok get_merged_and_dashboard_equal_from_both_stores")

fcoll.stop()
pcoll.stop()
# merge: files from the file store, an export from the database.
run([COLLECTOR, "merge", "--store", "file:" + fcoll.data])
out = os.path.join(work, "export")
r = run([COLLECTOR, "merge", "--store", uri, "--out", out])
for d in days:
    with open(os.path.join(fcoll.data, "merged", d + ".json"), "rb") as f:
        a = f.read()
    with open(os.path.join(out, d + ".json"), "rb") as f:
        b = f.read()
    if a != b:
        fail("merged %s: the database's export differs from the file "
             "store's merged file" % d)
if sorted(os.listdir(out)) != sorted(d + ".json" for d in days):
    fail("export holds %r, want %r" % (os.listdir(out), days))
if uri in r.stdout + r.stderr:
    fail("merge printed the store URI")
print("ok merged_files_byte_identical_from_both_stores")

# tmwatch stacks: the directory and the database give the same answer.
env = dict(os.environ, TMWATCH_NOW="2026-11-29T12:00:00Z", HOME=work,
           TMWATCH_DIR=os.path.join(work, "maintainer"),
           XDG_STATE_HOME=os.path.join(work, "maintainer-state"))
for fmt in ([], ["--json"]):
    args = ["--program", "stacks-tool", "--days", "30"] + fmt
    s1 = run([BIN, "stacks", "--data", fcoll.data] + args, env=env).stdout
    s2 = run([BIN, "stacks", "--data", uri] + args, env=env).stdout
    if s1 != s2:
        fail("tmwatch stacks %s differs:\n--- file store\n%s\n--- "
             "database\n%s" % (" ".join(fmt), s1, s2))
groups = json.loads(s1)["Groups"]
if len(groups) < 4:
    fail("stacks found %d groups, want at least 4" % len(groups))
r = run([BIN, "stacks", "--data", "postgresql:///nosuchdb?host=%s&user="
         "tmwatch" % cluster.host, "--program", "x"], env=env, check=False)
if r.returncode == 0 or "PostgreSQL" not in r.stderr or \
        len(r.stderr.strip().split("\n")) != 1:
    fail("stacks on a missing database: %d %r" % (r.returncode, r.stderr))
r = run([BIN, "stacks", "--data", "postgresql://tmwatch:pw-Zq9@/merge?"
         "host=%s" % cluster.host, "--program", "x"], env=env, check=False)
if r.returncode == 0 or "PGPASSFILE" not in r.stderr or "pw-Zq9" in \
        r.stderr:
    fail("stacks with a password in --data: %d %r" % (r.returncode,
                                                      r.stderr))
print("ok stacks_from_database_equals_stacks_from_files")

# A new report makes its day stale; two collectors start at once: the
# day is merged by exactly one of them (the advisory lock).
one = StoreCollector(work, "late", uri, fcoll.srv).wait_listening()
one.wait_log("daily merge done")
st, text, _ = post_once(one.port, "2026-11-22", load := hand[0][1].replace(
    b'"X":\t0,', b'"X":\t0.125,'))
if st != 200:
    fail("late report: %d %s" % (st, text))
one.stop()
pair = started(StoreCollector(work, "p1", uri, fcoll.srv),
               StoreCollector(work, "p2", uri, fcoll.srv))
for c in pair:
    c.wait_log("daily merge done|holds the merge lock")
merges = [l for c in pair for l in c.text().split("\n")
          if re.search(r"merged 2026-11-22: ", l)]
others = [l for c in pair for l in c.text().split("\n")
          if re.search(r"merged 2026-", l)]
if len(merges) != 1 or len(others) != 1:
    fail("the stale day was merged %d times (want once):\n%s\n%s" %
         (len(others), pair[0].text(), pair[1].text()))
for c in pair:
    c.stop()
with open(os.path.join(work, "p1.log")) as f:
    if "password" in f.read():
        fail("the log mentions a password")
print("ok daily_merge_by_exactly_one_collector")
