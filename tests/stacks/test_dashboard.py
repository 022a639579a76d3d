# SPDX-License-Identifier: MIT
# test_dashboard.py -- the collector's dashboard in headless Chromium:
# real crashes of both stacks-tool releases uploaded to a real collector,
# then Debian's chromium loads GET / and GET /program/stacks-tool from it
# (every other host unresolvable) and the page's self-check must show each
# chart drew (non-blank canvas pixels) with the expected legend labels
# (versions, stack IDs computed here, every uploaded counter). A
# screenshot is kept in the build tree: tests/stacks/artifacts/.
import html
import json
import os
import re
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from stackslib import *  # noqa

need(BIN, "tmwatch")
need(COLLECTOR, "tmwatch-collector")
chromium = shutil.which("chromium")
if not chromium:
    fail("chromium not found: install it (scripts/setup.sh)")
work = tmpdir("dash")
coll = Collector(work)
plan = [("u1", "1.0.0", ["null", "null", "div", "abort"]),
        ("u2", "1.1.0", ["null", "trap", "abort"])]
users = []
for name, version, kinds in plan:
    u = User(work, name, coll.url)
    for k in kinds:
        u.crash(version, k, "2026-11-17T10:00:00Z")
    u.upload("2026-11-24T10:00:00Z")
    users.append(u)

ids, counters, versions = set(), set(), set()
for u in users:
    for rep in u.uploaded():
        for p in rep["Programs"]:
            versions.add(p["Version"])
            counters |= set(p.get("Counters", {}))
            for n in p.get("Stacks", {}):
                ids.add(stack_id(n))

profile = os.path.join(work, "chromium-profile")
base = [chromium, "--headless", "--no-sandbox", "--disable-gpu",
        "--no-first-run", "--user-data-dir=" + profile,
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
        "--virtual-time-budget=20000", "--window-size=1280,1600"]
env = dict(os.environ, HOME=work)


def page_status(path):
    r = run(base + ["--dump-dom", coll.url + path], env=env, timeout=180)
    m = re.search(r'<pre id="status"[^>]*data-done="1"[^>]*>([^<]*)</pre>',
                  r.stdout)
    if not m:
        fail("page %s did not finish drawing; DOM:\n%s\nstderr:\n%s" %
             (path, r.stdout[-3000:], r.stderr[-2000:]))
    return json.loads(html.unescape(m.group(1))), r.stdout


st, dom = page_status("/program/stacks-tool")
charts = {c["title"]: c for c in st["charts"]}
want_titles = {"Crashes per day", "Crashes per version",
               "Top stack groups (ID, innermost frame)"} | \
    {"Counter " + c for c in counters}
if set(charts) != want_titles:
    fail("charts %s, want %s" % (sorted(charts), sorted(want_titles)))
for t, c in charts.items():
    if c["nonblank"] < 1000:
        fail("chart '%s' drew only %d pixels" % (t, c["nonblank"]))
if set(charts["Crashes per version"]["legend"]) != versions:
    fail("version legend %s, want %s" %
         (charts["Crashes per version"]["legend"], versions))
top = {l.split(" ")[0] for l in
       charts["Top stack groups (ID, innermost frame)"]["legend"]}
if top != ids:
    fail("top stack legend %s, want the uploaded IDs %s" % (top, ids))
for c in counters:
    if charts["Counter " + c]["legend"] != [c]:
        fail("counter chart %s legend %s" % (c, charts["Counter " + c]))
if re.search(r'(src|href)="https?://', dom):
    fail("the page refers to another host")
print("ok dashboard_draws_every_chart_in_headless_chromium")

st, dom = page_status("/")
if st["charts"] or 'href="/program/stacks-tool"' not in dom:
    fail("the program list lacks stacks-tool: %s" % dom[-2000:])
print("ok dashboard_lists_programs_with_links")

art = os.path.join(os.environ.get("STACKS_BUILD", work), "tests", "stacks",
                   "artifacts")
os.makedirs(art, exist_ok=True)
shot = os.path.join(art, "dashboard.png")
if os.path.exists(shot):
    os.unlink(shot)
run(base + ["--screenshot=" + shot, coll.url + "/program/stacks-tool"],
    env=env, timeout=180)
with open(shot, "rb") as f:
    png = f.read()
if png[:8] != b"\x89PNG\r\n\x1a\n" or len(png) < 20000:
    fail("screenshot '%s' is not a drawn page (%d bytes)" % (shot, len(png)))
print("ok dashboard_screenshot_kept_at " + shot)
coll.stop()
if not os.environ.get("STACKS_KEEP"):
    shutil.rmtree(work)
