/* SPDX-License-Identifier: MIT */
/* test_store.c -- the process-wide counter store behind counter.h.
 *
 * The store is per-process state, so every case runs its counting in a
 * forked child with its own fresh TMWATCH_DIR and a fixed clock
 * (TMWATCH_NOW), then checks the files on disk with the validating reader.
 * 2026-11-23 is a Monday (weekday 1).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "counterfile.h"
#include "counterparse.h"
#include "report.h"
#include "store.h"
#include "testutil.h"
#include "tmwatch/counter.h"

static char *store;

static int setup(void **state)
{
	(void)state;
	store = tu_fresh_store("store");
	setenv("TMWATCH_NOW", "2026-11-23T10:00:00Z", 1);
	unsetenv("TMWATCH_QUIET");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	tu_rmrf(store);
	free(store);
	return 0;
}

static void write_weekends(const char *digit)
{
	char *local = tu_path(store, "local"), *w = tu_path(local, "weekends");

	mkdir(local, 0777);
	assert_int_equal(tu_write_file(w, digit, strlen(digit)), 0);
	free(w);
	free(local);
}

/* Runs FN in a child with stderr captured; returns the wait status. */
static int in_child(void (*fn)(void), char **err)
{
	int p[2], status;
	pid_t pid;

	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(p[1], 2);
		close(p[0]);
		fn();
		_exit(0);
	}
	close(p[1]);
	char buf[8192];
	size_t len = 0;
	ssize_t n;
	while ((n = read(p[0], buf + len, sizeof buf - 1 - len)) > 0)
		len += (size_t)n;
	buf[len] = 0;
	close(p[0]);
	assert_int_equal(tu_wait(pid, &status, 30000), 0);
	if (err)
		*err = strdup(buf);
	return status;
}

/* Returns the sorted names of the .count files in the store. */
static int count_files(char names[][256], int max)
{
	char *local = tu_path(store, "local");
	DIR *d = opendir(local);
	struct dirent *e;
	int n = 0;

	free(local);
	if (!d)
		return 0;
	while ((e = readdir(d)) && n < max)
		if (strstr(e->d_name, ".v1.count"))
			snprintf(names[n++], 256, "%s", e->d_name);
	closedir(d);
	qsort(names, (size_t)n, 256,
	      (int (*)(const void *, const void *))strcmp);
	return n;
}

static uint64_t value_in(const char *file, const char *name)
{
	char *local = tu_path(store, "local"), *path = tu_path(local, file);
	struct tm__parsed_file pf;
	char why[128];
	uint64_t v = 0;

	assert_int_equal(tm__counterparse_path(path, &pf, why, sizeof why), 0);
	for (size_t i = 0; i < pf.ncounters; i++)
		if (strcmp(pf.counters[i].name, name) == 0)
			v = pf.counters[i].value;
	tm__counterparse_free(&pf);
	free(path);
	free(local);
	return v;
}

static const char *meta_in(const char *file, const char *key)
{
	static char value[256];
	char *local = tu_path(store, "local"), *path = tu_path(local, file);
	struct tm__parsed_file pf;
	char why[128];

	assert_int_equal(tm__counterparse_path(path, &pf, why, sizeof why), 0);
	snprintf(value, sizeof value, "%s",
		 tm__parsed_meta(&pf, key) ? tm__parsed_meta(&pf, key) : "");
	tm__counterparse_free(&pf);
	free(path);
	free(local);
	return value;
}

static struct tm_counter hits = TM_COUNTER_INIT("test/hits");

static void count_some(void)
{
	for (int i = 0; i < 3; i++)
		tm_counter_inc("test/inc");
	tm_counter_add("test/add", 5);
	for (int i = 0; i < 10; i++)
		tm_counter_handle_inc(&hits);
}

static void counts_land_in_the_program_file_of_this_week(void **state)
{
	char files[4][256], expect[256];
	const struct tm__identity *id;

	(void)state;
	write_weekends("3\n");
	assert_int_equal(in_child(count_some, NULL), 0);
	assert_int_equal(count_files(files, 4), 1);
	id = tm__store_self_identity();
	snprintf(expect, sizeof expect,
		 "test_store@%s-%s-linux-amd64-2026-11-23.v1.count",
		 id->version, id->toolchain);
	assert_string_equal(files[0], expect);
	assert_int_equal(value_in(files[0], "test/inc"), 3);
	assert_int_equal(value_in(files[0], "test/add"), 5);
	assert_int_equal(value_in(files[0], "test/hits"), 10);
	assert_string_equal(meta_in(files[0], "Program"), "test_store");
	assert_string_equal(meta_in(files[0], "TimeBegin"),
			    "2026-11-23T00:00:00Z");
	/* Weekday 3 (Wednesday) is two days after Monday the 23rd. */
	assert_string_equal(meta_in(files[0], "TimeEnd"),
			    "2026-11-25T00:00:00Z");
	assert_string_equal(meta_in(files[0], "GOOS"), "linux");
}

static void second_process_adds_to_the_same_counters(void **state)
{
	char files[4][256];

	(void)state;
	assert_int_equal(in_child(count_some, NULL), 0);
	assert_int_equal(in_child(count_some, NULL), 0);
	assert_int_equal(count_files(files, 4), 1);
	assert_int_equal(value_in(files[0], "test/inc"), 6);
	assert_int_equal(value_in(files[0], "test/hits"), 20);
}

static void mode_off_by_override_creates_nothing(void **state)
{
	struct stat st;
	char *local = tu_path(store, "local");

	(void)state;
	setenv("TMWATCH_TELEMETRY", "off", 1);
	assert_int_equal(in_child(count_some, NULL), 0);
	unsetenv("TMWATCH_TELEMETRY");
	assert_int_equal(stat(local, &st), -1);
	free(local);
}

static void mode_off_in_mode_file_creates_nothing(void **state)
{
	char *mode = tu_path(store, "mode"), *local = tu_path(store, "local");
	struct stat st;

	(void)state;
	assert_int_equal(tu_write_file(mode, "off 2026-11-01\n", 15), 0);
	assert_int_equal(in_child(count_some, NULL), 0);
	assert_int_equal(stat(local, &st), -1);
	free(mode);
	free(local);
}

static void disable_variable_creates_nothing(void **state)
{
	char *local = tu_path(store, "local");
	struct stat st;

	(void)state;
	setenv("TMWATCH_DISABLE", "1", 1);
	assert_int_equal(in_child(count_some, NULL), 0);
	unsetenv("TMWATCH_DISABLE");
	assert_int_equal(stat(local, &st), -1);
	free(local);
}

static struct tm_counter week_handle = TM_COUNTER_INIT("test/week");

static int to_child[2], from_child[2];

static void count_across_week_end(void)
{
	tm_counter_handle_inc(&week_handle);
	tm_counter_inc("test/named");
	/* The week (weekday 3) ends on Wednesday the 25th at midnight: the
	 * next named increment reads the clock and moves to the new file,
	 * and handles follow. */
	setenv("TMWATCH_NOW", "2026-11-25T00:00:01Z", 1);
	tm_counter_inc("test/named");
	tm_counter_handle_inc(&week_handle);
	tm_counter_handle_inc(&week_handle);
}

static void long_running_process_moves_to_next_week_file(void **state)
{
	char files[4][256];

	(void)state;
	write_weekends("3\n");
	assert_int_equal(in_child(count_across_week_end, NULL), 0);
	assert_int_equal(count_files(files, 4), 2);
	assert_non_null(strstr(files[0], "-2026-11-23.v1.count"));
	assert_non_null(strstr(files[1], "-2026-11-25.v1.count"));
	assert_int_equal(value_in(files[0], "test/week"), 1);
	assert_int_equal(value_in(files[0], "test/named"), 1);
	assert_int_equal(value_in(files[1], "test/week"), 2);
	assert_int_equal(value_in(files[1], "test/named"), 1);
	assert_string_equal(meta_in(files[1], "TimeEnd"),
			    "2026-12-02T00:00:00Z");
}

/* Counts through a handle, lets the parent close the file as a report
 * would, then counts again through the same handle. */
static void count_around_a_report(void)
{
	char c;

	tm_counter_handle_inc(&week_handle);
	if (write(from_child[1], "1", 1) != 1 ||
	    read(to_child[0], &c, 1) != 1)
		_exit(3);
	tm_counter_handle_inc(&week_handle);
	tm_counter_handle_inc(&week_handle);
}

static void handles_leave_a_file_closed_by_a_report(void **state)
{
	char files[4][256], c, *local, *path;
	pid_t pid;
	int status;

	(void)state;
	write_weekends("3\n");
	assert_int_equal(pipe(to_child), 0);
	assert_int_equal(pipe(from_child), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		count_around_a_report();
		_exit(0);
	}
	assert_int_equal(read(from_child[0], &c, 1), 1);
	assert_int_equal(count_files(files, 4), 1);
	local = tu_path(store, "local");
	path = tu_path(local, files[0]);
	assert_int_equal(tm__counterfile_mark_closed(path), 1);
	assert_int_equal(tm__counterfile_mark_closed(path), 0);
	assert_int_equal(write(to_child[1], "g", 1), 1);
	assert_int_equal(tu_wait(pid, &status, 30000), 0);
	assert_int_equal(status, 0);
	/* The clock still says Monday; the closed file's week ended on
	 * Wednesday, so the counts moved to the file beginning then. */
	assert_int_equal(count_files(files, 4), 2);
	assert_int_equal(value_in(files[0], "test/week"), 1);
	assert_non_null(strstr(files[1], "-2026-11-25.v1.count"));
	assert_int_equal(value_in(files[1], "test/week"), 2);
	for (int i = 0; i < 2; i++) {
		close(to_child[i]);
		close(from_child[i]);
	}
	free(path);
	free(local);
}

static void report_closes_the_file_a_running_process_counts_into(
	void **state)
{
	struct tm__report_result res;
	char files[4][256], c, *report, *text;
	pid_t pid;
	int status;

	(void)state;
	write_weekends("3\n");
	assert_int_equal(pipe(to_child), 0);
	assert_int_equal(pipe(from_child), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		count_around_a_report();
		_exit(0);
	}
	assert_int_equal(read(from_child[0], &c, 1), 1);
	/* Friday: the week that ended on Wednesday is reported and its
	 * file deleted while the child still has it mapped. */
	setenv("TMWATCH_NOW", "2026-11-27T08:00:00Z", 1);
	assert_int_equal(tm__report_build(store, 0, NULL, NULL, &res), 0);
	assert_int_equal(res.nbuilt, 1);
	tm__report_result_free(&res);
	assert_int_equal(count_files(files, 4), 0);
	assert_int_equal(write(to_child[1], "g", 1), 1);
	assert_int_equal(tu_wait(pid, &status, 30000), 0);
	assert_int_equal(status, 0);
	report = tu_path(store, "local/local.2026-11-25.json");
	text = tu_read_file(report, NULL);
	assert_non_null(text);
	if (!strstr(text, "\"test/week\":\t1\n"))
		fail_msg("report:\n%s", text);
	/* The later increments went to the next week's file, not into the
	 * deleted one. */
	assert_int_equal(count_files(files, 4), 1);
	assert_non_null(strstr(files[0], "-2026-11-25.v1.count"));
	assert_int_equal(value_in(files[0], "test/week"), 2);
	for (int i = 0; i < 2; i++) {
		close(to_child[i]);
		close(from_child[i]);
	}
	free(text);
	free(report);
}

static void count_many_times(void)
{
	for (int i = 0; i < 100; i++) {
		tm_counter_inc("test/x");
		tm_counter_handle_inc(&hits);
	}
}

static void unusable_store_warns_once_and_program_goes_on(void **state)
{
	char *err = NULL, *file = tu_path(store, "not-a-dir");
	int status;

	(void)state;
	/* A file where the store directory should be. */
	assert_int_equal(tu_write_file(file, "x", 1), 0);
	setenv("TMWATCH_DIR", file, 1);
	status = in_child(count_many_times, &err);
	setenv("TMWATCH_DIR", store, 1);
	assert_int_equal(status, 0);
	assert_non_null(strstr(err, "tmwatch: cannot use the counter store"));
	assert_non_null(strstr(err, file));
	/* Exactly one line. */
	assert_non_null(strchr(err, '\n'));
	assert_null(strchr(strchr(err, '\n') + 1, '\n'));
	free(err);
	free(file);
}

static char *ro_dir;

/* In a private mount namespace, makes the store read-only, then counts. */
static void count_on_read_only_store(void)
{
	if (unshare(CLONE_NEWNS) != 0 ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0 ||
	    mount(ro_dir, ro_dir, NULL, MS_BIND, NULL) != 0 ||
	    mount(NULL, ro_dir, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY,
		  NULL) != 0)
		_exit(77);
	count_many_times();
}

static void read_only_store_warns_once_and_program_goes_on(void **state)
{
	char *err = NULL;
	int status;

	(void)state;
	ro_dir = store;
	status = in_child(count_on_read_only_store, &err);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 77)
		skip(); /* no mount namespaces here */
	assert_int_equal(status, 0);
	assert_non_null(strstr(err, "tmwatch: cannot use the counter store"));
	assert_non_null(strstr(err, "read-only file system"));
	assert_null(strchr(strchr(err, '\n') + 1, '\n'));
	free(err);
}

static void quiet_silences_the_warning(void **state)
{
	char *err = NULL, *file = tu_path(store, "not-a-dir");

	(void)state;
	assert_int_equal(tu_write_file(file, "x", 1), 0);
	setenv("TMWATCH_DIR", file, 1);
	setenv("TMWATCH_QUIET", "1", 1);
	assert_int_equal(in_child(count_many_times, &err), 0);
	unsetenv("TMWATCH_QUIET");
	setenv("TMWATCH_DIR", store, 1);
	assert_string_equal(err, "");
	free(err);
	free(file);
}

static void count_bad_names(void)
{
	static char big[TM_COUNTER_NAME_MAX + 2];

	memset(big, 'n', sizeof big - 1);
	tm_counter_inc(big);
	tm_counter_inc("");
	tm_counter_inc(NULL);
	tm_counter_inc("test/ok");
}

static void bad_names_are_ignored_and_others_counted(void **state)
{
	char files[4][256];

	(void)state;
	assert_int_equal(in_child(count_bad_names, NULL), 0);
	assert_int_equal(count_files(files, 4), 1);
	assert_int_equal(value_in(files[0], "test/ok"), 1);
}

static void read_back(void)
{
	uint64_t v = 99;

	tm_counter_add("test/read", 41);
	tm_counter_inc("test/read");
	if (tm_counter_read("test/read", &v) || v != 42)
		_exit(10);
	if (tm_counter_read("test/absent", &v) || v != 0)
		_exit(11);
}

static void counter_read_returns_the_current_count(void **state)
{
	(void)state;
	assert_int_equal(in_child(read_back, NULL), 0);
}

static void count_then_fork(void)
{
	pid_t pid;
	int status;

	tm_counter_handle_inc(&hits);
	pid = fork();
	if (pid == 0) {
		tm_counter_handle_inc(&hits);
		tm_counter_inc("test/child");
		_exit(0);
	}
	waitpid(pid, &status, 0);
	tm_counter_handle_inc(&hits);
}

static void forked_child_counts_into_the_same_file(void **state)
{
	char files[4][256];

	(void)state;
	assert_int_equal(in_child(count_then_fork, NULL), 0);
	assert_int_equal(count_files(files, 4), 1);
	assert_int_equal(value_in(files[0], "test/hits"), 3);
	assert_int_equal(value_in(files[0], "test/child"), 1);
}

static void file_name_has_the_go_layout(void **state)
{
	struct tm__identity id = { .program = "ccls", .version = "0.2",
				   .toolchain = "clang14.0.6",
				   .goarch = "amd64" };
	char buf[256];

	(void)state;
	assert_int_equal(tm__store_file_name(&id, 1795392000, buf, sizeof buf),
			 0);
	assert_string_equal(buf,
			    "ccls@0.2-clang14.0.6-linux-amd64-2026-11-23.v1.count");
	id.version[0] = 0;
	tm__store_file_name(&id, 1795392000, buf, sizeof buf);
	assert_string_equal(buf,
			    "ccls-clang14.0.6-linux-amd64-2026-11-23.v1.count");
	/* One byte short of the name and its NUL: refused, never cut. */
	assert_int_equal(tm__store_file_name(&id, 1795392000, buf, 48),
			 -ENAMETOOLONG);
	assert_int_equal(tm__store_file_name(&id, 1795392000, buf, 49), 0);
	assert_int_equal(strlen(buf), 48);
}

/* Runs PROG as user nobody with TMWATCH_DIR=STORE_DIR; its exit status. */
static int run_as_nobody(const char *prog, const char *store_dir)
{
	char *env_dir, *out = NULL, *err = NULL;
	char *argv[] = { "setpriv", "--reuid=65534", "--regid=65534",
			 "--clear-groups", (char *)prog, NULL };
	char *env[4];
	int r;

	assert_true(asprintf(&env_dir, "TMWATCH_DIR=%s", store_dir) > 0);
	env[0] = env_dir;
	env[1] = "PATH=/usr/bin:/bin";
	env[2] = "TMWATCH_TELEMETRY";
	env[3] = NULL;
	r = tu_run(argv, env, &out, &err, 30000);
	free(env_dir);
	free(out);
	free(err);
	return r;
}

/* A setuid program never counts: the environment that names the store
 * is the invoking user's, so the files would be made with the program's
 * privileges wherever that user points. The same program without the
 * setuid bit, run by the same user, counts into the same place: the bit,
 * not the setup, stopped it. */
static void setuid_program_never_counts(void **state)
{
	const char *examples = getenv("TMWATCH_EXAMPLES");
	char dir[] = "/tmp/tmwatch-setuid-XXXXXX", *prog, *target, *local;
	char *cmd;
	struct stat st;

	(void)state;
	if (!examples)
		fail_msg("TMWATCH_EXAMPLES is not set (run through ctest)");
	if (geteuid() != 0)
		fail_msg("needs root: a setuid-root copy of a counting program "
			 "run by user nobody (setpriv)");
	assert_non_null(mkdtemp(dir));
	assert_int_equal(chmod(dir, 0755), 0);
	prog = tu_path(dir, "counter_tool");
	target = tu_path(dir, "pointed-at");	/* nobody may create it */
	assert_int_equal(chmod(dir, 0777), 0);
	assert_true(asprintf(&cmd, "cp '%s/versioned_tool' '%s' && chmod "
			     "4755 '%s'", examples, prog, prog) > 0);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	assert_int_equal(run_as_nobody(prog, target), 0);
	assert_int_equal(stat(target, &st), -1);
	assert_int_equal(errno, ENOENT);
	/* Without the bit: counts, as nobody, into the same path. */
	assert_int_equal(chmod(prog, 0755), 0);
	assert_int_equal(run_as_nobody(prog, target), 0);
	local = tu_path(target, "local");
	assert_int_equal(stat(local, &st), 0);
	assert_int_equal(st.st_uid, 65534);
	free(local);
	tu_rmrf(dir);
	free(prog);
	free(target);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(file_name_has_the_go_layout),
		cmocka_unit_test(setuid_program_never_counts),
		cmocka_unit_test_setup_teardown(
			counts_land_in_the_program_file_of_this_week, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			second_process_adds_to_the_same_counters, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			mode_off_by_override_creates_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(
			mode_off_in_mode_file_creates_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(
			disable_variable_creates_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(
			long_running_process_moves_to_next_week_file, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			handles_leave_a_file_closed_by_a_report, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			report_closes_the_file_a_running_process_counts_into,
			setup, teardown),
		cmocka_unit_test_setup_teardown(
			unusable_store_warns_once_and_program_goes_on, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			read_only_store_warns_once_and_program_goes_on, setup,
			teardown),
		cmocka_unit_test_setup_teardown(quiet_silences_the_warning,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			bad_names_are_ignored_and_others_counted, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			counter_read_returns_the_current_count, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			forked_child_counts_into_the_same_file, setup,
			teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
