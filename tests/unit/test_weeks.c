/* SPDX-License-Identifier: MIT */
/* test_weeks.c -- the weekends file (creation, races, repair) and the span
 * of a counter file, against a table of end dates written by hand. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "clock.h"
#include "testutil.h"
#include "tmwatch/common.h"
#include "weeks.h"

/* End dates for a file begun on each day of the week of 2026-11-23
 * (Monday) at 13:45:07 UTC, for weekends digits 0 (Sunday) to 6. Counted
 * on a calendar: the first such weekday strictly after the begin date. */
static const struct {
	const char *begin;
	const char *end[7];
} span_table[] = {
	{ "2026-11-23", { "2026-11-29", "2026-11-30", "2026-11-24",
			  "2026-11-25", "2026-11-26", "2026-11-27",
			  "2026-11-28" } },	/* Monday */
	{ "2026-11-24", { "2026-11-29", "2026-11-30", "2026-12-01",
			  "2026-11-25", "2026-11-26", "2026-11-27",
			  "2026-11-28" } },	/* Tuesday */
	{ "2026-11-25", { "2026-11-29", "2026-11-30", "2026-12-01",
			  "2026-12-02", "2026-11-26", "2026-11-27",
			  "2026-11-28" } },	/* Wednesday */
	{ "2026-11-26", { "2026-11-29", "2026-11-30", "2026-12-01",
			  "2026-12-02", "2026-12-03", "2026-11-27",
			  "2026-11-28" } },	/* Thursday */
	{ "2026-11-27", { "2026-11-29", "2026-11-30", "2026-12-01",
			  "2026-12-02", "2026-12-03", "2026-12-04",
			  "2026-11-28" } },	/* Friday */
	{ "2026-11-28", { "2026-11-29", "2026-11-30", "2026-12-01",
			  "2026-12-02", "2026-12-03", "2026-12-04",
			  "2026-12-05" } },	/* Saturday */
	{ "2026-11-29", { "2026-12-06", "2026-11-30", "2026-12-01",
			  "2026-12-02", "2026-12-03", "2026-12-04",
			  "2026-12-05" } },	/* Sunday */
	{ "2026-12-31", { "2027-01-03", "2027-01-04", "2027-01-05",
			  "2027-01-06", "2027-01-07", "2027-01-01",
			  "2027-01-02" } },	/* Thursday, across the year */
};

static void span_ends_on_the_next_weekend_day(void **state)
{
	for (size_t i = 0; i < sizeof span_table / sizeof span_table[0];
	     i++) {
		char when[32];
		time_t now, begin, end;

		snprintf(when, sizeof when, "%sT13:45:07Z",
			 span_table[i].begin);
		assert_int_equal(tm__clock_parse(when, &now), 0);
		for (int wd = 0; wd < 7; wd++) {
			char b[11], e[11];

			tm__weeks_span(now, wd, &begin, &end);
			tm__clock_date(begin, b);
			tm__clock_date(end, e);
			if (strcmp(b, span_table[i].begin) != 0 ||
			    strcmp(e, span_table[i].end[wd]) != 0)
				fail_msg("begun %s, weekday %d: got %s..%s, "
					 "want %s..%s", when, wd, b, e,
					 span_table[i].begin,
					 span_table[i].end[wd]);
			assert_int_equal(begin % 86400, 0);
			assert_int_equal(end % 86400, 0);
			assert_true(end - begin >= 86400 &&
				    end - begin <= 7 * 86400);
		}
	}
}

static void span_begins_at_midnight_even_at_midnight(void **state)
{
	time_t now, begin, end;
	char e[11];

	assert_int_equal(tm__clock_parse("2026-11-23", &now), 0);
	tm__weeks_span(now, 1, &begin, &end);	/* Monday itself */
	assert_int_equal((long long)begin, (long long)now);
	tm__clock_date(end, e);
	assert_string_equal(e, "2026-11-30");
	tm__weeks_span(now + 86399, 1, &begin, &end);
	assert_int_equal((long long)begin, (long long)now);
}

struct dirs {
	char *store;
	char *local;
	char *weekends;
};

static int fresh_store(void **state)
{
	struct dirs *d = calloc(1, sizeof *d);

	d->store = tu_fresh_store("weeks");
	d->local = tu_path(d->store, "local");
	d->weekends = tu_path(d->local, "weekends");
	assert_int_equal(mkdir(d->local, 0755), 0);
	*state = d;
	return 0;
}

static int remove_store(void **state)
{
	struct dirs *d = *state;

	tu_rmrf(d->store);
	free(d->store);
	free(d->local);
	free(d->weekends);
	free(d);
	return 0;
}

/* Checks that DIR holds only "weekends", valid, with digit WANT. */
static void expect_only_weekends(const struct dirs *d, int want)
{
	DIR *dir = opendir(d->local);
	struct dirent *e;
	char *text, expect[3];

	assert_non_null(dir);
	while ((e = readdir(dir)) != NULL)
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			assert_string_equal(e->d_name, "weekends");
	closedir(dir);
	text = tu_read_file(d->weekends, NULL);
	assert_non_null(text);
	snprintf(expect, sizeof expect, "%d\n", want);
	assert_string_equal(text, expect);
	free(text);
}

static void weekday_creates_a_missing_file_once(void **state)
{
	struct dirs *d = *state;
	int wd = -1, again = -1;

	assert_int_equal(tm__weeks_weekday(d->local, &wd), 0);
	assert_in_range(wd, 0, 6);
	expect_only_weekends(d, wd);
	assert_int_equal(tm__weeks_weekday(d->local, &again), 0);
	assert_int_equal(again, wd);
}

static void weekday_reads_an_existing_file(void **state)
{
	struct dirs *d = *state;
	int wd = -1;

	assert_int_equal(tu_write_file(d->weekends, "4\n", 2), 0);
	assert_int_equal(tm__weeks_weekday(d->local, &wd), 0);
	assert_int_equal(wd, 4);
	assert_int_equal(tu_write_file(d->weekends, "0", 1), 0);
	assert_int_equal(tm__weeks_weekday(d->local, &wd), 0);
	assert_int_equal(wd, 0);
}

static void weekday_never_creates_the_local_directory(void **state)
{
	struct dirs *d = *state;
	struct stat st;
	int wd = -1;

	assert_int_equal(rmdir(d->local), 0);
	assert_int_equal(tm__weeks_weekday(d->local, &wd), -ENOENT);
	assert_int_equal(stat(d->local, &st), -1);
	assert_int_equal(errno, ENOENT);
}

static void weekday_replaces_a_corrupt_file(void **state)
{
	static const char *bad[] = { "7\n", "9", "", "a\n", "3\n\n",
				     " 3\n", "33\n", "-1\n",
				     "0123456789abcdef" };
	struct dirs *d = *state;

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		int wd = -1;

		assert_int_equal(tu_write_file(d->weekends, bad[i],
					       strlen(bad[i])), 0);
		assert_int_equal(tm__weeks_weekday(d->local, &wd), 0);
		assert_in_range(wd, 0, 6);
		expect_only_weekends(d, wd);
	}
}

static void weekday_creation_picks_every_day_eventually(void **state)
{
	struct dirs *d = *state;
	int seen = 0;

	/* 7 * (6/7)^300 < 1e-19: missing a day means it is not random. */
	for (int i = 0; i < 300 && seen != 0x7f; i++) {
		int wd = -1;

		unlink(d->weekends);
		assert_int_equal(tm__weeks_weekday(d->local, &wd), 0);
		assert_in_range(wd, 0, 6);
		seen |= 1 << wd;
	}
	assert_int_equal(seen, 0x7f);
}

#define RACERS 16

static void weekday_first_creation_race_agrees_on_one_digit(void **state)
{
	struct dirs *d = *state;
	int gate[2], results[2];
	pid_t pids[RACERS];
	char digits[RACERS];
	size_t got = 0;

	assert_int_equal(pipe(gate), 0);
	assert_int_equal(pipe(results), 0);
	for (int i = 0; i < RACERS; i++) {
		pids[i] = fork();
		assert_true(pids[i] >= 0);
		if (pids[i] == 0) {
			char c;
			int wd = -1;

			close(gate[1]);
			close(results[0]);
			/* Everyone starts when the parent closes the gate. */
			if (read(gate[0], &c, 1) != 0)
				_exit(2);
			if (tm__weeks_weekday(d->local, &wd) != 0)
				_exit(3);
			c = (char)('0' + wd);
			_exit(write(results[1], &c, 1) == 1 ? 0 : 4);
		}
	}
	close(gate[0]);
	close(results[1]);
	close(gate[1]);
	while (got < RACERS) {
		struct pollfd p = { .fd = results[0], .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, 10000) != 1)
			fail_msg("only %zu of %d racers answered", got,
				 RACERS);
		n = read(results[0], digits + got, RACERS - got);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(results[0]);
	for (int i = 0; i < RACERS; i++) {
		int status;

		assert_int_equal(tu_wait(pids[i], &status, 10000), 0);
		assert_string_equal(tu_describe_status(status), "exit 0");
	}
	assert_int_equal(got, RACERS);
	for (int i = 1; i < RACERS; i++)
		assert_int_equal(digits[i], digits[0]);
	expect_only_weekends(d, digits[0] - '0');
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(span_ends_on_the_next_weekend_day),
		cmocka_unit_test(span_begins_at_midnight_even_at_midnight),
#define T(f) cmocka_unit_test_setup_teardown(f, fresh_store, remove_store)
		T(weekday_creates_a_missing_file_once),
		T(weekday_reads_an_existing_file),
		T(weekday_never_creates_the_local_directory),
		T(weekday_replaces_a_corrupt_file),
		T(weekday_creation_picks_every_day_eventually),
		T(weekday_first_creation_race_agrees_on_one_digit),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
