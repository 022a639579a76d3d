/* SPDX-License-Identifier: MIT */
/* test_stackname.c -- stack counter names: frame grammar, recursion
 * collapse, the 16-frame and 4096-byte limits (DESIGN §5.3). Expected
 * texts are written out by hand from the design, not computed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "stackname.h"

static char name[TM__STACKNAME_MAX_LEN + 1];

static void frame_with_line_prints_line_and_byte_offset(void **state)
{
	struct tm__frame f = { .function = "parse_header", .offset = 0x1a,
			       .has_line = 1, .line_offset = 7 };
	char buf[128];

	(void)state;
	assert_int_equal(tm__stackname_frame(&f, buf, sizeof buf), 21);
	assert_string_equal(buf, "parse_header:+7,+0x1a");
}

static void frame_without_line_prints_byte_offset_only(void **state)
{
	struct tm__frame f = { .function = "memcpy", .offset = 0x3f0 };
	char buf[64];

	(void)state;
	tm__stackname_frame(&f, buf, sizeof buf);
	assert_string_equal(buf, "memcpy:+0x3f0");
}

static void frame_without_symbol_prints_module_offset(void **state)
{
	struct tm__frame f = { .module = "libfoo.so.1", .offset = 0x12345 };
	char buf[64];

	(void)state;
	tm__stackname_frame(&f, buf, sizeof buf);
	assert_string_equal(buf, "libfoo.so.1:+0x12345");
}

static void frame_strips_control_bytes_from_names(void **state)
{
	struct tm__frame f = { .function = "evil\nfake:+0x0", .offset = 1 };
	char buf[64];

	(void)state;
	tm__stackname_frame(&f, buf, sizeof buf);
	assert_string_equal(buf, "evil?fake:+0x0:+0x1");
}

static void name_joins_prefix_and_frames_with_newlines(void **state)
{
	struct tm__frame f[] = {
		{ .function = "crash_here", .offset = 0x11, .has_line = 1,
		  .line_offset = 2 },
		{ .function = "main", .offset = 0x2c, .has_line = 1,
		  .line_offset = 5 },
		{ .module = "libc.so.6", .offset = 0x271ca },
	};

	(void)state;
	tm__stackname_build("crash/crash", f, 3, name, sizeof name);
	assert_string_equal(name, "crash/crash\ncrash_here:+2,+0x11\n"
			    "main:+5,+0x2c\nlibc.so.6:+0x271ca");
}

static void recursion_collapses_to_one_frame_and_one_ellipsis(void **state)
{
	struct tm__frame f[40];

	(void)state;
	for (int i = 0; i < 40; i++)
		f[i] = (struct tm__frame){ .function = "recurse", .offset = 9,
					   .has_line = 1, .line_offset = 3 };
	f[39] = (struct tm__frame){ .function = "main", .offset = 0x10 };
	tm__stackname_build("crash/crash", f, 40, name, sizeof name);
	assert_string_equal(name, "crash/crash\nrecurse:+3,+0x9\n"
			    "\xe2\x80\xa6\nmain:+0x10");
}

static void name_keeps_at_most_sixteen_frame_lines(void **state)
{
	struct tm__frame f[30];
	char fn[30][16];
	int lines = 0;

	(void)state;
	for (int i = 0; i < 30; i++) {
		snprintf(fn[i], sizeof fn[i], "f%d", i);
		f[i] = (struct tm__frame){ .function = fn[i], .offset = 1 };
	}
	tm__stackname_build("p", f, 30, name, sizeof name);
	for (char *p = name; *p; p++)
		lines += *p == '\n';
	assert_int_equal(lines, 16);
	assert_non_null(strstr(name, "\nf15:+0x1"));
	assert_null(strstr(name, "\nf16:"));
}

static void long_name_is_cut_at_4096_with_truncated_marker(void **state)
{
	static char longfn[16][1000];
	struct tm__frame f[16];
	int len;

	(void)state;
	for (int i = 0; i < 16; i++) {
		memset(longfn[i], 'a' + i, sizeof longfn[i] - 1);
		longfn[i][sizeof longfn[i] - 1] = 0;
		f[i] = (struct tm__frame){ .function = longfn[i] };
	}
	len = tm__stackname_build("crash/crash", f, 16, name, sizeof name);
	assert_int_equal(len, 4096);
	assert_int_equal(strlen(name), 4096);
	assert_memory_equal(name + 4096 - 11, "\ntruncated\n", 11);
}

static void system_frames_print_name_or_soname_without_offset(void **s)
{
	struct tm__frame f = { .function = "__GI___libc_read",
			       .module = "libc.so.6", .offset = 0x4c,
			       .is_system = 1 };
	struct tm__frame g = { .module = "libstdc++.so.6", .offset = 0xa8e19,
			       .is_system = 1 };
	char buf[64];

	(void)s;
	assert_int_equal(tm__stackname_frame(&f, buf, sizeof buf), 11);
	assert_string_equal(buf, "__libc_read");
	tm__stackname_frame(&g, buf, sizeof buf);
	assert_string_equal(buf, "libstdc++.so.6");
}

/* What tm_stack_counter_inc lists: the rule v2 selection, without the
 * crash's abort-plumbing trim. */
static void selection_ends_at_main_and_keeps_leading_frames(void **s)
{
	const struct tm__frame in[] = {
		{ .function = "abort", .module = "libc.so.6", .is_system = 1 },
		{ .function = "check", .module = "p", .offset = 8,
		  .has_line = 1, .line_offset = 2 },
		{ .function = "main", .module = "p", .offset = 9,
		  .has_line = 1, .line_offset = 3 },
		{ .function = "__libc_start_main", .module = "libc.so.6",
		  .is_system = 1 },
		{ .function = "_start", .module = "p", .offset = 0x20 },
	};
	struct tm__frame out[5];
	size_t n;

	(void)s;
	n = tm__stackname_select(in, 5, out);
	assert_int_equal(n, 3);
	assert_int_equal(tm__stackname_build("x/bug", out, n, name,
					     sizeof name), 38);
	assert_string_equal(name, "x/bug\nabort\ncheck:+2,+0x8\nmain:+3,+0x9");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(frame_with_line_prints_line_and_byte_offset),
		cmocka_unit_test(
			system_frames_print_name_or_soname_without_offset),
		cmocka_unit_test(
			selection_ends_at_main_and_keeps_leading_frames),
		cmocka_unit_test(frame_without_line_prints_byte_offset_only),
		cmocka_unit_test(frame_without_symbol_prints_module_offset),
		cmocka_unit_test(frame_strips_control_bytes_from_names),
		cmocka_unit_test(name_joins_prefix_and_frames_with_newlines),
		cmocka_unit_test(
			recursion_collapses_to_one_frame_and_one_ellipsis),
		cmocka_unit_test(name_keeps_at_most_sixteen_frame_lines),
		cmocka_unit_test(
			long_name_is_cut_at_4096_with_truncated_marker),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
