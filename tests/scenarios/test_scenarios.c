/* SPDX-License-Identifier: MIT */
/* test_scenarios.c -- the crash scenarios of DESIGN §11, each crashing a
 * real example program bare and then under tmwatch in one mode (wrapper,
 * preload-only, library), in the same test.
 *
 * Every case asserts: the wait status is exactly the bare run's (the core
 * dump bit aside: the watchdog never dumps core itself); a record arrived
 * for crashes and none for non-crashes (--debug-records /
 * TMWATCH_DEBUG_RECORDS); the record is plausible: signal, sent-or-raised,
 * PC and SP equal to their registers, a stack copy starting at or above
 * SP, and the faulting PC inside the expected module of the module table
 * the watchdog read. Every run is bounded (tu_run). Argument: a cmocka
 * test-name filter ("*_wrapper").
 */
#define _GNU_SOURCE
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#include <dirent.h>
#include <poll.h>
#include <time.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "stackutil.h"
#include "testutil.h"

#define RUN_TIMEOUT_MS 30000

enum mode { WRAPPER = 1, PRELOAD = 2, LIBRARY = 4 };

struct scenario {
	const char *name;
	const char *prog;
	const char *arg;
	int modes;
	int records;		/* records expected */
	int signo;		/* in every record */
	int sent;		/* -1: do not check */
	const char *module;	/* basename of pc_module; "-": none */
	const char *exe;	/* basename of exe; NULL: prog */
	const char *thread;	/* thread_name, or NULL */
	const char *abort_has;	/* in abort_msg, or NULL */
	const char *err_has;	/* in stderr of both runs, or NULL */
	int no_record;		/* wrapper: a no-record note expected */
};

#define ALL (WRAPPER | PRELOAD | LIBRARY)
/* Library mode cannot reach these: a static binary, an exec'd program
 * that does not call tm_crash_monitor_start, a thread created with no
 * interposed pthread_create (no alternate stack). */
#define NOLIB (WRAPPER | PRELOAD)

static const struct scenario scenarios[] = {
	{ "null_read", "crash_null_read", NULL, ALL, 1, SIGSEGV, 0,
	  "crash_null_read" },
	{ "null_read_optimised", "crash_null_read_O2", NULL, NOLIB, 1, SIGSEGV,
	  0, "crash_null_read_O2" },
	{ "null_write", "crash_null_write", NULL, ALL, 1, SIGSEGV, 0,
	  "crash_null_write" },
	{ "sigbus_on_truncated_mmap", "crash_sigbus", NULL, ALL, 1, SIGBUS, 0,
	  "crash_sigbus" },
	{ "divide_by_zero", "crash_divzero", NULL, ALL, 1, SIGFPE, 0,
	  "crash_divzero" },
	{ "undefined_instruction", "crash_ud2", NULL, ALL, 1, SIGILL, 0,
	  "crash_ud2" },
	{ "breakpoint_trap", "crash_int3", NULL, ALL, 1, SIGTRAP, 0,
	  "crash_int3" },
	{ "abort", "crash_abort", NULL, ALL, 1, SIGABRT, 1, "libc.so.6" },
	{ "failed_assert", "crash_assert", NULL, ALL, 1, SIGABRT, 1,
	  "libc.so.6", NULL, NULL, "Assertion `x == 2' failed",
	  "Assertion" },
	{ "raise_of_sigsegv", "crash_raise", NULL, ALL, 1, SIGSEGV, 1,
	  "libc.so.6" },
	{ "kill_of_sigbus", "crash_kill", NULL, ALL, 1, SIGBUS, 1,
	  "libc.so.6" },
	{ "stack_overflow_on_main_thread", "crash_stack_overflow", NULL, ALL,
	  1, SIGSEGV, 0, "crash_stack_overflow" },
	{ "stack_overflow_on_new_thread", "crash_stack_overflow_thread", NULL,
	  NOLIB, 1, SIGSEGV, 0, "crash_stack_overflow_thread" },
	{ "null_write_in_late_thread", "crash_late_thread", NULL, ALL, 1,
	  SIGSEGV, 0, "crash_late_thread", NULL, "late-worker" },
	{ "two_threads_crashing_at_once_give_one_record", "crash_two_threads",
	  NULL, ALL, 1, SIGSEGV, 0, "crash_two_threads" },
	{ "heap_corruption_in_malloc", "crash_heap_corruption", NULL, ALL, 1,
	  SIGABRT, 1, "libc.so.6", NULL, NULL, "double free" },
	{ "crash_in_shared_library", "crash_in_shlib", NULL, ALL, 1, SIGSEGV,
	  0, "libcrash_shlib.so" },
	{ "crash_in_dlopened_constructor", "crash_dlopen_ctor", NULL, ALL, 1,
	  SIGSEGV, 0, "libcrash_ctor.so" },
	{ "call_through_null_function_pointer", "crash_null_funcptr", NULL,
	  ALL, 1, SIGSEGV, 0, "-" },
	{ "uncaught_cxx_exception", "crash_cxx_exception", NULL, NOLIB, 1,
	  SIGABRT, 1, "libc.so.6", NULL, NULL, NULL, "terminate called" },
	{ "crash_in_forked_child", "crash_fork_child", NULL, ALL, 1, SIGSEGV,
	  0, "crash_fork_child" },
	{ "crash_in_execed_grandchild", "crash_exec_grandchild", NULL, NOLIB, 1,
	  SIGSEGV, 0, "crash_null_write", "crash_null_write" },
	{ "own_handler_chains_and_is_reported", "crash_own_handler_chain",
	  NULL, ALL, 1, SIGSEGV, 0, "crash_own_handler_chain", NULL, NULL,
	  NULL, "own handler: stack dump" },
	{ "handler_that_recovers_is_not_reported", "crash_handler_recovers",
	  NULL, ALL, 0, 0, -1, NULL },
	/* Issue 8 §3: the inherited fd is gone; the shim reaches the
	 * watchdog through its named socket. */
	{ "closing_all_fds_still_reports_by_name", "crash_closes_fds", NULL,
	  ALL, 1, SIGSEGV, 0, "crash_closes_fds" },
	{ "blocked_signals_then_abort", "crash_blocks_signals", NULL, ALL, 1,
	  SIGABRT, 1, "libc.so.6" },
	{ "static_binary_has_no_record", "crash_null_write_static", NULL, NOLIB,
	  0, 0, -1, NULL, NULL, NULL, NULL, NULL, 1 },
	{ "sigkill_is_not_a_crash", "crash_sigkill", NULL, ALL, 0, 0, -1,
	  NULL },
	{ "normal_exit_is_not_a_crash", "crash_exit_status", "0", ALL, 0, 0,
	  -1, NULL },
	{ "nonzero_exit_is_not_a_crash", "crash_exit_status", "3", ALL, 0, 0,
	  -1, NULL },
	{ "twenty_children_crashing_at_once_give_twenty_records",
	  "crash_storm", "20", ALL, 20, SIGSEGV, 0, "crash_storm" },
	{ "asan_program_keeps_its_own_crash_report", "crash_null_write_asan",
	  NULL, WRAPPER, 0, 0, -1, NULL, NULL, NULL, NULL,
	  "AddressSanitizer: SEGV" },
	{ "null_write_in_dynamic_program", "crash_library_mode", NULL,
	  LIBRARY, 1, SIGSEGV, 0, "crash_library_mode" },
	{ "null_write_in_static_program", "crash_library_mode_static", NULL,
	  LIBRARY, 1, SIGSEGV, 0, "crash_library_mode_static" },
};

struct casedata {
	const struct scenario *sc;
	enum mode mode;
};

static const char *env_or_die(const char *name)
{
	const char *v = getenv(name);

	if (!v || !*v) {
		fprintf(stderr, "test_scenarios: %s is not set (run under "
			"ctest)\n", name);
		exit(1);
	}
	return v;
}

static char *example(const char *prog)
{
	return tu_path(env_or_die("TMWATCH_EXAMPLES"), prog);
}

static const char *base(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

/* The core-dump bit depends on RLIMIT_CORE, which the watchdog sets to
 * zero for itself; everything else must match. */
static int status_sans_core(int st)
{
	return WIFSIGNALED(st) ? (st & ~0x80) : st;
}

/* A record dump as "key value" lines (recorddump.c). */
struct dump {
	char *text;
};

static const char *field(const struct dump *d, const char *key,
			 char *out, size_t cap)
{
	size_t klen = strlen(key);
	const char *p = d->text;

	while (p && *p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);

		if (len > klen && strncmp(p, key, klen) == 0 &&
		    p[klen] == ' ') {
			size_t n = len - klen - 1;

			if (n >= cap)
				n = cap - 1;
			memcpy(out, p + klen + 1, n);
			out[n] = '\0';
			return out;
		}
		p = nl ? nl + 1 : NULL;
	}
	out[0] = '\0';
	return NULL;
}

static unsigned long long num(const struct dump *d, const char *key)
{
	char v[128];

	if (!field(d, key, v, sizeof(v)))
		fail_msg("record dump lacks '%s':\n%s", key, d->text);
	return strtoull(v, NULL, 0);
}

static int count_prefix(const char *dir, const char *prefix,
			const char *suffix, char ***names)
{
	DIR *dp = opendir(dir);
	struct dirent *e;
	int n = 0;

	*names = NULL;
	if (!dp)
		return 0;
	while ((e = readdir(dp))) {
		size_t l = strlen(e->d_name), sl = strlen(suffix);

		if (strncmp(e->d_name, prefix, strlen(prefix)) != 0 ||
		    l < sl || strcmp(e->d_name + l - sl, suffix) != 0)
			continue;
		*names = realloc(*names, sizeof(char *) * (size_t)(n + 1));
		(*names)[n++] = tu_path(dir, e->d_name);
	}
	closedir(dp);
	return n;
}

/* In library mode the crash examples run as their _libmode build (main
 * wrapped to call tm_crash_monitor_start); library-mode examples as is. */
static const char *program_of(const struct scenario *sc, enum mode mode)
{
	static char buf[256];

	if (mode != LIBRARY || strstr(sc->prog, "library_mode"))
		return sc->prog;
	snprintf(buf, sizeof(buf), "%s_libmode", sc->prog);
	return buf;
}

/* The module or exe name to expect: the program's own becomes its
 * _libmode build's in library mode. */
static const char *expected_name(const struct scenario *sc, enum mode mode,
				 const char *name)
{
	if (name && strcmp(name, sc->prog) == 0)
		return program_of(sc, mode);
	return name;
}

static void check_record(const struct scenario *sc, enum mode mode,
			 const char *path)
{
	const char *want_module = expected_name(sc, mode, sc->module);
	const char *want_exe = expected_name(sc, mode,
					     sc->exe ? sc->exe : sc->prog);

	struct dump d;
	char v[4096];

	d.text = tu_read_file(path, NULL);
	assert_non_null(d.text);
	assert_int_equal(num(&d, "signal"), sc->signo);
	if (sc->sent >= 0 && (int)num(&d, "sent") != sc->sent)
		fail_msg("sent: expected %d in\n%s", sc->sent, d.text);
#if defined(__x86_64__)
	/* PC and SP are the saved rip and rsp (DWARF 16 and 7). */
	assert_int_equal(num(&d, "pc"), num(&d, "reg16"));
	assert_int_equal(num(&d, "sp"), num(&d, "reg7"));
#endif
	if (num(&d, "stack_len") == 0 || num(&d, "stack_addr") < num(&d, "sp"))
		fail_msg("no plausible stack copy in\n%s", d.text);
	if (want_module) {
		field(&d, "pc_module", v, sizeof(v));
		if (strcmp(want_module, "-") == 0 ? strcmp(v, "-") != 0
		    : strcmp(base(v), want_module) != 0)
			fail_msg("faulting PC: expected module '%s', got '%s'",
				 want_module, v);
	}
	if (want_module && strcmp(want_module, "-") != 0) {
		/* The module table carries the faulting module's build-id
		 * (every example is linked with one). */
		char *line, *at;

		field(&d, "pc_module", v, sizeof(v));
		at = strstr(d.text, "\nmap ");
		line = NULL;
		while (at && !line) {
			char *nl = strchr(at + 1, '\n');
			size_t len = nl ? (size_t)(nl - at - 1)
					: strlen(at + 1);
			size_t vl = strlen(v);

			if (len > vl &&
			    strncmp(at + 1 + len - vl, v, vl) == 0)
				line = at + 1;
			at = nl;
		}
		if (!line || strstr(line, "build_id=")[9] == '-')
			fail_msg("no build-id for '%s' in the module "
				 "table:\n%s", v, d.text);
	}
	field(&d, "exe", v, sizeof(v));
	if (strcmp(base(v), want_exe) != 0)
		fail_msg("exe: expected '%s', got '%s'", want_exe, v);
	if (sc->thread) {
		field(&d, "thread_name", v, sizeof(v));
		assert_string_equal(v, sc->thread);
	}
	if (sc->abort_has) {
		field(&d, "abort_msg", v, sizeof(v));
		if (!strstr(v, sc->abort_has))
			fail_msg("abort_msg: expected '%s' in '%s'",
				 sc->abort_has, v);
	}
	free(d.text);
}

static const char *signame(int sig)
{
	switch (sig) {
	case SIGSEGV: return "SIGSEGV";
	case SIGBUS: return "SIGBUS";
	case SIGFPE: return "SIGFPE";
	case SIGILL: return "SIGILL";
	case SIGABRT: return "SIGABRT";
	case SIGTRAP: return "SIGTRAP";
	default: return "SIG?";
	}
}

/* Checks every stack counter of a `tmwatch telemetry dump` (a "N\tNAME"
 * line, then one "\t  FRAME" line per frame) with su_offsets_are_sane:
 * no frame of any scenario carries an address. */
static void check_offsets(const char *dump)
{
	char *copy = strdup(dump), *save = NULL, *line, *name = NULL, *why;
	size_t len = 0;

	for (line = strtok_r(copy, "\n", &save);;
	     line = strtok_r(NULL, "\n", &save)) {
		int is_frame = line && strncmp(line, "\t  ", 3) == 0;

		if (name && !is_frame) {
			if (!su_offsets_are_sane(name, &why))
				fail_msg("%s\n--- %s", name, why);
			free(name);
			name = NULL;
		}
		if (!line)
			break;
		if (is_frame && name) {
			name = realloc(name, len + strlen(line) + 2);
			len += (size_t)sprintf(name + len, "\n%s", line + 3);
		} else if (!is_frame && line[0] != '#' && strchr(line, '\t')) {
			name = strdup(strchr(line, '\t') + 1);
			len = strlen(name);
		}
	}
	free(copy);
}

/* The watchdog counts crash/signal:NAME (and crash/no-record:NAME) into
 * the crashing program's file in the fresh store of this test. */
static void check_counted(const char *counter)
{
	char *argv[] = { (char *)env_or_die("TMWATCH_BIN"), "telemetry",
			 "dump", NULL };
	char *out = NULL;
	int st = tu_run(argv, NULL, &out, NULL, RUN_TIMEOUT_MS);

	assert_int_equal(st, 0);
	if (!strstr(out, counter))
		fail_msg("counter '%s' not in the store:\n%s", counter, out);
	check_offsets(out);
	free(out);
}

static void run_case(void **state)
{
	const struct casedata *cd = *state;
	const struct scenario *sc = cd->sc;
	char *dir = tu_tmpdir("scenario");
	char *prog = example(program_of(sc, cd->mode));
	char *dbg, *out_b = NULL, *err_b = NULL, *out_m = NULL, *err_m = NULL;
	char *bare_argv[] = { prog, (char *)sc->arg, NULL };
	char *wrap_argv[] = { (char *)env_or_die("TMWATCH_BIN"),
			      "--debug-records", dir, prog, (char *)sc->arg,
			      NULL };
	char *bare_env[] = { "LD_PRELOAD", "TMWATCH_FD", "TMWATCH_FD_INO",
			     "TMWATCH_DEBUG_RECORDS", "TMWATCH_DISABLE=1",
			     NULL };
	char *store;
	char *mode_env[6] = { "TMWATCH_FD", "TMWATCH_FD_INO", NULL };
	char **names;
	int st_b, st_m, n, i;

	if (access(prog, X_OK) != 0 && strstr(sc->prog, "_asan")) {
		free(prog);
		tu_rmrf(dir);
		free(dir);
		skip(); /* the compiler has no AddressSanitizer */
	}
	store = tu_fresh_store("scenario-store");
	if (asprintf(&dbg, "TMWATCH_DEBUG_RECORDS=%s", dir) < 0)
		fail();
	st_b = tu_run(bare_argv, bare_env, &out_b, &err_b, RUN_TIMEOUT_MS);
	if (st_b == -1)
		fail_msg("bare run of %s did not end within %d ms", sc->prog,
			 RUN_TIMEOUT_MS);
	if (cd->mode == WRAPPER) {
		mode_env[2] = "LD_PRELOAD";
		st_m = tu_run(wrap_argv, mode_env, &out_m, &err_m,
			      RUN_TIMEOUT_MS);
	} else {
		char *pre = NULL;

		if (cd->mode == PRELOAD &&
		    asprintf(&pre, "LD_PRELOAD=%s",
			     env_or_die("TMWATCH_SHIM")) < 0)
			fail();
		mode_env[2] = dbg;
		mode_env[3] = cd->mode == PRELOAD ? pre : "LD_PRELOAD";
		st_m = tu_run(bare_argv, mode_env, &out_m, &err_m,
			      RUN_TIMEOUT_MS);
		free(pre);
	}
	if (st_m == -1)
		fail_msg("%s under tmwatch did not end within %d ms", sc->prog,
			 RUN_TIMEOUT_MS);
	if (status_sans_core(st_m) != status_sans_core(st_b)) {
		char b[64];

		snprintf(b, sizeof(b), "%s", tu_describe_status(st_b));
		fail_msg("%s: bare run ended with %s, under tmwatch with %s\n"
			 "stderr under tmwatch:\n%s", sc->prog, b,
			 tu_describe_status(st_m), err_m);
	}
	if (sc->err_has && (!strstr(err_b, sc->err_has) ||
			    !strstr(err_m, sc->err_has)))
		fail_msg("expected '%s' on stderr of both runs; bare:\n%s\n"
			 "under tmwatch:\n%s", sc->err_has, err_b, err_m);
	if (strcmp(out_b, out_m) != 0)
		fail_msg("stdout differs: bare '%s', under tmwatch '%s'",
			 out_b, out_m);
	n = count_prefix(dir, "record-", ".txt", &names);
	if (n != sc->records)
		fail_msg("%s: expected %d record(s), got %d",
			 program_of(sc, cd->mode), sc->records, n);
	for (i = 0; i < n; i++) {
		check_record(sc, cd->mode, names[i]);
		free(names[i]);
	}
	free(names);
	n = count_prefix(dir, "malformed-", ".txt", &names);
	assert_int_equal(n, 0);
	free(names);
	if (cd->mode == WRAPPER) {
		n = count_prefix(dir, "no-record-", ".txt", &names);
		for (i = 0; i < n; i++)
			free(names[i]);
		free(names);
		assert_int_equal(n, sc->no_record);
		if (sc->no_record)
			check_counted("crash/no-record:SIGSEGV");
	}
	if (sc->records > 0) {
		char counter[64];

		snprintf(counter, sizeof(counter), "crash/signal:%s",
			 signame(sc->signo));
		check_counted(counter);
	}
	free(out_b);
	free(err_b);
	free(out_m);
	free(err_m);
	free(dbg);
	free(prog);
	tu_rmrf(dir);
	free(dir);
	tu_rmrf(store);
	free(store);
}

/* --- transparency and modes, beyond crashes ------------------------- */

static void command_not_found_exits_127_misc(void **state)
{
	char *argv[] = { (char *)env_or_die("TMWATCH_BIN"),
			 "tmwatch-no-such-command", NULL };
	char *err = NULL;
	int st = tu_run(argv, NULL, NULL, &err, RUN_TIMEOUT_MS);

	(void)state;
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 127);
	assert_string_equal(err, "tmwatch: 'tmwatch-no-such-command': "
			    "command not found\n");
	free(err);
}

static void not_executable_exits_126_misc(void **state)
{
	char *dir = tu_tmpdir("noexec");
	char *file = tu_path(dir, "script");
	char *argv[] = { (char *)env_or_die("TMWATCH_BIN"), file, NULL };
	char *err = NULL, *want;
	int st;

	(void)state;
	assert_int_equal(tu_write_file(file, "#!/bin/sh\n", 10), 0);
	st = tu_run(argv, NULL, NULL, &err, RUN_TIMEOUT_MS);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 126);
	if (asprintf(&want, "tmwatch: cannot run '%s': permission denied\n",
		     file) < 0)
		fail();
	assert_string_equal(err, want);
	free(want);
	free(err);
	tu_rmrf(dir);
	free(file);
	free(dir);
}

static void unknown_option_is_a_usage_error_misc(void **state)
{
	char *argv[] = { (char *)env_or_die("TMWATCH_BIN"), "--no-such-option",
			 "true", NULL };
	int st = tu_run(argv, NULL, NULL, NULL, RUN_TIMEOUT_MS);

	(void)state;
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 2);
}

static void disable_runs_program_without_watchdog_misc(void **state)
{
	char *dir = tu_tmpdir("disable");
	char *prog = example("crash_null_write");
	char *argv[] = { (char *)env_or_die("TMWATCH_BIN"), "--debug-records",
			 dir, prog, NULL };
	char *env[] = { "TMWATCH_DISABLE=1", NULL };
	char **names;
	int st = tu_run(argv, env, NULL, NULL, RUN_TIMEOUT_MS);

	(void)state;
	assert_true(WIFSIGNALED(st));
	assert_int_equal(WTERMSIG(st), SIGSEGV);
	assert_int_equal(count_prefix(dir, "", ".txt", &names), 0);
	free(names);
	tu_rmrf(dir);
	free(dir);
	free(prog);
}

/* SIG sent to the watchdog's PID alone reaches the child; the watchdog
 * then dies of it too. Returns the number of records DIR got. */
static int forward_to_child(int sig, const char *dir)
{
	char *prog = example("signal_counter");
	int ready[2], hold[2], st, n, i;
	char c, **names;
	pid_t pid;

	/* signal_counter says "ready" from main, so the shim is in place;
	 * it then blocks reading HOLD until the test ends. */
	assert_int_equal(pipe(ready), 0);
	assert_int_equal(pipe(hold), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(ready[1], 1);
		dup2(hold[0], 0);
		close(ready[0]);
		close(hold[1]);
		execl(env_or_die("TMWATCH_BIN"), "tmwatch", "--debug-records",
		      dir, prog, (char *)NULL);
		_exit(127);
	}
	close(ready[1]);
	close(hold[0]);
	/* Bounded: tu_wait below kills the watchdog if anything hangs. */
	assert_int_equal(read(ready[0], &c, 1), 1);
	assert_int_equal(kill(pid, sig), 0);
	assert_int_equal(tu_wait(pid, &st, RUN_TIMEOUT_MS), 0);
	close(ready[0]);
	close(hold[1]);
	free(prog);
	assert_true(WIFSIGNALED(st));
	assert_int_equal(WTERMSIG(st), sig);
	n = count_prefix(dir, "record-", ".txt", &names);
	for (i = 0; i < n; i++) {
		struct dump d = { tu_read_file(names[i], NULL) };

		assert_int_equal(num(&d, "sent"), 1);
		assert_int_equal(num(&d, "sender_pid"), pid);
		free(d.text);
		free(names[i]);
	}
	free(names);
	return n;
}

static void sigterm_to_watchdog_is_forwarded_misc(void **state)
{
	char *dir = tu_tmpdir("forward");

	(void)state;
	assert_int_equal(forward_to_child(SIGTERM, dir), 0);
	tu_rmrf(dir);
	free(dir);
}

/* A crash signal sent to the watchdog is forwarded too: the child dies
 * of it, reported as sent (by the watchdog). */
static void sigsegv_to_watchdog_is_forwarded_misc(void **state)
{
	char *dir = tu_tmpdir("forward");

	(void)state;
	assert_int_equal(forward_to_child(SIGSEGV, dir), 1);
	tu_rmrf(dir);
	free(dir);
}

static void keeps_argv0_and_environment_preload_only(void **state)
{
	char *prog = example("crash_exit_status");
	char *argv[] = { prog, "5", NULL };
	char *pre, *out = NULL, *want;
	char *env[] = { NULL, "SHOW_ARGS=1", "SHOW_VALUE=kept as is",
			"TMWATCH_FD", "TMWATCH_FD_INO", NULL };
	int st;

	(void)state;
	if (asprintf(&pre, "LD_PRELOAD=%s", env_or_die("TMWATCH_SHIM")) < 0)
		fail();
	env[0] = pre;
	st = tu_run(argv, env, &out, NULL, RUN_TIMEOUT_MS);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 5);
	if (asprintf(&want, "argv0=%s value=kept as is\n", prog) < 0)
		fail();
	assert_string_equal(out, want);
	free(want);
	free(out);
	free(pre);
	free(prog);
}

static void missing_watchdog_runs_unmonitored_with_one_line_preload_only(
	void **state)
{
	char *prog = example("crash_exit_status");
	char *argv[] = { prog, "4", NULL };
	char *pre, *err = NULL;
	char *env[] = { NULL, "TMWATCH_BIN=/nonexistent/tmwatch",
			"TMWATCH_FD", "TMWATCH_FD_INO", "TMWATCH_QUIET", NULL };
	int st;

	(void)state;
	if (asprintf(&pre, "LD_PRELOAD=%s", env_or_die("TMWATCH_SHIM")) < 0)
		fail();
	env[0] = pre;
	st = tu_run(argv, env, NULL, &err, RUN_TIMEOUT_MS);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 4);
	assert_string_equal(err, "tmwatch: cannot find the tmwatch watchdog "
			    "(set TMWATCH_BIN); running 'crash_exit_status' "
			    "without crash reporting\n");
	free(err);
	free(pre);
	free(prog);
}

static void start_returns_disabled_under_disable_library(void **state)
{
	char *prog = example("crash_library_mode_static");
	char *argv[] = { prog, "status", NULL };
	char *env[] = { "TMWATCH_DISABLE=1", "TMWATCH_FD", NULL };
	char *out = NULL;
	int st = tu_run(argv, env, &out, NULL, RUN_TIMEOUT_MS);

	(void)state;
	assert_true(WIFEXITED(st));
	assert_string_equal(out, "start -1015\n"); /* TM_EDISABLED */
	free(out);
	free(prog);
}

/* The watchdog is SIGKILLed; its child crashes afterwards and must die
 * at once (EPIPE on the channel), not wait out the ack bound. The pipe
 * reaches EOF when the orphan has died. */
static void crash_after_watchdog_died_dies_at_once_misc(void **state)
{
	char *prog = example("crash_null_write");
	char *script;
	int out[2], in[2], st;
	char buf[256];
	ssize_t n;
	pid_t pid;
	struct timespec t0, t1;
	long ms;

	(void)state;
	/* The watchdog's own child dies with it (PR_SET_PDEATHSIG, as bare
	 * under a supervisor); a grandchild outlives it, and its crash then
	 * finds no watchdog. fd 3: an asynchronous list's stdin is
	 * /dev/null. */
	if (asprintf(&script, "exec 3<&0; (read x <&3; exec '%s') & "
		     "echo ready; wait", prog) < 0)
		fail();
	signal(SIGPIPE, SIG_IGN);

	assert_int_equal(pipe(out), 0);
	assert_int_equal(pipe(in), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(out[1], 1);
		dup2(in[0], 0);
		close(out[0]);
		close(in[1]);
		execl(env_or_die("TMWATCH_BIN"), "tmwatch", "/bin/sh", "-c",
		      script, (char *)NULL);
		_exit(127);
	}
	close(out[1]);
	close(in[0]);
	assert_int_equal(read(out[0], buf, 6), 6);
	assert_int_equal(kill(pid, SIGKILL), 0);
	assert_int_equal(tu_wait(pid, &st, RUN_TIMEOUT_MS), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(write(in[1], "go\n", 3), 3);
	/* EOF once the orphaned child, the pipe's last writer, is dead. */
	for (;;) {
		struct pollfd p = { out[0], POLLIN, 0 };

		if (poll(&p, 1, RUN_TIMEOUT_MS) <= 0)
			fail_msg("orphaned child still alive after %d ms",
				 RUN_TIMEOUT_MS);
		n = read(out[0], buf, sizeof(buf));
		if (n <= 0)
			break;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (t1.tv_sec - t0.tv_sec) * 1000 +
	     (t1.tv_nsec - t0.tv_nsec) / 1000000;
	if (ms >= 2000)
		fail_msg("orphan took %ld ms to die: it waited for a dead "
			 "watchdog", ms);
	close(out[0]);
	close(in[1]);
	free(script);
	free(prog);
}

/* With core dumps allowed, the child may dump core but the watchdog,
 * dying of the same signal, must not. */
static void watchdog_dumps_no_core_misc(void **state)
{
	char *dir = tu_tmpdir("core");
	char *prog = example("crash_null_write");
	int st;
	pid_t pid;

	(void)state;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct rlimit all = { RLIM_INFINITY, RLIM_INFINITY };

		if (chdir(dir) != 0)
			_exit(126);
		setrlimit(RLIMIT_CORE, &all);
		execl(env_or_die("TMWATCH_BIN"), "tmwatch", prog, (char *)NULL);
		_exit(127);
	}
	assert_int_equal(tu_wait(pid, &st, RUN_TIMEOUT_MS), 0);
	assert_true(WIFSIGNALED(st));
	assert_int_equal(WTERMSIG(st), SIGSEGV);
	assert_false(WCOREDUMP(st));
	tu_rmrf(dir);
	free(dir);
	free(prog);
}

static void disable_keeps_shim_passive_preload_only(void **state)
{
	char *dir = tu_tmpdir("disable-preload");
	char *prog = example("crash_null_write");
	char *argv[] = { prog, NULL };
	char *pre, *dbg, **names;
	char *env[] = { NULL, NULL, "TMWATCH_DISABLE=1", "TMWATCH_FD",
			"TMWATCH_FD_INO", NULL };
	int st;

	(void)state;
	if (asprintf(&pre, "LD_PRELOAD=%s", env_or_die("TMWATCH_SHIM")) < 0 ||
	    asprintf(&dbg, "TMWATCH_DEBUG_RECORDS=%s", dir) < 0)
		fail();
	env[0] = pre;
	env[1] = dbg;
	st = tu_run(argv, env, NULL, NULL, RUN_TIMEOUT_MS);
	assert_true(WIFSIGNALED(st));
	assert_int_equal(WTERMSIG(st), SIGSEGV);
	assert_int_equal(count_prefix(dir, "", ".txt", &names), 0);
	free(names);
	tu_rmrf(dir);
	free(dir);
	free(pre);
	free(dbg);
	free(prog);
}

/* A child sending a bad record: the watchdog must not hang or die, must
 * keep a malformed note (with the reason) and count crash/malformed, and
 * the child's own exit status still comes through. */
static void bad_record(const char *how, const char *reason, int acked,
		       const char *counter)
{
	char *dir = tu_tmpdir("malformed");
	char *store = tu_fresh_store("malformed-store");
	char *argv[] = { (char *)env_or_die("TMWATCH_BIN"), "--debug-records",
			 dir, HELPER_BAD_RECORD, (char *)how, NULL };
	char *out = NULL, **names, *text;
	int st, n, i;

	st = tu_run(argv, NULL, &out, NULL, RUN_TIMEOUT_MS);
	if (st == -1)
		fail_msg("watchdog hung on a '%s' record", how);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	assert_string_equal(out, acked ? "acked\n" : "no ack\n");
	n = count_prefix(dir, "malformed-", ".txt", &names);
	if (reason) {
		assert_int_equal(n, 1);
		text = tu_read_file(names[0], NULL);
		if (!strstr(text, reason))
			fail_msg("expected reason '%s' in:\n%s", reason, text);
		free(text);
		if (counter)
			check_counted(counter);
	} else {
		assert_int_equal(n, 0);
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	free(out);
	tu_rmrf(dir);
	tu_rmrf(store);
	free(dir);
	free(store);
}

static void garbage_record_is_counted_as_malformed_misc(void **state)
{
	(void)state;
	bad_record("garbage", "malformed incomplete record", 1,
		   "crash/malformed");
}

static void oversized_record_is_refused_unread_misc(void **state)
{
	(void)state;
	bad_record("huge", "malformed incomplete record", 1,
		   "crash/malformed");
}

static void silent_child_is_given_up_on_misc(void **state)
{
	(void)state;
	/* Given up after INTAKE_READ_TIMEOUT_MS and noted; nothing is
	 * counted for the child itself: its death says whether it crashed
	 * (crash/no-record then), and this one exits 0. */
	bad_record("silent", "malformed incomplete record", 1, NULL);
}

static void hello_without_socket_is_dropped_misc(void **state)
{
	(void)state;
	bad_record("nofd", NULL, 0, NULL);
}

static const char *mode_name(enum mode m)
{
	return m == WRAPPER ? "wrapper" : m == PRELOAD ? "preload_only"
						       : "library";
}

int main(int argc, char **argv)
{
	size_t ns = sizeof(scenarios) / sizeof(scenarios[0]), i, n = 0;
	static const struct CMUnitTest misc[] = {
		cmocka_unit_test(command_not_found_exits_127_misc),
		cmocka_unit_test(not_executable_exits_126_misc),
		cmocka_unit_test(unknown_option_is_a_usage_error_misc),
		cmocka_unit_test(disable_runs_program_without_watchdog_misc),
		cmocka_unit_test(sigterm_to_watchdog_is_forwarded_misc),
		cmocka_unit_test(sigsegv_to_watchdog_is_forwarded_misc),
		cmocka_unit_test(keeps_argv0_and_environment_preload_only),
		cmocka_unit_test(
		  missing_watchdog_runs_unmonitored_with_one_line_preload_only),
		cmocka_unit_test(start_returns_disabled_under_disable_library),
		cmocka_unit_test(crash_after_watchdog_died_dies_at_once_misc),
		cmocka_unit_test(watchdog_dumps_no_core_misc),
		cmocka_unit_test(disable_keeps_shim_passive_preload_only),
		cmocka_unit_test(garbage_record_is_counted_as_malformed_misc),
		cmocka_unit_test(oversized_record_is_refused_unread_misc),
		cmocka_unit_test(silent_child_is_given_up_on_misc),
		cmocka_unit_test(hello_without_socket_is_dropped_misc),
	};
	size_t nm = sizeof(misc) / sizeof(misc[0]);
	struct CMUnitTest *tests = calloc(ns * 3 + nm, sizeof(*tests));
	struct casedata *cds = calloc(ns * 3, sizeof(*cds));
	struct rlimit nocore = { 0, 0 };
	enum mode m;

	/* Bare crashes must not litter the build tree with core files. */
	setrlimit(RLIMIT_CORE, &nocore);
	for (i = 0; i < ns; i++) {
		for (m = WRAPPER; m <= LIBRARY; m <<= 1) {
			char *name;

			if (!(scenarios[i].modes & m))
				continue;
			if (asprintf(&name, "%s_%s", scenarios[i].name,
				     mode_name(m)) < 0)
				return 1;
			cds[n].sc = &scenarios[i];
			cds[n].mode = m;
			tests[n].name = name;
			tests[n].test_func = run_case;
			tests[n].initial_state = &cds[n];
			n++;
		}
	}
	for (i = 0; i < nm; i++)
		tests[n++] = misc[i];
	if (argc > 1)
		cmocka_set_test_filter(argv[1]);
	return _cmocka_run_group_tests("scenarios", tests, n, NULL, NULL);
}
