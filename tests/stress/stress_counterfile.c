/* SPDX-License-Identifier: MIT */
/* stress_counterfile.c -- the counter file under real concurrency and
 * faults: many processes adding, creating names and creating the file at
 * once, writers killed with SIGKILL mid-operation, a full disk, a planted
 * symlink and a file truncated behind a writer's back.
 *
 * Every worker is a forked child (all cmocka cases share one process, and
 * only separate processes exercise the cross-process protocol); results
 * are checked with the validating reader. Starts are synchronised with a
 * pipe, every wait is bounded, nothing sleeps.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "counterfile.h"
#include "counterparse.h"
#include "testutil.h"

#define FILENAME "stress@v1-gcc12.2.0-linux-amd64-2026-11-23.v1.count"
static const char META[] =
	"TimeBegin: 2026-11-23T00:00:00Z\n"
	"TimeEnd: 2026-11-28T00:00:00Z\n"
	"Program: stress\n"
	"Version: v1\n"
	"GoVersion: gcc12.2.0\n"
	"GOOS: linux\n"
	"GOARCH: amd64\n"
	"\n";
#define WAIT_MS 120000

/* Exit codes of workers, so a failure says which step went wrong. */
enum { WK_OK = 0, WK_OPEN = 10, WK_COUNTER, WK_PARSE, WK_VALUE, WK_SKIP = 77 };

static char *dir;
static char *path;

static int setup(void **state)
{
	(void)state;
	dir = tu_tmpdir("stress-counterfile");
	path = tu_path(dir, FILENAME);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	tu_rmrf(dir);
	free(path);
	free(dir);
	return 0;
}

static int open_file(const char *d, struct tm__counterfile **f)
{
	int dfd = open(d, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int r;

	if (dfd < 0)
		return -errno;
	r = tm__counterfile_open(dfd, FILENAME, META, sizeof(META) - 1, f);
	close(dfd);
	return r;
}

/* Forks a worker that, given the START pipe, blocks until the parent
 * closes its write end, then runs FN(ARG, I) and exits with its result. */
static pid_t spawn(const int *start, int (*fn)(void *, int), void *arg,
		   int i)
{
	pid_t pid = fork();
	char c;

	assert_true(pid >= 0);
	if (pid == 0) {
		if (start) {
			close(start[1]);
			while (read(start[0], &c, 1) < 0 && errno == EINTR)
				;
		}
		_exit(fn(arg, i));
	}
	return pid;
}

static void expect_exit(pid_t pid, int code, const char *what)
{
	int st;

	if (tu_wait(pid, &st, WAIT_MS) < 0)
		fail_msg("%s: worker %d did not finish in time", what,
			 (int)pid);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != code)
		fail_msg("%s: worker ended with %s, want exit %d", what,
			 tu_describe_status(st), code);
}

static void parse_ok(struct tm__parsed_file *pf)
{
	char why[128] = "";
	int r = tm__counterparse_path(path, pf, why, sizeof(why));

	if (r != 0)
		fail_msg("parse: %d (%s)", r, why);
}

static uint64_t value_of(const struct tm__parsed_file *pf, const char *name)
{
	int n = 0;
	uint64_t v = 0;

	for (size_t i = 0; i < pf->ncounters; i++) {
		if (strcmp(pf->counters[i].name, name) == 0) {
			n++;
			v = pf->counters[i].value;
		}
	}
	if (n != 1)
		fail_msg("counter '%s' present %d times", name, n);
	return v;
}

/* --- 8 processes x 100 000 increments of one counter --- */

static int add_many(void *arg, int i)
{
	struct tm__counterfile *f;
	uint64_t *c;

	(void)arg; (void)i;
	if (open_file(dir, &f) < 0)
		return WK_OPEN;
	if (tm__counterfile_counter(f, "hot", 3, &c) < 0)
		return WK_COUNTER;
	for (int k = 0; k < 100000; k++)
		tm__counterfile_add(c, 1);
	tm__counterfile_close(f);
	return WK_OK;
}

static void eight_processes_add_to_one_counter_exactly(void **state)
{
	struct tm__parsed_file pf;
	pid_t pids[8];
	int start[2];

	(void)state;
	assert_int_equal(pipe2(start, O_CLOEXEC), 0);
	for (int i = 0; i < 8; i++)
		pids[i] = spawn(start, add_many, NULL, i);
	close(start[1]);
	close(start[0]);
	for (int i = 0; i < 8; i++)
		expect_exit(pids[i], WK_OK, "adder");
	parse_ok(&pf);
	assert_int_equal(pf.ncounters, 1);
	assert_int_equal(value_of(&pf, "hot"), 800000);
	tm__counterparse_free(&pf);
}

/* --- 4 processes x 20 000 new names, with a reader parsing throughout --- */

#define NAMES 20000
#define SHARED 500

static int create_names(void *arg, int i)
{
	struct tm__counterfile *f;
	uint64_t *c;
	char name[64];
	int n;

	(void)arg;
	if (open_file(dir, &f) < 0)
		return WK_OPEN;
	for (int k = 0; k < NAMES; k++) {
		n = snprintf(name, sizeof(name), "p%d/name-%05d", i, k);
		if (tm__counterfile_counter(f, name, (size_t)n, &c) < 0)
			return WK_COUNTER;
		tm__counterfile_add(c, (uint64_t)k + 1);
		/* Names every writer creates: the publication race and its
		 * dead duplicates happen here. */
		if (k % (NAMES / SHARED) == 0) {
			n = snprintf(name, sizeof(name), "shared/%05d",
				     k / (NAMES / SHARED));
			if (tm__counterfile_counter(f, name, (size_t)n,
						    &c) < 0)
				return WK_COUNTER;
			tm__counterfile_add(c, 1);
		}
	}
	tm__counterfile_close(f);
	return WK_OK;
}

/* Parses the file until the parent closes the STOP pipe (ARG); any
 * failure ends it. */
static int read_continuously(void *arg, int i)
{
	const int *stop = arg;
	struct tm__parsed_file pf;
	struct pollfd p = { .fd = stop[0], .events = POLLIN };
	char why[128];
	int parses = 0;

	(void)i;
	close(stop[1]);
	while (poll(&p, 1, 0) == 0) {
		if (tm__counterparse_path(path, &pf, why, sizeof(why)) != 0) {
			fprintf(stderr, "reader: parse %d failed: %s\n",
				parses, why);
			return WK_PARSE;
		}
		tm__counterparse_free(&pf);
		parses++;
	}
	return parses > 0 ? WK_OK : WK_PARSE;
}

static void four_processes_create_names_while_reader_parses(void **state)
{
	struct tm__counterfile *f;
	struct tm__parsed_file pf;
	pid_t pids[4], reader;
	int start[2], stop[2];
	char name[64];

	(void)state;
	assert_int_equal(open_file(dir, &f), 0);
	tm__counterfile_close(f);
	assert_int_equal(pipe2(stop, O_CLOEXEC), 0);
	reader = spawn(NULL, read_continuously, stop, 0);
	/* Only now, so the reader holds no write end of it. */
	assert_int_equal(pipe2(start, O_CLOEXEC), 0);
	for (int i = 0; i < 4; i++)
		pids[i] = spawn(start, create_names, NULL, i);
	close(start[1]);
	close(start[0]);
	for (int i = 0; i < 4; i++)
		expect_exit(pids[i], WK_OK, "creator");
	close(stop[1]);
	expect_exit(reader, WK_OK, "reader");
	close(stop[0]);

	parse_ok(&pf);
	assert_int_equal(pf.ncounters, 4 * NAMES + SHARED);
	for (int i = 0; i < 4; i++) {
		for (int k = 0; k < NAMES; k++) {
			snprintf(name, sizeof(name), "p%d/name-%05d", i, k);
			assert_int_equal(value_of(&pf, name), k + 1);
		}
	}
	for (int k = 0; k < SHARED; k++) {
		snprintf(name, sizeof(name), "shared/%05d", k);
		assert_int_equal(value_of(&pf, name), 4);
	}
	tm__counterparse_free(&pf);
}

/* --- 16 processes creating the same file at once --- */

static int create_and_count(void *arg, int i)
{
	struct tm__counterfile *f;
	uint64_t *c;
	int r;

	(void)arg; (void)i;
	if ((r = open_file(dir, &f)) < 0) {
		fprintf(stderr, "open: %d\n", r);
		return WK_OPEN;
	}
	if (tm__counterfile_counter(f, "first", 5, &c) < 0)
		return WK_COUNTER;
	tm__counterfile_add(c, 1);
	tm__counterfile_close(f);
	return WK_OK;
}

static void sixteen_processes_create_one_valid_file(void **state)
{
	struct tm__parsed_file pf;
	struct dirent *e;
	pid_t pids[16];
	int start[2], files = 0;
	DIR *d;

	(void)state;
	for (int round = 0; round < 10; round++) {
		unlink(path);
		assert_int_equal(pipe2(start, O_CLOEXEC), 0);
		for (int i = 0; i < 16; i++)
			pids[i] = spawn(start, create_and_count, NULL, i);
		close(start[1]);
		close(start[0]);
		for (int i = 0; i < 16; i++)
			expect_exit(pids[i], WK_OK, "creator");
		parse_ok(&pf);
		assert_int_equal(pf.ncounters, 1);
		assert_int_equal(value_of(&pf, "first"), 16);
		tm__counterparse_free(&pf);
	}
	/* Losers removed their temporary files. */
	d = opendir(dir);
	while ((e = readdir(d)))
		files += e->d_name[0] != '.' || strlen(e->d_name) > 2;
	closedir(d);
	assert_int_equal(files, 1);
}

/* --- writers killed with SIGKILL at random moments --- */

/* Work done so far by the victim, in shared memory, so the parent picks a
 * moment by progress rather than by time. */
static volatile uint64_t *progress;

static int write_forever(void *arg, int i)
{
	struct tm__counterfile *f;
	uint64_t *c;
	char name[96];
	int n;

	(void)arg;
	if (open_file(dir, &f) < 0)
		return WK_OPEN;
	for (uint64_t k = 0;; k++) {
		/* Mix short and long names so some records cross into new
		 * pages and growth is interrupted too. */
		n = snprintf(name, sizeof(name), "w%d/%llu%s", i,
			     (unsigned long long)k,
			     k % 5 ? "" : "/a-longer-name-to-vary-sizes-x");
		if (tm__counterfile_counter(f, name, (size_t)n, &c) < 0)
			return WK_COUNTER;
		tm__counterfile_add(c, 1);
		__atomic_add_fetch(&progress[i], 1, __ATOMIC_RELAXED);
	}
}

static int well_formed(const struct tm__parsed_counter *c)
{
	unsigned w;
	unsigned long long k;
	int end = 0;

	if (sscanf(c->name, "w%u/%llu%n", &w, &k, &end) != 2 || w > 2)
		return 0;
	return (size_t)end == c->name_len ||
	       strcmp(c->name + end, "/a-longer-name-to-vary-sizes-x") == 0;
}

static void killed_writers_leave_a_parsable_file(void **state)
{
	struct tm__parsed_file pf;
	struct timespec t0, t;
	uint64_t target;
	pid_t pids[3];
	int st;

	(void)state;
	progress = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	assert_true(progress != MAP_FAILED);
	for (int round = 0; round < 30; round++) {
		for (int i = 0; i < 3; i++) {
			progress[i] = 0;
			pids[i] = spawn(NULL, write_forever, NULL, i);
		}
		assert_int_equal(getrandom(&target, sizeof(target), 0),
				 sizeof(target));
		target = 1 + target % 3000;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		/* Bounded spin until the victim has done TARGET operations:
		 * it is then somewhere in the middle of the next one. */
		while (progress[0] < target) {
			clock_gettime(CLOCK_MONOTONIC, &t);
			if (t.tv_sec - t0.tv_sec > 60)
				fail_msg("writer made no progress");
			sched_yield();
		}
		for (int i = 0; i < 3; i++) {
			kill(pids[i], SIGKILL);
			assert_int_equal(tu_wait(pids[i], &st, WAIT_MS), 0);
			if (!WIFSIGNALED(st))
				fail_msg("writer %d ended early: %s", i,
					 tu_describe_status(st));
		}
		parse_ok(&pf);
		for (size_t i = 0; i < pf.ncounters; i++) {
			if (!well_formed(&pf.counters[i]) ||
			    pf.counters[i].value >
			    (uint64_t)round + 1)
				fail_msg("round %d: bad record '%s' = %llu",
					 round, pf.counters[i].name,
					 (unsigned long long)
					 pf.counters[i].value);
		}
		tm__counterparse_free(&pf);
	}
	munmap((void *)progress, 4096);
}

/* --- a symlink planted at the path --- */

static void symlink_at_path_is_never_followed(void **state)
{
	struct tm__counterfile *f = NULL;
	char *other = tu_tmpdir("stress-victim");
	char *victim = tu_path(other, "victim");
	char *missing = tu_path(other, "missing");
	struct stat st;
	size_t len;
	char *got;

	(void)state;
	assert_int_equal(tu_write_file(victim, "keep me", 7), 0);
	assert_int_equal(symlink(victim, path), 0);
	assert_int_equal(open_file(dir, &f), -ELOOP);
	assert_null(f);
	got = tu_read_file(victim, &len);
	assert_int_equal(len, 7);
	assert_memory_equal(got, "keep me", 7);
	free(got);
	/* A dangling link must not create its target either. */
	assert_int_equal(unlink(path), 0);
	assert_int_equal(symlink(missing, path), 0);
	assert_int_equal(open_file(dir, &f), -ELOOP);
	assert_int_equal(lstat(missing, &st), -1);
	assert_int_equal(errno, ENOENT);
	tu_rmrf(other);
	free(victim);
	free(missing);
	free(other);
}

/* --- a full disk when the file must grow --- */

static int fill_tiny_tmpfs(void *arg, int i)
{
	const char *mnt = arg;
	struct tm__counterfile *f;
	char filler_path[4096], name[4001];
	static char block[4096];
	uint64_t *keep, *c;
	int fd, r = 0;

	(void)i;
	if (unshare(CLONE_NEWNS) < 0 ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
	    mount("tmpfs", mnt, "tmpfs", 0, "size=64k") < 0)
		return WK_SKIP;
	if (open_file(mnt, &f) < 0)
		return WK_OPEN;
	if (tm__counterfile_counter(f, "keep", 4, &keep) < 0)
		return WK_COUNTER;
	/* Leave no room for a second page. */
	snprintf(filler_path, sizeof(filler_path), "%s/filler", mnt);
	fd = open(filler_path, O_WRONLY | O_CREAT, 0600);
	while (write(fd, block, sizeof(block)) > 0)
		;
	close(fd);
	memset(name, 'n', 4000);
	name[4000] = '\0';
	for (int k = 0; k < 8 && r == 0; k++) {
		name[0] = (char)('a' + k);
		r = tm__counterfile_counter(f, name, 4000, &c);
	}
	if (r != -ENOSPC) {
		fprintf(stderr, "growth returned %d, want -ENOSPC\n", r);
		return WK_COUNTER;
	}
	/* Still running, and the counters that fit still count. */
	tm__counterfile_add(keep, 7);
	if (*keep != 7)
		return WK_VALUE;
	if (tm__counterfile_counter(f, name, 4000, &c) != -ENOSPC)
		return WK_COUNTER;
	tm__counterfile_close(f);
	return WK_OK;
}

static void growth_on_full_disk_returns_enospc(void **state)
{
	char *mnt = tu_path(dir, "mnt");
	pid_t pid;
	int st;

	(void)state;
	assert_int_equal(mkdir(mnt, 0700), 0);
	pid = spawn(NULL, fill_tiny_tmpfs, mnt, 0);
	assert_int_equal(tu_wait(pid, &st, WAIT_MS), 0);
	free(mnt);
	if (WIFEXITED(st) && WEXITSTATUS(st) == WK_SKIP)
		skip(); /* no mount namespaces here */
	if (!WIFEXITED(st) || WEXITSTATUS(st) != WK_OK)
		fail_msg("full-disk worker ended with %s",
			 tu_describe_status(st));
}

/* --- a file truncated behind a writer's back --- */

static int count_after_truncation(void *arg, int i)
{
	off_t to = *(off_t *)arg;
	struct tm__counterfile *f;
	char name[4001];
	uint64_t *c;
	int r;

	(void)i;
	if (open_file(dir, &f) < 0)
		return WK_OPEN;
	memset(name, 'x', 4000);
	name[4000] = '\0';
	for (int k = 0; k < 4; k++) {
		name[0] = (char)('a' + k);
		if (tm__counterfile_counter(f, name, 4000, &c) < 0)
			return WK_COUNTER;
	}
	if (truncate(path, to) < 0)
		return WK_OPEN;
	/* The next new-counter call and a lookup: errors, not SIGBUS. */
	r = tm__counterfile_counter(f, "new", 3, &c);
	if (r != TM_ECORRUPT) {
		fprintf(stderr, "counter after truncation: %d\n", r);
		return WK_COUNTER;
	}
	if (tm__counterfile_find(f, name, 4000, &c) != TM_ECORRUPT)
		return WK_COUNTER;
	tm__counterfile_close(f);
	return WK_OK;
}

static void truncated_file_is_an_error_for_writer_and_reader(void **state)
{
	const off_t sizes[] = { 16384, 8192, 100 };
	struct tm__parsed_file pf;
	char why[128];

	(void)state;
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		unlink(path);
		expect_exit(spawn(NULL, count_after_truncation,
				  (void *)&sizes[i], 0), WK_OK, "truncation");
		assert_int_equal(tm__counterparse_path(path, &pf, why,
						       sizeof(why)),
				 TM_ECORRUPT);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(eight_processes_add_to_one_counter_exactly),
		T(four_processes_create_names_while_reader_parses),
		T(sixteen_processes_create_one_valid_file),
		T(killed_writers_leave_a_parsable_file),
		T(symlink_at_path_is_never_followed),
		T(growth_on_full_disk_returns_enospc),
		T(truncated_file_is_an_error_for_writer_and_reader),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
