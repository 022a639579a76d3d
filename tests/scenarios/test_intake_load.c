/* SPDX-License-Identifier: MIT */
/* test_intake_load.c -- the crash channel and the watchdog's intake under
 * load and attack (issue 8 §1-§2, issue 14), through the real tmwatch:
 * a thousand deep-stack crashes at once, a program at its fd limit,
 * Python children whose inherited fd was closed, a crash after the
 * watchdog exited, silent hostile sessions from an unprivileged
 * grandchild, hundreds of descendant crashes before the child's own, and
 * relays (timeout, strace -f) that re-raise their child's crash.
 *
 * Every case runs real crashing programs, compares the exit status with
 * the same program run bare, and reads the counters of a fresh store.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "stackutil.h"
#include "testutil.h"

#define RUN_TIMEOUT_MS 60000
#define PYTHON "/usr/bin/python3"

struct fixture {
	char *store;
	char *state;	/* XDG_STATE_HOME */
	char *xdg;	/* "XDG_STATE_HOME=..." */
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	f->store = tu_fresh_store("intake-store");
	f->state = tu_tmpdir("intake-state");
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
	free(f->store);
	free(f->state);
	free(f->xdg);
	free(f);
	return 0;
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* Sum of the counters named PREFIX (or stacks under it) over the store;
 * *KINDS gets how many distinct names. */
static uint64_t counted(const struct fixture *f, const char *prefix,
			size_t *kinds)
{
	char **names, **progs;
	uint64_t *values, v = 0;
	size_t n = su_counters(f->store, prefix, &names, &values, &progs);

	for (size_t i = 0; i < n; i++)
		v += values[i];
	if (kinds)
		*kinds = n;
	su_free_list(names, n);
	su_free_list(progs, n);
	free(values);
	return v;
}

/* Every crash/crash stack must hold each of MUST (substrings), and the
 * total must be TOTAL; every one must be counted in PROG's file when
 * PROG is not NULL. */
static void expect_crashes(const struct fixture *f, uint64_t total,
			   const char *const *must, const char *prog)
{
	char **names, **progs;
	uint64_t *values, sum = 0;
	size_t n = su_counters(f->store, "crash/crash", &names, &values,
			       &progs);

	for (size_t i = 0; i < n; i++) {
		sum += values[i];
		for (size_t k = 0; must && must[k]; k++) {
			if (!strstr(names[i], must[k]))
				fail_msg("crash/crash stack without '%s' "
					 "(counted %llu times):\n%s", must[k],
					 (unsigned long long)values[i],
					 names[i]);
		}
		if (prog && strcmp(progs[i], prog) != 0)
			fail_msg("crash counted on '%s', expected '%s':\n%s",
				 progs[i], prog, names[i]);
	}
	if (sum != total)
		fail_msg("crash/crash counted %llu times in %zu stacks, "
			 "expected %llu", (unsigned long long)sum, n,
			 (unsigned long long)total);
	su_free_list(names, n);
	su_free_list(progs, n);
	free(values);
}

static void expect_no_record(const struct fixture *f, uint64_t total)
{
	uint64_t v = counted(f, "crash/no-record:", NULL);

	if (v != total)
		fail_msg("crash/no-record counted %llu times, expected %llu",
			 (unsigned long long)v, (unsigned long long)total);
}

/* Runs ARGV bare (no tmwatch) and under `tmwatch -q`; the statuses must
 * agree. Returns the wrapped status; *OUT (if not NULL) the wrapped
 * stdout, *BARE_OUT the bare one. */
static int run_both_env(const struct fixture *f, char *const argv[],
			char **out, char **bare_out, int timeout_ms,
			char *extra_env)
{
	char *wargv[64];
	char *env[] = { f->xdg, "TMWATCH_QUIET", extra_env, NULL };
	char *bare_env[] = { "TMWATCH_DISABLE=1", NULL };
	char *err = NULL;
	int bare, wrapped;
	size_t i, n = 0;

	wargv[n++] = (char *)su_env_or_die("TMWATCH_BIN");
	wargv[n++] = "-q";
	for (i = 0; argv[i] && n < 63; i++)
		wargv[n++] = argv[i];
	wargv[n] = NULL;
	bare = tu_run(argv, bare_env, bare_out, NULL, timeout_ms);
	if (bare == -1)
		fail_msg("'%s' did not end bare within %d ms", argv[0],
			 timeout_ms);
	wrapped = tu_run(wargv, env, out, &err, timeout_ms);
	if (wrapped == -1)
		fail_msg("'%s' did not end under tmwatch within %d ms",
			 argv[0], timeout_ms);
	if (bare != wrapped) {
		char b[64];

		snprintf(b, sizeof b, "%s", tu_describe_status(bare));
		fail_msg("'%s': bare %s, under tmwatch %s (stderr: %s)",
			 argv[0], b, tu_describe_status(wrapped),
			 err ? err : "");
	}
	free(err);
	return wrapped;
}

static int run_both(const struct fixture *f, char *const argv[],
		    char **out, char **bare_out, int timeout_ms)
{
	return run_both_env(f, argv, out, bare_out, timeout_ms, NULL);
}

/* Issue 8 §1: a thousand children crash at once under one watchdog, each
 * with a deep stack (a record of about 200 KiB, larger than the socket
 * buffer). Every one is counted with its whole stack; none is lost,
 * none is no-record. TMWATCH_STORM_N may lower the number. */
static void thousand_deep_stack_crashes_at_once_all_counted_wrapper(
	void **state)
{
	struct fixture *f = *state;
	const char *nv = getenv("TMWATCH_STORM_N");
	char *argv[] = { HELPER_STORM, (char *)(nv ? nv : "1000"), "200",
			 NULL };
	static const char *const must[] = { "\nwrite_null:+2,", "\ndeep:",
					    "\nmain:", NULL };
	long t0;
	int st;

	t0 = now_ms();
	/* Each child waits at most 2 s without news from the watchdog, far
	 * less than the storm takes: only keepalives carry it through. */
	st = run_both_env(f, argv, NULL, NULL, 240000,
			  "TMWATCH_ACK_TIMEOUT_MS=2000");
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0); /* every child died SIGSEGV */
	print_message("storm: %s deep-stack crashes counted in %ld ms "
		      "(bare run included)\n", argv[1], now_ms() - t0);
	expect_crashes(f, (uint64_t)atoi(argv[1]), must, "helper_storm");
	expect_no_record(f, 0);
}

/* Issue 8 §1: the program used every descriptor its limit allows; the
 * shim's reserve gives the handler room for its socket. */
static void program_at_its_fd_limit_still_reports_wrapper(void **state)
{
	struct fixture *f = *state;
	char *bare_argv[] = { "sh", "-c", "ulimit -n 256 && exec \"$@\"",
			      "sh", HELPER_FD_LIMIT, NULL };
	char *wrapped_argv[] = { "sh", "-c", "ulimit -n 256 && exec \"$@\"",
				 "sh", (char *)su_env_or_die("TMWATCH_BIN"),
				 "-q", HELPER_FD_LIMIT, NULL };
	char *env[] = { f->xdg, "TMWATCH_QUIET", NULL };
	static const char *const must[] = { "crash/crash\nwrite_null:+2,",
					    "\nmain:", NULL };
	int bare, wrapped;

	bare = tu_run(bare_argv, (char *[]){ "TMWATCH_DISABLE=1", NULL },
		      NULL, NULL, RUN_TIMEOUT_MS);
	wrapped = tu_run(wrapped_argv, env, NULL, NULL, RUN_TIMEOUT_MS);
	assert_true(WIFSIGNALED(bare));
	assert_int_equal(WTERMSIG(bare), SIGSEGV);
	assert_int_equal(wrapped, bare);
	expect_crashes(f, 1, must, "helper_fd_limit");
	expect_no_record(f, 0);
}

/* Runs the Python SCRIPT, whose child crashes and whose parent prints the
 * child's exit code, bare and under tmwatch: the same output (-11), and
 * exactly one crash counted, with a record. */
static void expect_python_child_crash(struct fixture *f, char *script)
{
	char *argv[] = { PYTHON, "-c", script, NULL };
	static const char *const must[] = { "crash/crash\n", NULL };
	char *out = NULL, *bare_out = NULL;
	int st = run_both(f, argv, &out, &bare_out, RUN_TIMEOUT_MS);

	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	assert_string_equal(bare_out, "-11\n");
	assert_string_equal(out, bare_out);
	expect_crashes(f, 1, must, NULL);
	expect_no_record(f, 0);
	free(out);
	free(bare_out);
}

/* Issue 8 §3: Python's subprocess closes every fd but 0-2 in the child
 * (close_fds=True), so the crashing child has no channel fd: the shim
 * finds the watchdog by its named socket. */
static void python_subprocess_child_crash_is_counted_wrapper(void **state)
{
	expect_python_child_crash(*state,
				  "import subprocess, sys\n"
				  "r = subprocess.run([sys.executable, '-c',"
				  " 'import ctypes; ctypes.string_at(0)'])\n"
				  "print(r.returncode)\n");
}

static void python_spawn_child_crash_is_counted_wrapper(void **state)
{
	expect_python_child_crash(*state,
				  "import ctypes, multiprocessing as mp\n"
				  "if __name__ == '__main__':\n"
				  "    mp.set_start_method('spawn')\n"
				  "    p = mp.Process(target=ctypes.string_at, "
				  "args=(0,))\n"
				  "    p.start(); p.join()\n"
				  "    print(p.exitcode)\n");
}

/* Issue 8 §3: a descendant that outlives the watchdog (its fd closed,
 * so it would use the named socket) and then crashes dies as bare, at
 * once: nobody listens on the name any more. This process is made the
 * subreaper so it can see that descendant die. */
static void crash_after_the_watchdog_exited_dies_as_bare_wrapper(
	void **state)
{
	struct fixture *f = *state;
	/* The grandchild waits (pidfd) for the watchdog, or bare for its
	 * parent, to exit, then crashes. */
	char *script =
		"import os, subprocess, sys\n"
		"w = os.environ.get('TMWATCH_PID', str(os.getpid()))\n"
		"g = subprocess.Popen([sys.executable, '-c',"
		" 'import ctypes, os, select, sys\\n"
		"fd = os.pidfd_open(int(sys.argv[1]))\\n"
		"select.select([fd], [], [], 30)\\n"
		"ctypes.string_at(0)', w], start_new_session=True)\n"
		"print(g.pid)\n";
	char *argv[] = { PYTHON, "-c", script, NULL };
	char *wargv[] = { (char *)su_env_or_die("TMWATCH_BIN"), "-q", PYTHON,
			  "-c", script, NULL };
	char *env[] = { f->xdg, "TMWATCH_QUIET", NULL };
	char *out = NULL;
	int st, gst, round;
	long t_exit;

	assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0), 0);
	for (round = 0; round < 2; round++) {
		st = tu_run(round ? wargv : argv,
			    round ? env : (char *[]){ "TMWATCH_DISABLE=1",
						      NULL },
			    &out, NULL, RUN_TIMEOUT_MS);
		t_exit = now_ms();
		assert_true(WIFEXITED(st));
		assert_int_equal(WEXITSTATUS(st), 0);
		if (tu_wait((pid_t)atoi(out), &gst, 30000) != 0)
			fail_msg("the grandchild (%s) did not die within 30 s",
				 out);
		if (!WIFSIGNALED(gst) || WTERMSIG(gst) != SIGSEGV)
			fail_msg("%s grandchild: %s, expected signal 11",
				 round ? "wrapped" : "bare",
				 tu_describe_status(gst));
		/* No wait for an ack that cannot come (5 s). */
		if (now_ms() - t_exit > 4000)
			fail_msg("the grandchild took %ld ms to die after the "
				 "watchdog exited", now_ms() - t_exit);
		free(out);
		out = NULL;
	}
	(void)prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0);
	expect_crashes(f, 0, NULL, NULL);
}

/* Issue 14: an unprivileged grandchild holds 20 silent crash sessions
 * (half on the channel, half on the named socket) while the child
 * crashes. The real crash is counted with its stack, and the exit status
 * comes within a couple of seconds of the child's death. */
static void silent_hostile_sessions_delay_neither_crash_nor_exit_wrapper(
	void **state)
{
	struct fixture *f = *state;
	char *argv[] = { (char *)su_env_or_die("TMWATCH_BIN"), "-q",
			 HELPER_HOSTILE, "20", NULL };
	static const char *const must[] = { "crash/crash\nwrite_null:+2,",
					    "\nmain:", NULL };
	char line[64] = "";
	int out[2], st;
	size_t got = 0;
	long t0, dt;
	pid_t pid;

	assert_int_equal(pipe2(out, O_CLOEXEC), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(out[1], 1);
		setenv("XDG_STATE_HOME", f->state, 1);
		unsetenv("TMWATCH_QUIET");
		execv(argv[0], argv);
		_exit(127);
	}
	close(out[1]);
	while (got < sizeof line - 1 && !strchr(line, '\n')) {
		struct pollfd p = { out[0], POLLIN, 0 };
		ssize_t n;

		if (poll(&p, 1, RUN_TIMEOUT_MS) != 1)
			break;
		n = read(out[0], line + got, sizeof line - 1 - got);
		if (n <= 0)
			break;
		got += (size_t)n;
		line[got] = 0;
	}
	t0 = now_ms();
	close(out[0]);
	if (strcmp(line, "crashing\n") != 0) {
		(void)tu_wait(pid, &st, 1000);
		fail_msg("the hostile helper never crashed: '%s' (%s)", line,
			 tu_describe_status(st));
	}
	if (tu_wait(pid, &st, RUN_TIMEOUT_MS) != 0)
		fail_msg("tmwatch did not end within %d ms of the child's "
			 "crash", RUN_TIMEOUT_MS);
	dt = now_ms() - t0;
	print_message("exit status %ld ms after the child's crash, with 20 "
		      "silent sessions open\n", dt);
	assert_true(WIFSIGNALED(st));
	assert_int_equal(WTERMSIG(st), SIGSEGV);
	if (dt > 4000)
		fail_msg("exit status came %ld ms after the crash", dt);
	expect_crashes(f, 1, must, "helper_hostile");
}

/* Issue 8 §1 (bookkeeping): the child crashes first, then 300 of its
 * children crash as it dies: 301 crashes, and the child's own is not
 * counted a second time as crash/no-record (it was, once more than 256
 * records came between its record and its death). */
static void child_crash_then_300_descendant_crashes_counted_once_wrapper(
	void **state)
{
	struct fixture *f = *state;
	char *argv[] = { HELPER_STORM, "300", "0", "first", NULL };
	int st = run_both(f, argv, NULL, NULL, RUN_TIMEOUT_MS * 2);

	assert_true(WIFSIGNALED(st));
	assert_int_equal(WTERMSIG(st), SIGSEGV);
	expect_crashes(f, 301, NULL, "helper_storm");
	expect_no_record(f, 0);
}

/* The same after the descendants: 300 crash, then the child. */
static void child_crash_after_300_descendant_crashes_counted_once_wrapper(
	void **state)
{
	struct fixture *f = *state;
	char *argv[] = { HELPER_STORM, "300", "0", "self", NULL };
	int st = run_both(f, argv, NULL, NULL, RUN_TIMEOUT_MS * 2);

	assert_true(WIFSIGNALED(st));
	assert_int_equal(WTERMSIG(st), SIGSEGV);
	expect_crashes(f, 301, NULL, "helper_storm");
	expect_no_record(f, 0);
}

/* Issue 8 §1: a descendant that gives up part way (its bound expired)
 * still counts, crash/no-record:SIGSEGV on its own program (named from
 * the process while it waited: it is gone when its session ends). */
static void partial_record_from_a_descendant_counts_no_record_wrapper(
	void **state)
{
	struct fixture *f = *state;
	char *argv[] = { (char *)su_env_or_die("TMWATCH_BIN"), "-q", "sh",
			 "-c", HELPER_BAD_RECORD " partial; exit 0", NULL };
	char *env[] = { f->xdg, "TMWATCH_QUIET", NULL };
	char **names, **progs;
	uint64_t *values;
	char *out = NULL;
	size_t n;
	int st = tu_run(argv, env, &out, NULL, RUN_TIMEOUT_MS);

	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	assert_string_equal(out, "no ack\n");
	n = su_counters(f->store, "crash/no-record:", &names, &values,
			&progs);
	if (n != 1 || strcmp(names[0], "crash/no-record:SIGSEGV") != 0 ||
	    values[0] != 1 || strcmp(progs[0], "helper_bad_record") != 0)
		fail_msg("expected crash/no-record:SIGSEGV once on "
			 "helper_bad_record; got %zu counter(s), first '%s' "
			 "on '%s'", n, n ? names[0] : "", n ? progs[0] : "");
	expect_crashes(f, 0, NULL, NULL);
	assert_int_equal(counted(f, "crash/malformed", NULL), 0);
	su_free_list(names, n);
	su_free_list(progs, n);
	free(values);
	free(out);
}

/* Issue 8 §2: relays re-raise their child's crash signal on themselves;
 * the crash is counted once, on the program that crashed, and the exit
 * status is the bare one. */
static void relay(const struct fixture *f, char **argv)
{
	static const char *const must[] = { "crash/crash\nwrite_null:+2,",
					    "\nmain:", NULL };
	int st = run_both(f, argv, NULL, NULL, RUN_TIMEOUT_MS);

	assert_true(WIFSIGNALED(st));
	assert_int_equal(WTERMSIG(st), SIGSEGV);
	expect_crashes(f, 1, must, "crash_null_write");
	expect_no_record(f, 0);
}

static void timeout_relay_counts_one_crash_wrapper(void **state)
{
	char *prog = su_example("crash_null_write");
	char *argv[] = { "timeout", "30", prog, NULL };

	relay(*state, argv);
	free(prog);
}

static void strace_relay_counts_one_crash_wrapper(void **state)
{
	char *prog = su_example("crash_null_write");
	char *argv[] = { "strace", "-f", "-o", "/dev/null", prog, NULL };

	relay(*state, argv);
	free(prog);
}

static void strace_around_timeout_counts_one_crash_wrapper(void **state)
{
	char *prog = su_example("crash_null_write");
	char *argv[] = { "strace", "-f", "-o", "/dev/null", "timeout", "30",
			 prog, NULL };

	relay(*state, argv);
	free(prog);
}

#define CASE(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(int argc, char **argv)
{
	static const struct CMUnitTest tests[] = {
		CASE(thousand_deep_stack_crashes_at_once_all_counted_wrapper),
		CASE(program_at_its_fd_limit_still_reports_wrapper),
		CASE(python_subprocess_child_crash_is_counted_wrapper),
		CASE(python_spawn_child_crash_is_counted_wrapper),
		CASE(crash_after_the_watchdog_exited_dies_as_bare_wrapper),
		CASE(silent_hostile_sessions_delay_neither_crash_nor_exit_wrapper),
		CASE(child_crash_then_300_descendant_crashes_counted_once_wrapper),
		CASE(child_crash_after_300_descendant_crashes_counted_once_wrapper),
		CASE(partial_record_from_a_descendant_counts_no_record_wrapper),
		CASE(timeout_relay_counts_one_crash_wrapper),
		CASE(strace_relay_counts_one_crash_wrapper),
		CASE(strace_around_timeout_counts_one_crash_wrapper),
	};

	if (argc > 1)
		cmocka_set_test_filter(argv[1]);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
