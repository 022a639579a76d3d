/* SPDX-License-Identifier: MIT */
/* test_cli_telemetry.c -- `tmwatch telemetry …` run as a real process:
 * modes and overrides, count/dump/csv/status/clean, and the exit codes and
 * one-line messages of usage errors and bad stores. Each case has its own
 * fresh TMWATCH_DIR; the clock is fixed with TMWATCH_NOW (a Monday). */
#define _GNU_SOURCE
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "testutil.h"

static char *store;
static const char *tmwatch;
static char *out, *err;

static int setup(void **state)
{
	(void)state;
	store = tu_fresh_store("cli");
	setenv("TMWATCH_NOW", "2026-11-23T09:00:00Z", 1);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	tu_rmrf(store);
	free(store);
	free(out);
	free(err);
	out = err = NULL;
	return 0;
}

/* Runs `tmwatch telemetry` with up to 8 arguments; returns the exit code (a death by
 * signal fails the test). */
static int run(const char *a0, ...)
{
	char *argv[11] = { (char *)tmwatch, "telemetry" };
	va_list ap;
	int i = 2, status;

	argv[i++] = (char *)a0;
	va_start(ap, a0);
	while (a0 && i < 10 && (argv[i] = va_arg(ap, char *)))
		i++;
	va_end(ap);
	argv[i] = NULL;
	free(out);
	free(err);
	status = tu_run(argv, NULL, &out, &err, 30000);
	if (!WIFEXITED(status))
		fail_msg("tmwatch %s: %s\nstderr: %s", a0,
			 tu_describe_status(status), err);
	return WEXITSTATUS(status);
}

static int lines(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

static int local_entries(void)
{
	char *local = tu_path(store, "local");
	DIR *d = opendir(local);
	struct dirent *e;
	int n = 0;

	free(local);
	if (!d)
		return -1;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

static void mode_is_local_without_a_mode_file(void **state)
{
	(void)state;
	assert_int_equal(run(NULL), 0);
	assert_string_equal(out, "local\n");
	assert_int_equal(local_entries(), -1);
}

static void setting_on_records_the_date_and_explains(void **state)
{
	char *mode = tu_path(store, "mode"), *text;

	(void)state;
	assert_int_equal(run("on", NULL), 0);
	text = tu_read_file(mode, NULL);
	assert_string_equal(text, "on 2026-11-23\n");
	assert_non_null(strstr(out, "never paths, arguments"));
	assert_non_null(strstr(out, "tmwatch telemetry local"));
	assert_int_equal(run(NULL), 0);
	assert_string_equal(out, "on\n");
	free(text);
	free(mode);
}

static void override_lowers_the_recorded_mode(void **state)
{
	(void)state;
	assert_int_equal(run("on", NULL), 0);
	setenv("TMWATCH_TELEMETRY", "off", 1);
	assert_int_equal(run(NULL), 0);
	assert_string_equal(out, "off\n");
	assert_int_equal(run("status", NULL), 0);
	assert_non_null(strstr(out, "mode: off (set by TMWATCH_TELEMETRY"));
	unsetenv("TMWATCH_TELEMETRY");
	setenv("DO_NOT_TRACK", "1", 1);
	assert_int_equal(run(NULL), 0);
	assert_string_equal(out, "local\n");
	unsetenv("DO_NOT_TRACK");
}

static void override_cannot_raise_to_on(void **state)
{
	(void)state;
	setenv("TMWATCH_TELEMETRY", "on", 1);
	assert_int_equal(run(NULL), 0);
	unsetenv("TMWATCH_TELEMETRY");
	assert_string_equal(out, "local\n");
}

static void count_in_mode_off_creates_nothing(void **state)
{
	(void)state;
	assert_int_equal(run("off", NULL), 0);
	assert_int_equal(run("count", "--program", "p", "x/y", NULL), 0);
	assert_int_equal(local_entries(), -1);
}

static void count_then_dump_shows_the_value(void **state)
{
	(void)state;
	assert_int_equal(run("count", "--program", "demo", "--version", "1.2",
			     "demo/step", NULL), 0);
	assert_int_equal(run("count", "--program", "demo", "--version", "1.2",
			     "demo/step", "41", NULL), 0);
	assert_int_equal(run("dump", NULL), 0);
	assert_non_null(strstr(out, "demo@1.2-unknown-linux-amd64-2026-11-23"
				    ".v1.count\n"));
	assert_non_null(strstr(out, "# Program: demo\n"));
	assert_non_null(strstr(out, "\n42\tdemo/step\n"));
}

static void dump_json_is_valid_json_with_counts(void **state)
{
	cJSON *j, *file, *count;

	(void)state;
	assert_int_equal(run("count", "--program", "demo", "a", "3", NULL), 0);
	assert_int_equal(run("dump", "--json", NULL), 0);
	j = cJSON_Parse(out);
	assert_non_null(j);
	assert_int_equal(cJSON_GetArraySize(j), 1);
	file = cJSON_GetArrayItem(j, 0);
	count = cJSON_GetObjectItem(cJSON_GetObjectItem(file, "Count"), "a");
	assert_non_null(count);
	assert_int_equal((int)count->valuedouble, 3);
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(file,
		"Meta"), "Program")->valuestring, "demo");
	cJSON_Delete(j);
}

static void csv_quotes_every_field(void **state)
{
	(void)state;
	assert_int_equal(run("count", "--program", "demo", "--version", "1",
			     "say \"hi\"", NULL), 0);
	static const char head[] =
		"program,version,toolchain,goos,goarch,begin,end,counter,"
		"value\n\"demo\",\"1\",\"unknown\",\"linux\",\"amd64\","
		"\"2026-11-23T00:00:00Z\",\"";

	assert_int_equal(run("csv", NULL), 0);
	assert_memory_equal(out, head, strlen(head));
	assert_non_null(strstr(out, ",\"say \"\"hi\"\"\",1\n"));
}

static void count_names_the_calling_script(void **state)
{
	char *script = tu_path(store, "nightly-job.sh"), *body;
	char *argv[] = { "sh", script, NULL };
	int status;

	(void)state;
	/* No exec: the script's shell must stay our parent. */
	assert_true(asprintf(&body, "'%s' telemetry count job/run\n",
			     tmwatch) > 0);
	assert_int_equal(tu_write_file(script, body, strlen(body)), 0);
	status = tu_run(argv, NULL, NULL, &err, 30000);
	assert_int_equal(status, 0);
	assert_int_equal(run("dump", NULL), 0);
	assert_non_null(strstr(out, "/nightly-job.sh@devel-unknown-linux-"));
	free(body);
	free(script);
}

static void dump_skips_a_corrupt_file_and_says_which(void **state)
{
	char *local = tu_path(store, "local");
	char *bad = tu_path(local, "bad-gcc-linux-amd64-2026-11-23.v1.count");

	(void)state;
	assert_int_equal(run("count", "--program", "good", "ok", NULL), 0);
	assert_int_equal(tu_write_file(bad, "# telemetry/counter file v1\n",
				       28), 0);
	assert_int_equal(run("dump", NULL), 1);
	assert_non_null(strstr(out, "1\tok\n"));
	assert_non_null(strstr(err, "tmwatch: skipping corrupt counter file"));
	assert_non_null(strstr(err, bad));
	assert_int_equal(lines(err), 1);
	free(bad);
	free(local);
}

static void unreadable_store_gives_one_line_naming_the_path(void **state)
{
	char *local = tu_path(store, "local");

	(void)state;
	/* A file where the local directory should be. */
	assert_int_equal(tu_write_file(local, "x", 1), 0);
	assert_int_equal(run("dump", NULL), 1);
	assert_non_null(strstr(err, "tmwatch: cannot read counter store '"));
	assert_non_null(strstr(err, local));
	assert_int_equal(lines(err), 1);
	assert_int_equal(run("count", "--program", "p", "n", NULL), 1);
	assert_non_null(strstr(err, "tmwatch: cannot count 'n' in store"));
	assert_int_equal(lines(err), 1);
	free(local);
}

static void usage_errors_exit_2_with_a_reason_and_a_pointer(void **state)
{
	(void)state;
	assert_int_equal(run("bogus", NULL), 2);
	assert_string_equal(err, "tmwatch: unknown command 'bogus'\n"
			    "run 'tmwatch telemetry --help' for usage\n");
	assert_int_equal(run("count", NULL), 2);
	assert_non_null(strstr(err, "count needs a counter NAME"));
	assert_int_equal(run("count", "x", "-3", NULL), 2);
	assert_non_null(strstr(err, "count '-3' is not a positive integer"));
	assert_int_equal(run("count", "x", "12abc", NULL), 2);
	assert_int_equal(run("count", "--program", NULL), 2);
	assert_int_equal(run("dump", "--yaml", NULL), 2);
	assert_int_equal(run("on", "now", NULL), 2);
	assert_int_equal(local_entries(), -1);
}

static void help_works_for_every_command(void **state)
{
	static const char *const cmds[] = { "on", "local", "off", "status",
		"env", "dump", "csv", "clean", "upload", "count" };

	(void)state;
	assert_int_equal(run("--help", NULL), 0);
	assert_non_null(strstr(out, "usage: tmwatch telemetry"));
	for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
		assert_int_equal(run(cmds[i], "--help", NULL), 0);
		assert_non_null(strstr(out, "usage: tmwatch telemetry"));
	}
	/* --help changed nothing. */
	assert_int_equal(local_entries(), -1);
	assert_int_equal(run(NULL), 0);
	assert_string_equal(out, "local\n");
}

static void garbage_mode_file_counts_as_local_with_a_warning(void **state)
{
	char *mode = tu_path(store, "mode");

	(void)state;
	assert_int_equal(tu_write_file(mode, "maybe\n", 6), 0);
	assert_int_equal(run(NULL), 0);
	assert_string_equal(out, "local\n");
	assert_non_null(strstr(err, "tmwatch: ignoring mode file '"));
	free(mode);
}

static void status_shows_files_and_crashes_this_week(void **state)
{
	(void)state;
	assert_int_equal(run("count", "--program", "p", "a", NULL), 0);
	assert_int_equal(run("count", "--program", "p",
			     "crash/crash\nmain:+1,+0x10", "2", NULL), 0);
	assert_int_equal(run("status", NULL), 0);
	assert_non_null(strstr(out, "mode: local\n"));
	assert_non_null(strstr(out, "counter files: 1 (16 KiB)\n"));
	assert_non_null(strstr(out, "crashes this week: 2\n"));
}

static void clean_removes_counter_files_but_keeps_the_mode(void **state)
{
	char *mode = tu_path(store, "mode");
	struct stat st;

	(void)state;
	assert_int_equal(run("local", NULL), 0);
	assert_int_equal(run("count", "--program", "p", "a", NULL), 0);
	assert_int_equal(run("clean", NULL), 0);
	assert_non_null(strstr(out, "removed 1 file from"));
	assert_int_equal(run("dump", NULL), 0);
	assert_string_equal(out, "");
	assert_int_equal(stat(mode, &st), 0);
	free(mode);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(mode_is_local_without_a_mode_file),
		T(setting_on_records_the_date_and_explains),
		T(override_lowers_the_recorded_mode),
		T(override_cannot_raise_to_on),
		T(count_in_mode_off_creates_nothing),
		T(count_then_dump_shows_the_value),
		T(dump_json_is_valid_json_with_counts),
		T(csv_quotes_every_field),
		T(count_names_the_calling_script),
		T(dump_skips_a_corrupt_file_and_says_which),
		T(unreadable_store_gives_one_line_naming_the_path),
		T(usage_errors_exit_2_with_a_reason_and_a_pointer),
		T(help_works_for_every_command),
		T(garbage_mode_file_counts_as_local_with_a_warning),
		T(status_shows_files_and_crashes_this_week),
		T(clean_removes_counter_files_but_keeps_the_mode),
#undef T
	};

	tmwatch = getenv("TMWATCH_BIN");
	if (!tmwatch) {
		fprintf(stderr, "test_cli_telemetry: set TMWATCH_BIN\n");
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
