# SPDX-License-Identifier: MIT
# test_stacks_e2e.py -- `tmwatch stacks` end to end (docs/maintainers.md):
# two releases of stacks-tool (versions from .note.package) crashed in
# several ways by five users (separate stores) under tmwatch, reports
# built and uploaded with `tmwatch telemetry upload` to a real collector
# on 127.0.0.1, merged, then read by `tmwatch stacks` from the directory
# and over HTTP. Expectations come from the uploaded reports (IDs computed
# here) and from the tool's source (@frame markers), never from tmwatch.
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from stackslib import *  # noqa

need(BIN, "tmwatch")
need(COLLECTOR, "tmwatch-collector")
need(SRC, "stacks_tool.c")
work = tmpdir("stacks")
coll = Collector(work)
NOW = "2026-11-29T12:00:00Z"

# (user, version, [(day, kind, times)])
plan = [
    ("u1", "1.0.0", [("2026-11-09", "null", 2), ("2026-11-09", "div", 1),
                     ("2026-11-17", "div", 1)]),
    ("u2", "1.0.0", [("2026-11-10", "null", 1), ("2026-11-10", "abort", 1),
                     ("2026-11-10", "trap", 1)]),
    ("u3", "1.0.0", [("2026-11-18", "abort", 2), ("2026-11-18", "null", 1)]),
    ("u4", "1.1.0", [("2026-11-18", "null", 2), ("2026-11-19", "abort", 1),
                     ("2026-11-19", "trap", 2)]),
    ("u5", "1.1.0", [("2026-11-20", "null", 1)]),
]
users = []
for name, version, crashes in plan:
    u = User(work, name, coll.url)
    for day, kind, times in crashes:
        for _ in range(times):
            u.crash(version, kind, day + "T10:00:00Z")
    # 1.1.0 fixed the divide by zero: it must not crash there.
    if version == "1.1.0":
        tool = os.path.join(TOOLS, "release-1.1.0", "stacks-tool")
        r = run([BIN, "-q", tool, "div"], env=u.env("2026-11-20T10:00:00Z"))
    u.upload("2026-11-24T10:00:00Z")
    users.append(u)
coll_url = coll.url
run([COLLECTOR, "merge", "--data", coll.data])

# What was uploaded, read independently.
want = {}
for u in users:
    for rep in u.uploaded():
        for p in rep["Programs"]:
            if p["Program"] != "stacks-tool":
                continue
            for name, n in p.get("Stacks", {}).items():
                if not name.startswith("crash/crash\n"):
                    continue
                g = want.setdefault(stack_id(name), {
                    "Name": name, "Count": 0, "Versions": {}, "Days": set()})
                g["Count"] += n
                g["Versions"][p["Version"]] = \
                    g["Versions"].get(p["Version"], 0) + n
                g["Days"].add(rep["Week"])
if sum(g["Count"] for g in want.values()) != 16:
    fail("uploaded reports hold %d crash stacks, the test made 16" %
         sum(g["Count"] for g in want.values()))


def stacks(*args, data=None):
    env = dict(os.environ, TMWATCH_NOW=NOW, HOME=work,
               TMWATCH_DIR=os.path.join(work, "maintainer"),
               XDG_STATE_HOME=os.path.join(work, "maintainer-state"))
    return run([BIN, "stacks", "--data", data or coll.data,
                "--program", "stacks-tool", "--days", "30"] + list(args),
               env=env)


out = json.loads(stacks("--json").stdout)
got = {g["ID"]: g for g in out["Groups"]}
if set(got) != set(want):
    fail("groups: got %s, want %s" % (sorted(got), sorted(want)))
for i, w in want.items():
    g = got[i]
    if (g["Name"], g["Count"], g["Versions"]) != \
       (w["Name"], w["Count"], w["Versions"]):
        fail("group %s: got %r %d %r, want %r %d %r" %
             (i, g["Name"], g["Count"], g["Versions"], w["Name"],
              w["Count"], w["Versions"]))
    if (g["FirstDay"], g["LastDay"]) != (min(w["Days"]), max(w["Days"])):
        fail("group %s seen %s..%s, want %s..%s" %
             (i, g["FirstDay"], g["LastDay"], min(w["Days"]),
              max(w["Days"])))
counts = [g["Count"] for g in out["Groups"]]
if counts != sorted(counts, reverse=True):
    fail("groups not ranked by count: %s" % counts)
if out["Reports"] != sum(len(u.uploaded()) for u in users) or out["Days"] != ["2026-11-15", "2026-11-22"]:
    fail("reports %d days %s" % (out["Reports"], out["Days"]))
print("ok stacks_groups_uploaded_crashes_by_id_with_exact_counts_per_version")

# One signature joins the null crash of both releases (different IDs).
sig_null = [s for s in out["Signatures"]
            if s["Signature"].split("\n")[1] == "store_item"]
if len(sig_null) != 1 or len(sig_null[0]["Groups"]) < 2:
    fail("null crash signatures: %s" % sig_null)
vers = set()
for i in sig_null[0]["Groups"]:
    vers |= set(got[i]["Versions"])
    if signature(got[i]["Name"]) != sig_null[0]["Signature"]:
        fail("group %s is not of signature %s" % (i, sig_null[0]["ID"]))
if vers != {"1.0.0", "1.1.0"}:
    fail("null signature versions %s" % vers)
if sig_null[0]["ID"] != stack_id(sig_null[0]["Signature"]):
    fail("signature ID %s, want %s" % (sig_null[0]["ID"],
                                       stack_id(sig_null[0]["Signature"])))
print("ok one_signature_joins_the_same_crash_across_versions")

# --symbols: a stripped 1.0.0 with its debug file under .build-id, an
# unstripped 1.1.0.
symdir = os.path.join(work, "symbols")
os.makedirs(os.path.join(symdir, "1.0.0"))
os.makedirs(os.path.join(symdir, "1.1.0"))
rel0 = os.path.join(TOOLS, "release-1.0.0", "stacks-tool")
bid = run(["readelf", "-n", rel0]).stdout.split("Build ID: ")[1].split()[0]
dbg = os.path.join(symdir, ".build-id", bid[:2], bid[2:] + ".debug")
os.makedirs(os.path.dirname(dbg))
run(["objcopy", "--only-keep-debug", rel0, dbg])
run(["objcopy", "--strip-all", rel0,
     os.path.join(symdir, "1.0.0", "stacks-tool")])
shutil.copy(os.path.join(TOOLS, "release-1.1.0", "stacks-tool"),
            os.path.join(symdir, "1.1.0", "stacks-tool"))
lines = frame_lines(SRC)
srcroot = os.path.dirname(os.path.dirname(os.path.dirname(SRC)))
tmpl = "https://example.org/tool/blob/v{version}/{file}#L{line}"
out = json.loads(stacks("--json", "--symbols", symdir, "--source-url", tmpl,
                        "--strip-prefix", srcroot).stdout)
kind_of = {"store_item": "null", "load_items": "null",
           "parse_ratio": "div", "check_config": "abort",
           "validate_header": "trap"}
nmapped = 0
for g in out["Groups"]:
    kind = kind_of[g["Frames"][0]["Function"]]
    newest = max(g["Versions"], key=lambda v: [int(x) for x in v.split(".")])
    for f in g["Frames"]:
        fn = f["Function"]
        if fn not in kind_of and fn not in ("run", "main"):
            continue
        key = "run " + kind if fn == "run" else fn
        want_file = "tests/stacks/stacks_tool.c"
        if (f.get("File"), f.get("Line")) != (want_file, lines[key]):
            fail("group %s frame %s: mapped to %s:%s, want %s:%d (%s)" %
                 (g["ID"], f["Text"], f.get("File"), f.get("Line"),
                  want_file, lines[key], f.get("Unmapped")))
        if not f["LineOffsetMatches"]:
            fail("frame %s: +N does not match the debug info" % f["Text"])
        url = tmpl.replace("{version}", newest).replace(
            "{file}", want_file).replace("{line}", str(lines[key]))
        if f.get("URL") != url:
            fail("frame %s: URL %s, want %s" % (f["Text"], f.get("URL"), url))
        nmapped += 1
    if g.get("SymbolsVersion") != newest:
        fail("group %s mapped with %s, want %s" %
             (g["ID"], g.get("SymbolsVersion"), newest))
if nmapped < 3 * len(out["Groups"]):
    fail("only %d own frames mapped" % nmapped)
print("ok symbols_map_every_own_frame_to_its_exact_source_line")

# Issues: one claims by ID, one by predicate, one was fixed in 1.1.0 and
# still crashes there, one claims a stack another already claims.
null_ids = sorted(i for i, g in want.items()
                  if g["Name"].split("\n")[1].startswith("store_item"))
div_id = [i for i, g in want.items()
          if g["Name"].split("\n")[1].startswith("parse_ratio")]
trap_ids = sorted(i for i, g in want.items()
                  if g["Name"].split("\n")[1].startswith("validate_header"))
abort_ids = sorted(i for i, g in want.items()
                   if g["Name"].split("\n")[1].startswith("check_config"))
null_new = [i for i in null_ids if "1.1.0" in want[i]["Versions"]]
null_old = [i for i in null_ids if "1.1.0" not in want[i]["Versions"]]
issues = os.path.join(work, "issues")
os.makedirs(issues)
with open(os.path.join(issues, "101.md"), "w") as f:
    f.write("# Divide by zero in parse_ratio\n\nDups: %s\n" % div_id[0])
with open(os.path.join(issues, "102.md"), "w") as f:
    f.write("# Abort in check_config\n\n```#!stacks\n"
            "\"check_config\" && (\"run\" || \"nothing\") && !\"config\"\n"
            "```\n")
with open(os.path.join(issues, "103.md"), "w") as f:
    f.write("---\ntitle: NULL store in store_item\nfixed-in: 1.1.0\n---\n"
            "```#!stacks\n\"store_item\"\n```\n")
with open(os.path.join(issues, "104.md"), "w") as f:
    f.write("# Same as 103\n\nDups: %s\n" % null_old[0])
drafts = os.path.join(work, "drafts")
r = stacks("--json", "--symbols", symdir, "--source-url", tmpl,
           "--strip-prefix", srcroot, "--issues", issues,
           "--new-issues", drafts)
out = json.loads(r.stdout)
got = {g["ID"]: g for g in out["Groups"]}
expect_claims = {div_id[0]: ["101"]}
for i in abort_ids:
    expect_claims[i] = ["102"]
for i in null_new:
    expect_claims[i] = ["103"]
for i in null_old:
    expect_claims[i] = ["103", "104"] if i == null_old[0] else ["103"]
for i in trap_ids:
    expect_claims[i] = []
for i, w in expect_claims.items():
    if got[i]["Issues"] != w:
        fail("group %s claimed by %s, want %s" % (i, got[i]["Issues"], w))
print("ok issues_claim_groups_by_id_and_by_predicate")
for i in null_ids:
    want_reg = [{"Issue": "103", "FixedIn": "1.1.0", "Version": "1.1.0"}] \
        if i in null_new else []
    if got[i]["Regressions"] != want_reg:
        fail("group %s regressions %s, want %s" %
             (i, got[i]["Regressions"], want_reg))
for i in set(got) - set(null_ids):
    if got[i]["Regressions"]:
        fail("group %s flagged as a regression" % i)
i103 = [i for i in out["Issues"] if i["Issue"] == "103"][0]
v103 = {}
for i in null_ids:
    for ver, n in want[i]["Versions"].items():
        v103[ver] = v103.get(ver, 0) + n
if (i103["Count"], i103["Groups"], i103["Versions"], i103["Regressed"],
        i103["FixedIn"]) != (sum(v103.values()), len(null_ids), v103, True,
                             "1.1.0"):
    fail("issue 103 summary %s, want counts %s" % (i103, v103))
print("ok fixed_in_issue_is_flagged_when_the_later_version_still_crashes")
dups = {d["ID"]: d["Issues"] for d in out["DuplicateClaims"]}
if dups != {null_old[0]: ["103", "104"]}:
    fail("duplicate claims %s" % dups)
print("ok two_issues_claiming_one_stack_are_reported")
names = sorted(os.listdir(drafts))
if names != sorted(i + ".md" for i in trap_ids):
    fail("drafts %s, want one per unclaimed group %s" % (names, trap_ids))
for i in trap_ids:
    with open(os.path.join(drafts, i + ".md")) as f:
        d = f.read()
    v = sorted(want[i]["Versions"],
               key=lambda v: [int(x) for x in v.split(".")])[-1]
    for part in ["title: stacks-tool: crash in validate_header",
                 "\nDups: %s\n" % i,
                 "[tests/stacks/stacks_tool.c:%d](%s)" % (
                     lines["validate_header"],
                     tmpl.replace("{version}", v).replace(
                         "{file}", "tests/stacks/stacks_tool.c").replace(
                         "{line}", str(lines["validate_header"]))),
                 "stacks-tool %s crashes here" % v]:
        if part not in d:
            fail("draft %s lacks %r:\n%s" % (i, part, d))
    for ver, n in want[i]["Versions"].items():
        if "| `%s` | %d |" % (ver, n) not in d:
            fail("draft %s lacks the count of %s" % (i, ver))
print("ok new_issue_drafts_for_unclaimed_groups")

txt = stacks("--symbols", symdir, "--issues", issues).stdout
for part in ["REGRESSION: fixed in 1.1.0, crashes in 1.1.0",
             "REGRESSION (fixed in 1.1.0)", "\nissues:\n",
             "DUPLICATE CLAIM: 2 issues claim this stack",
             "issue: none"] + list(want):
    if part not in txt:
        fail("text output lacks %r:\n%s" % (part, txt))
print("ok text_output_shows_groups_claims_and_regressions")

# The same through the collector over HTTP.
http = json.loads(stacks("--json", "--symbols", symdir, "--source-url",
                         tmpl, "--strip-prefix", srcroot, "--issues",
                         issues, data=coll_url).stdout)
local = json.loads(stacks("--json", "--symbols", symdir, "--source-url",
                          tmpl, "--strip-prefix", srcroot, "--issues",
                          issues).stdout)
if http != local:
    fail("--data %s differs from the directory:\n%s\n%s" %
         (coll_url, json.dumps(http)[:2000], json.dumps(local)[:2000]))
print("ok data_over_http_gives_the_same_groups_as_the_directory")
r = run([BIN, "stacks", "--data", "http://127.0.0.1:1", "--program", "x"],
        env=dict(os.environ, HOME=work), check=False)
if r.returncode != 1 or not r.stderr.startswith("tmwatch: cannot read the "
                                                "merged data: cannot GET"):
    fail("unreachable collector: %d %r" % (r.returncode, r.stderr))
r = run([BIN, "stacks", "--program", "x"], env=dict(os.environ, HOME=work),
        check=False)
if r.returncode != 2 or "--data and --program are required" not in r.stderr:
    fail("usage error: %d %r" % (r.returncode, r.stderr))
print("ok stacks_fails_with_one_line_and_the_right_status")
coll.stop()

# DEBUGINFOD_URLS is honoured with --debuginfod only: a local debuginfod
# server holds the only debug file of the stripped 1.0.0.
import http.server
import threading
asked = []


class Debuginfod(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        asked.append(self.path)
        if self.path == "/buildid/%s/debuginfo" % bid:
            with open(dbg, "rb") as f:
                body = f.read()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        else:
            self.send_error(404)

    def log_message(self, *a):
        pass


srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Debuginfod)
threading.Thread(target=srv.serve_forever, daemon=True).start()
stripped = os.path.join(work, "stripped")
os.makedirs(stripped)
shutil.copy(os.path.join(symdir, "1.0.0", "stacks-tool"), stripped)
dienv = dict(os.environ, TMWATCH_NOW=NOW,
             DEBUGINFOD_URLS="http://127.0.0.1:%d" % srv.server_port,
             DEBUGINFOD_CACHE_PATH=os.path.join(work, "dcache"),
             XDG_CACHE_HOME=os.path.join(work, "xcache"), HOME=work)
base_args = [BIN, "stacks", "--data", coll.data, "--program", "stacks-tool",
             "--days", "30", "--json", "--symbols", stripped]
out = json.loads(run(base_args, env=dienv).stdout)
g0 = [g for g in out["Groups"] if g["Versions"] == {"1.0.0": 4}][0]
if asked or "no debug info for build-id " + bid not in \
        g0["Frames"][0].get("Unmapped", ""):
    fail("without --debuginfod: asked %s, frame %s" % (asked, g0["Frames"][0]))
out = json.loads(run(base_args + ["--debuginfod"], env=dienv).stdout)
g0 = [g for g in out["Groups"] if g["Versions"] == {"1.0.0": 4}][0]
if "/buildid/%s/debuginfo" % bid not in asked or \
        g0["Frames"][0].get("Line") != lines["store_item"]:
    fail("with --debuginfod: asked %s, frame %s" % (asked, g0["Frames"][0]))
srv.shutdown()
print("ok debuginfod_is_asked_only_with_the_flag")

# A hostile upload: names are shown escaped, never interpreted.
evil = os.path.join(work, "evil")
os.makedirs(os.path.join(evil, "merged"))
rep = {"Week": "2026-11-22", "LastWeek": "", "X": 0.5, "Config": "",
       "Programs": [{"Program": "stacks-tool", "Version": "1.0.0\u001b[2J|x",
                     "GoVersion": "gcc", "GOOS": "linux", "GOARCH": "amd64",
                     "Counters": {}, "Stacks": {
                         "crash/crash\nboom\u001b[31m`rm -rf`\n"
                         "main:+3,+0x27": 5}}]}
with open(os.path.join(evil, "merged", "2026-11-22.json"), "w") as f:
    f.write(json.dumps(rep) + "\nnot json\n")
r = stacks("--new-issues", os.path.join(work, "evil-drafts"), data=evil)
if "\x1b" in r.stdout or "`" in r.stdout:
    fail("raw escape or backtick reached the terminal: %r" % r.stdout)
if "boom\\x1b[31m\\x60rm -rf\\x60" not in r.stdout or \
        "(not stack-counter text)" not in r.stdout or \
        "1 invalid lines skipped" not in r.stdout:
    fail("hostile frame not shown escaped: %r" % r.stdout)
for n in os.listdir(os.path.join(work, "evil-drafts")):
    with open(os.path.join(work, "evil-drafts", n)) as f:
        d = f.read()
    if "\x1b" in d or "`rm" in d or \
            "| `1.0.0\\x1b[2J\\x7cx` | 5 |" not in d:
        fail("hostile text reached a draft: %r" % d)
print("ok hostile_names_are_shown_escaped_never_interpreted")
if not os.environ.get("STACKS_KEEP"):
    shutil.rmtree(work)
else:
    print("kept " + work)
