# SPDX-License-Identifier: MIT
# test_view.py SCENARIO -- `tmwatch telemetry view` in headless Chromium.
# A fresh store gets a past week (counted under TMWATCH_NOW, then built
# into its local.*.json report, which `dump` no longer shows), this
# week's counts of two versions, NAME:BUCKET families and a real crash;
# the real `tmwatch telemetry view` serves it on 127.0.0.1 and Debian's
# chromium (every other host unresolvable) loads the page, whose
# self-check must show each chart drew (non-blank canvas pixels) with the
# expected legend labels. A screenshot is kept in the build tree:
# tests/view/artifacts/view.png.
import html
import json
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


BIN = os.environ.get("TMWATCH_BIN") or fail("TMWATCH_BIN is not set")
EX = os.environ.get("TMWATCH_EXAMPLES") or fail("TMWATCH_EXAMPLES is not set")
chromium = shutil.which("chromium")
if not chromium:
    fail("chromium not found: install it (scripts/setup.sh)")
work = tempfile.mkdtemp(prefix="tmwatch-view-")
store = os.path.join(work, "store")
os.makedirs(os.path.join(store, "local"))
open(os.path.join(store, "local", "daily.token"), "w").close()
env = dict(os.environ, TMWATCH_DIR=store, HOME=work, TMWATCH_QUIET="1",
           XDG_STATE_HOME=os.path.join(work, "state"))
for k in ("TMWATCH_TELEMETRY", "DO_NOT_TRACK", "TMWATCH_DISABLE",
          "LD_PRELOAD", "TMWATCH_NOW"):
    env.pop(k, None)


def tm(*args, now=None, check=True):
    e = dict(env, TMWATCH_NOW=now) if now else env
    r = subprocess.run([BIN] + list(args), env=e, capture_output=True,
                       text=True, timeout=120)
    if check and r.returncode != 0:
        fail("tmwatch %s: %d %s" % (args, r.returncode, r.stderr))
    return r


past = "2026-11-10T10:00:00Z"
tm("telemetry", "count", "--program", "p", "--version", "1.0", "p/req", "5",
   now=past)
tm("telemetry", "count", "--program", "p", "--version", "1.0",
   "latency:<10ms", "7", now=past)
tm("telemetry", "upload", now="2026-11-18T10:00:00Z")
if not [f for f in os.listdir(os.path.join(store, "local"))
        if f.startswith("local.") and f.endswith(".json")]:
    fail("no weekly report was built")
if "p/req" in tm("telemetry", "dump").stdout:
    fail("the past week is still in dump: the report is not tested")
for v, n in (("1.0", "2"), ("2.0", "9")):
    tm("telemetry", "count", "--program", "p", "--version", v, "p/req", n)
tm("telemetry", "count", "--program", "p", "--version", "2.0",
   "latency:<10ms", "3")
tm("telemetry", "count", "--program", "p", "--version", "2.0",
   "latency:<100ms", "4")
crasher = os.path.join(EX, "crash_null_write")
bare = subprocess.run([crasher], env=env).returncode
wrapped = subprocess.run([BIN, crasher], env=env).returncode
if bare != -11 or wrapped != -11:
    fail("crash: bare %d, under tmwatch %d" % (bare, wrapped))

server = subprocess.Popen([BIN, "telemetry", "view", "--addr",
                           "127.0.0.1:0"], env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True)
try:
    ready, _, _ = select.select([server.stdout], [], [], 60)
    line = server.stdout.readline() if ready else ""
    m = re.search(r" at (http://127\.0\.0\.1:\d+/) ", line)
    if not m:
        fail("no URL from telemetry view within 60 s: %r" % line)
    url = m.group(1)
    profile = os.path.join(work, "chromium-profile")
    base = [chromium, "--headless", "--no-sandbox", "--disable-gpu",
            "--no-first-run", "--user-data-dir=" + profile,
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
            "--virtual-time-budget=20000", "--window-size=1280,1400"]
    cenv = dict(os.environ, HOME=work)

    def page(query):
        r = subprocess.run(base + ["--dump-dom", url + query], env=cenv,
                           capture_output=True, text=True, timeout=180)
        m = re.search(r'<pre id="status"[^>]*data-done="1"[^>]*>([^<]*)'
                      r'</pre>', r.stdout)
        if not m:
            fail("page %s did not finish drawing; DOM:\n%s\nstderr:\n%s" %
                 (query, r.stdout[-3000:], r.stderr[-2000:]))
        st = json.loads(html.unescape(m.group(1)))
        if "error" in st:
            fail("page %s: %s" % (query, st["error"]))
        if re.search(r'(src|href)="https?://', r.stdout):
            fail("the page refers to another host")
        return st, r.stdout

    def drawn(st, title, legend):
        c = {x["title"]: x for x in st["charts"]}.get(title)
        if not c:
            fail("no chart '%s' in %s" % (title, st))
        if c["nonblank"] < 1000:
            fail("chart '%s' drew only %d pixels" % (title, c["nonblank"]))
        if sorted(c["legend"]) != sorted(legend):
            fail("chart '%s' legend %s, want %s" % (title, c["legend"],
                                                    legend))

    scenario = sys.argv[1] if len(sys.argv) > 1 else "all"
    st, dom = page("?program=p")
    weeks = sorted({e["week"] for e in json.loads(
        subprocess.run(["curl", "-s", url + "data.json"], capture_output=True,
                       text=True, timeout=60).stdout)["entries"]
        if e["program"] == "p"})
    if len(weeks) != 2:
        fail("want a past and a current week, got %s" % weeks)
    drawn(st, "Counter p/req", ["1.0", "2.0"])
    drawn(st, "Histogram latency", weeks)
    print("ok view_charts_counters_over_weeks_and_histograms")

    st, dom = page("?program=p&version=2.0")
    drawn(st, "Counter p/req", ["2.0"])
    drawn(st, "Histogram latency", weeks[1:])
    print("ok view_filters_by_version")

    st, dom = page("?program=crash_null_write")
    if st["stacks"] != 1 or "crash/crash\nwrite_null:" not in \
            html.unescape(dom):
        fail("crash stack not shown: %s" % st)
    print("ok view_shows_crash_stacks_with_counts")

    art = os.path.join(os.environ.get("VIEW_BUILD", work), "artifacts")
    os.makedirs(art, exist_ok=True)
    shot = os.path.join(art, "view.png")
    if os.path.exists(shot):
        os.unlink(shot)
    subprocess.run(base + ["--screenshot=" + shot, url + "?program=p"],
                   env=cenv, capture_output=True, timeout=180)
    with open(shot, "rb") as f:
        png = f.read()
    if png[:8] != b"\x89PNG\r\n\x1a\n" or len(png) < 20000:
        fail("screenshot '%s' is not a drawn page (%d bytes)" %
             (shot, len(png)))
    print("ok view_screenshot_kept_at " + shot)
finally:
    server.send_signal(signal.SIGTERM)
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()
shutil.rmtree(work)
