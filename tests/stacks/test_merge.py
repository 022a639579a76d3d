# SPDX-License-Identifier: MIT
# test_merge.py -- the merged dataset (docs/merged-dataset.md): real
# crashes uploaded by two users to a real collector; the collector merges
# the day on start, `tmwatch-collector merge` gives the same bytes again
# and again, a damaged stored file is skipped, and GET /merged/ serves the
# index and the day's file byte for byte.
import json
import os
import sys
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from stackslib import *  # noqa

need(BIN, "tmwatch")
need(COLLECTOR, "tmwatch-collector")
work = tmpdir("merge")
coll = Collector(work)
users = [User(work, "u%d" % i, coll.url) for i in (1, 2)]
for u in users:
    u.crash("1.0.0", "null", "2026-11-16T09:00:00Z")
    u.crash("1.0.0", "div", "2026-11-17T09:00:00Z")
    u.upload("2026-11-24T10:00:00Z")
coll.stop()

# A collector that starts merges the days that changed since.
coll = Collector(work)
merged = os.path.join(coll.data, "merged", "2026-11-22.json")
deadline = time.monotonic() + 60
while not os.path.exists(merged):
    if time.monotonic() > deadline:
        fail("the collector did not merge 2026-11-22 within 60 s of start")
    time.sleep(0.05)
with open(merged, "rb") as f:
    first = f.read()
lines = first.decode().split("\n")
if lines[-1] != "" or len(lines) != 3:
    fail("merged file: want 2 newline-terminated lines, got %r" % first)
got = sorted(json.dumps(json.loads(l), sort_keys=True) for l in lines[:2])
want = sorted(json.dumps(r, sort_keys=True)
              for u in users for r in u.uploaded())
if got != want:
    fail("merged reports differ from the uploaded ones:\n%s\n%s" %
         (got, want))
print("ok collector_merges_changed_days_on_start")

# GET /merged/ and the day, byte for byte.
idx = urllib.request.urlopen(coll.url + "/merged/", timeout=30).read()
if json.loads(idx) != ["2026-11-22"]:
    fail("GET /merged/ gave %r" % idx)
day = urllib.request.urlopen(coll.url + "/merged/2026-11-22.json",
                             timeout=30).read()
if day != first:
    fail("GET /merged/2026-11-22.json differs from the merged file")
try:
    urllib.request.urlopen(coll.url + "/merged/2026-02-30.json", timeout=30)
    fail("GET of a day that is not a date did not fail")
except urllib.error.HTTPError as e:
    if e.code != 404:
        fail("GET of a non-date: %d, want 404" % e.code)
print("ok get_merged_serves_index_and_day_byte_for_byte")

# An unchanged day is not merged again; a report stored since is merged
# before the day is served.
ino = os.stat(merged).st_ino
urllib.request.urlopen(coll.url + "/merged/2026-11-22.json", timeout=30)
if os.stat(merged).st_ino != ino:
    fail("GET of an unchanged day merged it again")
late = User(work, "u3", coll.url)
late.crash("1.0.0", "abort", "2026-11-18T09:00:00Z")
late.upload("2026-11-24T10:00:00Z")
day = urllib.request.urlopen(coll.url + "/merged/2026-11-22.json",
                             timeout=30).read().decode()
if len(day.split("\n")) != 4 or \
        json.loads(day.split("\n")[0]) not in late.uploaded() + \
        [json.loads(l) for l in lines[:2]]:
    fail("the report stored after the merge is not served: %r" % day)
users.append(late)
with open(merged, "rb") as f:
    first = f.read()
print("ok get_merged_merges_a_day_changed_since_and_only_then")
coll.stop()

# The CLI gives the same bytes, every time.
for i in range(2):
    r = run([COLLECTOR, "merge", "--data", coll.data, "--date",
             "2026-11-22"])
    if "3 reports, 0 skipped" not in r.stdout:
        fail("merge said %r" % r.stdout)
    with open(merged, "rb") as f:
        if f.read() != first:
            fail("merging again changed the bytes (run %d)" % i)
print("ok merge_twice_gives_the_same_bytes")

# A damaged stored file is skipped, never copied into the dataset.
with open(os.path.join(coll.data, "2026-11-22", "0.5.json"), "w") as f:
    f.write('{"Week":"2026-11-22","X":"not a number"}')
r = run([COLLECTOR, "merge", "--data", coll.data])
if "3 reports, 1 skipped" not in r.stdout:
    fail("merge with a damaged file said %r" % r.stdout)
with open(merged, "rb") as f:
    if f.read() != first:
        fail("a damaged stored file changed the merged file")
print("ok merge_skips_a_damaged_stored_report")

r = run([COLLECTOR, "merge", "--data", coll.data, "--date", "2026-13-01"],
        check=False)
if r.returncode != 2 or "not a date" not in r.stderr:
    fail("bad --date: exit %d, %r" % (r.returncode, r.stderr))
print("ok merge_rejects_a_bad_date_with_usage_status")
if not os.environ.get("STACKS_KEEP"):
    shutil.rmtree(work)
else:
    print("kept " + work)
