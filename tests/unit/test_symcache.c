/* SPDX-License-Identifier: MIT */
/* test_symcache.c -- the symbolization cache's records (tool/symcache.c):
 * round trip, the last record winning, and every way a record can be
 * torn, edited or hostile; the file reads and appends (size cap, no
 * symlink, 0600 files in a 0700 directory).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "symcache.h"
#include "testutil.h"
#include "tmwatch/common.h"

static const unsigned char ID[20] = { 0x12, 0xab, 0x00, 0xff };

/* Two frames of one PC: an inlined level and its physical function. */
static void two_frames(struct tm__frame *fr, struct tm__frame_info *in)
{
	memset(fr, 0, 2 * sizeof *fr);
	memset(in, 0, 2 * sizeof *in);
	fr[0].offset = 0x21;
	fr[0].has_line = 1;
	fr[0].line_offset = -3;
	in[0].source = TM__SYM_DWARF;
	in[0].is_inlined = 1;
	in[0].line = 17;
	in[0].function = "inner";
	in[0].file = "/src/a.c";
	in[0].debug_file = "/usr/lib/debug/x.debug";
	fr[1].offset = 0x1234;
	in[1].source = TM__SYM_SYMTAB;
	in[1].function = "outer";
}

static long encode(uint64_t ident, uint64_t rel, unsigned char *buf,
		   size_t cap)
{
	struct tm__frame fr[2];
	struct tm__frame_info in[2];

	two_frames(fr, in);
	return tm__symcache_encode(ident, rel, fr, in, 2, 1, buf, cap);
}

static void record_round_trips(void **state)
{
	unsigned char buf[4096];
	struct tm__symcache_hit hit;
	struct tm__symcache_frame f;
	long len = encode(7, 0x4000, buf, sizeof buf);

	(void)state;
	assert_true(len > 0);
	assert_int_equal(tm__symcache_find(buf, (size_t)len, 7, 0x4000, &hit),
			 0);
	assert_int_equal(hit.nframes, 2);
	assert_int_equal(hit.had_debug, 1);
	assert_int_equal(tm__symcache_next(&hit, &f), 0);
	assert_int_equal(f.offset, 0x21);
	assert_int_equal(f.has_line, 1);
	assert_int_equal(f.line_offset, -3);
	assert_int_equal(f.is_inlined, 1);
	assert_int_equal(f.line, 17);
	assert_int_equal(f.source, TM__SYM_DWARF);
	assert_int_equal(f.function_len, 5);
	assert_memory_equal(f.function, "inner", 5);
	assert_memory_equal(f.file, "/src/a.c", f.file_len);
	assert_int_equal(f.debug_file_len, strlen("/usr/lib/debug/x.debug"));
	assert_int_equal(tm__symcache_next(&hit, &f), 0);
	assert_int_equal(f.offset, 0x1234);
	assert_int_equal(f.has_line, 0);
	assert_int_equal(f.source, TM__SYM_SYMTAB);
	assert_null(f.file);
	assert_null(f.debug_file);
	assert_int_equal(tm__symcache_next(&hit, &f), -ENOENT);
	tm__symcache_rewind(&hit);
	assert_int_equal(tm__symcache_next(&hit, &f), 0);
	assert_int_equal(f.offset, 0x21);
}

static void find_needs_ident_and_address(void **state)
{
	unsigned char buf[4096];
	struct tm__symcache_hit hit;
	long len = encode(7, 0x4000, buf, sizeof buf);

	(void)state;
	assert_int_equal(tm__symcache_find(buf, (size_t)len, 8, 0x4000, &hit),
			 -ENOENT);
	assert_int_equal(tm__symcache_find(buf, (size_t)len, 7, 0x4001, &hit),
			 -ENOENT);
	assert_int_not_equal(tm__symcache_ident("/a", 1),
			     tm__symcache_ident("/a", 2));
	assert_int_not_equal(tm__symcache_ident("/a", 1),
			     tm__symcache_ident("/b", 1));
}

static void find_skips_records_of_other_addresses(void **state)
{
	unsigned char buf[8192];
	struct tm__symcache_hit hit;
	long a = encode(7, 0x10, buf, sizeof buf);
	long b = encode(7, 0x20, buf + a, sizeof buf - (size_t)a);

	(void)state;
	assert_int_equal(tm__symcache_find(buf, (size_t)(a + b), 7, 0x20,
					   &hit), 0);
	assert_ptr_equal(hit.p, buf + a);
}

/* Every prefix of a record short of the whole is not found. */
static void every_truncation_is_rejected(void **state)
{
	unsigned char buf[4096];
	struct tm__symcache_hit hit;
	long len = encode(7, 1, buf, sizeof buf);

	(void)state;
	for (long n = 0; n < len; n++)
		assert_int_equal(tm__symcache_find(buf, (size_t)n, 7, 1, &hit),
				 -ENOENT);
}

/* Every single flipped byte is caught (header checks or checksum). */
static void every_flipped_byte_is_rejected(void **state)
{
	unsigned char buf[4096];
	struct tm__symcache_hit hit;
	long len = encode(7, 1, buf, sizeof buf);

	(void)state;
	for (long i = 0; i < len; i++) {
		buf[i] ^= 0x40;
		assert_int_equal(tm__symcache_find(buf, (size_t)len, 7, 1,
						   &hit), -ENOENT);
		buf[i] ^= 0x40;
	}
}

static void huge_lengths_and_frame_counts_are_rejected(void **state)
{
	unsigned char buf[64] = { 'T', 'S', 'C', '1' };
	struct tm__symcache_hit hit;

	(void)state;
	memset(buf + 4, 0xff, 4);
	assert_int_equal(tm__symcache_find(buf, sizeof buf, 0, 0, &hit),
			 -ENOENT);
	/* Length 64, 65535 frames, ident and address 0. */
	buf[4] = 64;
	buf[5] = buf[6] = buf[7] = 0;
	buf[24] = buf[25] = 0xff;
	assert_int_equal(tm__symcache_find(buf, sizeof buf, 0, 0, &hit),
			 -ENOENT);
}

/* A record appended after a corrupt one in the middle is still found
 * when the corrupt one's header holds (checksum only). */
static void bad_checksum_skips_one_record(void **state)
{
	unsigned char buf[8192];
	struct tm__symcache_hit hit;
	long a = encode(7, 1, buf, sizeof buf);
	long b = encode(7, 2, buf + a, sizeof buf - (size_t)a);

	(void)state;
	buf[a - 1] ^= 1;
	assert_int_equal(tm__symcache_find(buf, (size_t)(a + b), 7, 1, &hit),
			 -ENOENT);
	assert_int_equal(tm__symcache_find(buf, (size_t)(a + b), 7, 2, &hit),
			 0);
}

static void encode_refuses_what_cannot_be_read_back(void **state)
{
	unsigned char buf[4096];
	struct tm__frame fr[2];
	struct tm__frame_info in[2];
	char *longname = malloc(TM__SYMCACHE_STRING_MAX + 1);
	size_t cap = sizeof buf;

	(void)state;
	two_frames(fr, in);
	assert_int_equal(tm__symcache_encode(1, 1, fr, in, 0, 0, buf, cap),
			 TM_EINVAL);
	assert_int_equal(tm__symcache_encode(1, 1, fr, in, 2, 0, buf, 40),
			 -E2BIG);
	memset(longname, 'x', TM__SYMCACHE_STRING_MAX);
	longname[TM__SYMCACHE_STRING_MAX] = 0;
	in[0].function = longname;
	assert_int_equal(tm__symcache_encode(1, 1, fr, in, 2, 0, buf, cap),
			 -E2BIG);
	free(longname);
}

static void append_then_load_reads_the_records(void **state)
{
	char *tmp = tu_tmpdir("symcache-unit"), *dir = tu_path(tmp, "a/b");
	char *file = tu_path(dir, "12ab00ff00000000000000000000000000000000"
				    TM__SYMCACHE_GENERATION);
	unsigned char rec[4096], *buf;
	struct tm__symcache_hit hit;
	struct stat st;
	long len = encode(7, 9, rec, sizeof rec);
	size_t got;

	(void)state;
	assert_int_equal(tm__symcache_load(dir, ID, sizeof ID, &buf, &got),
			 -ENOENT);
	assert_int_equal(tm__symcache_append(dir, ID, sizeof ID, rec,
					     (size_t)len), 0);
	assert_int_equal(tm__symcache_append(dir, ID, sizeof ID, rec,
					     (size_t)len), 0);
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	assert_int_equal(stat(file, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(tm__symcache_load(dir, ID, sizeof ID, &buf, &got),
			 0);
	assert_int_equal(got, 2 * (size_t)len);
	assert_int_equal(tm__symcache_find(buf, got, 7, 9, &hit), 0);
	free(buf);
	tu_rmrf(tmp);
	free(file);
	free(dir);
	free(tmp);
}

static void append_stops_at_the_size_cap(void **state)
{
	char *tmp = tu_tmpdir("symcache-unit");
	char *file = tu_path(tmp, "12ab00ff00000000000000000000000000000000"
				    TM__SYMCACHE_GENERATION);
	unsigned char rec[4096];
	long len = encode(7, 9, rec, sizeof rec);
	struct stat st;

	(void)state;
	assert_int_equal(tu_write_file(file, "", 0), 0);
	assert_int_equal(truncate(file, TM__SYMCACHE_FILE_MAX - 10), 0);
	assert_int_equal(tm__symcache_append(tmp, ID, sizeof ID, rec,
					     (size_t)len), TM_EFULL);
	assert_int_equal(stat(file, &st), 0);
	assert_int_equal(st.st_size, TM__SYMCACHE_FILE_MAX - 10);
	tu_rmrf(tmp);
	free(file);
	free(tmp);
}

static void symlinked_cache_file_is_not_used(void **state)
{
	char *tmp = tu_tmpdir("symcache-unit");
	char *file = tu_path(tmp, "12ab00ff00000000000000000000000000000000"
				    TM__SYMCACHE_GENERATION);
	char *target = tu_path(tmp, "target");
	unsigned char rec[4096], *buf;
	long len = encode(7, 9, rec, sizeof rec);
	struct stat st;
	size_t got;

	(void)state;
	assert_int_equal(tu_write_file(target, rec, (size_t)len), 0);
	assert_int_equal(symlink(target, file), 0);
	assert_int_equal(tm__symcache_load(tmp, ID, sizeof ID, &buf, &got),
			 -ELOOP);
	assert_int_equal(tm__symcache_append(tmp, ID, sizeof ID, rec,
					     (size_t)len), -ELOOP);
	assert_int_equal(stat(target, &st), 0);
	assert_int_equal(st.st_size, len);
	tu_rmrf(tmp);
	free(target);
	free(file);
	free(tmp);
}

/* tm_stack_counter_inc symbolizes its own process: the cache is the
 * watchdog's alone. */
static void self_symbolizer_refuses_the_cache(void **state)
{
	struct tm__symbolizer *s = NULL;

	(void)state;
	assert_int_equal(tm__symbolize_open(0, &s), 0);
	assert_int_equal(tm__symbolize_set_cache_dir(s, "/tmp"), TM_EINVAL);
	tm__symbolize_close(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(record_round_trips),
		cmocka_unit_test(find_needs_ident_and_address),
		cmocka_unit_test(find_skips_records_of_other_addresses),
		cmocka_unit_test(every_truncation_is_rejected),
		cmocka_unit_test(every_flipped_byte_is_rejected),
		cmocka_unit_test(huge_lengths_and_frame_counts_are_rejected),
		cmocka_unit_test(bad_checksum_skips_one_record),
		cmocka_unit_test(encode_refuses_what_cannot_be_read_back),
		cmocka_unit_test(append_then_load_reads_the_records),
		cmocka_unit_test(append_stops_at_the_size_cap),
		cmocka_unit_test(symlinked_cache_file_is_not_used),
		cmocka_unit_test(self_symbolizer_refuses_the_cache),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
