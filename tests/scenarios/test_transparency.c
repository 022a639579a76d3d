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
#include <unistd.h>

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
	  { SU_F("give_up", 2), SU_F("main", 13) } },
	{ "abort_with_sigabrt_ignored_is_recorded",
	  "crash_abort_after_handler", "ignored", SIGABRT, 0, "", 1,
	  { SU_F("give_up", 2), SU_F("main", 13) } },
	{ "raise_of_sigabrt_with_returning_handler_goes_on",
	  "crash_abort_after_handler", "raise", 0, 0,
	  "handler returns\nsurvived\n", 0, { NULL } },
	{ "sigset_handler_that_restores_default_is_recorded",
	  "crash_legacy_signal", "sigset", SIGSEGV, 0, "handler ran\n", 1,
	  { SU_F("write_null", 2), SU_F("main", 14) } },
	{ "sysv_signal_handler_runs_once_then_recorded",
	  "crash_legacy_signal", "sysv_signal", SIGSEGV, 0, "handler ran\n",
	  1, { SU_F("write_null", 2), SU_F("main", 14) } },
	{ "bsd_signal_handler_that_restores_default_is_recorded",
	  "crash_legacy_signal", "bsd_signal", SIGSEGV, 0, "handler ran\n",
	  1, { SU_F("write_null", 2), SU_F("main", 14) } },
	{ "ssignal_handler_that_restores_default_is_recorded",
	  "crash_legacy_signal", "ssignal", SIGSEGV, 0, "handler ran\n", 1,
	  { SU_F("write_null", 2), SU_F("main", 14) } },
	{ "xopen_signal_handler_runs_once_then_recorded",
	  "crash_legacy_signal", "__sysv_signal", SIGSEGV, 0,
	  "handler ran\n", 1,
	  { SU_F("write_null", 2), SU_F("main", 14) } },
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
	  { "syscall", SU_F("queue", 8),
	    SU_F("main", 5) } },
	{ "queued_sigsegv_kills_and_is_recorded",
	  "crash_queued_fault", "sigsegv", SIGSEGV, 0, "", 1,
	  { "syscall", SU_F("queue", 8),
	    SU_F("main", 3) } },
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

/* --- the core dump itself ------------------------------------------
 *
 * The shim ends every crash by queuing the same siginfo to the thread, so
 * the kernel's core holds the faulting context. Each case dumps core bare
 * and under tmwatch (core_pattern "core", in a fresh directory) and
 * compares what gdb reads from both: signal, si_code, fault address and
 * where the first two frames are, as symbol+offset (free of ASLR). Needs
 * gdb and kernel.core_pattern "core"; fails loudly without. */

static char *core_facts(const char *prog, const char *core, int is_exact)
{
	char *argv[] = { "gdb", "-q", "-batch", "-nx",
			 "-ex", "p $_siginfo.si_signo",
			 "-ex", "p $_siginfo.si_code",
			 "-ex", "p $_siginfo._sifields._sigfault.si_addr",
			 "-ex", "info symbol $pc", "-ex", "up",
			 "-ex", "info symbol $pc", (char *)prog, (char *)core,
			 NULL };
	char *out = NULL, *facts = calloc(1, 1), *line, *save = NULL;
	size_t len = 0;
	int st = tu_run(argv, NULL, &out, NULL, RUN_TIMEOUT_MS);

	if (st == -1 || !WIFEXITED(st))
		fail_msg("gdb could not read '%s'", core);
	/* Keep the printed values and the symbol lines only. */
	for (line = strtok_r(out, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *cut = strstr(line, " in section ");

		if (line[0] != '$' && !cut)
			continue;
		if (cut)
			*cut = '\0';
		/* symbol + offset; the function alone where ASLR moves it */
		if (cut && !is_exact && strstr(line, " + "))
			*strstr(line, " + ") = '\0';
		facts = realloc(facts, len + strlen(line) + 2);
		len += (size_t)sprintf(facts + len, "%s\n", line);
	}
	free(out);
	return facts;
}

static char *dump_core(char *const argv[], char *const env[],
		       const char *dir)
{
	char old[4096], *core = tu_path(dir, "core");
	int st;

	if (!getcwd(old, sizeof(old)) || chdir(dir) != 0)
		fail_msg("cannot enter '%s'", dir);
	st = tu_run(argv, env, NULL, NULL, RUN_TIMEOUT_MS);
	if (chdir(old) != 0)
		fail_msg("cannot return to '%s'", old);
	if (st == -1 || !WIFSIGNALED(st))
		fail_msg("%s did not die of a signal: %s", argv[0],
			 tu_describe_status(st));
	if (access(core, R_OK) != 0)
		fail_msg("no core file '%s' after %s died", core, argv[0]);
	return core;
}

static void core_matches_bare(const char *name, const char *arg,
			      int is_exact)
{
	char *prog = su_example(name);
	char *store = tu_fresh_store("transparency-core-store");
	char *bare_dir = tu_tmpdir("core-bare"), *tm_dir = tu_tmpdir("core-tm");
	char *bare_argv[] = { prog, (char *)arg, NULL };
	char *wrap_argv[] = { (char *)su_env_or_die("TMWATCH_BIN"), "-q",
			      prog, (char *)arg, NULL };
	char *bare_env[] = { "LD_PRELOAD", "TMWATCH_FD", "TMWATCH_FD_INO",
			     "TMWATCH_DISABLE=1", NULL };
	char *env[] = { "TMWATCH_FD", "TMWATCH_FD_INO", "LD_PRELOAD",
			"TMWATCH_QUIET=1", NULL };
	char *pattern = tu_read_file("/proc/sys/kernel/core_pattern", NULL);
	struct rlimit cores = { RLIM_INFINITY, RLIM_INFINITY }, saved;
	char *core_b, *core_m, *facts_b, *facts_m;

	if (!pattern || strcmp(pattern, "core\n") != 0)
		fail_msg("kernel.core_pattern is '%s'; this test needs 'core'",
			 pattern ? pattern : "?");
	getrlimit(RLIMIT_CORE, &saved);
	cores.rlim_max = saved.rlim_max;
	cores.rlim_cur = saved.rlim_max;
	if (setrlimit(RLIMIT_CORE, &cores) != 0 ||
	    saved.rlim_max != RLIM_INFINITY)
		fail_msg("cannot allow core dumps (RLIMIT_CORE)");
	core_b = dump_core(bare_argv, bare_env, bare_dir);
	core_m = dump_core(wrap_argv, env, tm_dir);
	setrlimit(RLIMIT_CORE, &saved);
	facts_b = core_facts(prog, core_b, is_exact);
	facts_m = core_facts(prog, core_m, is_exact);
	if (strcmp(facts_b, facts_m) != 0 || strncmp(facts_b, "$1 = ", 5))
		fail_msg("%s %s: core bare\n%s--- under tmwatch\n%s", name,
			 arg ? arg : "", facts_b, facts_m);
	free(facts_b);
	free(facts_m);
	free(core_b);
	free(core_m);
	free(pattern);
	free(prog);
	tu_rmrf(bare_dir);
	tu_rmrf(tm_dir);
	tu_rmrf(store);
	free(bare_dir);
	free(tm_dir);
	free(store);
}

static void core_of_queued_sigbus_matches_bare_wrapper(void **state)
{
	(void)state;
	core_matches_bare("crash_queued_fault", "sigbus_mceerr_ao", 1);
}

static void core_of_null_write_matches_bare_wrapper(void **state)
{
	(void)state;
	core_matches_bare("crash_null_write", NULL, 1);
}

static void core_of_stack_overflow_matches_bare_wrapper(void **state)
{
	(void)state;
	/* Bare, the kernel's own SIGSEGV (SI_KERNEL, no address); where in
	 * recurse the guard page is hit moves with ASLR. */
	core_matches_bare("crash_overflow_with_handler", "no_altstack", 0);
}

int main(int argc, char **argv)
{
	static const struct CMUnitTest core_tests[] = {
		cmocka_unit_test(core_of_queued_sigbus_matches_bare_wrapper),
		cmocka_unit_test(core_of_null_write_matches_bare_wrapper),
		cmocka_unit_test(core_of_stack_overflow_matches_bare_wrapper),
	};
	size_t ns = sizeof(cases) / sizeof(cases[0]), i, n = 0;
	size_t nc = sizeof(core_tests) / sizeof(core_tests[0]);
	struct CMUnitTest *tests = calloc(ns * 2 + nc, sizeof(*tests));
	struct casedata *cds = calloc(ns * 2, sizeof(*cds));
	struct rlimit nocore;
	enum mode m;

	/* Bare crashes must not litter the build tree with core files; the
	 * hard limit stays, for the core_* cases. */
	getrlimit(RLIMIT_CORE, &nocore);
	nocore.rlim_cur = 0;
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
	for (i = 0; i < nc; i++)
		tests[n++] = core_tests[i];
	if (argc > 1)
		cmocka_set_test_filter(argv[1]);
	return _cmocka_run_group_tests("transparency", tests, n, NULL, NULL);
}
