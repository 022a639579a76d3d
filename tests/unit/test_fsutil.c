/* SPDX-License-Identifier: MIT */
/* test_fsutil.c -- mkdir -p, atomic writes (and their failure paths) and
 * bounded reads of lib/fsutil.c, on real files in a fresh directory. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "fsutil.h"
#include "tmwatch/common.h"
#include "testutil.h"

#define SKIP_STATUS 77

static int fresh_dir(void **state)
{
	*state = tu_tmpdir("fsutil");
	return 0;
}

static int remove_dir(void **state)
{
	tu_rmrf(*state);
	free(*state);
	return 0;
}

/* Writes the sorted names in DIR (without . and ..), space-separated. */
static void list_dir(const char *dir, char *out, size_t cap)
{
	struct dirent **names;
	int n = scandir(dir, &names, NULL, alphasort);
	size_t used = 0;

	out[0] = '\0';
	for (int i = 0; i < n; i++) {
		const char *s = names[i]->d_name;

		if (strcmp(s, ".") != 0 && strcmp(s, "..") != 0)
			used += (size_t)snprintf(out + used, cap - used,
						 "%s%s", used ? " " : "", s);
		free(names[i]);
	}
	free(names);
}

static void expect_listing(const char *dir, const char *want)
{
	char got[4096];

	list_dir(dir, got, sizeof got);
	assert_string_equal(got, want);
}

static void expect_content(const char *path, const char *want)
{
	char *got = tu_read_file(path, NULL);

	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
}

static void mkdirs_creates_every_missing_parent(void **state)
{
	char *p = tu_path(*state, "a/b//c/");
	struct stat st;

	assert_int_equal(tm__fs_mkdirs(p, 0755), 0);
	assert_int_equal(stat(p, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	free(p);
}

static void mkdirs_accepts_an_existing_directory(void **state)
{
	char *p = tu_path(*state, "x");

	assert_int_equal(tm__fs_mkdirs(p, 0755), 0);
	assert_int_equal(tm__fs_mkdirs(p, 0755), 0);
	assert_int_equal(tm__fs_mkdirs(*state, 0755), 0);
	free(p);
}

static void mkdirs_reports_enotdir_for_a_file_in_the_way(void **state)
{
	char *file = tu_path(*state, "file");
	char *below = tu_path(*state, "file/sub/dir");

	assert_int_equal(tu_write_file(file, "x", 1), 0);
	assert_int_equal(tm__fs_mkdirs(below, 0755), -ENOTDIR);
	assert_int_equal(tm__fs_mkdirs(file, 0755), -ENOTDIR);
	free(file);
	free(below);
}

static void write_atomic_replaces_content_and_leaves_no_temp(void **state)
{
	char *p = tu_path(*state, "mode");
	struct stat st;

	assert_int_equal(tm__fs_write_atomic(p, "old\n", 4, 0600, 0), 0);
	assert_int_equal(tm__fs_write_atomic(p, "new text\n", 9, 0600, 1),
			 0);
	expect_content(p, "new text\n");
	expect_listing(*state, "mode");
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	free(p);
}

static void write_atomic_writes_an_empty_file(void **state)
{
	char *p = tu_path(*state, "empty");
	struct stat st;

	assert_int_equal(tm__fs_write_atomic(p, "", 0, 0644, 1), 0);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_size, 0);
	free(p);
}

static void write_atomic_fails_without_its_directory(void **state)
{
	char *p = tu_path(*state, "missing/file");

	assert_int_equal(tm__fs_write_atomic(p, "x", 1, 0644, 0), -ENOENT);
	expect_listing(*state, "");
	free(p);
}

static void write_atomic_removes_its_temp_when_rename_fails(void **state)
{
	char *dir = tu_path(*state, "target");
	char *inner = tu_path(dir, "keep");

	/* A non-empty directory where the file should go: rename(2)
	 * fails (EISDIR) after the temp file was fully written. */
	assert_int_equal(mkdir(dir, 0755), 0);
	assert_int_equal(tu_write_file(inner, "k", 1), 0);
	assert_int_equal(tm__fs_write_atomic(dir, "data", 4, 0644, 1),
			 -EISDIR);
	expect_listing(*state, "target");
	free(dir);
	free(inner);
}

/* Runs FN in a child with its own mount namespace (mounts vanish with
 * it). Returns the child's exit code; skips when namespaces are denied. */
static void in_mount_namespace(int (*fn)(const char *), const char *dir)
{
	pid_t pid = fork();
	int status;

	assert_true(pid >= 0);
	if (pid == 0) {
		if (unshare(CLONE_NEWNS) < 0 ||
		    mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) < 0) {
			fprintf(stderr, "cannot unshare mounts: %s\n",
				strerror(errno));
			_exit(SKIP_STATUS);
		}
		_exit(fn(dir));
	}
	assert_int_equal(tu_wait(pid, &status, 30000), 0);
	if (WIFEXITED(status) && WEXITSTATUS(status) == SKIP_STATUS)
		skip();
	assert_string_equal(tu_describe_status(status), "exit 0");
}

#define CHILD_CHECK(cond)                                                 \
	do {                                                              \
		if (!(cond)) {                                            \
			fprintf(stderr, "%s:%d: failed: %s\n", __FILE__,   \
				__LINE__, #cond);                         \
			return 1;                                         \
		}                                                         \
	} while (0)

/* In the child: a 64 KiB tmpfs, filled to the last block, then an atomic
 * write that cannot fit must fail with ENOSPC, keep the old file and leave
 * no temp file behind. */
static int full_disk_child(const char *dir)
{
	static char big[256 * 1024];
	char old[PATH_MAX], fill[PATH_MAX], weekends[PATH_MAX], got[4096];
	int fd, r;

	snprintf(old, sizeof old, "%s/mode", dir);
	snprintf(fill, sizeof fill, "%s/filler", dir);
	snprintf(weekends, sizeof weekends, "%s/weekends", dir);
	CHILD_CHECK(mount("tmpfs", dir, "tmpfs", 0, "size=64k") == 0);
	CHILD_CHECK(tm__fs_write_atomic(old, "old\n", 4, 0644, 1) == 0);
	fd = open(fill, O_WRONLY | O_CREAT, 0644);
	CHILD_CHECK(fd >= 0);
	while (write(fd, big, 4096) == 4096)
		;
	CHILD_CHECK(errno == ENOSPC);
	close(fd);
	memset(big, 'x', sizeof big);
	r = tm__fs_write_atomic(old, big, sizeof big, 0644, 1);
	CHILD_CHECK(r == -ENOSPC);
	r = tm__fs_create_new(weekends, big, sizeof big, 0644, 1);
	CHILD_CHECK(r == -ENOSPC);
	list_dir(dir, got, sizeof got);
	if (strcmp(got, "filler mode") != 0) {
		fprintf(stderr, "listing: '%s', want 'filler mode'\n", got);
		return 1;
	}
	CHILD_CHECK(tm__fs_read_small(old, got, sizeof got, NULL) == 0);
	CHILD_CHECK(strcmp(got, "old\n") == 0);
	return 0;
}

static void write_atomic_on_a_full_disk_leaves_no_temp(void **state)
{
	in_mount_namespace(full_disk_child, *state);
	expect_listing(*state, "");	/* the tmpfs went with the child */
}

/* In the child: the directory bind-mounted read-only over itself. */
static int read_only_child(const char *dir)
{
	char p[PATH_MAX], got[4096];

	snprintf(p, sizeof p, "%s/mode", dir);
	CHILD_CHECK(tm__fs_write_atomic(p, "old\n", 4, 0644, 0) == 0);
	CHILD_CHECK(mount(dir, dir, "none", MS_BIND, NULL) == 0);
	CHILD_CHECK(mount("none", dir, "none",
			  MS_REMOUNT | MS_BIND | MS_RDONLY, NULL) == 0);
	CHILD_CHECK(tm__fs_write_atomic(p, "new\n", 4, 0644, 1) == -EROFS);
	list_dir(dir, got, sizeof got);
	CHILD_CHECK(strcmp(got, "mode") == 0);
	CHILD_CHECK(tm__fs_read_small(p, got, sizeof got, NULL) == 0);
	CHILD_CHECK(strcmp(got, "old\n") == 0);
	return 0;
}

static void write_atomic_on_a_read_only_mount_keeps_the_file(void **state)
{
	in_mount_namespace(read_only_child, *state);
	expect_listing(*state, "mode");
}

static void create_new_lets_only_the_first_writer_win(void **state)
{
	char *p = tu_path(*state, "weekends");

	assert_int_equal(tm__fs_create_new(p, "3\n", 2, 0644, 1), 0);
	assert_int_equal(tm__fs_create_new(p, "5\n", 2, 0644, 1), -EEXIST);
	expect_content(p, "3\n");
	expect_listing(*state, "weekends");
	free(p);
}

static void read_small_reads_and_terminates(void **state)
{
	char *p = tu_path(*state, "f");
	char buf[8];
	size_t len = 99;

	assert_int_equal(tu_write_file(p, "1234567", 7), 0);
	assert_int_equal(tm__fs_read_small(p, buf, sizeof buf, &len), 0);
	assert_string_equal(buf, "1234567");
	assert_int_equal(len, 7);
	free(p);
}

static void read_small_rejects_a_file_as_large_as_its_buffer(void **state)
{
	char *p = tu_path(*state, "f");
	char buf[8];
	size_t len = 99;

	assert_int_equal(tu_write_file(p, "12345678", 8), 0);
	assert_int_equal(tm__fs_read_small(p, buf, sizeof buf, &len),
			 -EFBIG);
	assert_string_equal(buf, "");
	assert_int_equal(len, 0);
	free(p);
}

static void read_small_reports_missing_files_and_directories(void **state)
{
	char *p = tu_path(*state, "none");
	char buf[8];

	assert_int_equal(tm__fs_read_small(p, buf, sizeof buf, NULL),
			 -ENOENT);
	assert_int_equal(tm__fs_read_small(*state, buf, sizeof buf, NULL),
			 -EISDIR);
	free(p);
}

static void read_small_refuses_a_fifo_without_blocking(void **state)
{
	char *p = tu_path(*state, "fifo");
	char buf[8];

	assert_int_equal(mkfifo(p, 0644), 0);
	assert_int_equal(tm__fs_read_small(p, buf, sizeof buf, NULL),
			 -EINVAL);
	free(p);
}

/* ssh's rule (docs/security.md): ours or root's, writable by nobody
 * else. */
static void check_owner_trusts_only_us_or_root_and_no_other_writer(
	void **state)
{
	struct stat st;

	(void)state;
	memset(&st, 0, sizeof st);
	st.st_uid = geteuid();
	st.st_mode = S_IFDIR | 0755;
	assert_int_equal(tm__fs_check_owner(&st), 0);
	st.st_mode = S_IFDIR | 0775;
	assert_int_equal(tm__fs_check_owner(&st), TM_EUNSAFE);
	st.st_mode = S_IFDIR | 01777;
	assert_int_equal(tm__fs_check_owner(&st), TM_EUNSAFE);
	st.st_mode = S_IFREG | 0600;
	st.st_uid = 0;
	assert_int_equal(tm__fs_check_owner(&st), 0);
	st.st_uid = geteuid() == 65534 ? 65533 : 65534;
	assert_int_equal(tm__fs_check_owner(&st), TM_EUNSAFE);
}

static void open_dir_refuses_a_symlink_and_a_shared_directory(void **state)
{
	char *real = tu_path(*state, "real"), *link = tu_path(*state, "link");
	int fd;

	assert_int_equal(mkdir(real, 0755), 0);
	assert_int_equal(symlink(real, link), 0);
	fd = tm__fs_open_dir(AT_FDCWD, real, 1);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(tm__fs_open_dir(AT_FDCWD, link, 1), TM_EUNSAFE);
	fd = tm__fs_open_dir(AT_FDCWD, link, 0);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(chmod(real, 0777), 0);
	assert_int_equal(tm__fs_open_dir(AT_FDCWD, real, 1), TM_EUNSAFE);
	free(real);
	free(link);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, fresh_dir, remove_dir)
		T(mkdirs_creates_every_missing_parent),
		T(mkdirs_accepts_an_existing_directory),
		T(mkdirs_reports_enotdir_for_a_file_in_the_way),
		T(write_atomic_replaces_content_and_leaves_no_temp),
		T(write_atomic_writes_an_empty_file),
		T(write_atomic_fails_without_its_directory),
		T(write_atomic_removes_its_temp_when_rename_fails),
		T(write_atomic_on_a_full_disk_leaves_no_temp),
		T(write_atomic_on_a_read_only_mount_keeps_the_file),
		T(create_new_lets_only_the_first_writer_win),
		T(read_small_reads_and_terminates),
		T(read_small_rejects_a_file_as_large_as_its_buffer),
		T(read_small_reports_missing_files_and_directories),
		T(read_small_refuses_a_fifo_without_blocking),
		T(check_owner_trusts_only_us_or_root_and_no_other_writer),
		T(open_dir_refuses_a_symlink_and_a_shared_directory),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
