# SPDX-License-Identifier: MIT
# test_stacks_rules.py -- `tmwatch stacks` rules on a hand-made merged
# dataset (docs/maintainers.md): whole-word predicates, escapes, issue
# files that cannot be understood, signature IDs on Dups: lines, dotted
# version order for fixed-in, --min-count, --prefix, --days and --since.
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from stackslib import *  # noqa

need(BIN, "tmwatch")
work = tmpdir("rules")
data = os.path.join(work, "data")
os.makedirs(os.path.join(data, "merged"))

A9 = "crash/crash\nrun_all:+1,+0x4\nmain:+2,+0x10"
A10 = "crash/crash\nrun_all:+1,+0x8\nmain:+2,+0x10"
B = "crash/crash\nrun:+3,+0x2f\nmain:+2,+0x10"
Q = "crash/crash\nsay \"hi\"\\:+1,+0x1\nmain:+2,+0x10"
BUG = "tool/bug\ncheck:+4,+0x20\nmain:+2,+0x10"


def rep(week, version, stacks):
    return {"Week": week, "LastWeek": "", "X": 0.25, "Config": "",
            "Programs": [{"Program": "tool", "Version": version,
                          "GoVersion": "gcc", "GOOS": "linux",
                          "GOARCH": "arm64", "Counters": {},
                          "Stacks": stacks}]}


days = {"2026-10-01": [rep("2026-10-01", "1.9", {A9: 50})],
        "2026-11-22": [rep("2026-11-22", "1.9", {A9: 2, B: 1}),
                       rep("2026-11-22", "1.10", {A10: 3, Q: 1, BUG: 7})]}
for d, reps in days.items():
    with open(os.path.join(data, "merged", d + ".json"), "w") as f:
        for r in reps:
            f.write(json.dumps(r) + "\n")
issues = os.path.join(work, "issues")
os.makedirs(issues)
files = {
    "word.md": '```#!stacks\n"run"\n```\n',
    "sig.md": "---\nfixed-in: 1.10\n---\nDups: %s\n" %
              stack_id(signature(A9)),
    "quote.md": '```#!stacks\n"say \\"hi\\"\\\\"\n```\n',
    "broken.md": '```#!stacks\n("run" && \n```\n',
    "badid.md": "Dups: short, 12345678\n",
    "open.md": '```#!stacks\n"run"\n',
}
for n, t in files.items():
    with open(os.path.join(issues, n), "w") as f:
        f.write(t)
env = dict(os.environ, TMWATCH_NOW="2026-11-25T12:00:00Z", HOME=work,
           TMWATCH_DIR=os.path.join(work, "store"),
           XDG_STATE_HOME=os.path.join(work, "state"))


def stacks(*args, check=True):
    return run([BIN, "stacks", "--data", data, "--program", "tool"] +
               list(args), env=env, check=check)


out = json.loads(stacks("--json", "--issues", issues).stdout)
g = {x["Name"]: x for x in out["Groups"]}
if set(g) != {A9, A10, B, Q}:
    fail("groups of the last 7 days: %s" % list(g))
if g[B]["Issues"] != ["word"] or "word" in g[A9]["Issues"]:
    fail("'run' must claim run:+3 and not run_all: %s %s" %
         (g[B]["Issues"], g[A9]["Issues"]))
print("ok predicate_literals_match_whole_frame_words")
if g[Q]["Issues"] != ["quote"]:
    fail("escaped quotes and backslash: %s" % g[Q]["Issues"])
print("ok predicate_strings_take_quote_and_backslash_escapes")
if g[A9]["Issues"] != ["sig"] or g[A10]["Issues"] != ["sig"]:
    fail("a signature ID on Dups: claims every release: %s %s" %
         (g[A9]["Issues"], g[A10]["Issues"]))
if g[A10]["Regressions"] != [{"Issue": "sig", "FixedIn": "1.10",
                              "Version": "1.10"}] or g[A9]["Regressions"]:
    fail("1.10 >= 1.10 > 1.9: %s %s" % (g[A10]["Regressions"],
                                        g[A9]["Regressions"]))
print("ok signature_ids_claim_every_release_and_versions_compare_as_numbers")
errs = {i["Issue"]: i.get("Error", "") for i in out["Issues"]}
for n, part in [("broken", "#!stacks: expected a string, '!' or '('"),
                ("badid", "Dups: 'short' is not an 8-character stack ID"),
                ("open", "the #!stacks block is not closed")]:
    if not errs[n].startswith(part):
        fail("issue %s: error %r, want %r" % (n, errs[n], part))
r = stacks("--issues", issues)
line = "tmwatch: issue '%s/broken.md': #!stacks: expected a string" % issues
if line not in r.stderr or "it claims nothing until fixed" not in r.stderr:
    fail("stderr for a broken issue: %r" % r.stderr)
print("ok issue_files_that_cannot_be_understood_are_reported_and_claim_nothing")

out = json.loads(stacks("--json", "--min-count", "2").stdout)
if sorted(x["Count"] for x in out["Groups"]) != [2, 3]:
    fail("--min-count 2: %s" % [x["Count"] for x in out["Groups"]])
out = json.loads(stacks("--json", "--prefix", "").stdout)
if BUG not in [x["Name"] for x in out["Groups"]]:
    fail("--prefix '' must read every stack counter")
out = json.loads(stacks("--json", "--prefix", "tool/bug").stdout)
if [x["Name"] for x in out["Groups"]] != [BUG]:
    fail("--prefix tool/bug: %s" % out["Groups"])
out = json.loads(stacks("--json", "--since", "2026-09-01").stdout)
if {x["Name"]: x["Count"] for x in out["Groups"]}[A9] != 52 or \
        out["Days"] != ["2026-10-01", "2026-11-22"] or \
        out["Groups"][0]["Arches"] != {"arm64": 52}:
    fail("--since: %s" % out)
print("ok min_count_prefix_and_date_range_select_groups")
r = stacks("--days", "0", check=False)
if r.returncode != 2 or "--days: '0'" not in r.stderr:
    fail("--days 0: %d %r" % (r.returncode, r.stderr))
r = stacks("--since", "2026-13-01", check=False)
if r.returncode != 2 or "not a date" not in r.stderr:
    fail("bad --since: %d %r" % (r.returncode, r.stderr))
print("ok bad_dates_and_days_are_usage_errors")
shutil.rmtree(work)
