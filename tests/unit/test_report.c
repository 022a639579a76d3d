/* SPDX-License-Identifier: MIT */
/* test_report.c -- weekly reports: which weeks, exact JSON, the upload
 * candidate's rules, durability order, the reader's rejections. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "report.h"
#include "testutil.h"
#include "tmwatch/common.h"
#include "../fault/mkcount.h"

static char *store;
static char *cfgdir;

static int setup(void **state)
{
	(void)state;
	store = tu_fresh_store("report");
	cfgdir = tu_tmpdir("report-cfg");
	setenv("TMWATCH_UPLOAD_CONFIG_DIRS", cfgdir, 1);
	setenv("TMWATCH_NOW", "2026-11-23T10:00:00Z", 1);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	tu_rmrf(store);
	tu_rmrf(cfgdir);
	free(store);
	free(cfgdir);
	unsetenv("TMWATCH_TELEMETRY");
	return 0;
}

static char *read_at(const char *rel)
{
	char *p = tu_path(store, rel);
	char *s = tu_read_file(p, NULL);

	free(p);
	return s;
}

static int exists_at(const char *rel)
{
	char *p = tu_path(store, rel);
	int ok = access(p, F_OK) == 0;

	free(p);
	return ok;
}

/* x_of extracts the X value text from a report, so the expected text can
 * carry the random X of this run. */
static char *x_of(const char *json)
{
	const char *p = strstr(json, "\"X\":\t");
	size_t n;

	assert_non_null(p);
	p += 5;
	n = strcspn(p, ",\n");
	return strndup(p, n);
}

static void assert_text(const char *expected, const char *actual)
{
	if (strcmp(expected, actual)) {
		fprintf(stderr, "--- expected\n%s\n--- actual\n%s\n---\n",
			expected, actual);
		fail_msg("texts differ");
	}
}

static const char *STACK = "crash/crash\nmain:+3,+0x1a\nstart:+0,+0x5";

static void write_weeks(void)
{
	struct mk_counter a1[] = { { "alpha/started", 3 },
				   { "crash/signal:SIGSEGV", 1 },
				   { STACK, 1 } };
	struct mk_counter a2[] = { { "alpha/started", 2 }, { STACK, 1 } };
	struct mk_counter b1[] = { { "beta/x", 7 } };
	struct mk_counter a3[] = { { "alpha/started", 4 } };
	struct mk_counter a4[] = { { "alpha/started", 9 } };

	mk_count(store, "alpha", "1.0", "2026-11-08", "2026-11-15", a1, 3);
	mk_count(store, "alpha", "1.0", "2026-11-10", "2026-11-15", a2, 2);
	mk_count(store, "beta", "", "2026-11-09", "2026-11-15", b1, 1);
	mk_count(store, "alpha", "1.0", "2026-11-15", "2026-11-22", a3, 1);
	mk_count(store, "alpha", "1.0", "2026-11-22", "2026-11-29", a4, 1);
}

static const char *WEEK1 =
	"{\n"
	"\t\"Week\":\t\"2026-11-15\",\n"
	"\t\"LastWeek\":\t\"\",\n"
	"\t\"X\":\t%s,\n"
	"\t\"Programs\":\t[{\n"
	"\t\t\t\"Program\":\t\"alpha\",\n"
	"\t\t\t\"Version\":\t\"1.0\",\n"
	"\t\t\t\"GoVersion\":\t\"gcc12.2.0\",\n"
	"\t\t\t\"GOOS\":\t\"linux\",\n"
	"\t\t\t\"GOARCH\":\t\"amd64\",\n"
	"\t\t\t\"Counters\":\t{\n"
	"\t\t\t\t\"alpha/started\":\t5,\n"
	"\t\t\t\t\"crash/signal:SIGSEGV\":\t1\n"
	"\t\t\t},\n"
	"\t\t\t\"Stacks\":\t{\n"
	"\t\t\t\t\"crash/crash\\nmain:+3,+0x1a\\nstart:+0,+0x5\":\t2\n"
	"\t\t\t}\n"
	"\t\t}, {\n"
	"\t\t\t\"Program\":\t\"beta\",\n"
	"\t\t\t\"Version\":\t\"\",\n"
	"\t\t\t\"GoVersion\":\t\"gcc12.2.0\",\n"
	"\t\t\t\"GOOS\":\t\"linux\",\n"
	"\t\t\t\"GOARCH\":\t\"amd64\",\n"
	"\t\t\t\"Counters\":\t{\n"
	"\t\t\t\t\"beta/x\":\t7\n"
	"\t\t\t},\n"
	"\t\t\t\"Stacks\":\t{\n"
	"\t\t\t}\n"
	"\t\t}],\n"
	"\t\"Config\":\t\"\"\n"
	"}";

static const char *WEEK2 =
	"{\n"
	"\t\"Week\":\t\"2026-11-22\",\n"
	"\t\"LastWeek\":\t\"\",\n"
	"\t\"X\":\t%s,\n"
	"\t\"Programs\":\t[{\n"
	"\t\t\t\"Program\":\t\"alpha\",\n"
	"\t\t\t\"Version\":\t\"1.0\",\n"
	"\t\t\t\"GoVersion\":\t\"gcc12.2.0\",\n"
	"\t\t\t\"GOOS\":\t\"linux\",\n"
	"\t\t\t\"GOARCH\":\t\"amd64\",\n"
	"\t\t\t\"Counters\":\t{\n"
	"\t\t\t\t\"alpha/started\":\t4\n"
	"\t\t\t},\n"
	"\t\t\t\"Stacks\":\t{\n"
	"\t\t\t}\n"
	"\t\t}],\n"
	"\t\"Config\":\t\"\"\n"
	"}";

static void expect_report(const char *rel, const char *fmt)
{
	char *got = read_at(rel), *x, *want;

	assert_non_null(got);
	x = x_of(got);
	assert_true(asprintf(&want, fmt, x) > 0);
	assert_text(want, got);
	free(want);
	free(x);
	free(got);
}

static size_t count_files(void)
{
	char *p = tu_path(store, "local");
	struct dirent *de;
	DIR *d = opendir(p);
	size_t n = 0;

	free(p);
	while (d && (de = readdir(d)))
		if (strstr(de->d_name, ".v1.count") &&
		    !strstr(de->d_name, ".corrupt"))
			n++;
	if (d)
		closedir(d);
	return n;
}

static void report_one_file_per_ended_week_with_exact_json(void **state)
{
	struct tm__report_result res;

	(void)state;
	write_weeks();
	assert_int_equal(tm__report_build(store, 0, NULL, NULL, &res), 0);
	assert_int_equal(res.nbuilt, 2);
	assert_int_equal(res.ncandidates, 0);
	assert_int_equal(res.ndeleted, 4);
	expect_report("local/local.2026-11-15.json", WEEK1);
	expect_report("local/local.2026-11-22.json", WEEK2);
	/* The current week's file stays; mode local: no candidate. */
	assert_int_equal(count_files(), 1);
	assert_false(exists_at("local/2026-11-15.json"));
	tm__report_result_free(&res);
}

static void report_run_twice_builds_nothing_new(void **state)
{
	struct tm__report_result res;

	(void)state;
	write_weeks();
	assert_int_equal(tm__report_build(store, 0, NULL, NULL, &res), 0);
	tm__report_result_free(&res);
	assert_int_equal(tm__report_build(store, 0, NULL, NULL, &res), 0);
	assert_int_equal(res.nbuilt, 0);
	tm__report_result_free(&res);
}

static void report_in_mode_off_touches_nothing(void **state)
{
	struct tm__report_result res;
	char *lock;

	(void)state;
	write_weeks();
	setenv("TMWATCH_TELEMETRY", "off", 1);
	assert_int_equal(tm__report_build(store, 0, NULL, NULL, &res),
			 TM_EOFF);
	assert_int_equal(count_files(), 5);
	lock = tu_path(store, "local/report.lock");
	assert_int_not_equal(access(lock, F_OK), 0);
	assert_false(exists_at("local/daily.token"));
	free(lock);
}

static void report_daily_runs_once_a_day(void **state)
{
	struct tm__report_result res;

	(void)state;
	write_weeks();
	assert_int_equal(tm__report_build(store, TM__REPORT_DAILY, NULL, NULL,
					  &res), 0);
	assert_int_equal(res.nbuilt, 2);
	tm__report_result_free(&res);
	setenv("TMWATCH_NOW", "2026-11-29T09:00:00Z", 1);
	/* Six days later the token is due and week 2026-11-29 has ended;
	 * an hour after that run it is not due again. */
	assert_int_equal(tm__report_build(store, TM__REPORT_DAILY, NULL, NULL,
					  &res), 0);
	assert_false(res.not_due);
	assert_int_equal(res.nbuilt, 1);
	tm__report_result_free(&res);
	setenv("TMWATCH_NOW", "2026-11-29T10:00:00Z", 1);
	assert_int_equal(tm__report_build(store, TM__REPORT_DAILY, NULL, NULL,
					  &res), 0);
	assert_true(res.not_due);
	tm__report_result_free(&res);
}

static const char *CONFIG =
	"{\"Version\":\"v7\",\"Endpoint\":\"https://example.org/upload\","
	"\"Programs\":[{\"Name\":\"alpha\",\"Versions\":[\"1.0\"],"
	"\"Counters\":[{\"Name\":\"alpha/{started,stopped}\",\"Rate\":1}],"
	"\"Stacks\":[{\"Name\":\"crash/crash\",\"Rate\":1,\"Depth\":1}]}]}";

static void report_candidate_keeps_only_what_configs_allow(void **state)
{
	struct tm__report_result res;
	struct tm__report r;
	char *got;

	(void)state;
	mk_file(store, "mode", "on 2026-11-01\n");
	mk_file(cfgdir, "alpha.json", CONFIG);
	write_weeks();
	assert_int_equal(tm__report_build(store, 0, NULL, NULL, &res), 0);
	assert_int_equal(res.ncandidates, 2);
	tm__report_result_free(&res);
	got = read_at("local/2026-11-15.json");
	assert_non_null(got);
	assert_int_equal(tm__report_parse(got, strlen(got), &r, NULL, 0), 0);
	assert_int_equal(r.nprograms, 1);
	assert_string_equal(r.programs[0].program, "alpha");
	assert_string_equal(r.config, "v7");
	assert_int_equal(r.programs[0].ncounters, 1);
	assert_string_equal(r.programs[0].counters[0].name, "alpha/started");
	assert_int_equal(r.programs[0].counters[0].count, 5);
	/* Depth 1: the stack is cut to its first frame. */
	assert_int_equal(r.programs[0].nstacks, 1);
	assert_string_equal(r.programs[0].stacks[0].name,
			    "crash/crash\nmain:+3,+0x1a");
	assert_null(strstr(got, "beta"));
	assert_null(strstr(got, "SIGSEGV"));
	tm__report_free(&r);
	free(got);
}

static void report_candidate_only_has_data_begun_after_mode_date(void **s)
{
	struct tm__report_result res;

	(void)s;
	mk_file(store, "mode", "on 2026-11-10\n");
	mk_file(cfgdir, "alpha.json", CONFIG);
	write_weeks();
	assert_int_equal(tm__report_build(store, 0, NULL, NULL, &res), 0);
	/* Week 11-15's files begun 11-08 and 11-10: neither is after the
	 * day uploading was turned on. Week 11-22's file (11-15) is. */
	assert_false(exists_at("local/2026-11-15.json"));
	assert_true(exists_at("local/2026-11-22.json"));
	assert_true(exists_at("local/local.2026-11-15.json"));
	tm__report_result_free(&res);
}

static void report_older_than_21_days_is_never_a_candidate(void **state)
{
	struct tm__report_result res;

	(void)state;
	mk_file(store, "mode", "on 2026-10-01\n");
	mk_file(cfgdir, "alpha.json", CONFIG);
	write_weeks();
	setenv("TMWATCH_NOW", "2026-12-10T00:00:00Z", 1);
	assert_int_equal(tm__report_build(store, 0, NULL, NULL, &res), 0);
	assert_false(exists_at("local/2026-11-15.json"));
	assert_true(exists_at("local/2026-11-22.json"));
	assert_true(exists_at("local/local.2026-11-15.json"));
	tm__report_result_free(&res);
}

static void report_corrupt_file_does_not_block_other_weeks(void **state)
{
	struct tm__report_result res;
	char *local = tu_path(store, "local");

	(void)state;
	write_weeks();
	mk_file(local, "gamma-gcc12.2.0-linux-amd64-2026-11-01.v1.count",
		"# telemetry/counter file v1\ngarbage");
	assert_int_equal(tm__report_build(store, 0, NULL, NULL, &res), 0);
	assert_int_equal(res.nbuilt, 2);
	assert_int_equal(res.ncorrupt, 1);
	assert_true(exists_at("local/gamma-gcc12.2.0-linux-amd64-2026-11-01"
			      ".v1.count.corrupt"));
	tm__report_result_free(&res);
	free(local);
}

static void report_reuses_the_candidate_x_after_a_crash(void **state)
{
	struct tm__report_result res;
	char *cand, *local, *x1, *x2;

	(void)state;
	mk_file(store, "mode", "on 2026-11-01\n");
	mk_file(cfgdir, "alpha.json", CONFIG);
	write_weeks();
	assert_int_equal(tm__report_build(store, 0, NULL, NULL, &res), 0);
	tm__report_result_free(&res);
	/* Simulate a crash before the local report: remove it and put a
	 * counter file back. The rebuilt report must keep the X. */
	local = tu_path(store, "local/local.2026-11-15.json");
	unlink(local);
	{
		struct mk_counter c[] = { { "alpha/started", 1 } };

		mk_count(store, "alpha", "1.0", "2026-11-09", "2026-11-15",
			 c, 1);
	}
	assert_int_equal(tm__report_build(store, 0, NULL, NULL, &res), 0);
	tm__report_result_free(&res);
	cand = read_at("local/2026-11-15.json");
	free(local);
	local = read_at("local/local.2026-11-15.json");
	x1 = x_of(cand);
	x2 = x_of(local);
	assert_string_equal(x1, x2);
	free(x1);
	free(x2);
	free(cand);
	free(local);
}

static void expect_bad(const char *json, const char *why_part)
{
	struct tm__report r;
	char why[256];

	assert_int_equal(tm__report_parse(json, strlen(json), &r, why,
					  sizeof why), TM_EBADREPORT);
	if (!strstr(why, why_part))
		fail_msg("reason '%s' lacks '%s'", why, why_part);
}

static void report_reader_rejects_malformed_reports(void **state)
{
	(void)state;
	expect_bad("[", "not valid JSON");
	expect_bad("{\"Week\":\"2026-02-30\",\"X\":0,\"Programs\":[]}",
		   "Week");
	expect_bad("{\"Week\":\"2026-11-15\",\"X\":1,\"Programs\":[]}", "X");
	expect_bad("{\"Week\":\"2026-11-15\",\"X\":0,\"Programs\":[],"
		   "\"Extra\":1}", "Extra: unknown field");
	expect_bad("{\"Week\":\"2026-11-15\",\"X\":0,\"Programs\":[{"
		   "\"Program\":\"a\",\"Counters\":{\"c\":-1}}]}",
		   "non-negative integer");
	expect_bad("{\"Week\":\"2026-11-15\",\"X\":0,\"Programs\":[{"
		   "\"Program\":\"a\",\"Counters\":{\"c\\nd\":1}}]}",
		   "one line");
	expect_bad("{\"Week\":\"2026-11-15\",\"X\":0,\"Programs\":[{"
		   "\"Program\":\"a\",\"Stacks\":{\"c\":1}}]}", "newline");
	expect_bad("{\"Week\":\"2026-11-15\",\"X\":0,\"Programs\":[{"
		   "\"Program\":\"a\"},{\"Program\":\"a\"}]}", "same program");
	expect_bad("{\"Week\":\"2026-11-15\",\"X\":0,\"Programs\":[{"
		   "\"Program\":\"/usr/bin/a\"}]}", "file name");
	expect_bad("{\"Week\":\"2026-11-15\",\"X\":0,\"Programs\":[{"
		   "\"Program\":\"a\",\"Counters\":{\"c\":1,\"c\":2}}]}",
		   "twice");
}

/* The writer caps a count at INT64_MAX, which a double rounds to 2^63:
 * the reader takes it as the cap; one past it is still an error. */
static void report_reader_accepts_a_count_at_the_cap(void **state)
{
	static const char cap[] = "{\"Week\":\"2026-11-15\",\"X\":0,"
		"\"Programs\":[{\"Program\":\"a\",\"Counters\":{\"c\":"
		"9223372036854775807}}]}";
	struct tm__report r;
	char why[256] = "";

	(void)state;
	if (tm__report_parse(cap, strlen(cap), &r, why, sizeof why) != 0)
		fail_msg("rejected: %s", why);
	assert_int_equal(r.programs[0].counters[0].count, INT64_MAX);
	tm__report_free(&r);
	expect_bad("{\"Week\":\"2026-11-15\",\"X\":0,\"Programs\":[{"
		   "\"Program\":\"a\",\"Counters\":{\"c\":"
		   "18446744073709551615}}]}", "non-negative integer");
}

static void report_format_round_trips_through_the_reader(void **state)
{
	struct tm__report_result res;
	struct tm__report r;
	char *got, *again;
	size_t len;

	(void)state;
	write_weeks();
	assert_int_equal(tm__report_build(store, 0, NULL, NULL, &res), 0);
	tm__report_result_free(&res);
	got = read_at("local/local.2026-11-15.json");
	assert_int_equal(tm__report_parse(got, strlen(got), &r, NULL, 0), 0);
	assert_int_equal(tm__report_format(&r, &again, &len), 0);
	assert_text(got, again);
	tm__report_free(&r);
	free(again);
	free(got);
}

static void report_filter_applies_rate_sample_rate_and_depth(void **s)
{
	static const char *cfg =
		"{\"Version\":\"v1\",\"Endpoint\":\"https://e.example/u\","
		"\"SampleRate\":0.5,\"Programs\":[{\"Name\":\"p\","
		"\"Counters\":[{\"Name\":\"lo\",\"Rate\":0.1},"
		"{\"Name\":\"hi\",\"Rate\":0.9}],"
		"\"Stacks\":[{\"Name\":\"crash/crash\",\"Depth\":1}]}]}";
	static const char *rep =
		"{\"Week\":\"2026-11-15\",\"X\":0.3,\"Programs\":[{"
		"\"Program\":\"p\",\"Version\":\"9\",\"Counters\":{\"lo\":1,"
		"\"hi\":2,\"other\":3},\"Stacks\":{\"crash/crash\\na\\nb\":1,"
		"\"crash/crash\\na\\nc\":2,\"bug\\nx\":5}}]}";
	struct tm__upload_config c;
	const struct tm__upload_config *cv[1] = { &c };
	struct tm__report in, out;
	char why[256];

	(void)s;
	assert_int_equal(tm__uploadconfig_parse(cfg, strlen(cfg), "t", &c,
						why, sizeof why), 0);
	assert_int_equal(tm__report_parse(rep, strlen(rep), &in, why,
					  sizeof why), 0);
	assert_int_equal(tm__report_filter(&in, cv, 1, &out), 0);
	assert_int_equal(out.nprograms, 1);
	assert_int_equal(out.programs[0].ncounters, 1);
	assert_string_equal(out.programs[0].counters[0].name, "hi");
	assert_int_equal(out.programs[0].nstacks, 1);
	assert_string_equal(out.programs[0].stacks[0].name, "crash/crash\na");
	assert_int_equal(out.programs[0].stacks[0].count, 3);
	tm__report_free(&out);
	/* X over SampleRate: nothing at all. */
	in.x = 0.6;
	assert_int_equal(tm__report_filter(&in, cv, 1, &out), 0);
	assert_int_equal(out.nprograms, 0);
	tm__report_free(&out);
	tm__report_free(&in);
	tm__uploadconfig_free(&c);
}

static void report_random_x_is_in_unit_interval_and_varies(void **state)
{
	double a = tm__report_random_x(), b = tm__report_random_x();

	(void)state;
	assert_true(a >= 0 && a < 1 && b >= 0 && b < 1);
	assert_true(a != b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(report_one_file_per_ended_week_with_exact_json),
		T(report_run_twice_builds_nothing_new),
		T(report_in_mode_off_touches_nothing),
		T(report_daily_runs_once_a_day),
		T(report_candidate_keeps_only_what_configs_allow),
		T(report_candidate_only_has_data_begun_after_mode_date),
		T(report_older_than_21_days_is_never_a_candidate),
		T(report_corrupt_file_does_not_block_other_weeks),
		T(report_reuses_the_candidate_x_after_a_crash),
		T(report_reader_rejects_malformed_reports),
		T(report_reader_accepts_a_count_at_the_cap),
		T(report_format_round_trips_through_the_reader),
		T(report_filter_applies_rate_sample_rate_and_depth),
		T(report_random_x_is_in_unit_interval_and_varies),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
