# SPDX-License-Identifier: MIT
# test_pg_collectors.py -- many collectors, one PostgreSQL database
# (docs/collector.md "Several collectors"): two collectors take 2 000
# uploads from 20 concurrent clients, duplicates included, and the
# database holds exactly one row per distinct report, byte for byte; then
# the database is stopped mid-run: uploads get 503 with Retry-After, the
# clients retry, the collectors reconnect by themselves once it is back,
# and nothing is lost. Last, the password: from PGPASSFILE only, never
# from the command line, never in the log.
import os
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pglib import *  # noqa

need(COLLECTOR, "tmwatch-collector")
work = tmpdir("pgcoll")
srv = os.path.join(work, "srv")
write_config(srv, LOAD_CFG)
cluster = Cluster("coll")

# --- 2 000 uploads, 20 clients, 2 collectors -------------------------
uri = cluster.createdb("many")
a, b = started(StoreCollector(work, "a", uri, srv),
               StoreCollector(work, "b", uri, srv))
DISTINCT = 1500
up = Uploads()


def client(t):
    for j in range(100):
        # Clients 15..19 resend 0..4's reports, at about the same time,
        # through the other collector.
        i = (t * 100 + j) % DISTINCT
        ports = [a.port, b.port] if (t + j) % 2 else [b.port, a.port]
        up.upload(ports, "2026-11-22", load_report(i))


threads = [threading.Thread(target=client, args=(t,)) for t in range(20)]
for t in threads:
    t.start()
for t in threads:
    t.join(timeout=600)
    if t.is_alive():
        fail("a client did not finish its 100 uploads within 600 s")
if up.errors:
    fail("uploads failed: %r" % up.errors[:5])
if up.done != 2000 or up.stored != DISTINCT or up.dup != 2000 - DISTINCT:
    fail("answers: %d done, %d stored, %d already stored; want 2000, %d, "
         "%d" % (up.done, up.stored, up.dup, DISTINCT, 2000 - DISTINCT))
rows = cluster.psql(uri, "SELECT x, encode(body, 'hex') FROM reports "
                    "WHERE week = '2026-11-22'").split("\n")
got = {}
for line in filter(None, rows):
    x, body = line.split("|", 1)
    got[x] = bytes.fromhex(body)
want = {}
for i in range(DISTINCT):
    want["%.15g" % (i / 4096.0)] = load_report(i)
if len(rows) - 1 != DISTINCT or got != want:
    fail("database: %d rows, want exactly one per distinct report (%d), "
         "with the uploaded bytes" % (len(rows) - 1, DISTINCT))
# Each collector says what it stored; together, each report once.
n_stored = sum(len(re.findall(r" 200 \d+ stored ", c.text()))
               for c in (a, b))
if n_stored != DISTINCT:
    fail("the collectors' logs say %d stored, want %d" % (n_stored,
                                                          DISTINCT))
if "stored" not in a.text() or "stored" not in b.text():
    fail("one collector stored nothing: the load did not reach both")
a.stop()
b.stop()
print("ok two_collectors_store_each_of_2000_uploads_once")

# Both started together on an empty database: the schema was applied
# once. A database newer than the collector is refused in one line.
if cluster.psql(uri, "SELECT string_agg(version::text, ',') FROM "
                "tmwatch_schema").strip() != "1":
    fail("tmwatch_schema: %r, want one row, version 1" %
         cluster.psql(uri, "SELECT * FROM tmwatch_schema"))
cluster.psql(uri, "INSERT INTO tmwatch_schema VALUES (99)")
r = run([COLLECTOR, "--store", uri, "--config", srv, "--port", "0"],
        check=False)
if r.returncode != 1 or "newer than this collector" not in r.stderr or \
        len(r.stderr.strip().split("\n")) != 1:
    fail("a newer schema: exit %d, %r" % (r.returncode, r.stderr))
print("ok schema_applied_once_and_newer_schema_refused")

# --- the database stops mid-run ----------------------------------------
uri = cluster.createdb("down")
a, b = started(StoreCollector(work, "down-a", uri, srv,
                              ["--retry-after", "1"]),
               StoreCollector(work, "down-b", uri, srv,
                              ["--retry-after", "1"]))
up = Uploads()
N = 400


def client2(t):
    for j in range(N // 10):
        i = (t * (N // 10) + j) % 300
        ports = [a.port, b.port] if (t + j) % 2 else [b.port, a.port]
        up.upload(ports, "2026-11-22", load_report(i))


threads = [threading.Thread(target=client2, args=(t,)) for t in range(10)]
for t in threads:
    t.start()
up.wait_for(lambda u: u.done >= 80, 300, "80 uploads before the stop")
cluster.stop()
up.wait_for(lambda u: u.unavailable >= 10, 300,
            "10 answers 503 while the database is down")
done_while_down = up.done
cluster.start()
for t in threads:
    t.join(timeout=600)
    if t.is_alive():
        fail("a client did not finish within 600 s of the restart")
if up.errors:
    fail("uploads failed: %r" % up.errors[:5])
if up.bad_retry_after:
    fail("%d answers 503 without a Retry-After" % up.bad_retry_after)
if up.done != N or up.stored != 300:
    fail("answers after the restart: %d done, %d stored; want %d, 300" %
         (up.done, up.stored, N))
n = int(cluster.psql(uri, "SELECT count(*) FROM reports"))
if n != 300:
    fail("database holds %d reports after the restart, want 300" % n)
logs = a.text() + b.text()
if " 503 " not in logs or "store unreachable" not in logs:
    fail("the collectors did not log their 503s")
a.stop()
b.stop()
print("ok database_down_gives_503_and_nothing_is_lost (%d uploads done "
      "while it was down, %d answers 503)" % (done_while_down,
                                              up.unavailable))

# --- the password comes from PGPASSFILE, never from the command line ---
SECRET = "pw-Kx81-never-logged"
suri = cluster.password_role("secure", SECRET)
env = dict(os.environ, HOME=work)
env.pop("PGPASSFILE", None)
r = run([COLLECTOR, "--store", suri.replace("://", "://secure:%s@" % SECRET)
         .replace("?host=%s&user=secure" % cluster.host, "?host=%s" %
                  cluster.host), "--config", srv, "--port", "0"],
        env=env, check=False)
if r.returncode == 0 or "PGPASSFILE" not in r.stderr or SECRET in r.stderr:
    fail("a password in --store: exit %d, %r" % (r.returncode, r.stderr))
r = run([COLLECTOR, "--store", suri, "--config", srv, "--port", "0"],
        env=env, check=False)
if r.returncode != 1 or len(r.stderr.strip().split("\n")) != 1 or \
        "cannot connect to the PostgreSQL store" not in r.stderr:
    fail("no password at hand: exit %d, %r" % (r.returncode, r.stderr))
pgpass = os.path.join(work, "pgpass")
with open(pgpass, "w") as f:
    f.write("*:*:secure:secure:%s\n" % SECRET)
os.chmod(pgpass, 0o600)
env["PGPASSFILE"] = pgpass
s1 = StoreCollector(work, "secure", suri, srv, env=env).wait_listening()
st, text, _ = post_once(s1.port, "2026-11-22", load_report(7))
if st != 200:
    fail("upload through the PGPASSFILE collector: %d %s" % (st, text))
s1.stop()
if SECRET in s1.text():
    fail("the password reached the log")
if cluster.psql(suri.replace("user=secure", "user=tmwatch"),
                "SELECT count(*) FROM reports").strip() != "1":
    fail("the report sent through the PGPASSFILE collector is not stored")
print("ok password_from_pgpassfile_never_on_the_command_line")

# --- the real client keeps its report while the database is down -------
need(BIN, "tmwatch")
srv2 = os.path.join(work, "srv2")
write_config(srv2, SERVER_CFG)
uri = cluster.createdb("client")
c = StoreCollector(work, "client", uri, srv2,
                   ["--retry-after", "1"]).wait_listening()
u = User(work, "real", c.url)
u.crash("1.0.0", "null", "2026-11-16T09:00:00Z")
cluster.stop()
r = run([BIN, "telemetry", "upload"], env=u.env("2026-11-24T10:00:00Z"),
        check=False)
print("client while the database is down: %s" % (r.stdout + r.stderr)
      .strip().replace("\n", " | "))
if "0 sent" not in r.stderr or "1 to retry later" not in r.stderr or \
        "HTTP 503" not in r.stderr:
    fail("tmwatch did not keep its report for later: %r" % r.stderr)
if " 503 " not in c.text():
    fail("the collector did not answer 503 with the database down: %s" %
         c.text())
cluster.start()
u.upload("2026-11-24T11:00:00Z")   # a later run: past the client's backoff
rows = cluster.psql(uri, "SELECT encode(body, 'hex') FROM reports")
with open(os.path.join(u.store, "upload", "2026-11-22.json"), "rb") as f:
    sent = f.read()
if rows.split() != [sent.hex()]:
    fail("after the database came back, the stored report is not the one "
         "tmwatch kept: %r" % rows[:200])
c.stop()
print("ok tmwatch_client_keeps_its_report_while_the_database_is_down")
