/* SPDX-License-Identifier: MIT */
/* test_transparency.c -- the program's own signal handling under the shim
 * behaves as bare: abort() after a SIGABRT handler returned or with
 * SIGABRT ignored, handlers installed with the signal(3) variants, the
 * stack a program handler runs on and what sigaltstack() tells it, stack
 * overflows with a handler, and fault signals that do not fault again.
 *
 * Each case runs an example bare (TMWATCH_DISABLE=1) and under tmwatch in
 * one mode (wrapper, preload-only) in the same test, with a fresh store
 * and TMWATCH_DEBUG_RECORDS, and asserts: the bare run ended as the case
 * says (so the comparison means something), the tmwatch run ended the
 * same way (the core bit aside: the watchdog never dumps core), stdout is
 * the same exact text, the number of records, and the exact crash/crash
 * counter (or none), never a crash/no-record. Argument: a cmocka
 * test-name filter ("*_wrapper").
 */
#define _GNU_SOURCE
#include <dirent.h>
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

#include <cmocka.h>

#include "stackutil.h"
#include "testutil.h"

#define RUN_TIMEOUT_MS 30000
#define LINES_MAX 12

enum mode { WRAPPER = 1, PRELOAD = 2 };

struct transparency_case {
	const char *name;
	const char *prog;
	const char *arg;
	int signo;		/* bare dies of it; 0: exits with status */
	int status;		/* bare's exit status when signo is 0 */
	const char *out;	/* the exact stdout of both runs */
	int records;		/* records under tmwatch */
	const char *lines[LINES_MAX]; /* crash/crash frames; none: no crash */
};

/* Where a stack overflow faults: as test_stacks.c's OVERFLOW. */
#define OVERFLOW \
	"recurse:\\+[1-5]," SU_HEX, "*" SU_F("recurse", 5), "…"
#define STACK_OUT(where, during) \
	"before: altstack " during "\n" \
	"handler: " where "; altstack " during "\n" \
	"after: altstack " during "; recovered 100 times\n"

static const struct transparency_case cases[] = {
	/* Item 1: glibc's abort() resets SIGABRT behind the interposers. */
	{ "abort_after_returning_sigabrt_handler_is_recorded",
	  "crash_abort_after_handler", "returns", SIGABRT, 0,
	  "handler returns\n", 1,
	  { SU_F("give_up", 2), SU_F("main", 13), SU_MAIN_TAIL } },
	{ "abort_with_sigabrt_ignored_is_recorded",
	  "crash_abort_after_handler", "ignored", SIGABRT, 0, "", 1,
	  { SU_F("give_up", 2), SU_F("main", 13), SU_MAIN_TAIL } },
	{ "raise_of_sigabrt_with_returning_handler_goes_on",
	  "crash_abort_after_handler", "raise", 0, 0,
	  "handler returns\nsurvived\n", 0, { NULL } },
	{ "sigset_handler_that_restores_default_is_recorded",
	  "crash_legacy_signal", "sigset", SIGSEGV, 0, "handler ran\n", 1,
	  { SU_F("write_null", 2), SU_F("main", 14), SU_MAIN_TAIL } },
	{ "sysv_signal_handler_runs_once_then_recorded",
	  "crash_legacy_signal", "sysv_signal", SIGSEGV, 0, "handler ran\n",
	  1, { SU_F("write_null", 2), SU_F("main", 14), SU_MAIN_TAIL } },
	{ "bsd_signal_handler_that_restores_default_is_recorded",
	  "crash_legacy_signal", "bsd_signal", SIGSEGV, 0, "handler ran\n",
	  1, { SU_F("write_null", 2), SU_F("main", 14), SU_MAIN_TAIL } },
	{ "ssignal_handler_that_restores_default_is_recorded",
	  "crash_legacy_signal", "ssignal", SIGSEGV, 0, "handler ran\n", 1,
	  { SU_F("write_null", 2), SU_F("main", 14), SU_MAIN_TAIL } },
	{ "xopen_signal_handler_runs_once_then_recorded",
	  "crash_legacy_signal", "__sysv_signal", SIGSEGV, 0,
	  "handler ran\n", 1,
	  { SU_F("write_null", 2), SU_F("main", 14), SU_MAIN_TAIL } },
	/* Item 2: the program's handler on the stack bare would use. */
	{ "handler_without_sa_onstack_runs_on_thread_stack",
	  "crash_handler_stack", "thread_stack", 0, 0,
	  STACK_OUT("thread stack", "disabled"), 0, { NULL } },
	{ "sa_onstack_handler_without_altstack_runs_on_thread_stack",
	  "crash_handler_stack", "onstack_without_altstack", 0, 0,
	  STACK_OUT("thread stack", "disabled"), 0, { NULL } },
	{ "sa_onstack_handler_runs_on_program_altstack",
	  "crash_handler_stack", "own_altstack", 0, 0,
	  "before: altstack own, not on it\n"
	  "handler: own altstack; altstack own, on it\n"
	  "after: altstack own, not on it; recovered 100 times\n", 0,
	  { NULL } },
	{ "handler_in_new_thread_runs_on_its_stack",
	  "crash_handler_stack", "in_thread", 0, 0,
	  STACK_OUT("thread stack", "disabled"), 0, { NULL } },
	{ "sigaltstack_reports_program_settings_never_the_shims",
	  "sigaltstack_view", NULL, 0, 0,
	  "start: disabled\n"
	  "set: ok; own, 65536 bytes\n"
	  "bad flags: EINVAL\n"
	  "too small: ENOMEM; own, 65536 bytes\n"
	  "in SIGUSR1 handler: own, 65536 bytes, on it; change: EPERM\n"
	  "in SIGSEGV handler: own, 65536 bytes, on it; change: EPERM\n"
	  "after: own, 65536 bytes\n"
	  "disable: ok; disabled\n"
	  "new thread: disabled\n", 0, { NULL } },
	{ "nested_fault_in_handler_on_thread_stack_recovers",
	  "crash_handler_stack", "nested", 0, 0,
	  "before: altstack disabled\n"
	  "handler: thread stack; altstack disabled\n"
	  "nested handler: thread stack\n"
	  "after: altstack disabled; recovered 100 times\n", 0, { NULL } },
	/* Both runs return through the contexts the kernel saved: our
	 * frame, live on the alternate stack meanwhile, must survive. */
	{ "nested_fault_repaired_in_handler_returns_through_both_frames",
	  "crash_nested_repair", "plain", 0, 0, "repaired 100 times\n", 0,
	  { NULL } },
	{ "nested_fault_repaired_with_program_altstack_unused",
	  "crash_nested_repair", "with_altstack", 0, 0,
	  "repaired 100 times\n", 0, { NULL } },
	{ "stack_overflow_with_handler_and_no_altstack_is_recorded",
	  "crash_overflow_with_handler", "no_altstack", SIGSEGV, 0, "", 1,
	  { OVERFLOW } },
	{ "stack_overflow_runs_handler_on_program_altstack",
	  "crash_overflow_with_handler", "own_altstack", 0, 3,
	  "handler ran\n", 0, { NULL } },
	{ "stack_overflow_handler_on_small_program_altstack_chains",
	  "crash_overflow_with_handler", "small_altstack_chains", SIGSEGV, 0,
	  "handler ran\n", 1, { OVERFLOW } },
	/* Item 3: no refault after the handler, still the bare death. */
	{ "queued_sigbus_mceerr_ao_kills_and_is_recorded",
	  "crash_queued_fault", "sigbus_mceerr_ao", SIGBUS, 0, "", 1,
	  { "(syscall|libc\\.so\\.6)" SU_ANY_FORM, SU_F("queue", 8),
	    SU_F("main", 5), SU_MAIN_TAIL } },
	{ "queued_sigsegv_kills_and_is_recorded",
	  "crash_queued_fault", "sigsegv", SIGSEGV, 0, "", 1,
	  { "(syscall|libc\\.so\\.6)" SU_ANY_FORM, SU_F("queue", 8),
	    SU_F("main", 3), SU_MAIN_TAIL } },
};

struct casedata {
	const struct transparency_case *tc;
	enum mode mode;
};

static int status_sans_core(int st)
{
	return WIFSIGNALED(st) ? (st & ~0x80) : st;
}

static int count_records(const char *dir)
{
	DIR *dp = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (!dp)
		return 0;
	while ((e = readdir(dp))) {
		size_t len = strlen(e->d_name);

		/* record-*.txt, the dump of each record (recorddump.c). */
		if (strncmp(e->d_name, "record-", 7) == 0 && len > 4 &&
		    strcmp(e->d_name + len - 4, ".txt") == 0)
			n++;
	}
	closedir(dp);
	return n;
}

static void check_bare(const struct transparency_case *tc, int st)
{
	if (st == -1)
		fail_msg("bare run of %s %s did not end within %d ms",
			 tc->prog, tc->arg, RUN_TIMEOUT_MS);
	if (tc->signo ? !WIFSIGNALED(st) || WTERMSIG(st) != tc->signo
		      : !WIFEXITED(st) || WEXITSTATUS(st) != tc->status)
		fail_msg("bare run of %s %s ended with %s, not as the case "
			 "says", tc->prog, tc->arg, tu_describe_status(st));
}

static void check_counters(const struct transparency_case *tc,
			   const char *store)
{
	char **names, **progs;
	uint64_t *values;
	size_t n, i;

	n = su_counters(store, "crash/no-record:", &names, &values, &progs);
	if (n != 0)
		fail_msg("%s %s: counted '%s' although it was recorded",
			 tc->prog, tc->arg, names[0]);
	su_free_list(names, n);
	su_free_list(progs, n);
	free(values);
	n = su_counters(store, "crash/crash", &names, &values, &progs);
	if (!tc->lines[0]) {
		if (n != 0)
			fail_msg("%s %s: expected no crash, counted\n%s",
				 tc->prog, tc->arg, names[0]);
	} else if (n != 1) {
		fprintf(stderr, "%s %s: expected one crash/crash counter, got "
			"%zu:\n", tc->prog, tc->arg, n);
		for (i = 0; i < n; i++)
			fprintf(stderr, "%s\n", names[i]);
		fail();
	} else if (!su_match(names[0], tc->lines)) {
		char *want = su_lines(tc->lines);

		fail_msg("%s %s: recorded name\n%s\n--- does not match the "
			 "expected lines\ncrash/crash\n%s", tc->prog, tc->arg,
			 names[0], want);
	} else if (values[0] != 1 || strcmp(progs[0], tc->prog) != 0) {
		fail_msg("%s %s: counted %llu in the file of '%s'", tc->prog,
			 tc->arg, (unsigned long long)values[0], progs[0]);
	}
	su_free_list(names, n);
	su_free_list(progs, n);
	free(values);
}

static void run_case(void **state)
{
	const struct casedata *cd = *state;
	const struct transparency_case *tc = cd->tc;
	char *prog = su_example(tc->prog);
	char *store = tu_fresh_store("transparency-store");
	char *state_dir = tu_tmpdir("transparency-state");
	char *dir = tu_tmpdir("transparency-records");
	char *bare_argv[] = { prog, (char *)tc->arg, NULL };
	char *wrap_argv[] = { (char *)su_env_or_die("TMWATCH_BIN"), "-q",
			      prog, (char *)tc->arg, NULL };
	char *bare_env[] = { "LD_PRELOAD", "TMWATCH_FD", "TMWATCH_FD_INO",
			     "TMWATCH_DEBUG_RECORDS", "TMWATCH_DISABLE=1",
			     NULL };
	char *env[] = { "TMWATCH_FD", "TMWATCH_FD_INO", "LD_PRELOAD", NULL,
			NULL, "TMWATCH_QUIET=1", NULL };
	char *xdg, *dbg, *pre = NULL;
	char *out_b = NULL, *out_m = NULL, *err_m = NULL;
	int st_b, st_m, n;

	if (asprintf(&xdg, "XDG_STATE_HOME=%s", state_dir) < 0 ||
	    asprintf(&dbg, "TMWATCH_DEBUG_RECORDS=%s", dir) < 0)
		fail();
	env[3] = xdg;
	env[4] = dbg;
	st_b = tu_run(bare_argv, bare_env, &out_b, NULL, RUN_TIMEOUT_MS);
	check_bare(tc, st_b);
	if (cd->mode == PRELOAD) {
		if (asprintf(&pre, "LD_PRELOAD=%s",
			     su_env_or_die("TMWATCH_SHIM")) < 0)
			fail();
		env[2] = pre;
		st_m = tu_run(bare_argv, env, &out_m, &err_m, RUN_TIMEOUT_MS);
	} else {
		st_m = tu_run(wrap_argv, env, &out_m, &err_m, RUN_TIMEOUT_MS);
	}
	if (st_m == -1)
		fail_msg("%s %s under tmwatch did not end within %d ms",
			 tc->prog, tc->arg, RUN_TIMEOUT_MS);
	if (status_sans_core(st_m) != status_sans_core(st_b)) {
		char b[64];

		snprintf(b, sizeof(b), "%s", tu_describe_status(st_b));
		fail_msg("%s %s: bare run ended with %s, under tmwatch with "
			 "%s\nstderr under tmwatch:\n%s", tc->prog, tc->arg, b,
			 tu_describe_status(st_m), err_m);
	}
	if (strcmp(out_b, tc->out) != 0 || strcmp(out_m, tc->out) != 0)
		fail_msg("%s %s: stdout expected\n%s--- bare\n%s--- under "
			 "tmwatch\n%s", tc->prog, tc->arg, tc->out, out_b,
			 out_m);
	n = count_records(dir);
	if (n != tc->records)
		fail_msg("%s %s: expected %d record(s), got %d", tc->prog,
			 tc->arg, tc->records, n);
	check_counters(tc, store);
	free(out_b);
	free(out_m);
	free(err_m);
	free(pre);
	free(xdg);
	free(dbg);
	free(prog);
	tu_rmrf(store);
	tu_rmrf(state_dir);
	tu_rmrf(dir);
	free(store);
	free(state_dir);
	free(dir);
}

int main(int argc, char **argv)
{
	size_t ns = sizeof(cases) / sizeof(cases[0]), i, n = 0;
	struct CMUnitTest *tests = calloc(ns * 2, sizeof(*tests));
	struct casedata *cds = calloc(ns * 2, sizeof(*cds));
	struct rlimit nocore = { 0, 0 };
	enum mode m;

	/* Bare crashes must not litter the build tree with core files. */
	setrlimit(RLIMIT_CORE, &nocore);
	for (i = 0; i < ns; i++) {
		for (m = WRAPPER; m <= PRELOAD; m <<= 1) {
			char *name;

			if (asprintf(&name, "%s_%s", cases[i].name,
				     m == WRAPPER ? "wrapper"
						  : "preload_only") < 0)
				return 1;
			cds[n].tc = &cases[i];
			cds[n].mode = m;
			tests[n].name = name;
			tests[n].test_func = run_case;
			tests[n].initial_state = &cds[n];
			n++;
		}
	}
	if (argc > 1)
		cmocka_set_test_filter(argv[1]);
	return _cmocka_run_group_tests("transparency", tests, n, NULL, NULL);
}
