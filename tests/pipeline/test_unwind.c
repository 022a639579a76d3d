/* SPDX-License-Identifier: MIT */
/* test_unwind.c -- real crashes unwound, symbolized and named: the
 * crash/crash text for each way of crashing, line by line.
 *
 * The crashers (crasher.c, crashlib.c, crasher_cxx.cc) mark each line
 * with the frame it must produce; byte offsets are matched as "+0x*".
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "pipeline_util.h"
#include "testutil.h"

static void expect_death(const struct pipeline_run *r, int sig)
{
	if (!WIFSIGNALED(r->status) || WTERMSIG(r->status) != sig)
		fail_msg("crasher ended with %s, expected signal %d",
			 tu_describe_status(r->status), sig);
}

static void null_write_at_O0_names_each_frame_with_line_offsets(void **s)
{
	char *argv[] = { CRASHER_O0, "segv", NULL };
	struct pipeline_run r;

	pu_crash(argv, NULL, &r);
	expect_death(&r, SIGSEGV);
	assert_int_equal(r.st.method, UNWIND_LIBUNWIND);
	pu_expect_name(r.name, "crash/crash\n"
		       "level2:+2,+0x*\n"
		       "level1:+2,+0x*\n"
		       "main:+9,+0x*");
	pu_free(&r);
}

/* Runs CRASHER with SCENARIO (and ARG) and checks the name. */
static void check(const char *crasher, const char *scenario, const char *arg,
		  int sig, const char *expected)
{
	char *argv[] = { (char *)crasher, (char *)scenario, (char *)arg,
			 NULL };
	struct pipeline_run r;

	pu_crash(argv, NULL, &r);
	expect_death(&r, sig);
	pu_expect_name(r.name, expected);
	pu_free(&r);
}

static void null_write_at_O2_without_frame_pointers(void **s)
{
	check(CRASHER_O2, "segv", NULL, SIGSEGV, "crash/crash\n"
	      "level2:+2,+0x*\n"
	      "level1:+2,+0x*\n"
	      "main:+9,+0x*");
}

static void inlined_function_at_O2_lists_the_inline_chain(void **s)
{
	check(CRASHER_O2, "inline", NULL, SIGSEGV, "crash/crash\n"
	      "inner_inline:+2,+0x*\n"
	      "outer_of_inline:+2,+0x*\n"
	      "main:+14,+0x*");
}

static void call_through_null_pointer_starts_at_the_caller(void **s)
{
	struct pipeline_run r;
	char *argv[] = { CRASHER_O0, "nullfn", NULL };

	pu_crash(argv, NULL, &r);
	expect_death(&r, SIGSEGV);
	assert_true(r.st.is_wild_pc);
	assert_int_equal(r.st.pc[0], 0);
	pu_expect_name(r.name, "crash/crash\n"
		       "call_null:+2,+0x*\n"
		       "main:+16,+0x*");
	pu_free(&r);
}

static void call_through_null_pointer_at_O2(void **s)
{
	check(CRASHER_O2, "nullfn", NULL, SIGSEGV, "crash/crash\n"
	      "call_null:+2,+0x*\n"
	      "main:+16,+0x*");
}

static void recursion_of_1000_frames_collapses(void **s)
{
	struct pipeline_run r;
	char *argv[] = { CRASHER_O0, "recurse", "1000", NULL };

	pu_crash(argv, NULL, &r);
	expect_death(&r, SIGSEGV);
	assert_true(r.st.n > 1000);
	pu_expect_name(r.name, "crash/crash\n"
		       "recurse:+3,+0x*\n"
		       "recurse:+5,+0x*\n"
		       "\xe2\x80\xa6\n"
		       "main:+18,+0x*");
	pu_free(&r);
}

static void recursion_past_1024_frames_stops_at_the_cap(void **s)
{
	struct pipeline_run r;
	char *argv[] = { CRASHER_O0, "recurse", "5000", NULL };

	pu_crash(argv, NULL, &r);
	expect_death(&r, SIGSEGV);
	assert_int_equal(r.st.n, UNWIND_MAX_FRAMES);
	assert_true(r.st.is_truncated);
	pu_expect_name(r.name, "crash/crash\n"
		       "recurse:+3,+0x*\n"
		       "recurse:+5,+0x*\n"
		       "\xe2\x80\xa6");
	pu_free(&r);
}

static void abort_drops_libc_plumbing(void **s)
{
	check(CRASHER_O0, "abort", NULL, SIGABRT, "crash/crash\n"
	      "give_up:+2,+0x*\n"
	      "main:+20,+0x*");
}

static void crash_in_shared_library(void **s)
{
	check(CRASHER_O0, "lib", NULL, SIGSEGV, "crash/crash\n"
	      "lib_hidden:+2,+0x*\n"
	      "crashlib_crash:+2,+0x*\n"
	      "main:+22,+0x*");
}

static void crash_in_dlopened_library(void **s)
{
	check(CRASHER_O0, "dlopen", CRASHLIB, SIGSEGV, "crash/crash\n"
	      "lib_hidden:+2,+0x*\n"
	      "crashlib_crash:+2,+0x*\n"
	      "dl_crash:+4,+0x*\n"
	      "main:+*,+0x*");
}

static void cxx_names_are_demangled_without_parameters(void **s)
{
	check(CRASHER_CXX, "segv", NULL, SIGSEGV, "crash/crash\n"
	      "shapes::Box<int>::open:+2,+0x*\n"
	      "main:+8,+0x*");
}

static void cxx_uncaught_exception_names_the_thrower(void **s)
{
	check(CRASHER_CXX, "throw", NULL, SIGABRT, "crash/crash\n"
	      "shapes::Thrower::go:+2,+0x*\n"
	      "main:+5,+0x*");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
			null_write_at_O0_names_each_frame_with_line_offsets),
		cmocka_unit_test(null_write_at_O2_without_frame_pointers),
		cmocka_unit_test(
			inlined_function_at_O2_lists_the_inline_chain),
		cmocka_unit_test(
			call_through_null_pointer_starts_at_the_caller),
		cmocka_unit_test(call_through_null_pointer_at_O2),
		cmocka_unit_test(recursion_of_1000_frames_collapses),
		cmocka_unit_test(recursion_past_1024_frames_stops_at_the_cap),
		cmocka_unit_test(abort_drops_libc_plumbing),
		cmocka_unit_test(crash_in_shared_library),
		cmocka_unit_test(crash_in_dlopened_library),
		cmocka_unit_test(cxx_names_are_demangled_without_parameters),
		cmocka_unit_test(cxx_uncaught_exception_names_the_thrower),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
