/* SPDX-License-Identifier: MIT */
/* test_fault_store_owner.c -- issue 14: reports and uploads apply the
 * store rule (docs/security.md §4), tested as an attacker through the
 * real `tmwatch telemetry upload` against a real tmwatch-collector on
 * 127.0.0.1:
 *   - a world-writable local/ owned by another user (65534) is refused:
 *     no report built, no connection, the counter files untouched;
 *   - a local/ that is a symlink (even to our own directory) is refused;
 *   - an upload/ of another user is refused;
 *   - a report and a counter file another user (setpriv --reuid=65534)
 *     planted while local/ was open are never sent nor merged, while our
 *     own week still goes out with exactly our counts.
 * Each refusal is followed by the same store made ours again, which
 * uploads: the refusal, not the setup, stopped it. Every wait is
 * bounded; the clock is pinned with TMWATCH_NOW.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "report.h"
#include "testutil.h"
#include "mkcount.h"
#include "collproc.h"

#define NOW "2026-11-23T10:00:00Z"
#define NOBODY 65534
#define REFUSED "is a symbolic link, owned by another user or writable " \
	"by others; no report is built or sent from it"

static char *store, *cfgdir, *srvdir, *scratch;

static const char *SERVER_CFG =
	"{\"Version\":\"srv1\",\"Endpoint\":\"http://127.0.0.1:1/upload\","
	"\"Programs\":[{\"Name\":\"alpha\",\"Counters\":["
	"{\"Name\":\"alpha/{started,stopped}\"}],"
	"\"Stacks\":[{\"Name\":\"crash/crash\",\"Depth\":16}]}]}";

static void client_config(int port)
{
	char *text;

	assert_true(asprintf(&text, "{\"Version\":\"c1\",\"Endpoint\":"
			     "\"http://127.0.0.1:%d/upload\",\"Programs\":["
			     "{\"Name\":\"alpha\",\"Counters\":[{\"Name\":"
			     "\"alpha/started\"}]}]}", port) > 0);
	mk_file(cfgdir, "tool.json", text);
	free(text);
}

static char *at(const char *rel)
{
	return tu_path(store, rel);
}

static int exists_at(const char *rel)
{
	char *p = at(rel);
	struct stat st;
	int ok = lstat(p, &st) == 0;

	free(p);
	return ok;
}

/* Runs the real `tmwatch telemetry upload`; returns its stderr and its
 * exit status in *CODE. */
static char *tmwatch_upload(int *code)
{
	char *argv[] = { (char *)getenv("TMWATCH_BIN"), "telemetry",
			 "upload", NULL };
	char *env[] = { "TMWATCH_NOW=" NOW, NULL };
	char *err = NULL;
	int st;

	if (!argv[0])
		fail_msg("TMWATCH_BIN is not set: run under ctest");
	st = tu_run(argv, env, NULL, &err, 60000);
	if (st == -1 || !WIFEXITED(st))
		fail_msg("tmwatch telemetry upload: %s\n%s",
			 tu_describe_status(st), err ? err : "");
	*code = WEXITSTATUS(st);
	fprintf(stderr, "%s", err ? err : "");
	return err ? err : strdup("");
}

static void expect_in(const char *text, const char *part)
{
	if (!strstr(text, part))
		fail_msg("output\n%s\nlacks '%s'", text, part);
}

/* Runs CMD with sh; fails the test unless it succeeds. */
static void sh(const char *cmd)
{
	char *argv[] = { "sh", "-c", (char *)cmd, NULL };
	char *err = NULL;
	int st = tu_run(argv, NULL, NULL, &err, 60000);

	if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
		fail_msg("'%s' failed: %s", cmd, err ? err : "");
	free(err);
}

/* Runs CMD as uid/gid 65534, the attacker. */
static void as_nobody(const char *cmd)
{
	char *line;

	if (asprintf(&line, "setpriv --reuid=%d --regid=%d --clear-groups "
		     "sh -c \"%s\"", NOBODY, NOBODY, cmd) < 0)
		fail();
	sh(line);
	free(line);
}

static int setup(void **state)
{
	struct mk_counter w1[] = { { "alpha/started", 3 } };
	struct mk_counter w2[] = { { "alpha/started", 4 } };

	(void)state;
	store = tu_fresh_store("owner");
	cfgdir = tu_tmpdir("owner-cfg");
	srvdir = tu_tmpdir("owner-srv");
	scratch = tu_tmpdir("owner-scratch");
	setenv("TMWATCH_UPLOAD_CONFIG_DIRS", cfgdir, 1);
	setenv("TMWATCH_UPLOAD_TIMEOUT_MS", "10000", 1);
	unsetenv("TMWATCH_NOW");
	mk_file(srvdir, "server.json", SERVER_CFG);
	mk_file(store, "mode", "on 2026-11-13\n");
	/* The attacker must reach local/ to plant anything. */
	assert_int_equal(chmod(store, 0755), 0);
	assert_int_equal(chmod(scratch, 0755), 0);
	mk_count(store, "alpha", "1.0", "2026-11-08", "2026-11-15", w1, 1);
	mk_count(store, "alpha", "1.0", "2026-11-15", "2026-11-22", w2, 1);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	tu_rmrf(store);
	tu_rmrf(cfgdir);
	tu_rmrf(srvdir);
	tu_rmrf(scratch);
	free(store);
	free(cfgdir);
	free(srvdir);
	free(scratch);
	return 0;
}

/* The run after a store was made ours again: week 2026-11-22 goes out
 * with alpha/started exactly 4. */
static void expect_sent_after_fix(void)
{
	struct collector c;
	struct tm__report r;
	char *err, *body;
	int code;

	coll_start(&c, srvdir, 0, NULL);
	client_config(c.port);
	err = tmwatch_upload(&code);
	assert_int_equal(code, 0);
	expect_in(err, "1 sent");
	free(err);
	coll_stop(&c);
	assert_int_equal(stored(&c, "2026-11-22"), 1);
	body = stored_body(&c, "2026-11-22");
	assert_int_equal(tm__report_parse(body, strlen(body), &r, NULL, 0),
			 0);
	assert_int_equal(r.nprograms, 1);
	assert_int_equal(r.programs[0].ncounters, 1);
	assert_string_equal(r.programs[0].counters[0].name, "alpha/started");
	assert_int_equal(r.programs[0].counters[0].count, 4);
	tm__report_free(&r);
	free(body);
	coll_free(&c);
}

/* A refused upload: exit 1, the line naming BAD, nothing stored. */
static void expect_upload_refused_naming(const char *bad)
{
	struct collector c;
	char *err, *want;
	int code;

	coll_start(&c, srvdir, 0, NULL);
	client_config(c.port);
	err = tmwatch_upload(&code);
	assert_int_equal(coll_stop(&c), 0);
	assert_int_equal(stored(&c, "2026-11-22"), 0);
	coll_free(&c);
	assert_int_not_equal(code, 0);
	if (asprintf(&want, "tmwatch: '%s' " REFUSED, bad) < 0)
		fail();
	expect_in(err, want);
	free(want);
	free(err);
}

/* A refused run: exit 1, the line naming REL, no connection, nothing
 * built, the counter files still there. */
static void expect_refused(const char *rel)
{
	char *bad = at(rel);

	expect_upload_refused_naming(bad);
	assert_false(exists_at("local/local.2026-11-22.json"));
	assert_false(exists_at("local/2026-11-22.json"));
	assert_true(exists_at("local/alpha@1.0-gcc12.2.0-linux-amd64-"
			      "2026-11-15.v1.count"));
	free(bad);
}

static void world_writable_local_of_another_user_is_refused(void **s)
{
	char *local = at("local");

	(void)s;
	assert_int_equal(chown(local, NOBODY, NOBODY), 0);
	assert_int_equal(chmod(local, 0777), 0);
	expect_refused("local");
	/* Made ours again: it uploads. */
	assert_int_equal(chown(local, 0, 0), 0);
	assert_int_equal(chmod(local, 0755), 0);
	expect_sent_after_fix();
	free(local);
}

static void symlinked_local_is_refused(void **s)
{
	char *local = at("local"), *real = at("real-local");

	(void)s;
	/* Even to a directory of ours: the link itself is the hazard. */
	assert_int_equal(rename(local, real), 0);
	assert_int_equal(symlink(real, local), 0);
	expect_upload_refused_naming(local);
	assert_true(exists_at("real-local/alpha@1.0-gcc12.2.0-linux-amd64-"
			      "2026-11-15.v1.count"));
	assert_false(exists_at("real-local/2026-11-22.json"));
	assert_int_equal(unlink(local), 0);
	assert_int_equal(rename(real, local), 0);
	expect_sent_after_fix();
	free(local);
	free(real);
}

static void upload_dir_of_another_user_is_refused(void **s)
{
	char *up = at("upload");

	(void)s;
	assert_int_equal(mkdir(up, 0777), 0);
	assert_int_equal(chown(up, NOBODY, NOBODY), 0);
	assert_int_equal(chmod(up, 0777), 0);
	expect_refused("upload");
	assert_int_equal(chown(up, 0, 0), 0);
	assert_int_equal(chmod(up, 0755), 0);
	expect_sent_after_fix();
	assert_true(exists_at("upload/2026-11-22.json"));
	free(up);
}

/* A valid report for week 2026-11-08 that the config allows, with a
 * count we never made. */
static void forge_report(const char *path)
{
	struct tm__report_counter ctr = { "alpha/started", 999 };
	struct tm__report_program p = {
		.program = "alpha", .version = "1.0",
		.goversion = "gcc12.2.0", .goos = "linux", .goarch = "amd64",
		.ncounters = 1, .counters = &ctr,
	};
	struct tm__report r = { .week = "2026-11-08", .x = 0.25,
				.nprograms = 1, .programs = &p,
				.config = "c1" };
	char *json;
	size_t len;

	assert_int_equal(tm__report_format(&r, &json, &len), 0);
	assert_int_equal(tu_write_file(path, json, len), 0);
	assert_int_equal(chmod(path, 0644), 0);
	free(json);
}

static void reports_planted_by_another_user_are_never_sent(void **s)
{
	struct mk_counter w[] = { { "alpha/started", 1000 } };
	static const char planted_count[] =
		"alpha@1.0-gcc12.2.0-linux-amd64-2026-11-16.v1.count";
	char *local = at("local"), *report = tu_path(scratch, "r.json");
	char *cmd, *err;
	struct collector c;
	int code;

	(void)s;
	forge_report(report);
	mk_count(scratch, "alpha", "1.0", "2026-11-16", "2026-11-22", w, 1);
	if (asprintf(&cmd, "chmod -R a+rX '%s'", scratch) < 0)
		fail();
	sh(cmd);
	free(cmd);
	/* local/ open to others for a while: the attacker plants a report
	 * and a counter file, then the owner closes it again. */
	assert_int_equal(chmod(local, 0777), 0);
	if (asprintf(&cmd, "cp '%s' '%s/2026-11-08.json' && cp '%s/local/%s' "
		     "'%s/%s'", report, local, scratch, planted_count, local,
		     planted_count) < 0)
		fail();
	as_nobody(cmd);
	free(cmd);
	assert_int_equal(chmod(local, 0755), 0);

	coll_start(&c, srvdir, 0, NULL);
	client_config(c.port);
	err = tmwatch_upload(&code);
	coll_stop(&c);
	/* Ours went out with our count only; the forged week did not. */
	assert_int_equal(stored(&c, "2026-11-08"), 0);
	assert_int_equal(stored(&c, "2026-11-22"), 1);
	{
		struct tm__report r;
		char *body = stored_body(&c, "2026-11-22");

		assert_int_equal(tm__report_parse(body, strlen(body), &r,
						  NULL, 0), 0);
		assert_int_equal(r.programs[0].counters[0].count, 4);
		tm__report_free(&r);
		free(body);
	}
	coll_free(&c);
	assert_int_equal(code, 0);
	expect_in(err, "2026-11-08.json' is not a regular file of yours; "
		  "never sent");
	expect_in(err, "2026-11-16.v1.count' is not a regular file of yours");
	free(err);
	/* Another user's files are neither deleted nor set aside. */
	assert_true(exists_at("local/2026-11-08.json"));
	if (asprintf(&cmd, "local/%s", planted_count) < 0)
		fail();
	assert_true(exists_at(cmd));
	free(cmd);

	/* Control: the same forged file, ours, is sent (so it was the
	 * owner check that kept it back, not its content). */
	if (asprintf(&cmd, "chown 0:0 '%s/2026-11-08.json'", local) < 0)
		fail();
	sh(cmd);
	free(cmd);
	coll_start(&c, srvdir, 0, NULL);
	client_config(c.port);
	err = tmwatch_upload(&code);
	assert_int_equal(code, 0);
	free(err);
	coll_stop(&c);
	assert_int_equal(stored(&c, "2026-11-08"), 1);
	coll_free(&c);
	free(report);
	free(local);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(world_writable_local_of_another_user_is_refused),
		T(symlinked_local_is_refused),
		T(upload_dir_of_another_user_is_refused),
		T(reports_planted_by_another_user_are_never_sent),
	};

	if (geteuid() != 0) {
		fprintf(stderr, "test_fault_store_owner plays another user "
			"with chown and setpriv and must run as root\n");
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
