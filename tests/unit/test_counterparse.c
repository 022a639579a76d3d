/* SPDX-License-Identifier: MIT */
/* test_counterparse.c -- the counter file reader (lib/counterparse.c) on
 * valid files and on one hand-made corruption per rule it enforces.
 *
 * Files are built here byte by byte from the format (docs/counter-file.md),
 * independently of the writer, and every rejection checks the exact reason
 * text a user would see.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "counterfile.h"
#include "counterparse.h"
#include "testutil.h"
#include "tmwatch/counter.h"

static const char META[] =
	"TimeBegin: 2026-11-23T00:00:00Z\n"
	"TimeEnd: 2026-11-28T00:00:00Z\n"
	"Program: ccls\n"
	"Version: 0.20241108\n"
	"GoVersion: gcc12.2.0\n"
	"GOOS: linux\n"
	"GOARCH: amd64\n"
	"\n";
#define HDR_LEN 192u
#define FIRST_REC 2272u /* round_up(192 + 4 + 2048, 32) */

/* A counter file image built by hand. */
struct img {
	unsigned char d[32768];
	size_t len;
	uint32_t limit;
};

static uint32_t ref_bucket(const char *s, size_t n)
{
	uint32_t h = 0x811c9dc5u;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (uint8_t)s[i]) * 0x01000193u;
	return (h ^ (h >> 16)) % 512;
}

static void put32(struct img *m, uint32_t off, uint32_t v)
{
	memcpy(m->d + off, &v, 4);
}

static uint32_t get32(struct img *m, uint32_t off)
{
	uint32_t v;

	memcpy(&v, m->d + off, 4);
	return v;
}

static struct img *img_new(void)
{
	struct img *m = calloc(1, sizeof(*m));

	m->len = 16384;
	memcpy(m->d, "# telemetry/counter file v1\n", 28);
	put32(m, 28, HDR_LEN);
	memcpy(m->d + 32, META, sizeof(META) - 1);
	m->limit = FIRST_REC;
	return m;
}

/* Appends a record (not linked) and returns its offset. */
static uint32_t img_record(struct img *m, const char *name, size_t n,
			   uint64_t value)
{
	uint32_t off = m->limit;

	memcpy(m->d + off, &value, 8);
	put32(m, off + 8, (uint32_t)n | 0xFF000000u);
	memcpy(m->d + off + 16, name, n);
	m->limit = off + (uint32_t)((16 + n + 31) / 32 * 32);
	put32(m, HDR_LEN, m->limit);
	return off;
}

/* Appends a record and pushes it on its bucket's chain. */
static uint32_t img_add(struct img *m, const char *name, uint64_t value)
{
	size_t n = strlen(name);
	uint32_t head = HDR_LEN + 4 + 4 * ref_bucket(name, n);
	uint32_t off = img_record(m, name, n, value);

	put32(m, off + 12, get32(m, head));
	put32(m, head, off);
	return off;
}

static void expect_corrupt(struct img *m, const char *reason)
{
	struct tm__parsed_file pf;
	char why[128] = "unset";

	assert_int_equal(tm__counterparse_buf(m->d, m->len, &pf, why,
					      sizeof(why)), TM_ECORRUPT);
	assert_string_equal(why, reason);
	assert_int_equal(pf.ncounters, 0);
	assert_null(pf.counters);
	free(m);
}

static const struct tm__parsed_counter *find(const struct tm__parsed_file *pf,
					     const char *name)
{
	for (size_t i = 0; i < pf->ncounters; i++) {
		if (strcmp(pf->counters[i].name, name) == 0)
			return &pf->counters[i];
	}
	return NULL;
}

static void valid_file_yields_meta_and_counters(void **state)
{
	struct img *m = img_new();
	struct tm__parsed_file pf;
	char why[128];

	(void)state;
	img_add(m, "ccls/requests", 5);
	img_add(m, "ccls/errors", 2);
	img_add(m, "counter/main", 1);
	assert_int_equal(tm__counterparse_buf(m->d, m->len, &pf, why,
					      sizeof(why)), 0);
	assert_int_equal(pf.nmeta, 7);
	assert_string_equal(pf.meta_keys[0], "TimeBegin");
	assert_string_equal(pf.meta_values[0], "2026-11-23T00:00:00Z");
	assert_string_equal(tm__parsed_meta(&pf, "Program"), "ccls");
	assert_string_equal(tm__parsed_meta(&pf, "GoVersion"), "gcc12.2.0");
	assert_string_equal(tm__parsed_meta(&pf, "GOARCH"), "amd64");
	assert_null(tm__parsed_meta(&pf, "Nope"));
	assert_int_equal(pf.ncounters, 3);
	assert_int_equal(find(&pf, "ccls/requests")->value, 5);
	assert_int_equal(find(&pf, "ccls/errors")->value, 2);
	assert_int_equal(find(&pf, "counter/main")->value, 1);
	assert_int_equal(find(&pf, "ccls/errors")->name_len, 11);
	tm__counterparse_free(&pf);
	assert_null(pf.counters);
	free(m);
}

static void empty_file_has_no_counters(void **state)
{
	struct img *m = img_new();
	struct tm__parsed_file pf;

	(void)state;
	put32(m, HDR_LEN, 0);
	assert_int_equal(tm__counterparse_buf(m->d, m->len, &pf, NULL, 0), 0);
	assert_int_equal(pf.ncounters, 0);
	tm__counterparse_free(&pf);
	free(m);
}

static void stack_names_are_ditto_expanded(void **state)
{
	struct img *m = img_new();
	struct tm__parsed_file pf;
	const char *stack = "crash/crash\n"
			    "golang.org/x/tools/gopls.main:+3,+0x1f\n"
			    "\".run:+2,+0x10\n"
			    "clang::Parser::ParseTopLevelDecl:+1,+0x2\n"
			    "\".again:+0,+0x4";
	const char *want = "crash/crash\n"
			   "golang.org/x/tools/gopls.main:+3,+0x1f\n"
			   "golang.org/x/tools/gopls.run:+2,+0x10\n"
			   "clang::Parser::ParseTopLevelDecl:+1,+0x2\n"
			   "golang.org/x/tools/gopls.again:+0,+0x4";
	const struct tm__parsed_counter *c;

	(void)state;
	img_add(m, stack, 3);
	/* Without a newline a name is never a stack: kept as is. */
	img_add(m, "\".plain", 1);
	/* A ditto before any path expands to the rest alone. */
	img_add(m, "x\n\".f:+1", 1);
	assert_int_equal(tm__counterparse_buf(m->d, m->len, &pf, NULL, 0), 0);
	c = find(&pf, want);
	assert_non_null(c);
	assert_int_equal(c->name_len, strlen(want));
	assert_int_equal(c->value, 3);
	assert_non_null(find(&pf, "\".plain"));
	assert_non_null(find(&pf, "x\nf:+1"));
	tm__counterparse_free(&pf);
	free(m);
}

static void dead_mark_ends_a_chain(void **state)
{
	struct img *m = img_new();
	struct tm__parsed_file pf;
	uint32_t off = img_add(m, "a", 1);

	(void)state;
	put32(m, off + 12, 0xFFFFFFFFu);
	assert_int_equal(tm__counterparse_buf(m->d, m->len, &pf, NULL, 0), 0);
	assert_int_equal(pf.ncounters, 1);
	tm__counterparse_free(&pf);
	free(m);
}

static void rejects_wrong_magic(void **state)
{
	struct img *m = img_new();

	(void)state;
	m->d[26] = '2';
	expect_corrupt(m, "wrong magic");
}

static void rejects_truncated_file(void **state)
{
	struct img *m = img_new();

	(void)state;
	m->len = 8000;
	expect_corrupt(m, "file too short (8000 bytes)");
}

static void rejects_header_length_past_end(void **state)
{
	struct img *m = img_new();

	(void)state;
	put32(m, 28, 70000);
	expect_corrupt(m, "header length 70000 past end of file (16384 bytes)");
}

static void rejects_corrupt_header_length(void **state)
{
	struct img *m = img_new();

	(void)state;
	put32(m, 28, 50);
	expect_corrupt(m, "header length 50 not a multiple of 32");
	m = img_new();
	put32(m, 28, 16352);
	expect_corrupt(m, "header length 16352 leaves no room for the hash "
		       "table");
}

static void rejects_corrupt_metadata(void **state)
{
	struct img *m = img_new();

	(void)state;
	memcpy(m->d + 32 + 14, "Program=ccls\n", 13);
	expect_corrupt(m, "metadata line without ': '");
}

static void rejects_limit_past_end(void **state)
{
	struct img *m = img_new();

	(void)state;
	put32(m, HDR_LEN, 0x8000);
	expect_corrupt(m, "limit 0x8000 past end of file (16384 bytes)");
}

static void rejects_chain_cycle(void **state)
{
	struct img *m = img_new();
	uint32_t a = img_record(m, "a", 1, 1), b = img_record(m, "b", 1, 1);

	(void)state;
	put32(m, HDR_LEN + 4 + 4 * 17, a);
	put32(m, a + 12, b);
	put32(m, b + 12, a);
	expect_corrupt(m, "chain cycle in bucket 17");
}

static void rejects_record_in_two_chains(void **state)
{
	struct img *m = img_new();
	uint32_t a = img_record(m, "a", 1, 1);

	(void)state;
	put32(m, HDR_LEN + 4 + 4 * 1, a);
	put32(m, HDR_LEN + 4 + 4 * 2, a);
	expect_corrupt(m, "record at 0x8e0 in two chains");
}

static void rejects_pointer_into_header(void **state)
{
	struct img *m = img_new();

	(void)state;
	put32(m, HDR_LEN + 4 + 4 * 3, 64);
	expect_corrupt(m, "record pointer 0x40 into the header or hash table "
		       "(bucket 3)");
}

static void rejects_pointer_into_hash_table(void **state)
{
	struct img *m = img_new();

	(void)state;
	put32(m, HDR_LEN + 4 + 4 * 9, 0x100);
	expect_corrupt(m, "record pointer 0x100 into the header or hash table "
		       "(bucket 9)");
}

static void rejects_unaligned_pointer(void **state)
{
	struct img *m = img_new();
	uint32_t a = img_add(m, "a", 1);

	(void)state;
	put32(m, a + 12, a + 40);
	expect_corrupt(m, "unaligned record pointer 0x908 in bucket 288");
}

static void rejects_duplicate_names(void **state)
{
	struct img *m = img_new();
	uint32_t a = img_record(m, "dup", 3, 1), b = img_record(m, "dup", 3, 2);

	(void)state;
	put32(m, HDR_LEN + 4 + 4 * 1, a);
	put32(m, HDR_LEN + 4 + 4 * 2, b);
	expect_corrupt(m, "duplicate counter name");
}

static void rejects_name_over_4096(void **state)
{
	struct img *m = img_new();
	uint32_t a = img_add(m, "a", 1);

	(void)state;
	put32(m, a + 8, 5000 | 0xFF000000u);
	expect_corrupt(m, "name length 5000 over 4096");
}

static void rejects_zero_length_name(void **state)
{
	struct img *m = img_new();
	uint32_t a = img_add(m, "a", 1);

	(void)state;
	put32(m, a + 8, 0xFF000000u);
	expect_corrupt(m, "zero-length name at 0x8e0");
}

static void rejects_record_past_end(void **state)
{
	struct img *m = img_new();
	uint32_t a = img_add(m, "a", 1);

	(void)state;
	put32(m, a + 12, 0x4000);
	expect_corrupt(m, "record at 0x4000 crosses end of file");
	m = img_new();
	a = img_add(m, "a", 1);
	put32(m, a + 12, 0x3fe0);
	put32(m, 0x3fe0 + 8, 100 | 0xFF000000u);
	expect_corrupt(m, "record at 0x3fe0 crosses end of file");
}

static void rejects_stack_name_that_expands_too_far(void **state)
{
	struct img *m = img_new();
	char name[4097];
	size_t n = 0;

	(void)state;
	/* A 2000-byte path, then as many 3-byte ditto lines as fit: each
	 * expands to about 2000 bytes. */
	memset(name, 'p', 2000);
	n = 2000;
	memcpy(name + n, ".f", 2);
	n += 2;
	while (n + 4 <= 4096) {
		memcpy(name + n, "\n\".g", 4);
		n += 4;
	}
	name[n] = '\0';
	img_add(m, name, 1);
	expect_corrupt(m, "stack name at 0x8e0 expands past 65536 bytes");
}

static void rejects_absurd_size(void **state)
{
	size_t len = (size_t)TM__COUNTERFILE_MAX_SIZE + 32768;
	unsigned char *d = mmap(NULL, len, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct tm__parsed_file pf;
	char why[128];

	(void)state;
	assert_true(d != MAP_FAILED);
	memcpy(d, "# telemetry/counter file v1\n", 28);
	assert_int_equal(tm__counterparse_buf(d, len, &pf, why, sizeof(why)),
			 TM_ECORRUPT);
	assert_string_equal(why, "file size 67141632 over the 67108864-byte "
			    "cap");
	munmap(d, len);
}

static void path_refuses_huge_file_without_reading_it(void **state)
{
	char *dir = tu_tmpdir("counterparse");
	char *p = tu_path(dir, "huge.v1.count");
	struct tm__parsed_file pf;
	char why[128];
	int fd = open(p, O_CREAT | O_RDWR, 0600);

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 100 << 20), 0);
	close(fd);
	assert_int_equal(tm__counterparse_path(p, &pf, why, sizeof(why)),
			 TM_ECORRUPT);
	assert_string_equal(why, "file size 104857600 over the 67108864-byte "
			    "cap");
	tu_rmrf(dir);
	free(p);
	free(dir);
}

static void path_refuses_fifo_and_missing_file(void **state)
{
	char *dir = tu_tmpdir("counterparse");
	char *p = tu_path(dir, "fifo.v1.count");
	struct tm__parsed_file pf;
	char why[128];

	(void)state;
	assert_int_equal(mkfifo(p, 0600), 0);
	assert_int_equal(tm__counterparse_path(p, &pf, why, sizeof(why)),
			 TM_ECORRUPT);
	assert_string_equal(why, "not a regular file");
	unlink(p);
	assert_int_equal(tm__counterparse_path(p, &pf, why, sizeof(why)),
			 -ENOENT);
	tu_rmrf(dir);
	free(p);
	free(dir);
}

/* Writes a two-page file with the real writer. */
static char *write_two_pages(char **dirp)
{
	char *dir = tu_tmpdir("counterparse");
	struct tm__counterfile *f;
	char name[4001];
	uint64_t *c;
	int dfd = open(dir, O_RDONLY | O_DIRECTORY);

	assert_int_equal(tm__counterfile_open(dfd, "t.v1.count", META,
					      sizeof(META) - 1, &f), 0);
	for (int i = 0; i < 4; i++) {
		memset(name, 'a' + i, 4000);
		name[4000] = '\0';
		assert_int_equal(tm__counterfile_counter(f, name, 4000, &c), 0);
		tm__counterfile_add(c, (uint64_t)i + 10);
	}
	tm__counterfile_close(f);
	close(dfd);
	*dirp = dir;
	return tu_path(dir, "t.v1.count");
}

static void path_reads_what_the_writer_wrote(void **state)
{
	char *dir, *p = write_two_pages(&dir);
	struct tm__parsed_file pf;

	(void)state;
	assert_int_equal(tm__counterparse_path(p, &pf, NULL, 0), 0);
	assert_int_equal(pf.ncounters, 4);
	for (size_t i = 0; i < pf.ncounters; i++) {
		assert_int_equal(pf.counters[i].name_len, 4000);
		assert_int_equal(pf.counters[i].value,
				 10 + (pf.counters[i].name[0] - 'a'));
	}
	tm__counterparse_free(&pf);
	tu_rmrf(dir);
	free(p);
	free(dir);
}

static void file_truncated_behind_writer_is_corrupt(void **state)
{
	char *dir, *p = write_two_pages(&dir);
	struct tm__parsed_file pf;
	char why[128];

	(void)state;
	assert_int_equal(truncate(p, 16384), 0);
	assert_int_equal(tm__counterparse_path(p, &pf, why, sizeof(why)),
			 TM_ECORRUPT);
	/* limit = 16384 + 4032 */
	assert_string_equal(why, "limit 0x4fc0 past end of file (16384 "
			    "bytes)");
	tu_rmrf(dir);
	free(p);
	free(dir);
}

struct visit {
	int seen;
	uint64_t sum;
	int stop_at;
};

static int visit(const struct tm_counter_entry *e, void *arg)
{
	struct visit *v = arg;

	assert_int_equal(e->name_len, 4000);
	v->seen++;
	v->sum += e->value;
	return v->seen == v->stop_at ? 42 : 0;
}

static void foreach_visits_counters_and_stops_on_request(void **state)
{
	char *dir, *p = write_two_pages(&dir);
	struct visit v = { 0, 0, 0 };

	(void)state;
	assert_int_equal(tm_counter_file_foreach(p, visit, &v), 0);
	assert_int_equal(v.seen, 4);
	assert_int_equal(v.sum, 10 + 11 + 12 + 13);
	v = (struct visit){ 0, 0, 2 };
	assert_int_equal(tm_counter_file_foreach(p, visit, &v), 42);
	assert_int_equal(v.seen, 2);
	truncate(p, 16384);
	assert_int_equal(tm_counter_file_foreach(p, visit, &v), TM_ECORRUPT);
	tu_rmrf(dir);
	free(p);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(valid_file_yields_meta_and_counters),
		cmocka_unit_test(empty_file_has_no_counters),
		cmocka_unit_test(stack_names_are_ditto_expanded),
		cmocka_unit_test(dead_mark_ends_a_chain),
		cmocka_unit_test(rejects_wrong_magic),
		cmocka_unit_test(rejects_truncated_file),
		cmocka_unit_test(rejects_header_length_past_end),
		cmocka_unit_test(rejects_corrupt_header_length),
		cmocka_unit_test(rejects_corrupt_metadata),
		cmocka_unit_test(rejects_limit_past_end),
		cmocka_unit_test(rejects_chain_cycle),
		cmocka_unit_test(rejects_record_in_two_chains),
		cmocka_unit_test(rejects_pointer_into_header),
		cmocka_unit_test(rejects_pointer_into_hash_table),
		cmocka_unit_test(rejects_unaligned_pointer),
		cmocka_unit_test(rejects_duplicate_names),
		cmocka_unit_test(rejects_name_over_4096),
		cmocka_unit_test(rejects_zero_length_name),
		cmocka_unit_test(rejects_record_past_end),
		cmocka_unit_test(rejects_stack_name_that_expands_too_far),
		cmocka_unit_test(rejects_absurd_size),
		cmocka_unit_test(path_refuses_huge_file_without_reading_it),
		cmocka_unit_test(path_refuses_fifo_and_missing_file),
		cmocka_unit_test(path_reads_what_the_writer_wrote),
		cmocka_unit_test(file_truncated_behind_writer_is_corrupt),
		cmocka_unit_test(foreach_visits_counters_and_stops_on_request),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
