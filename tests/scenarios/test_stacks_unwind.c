/* SPDX-License-Identifier: MIT */
/* test_stacks_unwind.c -- unwinding correctness through the real tmwatch
 * (docs/stack-counters.md "Unwinding"): a program that maps its own
 * executable and libc again as data keeps its frames; a program whose
 * own fault handler raises the signal again (as Python's faulthandler
 * does) or aborts is counted as the fault it caught, exactly as the same
 * crash without the handler, also on its own alternate stack, but a fault
 * recovered with siglongjmp is not the crash of a later abort(); real
 * python3 -X faulthandler likewise; a small program linked by lld; Rust;
 * Go with cgo; valgrind, dying as bare.
 *
 * Each crash runs bare too, and must die the same way under tmwatch.
 * Every stack counter read goes through su_counters, which also fails on
 * an address-derived offset (su_offsets_are_sane). Argument: a cmocka
 * test-name filter.
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
#include <unistd.h>

#include <cmocka.h>

#include "stackutil.h"
#include "testutil.h"

#define RUN_TIMEOUT_MS 60000
#define ARGS_MAX 16

enum mode { WRAPPER, PRELOAD, LIBRARY };

struct run {
	int bare;		/* wait status of the bare run */
	int watched;		/* under tmwatch */
	char *name;		/* the one crash/crash counter, or NULL */
	char *program;		/* whose counter file holds it */
};

/* Runs ARGV (argv[0] a path, NULL-terminated) bare, then under tmwatch in
 * MODE with a fresh store, with EXTRA ("NAME=VALUE" or NULL) in the
 * environment of both. Fails unless both end within the bound. LIBRARY:
 * ARGV is a program that calls tm_crash_monitor_start itself, run bare
 * with TMWATCH_DISABLE=1. */
static void run_crash(enum mode mode, char *const *argv, const char *extra,
		      struct run *r)
{
	char *store = tu_fresh_store("unwind-store");
	char *state = tu_tmpdir("unwind-state");
	char *xdg, *pre = NULL, *wargv[ARGS_MAX + 3], **names, **progs;
	char *env[8] = { "TMWATCH_FD", "TMWATCH_FD_INO", "LD_PRELOAD",
			 NULL, (char *)(extra ? extra : "TMWATCH_UNUSED"),
			 NULL };
	uint64_t *values;
	size_t n = 0, i;

	if (asprintf(&xdg, "XDG_STATE_HOME=%s", state) < 0)
		fail();
	env[3] = xdg;
	if (mode == LIBRARY)
		env[5] = "TMWATCH_DISABLE=1";
	r->bare = tu_run(argv, env, NULL, NULL, RUN_TIMEOUT_MS);
	env[5] = mode == LIBRARY ? "TMWATCH_DISABLE" : NULL;
	if (r->bare == -1)
		fail_msg("'%s' run bare did not end within %d ms", argv[0],
			 RUN_TIMEOUT_MS);
	if (mode == PRELOAD) {
		if (asprintf(&pre, "LD_PRELOAD=%s",
			     su_env_or_die("TMWATCH_SHIM")) < 0)
			fail();
		env[2] = pre;
		r->watched = tu_run(argv, env, NULL, NULL, RUN_TIMEOUT_MS);
	} else if (mode == LIBRARY) {
		r->watched = tu_run(argv, env, NULL, NULL, RUN_TIMEOUT_MS);
	} else {
		wargv[n++] = (char *)su_env_or_die("TMWATCH_BIN");
		wargv[n++] = "-q";
		for (i = 0; argv[i] && n < ARGS_MAX + 2; i++)
			wargv[n++] = argv[i];
		wargv[n] = NULL;
		r->watched = tu_run(wargv, env, NULL, NULL, RUN_TIMEOUT_MS);
	}
	if (r->watched == -1)
		fail_msg("'%s' under tmwatch did not end within %d ms",
			 argv[0], RUN_TIMEOUT_MS);
	if (r->watched != r->bare)
		fail_msg("'%s' died of %s bare but of %s under tmwatch",
			 argv[0], tu_describe_status(r->bare),
			 tu_describe_status(r->watched));
	n = su_counters(store, "crash/crash", &names, &values, &progs);
	if (n > 1) {
		for (i = 0; i < n; i++)
			fprintf(stderr, "%s\n", names[i]);
		fail_msg("'%s': %zu crash/crash counters, expected one",
			 argv[0], n);
	}
	r->name = n ? strdup(names[0]) : NULL;
	r->program = n ? strdup(progs[0]) : NULL;
	su_free_list(names, n);
	su_free_list(progs, n);
	free(values);
	/* crash/signal: names the signal that killed, even when the crash
	 * counted is the fault a handler handled before it aborted. */
	if (r->name && WIFSIGNALED(r->watched)) {
		char want[64];

		snprintf(want, sizeof want, "crash/signal:SIG%s",
			 sigabbrev_np(WTERMSIG(r->watched)));
		n = su_counters(store, "crash/signal:", &names, &values,
				&progs);
		if (n != 1 || strcmp(names[0], want) != 0)
			fail_msg("'%s': %zu crash/signal counters (first '%s'), "
				 "expected one, '%s'", argv[0], n,
				 n ? names[0] : "", want);
		su_free_list(names, n);
		su_free_list(progs, n);
		free(values);
	}
	free(pre);
	free(xdg);
	tu_rmrf(store);
	tu_rmrf(state);
	free(store);
	free(state);
}

static void run_free(struct run *r)
{
	free(r->name);
	free(r->program);
}

static void expect_lines(const struct run *r, const char *what,
			 const char *const *lines)
{
	if (!r->name)
		fail_msg("%s: no crash/crash counter (died of %s)", what,
			 tu_describe_status(r->watched));
	if (!su_match(r->name, lines)) {
		char *want = su_lines(lines);

		fail_msg("%s: recorded name\n%s\n--- does not match the "
			 "expected lines\ncrash/crash\n%s", what, r->name,
			 want);
	}
}

static void expect_same(const struct run *a, const struct run *b,
			const char *what)
{
	if (!a->name || !b->name || strcmp(a->name, b->name) != 0)
		fail_msg("%s: counted\n%s\n--- but the same crash without "
			 "the handler is\n%s", what,
			 a->name ? a->name : "(nothing)",
			 b->name ? b->name : "(nothing)");
}

static void expect_signal(const struct run *r, int sig, const char *what)
{
	if (!WIFSIGNALED(r->bare) || WTERMSIG(r->bare) != sig)
		fail_msg("%s: bare run died of %s, expected signal %d", what,
			 tu_describe_status(r->bare), sig);
}

/* Item: executable and libc mapped again far below as data. */
static void maps_self_as_data(enum mode mode, const char *extra)
{
	static const char *const lines[] = {
		SU_F("write_null", 2), SU_F("main", 11), NULL
	};
	char *prog = su_example("crash_maps_self_as_data");
	char *argv[] = { prog, NULL };
	struct run r;

	run_crash(mode, argv, extra, &r);
	expect_signal(&r, SIGSEGV, "crash_maps_self_as_data");
	expect_lines(&r, "crash_maps_self_as_data", lines);
	run_free(&r);
	free(prog);
}

static void executable_mapped_again_as_data_keeps_its_frames_wrapper(
	void **state)
{
	(void)state;
	maps_self_as_data(WRAPPER, NULL);
}

/* libdw's unwinder (the fallback) reads the module table on its own. */
static void executable_mapped_again_as_data_keeps_its_frames_libdw_wrapper(
	void **state)
{
	(void)state;
	maps_self_as_data(WRAPPER, "TMWATCH_UNWINDER=libdw");
}

static void executable_mapped_again_as_data_keeps_its_frames_preload_only(
	void **state)
{
	(void)state;
	maps_self_as_data(PRELOAD, NULL);
}

/* Item: the program's own handler raises the fault again. */
static void handler_reraises(enum mode mode, const char *extra)
{
	static const char *const lines[] = {
		SU_F("write_null", 2), SU_F("main", 10), NULL
	};
	char *prog = su_example("crash_own_handler_raises");
	char *with[] = { prog, NULL }, *without[] = { prog, "none", NULL };
	char *aborts[] = { prog, "abort", NULL };
	struct run h, n, a;

	run_crash(mode, with, extra, &h);
	run_crash(mode, without, extra, &n);
	run_crash(mode, aborts, extra, &a);
	expect_signal(&h, SIGSEGV, "crash_own_handler_raises");
	expect_signal(&n, SIGSEGV, "crash_own_handler_raises none");
	expect_signal(&a, SIGABRT, "crash_own_handler_raises abort");
	expect_lines(&n, "crash_own_handler_raises none", lines);
	expect_same(&h, &n, "crash_own_handler_raises");
	expect_same(&a, &n, "crash_own_handler_raises abort");
	run_free(&h);
	run_free(&n);
	run_free(&a);
	free(prog);
}

static void own_handler_raising_or_aborting_counts_the_fault_wrapper(
	void **state)
{
	(void)state;
	handler_reraises(WRAPPER, NULL);
}

static void own_handler_raising_or_aborting_counts_the_fault_libdw_wrapper(
	void **state)
{
	(void)state;
	handler_reraises(WRAPPER, "TMWATCH_UNWINDER=libdw");
}

static void
own_handler_raising_or_aborting_counts_the_fault_preload_only(
	void **state)
{
	(void)state;
	handler_reraises(PRELOAD, NULL);
}

/* Item: the crash is the delivery a handler was handling, wherever the
 * handler ran, and only while it runs (preload/capture_handler.c "the
 * crash a handler handles"): a handler on the program's own alternate
 * stack that re-raises counts the fault; a fault recovered with
 * siglongjmp (on the thread stack, on the alternate stack) is over, and
 * an abort() after it counts as the abort alone. */
static void handler_live_fault(enum mode mode)
{
	static const char *const fault[] = {
		SU_F("write_null", 2), "*.+", NULL
	};
	static const char *const gave_up[] = {
		SU_F("give_up", 5), "*.+", NULL
	};
	char *prog = su_example("crash_handler_live_fault");
	char *none[] = { prog, "none", NULL };
	char *alt[] = { prog, "altstack", NULL };
	char *ab[] = { prog, "abort", NULL };
	char *rec[] = { prog, "recovered", NULL };
	char *reca[] = { prog, "recovered_altstack", NULL };
	struct run n, a, b, r, ra;

	run_crash(mode, none, NULL, &n);
	run_crash(mode, alt, NULL, &a);
	run_crash(mode, ab, NULL, &b);
	run_crash(mode, rec, NULL, &r);
	run_crash(mode, reca, NULL, &ra);
	expect_signal(&n, SIGSEGV, "crash_handler_live_fault none");
	expect_signal(&a, SIGSEGV, "crash_handler_live_fault altstack");
	expect_signal(&b, SIGABRT, "crash_handler_live_fault abort");
	expect_signal(&r, SIGABRT, "crash_handler_live_fault recovered");
	expect_signal(&ra, SIGABRT,
		      "crash_handler_live_fault recovered_altstack");
	expect_lines(&n, "crash_handler_live_fault none", fault);
	expect_lines(&b, "crash_handler_live_fault abort", gave_up);
	expect_same(&a, &n, "crash_handler_live_fault altstack");
	expect_same(&r, &b, "crash_handler_live_fault recovered");
	expect_same(&ra, &b, "crash_handler_live_fault recovered_altstack");
	run_free(&n);
	run_free(&a);
	run_free(&b);
	run_free(&r);
	run_free(&ra);
	free(prog);
}

static void handled_fault_is_the_crash_only_while_handled_wrapper(
	void **state)
{
	(void)state;
	handler_live_fault(WRAPPER);
}

static void handled_fault_is_the_crash_only_while_handled_preload_only(
	void **state)
{
	(void)state;
	handler_live_fault(PRELOAD);
}

/* Item: the same from a thread; in library mode the thread has no
 * alternate stack of tmwatch's and the handler runs where tmwatch's
 * does (capture_handler.c's IN_PLACE), and only its abort() can be
 * recorded. */
static void thread_handler(enum mode mode)
{
	static const char *const fault[] = {
		SU_F("write_null", 2), SU_F("run", 3), "*.+", NULL
	};
	char *prog = su_example(mode == LIBRARY ?
				"crash_thread_handler_raises_libmode" :
				"crash_thread_handler_raises");
	char *none[] = { prog, "none", NULL };
	char *with[] = { prog, NULL };
	char *ab[] = { prog, "abort", NULL };
	struct run n, h, a;

	run_crash(mode, none, NULL, &n);
	run_crash(mode, with, NULL, &h);
	run_crash(mode, ab, NULL, &a);
	expect_signal(&n, SIGSEGV, "crash_thread_handler_raises none");
	expect_signal(&h, SIGSEGV, "crash_thread_handler_raises");
	expect_signal(&a, SIGABRT, "crash_thread_handler_raises abort");
	expect_lines(&n, "crash_thread_handler_raises none", fault);
	/* Library mode has no interposers: the handler's sigaction back to
	 * SIG_DFL replaces tmwatch's, and its raise() kills unrecorded
	 * (docs/modes.md); abort() still reaches tmwatch's SIGABRT one. */
	if (mode != LIBRARY)
		expect_same(&h, &n, "crash_thread_handler_raises");
	expect_same(&a, &n, "crash_thread_handler_raises abort");
	run_free(&n);
	run_free(&h);
	run_free(&a);
	free(prog);
}

static void thread_handler_raising_counts_the_fault_wrapper(void **state)
{
	(void)state;
	thread_handler(WRAPPER);
}

static void thread_handler_raising_counts_the_fault_library(void **state)
{
	(void)state;
	thread_handler(LIBRARY);
}

/* The real thing: CPython's faulthandler, as pytest enables it. */
static void python_faulthandler_counts_the_fault_wrapper(void **state)
{
	char *py = "/usr/bin/python3";
	char *with[] = { py, "-X", "faulthandler", "-c",
			 "import ctypes; ctypes.string_at(0)", NULL };
	char *without[] = { py, "-c", "import ctypes; ctypes.string_at(0)",
			    NULL };
	struct run h, n;

	(void)state;
	if (access(py, X_OK) != 0)
		fail_msg("'%s' is not installed (scripts/setup.sh installs "
			 "python3)", py);
	run_crash(WRAPPER, with, NULL, &h);
	run_crash(WRAPPER, without, NULL, &n);
	expect_signal(&h, SIGSEGV, "python3 -X faulthandler");
	expect_signal(&n, SIGSEGV, "python3");
	if (!n.name)
		fail_msg("python3's crash was not counted");
	if (strstr(h.name ? h.name : "", "faulthandler"))
		fail_msg("faulthandler's frames were counted:\n%s", h.name);
	expect_same(&h, &n, "python3 -X faulthandler");
	run_free(&h);
	run_free(&n);
}

/* Runs the example NAME (built only when TOOLS are installed), which
 * must die of SIGSEGV under tmwatch as bare, counted with LINES. */
static void expect_example_segv(const char *name, const char *tools,
				const char *const *lines)
{
	char *prog = su_example(name);
	char *argv[] = { prog, NULL };
	struct run r;

	if (access(prog, X_OK) != 0)
		fail_msg("'%s' was not built: %s not installed "
			 "(scripts/setup.sh installs it)", prog, tools);
	run_crash(WRAPPER, argv, NULL, &r);
	expect_signal(&r, SIGSEGV, name);
	expect_lines(&r, name, lines);
	run_free(&r);
	free(prog);
}

/* Built by clang and linked by lld. lld maps a small program's segments
 * all at file offset 0, one after the other; each used to be taken for a
 * load of its own, so the code's bias was a page off and every frame was
 * named by module and offset ("crash_null_write_lld:+0x75c"). And clang
 * writes no .debug_aranges, without which libdw 0.188 finds no CU: the
 * names had no +N. The frames get the names gcc's build gets. */
static void lld_linked_program_names_its_functions_wrapper(void **state)
{
	static const char *const lines[] = {
		SU_F("write_null", 2), SU_F("main", 2), NULL
	};

	(void)state;
	expect_example_segv("crash_null_write_lld", "clang or lld", lines);
}

/* Rust defines every function inside its crate's namespace in DWARF,
 * where libdw's scope lookup does not descend: the frames had symbol
 * table names only. They get DWARF names with +N, the crate's own and
 * the standard library's (whose line offsets vary with the toolchain). */
static void rust_program_gets_dwarf_names_wrapper(void **state)
{
	static const char *const lines[] = {
		"core::ptr::write_volatile(<i32>)?:\\+[0-9]+," SU_HEX,
		SU_F("crash_rust::write_null", 2), SU_F("crash_rust::main", 1),
		"*.+", NULL
	};

	(void)state;
	expect_example_segv("crash_rust", "rustc", lines);
}

/* Go with cgo: the example is built only when Go is installed. */
static char *go_example(void)
{
	char *prog = su_example("crash_go_cgo");

	if (access(prog, X_OK) != 0)
		fail_msg("'%s' was not built: Go is not installed "
			 "(scripts/setup.sh installs golang-go)", prog);
	return prog;
}

/* GOTRACEBACK=crash: the runtime's SIGABRT after its traceback is
 * counted as the fault in the C code, through Go's signal plumbing. */
static void go_cgo_crash_names_the_c_frames_wrapper(void **state)
{
	static const char *const lines[] = {
		SU_F("write_null", 2), SU_F("crash_in_c", 0),
		SU_F("_cgo_[0-9a-f]+_Cfunc_crash_in_c", [0-9]+),
		"runtime\\.asmcgocall(\\.abi0)?:" SU_HEX, "*.+", NULL
	};
	char *prog = go_example();
	char *argv[] = { prog, NULL };
	struct run r;

	(void)state;
	run_crash(WRAPPER, argv, "GOTRACEBACK=crash", &r);
	expect_signal(&r, SIGABRT, "crash_go_cgo");
	expect_lines(&r, "crash_go_cgo GOTRACEBACK=crash", lines);
	run_free(&r);
	free(prog);
}

/* Go's default: the runtime prints its traceback and exits 2, which is
 * no crash (docs/stack-counters.md "Go"): nothing is counted. */
static void go_cgo_fault_exits_2_and_is_not_a_crash_wrapper(void **state)
{
	char *prog = go_example();
	char *argv[] = { prog, NULL };
	struct run r;

	(void)state;
	run_crash(WRAPPER, argv, "GOTRACEBACK", &r);
	if (!WIFEXITED(r.bare) || WEXITSTATUS(r.bare) != 2)
		fail_msg("crash_go_cgo bare: %s, expected exit 2",
			 tu_describe_status(r.bare));
	if (r.name)
		fail_msg("an exit 2 was counted as a crash:\n%s", r.name);
	run_free(&r);
	free(prog);
}

/* valgrind: the crash is the client program's, in its counter file, and
 * valgrind dies of it as bare (the shim recognises the emulator: a
 * signal it queued itself would end valgrind with an internal error). */
static void valgrind_case(const char *example, int sig,
			  const char *const *lines)
{
	char *vg = "/usr/bin/valgrind";
	char *prog = su_example(example);
	char *argv[] = { vg, "-q", prog, NULL };
	struct run r;

	if (access(vg, X_OK) != 0)
		fail_msg("'%s' is not installed (scripts/setup.sh installs "
			 "valgrind)", vg);
	run_crash(WRAPPER, argv, NULL, &r);
	expect_signal(&r, sig, example);
	expect_lines(&r, example, lines);
	if (strcmp(r.program, example) != 0)
		fail_msg("valgrind's client crash counted in the file of '%s', "
			 "expected '%s'", r.program, example);
	run_free(&r);
	free(prog);
}

static void valgrind_crash_is_counted_for_the_client_program_wrapper(
	void **state)
{
	static const char *const lines[] = {
		SU_F("write_null", 2), SU_F("main", 2), NULL
	};

	(void)state;
	valgrind_case("crash_null_write", SIGSEGV, lines);
}

static void valgrind_divide_by_zero_dies_as_bare_wrapper(void **state)
{
	static const char *const lines[] = {
		SU_F("divide", 2), SU_F("main", 3), NULL
	};

	(void)state;
	valgrind_case("crash_divzero", SIGFPE, lines);
}

/* A sent signal is still queued as it came under valgrind. */
static void valgrind_abort_dies_as_bare_wrapper(void **state)
{
	static const char *const lines[] = {
		SU_F("give_up", 2), SU_F("main", 2), NULL
	};

	(void)state;
	valgrind_case("crash_abort", SIGABRT, lines);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
		executable_mapped_again_as_data_keeps_its_frames_wrapper),
		cmocka_unit_test(
		executable_mapped_again_as_data_keeps_its_frames_preload_only),
		cmocka_unit_test(
		executable_mapped_again_as_data_keeps_its_frames_libdw_wrapper),
		cmocka_unit_test(
		own_handler_raising_or_aborting_counts_the_fault_wrapper),
		cmocka_unit_test(
		own_handler_raising_or_aborting_counts_the_fault_libdw_wrapper),
		cmocka_unit_test(
		own_handler_raising_or_aborting_counts_the_fault_preload_only),
		cmocka_unit_test(
		handled_fault_is_the_crash_only_while_handled_wrapper),
		cmocka_unit_test(
		handled_fault_is_the_crash_only_while_handled_preload_only),
		cmocka_unit_test(
		thread_handler_raising_counts_the_fault_wrapper),
		cmocka_unit_test(
		thread_handler_raising_counts_the_fault_library),
		cmocka_unit_test(python_faulthandler_counts_the_fault_wrapper),
		cmocka_unit_test(lld_linked_program_names_its_functions_wrapper),
		cmocka_unit_test(rust_program_gets_dwarf_names_wrapper),
		cmocka_unit_test(
		valgrind_crash_is_counted_for_the_client_program_wrapper),
		cmocka_unit_test(valgrind_divide_by_zero_dies_as_bare_wrapper),
		cmocka_unit_test(valgrind_abort_dies_as_bare_wrapper),
		cmocka_unit_test(go_cgo_crash_names_the_c_frames_wrapper),
		cmocka_unit_test(
		go_cgo_fault_exits_2_and_is_not_a_crash_wrapper),
	};
	struct rlimit nocore = { 0, 0 };

	setrlimit(RLIMIT_CORE, &nocore);
	if (argc > 1)
		cmocka_set_test_filter(argv[1]);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
