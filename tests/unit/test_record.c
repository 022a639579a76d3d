/* SPDX-License-Identifier: MIT */
/* test_record.c -- watchdog/record.c, the crash record validator: the
 * seed records of tests/fuzz/corpus/fuzz_record are accepted or rejected
 * with the named reason, and edits of a valid record are caught.
 *
 * record.c belongs to the tmwatch executable, not libtmwatch, so it is
 * compiled in here (watchdog/ is on the include path).
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "record.c"
#include "testutil.h"

static unsigned char *seed(const char *name, size_t *len)
{
	char *dir = tu_path(getenv("TMWATCH_SRC"),
			    "tests/fuzz/corpus/fuzz_record");
	char *path = tu_path(dir, name);
	unsigned char *b = (unsigned char *)tu_read_file(path, len);

	if (!b)
		fail_msg("cannot read seed '%s'", path);
	free(path);
	free(dir);
	return b;
}

static void expect(const char *name, const char *reason)
{
	static struct record rec;
	const char *why = NULL;
	size_t len;
	unsigned char *b = seed(name, &len);
	int r = record_parse(b, len, &rec, &why);

	if (!reason) {
		if (r != 0)
			fail_msg("'%s' rejected: %s", name, why);
	} else {
		assert_int_equal(r, TM_EMALFORMED);
		assert_string_equal(why, reason);
	}
	free(b);
}

static void record_accepts_valid_segv_record(void **state)
{
	static struct record rec;
	size_t len;
	unsigned char *b = seed("valid_segv.bin", &len);

	(void)state;
	assert_int_equal(record_parse(b, len, &rec, NULL), 0);
	assert_int_equal(rec.hdr.signo, 11);
	assert_string_equal(rec.exe, "/usr/bin/demo");
	assert_string_equal(rec.thread_name, "demo");
	assert_int_equal(rec.stack_len, 64);
	assert_ptr_equal(rec.stack, b + sizeof(struct tm_crash_record));
	assert_false(rec.is_sent);
	free(b);
}

static void record_accepts_sent_abort_with_message(void **state)
{
	static struct record rec;
	size_t len;
	unsigned char *b = seed("valid_abort_sent.bin", &len);

	(void)state;
	assert_int_equal(record_parse(b, len, &rec, NULL), 0);
	assert_true(rec.is_sent);
	assert_non_null(strstr(rec.abort_msg, "Assertion"));
	free(b);
}

static void record_accepts_empty_stack_copy(void **state)
{
	(void)state;
	expect("valid_no_stack.bin", NULL);
}

static void record_rejects_bad_magic(void **state)
{
	(void)state;
	expect("bad_magic.bin", "bad magic");
}

static void record_rejects_unknown_version(void **state)
{
	(void)state;
	expect("bad_version.bin", "unknown version");
}

static void record_rejects_truncated_header(void **state)
{
	(void)state;
	expect("truncated_header.bin", "truncated header");
}

static void record_rejects_stack_length_past_end(void **state)
{
	(void)state;
	expect("stack_len_past_end.bin", "stack length past the end");
}

static void record_rejects_total_size_mismatch(void **state)
{
	(void)state;
	expect("total_size_mismatch.bin",
	       "total size differs from the bytes received");
}

static void record_rejects_exe_length_out_of_range(void **state)
{
	(void)state;
	expect("exe_len_too_long.bin", "exe path length out of range");
}

static void record_rejects_non_crash_signal(void **state)
{
	(void)state;
	expect("not_a_crash_signal.bin", "not a crash signal");
}

static void record_rejects_empty_input(void **state)
{
	(void)state;
	expect("empty.bin", "shorter than the record magic and version");
}

static void record_rejects_unknown_flags(void **state)
{
	static struct record rec;
	const char *why;
	size_t len;
	unsigned char *b = seed("valid_segv.bin", &len);
	uint32_t flags = 0x80;

	(void)state;
	memcpy(b + 36, &flags, sizeof(flags));
	assert_int_equal(record_parse(b, len, &rec, &why), TM_EMALFORMED);
	assert_string_equal(why, "unknown flags");
	free(b);
}

/* kill_signo (offset 5540): 0 or a crash signal. */
static void record_checks_kill_signal(void **state)
{
	static struct record rec;
	const char *why;
	size_t len;
	unsigned char *b = seed("valid_segv_killed_by_abort.bin", &len);

	(void)state;
	assert_int_equal(record_parse(b, len, &rec, &why), 0);
	assert_int_equal(rec.hdr.kill_signo, SIGABRT);
	free(b);
	expect("kill_signal_not_a_crash_signal.bin",
	       "kill signal not a crash signal");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(record_accepts_valid_segv_record),
		cmocka_unit_test(record_accepts_sent_abort_with_message),
		cmocka_unit_test(record_accepts_empty_stack_copy),
		cmocka_unit_test(record_rejects_bad_magic),
		cmocka_unit_test(record_rejects_unknown_version),
		cmocka_unit_test(record_rejects_truncated_header),
		cmocka_unit_test(record_rejects_stack_length_past_end),
		cmocka_unit_test(record_rejects_total_size_mismatch),
		cmocka_unit_test(record_rejects_exe_length_out_of_range),
		cmocka_unit_test(record_rejects_non_crash_signal),
		cmocka_unit_test(record_rejects_empty_input),
		cmocka_unit_test(record_rejects_unknown_flags),
		cmocka_unit_test(record_checks_kill_signal),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
