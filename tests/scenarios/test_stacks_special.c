/* SPDX-License-Identifier: MIT */
/* test_stacks_special.c -- crash/crash counters that need more than
 * running an example (test_stacks.c does that): separate debug info found
 * by build-id, a binary replaced on disk while it runs, a hostile child
 * sending a multi-megabyte record, exact counts over repeated crashes,
 * the privacy guarantee (a secret in path, argv, environment, thread
 * name and abort message never reaches the store), and what the user
 * sees: the stderr line, -q, --crash-output and `tmwatch crashes`.
 * Everything goes through the built tmwatch; every wait is bounded.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <regex.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "stackutil.h"
#include "testutil.h"

#define RUN_TIMEOUT_MS 30000

struct fixture {
	char *store;
	char *state;	/* XDG_STATE_HOME */
	char *xdg;	/* "XDG_STATE_HOME=..." */
	char *tmp;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	f->store = tu_fresh_store("special-store");
	f->state = tu_tmpdir("special-state");
	f->tmp = tu_tmpdir("special-tmp");
	if (asprintf(&f->xdg, "XDG_STATE_HOME=%s", f->state) < 0)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	tu_rmrf(f->store);
	tu_rmrf(f->state);
	tu_rmrf(f->tmp);
	free(f->store);
	free(f->state);
	free(f->tmp);
	free(f->xdg);
	free(f);
	return 0;
}

static void run_ok(char *const argv[])
{
	char *err = NULL;
	int st = tu_run(argv, NULL, NULL, &err, RUN_TIMEOUT_MS);

	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		fail_msg("'%s' failed (%s): %s", argv[0],
			 tu_describe_status(st), err ? err : "");
	free(err);
}

/* The one crash/crash counter of the store must match EXPECTED and have
 * been counted COUNT times. */
static void expect_stack(const struct fixture *f, const char *const *exp,
			 uint64_t count)
{
	char **names, **progs;
	uint64_t *values;
	size_t n = su_counters(f->store, "crash/crash", &names, &values,
			       &progs);

	if (n != 1)
		fail_msg("expected one crash/crash counter, got %zu", n);
	if (!su_match(names[0], exp)) {
		char *want = su_lines(exp);

		fail_msg("recorded name\n%s\n--- does not match the expected "
			 "lines\ncrash/crash\n%s", names[0], want);
	}
	if (values[0] != count)
		fail_msg("counted %llu, expected %llu",
			 (unsigned long long)values[0],
			 (unsigned long long)count);
	su_free_list(names, n);
	su_free_list(progs, n);
	free(values);
}

static uint64_t counter_value(const struct fixture *f, const char *name)
{
	char **names, **progs;
	uint64_t *values, v = 0;
	size_t n = su_counters(f->store, name, &names, &values, &progs);

	for (size_t i = 0; i < n; i++)
		if (strcmp(names[i], name) == 0)
			v += values[i];
	su_free_list(names, n);
	su_free_list(progs, n);
	free(values);
	return v;
}

static int run_wrapped(const struct fixture *f, const char *prog,
		       char **err, const char *extra_env)
{
	char *argv[] = { (char *)su_env_or_die("TMWATCH_BIN"), "-q",
			 (char *)prog, NULL };
	char *env[] = { f->xdg, "TMWATCH_QUIET", (char *)extra_env, NULL };

	return tu_run(argv, env, NULL, err, RUN_TIMEOUT_MS);
}

static char *build_id_of(const char *file)
{
	char *argv[] = { "readelf", "-n", (char *)file, NULL };
	char *out = NULL, *at, *id;
	int st = tu_run(argv, NULL, &out, NULL, RUN_TIMEOUT_MS);

	assert_int_equal(st, 0);
	at = strstr(out, "Build ID: ");
	if (!at)
		fail_msg("no build-id in '%s'", file);
	id = strndup(at + 10, strcspn(at + 10, " \n"));
	free(out);
	return id;
}

/* Debug info moved to DIR/.build-id/xx/rest.debug and the binary
 * stripped of everything: DWARF names only through TMWATCH_DEBUG_DIRS;
 * without it, module-only frames. */
static void separate_debug_info_found_by_build_id_wrapper(void **state)
{
	struct fixture *f = *state;
	char *src = su_example("crash_null_write");
	char *bin = tu_path(f->tmp, "sep_debug");
	char *dbg = tu_path(f->tmp, "sep_debug.debug");
	char *cp[] = { "cp", src, bin, NULL };
	char *keep[] = { "objcopy", "--only-keep-debug", bin, dbg, NULL };
	char *strip[] = { "strip", "--strip-all", bin, NULL };
	char *id, *dir, *target, *env;
	static const char *const with[] = {
		SU_F("write_null", 2), SU_F("main", 2), NULL
	};
	static const char *const without[] = {
		"sep_debug:" SU_HEX, "sep_debug:" SU_HEX, NULL
	};
	char *mk[] = { "mkdir", "-p", NULL, NULL };
	char *mv[] = { "mv", dbg, NULL, NULL };
	int st;

	run_ok(cp);
	run_ok(keep);
	run_ok(strip);
	id = build_id_of(bin);
	if (asprintf(&dir, "%s/dbg/.build-id/%.2s", f->tmp, id) < 0 ||
	    asprintf(&target, "%s/%s.debug", dir, id + 2) < 0 ||
	    asprintf(&env, "TMWATCH_DEBUG_DIRS=%s/dbg", f->tmp) < 0)
		fail();
	mk[2] = dir;
	mv[2] = target;
	run_ok(mk);
	run_ok(mv);

	st = run_wrapped(f, bin, NULL, "TMWATCH_DEBUG_DIRS");
	assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV);
	expect_stack(f, without, 1);
	tu_rmrf(f->store);
	free(f->store);
	f->store = tu_fresh_store("special-store");
	st = run_wrapped(f, bin, NULL, env);
	assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV);
	expect_stack(f, with, 1);
	free(id);
	free(dir);
	free(target);
	free(env);
	free(src);
	free(bin);
	free(dbg);
}

/* The program's file is replaced (rename over it, as package managers
 * do) between its start and its crash: names still come from the code
 * it runs, read through /proc/PID/map_files. */
static void binary_replaced_on_disk_while_running_wrapper(void **state)
{
	struct fixture *f = *state;
	char *src = su_example("crash_on_input");
	char *other = su_example("crash_null_read");
	char *bin = tu_path(f->tmp, "replaced");
	char *next = tu_path(f->tmp, "replaced.new");
	char *cp[] = { "cp", src, bin, NULL };
	char *cp2[] = { "cp", other, next, NULL };
	static const char *const exp[] = {
		SU_F("write_null", 2), SU_F("main", 7), NULL
	};
	int out[2], in[2], st;
	char buf[8];
	pid_t pid;

	run_ok(cp);
	run_ok(cp2);
	assert_int_equal(pipe(out), 0);
	assert_int_equal(pipe(in), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(out[1], 1);
		dup2(in[0], 0);
		close(out[0]);
		close(in[1]);
		setenv("XDG_STATE_HOME", f->state, 1);
		execl(su_env_or_die("TMWATCH_BIN"), "tmwatch", "-q", bin,
		      (char *)NULL);
		_exit(127);
	}
	close(out[1]);
	close(in[0]);
	/* Bounded: tu_wait below kills tmwatch if it never says ready. */
	assert_int_equal(read(out[0], buf, 6), 6);
	assert_int_equal(rename(next, bin), 0);
	assert_int_equal(write(in[1], "go\n", 3), 3);
	assert_int_equal(tu_wait(pid, &st, RUN_TIMEOUT_MS), 0);
	close(out[0]);
	close(in[1]);
	assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV);
	expect_stack(f, exp, 1);
	free(src);
	free(other);
	free(bin);
	free(next);
}

/* 8 MiB of record: refused as crash/malformed; the watchdog goes on to
 * count the next crash exactly and mirrors the child's exit status. */
static void multi_megabyte_record_is_malformed_watchdog_unharmed_wrapper(
	void **state)
{
	struct fixture *f = *state;
	char *crasher = su_example("crash_null_write");
	char *argv[] = { (char *)su_env_or_die("TMWATCH_BIN"), "-q",
			 HELPER_BIG_RECORD, crasher, NULL };
	char *env[] = { f->xdg, NULL };
	static const char *const exp[] = {
		SU_F("write_null", 2), SU_F("main", 2), NULL
	};
	char *out = NULL;
	int st = tu_run(argv, env, &out, NULL, RUN_TIMEOUT_MS);

	if (st == -1)
		fail_msg("watchdog hung on an 8 MiB record");
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 7);
	assert_string_equal(out, "acked\nsignal 11\n");
	assert_int_equal(counter_value(f, "crash/malformed"), 1);
	expect_stack(f, exp, 1);
	free(out);
	free(crasher);
}

/* N crashes of one program, N separate runs: count N. */
static void five_crashes_count_five_wrapper(void **state)
{
	struct fixture *f = *state;
	char *prog = su_example("crash_divzero");
	static const char *const exp[] = {
		SU_F("divide", 2), SU_F("main", 3), NULL
	};

	for (int i = 0; i < 5; i++) {
		int st = run_wrapped(f, prog, NULL, NULL);

		assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGFPE);
	}
	expect_stack(f, exp, 5);
	assert_int_equal(counter_value(f, "crash/signal:SIGFPE"), 5);
	free(prog);
}

/* One watchdog, three exec'd programs (each with its own load
 * addresses): the debug info sessions kept from the first crash name
 * the later ones exactly, each in its own program's file. */
static void programs_under_one_watchdog_share_sessions_wrapper(void **state)
{
	struct fixture *f = *state;
	char *a = su_example("crash_null_write");
	char *b = su_example("crash_divzero");
	char *script;
	char *argv[] = { (char *)su_env_or_die("TMWATCH_BIN"), "-q",
			 "/bin/sh", "-c", NULL, NULL };
	char *env[] = { f->xdg, NULL };
	static const char *const exp_a[] = {
		SU_F("write_null", 2), SU_F("main", 2), NULL
	};
	static const char *const exp_b[] = {
		SU_F("divide", 2), SU_F("main", 3), NULL
	};
	char **names, **progs;
	uint64_t *values;
	size_t n;
	int st, seen = 0;

	if (asprintf(&script, "'%s'; '%s'; '%s'; exit 3", a, b, a) < 0)
		fail();
	argv[4] = script;
	st = tu_run(argv, env, NULL, NULL, RUN_TIMEOUT_MS);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 3);
	n = su_counters(f->store, "crash/crash", &names, &values, &progs);
	assert_int_equal(n, 2);
	for (size_t i = 0; i < n; i++) {
		int is_a = strcmp(progs[i], "crash_null_write") == 0;

		if (!su_match(names[i], is_a ? exp_a : exp_b))
			fail_msg("%s: unexpected name\n%s", progs[i],
				 names[i]);
		assert_int_equal(values[i], is_a ? 2 : 1);
		seen |= is_a ? 1 : 2;
	}
	assert_int_equal(seen, 3);
	su_free_list(names, n);
	su_free_list(progs, n);
	free(values);
	free(script);
	free(a);
	free(b);
}

#define SECRET "TOPSECRET-7f3a9c2e"

/* The secret is in the directory of the program (its file name is the
 * program's name, which the counter file is named after by design), its
 * argument, an environment variable, its thread name and the assertion
 * message. The store must not contain it anywhere. The local crash log
 * does contain the path and the abort message: it is local only, never
 * uploaded (DESIGN §5.4), and shows the secret did reach the watchdog. */
static void secret(void **state, int preload)
{
	struct fixture *f = *state;
	char *src = su_example("crash_secret");
	char *dir = tu_path(f->tmp, "dir-" SECRET);
	char *bin = tu_path(dir, "crash_secret");
	char *mk[] = { "mkdir", "-p", dir, NULL };
	char *cp[] = { "cp", src, bin, NULL };
	char *wrap[] = { (char *)su_env_or_die("TMWATCH_BIN"), bin,
			 SECRET, NULL };
	char *bare[] = { bin, SECRET, NULL };
	char *pre = NULL, *where = NULL, *logs;
	char *env[] = { f->xdg, "MY_TOKEN=" SECRET, "TMWATCH_QUIET",
			NULL, NULL };
	static const char *const exp[] = {
		SU_F("fail_with", 6), SU_F("main", 2), NULL
	};
	int st;

	run_ok(mk);
	run_ok(cp);
	if (preload) {
		if (asprintf(&pre, "LD_PRELOAD=%s",
			     su_env_or_die("TMWATCH_SHIM")) < 0)
			fail();
		env[3] = pre;
	}
	st = tu_run(preload ? bare : wrap, env, NULL, NULL, RUN_TIMEOUT_MS);
	assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT);
	expect_stack(f, exp, 1);
	if (su_grep_tree(f->store, SECRET, &where))
		fail_msg("the secret reached the store: '%s'", where);
	logs = tu_path(f->state, "tmwatch/crashes");
	if (!su_grep_tree(logs, SECRET, NULL))
		fail_msg("the local crash log under '%s' lacks the path and "
			 "abort message", logs);
	free(logs);
	free(pre);
	free(src);
	free(dir);
	free(bin);
}

static void secret_never_reaches_the_store_wrapper(void **state)
{
	secret(state, 0);
}

static void secret_never_reaches_the_store_preload_only(void **state)
{
	secret(state, 1);
}

/* Without -q: one line after the child's death naming the program, the
 * signal, the first frame, the counter and the log. */
static void crash_line_names_counter_and_log_wrapper(void **state)
{
	struct fixture *f = *state;
	char *prog = su_example("crash_null_write");
	char *argv[] = { (char *)su_env_or_die("TMWATCH_BIN"), prog, NULL };
	char *env[] = { f->xdg, "TMWATCH_QUIET", NULL };
	char *err = NULL, *pat, *logs;
	regex_t re;
	int st = tu_run(argv, env, NULL, &err, RUN_TIMEOUT_MS);

	assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV);
	if (asprintf(&pat, "^tmwatch: 'crash_null_write' crashed with SIGSEGV "
		     "in write_null:\\+2,\\+0x[0-9a-f]+; counted as "
		     "crash/crash; log '%s/tmwatch/crashes/"
		     "[0-9]{8}T[0-9]{6}Z-crash_null_write-[0-9]+\\.log'\n$",
		     f->state) < 0)
		fail();
	assert_int_equal(regcomp(&re, pat, REG_EXTENDED | REG_NOSUB), 0);
	if (regexec(&re, err, 0, NULL, 0) != 0)
		fail_msg("stderr:\n%s\ndoes not match\n%s", err, pat);
	regfree(&re);
	logs = tu_path(f->state, "tmwatch/crashes");
	assert_true(su_grep_tree(logs, "write_null:+2,+0x", NULL));
	free(logs);
	free(pat);
	free(err);
	free(prog);
}

/* Mode off: the crash is still seen and said, but nothing is written, not
 * the store, not the local crash log, not even their directories. */
static void crash_in_mode_off_writes_nothing_wrapper(void **state)
{
	struct fixture *f = *state;
	char *prog = su_example("crash_null_write");
	char *argv[] = { (char *)su_env_or_die("TMWATCH_BIN"), prog, NULL };
	char *env[] = { f->xdg, "TMWATCH_QUIET", "TMWATCH_TELEMETRY=off",
			NULL };
	char *err = NULL, *crashes = tu_path(f->state, "tmwatch");
	struct stat st;
	int status;

	/* A fresh store directory that does not exist yet. */
	tu_rmrf(f->store);
	status = tu_run(argv, env, NULL, &err, RUN_TIMEOUT_MS);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV);
	assert_non_null(strstr(err, "nothing counted (telemetry is off); "
				    "no local log"));
	assert_int_equal(stat(f->store, &st), -1);
	assert_int_equal(stat(crashes, &st), -1);
	free(crashes);
	free(err);
	free(prog);
}

static void quiet_silences_the_crash_line_wrapper(void **state)
{
	struct fixture *f = *state;
	char *prog = su_example("crash_null_write");
	char *err = NULL;
	int st = run_wrapped(f, prog, &err, NULL);

	assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV);
	assert_string_equal(err, "");
	free(err);
	free(prog);
}

/* --crash-output FILE gets the same text as the log. */
static void crash_output_gets_the_log_wrapper(void **state)
{
	struct fixture *f = *state;
	char *prog = su_example("crash_abort");
	char *file = tu_path(f->tmp, "crash.txt");
	char *argv[] = { (char *)su_env_or_die("TMWATCH_BIN"), "-q",
			 "--crash-output", file, prog, NULL };
	char *env[] = { f->xdg, NULL };
	char *ls[] = { (char *)su_env_or_die("TMWATCH_BIN"), "crashes", NULL };
	char *out = NULL, *text, *log, *path, *nl;
	int st = tu_run(argv, env, NULL, NULL, RUN_TIMEOUT_MS);

	assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT);
	text = tu_read_file(file, NULL);
	assert_non_null(text);
	assert_true(strstr(text, "give_up:+2,+0x") != NULL);
	st = tu_run(ls, env, &out, NULL, RUN_TIMEOUT_MS);
	assert_int_equal(st, 0);
	path = strstr(out, "  /");
	assert_non_null(path);
	path += 2;
	nl = strchr(path, '\n');
	assert_non_null(nl);
	*nl = '\0';
	log = tu_read_file(path, NULL);
	assert_non_null(log);
	assert_string_equal(text, log);
	free(log);
	free(text);
	free(out);
	free(file);
	free(prog);
}

/* File times are coarse (a clock tick): two crashes a few ms apart may
 * share an mtime. Spread the logs of PROGS (oldest first) a second apart,
 * in the order they were made, so the order is the test's, not a tie's. */
static void age_logs(const struct fixture *f, const char **progs, int n)
{
	char *dir = tu_path(f->state, "tmwatch/crashes");
	time_t base = time(NULL) - 60;

	for (int i = 0; i < n; i++) {
		DIR *d = opendir(dir);
		struct dirent *e;
		char key[128];
		int found = 0;

		assert_non_null(d);
		snprintf(key, sizeof key, "-%s-", progs[i]);
		while ((e = readdir(d))) {
			struct timespec ts[2] = { { base + i, 0 },
						  { base + i, 0 } };

			if (!strstr(e->d_name, key))
				continue;
			assert_int_equal(utimensat(dirfd(d), e->d_name, ts, 0),
					 0);
			found = 1;
		}
		closedir(d);
		if (!found)
			fail_msg("no crash log for %s in '%s'", progs[i], dir);
	}
	free(dir);
}

/* `tmwatch crashes` lists the logs, newest first. */
static void crashes_lists_logs_newest_first_wrapper(void **state)
{
	struct fixture *f = *state;
	const char *progs[] = { "crash_abort", "crash_divzero",
				"crash_null_write" };
	char *ls[] = { (char *)su_env_or_die("TMWATCH_BIN"), "crashes", NULL };
	char *env[] = { f->xdg, NULL };
	char *out = NULL, *a, *b, *c;
	int st;

	for (int i = 0; i < 3; i++) {
		char *p = su_example(progs[i]);

		st = run_wrapped(f, p, NULL, NULL);
		assert_true(WIFSIGNALED(st));
		free(p);
	}
	age_logs(f, progs, 3);
	st = tu_run(ls, env, &out, NULL, RUN_TIMEOUT_MS);
	assert_int_equal(st, 0);
	a = strstr(out, "-crash_null_write-");
	b = strstr(out, "-crash_divzero-");
	c = strstr(out, "-crash_abort-");
	if (!a || !b || !c || !(a < b && b < c))
		fail_msg("not newest first:\n%s", out);
	free(out);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(separate_debug_info_found_by_build_id_wrapper),
		T(binary_replaced_on_disk_while_running_wrapper),
		T(multi_megabyte_record_is_malformed_watchdog_unharmed_wrapper),
		T(five_crashes_count_five_wrapper),
		T(programs_under_one_watchdog_share_sessions_wrapper),
		T(secret_never_reaches_the_store_wrapper),
		T(secret_never_reaches_the_store_preload_only),
		T(crash_line_names_counter_and_log_wrapper),
		T(quiet_silences_the_crash_line_wrapper),
		T(crash_in_mode_off_writes_nothing_wrapper),
		T(crash_output_gets_the_log_wrapper),
		T(crashes_lists_logs_newest_first_wrapper),
#undef T
	};
	struct rlimit nocore = { 0, 0 };

	setrlimit(RLIMIT_CORE, &nocore);
	if (argc > 1)
		cmocka_set_test_filter(argv[1]);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
