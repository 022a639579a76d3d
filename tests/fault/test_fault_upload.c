/* SPDX-License-Identifier: MIT */
/* test_fault_upload.c -- uploads against a real tmwatch-collector on
 * 127.0.0.1: modes that must not connect, the mode date rule, a server
 * down, 500, 429 with Retry-After, 400, a hang, a body over the cap, ten
 * concurrent uploaders, an uploader killed mid-flight, a narrow config,
 * and what an uploaded body may contain.
 *
 * Each uploader is a real process (upload_driver, the library's upload
 * step); the clock is pinned with TMWATCH_NOW. Every wait is bounded.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "report.h"
#include "testutil.h"
#include "mkcount.h"
#include "collproc.h"

#define NOW "2026-11-23T10:00:00Z"

static char *store, *cfgdir, *srvdir;

static const char *SERVER_CFG =
	"{\"Version\":\"srv1\",\"Endpoint\":\"http://127.0.0.1:1/upload\","
	"\"Programs\":[{\"Name\":\"alpha\",\"Counters\":["
	"{\"Name\":\"alpha/{started,stopped}\"},"
	"{\"Name\":\"crash/signal:{SIGSEGV,SIGBUS}\"}],"
	"\"Stacks\":[{\"Name\":\"crash/crash\",\"Depth\":16}]},"
	"{\"Name\":\"beta\",\"Counters\":[{\"Name\":\"beta/x\"}],"
	"\"Stacks\":[{\"Name\":\"crash/crash\",\"Depth\":16}]}]}";

static void client_config(int port, const char *programs)
{
	char *text;

	assert_true(asprintf(&text, "{\"Version\":\"c1\",\"Endpoint\":"
			     "\"http://127.0.0.1:%d/upload\",\"Programs\":%s}",
			     port, programs) > 0);
	mk_file(cfgdir, "tool.json", text);
	free(text);
}

static const char *ALL_PROGRAMS =
	"[{\"Name\":\"alpha\",\"Counters\":[{\"Name\":\"alpha/started\"},"
	"{\"Name\":\"crash/signal:SIGSEGV\"}],\"Stacks\":[{\"Name\":"
	"\"crash/crash\"}]},{\"Name\":\"beta\",\"Counters\":[{\"Name\":"
	"\"beta/x\"}],\"Stacks\":[{\"Name\":\"crash/crash\"}]}]";

static const char *STACK = "crash/crash\nmain:+3,+0x1a\nstart:+0,+0x5";

/* Two ended weeks (11-15 begun 11-08, 11-22 begun 11-15) and the
 * current one. */
static void write_counters(void)
{
	struct mk_counter w1[] = { { "alpha/started", 3 },
				   { "crash/signal:SIGSEGV", 1 },
				   { STACK, 1 } };
	struct mk_counter w2[] = { { "alpha/started", 4 }, { STACK, 2 },
				   { "alpha/secret-path:/home/u", 1 } };
	struct mk_counter b2[] = { { "beta/x", 7 }, { STACK, 1 } };
	struct mk_counter w3[] = { { "alpha/started", 9 } };

	mk_count(store, "alpha", "1.0", "2026-11-08", "2026-11-15", w1, 3);
	mk_count(store, "alpha", "1.0", "2026-11-15", "2026-11-22", w2, 3);
	mk_count(store, "beta", "2", "2026-11-16", "2026-11-22", b2, 2);
	mk_count(store, "alpha", "1.0", "2026-11-22", "2026-11-29", w3, 1);
}

/* run_upload runs one uploader with TMWATCH_NOW=WHEN (and EXTRA env) and
 * returns its stdout summary. */
static char *run_upload(const char *when, const char *arg,
			const char *extra_env)
{
	char nowvar[64];
	char *argv[] = { getenv("TMWATCH_UPLOAD_DRIVER"), (char *)arg, NULL };
	char *env[] = { nowvar, (char *)extra_env, NULL };
	char *out = NULL, *err = NULL;
	int st;

	snprintf(nowvar, sizeof nowvar, "TMWATCH_NOW=%s", when);
	st = tu_run(argv, env, &out, &err, 60000);
	if (st < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
		fail_msg("upload_driver: %s\n%s", tu_describe_status(st),
			 err ? err : "");
	fprintf(stderr, "%s", err ? err : "");
	free(err);
	return out;
}

static void expect_summary(char *out, const char *part)
{
	if (!out || !strstr(out, part))
		fail_msg("summary '%s' lacks '%s'", out ? out : "(none)",
			 part);
	free(out);
}

static int exists_at(const char *rel)
{
	char *p = tu_path(store, rel);
	int ok = access(p, F_OK) == 0;

	free(p);
	return ok;
}

static int setup(void **state)
{
	(void)state;
	store = tu_fresh_store("fault");
	cfgdir = tu_tmpdir("fault-cfg");
	srvdir = tu_tmpdir("fault-srv");
	setenv("TMWATCH_UPLOAD_CONFIG_DIRS", cfgdir, 1);
	setenv("TMWATCH_UPLOAD_TIMEOUT_MS", "10000", 1);
	unsetenv("TMWATCH_NOW");
	mk_file(srvdir, "server.json", SERVER_CFG);
	mk_file(store, "mode", "on 2026-11-01\n");
	write_counters();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	tu_rmrf(store);
	tu_rmrf(cfgdir);
	tu_rmrf(srvdir);
	free(store);
	free(cfgdir);
	free(srvdir);
	return 0;
}

static void upload_in_mode_local_opens_no_connection(void **state)
{
	struct collector c;

	(void)state;
	mk_file(store, "mode", "local 2026-11-01\n");
	coll_start(&c, srvdir, 0, NULL);
	client_config(c.port, ALL_PROGRAMS);
	expect_summary(run_upload(NOW, NULL, NULL), "built=2 candidates=0 "
		       "sent=0");
	assert_int_equal(coll_stop(&c), 0);
	assert_true(exists_at("local/local.2026-11-22.json"));
	coll_free(&c);
}

static void upload_with_do_not_track_opens_no_connection(void **state)
{
	struct collector c;

	(void)state;
	coll_start(&c, srvdir, 0, NULL);
	client_config(c.port, ALL_PROGRAMS);
	expect_summary(run_upload(NOW, NULL, "DO_NOT_TRACK=1"), "sent=0");
	assert_int_equal(coll_stop(&c), 0);
	coll_free(&c);
}

static void upload_in_mode_off_connects_and_writes_nothing(void **state)
{
	struct collector c;

	(void)state;
	coll_start(&c, srvdir, 0, NULL);
	client_config(c.port, ALL_PROGRAMS);
	expect_summary(run_upload(NOW, NULL, "TMWATCH_TELEMETRY=off"), "off");
	expect_summary(run_upload(NOW, "--spawn", "TMWATCH_TELEMETRY=off"),
		       "off");
	assert_int_equal(coll_stop(&c), 0);
	assert_false(exists_at("local/local.2026-11-22.json"));
	assert_false(exists_at("local/daily.token"));
	assert_false(exists_at("local/report.lock"));
	coll_free(&c);
}

static void upload_mode_on_ten_days_ago_sends_only_later_weeks(void **s)
{
	struct collector c;

	(void)s;
	mk_file(store, "mode", "on 2026-11-13\n");
	coll_start(&c, srvdir, 0, NULL);
	client_config(c.port, ALL_PROGRAMS);
	expect_summary(run_upload(NOW, NULL, NULL), "sent=1 rejected=0");
	assert_int_equal(coll_stop(&c), 1);
	assert_int_equal(stored(&c, "2026-11-15"), 0);
	assert_int_equal(stored(&c, "2026-11-22"), 1);
	assert_true(exists_at("upload/2026-11-22.json"));
	assert_true(exists_at("local/local.2026-11-15.json"));
	coll_free(&c);
}

static void upload_keeps_report_while_collector_is_down(void **state)
{
	struct collector c;
	int port;

	(void)state;
	coll_start(&c, srvdir, 0, NULL);
	port = c.port;
	coll_stop(&c);
	coll_free(&c);
	client_config(port, ALL_PROGRAMS);
	expect_summary(run_upload(NOW, NULL, NULL), "sent=0 rejected=0 "
		       "failed=2");
	assert_true(exists_at("local/2026-11-15.json"));
	assert_true(exists_at("local/2026-11-22.json"));
	coll_start(&c, srvdir, port, NULL);
	expect_summary(run_upload("2026-11-23T11:00:00Z", NULL, NULL),
		       "sent=2");
	assert_int_equal(coll_stop(&c), 2);
	assert_int_equal(stored(&c, "2026-11-15"), 1);
	assert_int_equal(stored(&c, "2026-11-22"), 1);
	assert_false(exists_at("local/2026-11-22.json"));
	coll_free(&c);
}

static void upload_after_http_500_is_sent_once_on_retry(void **state)
{
	struct collector c;

	(void)state;
	mk_file(store, "mode", "on 2026-11-13\n");
	coll_start(&c, srvdir, 0, "--script 500");
	client_config(c.port, ALL_PROGRAMS);
	expect_summary(run_upload(NOW, NULL, NULL), "sent=0 rejected=0 "
		       "failed=1");
	/* Within the backoff: not even a connection. */
	expect_summary(run_upload("2026-11-23T10:01:00Z", NULL, NULL),
		       "sent=0 rejected=0 failed=0 deferred=1");
	expect_summary(run_upload("2026-11-23T11:00:00Z", NULL, NULL),
		       "sent=1");
	expect_summary(run_upload("2026-11-24T11:00:00Z", NULL, NULL),
		       "sent=0 rejected=0 failed=0 deferred=0");
	assert_int_equal(coll_stop(&c), 2);
	assert_int_equal(stored(&c, "2026-11-22"), 1);
	assert_non_null(strstr(c.log, "stored 2026-11-22/"));
	assert_null(strstr(c.log, "duplicate 2026"));
	coll_free(&c);
}

static void upload_honours_retry_after_from_429(void **state)
{
	struct collector c;

	(void)state;
	mk_file(store, "mode", "on 2026-11-13\n");
	coll_start(&c, srvdir, 0, "--script 429 --retry-after 7200");
	client_config(c.port, ALL_PROGRAMS);
	expect_summary(run_upload(NOW, NULL, NULL), "failed=1");
	/* The backoff alone would allow a retry after 5 minutes; the
	 * server asked for two hours. */
	expect_summary(run_upload("2026-11-23T11:00:00Z", NULL, NULL),
		       "sent=0 rejected=0 failed=0 deferred=1");
	expect_summary(run_upload("2026-11-23T12:00:01Z", NULL, NULL),
		       "sent=1");
	assert_int_equal(coll_stop(&c), 2);
	assert_int_equal(stored(&c, "2026-11-22"), 1);
	coll_free(&c);
}

static void upload_sets_report_aside_after_http_400(void **state)
{
	struct collector c;
	char *out;

	(void)state;
	mk_file(store, "mode", "on 2026-11-13\n");
	coll_start(&c, srvdir, 0, "--script 400");
	client_config(c.port, ALL_PROGRAMS);
	expect_summary(run_upload(NOW, NULL, NULL), "sent=0 rejected=1");
	assert_true(exists_at("local/rejected/2026-11-22.json"));
	assert_false(exists_at("local/2026-11-22.json"));
	expect_summary(run_upload("2026-11-28T11:00:00Z", NULL, NULL),
		       "sent=0 rejected=0 failed=0");
	assert_int_equal(coll_stop(&c), 1);
	out = run_upload(NOW, "--status", NULL);
	assert_non_null(strstr(out, "rejected=1"));
	assert_non_null(strstr(out, "rejected 2026-11-22 http://127.0.0.1:"));
	assert_non_null(strstr(out, ": HTTP 400: scripted 400"));
	free(out);
	coll_free(&c);
}

static void upload_times_out_on_a_hanging_server_and_retries(void **s)
{
	struct collector c;
	long t0;
	char *out;

	(void)s;
	mk_file(store, "mode", "on 2026-11-13\n");
	coll_start(&c, srvdir, 0, "--script hang --hang-ms 30000");
	client_config(c.port, ALL_PROGRAMS);
	t0 = now_ms();
	out = run_upload(NOW, NULL, "TMWATCH_UPLOAD_TIMEOUT_MS=1000");
	assert_true(now_ms() - t0 < 15000);
	expect_summary(out, "failed=1");
	out = run_upload(NOW, "--status", NULL);
	assert_non_null(strstr(out, "pending 2026-11-22 attempts=1"));
	assert_non_null(strstr(out, "timed out"));
	free(out);
	expect_summary(run_upload("2026-11-23T11:00:00Z", NULL, NULL),
		       "sent=1");
	assert_int_equal(coll_stop(&c), 2);
	assert_int_equal(stored(&c, "2026-11-22"), 1);
	coll_free(&c);
}

static void upload_over_the_body_cap_is_refused_and_recorded(void **s)
{
	struct collector c;
	char *out;

	(void)s;
	mk_file(store, "mode", "on 2026-11-13\n");
	coll_start(&c, srvdir, 0, "--max-body 100");
	client_config(c.port, ALL_PROGRAMS);
	expect_summary(run_upload(NOW, NULL, NULL), "sent=0 rejected=1");
	assert_int_equal(coll_stop(&c), 1);
	assert_int_equal(stored(&c, "2026-11-22"), 0);
	assert_non_null(strstr(c.log, " 413 "));
	out = run_upload(NOW, "--status", NULL);
	assert_non_null(strstr(out, "HTTP 413: report larger than the "
			       "collector accepts"));
	free(out);
	coll_free(&c);
}

static void collector_over_its_rate_answers_429_and_client_waits(void **s)
{
	struct collector c;

	(void)s;
	/* A bucket of one request per hour: the first week goes, the
	 * second gets 429 with Retry-After and is deferred, not lost. */
	coll_start(&c, srvdir, 0, "--rate 1 --retry-after 3600");
	client_config(c.port, ALL_PROGRAMS);
	expect_summary(run_upload(NOW, NULL, NULL), "sent=1 rejected=0 "
		       "failed=1");
	expect_summary(run_upload("2026-11-23T10:30:00Z", NULL, NULL),
		       "sent=0 rejected=0 failed=0 deferred=1");
	assert_int_equal(coll_stop(&c), 2);
	assert_non_null(strstr(c.log, " 429 "));
	assert_non_null(strstr(c.log, "1 rate-limited"));
	assert_true(exists_at("local/2026-11-22.json"));
	coll_free(&c);
}

static void ten_concurrent_uploads_send_each_week_once(void **state)
{
	struct collector c;
	pid_t pids[10];
	const char *s;

	(void)state;
	coll_start(&c, srvdir, 0, NULL);
	client_config(c.port, ALL_PROGRAMS);
	setenv("TMWATCH_NOW", NOW, 1);
	for (int i = 0; i < 10; i++) {
		pids[i] = fork();
		assert_true(pids[i] >= 0);
		if (pids[i] == 0) {
			int fd = open("/dev/null", O_WRONLY);

			dup2(fd, 1);
			dup2(fd, 2);
			/* The real command, as ten users would run it. */
			execl(getenv("TMWATCH_BIN"), "tmwatch", "telemetry",
			      "upload", (char *)NULL);
			_exit(127);
		}
	}
	for (int i = 0; i < 10; i++) {
		int st;

		assert_int_equal(tu_wait(pids[i], &st, 60000), 0);
		assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
	unsetenv("TMWATCH_NOW");
	coll_stop(&c);
	assert_int_equal(stored(&c, "2026-11-15"), 1);
	assert_int_equal(stored(&c, "2026-11-22"), 1);
	s = strstr(c.log, "stopped: ");
	assert_non_null(s);
	assert_non_null(strstr(s, " 2 stored, 0 duplicates, 0 rejected"));
	assert_true(exists_at("upload/2026-11-15.json"));
	assert_true(exists_at("upload/2026-11-22.json"));
	coll_free(&c);
}

static void upload_killed_mid_flight_is_recovered_by_next_run(void **s)
{
	struct collector c;
	char nowvar[] = "TMWATCH_NOW=" NOW;
	pid_t pid;
	int st;

	(void)s;
	mk_file(store, "mode", "on 2026-11-13\n");
	coll_start(&c, srvdir, 0, "--script hang --hang-ms 60000");
	client_config(c.port, ALL_PROGRAMS);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int fd = open("/dev/null", O_WRONLY);

		putenv(nowvar);
		dup2(fd, 1);
		dup2(fd, 2);
		execl(getenv("TMWATCH_BIN"), "tmwatch", "telemetry", "upload",
		      (char *)NULL);
		_exit(127);
	}
	if (!read_log(&c, "scripted hang", 20000))
		fail_msg("the upload never reached the server: %s",
			 c.log ? c.log : "");
	kill(pid, SIGKILL);
	assert_int_equal(tu_wait(pid, &st, 10000), 0);
	assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	assert_true(exists_at("local/2026-11-22.json.lock"));
	/* The dead uploader's lock is free at once: same time, next run. */
	expect_summary(run_upload(NOW, NULL, NULL), "sent=1 rejected=0 "
		       "failed=0 deferred=0 locked=0");
	coll_stop(&c);
	assert_int_equal(stored(&c, "2026-11-22"), 1);
	assert_false(exists_at("local/2026-11-22.json.lock"));
	coll_free(&c);
}

static void crash_only_config_lets_nothing_else_leave(void **state)
{
	struct collector c;
	struct tm__report r;
	char *body;

	(void)state;
	mk_file(store, "mode", "on 2026-11-13\n");
	coll_start(&c, srvdir, 0, NULL);
	client_config(c.port, "[{\"Name\":\"alpha\",\"Stacks\":[{\"Name\":"
		      "\"crash/crash\"}]}]");
	expect_summary(run_upload(NOW, NULL, NULL), "sent=1");
	coll_stop(&c);
	body = stored_body(&c, "2026-11-22");
	assert_int_equal(tm__report_parse(body, strlen(body), &r, NULL, 0),
			 0);
	assert_int_equal(r.nprograms, 1);
	assert_string_equal(r.programs[0].program, "alpha");
	assert_int_equal(r.programs[0].ncounters, 0);
	assert_int_equal(r.programs[0].nstacks, 1);
	assert_string_equal(r.programs[0].stacks[0].name, STACK);
	assert_null(strstr(body, "beta"));
	assert_null(strstr(body, "started"));
	tm__report_free(&r);
	free(body);
	coll_free(&c);
}

static void uploaded_body_holds_nothing_private(void **state)
{
	struct collector c;
	char host[256] = "", *body, *sent, *cwd;

	(void)state;
	mk_file(store, "mode", "on 2026-11-13\n");
	coll_start(&c, srvdir, 0, NULL);
	client_config(c.port, ALL_PROGRAMS);
	expect_summary(run_upload(NOW, NULL, NULL), "sent=1");
	coll_stop(&c);
	body = stored_body(&c, "2026-11-22");
	/* What arrived is byte for byte the report kept in upload/. */
	cwd = tu_path(store, "upload/2026-11-22.json");
	sent = tu_read_file(cwd, NULL);
	free(cwd);
	assert_non_null(sent);
	assert_string_equal(body, sent);
	gethostname(host, sizeof host - 1);
	cwd = getcwd(NULL, 0);
	assert_null(strstr(body, store));
	assert_null(strstr(body, "/tmp"));
	assert_null(strstr(body, "/home"));
	assert_null(strstr(body, "secret-path"));
	assert_null(strstr(body, cwd));
	if (*host)
		assert_null(strstr(body, host));
	if (getenv("USER") && strlen(getenv("USER")) > 3)
		assert_null(strstr(body, getenv("USER")));
	/* Only the report's own fields. */
	assert_non_null(strstr(body, "\"Week\":\t\"2026-11-22\""));
	assert_non_null(strstr(body, "\"Config\":\t\"c1\""));
	assert_non_null(strstr(body, "\"alpha/started\":\t4"));
	assert_non_null(strstr(body, "\"beta/x\":\t7"));
	free(cwd);
	free(sent);
	free(body);
	coll_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(upload_in_mode_local_opens_no_connection),
		T(upload_with_do_not_track_opens_no_connection),
		T(upload_in_mode_off_connects_and_writes_nothing),
		T(upload_mode_on_ten_days_ago_sends_only_later_weeks),
		T(upload_keeps_report_while_collector_is_down),
		T(upload_after_http_500_is_sent_once_on_retry),
		T(upload_honours_retry_after_from_429),
		T(upload_sets_report_aside_after_http_400),
		T(upload_times_out_on_a_hanging_server_and_retries),
		T(upload_over_the_body_cap_is_refused_and_recorded),
		T(collector_over_its_rate_answers_429_and_client_waits),
		T(ten_concurrent_uploads_send_each_week_once),
		T(upload_killed_mid_flight_is_recovered_by_next_run),
		T(crash_only_config_lets_nothing_else_leave),
		T(uploaded_body_holds_nothing_private),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
