/* SPDX-License-Identifier: MIT */
/* test_stacks.c -- the exact crash/crash stack counter of every crash
 * scenario of DESIGN §11, through the real product: each case runs an
 * example under the built tmwatch (wrapper; preload-only and library
 * mode where marked; the -O2 -g builds NAME_O2; and without libc debug
 * info, TMWATCH_NO_SYSTEM_DEBUG=1), reads the fresh store with the
 * counter-file reader and compares the recorded name line by line.
 *
 * Naming rule v2 (docs/stack-counters.md): the program's own frames are
 * exact (function and +N line offset, as the crashing line's comment in
 * examples/ says; byte offsets are patterns), system library frames are
 * exact texts (exported name or soname, no offset) that must not change
 * with libc debug info, and nothing below main or a thread's start
 * routine is listed. Argument: a cmocka test-name filter.
 */
#define _GNU_SOURCE
#include <setjmp.h>
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
#define LINES_MAX 24

enum mode { WRAPPER = 1, PRELOAD = 2, LIBRARY = 4, NODEBUG = 8 };

struct stack_case {
	const char *name;
	const char *prog;
	const char *arg;
	int modes;
	uint64_t count;		/* crashes of one run */
	const char *counted_in;	/* whose file counts it; NULL: prog */
	const char *lines[LINES_MAX];
};

#define NOLIB (WRAPPER | PRELOAD)
#define ALL (WRAPPER | PRELOAD | LIBRARY)
#define W WRAPPER

/* libc's free() path below malloc's consistency check: its internal
 * functions (malloc_printerr, _int_free) as the soname, then the
 * exported free, on every machine (naming rule v2). */
#define FREE_PATH "libc\\.so\\.6", "free"
/* ld.so and libc frames between a dlopen'ed constructor and main, by
 * their exported names or sonames (glibc 2.36). */
#define DLOPEN_PATH \
	"ld-linux-x86-64\\.so\\.2", "_dl_catch_exception", \
	"ld-linux-x86-64\\.so\\.2", "_dl_catch_exception", \
	"ld-linux-x86-64\\.so\\.2", "libc\\.so\\.6", \
	"_dl_catch_exception", "_dl_catch_error", "libc\\.so\\.6", "dlopen"
/* A stack overflow faults in the prologue or the call of a frame
 * (where the guard page falls moves with ASLR), then every caller is
 * the same recursive call: one frame and "…". */
#define OVERFLOW \
	"recurse:\\+[1-5]," SU_HEX, "*" SU_F("recurse", 5), "…"

static const struct stack_case cases[] = {
	/* -g -O0 */
	{ "null_read", "crash_null_read", NULL, ALL, 1, NULL,
	  { SU_F("read_null", 2), SU_F("main", 2) } },
	{ "null_write", "crash_null_write", NULL, ALL | NODEBUG, 1, NULL,
	  { SU_F("write_null", 2), SU_F("main", 2) } },
	{ "sigbus_on_truncated_mmap", "crash_sigbus", NULL, ALL, 1, NULL,
	  { SU_F("touch", 2), SU_F("main", 10) } },
	{ "divide_by_zero", "crash_divzero", NULL, ALL, 1, NULL,
	  { SU_F("divide", 2), SU_F("main", 3) } },
	{ "undefined_instruction", "crash_ud2", NULL, ALL, 1, NULL,
	  { SU_F("illegal", 2), SU_F("main", 2) } },
	{ "breakpoint_trap", "crash_int3", NULL, ALL, 1, NULL,
	  { SU_F("breakpoint", 3), SU_F("main", 2) } },
	{ "abort", "crash_abort", NULL, ALL | NODEBUG, 1, NULL,
	  { SU_F("give_up", 2), SU_F("main", 2) } },
	{ "failed_assert", "crash_assert", NULL, ALL, 1, NULL,
	  { SU_F("check", 2), SU_F("main", 2) } },
	{ "raise_of_sigsegv", "crash_raise", NULL, ALL, 1, NULL,
	  { SU_F("send_segv", 2), SU_F("main", 2) } },
	/* kill() is not abort plumbing: the sender's frame stays. */
	{ "kill_of_sigbus", "crash_kill", NULL, ALL | NODEBUG, 1, NULL,
	  { "kill", SU_F("send_bus", 2), SU_F("main", 2) } },
	{ "stack_overflow_on_main_thread", "crash_stack_overflow", NULL, ALL,
	  1, NULL, { OVERFLOW } },
	{ "stack_overflow_on_new_thread", "crash_stack_overflow_thread", NULL,
	  NOLIB, 1, NULL, { OVERFLOW } },
	{ "null_write_in_late_thread", "crash_late_thread", NULL,
	  ALL | NODEBUG, 1, NULL,
	  { SU_F("write_null", 2), SU_F("run", 4) } },
	{ "two_threads_crashing_at_once", "crash_two_threads", NULL, ALL, 1,
	  NULL, { SU_F("write_null", 2), SU_F("run", 4) } },
	{ "heap_corruption_in_malloc", "crash_heap_corruption", NULL,
	  ALL | NODEBUG, 1, NULL,
	  { FREE_PATH, SU_F("corrupt", 6), SU_F("main", 2) } },
	{ "crash_in_shared_library", "crash_in_shlib", NULL, ALL, 1, NULL,
	  { SU_F("crash_shlib_write_null", 2), SU_F("main", 2) } },
	{ "crash_in_dlopened_constructor", "crash_dlopen_ctor", NULL,
	  ALL | NODEBUG, 1, NULL,
	  { SU_F("crash_in_ctor", 2), DLOPEN_PATH, SU_F("main", 10) } },
	{ "call_through_null_function_pointer", "crash_null_funcptr", NULL,
	  ALL, 1, NULL,
	  { SU_F("call_hook", 2), SU_F("main", 2) } },
	{ "uncaught_cxx_exception", "crash_cxx_exception", NULL,
	  NOLIB | NODEBUG, 1, NULL,
	  { SU_F("fail", 2), SU_F("main", 2) } },
	{ "crash_in_forked_child", "crash_fork_child", NULL, ALL, 1, NULL,
	  { SU_F("write_null", 2), SU_F("main", 6) } },
	{ "crash_in_execed_grandchild", "crash_exec_grandchild", NULL, NOLIB,
	  1, "crash_null_write",
	  { SU_F("write_null", 2), SU_F("main", 2) } },
	{ "own_handler_chains_and_is_reported", "crash_own_handler_chain",
	  NULL, ALL, 1, NULL,
	  { SU_F("write_null", 2), SU_F("main", 8) } },
	{ "blocked_signals_then_abort", "crash_blocks_signals", NULL, ALL, 1,
	  NULL, { SU_F("give_up", 2), SU_F("main", 6) } },
	{ "twenty_children_crashing_at_once_count_twenty", "crash_storm", "20",
	  ALL, 20, NULL,
	  { SU_F("write_null", 2), SU_F("main", 16) } },
	{ "inlined_functions_are_frames", "crash_inlined", NULL,
	  NOLIB, 1, NULL,
	  { SU_F("inner", 2), SU_F("outer", 2), SU_F("physical", 2),
	    SU_F("main", 2) } },
	{ "thousand_frame_recursion_collapses", "crash_deep_recursion", NULL,
	  NOLIB, 1, NULL,
	  { SU_F("recurse", 3), SU_F("recurse", 4), "…", SU_F("main", 2) } },
	{ "cxx_template_member", "crash_cxx_names", NULL, NOLIB, 1, NULL,
	  { SU_F("shapes::Box<int>::poke", 2), SU_F("main", 9) } },
	{ "cxx_exception_from_member_trimmed_to_thrower", "crash_cxx_names",
	  "throw", NOLIB | NODEBUG, 1, NULL,
	  { SU_F("shapes::Thrower::go", 3), SU_F("main", 5) } },
	{ "stripped_binary_uses_symbol_table", "crash_null_write_stripped",
	  NULL, NOLIB, 1, NULL,
	  { SU_S("write_null"), SU_S("main") } },
	{ "library_without_debug_info_is_module_only",
	  "crash_in_nodebug_lib", NULL, NOLIB, 1, NULL,
	  { "libcrash_nodebug\\.so:" SU_HEX, SU_S("crash_nodebug_entry"),
	    SU_F("main", 2) } },

	/* -g -O2: tail calls leave no frame of the caller (its return
	 * address is gone), inlined levels stay frames. */
	{ "abort_optimised", "crash_abort_O2", NULL, W, 1, NULL,
	  { SU_F("give_up", 2), SU_F("main", 2) } },
	{ "failed_assert_optimised", "crash_assert_O2", NULL, W, 1, NULL,
	  { SU_F("check", 2), SU_F("main", 2) } },
	{ "blocked_signals_then_abort_optimised", "crash_blocks_signals_O2",
	  NULL, W, 1, NULL,
	  { SU_F("give_up", 2), SU_F("main", 6) } },
	/* The recursion became a loop. */
	{ "thousand_frame_recursion_optimised", "crash_deep_recursion_O2",
	  NULL, W, 1, NULL,
	  { SU_F("recurse", 3), SU_F("main", 2) } },
	/* main tail-calls divide. */
	{ "divide_by_zero_optimised", "crash_divzero_O2", NULL, W, 1, NULL,
	  { SU_F("divide", 2) } },
	{ "crash_in_dlopened_constructor_optimised", "crash_dlopen_ctor_O2",
	  NULL, W, 1, NULL,
	  { SU_F("crash_in_ctor", 2), DLOPEN_PATH, SU_F("main", 10) } },
	{ "crash_in_forked_child_optimised", "crash_fork_child_O2", NULL, W,
	  1, NULL, { SU_F("write_null", 2), SU_F("main", 6) } },
	/* corrupt tail-calls free. */
	{ "heap_corruption_in_malloc_optimised", "crash_heap_corruption_O2",
	  NULL, W, 1, NULL, { FREE_PATH, SU_F("main", 2) } },
	{ "library_without_debug_info_optimised", "crash_in_nodebug_lib_O2",
	  NULL, W, 1, NULL,
	  { "libcrash_nodebug\\.so:" SU_HEX, SU_S("crash_nodebug_entry"),
	    SU_F("main", 2) } },
	{ "crash_in_shared_library_optimised", "crash_in_shlib_O2", NULL, W,
	  1, NULL, { SU_F("crash_shlib_write_null", 2), SU_F("main", 2) } },
	{ "inlined_functions_are_frames_optimised", "crash_inlined_O2", NULL,
	  W | NODEBUG, 1, NULL,
	  { SU_F("inner", 2), SU_F("outer", 2), SU_F("physical", 2),
	    SU_F("main", 2) } },
	{ "breakpoint_trap_optimised", "crash_int3_O2", NULL, W, 1, NULL,
	  { SU_F("breakpoint", 3), SU_F("main", 2) } },
	/* send_bus tail-calls kill. */
	{ "kill_of_sigbus_optimised", "crash_kill_O2", NULL, W, 1, NULL,
	  { "kill", SU_F("main", 2) } },
	{ "null_write_in_late_thread_optimised", "crash_late_thread_O2", NULL,
	  W, 1, NULL,
	  { SU_F("write_null", 2), SU_F("run", 4) } },
	/* call_hook tail-jumps through the NULL pointer. */
	{ "call_through_null_function_pointer_optimised",
	  "crash_null_funcptr_O2", NULL, W, 1, NULL,
	  { SU_F("main", 2) } },
	{ "null_read_optimised", "crash_null_read_O2", NULL, W, 1, NULL,
	  { SU_F("read_null", 2), SU_F("main", 2) } },
	{ "null_write_optimised", "crash_null_write_O2", NULL, W, 1, NULL,
	  { SU_F("write_null", 2), SU_F("main", 2) } },
	{ "own_handler_chains_optimised", "crash_own_handler_chain_O2", NULL,
	  W, 1, NULL,
	  { SU_F("write_null", 2), SU_F("main", 8) } },
	/* send_segv tail-calls raise, which is trimmed. */
	{ "raise_of_sigsegv_optimised", "crash_raise_O2", NULL, W, 1, NULL,
	  { SU_F("main", 2) } },
	/* main tail-calls touch. */
	{ "sigbus_on_truncated_mmap_optimised", "crash_sigbus_O2", NULL, W, 1,
	  NULL, { SU_F("touch", 2) } },
	{ "stack_overflow_optimised", "crash_stack_overflow_O2", NULL, W, 1,
	  NULL, { OVERFLOW } },
	{ "two_threads_crashing_at_once_optimised", "crash_two_threads_O2",
	  NULL, W, 1, NULL,
	  { SU_F("write_null", 2), SU_F("run", 4) } },
	{ "undefined_instruction_optimised", "crash_ud2_O2", NULL, W, 1, NULL,
	  { SU_F("illegal", 2), SU_F("main", 2) } },
	{ "twenty_children_crashing_optimised", "crash_storm_O2", "20", W, 20,
	  NULL, { SU_F("write_null", 2), SU_F("main", 16) } },
};

struct casedata {
	const struct stack_case *sc;
	enum mode mode;
};

static const char *program_of(const struct stack_case *sc, enum mode mode,
			      char *buf, size_t cap)
{
	if (mode == LIBRARY)
		snprintf(buf, cap, "%s_libmode", sc->prog);
	else
		snprintf(buf, cap, "%s", sc->prog);
	return buf;
}

/* In library mode main is called by lib_src/libmode_main.c's
 * __wrap_main, below main: not listed, so every mode gives one name. */
static void expected_lines(const struct stack_case *sc, enum mode mode,
			   const char **out)
{
	size_t i, n = 0;

	(void)mode;
	for (i = 0; sc->lines[i] && n < 2 * LINES_MAX - 2; i++)
		out[n++] = sc->lines[i];
	out[n] = NULL;
}

static void run_case(void **state)
{
	const struct casedata *cd = *state;
	const struct stack_case *sc = cd->sc;
	char pbuf[256], *prog, *pre = NULL, *xdg, **names, **progs;
	const char *exp[2 * LINES_MAX];
	const char *want_prog;
	char *store = tu_fresh_store("stacks-store");
	char *state_dir = tu_tmpdir("stacks-state");
	char *wrap_argv[] = { (char *)su_env_or_die("TMWATCH_BIN"), "-q",
			      NULL, (char *)sc->arg, NULL };
	char *bare_argv[] = { NULL, (char *)sc->arg, NULL };
	char *env[8] = { "TMWATCH_FD", "TMWATCH_FD_INO", "LD_PRELOAD", NULL };
	uint64_t *values;
	size_t n, i;
	int st;

	prog = su_example(program_of(sc, cd->mode, pbuf, sizeof pbuf));
	want_prog = sc->counted_in ? sc->counted_in : pbuf;
	if (asprintf(&xdg, "XDG_STATE_HOME=%s", state_dir) < 0)
		fail();
	env[3] = xdg;
	env[4] = cd->mode == NODEBUG ? "TMWATCH_NO_SYSTEM_DEBUG=1" :
		"TMWATCH_NO_SYSTEM_DEBUG";
	if (cd->mode == PRELOAD) {
		if (asprintf(&pre, "LD_PRELOAD=%s",
			     su_env_or_die("TMWATCH_SHIM")) < 0)
			fail();
		env[2] = pre;
	}
	if (cd->mode == WRAPPER || cd->mode == NODEBUG) {
		wrap_argv[2] = prog;
		st = tu_run(wrap_argv, env, NULL, NULL, RUN_TIMEOUT_MS);
	} else {
		bare_argv[0] = prog;
		st = tu_run(bare_argv, env, NULL, NULL, RUN_TIMEOUT_MS);
	}
	if (st == -1)
		fail_msg("%s did not end within %d ms", pbuf, RUN_TIMEOUT_MS);
	n = su_counters(store, "crash/crash", &names, &values, &progs);
	expected_lines(sc, cd->mode, exp);
	if (n != 1) {
		fprintf(stderr, "%s: expected one crash/crash counter, got "
			"%zu:\n", pbuf, n);
		for (i = 0; i < n; i++)
			fprintf(stderr, "%s\n", names[i]);
		fail();
	}
	if (!su_match(names[0], exp)) {
		char *want = su_lines(exp);

		fail_msg("%s: recorded name\n%s\n--- does not match the "
			 "expected lines\ncrash/crash\n%s", pbuf, names[0],
			 want);
	}
	if (values[0] != sc->count)
		fail_msg("%s: counted %llu, expected %llu", pbuf,
			 (unsigned long long)values[0],
			 (unsigned long long)sc->count);
	if (strcmp(progs[0], want_prog) != 0)
		fail_msg("counted in the file of '%s', expected '%s'",
			 progs[0], want_prog);
	su_free_list(names, n);
	su_free_list(progs, n);
	free(values);
	free(prog);
	free(pre);
	free(xdg);
	tu_rmrf(store);
	tu_rmrf(state_dir);
	free(store);
	free(state_dir);
}

static const char *mode_name(enum mode m)
{
	switch (m) {
	case WRAPPER: return "wrapper";
	case PRELOAD: return "preload_only";
	case LIBRARY: return "library";
	default: return "without_libc_debug_info";
	}
}

int main(int argc, char **argv)
{
	size_t ns = sizeof(cases) / sizeof(cases[0]), i, n = 0;
	struct CMUnitTest *tests = calloc(ns * 4, sizeof(*tests));
	struct casedata *cds = calloc(ns * 4, sizeof(*cds));
	struct rlimit nocore = { 0, 0 };
	enum mode m;

	setrlimit(RLIMIT_CORE, &nocore);
	for (i = 0; i < ns; i++) {
		for (m = WRAPPER; m <= NODEBUG; m <<= 1) {
			char *name;

			if (!(cases[i].modes & m))
				continue;
			if (asprintf(&name, "%s_%s", cases[i].name,
				     mode_name(m)) < 0)
				return 1;
			cds[n].sc = &cases[i];
			cds[n].mode = m;
			tests[n].name = name;
			tests[n].test_func = run_case;
			tests[n].initial_state = &cds[n];
			n++;
		}
	}
	if (argc > 1)
		cmocka_set_test_filter(argv[1]);
	return _cmocka_run_group_tests("stacks", tests, n, NULL, NULL);
}
