/* SPDX-License-Identifier: MIT */
/* test_name.c -- watchdog/name.c: trimming of abort plumbing, frames
 * never listed (naming rule v2: nothing below main or a thread's start,
 * __GI_ folded), the fixed crash names.
 *
 * name.c lives in the watchdog, not in libtmwatch, so it is compiled
 * into this test directly. Real crashes named end to end are in
 * tests/pipeline/.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../../watchdog/name.c"

/* The program's own frames; system library frames (naming rule v2:
 * exported name or soname, the offset never shown). */
#define FN(name, line, off) \
	{ .function = name, .module = "prog", .offset = off, .has_line = 1, \
	  .line_offset = line }
#define OWNMOD(mod, off) { .module = mod, .offset = off }
#define SYM(name, off) \
	{ .function = name, .module = "libc.so.6", .offset = off, \
	  .is_system = 1 }
#define MOD(mod, off) { .module = mod, .offset = off, .is_system = 1 }

static void expect(const struct tm__frame *f, size_t n, const char *want)
{
	char buf[NAME_BUF_SIZE];

	assert_true(name_crash(f, n, buf, sizeof buf) >= 0);
	assert_string_equal(buf, want);
}

static void abort_plumbing_is_dropped_down_to_the_caller(void **s)
{
	const struct tm__frame f[] = {
		SYM("__pthread_kill_implementation", 0x10c),
		SYM("__pthread_kill_internal", 0x3),
		SYM("__GI___pthread_kill", 0x3),
		SYM("raise", 0x12), SYM("abort", 0xd3),
		SYM("__assert_fail_base", 0x71), SYM("__assert_fail", 0x2e),
		FN("check_header", 4, 0x33), FN("main", 9, 0x1f),
	};

	expect(f, 9, "crash/crash\ncheck_header:+4,+0x33\nmain:+9,+0x1f");
}

static void malloc_printerr_and_allocator_frames_stay(void **s)
{
	const struct tm__frame f[] = {
		SYM("raise", 0x12), SYM("abort", 0xd3),
		SYM("__libc_message", 0x2a1), SYM("malloc_printerr", 0xf),
		SYM("_int_free", 0x3c3), FN("release", 2, 0x9),
	};

	expect(f, 6, "crash/crash\nmalloc_printerr\n_int_free\n"
	       "release:+2,+0x9");
}

static void cxx_terminate_path_is_dropped(void **s)
{
	const struct tm__frame f[] = {
		SYM("abort", 0xd3), MOD("libstdc++.so.6.0.30", 0x9d918),
		MOD("libstdc++.so.6.0.30", 0xa8e19),
		SYM("std::terminate", 0x14), SYM("__cxa_throw", 0x47),
		FN("shapes::Thrower::go", 2, 0x4c), FN("main", 5, 0x50),
	};

	expect(f, 7, "crash/crash\nshapes::Thrower::go:+2,+0x4c\n"
	       "main:+5,+0x50");
}

static void unknown_runtime_frames_stay_without_plumbing_above(void **s)
{
	/* A crash inside libc's memcpy with no symbols is the crash. */
	const struct tm__frame f[] = {
		MOD("libc.so.6", 0x15e8a0), FN("copy_out", 3, 0x20),
	};

	expect(f, 2, "crash/crash\nlibc.so.6\ncopy_out:+3,+0x20");
}

static void shim_trampoline_wild_and_thread_start_are_never_listed(void **s)
{
	const struct tm__frame f[] = {
		{ .offset = 0 }, /* a NULL function pointer */
		FN("call_null", 2, 0xc),
		SYM("__restore_rt", 0),
		{ .function = "tm__shim_thread_start",
		  .module = "libtmwatch-preload.so", .offset = 0x40 },
		SYM("start_thread", 0x2b7), SYM("__clone3", 0x2b),
	};

	expect(f, 6, "crash/crash\ncall_null:+2,+0xc");
}

static void nothing_below_main_is_listed(void **s)
{
	/* Library mode's __wrap_main is below main too. */
	const struct tm__frame f[] = {
		FN("parse", 3, 0x1c), FN("main", 4, 0x20),
		FN("__wrap_main", 3, 0x24),
		SYM("__libc_start_call_main", 0x79),
		SYM("__libc_start_main_impl", 0x84),
		OWNMOD("prog", 0x1020),
	};

	expect(f, 6, "crash/crash\nparse:+3,+0x1c\nmain:+4,+0x20");
}

static void unnamed_thread_start_frames_are_not_listed(void **s)
{
	/* Without libc debug info start_thread and clone3 have no
	 * exported name: libc frames at the bottom of a stack. */
	const struct tm__frame f[] = {
		FN("write_null", 2, 0xc), FN("run", 4, 0x2f),
		MOD("libc.so.6", 0x891f4), MOD("libc.so.6", 0x1098eb),
	};

	expect(f, 4, "crash/crash\nwrite_null:+2,+0xc\nrun:+4,+0x2f");
}

static void stripped_executable_ends_above_its_entry(void **s)
{
	const struct tm__frame f[] = {
		OWNMOD("prog", 0x1139), OWNMOD("prog", 0x1150),
		MOD("libc.so.6", 0x27249), SYM("__libc_start_main", 0x84),
		OWNMOD("prog", 0x1060),
	};

	expect(f, 5, "crash/crash\nprog:+0x1139\nprog:+0x1150");
}

static void gi_aliases_are_folded_and_stay(void **s)
{
	/* __GI___libc_read is where clangd blocked: it stays, folded;
	 * __GI_raise is still plumbing. */
	const struct tm__frame f[] = {
		SYM("__GI_raise", 0x12), SYM("__GI___libc_read", 0x4c),
		FN("read_input", 5, 0x30), FN("main", 2, 0x8),
	};

	expect(f, 4, "crash/crash\n__libc_read\nread_input:+5,+0x30\n"
	       "main:+2,+0x8");
}

static void unnamed_frames_of_one_library_are_one_frame(void **s)
{
	struct tm__frame f[] = {
		MOD("libc.so.6", 0x7f42e), MOD("libc.so.6", 0x80f31),
		MOD("libc.so.6", 0x82c21), SYM("free", 0x5e),
		FN("corrupt", 6, 0x43), FN("main", 2, 0x8),
		FN("detail", 1, 0x1),
	};

	/* A detail-only frame (the local log's) is never listed. */
	f[6].detail_only = 1;
	expect(f, 7, "crash/crash\nlibc.so.6\nfree\ncorrupt:+6,+0x43\n"
	       "main:+2,+0x8");
}

static void only_plumbing_gives_the_bare_prefix(void **s)
{
	const struct tm__frame f[] = { SYM("raise", 0x12),
				       SYM("abort", 0xd3) };

	expect(f, 2, "crash/crash");
	expect(f, 0, "crash/crash");
}

static void plumbing_names_inside_the_stack_stay(void **s)
{
	/* Only leading plumbing goes: a program's own abort wrapper
	 * called from deeper frames is part of the story below it. */
	const struct tm__frame f[] = {
		FN("worker", 3, 0x10), SYM("raise", 0x12),
		FN("main", 2, 0x8),
	};

	expect(f, 3, "crash/crash\nworker:+3,+0x10\nraise\nmain:+2,+0x8");
}

static void names_keep_sixteen_frames(void **s)
{
	struct tm__frame f[40];
	char buf[NAME_BUF_SIZE], fn[40][16];
	size_t lines = 0;

	for (int i = 0; i < 40; i++) {
		snprintf(fn[i], sizeof fn[i], "f%d", i);
		f[i] = (struct tm__frame)FN(fn[i], 1, 0x1);
	}
	assert_true(name_crash(f, 40, buf, sizeof buf) > 0);
	for (char *p = buf; (p = strchr(p, '\n')); p++)
		lines++;
	assert_int_equal(lines, TM__STACKNAME_MAX_FRAMES);
	assert_int_equal(name_crash(f, 40, buf, 100), -EINVAL);
}

static void signal_names_are_names_not_descriptions(void **s)
{
	char buf[64];

	assert_string_equal(name_signal_name(SIGSEGV), "SIGSEGV");
	assert_string_equal(name_signal_name(SIGBUS), "SIGBUS");
	assert_string_equal(name_signal_name(SIGFPE), "SIGFPE");
	assert_string_equal(name_signal_name(SIGILL), "SIGILL");
	assert_string_equal(name_signal_name(SIGABRT), "SIGABRT");
	assert_string_equal(name_signal_name(SIGTRAP), "SIGTRAP");
	assert_string_equal(name_signal_name(SIGSYS), "SIGSYS");
	assert_string_equal(name_signal_name(SIGKILL), "SIGKILL");
	assert_string_equal(name_signal_name(35), "SIGRTMIN+1");
	assert_string_equal(name_signal_name(63), "SIGRTMAX-1");
	assert_string_equal(name_signal_name(-1), "SIG?");
	assert_int_equal(name_no_record(SIGBUS, buf, sizeof buf), 22);
	assert_string_equal(buf, "crash/no-record:SIGBUS");
	assert_int_equal(name_signal(SIGFPE, buf, sizeof buf), 19);
	assert_string_equal(buf, "crash/signal:SIGFPE");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(abort_plumbing_is_dropped_down_to_the_caller),
		cmocka_unit_test(malloc_printerr_and_allocator_frames_stay),
		cmocka_unit_test(cxx_terminate_path_is_dropped),
		cmocka_unit_test(
			unknown_runtime_frames_stay_without_plumbing_above),
		cmocka_unit_test(
		    shim_trampoline_wild_and_thread_start_are_never_listed),
		cmocka_unit_test(nothing_below_main_is_listed),
		cmocka_unit_test(unnamed_thread_start_frames_are_not_listed),
		cmocka_unit_test(stripped_executable_ends_above_its_entry),
		cmocka_unit_test(gi_aliases_are_folded_and_stay),
		cmocka_unit_test(unnamed_frames_of_one_library_are_one_frame),
		cmocka_unit_test(only_plumbing_gives_the_bare_prefix),
		cmocka_unit_test(plumbing_names_inside_the_stack_stay),
		cmocka_unit_test(names_keep_sixteen_frames),
		cmocka_unit_test(signal_names_are_names_not_descriptions),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
