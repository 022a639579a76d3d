/* SPDX-License-Identifier: MIT */
/* test_upload.c -- upload status and the watchdog's detached daily run.
 * The HTTP behaviour is tested against a real server in tests/fault. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"
#include "tmwatch/common.h"
#include "upload.h"
#include "../fault/mkcount.h"

static char *store;

static int setup(void **state)
{
	(void)state;
	store = tu_fresh_store("upload");
	setenv("TMWATCH_NOW", "2026-11-23T10:00:00Z", 1);
	unsetenv("TMWATCH_UPLOAD_CONFIG_DIRS");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	tu_rmrf(store);
	free(store);
	unsetenv("TMWATCH_TELEMETRY");
	return 0;
}

static int exists_at(const char *rel)
{
	char *p = tu_path(store, rel);
	int ok = access(p, F_OK) == 0;

	free(p);
	return ok;
}

static const char *REPORT =
	"{\"Week\":\"%s\",\"LastWeek\":\"\",\"X\":0.5,\"Programs\":[],"
	"\"Config\":\"\"}";

static void put_report(const char *dir, const char *week)
{
	char name[32], text[256];

	snprintf(name, sizeof name, "%s.json", week);
	snprintf(text, sizeof text, REPORT, week);
	mk_file(dir, name, text);
}

static void upload_status_lists_pending_rejected_and_last(void **state)
{
	struct tm__upload_status st;
	char *local = tu_path(store, "local");
	char *rej = tu_path(store, "local/rejected");
	char *up = tu_path(store, "upload");

	(void)state;
	put_report(local, "2026-11-22");
	put_report(local, "2026-10-11");	/* over 21 days old */
	mk_file(local, "2026-11-22.upload",
		"{\"Endpoints\":[{\"Endpoint\":\"https://a.example/u\","
		"\"Status\":\"pending\",\"Attempts\":2,\"NextAttempt\":"
		"1795000000,\"Time\":1794000000,\"Reason\":"
		"\"HTTP 503: busy\"}]}");
	put_report(rej, "2026-11-15");
	mk_file(local, "2026-11-15.upload",
		"{\"Endpoints\":[{\"Endpoint\":\"https://a.example/u\","
		"\"Status\":\"rejected\",\"Attempts\":0,\"NextAttempt\":0,"
		"\"Time\":1794000000,\"Reason\":\"HTTP 400: bad\"}]}");
	put_report(up, "2026-11-08");
	mk_file(local, "2026-11-08.upload",
		"{\"Endpoints\":[{\"Endpoint\":\"https://a.example/u\","
		"\"Status\":\"sent\",\"Attempts\":0,\"NextAttempt\":0,"
		"\"Time\":1793000000}]}");
	assert_int_equal(tm__upload_status(store, &st), 0);
	assert_int_equal(st.npending, 1);
	assert_string_equal(st.pending[0].week, "2026-11-22");
	assert_int_equal(st.pending[0].attempts, 2);
	assert_int_equal(st.pending[0].next_attempt, 1795000000);
	assert_string_equal(st.pending[0].reason, "HTTP 503: busy");
	assert_int_equal(st.ntoo_old, 1);
	assert_int_equal(st.nrejected, 1);
	assert_string_equal(st.rejected[0].week, "2026-11-15");
	assert_string_equal(st.rejected[0].reason, "HTTP 400: bad");
	assert_int_equal(st.nuploaded, 1);
	assert_string_equal(st.last_week, "2026-11-08");
	assert_int_equal(st.last_time, 1793000000);
	assert_string_equal(st.last_endpoint, "https://a.example/u");
	tm__upload_status_free(&st);
	free(local);
	free(rej);
	free(up);
}

static void upload_status_of_empty_store_is_empty(void **state)
{
	struct tm__upload_status st;

	(void)state;
	assert_int_equal(tm__upload_status(store, &st), 0);
	assert_int_equal(st.npending + st.nrejected + st.nuploaded, 0);
	assert_string_equal(st.last_week, "");
	tm__upload_status_free(&st);
}

static void daily_spawn_in_mode_off_forks_and_writes_nothing(void **s)
{
	struct stat sb;

	(void)s;
	setenv("TMWATCH_TELEMETRY", "off", 1);
	assert_int_equal(tm__upload_daily_spawn(), TM_EOFF);
	assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
	assert_int_equal(errno, ECHILD);
	assert_int_equal(stat(store, &sb), 0);
	assert_false(exists_at("local"));
	assert_false(exists_at("mode"));
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* In a child made subreaper, so the detached grandchild is re-parented
 * to it and can be waited for: exit 0 when spawn returned at once, the
 * run finished within its bound, and the report exists. */
static void spawn_and_reap(int expect_run)
{
	struct mk_counter c[] = { { "alpha/started", 1 } };
	pid_t pid;
	int st;

	mk_count(store, "alpha", "1.0", "2026-11-15", "2026-11-22", c, 1);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		long t0;
		int rc, ws, reaped = 0;

		prctl(PR_SET_CHILD_SUBREAPER, 1);
		alarm(60); /* the bound on this whole check */
		t0 = now_ms();
		rc = tm__upload_daily_spawn();
		if (rc || now_ms() - t0 > 2000)
			_exit(10);
		while (waitpid(-1, &ws, 0) > 0)
			if (WIFEXITED(ws) && WEXITSTATUS(ws) == 0)
				reaped++;
		if (expect_run ? reaped != 1 : reaped != 0)
			_exit(11);
		_exit(0);
	}
	assert_int_equal(tu_wait(pid, &st, 90000), 0);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		fail_msg("spawn check: %s", tu_describe_status(st));
}

static void daily_spawn_runs_detached_once_and_leaves_nothing(void **s)
{
	(void)s;
	spawn_and_reap(1);
	assert_true(exists_at("local/local.2026-11-22.json"));
	assert_true(exists_at("local/daily.token"));
}

static void daily_spawn_with_fresh_token_forks_nothing(void **s)
{
	char *report = tu_path(store, "local/local.2026-11-22.json");

	spawn_and_reap(1);
	unlink(report);
	free(report);
	(void)s;
	setenv("TMWATCH_NOW", "2026-11-23T20:00:00Z", 1);
	spawn_and_reap(0);
	assert_false(exists_at("local/local.2026-11-22.json"));
}

static void upload_sets_aside_a_corrupt_report_and_goes_on(void **s)
{
	struct tm__upload_result res;
	char *local = tu_path(store, "local");
	char *cfg = tu_tmpdir("upload-cfg");
	char text[256];

	(void)s;
	mk_file(store, "mode", "on 2026-11-01\n");
	mk_file(cfg, "c.json", "{\"Version\":\"v\",\"Endpoint\":"
		"\"http://127.0.0.1:1/upload\",\"Programs\":[{\"Name\":"
		"\"a\",\"Counters\":[{\"Name\":\"c\"}]}]}");
	setenv("TMWATCH_UPLOAD_CONFIG_DIRS", cfg, 1);
	mk_file(local, "2026-11-15.json", "{ not a report");
	snprintf(text, sizeof text, "{\"Week\":\"2026-11-22\",\"X\":0.5,"
		 "\"Programs\":[{\"Program\":\"a\",\"Counters\":"
		 "{\"c\":1}}]}");
	mk_file(local, "2026-11-22.json", text);
	assert_int_equal(tm__upload_run(store, 0, NULL, NULL, &res), 0);
	assert_int_equal(res.nrejected, 1);
	assert_int_equal(res.nfailed, 1);	/* nothing listens on port 1 */
	assert_true(exists_at("local/rejected/2026-11-15.json"));
	assert_true(exists_at("local/2026-11-22.json"));
	tm__upload_result_free(&res);
	unsetenv("TMWATCH_UPLOAD_CONFIG_DIRS");
	tu_rmrf(cfg);
	free(cfg);
	free(local);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(upload_status_lists_pending_rejected_and_last),
		T(upload_status_of_empty_store_is_empty),
		T(daily_spawn_in_mode_off_forks_and_writes_nothing),
		T(daily_spawn_runs_detached_once_and_leaves_nothing),
		T(daily_spawn_with_fresh_token_forks_nothing),
		T(upload_sets_aside_a_corrupt_report_and_goes_on),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
