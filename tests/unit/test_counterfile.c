/* SPDX-License-Identifier: MIT */
/* test_counterfile.c -- byte-exact format and fault tests for the counter
 * file writer (lib/counterfile.c).
 *
 * Expected bytes are computed here from the format (docs/counter-file.md)
 * with our own FNV-1a, never through the implementation, so a change that
 * breaks compatibility with Go's v1 files fails here. Multi-process
 * behaviour is in tests/stress/.
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
#include <dirent.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include "counterfile.h"
#include "counterparse.h"
#include "testutil.h"

#define FILENAME "ccls@0.20241108-gcc12.2.0-linux-amd64-2026-11-23.v1.count"
static const char META[] =
	"TimeBegin: 2026-11-23T00:00:00Z\n"
	"TimeEnd: 2026-11-28T00:00:00Z\n"
	"Program: ccls\n"
	"Version: 0.20241108\n"
	"GoVersion: gcc12.2.0\n"
	"GOOS: linux\n"
	"GOARCH: amd64\n"
	"\n";
#define META_LEN (sizeof(META) - 1)
/* round_up(32 + 144, 32) */
#define HDR_LEN 192u
/* round_up(HDR_LEN + 4 + 2048, 32) = round_up(2244, 32) */
#define FIRST_REC 2272u

struct fixture {
	char *dir;
	char *path;
	int dirfd;
	struct tm__counterfile *f;
};

static uint32_t ref_bucket(const char *s, size_t n)
{
	uint32_t h = 0x811c9dc5u;

	for (size_t i = 0; i < n; i++) {
		h ^= (uint8_t)s[i];
		h *= 0x01000193u;
	}
	return (h ^ (h >> 16)) % 512;
}

static uint32_t file_u32(const char *path, uint32_t off)
{
	int fd = open(path, O_RDONLY);
	uint32_t v = 0;

	assert_true(fd >= 0);
	assert_int_equal(pread(fd, &v, 4, off), 4);
	close(fd);
	return v;
}

static uint64_t file_u64(const char *path, uint32_t off)
{
	int fd = open(path, O_RDONLY);
	uint64_t v = 0;

	assert_true(fd >= 0);
	assert_int_equal(pread(fd, &v, 8, off), 8);
	close(fd);
	return v;
}

static off_t file_size(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return st.st_size;
}

static mode_t file_mode(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return st.st_mode & 07777;
}

static void file_put32(const char *path, uint32_t off, uint32_t v)
{
	int fd = open(path, O_WRONLY);

	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, &v, 4, off), 4);
	close(fd);
}

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	fx->dir = tu_tmpdir("counterfile");
	fx->path = tu_path(fx->dir, FILENAME);
	fx->dirfd = open(fx->dir, O_RDONLY | O_DIRECTORY);
	assert_true(fx->dirfd >= 0);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	tm__counterfile_close(fx->f);
	close(fx->dirfd);
	tu_rmrf(fx->dir);
	free(fx->path);
	free(fx->dir);
	free(fx);
	return 0;
}

static struct tm__counterfile *open_ccls(struct fixture *fx)
{
	assert_int_equal(tm__counterfile_open(fx->dirfd, FILENAME, META,
					      META_LEN, &fx->f), 0);
	return fx->f;
}

static uint64_t *counter(struct tm__counterfile *f, const char *name)
{
	uint64_t *c = NULL;

	assert_int_equal(tm__counterfile_counter(f, name, strlen(name), &c),
			 0);
	assert_non_null(c);
	return c;
}

static void meta_formats_go_text_exactly(void **state)
{
	char buf[600];
	int n = tm__counterfile_meta(buf, sizeof(buf), "2026-11-23T00:00:00Z",
				     "2026-11-28T00:00:00Z", "ccls",
				     "0.20241108", "gcc12.2.0", "amd64");

	(void)state;
	assert_int_equal(META_LEN, 144);
	assert_int_equal(n, (int)META_LEN);
	assert_string_equal(buf, META);
}

static void meta_refuses_over_512_bytes_and_newlines(void **state)
{
	char buf[2048], big[600];

	(void)state;
	memset(big, 'p', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(tm__counterfile_meta(buf, sizeof(buf), "a", "b", big,
					      "v", "t", "amd64"), TM_EINVAL);
	assert_int_equal(tm__counterfile_meta(buf, sizeof(buf), "a", "b",
					      "x\nGOOS: evil", "v", "t",
					      "amd64"), TM_EINVAL);
	assert_int_equal(tm__counterfile_meta(buf, 10, "a", "b", "p", "v",
					      "t", "amd64"), TM_EINVAL);
}

static void new_file_has_exact_header_and_is_16k(void **state)
{
	struct fixture *fx = *state;
	unsigned char *want = calloc(1, 16384);
	uint32_t hl = HDR_LEN;
	size_t len;
	char *got;

	open_ccls(fx);
	memcpy(want, "# telemetry/counter file v1\n", 28);
	memcpy(want + 28, &hl, 4);
	memcpy(want + 32, META, META_LEN);
	got = tu_read_file(fx->path, &len);
	assert_non_null(got);
	assert_int_equal(len, 16384);
	/* The whole page: header, zero padding to 192, limit 0, an empty
	 * hash table and no records. */
	assert_memory_equal(got, want, 16384);
	assert_int_equal(file_u32(fx->path, 28), 192);
	free(got);
	free(want);
}

static void creation_leaves_no_temporary_file(void **state)
{
	struct fixture *fx = *state;
	DIR *d;
	struct dirent *e;
	int n = 0;

	open_ccls(fx);
	d = opendir(fx->dir);
	while ((e = readdir(d))) {
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
			assert_string_equal(e->d_name, FILENAME);
			n++;
		}
	}
	closedir(d);
	assert_int_equal(n, 1);
}

static void bucket_is_folded_fnv1a(void **state)
{
	const char *names[] = { "ccls/requests", "a", "crash/crash\nmain:+1",
				"counter/main", "" };

	(void)state;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		assert_int_equal(tm__counterfile_bucket(names[i],
							strlen(names[i])),
				 ref_bucket(names[i], strlen(names[i])));
	/* FNV-1a("a") = 0xe40c292c; folded: 0xe40c292c ^ 0xe40c = ... */
	assert_int_equal(ref_bucket("a", 1),
			 ((0xe40c292cu ^ (0xe40c292cu >> 16)) % 512));
}

static void first_record_lands_after_hash_table(void **state)
{
	struct fixture *fx = *state;
	const char *name = "ccls/requests";
	uint32_t b = ref_bucket(name, 13);
	uint64_t *c;
	char got[13];
	int fd;

	open_ccls(fx);
	c = counter(fx->f, name);
	tm__counterfile_add(c, 5);
	/* Bucket head at H + 4 + 4*b points at the first record. */
	assert_int_equal(file_u32(fx->path, HDR_LEN + 4 + 4 * b), FIRST_REC);
	assert_int_equal(file_u64(fx->path, FIRST_REC), 5);
	assert_int_equal(file_u32(fx->path, FIRST_REC + 8), 13 | 0xFF000000u);
	assert_int_equal(file_u32(fx->path, FIRST_REC + 12), 0);
	fd = open(fx->path, O_RDONLY);
	assert_int_equal(pread(fd, got, 13, FIRST_REC + 16), 13);
	close(fd);
	assert_memory_equal(got, name, 13);
	/* limit = end of the record: 2272 + round_up(16 + 13, 32). */
	assert_int_equal(file_u32(fx->path, HDR_LEN), FIRST_REC + 32);
	assert_int_equal(file_size(fx->path), 16384);
}

static void same_bucket_names_chain_newest_first(void **state)
{
	struct fixture *fx = *state;
	char a[16] = "n0", b[16];
	uint32_t ba = ref_bucket(a, strlen(a));

	for (int i = 1;; i++) {
		snprintf(b, sizeof(b), "n%d", i);
		if (ref_bucket(b, strlen(b)) == ba)
			break;
	}
	open_ccls(fx);
	counter(fx->f, a);
	counter(fx->f, b);
	assert_int_equal(file_u32(fx->path, HDR_LEN + 4 + 4 * ba),
			 FIRST_REC + 32);
	assert_int_equal(file_u32(fx->path, FIRST_REC + 32 + 12), FIRST_REC);
	assert_int_equal(file_u32(fx->path, FIRST_REC + 12), 0);
	/* Both still found through the chain. */
	assert_ptr_equal(counter(fx->f, a), counter(fx->f, a));
	tm__counterfile_add(counter(fx->f, a), 1);
	tm__counterfile_add(counter(fx->f, b), 2);
	assert_int_equal(file_u64(fx->path, FIRST_REC), 1);
	assert_int_equal(file_u64(fx->path, FIRST_REC + 32), 2);
}

static void records_never_cross_a_page_and_file_grows_by_16k(void **state)
{
	struct fixture *fx = *state;
	/* 4000-byte names: records of round_up(4016, 32) = 4032 bytes. */
	const uint32_t want[] = { 2272, 6304, 10336, 16384 };
	char name[4001];
	uint64_t *c;

	open_ccls(fx);
	for (int i = 0; i < 4; i++) {
		memset(name, 'a' + i, 4000);
		name[4000] = '\0';
		assert_int_equal(file_size(fx->path), 16384);
		c = counter(fx->f, name);
		tm__counterfile_add(c, (uint64_t)i + 1);
		assert_int_equal(file_u32(fx->path, want[i] + 8),
				 4000 | 0xFF000000u);
		assert_int_equal(file_u64(fx->path, want[i]), i + 1);
	}
	/* 10336 + 4032 = 14368; the next record would end at 18400, past
	 * the page boundary, so it starts at 16384 and the file grew. */
	assert_int_equal(file_u32(fx->path, HDR_LEN), 16384 + 4032);
	assert_int_equal(file_size(fx->path), 32768);
	assert_int_equal(file_u32(fx->path, 32764), 0);
	assert_int_equal(file_u32(fx->path, 16380), 0);
}

static void find_does_not_create(void **state)
{
	struct fixture *fx = *state;
	uint64_t *c = (uint64_t *)1;

	open_ccls(fx);
	assert_int_equal(tm__counterfile_find(fx->f, "x", 1, &c), 0);
	assert_null(c);
	assert_int_equal(file_u32(fx->path, HDR_LEN), 0);
	counter(fx->f, "x");
	assert_int_equal(tm__counterfile_find(fx->f, "x", 1, &c), 0);
	assert_ptr_equal(c, counter(fx->f, "x"));
}

static void add_saturates_at_max(void **state)
{
	struct fixture *fx = *state;
	uint64_t *c;

	open_ccls(fx);
	c = counter(fx->f, "big");
	tm__counterfile_add(c, UINT64_MAX - 2);
	tm__counterfile_add(c, 1);
	assert_true(*c == UINT64_MAX - 1);
	tm__counterfile_add(c, 5);
	assert_true(*c == UINT64_MAX);
	tm__counterfile_add(c, 1);
	assert_true(*c == UINT64_MAX);
}

static void names_outside_1_to_4096_bytes_are_refused(void **state)
{
	struct fixture *fx = *state;
	char *big = malloc(4097);
	uint64_t *c;

	memset(big, 'x', 4097);
	open_ccls(fx);
	assert_int_equal(tm__counterfile_counter(fx->f, "", 0, &c), TM_EINVAL);
	assert_int_equal(tm__counterfile_counter(fx->f, big, 4097, &c),
			 TM_ENAMETOOLONG);
	assert_int_equal(tm__counterfile_counter(fx->f, big, 4096, &c), 0);
	assert_non_null(c);
	free(big);
}

/* Handles come from a small static pool first (a first count must not
 * touch the heap), then from malloc: many open at once, each closed and
 * reopened, all count into the one file. */
static void more_handles_than_the_pool_holds_all_count(void **state)
{
	struct fixture *fx = *state;
	struct tm__counterfile *g[12];
	char long_name[NAME_MAX + 2];
	uint64_t *c;

	open_ccls(fx);
	for (int round = 0; round < 2; round++) {
		for (int i = 0; i < 12; i++) {
			assert_int_equal(tm__counterfile_open(fx->dirfd,
							      FILENAME, META,
							      META_LEN, &g[i]),
					 0);
			assert_string_equal(tm__counterfile_name(g[i]),
					    FILENAME);
			tm__counterfile_add(counter(g[i], "many"), 1);
		}
		for (int i = 0; i < 12; i++)
			tm__counterfile_close(g[i]);
	}
	c = counter(fx->f, "many");
	assert_int_equal(*c, 24);
	/* A name no directory entry can hold is refused before any I/O. */
	memset(long_name, 'n', sizeof long_name - 1);
	long_name[sizeof long_name - 1] = '\0';
	assert_int_equal(tm__counterfile_open(fx->dirfd, long_name, META,
					      META_LEN, &g[0]),
			 -ENAMETOOLONG);
}

static void reopen_shares_counts_with_first_opener(void **state)
{
	struct fixture *fx = *state;
	struct tm__counterfile *g;
	uint64_t *c1, *c2;

	open_ccls(fx);
	c1 = counter(fx->f, "shared");
	assert_int_equal(tm__counterfile_open(fx->dirfd, FILENAME, META,
					      META_LEN, &g), 0);
	assert_string_equal(tm__counterfile_name(g), FILENAME);
	c2 = counter(g, "shared");
	assert_ptr_not_equal(c1, c2);
	tm__counterfile_add(c1, 3);
	tm__counterfile_add(c2, 4);
	assert_int_equal(*c1, 7);
	/* The second opener found the record rather than adding one. */
	assert_int_equal(file_u32(fx->path, HDR_LEN), FIRST_REC + 32);
	tm__counterfile_close(g);
}

static void other_header_is_a_mismatch(void **state)
{
	struct fixture *fx = *state;
	struct tm__counterfile *g = NULL;
	char meta[600];
	int n = tm__counterfile_meta(meta, sizeof(meta),
				     "2026-11-23T00:00:00Z",
				     "2026-11-28T00:00:00Z", "ccls",
				     "0.20241109", "gcc12.2.0", "amd64");

	open_ccls(fx);
	assert_int_equal(tm__counterfile_open(fx->dirfd, FILENAME, meta,
					      (size_t)n, &g), TM_EMISMATCH);
	assert_null(g);
}

static void short_or_foreign_file_is_corrupt(void **state)
{
	struct fixture *fx = *state;
	char *junk = calloc(1, 16384);

	assert_int_equal(tu_write_file(fx->path, "# telemetry/counter", 19),
			 0);
	assert_int_equal(tm__counterfile_open(fx->dirfd, FILENAME, META,
					      META_LEN, &fx->f), TM_ECORRUPT);
	memcpy(junk, "# telemetry/counter file v2\n", 28);
	assert_int_equal(tu_write_file(fx->path, junk, 16384), 0);
	assert_int_equal(tm__counterfile_open(fx->dirfd, FILENAME, META,
					      META_LEN, &fx->f), TM_ECORRUPT);
	assert_null(fx->f);
	free(junk);
}

static void symlink_at_path_is_refused(void **state)
{
	struct fixture *fx = *state;
	char *target = tu_path(fx->dir, "victim");
	size_t len;
	char *got;

	assert_int_equal(tu_write_file(target, "precious", 8), 0);
	assert_int_equal(symlink(target, fx->path), 0);
	assert_int_equal(tm__counterfile_open(fx->dirfd, FILENAME, META,
					      META_LEN, &fx->f), -ELOOP);
	got = tu_read_file(target, &len);
	assert_int_equal(len, 8);
	assert_memory_equal(got, "precious", 8);
	free(got);
	free(target);
}

static void fifo_or_directory_at_path_is_refused(void **state)
{
	struct fixture *fx = *state;

	assert_int_equal(mkfifo(fx->path, 0600), 0);
	assert_int_equal(tm__counterfile_open(fx->dirfd, FILENAME, META,
					      META_LEN, &fx->f), TM_ECORRUPT);
	assert_int_equal(unlink(fx->path), 0);
	assert_int_equal(mkdir(fx->path, 0700), 0);
	assert_int_equal(tm__counterfile_open(fx->dirfd, FILENAME, META,
					      META_LEN, &fx->f), -EISDIR);
}

/* A name in the same bucket as "n0", for corrupting that chain. */
static void same_bucket_as(const char *a, char *b, size_t cap)
{
	for (int i = 1;; i++) {
		snprintf(b, cap, "n%d", i);
		if (ref_bucket(b, strlen(b)) == ref_bucket(a, strlen(a)))
			return;
	}
}

static void chain_cycle_makes_writer_fail_not_loop(void **state)
{
	struct fixture *fx = *state;
	char other[16];
	uint64_t *c;

	open_ccls(fx);
	counter(fx->f, "n0");
	file_put32(fx->path, FIRST_REC + 12, FIRST_REC);
	same_bucket_as("n0", other, sizeof(other));
	assert_int_equal(tm__counterfile_counter(fx->f, other, strlen(other),
						 &c), TM_ECORRUPT);
	assert_null(c);
	assert_int_equal(tm__counterfile_find(fx->f, other, strlen(other),
					      &c), TM_ECORRUPT);
}

static void wild_pointers_make_writer_fail(void **state)
{
	struct fixture *fx = *state;
	const uint32_t bad[] = { 100, FIRST_REC + 4, 0x7fffffe0u, 1u << 20 };
	uint32_t head = HDR_LEN + 4 + 4 * ref_bucket("n0", 2);
	uint64_t *c;

	open_ccls(fx);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		file_put32(fx->path, head, bad[i]);
		assert_int_equal(tm__counterfile_counter(fx->f, "n0", 2, &c),
				 TM_ECORRUPT);
	}
	/* A record with a zero or an absurd name length. */
	file_put32(fx->path, head, 0);
	counter(fx->f, "n0");
	file_put32(fx->path, FIRST_REC + 8, 0xFF000000u);
	assert_int_equal(tm__counterfile_find(fx->f, "n0", 2, &c),
			 TM_ECORRUPT);
	file_put32(fx->path, FIRST_REC + 8, 0xFFFFFFFFu);
	assert_int_equal(tm__counterfile_find(fx->f, "n0", 2, &c),
			 TM_ECORRUPT);
}

static void bad_limit_is_corrupt(void **state)
{
	struct fixture *fx = *state;
	uint64_t *c;

	open_ccls(fx);
	file_put32(fx->path, HDR_LEN, 100);
	assert_int_equal(tm__counterfile_counter(fx->f, "x", 1, &c),
			 TM_ECORRUPT);
	/* A limit past the end of the file is not grown to. */
	file_put32(fx->path, HDR_LEN, 1u << 20);
	assert_int_equal(tm__counterfile_counter(fx->f, "x", 1, &c),
			 TM_ECORRUPT);
	assert_int_equal(file_size(fx->path), 16384);
}

static void file_at_size_cap_is_full(void **state)
{
	struct fixture *fx = *state;
	uint64_t *c;

	open_ccls(fx);
	counter(fx->f, "old");
	/* Sparse: a file of exactly the cap whose records end at its last
	 * unit; the next record cannot fit. */
	assert_int_equal(truncate(fx->path, TM__COUNTERFILE_MAX_SIZE), 0);
	file_put32(fx->path, HDR_LEN, TM__COUNTERFILE_MAX_SIZE - 32);
	assert_int_equal(tm__counterfile_counter(fx->f, "x", 1, &c),
			 TM_EFULL);
	assert_null(c);
	/* Existing counters still count. */
	tm__counterfile_add(counter(fx->f, "old"), 1);
	assert_int_equal(file_u64(fx->path, FIRST_REC), 1);
	assert_int_equal(file_size(fx->path), TM__COUNTERFILE_MAX_SIZE);
}

static void truncated_file_makes_new_counter_fail(void **state)
{
	struct fixture *fx = *state;
	char name[4001];
	uint64_t *c;

	open_ccls(fx);
	for (int i = 0; i < 4; i++) {
		memset(name, 'a' + i, 4000);
		name[4000] = '\0';
		counter(fx->f, name);
	}
	assert_int_equal(file_size(fx->path), 32768);
	assert_int_equal(truncate(fx->path, 16384), 0);
	assert_int_equal(tm__counterfile_counter(fx->f, "new", 3, &c),
			 TM_ECORRUPT);
	assert_null(c);
}

/* The body of the next test, in a child process: exit 0 when all held,
 * the failed step otherwise, death by SIGBUS without the guard. */
static int truncate_under_pointer(struct fixture *fx)
{
	struct tm__counterfile *f;
	uint64_t *c = NULL, *n = NULL;

	/* cmocka catches SIGBUS in the test process; a program has the
	 * default action. */
	signal(SIGBUS, SIG_DFL);
	if (tm__counterfile_open(fx->dirfd, FILENAME, META, META_LEN, &f))
		return 1;
	if (tm__counterfile_counter(f, "ccls/request", 12, &c) || !c)
		return 2;
	tm__counterfile_add(c, 1);
	if (tm__counterfile_broken(f))
		return 3;
	if (truncate(fx->path, 0) != 0)
		return 4;
	tm__counterfile_add(c, 1); /* faults, contained */
	if (!tm__counterfile_broken(f) || *tm__counterfile_closed_word(f) != 1)
		return 5;
	tm__counterfile_add(c, 5); /* into the zero page, no fault */
	if (tm__counterfile_counter(f, "other", 5, &n) != TM_ECORRUPT || n)
		return 6;
	tm__counterfile_close(f);
	return 0;
}

/* Another process cutting the file to nothing under a count pointer: the
 * SIGBUS guard turns the fault into zero pages, the process lives on, the
 * file reads as broken and corrupt, and its closed word tells every
 * handle to re-resolve. */
static void truncation_under_a_count_pointer_costs_counts_not_the_process(
	void **state)
{
	struct fixture *fx = *state;
	int st;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0)
		_exit(truncate_under_pointer(fx));
	if (tu_wait(pid, &st, 60000) != 0)
		fail_msg("the counting child did not finish in 60 s");
	if (st != 0)
		fail_msg("the counting child ended with %s",
			 tu_describe_status(st));
}

/* ssh's rule for the store (docs/security.md): a counter file another
 * user owns, or that group or others may write, is refused. */
static void file_of_another_user_or_writable_by_others_is_refused(
	void **state)
{
	struct fixture *fx = *state;
	mode_t old = umask(002);

	if (geteuid() != 0)
		fail_msg("needs root to give the file to another user");
	/* Created 0644 even under umask 002: never refused for its mode. */
	open_ccls(fx);
	umask(old);
	assert_int_equal(file_mode(fx->path), 0644);
	tm__counterfile_close(fx->f);
	fx->f = NULL;
	assert_int_equal(chmod(fx->path, 0664), 0);
	assert_int_equal(tm__counterfile_open(fx->dirfd, FILENAME, META,
					      META_LEN, &fx->f), TM_EUNSAFE);
	assert_int_equal(chmod(fx->path, 0646), 0);
	assert_int_equal(tm__counterfile_open(fx->dirfd, FILENAME, META,
					      META_LEN, &fx->f), TM_EUNSAFE);
	assert_int_equal(chmod(fx->path, 0644), 0);
	assert_int_equal(chown(fx->path, 65534, 65534), 0);
	assert_int_equal(tm__counterfile_open(fx->dirfd, FILENAME, META,
					      META_LEN, &fx->f), TM_EUNSAFE);
	assert_null(fx->f);
	assert_int_equal(chown(fx->path, 0, 0), 0);
	open_ccls(fx);
}

struct worker {
	struct tm__counterfile *f;
	int id;
	int failures;
};

static void *create_from_thread(void *arg)
{
	struct worker *w = arg;
	uint64_t *c;
	char name[32];
	int n;

	for (int k = 0; k < 2000; k++) {
		n = snprintf(name, sizeof(name), "t%d/%d", w->id, k);
		if (tm__counterfile_counter(w->f, name, (size_t)n, &c) < 0) {
			w->failures++;
			continue;
		}
		tm__counterfile_add(c, 1);
		n = snprintf(name, sizeof(name), "all/%d", k % 100);
		if (tm__counterfile_counter(w->f, name, (size_t)n, &c) < 0) {
			w->failures++;
			continue;
		}
		tm__counterfile_add(c, 1);
	}
	return NULL;
}

static void threads_share_one_struct(void **state)
{
	struct fixture *fx = *state;
	struct tm__parsed_file pf;
	struct worker w[4];
	pthread_t t[4];
	uint64_t total = 0;

	open_ccls(fx);
	for (int i = 0; i < 4; i++) {
		w[i] = (struct worker){ fx->f, i, 0 };
		assert_int_equal(pthread_create(&t[i], NULL,
						create_from_thread, &w[i]), 0);
	}
	for (int i = 0; i < 4; i++)
		assert_int_equal(pthread_join(t[i], NULL), 0);
	for (int i = 0; i < 4; i++)
		assert_int_equal(w[i].failures, 0);
	assert_int_equal(tm__counterparse_path(fx->path, &pf, NULL, 0), 0);
	assert_int_equal(pf.ncounters, 4 * 2000 + 100);
	for (size_t i = 0; i < pf.ncounters; i++) {
		if (strncmp(pf.counters[i].name, "all/", 4) == 0)
			assert_int_equal(pf.counters[i].value, 4 * 20);
		else
			assert_int_equal(pf.counters[i].value, 1);
		total += pf.counters[i].value;
	}
	assert_int_equal(total, 2 * 4 * 2000);
	tm__counterparse_free(&pf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(meta_formats_go_text_exactly),
		cmocka_unit_test(meta_refuses_over_512_bytes_and_newlines),
		cmocka_unit_test(bucket_is_folded_fnv1a),
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(more_handles_than_the_pool_holds_all_count),
		T(new_file_has_exact_header_and_is_16k),
		T(creation_leaves_no_temporary_file),
		T(first_record_lands_after_hash_table),
		T(same_bucket_names_chain_newest_first),
		T(records_never_cross_a_page_and_file_grows_by_16k),
		T(find_does_not_create),
		T(add_saturates_at_max),
		T(names_outside_1_to_4096_bytes_are_refused),
		T(reopen_shares_counts_with_first_opener),
		T(other_header_is_a_mismatch),
		T(short_or_foreign_file_is_corrupt),
		T(symlink_at_path_is_refused),
		T(fifo_or_directory_at_path_is_refused),
		T(chain_cycle_makes_writer_fail_not_loop),
		T(wild_pointers_make_writer_fail),
		T(bad_limit_is_corrupt),
		T(file_at_size_cap_is_full),
		T(truncated_file_makes_new_counter_fail),
		T(truncation_under_a_count_pointer_costs_counts_not_the_process),
		T(file_of_another_user_or_writable_by_others_is_refused),
		T(threads_share_one_struct),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
